//===- Lower.cpp - From checked terms to the morphism IR -----------------===//
//
// Inlines named morphisms and generic scopes into one diagram per exported
// morphism. Parameter identity is the primitive occurrence in the checked
// program: a shared instance reached twice contributes its parameters once,
// at their first appearance (depth first, left to right), which fixes the
// layout of the flat parameter array.
//
//===----------------------------------------------------------------------===//
#include "IR/IR.h"

#include <map>

namespace cat::ir {

namespace {
class Lowering {
public:
  explicit Lowering(ParamLayout &layout) : layout(layout) {}

  std::unique_ptr<Node> lower(const Term &t, const std::string &prefix) {
    switch (t.kind) {
    case Term::Kind::Prim:
      return lowerPrim(t, prefix);
    case Term::Kind::Scope:
      return lower(*t.children[0], prefix + t.name + ".");
    case Term::Kind::Ref:
      return lower(*t.target->body, t.target->name + ".");
    case Term::Kind::Compose:
    case Term::Kind::Tensor:
    case Term::Kind::Pair:
    case Term::Kind::Map: {
      static const std::map<Term::Kind, Node::Kind> kinds = {
          {Term::Kind::Compose, Node::Kind::Seq}, {Term::Kind::Tensor, Node::Kind::Par},
          {Term::Kind::Pair, Node::Kind::Fork}, {Term::Kind::Map, Node::Kind::Map}};
      auto node = std::make_unique<Node>(kinds.at(t.kind));
      node->dom = t.domObj;
      node->cod = t.codObj;
      node->mapCount = t.mapCount;
      for (const auto &c : t.children)
        node->children.push_back(lower(*c, prefix));
      return node;
    }
    }
    return nullptr;
  }

private:
  std::unique_ptr<Node> lowerPrim(const Term &t, const std::string &prefix) {
    auto node = std::make_unique<Node>(Node::Kind::Prim);
    node->dom = t.domObj;
    node->cod = t.codObj;
    node->op = t.op;
    node->attrs = t.attrs;
    auto [it, fresh] = paramsOf.try_emplace(&t);
    if (fresh) {
      for (const ParamSpec &spec : t.params) {
        ParamTensor p;
        p.owner = &t;
        p.ownerIndex = it->second.size();
        p.name = prefix + t.name + "." + spec.suffix;
        p.shape = spec.shape;
        p.size = spec.shape.numElements();
        p.offset = layout.totalFloats;
        p.init = spec.init;
        p.initScale = spec.scale;
        layout.totalFloats += p.size;
        it->second.push_back(static_cast<int>(layout.tensors.size()));
        layout.tensors.push_back(std::move(p));
      }
    }
    node->params = it->second;
    return node;
  }

  ParamLayout &layout;
  std::map<const Term *, std::vector<int>> paramsOf;
};
} // namespace

Function lowerMorphism(const MorphismInstance &inst, ParamLayout &layout) {
  Lowering lowering(layout);
  Function fn;
  fn.name = inst.name;
  fn.dom = inst.dom;
  fn.cod = inst.cod;
  fn.body = lowering.lower(*inst.body, "");
  normalize(*fn.body);
  return fn;
}

uint64_t ParamLayout::hash() const {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::string &s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  for (const ParamTensor &p : tensors) {
    mix(p.name);
    mix(p.shape.str());
    mix(std::to_string(p.offset));
  }
  return h;
}

} // namespace cat::ir
