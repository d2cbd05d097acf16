//===- Graph.cpp - Assembling the generated functions --------------------===//
//
// Builds the kernel graph of each generated function from the forward and
// backward recursions:
//   forward:   inputs -> M -> outputs
//   backward:  forward, then R[M] from the caller's output gradients
//   evaluate:  forward, then the loss per example
//   loss_grad: forward, loss, batch mean, then R[loss] and R[M] seeded with
//              1/N per example (the derivative of the mean)
//   loss_grad_outputs: loss_grad whose forward outputs land in the caller's
//              buffers
// Function outputs that are not fresh workspace values (an input passed
// straight through, one value on two output wires, a zero gradient) are
// copied or zero-filled into the caller's buffer.
//
//===----------------------------------------------------------------------===//
#include "AD/Builder.h"

#include <algorithm>
#include <map>
#include <set>

namespace cat::ad {

ValueId Graph::add(const Obj &type, int64_t mult, Binding binding) {
  ValueInfo v;
  v.type = type;
  v.mult = mult;
  v.binding = binding;
  values.push_back(v);
  return static_cast<ValueId>(values.size() - 1);
}

ValueId Graph::alias(ValueId of, const Obj &type, int64_t mult) {
  Binding b;
  b.kind = Binding::Kind::Alias;
  b.aliasOf = storageOf(of);
  return add(type, mult, b);
}

ValueId Graph::storageOf(ValueId v) const {
  while (values[v].binding.kind == Binding::Kind::Alias)
    v = values[v].binding.aliasOf;
  return v;
}

namespace {
class FunctionBuilder {
public:
  FunctionBuilder(Graph &g, const ir::ParamLayout &layout, bool training)
      : g(g), builder(g, layout, training) {}

  /// One argument value per flattened factor of \p type.
  Wires bind(const Obj &type, Binding::Kind kind, bool needsGrad) {
    Wires out;
    int i = 0;
    for (const Obj &f : type.flatten()) {
      ValueId v = g.add(f, 1, Binding{kind, i++});
      g.values[v].needsGrad = needsGrad && f.isReal();
      out.push_back(v);
    }
    return out;
  }

  /// Stores \p wires into caller buffers of \p kind.
  void store(const Wires &wires, const Obj &type, Binding::Kind kind) {
    std::vector<Obj> flat = type.flatten();
    for (size_t i = 0; i < wires.size(); ++i) {
      ValueId dst = g.add(flat[i], 1, Binding{kind, static_cast<int>(i)});
      int64_t n = flat[i].numElements();
      if (wires[i] == kZero) {
        g.call("cat_k_zero", {KArg::val(dst), KArg::rows(n)});
        continue;
      }
      ValueId src = g.storageOf(wires[i]);
      if (g.values[src].binding.kind == Binding::Kind::Workspace && !redirected.count(src)) {
        // Redirect the producer's storage to the caller's buffer: no copy.
        g.values[src].binding = Binding{Binding::Kind::Alias, 0, dst};
        redirected.insert(src);
        continue;
      }
      g.call(flat[i].isFin() ? "cat_k_copy_i32" : "cat_k_copy",
             {KArg::val(wires[i]), KArg::val(dst), KArg::rows(n)});
    }
  }

  Graph &g;
  Builder builder;
  std::set<ValueId> redirected;
};
} // namespace

static bool hasDropout(const ir::Node &n) {
  if (n.kind == ir::Node::Kind::Prim)
    return n.op == PrimOp::Dropout && n.attrs.constant > 0;
  for (const auto &c : n.children)
    if (hasDropout(*c))
      return true;
  return false;
}

bool hasTrainingBehaviour(const ir::Function &fn) { return hasDropout(*fn.body); }

const ir::Node *lossHeadsNode(const ir::Function &loss) {
  const ir::Node *n = loss.body.get();
  while (n && n->kind == ir::Node::Kind::Seq && !n->children.empty())
    n = n->children.back().get();
  if (!n || n->kind != ir::Node::Kind::Prim || n->op != PrimOp::Add)
    return nullptr;
  std::vector<Obj> in = n->dom.flatten();
  return in.size() == 2 && in[0] == Obj::real({}) ? n : nullptr;
}

Graph buildGraph(FunctionKind kind, const ir::Function &model, const ir::Function *loss,
                 const ir::ParamLayout &layout, bool training) {
  Graph g;
  g.usesParams = true;
  FunctionBuilder fb(g, layout, training);
  Builder &b = fb.builder;
  bool differentiateInputs = kind == FunctionKind::Backward;
  Wires in = fb.bind(model.dom, Binding::Kind::Input, differentiateInputs);
  Wires out = b.forward(*model.body, in, 1);

  switch (kind) {
  case FunctionKind::Forward:
    fb.store(out, model.cod, Binding::Kind::Output);
    break;
  case FunctionKind::Backward: {
    Wires dOut = fb.bind(model.cod.tangent(), Binding::Kind::DOutput, false);
    // Fin output factors have no gradient argument: re-expand to all wires.
    Wires dOutAll;
    size_t next = 0;
    for (const Obj &f : model.cod.flatten())
      dOutAll.push_back(f.isFin() ? kZero : dOut[next++]);
    Wires dIn = b.backward(*model.body, dOutAll, 1);
    Wires dInReal;
    for (size_t i = 0; i < dIn.size(); ++i)
      if (!model.dom.flatten()[i].isFin())
        dInReal.push_back(dIn[i]);
    fb.store(dInReal, model.dom.tangent(), Binding::Kind::DInput);
    break;
  }
  case FunctionKind::Evaluate:
  case FunctionKind::LossGrad:
  case FunctionKind::LossGradOutputs:
  case FunctionKind::HeadLosses: {
    const Obj &targetType = loss->dom.factors[1];
    Wires targets = fb.bind(targetType, Binding::Kind::Target, false);
    Wires lossIn = out;
    lossIn.insert(lossIn.end(), targets.begin(), targets.end());
    Wires losses = b.forward(*loss->body, lossIn, 1);
    if (kind == FunctionKind::HeadLosses) {
      const ir::Node *heads = lossHeadsNode(*loss);
      fb.store(b.inputsOf(*heads), heads->dom, Binding::Kind::Output);
      break;
    }
    if (kind == FunctionKind::Evaluate) {
      fb.store(out, model.cod, Binding::Kind::Output);
      fb.store(losses, loss->cod, Binding::Kind::Losses);
      break;
    }
    // The outputs are computed anyway: store redirects their storage to
    // the caller's buffers, so reporting them costs no copy.
    if (kind == FunctionKind::LossGradOutputs)
      fb.store(out, model.cod, Binding::Kind::Output);
    g.calls.push_back({"cat_k_mean", {KArg::val(losses[0]), KArg::rows(1)}, true});
    ValueId seed = g.add(Obj::real({}), 1);
    g.values[seed].needsGrad = true;
    g.call("cat_k_fill", {KArg::val(seed), KArg::rows(1), KArg::invN()});
    Wires dLossIn = b.backward(*loss->body, {seed}, 1);
    Wires dOut(dLossIn.begin(), dLossIn.begin() + static_cast<long>(out.size()));
    b.backward(*model.body, dOut, 1);
    g.usesGrads = true;
    break;
  }
  }
  fuseEpilogues(g);
  if (kind == FunctionKind::LossGrad || kind == FunctionKind::LossGradOutputs)
    assignGradientWrites(g, layout);
  return g;
}

namespace {
/// The tensor of \p layout that holds the float at \p offset.
size_t tensorHolding(const ir::ParamLayout &layout, int64_t offset) {
  for (size_t t = 0; t < layout.tensors.size(); ++t)
    if (offset >= layout.tensors[t].offset && offset < layout.tensors[t].offset + layout.tensors[t].size)
      return t;
  return layout.tensors.size();
}

/// Lets the one kernel that writes a tensor's gradient apply a training
/// step's update to it (KArg::Update): valid when that kernel is the
/// tensor's only contribution, starts at its first float, and no later
/// kernel reads the parameter (the kernel itself reads it before updating).
/// A gradient that other contributions add to must be whole before the
/// update, and a later reader must see the parameter as it was.
void markUpdatesInKernels(Graph &g, const ir::ParamLayout &layout, bool whole) {
  size_t T = layout.tensors.size();
  std::vector<int> contributions(T, 0);
  std::vector<size_t> lastRead(T, 0), writer(T, g.calls.size());
  for (size_t c = 0; c < g.calls.size(); ++c)
    for (const KArg &a : g.calls[c].args) {
      size_t t = a.kind == KArg::Kind::Grad || a.kind == KArg::Kind::Param ? tensorHolding(layout, a.offset) : T;
      if (t == T)
        continue;
      if (a.kind == KArg::Kind::Param)
        lastRead[t] = c;
      else if (++contributions[t] == 1 && a.offset == layout.tensors[t].offset)
        writer[t] = c;
    }
  g.updatedInKernel.assign(T, false);
  for (size_t t = 0; t < T && whole; ++t) {
    size_t c = writer[t];
    if (contributions[t] != 1 || c == g.calls.size() || lastRead[t] > c)
      continue;
    for (KArg &a : g.calls[c].args)
      if (a.kind == KArg::Kind::Update) {
        a.offset = 1;
        g.updatedInKernel[t] = true;
      }
  }
}
} // namespace

void assignGradientWrites(Graph &g, const ir::ParamLayout &layout) {
  std::map<int64_t, size_t> tensorAt; // a tensor's first float -> its index
  for (size_t t = 0; t < layout.tensors.size(); ++t)
    tensorAt[layout.tensors[t].offset] = t;
  std::vector<bool> written(layout.tensors.size(), false), clear(layout.tensors.size(), false);
  bool whole = true; // every gradient pointer is the start of a tensor
  for (KernelCall &call : g.calls) {
    std::vector<size_t> touched;
    KArg *mode = nullptr;
    for (KArg &a : call.args) {
      if (a.kind == KArg::Kind::Accumulate)
        mode = &a;
      if (a.kind != KArg::Kind::Grad)
        continue;
      auto it = tensorAt.find(a.offset);
      if (it == tensorAt.end())
        whole = false;
      else
        touched.push_back(it->second);
    }
    bool first = mode && !touched.empty() &&
                 std::none_of(touched.begin(), touched.end(), [&](size_t t) { return written[t]; });
    if (mode && !first)
      *mode = KArg::i32(1);
    for (size_t t : touched) {
      clear[t] = clear[t] || (!written[t] && !first);
      written[t] = true;
    }
  }
  markUpdatesInKernels(g, layout, whole);
  std::vector<KernelCall> clears;
  if (!whole) { // add everywhere into a buffer cleared whole
    for (KernelCall &call : g.calls)
      for (KArg &a : call.args)
        if (a.kind == KArg::Kind::Accumulate)
          a = KArg::i32(1);
    clears.push_back({"cat_k_zero_unless", {KArg::grad(0), KArg::constant(layout.totalFloats), KArg::accumulate()}});
  } else {
    for (size_t t = 0; t < layout.tensors.size(); ++t)
      if (clear[t] || !written[t])
        clears.push_back({"cat_k_zero_unless", {KArg::grad(layout.tensors[t].offset),
                                                KArg::constant(layout.tensors[t].size), KArg::accumulate()}});
  }
  g.calls.insert(g.calls.begin(), clears.begin(), clears.end());
}

} // namespace cat::ad
