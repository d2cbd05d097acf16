//===- Printer.cpp - Printing diagrams in the language's notation --------===//
//
// `--emit=ir` output: the normalised diagram as a morphism expression, one
// box per primitive with its objects, parameters by name, e.g.
//   model : R[4] -> R[3] =
//     linear<encode.dense0.linear0.weight : R[16, 4]> : R[4] -> R[16]
//     ; bias<...> : R[16] -> R[16] ; ...
//
//===----------------------------------------------------------------------===//
#include "IR/IR.h"

#include <fmt/format.h>

namespace cat::ir {

std::string boxName(const Node &n) {
  const char *name = primName(n.op);
  if (n.op == PrimOp::Pi)
    return fmt::format("{}[{}]", name, n.attrs.index);
  // The constant in the shortest form that reads back as the same double
  // (`0.1`, `2` for 2.0, `1e-07`).
  if (n.op == PrimOp::Scale || n.op == PrimOp::Const || n.op == PrimOp::Dropout)
    return fmt::format("{}({})", name, n.attrs.constant);
  return name;
}

std::string boxNameWithParams(const Node &n, const ParamLayout &layout) {
  std::string name = boxName(n);
  if (n.params.empty())
    return name;
  name += "<";
  for (size_t i = 0; i < n.params.size(); ++i) {
    const ParamTensor &p = layout.tensors[n.params[i]];
    name += (i ? ", " : "") + p.name;
  }
  return name + ">";
}

static void printBox(const Node &n, const ParamLayout &layout, llvm::raw_ostream &os) {
  os << boxName(n);
  if (!n.params.empty()) {
    os << "<";
    for (size_t i = 0; i < n.params.size(); ++i) {
      const ParamTensor &p = layout.tensors[n.params[i]];
      os << (i ? ", " : "") << p.name << " : " << p.shape.str();
    }
    os << ">";
  }
  os << " : " << n.dom.str() << " -> " << n.cod.str();
}

static void printRec(const Node &n, const ParamLayout &layout, llvm::raw_ostream &os,
                     unsigned indent) {
  auto pad = [&](unsigned k) { os.indent(k * 2); };
  switch (n.kind) {
  case Node::Kind::Prim:
    pad(indent);
    printBox(n, layout, os);
    os << "\n";
    return;
  case Node::Kind::Map:
    pad(indent);
    os << "map^" << n.mapCount << "(\n";
    printRec(*n.children[0], layout, os, indent + 1);
    pad(indent);
    os << ")\n";
    return;
  case Node::Kind::Seq:
  case Node::Kind::Par:
  case Node::Kind::Fork: {
    const char *open = n.kind == Node::Kind::Fork ? "<" : "(";
    const char *close = n.kind == Node::Kind::Fork ? ">" : ")";
    const char *sep = n.kind == Node::Kind::Seq ? ";" : n.kind == Node::Kind::Par ? "*" : ",";
    pad(indent);
    os << open << "\n";
    for (size_t i = 0; i < n.children.size(); ++i) {
      if (i) {
        pad(indent);
        os << sep << "\n";
      }
      printRec(*n.children[i], layout, os, indent + 1);
    }
    pad(indent);
    os << close << "\n";
    return;
  }
  }
}

void printNode(const Node &node, const ParamLayout &layout, llvm::raw_ostream &os) {
  printRec(node, layout, os, 1);
}

void printFunction(const Function &fn, const ParamLayout &layout, llvm::raw_ostream &os) {
  os << "morphism " << fn.name << " : " << fn.dom.str() << " -> " << fn.cod.str() << " =\n";
  printNode(*fn.body, layout, os);
}

} // namespace cat::ir
