//===- ASTDumper.cpp - Printing the AST as an indented tree ---------------===//
//
// One line per node: the node kind, its `<line:col>`, then what it holds
// (names, literals, flags). Children follow, indented by two spaces; a child
// with a role in its parent is prefixed by it (`dom:`, `cod:`, `lhs:`, ...).
// The output is meant for people and for FileCheck tests of the parser, so
// it is stable and spells literals as written (strings escaped, `∘` kept).
//
//===----------------------------------------------------------------------===//
#include "AST/ASTDumper.h"

#include <fmt/format.h>

using namespace cat;
using namespace cat::ast;

namespace {

class ASTDumper {
public:
  ASTDumper(llvm::SourceMgr &sourceMgr, llvm::raw_ostream &os)
      : sourceMgr(sourceMgr), os(os) {}

  void dumpFile(const SourceFile &file);

private:
  void dumpDecl(const Decl &decl);
  void dumpMorphism(const MorphismDecl &decl);
  void dumpTrain(const TrainDecl &decl);
  void dumpObject(const ObjExpr *object, llvm::StringRef role = "");
  void dumpExpr(const Expr *expr, llvm::StringRef role = "");
  void dumpRef(const RefExpr &ref);
  void dumpValue(const Value *value, llvm::StringRef role = "");

  /// Starts a node line: indentation, role, kind and location.
  llvm::raw_ostream &node(llvm::StringRef role, llvm::StringRef kind, llvm::SMLoc loc);
  void dumpDim(const DimLit &dim);
  void dumpString(llvm::StringRef value);

  /// Indents the children printed during its lifetime.
  struct Nest {
    explicit Nest(ASTDumper &d) : d(d) { ++d.depth; }
    ~Nest() { --d.depth; }
    ASTDumper &d;
  };

  llvm::SourceMgr &sourceMgr;
  llvm::raw_ostream &os;
  unsigned depth = 0;
};

} // namespace

llvm::raw_ostream &ASTDumper::node(llvm::StringRef role, llvm::StringRef kind,
                                   llvm::SMLoc loc) {
  os.indent(depth * 2);
  if (!role.empty())
    os << role << ": ";
  os << kind;
  if (loc.isValid() && sourceMgr.FindBufferContainingLoc(loc)) {
    auto [line, col] = sourceMgr.getLineAndColumn(loc);
    os << " <" << line << ":" << col << ">";
  } else {
    os << " <invalid loc>";
  }
  return os;
}

void ASTDumper::dumpDim(const DimLit &dim) {
  if (dim.overflowed)
    os << "<overflow>";
  else
    os << dim.value;
}

void ASTDumper::dumpString(llvm::StringRef value) {
  os << '"';
  os.write_escaped(value);
  os << '"';
}

void ASTDumper::dumpFile(const SourceFile &file) {
  os << "SourceFile";
  if (file.moduleName) {
    os << " module '" << file.moduleName->name << "'";
    auto [line, col] = sourceMgr.getLineAndColumn(file.moduleName->range.Start);
    os << " <" << line << ":" << col << ">";
  }
  os << "\n";
  Nest nest(*this);
  for (const std::unique_ptr<Decl> &decl : file.decls)
    if (decl)
      dumpDecl(*decl);
}

void ASTDumper::dumpDecl(const Decl &decl) {
  if (auto *import = llvm::dyn_cast<ImportDecl>(&decl)) {
    node("", "ImportDecl", decl.loc()) << " ";
    if (import->file) {
      dumpString(*import->file);
    } else {
      for (size_t i = 0; i < import->modulePath.size(); ++i)
        os << (i ? "." : "") << import->modulePath[i].name;
    }
    os << "\n";
  } else if (auto *object = llvm::dyn_cast<ObjectDecl>(&decl)) {
    node("", "ObjectDecl", decl.loc()) << " " << object->name.name << "\n";
    Nest nest(*this);
    dumpObject(object->object.get());
  } else if (auto *morphism = llvm::dyn_cast<MorphismDecl>(&decl)) {
    dumpMorphism(*morphism);
  } else if (auto *train = llvm::dyn_cast<TrainDecl>(&decl)) {
    dumpTrain(*train);
  } else if (auto *law = llvm::dyn_cast<LawDecl>(&decl)) {
    node("", "LawDecl", decl.loc()) << " " << law->name.name;
    if (law->tolerance)
      os << " within " << fmt::format("{}", *law->tolerance);
    os << "\n";
    Nest nest(*this);
    dumpExpr(law->lhs.get(), "lhs");
    dumpExpr(law->rhs.get(), "rhs");
  }
}

void ASTDumper::dumpMorphism(const MorphismDecl &decl) {
  node("", "MorphismDecl", decl.loc()) << " " << decl.name.name;
  if (!decl.genericParams.empty()) {
    os << " [";
    for (size_t i = 0; i < decl.genericParams.size(); ++i)
      os << (i ? ", " : "") << decl.genericParams[i].name;
    os << "]";
  }
  os << "\n";
  Nest nest(*this);
  dumpObject(decl.dom.get(), "dom");
  dumpObject(decl.cod.get(), "cod");
  dumpExpr(decl.body.get(), "body");
}

void ASTDumper::dumpTrain(const TrainDecl &decl) {
  node("", "TrainDecl", decl.loc()) << " " << decl.morphism.name << "\n";
  Nest nest(*this);
  for (const TrainEntry &entry : decl.entries)
    dumpValue(entry.value.get(), entry.key.name);
}

void ASTDumper::dumpObject(const ObjExpr *object, llvm::StringRef role) {
  if (!object) {
    os.indent(depth * 2) << (role.empty() ? "" : role.str() + ": ") << "<null object>\n";
    return;
  }
  switch (object->kind) {
  case ObjExpr::Kind::Real: {
    auto &real = llvm::cast<RealObj>(*object);
    node(role, "RealObj", object->loc());
    if (!real.dims.empty()) {
      os << " [";
      for (size_t i = 0; i < real.dims.size(); ++i) {
        os << (i ? ", " : "");
        dumpDim(real.dims[i]);
      }
      os << "]";
    }
    os << "\n";
    return;
  }
  case ObjExpr::Kind::Fin:
    node(role, "FinObj", object->loc()) << " ";
    dumpDim(llvm::cast<FinObj>(*object).n);
    os << "\n";
    return;
  case ObjExpr::Kind::Unit:
    node(role, "UnitObj", object->loc()) << "\n";
    return;
  case ObjExpr::Kind::Name:
    node(role, "NameObj", object->loc()) << " " << llvm::cast<NameObj>(*object).name << "\n";
    return;
  case ObjExpr::Kind::Power: {
    auto &power = llvm::cast<PowerObj>(*object);
    node(role, "PowerObj", object->loc()) << " ^";
    dumpDim(power.exponent);
    os << "\n";
    Nest nest(*this);
    dumpObject(power.base.get());
    return;
  }
  case ObjExpr::Kind::Product: {
    node(role, "ProductObj", object->loc()) << "\n";
    Nest nest(*this);
    for (const auto &factor : llvm::cast<ProductObj>(*object).factors)
      dumpObject(factor.get());
    return;
  }
  }
}

void ASTDumper::dumpExpr(const Expr *expr, llvm::StringRef role) {
  if (!expr) {
    os.indent(depth * 2) << (role.empty() ? "" : role.str() + ": ") << "<null expr>\n";
    return;
  }
  const std::vector<std::unique_ptr<Expr>> *parts = nullptr;
  switch (expr->kind) {
  case Expr::Kind::Compose: {
    auto &compose = llvm::cast<ComposeExpr>(*expr);
    node(role, "ComposeExpr", expr->loc())
        << (compose.writtenWithCirc ? " written-with-circ" : "") << "\n";
    parts = &compose.parts;
    break;
  }
  case Expr::Kind::Tensor:
    node(role, "TensorExpr", expr->loc()) << "\n";
    parts = &llvm::cast<TensorExpr>(*expr).parts;
    break;
  case Expr::Kind::Pair:
    node(role, "PairExpr", expr->loc()) << "\n";
    parts = &llvm::cast<PairExpr>(*expr).parts;
    break;
  case Expr::Kind::Id: {
    node(role, "IdExpr", expr->loc()) << "\n";
    Nest nest(*this);
    if (const auto &object = llvm::cast<IdExpr>(*expr).object)
      dumpObject(object.get());
    return;
  }
  case Expr::Kind::Ascribe: {
    auto &ascribe = llvm::cast<AscribeExpr>(*expr);
    node(role, "AscribeExpr", expr->loc()) << "\n";
    Nest nest(*this);
    dumpExpr(ascribe.expr.get());
    dumpObject(ascribe.dom.get(), "dom");
    dumpObject(ascribe.cod.get(), "cod");
    return;
  }
  case Expr::Kind::Ref:
    node(role, "RefExpr", expr->loc());
    dumpRef(llvm::cast<RefExpr>(*expr));
    return;
  }
  Nest nest(*this);
  for (const auto &part : *parts)
    dumpExpr(part.get());
}

void ASTDumper::dumpRef(const RefExpr &ref) {
  os << " " << ref.name.name;
  if (ref.hasGenericArgs && ref.genericArgs.empty())
    os << "[]";
  if (ref.hasArgs && ref.args.empty())
    os << "()";
  os << "\n";
  Nest nest(*this);
  for (const GenericArg &arg : ref.genericArgs) {
    if (arg.integer) {
      node("generic", "Integer", arg.range.Start) << " ";
      dumpDim(*arg.integer);
      os << "\n";
    } else {
      dumpObject(arg.object.get(), "generic");
    }
  }
  for (const Arg &arg : ref.args)
    dumpValue(arg.value.get(), arg.name ? "arg " + arg.name->name : std::string("arg"));
}

void ASTDumper::dumpValue(const Value *value, llvm::StringRef role) {
  if (!value) {
    os.indent(depth * 2) << role << ": <null value>\n";
    return;
  }
  switch (value->kind) {
  case Value::Kind::Number: {
    auto &number = llvm::cast<NumberValue>(*value);
    node(role, "NumberValue", value->loc())
        << " " << number.text << (number.isInteger ? " integer" : " real") << "\n";
    return;
  }
  case Value::Kind::String:
    node(role, "StringValue", value->loc()) << " ";
    dumpString(llvm::cast<StringValue>(*value).value);
    os << "\n";
    return;
  case Value::Kind::List: {
    node(role, "ListValue", value->loc()) << "\n";
    Nest nest(*this);
    for (const auto &element : llvm::cast<ListValue>(*value).elements)
      dumpValue(element.get(), "element");
    return;
  }
  case Value::Kind::Expr:
    dumpExpr(llvm::cast<ExprValue>(*value).expr.get(), role);
    return;
  }
}

void cat::dumpAST(const SourceFile &file, llvm::SourceMgr &sourceMgr,
                  llvm::raw_ostream &os) {
  ASTDumper(sourceMgr, os).dumpFile(file);
}
