//===- Forward.cpp - Forward maps of the diagram as kernel calls ---------===//
//
// Structural recursion over the diagram: a sequence threads wires through
// its boxes, a parallel box splits its wires among its factors, a fan-out
// feeds the same wires to every branch, and `map` reinterprets its wires
// `A^n` as n times as many rows of `A` (the functor (-)^n is a change of
// batch). Structural boxes (id, copy, drop, projections, swap) only
// rearrange wires and emit no code. The wires each box saw are recorded
// for the backward pass.
//
//===----------------------------------------------------------------------===//
#include "AD/Builder.h"

#include "llvm/Support/ErrorHandling.h"

namespace cat::ad {

Wires Builder::forward(const ir::Node &n, const Wires &in, int64_t mult) {
  Wires out;
  switch (n.kind) {
  case ir::Node::Kind::Prim:
    out = forwardPrim(n, in, mult);
    break;
  case ir::Node::Kind::Seq:
    out = in;
    for (const auto &c : n.children)
      out = forward(*c, out, mult);
    break;
  case ir::Node::Kind::Par: {
    size_t at = 0;
    for (const auto &c : n.children) {
      size_t k = c->numInputs();
      Wires part(in.begin() + static_cast<long>(at), in.begin() + static_cast<long>(at + k));
      Wires res = forward(*c, part, mult);
      out.insert(out.end(), res.begin(), res.end());
      at += k;
    }
    break;
  }
  case ir::Node::Kind::Fork:
    for (const auto &c : n.children) {
      Wires res = forward(*c, in, mult);
      out.insert(out.end(), res.begin(), res.end());
    }
    break;
  case ir::Node::Kind::Map: {
    const ir::Node &body = *n.children[0];
    Wires inner = reinterpret(in, body.dom, mult * n.mapCount);
    Wires res = forward(body, inner, mult * n.mapCount);
    out = reinterpret(res, n.cod, mult);
    break;
  }
  }
  seen[&n] = {in, out};
  return out;
}

Wires Builder::reinterpret(const Wires &wires, const Obj &type, int64_t mult) {
  std::vector<Obj> flat = type.flatten();
  Wires out;
  for (size_t i = 0; i < wires.size(); ++i) {
    if (wires[i] == kZero) {
      out.push_back(kZero);
      continue;
    }
    ValueId a = g.alias(wires[i], flat[i], mult);
    g.values[a].needsGrad = g.values[wires[i]].needsGrad;
    out.push_back(a);
  }
  return out;
}

ValueId Builder::result(const Obj &type, int64_t mult, const Wires &from, bool usesParams) {
  ValueId v = g.add(type, mult);
  bool needs = usesParams;
  for (ValueId w : from)
    needs |= w != kZero && g.values[w].needsGrad;
  g.values[v].needsGrad = needs;
  return v;
}

Wires Builder::forwardPrim(const ir::Node &n, const Wires &in, int64_t mult) {
  const Obj &cod = n.cod;
  std::vector<Obj> codFlat = cod.flatten();
  auto count = [&](const Obj &o) { return KArg::rows(mult * o.numElements()); };
  auto rows = KArg::rows(mult);
  auto out1 = [&](bool params = false) { return result(codFlat[0], mult, in, params); };
  auto param = [&](int i) { return KArg::param(layout.tensors[n.params[i]].offset); };
  auto lastDim = [](const Obj &o) { return o.shape.empty() ? int64_t(1) : o.shape.back(); };

  if (auto wiring = ir::structuralWiring(n))
    return ir::rewire(*wiring, in);
  switch (n.op) {
  case PrimOp::Id: case PrimOp::Copy: case PrimOp::Drop: case PrimOp::Fst:
  case PrimOp::Snd: case PrimOp::Pi: case PrimOp::Swap:
    llvm_unreachable("structural boxes are wirings, handled above");
  case PrimOp::Add: case PrimOp::Sub: case PrimOp::Mul: case PrimOp::Div: {
    ValueId y = out1();
    g.call(std::string("cat_k_") + primName(n.op) + "_fwd",
           {KArg::val(in[0]), KArg::val(in[1]), KArg::val(y), count(cod)});
    return {y};
  }
  case PrimOp::Neg: case PrimOp::Exp: case PrimOp::Log: case PrimOp::Sqrt:
  case PrimOp::Square: case PrimOp::Relu: case PrimOp::Sigmoid: case PrimOp::Tanh:
  case PrimOp::Gelu: {
    ValueId y = out1();
    g.call(std::string("cat_k_") + primName(n.op) + "_fwd",
           {KArg::val(in[0]), KArg::val(y), count(cod)});
    return {y};
  }
  case PrimOp::Scale: {
    ValueId y = out1();
    g.call("cat_k_scale_fwd", {KArg::val(in[0]), KArg::val(y), count(cod), KArg::f32(n.attrs.constant)});
    return {y};
  }
  case PrimOp::Dropout: {
    if (!training || n.attrs.constant == 0)
      return in;
    int64_t stream = dropoutStreams.emplace(&n, dropoutStreams.size()).first->second;
    ValueId y = out1();
    g.call("cat_k_dropout", {KArg::val(in[0]), KArg::val(y), count(cod), KArg::f32(n.attrs.constant),
                             KArg::dropoutStream(stream)});
    return {y};
  }
  case PrimOp::Zero: case PrimOp::Const: {
    ValueId y = out1();
    g.call("cat_k_fill", {KArg::val(y), count(cod), KArg::f32(n.op == PrimOp::Zero ? 0 : n.attrs.constant)});
    return {y};
  }
  case PrimOp::Sum: case PrimOp::Mean: {
    Wires out;
    std::vector<Obj> domFlat = n.dom.flatten();
    for (size_t i = 0; i < in.size(); ++i) {
      int64_t len = domFlat[i].shape[0];
      ValueId y = result(codFlat[i], mult, {in[i]}, false);
      g.call("cat_k_reduce_fwd", {KArg::val(in[i]), KArg::val(y), rows, KArg::constant(len),
                                  KArg::constant(codFlat[i].numElements()),
                                  KArg::f32(n.op == PrimOp::Mean ? 1.0 / len : 1.0)});
      out.push_back(y);
    }
    return out;
  }
  case PrimOp::Broadcast: {
    Wires out;
    for (size_t i = 0; i < in.size(); ++i) {
      ValueId y = result(codFlat[i], mult, {in[i]}, false);
      g.call("cat_k_broadcast_fwd", {KArg::val(in[i]), KArg::val(y), rows,
                                     KArg::constant(codFlat[i].shape[0]),
                                     KArg::constant(g.values[in[i]].type.numElements()), KArg::f32(1)});
      out.push_back(y);
    }
    return out;
  }
  case PrimOp::Dot: {
    ValueId y = out1();
    g.call("cat_k_dot_fwd", {KArg::val(in[0]), KArg::val(in[1]), KArg::val(y), rows,
                             KArg::constant(n.dom.factors[0].shape[0])});
    return {y};
  }
  case PrimOp::Matmul: {
    ValueId y = out1();
    const Obj &a = n.dom.factors[0], &b = n.dom.factors[1];
    g.call("cat_k_matmul_fwd", {KArg::val(in[0]), KArg::val(in[1]), KArg::val(y), rows,
                                KArg::constant(a.shape[0]), KArg::constant(a.shape[1]),
                                KArg::constant(b.shape[1]), KArg::tile()});
    return {y};
  }
  case PrimOp::Transpose: {
    ValueId y = out1();
    g.call("cat_k_transpose", {KArg::val(in[0]), KArg::val(y), rows, KArg::constant(n.dom.shape[0]),
                               KArg::constant(n.dom.shape[1])});
    return {y};
  }
  case PrimOp::Reshape:
    return reinterpret(in, cod, mult);
  case PrimOp::Concat: {
    ValueId y = out1();
    g.call("cat_k_concat_fwd", {KArg::val(in[0]), KArg::val(in[1]), KArg::val(y), rows,
                                KArg::constant(n.dom.factors[0].shape[0]),
                                KArg::constant(n.dom.factors[1].shape[0])});
    return {y};
  }
  case PrimOp::Softmax: case PrimOp::LogSoftmax: {
    ValueId y = out1();
    g.call(n.op == PrimOp::Softmax ? "cat_k_softmax_fwd" : "cat_k_log_softmax_fwd",
           {KArg::val(in[0]), KArg::val(y), rows, KArg::constant(cod.shape[0])});
    return {y};
  }
  case PrimOp::CausalMask: {
    ValueId y = out1();
    g.call("cat_k_causal_mask_fwd", {KArg::val(in[0]), KArg::val(y), rows, KArg::constant(cod.shape[0])});
    return {y};
  }
  case PrimOp::Param: {
    Wires out;
    for (size_t i = 0; i < codFlat.size(); ++i) {
      ValueId y = result(codFlat[i], mult, {}, true);
      g.call("cat_k_param_fwd", {param(static_cast<int>(i)), KArg::val(y), rows,
                                 KArg::constant(codFlat[i].numElements())});
      out.push_back(y);
    }
    return out;
  }
  case PrimOp::Linear: {
    ValueId y = out1(true);
    // No bias and no activation yet: fuseEpilogues folds a following
    // `bias ; relu` into this call when nothing else reads the values between.
    g.call("cat_k_linear_fwd", {param(0), KArg::null(), KArg::val(in[0]), KArg::val(y), rows,
                                KArg::constant(cod.shape[0]), KArg::constant(n.dom.shape[0]),
                                KArg::i32(CATK_ACT_NONE), KArg::scratch(), KArg::tile()});
    return {y};
  }
  case PrimOp::Bias: {
    ValueId y = out1(true);
    g.call("cat_k_bias_fwd", {param(0), KArg::val(in[0]), KArg::val(y), rows, KArg::constant(cod.numElements())});
    return {y};
  }
  case PrimOp::Embed: {
    ValueId y = out1(true);
    g.call("cat_k_embed_fwd", {param(0), KArg::val(in[0]), KArg::val(y), count(n.dom),
                               KArg::constant(n.dom.classes), KArg::constant(lastDim(cod))});
    return {y};
  }
  case PrimOp::Layernorm: {
    ValueId y = out1(true);
    int64_t k = lastDim(cod);
    g.call("cat_k_layernorm_fwd", {param(0), param(1), KArg::val(in[0]), KArg::val(y),
                                   KArg::rows(mult * cod.numElements() / k), KArg::constant(k)});
    return {y};
  }
  case PrimOp::Mse: case PrimOp::Bce: case PrimOp::CrossEntropy: {
    ValueId y = out1();
    g.call(std::string("cat_k_") + primName(n.op) + "_fwd",
           {KArg::val(in[0]), KArg::val(in[1]), KArg::val(y), rows,
            KArg::constant(n.dom.factors[0].numElements())});
    return {y};
  }
  }
  return {};
}

} // namespace cat::ad
