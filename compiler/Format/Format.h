//===- Format.h - The canonical layout of .cat files ------------*- C++ -*-===//
//
// catc-format and catc-lsp's textDocument/formatting. The layout is computed
// from the compiler's own tokens (Parse/Tokens.h), comments included, and
// only ever changes the whitespace between tokens: the token sequence, and so
// the meaning, is the same before and after. The rules are in
// docs/editors.md#formatting; in short: one declaration per line from column
// 0, single spaces around binary operators and after commas, none inside
// brackets, the `=` of consecutive one-line object declarations and the `:`
// of consecutive one-line non-generic morphism declarations (and laws)
// aligned, train
// blocks with one `key = value` per line and the keys' `=` aligned, the
// author's line breaks kept with computed continuation indentation, at most
// one blank line, comments kept where they are, no trailing whitespace and
// one final newline. Formatting is idempotent.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_FORMAT_FORMAT_H
#define CATC_FORMAT_FORMAT_H

#include "Basic/Diagnostics.h"
#include "Parse/Tokens.h"

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace cat::format {

/// The canonical layout of \p text, which should parse without errors (see
/// formatBuffer). On text that does not parse the result keeps every token
/// in order but is otherwise unspecified; it never crashes.
std::string formatText(llvm::StringRef text);

/// formatText for a caller that has lexed \p text already: \p tokens are
/// `lexTokens(text)`.
std::string formatTokens(llvm::StringRef text, std::vector<Token> tokens);

/// Parses buffer \p bufferId of `diags.getSourceMgr()` and, when it has no
/// errors, returns its canonical layout; otherwise reports the errors
/// through \p diags (as catc does) and returns nullopt.
std::optional<std::string> formatBuffer(unsigned bufferId, DiagnosticEngine &diags);

} // namespace cat::format

#endif // CATC_FORMAT_FORMAT_H
