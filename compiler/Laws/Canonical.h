//===- Canonical.h - Normal forms modulo the cartesian laws -----*- C++ -*-===//
//
// The IR's normal form (compiler/IR/Normalize.cpp) covers associativity,
// identities and interchange. For proving laws this adds the equations of
// a cartesian category that the IR does not need for code (naturality of
// copy, drop, projections and swap), on copies of the law's diagrams.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_LAWS_CANONICAL_H
#define CATC_LAWS_CANONICAL_H

#include "IR/IR.h"

#include <memory>
#include <string>

namespace cat::laws {

/// A deep copy of \p node (parameters are shared by index, as they should).
std::unique_ptr<ir::Node> cloneNode(const ir::Node &node);

/// Rewrites \p node in place to its cartesian normal form (see Canonical.cpp).
void canonicalize(std::unique_ptr<ir::Node> &node);

/// Same boxes, objects, constants and parameters (by index), same shape.
bool sameDiagram(const ir::Node &a, const ir::Node &b);

/// The diagram on one line, e.g. `<relu, tanh> ; add`; parameters by name.
std::string compactForm(const ir::Node &node, const ir::ParamLayout &layout);

} // namespace cat::laws

#endif // CATC_LAWS_CANONICAL_H
