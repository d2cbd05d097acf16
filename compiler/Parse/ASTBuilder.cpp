//===- ASTBuilder.cpp - From the ANTLR parse tree to the AST --------------===//
//
// One typed builder per grammar rule (the rule is quoted above each), walking
// a parse tree that had no syntax errors. The builder is where the surface
// syntax is normalised: `h ∘ g ∘ f` is stored as the parts f, g, h; integer
// literals are read exactly (flagging 64-bit overflow); strings have their
// escapes decoded; a bare integer inside `NAME[...]` becomes an integer
// generic argument. It reports what the grammar cannot see (mixed `∘`/`;`,
// unknown escapes, `within` misspelled, a number other than 1 used as an
// object) and still returns a complete tree. Children are checked for null
// before use so that even an unexpected partial tree cannot crash it.
//
//===----------------------------------------------------------------------===//
#include "ParseSupport.h"

#include "llvm/ADT/STLExtras.h"

#include <cstdlib>

using namespace cat;
using namespace cat::parse;
using catgrammar::CatLexer;
using catgrammar::CatParser;

namespace {

class ASTBuilder {
public:
  explicit ASTBuilder(SyntaxReporter &reporter)
      : reporter(reporter), text(reporter.source()) {}

  void buildModule(CatParser::ModuleDeclContext &ctx, ast::SourceFile &file);
  std::unique_ptr<ast::Decl> buildDecl(CatParser::DeclContext &ctx);

private:
  // Declarations.
  std::unique_ptr<ast::Decl> buildImport(CatParser::ImportDeclContext &ctx);
  std::unique_ptr<ast::Decl> buildObjectDecl(CatParser::ObjectDeclContext &ctx);
  std::unique_ptr<ast::Decl> buildMorphismDecl(CatParser::MorphismDeclContext &ctx);
  std::unique_ptr<ast::Decl> buildTrainDecl(CatParser::TrainDeclContext &ctx);
  std::unique_ptr<ast::Decl> buildLawDecl(CatParser::LawDeclContext &ctx);
  std::vector<ast::Ident> buildModulePath(CatParser::ModulePathContext &ctx);

  // Objects.
  std::unique_ptr<ast::ObjExpr> buildObject(CatParser::ObjectContext *ctx);
  std::unique_ptr<ast::ObjExpr> buildPowerObject(CatParser::PowerObjectContext &ctx);
  std::unique_ptr<ast::ObjExpr> buildAtomObject(CatParser::AtomObjectContext &ctx);
  ast::DimLit buildDim(antlr4::tree::TerminalNode *node);

  // Morphism expressions and values.
  std::unique_ptr<ast::Expr> buildExpr(CatParser::ExprContext *ctx);
  std::unique_ptr<ast::Expr> buildTensorExpr(CatParser::TensorExprContext &ctx);
  std::unique_ptr<ast::Expr> buildAtomExpr(CatParser::AtomExprContext &ctx);
  std::unique_ptr<ast::Expr> buildRefExpr(CatParser::RefExprContext &ctx);
  std::unique_ptr<ast::Expr> buildPairExpr(CatParser::PairExprContext &ctx);
  std::unique_ptr<ast::Expr> buildParenExpr(CatParser::ParenExprContext &ctx);
  ast::GenericArg buildGenericArg(CatParser::ObjectContext &ctx);
  ast::Arg buildArg(CatParser::ArgContext &ctx);
  std::unique_ptr<ast::Value> buildValue(CatParser::ValueContext *ctx);
  std::unique_ptr<ast::NumberValue> buildNumber(CatParser::NumberContext &ctx);
  std::string decodeString(const antlr4::Token *token);

  ast::Ident identOf(const antlr4::Token *token) {
    return ast::Ident{text.rangeOf(token), text.textOf(token).str()};
  }
  llvm::SMRange rangeOf(antlr4::ParserRuleContext *ctx) {
    return text.rangeOf(ctx);
  }

  SyntaxReporter &reporter;
  const SourceText &text;
};

} // namespace

/// moduleDecl : MODULE modulePath ;
void ASTBuilder::buildModule(CatParser::ModuleDeclContext &ctx, ast::SourceFile &file) {
  CatParser::ModulePathContext *path = ctx.modulePath();
  if (!path)
    return;
  std::string joined;
  for (const ast::Ident &part : buildModulePath(*path))
    joined += (joined.empty() ? "" : ".") + part.name;
  file.moduleName = ast::Ident{rangeOf(path), joined};
}

/// modulePath : IDENT (DOT IDENT)* ;
std::vector<ast::Ident> ASTBuilder::buildModulePath(CatParser::ModulePathContext &ctx) {
  std::vector<ast::Ident> parts;
  for (antlr4::tree::TerminalNode *name : ctx.IDENT())
    parts.push_back(identOf(name->getSymbol()));
  return parts;
}

/// decl : importDecl | objectDecl | morphismDecl | trainDecl | lawDecl ;
std::unique_ptr<ast::Decl> ASTBuilder::buildDecl(CatParser::DeclContext &ctx) {
  if (auto *d = ctx.importDecl())
    return buildImport(*d);
  if (auto *d = ctx.objectDecl())
    return buildObjectDecl(*d);
  if (auto *d = ctx.morphismDecl())
    return buildMorphismDecl(*d);
  if (auto *d = ctx.trainDecl())
    return buildTrainDecl(*d);
  if (auto *d = ctx.lawDecl())
    return buildLawDecl(*d);
  return nullptr;
}

/// importDecl : IMPORT (modulePath | STRING) ;
std::unique_ptr<ast::Decl> ASTBuilder::buildImport(CatParser::ImportDeclContext &ctx) {
  auto decl = std::make_unique<ast::ImportDecl>(rangeOf(&ctx));
  if (auto *path = ctx.modulePath())
    decl->modulePath = buildModulePath(*path);
  else if (auto *file = ctx.STRING())
    decl->file = decodeString(file->getSymbol());
  return decl;
}

/// objectDecl : OBJECT name=IDENT EQ object ;
std::unique_ptr<ast::Decl> ASTBuilder::buildObjectDecl(CatParser::ObjectDeclContext &ctx) {
  if (!ctx.name)
    return nullptr;
  return std::make_unique<ast::ObjectDecl>(rangeOf(&ctx), identOf(ctx.name),
                                           buildObject(ctx.object()));
}

/// morphismDecl : MORPHISM name=IDENT genericParams? COLON dom=object
///                ARROW cod=object EQ body=expr ;
/// genericParams : LBRACK IDENT (COMMA IDENT)* RBRACK ;
std::unique_ptr<ast::Decl>
ASTBuilder::buildMorphismDecl(CatParser::MorphismDeclContext &ctx) {
  if (!ctx.name)
    return nullptr;
  auto decl = std::make_unique<ast::MorphismDecl>(rangeOf(&ctx), identOf(ctx.name));
  if (auto *params = ctx.genericParams())
    for (antlr4::tree::TerminalNode *param : params->IDENT())
      decl->genericParams.push_back(identOf(param->getSymbol()));
  decl->dom = buildObject(ctx.dom);
  decl->cod = buildObject(ctx.cod);
  decl->body = buildExpr(ctx.body);
  return decl;
}

/// trainDecl : TRAIN name=IDENT LBRACE trainEntry* RBRACE ;
/// trainEntry : key=IDENT EQ value ;
std::unique_ptr<ast::Decl> ASTBuilder::buildTrainDecl(CatParser::TrainDeclContext &ctx) {
  if (!ctx.name)
    return nullptr;
  auto decl = std::make_unique<ast::TrainDecl>(rangeOf(&ctx), identOf(ctx.name));
  for (CatParser::TrainEntryContext *entry : ctx.trainEntry()) {
    if (!entry || !entry->key)
      continue;
    decl->entries.push_back(ast::TrainEntry{identOf(entry->key), buildValue(entry->value())});
  }
  return decl;
}

/// lawDecl : LAW name=IDENT COLON lhs=expr EQEQ rhs=expr lawTolerance? ;
/// lawTolerance : within=IDENT number ;
std::unique_ptr<ast::Decl> ASTBuilder::buildLawDecl(CatParser::LawDeclContext &ctx) {
  if (!ctx.name)
    return nullptr;
  auto decl = std::make_unique<ast::LawDecl>(rangeOf(&ctx), identOf(ctx.name));
  decl->lhs = buildExpr(ctx.lhs);
  decl->rhs = buildExpr(ctx.rhs);
  CatParser::LawToleranceContext *tolerance = ctx.lawTolerance();
  if (!tolerance || !tolerance->within || !tolerance->number())
    return decl;
  if (text.textOf(tolerance->within) != "within") {
    reporter.syntax(text.startOf(tolerance->within),
                    "expected 'within' before the tolerance of law '" +
                        decl->name.name + "'",
                    text.rangeOf(tolerance->within));
  }
  decl->tolerance = buildNumber(*tolerance->number())->value;
  return decl;
}

//===----------------------------------------------------------------------===//
// Objects
//===----------------------------------------------------------------------===//

/// object : powerObject (STAR powerObject)* ;
std::unique_ptr<ast::ObjExpr> ASTBuilder::buildObject(CatParser::ObjectContext *ctx) {
  if (!ctx)
    return nullptr;
  std::vector<std::unique_ptr<ast::ObjExpr>> factors;
  for (CatParser::PowerObjectContext *factor : ctx->powerObject())
    if (factor)
      if (std::unique_ptr<ast::ObjExpr> built = buildPowerObject(*factor))
        factors.push_back(std::move(built));
  if (factors.size() == 1)
    return std::move(factors.front());
  if (factors.empty())
    return nullptr;
  return std::make_unique<ast::ProductObj>(rangeOf(ctx), std::move(factors));
}

/// powerObject : atomObject (CARET INT)* ;
std::unique_ptr<ast::ObjExpr>
ASTBuilder::buildPowerObject(CatParser::PowerObjectContext &ctx) {
  if (!ctx.atomObject())
    return nullptr;
  std::unique_ptr<ast::ObjExpr> object = buildAtomObject(*ctx.atomObject());
  std::vector<antlr4::tree::TerminalNode *> exponents = ctx.INT();
  if (exponents.size() > SyntaxReporter::kMaxNesting) {
    // Each '^' nests the tree one level deeper; keep later phases' recursion bounded.
    reporter.report(text.startOf(exponents[SyntaxReporter::kMaxNesting]->getSymbol()),
                    diag::err_nesting_too_deep,
                    std::to_string(SyntaxReporter::kMaxNesting));
    exponents.resize(SyntaxReporter::kMaxNesting);
  }
  llvm::SMLoc start = text.startOf(ctx.getStart());
  for (antlr4::tree::TerminalNode *exponent : exponents) {
    ast::DimLit dim = buildDim(exponent);
    llvm::SMRange range(start, dim.range.End);
    object = std::make_unique<ast::PowerObj>(range, std::move(object), dim);
  }
  return object;
}

/// atomObject : REAL (LBRACK INT (COMMA INT)* RBRACK)? | FIN LBRACK INT RBRACK
///            | INT | IDENT | LPAREN object RPAREN ;
std::unique_ptr<ast::ObjExpr>
ASTBuilder::buildAtomObject(CatParser::AtomObjectContext &ctx) {
  llvm::SMRange range = rangeOf(&ctx);
  if (auto *real = dynamic_cast<CatParser::RealObjectContext *>(&ctx)) {
    std::vector<ast::DimLit> dims;
    for (antlr4::tree::TerminalNode *dim : real->INT())
      dims.push_back(buildDim(dim));
    return std::make_unique<ast::RealObj>(range, std::move(dims));
  }
  if (auto *fin = dynamic_cast<CatParser::FinObjectContext *>(&ctx))
    return std::make_unique<ast::FinObj>(range, buildDim(fin->INT()));
  if (auto *unit = dynamic_cast<CatParser::UnitObjectContext *>(&ctx)) {
    ast::DimLit literal = buildDim(unit->INT());
    if (literal.overflowed || literal.value != 1)
      reporter.syntax(range.Start,
                      "expected an object, found the number '" +
                          text.textOf(unit->getStart()).str() +
                          "' (only '1', the unit object, is a number object)",
                      range);
    return std::make_unique<ast::UnitObj>(range);
  }
  if (auto *name = dynamic_cast<CatParser::NameObjectContext *>(&ctx))
    return std::make_unique<ast::NameObj>(range, text.textOf(name->getStart()).str());
  if (auto *paren = dynamic_cast<CatParser::ParenObjectContext *>(&ctx))
    return buildObject(paren->object());
  return nullptr;
}

/// INT, read exactly; overflow of 64 bits is flagged, not wrapped.
ast::DimLit ASTBuilder::buildDim(antlr4::tree::TerminalNode *node) {
  ast::DimLit dim;
  if (!node)
    return dim;
  dim.range = text.rangeOf(node->getSymbol());
  for (char digit : text.textOf(node->getSymbol())) {
    uint64_t d = static_cast<uint64_t>(digit - '0');
    if (dim.value > (UINT64_MAX - d) / 10) {
      dim.overflowed = true;
      dim.value = UINT64_MAX;
      break;
    }
    dim.value = dim.value * 10 + d;
  }
  return dim;
}

//===----------------------------------------------------------------------===//
// Morphism expressions
//===----------------------------------------------------------------------===//

/// expr : tensorExpr (composeOp tensorExpr)* ;   composeOp : SEMI | CIRC ;
std::unique_ptr<ast::Expr> ASTBuilder::buildExpr(CatParser::ExprContext *ctx) {
  if (!ctx)
    return nullptr;
  std::vector<std::unique_ptr<ast::Expr>> parts;
  for (CatParser::TensorExprContext *part : ctx->tensorExpr())
    if (part)
      if (std::unique_ptr<ast::Expr> built = buildTensorExpr(*part))
        parts.push_back(std::move(built));
  if (parts.size() == 1)
    return std::move(parts.front());
  if (parts.empty())
    return nullptr;

  std::vector<CatParser::ComposeOpContext *> ops = ctx->composeOp();
  bool circ = !ops.empty() && ops.front()->CIRC() != nullptr;
  for (CatParser::ComposeOpContext *op : ops) {
    if ((op->CIRC() != nullptr) != circ) {
      reporter.report(text.startOf(op->getStart()), diag::err_mixed_compose, {},
                      rangeOf(op));
      break;
    }
  }
  // `h ∘ g ∘ f` applies f first: store the parts in order of application.
  if (circ)
    std::reverse(parts.begin(), parts.end());
  return std::make_unique<ast::ComposeExpr>(rangeOf(ctx), std::move(parts), circ);
}

/// tensorExpr : atomExpr (STAR atomExpr)* ;
std::unique_ptr<ast::Expr> ASTBuilder::buildTensorExpr(CatParser::TensorExprContext &ctx) {
  std::vector<std::unique_ptr<ast::Expr>> parts;
  for (CatParser::AtomExprContext *part : ctx.atomExpr())
    if (part)
      if (std::unique_ptr<ast::Expr> built = buildAtomExpr(*part))
        parts.push_back(std::move(built));
  if (parts.size() == 1)
    return std::move(parts.front());
  if (parts.empty())
    return nullptr;
  return std::make_unique<ast::TensorExpr>(rangeOf(&ctx), std::move(parts));
}

/// atomExpr : ID (LBRACK object RBRACK)? | IDENT ... | LANGLE ... | LPAREN ... ;
std::unique_ptr<ast::Expr> ASTBuilder::buildAtomExpr(CatParser::AtomExprContext &ctx) {
  if (auto *id = dynamic_cast<CatParser::IdExprContext *>(&ctx))
    return std::make_unique<ast::IdExpr>(rangeOf(id), buildObject(id->object()));
  if (auto *ref = dynamic_cast<CatParser::RefExprContext *>(&ctx))
    return buildRefExpr(*ref);
  if (auto *pair = dynamic_cast<CatParser::PairExprContext *>(&ctx))
    return buildPairExpr(*pair);
  if (auto *paren = dynamic_cast<CatParser::ParenExprContext *>(&ctx))
    return buildParenExpr(*paren);
  return nullptr;
}

/// IDENT (LBRACK genericArgs? RBRACK)? (LPAREN args? RPAREN)?   # refExpr
/// genericArgs : object (COMMA object)* ;   args : arg (COMMA arg)* ;
std::unique_ptr<ast::Expr> ASTBuilder::buildRefExpr(CatParser::RefExprContext &ctx) {
  if (!ctx.IDENT())
    return nullptr;
  auto ref = std::make_unique<ast::RefExpr>(rangeOf(&ctx), identOf(ctx.IDENT()->getSymbol()));
  ref->hasGenericArgs = ctx.LBRACK() != nullptr;
  ref->hasArgs = ctx.LPAREN() != nullptr;
  if (auto *generics = ctx.genericArgs())
    for (CatParser::ObjectContext *arg : generics->object())
      if (arg)
        ref->genericArgs.push_back(buildGenericArg(*arg));
  if (auto *args = ctx.args())
    for (CatParser::ArgContext *arg : args->arg())
      if (arg)
        ref->args.push_back(buildArg(*arg));
  return ref;
}

/// LANGLE expr (COMMA expr)* RANGLE   # pairExpr
std::unique_ptr<ast::Expr> ASTBuilder::buildPairExpr(CatParser::PairExprContext &ctx) {
  std::vector<std::unique_ptr<ast::Expr>> parts;
  for (CatParser::ExprContext *part : ctx.expr())
    if (std::unique_ptr<ast::Expr> built = buildExpr(part))
      parts.push_back(std::move(built));
  return std::make_unique<ast::PairExpr>(rangeOf(&ctx), std::move(parts));
}

/// LPAREN expr (COLON dom=object ARROW cod=object)? RPAREN   # parenExpr
std::unique_ptr<ast::Expr> ASTBuilder::buildParenExpr(CatParser::ParenExprContext &ctx) {
  std::unique_ptr<ast::Expr> inner = buildExpr(ctx.expr());
  if (!ctx.COLON())
    return inner;
  return std::make_unique<ast::AscribeExpr>(rangeOf(&ctx), std::move(inner),
                                            buildObject(ctx.dom), buildObject(ctx.cod));
}

/// A generic argument (`object` in genericArgs): a bare integer is stored as
/// an integer, anything else as an object.
ast::GenericArg ASTBuilder::buildGenericArg(CatParser::ObjectContext &ctx) {
  ast::GenericArg arg;
  arg.range = rangeOf(&ctx);
  std::vector<CatParser::PowerObjectContext *> factors = ctx.powerObject();
  if (factors.size() == 1 && factors[0] && factors[0]->INT().empty()) {
    auto *atom = factors[0]->atomObject();
    if (auto *integer = dynamic_cast<CatParser::UnitObjectContext *>(atom)) {
      arg.integer = buildDim(integer->INT());
      return arg;
    }
  }
  arg.object = buildObject(&ctx);
  return arg;
}

/// arg : (name=IDENT EQ)? value ;
ast::Arg ASTBuilder::buildArg(CatParser::ArgContext &ctx) {
  ast::Arg arg;
  if (ctx.name)
    arg.name = identOf(ctx.name);
  arg.value = buildValue(ctx.value());
  return arg;
}

/// value : number | STRING | LBRACK (value (COMMA value)*)? RBRACK | expr ;
std::unique_ptr<ast::Value> ASTBuilder::buildValue(CatParser::ValueContext *ctx) {
  if (!ctx)
    return nullptr;
  llvm::SMRange range = rangeOf(ctx);
  if (auto *number = dynamic_cast<CatParser::NumberValueContext *>(ctx))
    return number->number() ? buildNumber(*number->number()) : nullptr;
  if (auto *string = dynamic_cast<CatParser::StringValueContext *>(ctx))
    return std::make_unique<ast::StringValue>(range, decodeString(string->getStart()));
  if (auto *list = dynamic_cast<CatParser::ListValueContext *>(ctx)) {
    std::vector<std::unique_ptr<ast::Value>> elements;
    for (CatParser::ValueContext *element : list->value())
      if (std::unique_ptr<ast::Value> built = buildValue(element))
        elements.push_back(std::move(built));
    return std::make_unique<ast::ListValue>(range, std::move(elements));
  }
  if (auto *expr = dynamic_cast<CatParser::ExprValueContext *>(ctx))
    if (std::unique_ptr<ast::Expr> built = buildExpr(expr->expr()))
      return std::make_unique<ast::ExprValue>(range, std::move(built));
  return nullptr;
}

/// number : MINUS? (INT | FLOAT) ;
std::unique_ptr<ast::NumberValue> ASTBuilder::buildNumber(CatParser::NumberContext &ctx) {
  antlr4::tree::TerminalNode *literal = ctx.INT() ? ctx.INT() : ctx.FLOAT();
  std::string spelled = literal ? text.textOf(literal->getSymbol()).str() : "0";
  if (ctx.MINUS())
    spelled = "-" + spelled;
  double value = std::strtod(spelled.c_str(), nullptr);
  return std::make_unique<ast::NumberValue>(rangeOf(&ctx), value, ctx.INT() != nullptr,
                                            spelled);
}

/// STRING: the text between the quotes with `\" \\ \n \t` decoded. The token
/// may lack its closing quote (an unterminated string, already reported).
std::string ASTBuilder::decodeString(const antlr4::Token *token) {
  llvm::StringRef spelled = text.textOf(token);
  std::string value;
  for (size_t i = 1; i < spelled.size(); ++i) {
    char c = spelled[i];
    if (c == '"')
      break;
    if (c != '\\' || i + 1 == spelled.size()) {
      value += c;
      continue;
    }
    char escaped = spelled[++i];
    switch (escaped) {
    case '"': value += '"'; break;
    case '\\': value += '\\'; break;
    case 'n': value += '\n'; break;
    case 't': value += '\t'; break;
    default: {
      unsigned length = 1;
      if (!decodeUtf8(spelled.drop_front(i), length))
        length = 1;
      const char *at = spelled.data() + i - 1;
      reporter.report(llvm::SMLoc::getFromPointer(at), diag::err_bad_escape,
                      spelled.substr(i, length),
                      llvm::SMRange(llvm::SMLoc::getFromPointer(at),
                                    llvm::SMLoc::getFromPointer(at + 1 + length)));
      value += spelled.substr(i, length).str();
      i += length - 1;
    }
    }
  }
  return value;
}

void parse::buildModule(CatParser::ModuleDeclContext &ctx, SyntaxReporter &reporter,
                        ast::SourceFile &file) {
  ASTBuilder(reporter).buildModule(ctx, file);
}

void parse::buildDecl(CatParser::DeclContext &ctx, SyntaxReporter &reporter,
                      ast::SourceFile &file) {
  if (std::unique_ptr<ast::Decl> decl = ASTBuilder(reporter).buildDecl(ctx))
    file.decls.push_back(std::move(decl));
}
