//===- SemaTrain.cpp - Checking train blocks -----------------------------===//
//
// A `train M { … }` block (docs/language.md §7) names a non-generic morphism and
// gives its data source, loss, optimizer and schedule. The loss is typed as
// a morphism `Cod(M) * T -> R`; the target object T is inferred from it
// (for `cross_entropy` after `R[3]`, T = Fin[3]).
//
//===----------------------------------------------------------------------===//
#include "Sema/SemaImpl.h"

#include <cmath>

namespace cat {

llvm::ArrayRef<llvm::StringRef> trainBlockKeys() {
  static const llvm::StringRef keys[] = {"data", "loss",       "optimizer", "epochs",
                                         "batch", "seed",      "validation", "schedule",
                                         "weight_decay", "clip", "patience"};
  return keys;
}

using namespace ast;

namespace {
/// The largest count or index a train block may state; anything larger is
/// a mistake, and converting it to int64_t would be undefined.
constexpr double kMaxTrainInteger = 1e15;

/// \p v as an integer when it is a whole number in [min, kMaxTrainInteger].
/// Compares as doubles first, so no out-of-range value is ever converted.
std::optional<int64_t> wholeNumber(double v, double min) {
  if (!(v >= min && v <= kMaxTrainInteger) || v != std::floor(v))
    return std::nullopt;
  return static_cast<int64_t>(v);
}

/// Reads the values of one train block, reporting what is malformed.
class TrainReader {
public:
  explicit TrainReader(DiagnosticEngine &diags) : diags(diags) {}

  std::optional<int64_t> integer(const TrainEntry &e, int64_t min) {
    auto *n = llvm::dyn_cast<NumberValue>(e.value.get());
    std::optional<int64_t> value;
    if (n && n->isInteger)
      value = wholeNumber(n->value, static_cast<double>(min));
    if (!value)
      bad(e, "an integer of at least " + std::to_string(min));
    return value;
  }

  std::optional<double> number(const Value &v) {
    if (auto *n = llvm::dyn_cast<NumberValue>(&v))
      return n->value;
    return std::nullopt;
  }

  std::optional<std::string> string(const Value &v) {
    if (auto *s = llvm::dyn_cast<StringValue>(&v))
      return s->value;
    return std::nullopt;
  }

  static const RefExpr *call(const Value &v) {
    auto *ev = llvm::dyn_cast<ExprValue>(&v);
    return ev ? llvm::dyn_cast<RefExpr>(ev->expr.get()) : nullptr;
  }

  void bad(const TrainEntry &e, const std::string &what) {
    diags.report(e.value->loc(), diag::err_train_bad_value) << e.key.name << what << e.value->range;
  }

  bool data(const TrainEntry &e, DataSpec &spec);
  bool optimizer(const TrainEntry &e, OptimizerSpec &spec);
  bool schedule(const TrainEntry &e, ScheduleSpec &spec);

  /// Whether the optimizer's options gave a weight decay.
  bool weightDecayGiven = false;

private:
  DiagnosticEngine &diags;
};
} // namespace

/// Whether the primitive \p op occurs in \p t, through named morphisms.
bool usesPrimitive(const Term &t, PrimOp op) {
  if (t.kind == Term::Kind::Prim)
    return t.op == op;
  if (t.kind == Term::Kind::Ref)
    return t.target && t.target->body && usesPrimitive(*t.target->body, op);
  for (const auto &c : t.children)
    if (usesPrimitive(*c, op))
      return true;
  return false;
}

/// The primitive occurrence whose output is \p t's output, when there is
/// one: the last step of a composite, through generics, maps and names.
const Term *lastPrimitive(const Term &t) {
  switch (t.kind) {
  case Term::Kind::Prim:
    return &t;
  case Term::Kind::Compose:
  case Term::Kind::Scope:
  case Term::Kind::Map:
    return t.children.empty() ? nullptr : lastPrimitive(*t.children.back());
  case Term::Kind::Ref:
    return t.target && t.target->body ? lastPrimitive(*t.target->body) : nullptr;
  default:
    return nullptr;
  }
}

/// The step before the last of a composite, through names and generics:
/// what feeds \p t's final primitive.
const Term *beforeLast(const Term &t) {
  switch (t.kind) {
  case Term::Kind::Compose:
    if (t.children.size() >= 2 && lastPrimitive(*t.children.back()) == lastPrimitive(t) &&
        t.children.back()->kind == Term::Kind::Prim)
      return t.children[t.children.size() - 2].get();
    return t.children.empty() ? nullptr : beforeLast(*t.children.back());
  case Term::Kind::Scope:
    return t.children.empty() ? nullptr : beforeLast(*t.children.back());
  case Term::Kind::Ref:
    return t.target && t.target->body ? beforeLast(*t.target->body) : nullptr;
  default:
    return nullptr;
  }
}

/// The heads of a loss that is a sum of two: their names as written
/// ("mse", "cross_entropy"), or "head 1" and "head 2".
std::vector<std::string> lossHeads(Sema &sema, const Term &loss) {
  const Term *add = lastPrimitive(loss);
  if (!add || add->op != PrimOp::Add || !add->domObj.isProduct() || add->domObj.factors.size() != 2 ||
      add->domObj.factors[0] != Obj::real({}))
    return {};
  const Term *parts = beforeLast(loss);
  if (parts && (parts->kind == Term::Kind::Tensor || parts->kind == Term::Kind::Pair) &&
      parts->children.size() == 2)
    return {sema.sourceText(parts->children[0]->range), sema.sourceText(parts->children[1]->range)};
  return {"head 1", "head 2"};
}

LossKind lossKindOf(const Term &loss, const Obj &target, const Obj &modelCod) {
  bool labels = false;
  for (const Obj &f : target.flatten())
    labels |= f.isFin();
  if (labels && usesPrimitive(loss, PrimOp::CrossEntropy))
    return LossKind::Classes;
  if (usesPrimitive(loss, PrimOp::Bce))
    return LossKind::Binary;
  if (!labels && target == modelCod)
    return LossKind::Regression;
  return LossKind::Other;
}

bool TrainReader::data(const TrainEntry &e, DataSpec &spec) {
  const RefExpr *c = call(*e.value);
  if (!c || c->args.empty() || c->args[0].name || !string(*c->args[0].value)) {
    bad(e, "a data source such as csv(\"file.csv\", target = \"label\")");
    return false;
  }
  const std::string &kind = c->name.name;
  if (kind == "csv")
    spec.kind = DataSpec::Kind::Csv;
  else if (kind == "text")
    spec.kind = DataSpec::Kind::Text;
  else if (kind == "tokens")
    spec.kind = DataSpec::Kind::Tokens;
  else {
    diags.report(c->loc(), diag::err_unknown_data_source) << kind << c->name.range;
    return false;
  }
  spec.path = *string(*c->args[0].value);
  for (size_t i = 1; i < c->args.size(); ++i) {
    const Arg &a = c->args[i];
    std::string key = a.name ? a.name->name : "";
    const Value &v = *a.value;
    if (spec.kind == DataSpec::Kind::Csv && key == "target") {
      const RefExpr *r = call(v);
      if (r && r->name.name == "features" && !r->hasArgs && !r->hasGenericArgs)
        spec.targetIsFeatures = true;
      else if (auto s = string(v))
        spec.targetName = *s;
      else if (auto n = number(v); n && wholeNumber(*n, 0))
        spec.targetIndex = *wholeNumber(*n, 0);
      else
        return bad(e, "target = \"column name\", a column index or features"), false;
    } else if (spec.kind == DataSpec::Kind::Csv && key == "features") {
      auto *list = llvm::dyn_cast<ListValue>(&v);
      if (!list)
        return bad(e, "features = [\"column\", …] or [index, …]"), false;
      for (const auto &el : list->elements) {
        if (auto s = string(*el))
          spec.featureNames.push_back(*s);
        else if (auto n = number(*el); n && wholeNumber(*n, 0))
          spec.featureIndices.push_back(*wholeNumber(*n, 0));
        else
          return bad(e, "features = [\"column\", …] or [index, …]"), false;
      }
      if (!spec.featureNames.empty() && !spec.featureIndices.empty())
        return bad(e, "features by name or by index, not both"), false;
    } else if (spec.kind != DataSpec::Kind::Csv && key == "context") {
      auto n = number(v);
      std::optional<int64_t> context = n ? wholeNumber(*n, 1) : std::nullopt;
      if (!context)
        return bad(e, "context = a positive integer"), false;
      spec.context = *context;
    } else if (spec.kind == DataSpec::Kind::Tokens && key == "vocab") {
      auto *list = llvm::dyn_cast<ListValue>(&v);
      if (!list)
        return bad(e, "vocab = [\"word\", …]"), false;
      for (const auto &el : list->elements) {
        auto s = string(*el);
        if (!s)
          return bad(e, "vocab = [\"word\", …]"), false;
        spec.vocab.push_back(*s);
      }
    } else {
      diags.report(a.value->loc(), diag::err_unknown_option)
          << kind << (key.empty() ? std::string("(positional)") : key) << a.value->range;
      return false;
    }
  }
  if (spec.kind == DataSpec::Kind::Tokens && spec.vocab.empty())
    return bad(e, "tokens(\"file\", vocab = [\"word\", …])"), false;
  return true;
}

bool TrainReader::schedule(const TrainEntry &e, ScheduleSpec &spec) {
  const RefExpr *c = call(*e.value);
  const char *expected = "constant, step(every = k, gamma = g) or cosine(warmup = k)";
  if (!c || c->hasGenericArgs)
    return bad(e, expected), false;
  const std::string &kind = c->name.name;
  if (kind == "constant" && !c->hasArgs)
    spec.kind = ScheduleSpec::Kind::Constant;
  else if (kind == "step")
    spec.kind = ScheduleSpec::Kind::Step;
  else if (kind == "cosine")
    spec.kind = ScheduleSpec::Kind::Cosine;
  else
    return bad(e, expected), false;
  bool isStep = spec.kind == ScheduleSpec::Kind::Step, hasEvery = false;
  std::set<std::string> given;
  for (const Arg &a : c->args) {
    std::string key = a.name ? a.name->name : "";
    auto n = number(*a.value);
    if (!key.empty() && !given.insert(key).second)
      return bad(e, "each of " + kind + "'s options once ('" + key + "' is given twice)"), false;
    if ((isStep && key == "every") || (!isStep && key == "warmup")) {
      std::optional<int64_t> k = n ? wholeNumber(*n, isStep ? 1 : 0) : std::nullopt;
      if (!k)
        return bad(e, "'" + key + "' to be " + (isStep ? "a positive" : "a non-negative") +
                          " integer (optimizer steps)"),
               false;
      spec.every = *k;
      hasEvery = true;
    } else if (isStep && key == "gamma") {
      if (!n || !(*n > 0 && *n <= 1))
        return bad(e, "'gamma' to be a factor in (0, 1]"), false;
      spec.gamma = *n;
    } else {
      diags.report(a.value->loc(), diag::err_unknown_option)
          << kind << (key.empty() ? std::string("(positional)") : key) << a.value->range;
      return false;
    }
  }
  if (isStep && !hasEvery)
    return bad(e, "step(every = k, gamma = g): how many optimizer steps between decays"), false;
  return true;
}

bool TrainReader::optimizer(const TrainEntry &e, OptimizerSpec &spec) {
  const RefExpr *c = call(*e.value);
  if (!c) {
    bad(e, "an optimizer such as sgd(lr = 0.1) or adam(lr = 0.001)");
    return false;
  }
  bool adamw = c->name.name == "adamw";
  if (c->name.name == "sgd")
    spec.kind = OptimizerSpec::Kind::Sgd;
  else if (c->name.name == "adam" || adamw) {
    // AdamW is Adam with decoupled weight decay, torch's default 0.01.
    spec.kind = OptimizerSpec::Kind::Adam;
    spec.lr = 0.001;
    spec.weightDecay = adamw ? 0.01 : 0;
  } else {
    diags.report(c->loc(), diag::err_unknown_optimizer) << c->name.name << c->name.range;
    return false;
  }
  bool isSgd = spec.kind == OptimizerSpec::Kind::Sgd;
  bool hasLr = false;
  for (size_t i = 0; i < c->args.size(); ++i) {
    const Arg &a = c->args[i];
    std::string key = a.name ? a.name->name : (i == 0 ? "lr" : "");
    auto n = number(*a.value);
    double *slot = key == "lr"                   ? &spec.lr
                   : isSgd && key == "momentum"  ? &spec.momentum
                   : !isSgd && key == "beta1"    ? &spec.beta1
                   : !isSgd && key == "beta2"    ? &spec.beta2
                   : !isSgd && key == "eps"      ? &spec.eps
                   : adamw && key == "weight_decay" ? &spec.weightDecay
                                                 : nullptr;
    if (!slot) {
      diags.report(a.value->loc(), diag::err_unknown_option)
          << c->name.name << (key.empty() ? std::string("(positional)") : key) << a.value->range;
      return false;
    }
    if (!n || *n < 0) {
      bad(e, "'" + key + "' to be a non-negative number");
      return false;
    }
    *slot = *n;
    hasLr |= key == "lr";
    weightDecayGiven |= key == "weight_decay";
  }
  // SGD has no learning rate that suits most models (torch requires one too).
  if (isSgd && !hasLr) {
    diags.report(c->loc(), diag::err_sgd_needs_lr) << c->range;
    return false;
  }
  return true;
}

bool Sema::checkTargetColumns(const ast::TrainEntry &dataEntry, const TrainSpec &spec,
                              const MorphismInstance &model) {
  const DataSpec &d = spec.data;
  int64_t targetSize = spec.target.numElements(), inputSize = model.dom.numElements();
  if (d.targetIsFeatures && targetSize != inputSize) {
    diags.report(dataEntry.value->loc(), diag::err_target_features_size)
        << spec.target.str() << targetSize << model.dom.str() << inputSize << dataEntry.value->range;
    return false;
  }
  if (!d.targetIndex)
    return true;
  int64_t first = *d.targetIndex, last = first + targetSize - 1;
  for (int64_t column : d.featureIndices)
    if (column >= first && column <= last) {
      std::string taken = first == last ? "index " + std::to_string(first)
                                        : "indices " + std::to_string(first) + " to " +
                                              std::to_string(last);
      diags.report(dataEntry.value->loc(), diag::err_target_overlaps_features)
          << column << spec.target.str() << taken << dataEntry.value->range;
      return false;
    }
  return true;
}

// `bce` and `cross_entropy` take raw scores (logits) and apply the sigmoid
// or the softmax themselves; a model that ends in one trains on it twice.
void Sema::warnActivationTwice(const ast::ExprValue &lossExpr, const Term &loss,
                               const MorphismInstance &model) {
  const Term *last = model.body ? lastPrimitive(*model.body) : nullptr;
  if (!last)
    return;
  PrimOp lossOp;
  if (last->op == PrimOp::Sigmoid && usesPrimitive(loss, PrimOp::Bce))
    lossOp = PrimOp::Bce;
  else if (last->op == PrimOp::Softmax && usesPrimitive(loss, PrimOp::CrossEntropy))
    lossOp = PrimOp::CrossEntropy;
  else
    return;
  diags.report(lossExpr.loc(), diag::warn_activation_twice)
      << primName(lossOp) << primName(last->op) << model.name << lossExpr.range;
  diags.report(last->range.Start, diag::note_final_activation)
      << model.name << primName(last->op) << last->range;
}

void Sema::checkTrain(const TrainDecl &decl, LoadedModule &m, Program &prog) {
  if (prog.train) {
    diags.report(decl.loc(), diag::err_train_duplicate) << decl.morphism.range;
    return;
  }
  const Symbol *sym = lookup(m, decl.morphism.name);
  if (!sym || sym->isObject()) {
    reportUnknownName(diag::err_train_unknown_morphism, decl.morphism.range.Start,
                      decl.morphism.range, decl.morphism.name, m, false);
    return;
  }
  const auto &md = llvm::cast<MorphismDecl>(*sym->decl);
  if (!md.genericParams.empty()) {
    diags.report(decl.morphism.range.Start, diag::err_train_generic) << md.name.name
                                                                     << decl.morphism.range;
    return;
  }
  const MorphismInstance *model = instanceOf(md, *sym->module);
  if (!model)
    return;
  TrainSpec spec;
  spec.model = model;
  TrainReader read(diags);
  std::set<std::string> seen;
  const TrainEntry *lossEntry = nullptr, *dataEntry = nullptr;
  std::optional<std::pair<double, const TrainEntry *>> weightDecay, clip;
  bool ok = true;
  for (const TrainEntry &e : decl.entries) {
    const std::string &key = e.key.name;
    if (!seen.insert(key).second) {
      diags.report(e.key.range.Start, diag::err_train_duplicate_key) << key << e.key.range;
      ok = false;
      continue;
    }
    if (key == "data") {
      ok &= read.data(e, spec.data);
      dataEntry = &e;
    }
    else if (key == "loss")
      lossEntry = &e;
    else if (key == "optimizer")
      ok &= read.optimizer(e, spec.optimizer);
    else if (key == "epochs") {
      auto v = read.integer(e, 1);
      ok &= v.has_value();
      spec.epochs = v.value_or(1);
    } else if (key == "batch") {
      const RefExpr *all = TrainReader::call(*e.value);
      if (all && all->name.name == "all" && !all->hasArgs && !all->hasGenericArgs)
        spec.batch = 0;
      else if (auto v = read.integer(e, 1))
        spec.batch = *v;
      else
        ok = false;
    } else if (key == "seed") {
      auto v = read.integer(e, 0);
      ok &= v.has_value();
      spec.seed = static_cast<uint64_t>(v.value_or(0));
    } else if (key == "validation") {
      auto v = read.number(*e.value);
      if (!v || *v < 0 || *v >= 1) {
        read.bad(e, "a fraction in [0, 1)");
        ok = false;
      } else
        spec.validation = *v;
    } else if (key == "weight_decay" || key == "clip") {
      auto v = read.number(*e.value);
      if (!v || *v < 0 || (key == "clip" && *v == 0)) {
        read.bad(e, key == "clip" ? "the gradient's largest norm, a positive number"
                                  : "a non-negative number");
        ok = false;
      } else
        (key == "clip" ? clip : weightDecay) = std::make_pair(*v, &e);
    } else if (key == "patience") {
      auto v = read.integer(e, 1);
      ok &= v.has_value();
      spec.patience = v.value_or(0);
    } else if (key == "schedule") {
      ok &= read.schedule(e, spec.schedule);
    } else {
      std::string hint;
      for (llvm::StringRef k : trainBlockKeys())
        if (llvm::StringRef(key).edit_distance(k) <= 2)
          hint = ("; did you mean '" + k + "'?").str();
      diags.report(e.key.range.Start, diag::err_train_unknown_key) << key << hint << e.key.range;
      ok = false;
    }
  }
  if (weightDecay) {
    if (read.weightDecayGiven) {
      diags.report(weightDecay->second->key.range.Start, diag::err_train_weight_decay_twice)
          << weightDecay->second->key.range;
      ok = false;
    }
    spec.optimizer.weightDecay = weightDecay->first;
  }
  if (clip)
    spec.optimizer.clip = clip->first;
  if (!lossEntry) {
    diags.report(decl.loc(), diag::err_train_missing_key) << md.name.name << "loss"
                                                          << decl.morphism.range;
    return;
  }
  auto *lossExpr = llvm::dyn_cast<ExprValue>(lossEntry->value.get());
  if (!lossExpr) {
    read.bad(*lossEntry, "a morphism such as cross_entropy");
    return;
  }
  TypeContext types;
  ElabContext ctx(types, m);
  TypeId target = types.freshVar();
  TypeId lossDom = types.product({types.fromObj(model->cod), target});
  auto term = elaborate(*lossExpr->expr, ctx);
  if (!term)
    return;
  std::string actual = arrow(types, term->dom, term->cod);
  if (!types.unify(term->dom, lossDom) || !types.unify(term->cod, types.real({}))) {
    diags.report(lossExpr->loc(), diag::err_loss_type)
        << model->cod.str() << sourceText(lossExpr->range) << actual << lossExpr->range;
    return;
  }
  if (!solveProjections(ctx, true) || !resolveTerm(*term, ctx) || !ok)
    return;
  spec.target = types.resolve(target);
  if (dataEntry && !checkTargetColumns(*dataEntry, spec, *model))
    return;
  spec.lossKind = lossKindOf(*term, spec.target, model->cod);
  spec.lossText = sourceText(lossExpr->range);
  spec.headNames = lossHeads(*this, *term);
  warnActivationTwice(*lossExpr, *term, *model);
  auto loss = std::make_unique<MorphismInstance>();
  loss->name = "loss";
  loss->module = m.name;
  loss->loc = lossExpr->loc();
  loss->dom = term->domObj;
  loss->cod = term->codObj;
  loss->body = std::move(term);
  spec.loss = std::move(loss);
  prog.train = std::move(spec);
}

} // namespace cat
