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

#include "AST/AST.h"
#include "Basic/Diagnostics.h"
#include "Sema/Program.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
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

/// The file an `import` names, from the file \p fromPath: `import "f.cat"`
/// relative to it (unless absolute), `import a.b` as `a/b.cat` in the -I
/// directories, then the standard library; "" when no directory has it.
std::string resolveImport(const ast::ImportDecl &import, llvm::StringRef fromPath,
                          const ModuleSearchPath &search);

/// A standard-library module as `import` would find it: its dotted name and
/// its declared names (true for objects).
struct StdlibModule {
  std::string name;
  std::string path; ///< absolute, as Sema keys modules
  llvm::StringMap<bool> decls;
};

/// The standard library's modules that `import` reaches (not shadowed by a
/// -I directory), with their declared names, in path order.
std::vector<StdlibModule> indexStdlib(const ModuleSearchPath &search);

/// The keys a `train` block accepts (docs/language.md §7), in the order the
/// reference lists them.
llvm::ArrayRef<llvm::StringRef> trainBlockKeys();

} // namespace cat

#endif // CATC_SEMA_SEMA_H
