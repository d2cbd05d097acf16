//===- Canonical.cpp - Cartesian rewrites for proving laws ---------------===//
//
// Rewrites that hold in every cartesian category (docs/language.md §8: "naturality
// of the structural maps"), applied to a sequence's adjacent boxes until
// none applies, with the IR's own normalisation in between:
//
//   copy ; (f * g)          = <f, g>              (definition of pairing)
//   f ; copy                = <f, f>              (naturality of copy)
//   <f0, …, fk> ; pi[i]     = fi                  (projections; fst, snd)
//   <f, g> ; swap           = <g, f>              (naturality of swap)
//   swap ; swap             = id
//   <f, g> ; (h * k)        = <f ; h, g ; k>      (pairing absorbs a layer)
//   f ; drop                = drop                (1 is terminal)
//   <pi[0], …, pi[k]>       = id                  (surjective pairing)
//
// Every rule is oriented so that a sequence gets shorter or a copy moves
// into a pairing, so the rewriting terminates. All rules are sound, so a
// law whose sides reach the same form holds.
//
//===----------------------------------------------------------------------===//
#include "Laws/Canonical.h"

#include <sstream>

namespace cat::laws {

using ir::Node;

std::unique_ptr<Node> cloneNode(const Node &n) {
  auto copy = std::make_unique<Node>(n.kind);
  copy->dom = n.dom;
  copy->cod = n.cod;
  copy->op = n.op;
  copy->attrs = n.attrs;
  copy->params = n.params;
  copy->mapCount = n.mapCount;
  for (const auto &c : n.children)
    copy->children.push_back(cloneNode(*c));
  return copy;
}

static bool isPrim(const Node &n, PrimOp op) { return n.kind == Node::Kind::Prim && n.op == op; }

static std::unique_ptr<Node> makePrim(PrimOp op, const Obj &dom, const Obj &cod) {
  auto n = std::make_unique<Node>(Node::Kind::Prim);
  n->op = op;
  n->dom = dom;
  n->cod = cod;
  return n;
}

/// The projection index of a fst/snd/pi box, or -1.
static int64_t projectionIndex(const Node &n) {
  if (n.kind != Node::Kind::Prim)
    return -1;
  if (n.op == PrimOp::Fst)
    return 0;
  if (n.op == PrimOp::Snd)
    return 1;
  return n.op == PrimOp::Pi ? n.attrs.index : -1;
}

/// Splits the (flattened) factors of a parallel box into groups whose input
/// wires are \p wireCounts, each group one node; empty if they do not line up.
static std::vector<std::unique_ptr<Node>> splitParallel(Node &par, const std::vector<size_t> &wireCounts) {
  std::vector<std::unique_ptr<Node>> groups;
  std::vector<Node *> pieces;
  if (par.kind == Node::Kind::Par)
    for (auto &c : par.children)
      pieces.push_back(c.get());
  else
    pieces.push_back(&par);
  size_t at = 0;
  std::vector<std::vector<Node *>> plan;
  for (size_t want : wireCounts) {
    std::vector<Node *> group;
    size_t have = 0;
    while (have < want && at < pieces.size()) {
      have += pieces[at]->numInputs();
      group.push_back(pieces[at++]);
    }
    // A box without input wires (e.g. `zero`) cannot be placed unambiguously.
    if (have != want || group.empty())
      return {};
    plan.push_back(std::move(group));
  }
  if (at != pieces.size())
    return {};
  for (const auto &group : plan) {
    if (group.size() == 1) {
      groups.push_back(cloneNode(*group[0]));
      continue;
    }
    auto p = std::make_unique<Node>(Node::Kind::Par);
    std::vector<Obj> doms, cods;
    for (Node *piece : group) {
      doms.push_back(piece->dom);
      cods.push_back(piece->cod);
      p->children.push_back(cloneNode(*piece));
    }
    p->dom = Obj::product(doms);
    p->cod = Obj::product(cods);
    groups.push_back(std::move(p));
  }
  return groups;
}

/// Rewrites the pair `a ; b`; returns the replacement or null.
static std::unique_ptr<Node> rewritePair(Node &a, Node &b) {
  if (isPrim(b, PrimOp::Drop))
    return makePrim(PrimOp::Drop, a.dom, b.cod);
  if (isPrim(a, PrimOp::Swap) && isPrim(b, PrimOp::Swap))
    return makePrim(PrimOp::Id, a.dom, b.cod);
  if (isPrim(a, PrimOp::Copy)) {
    size_t wires = a.numInputs();
    auto groups = splitParallel(b, {wires, wires});
    if (groups.empty())
      return nullptr;
    auto fork = std::make_unique<Node>(Node::Kind::Fork);
    fork->dom = a.dom;
    fork->cod = b.cod;
    fork->children = std::move(groups);
    return fork;
  }
  if (isPrim(b, PrimOp::Copy) && !isPrim(a, PrimOp::Copy)) {
    auto fork = std::make_unique<Node>(Node::Kind::Fork);
    fork->dom = a.dom;
    fork->cod = b.cod;
    fork->children.push_back(cloneNode(a));
    fork->children.push_back(cloneNode(a));
    return fork;
  }
  if (a.kind != Node::Kind::Fork)
    return nullptr;
  int64_t index = projectionIndex(b);
  if (index >= 0 && static_cast<size_t>(index) < a.children.size() &&
      b.dom.factors.size() == a.children.size())
    return std::move(a.children[static_cast<size_t>(index)]);
  if (isPrim(b, PrimOp::Swap) && a.children.size() == 2) {
    auto fork = std::make_unique<Node>(Node::Kind::Fork);
    fork->dom = a.dom;
    fork->cod = b.cod;
    fork->children.push_back(std::move(a.children[1]));
    fork->children.push_back(std::move(a.children[0]));
    return fork;
  }
  if (b.kind == Node::Kind::Par) {
    std::vector<size_t> counts;
    for (const auto &c : a.children)
      counts.push_back(c->numOutputs());
    auto groups = splitParallel(b, counts);
    if (groups.empty())
      return nullptr;
    auto fork = std::make_unique<Node>(Node::Kind::Fork);
    fork->dom = a.dom;
    fork->cod = b.cod;
    for (size_t i = 0; i < groups.size(); ++i)
      fork->children.push_back(makeSeq(std::move(a.children[i]), std::move(groups[i])));
    return fork;
  }
  return nullptr;
}

/// `<pi[0], …, pi[k-1]>` over a product of k factors is the identity.
static bool isSurjectivePairing(const Node &n) {
  if (n.kind != Node::Kind::Fork || n.dom.factors.size() != n.children.size() || !n.dom.isProduct())
    return false;
  for (size_t i = 0; i < n.children.size(); ++i)
    if (projectionIndex(*n.children[i]) != static_cast<int64_t>(i))
      return false;
  return true;
}

/// One rewrite somewhere in \p slot (children first); true if it did one.
static bool rewriteOnce(std::unique_ptr<Node> &slot) {
  Node &n = *slot;
  for (auto &c : n.children)
    if (rewriteOnce(c))
      return true;
  if (isSurjectivePairing(n)) {
    slot = makePrim(PrimOp::Id, n.dom, n.cod);
    return true;
  }
  if (n.kind != Node::Kind::Seq)
    return false;
  for (size_t i = 0; i + 1 < n.children.size(); ++i) {
    auto replacement = rewritePair(*n.children[i], *n.children[i + 1]);
    if (!replacement)
      continue;
    n.children[i] = std::move(replacement);
    n.children.erase(n.children.begin() + static_cast<long>(i) + 1);
    return true;
  }
  return false;
}

void canonicalize(std::unique_ptr<Node> &node) {
  ir::normalize(*node);
  // Each rule shortens a sequence or moves a box into a pairing; the bound
  // only guards against a rule set that stops terminating after an edit.
  for (int step = 0; step < 1000 && rewriteOnce(node); ++step)
    ir::normalize(*node);
}

bool sameDiagram(const Node &a, const Node &b) {
  if (a.kind != b.kind || a.dom != b.dom || a.cod != b.cod || a.mapCount != b.mapCount ||
      a.children.size() != b.children.size())
    return false;
  if (a.kind == Node::Kind::Prim &&
      (a.op != b.op || a.params != b.params || a.attrs.constant != b.attrs.constant ||
       a.attrs.index != b.attrs.index))
    return false;
  for (size_t i = 0; i < a.children.size(); ++i)
    if (!sameDiagram(*a.children[i], *b.children[i]))
      return false;
  return true;
}

static void printCompact(const Node &n, const ir::ParamLayout &layout, std::ostringstream &os,
                         bool nested) {
  switch (n.kind) {
  case Node::Kind::Prim:
    os << ir::boxNameWithParams(n, layout);
    return;
  case Node::Kind::Map:
    os << "map(";
    printCompact(*n.children[0], layout, os, false);
    os << ")";
    return;
  case Node::Kind::Seq:
  case Node::Kind::Par:
  case Node::Kind::Fork: {
    bool fork = n.kind == Node::Kind::Fork;
    const char *sep = fork ? ", " : n.kind == Node::Kind::Seq ? " ; " : " * ";
    bool parens = !fork && nested;
    os << (fork ? "<" : parens ? "(" : "");
    for (size_t i = 0; i < n.children.size(); ++i) {
      os << (i ? sep : "");
      printCompact(*n.children[i], layout, os, !fork);
    }
    os << (fork ? ">" : parens ? ")" : "");
    return;
  }
  }
}

std::string compactForm(const Node &node, const ir::ParamLayout &layout) {
  std::ostringstream os;
  os.precision(12);
  printCompact(node, layout, os, false);
  return os.str();
}

} // namespace cat::laws
