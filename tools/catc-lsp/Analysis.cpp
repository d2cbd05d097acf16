//===- Analysis.cpp - One document as the compiler sees it ----------------===//
#include "Analysis.h"

#include "Parse/Parser.h"
#include "Sema/Primitives.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <map>
#include <set>

namespace cat::lsp {

using namespace llvm;
namespace json = llvm::json;

//===- Positions and URIs -------------------------------------------------===//

std::string pathOfURI(StringRef uri) {
  if (!uri.consume_front("file://"))
    return uri.str();
  std::string path;
  for (size_t i = 0; i < uri.size(); ++i) {
    unsigned value;
    if (uri[i] == '%' && i + 2 < uri.size() && !uri.substr(i + 1, 2).getAsInteger(16, value)) {
      path += static_cast<char>(value);
      i += 2;
    } else {
      path += uri[i];
    }
  }
  return path;
}

std::string uriOfPath(StringRef path) {
  std::string uri = "file://";
  for (unsigned char c : path) {
    if (std::isalnum(c) || StringRef("/-._~").contains(static_cast<char>(c)))
      uri += static_cast<char>(c);
    else
      uri += formatv("%{0:X-2}", static_cast<unsigned>(c)).str();
  }
  return uri;
}

/// The length of the UTF-8 sequence starting with \p lead.
static size_t utf8Length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead >> 5 == 6 ? 2 : lead >> 4 == 14 ? 3 : lead >> 3 == 30 ? 4 : 1;
}

size_t offsetOf(StringRef text, Position pos) {
  size_t at = 0;
  for (int line = 0; line < pos.line; ++line) {
    size_t next = text.find('\n', at);
    if (next == StringRef::npos)
      return text.size();
    at = next + 1;
  }
  // Columns count UTF-16 units: two for a character beyond the BMP.
  for (int units = 0; units < pos.character && at < text.size() && text[at] != '\n';) {
    size_t length = utf8Length(static_cast<unsigned char>(text[at]));
    units += length == 4 ? 2 : 1;
    at = std::min(text.size(), at + length);
  }
  return at;
}

/// The protocol position of \p loc in \p buffer.
static json::Object positionOf(const SourceMgr &sm, SMLoc loc) {
  unsigned buffer = sm.FindBufferContainingLoc(loc);
  if (!buffer)
    return json::Object{{"line", 0}, {"character", 0}};
  auto [line, column] = sm.getLineAndColumn(loc, buffer);
  const char *start = loc.getPointer() - (column - 1);
  int units = 0;
  for (const char *p = start; p < loc.getPointer();) {
    size_t length = utf8Length(static_cast<unsigned char>(*p));
    units += length == 4 ? 2 : 1;
    p += length;
  }
  return json::Object{{"line", static_cast<int64_t>(line) - 1}, {"character", units}};
}

static bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

/// The name (letters, digits, `_`) the character at \p loc belongs to, or
/// an empty range.
static SMRange nameAt(const SourceMgr &sm, SMLoc loc) {
  unsigned buffer = sm.FindBufferContainingLoc(loc);
  if (!buffer)
    return {};
  const MemoryBuffer *mb = sm.getMemoryBuffer(buffer);
  const char *begin = loc.getPointer(), *end = begin;
  if (end >= mb->getBufferEnd() || !isNameChar(*end))
    return {};
  while (begin > mb->getBufferStart() && isNameChar(begin[-1]))
    --begin;
  while (end < mb->getBufferEnd() && isNameChar(*end))
    ++end;
  if (begin == end)
    return {};
  return SMRange(SMLoc::getFromPointer(begin), SMLoc::getFromPointer(end));
}

static bool contains(SMRange range, SMLoc loc) {
  return range.isValid() && range.Start.getPointer() <= loc.getPointer() &&
         loc.getPointer() < range.End.getPointer();
}

static StringRef textOf(SMRange range) {
  return StringRef(range.Start.getPointer(), range.End.getPointer() - range.Start.getPointer());
}

json::Value Analysis::rangeOf(SMRange range) const {
  return json::Object{{"start", positionOf(sourceMgr, range.Start)},
                      {"end", positionOf(sourceMgr, range.End)}};
}

json::Value Analysis::locationOf(SMRange range) const {
  unsigned in = sourceMgr.FindBufferContainingLoc(range.Start);
  std::string file = in == buffer ? path : sourceMgr.getMemoryBuffer(in)->getBufferIdentifier().str();
  return json::Object{{"uri", uriOfPath(file)}, {"range", rangeOf(range)}};
}

SMLoc Analysis::locOf(Position pos) const {
  const MemoryBuffer *mb = sourceMgr.getMemoryBuffer(buffer);
  return SMLoc::getFromPointer(mb->getBufferStart() + offsetOf(mb->getBuffer(), pos));
}

//===- Analysing --------------------------------------------------------------===//

Analysis::Analysis(const std::string &path, const std::string &text, const ModuleSearchPath &search)
    : path(path), text(text), search(search) {
  diags = std::make_unique<DiagnosticEngine>(sourceMgr, nulls());
  buffer = sourceMgr.AddNewSourceBuffer(MemoryBuffer::getMemBufferCopy(text, path), SMLoc());
  program = analyzeProgram(buffer, path, search, *diags);
  // The declarations as written, parsed once more beside the checker's
  // (whose syntax errors were reported already).
  DiagnosticEngine quiet(sourceMgr, nulls());
  file = parseSourceFile(buffer, quiet);
  collectDeclarations();
}

void Analysis::collectDeclarations() {
  auto add = [&](const ast::SourceFile &f, const std::string &from) {
    for (const auto &d : f.decls) {
      if (auto *o = dyn_cast<ast::ObjectDecl>(d.get()))
        declared.push_back({o->name.name, from, o, o->name.range});
      else if (auto *m = dyn_cast<ast::MorphismDecl>(d.get()))
        declared.push_back({m->name.name, from, m, m->name.range});
      else if (auto *l = dyn_cast<ast::LawDecl>(d.get()))
        declared.push_back({l->name.name, from, l, l->name.range});
    }
  };
  add(*file, path);
  // Names come from the file and the modules it imports (not theirs).
  DiagnosticEngine quiet(sourceMgr, nulls());
  for (const auto &d : file->decls) {
    auto *import = dyn_cast<ast::ImportDecl>(d.get());
    if (!import)
      continue;
    std::string found = resolveImport(*import, path, search);
    auto contents = found.empty() ? nullptr : MemoryBuffer::getFile(found, /*IsText=*/true);
    if (!contents || !*contents)
      continue;
    unsigned id = sourceMgr.AddNewSourceBuffer(std::move(*contents), SMLoc());
    imports.push_back(parseSourceFile(id, quiet));
    add(*imports.back(), found);
  }
}

const Analysis::Declared *Analysis::lookup(StringRef name) const {
  for (const Declared &d : declared)
    if (d.name == name)
      return &d;
  return nullptr;
}

const Term *Analysis::termAt(SMLoc loc) const {
  if (!program)
    return nullptr;
  const Term *best = nullptr;
  std::function<void(const Term &)> visit = [&](const Term &t) {
    if (!contains(t.range, loc) || sourceMgr.FindBufferContainingLoc(t.range.Start) != buffer)
      return;
    best = &t;
    for (const auto &child : t.children)
      visit(*child);
  };
  auto visitInstance = [&](const MorphismInstance &inst) {
    if (inst.body)
      visit(*inst.body);
  };
  for (const auto &inst : program->instances)
    visitInstance(*inst);
  for (const LawSpec &law : program->laws) {
    visitInstance(*law.lhs);
    visitInstance(*law.rhs);
  }
  if (program->train && program->train->loss)
    visitInstance(*program->train->loss);
  return best;
}

/// Floats of trainable parameters in \p t, each shared instance once.
static int64_t parameterCount(const Term &t, SmallPtrSetImpl<const MorphismInstance *> &seen) {
  int64_t count = 0;
  for (const ParamSpec &p : t.params)
    count += p.shape.numElements();
  if (t.kind == Term::Kind::Ref && t.target && seen.insert(t.target).second && t.target->body)
    count += parameterCount(*t.target->body, seen);
  for (const auto &child : t.children)
    count += parameterCount(*child, seen);
  return count;
}

std::string Analysis::declarationText(const Declared &d) const {
  // The declaration up to its definition: `morphism dense[A, B] : A -> B`.
  if (auto *m = dyn_cast<ast::MorphismDecl>(d.decl)) {
    std::string head = "morphism " + m->name.name;
    if (!m->genericParams.empty()) {
      head += "[";
      for (size_t i = 0; i < m->genericParams.size(); ++i)
        head += (i ? ", " : "") + m->genericParams[i].name;
      head += "]";
    }
    if (m->dom && m->cod)
      head += " : " + textOf(m->dom->range).str() + " -> " + textOf(m->cod->range).str();
    return head;
  }
  if (auto *o = dyn_cast<ast::ObjectDecl>(d.decl))
    return "object " + o->name.name + " = " + textOf(o->object->range).str();
  return "law " + d.name;
}

//===- Queries ----------------------------------------------------------------===//

json::Value Analysis::diagnostics(StringRef uri) const {
  json::Array list;
  for (const DiagnosticEngine::Recorded &r : diags->recorded()) {
    diag::Severity severity = diag::severityOf(r.kind);
    bool here = sourceMgr.FindBufferContainingLoc(r.loc) == buffer;
    // The underlined range in this file, else the name at the caret.
    SMRange range;
    for (SMRange candidate : r.ranges)
      if (sourceMgr.FindBufferContainingLoc(candidate.Start) == buffer) {
        range = candidate;
        break;
      }
    if (!range.isValid() && here) {
      range = nameAt(sourceMgr, r.loc);
      if (!range.isValid())
        range = SMRange(r.loc, SMLoc::getFromPointer(r.loc.getPointer() + (*r.loc.getPointer() ? 1 : 0)));
    }
    if (severity == diag::Severity::Note) {
      // A note explains the diagnostic before it.
      if (list.empty() || !r.loc.isValid())
        continue;
      json::Object &last = *list.back().getAsObject();
      if (!last.getArray("relatedInformation"))
        last["relatedInformation"] = json::Array();
      SMRange at = range.isValid() ? range : SMRange(r.loc, r.loc);
      last.getArray("relatedInformation")
          ->push_back(json::Object{{"location", locationOf(at)}, {"message", r.message}});
      continue;
    }
    if (!here) // reported in another file: shown at the top of this one
      range = SMRange(SMLoc::getFromPointer(sourceMgr.getMemoryBuffer(buffer)->getBufferStart()),
                      SMLoc::getFromPointer(sourceMgr.getMemoryBuffer(buffer)->getBufferStart()));
    json::Object d{{"range", rangeOf(range)},
                   {"severity", severity == diag::Severity::Error ? 1 : 2},
                   {"code", diag::nameOf(r.kind)},
                   {"source", "catc"},
                   {"message", r.message}};
    if (!here && r.loc.isValid())
      d["relatedInformation"] =
          json::Array{json::Object{{"location", locationOf(SMRange(r.loc, r.loc))}, {"message", r.message}}};
    list.push_back(std::move(d));
  }
  return json::Object{{"uri", uri.str()}, {"diagnostics", std::move(list)}};
}

json::Value Analysis::hover(Position pos) const {
  SMLoc loc = locOf(pos);
  SMRange name = nameAt(sourceMgr, loc);
  const Term *term = termAt(loc);
  std::vector<std::string> lines; // of the code block
  std::string note;               // after it, as prose
  SMRange shown = name;
  const Declared *d = name.isValid() ? lookup(textOf(name)) : nullptr;
  if (d && isa<ast::MorphismDecl>(d->decl)) {
    auto *m = cast<ast::MorphismDecl>(d->decl);
    const MorphismInstance *inst = nullptr;
    if (program && m->genericParams.empty())
      for (const auto &i : program->instances)
        if (i->name == d->name && i->loc.getPointer() <= m->range.End.getPointer() &&
            i->loc.getPointer() >= m->range.Start.getPointer())
          inst = i.get();
    if (inst) {
      lines.push_back(inst->name + " : " + inst->dom.str() + " -> " + inst->cod.str());
      SmallPtrSet<const MorphismInstance *, 8> seen{inst};
      int64_t params = inst->body ? parameterCount(*inst->body, seen) : 0;
      note = params == 0 ? "no parameters" : std::to_string(params) + (params == 1 ? " parameter" : " parameters");
    } else {
      lines.push_back(declarationText(*d));
      if (term && term->range.Start.getPointer() <= name.Start.getPointer())
        lines.push_back(std::string(textOf(name)) + " here : " + term->domObj.str() + " -> " +
                        term->codObj.str());
    }
    if (d->path != path)
      note += (note.empty() ? "" : "; ") + std::string("from ") + sys::path::filename(d->path).str();
  } else if (d) {
    lines.push_back(declarationText(*d));
    if (auto *o = dyn_cast<ast::ObjectDecl>(d->decl); o && program) {
      // The object as the checker built it, when it is spelled differently.
      for (const auto &decl : program->objectDecls)
        if (decl.name == d->name && decl.text != textOf(o->object->range))
          lines.push_back("  = " + decl.text);
    }
    if (d->path != path)
      note = "from " + sys::path::filename(d->path).str();
  } else if (std::optional<PrimOp> prim = name.isValid() ? lookupPrimitive(textOf(name)) : std::nullopt) {
    lines.push_back(std::string(textOf(name)) +
                    (term ? " : " + term->domObj.str() + " -> " + term->codObj.str() : ""));
    note = std::string(primitiveDoc(*prim)) + "\n\nprimitive (docs/language.md §5)";
  } else if (term) {
    lines.push_back(term->domObj.str() + " -> " + term->codObj.str());
    shown = term->range;
  }
  if (lines.empty())
    return nullptr;
  std::string markdown = "```cat\n";
  for (const std::string &line : lines)
    markdown += line + "\n";
  markdown += "```";
  if (!note.empty())
    markdown += "\n" + note;
  return json::Object{{"contents", json::Object{{"kind", "markdown"}, {"value", markdown}}},
                      {"range", rangeOf(shown)}};
}

json::Value Analysis::definition(Position pos) const {
  SMRange name = nameAt(sourceMgr, locOf(pos));
  const Declared *d = name.isValid() ? lookup(textOf(name)) : nullptr;
  if (!d)
    return nullptr;
  return locationOf(d->nameRange);
}

namespace {
/// The places in a file where a name is used (not declared): references to
/// morphisms and objects, in expressions, objects and train blocks. A
/// generic parameter of the same name hides it inside its declaration.
class Uses {
public:
  Uses(StringRef name, std::vector<SMRange> &out) : name(name), out(out) {}

  void decl(const ast::Decl &d) {
    if (auto *o = dyn_cast<ast::ObjectDecl>(&d)) {
      object(o->object.get());
    } else if (auto *m = dyn_cast<ast::MorphismDecl>(&d)) {
      for (const ast::Ident &p : m->genericParams)
        if (p.name == name)
          return;
      object(m->dom.get());
      object(m->cod.get());
      expr(m->body.get());
    } else if (auto *t = dyn_cast<ast::TrainDecl>(&d)) {
      ident(t->morphism);
      for (const ast::TrainEntry &e : t->entries)
        value(e.value.get());
    } else if (auto *l = dyn_cast<ast::LawDecl>(&d)) {
      expr(l->lhs.get());
      expr(l->rhs.get());
    }
  }

private:
  void ident(const ast::Ident &i) {
    if (i.name == name)
      out.push_back(i.range);
  }
  void object(const ast::ObjExpr *o) {
    if (!o)
      return;
    if (auto *n = dyn_cast<ast::NameObj>(o); n && n->name == name)
      out.push_back(n->range);
    else if (auto *p = dyn_cast<ast::ProductObj>(o))
      for (const auto &f : p->factors)
        object(f.get());
    else if (auto *w = dyn_cast<ast::PowerObj>(o))
      object(w->base.get());
  }
  void value(const ast::Value *v) {
    if (auto *e = dyn_cast_or_null<ast::ExprValue>(v))
      expr(e->expr.get());
    else if (auto *l = dyn_cast_or_null<ast::ListValue>(v))
      for (const auto &element : l->elements)
        value(element.get());
  }
  void expr(const ast::Expr *e) {
    if (!e)
      return;
    if (auto *c = dyn_cast<ast::ComposeExpr>(e))
      for (const auto &part : c->parts)
        expr(part.get());
    else if (auto *t = dyn_cast<ast::TensorExpr>(e))
      for (const auto &part : t->parts)
        expr(part.get());
    else if (auto *p = dyn_cast<ast::PairExpr>(e))
      for (const auto &part : p->parts)
        expr(part.get());
    else if (auto *i = dyn_cast<ast::IdExpr>(e))
      object(i->object.get());
    else if (auto *a = dyn_cast<ast::AscribeExpr>(e)) {
      expr(a->expr.get());
      object(a->dom.get());
      object(a->cod.get());
    } else if (auto *r = dyn_cast<ast::RefExpr>(e)) {
      ident(r->name);
      for (const ast::GenericArg &g : r->genericArgs)
        object(g.object.get());
      for (const ast::Arg &arg : r->args)
        value(arg.value.get());
    }
  }

  StringRef name;
  std::vector<SMRange> &out;
};
} // namespace

json::Value Analysis::references(Position pos, bool includeDeclaration) const {
  SMRange name = nameAt(sourceMgr, locOf(pos));
  if (!name.isValid())
    return nullptr;
  std::vector<SMRange> found;
  const Declared *d = lookup(textOf(name));
  if (d && includeDeclaration && d->path == path)
    found.push_back(d->nameRange);
  Uses uses(textOf(name), found);
  for (const auto &decl : file->decls)
    uses.decl(*decl);
  json::Array locations;
  for (SMRange r : found)
    locations.push_back(locationOf(r));
  return locations;
}

json::Value Analysis::documentSymbols() const {
  // SymbolKind: 23 Struct (objects), 12 Function (morphisms), 14 Constant
  // (laws), 3 Namespace (train blocks), 7 Property (their keys).
  json::Array symbols;
  for (const auto &d : file->decls) {
    auto symbol = [&](const std::string &name, int kind, SMRange selection, std::string detail) {
      return json::Object{{"name", name},
                          {"kind", kind},
                          {"detail", std::move(detail)},
                          {"range", rangeOf(d->range)},
                          {"selectionRange", rangeOf(selection)}};
    };
    if (auto *o = dyn_cast<ast::ObjectDecl>(d.get())) {
      symbols.push_back(symbol(o->name.name, 23, o->name.range, textOf(o->object->range).str()));
    } else if (auto *m = dyn_cast<ast::MorphismDecl>(d.get())) {
      std::string detail = m->dom && m->cod ? (textOf(m->dom->range) + " -> " + textOf(m->cod->range)).str() : "";
      symbols.push_back(symbol(m->name.name, 12, m->name.range, detail));
    } else if (auto *l = dyn_cast<ast::LawDecl>(d.get())) {
      symbols.push_back(symbol(l->name.name, 14, l->name.range, "law"));
    } else if (auto *t = dyn_cast<ast::TrainDecl>(d.get())) {
      json::Object block = symbol("train " + t->morphism.name, 3, t->morphism.range, "");
      json::Array keys;
      for (const ast::TrainEntry &e : t->entries)
        keys.push_back(json::Object{{"name", e.key.name},
                                    {"kind", 7},
                                    {"detail", textOf(e.value->range).str()},
                                    {"range", rangeOf(SMRange(e.key.range.Start, e.value->range.End))},
                                    {"selectionRange", rangeOf(e.key.range)}});
      block["children"] = std::move(keys);
      symbols.push_back(std::move(block));
    }
  }
  return symbols;
}

//===- Completion ---------------------------------------------------------===//

namespace {
/// The standard library's modules, read once per directory.
const std::vector<StdlibModule> &library(const ModuleSearchPath &search) {
  static std::map<std::string, std::vector<StdlibModule>> cache;
  auto [it, fresh] = cache.try_emplace(search.stdlibDir);
  if (fresh)
    it->second = indexStdlib(search);
  return it->second;
}

/// The values a train key takes, as they are written.
std::vector<std::string> trainValues(StringRef key) {
  if (key == "loss")
    return {"cross_entropy", "mse", "bce"};
  if (key == "optimizer")
    return {"sgd(lr = 0.01)", "sgd(lr = 0.01, momentum = 0.9)", "adam(lr = 0.001)", "adamw(lr = 0.001, weight_decay = 0.01)"};
  if (key == "data")
    return {"csv(\"data.csv\", target = \"label\")", "text(\"corpus.txt\", context = 32)",
            "tokens(\"corpus.txt\", context = 32, vocab = [])"};
  if (key == "batch")
    return {"32", "all"};
  if (key == "schedule")
    return {"constant", "step(every = 100, gamma = 0.5)", "cosine(warmup = 100)"};
  return {};
}

json::Object item(StringRef label, int kind, StringRef detail) {
  // std::string: a json::Value made from a StringRef does not own it.
  return json::Object{{"label", label.str()}, {"kind", kind}, {"detail", detail.str()}};
}
} // namespace

json::Value Analysis::completion(Position pos) const {
  // CompletionItemKind: 3 Function (primitives), 12 Value, 14 Keyword (train
  // keys), 22 Struct (objects), 2 Method (morphisms).
  size_t at = offsetOf(text, pos);
  StringRef before = StringRef(text).take_front(at);
  json::Array items;
  // Inside `train NAME { ... }`: found in the text itself, which is often
  // half-typed while completing.
  size_t open = before.rfind('{'), close = before.rfind('}');
  size_t train = before.rfind("train ");
  if (open != StringRef::npos && train != StringRef::npos && train < open &&
      (close == StringRef::npos || close < open)) {
    StringRef line = before.substr(before.rfind('\n') + 1);
    size_t equals = line.find('=');
    if (equals == StringRef::npos) {
      for (StringRef key : trainBlockKeys())
        items.push_back(item(key, 14, "train key"));
    } else {
      for (const std::string &value : trainValues(line.take_front(equals).trim()))
        items.push_back(item(value, 12, line.take_front(equals).trim()));
    }
    return json::Object{{"isIncomplete", false}, {"items", std::move(items)}};
  }
  std::set<std::string> seen;
  for (const Declared &d : declared) {
    if (isa<ast::LawDecl>(d.decl) || !seen.insert(d.name).second)
      continue;
    bool object = isa<ast::ObjectDecl>(d.decl);
    items.push_back(item(d.name, object ? 22 : 2, declarationText(d)));
  }
  for (StringRef name : primitiveNames())
    if (seen.insert(name.str()).second)
      items.push_back(item(name, 3, "primitive"));
  // Library names not in scope, with the import that brings them.
  std::set<std::string> imported;
  for (const auto &d : file->decls)
    if (auto *import = dyn_cast<ast::ImportDecl>(d.get()); import && !import->modulePath.empty()) {
      std::string dotted;
      for (const ast::Ident &part : import->modulePath)
        dotted += (dotted.empty() ? "" : ".") + part.name;
      imported.insert(dotted);
    }
  // The new import goes after the module line (or at the top).
  Position where{0, 0};
  if (file->moduleName)
    where = Position{static_cast<int>(positionOf(sourceMgr, file->moduleName->range.End)
                                           .getInteger("line")
                                           .value_or(0)) + 1,
                     0};
  for (const StdlibModule &module : library(search)) {
    if (imported.count(module.name))
      continue;
    for (const auto &[name, object] : module.decls) {
      if (!seen.insert(name.str()).second)
        continue;
      json::Object entry = item(name, object ? 22 : 2,
                                (object ? "object, import " : "morphism, import ") + module.name);
      json::Object position{{"line", where.line}, {"character", where.character}};
      entry["additionalTextEdits"] = json::Array{
          json::Object{{"range", json::Object{{"start", json::Object(position)}, {"end", std::move(position)}}},
                       {"newText", "import " + module.name + "\n"}}};
      items.push_back(std::move(entry));
    }
  }
  return json::Object{{"isIncomplete", false}, {"items", std::move(items)}};
}

} // namespace cat::lsp
