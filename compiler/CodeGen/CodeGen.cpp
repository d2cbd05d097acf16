//===- CodeGen.cpp - Generated functions from kernel graphs --------------===//
//
// Each kernel graph becomes one straight-line LLVM function of kernel
// calls. Values bound to arguments use the caller's pointers; the others
// get a slice of the workspace planned here: value i lives at
// `scratch + N * offsetPerN[i]`, so `workspace_size(N)` is an exact
// affine function of the batch, known at compile time. Kernel arguments
// are constants except pointers and the batch-dependent row counts; from
// -O1 on, every call goes to a specialisation of its kernel for those
// constants, emitted once per distinct shape (as LIBXSMM specialises its
// small GEMMs), which keeps loops shape-specific and compile time linear.
//
//===----------------------------------------------------------------------===//
#include "CodeGen/ModuleBuilder.h"
#include "CodeGen/Weights.h"
#include "CodeGen/kernels/catk.h"

#include <algorithm>

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/TargetParser/Triple.h"

extern const unsigned char catKernelBitcode[], catKernelBitcode32[];
extern const unsigned long catKernelBitcode_size, catKernelBitcode32_size;

namespace cat {

using namespace llvm;

ModuleBuilder::ModuleBuilder(LLVMContext &ctx, const CodeGenOptions &opts)
    : ctx(ctx), opts(opts), b(ctx) {
  // The kernels' index type is as wide as the target's pointers (catk.h).
  bool narrow = DataLayout(opts.dataLayout).getPointerSizeInBits() <= 32;
  StringRef bytes = narrow ? StringRef(reinterpret_cast<const char *>(catKernelBitcode32), catKernelBitcode32_size)
                           : StringRef(reinterpret_cast<const char *>(catKernelBitcode), catKernelBitcode_size);
  // Lazily: a function's body is read only if the model calls it
  // (materializeCalledKernels); reading all of them was most of the time
  // code generation took before the optimiser.
  auto parsed = getLazyBitcodeModule(MemoryBufferRef(bytes, "catk.bc"), ctx);
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
  idxTy = narrow ? i32 : i64;
  // Only the families the target can use are compiled (its own, and on a
  // vector target the narrower vector ones, see tileFor): the others'
  // bodies become `unreachable`, as generated code never passes their tile.
  static const char *const families[] = {"scalar", "v128", "v256", "v512"};
  for (int tile = 0; tile < 4; ++tile) {
    Function *f = module->getFunction(std::string("catk_gemm_") + families[tile]);
    bool usable = tile == opts.gemmTile || (tile > CATK_TILE_SCALAR && tile < opts.gemmTile);
    if (!f || usable)
      continue;
    f->deleteBody();
    f->setLinkage(GlobalValue::InternalLinkage);
    new UnreachableInst(ctx, BasicBlock::Create(ctx, "entry", f));
  }
  // Kernels read the target from these constants (kernels/target.c).
  for (auto [name, value] : {std::pair<const char *, int>{"catk_target_tile", opts.gemmTile},
                             {"catk_target_dsp", opts.armDsp},
                             {"catk_target_dotprod", opts.dotProd}})
    if (GlobalVariable *setting = module->getGlobalVariable(name)) {
      setting->setInitializer(ConstantInt::get(i32, value));
      setting->setLinkage(GlobalValue::InternalLinkage);
    }
  // The kernels were compiled for the host; they carry no ABI-specific
  // types, so dropping the host CPU attributes makes them target-neutral.
  // Without a minimum legal vector width the backend keeps the micro-
  // kernels' wide vectors whole wherever the target's registers hold them.
  for (Function &f : *module) {
    f.removeFnAttr("target-cpu");
    f.removeFnAttr("target-features");
    f.removeFnAttr("tune-cpu");
    f.removeFnAttr("min-legal-vector-width");
    if (f.isDeclaration())
      continue;
    f.setLinkage(GlobalValue::InternalLinkage);
    if (opts.specializeKernels) {
      f.removeFnAttr(Attribute::NoInline);
      f.addFnAttr(Attribute::AlwaysInline);
    } else {
      // At -O0 nothing would fold an inlined copy: each of the library's
      // helpers (the GEMM families' loops and micro-kernels) is compiled
      // once and called, where inlining them (their C-level always_inline)
      // into every product kernel made -O0 slower to compile than -O2.
      f.removeFnAttr(Attribute::AlwaysInline);
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

/// The GEMM family for a dense product: the target's, or a narrower vector
/// family when the product's rows of output (N, a constant) fill no more
/// than one of its vectors. A 3-class output in a 16-lane register wastes
/// 13 lanes; in a 4-lane one it wastes 1, and narrow fused multiply-adds
/// cost half of wide ones where the wide unit is two narrow ones (Zen 4's
/// AVX-512) and no more elsewhere.
int ModuleBuilder::tileFor(const ad::KernelCall &call) const {
  int64_t N = -1;
  if (call.kernel == "cat_k_linear_fwd")
    N = call.args[5].offset; // y = x W^T: m outputs
  else if (call.kernel == "cat_k_linear_bwd")
    N = call.args[7].offset; // dx = dy W and dW = dy^T x: k columns each
  int tile = opts.gemmTile;
  if (N >= 0)
    while (tile > CATK_TILE_V128 && N <= CATK_TILE_LANES(tile - 1))
      --tile;
  return tile;
}

/// Floats of scratch \p call needs for its packed operand (catk.h).
static int64_t scratchFloats(const ad::KernelCall &call, int tile) {
  auto dim = [&](size_t i) { return call.args[i].offset; };
  if (call.kernel == "cat_k_linear_fwd")
    return CATK_LINEAR_FWD_SCRATCH(dim(5), dim(6), tile);
  if (call.kernel == "cat_k_linear_bwd")
    return CATK_LINEAR_BWD_SCRATCH(dim(6), dim(7), tile);
  if (call.kernel == "cat_k_matmul_bwd")
    return CATK_MATMUL_BWD_SCRATCH(dim(7), dim(8), tile);
  return 0;
}

WorkspacePlan ModuleBuilder::plan(const ad::Graph &g) {
  // Values whose lives do not overlap share workspace: first fit, in order
  // of first use. A value dies strictly before the next one is born, so a
  // kernel's inputs never share memory with its outputs (they are restrict).
  WorkspacePlan p;
  for (const ad::KernelCall &call : g.calls)
    p.scratchBytes = std::max(p.scratchBytes, (4 * scratchFloats(call, tileFor(call)) + 63) / 64 * 64);
  p.offsetPerN.assign(g.values.size(), -1);
  std::vector<std::pair<int64_t, int64_t>> range = liveRanges(g);
  std::vector<size_t> order;
  for (size_t i = 0; i < g.values.size(); ++i)
    if (g.values[i].binding.kind == ad::Binding::Kind::Workspace && range[i].first >= 0)
      order.push_back(i);
  // By first use, then by index: the order stable_sort would give, without
  // its temporary buffer (whose libstdc++ helper clang 19 flags deprecated).
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::pair(range[a].first, a) < std::pair(range[b].first, b);
  });
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
    Value *off = b.CreateAdd(b.CreateMul(env.n, ConstantInt::get(idxTy, p.offsetPerN[s])),
                             ConstantInt::get(idxTy, p.scratchBytes));
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

/// Kernel calls per generated function: a longer graph is emitted as a
/// sequence of out-of-line parts, so no function (and no basic block, whose
/// instruction selection and register allocation grow faster than linearly)
/// outgrows this, however deep the model.
constexpr size_t kMaxCallsPerFunction = 64;

Value *ModuleBuilder::emitGraph(const ad::Graph &g, const WorkspacePlan &p, const GraphEnv &env) {
  if (g.calls.size() <= kMaxCallsPerFunction)
    return emitCalls(g, 0, g.calls.size(), p, env);
  // Every part takes the whole environment as arguments and returns the
  // loss if the loss is computed in it (else 0).
  std::vector<Value *> envValues = {env.params ? env.params : ConstantPointerNull::get(cast<PointerType>(ptrTy)),
                                    env.dparams ? env.dparams : ConstantPointerNull::get(cast<PointerType>(ptrTy)),
                                    env.n, env.ws};
  for (const auto *list : {&env.inputs, &env.targets, &env.outputs, &env.dOutputs, &env.dInputs})
    envValues.insert(envValues.end(), list->begin(), list->end());
  if (env.losses)
    envValues.push_back(env.losses);
  if (env.dropoutSeed)
    envValues.push_back(env.dropoutSeed);
  if (env.accumulate)
    envValues.push_back(env.accumulate);
  if (env.total)
    envValues.push_back(env.total);
  if (env.update)
    envValues.push_back(env.update);
  std::vector<Type *> types;
  for (Value *v : envValues)
    types.push_back(v->getType());
  Function *parent = b.GetInsertBlock()->getParent();
  Value *loss = nullptr;
  for (size_t first = 0, part = 0; first < g.calls.size(); first += kMaxCallsPerFunction, ++part) {
    size_t last = std::min(first + kMaxCallsPerFunction, g.calls.size());
    Function *f = Function::Create(FunctionType::get(f32, types, false), GlobalValue::InternalLinkage,
                                   parent->getName() + ".part" + Twine(part), module.get());
    f->addFnAttr(Attribute::NoUnwind);
    f->addFnAttr(Attribute::NoInline);
    f->addFnAttr("frame-pointer", "none");
    IRBuilderBase::InsertPoint caller = b.saveIP();
    b.SetInsertPoint(BasicBlock::Create(ctx, "entry", f));
    GraphEnv local;
    auto arg = f->arg_begin();
    local.params = env.params ? &*arg : nullptr;
    ++arg;
    local.dparams = env.dparams ? &*arg : nullptr;
    ++arg;
    local.n = &*arg++;
    local.ws = &*arg++;
    for (auto [from, to] : {std::pair{&env.inputs, &local.inputs}, {&env.targets, &local.targets},
                            {&env.outputs, &local.outputs}, {&env.dOutputs, &local.dOutputs},
                            {&env.dInputs, &local.dInputs}})
      for (size_t i = 0; i < from->size(); ++i)
        to->push_back(&*arg++);
    local.losses = env.losses ? &*arg++ : nullptr;
    local.dropoutSeed = env.dropoutSeed ? &*arg++ : nullptr;
    local.accumulate = env.accumulate ? &*arg++ : nullptr;
    local.total = env.total ? &*arg++ : nullptr;
    local.update = env.update ? &*arg++ : nullptr;
    local.fixedModes = env.fixedModes;
    if (env.fixedModes) // the constant, not the argument that carries it
      local.accumulate = env.accumulate;
    Value *partLoss = emitCalls(g, first, last, p, local);
    b.CreateRet(partLoss ? partLoss : ConstantFP::get(f32, 0.0));
    b.restoreIP(caller);
    Value *r = b.CreateCall(f, envValues);
    if (partLoss)
      loss = r;
  }
  return loss;
}

Value *ModuleBuilder::emitCalls(const ad::Graph &g, size_t first, size_t last, const WorkspacePlan &p,
                                const GraphEnv &env) {
  Value *loss = nullptr;
  for (size_t c = first; c < last; ++c) {
    const ad::KernelCall &call = g.calls[c];
    Function *k = kernel(call.kernel);
    std::vector<Value *> args;
    llvm::SmallVector<bool, 12> isConstant, nonNull;
    for (const ad::KArg &a : call.args) {
      Value *v = nullptr;
      // Parameters and their gradients are never null: the kernels' optional
      // operands (bias, dW) fold. Values are not marked, so that a shape
      // met with an argument and with a workspace value is one function.
      bool never = false;
      switch (a.kind) {
      case ad::KArg::Kind::Value: v = pointerOf(a.value, g, p, env); break;
      case ad::KArg::Kind::Param: v = b.CreateConstGEP1_64(f32, env.params, a.offset), never = true; break;
      case ad::KArg::Kind::Grad: v = b.CreateConstGEP1_64(f32, env.dparams, a.offset), never = true; break;
      case ad::KArg::Kind::Int:
        v = a.scale ? b.CreateAdd(b.CreateMul(env.n, ConstantInt::get(idxTy, a.scale)),
                                  ConstantInt::get(idxTy, a.offset))
                    : ConstantInt::get(idxTy, a.offset);
        break;
      case ad::KArg::Kind::Float: v = ConstantFP::get(f32, a.real); break;
      case ad::KArg::Kind::InvN:
        v = b.CreateFDiv(ConstantFP::get(f32, 1.0), b.CreateUIToFP(env.total ? env.total : env.n, f32));
        break;
      case ad::KArg::Kind::Null: case ad::KArg::Kind::Unwanted:
        v = ConstantPointerNull::get(cast<PointerType>(ptrTy));
        break;
      case ad::KArg::Kind::Int32: v = ConstantInt::get(i32, a.offset); break;
      case ad::KArg::Kind::Tile: v = ConstantInt::get(i32, tileFor(call)); break;
      case ad::KArg::Kind::Scratch: v = env.ws; break;
      case ad::KArg::Kind::Accumulate: v = env.accumulate ? env.accumulate : ConstantInt::get(i32, 1); break;
      case ad::KArg::Kind::Update:
        v = a.offset && env.update ? env.update : ConstantPointerNull::get(cast<PointerType>(ptrTy));
        break;
      case ad::KArg::Kind::DropoutKey:
        // (seed, stream): the step's seed, then this box's stream.
        args.push_back(env.dropoutSeed);
        isConstant.push_back(false);
        nonNull.push_back(false);
        v = ConstantInt::get(i64, a.offset);
        break;
      }
      args.push_back(v);
      // The accumulate flag and the update stay arguments even where they
      // are constants (the backward maps add and update nothing, a training
      // step's loss gradient chooses), so that both share one
      // specialisation per shape: they decide only how a tile starts and
      // ends, unless the function fixes them (GraphEnv::fixedModes). So do
      // unwanted outputs (KArg::Kind::Unwanted).
      bool mode = a.kind == ad::KArg::Kind::Accumulate || a.kind == ad::KArg::Kind::Update;
      isConstant.push_back(isa<Constant>(v) && (!mode || env.fixedModes) && a.kind != ad::KArg::Kind::Unwanted);
      nonNull.push_back(never);
    }
    Value *r = callKernel(k, args, isConstant, nonNull);
    if (call.returnsLoss)
      loss = r;
  }
  return loss;
}

Value *ModuleBuilder::callKernel(Function *k, ArrayRef<Value *> args, ArrayRef<bool> isConstant,
                                 ArrayRef<bool> nonNull) {
  if (!opts.specializeKernels)
    return b.CreateCall(k, args);
  std::vector<Value *> varying;
  for (size_t i = 0; i < args.size(); ++i)
    if (!isConstant[i])
      varying.push_back(args[i]);
  return b.CreateCall(specialization(k, args, isConstant, nonNull), varying);
}

/// A key naming a constant argument's value exactly.
static std::string constantKey(Value *v) {
  if (auto *i = dyn_cast<ConstantInt>(v))
    return ("i" + Twine(i->getSExtValue())).str();
  if (auto *f = dyn_cast<ConstantFP>(v))
    return ("f" + Twine(f->getValueAPF().bitcastToAPInt().getZExtValue())).str();
  return "null";
}

/// Kernels dominated by dense products: kept out of line, as one function
/// per shape, whatever the inliner's size heuristics would say.
static bool isDenseProduct(StringRef kernel) {
  return kernel.starts_with("cat_k_linear_") || kernel.starts_with("cat_k_matmul_");
}

Function *ModuleBuilder::specialization(Function *k, ArrayRef<Value *> args, ArrayRef<bool> isConstant,
                                        ArrayRef<bool> nonNull) {
  std::string key = k->getName().str();
  std::vector<Type *> params;
  auto neverNull = [&](size_t i) { return !nonNull.empty() && nonNull[i]; };
  for (size_t i = 0; i < args.size(); ++i) {
    key += ',';
    key += isConstant[i] ? constantKey(args[i]) : neverNull(i) ? "!" : "_";
    if (!isConstant[i])
      params.push_back(args[i]->getType());
  }
  Function *&f = specializations[key];
  if (f)
    return f;
  f = Function::Create(FunctionType::get(k->getReturnType(), params, false), GlobalValue::InternalLinkage,
                       k->getName() + "." + Twine(specializations.size()), module.get());
  f->addFnAttr(Attribute::NoUnwind);
  f->addFnAttr("frame-pointer", "none");
  if (isDenseProduct(k->getName()))
    f->addFnAttr(Attribute::NoInline);
  IRBuilder<> body(BasicBlock::Create(ctx, "entry", f));
  std::vector<Value *> full;
  auto formal = f->arg_begin();
  for (size_t i = 0; i < args.size(); ++i) {
    if (isConstant[i]) {
      full.push_back(args[i]);
      continue;
    }
    if (neverNull(i))
      formal->addAttr(Attribute::NonNull);
    full.push_back(&*formal++);
  }
  Value *r = body.CreateCall(k, full);
  if (f->getReturnType()->isVoidTy())
    body.CreateRetVoid();
  else
    body.CreateRet(r);
  return f;
}

Value *ModuleBuilder::batchArg(Value *n) { return b.CreateZExtOrTrunc(n, idxTy); }

/// Call sites past which a specialisation stays out of line: a shape that
/// repeats (a deep stack of equal layers) is then compiled once, and the
/// functions it is called from grow linearly with the diagram, while the
/// few calls of a small model are still inlined and cost nothing.
constexpr unsigned kMaxInlinedCallSites = 4;

void ModuleBuilder::materializeCalledKernels() {
  std::vector<Function *> work;
  SmallPtrSet<Constant *, 32> seen;
  auto reach = [&](auto &self, Value *v) -> void {
    auto *c = dyn_cast<Constant>(v);
    if (!c || !seen.insert(c).second)
      return;
    if (auto *f = dyn_cast<Function>(c)) {
      if (!f->isMaterializable())
        return;
      if (Error e = f->materialize())
        report_fatal_error(Twine("internal compiler error: kernel bitcode: ") + toString(std::move(e)));
      work.push_back(f);
    } else if (auto *g = dyn_cast<GlobalVariable>(c)) {
      if (g->hasInitializer())
        self(self, g->getInitializer());
    } else {
      for (Use &op : c->operands())
        self(self, op.get());
    }
  };
  for (Function &f : *module)
    if (!f.isDeclaration() && !f.isMaterializable())
      work.push_back(&f);
  while (!work.empty()) {
    Function *f = work.back();
    work.pop_back();
    for (Instruction &i : instructions(*f))
      for (Use &op : i.operands())
        reach(reach, op.get());
  }
  // What is left was never called: dropped unread.
  for (Function &f : make_early_inc_range(*module))
    if (f.isMaterializable())
      f.eraseFromParent();
  if (Error e = module->materializeAll())
    report_fatal_error(Twine("internal compiler error: kernel bitcode: ") + toString(std::move(e)));
}

std::unique_ptr<Module> ModuleBuilder::finish() {
  for (auto &[key, f] : specializations)
    if (f->getNumUses() > kMaxInlinedCallSites)
      f->addFnAttr(Attribute::NoInline);
  materializeCalledKernels();
  // Kernels that name ARM or AArch64 intrinsics (quant.c) are for targets
  // with the DSP extension or the dot product instructions; elsewhere the
  // constants catk_target_dsp and catk_target_dotprod make their calls
  // dead, but at -O0 nothing deletes them, and no other backend selects the
  // intrinsics.
  auto emptyCallersOf = [&](StringRef intrinsicPrefix) {
    SmallPtrSet<Function *, 4> callers;
    for (Function &intrinsic : *module)
      if (intrinsic.isDeclaration() && intrinsic.getName().starts_with(intrinsicPrefix))
        for (User *user : intrinsic.users())
          if (auto *call = dyn_cast<CallInst>(user))
            callers.insert(call->getFunction());
    for (Function *f : callers) {
      f->deleteBody();
      f->setLinkage(GlobalValue::InternalLinkage);
      new UnreachableInst(ctx, BasicBlock::Create(ctx, "entry", f));
    }
  };
  if (!opts.armDsp)
    emptyCallersOf("llvm.arm.");
  if (!opts.dotProd)
    emptyCallersOf("llvm.aarch64.");
  // The kernel library arrives whole: drop what the model does not call
  // (internal helpers go with the kernels that used them) before the
  // optimiser spends time on it.
  for (bool erased = true; erased;) {
    erased = false;
    for (Function &f : llvm::make_early_inc_range(*module))
      if (f.hasInternalLinkage() && f.use_empty()) {
        f.eraseFromParent();
        erased = true;
      }
  }
  // Bare-metal C libraries (newlib-nano, picolibc) build memset and memcpy
  // for size, a byte at a time: their zeroing of a gradient took longer than
  // the rest of a Cortex-M4 training step. There, loops that clear or copy
  // stay loops, which the target unrolls into word stores; calls the kernels
  // make themselves remain (nm -u may still list memset and memcpy).
  // Nor do they get unwind tables (the kernels' `uwtable` is the host
  // build's): with them, the kernels an -O0 object keeps out of line named
  // ARM's unwinder personality routines, which pull the unwinder in.
  if (Triple(opts.triple).getOS() == Triple::UnknownOS)
    for (Function &f : *module)
      if (!f.isDeclaration()) {
        f.addFnAttr("no-builtin-memset");
        f.addFnAttr("no-builtin-memcpy");
        f.removeFnAttr(Attribute::UWTable);
      }
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
  BakedSymbols baked = emitBakedWeights(mb, all, program, options.weights);
  if (header)
    *header = headerText(program, all, baked);
  if (options.executableGlue) {
    const MorphismFunctions *chosen = nullptr;
    for (const MorphismFunctions &f : all)
      if (f.instance == trained)
        chosen = &f;
    if (!chosen && !all.empty())
      chosen = &all.back();
    if (chosen)
      mb.emitRuntimeGlue(program, *chosen);
    // The runtime reaches the model through its descriptor alone: exported
    // functions nothing refers to (backward maps, the other morphisms) are
    // dropped rather than compiled into the executable.
    for (Function &f : *mb.module)
      if (!f.isDeclaration() && f.hasExternalLinkage() && f.use_empty() && f.getName() != "main")
        f.setLinkage(GlobalValue::InternalLinkage);
  }
  return mb.finish();
}

} // namespace cat
