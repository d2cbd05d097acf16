//===- IR.h - The morphism IR: normalised string diagrams -------*- C++ -*-===//
//
// The IR of one exported morphism is a tree of sequential (`;`), parallel
// (`*`) and fan-out (`<…>`) composition over primitive boxes, with `map`
// boxes for the functor (-)^n. Named morphisms are inlined (a shared
// instance keeps one set of parameters), generic scopes disappear, and the
// category laws normalise the tree: identities vanish, composition is
// flattened, and the interchange law `(f * g) ; (h * k) = (f ; h) * (g ; k)`
// turns layers of parallel boxes into parallel chains. Two morphisms equal
// by these laws lower to the same tree, hence the same code.
//
// Wires are the flattened factors of an object: a box with domain
// `R[4] * (R[2] * Fin[3])` has three input wires.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_IR_IR_H
#define CATC_IR_IR_H

#include "Sema/Program.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cat::ir {

/// One parameter tensor in the flat parameter array (docs/embedding.md).
struct ParamTensor {
  std::string name;  ///< "encode.dense0.linear0.weight"
  Obj shape;
  int64_t offset = 0; ///< floats from the array's start
  int64_t size = 0;   ///< floats
  InitKind init = InitKind::Zeros;
  float initScale = 0;
  /// Its identity across morphisms: the primitive occurrence that owns it
  /// and the index among that occurrence's parameters. A shared instance
  /// inlined into two exported morphisms gives both the same owner.
  const Term *owner = nullptr;
  size_t ownerIndex = 0;
};

/// The parameters of one exported morphism, in order of first appearance.
struct ParamLayout {
  std::vector<ParamTensor> tensors;
  int64_t totalFloats = 0;
  /// FNV-1a over names, shapes and offsets: a checkpoint's fingerprint.
  uint64_t hash() const;
};

/// A box or a composite in the diagram.
struct Node {
  enum class Kind { Prim, Seq, Par, Fork, Map };
  explicit Node(Kind kind) : kind(kind) {}
  Kind kind;
  Obj dom, cod;
  PrimOp op = PrimOp::Id;
  PrimAttrs attrs;
  std::vector<int> params; ///< indices into ParamLayout::tensors
  int64_t mapCount = 0;
  std::vector<std::unique_ptr<Node>> children;

  /// Number of input / output wires.
  size_t numInputs() const { return dom.flatten().size(); }
  size_t numOutputs() const { return cod.flatten().size(); }
};

/// An exported morphism lowered to the IR.
struct Function {
  std::string name;
  Obj dom, cod;
  std::unique_ptr<Node> body;
};

/// Lowers \p inst (inlining named morphisms) and normalises it; parameters
/// are appended to \p layout in order of first appearance.
Function lowerMorphism(const MorphismInstance &inst, ParamLayout &layout);

/// For a structural box (id, copy, drop, projections, swap): the input wire
/// that feeds each output wire. Null for every other box.
std::optional<std::vector<size_t>> structuralWiring(const Node &node);

/// The values on a structural box's output wires, given those on its inputs.
template <typename T>
std::vector<T> rewire(const std::vector<size_t> &wiring, const std::vector<T> &inputs) {
  std::vector<T> out;
  for (size_t i : wiring)
    out.push_back(inputs[i]);
  return out;
}

/// The sequence `f ; g`.
std::unique_ptr<Node> makeSeq(std::unique_ptr<Node> f, std::unique_ptr<Node> g);

/// Applies the category laws in place (see the file comment).
void normalize(Node &node);

/// A primitive box as written: `relu`, `pi[1]`, `scale(0.5)`.
std::string boxName(const Node &node);
/// The same with its parameters: `linear<dense0.linear0.weight>`.
std::string boxNameWithParams(const Node &node, const ParamLayout &layout);

/// Prints the diagram in the language's own notation.
void printFunction(const Function &fn, const ParamLayout &layout, llvm::raw_ostream &os);
void printNode(const Node &node, const ParamLayout &layout, llvm::raw_ostream &os);

/// Draws the diagram as a Graphviz graph (`--emit=dot`, see Dot.cpp):
/// boxes for primitives, wires labelled with their objects, parameters as
/// notes, copy/discard dots, `map` as a cluster.
void printDot(const Function &fn, const ParamLayout &layout, llvm::raw_ostream &os);
/// Draws several morphisms as one Graphviz graph \p name, a cluster each.
void printDot(const std::string &name,
              const std::vector<std::pair<const Function *, const ParamLayout *>> &fns,
              llvm::raw_ostream &os);

} // namespace cat::ir

#endif // CATC_IR_IR_H
