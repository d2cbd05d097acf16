//===- FuzzFrontend.cpp - libFuzzer target: parse, check, laws -----------===//
//
// Arbitrary bytes as a .cat file through the front end: parsing, the
// category checker (with the stdlib of the build tree for imports) and the
// law checker, and the AST dump (--emit=ast) of what parses. Diagnostics
// are the expected outcome of most inputs and go nowhere; a crash, a
// sanitizer report or a timeout is a defect.
//
//===----------------------------------------------------------------------===//
#include "FuzzCommon.h"

#include "AST/ASTDumper.h"
#include "Parse/Parser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cat::fuzz::analyze(data, size);
  llvm::SourceMgr sourceMgr;
  cat::DiagnosticEngine diags(sourceMgr, llvm::nulls());
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  unsigned buffer =
      sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.cat"), llvm::SMLoc());
  auto file = cat::parseSourceFile(buffer, diags);
  if (file && !diags.hasErrors())
    cat::dumpAST(*file, sourceMgr, llvm::nulls());
  return 0;
}
