//===- RuntimeGlue.cpp - The cat_model descriptor and main ---------------===//
//
// Executables link the generated object with the C runtime (runtime/).
// The runtime sees the model through one constant `cat_model` descriptor
// (runtime/include/catrt.h): sizes, factor lists, the parameter table, the
// train block's settings and entry points taking arrays of factor pointers.
// The LLVM struct types here mirror catrt.h field for field; natural
// alignment on the target gives the C layout.
//
//===----------------------------------------------------------------------===//
#include "CodeGen/ModuleBuilder.h"

namespace cat {

using namespace llvm;

/// CAT_DECLARATIONS_MAGIC of catrt.h: the declaration fields are present.
static constexpr uint64_t kDeclarationsMagic = 0x6361746465636c31ull;
/// CAT_OUTPUTS_MAGIC of catrt.h: the `_outputs` step fields are present.
static constexpr uint64_t kOutputsMagic = 0x636174736f757431ull;
/// CAT_LOSS_MAGIC of catrt.h: the loss fields are present.
static constexpr uint64_t kLossMagic = 0x6361746c6f737331ull;
/// CAT_HEADS_MAGIC of catrt.h: the per-head loss fields are present.
static constexpr uint64_t kHeadsMagic = 0x6361746865616431ull;
/// CAT_WEIGHTS_MAGIC of catrt.h: the baked-weights fields are present.
static constexpr uint64_t kWeightsMagic = 0x6361747765696731ull;
/// CAT_SHARDS_MAGIC of catrt.h: the data-parallel step fields are present.
static constexpr uint64_t kShardsMagic = 0x6361747368726431ull;
/// CAT_QUANT_MAGIC of catrt.h: the calibration fields are present.
static constexpr uint64_t kQuantMagic = 0x6361747175616e31ull;
/// CAT_TARGET_FEATURES of catrt.h.
static constexpr int32_t kTargetFeatures = -2;

namespace {
class Glue {
public:
  Glue(ModuleBuilder &mb, const Program &program, const MorphismFunctions &fns)
      : mb(mb), b(mb.b), program(program), fns(fns) {}

  void emit();

private:
  Constant *factors(const Obj &o);
  Constant *trainConfig();
  Constant *declarations(const std::vector<Program::Declaration> &decls);
  Constant *stringArray(const std::vector<std::string> &strings);
  /// The two heads' names: as the loss writes them, or numbered.
  std::vector<std::string> headNames() const {
    if (program.train && program.train->headNames.size() == 2)
      return program.train->headNames;
    return {"head 1", "head 2"};
  }
  Function *wrapper(StringRef name, Function *target, Type *ret, const std::vector<char> &shape);
  void bakedWeights(std::vector<Constant *> &fields);
  Constant *global(Constant *init, StringRef name) {
    return new GlobalVariable(*mb.module, init->getType(), true, GlobalValue::PrivateLinkage, init, name);
  }

  ModuleBuilder &mb;
  IRBuilder<> &b;
  const Program &program;
  const MorphismFunctions &fns;
};
} // namespace

Constant *Glue::factors(const Obj &o) {
  // cat_factor: kind, classes, size, rank, shape
  StructType *ty = StructType::get(mb.ctx, {mb.i32, mb.i32, mb.i64, mb.i32, mb.ptrTy});
  std::vector<Constant *> rows;
  for (const Obj &f : o.flatten())
    rows.push_back(ConstantStruct::get(
        ty, {ConstantInt::get(mb.i32, f.isFin()), ConstantInt::get(mb.i32, f.isFin() ? f.classes : 0),
             ConstantInt::get(mb.i64, f.numElements()), ConstantInt::get(mb.i32, f.shape.size()),
             mb.shapeArray(f.shape)}));
  if (rows.empty())
    return ConstantPointerNull::get(cast<PointerType>(mb.ptrTy));
  auto *arr = ArrayType::get(ty, rows.size());
  return global(ConstantArray::get(arr, rows), ".factors");
}

/// cat_declaration[]: {name, text} per declaration.
Constant *Glue::declarations(const std::vector<Program::Declaration> &decls) {
  if (decls.empty())
    return ConstantPointerNull::get(cast<PointerType>(mb.ptrTy));
  StructType *ty = StructType::get(mb.ctx, {mb.ptrTy, mb.ptrTy});
  std::vector<Constant *> rows;
  for (const Program::Declaration &d : decls)
    rows.push_back(ConstantStruct::get(ty, {mb.cstring(d.name), mb.cstring(d.text)}));
  return global(ConstantArray::get(ArrayType::get(ty, rows.size()), rows), ".declarations");
}

Constant *Glue::stringArray(const std::vector<std::string> &strings) {
  if (strings.empty())
    return ConstantPointerNull::get(cast<PointerType>(mb.ptrTy));
  std::vector<Constant *> ptrs;
  for (const std::string &s : strings)
    ptrs.push_back(mb.cstring(s));
  auto *arr = ArrayType::get(mb.ptrTy, ptrs.size());
  return global(ConstantArray::get(arr, ptrs), ".strings");
}

Constant *Glue::trainConfig() {
  if (!program.train)
    return ConstantPointerNull::get(cast<PointerType>(mb.ptrTy));
  const TrainSpec &t = *program.train;
  const DataSpec &d = t.data;
  auto i32c = [&](int64_t v) { return ConstantInt::get(mb.i32, v); };
  auto i64c = [&](int64_t v) { return ConstantInt::get(mb.i64, v); };
  auto f32c = [&](double v) { return ConstantFP::get(mb.f32, v); };
  Constant *null = ConstantPointerNull::get(cast<PointerType>(mb.ptrTy));
  Constant *featureIndices = null;
  if (!d.featureIndices.empty()) {
    std::vector<Constant *> idx;
    for (int64_t i : d.featureIndices)
      idx.push_back(i32c(i));
    auto *arr = ArrayType::get(mb.i32, idx.size());
    featureIndices = global(ConstantArray::get(arr, idx), ".features");
  }
  int32_t numFeatures = static_cast<int32_t>(d.featureNames.size() + d.featureIndices.size());
  std::vector<Constant *> fields = {
      i32c(static_cast<int>(d.kind)), mb.cstring(d.path), mb.cstring(mb.opts.sourceDir),
      d.targetName ? mb.cstring(*d.targetName) : null, i32c(d.targetIsFeatures ? kTargetFeatures : d.targetIndex.value_or(-1)),
      i32c(numFeatures), stringArray(d.featureNames), featureIndices, i64c(d.context),
      i32c(static_cast<int32_t>(d.vocab.size())), stringArray(d.vocab),
      i32c(t.optimizer.kind == OptimizerSpec::Kind::Adam), f32c(t.optimizer.lr), f32c(t.optimizer.momentum),
      f32c(t.optimizer.beta1), f32c(t.optimizer.beta2), f32c(t.optimizer.eps), i64c(t.epochs),
      i64c(t.batch), i64c(static_cast<int64_t>(t.seed)), ConstantFP::get(mb.f64, t.validation),
      f32c(t.optimizer.weightDecay), f32c(t.optimizer.clip), i32c(static_cast<int32_t>(t.schedule.kind)),
      i64c(t.schedule.every), f32c(t.schedule.gamma), i64c(t.patience)};
  std::vector<Type *> types;
  for (Constant *c : fields)
    types.push_back(c->getType());
  return global(ConstantStruct::get(StructType::get(mb.ctx, types), fields), ".train");
}

/// A wrapper taking arrays of factor pointers. `shape` lists the target's
/// parameters: 'p' pass through a pointer, 'A'/'T'/'O'/'H' expand the
/// input/target/output/head-loss array, 'n' the batch, 'w' the workspace.
Function *Glue::wrapper(StringRef name, Function *target, Type *ret, const std::vector<char> &shape) {
  std::vector<Type *> types;
  for (char c : shape)
    types.push_back(c == 'n' ? mb.sizeTy : mb.ptrTy);
  Function *f = mb.declare(name, ret, types, false);
  b.SetInsertPoint(BasicBlock::Create(mb.ctx, "entry", f));
  std::vector<Value *> args;
  size_t counts[4] = {fns.instance->dom.flatten().size(), fns.target.flatten().size(),
                      fns.instance->cod.flatten().size(), 2};
  auto it = f->arg_begin();
  for (char c : shape) {
    Value *a = &*it++;
    int which = c == 'A' ? 0 : c == 'T' ? 1 : c == 'O' ? 2 : c == 'H' ? 3 : -1;
    if (which < 0) {
      args.push_back(a);
      continue;
    }
    for (size_t i = 0; i < counts[which]; ++i)
      args.push_back(b.CreateLoad(mb.ptrTy, b.CreateConstGEP1_64(mb.ptrTy, a, i)));
  }
  // Called, not inlined: a function the runtime calls once a batch costs
  // nothing more out of line, and inlined its body would be optimised twice,
  // before and after (the calibration's forward graph: 1 % of iris's compile).
  CallInst *r = b.CreateCall(target, args);
  r->setIsNoInline();
  if (ret->isVoidTy())
    b.CreateRetVoid();
  else
    b.CreateRet(r);
  return f;
}

void Glue::emit() {
  const std::string &sym = fns.symbol;
  Constant *null = ConstantPointerNull::get(cast<PointerType>(mb.ptrTy));
  Type *voidTy = b.getVoidTy();
  Function *fwd = wrapper(sym + "_rt_forward", fns.forward, voidTy, {'p', 'A', 'O', 'n', 'w'});
  Constant *eval = null, *lossGrad = null, *step = null, *lossGradOut = null, *stepOut = null;
  if (fns.evaluate) {
    eval = wrapper(sym + "_rt_evaluate", fns.evaluate, voidTy, {'p', 'A', 'T', 'O', 'p', 'n', 'w'});
    lossGrad = wrapper(sym + "_rt_loss_grad", fns.lossGrad, mb.f32, {'p', 'A', 'T', 'p', 'n', 'w'});
    step = wrapper(sym + "_rt_train_step", fns.trainStep, mb.f32, {'p', 'p', 'A', 'T', 'n', 'w'});
    lossGradOut = wrapper(sym + "_rt_loss_grad_outputs", fns.lossGradOutputs, mb.f32,
                          {'p', 'A', 'T', 'O', 'p', 'n', 'w'});
    stepOut = wrapper(sym + "_rt_train_step_outputs", fns.trainStepOutputs, mb.f32,
                      {'p', 'p', 'A', 'T', 'O', 'n', 'w'});
  }
  Constant *heads = fns.headLosses ? wrapper(sym + "_rt_head_losses", fns.headLosses, voidTy,
                                             {'p', 'A', 'T', 'H', 'n', 'w'})
                                   : null;
  const Obj &dom = fns.instance->dom, &cod = fns.instance->cod;
  auto i32c = [&](int64_t v) { return ConstantInt::get(mb.i32, v); };
  auto i64c = [&](int64_t v) { return ConstantInt::get(mb.i64, v); };
  std::vector<Constant *> fields = {
      mb.cstring(program.prefix), mb.cstring(fns.instance->name), i64c(fns.layout.totalFloats),
      i32c(static_cast<int32_t>(fns.layout.tensors.size())), fns.paramTable, i64c(fns.optStateFloats),
      i32c(static_cast<int32_t>(dom.flatten().size())), factors(dom),
      i32c(static_cast<int32_t>(cod.flatten().size())), factors(cod),
      i32c(static_cast<int32_t>(fns.target.flatten().size())), factors(fns.target),
      i64c(static_cast<int64_t>(fns.layout.hash())), fns.workspaceSize, fns.init, fwd, eval, lossGrad,
      step, trainConfig(), ConstantInt::get(mb.i64, kDeclarationsMagic),
      i32c(static_cast<int32_t>(program.objectDecls.size())), declarations(program.objectDecls),
      i32c(static_cast<int32_t>(program.morphismDecls.size())), declarations(program.morphismDecls),
      ConstantInt::get(mb.i64, kOutputsMagic), stepOut, lossGradOut, ConstantInt::get(mb.i64, kLossMagic),
      i32c(program.train ? static_cast<int32_t>(program.train->lossKind) : 0),
      program.train ? mb.cstring(program.train->lossText) : null, ConstantInt::get(mb.i64, kHeadsMagic),
      i32c(fns.headLosses ? 2 : 0), fns.headLosses ? stringArray(headNames()) : null, heads};
  bakedWeights(fields);
  Constant *shard = null, *shardOut = null, *apply = null;
  if (fns.shardGrad) {
    shard = wrapper(sym + "_rt_shard_grad", fns.shardGrad, mb.f32, {'p', 'p', 'A', 'T', 'p', 'n', 'n', 'n', 'w'});
    shardOut = wrapper(sym + "_rt_shard_grad_outputs", fns.shardGradOutputs, mb.f32,
                       {'p', 'p', 'A', 'T', 'O', 'p', 'n', 'n', 'n', 'w'});
    apply = fns.applyGradient;
  }
  fields.insert(fields.end(), {ConstantInt::get(mb.i64, kShardsMagic), shard, shardOut, apply});
  Calibration calibration = mb.emitCalibration(fns);
  fields.insert(fields.end(), {ConstantInt::get(mb.i64, kQuantMagic), ConstantInt::get(mb.i32, calibration.count),
                               calibration.layers ? static_cast<Constant *>(calibration.layers) : null,
                               wrapper(sym + "_rt_calibrate", calibration.function, voidTy,
                                       {'p', 'A', 'O', 'p', 'n', 'w'})});
  // The baked weights' int8 layers (Weights.cpp), when they have any.
  Function *forwardInt8 = mb.module->getFunction(sym + "_forward.int8");
  Function *evaluateInt8 = mb.module->getFunction(sym + "_evaluate.int8");
  fields.insert(fields.end(),
                {forwardInt8 ? wrapper(sym + "_rt_forward_int8", forwardInt8, voidTy, {'p', 'A', 'O', 'n', 'w'}) : null,
                 evaluateInt8 ? wrapper(sym + "_rt_evaluate_int8", evaluateInt8, voidTy,
                                        {'p', 'A', 'T', 'O', 'p', 'n', 'w'})
                              : null});
  std::vector<Type *> types;
  for (Constant *c : fields)
    types.push_back(c->getType());
  Constant *model = global(ConstantStruct::get(StructType::get(mb.ctx, types), fields), "cat_model_descriptor");

  // int main(int argc, char **argv) { return cat_main(&model, argc, argv); }
  Function *catMain = Function::Create(FunctionType::get(mb.i32, {mb.ptrTy, mb.i32, mb.ptrTy}, false),
                                       GlobalValue::ExternalLinkage, "cat_main", mb.module.get());
  Function *main = mb.declare("main", mb.i32, {mb.i32, mb.ptrTy}, true);
  b.SetInsertPoint(BasicBlock::Create(mb.ctx, "entry", main));
  b.CreateRet(b.CreateCall(catMain, {model, &*main->arg_begin(), &*(main->arg_begin() + 1)}));
}

/// weights_magic and after: the weights `--weights` baked in (Weights.cpp
/// made `p_m_weights` and `p_m_class_names`), or nulls.
void Glue::bakedWeights(std::vector<Constant *> &fields) {
  const BakedWeights *baked = mb.opts.weights;
  Constant *null = ConstantPointerNull::get(cast<PointerType>(mb.ptrTy));
  GlobalVariable *array = baked ? mb.module->getNamedGlobal(fns.symbol + "_weights") : nullptr;
  GlobalVariable *classes = baked ? mb.module->getNamedGlobal(fns.symbol + "_class_names") : nullptr;
  if (baked && !array)
    report_fatal_error("internal compiler error: the baked weights are not the executable's model's");
  fields.push_back(ConstantInt::get(mb.i64, kWeightsMagic));
  fields.push_back(array ? static_cast<Constant *>(array) : null);
  fields.push_back(baked ? mb.cstring(baked->file) : null);
  fields.push_back(ConstantInt::get(mb.i64, baked ? baked->epoch : -1));
  fields.push_back(ConstantInt::get(mb.i32, classes ? baked->classes.size() : 0));
  fields.push_back(classes ? static_cast<Constant *>(classes) : null);
}

void ModuleBuilder::emitRuntimeGlue(const Program &program, const MorphismFunctions &fns) {
  Glue(*this, program, fns).emit();
}

} // namespace cat
