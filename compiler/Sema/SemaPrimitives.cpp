//===- SemaPrimitives.cpp - Primitive occurrences and their options ------===//
//
// A primitive occurrence gets a fresh instance of its schematic type and its
// options: `scale(c)`, `const(c)`, `pi[i]`, `init = …` on parametric
// primitives, and object arguments on structural maps (`copy[R[3]]`).
//
//===----------------------------------------------------------------------===//
#include "Sema/SemaImpl.h"

namespace cat {

using namespace ast;

static std::optional<double> numberOf(const Value &v) {
  if (auto *n = llvm::dyn_cast<NumberValue>(&v))
    return n->value;
  return std::nullopt;
}

/// `init = zeros | ones | glorot | normal(s) | uniform(b)`.
static bool readInit(const Value &v, PrimAttrs &attrs) {
  auto *ev = llvm::dyn_cast<ExprValue>(&v);
  auto *ref = ev ? llvm::dyn_cast<RefExpr>(ev->expr.get()) : nullptr;
  if (!ref || ref->hasGenericArgs || ref->args.size() > 1)
    return false;
  static const std::pair<const char *, InitKind> kinds[] = {
      {"zeros", InitKind::Zeros}, {"ones", InitKind::Ones}, {"glorot", InitKind::Glorot},
      {"normal", InitKind::Normal}, {"uniform", InitKind::Uniform}};
  for (auto [name, kind] : kinds) {
    if (ref->name.name != name)
      continue;
    attrs.init = kind;
    attrs.initScale = kind == InitKind::Normal ? 0.02f : kind == InitKind::Uniform ? 0.1f : 0.f;
    if (ref->args.size() == 1) {
      auto s = numberOf(*ref->args[0].value);
      if (!s || ref->args[0].name || (kind != InitKind::Normal && kind != InitKind::Uniform))
        return false;
      attrs.initScale = static_cast<float>(*s);
    }
    return true;
  }
  return false;
}

bool Sema::readPrimitiveAttrs(PrimOp op, const RefExpr &e, PrimAttrs &attrs) {
  const char *name = primName(op);
  bool isDropout = op == PrimOp::Dropout;
  bool wantsConstant = op == PrimOp::Scale || op == PrimOp::Const || isDropout;
  const char *example = isDropout ? "a probability in [0, 1), as in 'dropout(0.1)'"
                                  : "a constant, as in 'scale(0.5)'";
  bool seenConstant = false;
  for (const Arg &a : e.args) {
    if (wantsConstant && (!a.name || a.name->name == (isDropout ? "p" : "c"))) {
      auto c = numberOf(*a.value);
      if (!c || seenConstant || (isDropout && !(*c >= 0 && *c < 1))) {
        diags.report(a.value->loc(), diag::err_bad_argument)
            << name << (isDropout ? example : "one number, as in 'scale(0.5)'") << a.value->range;
        return false;
      }
      attrs.constant = *c;
      seenConstant = true;
      continue;
    }
    if (isParametric(op) && a.name && a.name->name == "init") {
      if (!readInit(*a.value, attrs)) {
        diags.report(a.value->loc(), diag::err_bad_argument)
            << std::string(name) + "(init = …)"
            << "one of zeros, ones, glorot, normal(stddev), uniform(bound)" << a.value->range;
        return false;
      }
      continue;
    }
    if (!a.name) {
      diags.report(a.value->loc(), diag::err_unexpected_arguments) << name << a.value->range;
      return false;
    }
    diags.report(a.name->range.Start, diag::err_unknown_option) << name << a.name->name
                                                                << a.name->range;
    return false;
  }
  if (wantsConstant && !seenConstant) {
    diags.report(e.loc(), diag::err_missing_argument) << name << example << e.range;
    return false;
  }
  return true;
}

std::unique_ptr<Term> Sema::elaboratePrimitive(PrimOp op, const RefExpr &e, ElabContext &ctx) {
  auto term = std::make_unique<Term>(Term::Kind::Prim, e.range);
  term->op = op;
  if (!readPrimitiveAttrs(op, e, term->attrs))
    return nullptr;
  TypeContext &t = ctx.types;
  std::vector<TypeId> objectArgs;
  if (op == PrimOp::Pi) {
    if (e.genericArgs.size() != 1 || !e.genericArgs[0].integer) {
      diags.report(e.loc(), diag::err_missing_argument) << "pi" << "an index, as in 'pi[0]'"
                                                        << e.range;
      return nullptr;
    }
    // Bounded here, so no later comparison sees a negative int64_t index.
    const DimLit &index = *e.genericArgs[0].integer;
    if (index.overflowed || index.value > static_cast<uint64_t>(TypeContext::kMaxSize)) {
      diags.report(index.range.Start, diag::err_pi_index_too_large)
          << (index.overflowed ? std::string("beyond 64 bits") : std::to_string(index.value)) << index.range;
      return nullptr;
    }
    term->attrs.index = static_cast<int64_t>(index.value);
  } else if (e.hasGenericArgs) {
    unsigned allowed = (op == PrimOp::Copy || op == PrimOp::Drop)               ? 1
                       : (op == PrimOp::Fst || op == PrimOp::Snd || op == PrimOp::Swap) ? 2
                                                                                        : 0;
    if (allowed == 0) {
      diags.report(e.loc(), diag::err_not_generic) << primName(op) << e.range;
      return nullptr;
    }
    if (e.genericArgs.size() != allowed) {
      diags.report(e.loc(), diag::err_generic_arity)
          << primName(op) << allowed << static_cast<uint64_t>(e.genericArgs.size()) << e.range;
      return nullptr;
    }
    for (const GenericArg &g : e.genericArgs) {
      if (g.integer && g.integer->value != 1) {
        diags.report(g.range.Start, diag::err_expected_object_arg)
            << std::to_string(g.integer->value) << g.range;
        return nullptr;
      }
      TypeId arg = g.object ? buildObject(*g.object, ctx) : t.unit();
      if (arg < 0)
        return nullptr;
      objectArgs.push_back(arg);
    }
  }
  instantiatePrimitive(op, term->attrs, t, term->dom, term->cod);
  if (!objectArgs.empty()) {
    // copy[A], drop[A]: A is the domain; fst/snd/swap[A, B]: the domain A * B.
    TypeId dom = objectArgs.size() == 1 ? objectArgs[0] : t.product(objectArgs);
    t.unify(term->dom, dom);
  }
  term->name = localName(ctx, primName(op));
  if (op == PrimOp::Pi)
    ctx.pendingProjections.push_back({term.get(), diags.openUseSites()});
  return term;
}

} // namespace cat
