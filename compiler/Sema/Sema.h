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
#include "llvm/Support/SourceMgr.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cat {

/// Where `import a.b` looks: `-I` directories first, then the stdlib.
struct ModuleSearchPath {
  std::vector<std::string> includeDirs;
  std::string stdlibDir;
};

/// Parsed imported files kept from one analysis to the next, for a caller
/// that checks many programs against the same library (a fuzzer, a language
/// server): an import whose file holds the same text as when it was first
/// parsed is not parsed again. The file is still read on every import, so
/// an edited file is parsed anew. Only files that parsed without any
/// diagnostic are kept: what an analysis reports is the same with a cache
/// as without. The cache owns a copy of each file's text, and the AST and
/// the diagnostics of every analysis that used it point into that copy: it
/// must outlive their SourceMgrs and Programs. Not thread-safe: one
/// analysis at a time.
class ModuleCache {
public:
  ModuleCache() = default;
  ModuleCache(const ModuleCache &) = delete;
  ModuleCache &operator=(const ModuleCache &) = delete;

  /// One cached file: the AST of \p text, which it points into.
  struct File {
    llvm::StringRef text;
    std::unique_ptr<ast::SourceFile> ast;
  };

  /// The parse of \p text, the contents of the file at the absolute path
  /// \p path, parsed now unless an earlier call had the same text; null
  /// when parsing it reports anything (the caller then parses it itself, so
  /// that the diagnostics go to its engine).
  const File *parse(const std::string &path, llvm::StringRef text);

  /// How many times parse() has parsed a file (not found it here).
  unsigned parseCount() const { return parsed; }

private:
  llvm::SourceMgr sourceMgr;                           ///< owns every text parsed
  std::map<std::string, std::unique_ptr<File>> files; ///< by path: the latest text
  std::vector<std::unique_ptr<File>> retired;          ///< earlier texts of changed files
  unsigned parsed = 0;
};

/// Parses and checks the file in buffer \p mainBuffer of the diagnostics'
/// SourceMgr. Returns null when any error was reported. With \p cache,
/// imported files are parsed through it (the main file never is). A caller
/// that has parsed the main buffer already, without errors, passes its AST
/// as \p mainFile (it keeps it) instead of having it parsed again.
std::unique_ptr<Program> analyzeProgram(unsigned mainBuffer, const std::string &mainPath,
                                        const ModuleSearchPath &search,
                                        DiagnosticEngine &diags,
                                        ModuleCache *cache = nullptr,
                                        const ast::SourceFile *mainFile = nullptr);

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
/// -I directory), with their declared names, in path order. With \p cache,
/// the files are parsed through it.
std::vector<StdlibModule> indexStdlib(const ModuleSearchPath &search,
                                      ModuleCache *cache = nullptr);

/// The keys a `train` block accepts (docs/language.md §7), in the order the
/// reference lists them.
llvm::ArrayRef<llvm::StringRef> trainBlockKeys();

} // namespace cat

#endif // CATC_SEMA_SEMA_H
