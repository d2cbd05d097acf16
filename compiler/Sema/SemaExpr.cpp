//===- SemaExpr.cpp - Typing morphism expressions as a category ----------===//
//
// Elaborates morphism expressions into typed terms. Every subterm gets a
// domain and codomain in the TypeContext; `f ; g` unifies Cod(f) with
// Dom(g), `<f, g>` unifies the domains, ascriptions and declared types
// unify with what the body says. A subterm that fails returns null and its
// parents give up silently, so one mistake gives one error. Generic
// morphisms are elaborated afresh at every use (fresh parameters, objects
// inferred from the neighbours); non-generic ones are checked once and
// referenced (shared parameters).
//
//===----------------------------------------------------------------------===//
#include "Sema/SemaImpl.h"

namespace cat {

using namespace ast;

std::string Sema::sourceText(llvm::SMRange range) {
  if (!range.isValid() || range.End.getPointer() < range.Start.getPointer())
    return "expression";
  std::string text(range.Start.getPointer(), range.End.getPointer());
  std::string flat;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r')
      c = ' ';
    if (c == ' ' && !flat.empty() && flat.back() == ' ')
      continue;
    flat += c;
  }
  if (flat.size() > 40)
    flat = flat.substr(0, 37) + "...";
  return flat;
}

std::string Sema::localName(ElabContext &ctx, const std::string &base) {
  int n = ctx.counters[base]++;
  return base + std::to_string(n);
}

std::unique_ptr<Term> Sema::elaborate(const Expr &e, ElabContext &ctx) {
  TypeContext &t = ctx.types;
  switch (e.kind) {
  case Expr::Kind::Compose: {
    const auto &c = llvm::cast<ComposeExpr>(e);
    auto term = std::make_unique<Term>(Term::Kind::Compose, e.range);
    for (size_t i = 0; i < c.parts.size(); ++i) {
      auto part = elaborate(*c.parts[i], ctx);
      if (!part)
        return nullptr;
      if (i > 0) {
        Term &prev = *term->children.back();
        std::string prevType = arrow(t, term->children.front()->dom, prev.cod);
        std::string partType = arrow(t, part->dom, part->cod);
        std::string prevCod = t.str(prev.cod), partDom = t.str(part->dom);
        if (!t.unify(prev.cod, part->dom)) {
          llvm::SMRange leftRange(c.parts[0]->range.Start, c.parts[i - 1]->range.End);
          diags.report(e.loc(), diag::err_compose_mismatch)
              << sourceText(leftRange) << prevType << sourceText(c.parts[i]->range) << partType
              << prevCod << partDom << leftRange << c.parts[i]->range;
          if (part->kind == Term::Kind::Prim && (part->op == PrimOp::Mean || part->op == PrimOp::Sum) &&
              prevCod == "R")
            diags.report(c.parts[i]->loc(), diag::note_reduce_scalar) << primName(part->op)
                                                                      << c.parts[i]->range;
          return nullptr;
        }
        solveProjections(ctx, false);
      }
      term->children.push_back(std::move(part));
    }
    term->dom = term->children.front()->dom;
    term->cod = term->children.back()->cod;
    return term;
  }
  case Expr::Kind::Tensor:
  case Expr::Kind::Pair: {
    bool isPair = e.kind == Expr::Kind::Pair;
    const auto &parts = isPair ? llvm::cast<PairExpr>(e).parts : llvm::cast<TensorExpr>(e).parts;
    auto term = std::make_unique<Term>(isPair ? Term::Kind::Pair : Term::Kind::Tensor, e.range);
    std::vector<TypeId> doms, cods;
    for (const auto &p : parts) {
      auto part = elaborate(*p, ctx);
      if (!part)
        return nullptr;
      if (isPair && !term->children.empty()) {
        Term &first = *term->children.front();
        std::string firstDom = t.str(first.dom), partDom = t.str(part->dom);
        if (!t.unify(first.dom, part->dom)) {
          diags.report(p->loc(), diag::err_pair_domain_mismatch)
              << sourceText(parts.front()->range) << firstDom << sourceText(p->range) << partDom
              << p->range;
          return nullptr;
        }
      }
      doms.push_back(part->dom);
      cods.push_back(part->cod);
      term->children.push_back(std::move(part));
    }
    term->dom = isPair ? doms.front() : t.product(doms);
    term->cod = t.product(cods);
    return term;
  }
  case Expr::Kind::Id: {
    const auto &id = llvm::cast<IdExpr>(e);
    auto term = std::make_unique<Term>(Term::Kind::Prim, e.range);
    term->op = PrimOp::Id;
    term->name = "id";
    term->dom = term->cod = t.freshVar();
    if (id.object) {
      TypeId obj = buildObject(*id.object, ctx);
      if (obj < 0)
        return nullptr;
      t.unify(term->dom, obj);
    }
    return term;
  }
  case Expr::Kind::Ascribe: {
    const auto &a = llvm::cast<AscribeExpr>(e);
    auto inner = elaborate(*a.expr, ctx);
    TypeId dom = buildObject(*a.dom, ctx);
    TypeId cod = buildObject(*a.cod, ctx);
    if (!inner || dom < 0 || cod < 0)
      return nullptr;
    std::string actual = arrow(t, inner->dom, inner->cod);
    std::string wanted = arrow(t, dom, cod);
    if (!t.unify(inner->dom, dom) || !t.unify(inner->cod, cod)) {
      diags.report(e.loc(), diag::err_ascription_mismatch) << actual << wanted << e.range;
      return nullptr;
    }
    solveProjections(ctx, false);
    return inner;
  }
  case Expr::Kind::Ref:
    return elaborateRef(llvm::cast<RefExpr>(e), ctx);
  }
  return nullptr;
}

std::unique_ptr<Term> Sema::elaborateRef(const RefExpr &e, ElabContext &ctx) {
  const std::string &name = e.name.name;
  if (const Symbol *sym = lookup(*ctx.module, name)) {
    if (sym->isObject()) {
      diags.report(e.loc(), diag::err_object_as_morphism) << name << e.range;
      return nullptr;
    }
    const auto &decl = llvm::cast<MorphismDecl>(*sym->decl);
    if (!decl.genericParams.empty())
      return elaborateGeneric(decl, *sym->module, e, ctx);
    if (e.hasGenericArgs) {
      diags.report(e.loc(), diag::err_not_generic) << name << e.range;
      return nullptr;
    }
    if (e.hasArgs) {
      diags.report(e.loc(), diag::err_unexpected_arguments) << name << e.range;
      return nullptr;
    }
    const MorphismInstance *inst = instanceOf(decl, *sym->module);
    if (!inst)
      return nullptr;
    auto term = std::make_unique<Term>(Term::Kind::Ref, e.range);
    term->target = inst;
    term->name = name;
    term->dom = ctx.types.fromObj(inst->dom);
    term->cod = ctx.types.fromObj(inst->cod);
    return term;
  }
  if (name == "map")
    return elaborateMap(e, ctx);
  if (auto op = lookupPrimitive(name))
    return elaboratePrimitive(*op, e, ctx);
  reportUnknownName(diag::err_unknown_morphism, e.loc(), e.name.range, name, *ctx.module, false);
  return nullptr;
}

std::unique_ptr<Term> Sema::elaborateMap(const RefExpr &e, ElabContext &ctx) {
  if (e.hasGenericArgs || e.args.size() != 1 || e.args[0].name ||
      !llvm::isa<ExprValue>(*e.args[0].value)) {
    diags.report(e.loc(), diag::err_map_argument) << e.range;
    return nullptr;
  }
  auto body = elaborate(*llvm::cast<ExprValue>(*e.args[0].value).expr, ctx);
  if (!body)
    return nullptr;
  auto term = std::make_unique<Term>(Term::Kind::Map, e.range);
  term->name = "map";
  term->mapCountDim = ctx.types.freshDim();
  term->dom = ctx.types.power(body->dom, term->mapCountDim);
  term->cod = ctx.types.power(body->cod, term->mapCountDim);
  term->children.push_back(std::move(body));
  return term;
}

bool Sema::checkGenericDecl(const MorphismDecl &decl, LoadedModule &m) {
  if (auto it = genericChecked.find(&decl); it != genericChecked.end())
    return it->second;
  genericChecked[&decl] = false; // a use inside its own body is a cycle
  UseSitesScope own(diags);       // its errors are its own, not a user's
  inProgress.insert(&decl);
  TypeContext types;
  ElabContext ctx(types, m);
  for (const Ident &p : decl.genericParams)
    ctx.generics[p.name] = types.freshVar();
  bool ok = false;
  TypeId dom = buildObject(*decl.dom, ctx), cod = buildObject(*decl.cod, ctx);
  if (dom >= 0 && cod >= 0) {
    if (auto body = elaborate(*decl.body, ctx)) {
      std::string declared = arrow(types, dom, cod), actual = arrow(types, body->dom, body->cod);
      ok = types.unify(body->dom, dom) && types.unify(body->cod, cod);
      if (!ok)
        diags.report(decl.body->loc(), diag::err_decl_type_mismatch)
            << decl.name.name << declared << actual << decl.body->range;
    }
  }
  inProgress.erase(&decl);
  genericChecked[&decl] = ok;
  return ok;
}

std::unique_ptr<Term> Sema::elaborateGeneric(const MorphismDecl &decl, LoadedModule &m,
                                             const RefExpr &use, ElabContext &ctx) {
  if (inProgress.count(&decl)) {
    diags.report(use.loc(), diag::err_definition_cycle)
        << decl.name.name << "it is used inside its own definition" << use.range;
    return nullptr;
  }
  if (!checkGenericDecl(decl, m))
    return nullptr;
  if (use.hasArgs) {
    diags.report(use.loc(), diag::err_unexpected_arguments) << decl.name.name << use.range;
    return nullptr;
  }
  if (use.hasGenericArgs && use.genericArgs.size() != decl.genericParams.size()) {
    diags.report(use.loc(), diag::err_generic_arity)
        << decl.name.name << static_cast<uint64_t>(decl.genericParams.size())
        << static_cast<uint64_t>(use.genericArgs.size()) << use.range;
    return nullptr;
  }
  ElabContext inner(ctx.types, m);
  for (size_t i = 0; i < decl.genericParams.size(); ++i) {
    TypeId arg = ctx.types.freshVar();
    if (use.hasGenericArgs) {
      const GenericArg &g = use.genericArgs[i];
      if (g.integer && g.integer->value != 1) {
        diags.report(g.range.Start, diag::err_expected_object_arg)
            << std::to_string(g.integer->value) << g.range;
        return nullptr;
      }
      arg = g.object ? buildObject(*g.object, ctx) : ctx.types.unit();
      if (arg < 0)
        return nullptr;
    }
    inner.generics[decl.genericParams[i].name] = arg;
  }
  Instantiation instantiation{&decl, &m};
  TypeId dom = -1, cod = -1;
  std::unique_ptr<Term> body;
  {
    // Errors in a body from another file are reported at this use.
    OpenUseSite site(diags, useSite(instantiation, use.range));
    dom = buildObject(*decl.dom, inner);
    cod = buildObject(*decl.cod, inner);
    if (dom < 0 || cod < 0)
      return nullptr;
    inProgress.insert(&decl);
    body = elaborate(*decl.body, inner);
    inProgress.erase(&decl);
  }
  if (!body)
    return nullptr;
  std::string declared = arrow(ctx.types, dom, cod);
  std::string actual = arrow(ctx.types, body->dom, body->cod);
  if (!ctx.types.unify(body->dom, dom) || !ctx.types.unify(body->cod, cod)) {
    diags.report(use.loc(), diag::err_decl_type_mismatch)
        << decl.name.name << declared << actual << use.range;
    return nullptr;
  }
  ctx.pendingProjections.insert(ctx.pendingProjections.end(), inner.pendingProjections.begin(),
                                inner.pendingProjections.end());
  auto scope = std::make_unique<Term>(Term::Kind::Scope, use.range);
  scope->name = localName(ctx, decl.name.name);
  scope->dom = dom;
  scope->cod = cod;
  scope->children.push_back(std::move(body));
  instantiations[scope.get()] = instantiation;
  return scope;
}

DiagnosticEngine::UseSite Sema::useSite(const Instantiation &inst, llvm::SMRange use) {
  return {use, diag::note_in_definition, {inst.decl->name.name, inst.module->name}};
}

bool Sema::solveProjections(ElabContext &ctx, bool final) {
  TypeContext &t = ctx.types;
  bool ok = true;
  std::vector<PendingProjection> still;
  for (PendingProjection &pending : ctx.pendingProjections) {
    Term *p = pending.term;
    // Reported in the use sites where the projection arose.
    UseSitesScope sites(diags, pending.sites);
    switch (t.shapeOf(p->dom)) {
    case TypeContext::Shape::Unknown:
      still.push_back(pending);
      break;
    case TypeContext::Shape::Tensor:
      diags.report(p->range.Start, diag::err_pi_not_product)
          << std::to_string(p->attrs.index) << t.str(p->dom) << p->range;
      ok = false;
      break;
    case TypeContext::Shape::Product: {
      std::vector<TypeId> fs = t.factorsOf(p->dom);
      if (p->attrs.index >= static_cast<int64_t>(fs.size())) {
        diags.report(p->range.Start, diag::err_pi_index)
            << std::to_string(p->attrs.index) << t.str(p->dom)
            << static_cast<uint64_t>(fs.size()) << p->range;
        ok = false;
      } else if (!t.unify(p->cod, fs[p->attrs.index])) {
        still.push_back(pending); // the mismatch surfaces where the codomain is used
      }
      break;
    }
    }
  }
  ctx.pendingProjections = final ? std::vector<PendingProjection>{} : std::move(still);
  return ok;
}

bool Sema::resolveTerm(Term &term, ElabContext &ctx) {
  auto instantiation = term.kind == Term::Kind::Scope ? instantiations.find(&term)
                                                      : instantiations.end();
  if (instantiation != instantiations.end()) {
    // Errors in a body from another file are reported at this use.
    OpenUseSite site(diags, useSite(instantiation->second, term.range));
    resolvingScopes.push_back(&term);
    bool ok = resolveTerm(*term.children.front(), ctx);
    resolvingScopes.pop_back();
    if (!ok)
      return false;
  } else {
    for (auto &child : term.children)
      if (!resolveTerm(*child, ctx))
        return false;
  }
  TypeContext &t = ctx.types;
  if (!t.isResolved(term.dom) || !t.isResolved(term.cod)) {
    int site = diags.relocationSite(term.range.Start);
    if (site >= 0 && resolvingScopes.size() == diags.openUseSites().size()) {
      reportCannotInferInUse(term, site, ctx);
      return false;
    }
    std::string what = term.kind == Term::Kind::Prim ? primName(term.op)
                       : term.name.empty()            ? sourceText(term.range)
                                                      : sourceText(term.range);
    diags.report(term.range.Start, diag::err_cannot_infer)
        << what << arrow(t, term.dom, term.cod) << term.range;
    return false;
  }
  term.domObj = t.resolve(term.dom);
  term.codObj = t.resolve(term.cod);
  if (term.kind == Term::Kind::Map)
    term.mapCount = *t.dimValue(term.mapCountDim);
  if (term.kind == Term::Kind::Prim) {
    if (auto problem = checkPrimitive(term.op, term.attrs, term.domObj, term.codObj)) {
      diags.report(term.range.Start, diag::err_primitive_constraint) << *problem << term.range;
      return false;
    }
    term.params = primitiveParams(term.op, term.attrs, term.domObj, term.codObj);
  }
  return true;
}

void Sema::reportCannotInferInUse(const Term &unresolved, size_t site, ElabContext &ctx) {
  TypeContext &t = ctx.types;
  const Term &use = *resolvingScopes[site];
  const ast::MorphismDecl &generic = *instantiations.at(&use).decl;
  const ast::MorphismDecl &around = *instantiations.at(resolvingScopes.back()).decl;
  std::string params;
  for (const Ident &p : generic.genericParams)
    params += (params.empty() ? "" : ", ") + p.name;
  std::string known = arrow(t, use.dom, use.cod);
  std::string inner = arrow(t, unresolved.dom, unresolved.cod);
  std::string what = unresolved.kind == Term::Kind::Prim ? primName(unresolved.op)
                                                         : sourceText(unresolved.range);
  diags.report(use.range.Start, diag::err_cannot_infer_generic)
      << generic.name.name << known << params << use.range;
  // Down the definitions to the unknown, as DiagnosticEngine relocates.
  for (size_t i = site + 1; i < resolvingScopes.size(); ++i) {
    const Instantiation &outer = instantiations.at(resolvingScopes[i - 1]);
    const Term &next = *resolvingScopes[i];
    diags.report(next.range.Start, diag::note_in_definition)
        << outer.decl->name.name << outer.module->name << next.range;
  }
  diags.report(unresolved.range.Start, diag::note_cannot_infer_inside)
      << around.name.name << what << inner << unresolved.range;
}

std::unique_ptr<MorphismInstance> Sema::checkBody(const std::string &name, llvm::SMLoc loc,
                                                  const Expr &body, TypeId dom, TypeId cod,
                                                  ElabContext &ctx) {
  auto term = elaborate(body, ctx);
  if (!term)
    return nullptr;
  TypeContext &t = ctx.types;
  std::string declared = arrow(t, dom, cod), actual = arrow(t, term->dom, term->cod);
  if (!t.unify(term->dom, dom) || !t.unify(term->cod, cod)) {
    diags.report(body.loc(), diag::err_decl_type_mismatch) << name << declared << actual
                                                           << body.range;
    return nullptr;
  }
  if (!solveProjections(ctx, false) || !solveProjections(ctx, true) || !resolveTerm(*term, ctx))
    return nullptr;
  auto inst = std::make_unique<MorphismInstance>();
  inst->name = name;
  inst->module = ctx.module->name;
  inst->loc = loc;
  inst->dom = term->domObj;
  inst->cod = term->codObj;
  inst->body = std::move(term);
  return inst;
}

const MorphismInstance *Sema::instanceOf(const MorphismDecl &decl, LoadedModule &m) {
  if (!decl.genericParams.empty()) {
    checkGenericDecl(decl, m);
    return nullptr;
  }
  if (auto it = instances.find(&decl); it != instances.end())
    return it->second;
  if (failed.count(&decl))
    return nullptr;
  if (inProgress.count(&decl)) {
    diags.report(decl.name.range.Start, diag::err_definition_cycle)
        << decl.name.name << "it refers to itself through its body" << decl.name.range;
    failed.insert(&decl);
    return nullptr;
  }
  UseSitesScope own(diags); // its errors are its own, not a user's
  inProgress.insert(&decl);
  TypeContext types;
  ElabContext ctx(types, m);
  std::unique_ptr<MorphismInstance> inst;
  TypeId dom = buildObject(*decl.dom, ctx), cod = buildObject(*decl.cod, ctx);
  if (dom >= 0 && cod >= 0)
    inst = checkBody(decl.name.name, decl.name.range.Start, *decl.body, dom, cod, ctx);
  inProgress.erase(&decl);
  if (!inst || failed.count(&decl)) {
    failed.insert(&decl);
    return nullptr;
  }
  MorphismInstance *raw = inst.get();
  program->instances.push_back(std::move(inst));
  instances[&decl] = raw;
  return raw;
}

} // namespace cat
