//===- Tokens.cpp - The lexemes of a .cat buffer, comments included -------===//
#include "Parse/Tokens.h"

#include "ParseSupport.h"

using namespace cat;
using catgrammar::CatLexer;

namespace {
TokenKind kindOf(size_t type) {
  switch (type) {
  case CatLexer::MODULE: return TokenKind::Module;
  case CatLexer::IMPORT: return TokenKind::Import;
  case CatLexer::OBJECT: return TokenKind::Object;
  case CatLexer::MORPHISM: return TokenKind::Morphism;
  case CatLexer::TRAIN: return TokenKind::Train;
  case CatLexer::LAW: return TokenKind::Law;
  case CatLexer::REAL: return TokenKind::Real;
  case CatLexer::FIN: return TokenKind::Fin;
  case CatLexer::ID: return TokenKind::Id;
  case CatLexer::ARROW: return TokenKind::Arrow;
  case CatLexer::STAR: return TokenKind::Star;
  case CatLexer::LANGLE: return TokenKind::LAngle;
  case CatLexer::RANGLE: return TokenKind::RAngle;
  case CatLexer::CIRC: return TokenKind::Circ;
  case CatLexer::SEMI: return TokenKind::Semi;
  case CatLexer::EQEQ: return TokenKind::EqEq;
  case CatLexer::EQ: return TokenKind::Eq;
  case CatLexer::COLON: return TokenKind::Colon;
  case CatLexer::COMMA: return TokenKind::Comma;
  case CatLexer::DOT: return TokenKind::Dot;
  case CatLexer::CARET: return TokenKind::Caret;
  case CatLexer::MINUS: return TokenKind::Minus;
  case CatLexer::LPAREN: return TokenKind::LParen;
  case CatLexer::RPAREN: return TokenKind::RParen;
  case CatLexer::LBRACK: return TokenKind::LBrack;
  case CatLexer::RBRACK: return TokenKind::RBrack;
  case CatLexer::LBRACE: return TokenKind::LBrace;
  case CatLexer::RBRACE: return TokenKind::RBrace;
  case CatLexer::FLOAT: return TokenKind::Float;
  case CatLexer::INT: return TokenKind::Int;
  case CatLexer::IDENT: return TokenKind::Ident;
  case CatLexer::STRING: return TokenKind::String;
  case CatLexer::LINE_COMMENT: return TokenKind::LineComment;
  case CatLexer::BLOCK_COMMENT: return TokenKind::BlockComment;
  default: return TokenKind::Error;
  }
}
} // namespace

std::vector<Token> cat::lexTokens(llvm::StringRef buffer) {
  std::vector<Token> tokens;
  if (buffer.size() >= UINT32_MAX)
    return tokens;
  parse::SourceText text(buffer);
  CatLexer lexer(&text);
  lexer.removeErrorListeners();
  for (;;) {
    std::unique_ptr<antlr4::Token> t = lexer.nextToken();
    if (t->getType() == antlr4::Token::EOF)
      return tokens;
    llvm::SMRange range = text.rangeOf(t.get());
    tokens.push_back({kindOf(t->getType()),
                      static_cast<uint32_t>(range.Start.getPointer() - buffer.data()),
                      static_cast<uint32_t>(range.End.getPointer() - buffer.data())});
  }
}
