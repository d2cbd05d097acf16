//===- FuzzFrontend.cpp - libFuzzer target: parse, check, laws -----------===//
//
// Arbitrary bytes as a .cat file through the front end: parsing, the
// category checker (with the stdlib of the build tree for imports) and the
// law checker, and the AST dump (--emit=ast) of what parses; and the
// formatter (catc-format): on every input it must not crash, and on what
// parses its output must have the same tokens (comments included; line
// comments without trailing blanks) and format to itself. Diagnostics are
// the expected outcome of most inputs and go nowhere; a crash, a sanitizer
// report, a timeout or a broken formatter property (an abort) is a defect.
//
//===----------------------------------------------------------------------===//
#include "FuzzCommon.h"

#include "AST/ASTDumper.h"
#include "Format/Format.h"
#include "Parse/Tokens.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace {
/// The tokens of \p text (lexed as \p tokens) as (kind, spelling) pairs,
/// line comments without their trailing blanks.
std::vector<std::pair<cat::TokenKind, llvm::StringRef>> spellings(llvm::StringRef text,
                                                                 const std::vector<cat::Token> &tokens) {
  std::vector<std::pair<cat::TokenKind, llvm::StringRef>> out;
  out.reserve(tokens.size());
  for (const cat::Token &t : tokens) {
    llvm::StringRef spelled = t.text(text);
    if (t.kind == cat::TokenKind::LineComment)
      spelled = spelled.rtrim(" \t\f\v");
    out.emplace_back(t.kind, spelled);
  }
  return out;
}

/// Formats \p text; when it parsed, checks that only whitespace changed and
/// that formatting is idempotent. Each text is lexed once, for the
/// formatter and the comparison both.
void checkFormat(llvm::StringRef text, bool parsed) {
  std::vector<cat::Token> tokens = cat::lexTokens(text);
  if (!parsed) {
    cat::format::formatTokens(text, std::move(tokens));
    return;
  }
  std::string formatted = cat::format::formatTokens(text, tokens);
  std::vector<cat::Token> again = cat::lexTokens(formatted);
  if (spellings(text, tokens) != spellings(formatted, again)) {
    llvm::errs() << "catc-format changed the tokens of:\n" << text << "\ninto:\n" << formatted;
    std::abort();
  }
  if (cat::format::formatTokens(formatted, std::move(again)) != formatted) {
    llvm::errs() << "catc-format is not idempotent on:\n" << text << "\nformatted once:\n" << formatted;
    std::abort();
  }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto a = cat::fuzz::analyze(data, size);
  if (a->parsed)
    cat::dumpAST(*a->file, a->sourceMgr, llvm::nulls());
  checkFormat(llvm::StringRef(reinterpret_cast<const char *>(data), size), a->parsed);
  return 0;
}
