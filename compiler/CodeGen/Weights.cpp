//===- Weights.cpp - Trained weights baked into the object ---------------===//
//
// With `catc --weights W`, the weights the driver read from W (checked
// against the model: Driver/Weights.cpp) become one constant global,
//   extern const float p_m_weights[P];      /* in .rodata.p_m_weights */
// with m the morphism they were trained for. Being constant data in a
// section of its own, it stays in flash on a microcontroller, and
// --gc-sections keeps it only when something uses it. Each morphism whose
// parameters are a block of the baked array (m itself; an exported
// morphism that m uses as a named instance, such as an encoder, since a
// named instance's parameters are shared) gets
//   void p_e_predict(<A>, <B>, size_t n, void *workspace);
// which calls `p_e_forward` with the array (offset to the block): the model
// code exists once, whichever entry point a program uses.
//
//===----------------------------------------------------------------------===//
#include "CodeGen/Weights.h"

#include <map>
#include <optional>

namespace cat {

using namespace llvm;

ir::ParamLayout parameterLayout(const Program &program, const MorphismInstance &inst) {
  // As emitMorphism lowers them: the morphism, then the loss, into one layout.
  ir::ParamLayout layout;
  ir::lowerMorphism(inst, layout);
  if (program.train && program.train->model == &inst)
    ir::lowerMorphism(*program.train->loss, layout);
  return layout;
}

/// Where the parameters of \p own start in \p baked: when each of its
/// tensors is one of \p baked's (the same primitive occurrence) and all sit
/// at one distance from their place in \p own. A morphism without
/// parameters is a block at 0.
static std::optional<int64_t> blockIn(const ir::ParamLayout &baked, const ir::ParamLayout &own) {
  std::map<std::pair<const Term *, size_t>, int64_t> offsets;
  for (const ir::ParamTensor &t : baked.tensors)
    offsets[{t.owner, t.ownerIndex}] = t.offset;
  std::optional<int64_t> shift;
  for (const ir::ParamTensor &t : own.tensors) {
    auto it = offsets.find({t.owner, t.ownerIndex});
    if (!t.owner || it == offsets.end() || (shift && *shift != it->second - t.offset))
      return std::nullopt;
    shift = it->second - t.offset;
  }
  return shift.value_or(0);
}

/// `const char *const p_m_class_names[]`.
static GlobalVariable *emitClassNames(ModuleBuilder &mb, const std::string &sym,
                                      const std::vector<std::string> &classes) {
  std::vector<Constant *> names;
  for (const std::string &c : classes)
    names.push_back(mb.cstring(c));
  auto *ty = ArrayType::get(mb.ptrTy, names.size());
  return new GlobalVariable(*mb.module, ty, /*isConstant=*/true, GlobalValue::ExternalLinkage,
                            ConstantArray::get(ty, names), sym + "_class_names");
}

/// `p_m_predict`: `p_m_forward(weights + offset, <its arguments>)`.
static Function *emitPredict(ModuleBuilder &mb, const MorphismFunctions &f, GlobalVariable *weights,
                             int64_t offset) {
  size_t pointers = f.instance->dom.flatten().size() + f.instance->cod.flatten().size();
  std::vector<Type *> types(pointers, mb.ptrTy);
  types.push_back(mb.sizeTy);
  types.push_back(mb.ptrTy);
  Function *predict = mb.declare(f.symbol + "_predict", mb.b.getVoidTy(), types, true);
  mb.b.SetInsertPoint(BasicBlock::Create(mb.ctx, "entry", predict));
  std::vector<Value *> args = {mb.b.CreateConstInBoundsGEP1_64(mb.f32, weights, offset)};
  for (Argument &a : predict->args())
    args.push_back(&a);
  CallInst *call = mb.b.CreateCall(f.forward, args);
  // One copy of the model's code, reached from either entry point.
  call->setIsNoInline();
  call->setTailCall();
  mb.b.CreateRetVoid();
  return predict;
}

BakedSymbols emitBakedWeights(ModuleBuilder &mb, const std::vector<MorphismFunctions> &all,
                              const BakedWeights *weights) {
  BakedSymbols out;
  out.of.resize(all.size());
  if (!weights)
    return out;
  out.source = weights;
  const MorphismFunctions *trained = nullptr;
  for (const MorphismFunctions &f : all)
    if (f.instance == weights->morphism)
      trained = &f;
  if (!trained || trained->layout.hash() != weights->layoutHash ||
      static_cast<int64_t>(weights->bits.size()) != trained->layout.totalFloats)
    report_fatal_error("internal compiler error: the baked weights do not fit the generated layout");
  // Bit for bit, NaN payloads included: the floats as the checkpoint has them.
  Constant *values = ConstantDataArray::getFP(mb.f32, ArrayRef<uint32_t>(weights->bits));
  auto *array = new GlobalVariable(*mb.module, values->getType(), /*isConstant=*/true,
                                   GlobalValue::ExternalLinkage, values, trained->symbol + "_weights");
  array->setAlignment(Align(16));
  for (size_t i = 0; i < all.size(); ++i) {
    std::optional<int64_t> offset = blockIn(trained->layout, all[i].layout);
    if (&all[i] == trained)
      offset = 0;
    if (!offset)
      continue;
    out.of[i].offset = *offset;
    out.of[i].predict = emitPredict(mb, all[i], array, *offset);
    if (&all[i] != trained)
      continue;
    out.of[i].weights = array;
    if (!weights->classes.empty())
      out.of[i].classNames = emitClassNames(mb, trained->symbol, weights->classes);
  }
  return out;
}

} // namespace cat
