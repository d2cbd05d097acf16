//===- Analysis.h - One document as the compiler sees it --------*- C++ -*-===//
//
// A document's text run through the compiler's own front end: the parser
// for its declarations and the category checker for the objects of every
// morphism and sub-expression, with the diagnostics catc prints. The
// queries of the language server (hover, definition, symbols) read it.
//
// Positions are the protocol's: 0-based lines and UTF-16 columns.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_LSP_ANALYSIS_H
#define CATC_LSP_ANALYSIS_H

#include "AST/AST.h"
#include "Basic/Diagnostics.h"
#include "Sema/Program.h"
#include "Sema/Sema.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cat::lsp {

struct Position {
  int line = 0, character = 0;
};

/// The file a `file://` URI names, or the URI itself.
std::string pathOfURI(llvm::StringRef uri);
std::string uriOfPath(llvm::StringRef path);

/// The byte offset of \p pos in \p text (clamped to the text).
size_t offsetOf(llvm::StringRef text, Position pos);

class Analysis {
public:
  /// Parses and checks \p text as the file \p path.
  Analysis(const std::string &path, const std::string &text, const ModuleSearchPath &search);

  /// `publishDiagnostics` parameters for \p uri: catc's errors and warnings
  /// with their ranges, each followed note as related information.
  llvm::json::Value diagnostics(llvm::StringRef uri) const;
  /// The hover at \p pos, or null.
  llvm::json::Value hover(Position pos) const;
  /// Where the name at \p pos is declared, or null.
  llvm::json::Value definition(Position pos) const;
  /// Every use of the name at \p pos in this document (and its
  /// declaration, if here and asked for), or null.
  llvm::json::Value references(Position pos, bool includeDeclaration) const;
  /// The document's declarations.
  llvm::json::Value documentSymbols() const;
  /// What may be typed at \p pos: in a train block its keys, or after
  /// `key =` the values they take; elsewhere the objects and morphisms in
  /// scope, the primitives, and the standard library's names with the
  /// `import` they need.
  llvm::json::Value completion(Position pos) const;

  /// Whether the category checker accepted the file.
  bool checked() const { return program != nullptr; }

private:
  struct Declared {
    std::string name, path;
    const ast::Decl *decl;
    llvm::SMRange nameRange;
  };
  llvm::json::Value rangeOf(llvm::SMRange range) const;
  llvm::json::Value locationOf(llvm::SMRange range) const;
  llvm::SMLoc locOf(Position pos) const;
  /// Every declaration of this file and of the files it imports.
  void collectDeclarations();
  const Declared *lookup(llvm::StringRef name) const;
  /// The innermost checked term of this file containing \p loc.
  const Term *termAt(llvm::SMLoc loc) const;
  std::string declarationText(const Declared &d) const;

  std::string path, text;
  llvm::SourceMgr sourceMgr;
  std::unique_ptr<DiagnosticEngine> diags;
  unsigned buffer = 0;
  std::unique_ptr<ast::SourceFile> file;               ///< this document
  std::vector<std::unique_ptr<ast::SourceFile>> imports; ///< what it imports
  std::vector<Declared> declared;
  std::unique_ptr<Program> program; ///< null when checking failed
  ModuleSearchPath search;
};

} // namespace cat::lsp

#endif // CATC_LSP_ANALYSIS_H
