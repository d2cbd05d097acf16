//===- Types.cpp - Objects and their unification -------------------------===//
//
// Union-find over type and dimension nodes. Unification is structural:
// tensors unify when element kinds, Fin class counts and every dimension
// unify; products factor by factor (arity must agree, so `(A * B) * C` never
// meets `A * B * C`). Deferred constraints (powers of unknown objects, sums
// of dimensions) are re-examined after every successful unification until
// nothing changes.
//
//===----------------------------------------------------------------------===//
#include "Sema/Types.h"

#include <cassert>

namespace cat {

//===----------------------------------------------------------------------===//
// Obj
//===----------------------------------------------------------------------===//

Obj Obj::real(std::vector<int64_t> shape) {
  Obj o;
  o.kind = Kind::Tensor;
  o.elem = Elem::Real;
  o.shape = std::move(shape);
  return o;
}

Obj Obj::fin(int64_t classes, std::vector<int64_t> shape) {
  Obj o;
  o.kind = Kind::Tensor;
  o.elem = Elem::Fin;
  o.classes = classes;
  o.shape = std::move(shape);
  return o;
}

Obj Obj::product(std::vector<Obj> factors) {
  Obj o;
  o.kind = Kind::Product;
  o.factors = std::move(factors);
  return o;
}

int64_t Obj::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<Obj> Obj::flatten() const {
  if (isTensor())
    return {*this};
  std::vector<Obj> out;
  for (const Obj &f : factors) {
    std::vector<Obj> sub = f.flatten();
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

std::vector<size_t> Obj::factorWireStarts() const {
  std::vector<size_t> starts{0};
  if (isTensor()) {
    starts.push_back(1);
    return starts;
  }
  for (const Obj &f : factors)
    starts.push_back(starts.back() + f.flatten().size());
  return starts;
}

Obj Obj::tangent() const {
  if (isFin())
    return unit();
  if (isTensor())
    return *this;
  std::vector<Obj> fs;
  for (const Obj &f : factors)
    fs.push_back(f.tangent());
  return product(std::move(fs));
}

bool Obj::operator==(const Obj &o) const {
  if (kind != o.kind)
    return false;
  if (isTensor())
    return elem == o.elem && classes == o.classes && shape == o.shape;
  return factors == o.factors;
}

static std::string shapeSuffix(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string Obj::str() const {
  if (isTensor()) {
    if (elem == Elem::Real)
      return shape.empty() ? "R" : "R" + shapeSuffix(shape);
    std::string s = "Fin[" + std::to_string(classes) + "]";
    for (auto it = shape.rbegin(); it != shape.rend(); ++it)
      s += "^" + std::to_string(*it);
    return s;
  }
  if (factors.empty())
    return "1";
  std::string s;
  for (size_t i = 0; i < factors.size(); ++i) {
    const Obj &f = factors[i];
    std::string fs = f.str();
    if (f.isProduct() && f.factors.size() > 1)
      fs = "(" + fs + ")";
    s += (i ? " * " : "") + fs;
  }
  return s;
}

//===----------------------------------------------------------------------===//
// Construction
//===----------------------------------------------------------------------===//

DimId TypeContext::freshDim() {
  dims.push_back({static_cast<DimId>(dims.size()), std::nullopt});
  return dims.back().parent;
}

DimId TypeContext::constDim(int64_t value) {
  DimId d = freshDim();
  dims[d].value = value;
  return d;
}

TypeContext::TypeNode TypeContext::newNode(TypeNode::Kind kind) const {
  TypeNode n;
  n.kind = kind;
  n.parent = static_cast<TypeId>(types.size());
  return n;
}

TypeId TypeContext::freshVar() {
  TypeNode n = newNode(TypeNode::Kind::Var);
  types.push_back(std::move(n));
  return types.back().parent;
}

TypeId TypeContext::tensor(Elem elem, DimId classes, std::vector<DimId> shape) {
  TypeNode n = newNode(TypeNode::Kind::Tensor);
  n.elem = elem;
  n.classes = elem == Elem::Fin ? classes : -1;
  n.shape = std::move(shape);
  types.push_back(std::move(n));
  return types.back().parent;
}

TypeId TypeContext::product(std::vector<TypeId> factors) {
  TypeNode n = newNode(TypeNode::Kind::Product);
  n.factors = std::move(factors);
  types.push_back(std::move(n));
  return types.back().parent;
}

TypeId TypeContext::powerOfKnown(TypeId base, DimId count) {
  base = find(base);
  if (types[base].kind == TypeNode::Kind::Tensor) {
    std::vector<DimId> shape{count};
    shape.insert(shape.end(), types[base].shape.begin(), types[base].shape.end());
    return tensor(types[base].elem, types[base].classes, std::move(shape));
  }
  assert(types[base].kind == TypeNode::Kind::Product);
  std::vector<TypeId> fs;
  for (TypeId f : std::vector<TypeId>(types[base].factors))
    fs.push_back(power(f, count));
  return product(std::move(fs));
}

TypeId TypeContext::power(TypeId base, DimId count) {
  if (types[find(base)].kind != TypeNode::Kind::Var)
    return powerOfKnown(base, count);
  TypeId result = freshVar();
  powers.push_back({result, base, count});
  return result;
}

DimId TypeContext::sumDim(DimId a, DimId b) {
  DimId result = freshDim();
  sums.push_back({a, b, result});
  propagate();
  return result;
}

TypeId TypeContext::fromObj(const Obj &obj) {
  if (obj.isProduct()) {
    std::vector<TypeId> fs;
    for (const Obj &f : obj.factors)
      fs.push_back(fromObj(f));
    return product(std::move(fs));
  }
  std::vector<DimId> shape;
  for (int64_t d : obj.shape)
    shape.push_back(constDim(d));
  return tensor(obj.elem, obj.isFin() ? constDim(obj.classes) : -1, std::move(shape));
}

//===----------------------------------------------------------------------===//
// Union-find and unification
//===----------------------------------------------------------------------===//

DimId TypeContext::findDim(DimId d) {
  while (dims[d].parent != d) {
    dims[d].parent = dims[dims[d].parent].parent;
    d = dims[d].parent;
  }
  return d;
}

TypeId TypeContext::find(TypeId t) {
  while (types[t].parent != t) {
    types[t].parent = types[types[t].parent].parent;
    t = types[t].parent;
  }
  return t;
}

bool TypeContext::unifyDims(DimId a, DimId b) {
  a = findDim(a);
  b = findDim(b);
  if (a == b)
    return true;
  if (dims[a].value && dims[b].value && *dims[a].value != *dims[b].value)
    return false;
  if (!dims[b].value)
    dims[b].value = dims[a].value;
  dims[a].parent = b;
  return propagate();
}

bool TypeContext::unifyNodes(TypeId a, TypeId b) {
  a = find(a);
  b = find(b);
  if (a == b)
    return true;
  TypeNode &na = types[a];
  TypeNode &nb = types[b];
  if (na.kind == TypeNode::Kind::Var || nb.kind == TypeNode::Kind::Var) {
    // The occurs check: X = X * X has no finite solution, and binding it
    // would make every later walk of the type loop forever.
    if (na.kind == TypeNode::Kind::Var ? occurs(a, b) : occurs(b, a))
      return false;
    if (na.kind == TypeNode::Kind::Var)
      na.parent = b;
    else
      nb.parent = a;
    return true;
  }
  if (na.kind != nb.kind)
    return false;
  if (na.kind == TypeNode::Kind::Tensor) {
    if (na.elem != nb.elem || na.shape.size() != nb.shape.size())
      return false;
    std::vector<DimId> sa = na.shape, sb = nb.shape;
    DimId ca = na.classes, cb = nb.classes;
    na.parent = b;
    if (na.elem == Elem::Fin && !unifyDims(ca, cb))
      return false;
    for (size_t i = 0; i < sa.size(); ++i)
      if (!unifyDims(sa[i], sb[i]))
        return false;
    return true;
  }
  if (na.factors.size() != nb.factors.size())
    return false;
  std::vector<TypeId> fa = na.factors, fb = nb.factors;
  na.parent = b;
  for (size_t i = 0; i < fa.size(); ++i)
    if (!unifyNodes(fa[i], fb[i]))
      return false;
  return true;
}

bool TypeContext::occurs(TypeId var, TypeId t) {
  t = find(t);
  if (t == var)
    return true;
  if (types[t].kind != TypeNode::Kind::Product)
    return false;
  for (TypeId f : std::vector<TypeId>(types[t].factors))
    if (occurs(var, f))
      return true;
  return false;
}

bool TypeContext::unify(TypeId a, TypeId b) {
  if (!unifyNodes(a, b))
    return false;
  return propagate();
}

bool TypeContext::solvePower(PowerConstraint &c) {
  TypeId base = find(c.base);
  if (types[base].kind != TypeNode::Kind::Var) {
    c.done = true;
    return unifyNodes(c.result, powerOfKnown(base, c.count));
  }
  TypeId result = find(c.result);
  if (types[result].kind == TypeNode::Kind::Tensor) {
    // A^n = R[n, rest...] determines A = R[rest...] and n.
    TypeNode r = types[result];
    if (r.shape.empty())
      return false;
    c.done = true;
    if (!unifyDims(c.count, r.shape[0]))
      return false;
    std::vector<DimId> rest(r.shape.begin() + 1, r.shape.end());
    return unifyNodes(base, tensor(r.elem, r.classes, std::move(rest)));
  }
  if (types[result].kind == TypeNode::Kind::Product) {
    // (A * B)^n = A^n * B^n: the base is a product of as many factors.
    std::vector<TypeId> baseFactors, resultFactors = types[result].factors;
    for (size_t i = 0; i < resultFactors.size(); ++i)
      baseFactors.push_back(freshVar());
    c.done = true;
    TypeId baseProduct = product(baseFactors);
    if (!unifyNodes(base, baseProduct))
      return false;
    for (size_t i = 0; i < resultFactors.size(); ++i) {
      TypeId p = freshVar();
      powers.push_back({p, baseFactors[i], c.count});
      if (!unifyNodes(p, resultFactors[i]))
        return false;
    }
  }
  return true;
}

bool TypeContext::solveSum(SumConstraint &c) {
  auto a = dimValue(c.a), b = dimValue(c.b), r = dimValue(c.result);
  auto assign = [&](DimId d, int64_t v) {
    c.done = true;
    if (v < 1)
      return false;
    if (v > kMaxSize)
      sizeOverflow = true;
    return unifyDims(d, constDim(v));
  };
  if (a && b)
    return assign(c.result, *a + *b);
  if (a && r)
    return assign(c.b, *r - *a);
  if (b && r)
    return assign(c.a, *r - *b);
  return true;
}

bool TypeContext::propagate() {
  if (propagating)
    return true;
  propagating = true;
  bool ok = true, changed = true;
  while (ok && changed) {
    changed = false;
    for (size_t i = 0; ok && i < powers.size(); ++i) {
      if (powers[i].done)
        continue;
      PowerConstraint c = powers[i];
      ok = solvePower(c);
      if (c.done) {
        powers[i].done = true;
        changed = true;
      }
    }
    for (size_t i = 0; ok && i < sums.size(); ++i) {
      if (sums[i].done)
        continue;
      ok = solveSum(sums[i]);
      changed |= sums[i].done;
    }
  }
  propagating = false;
  return ok;
}

//===----------------------------------------------------------------------===//
// Queries
//===----------------------------------------------------------------------===//

std::optional<int64_t> TypeContext::dimValue(DimId d) { return dims[findDim(d)].value; }

TypeContext::Shape TypeContext::shapeOf(TypeId t) {
  switch (types[find(t)].kind) {
  case TypeNode::Kind::Var: return Shape::Unknown;
  case TypeNode::Kind::Tensor: return Shape::Tensor;
  case TypeNode::Kind::Product: return Shape::Product;
  }
  return Shape::Unknown;
}

std::vector<TypeId> TypeContext::factorsOf(TypeId t) { return types[find(t)].factors; }
Elem TypeContext::elemOf(TypeId t) { return types[find(t)].elem; }
DimId TypeContext::classesOf(TypeId t) { return types[find(t)].classes; }
std::vector<DimId> TypeContext::dimsOf(TypeId t) { return types[find(t)].shape; }

bool TypeContext::isResolved(TypeId t) {
  const TypeNode n = types[find(t)];
  switch (n.kind) {
  case TypeNode::Kind::Var:
    return false;
  case TypeNode::Kind::Tensor:
    if (n.elem == Elem::Fin && !dimValue(n.classes))
      return false;
    for (DimId d : n.shape)
      if (!dimValue(d))
        return false;
    return true;
  case TypeNode::Kind::Product:
    for (TypeId f : n.factors)
      if (!isResolved(f))
        return false;
    return true;
  }
  return false;
}

Obj TypeContext::resolve(TypeId t) {
  const TypeNode n = types[find(t)];
  if (n.kind == TypeNode::Kind::Product) {
    std::vector<Obj> fs;
    for (TypeId f : n.factors)
      fs.push_back(resolve(f));
    return Obj::product(std::move(fs));
  }
  assert(n.kind == TypeNode::Kind::Tensor && "resolving an unresolved type");
  std::vector<int64_t> shape;
  for (DimId d : n.shape)
    shape.push_back(dimValue(d).value_or(1));
  if (n.elem == Elem::Fin)
    return Obj::fin(dimValue(n.classes).value_or(1), std::move(shape));
  return Obj::real(std::move(shape));
}

std::string TypeContext::nameOfVar(TypeId root) {
  auto [it, fresh] = varNames.try_emplace(root);
  if (fresh) {
    size_t i = varNames.size() - 1;
    it->second = std::string(1, static_cast<char>('A' + i % 26)) + (i >= 26 ? std::to_string(i / 26) : "");
  }
  return it->second;
}

std::string TypeContext::nameOfDim(DimId root) {
  static const char *letters[] = {"n", "m", "k", "p", "q", "r", "s", "t"};
  auto [it, fresh] = dimNames.try_emplace(root);
  if (fresh) {
    size_t i = dimNames.size() - 1;
    it->second = std::string(letters[i % 8]) + (i >= 8 ? std::to_string(i / 8) : "");
  }
  return it->second;
}

std::string TypeContext::str(TypeId t) {
  TypeId root = find(t);
  const TypeNode n = types[root];
  auto dimStr = [&](DimId d) {
    auto v = dimValue(d);
    return v ? std::to_string(*v) : nameOfDim(findDim(d));
  };
  switch (n.kind) {
  case TypeNode::Kind::Var:
    // A power of a still unknown object reads as the language writes it.
    for (const PowerConstraint &c : powers)
      if (!c.done && find(c.result) == root) {
        std::string base = str(c.base);
        if (shapeOf(c.base) == Shape::Product)
          base = "(" + base + ")";
        return base + "^" + dimStr(c.count);
      }
    return nameOfVar(root);
  case TypeNode::Kind::Tensor: {
    if (n.elem == Elem::Fin) {
      std::string s = "Fin[" + dimStr(n.classes) + "]";
      for (auto it = n.shape.rbegin(); it != n.shape.rend(); ++it)
        s += "^" + dimStr(*it);
      return s;
    }
    if (n.shape.empty())
      return "R";
    std::string s = "R[";
    for (size_t i = 0; i < n.shape.size(); ++i)
      s += (i ? ", " : "") + dimStr(n.shape[i]);
    return s + "]";
  }
  case TypeNode::Kind::Product: {
    if (n.factors.empty())
      return "1";
    std::string s;
    for (size_t i = 0; i < n.factors.size(); ++i) {
      TypeId f = n.factors[i];
      std::string fs = str(f);
      if (shapeOf(f) == Shape::Product && factorsOf(f).size() > 1)
        fs = "(" + fs + ")";
      s += (i ? " * " : "") + fs;
    }
    return s;
  }
  }
  return "?";
}

} // namespace cat
