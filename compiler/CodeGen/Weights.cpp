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
// int8 weights (`quantize`'s file, docs/quantization.md) make m's
// `p_m_predict` a function of its own: the forward kernel graph, with each
// dense layer that has int8 weights run on integers (cat_k_qlinear_fwd,
// the weights and requantization constants in read-only arrays). A value
// is quantized where a layer needs it in int8 and its int8 copy is not
// already at hand, and dequantized where something other than such a layer
// reads it, so that chains of dense layers stay in int8 and every other
// kernel runs as before on floats. The float array then holds the
// dequantized weights, for those kernels and the other entry points.
//
//===----------------------------------------------------------------------===//
#include "CodeGen/Weights.h"
#include "CodeGen/kernels/catk.h"

#include <cmath>
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

const QuantizedLayer *BakedWeights::int8Layer(const ad::KernelCall &call) const {
  if (call.kernel != "cat_k_linear_fwd" || call.args[0].kind != ad::KArg::Kind::Param || call.args[4].offset != 0)
    return nullptr;
  for (const QuantizedLayer &q : int8)
    if (q.weightOffset == call.args[0].offset)
      return &q;
  return nullptr;
}

/// A constant array of \p values, internal (its own section where the
/// target puts data in sections).
template <typename T>
static GlobalVariable *constantArray(ModuleBuilder &mb, ArrayRef<T> values, const Twine &name) {
  Constant *init = ConstantDataArray::get(mb.ctx, values);
  auto *g = new GlobalVariable(*mb.module, init->getType(), true, GlobalValue::InternalLinkage, init, name);
  g->setAlignment(Align(4));
  return g;
}

/// Whether (c * x) / scale is x / (scale / c) for every float x, so that a
/// scale folded into a quantization costs no multiplication: where c is a
/// power of two, c * x is exact and both quotients are the correctly rounded
/// c x / scale, if scale / c is exact too. Where c * x leaves the normal
/// range (overflows to infinity, or loses bits below 2^-126) the quotients
/// may differ, but a scale in [2^-100, 2^100] makes both saturate there, or
/// both round to 0: the same integers.
static bool dividesExactly(float c, float scale) {
  int exponent;
  float quotient = scale / c;
  return std::frexp(c, &exponent) == (c < 0 ? -0.5f : 0.5f) && std::isnormal(quotient) && quotient * c == scale &&
         scale >= 0x1p-100f && scale <= 0x1p100f;
}

namespace {
/// The int8 lowering of a morphism's kernel graphs (see the file comment).
class Int8Lowering {
public:
  Int8Lowering(ModuleBuilder &mb, const MorphismFunctions &f, const BakedWeights &weights)
      : mb(mb), b(mb.b), f(f), weights(weights) {}

  /// The function \p name computing the graph \p kind of the morphism
  /// (and of \p loss, for Evaluate) with its pointer arguments as the C
  /// interface's function of that kind takes them; without \p floats it
  /// takes the parameters first, else it runs on \p floats. Its workspace
  /// need goes to \p wsConst and \p wsPerN.
  Function *emit(const std::string &name, ad::FunctionKind kind, const MorphismInstance *loss,
                 GlobalVariable *floats, bool external, int64_t &wsConst, int64_t &wsPerN);

private:
  struct Tables {
    Constant *weights, *bias, *requant; ///< requant: catk_requant records
    int32_t inputZero;   ///< what the kernel subtracts from the input: 0 once folded into bias
    bool shiftsRight;    ///< every channel's shift is -2 or less
    bool pairLayout;     ///< pairs of weight rows interleaved by words (catk.h)
  };
  /// The layer's read-only arrays, made once for every function.
  const Tables &tablesOf(const QuantizedLayer &q);

  ModuleBuilder &mb;
  IRBuilder<> &b;
  const MorphismFunctions &f;
  const BakedWeights &weights;
  std::map<const QuantizedLayer *, Tables> tables;
};
} // namespace

const Int8Lowering::Tables &Int8Lowering::tablesOf(const QuantizedLayer &q) {
  auto it = tables.find(&q);
  if (it != tables.end())
    return it->second;
  std::string name = (f.symbol + "_int8_" + Twine(tables.size())).str();
  // sum_l (x[l] - zx) W[j][l] = sum_l x[l] W[j][l] - zx sum_l W[j][l]: the
  // second term is a constant, folded into the bias (as TFLite does), so
  // the inner loop does not subtract the zero point. The int32 sums are the
  // same integers, hence the same outputs, when the folded bias fits.
  std::vector<int32_t> bias = q.bias;
  int32_t inputZero = q.inputZero;
  size_t m = q.multiplier.size(), k = m ? q.weights.size() / m : 0;
  if (inputZero != 0) {
    std::vector<int32_t> folded(m);
    bool fits = true;
    for (size_t j = 0; j < m && fits; ++j) {
      int64_t sum = 0;
      for (size_t l = 0; l < k; ++l)
        sum += q.weights[j * k + l];
      int64_t value = (bias.empty() ? 0 : int64_t(bias[j])) - int64_t(inputZero) * sum;
      fits = value >= INT32_MIN && value <= INT32_MAX;
      folded[j] = static_cast<int32_t>(value);
    }
    if (fits) {
      bias = std::move(folded);
      inputZero = 0;
    }
  }
  Constant *biasArray = bias.empty() ? static_cast<Constant *>(ConstantPointerNull::get(cast<PointerType>(mb.ptrTy)))
                                     : constantArray(mb, ArrayRef<int32_t>(bias), name + "_bias");
  // catk_requant records: multiplier, shift and the rounding term of
  // quant.c's fast path for right shifts of 2 or more.
  std::vector<int32_t> requant;
  bool shiftsRight = true;
  for (size_t j = 0; j < q.multiplier.size(); ++j) {
    int32_t shift = q.shift[j];
    shiftsRight &= shift <= -2;
    requant.insert(requant.end(), {q.multiplier[j], shift, shift <= -2 ? int32_t(1) << (-shift - 2) : 0});
  }
  // ARM's DSP path reads two channels' rows together, a word of each per
  // step: side by side, the two words are one LDRD (catk.h's pair_layout).
  bool pairLayout = mb.opts.armDsp && inputZero == 0 && k % 4 == 0;
  std::vector<int8_t> weights = q.weights;
  if (pairLayout)
    for (size_t j = 0; j + 1 < m; j += 2)
      for (size_t l = 0; l < k; ++l)
        for (size_t row = 0; row < 2; ++row)
          weights[j * k + 2 * (l - l % 4) + 4 * row + l % 4] = q.weights[(j + row) * k + l];
  return tables[&q] = {constantArray(mb, ArrayRef<int8_t>(weights), name + "_weights"), biasArray,
                       constantArray(mb, ArrayRef<int32_t>(requant), name + "_requant"), inputZero,
                       shiftsRight, pairLayout};
}

Function *Int8Lowering::emit(const std::string &name, ad::FunctionKind kind, const MorphismInstance *loss,
                             GlobalVariable *floats, bool external, int64_t &wsConst, int64_t &wsPerN) {
  ir::ParamLayout layout;
  ir::Function fn = ir::lowerMorphism(*f.instance, layout);
  std::optional<ir::Function> lossFn;
  if (loss)
    lossFn = ir::lowerMorphism(*loss, layout); // after the morphism's, as in emitMorphism
  ad::Graph g = ad::buildGraph(kind, fn, lossFn ? &*lossFn : nullptr, layout, false);

  // Whether calls after \p c read \p storage as floats (other than as the
  // input of a quantized layer with the int8 form \p scale, \p zero), or
  // it is bound to an argument (an output).
  auto readAsFloat = [&](size_t c, ad::ValueId storage, float scale, int32_t zero) {
    if (g.values[storage].binding.kind != ad::Binding::Kind::Workspace)
      return true;
    for (size_t d = c + 1; d < g.calls.size(); ++d) {
      const ad::KernelCall &later = g.calls[d];
      const QuantizedLayer *q = weights.int8Layer(later);
      for (size_t i = 0; i < later.args.size(); ++i) {
        const ad::KArg &a = later.args[i];
        if (a.kind != ad::KArg::Kind::Value || g.storageOf(a.value) != storage)
          continue;
        if (!(q && i == 2 && q->inputScale == scale && q->inputZero == zero))
          return true;
      }
    }
    return false;
  };
  // A `scale` right before a quantized layer whose input it makes, and
  // that nothing else reads, is folded into the input's quantization
  // (digits' `scale(0.0625)`: a pass over the input fewer). The two calls
  // are adjacent, so the scale's own input is still there.
  auto scaledInput = [&](size_t c) -> const ad::KernelCall * {
    if (c == 0 || !weights.int8Layer(g.calls[c]))
      return nullptr;
    const ad::KernelCall &scale = g.calls[c - 1];
    ad::ValueId x = g.storageOf(g.calls[c].args[2].value);
    if (scale.kernel != "cat_k_scale_fwd" || g.storageOf(scale.args[1].value) != x ||
        g.values[x].binding.kind != ad::Binding::Kind::Workspace)
      return nullptr;
    for (size_t d = c + 1; d < g.calls.size(); ++d)
      for (const ad::KArg &a : g.calls[d].args)
        if (a.kind == ad::KArg::Kind::Value && g.storageOf(a.value) == x)
          return nullptr;
    return &scale;
  };

  // What each call becomes, decided before the workspace is planned: the
  // plan then holds only the values that exist as floats (what float
  // kernels read and write, what is quantized and dequantized), not the
  // float inputs and outputs of the layers that run on integers.
  struct Step {
    enum class Kind { Float, Folded, Int8 } kind = Kind::Float;
    const QuantizedLayer *layer = nullptr;
    bool quantizes = false;                // else the input's int8 copy is there already
    const ad::KernelCall *scale = nullptr; // a folded scale, applied while quantizing
    bool dequantizes = false;              // the output is also read as floats
  };
  std::vector<Step> steps(g.calls.size());
  std::map<ad::ValueId, std::pair<float, int32_t>> int8Form; // by storage: its int8 copy's scale, zero
  ad::Graph planned = g;
  planned.calls.clear();
  for (size_t c = 0; c < g.calls.size(); ++c) {
    const ad::KernelCall &call = g.calls[c];
    Step &step = steps[c];
    step.layer = weights.int8Layer(call);
    if (c + 1 < g.calls.size() && scaledInput(c + 1)) {
      step.kind = Step::Kind::Folded; // computed by the next layer's quantization
      continue;
    }
    if (!step.layer) {
      planned.calls.push_back(call);
      continue;
    }
    step.kind = Step::Kind::Int8;
    const QuantizedLayer &q = *step.layer;
    ad::ValueId x = g.storageOf(call.args[2].value), y = g.storageOf(call.args[3].value);
    auto have = int8Form.find(x);
    step.quantizes = have == int8Form.end() || have->second != std::pair(q.inputScale, q.inputZero);
    if (step.quantizes) {
      step.scale = scaledInput(c);
      planned.calls.push_back({"cat_k_quantize", {ad::KArg::val(step.scale ? step.scale->args[0].value : x)}});
    }
    int8Form[y] = {q.outputScale, q.outputZero};
    step.dequantizes = readAsFloat(c, y, q.outputScale, q.outputZero);
    if (step.dequantizes)
      planned.calls.push_back({"cat_k_dequantize", {ad::KArg::val(y)}});
  }
  WorkspacePlan p = mb.plan(planned);

  size_t nIn = f.instance->dom.flatten().size(), nOut = f.instance->cod.flatten().size();
  size_t nT = kind == ad::FunctionKind::Evaluate ? f.target.flatten().size() : 0;
  size_t pointers = (floats ? 0 : 1) + nIn + nT + nOut + (kind == ad::FunctionKind::Evaluate ? 1 : 0);
  std::vector<Type *> types(pointers, mb.ptrTy);
  types.push_back(mb.sizeTy);
  types.push_back(mb.ptrTy);
  Function *fun = mb.declare(name, b.getVoidTy(), types, external);
  b.SetInsertPoint(BasicBlock::Create(mb.ctx, "entry", fun));
  GraphEnv env;
  auto arg = fun->arg_begin();
  env.params = floats ? b.CreateConstInBoundsGEP1_64(mb.f32, floats, 0) : static_cast<Value *>(&*arg++);
  for (size_t i = 0; i < nIn; ++i)
    env.inputs.push_back(&*arg++);
  for (size_t i = 0; i < nT; ++i)
    env.targets.push_back(&*arg++);
  for (size_t i = 0; i < nOut; ++i)
    env.outputs.push_back(&*arg++);
  if (kind == ad::FunctionKind::Evaluate)
    env.losses = &*arg++;
  env.n = mb.batchArg(&*arg++);
  env.ws = &*arg++;

  // The int8 buffers follow the floats' workspace, one per quantized
  // value, none reused: a few bytes a row.
  int64_t floatPerN = (p.perN + 15) / 16 * 16, int8PerN = 0;
  auto int8Buffer = [&](int64_t perRow) {
    Value *at = b.CreateAdd(ConstantInt::get(mb.idxTy, p.scratchBytes),
                            b.CreateMul(env.n, ConstantInt::get(mb.idxTy, floatPerN + int8PerN)));
    int8PerN += (perRow + 15) / 16 * 16;
    return b.CreateGEP(b.getInt8Ty(), env.ws, at);
  };
  std::map<ad::ValueId, Value *> int8Data; // by storage: its int8 copy
  auto i32c = [&](int64_t v) { return ConstantInt::get(mb.i32, v); };
  auto idx = [&](int64_t v) { return ConstantInt::get(mb.idxTy, v); };
  for (size_t c = 0; c < g.calls.size(); ++c) {
    const Step &step = steps[c];
    if (step.kind == Step::Kind::Folded)
      continue;
    if (step.kind == Step::Kind::Float) {
      mb.emitCalls(g, c, c + 1, p, env);
      continue;
    }
    // (W, bias, x, y, rows, m, k, act, scratch, tile): catk.h.
    const QuantizedLayer &q = *step.layer;
    const std::vector<ad::KArg> &a = g.calls[c].args;
    int64_t rowsPerN = a[4].scale, m = a[5].offset, k = a[6].offset;
    bool relu = a[7].offset == CATK_ACT_RELU;
    ad::ValueId x = g.storageOf(a[2].value), y = g.storageOf(a[3].value);
    Value *rows = b.CreateMul(env.n, idx(rowsPerN));
    Value *xq = step.quantizes ? int8Buffer(rowsPerN * k) : int8Data.at(x);
    float c2 = step.scale ? float(step.scale->args[3].real) : 1.0f;
    if (step.scale && dividesExactly(c2, q.inputScale)) // one multiplication less, the same bits
      mb.callKernel(mb.kernel("cat_k_quantize"),
                    {mb.pointerOf(step.scale->args[0].value, g, p, env), xq, b.CreateMul(rows, idx(k)),
                     ConstantFP::get(mb.f32, q.inputScale / c2), i32c(q.inputZero)},
                    {false, false, false, true, true});
    else if (step.scale) // (x, y, count, c): catk.h.
      mb.callKernel(mb.kernel("cat_k_scale_quantize"),
                    {mb.pointerOf(step.scale->args[0].value, g, p, env), xq, b.CreateMul(rows, idx(k)),
                     ConstantFP::get(mb.f32, step.scale->args[3].real), ConstantFP::get(mb.f32, q.inputScale),
                     i32c(q.inputZero)},
                    {false, false, false, true, true, true});
    else if (step.quantizes)
      mb.callKernel(mb.kernel("cat_k_quantize"),
                    {mb.pointerOf(x, g, p, env), xq, b.CreateMul(rows, idx(k)), ConstantFP::get(mb.f32, q.inputScale),
                     i32c(q.inputZero)},
                    {false, false, false, true, true});
    Value *yq = int8Data[y] = int8Buffer(rowsPerN * m);
    const Tables &t = tablesOf(q);
    mb.callKernel(mb.kernel("cat_k_qlinear_fwd"),
                  {t.weights, t.bias, xq, yq, rows, idx(m), idx(k), i32c(t.inputZero), t.requant,
                   i32c(t.shiftsRight), i32c(t.pairLayout), i32c(q.outputZero), i32c(relu ? q.outputZero : -128),
                   i32c(127)},
                  {false, false, false, false, false, true, true, true, false, true, true, true, true, true});
    if (step.dequantizes)
      mb.callKernel(mb.kernel("cat_k_dequantize"),
                    {yq, mb.pointerOf(y, g, p, env), b.CreateMul(rows, idx(m)), ConstantFP::get(mb.f32, q.outputScale),
                     i32c(q.outputZero)},
                    {false, false, false, true, true});
  }
  b.CreateRetVoid();
  wsConst = p.scratchBytes;
  wsPerN = floatPerN + int8PerN;
  return fun;
}

BakedSymbols emitBakedWeights(ModuleBuilder &mb, std::vector<MorphismFunctions> &all, const Program &program,
                              const BakedWeights *weights) {
  BakedSymbols out;
  out.of.resize(all.size());
  if (!weights)
    return out;
  out.source = weights;
  MorphismFunctions *trained = nullptr;
  for (MorphismFunctions &f : all)
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
    out.of[i].wsConst = all[i].forwardWsConst;
    out.of[i].wsPerN = all[i].forwardWsPerN;
    if (&all[i] != trained || weights->int8.empty()) {
      out.of[i].predict = emitPredict(mb, all[i], array, *offset);
    } else {
      Int8Lowering int8(mb, all[i], *weights);
      out.of[i].int8 = true;
      out.of[i].predict = int8.emit(all[i].symbol + "_predict", ad::FunctionKind::Forward, nullptr, array, true,
                                    out.of[i].wsConst, out.of[i].wsPerN);
      // An executable's eval and predict run the baked weights on integers.
      if (mb.opts.executableGlue) {
        int64_t c = 0, perN = 0;
        int8.emit(all[i].symbol + "_forward.int8", ad::FunctionKind::Forward, nullptr, nullptr, false, c, perN);
        mb.growWorkspace(all[i], c, perN);
        if (program.train && program.train->model == all[i].instance) {
          int8.emit(all[i].symbol + "_evaluate.int8", ad::FunctionKind::Evaluate, program.train->loss.get(), nullptr,
                    false, c, perN);
          mb.growWorkspace(all[i], c, perN);
        }
      }
    }
    if (&all[i] != trained)
      continue;
    out.of[i].weights = array;
    if (!weights->classes.empty())
      out.of[i].classNames = emitClassNames(mb, trained->symbol, weights->classes);
  }
  return out;
}

} // namespace cat
