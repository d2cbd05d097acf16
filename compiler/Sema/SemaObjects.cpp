//===- SemaObjects.cpp - Building objects from object expressions --------===//
//
// Object expressions (docs/language.md §3) become types in the current
// TypeContext. Named objects are resolved once, on demand, with cycle
// detection; generic parameters are type variables of the context.
// Dimensions must be at least 1 and sizes must fit in 32 bits.
//
//===----------------------------------------------------------------------===//
#include "Sema/SemaImpl.h"

namespace cat {

using namespace ast;

std::optional<int64_t> Sema::checkDim(const DimLit &d) {
  if (d.overflowed || d.value > static_cast<uint64_t>(TypeContext::kMaxSize)) {
    diags.report(d.range.Start, diag::err_dim_too_large)
        << (d.overflowed ? std::string("literal") : std::to_string(d.value)) << d.range;
    return std::nullopt;
  }
  if (d.value == 0) {
    diags.report(d.range.Start, diag::err_dim_zero) << d.range;
    return std::nullopt;
  }
  return static_cast<int64_t>(d.value);
}

/// Elements of the concrete object \p o, for the 32-bit check; UINT64_MAX
/// when they are more than that.
static uint64_t totalElements(const Obj &o) {
  uint64_t n = o.isTensor() ? 1 : 0;
  if (o.isTensor()) {
    for (int64_t d : o.shape)
      if (__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n))
        return UINT64_MAX;
    return n;
  }
  for (const Obj &f : o.factors)
    if (__builtin_add_overflow(n, totalElements(f), &n))
      return UINT64_MAX;
  return n;
}

/// \p n for a message: exact, or "over 2^64 - 1" when it saturated.
static std::string elementCount(uint64_t n) {
  return n == UINT64_MAX ? "over " + std::to_string(n) : std::to_string(n);
}

std::optional<Obj> Sema::objectOfDecl(const ObjectDecl &decl, LoadedModule &m) {
  if (auto it = objects.find(&decl); it != objects.end())
    return it->second;
  if (inProgress.count(&decl)) {
    diags.report(decl.name.range.Start, diag::err_definition_cycle)
        << decl.name.name << "through its own object expression";
    return std::nullopt;
  }
  UseSitesScope own(diags); // its errors are its own, not a user's
  inProgress.insert(&decl);
  TypeContext types;
  ElabContext ctx(types, m);
  TypeId t = buildObject(*decl.object, ctx);
  inProgress.erase(&decl);
  std::optional<Obj> result;
  if (t >= 0) {
    result = ctx.types.resolve(t);
    uint64_t n = totalElements(*result);
    if (n > static_cast<uint64_t>(TypeContext::kMaxSize)) {
      diags.report(decl.object->loc(), diag::err_size_overflow)
          << decl.name.name << elementCount(n) << decl.object->range;
      result.reset();
    }
  }
  objects[&decl] = result;
  return result;
}

TypeId Sema::buildObject(const ObjExpr &e, ElabContext &ctx) {
  TypeContext &t = ctx.types;
  switch (e.kind) {
  case ObjExpr::Kind::Real: {
    std::vector<DimId> dims;
    for (const DimLit &d : llvm::cast<RealObj>(e).dims) {
      auto v = checkDim(d);
      if (!v)
        return -1;
      dims.push_back(t.constDim(*v));
    }
    return t.real(std::move(dims));
  }
  case ObjExpr::Kind::Fin: {
    auto v = checkDim(llvm::cast<FinObj>(e).n);
    return v ? t.tensor(Elem::Fin, t.constDim(*v), {}) : -1;
  }
  case ObjExpr::Kind::Unit:
    return t.unit();
  case ObjExpr::Kind::Product: {
    std::vector<TypeId> factors;
    for (const auto &f : llvm::cast<ProductObj>(e).factors) {
      TypeId ft = buildObject(*f, ctx);
      if (ft < 0)
        return -1;
      factors.push_back(ft);
    }
    return t.product(std::move(factors));
  }
  case ObjExpr::Kind::Power: {
    const auto &p = llvm::cast<PowerObj>(e);
    TypeId base = buildObject(*p.base, ctx);
    auto n = checkDim(p.exponent);
    if (base < 0 || !n)
      return -1;
    TypeId result = t.power(base, t.constDim(*n));
    if (t.isResolved(result) &&
        totalElements(t.resolve(result)) > static_cast<uint64_t>(TypeContext::kMaxSize)) {
      diags.report(e.loc(), diag::err_size_overflow)
          << sourceText(e.range) << elementCount(totalElements(t.resolve(result))) << e.range;
      return -1;
    }
    return result;
  }
  case ObjExpr::Kind::Name: {
    const std::string &name = llvm::cast<NameObj>(e).name;
    if (auto g = ctx.generics.find(name); g != ctx.generics.end())
      return g->second;
    const Symbol *sym = lookup(*ctx.module, name);
    if (!sym) {
      reportUnknownName(diag::err_unknown_object, e.loc(), e.range, name, *ctx.module, true);
      return -1;
    }
    if (!sym->isObject()) {
      diags.report(e.loc(), diag::err_morphism_as_object) << name << e.range;
      return -1;
    }
    auto obj = objectOfDecl(*llvm::cast<ObjectDecl>(sym->decl), *sym->module);
    return obj ? t.fromObj(*obj) : -1;
  }
  }
  return -1;
}

} // namespace cat
