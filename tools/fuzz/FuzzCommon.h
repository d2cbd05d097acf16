//===- FuzzCommon.h - What the compiler's fuzz targets share ----*- C++ -*-===//
//
// The front end on one input, and a mutator that works on tokens of the
// language so that mutated programs stay lexically valid and reach the
// checker and code generation, not only the parser.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_TOOLS_FUZZ_FUZZCOMMON_H
#define CATC_TOOLS_FUZZ_FUZZCOMMON_H

#include "AST/AST.h"
#include "Basic/Diagnostics.h"
#include "Sema/Program.h"

#include "llvm/Support/SourceMgr.h"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace cat::fuzz {

/// One front-end run: the source manager and diagnostics live as long as the
/// program, whose declarations point into them.
struct Analysis {
  llvm::SourceMgr sourceMgr;
  std::unique_ptr<DiagnosticEngine> diags;
  std::unique_ptr<ast::SourceFile> file; ///< the input's AST, as the parser returns it
  bool parsed = false;                   ///< the parser reported no error
  std::unique_ptr<Program> program; ///< null unless parse, check and laws were clean
};

/// Parses \p data as a module and checks it, imports resolved in the build
/// tree's stdlib (parsed once per process, through a ModuleCache). The
/// input is parsed once: the checker gets the parser's AST. A file with
/// syntax errors has no declarations, and the checker would only parse it
/// again to the same errors: it is not checked (as catc stops there too).
std::unique_ptr<Analysis> analyze(const uint8_t *data, size_t size);

/// Mutates the tokens of \p data in place (identifiers, numbers and
/// punctuation of the language); returns the new size, at most \p maxSize.
size_t mutateTokens(uint8_t *data, size_t size, size_t maxSize, unsigned seed);

} // namespace cat::fuzz

#endif // CATC_TOOLS_FUZZ_FUZZCOMMON_H
