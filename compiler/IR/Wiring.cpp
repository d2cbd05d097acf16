//===- Wiring.cpp - Structural boxes as wirings --------------------------===//
//
// The structural maps of a cartesian category (id, copy, drop, projections,
// swap) compute nothing: each output wire is one of the input wires. Every
// phase that interprets the diagram (AD's forward and backward maps, the
// law evaluator) uses this one description; the reverse derivative of a
// wiring is its transpose, with fan-in adding (R[copy] = add, R[drop] = 0).
//
//===----------------------------------------------------------------------===//
#include "IR/IR.h"

namespace cat::ir {

std::optional<std::vector<size_t>> structuralWiring(const Node &n) {
  if (n.kind != Node::Kind::Prim)
    return std::nullopt;
  size_t inputs = n.numInputs();
  std::vector<size_t> w;
  switch (n.op) {
  case PrimOp::Id:
    for (size_t i = 0; i < inputs; ++i)
      w.push_back(i);
    return w;
  case PrimOp::Copy:
    for (size_t i = 0; i < 2 * inputs; ++i)
      w.push_back(i % inputs);
    return w;
  case PrimOp::Drop:
    return w;
  case PrimOp::Fst: case PrimOp::Snd: case PrimOp::Pi: {
    size_t index = n.op == PrimOp::Fst ? 0 : n.op == PrimOp::Snd ? 1 : static_cast<size_t>(n.attrs.index);
    std::vector<size_t> starts = n.dom.factorWireStarts();
    for (size_t i = starts[index]; i < starts[index + 1]; ++i)
      w.push_back(i);
    return w;
  }
  case PrimOp::Swap: {
    size_t firstLen = n.dom.factorWireStarts()[1];
    for (size_t i = firstLen; i < inputs; ++i)
      w.push_back(i);
    for (size_t i = 0; i < firstLen; ++i)
      w.push_back(i);
    return w;
  }
  default:
    return std::nullopt;
  }
}

} // namespace cat::ir
