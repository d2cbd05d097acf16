//===- Builder.h - Building kernel graphs (AD's private header) -*- C++ -*-===//
//
// The structural recursions that emit forward and backward kernel calls
// for a diagram (Forward.cpp, Backward.cpp) and their shared state.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_AD_BUILDER_H
#define CATC_AD_BUILDER_H

#include "AD/Graph.h"
#include "CodeGen/kernels/catk.h"

#include <map>

namespace cat::ad {

/// The values on a box's wires, left to right (kZero for a zero gradient).
using Wires = std::vector<ValueId>;

class Builder {
public:
  Builder(Graph &g, const ir::ParamLayout &layout, bool training = false)
      : g(g), layout(layout), training(training) {}

  /// Emits the forward map of \p n on wires \p in at `N * mult` rows.
  Wires forward(const ir::Node &n, const Wires &in, int64_t mult);
  /// Emits the reverse derivative of \p n (after its forward): gradients at
  /// its inputs given gradients \p dOut at its outputs. Parameter gradients
  /// accumulate into the gradient array.
  Wires backward(const ir::Node &n, const Wires &dOut, int64_t mult);
  /// The wires \p n read in the forward pass emitted so far.
  const Wires &inputsOf(const ir::Node &n) const { return seen.at(&n).in; }

  Graph &g;

private:
  Wires forwardPrim(const ir::Node &n, const Wires &in, int64_t mult);
  Wires backwardPrim(const ir::Node &n, const Wires &in, const Wires &out, const Wires &dOut,
                     int64_t mult);
  /// The same storage seen as the flattened factors of \p type.
  Wires reinterpret(const Wires &wires, const Obj &type, int64_t mult);
  /// A fresh workspace value computed from \p from.
  ValueId result(const Obj &type, int64_t mult, const Wires &from, bool usesParams);
  /// a + b, where either may be kZero.
  ValueId sum(ValueId a, ValueId b);
  bool needsGrad(ValueId v) const { return v != kZero && g.values[v].needsGrad; }

  const ir::ParamLayout &layout;
  /// A training step's graph: dropout masks its wires (elsewhere it is the
  /// identity). Each dropout box gets its own random stream.
  bool training;
  std::map<const ir::Node *, int64_t> dropoutStreams;
  struct Seen {
    Wires in, out;
  };
  std::map<const ir::Node *, Seen> seen;
};

} // namespace cat::ad

#endif // CATC_AD_BUILDER_H
