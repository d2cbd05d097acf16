//===- Fuse.cpp - Epilogue fusion on kernel graphs ------------------------===//
//
// `linear ; bias ; relu` is the commonest diagram in a model, and as three
// kernels it writes and rereads the layer's output twice. Here a
// `cat_k_linear_fwd` call absorbs the `cat_k_bias_fwd` and `cat_k_relu_fwd`
// calls that consume its result, so the GEMM applies them while its tile is
// still in registers. A step is folded only when the intermediate value is
// a workspace value read by nothing but the next kernel: the backward map
// never needs it (linear's and bias's reverse derivatives read the layer's
// input and the output gradient; relu's reads its output).
//
// In a training step, cross-entropy's forward and reverse kernels both take
// the exps of the same logits: they become one kernel where the loss
// gradient they are seeded with is computed from a constant (the 1/N of the
// batch mean, spread over positions by a mean over a sequence).
// Every other cross-entropy forward is that kernel too, with no gradient
// wanted: a model's evaluation and its training step then share one
// compiled function per shape (a second copy was 15 % of the instructions
// compiling iris to an executable took).
//
//===----------------------------------------------------------------------===//
#include "AD/Builder.h"

#include <optional>

namespace cat::ad {

namespace {
// Argument positions of the kernels involved (catk.h).
enum LinearArg { LinW, LinBias, LinX, LinY, LinRows, LinM, LinK, LinAct };
enum BiasArg { BiasB, BiasX, BiasY };
enum PointwiseArg { PwX, PwY };

/// Every call that reads or writes each storage, in call order.
std::vector<std::vector<size_t>> usesByStorage(const Graph &g) {
  std::vector<std::vector<size_t>> uses(g.values.size());
  for (size_t c = 0; c < g.calls.size(); ++c)
    for (const KArg &a : g.calls[c].args)
      if (a.kind == KArg::Kind::Value) {
        std::vector<size_t> &u = uses[g.storageOf(a.value)];
        if (u.empty() || u.back() != c)
          u.push_back(c);
      }
  return uses;
}

/// The one call besides \p producer that touches \p v, if \p v is a
/// workspace value touched by exactly those two calls.
std::optional<size_t> soleConsumer(const Graph &g, const std::vector<std::vector<size_t>> &uses,
                                   ValueId v, size_t producer) {
  ValueId s = g.storageOf(v);
  if (s != v || g.values[s].binding.kind != Binding::Kind::Workspace)
    return std::nullopt;
  const std::vector<size_t> &u = uses[s];
  if (u.size() != 2 || u[0] != producer)
    return std::nullopt;
  return u[1];
}

bool readsAt(const KernelCall &call, size_t position, ValueId v) {
  return call.args.size() > position && call.args[position].kind == KArg::Kind::Value &&
         call.args[position].value == v;
}
} // namespace

/// Replaces cross_entropy_fwd at \p fwd and cross_entropy_bwd at \p bwd
/// of the same logits and targets by one cross_entropy_fwd_bwd at \p fwd,
/// moving the calls that compute its seed gradient, \p seed (in order, all
/// between the two, reading nothing the forward computes), in front of it.
static void fuseCrossEntropy(Graph &g, size_t fwd, size_t bwd, const std::vector<size_t> &seed,
                             std::vector<bool> &removed) {
  KernelCall f = g.calls[fwd], b = g.calls[bwd];
  // fwd: (z, t, loss, rows, k); bwd: (z, t, dloss, dz, rows, k).
  g.calls[fwd] = {"cat_k_cross_entropy_fwd_bwd", {f.args[0], f.args[1], b.args[2], f.args[2], b.args[3],
                                                  f.args[3], f.args[4]}};
  // Calls keep their order, but the seed's run first.
  for (size_t i = 0; i < seed.size(); ++i) {
    KernelCall moved = g.calls[seed[i] + i];
    g.calls.insert(g.calls.begin() + static_cast<long>(fwd + i), moved);
    removed.insert(removed.begin() + static_cast<long>(fwd + i), false);
    removed[seed[i] + i + 1] = true;
  }
  removed[bwd + seed.size()] = true;
}

/// Whether argument \p position of \p call is \p v's storage (under any alias).
static bool isStorageAt(const Graph &g, const KernelCall &call, size_t position, ValueId v) {
  return call.args.size() > position && call.args[position].kind == KArg::Kind::Value &&
         g.storageOf(call.args[position].value) == g.storageOf(v);
}

/// The calls between \p fwd and \p bwd that compute \p dloss from a
/// constant: a fill of it (the 1/N of the batch mean), or a fill broadcast
/// into it (a mean over positions, `map(cross_entropy) ; mean`, before the
/// batch mean), each intermediate touched by nothing else. Empty if neither.
static std::vector<size_t> constantSeed(const Graph &g, const std::vector<std::vector<size_t>> &uses,
                                        const std::vector<bool> &removed, size_t fwd, size_t bwd,
                                        ValueId dloss) {
  for (size_t c = fwd + 1; c < bwd; ++c) {
    const KernelCall &call = g.calls[c];
    if (removed[c])
      continue;
    if (call.kernel == "cat_k_fill" && isStorageAt(g, call, 0, dloss))
      return {c};
    if (call.kernel != "cat_k_broadcast_fwd" || !isStorageAt(g, call, 1, dloss) ||
        call.args[0].kind != KArg::Kind::Value)
      continue;
    std::optional<size_t> filled;
    for (size_t p = fwd + 1; p < c; ++p)
      if (!removed[p] && g.calls[p].kernel == "cat_k_fill" && isStorageAt(g, g.calls[p], 0, call.args[0].value))
        filled = p;
    const std::vector<size_t> &seedUses = uses[g.storageOf(call.args[0].value)];
    const std::vector<size_t> &dlossUses = uses[g.storageOf(dloss)];
    bool dlossFirstHere = !dlossUses.empty() && dlossUses.front() == c;
    if (filled && seedUses == std::vector<size_t>{*filled, c} && dlossFirstHere)
      return {*filled, c};
  }
  return {};
}

/// The fused kernel's losses alone, in place of the forward at \p c.
static void crossEntropyLossesOnly(Graph &g, size_t c) {
  KernelCall &f = g.calls[c];
  // fwd: (z, t, loss, rows, k); fwd_bwd: (z, t, dloss, loss, dz, rows, k).
  f = {"cat_k_cross_entropy_fwd_bwd",
       {f.args[0], f.args[1], KArg::unwanted(), f.args[2], KArg::unwanted(), f.args[3], f.args[4]}};
}

/// Finds the cross-entropy pair of a training step, if there is one.
static void fuseLoss(Graph &g, std::vector<bool> &removed) {
  std::vector<std::vector<size_t>> uses = usesByStorage(g);
  for (size_t fwd = 0; fwd < g.calls.size(); ++fwd) {
    const KernelCall &f = g.calls[fwd];
    if (removed[fwd] || f.kernel != "cat_k_cross_entropy_fwd")
      continue;
    for (size_t bwd = fwd + 1; bwd < g.calls.size(); ++bwd) {
      const KernelCall &b = g.calls[bwd];
      if (removed[bwd] || b.kernel != "cat_k_cross_entropy_bwd" || b.args[3].kind != KArg::Kind::Value ||
          b.args[0].value != f.args[0].value || b.args[1].value != f.args[1].value)
        continue;
      // The seed must be computed from a constant between the two, and be
      // written by nothing else.
      std::vector<size_t> seed = constantSeed(g, uses, removed, fwd, bwd, b.args[2].value);
      if (!seed.empty()) {
        fuseCrossEntropy(g, fwd, bwd, seed, removed);
        return;
      }
    }
  }
}

void fuseEpilogues(Graph &g) {
  std::vector<std::vector<size_t>> uses = usesByStorage(g);
  std::vector<bool> removed(g.calls.size(), false);
  for (size_t c = 0; c < g.calls.size(); ++c) {
    KernelCall &linear = g.calls[c];
    if (removed[c] || linear.kernel != "cat_k_linear_fwd")
      continue;
    // linear ; bias: the bias call's input is linear's output.
    ValueId y = linear.args[LinY].value;
    std::optional<size_t> next = soleConsumer(g, uses, y, c);
    if (next && g.calls[*next].kernel == "cat_k_bias_fwd" && readsAt(g.calls[*next], BiasX, y) &&
        linear.args[LinBias].kind == KArg::Kind::Null) {
      KernelCall &bias = g.calls[*next];
      linear.args[LinBias] = bias.args[BiasB];
      linear.args[LinY] = bias.args[BiasY];
      removed[*next] = true;
      y = linear.args[LinY].value;
      uses[g.storageOf(y)].front() = c; // its producer is now the linear call
      next = soleConsumer(g, uses, y, c);
    }
    // ... ; relu: relu's backward reads only its output, so nothing else
    // needs the pre-activation.
    if (next && g.calls[*next].kernel == "cat_k_relu_fwd" && readsAt(g.calls[*next], PwX, y) &&
        linear.args[LinAct].offset == CATK_ACT_NONE) {
      KernelCall &relu = g.calls[*next];
      linear.args[LinAct] = KArg::i32(CATK_ACT_RELU);
      linear.args[LinY] = relu.args[PwY];
      removed[*next] = true;
      uses[g.storageOf(linear.args[LinY].value)].front() = c;
    }
  }
  fuseLoss(g, removed);
  for (size_t c = 0; c < g.calls.size(); ++c)
    if (!removed[c] && g.calls[c].kernel == "cat_k_cross_entropy_fwd")
      crossEntropyLossesOnly(g, c);
  std::vector<KernelCall> kept;
  for (size_t c = 0; c < g.calls.size(); ++c)
    if (!removed[c])
      kept.push_back(std::move(g.calls[c]));
  g.calls = std::move(kept);
}

} // namespace cat::ad
