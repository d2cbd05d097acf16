//===- CodeGen.cpp - Generated functions from kernel graphs --------------===//
//
// Each kernel graph becomes one straight-line LLVM function of kernel
// calls. Values bound to arguments use the caller's pointers; the others
// get a slice of the workspace planned here: value i lives at
// `N * offsetPerN[i]`, so `workspace_size(N)` is an exact
// affine function of the batch, known at compile time. Kernel arguments
// are constants except the batch-dependent row counts.
//
//===----------------------------------------------------------------------===//
#include "CodeGen/ModuleBuilder.h"

#include <algorithm>

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

extern const unsigned char catKernelBitcode[];
extern const unsigned long catKernelBitcode_size;

namespace cat {

using namespace llvm;

ModuleBuilder::ModuleBuilder(LLVMContext &ctx, const CodeGenOptions &opts)
    : ctx(ctx), opts(opts), b(ctx) {
  StringRef bytes(reinterpret_cast<const char *>(catKernelBitcode), catKernelBitcode_size);
  auto parsed = parseBitcodeFile(MemoryBufferRef(bytes, "catk.bc"), ctx);
  if (!parsed)
    report_fatal_error("internal compiler error: the embedded kernel bitcode does not load");
  module = std::move(*parsed);
  module->setTargetTriple(opts.triple);
  module->setDataLayout(opts.dataLayout);
  ptrTy = PointerType::getUnqual(ctx);
  i64 = Type::getInt64Ty(ctx);
  i32 = Type::getInt32Ty(ctx);
  f32 = Type::getFloatTy(ctx);
  f64 = Type::getDoubleTy(ctx);
  sizeTy = module->getDataLayout().getIntPtrType(ctx);
  // The kernels were compiled for the host; they carry no ABI-specific
  // types, so dropping the host CPU attributes makes them target-neutral.
  for (Function &f : *module) {
    f.removeFnAttr("target-cpu");
    f.removeFnAttr("target-features");
    f.removeFnAttr("tune-cpu");
    if (f.isDeclaration())
      continue;
    f.setLinkage(GlobalValue::InternalLinkage);
    if (opts.inlineKernels) {
      f.removeFnAttr(Attribute::NoInline);
      f.addFnAttr(Attribute::AlwaysInline);
    }
  }
}

Function *ModuleBuilder::kernel(StringRef name) {
  Function *f = module->getFunction(name);
  if (!f)
    report_fatal_error(Twine("internal compiler error: no kernel '") + name + "'");
  return f;
}

Function *ModuleBuilder::declare(StringRef name, Type *ret, ArrayRef<Type *> params, bool external) {
  auto *fty = FunctionType::get(ret, params, false);
  Function *f = Function::Create(fty, external ? GlobalValue::ExternalLinkage : GlobalValue::InternalLinkage,
                                 name, module.get());
  f->addFnAttr(Attribute::NoUnwind);
  f->addFnAttr("frame-pointer", "none");
  return f;
}

/// Live ranges [first, last] (call indices) of every workspace storage.
static std::vector<std::pair<int64_t, int64_t>> liveRanges(const ad::Graph &g) {
  std::vector<std::pair<int64_t, int64_t>> range(g.values.size(), {-1, -1});
  for (size_t c = 0; c < g.calls.size(); ++c)
    for (const ad::KArg &a : g.calls[c].args) {
      if (a.kind != ad::KArg::Kind::Value)
        continue;
      auto &r = range[g.storageOf(a.value)];
      if (r.first < 0)
        r.first = static_cast<int64_t>(c);
      r.second = static_cast<int64_t>(c);
    }
  return range;
}

WorkspacePlan ModuleBuilder::plan(const ad::Graph &g) {
  // Values whose lives do not overlap share workspace: first fit, in order
  // of first use. A value dies strictly before the next one is born, so a
  // kernel's inputs never share memory with its outputs (they are restrict).
  WorkspacePlan p;
  p.offsetPerN.assign(g.values.size(), -1);
  std::vector<std::pair<int64_t, int64_t>> range = liveRanges(g);
  std::vector<size_t> order;
  for (size_t i = 0; i < g.values.size(); ++i)
    if (g.values[i].binding.kind == ad::Binding::Kind::Workspace && range[i].first >= 0)
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return range[a].first < range[b].first; });
  struct Slice { int64_t offset, bytes, last; };
  std::vector<Slice> live; // sorted by offset
  for (size_t v : order) {
    int64_t bytes = (4 * g.values[v].elementsPerN() + 15) / 16 * 16; // 16-byte aligned slices
    live.erase(std::remove_if(live.begin(), live.end(),
                              [&](const Slice &s) { return s.last < range[v].first; }),
               live.end());
    int64_t offset = 0;
    auto at = live.begin();
    for (; at != live.end() && at->offset - offset < bytes; ++at)
      offset = at->offset + at->bytes;
    live.insert(at, {offset, bytes, range[v].second});
    p.offsetPerN[v] = offset;
    p.perN = std::max(p.perN, offset + bytes);
  }
  return p;
}

Value *ModuleBuilder::pointerOf(ad::ValueId id, const ad::Graph &g, const WorkspacePlan &p,
                                const GraphEnv &env) {
  ad::ValueId s = g.storageOf(id);
  const ad::Binding &bind = g.values[s].binding;
  switch (bind.kind) {
  case ad::Binding::Kind::Workspace: {
    Value *off = b.CreateMul(env.n, ConstantInt::get(i64, p.offsetPerN[s]));
    return b.CreateGEP(Type::getInt8Ty(ctx), env.ws, off);
  }
  case ad::Binding::Kind::Input: return env.inputs[bind.index];
  case ad::Binding::Kind::Target: return env.targets[bind.index];
  case ad::Binding::Kind::Output: return env.outputs[bind.index];
  case ad::Binding::Kind::DOutput: return env.dOutputs[bind.index];
  case ad::Binding::Kind::DInput: return env.dInputs[bind.index];
  case ad::Binding::Kind::Losses: return env.losses;
  case ad::Binding::Kind::Alias: break;
  }
  report_fatal_error("internal compiler error: unresolved value alias");
}

Value *ModuleBuilder::emitGraph(const ad::Graph &g, const WorkspacePlan &p, const GraphEnv &env) {
  Value *loss = nullptr;
  for (const ad::KernelCall &call : g.calls) {
    Function *k = kernel(call.kernel);
    std::vector<Value *> args;
    for (const ad::KArg &a : call.args) {
      switch (a.kind) {
      case ad::KArg::Kind::Value: args.push_back(pointerOf(a.value, g, p, env)); break;
      case ad::KArg::Kind::Param: args.push_back(b.CreateConstGEP1_64(f32, env.params, a.offset)); break;
      case ad::KArg::Kind::Grad: args.push_back(b.CreateConstGEP1_64(f32, env.dparams, a.offset)); break;
      case ad::KArg::Kind::Int:
        args.push_back(a.scale ? b.CreateAdd(b.CreateMul(env.n, ConstantInt::get(i64, a.scale)),
                                             ConstantInt::get(i64, a.offset))
                               : ConstantInt::get(i64, a.offset));
        break;
      case ad::KArg::Kind::Float: args.push_back(ConstantFP::get(f32, a.real)); break;
      case ad::KArg::Kind::InvN:
        args.push_back(b.CreateFDiv(ConstantFP::get(f32, 1.0), b.CreateUIToFP(env.n, f32)));
        break;
      case ad::KArg::Kind::Null: args.push_back(ConstantPointerNull::get(cast<PointerType>(ptrTy))); break;
      }
    }
    Value *r = b.CreateCall(k, args);
    if (call.returnsLoss)
      loss = r;
  }
  return loss;
}

Value *ModuleBuilder::batchArg(Value *n) { return b.CreateZExtOrTrunc(n, i64); }

std::unique_ptr<Module> ModuleBuilder::finish() {
  if (verifyModule(*module, &errs()))
    report_fatal_error("internal compiler error: generated LLVM IR does not verify");
  return std::move(module);
}

std::unique_ptr<Module> generateModule(const Program &program, LLVMContext &context,
                                       const CodeGenOptions &options, std::string *header) {
  ModuleBuilder mb(context, options);
  mb.module->setModuleIdentifier(program.prefix);
  // The module starts as the kernel library: name it after the model.
  mb.module->setSourceFileName(llvm::sys::path::filename(program.mainFile));
  const MorphismInstance *trained = program.train ? program.train->model : nullptr;
  std::vector<MorphismFunctions> all;
  for (const MorphismInstance *inst : program.exported) {
    bool isTrained = inst == trained;
    all.push_back(mb.emitMorphism(program, *inst, isTrained ? &*program.train : nullptr));
  }
  if (header)
    *header = headerText(program, all);
  if (options.executableGlue) {
    const MorphismFunctions *chosen = nullptr;
    for (const MorphismFunctions &f : all)
      if (f.instance == trained)
        chosen = &f;
    if (!chosen && !all.empty())
      chosen = &all.back();
    if (chosen)
      mb.emitRuntimeGlue(program, *chosen);
  }
  return mb.finish();
}

} // namespace cat
