//===- Lexing.cpp - Lexing a buffer and checking it before parsing --------===//
//
// The lexer runs once over the whole buffer, token by token, before the
// parser starts. On the way it reports the malformed lexemes the grammar puts
// on the hidden channel (stray characters, invalid UTF-8, unterminated strings
// and comments) and measures bracket nesting: the generated parser recurses
// once per bracket level, so input nested thousands deep is refused here,
// cheaply, instead of overflowing the stack. Hidden tokens are dropped, so a
// buffer of garbage costs no memory for its tokens.
//
//===----------------------------------------------------------------------===//
#include "ParseSupport.h"

#include "llvm/Support/Format.h"

using namespace cat;
using namespace cat::parse;
using catgrammar::CatLexer;

namespace {

/// Spells the character at \p text for a message: itself when printable,
/// `\xNN` for control characters and bytes that are not UTF-8.
std::string spellCharacter(llvm::StringRef text) {
  unsigned length = 1;
  std::optional<char32_t> cp = decodeUtf8(text, length);
  if (cp && *cp >= 0x20 && *cp != 0x7F)
    return text.take_front(length).str();
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "\\x" << llvm::format_hex_no_prefix(static_cast<unsigned char>(text[0]), 2);
  return out;
}

/// The checks done while lexing, one token at a time.
class LexChecker {
public:
  explicit LexChecker(SyntaxReporter &reporter) : reporter(reporter) {}

  /// Reports \p t if it is malformed; false when parsing must not start.
  bool check(antlr4::Token &t);

private:
  void reportInvalidCharacters(const antlr4::Token &t);
  bool checkNesting(const antlr4::Token &t);

  SyntaxReporter &reporter;
  unsigned depth = 0;
};

} // namespace

void LexChecker::reportInvalidCharacters(const antlr4::Token &t) {
  const SourceText &text = reporter.source();
  llvm::StringRef bytes = text.textOf(&t);
  reporter.report(text.startOf(&t), diag::err_invalid_character,
                  spellCharacter(bytes), text.rangeOf(&t));
}

bool LexChecker::checkNesting(const antlr4::Token &t) {
  switch (t.getType()) {
  case CatLexer::LPAREN:
  case CatLexer::LBRACK:
  case CatLexer::LBRACE:
  case CatLexer::LANGLE:
    if (++depth <= SyntaxReporter::kMaxNesting)
      return true;
    reporter.report(reporter.source().startOf(&t), diag::err_nesting_too_deep,
                    std::to_string(SyntaxReporter::kMaxNesting));
    return false;
  case CatLexer::RPAREN:
  case CatLexer::RBRACK:
  case CatLexer::RBRACE:
  case CatLexer::RANGLE:
    // Unbalanced closers are the parser's business; never go below zero.
    if (depth > 0)
      --depth;
    return true;
  default:
    return true;
  }
}

bool LexChecker::check(antlr4::Token &t) {
  const SourceText &text = reporter.source();
  switch (t.getType()) {
  case CatLexer::INVALID_CHARACTER:
    reportInvalidCharacters(t);
    return true;
  case CatLexer::UNTERMINATED_COMMENT:
    reporter.report(text.startOf(&t), diag::err_unterminated_comment);
    return true;
  case CatLexer::UNTERMINATED_STRING: {
    reporter.report(text.startOf(&t), diag::err_unterminated_string);
    // Let the parser see a string so that one mistake is reported once.
    auto &writable = static_cast<antlr4::WritableToken &>(t);
    writable.setType(CatLexer::STRING);
    writable.setChannel(antlr4::Token::DEFAULT_CHANNEL);
    return true;
  }
  default:
    return checkNesting(t);
  }
}

std::optional<std::vector<std::unique_ptr<antlr4::Token>>>
parse::lexAndCheck(CatLexer &lexer, SyntaxReporter &reporter) {
  std::vector<std::unique_ptr<antlr4::Token>> tokens;
  LexChecker checker(reporter);
  try {
    for (;;) {
      std::unique_ptr<antlr4::Token> t = lexer.nextToken();
      if (!checker.check(*t))
        return std::nullopt;
      bool isEof = t->getType() == antlr4::Token::EOF;
      if (t->getChannel() == antlr4::Token::DEFAULT_CHANNEL)
        tokens.push_back(std::move(t));
      if (isEof)
        return tokens;
    }
  } catch (TooManySyntaxErrors &) {
    return std::nullopt;
  }
}
