//===- Normalize.cpp - The category laws as rewrites ---------------------===//
//
// Rewrites a diagram to its normal form under the laws of a symmetric
// monoidal category that matter for code: associativity (nested `;` and `*`
// are flattened — at the level of wires a nested product is its flattened
// factors), identity (`id ; f = f = f ; id`), and interchange
// (`(f1 * … * fk) ; (g1 * … * gk) = (f1 ; g1) * … * (fk ; gk)` whenever the
// wires of each fi meet exactly those of gi). Rewrites run bottom-up until
// nothing changes.
//
//===----------------------------------------------------------------------===//
#include "IR/IR.h"

namespace cat::ir {

static bool isIdentity(const Node &n) {
  return n.kind == Node::Kind::Prim && n.op == PrimOp::Id;
}

/// Splices children of the same kind into the parent (associativity).
static void flatten(Node &n) {
  std::vector<std::unique_ptr<Node>> out;
  for (auto &c : n.children) {
    if (c->kind == n.kind && (n.kind == Node::Kind::Seq || n.kind == Node::Kind::Par)) {
      for (auto &g : c->children)
        out.push_back(std::move(g));
    } else {
      out.push_back(std::move(c));
    }
  }
  n.children = std::move(out);
}

/// Drops identities from a sequence, keeping one if nothing else remains.
static void dropIdentities(Node &n) {
  std::vector<std::unique_ptr<Node>> out;
  for (auto &c : n.children)
    if (!isIdentity(*c))
      out.push_back(std::move(c));
  if (out.empty())
    out.push_back(std::move(n.children.front()));
  n.children = std::move(out);
}

/// A sequence of two parallel layers whose boxes line up wire for wire.
static bool interchangeable(const Node &a, const Node &b) {
  if (a.kind != Node::Kind::Par || b.kind != Node::Kind::Par ||
      a.children.size() != b.children.size())
    return false;
  for (size_t i = 0; i < a.children.size(); ++i)
    if (a.children[i]->cod.flatten() != b.children[i]->dom.flatten())
      return false;
  return true;
}

std::unique_ptr<Node> makeSeq(std::unique_ptr<Node> f, std::unique_ptr<Node> g) {
  auto seq = std::make_unique<Node>(Node::Kind::Seq);
  seq->dom = f->dom;
  seq->cod = g->cod;
  seq->children.push_back(std::move(f));
  seq->children.push_back(std::move(g));
  return seq;
}

/// Applies interchange to the first matching adjacent pair; true if it did.
static bool interchangeOnce(Node &seq) {
  for (size_t i = 0; i + 1 < seq.children.size(); ++i) {
    Node &a = *seq.children[i], &b = *seq.children[i + 1];
    if (!interchangeable(a, b))
      continue;
    auto par = std::make_unique<Node>(Node::Kind::Par);
    par->dom = a.dom;
    par->cod = b.cod;
    for (size_t k = 0; k < a.children.size(); ++k) {
      auto chain = makeSeq(std::move(a.children[k]), std::move(b.children[k]));
      normalize(*chain);
      par->children.push_back(std::move(chain));
    }
    seq.children[i] = std::move(par);
    seq.children.erase(seq.children.begin() + static_cast<long>(i) + 1);
    return true;
  }
  return false;
}

void normalize(Node &n) {
  for (auto &c : n.children)
    normalize(*c);
  if (n.kind == Node::Kind::Par)
    flatten(n);
  if (n.kind != Node::Kind::Seq)
    return;
  do {
    flatten(n);
    dropIdentities(n);
  } while (interchangeOnce(n));
  if (n.children.size() == 1) {
    // A one-element sequence is its element.
    std::unique_ptr<Node> only = std::move(n.children.front());
    Obj dom = n.dom, cod = n.cod;
    n = std::move(*only);
    n.dom = dom;
    n.cod = cod;
  }
}

} // namespace cat::ir
