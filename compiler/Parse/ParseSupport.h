//===- ParseSupport.h - Shared pieces of the parser (private) ---*- C++ -*-===//
//
// Private to compiler/Parse: the ANTLR character stream that decodes UTF-8
// itself (so invalid bytes never throw and every code point maps back to a
// byte, i.e. an SMLoc), the reporter that turns syntax errors into
// diagnostics, and the entry points of the three parsing steps (lexing checks,
// the ANTLR parse with readable error messages, the AST builder).
//
//===----------------------------------------------------------------------===//
#ifndef CATC_PARSE_PARSESUPPORT_H
#define CATC_PARSE_PARSESUPPORT_H

#include "AST/AST.h"
#include "Basic/Diagnostics.h"

#include "CatLexer.h"
#include "CatParser.h"
#include "antlr4-runtime.h"

#include <memory>
#include <optional>
#include <vector>

namespace cat::parse {

/// Decodes one UTF-8 sequence at the start of \p bytes; on success returns the
/// code point and sets \p length, on an invalid sequence returns nullopt.
std::optional<char32_t> decodeUtf8(llvm::StringRef bytes, unsigned &length);

/// A source buffer as ANTLR code points, with the byte offset of each one.
/// Invalid UTF-8 bytes become U+FFFD one byte at a time (the lexer turns them
/// into INVALID_CHARACTER tokens, reported with their raw byte value).
class SourceText : public antlr4::ANTLRInputStream {
public:
  explicit SourceText(llvm::StringRef buffer);

  /// The location of code point \p index (index == size() is the end).
  llvm::SMLoc locOf(size_t index) const;
  /// Where token \p t starts / one past where it ends.
  llvm::SMLoc startOf(const antlr4::Token *t) const;
  llvm::SMLoc endOf(const antlr4::Token *t) const;
  llvm::SMRange rangeOf(const antlr4::Token *t) const;
  /// From the first token of \p ctx to the end of its last token.
  llvm::SMRange rangeOf(antlr4::ParserRuleContext *ctx) const;
  /// The bytes of token \p t exactly as written.
  llvm::StringRef textOf(const antlr4::Token *t) const;
  llvm::StringRef buffer() const { return bytes; }

private:
  llvm::StringRef bytes;
  std::vector<uint32_t> byteOffsets; ///< one per code point, plus the end
};

/// Thrown to abandon the parse once too many errors were reported.
struct TooManySyntaxErrors {};

/// Reports syntax errors of one buffer and counts them.
class SyntaxReporter {
public:
  SyntaxReporter(DiagnosticEngine &diags, const SourceText &text)
      : diags(diags), text(text) {}

  /// Reports \p kind at \p loc (underlining \p range when valid); throws
  /// TooManySyntaxErrors when the limit is reached.
  void report(llvm::SMLoc loc, diag::Kind kind, llvm::StringRef arg = {},
              llvm::SMRange range = {});
  /// Shorthand for err_syntax with a message of our own.
  void syntax(llvm::SMLoc loc, llvm::StringRef message, llvm::SMRange range = {}) {
    report(loc, diag::err_syntax, message, range);
  }
  unsigned count() const { return numReported; }
  const SourceText &source() const { return text; }
  DiagnosticEngine &engine() { return diags; }

  /// After this many errors in one file the parse is abandoned.
  static constexpr unsigned kMaxErrors = 50;
  /// Deepest bracket nesting accepted before parsing.
  static constexpr unsigned kMaxNesting = 256;

private:
  DiagnosticEngine &diags;
  const SourceText &text;
  unsigned numReported = 0;
};

/// Runs the lexer over the whole buffer, reports malformed lexemes and
/// excessive nesting, and returns the tokens the parser should see (hidden
/// tokens dropped, EOF last). Returns nullopt when parsing must not start.
std::optional<std::vector<std::unique_ptr<antlr4::Token>>>
lexAndCheck(catgrammar::CatLexer &lexer, SyntaxReporter &reporter);

/// Parses \p tokens into \p file, reporting syntax errors through
/// \p reporter. Fast path: SLL prediction, one declaration at a time, each
/// parse tree freed once its AST is built. When that fails the whole buffer
/// is parsed again with full LL and error recovery, which reports every
/// syntax error; the AST is then completed only when there were none.
void parseTokens(catgrammar::CatParser &parser, antlr4::CommonTokenStream &tokens,
                 SyntaxReporter &reporter, ast::SourceFile &file);

/// Builds the module name of \p ctx into \p file.
void buildModule(catgrammar::CatParser::ModuleDeclContext &ctx,
                 SyntaxReporter &reporter, ast::SourceFile &file);
/// Builds declaration \p ctx and appends it to \p file.
void buildDecl(catgrammar::CatParser::DeclContext &ctx, SyntaxReporter &reporter,
               ast::SourceFile &file);

} // namespace cat::parse

#endif // CATC_PARSE_PARSESUPPORT_H
