//===- Laws.cpp - Symbolic, then numeric, proofs of laws -----------------===//
//
// Both sides are lowered as one diagram `<lhs, rhs>`: the IR's lowering
// gives one parameter per primitive occurrence, so a named instance used
// on both sides has the same parameter index on both, while each fresh
// primitive or generic occurrence written in the law has its own.
//
// Symbolic: the sides' normal forms are compared box for box (parameters by
// index); if they differ, again after the cartesian rewrites (Canonical.h).
//
// Numeric: both sides run on kTrials random inputs (real wires uniform in
// [-2, 2], Fin wires uniform over their classes) and must agree within the
// tolerance (default 1e-5; |a - b| <= tol * max(1, |a|, |b|), so large
// values are compared relatively; two NaNs or two equal infinities agree).
// Parameters are random in [-1, 1] (not their initialisers, so that
// `bias == id` is not "proved" by zeros). Their values follow one rule:
//   - a parameter of a named instance has one value, wherever it appears;
//   - the k-th fresh parameter tensor of the left side (in order of first
//     appearance) and the k-th of the right side get the same values when
//     their shapes agree, so `linear ; relu == linear ; relu` holds while
//     `f == g` for two different named instances does not.
// Everything is seeded, so a law's verdict is reproducible.
//
//===----------------------------------------------------------------------===//
#include "Laws/Laws.h"

#include "IR/IR.h"
#include "Laws/Canonical.h"
#include "Laws/Evaluate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <random>

namespace cat::laws {

namespace {
constexpr double kDefaultTolerance = 1e-5;
constexpr int kTrials = 16;
/// Scalar operations after which no further trial starts (the first always runs).
constexpr uint64_t kWorkBudget = 50'000'000;

/// A reproducible stream of doubles: splitmix64, not std::*_distribution,
/// whose output differs between standard libraries.
class Stream {
public:
  explicit Stream(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53;
  }

private:
  uint64_t state;
};

uint64_t hashString(const std::string &s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

/// The source text of a side, on one line.
std::string sourceText(llvm::SMRange range) {
  if (!range.isValid() || range.End.getPointer() < range.Start.getPointer())
    return "expression";
  std::string flat;
  for (const char *p = range.Start.getPointer(); p != range.End.getPointer(); ++p) {
    char c = (*p == '\n' || *p == '\t' || *p == '\r') ? ' ' : *p;
    if (c != ' ' || flat.empty() || flat.back() != ' ')
      flat += c;
  }
  return flat;
}

/// A measured value (an input drawn at random, a difference) to 4
/// significant digits: its trailing digits are noise to the reader. A
/// number the user wrote, such as the tolerance, is printed in full instead
/// (`fmt::format("{}", v)`: the shortest form that reads back as it).
std::string formatNumber(double v) { return fmt::format("{:.4g}", v); }

/// `a vs b` with as few digits as tell them apart (at least 4).
std::string formatPair(double a, double b) {
  std::string x, y;
  for (int digits = 4; digits <= 17; ++digits) {
    x = fmt::format("{:.{}g}", a, digits);
    y = fmt::format("{:.{}g}", b, digits);
    if (x != y)
      break;
  }
  return x + " vs " + y;
}

/// `[0.5, -1.2, …]`, at most 8 elements.
std::string formatTensor(const Tensor &t) {
  std::string s = "[";
  for (size_t i = 0; i < t.size() && i < 8; ++i)
    s += (i ? ", " : "") + formatNumber(t[i]);
  return s + (t.size() > 8 ? ", …]" : "]");
}

/// `[i, j]`: the multi-index of flat element \p e of a tensor of \p shape.
std::string formatIndex(size_t e, const std::vector<int64_t> &shape) {
  std::vector<size_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    index[d] = e % static_cast<size_t>(shape[d]);
    e /= static_cast<size_t>(shape[d]);
  }
  return fmt::format("[{}]", fmt::join(index, ", "));
}

/// The worst disagreement seen between the sides.
struct Mismatch {
  double excess = 0; ///< |a - b| / allowed; > 1 means the law fails
  double difference = 0, lhs = 0, rhs = 0;
  size_t wire = 0, element = 0;
  Wires input;
};

bool sameValue(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

/// Parameter values by the rule of the file comment.
std::vector<Tensor> parameterValues(const LawSpec &law, const ir::ParamLayout &layout) {
  std::vector<Tensor> values;
  std::string lhsPrefix = law.lhs->name + ".", rhsPrefix = law.rhs->name + ".";
  uint64_t lhsFresh = 0, rhsFresh = 0;
  for (size_t i = 0; i < layout.tensors.size(); ++i) {
    const ir::ParamTensor &p = layout.tensors[i];
    uint64_t seed;
    if (llvm::StringRef(p.name).starts_with(lhsPrefix))
      seed = hashString(p.shape.str(), hashString("fresh " + std::to_string(lhsFresh++)));
    else if (llvm::StringRef(p.name).starts_with(rhsPrefix))
      seed = hashString(p.shape.str(), hashString("fresh " + std::to_string(rhsFresh++)));
    else
      seed = hashString(p.name, hashString("named " + std::to_string(i)));
    Stream stream(seed);
    Tensor t(static_cast<size_t>(p.size));
    for (double &v : t)
      v = stream.uniform(-1, 1);
    values.push_back(std::move(t));
  }
  return values;
}

Wires randomInput(const Obj &dom, Stream &stream) {
  Wires in;
  for (const Obj &wire : dom.flatten()) {
    Tensor t(static_cast<size_t>(wire.numElements()));
    for (double &v : t)
      v = wire.isFin() ? std::floor(stream.uniform(0, static_cast<double>(wire.classes)))
                       : stream.uniform(-2, 2);
    in.push_back(std::move(t));
  }
  return in;
}
} // namespace

Verdict checkLaw(const LawSpec &law, DiagnosticEngine &diags) {
  // One diagram <lhs, rhs>, so that parameters are numbered once for both.
  MorphismInstance both;
  both.name = law.name;
  both.loc = law.loc;
  both.dom = law.lhs->dom;
  both.cod = Obj::product({law.lhs->cod, law.rhs->cod});
  both.body = std::make_unique<Term>(Term::Kind::Pair, llvm::SMRange());
  both.body->domObj = both.dom;
  both.body->codObj = both.cod;
  for (const MorphismInstance *side : {law.lhs.get(), law.rhs.get()}) {
    auto ref = std::make_unique<Term>(Term::Kind::Ref, side->body->range);
    ref->target = side;
    ref->domObj = side->dom;
    ref->codObj = side->cod;
    both.body->children.push_back(std::move(ref));
  }
  ir::ParamLayout layout;
  ir::Function fn = ir::lowerMorphism(both, layout);
  const ir::Node &lhs = *fn.body->children[0], &rhs = *fn.body->children[1];
  if (sameDiagram(lhs, rhs))
    return Verdict::Symbolic;
  std::unique_ptr<ir::Node> lhsForm = cloneNode(lhs), rhsForm = cloneNode(rhs);
  canonicalize(lhsForm);
  canonicalize(rhsForm);
  if (sameDiagram(*lhsForm, *rhsForm))
    return Verdict::Symbolic;

  double tolerance = law.tolerance.value_or(kDefaultTolerance);
  std::vector<Tensor> params = parameterValues(law, layout);
  Evaluator eval(params);
  Stream inputs(hashString(law.name));
  Mismatch worst;
  for (int trial = 0; trial < kTrials && (trial == 0 || eval.work() < kWorkBudget); ++trial) {
    Wires in = randomInput(law.lhs->dom, inputs);
    Wires a = eval.run(lhs, in), b = eval.run(rhs, in);
    for (size_t w = 0; w < a.size() && w < b.size(); ++w)
      for (size_t e = 0; e < a[w].size() && e < b[w].size(); ++e) {
        double x = a[w][e], y = b[w][e];
        if (sameValue(x, y))
          continue;
        double difference = std::fabs(x - y);
        double allowed = tolerance * std::max({1.0, std::fabs(x), std::fabs(y)});
        double excess = std::isnan(difference) ? INFINITY : difference / allowed;
        if (excess > worst.excess)
          worst = {excess, difference, x, y, w, e, in};
      }
  }
  if (worst.excess <= 1)
    return Verdict::Numeric;

  std::vector<Obj> outputs = law.lhs->cod.flatten();
  std::string output = outputs.size() > 1 ? fmt::format("output {}", worst.wire) : "the output";
  const std::vector<int64_t> &shape = outputs[worst.wire].shape;
  std::string at = shape.empty() ? output
                                 : fmt::format("element {}{}", formatIndex(worst.element, shape),
                                               outputs.size() > 1 ? " of " + output : "");
  std::string where = fmt::format("{} ({})", at, formatPair(worst.lhs, worst.rhs));
  llvm::SMRange range(law.lhs->body->range.Start, law.rhs->body->range.End);
  diags.report(law.loc, diag::err_law_failed)
      << law.name << sourceText(law.lhs->body->range) << sourceText(law.rhs->body->range)
      << formatNumber(worst.difference) << where << range;
  std::string input;
  for (size_t w = 0; w < worst.input.size(); ++w)
    input += (w ? ", " : "") + formatTensor(worst.input[w]);
  diags.report(law.loc, diag::note_law_input)
      << (input.empty() ? std::string("()") : input) << tolerance;
  diags.report(law.loc, diag::note_law_normal_forms)
      << compactForm(*lhsForm, layout) << compactForm(*rhsForm, layout);
  return Verdict::Failed;
}

bool checkLaws(const Program &program, DiagnosticEngine &diags) {
  bool ok = true;
  for (const LawSpec &law : program.laws)
    ok &= checkLaw(law, diags) != Verdict::Failed;
  return ok;
}

} // namespace cat::laws
