//===- Calibrate.cpp - Activation ranges for int8 quantization -----------===//
//
// An executable's `quantize` command (runtime/quantize.c) turns float
// weights into int8 ones, and needs the range of the values that go into
// and come out of every dense layer on calibration data. The executable's
// model gets, for that,
//   void p_m_calibrate(const float *params, <A>, <B>, float *ranges,
//                      size_t n, void *ws);
// the forward map's kernel graph (so the same workspace suffices) with,
// after each dense product (`linear`, with the bias and ReLU that the AD
// phase fused into it), the running minimum and maximum of its input and
// of its output: ranges[4l, 4l + 1] and ranges[4l + 2, 4l + 3] for layer l,
// and the table of those layers (cat_quant_layer of catrt.h).
//
//===----------------------------------------------------------------------===//
#include "CodeGen/ModuleBuilder.h"
#include "CodeGen/kernels/catk.h"

namespace cat {

using namespace llvm;

Calibration ModuleBuilder::emitCalibration(const MorphismFunctions &fns) {
  Calibration out;
  ir::ParamLayout layout; // the morphism's tensors first, as in fns.layout
  ir::Function fn = ir::lowerMorphism(*fns.instance, layout);
  ad::Graph g = ad::buildGraph(ad::FunctionKind::Forward, fn, nullptr, layout, false);
  size_t nIn = fns.instance->dom.flatten().size(), nOut = fns.instance->cod.flatten().size();
  std::vector<Type *> types(1 + nIn + nOut + 1, ptrTy);
  types.push_back(sizeTy);
  types.push_back(ptrTy);
  out.function = declare(fns.symbol + "_calibrate", b.getVoidTy(), types, false);
  b.SetInsertPoint(BasicBlock::Create(ctx, "entry", out.function));
  GraphEnv env;
  auto it = out.function->arg_begin();
  env.params = &*it++;
  for (size_t i = 0; i < nIn; ++i)
    env.inputs.push_back(&*it++);
  for (size_t i = 0; i < nOut; ++i)
    env.outputs.push_back(&*it++);
  Value *ranges = &*it++;
  env.n = batchArg(&*it++);
  env.ws = &*it++;
  WorkspacePlan p = plan(g);

  auto tensorAt = [&](const ad::KArg &a) -> int32_t {
    if (a.kind != ad::KArg::Kind::Param)
      return -1;
    for (size_t t = 0; t < fns.layout.tensors.size(); ++t)
      if (fns.layout.tensors[t].offset == a.offset)
        return static_cast<int32_t>(t);
    return -1;
  };
  auto rows = [&](const ad::KArg &a) {
    return b.CreateAdd(b.CreateMul(env.n, ConstantInt::get(idxTy, a.scale)), ConstantInt::get(idxTy, a.offset));
  };
  auto minmax = [&](ad::ValueId v, Value *count, int64_t slot) {
    b.CreateCall(kernel("cat_k_minmax"),
                 {pointerOf(v, g, p, env), count, b.CreateConstGEP1_64(f32, ranges, 2 * slot)});
  };
  std::vector<Constant *> layers;
  StructType *layerTy = StructType::get(ctx, {i32, i32, i32, i32, i32});
  for (size_t c = 0; c < g.calls.size(); ++c) {
    emitCalls(g, c, c + 1, p, env);
    const ad::KernelCall &call = g.calls[c];
    // (W, bias, x, y, rows, m, k, act, scratch, tile): catk.h.
    if (call.kernel != "cat_k_linear_fwd" || tensorAt(call.args[0]) < 0)
      continue;
    const std::vector<ad::KArg> &a = call.args;
    int64_t m = a[5].offset, k = a[6].offset;
    Value *n = rows(a[4]);
    int64_t slot = 2 * static_cast<int64_t>(layers.size());
    minmax(a[2].value, b.CreateMul(n, ConstantInt::get(idxTy, k)), slot);
    minmax(a[3].value, b.CreateMul(n, ConstantInt::get(idxTy, m)), slot + 1);
    auto i32c = [&](int64_t v) { return ConstantInt::get(i32, v); };
    layers.push_back(ConstantStruct::get(
        layerTy, {i32c(tensorAt(a[0])), i32c(tensorAt(a[1])), i32c(a[7].offset == CATK_ACT_RELU), i32c(k), i32c(m)}));
  }
  b.CreateRetVoid();
  out.count = static_cast<int32_t>(layers.size());
  if (!layers.empty()) {
    auto *arrayTy = ArrayType::get(layerTy, layers.size());
    out.layers = new GlobalVariable(*module, arrayTy, true, GlobalValue::InternalLinkage,
                                    ConstantArray::get(arrayTy, layers), fns.symbol + "_quant_layers");
  }
  return out;
}

} // namespace cat
