//===- Evaluate.h - A reference evaluator of the morphism IR ----*- C++ -*-===//
//
// Runs the forward map of a diagram on one example, in double precision,
// straight from the semantics of docs/language.md §5 — no kernels, no batching,
// no workspace. The law checker uses it to compare both sides of a law on
// random inputs; it doubles as an independent reference for the kernels.
//
// A wire's value is its tensor, row-major, as doubles (a Fin value holds
// the class index). A diagram maps the values of its input wires (the
// flattened factors of its domain) to those of its output wires.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_LAWS_EVALUATE_H
#define CATC_LAWS_EVALUATE_H

#include "IR/IR.h"

#include <cstdint>
#include <vector>

namespace cat::laws {

using Tensor = std::vector<double>;
using Wires = std::vector<Tensor>;

class Evaluator {
public:
  /// \p params holds one tensor per entry of the diagram's ParamLayout.
  explicit Evaluator(const std::vector<Tensor> &params) : params(params) {}

  /// The output wires of \p node for the input wires \p in.
  Wires run(const ir::Node &node, const Wires &in);

  /// Scalar operations done so far (for a budget on large laws).
  uint64_t work() const { return ops; }

private:
  Wires runPrim(const ir::Node &node, const Wires &in);

  const std::vector<Tensor> &params;
  uint64_t ops = 0;
};

} // namespace cat::laws

#endif // CATC_LAWS_EVALUATE_H
