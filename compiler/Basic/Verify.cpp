//===- Verify.cpp - Checking diagnostics against expected-* comments ------===//
//
// Verify mode, as in clang's -verify: every buffer of the SourceMgr is scanned
// for `//` comments holding directives
//
//   expected-error {{text}}        a diagnostic on this line
//   expected-error@+N {{text}}     ... N lines below (`@-N` above, `@N` line N,
//                                  `@*` any line or no location at all)
//   expected-note@nn.cat:12 {{text}}  ... line 12 of another file, named by
//                                  the end of its path (`@nn.cat:*`: any line)
//   expected-error N {{text}}      ... exactly N of them
//   expected-warning, expected-note, expected-no-diagnostics
//
// Matching is by severity, buffer, line and substring of the message. Each
// directive consumes the diagnostics it matches; whatever is left on either
// side is printed clang-style and makes finishVerify return false. Line
// numbers are per buffer, so a driver that splits a file at `// -----` into
// several buffers gets per-case line numbers for free.
//
//===----------------------------------------------------------------------===//
#include "Basic/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"

#include <optional>

using namespace cat;

namespace {

/// One `expected-*` directive.
struct Directive {
  diag::Severity severity;
  unsigned bufferId;
  std::optional<unsigned> line; ///< nullopt for `@*`
  std::string file;             ///< `@FILE:N`: the end of another buffer's path
  std::string text;
  unsigned count = 1;
};

/// Everything found in the buffers, plus malformed directives.
struct ScanResult {
  std::vector<Directive> directives;
  std::vector<std::string> problems;
  bool expectsNoDiagnostics = false;
  std::vector<unsigned> noDiagnosticsBuffers; ///< where it was written
};

const char *spellSeverity(diag::Severity severity) {
  switch (severity) {
  case diag::Severity::Error: return "error";
  case diag::Severity::Warning: return "warning";
  case diag::Severity::Note: return "note";
  case diag::Severity::Remark: return "remark";
  }
  return "error";
}

/// Parses the line part after `@`: `+N`, `-N`, `N` or `*`. Consumes it.
bool parseLineSpec(llvm::StringRef &rest, unsigned here, std::optional<unsigned> &line) {
  if (rest.consume_front("*")) {
    line = std::nullopt;
    return true;
  }
  char sign = rest.empty() ? 0 : rest.front();
  if (sign == '+' || sign == '-')
    rest = rest.drop_front();
  size_t digits = rest.find_first_not_of("0123456789");
  unsigned n = 0;
  if (digits == 0 || rest.take_front(digits).getAsInteger(10, n))
    return false;
  rest = rest.drop_front(std::min(digits, rest.size()));
  if (sign == '+')
    line = here + n;
  else if (sign == '-')
    line = n < here ? here - n : 0;
  else
    line = n;
  return true;
}

/// Parses one directive whose kind word has already been consumed.
void parseDirective(llvm::StringRef rest, diag::Severity severity, unsigned bufferId,
                    unsigned lineNo, llvm::StringRef where, ScanResult &result) {
  Directive directive{severity, bufferId, lineNo, "", "", 1};
  if (rest.consume_front("@")) {
    // `@FILE:N`: a file name is whatever comes before the ':'.
    size_t colon = rest.find(':'), end = rest.find_first_of(" \t{");
    if (colon != llvm::StringRef::npos && colon < end && colon > 0 &&
        !llvm::StringRef("+-*0123456789").contains(rest.front())) {
      directive.file = rest.take_front(colon).str();
      rest = rest.drop_front(colon + 1);
    }
    bool relative = rest.starts_with("+") || rest.starts_with("-");
    if ((relative && !directive.file.empty()) || !parseLineSpec(rest, lineNo, directive.line)) {
      result.problems.push_back(where.str() + ": bad line number after '@'");
      return;
    }
  }
  rest = rest.ltrim();
  size_t digits = rest.find_first_not_of("0123456789");
  if (digits != 0 && digits != llvm::StringRef::npos) {
    rest.take_front(digits).getAsInteger(10, directive.count);
    rest = rest.drop_front(digits).ltrim();
  }
  if (!rest.consume_front("{{")) {
    result.problems.push_back(where.str() + ": cannot find start ('{{') of expected string");
    return;
  }
  size_t end = rest.find("}}");
  if (end == llvm::StringRef::npos) {
    result.problems.push_back(where.str() + ": cannot find end ('}}') of expected string");
    return;
  }
  directive.text = rest.take_front(end).trim().str();
  result.directives.push_back(std::move(directive));
}

/// Finds every directive in the `//` comment \p comment on line \p lineNo.
void scanComment(llvm::StringRef comment, unsigned bufferId, unsigned lineNo,
                 llvm::StringRef bufferName, ScanResult &result) {
  std::string where = "File " + bufferName.str() + " Line " + std::to_string(lineNo);
  for (size_t at = comment.find("expected-"); at != llvm::StringRef::npos;
       at = comment.find("expected-", at + 1)) {
    llvm::StringRef rest = comment.drop_front(at + strlen("expected-"));
    if (rest.consume_front("no-diagnostics")) {
      result.expectsNoDiagnostics = true;
      result.noDiagnosticsBuffers.push_back(bufferId);
    }
    else if (rest.consume_front("error"))
      parseDirective(rest, diag::Severity::Error, bufferId, lineNo, where, result);
    else if (rest.consume_front("warning"))
      parseDirective(rest, diag::Severity::Warning, bufferId, lineNo, where, result);
    else if (rest.consume_front("note"))
      parseDirective(rest, diag::Severity::Note, bufferId, lineNo, where, result);
  }
}

ScanResult scanBuffers(const llvm::SourceMgr &sourceMgr) {
  ScanResult result;
  for (unsigned id = 1; id <= sourceMgr.getNumBuffers(); ++id) {
    const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(id);
    llvm::StringRef rest = buffer->getBuffer();
    for (unsigned lineNo = 1; !rest.empty(); ++lineNo) {
      auto [line, next] = rest.split('\n');
      rest = next;
      size_t comment = line.find("//");
      if (comment != llvm::StringRef::npos)
        scanComment(line.drop_front(comment + 2), id, lineNo,
                    buffer->getBufferIdentifier(), result);
    }
  }
  return result;
}

/// A recorded diagnostic with its buffer and line resolved.
struct Seen {
  const DiagnosticEngine::Recorded *diag;
  unsigned bufferId = 0; ///< 0 when it has no location
  llvm::StringRef bufferName;
  unsigned line = 0;
  bool matched = false;
};

/// Whether the path \p name is the file \p file or ends with `/file`.
bool namesFile(llvm::StringRef name, llvm::StringRef file) {
  return name == file || (name.ends_with(file) && name.drop_back(file.size()).ends_with("/"));
}

bool matches(const Directive &directive, const Seen &seen) {
  if (seen.matched || diag::severityOf(seen.diag->kind) != directive.severity)
    return false;
  if (!directive.file.empty()) {
    if (!seen.bufferId || !namesFile(seen.bufferName, directive.file) ||
        (directive.line && seen.line != *directive.line))
      return false;
  } else if (directive.line) {
    if (seen.bufferId != directive.bufferId || seen.line != *directive.line)
      return false;
  } else if (seen.bufferId != 0 && seen.bufferId != directive.bufferId) {
    return false;
  }
  return llvm::StringRef(seen.diag->message).contains(directive.text);
}

} // namespace

bool DiagnosticEngine::finishVerify() {
  ScanResult scan = scanBuffers(sourceMgr);
  std::vector<Seen> seen;
  for (const Recorded &diag : recordedDiags) {
    Seen entry{&diag, 0, {}, 0, false};
    if (diag.loc.isValid())
      if (unsigned id = sourceMgr.FindBufferContainingLoc(diag.loc)) {
        entry.bufferId = id;
        entry.bufferName = sourceMgr.getMemoryBuffer(id)->getBufferIdentifier();
        entry.line = sourceMgr.getLineAndColumn(diag.loc, id).first;
      }
    seen.push_back(entry);
  }

  // Expected but not seen, per severity, in directive order.
  std::vector<std::pair<diag::Severity, std::string>> missing;
  for (const Directive &directive : scan.directives) {
    for (unsigned i = 0; i < directive.count; ++i) {
      auto found = llvm::find_if(seen, [&](const Seen &s) { return matches(directive, s); });
      if (found != seen.end()) {
        found->matched = true;
        continue;
      }
      std::string where = directive.line ? "Line " + std::to_string(*directive.line)
                                         : std::string("Line *");
      llvm::StringRef name =
          directive.file.empty()
              ? sourceMgr.getMemoryBuffer(directive.bufferId)->getBufferIdentifier()
              : llvm::StringRef(directive.file);
      missing.push_back({directive.severity,
                         "File " + name.str() + " " + where + ": " + directive.text});
    }
  }

  auto printHeader = [&](llvm::StringRef message) {
    llvm::SMDiagnostic("", llvm::SourceMgr::DK_Error, message).print("catc", out, showColors);
  };
  bool ok = true;
  for (const std::string &problem : scan.problems) {
    printHeader("malformed 'expected-' directive: " + problem);
    ok = false;
  }
  if (scan.directives.empty() && !scan.expectsNoDiagnostics) {
    printHeader("no expected directives found: consider use of 'expected-no-diagnostics'");
    ok = false;
  }
  for (unsigned id : scan.noDiagnosticsBuffers) {
    if (llvm::any_of(scan.directives, [&](const Directive &d) { return d.bufferId == id; })) {
      printHeader("'expected-no-diagnostics' cannot be used with other 'expected-' "
                  "directives in " +
                  sourceMgr.getMemoryBuffer(id)->getBufferIdentifier().str());
      ok = false;
    }
  }

  for (diag::Severity severity :
       {diag::Severity::Error, diag::Severity::Warning, diag::Severity::Note}) {
    std::string kind = std::string("'expected-") + spellSeverity(severity) + "'";
    std::vector<std::string> lines;
    for (const auto &[s, text] : missing)
      if (s == severity)
        lines.push_back(text);
    if (!lines.empty()) {
      printHeader(kind + " diagnostics expected but not seen:");
      for (const std::string &line : lines)
        out << "  " << line << "\n";
      ok = false;
    }
    lines.clear();
    for (const Seen &s : seen) {
      if (s.matched || diag::severityOf(s.diag->kind) != severity)
        continue;
      std::string where = "(no location)";
      if (s.bufferId)
        where = "File " + sourceMgr.getMemoryBuffer(s.bufferId)->getBufferIdentifier().str() +
                " Line " + std::to_string(s.line);
      lines.push_back(where + ": " + s.diag->message);
    }
    if (!lines.empty()) {
      printHeader(kind + " diagnostics seen but not expected:");
      for (const std::string &line : lines)
        out << "  " << line << "\n";
      ok = false;
    }
  }
  out.flush();
  return ok;
}
