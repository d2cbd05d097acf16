//===- Scanner.cpp - The lexer rules of Cat.g4, by hand -------------------===//
//
// The lexer grammar (grammar/Cat.g4, "Lexer") is small and unambiguous after
// one or two code points, so it is matched here directly instead of by
// ANTLR's generated lexer, whose ATN simulation cost more than the parse
// itself: a lexer action executed per whitespace run, DFA edges cached only
// for ASCII (every other code point simulated afresh), a dynamic_cast or
// two per character. The token stream is the same: the same types,
// channels and code point indexes, the longest match winning and the
// earlier rule on a tie (`R` is REAL, `Rx` an IDENT). test/unit/ScannerTest
// compares the two lexers on the repository's .cat files and on random
// text.
//
//===----------------------------------------------------------------------===//
#include "ParseSupport.h"

using namespace cat;
using namespace cat::parse;
using catgrammar::CatLexer;

namespace {
constexpr char32_t kEnd = 0xFFFFFFFF; ///< past the last code point

bool isDigit(char32_t c) { return c >= '0' && c <= '9'; }
bool isIdentStart(char32_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool isIdentPart(char32_t c) { return isIdentStart(c) || isDigit(c); }
bool isWhitespace(char32_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0xFEFF;
}

/// The keyword \p word spells, or IDENT.
size_t keywordOr(llvm::StringRef word) {
  switch (word.size()) {
  case 1: return word == "R" ? CatLexer::REAL : CatLexer::IDENT;
  case 2: return word == "id" ? CatLexer::ID : CatLexer::IDENT;
  case 3: return word == "Fin" ? CatLexer::FIN : word == "law" ? CatLexer::LAW : CatLexer::IDENT;
  case 5: return word == "train" ? CatLexer::TRAIN : CatLexer::IDENT;
  case 6:
    return word == "module"   ? CatLexer::MODULE
           : word == "import" ? CatLexer::IMPORT
           : word == "object" ? CatLexer::OBJECT
                              : CatLexer::IDENT;
  case 8: return word == "morphism" ? CatLexer::MORPHISM : CatLexer::IDENT;
  default: return CatLexer::IDENT;
  }
}

/// The token a code point is by itself, or 0 (none of the grammar's types).
size_t singleCharacter(char32_t c) {
  switch (c) {
  case '*': case 0x00D7: case 0x2297: return CatLexer::STAR;
  case '<': case 0x27E8: return CatLexer::LANGLE;
  case '>': case 0x27E9: return CatLexer::RANGLE;
  case 0x2192: return CatLexer::ARROW;
  case 0x2218: return CatLexer::CIRC;
  case ';': return CatLexer::SEMI;
  case ':': return CatLexer::COLON;
  case ',': return CatLexer::COMMA;
  case '.': return CatLexer::DOT;
  case '^': return CatLexer::CARET;
  case '(': return CatLexer::LPAREN;
  case ')': return CatLexer::RPAREN;
  case '[': return CatLexer::LBRACK;
  case ']': return CatLexer::RBRACK;
  case '{': return CatLexer::LBRACE;
  case '}': return CatLexer::RBRACE;
  default: return 0;
  }
}
} // namespace

char32_t Scanner::peek(const Position &p, unsigned &length) const {
  if (p.byte >= bytes.size())
    return kEnd;
  auto lead = static_cast<unsigned char>(bytes[p.byte]);
  length = 1;
  if (lead < 0x80)
    return lead;
  // As SourceText decodes: an invalid byte is U+FFFD, one byte long.
  std::optional<char32_t> cp = decodeUtf8(bytes.drop_front(p.byte), length);
  if (!cp)
    length = 1;
  return cp ? *cp : U'\uFFFD';
}

void Scanner::advance(Position &p) const {
  unsigned length = 1;
  char32_t c = peek(p, length);
  if (c != kEnd)
    step(p, c, length);
}

void Scanner::step(Position &p, char32_t c, unsigned length) const {
  p.byte += length;
  ++p.index;
  if (c == '\n') {
    ++p.line;
    p.column = 0;
  } else {
    ++p.column;
  }
}

template <typename Pred> void Scanner::skipWhile(Position &p, Pred pred) const {
  // Each code point decoded once: this loop is most of the lexer's time.
  for (;;) {
    unsigned length = 1;
    char32_t c = peek(p, length);
    if (c == kEnd || !pred(c))
      return;
    step(p, c, length);
  }
}

Lexeme Scanner::next() {
  skipWhile(pos, isWhitespace); // WHITESPACE: skip
  Position start = pos;
  auto lexeme = [&](size_t type, size_t channel = antlr4::Token::DEFAULT_CHANNEL) {
    return Lexeme{type, channel, start.byte, pos.byte, start.index, pos.index - 1, start.line, start.column};
  };
  unsigned length = 1;
  char32_t c = peek(pos, length);
  if (c == kEnd)
    return lexeme(antlr4::Token::EOF);
  step(pos, c, length);

  if (isIdentStart(c)) {
    skipWhile(pos, isIdentPart);
    return lexeme(keywordOr(bytes.slice(start.byte, pos.byte)));
  }
  if (isDigit(c)) {
    auto digits = [&](Position &p) { skipWhile(p, isDigit); };
    digits(pos);
    size_t type = CatLexer::INT;
    // DIGITS '.' DIGITS EXPONENT? | DIGITS EXPONENT: each part only when
    // complete, else the lexer backs up to the longest match.
    Position q = pos;
    if (at(q) == '.') {
      advance(q);
      if (isDigit(at(q))) {
        digits(q);
        pos = q;
        type = CatLexer::FLOAT;
      }
    }
    q = pos;
    if (at(q) == 'e' || at(q) == 'E') {
      advance(q);
      if (at(q) == '+' || at(q) == '-')
        advance(q);
      if (isDigit(at(q))) {
        digits(q);
        pos = q;
        type = CatLexer::FLOAT;
      }
    }
    return lexeme(type);
  }
  switch (c) {
  case '"':
    // STRING : '"' (ESCAPE | ~["\\\r\n])* '"', else UNTERMINATED_STRING
    // (the same without the closing quote, which wins over
    // INVALID_CHARACTER for a lone '"' by coming first).
    for (;;) {
      char32_t d = peek(pos, length);
      if (d == kEnd || d == '\r' || d == '\n')
        break;
      if (d == '\\') {
        Position q = pos;
        step(q, d, length);
        char32_t e = peek(q, length);
        if (e == kEnd || e == '\r' || e == '\n')
          break; // the backslash is an INVALID_CHARACTER of its own
        step(q, e, length);
        pos = q;
        continue;
      }
      step(pos, d, length);
      if (d == '"')
        return lexeme(CatLexer::STRING);
    }
    return lexeme(CatLexer::UNTERMINATED_STRING, antlr4::Token::HIDDEN_CHANNEL);
  case '/':
    if (at(pos) == '/') { // LINE_COMMENT : '//' ~[\r\n]*
      skipWhile(pos, [](char32_t d) { return d != '\r' && d != '\n'; });
      return lexeme(CatLexer::LINE_COMMENT, kCommentChannel);
    }
    if (at(pos) == '*') {
      // BLOCK_COMMENT up to the first `*/` after the opening `/*`; with
      // none, UNTERMINATED_COMMENT takes the rest of the file.
      advance(pos);
      for (;;) {
        char32_t d = peek(pos, length);
        if (d == kEnd)
          return lexeme(CatLexer::UNTERMINATED_COMMENT, antlr4::Token::HIDDEN_CHANNEL);
        step(pos, d, length);
        if (d == '*' && at(pos) == '/') {
          advance(pos);
          return lexeme(CatLexer::BLOCK_COMMENT, kCommentChannel);
        }
      }
    }
    break;
  case '-':
    if (at(pos) == '>') {
      advance(pos);
      return lexeme(CatLexer::ARROW);
    }
    return lexeme(CatLexer::MINUS);
  case '=':
    if (at(pos) == '=') {
      advance(pos);
      return lexeme(CatLexer::EQEQ);
    }
    return lexeme(CatLexer::EQ);
  default:
    if (size_t type = singleCharacter(c))
      return lexeme(type);
    break;
  }
  return lexeme(CatLexer::INVALID_CHARACTER, antlr4::Token::HIDDEN_CHANNEL);
}

std::unique_ptr<antlr4::Token> ScannerTokenSource::nextToken() {
  Lexeme l = scanner.next();
  line = l.line;
  column = l.column;
  return antlr4::CommonTokenFactory::DEFAULT->create({this, &text}, l.type, "", l.channel, l.start,
                                                      l.stop, l.line, l.column);
}
