//===- ASTDumper.h - Printing the AST as an indented tree -------*- C++ -*-===//
//
// `catc --emit=ast` prints the tree built by the parser, one node per line,
// children indented under their parent, each with its `<line:col>` location.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_AST_ASTDUMPER_H
#define CATC_AST_ASTDUMPER_H

#include "AST/AST.h"

#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace cat {

/// Prints \p file as an indented tree with `<line:col>` locations resolved
/// through \p sourceMgr.
void dumpAST(const ast::SourceFile &file, llvm::SourceMgr &sourceMgr,
             llvm::raw_ostream &os);

} // namespace cat

#endif // CATC_AST_ASTDUMPER_H
