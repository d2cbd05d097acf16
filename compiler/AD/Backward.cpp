//===- Backward.cpp - Reverse derivatives by structural recursion --------===//
//
// The rules of AD.md, one case each. For composites the chain rule is
// functoriality: R[f ; g] runs R[g] then R[f]; R[f * g] splits the output
// gradient between the factors; R[<f, g>] adds the branches' input
// gradients (the dual of copy is add); R[map(f)] is map(R[f]), with
// parameter gradients summed over positions by the batched kernels. Zero
// gradients are tracked symbolically (kZero) so `drop` and projections
// cost nothing, and no code runs for wires that need no gradient (data,
// Fin factors, subterms without parameters).
//
//===----------------------------------------------------------------------===//
#include "AD/Builder.h"

#include "llvm/Support/ErrorHandling.h"

namespace cat::ad {

/// Pointwise reverse derivatives computed from the output alone.
static bool readsOnlyOutput(PrimOp op) {
  return op == PrimOp::Relu || op == PrimOp::Sigmoid || op == PrimOp::Tanh || op == PrimOp::Exp ||
         op == PrimOp::Sqrt;
}

static bool allZero(const Wires &w) {
  for (ValueId v : w)
    if (v != kZero)
      return false;
  return true;
}

ValueId Builder::sum(ValueId a, ValueId b) {
  if (a == kZero)
    return b;
  if (b == kZero)
    return a;
  // A copy, not a reference: g.add may reallocate the value table.
  const ValueInfo info = g.values[a];
  ValueId c = g.add(info.type, info.mult);
  g.values[c].needsGrad = true;
  g.call("cat_k_add_fwd", {KArg::val(a), KArg::val(b), KArg::val(c), KArg::rows(info.elementsPerN())});
  return c;
}

Wires Builder::backward(const ir::Node &n, const Wires &dOut, int64_t mult) {
  const Seen &s = seen.at(&n);
  if (allZero(dOut))
    return Wires(s.in.size(), kZero);
  switch (n.kind) {
  case ir::Node::Kind::Prim:
    return backwardPrim(n, s.in, s.out, dOut, mult);
  case ir::Node::Kind::Seq: {
    Wires d = dOut;
    for (auto it = n.children.rbegin(); it != n.children.rend(); ++it)
      d = backward(**it, d, mult);
    return d;
  }
  case ir::Node::Kind::Par: {
    Wires dIn;
    size_t at = 0;
    for (const auto &c : n.children) {
      size_t k = c->numOutputs();
      Wires part(dOut.begin() + static_cast<long>(at), dOut.begin() + static_cast<long>(at + k));
      Wires res = backward(*c, part, mult);
      dIn.insert(dIn.end(), res.begin(), res.end());
      at += k;
    }
    return dIn;
  }
  case ir::Node::Kind::Fork: {
    Wires dIn(s.in.size(), kZero);
    size_t at = 0;
    for (const auto &c : n.children) {
      size_t k = c->numOutputs();
      Wires part(dOut.begin() + static_cast<long>(at), dOut.begin() + static_cast<long>(at + k));
      Wires res = backward(*c, part, mult);
      for (size_t i = 0; i < dIn.size(); ++i)
        dIn[i] = sum(dIn[i], res[i]);
      at += k;
    }
    return dIn;
  }
  case ir::Node::Kind::Map: {
    const ir::Node &body = *n.children[0];
    Wires inner = reinterpret(dOut, body.cod, mult * n.mapCount);
    Wires res = backward(body, inner, mult * n.mapCount);
    return reinterpret(res, n.dom, mult);
  }
  }
  return {};
}

Wires Builder::backwardPrim(const ir::Node &n, const Wires &in, const Wires &out,
                            const Wires &dOut, int64_t mult) {
  std::vector<Obj> domFlat = n.dom.flatten();
  Wires dIn(in.size(), kZero);
  auto rows = KArg::rows(mult);
  auto count = [&](const Obj &o) { return KArg::rows(mult * o.numElements()); };
  auto grad = [&](size_t i) { // a fresh gradient for input i, or none
    return needsGrad(in[i]) ? (dIn[i] = result(domFlat[i], mult, {}, true)) : kZero;
  };
  auto ptr = [](ValueId v) { return v == kZero ? KArg::null() : KArg::val(v); };
  auto param = [&](int i) { return KArg::param(layout.tensors[n.params[i]].offset); };
  auto dparam = [&](int i) {
    g.usesGrads = true;
    return KArg::grad(layout.tensors[n.params[i]].offset);
  };
  auto dy = [&](size_t i = 0) { return dOut[i]; };
  // Materialises a zero gradient where a kernel needs a real one.
  auto dense = [&](ValueId d, const Obj &type) {
    if (d != kZero)
      return d;
    ValueId z = result(type, mult, {}, true);
    g.call("cat_k_zero", {KArg::val(z), count(type)});
    return z;
  };
  auto lastDim = [](const Obj &o) { return o.shape.empty() ? int64_t(1) : o.shape.back(); };
  const Obj &cod = n.cod;

  if (auto wiring = ir::structuralWiring(n)) {
    // The transpose of the wiring; fan-in adds (R[copy] = add, R[drop] = 0).
    for (size_t j = 0; j < wiring->size(); ++j)
      dIn[(*wiring)[j]] = sum(dIn[(*wiring)[j]], dOut[j]);
    return dIn;
  }
  switch (n.op) {
  case PrimOp::Id: case PrimOp::Copy: case PrimOp::Drop: case PrimOp::Fst:
  case PrimOp::Snd: case PrimOp::Pi: case PrimOp::Swap:
    llvm_unreachable("structural boxes are wirings, handled above");
  case PrimOp::Add:
    dIn[0] = needsGrad(in[0]) ? dy() : kZero;
    dIn[1] = needsGrad(in[1]) ? dy() : kZero;
    return dIn;
  case PrimOp::Sub:
    dIn[0] = needsGrad(in[0]) ? dy() : kZero;
    if (ValueId d = grad(1); d != kZero)
      g.call("cat_k_neg_fwd", {KArg::val(dy()), KArg::val(d), count(cod)});
    return dIn;
  case PrimOp::Mul: case PrimOp::Div: {
    ValueId da = grad(0), db = grad(1);
    if (da != kZero || db != kZero)
      g.call(n.op == PrimOp::Mul ? "cat_k_mul_bwd" : "cat_k_div_bwd",
             {KArg::val(in[0]), KArg::val(in[1]), KArg::val(dy()), ptr(da), ptr(db), count(cod)});
    return dIn;
  }
  case PrimOp::Neg:
    if (ValueId d = grad(0); d != kZero)
      g.call("cat_k_neg_fwd", {KArg::val(dy()), KArg::val(d), count(cod)});
    return dIn;
  case PrimOp::Scale:
    if (ValueId d = grad(0); d != kZero)
      g.call("cat_k_scale_fwd", {KArg::val(dy()), KArg::val(d), count(cod), KArg::f32(n.attrs.constant)});
    return dIn;
  case PrimOp::Dropout:
    // Linear in x with the step's mask D: the reverse derivative is D again,
    // the same kernel on the same stream.
    if (!training || n.attrs.constant == 0) {
      dIn[0] = needsGrad(in[0]) ? dy() : kZero;
      return dIn;
    }
    if (ValueId d = grad(0); d != kZero)
      g.call("cat_k_dropout", {KArg::val(dy()), KArg::val(d), count(cod), KArg::f32(n.attrs.constant),
                               KArg::dropoutStream(dropoutStreams.at(&n))});
    return dIn;
  case PrimOp::Exp: case PrimOp::Log: case PrimOp::Sqrt: case PrimOp::Square:
  case PrimOp::Relu: case PrimOp::Sigmoid: case PrimOp::Tanh: case PrimOp::Gelu:
    // Kernels that need only f(x) get no x (relu reads y > 0, sigmoid and
    // tanh their y): x then need not be kept, so a fused epilogue can skip it.
    if (ValueId d = grad(0); d != kZero)
      g.call(std::string("cat_k_") + primName(n.op) + "_bwd",
             {readsOnlyOutput(n.op) ? KArg::null() : KArg::val(in[0]), KArg::val(out[0]), KArg::val(dy()),
              KArg::val(d), count(cod)});
    return dIn;
  case PrimOp::Zero: case PrimOp::Const:
    return dIn;
  case PrimOp::Sum: case PrimOp::Mean:
    for (size_t i = 0; i < in.size(); ++i) {
      if (dOut[i] == kZero || grad(i) == kZero)
        continue;
      int64_t len = domFlat[i].shape[0];
      g.call("cat_k_broadcast_fwd", {KArg::val(dOut[i]), KArg::val(dIn[i]), rows, KArg::constant(len),
                                     KArg::constant(cod.flatten()[i].numElements()),
                                     KArg::f32(n.op == PrimOp::Mean ? 1.0 / len : 1.0)});
    }
    return dIn;
  case PrimOp::Broadcast:
    for (size_t i = 0; i < in.size(); ++i) {
      if (dOut[i] == kZero || grad(i) == kZero)
        continue;
      g.call("cat_k_reduce_fwd", {KArg::val(dOut[i]), KArg::val(dIn[i]), rows,
                                  KArg::constant(cod.flatten()[i].shape[0]),
                                  KArg::constant(domFlat[i].numElements()), KArg::f32(1)});
    }
    return dIn;
  case PrimOp::Dot: {
    ValueId da = grad(0), db = grad(1);
    if (da != kZero || db != kZero)
      g.call("cat_k_dot_bwd", {KArg::val(in[0]), KArg::val(in[1]), KArg::val(dy()), ptr(da), ptr(db),
                               rows, KArg::constant(domFlat[0].shape[0])});
    return dIn;
  }
  case PrimOp::Matmul: {
    ValueId da = grad(0), db = grad(1);
    if (da != kZero || db != kZero)
      g.call("cat_k_matmul_bwd", {KArg::val(in[0]), KArg::val(in[1]), KArg::val(dy()), ptr(da), ptr(db),
                                  rows, KArg::constant(domFlat[0].shape[0]),
                                  KArg::constant(domFlat[0].shape[1]), KArg::constant(domFlat[1].shape[1]),
                                  KArg::scratch(), KArg::tile()});
    return dIn;
  }
  case PrimOp::Transpose:
    if (ValueId d = grad(0); d != kZero)
      g.call("cat_k_transpose", {KArg::val(dy()), KArg::val(d), rows, KArg::constant(cod.shape[0]),
                                 KArg::constant(cod.shape[1])});
    return dIn;
  case PrimOp::Reshape:
    return needsGrad(in[0]) ? reinterpret(dOut, n.dom, mult) : dIn;
  case PrimOp::Concat: {
    ValueId da = grad(0), db = grad(1);
    if (da != kZero || db != kZero)
      g.call("cat_k_split", {KArg::val(dy()), ptr(da), ptr(db), rows, KArg::constant(domFlat[0].shape[0]),
                             KArg::constant(domFlat[1].shape[0])});
    return dIn;
  }
  case PrimOp::Softmax: case PrimOp::LogSoftmax:
    if (ValueId d = grad(0); d != kZero)
      g.call(n.op == PrimOp::Softmax ? "cat_k_softmax_bwd" : "cat_k_log_softmax_bwd",
             {KArg::val(out[0]), KArg::val(dy()), KArg::val(d), rows, KArg::constant(cod.shape[0])});
    return dIn;
  case PrimOp::CausalMask:
    if (ValueId d = grad(0); d != kZero)
      g.call("cat_k_causal_mask_bwd", {KArg::val(dy()), KArg::val(d), rows, KArg::constant(cod.shape[0])});
    return dIn;
  case PrimOp::Param: {
    std::vector<Obj> codFlat = cod.flatten();
    for (size_t i = 0; i < codFlat.size(); ++i)
      if (dOut[i] != kZero)
        g.call("cat_k_sum_batch_acc", {KArg::val(dOut[i]), dparam(static_cast<int>(i)), rows,
                                       KArg::constant(codFlat[i].numElements()), KArg::accumulate(),
                                       KArg::update()});
    return dIn;
  }
  case PrimOp::Linear: {
    ValueId dx = grad(0);
    g.call("cat_k_linear_bwd", {param(0), KArg::val(in[0]), KArg::val(dy()), dparam(0), ptr(dx), rows,
                                KArg::constant(cod.shape[0]), KArg::constant(n.dom.shape[0]), KArg::scratch(),
                                KArg::tile(), KArg::accumulate(), KArg::update()});
    return dIn;
  }
  case PrimOp::Bias:
    g.call("cat_k_sum_batch_acc",
           {KArg::val(dy()), dparam(0), rows, KArg::constant(cod.numElements()), KArg::accumulate(),
            KArg::update()});
    dIn[0] = needsGrad(in[0]) ? dy() : kZero;
    return dIn;
  case PrimOp::Embed:
    g.call("cat_k_embed_bwd", {KArg::val(in[0]), KArg::val(dy()), dparam(0), count(n.dom),
                               KArg::constant(n.dom.classes), KArg::constant(lastDim(cod))});
    return dIn;
  case PrimOp::Layernorm: {
    ValueId dx = grad(0);
    int64_t k = lastDim(cod);
    g.call("cat_k_layernorm_bwd", {param(0), KArg::val(in[0]), KArg::val(dy()), dparam(0), dparam(1),
                                   ptr(dx), KArg::rows(mult * cod.numElements() / k), KArg::constant(k),
                                   KArg::accumulate()});
    return dIn;
  }
  case PrimOp::Mse: case PrimOp::Bce: {
    ValueId da = grad(0), db = grad(1);
    if (da != kZero || db != kZero)
      g.call(std::string("cat_k_") + primName(n.op) + "_bwd",
             {KArg::val(in[0]), KArg::val(in[1]), KArg::val(dense(dy(), cod)), ptr(da), ptr(db), rows,
              KArg::constant(domFlat[0].numElements())});
    return dIn;
  }
  case PrimOp::CrossEntropy:
    if (ValueId dz = grad(0); dz != kZero)
      g.call("cat_k_cross_entropy_bwd", {KArg::val(in[0]), KArg::val(in[1]), KArg::val(dy()),
                                         KArg::val(dz), rows, KArg::constant(domFlat[0].numElements())});
    return dIn;
  }
  return dIn;
}

} // namespace cat::ad
