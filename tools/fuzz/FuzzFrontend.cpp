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
#include "Parse/Parser.h"
#include "Parse/Tokens.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace {
/// The tokens of \p text as (kind, text) pairs, line comments without
/// their trailing blanks.
std::vector<std::pair<cat::TokenKind, std::string>> tokensOf(llvm::StringRef text) {
  std::vector<std::pair<cat::TokenKind, std::string>> out;
  for (const cat::Token &t : cat::lexTokens(text)) {
    llvm::StringRef spelled = t.text(text);
    if (t.kind == cat::TokenKind::LineComment)
      spelled = spelled.rtrim(" \t\f\v");
    out.emplace_back(t.kind, spelled.str());
  }
  return out;
}

/// Formats \p text; when it parsed, checks that only whitespace changed and
/// that formatting is idempotent.
void checkFormat(llvm::StringRef text, bool parsed) {
  std::string formatted = cat::format::formatText(text);
  if (!parsed)
    return;
  if (tokensOf(text) != tokensOf(formatted)) {
    llvm::errs() << "catc-format changed the tokens of:\n" << text << "\ninto:\n" << formatted;
    std::abort();
  }
  if (cat::format::formatText(formatted) != formatted) {
    llvm::errs() << "catc-format is not idempotent on:\n" << text << "\nformatted once:\n" << formatted;
    std::abort();
  }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cat::fuzz::analyze(data, size);
  llvm::SourceMgr sourceMgr;
  cat::DiagnosticEngine diags(sourceMgr, llvm::nulls());
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  unsigned buffer =
      sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.cat"), llvm::SMLoc());
  auto file = cat::parseSourceFile(buffer, diags);
  bool parsed = file && !diags.hasErrors();
  if (parsed)
    cat::dumpAST(*file, sourceMgr, llvm::nulls());
  checkFormat(text, parsed);
  return 0;
}
