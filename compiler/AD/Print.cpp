//===- Print.cpp - Showing derived backward maps -------------------------===//
//
// `--emit=backward` prints the reverse derivative of a morphism twice: as
// a term built by the rules of AD.md from the diagram (so the chain rule
// shows as functoriality: R[f ; g] = R[g] ; R[f], the dual of copy is add),
// and as the kernel graph that CodeGen lowers.
//
//===----------------------------------------------------------------------===//
#include "AD/Graph.h"

#include <fmt/format.h>

#include <map>

namespace cat::ad {

static void printReverse(const ir::Node &n, const ir::ParamLayout &layout, llvm::raw_ostream &os,
                         unsigned depth) {
  auto pad = [&] { os.indent(depth * 2); };
  switch (n.kind) {
  case ir::Node::Kind::Prim: {
    pad();
    switch (n.op) {
    case PrimOp::Copy: os << "add"; break;          // R[copy] = add
    case PrimOp::Drop: os << "zero"; break;         // R[drop] = 0
    case PrimOp::Id: os << "id"; break;
    default: {
      os << "R[" << primName(n.op);
      if (!n.params.empty()) {
        os << "<";
        for (size_t i = 0; i < n.params.size(); ++i)
          os << (i ? ", " : "") << layout.tensors[n.params[i]].name;
        os << ">";
      }
      os << "]";
    }
    }
    os << " : " << n.dom.str() << " * " << n.cod.tangent().str() << " -> " << n.dom.tangent().str()
       << "\n";
    return;
  }
  case ir::Node::Kind::Map:
    pad();
    os << "map^" << n.mapCount << "(\n";
    printReverse(*n.children[0], layout, os, depth + 1);
    pad();
    os << ")\n";
    return;
  case ir::Node::Kind::Seq: {
    pad();
    os << "(  // chain rule: the factors' reverse derivatives in reverse order\n";
    for (size_t i = n.children.size(); i-- > 0;) {
      printReverse(*n.children[i], layout, os, depth + 1);
      if (i) {
        pad();
        os << ";\n";
      }
    }
    pad();
    os << ")\n";
    return;
  }
  case ir::Node::Kind::Par:
  case ir::Node::Kind::Fork: {
    pad();
    os << "(\n";
    for (size_t i = 0; i < n.children.size(); ++i) {
      if (i) {
        pad();
        os << "*\n";
      }
      printReverse(*n.children[i], layout, os, depth + 1);
    }
    pad();
    os << (n.kind == ir::Node::Kind::Fork ? ") ; add  // fan-out: gradients add\n" : ")\n");
    return;
  }
  }
}

void printBackward(const ir::Function &fn, const ir::ParamLayout &layout, llvm::raw_ostream &os) {
  os << "// R[" << fn.name << "] : " << fn.dom.str() << " * " << fn.cod.tangent().str() << " -> "
     << fn.dom.tangent().str() << "\n";
  os << "backward " << fn.name << " =\n";
  printReverse(*fn.body, layout, os, 1);
  os << "\n// kernel graph of " << fn.name << "_backward (forward recomputed first)\n";
  printGraph(buildGraph(FunctionKind::Backward, fn, nullptr, layout), os);
}

static void printArg(const KArg &a, llvm::raw_ostream &os) {
  switch (a.kind) {
  case KArg::Kind::Value: os << "%" << a.value; break;
  case KArg::Kind::Param: os << "params+" << a.offset; break;
  case KArg::Kind::Grad: os << "dparams+" << a.offset; break;
  case KArg::Kind::Int:
    if (a.scale)
      os << a.scale << "*n";
    else
      os << a.offset;
    break;
  // The f32 the kernel receives (CodeGen rounds `real` to float), in
  // the shortest form that reads back as it: `0.1`, `0.33333334`.
  case KArg::Kind::Float: os << fmt::format("{}", static_cast<float>(a.real)); break;
  case KArg::Kind::InvN: os << "1/n"; break;
  case KArg::Kind::Null: os << "null"; break;
  case KArg::Kind::Unwanted: os << "unwanted"; break;
  case KArg::Kind::Int32: os << a.offset; break;
  case KArg::Kind::Tile: os << "tile"; break;
  case KArg::Kind::Scratch: os << "scratch"; break;
  case KArg::Kind::DropoutKey: os << "seed, " << a.offset; break;
  case KArg::Kind::Accumulate: os << "accumulate"; break;
  case KArg::Kind::Update: os << (a.offset ? "update" : "null"); break;
  }
}

void printGraph(const Graph &g, llvm::raw_ostream &os) {
  for (size_t i = 0; i < g.values.size(); ++i) {
    const ValueInfo &v = g.values[i];
    static const char *kinds[] = {"workspace", "alias", "input", "target", "output",
                                  "d_output",  "d_input", "losses"};
    os << "  %" << i << " : " << v.type.str() << " x " << v.mult << "n  "
       << kinds[static_cast<int>(v.binding.kind)];
    if (v.binding.kind == Binding::Kind::Alias)
      os << " of %" << v.binding.aliasOf;
    else if (v.binding.kind != Binding::Kind::Workspace)
      os << " " << v.binding.index;
    os << "\n";
  }
  for (const KernelCall &c : g.calls) {
    os << "  " << (c.returnsLoss ? "return " : "") << c.kernel << "(";
    for (size_t i = 0; i < c.args.size(); ++i) {
      if (i)
        os << ", ";
      printArg(c.args[i], os);
    }
    os << ")\n";
  }
}

} // namespace cat::ad

namespace cat::ad {

/// The parameter tensor at \p offset, for naming kernel arguments.
static const ir::ParamTensor *tensorAt(const ir::ParamLayout &layout, int64_t offset) {
  for (const ir::ParamTensor &p : layout.tensors)
    if (p.offset == offset)
      return &p;
  return nullptr;
}

void printBackwardDot(const std::vector<std::pair<const ir::Function *, const ir::ParamLayout *>> &fns,
                      llvm::raw_ostream &os) {
  os << "digraph backward {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
     << "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  for (size_t f = 0; f < fns.size(); ++f) {
    const ir::Function &fn = *fns[f].first;
    const ir::ParamLayout &layout = *fns[f].second;
    Graph g = buildGraph(FunctionKind::Backward, fn, nullptr, layout);
    std::string p = fmt::format("m{}_", f);
    os << "  subgraph cluster_" << f << " {\n    label=\"R[" << fn.name << "] : " << fn.dom.str()
       << " * " << fn.cod.tangent().str() << " -> " << fn.dom.tangent().str() << "\";\n";
    // A value is produced by the first call that mentions its storage;
    // arguments of the function are drawn as their own nodes.
    std::map<ValueId, std::string> producer;
    for (size_t v = 0; v < g.values.size(); ++v) {
      const Binding &b = g.values[v].binding;
      if (b.kind == Binding::Kind::Input || b.kind == Binding::Kind::DOutput) {
        std::string id = fmt::format("{}v{}", p, v);
        os << "    " << id << " [shape=ellipse, label=\""
           << (b.kind == Binding::Kind::Input ? "x" : "dy") << b.index << " : "
           << g.values[v].type.str() << "\"];\n";
        producer[static_cast<ValueId>(v)] = id;
      }
    }
    for (size_t c = 0; c < g.calls.size(); ++c) {
      const KernelCall &call = g.calls[c];
      std::string id = fmt::format("{}k{}", p, c);
      llvm::StringRef name = llvm::StringRef(call.kernel).drop_front(6); // "cat_k_"
      bool isBackward = name.ends_with("_bwd") || name == "sum_batch_acc" || name == "split";
      os << "    " << id << " [shape=box, style=filled, fillcolor=\""
         << (isBackward ? "#fde2c8" : "#dbe9f6") << "\", label=\"" << name << "\"];\n";
      for (const KArg &a : call.args) {
        if (a.kind == KArg::Kind::Value) {
          ValueId s = g.storageOf(a.value);
          auto it = producer.find(s);
          if (it == producer.end()) {
            producer[s] = id; // first mention: this call writes it
            const Binding &b = g.values[a.value].binding;
            if (b.kind == Binding::Kind::DInput)
              os << "    " << id << " -> " << p << "out" << b.index << ";\n    " << p << "out"
                 << b.index << " [shape=ellipse, label=\"dx" << b.index << "\"];\n";
          } else if (it->second != id) {
            os << "    " << it->second << " -> " << id << " [label=\"" << g.values[a.value].type.str()
               << "\"];\n";
          }
        } else if (a.kind == KArg::Kind::Param || a.kind == KArg::Kind::Grad) {
          const ir::ParamTensor *t = tensorAt(layout, a.offset);
          std::string pid =
              fmt::format("{}{}{}", p, a.kind == KArg::Kind::Param ? "p" : "g", a.offset);
          os << "    " << pid << " [shape=note, label=\"" << (a.kind == KArg::Kind::Grad ? "d " : "")
             << (t ? t->name : "params") << "\"];\n";
          if (a.kind == KArg::Kind::Param)
            os << "    " << pid << " -> " << id << " [style=dashed];\n";
          else
            os << "    " << id << " -> " << pid << " [style=dashed, label=\"+=\"];\n";
        }
      }
    }
    os << "  }\n";
  }
  os << "}\n";
}

} // namespace cat::ad
