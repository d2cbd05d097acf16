//===- Parser.h - Parsing a .cat buffer into an AST -------------*- C++ -*-===//
//
// The one entry point of the parser. It lexes and parses one buffer of the
// diagnostic engine's SourceMgr with the ANTLR-generated parser (an
// implementation detail: no ANTLR type appears here), reports every syntax
// error it finds, and builds the AST when there were none.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_PARSE_PARSER_H
#define CATC_PARSE_PARSER_H

#include "AST/AST.h"
#include "Basic/Diagnostics.h"

#include <memory>

namespace cat {

/// Parses buffer \p bufferId of `diags.getSourceMgr()`.
///
/// Always returns a SourceFile. When the buffer has syntax errors they are
/// all reported (up to a limit) and the result has no declarations and no
/// module name. Errors found while building the AST from a well-formed parse
/// (unknown string escapes, mixing `∘` with `;`, a number where an object is
/// expected, ...) are reported too but the AST is still returned complete;
/// callers should check `diags.hasErrors()` before going on.
///
/// Never crashes: deep nesting, huge files and binary garbage produce
/// diagnostics.
std::unique_ptr<ast::SourceFile> parseSourceFile(unsigned bufferId,
                                                 DiagnosticEngine &diags);

} // namespace cat

#endif // CATC_PARSE_PARSER_H
