//===- Sema.h - Names, modules and category typing --------------*- C++ -*-===//
//
// Sema turns parsed files into a checked Program: it loads imports, resolves
// names, builds objects, infers the objects of every morphism expression by
// unification (the codomain of `f` must meet the domain of `g` in `f ; g`),
// elaborates generic morphisms at each use, and checks `train` blocks.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_SEMA_SEMA_H
#define CATC_SEMA_SEMA_H

#include "Basic/Diagnostics.h"
#include "Sema/Program.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace cat {

/// Where `import a.b` looks: `-I` directories first, then the stdlib.
struct ModuleSearchPath {
  std::vector<std::string> includeDirs;
  std::string stdlibDir;
};

/// Parses and checks the file in buffer \p mainBuffer of the diagnostics'
/// SourceMgr. Returns null when any error was reported.
std::unique_ptr<Program> analyzeProgram(unsigned mainBuffer, const std::string &mainPath,
                                        const ModuleSearchPath &search,
                                        DiagnosticEngine &diags);

/// The keys a `train` block accepts (docs/language.md §7), in the order the
/// reference lists them.
llvm::ArrayRef<llvm::StringRef> trainBlockKeys();

} // namespace cat

#endif // CATC_SEMA_SEMA_H
