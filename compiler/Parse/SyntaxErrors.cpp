//===- SyntaxErrors.cpp - Running ANTLR with readable syntax errors -------===//
//
// The parse runs in two stages, as ANTLR recommends for speed: SLL
// prediction with a bail-out error strategy first (right for nearly all
// input), then, only when that fails, full LL with an error strategy that
// recovers and reports. The reporting strategy replaces ANTLR's messages
// ("mismatched input '<EOF>' expecting {...}") with ones in the project's
// style: the expected token set is summarised into words ("an object",
// "a morphism expression", "'->'"), the grammar rule adds context ("after
// domain object"), and the location is an exact SMLoc — the end of the
// previous token when something is missing, the offending token otherwise.
//
//===----------------------------------------------------------------------===//
#include "ParseSupport.h"

using namespace cat;
using namespace cat::parse;
using catgrammar::CatLexer;
using catgrammar::CatParser;

namespace {

/// How a token type is named in a message.
std::string spellTokenType(size_t type) {
  switch (type) {
  case antlr4::Token::EOF: return "end of file";
  case CatLexer::IDENT: return "a name";
  case CatLexer::INT: return "an integer";
  case CatLexer::FLOAT: return "a number";
  case CatLexer::STRING: return "a string";
  case CatLexer::MODULE: return "'module'";
  case CatLexer::IMPORT: return "'import'";
  case CatLexer::OBJECT: return "'object'";
  case CatLexer::MORPHISM: return "'morphism'";
  case CatLexer::TRAIN: return "'train'";
  case CatLexer::LAW: return "'law'";
  case CatLexer::REAL: return "'R'";
  case CatLexer::FIN: return "'Fin'";
  case CatLexer::ID: return "'id'";
  case CatLexer::ARROW: return "'->'";
  case CatLexer::STAR: return "'*'";
  case CatLexer::LANGLE: return "'<'";
  case CatLexer::RANGLE: return "'>'";
  case CatLexer::CIRC: return "'∘'";
  case CatLexer::SEMI: return "';'";
  case CatLexer::EQEQ: return "'=='";
  case CatLexer::EQ: return "'='";
  case CatLexer::COLON: return "':'";
  case CatLexer::COMMA: return "','";
  case CatLexer::DOT: return "'.'";
  case CatLexer::CARET: return "'^'";
  case CatLexer::MINUS: return "'-'";
  case CatLexer::LPAREN: return "'('";
  case CatLexer::RPAREN: return "')'";
  case CatLexer::LBRACK: return "'['";
  case CatLexer::RBRACK: return "']'";
  case CatLexer::LBRACE: return "'{'";
  case CatLexer::RBRACE: return "'}'";
  default: return "a token";
  }
}

/// Token types that only continue something already complete (`A * B`,
/// `f ; g`, `a.b`): rarely what the user forgot, so left out of "expected".
bool isContinuation(size_t type) {
  return type == CatLexer::STAR || type == CatLexer::CARET ||
         type == CatLexer::SEMI || type == CatLexer::CIRC ||
         type == CatLexer::DOT;
}

/// A named group of token types that begins some construct.
struct TokenGroup {
  const char *name;
  std::vector<size_t> types;
};

const std::vector<TokenGroup> &tokenGroups() {
  static const std::vector<TokenGroup> groups = {
      {"a value",
       {CatLexer::INT, CatLexer::FLOAT, CatLexer::MINUS, CatLexer::STRING,
        CatLexer::LBRACK, CatLexer::IDENT, CatLexer::ID, CatLexer::LANGLE,
        CatLexer::LPAREN}},
      {"a declaration",
       {CatLexer::IMPORT, CatLexer::OBJECT, CatLexer::MORPHISM, CatLexer::TRAIN,
        CatLexer::LAW}},
      {"a morphism expression",
       {CatLexer::IDENT, CatLexer::ID, CatLexer::LANGLE, CatLexer::LPAREN}},
      {"an object",
       {CatLexer::REAL, CatLexer::FIN, CatLexer::INT, CatLexer::IDENT,
        CatLexer::LPAREN}},
      {"a number", {CatLexer::INT, CatLexer::FLOAT, CatLexer::MINUS}},
  };
  return groups;
}

/// Summarises an expected-token set in words; empty when it is too varied to
/// say anything useful.
std::string describeExpected(const antlr4::misc::IntervalSet &set) {
  std::vector<size_t> types;
  for (ssize_t type : set.toList())
    types.push_back(static_cast<size_t>(type));
  bool hasStructural = llvm::any_of(types, [](size_t t) { return !isContinuation(t); });
  if (hasStructural)
    llvm::erase_if(types, isContinuation);

  std::vector<std::string> words;
  for (const TokenGroup &group : tokenGroups()) {
    bool all = llvm::all_of(group.types, [&](size_t t) { return llvm::is_contained(types, t); });
    if (!all)
      continue;
    words.push_back(group.name);
    llvm::erase_if(types, [&](size_t t) { return llvm::is_contained(group.types, t); });
    if (std::string(group.name) == "a declaration")
      llvm::erase_if(types, [](size_t t) {
        return t == antlr4::Token::EOF || t == CatLexer::MODULE;
      });
  }
  for (size_t type : types)
    words.push_back(spellTokenType(type));
  if (words.empty() || words.size() > 4)
    return "";
  std::string out = words[0];
  for (size_t i = 1; i < words.size(); ++i)
    out += (i + 1 == words.size() ? " or " : ", ") + words[i];
  return out;
}

/// Context for an expected token inside rule \p rule ("after domain object").
const char *phraseFor(size_t rule, const antlr4::misc::IntervalSet &expected) {
  auto only = [&](size_t type) {
    return expected.contains(type) && !expected.contains(size_t(CatLexer::IDENT));
  };
  switch (rule) {
  case CatParser::RuleMorphismDecl:
    if (only(CatLexer::ARROW)) return " after domain object";
    if (only(CatLexer::COLON)) return " after morphism name";
    if (only(CatLexer::EQ)) return " after codomain object";
    return "";
  case CatParser::RuleAtomExpr:
    return only(CatLexer::ARROW) ? " after domain object" : "";
  case CatParser::RuleObjectDecl:
    return only(CatLexer::EQ) ? " after object name" : "";
  case CatParser::RuleTrainEntry:
    return only(CatLexer::EQ) ? " after training key" : "";
  case CatParser::RuleTrainDecl:
    return only(CatLexer::LBRACE) ? " after the name of the trained morphism" : "";
  case CatParser::RuleLawDecl:
    if (only(CatLexer::COLON)) return " after law name";
    if (only(CatLexer::EQEQ)) return " between the two sides of the law";
    return "";
  default:
    return "";
  }
}

/// Reports syntax errors in the project's words; recovers like ANTLR.
class ReportingErrorStrategy : public antlr4::DefaultErrorStrategy {
public:
  explicit ReportingErrorStrategy(SyntaxReporter &reporter) : reporter(reporter) {}

protected:
  void reportNoViableAlternative(antlr4::Parser *parser,
                                 const antlr4::NoViableAltException &e) override {
    reportExpected(parser, e.getOffendingToken(), /*missing=*/false);
  }
  void reportInputMismatch(antlr4::Parser *parser,
                           const antlr4::InputMismatchException &e) override {
    reportExpected(parser, e.getOffendingToken(), /*missing=*/false);
  }
  void reportFailedPredicate(antlr4::Parser *parser,
                             const antlr4::FailedPredicateException &e) override {
    reportExpected(parser, e.getOffendingToken(), /*missing=*/false);
  }
  void reportMissingToken(antlr4::Parser *parser) override {
    if (inErrorRecoveryMode(parser))
      return;
    beginErrorCondition(parser);
    reportExpected(parser, parser->getCurrentToken(), /*missing=*/true);
  }
  void reportUnwantedToken(antlr4::Parser *parser) override;

private:
  void reportExpected(antlr4::Parser *parser, antlr4::Token *found, bool missing);
  /// Where to point for a problem at \p found: the end of the previous
  /// token when something is missing or the file ended, else \p found.
  llvm::SMLoc locationFor(antlr4::Parser *parser, antlr4::Token *found, bool missing);

  SyntaxReporter &reporter;
};

} // namespace

llvm::SMLoc ReportingErrorStrategy::locationFor(antlr4::Parser *parser,
                                                antlr4::Token *found, bool missing) {
  const SourceText &text = reporter.source();
  if (!found)
    return text.locOf(0);
  antlr4::Token *previous = parser->getTokenStream()->LT(-1);
  if (!previous || previous->getTokenIndex() >= found->getTokenIndex())
    return text.startOf(found);
  // An unfinished construct is reported where it stops, not on the next line.
  llvm::StringRef between(text.endOf(previous).getPointer(),
                          text.startOf(found).getPointer() - text.endOf(previous).getPointer());
  bool atEof = found->getType() == antlr4::Token::EOF;
  if (missing || atEof || between.contains('\n'))
    return text.endOf(previous);
  return text.startOf(found);
}

void ReportingErrorStrategy::reportExpected(antlr4::Parser *parser,
                                            antlr4::Token *found, bool missing) {
  antlr4::misc::IntervalSet expected = parser->getExpectedTokens();
  std::string what = describeExpected(expected);
  bool atEof = found && found->getType() == antlr4::Token::EOF;
  llvm::SMLoc loc = locationFor(parser, found, missing);
  bool pointsAtFound = found && loc == reporter.source().startOf(found);
  llvm::SMRange range = (pointsAtFound && !atEof) ? reporter.source().rangeOf(found)
                                                  : llvm::SMRange();
  if (what.empty()) {
    std::string spelled = atEof || !found ? "end of file"
                                          : "'" + reporter.source().textOf(found).str() + "'";
    reporter.syntax(loc, "unexpected " + spelled, range);
    return;
  }
  size_t rule = parser->getContext() ? parser->getContext()->getRuleIndex() : 0;
  std::string message = "expected " + what + phraseFor(rule, expected);
  if (atEof)
    message += " at end of file";
  reporter.syntax(loc, message, range);
}

void ReportingErrorStrategy::reportUnwantedToken(antlr4::Parser *parser) {
  if (inErrorRecoveryMode(parser))
    return;
  beginErrorCondition(parser);
  antlr4::Token *found = parser->getCurrentToken();
  const SourceText &text = reporter.source();
  std::string message = "unexpected '" + text.textOf(found).str() + "'";
  std::string what = describeExpected(parser->getExpectedTokens());
  if (!what.empty())
    message += "; expected " + what;
  reporter.syntax(text.startOf(found), message, text.rangeOf(found));
}

namespace {
/// Catches anything the strategy does not route through its own reports.
class FallbackListener : public antlr4::BaseErrorListener {
public:
  explicit FallbackListener(SyntaxReporter &reporter) : reporter(reporter) {}
  void syntaxError(antlr4::Recognizer *, antlr4::Token *offending, size_t, size_t,
                   const std::string &, std::exception_ptr) override {
    llvm::SMLoc loc = offending ? reporter.source().startOf(offending)
                                : reporter.source().locOf(0);
    reporter.syntax(loc, "syntax error");
  }

private:
  SyntaxReporter &reporter;
};
} // namespace

namespace {
/// The fast path: SLL, bail out at the first problem, one declaration at a
/// time so that at most one declaration's parse tree is alive. Returns false
/// when the careful parse must take over; \p file then holds the module name
/// and the declarations built before the failing one.
bool parseFast(CatParser &parser, antlr4::CommonTokenStream &tokens,
               SyntaxReporter &reporter, ast::SourceFile &file) {
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  try {
    if (tokens.LA(1) == CatLexer::MODULE)
      buildModule(*parser.moduleDecl(), reporter, file);
    while (tokens.LA(1) != antlr4::Token::EOF) {
      buildDecl(*parser.decl(), reporter, file);
      parser.getTreeTracker().reset(); // frees the declaration's parse tree
    }
    return true;
  } catch (antlr4::ParseCancellationException &) {
    return false;
  }
}

/// The careful path: full LL over the whole buffer with error recovery and
/// reporting. Returns the tree, or null when the parse was abandoned.
CatParser::FileContext *parseCarefully(CatParser &parser, antlr4::CommonTokenStream &tokens,
                                       SyntaxReporter &reporter) {
  tokens.seek(0);
  parser.reset();
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::LL);
  parser.setErrorHandler(std::make_shared<ReportingErrorStrategy>(reporter));
  FallbackListener fallback(reporter);
  parser.addErrorListener(&fallback);
  CatParser::FileContext *tree = nullptr;
  try {
    tree = parser.file();
  } catch (TooManySyntaxErrors &) {
  }
  parser.removeErrorListeners();
  return tree;
}
} // namespace

void parse::parseTokens(CatParser &parser, antlr4::CommonTokenStream &tokens,
                        SyntaxReporter &reporter, ast::SourceFile &file) {
  parser.removeErrorListeners();
  unsigned errorsBefore = reporter.count();
  try {
    if (parseFast(parser, tokens, reporter, file))
      return;
  } catch (TooManySyntaxErrors &) {
    return; // the builder reported too many errors
  }
  CatParser::FileContext *tree = parseCarefully(parser, tokens, reporter);
  if (!tree || reporter.count() != errorsBefore) {
    file.moduleName.reset();
    file.decls.clear();
    return;
  }
  // LL succeeded where SLL gave up: build what the fast path had not built.
  std::vector<CatParser::DeclContext *> decls = tree->decl();
  try {
    for (size_t i = file.decls.size(); i < decls.size(); ++i)
      buildDecl(*decls[i], reporter, file);
  } catch (TooManySyntaxErrors &) {
  }
}
