//===- Types.h - Objects of the category and their unification --*- C++ -*-===//
//
// Two views of an object (docs/language.md §3). `Obj` is a concrete object as the
// later phases see it: a tensor (real or Fin, with a static shape) or an
// n-ary product. `TypeContext` holds objects under inference: type
// variables, dimension variables, and deferred constraints (`A ^ n` with A
// unknown, `n + m`), solved by union-find unification. Normalisations of §5
// (`R[d]^T = R[T, d]`, `(A * B)^n = A^n * B^n`, `1^n = 1`) are applied when
// a power is formed, so equal objects have equal representations.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_SEMA_TYPES_H
#define CATC_SEMA_TYPES_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cat {

/// Element kind of a tensor object.
enum class Elem { Real, Fin };

/// A concrete object: `R[...]`, `Fin[n]` (with a shape when powered), or a
/// product (the unit is the empty product).
struct Obj {
  enum class Kind { Tensor, Product };
  Kind kind = Kind::Product;
  Elem elem = Elem::Real;
  int64_t classes = 0;          ///< Fin[classes]
  std::vector<int64_t> shape;   ///< tensor shape; empty for scalars
  std::vector<Obj> factors;     ///< product factors

  static Obj real(std::vector<int64_t> shape);
  static Obj fin(int64_t classes, std::vector<int64_t> shape = {});
  static Obj product(std::vector<Obj> factors);
  static Obj unit() { return product({}); }

  bool isTensor() const { return kind == Kind::Tensor; }
  bool isProduct() const { return kind == Kind::Product; }
  bool isUnit() const { return isProduct() && factors.empty(); }
  bool isReal() const { return isTensor() && elem == Elem::Real; }
  bool isFin() const { return isTensor() && elem == Elem::Fin; }
  /// Number of scalar elements of a tensor (1 for a scalar).
  int64_t numElements() const;
  /// The tensor factors of the flattened product, left to right.
  std::vector<Obj> flatten() const;
  /// Where each factor's wires start in flatten(), plus the end: factor i
  /// covers [starts[i], starts[i + 1]). A tensor is one factor.
  std::vector<size_t> factorWireStarts() const;
  /// The tangent object: real tensors are their own, Fin factors become 1.
  Obj tangent() const;
  bool operator==(const Obj &other) const;
  bool operator!=(const Obj &other) const { return !(*this == other); }
  /// `R[4]`, `Fin[3]`, `R[4] * Fin[3]`, `(R * R) * R`, `1`.
  std::string str() const;
};

/// Index of a type node in a TypeContext.
using TypeId = int32_t;
/// Index of a dimension node in a TypeContext.
using DimId = int32_t;

/// Objects under inference, with union-find unification.
class TypeContext {
public:
  /// Largest dimension or total size accepted (docs/language.md §3: 32 bits).
  static constexpr int64_t kMaxSize = INT32_MAX;

  DimId freshDim();
  DimId constDim(int64_t value);
  TypeId freshVar();
  TypeId tensor(Elem elem, DimId classes, std::vector<DimId> shape);
  TypeId real(std::vector<DimId> shape) { return tensor(Elem::Real, -1, std::move(shape)); }
  TypeId product(std::vector<TypeId> factors);
  TypeId unit() { return product({}); }
  /// `base ^ count`, normalised; deferred while `base` is a variable.
  TypeId power(TypeId base, DimId count);
  /// A dimension constrained to be `a + b`.
  DimId sumDim(DimId a, DimId b);
  /// A type from a concrete object.
  TypeId fromObj(const Obj &obj);

  /// Makes two types equal; false (and unchanged meaning) when they clash.
  bool unify(TypeId a, TypeId b);
  bool unifyDims(DimId a, DimId b);

  /// The value of a dimension, if known.
  std::optional<int64_t> dimValue(DimId d);
  /// True when the type has no unresolved variable.
  bool isResolved(TypeId t);
  /// The concrete object; requires isResolved(t).
  Obj resolve(TypeId t);
  /// Printable form: unknown dims print as `?`, unknown objects as `?`.
  std::string str(TypeId t);

  /// Whether the type is (known to be) a tensor / product / Fin.
  enum class Shape { Unknown, Tensor, Product };
  Shape shapeOf(TypeId t);
  /// The factor types of a known product.
  std::vector<TypeId> factorsOf(TypeId t);
  /// Element kind and shape of a known tensor.
  Elem elemOf(TypeId t);
  DimId classesOf(TypeId t);
  std::vector<DimId> dimsOf(TypeId t);

  /// Set when a constraint produced a size over kMaxSize.
  bool overflowed() const { return sizeOverflow; }

private:
  struct DimNode {
    DimId parent;
    std::optional<int64_t> value;
  };
  struct TypeNode {
    enum class Kind { Var, Tensor, Product } kind = Kind::Var;
    TypeId parent = 0;
    Elem elem = Elem::Real;
    DimId classes = -1;
    std::vector<DimId> shape;
    std::vector<TypeId> factors;
  };
  struct PowerConstraint { TypeId result, base; DimId count; bool done = false; };
  struct SumConstraint { DimId a, b, result; bool done = false; };

  TypeNode newNode(TypeNode::Kind kind) const;
  DimId findDim(DimId d);
  TypeId find(TypeId t);
  bool unifyNodes(TypeId a, TypeId b);
  /// Whether the variable \p var is \p t or one of its factors, at any depth.
  bool occurs(TypeId var, TypeId t);
  bool propagate();
  bool solvePower(PowerConstraint &c);
  bool solveSum(SumConstraint &c);
  TypeId powerOfKnown(TypeId base, DimId count);

  std::vector<DimNode> dims;
  std::vector<TypeNode> types;
  std::vector<PowerConstraint> powers;
  std::vector<SumConstraint> sums;
  bool sizeOverflow = false;
  bool propagating = false;
  /// Names given to unknowns when printing ("A", "B"; "n", "m"), stable
  /// within one context so a message shows which unknowns are equal.
  std::map<TypeId, std::string> varNames;
  std::map<DimId, std::string> dimNames;
  std::string nameOfVar(TypeId root);
  std::string nameOfDim(DimId root);
};

} // namespace cat

#endif // CATC_SEMA_TYPES_H
