//===- Tokens.h - The lexemes of a .cat buffer, comments included -*- C++ -*-===//
//
// For tools that work on the text rather than the AST (catc-format): the
// buffer lexed by the compiler's own lexer (grammar/Cat.g4), every token with
// its exact byte range, comments included (the parser never sees them: they
// are on a channel of their own), whitespace left out. Malformed lexemes
// (a stray character, an unterminated string or comment) come out as Error;
// parseSourceFile reports them.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_PARSE_TOKENS_H
#define CATC_PARSE_TOKENS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <vector>

namespace cat {

enum class TokenKind : uint8_t {
  // Keywords
  Module, Import, Object, Morphism, Train, Law, Real, Fin, Id,
  // Punctuation (each with its Unicode aliases: → × ⊗ ⟨ ⟩ ∘)
  Arrow, Star, LAngle, RAngle, Circ, Semi, EqEq, Eq, Colon, Comma, Dot,
  Caret, Minus, LParen, RParen, LBrack, RBrack, LBrace, RBrace,
  // Literals and names
  Float, Int, Ident, String,
  // Not seen by the parser
  LineComment, BlockComment, Error,
};

struct Token {
  TokenKind kind;
  uint32_t begin, end; ///< byte offsets in the buffer, end exclusive
  llvm::StringRef text(llvm::StringRef buffer) const {
    return buffer.substr(begin, end - begin);
  }
  bool isComment() const {
    return kind == TokenKind::LineComment || kind == TokenKind::BlockComment;
  }
};

/// Every token of \p buffer in order, comments included, no end-of-file
/// token. Never fails: bytes that are no token become Error tokens.
/// Buffers of 4 GB or more give no tokens.
std::vector<Token> lexTokens(llvm::StringRef buffer);

} // namespace cat

#endif // CATC_PARSE_TOKENS_H
