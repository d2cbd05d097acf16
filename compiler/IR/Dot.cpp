//===- Dot.cpp - The diagram as a Graphviz graph (--emit=dot) ------------===//
//
// Draws the normalised diagram of an exported morphism as a Graphviz
// string diagram, read left to right (diagrammatic order, as `;`):
//   - one box per primitive, named as in the source (`scale(0.5)`, `pi[1]`);
//     a box with several input or output wires is a record with one port
//     per wire, top to bottom in the order of the flattened objects;
//   - one edge per wire, labelled with its object;
//   - parameters as notes (`name` and shape) joined to their box by a
//     dashed edge: a tied parameter has one note reaching every box that
//     uses it;
//   - copy (and the fan-out of `<f, g>`) as a dot with several outgoing
//     wires, discard (`drop`, the unused factors of a projection) as a dot
//     with none; `id`, `swap` and the projections are plain rewiring;
//   - `map(f)` as a cluster labelled `map^n`: wires inside carry the
//     element objects, wires crossing its border the stacked ones.
// Inputs and outputs of the morphism are plain-text nodes at either end.
//
//===----------------------------------------------------------------------===//
#include "IR/IR.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

namespace cat::ir {

namespace {

/// A wire leaving a node port, with the object it carries.
struct Wire {
  std::string from; ///< "model_n3" or "model_n3:o1"
  Obj obj;
};
using Wires = std::vector<Wire>;

/// A double-quoted Graphviz ID (in which only `\"` is an escape; `\n` in a
/// label stays a line break).
std::string quote(llvm::StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

/// Escapes the characters that structure a record label.
std::string recordText(llvm::StringRef s) {
  std::string out;
  for (char c : s) {
    if (llvm::StringRef("{}|<> ").contains(c))
      out += '\\';
    out += c;
  }
  return out;
}

/// Writes the nodes and edges of one morphism's diagram.
class DotWriter {
public:
  DotWriter(const ParamLayout &layout, std::string prefix)
      : layout(layout), prefix(std::move(prefix)), paramNote(layout.tensors.size()) {}

  /// Writes the body statements (no surrounding braces) at \p depth.
  void write(const Function &fn, llvm::raw_ostream &os, unsigned depth);

private:
  std::string newId(llvm::StringRef kind) { return prefix + kind.str() + std::to_string(next++); }
  void line(const std::string &text) { scopes.back().push_back(text); }
  void connect(const Wire &w, const std::string &to) {
    edges.push_back(fmt::format("{} -> {} [label={}]", w.from, to, quote(w.obj.str())));
  }
  /// A copy or discard dot fed by \p w.
  std::string dot(const Wire &w, llvm::StringRef what) {
    std::string id = newId("d");
    line(fmt::format("{} [shape=point, width=0.08, tooltip={}]", id,
                     quote(what.str() + " : " + w.obj.str())));
    connect(w, id);
    return id;
  }
  void discard(const Wire &w) { dot(w, "drop"); }

  Wires wire(const Node &n, Wires in);
  Wires wireMap(const Node &n, Wires in);
  Wires wireFork(const Node &n, const Wires &in);
  Wires wirePrim(const Node &n, const Wires &in);
  Wires wireBox(const Node &n, const Wires &in);
  std::string note(int param);

  const ParamLayout &layout;
  std::string prefix;
  unsigned next = 0;
  /// Node statements of the graph (front) and of each open cluster.
  std::vector<std::vector<std::string>> scopes{{}};
  std::vector<std::string> notes;
  std::vector<std::string> edges;
  std::vector<std::string> paramNote; ///< note ID per parameter, once drawn
};

Wires DotWriter::wire(const Node &n, Wires in) {
  switch (n.kind) {
  case Node::Kind::Prim:
    return wirePrim(n, in);
  case Node::Kind::Seq:
    for (const auto &c : n.children)
      in = wire(*c, std::move(in));
    return in;
  case Node::Kind::Par: {
    Wires out;
    size_t at = 0;
    for (const auto &c : n.children) {
      size_t k = c->numInputs();
      Wires part(in.begin() + static_cast<long>(at), in.begin() + static_cast<long>(at + k));
      at += k;
      for (Wire &w : wire(*c, std::move(part)))
        out.push_back(std::move(w));
    }
    return out;
  }
  case Node::Kind::Fork:
    return wireFork(n, in);
  case Node::Kind::Map:
    return wireMap(n, std::move(in));
  }
  return in;
}

/// Every child of `<f, g, …>` sees every input wire: each wire fans out
/// through a copy dot.
Wires DotWriter::wireFork(const Node &n, const Wires &in) {
  Wires shared = in;
  if (n.children.size() > 1)
    for (Wire &w : shared)
      w.from = dot(w, "copy");
  Wires out;
  for (const auto &c : n.children)
    for (Wire &w : wire(*c, shared))
      out.push_back(std::move(w));
  return out;
}

/// `map^n(f)`: f drawn inside a cluster; its outputs carry stacked objects.
Wires DotWriter::wireMap(const Node &n, Wires in) {
  scopes.emplace_back();
  std::string cluster = "subgraph cluster_" + newId("m") + " {";
  std::string label = "map^" + std::to_string(n.mapCount);
  Wires out = wire(*n.children[0], std::move(in));
  std::vector<std::string> body = std::move(scopes.back());
  scopes.pop_back();
  line(cluster);
  line("  label=" + quote(label) + "; style=\"rounded,dashed\"; color=gray40;");
  for (const std::string &s : body)
    line("  " + s);
  line("}");
  std::vector<Obj> cod = n.cod.flatten();
  for (size_t i = 0; i < out.size() && i < cod.size(); ++i)
    out[i].obj = cod[i];
  return out;
}

/// Structural maps rewire; everything else is a box.
Wires DotWriter::wirePrim(const Node &n, const Wires &in) {
  switch (n.op) {
  case PrimOp::Id:
    return in;
  case PrimOp::Copy: {
    Wires out = in;
    for (Wire &w : out)
      w.from = dot(w, "copy");
    Wires twice = out;
    twice.insert(twice.end(), out.begin(), out.end());
    return twice;
  }
  case PrimOp::Drop:
    for (const Wire &w : in)
      discard(w);
    return {};
  case PrimOp::Fst:
  case PrimOp::Snd:
  case PrimOp::Pi: {
    size_t index = n.op == PrimOp::Fst ? 0 : n.op == PrimOp::Snd ? 1 : n.attrs.index;
    std::vector<size_t> starts = n.dom.factorWireStarts();
    if (index + 1 >= starts.size() || starts.back() != in.size())
      return wireBox(n, in); // not a product of wires: draw it as it is
    Wires out;
    for (size_t i = 0; i < in.size(); ++i) {
      if (i >= starts[index] && i < starts[index + 1])
        out.push_back(in[i]);
      else
        discard(in[i]);
    }
    return out;
  }
  case PrimOp::Swap: {
    std::vector<size_t> starts = n.dom.factorWireStarts();
    if (starts.size() != 3 || starts.back() != in.size())
      return wireBox(n, in);
    Wires out(in.begin() + static_cast<long>(starts[1]), in.end());
    out.insert(out.end(), in.begin(), in.begin() + static_cast<long>(starts[1]));
    return out;
  }
  default:
    return wireBox(n, in);
  }
}

/// A box; with several wires on a side, a record with one port per wire.
Wires DotWriter::wireBox(const Node &n, const Wires &in) {
  std::string id = newId("n");
  size_t outputs = n.numOutputs();
  bool record = in.size() > 1 || outputs > 1;
  auto ports = [](char side, size_t count) {
    std::string s = "{";
    for (size_t i = 0; i < count; ++i)
      s += fmt::format("{}<{}{}>", i ? "|" : "", side, i);
    return s + "}";
  };
  std::string label;
  if (record) {
    label = "{";
    if (in.size() > 1)
      label += ports('i', in.size()) + "|";
    label += recordText(boxName(n));
    if (outputs > 1)
      label += "|" + ports('o', outputs);
    label += "}";
  } else {
    label = boxName(n);
  }
  std::string type = boxName(n) + " : " + n.dom.str() + " -> " + n.cod.str();
  line(fmt::format("{} [{}label={}, tooltip={}]", id, record ? "shape=Mrecord, " : "",
                   quote(label), quote(type)));
  for (size_t i = 0; i < in.size(); ++i)
    connect(in[i], in.size() > 1 ? fmt::format("{}:i{}", id, i) : id);
  for (int p : n.params)
    edges.push_back(fmt::format("{} -> {} [style=dashed, arrowhead=none]", note(p), id));
  Wires out;
  std::vector<Obj> cod = n.cod.flatten();
  for (size_t i = 0; i < cod.size(); ++i)
    out.push_back({outputs > 1 ? fmt::format("{}:o{}", id, i) : id, cod[i]});
  return out;
}

/// The note of a parameter tensor, drawn at its first use.
std::string DotWriter::note(int param) {
  if (!paramNote[param].empty())
    return paramNote[param];
  const ParamTensor &p = layout.tensors[param];
  std::string id = fmt::format("{}p{}", prefix, param);
  notes.push_back(fmt::format("{} [shape=note, fontsize=9, label={}, tooltip={}]", id,
                              quote(p.name + "\\n" + p.shape.str()),
                              quote(fmt::format("{} : {}, offset {}", p.name, p.shape.str(),
                                                p.offset))));
  paramNote[param] = id;
  return id;
}

void DotWriter::write(const Function &fn, llvm::raw_ostream &os, unsigned depth) {
  Wires in;
  std::vector<std::string> inputs, outputs;
  std::vector<Obj> dom = fn.dom.flatten();
  for (size_t i = 0; i < dom.size(); ++i) {
    std::string id = fmt::format("{}in{}", prefix, i);
    inputs.push_back(
        fmt::format("{} [shape=plaintext, label={}]", id, quote(fmt::format("in {}", i))));
    in.push_back({id, dom[i]});
  }
  Wires out = wire(*fn.body, std::move(in));
  for (size_t i = 0; i < out.size(); ++i) {
    std::string id = fmt::format("{}out{}", prefix, i);
    outputs.push_back(
        fmt::format("{} [shape=plaintext, label={}]", id, quote(fmt::format("out {}", i))));
    connect(out[i], id);
  }
  auto emit = [&](const std::string &s) { os.indent(depth * 2) << s << (s.back() == '{' || s == "}" || s.back() == ';' ? "\n" : ";\n"); };
  // Inputs and outputs stand in one column each, in order (a flat
  // invisible chain keeps them so), which makes `swap` a visible crossing.
  auto sameRank = [&](llvm::StringRef kind, const std::vector<std::string> &nodes) {
    if (nodes.empty())
      return;
    os.indent(depth * 2) << "{ rank=same\n";
    for (const std::string &s : nodes)
      os.indent(depth * 2 + 2) << s << ";\n";
    if (nodes.size() > 1) {
      os.indent(depth * 2 + 2);
      for (size_t i = nodes.size(); i-- > 0;) // rankdir=LR lists a rank bottom up
        os << prefix << kind << i << (i ? " -> " : "");
      os << " [style=invis];\n";
    }
    os.indent(depth * 2) << "}\n";
  };
  sameRank("in", inputs);
  for (const std::string &s : notes)
    emit(s);
  for (const std::string &s : scopes.front())
    emit(s);
  sameRank("out", outputs);
  for (const std::string &s : edges)
    emit(s);
}

void writeHeader(llvm::raw_ostream &os, unsigned depth) {
  os.indent(depth * 2) << "rankdir=LR; fontname=\"Helvetica\";\n";
  os.indent(depth * 2) << "node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n";
  os.indent(depth * 2) << "edge [fontname=\"Helvetica\", fontsize=9];\n";
}

std::string title(const Function &fn) {
  return fn.name + " : " + fn.dom.str() + " -> " + fn.cod.str();
}

} // namespace

void printDot(const Function &fn, const ParamLayout &layout, llvm::raw_ostream &os) {
  os << "digraph " << quote(fn.name) << " {\n";
  writeHeader(os, 1);
  os << "  label=" << quote(title(fn)) << "; labelloc=t;\n";
  DotWriter(layout, fn.name + "_").write(fn, os, 1);
  os << "}\n";
}

void printDot(const std::string &name,
              const std::vector<std::pair<const Function *, const ParamLayout *>> &fns,
              llvm::raw_ostream &os) {
  os << "digraph " << quote(name) << " {\n";
  writeHeader(os, 1);
  for (const auto &[fn, layout] : fns) {
    os << "  subgraph " << quote("cluster_" + fn->name) << " {\n";
    os << "    label=" << quote(title(*fn)) << "; labelloc=t;\n";
    DotWriter(*layout, fn->name + "_").write(*fn, os, 2);
    os << "  }\n";
  }
  os << "}\n";
}

} // namespace cat::ir
