//===- Diagnostics.h - Reporting errors, warnings and notes -----*- C++ -*-===//
//
// One registry (DiagnosticKinds.def) lists every diagnostic with its ID,
// severity and message template; code reports with
//   diags.report(loc, diag::err_compose_mismatch) << lhsType << rhsType;
// Placeholders %0, %1, … in the template are replaced by the streamed
// arguments in order. Printing (clang's `file:line:col: error: …`, source
// line, caret, ranges) goes through llvm::SourceMgr. In verify mode the
// engine records diagnostics instead of printing them and `finishVerify`
// compares them with `expected-error {{…}}` comments in the source.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_BASIC_DIAGNOSTICS_H
#define CATC_BASIC_DIAGNOSTICS_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cat {

namespace diag {
/// Every diagnostic the compiler can emit.
enum Kind : unsigned {
#define DIAG(ID, SEVERITY, MESSAGE) ID,
#include "DiagnosticKinds.def"
  NumKinds
};
enum class Severity { Error, Warning, Note, Remark };
/// The severity of \p kind as written in the registry.
Severity severityOf(Kind kind);
/// The message template of \p kind as written in the registry.
const char *templateOf(Kind kind);
/// The registry name of \p kind (e.g. "err_compose_mismatch").
const char *nameOf(Kind kind);
} // namespace diag

class DiagnosticEngine;

/// Collects the arguments of one diagnostic; emits it when destroyed.
class DiagnosticBuilder {
public:
  DiagnosticBuilder(DiagnosticEngine &engine, llvm::SMLoc loc, diag::Kind kind)
      : engine(&engine), loc(loc), kind(kind) {}
  DiagnosticBuilder(DiagnosticBuilder &&other) noexcept;
  DiagnosticBuilder(const DiagnosticBuilder &) = delete;
  ~DiagnosticBuilder();

  DiagnosticBuilder &operator<<(const std::string &arg);
  DiagnosticBuilder &operator<<(const char *arg);
  DiagnosticBuilder &operator<<(llvm::StringRef arg);
  DiagnosticBuilder &operator<<(int64_t arg);
  DiagnosticBuilder &operator<<(uint64_t arg);
  DiagnosticBuilder &operator<<(int arg) { return *this << static_cast<int64_t>(arg); }
  DiagnosticBuilder &operator<<(unsigned arg) { return *this << static_cast<uint64_t>(arg); }
  /// A number in the shortest form that reads back as the same value
  /// (`0.1`, `1e-07`); a float as a float, so 0.1f is `0.1` too.
  DiagnosticBuilder &operator<<(double arg);
  DiagnosticBuilder &operator<<(float arg);
  /// Underlines \p range with `~` under the caret line.
  DiagnosticBuilder &operator<<(llvm::SMRange range);

private:
  DiagnosticEngine *engine; // null once moved from
  llvm::SMLoc loc;
  diag::Kind kind;
  llvm::SmallVector<std::string, 4> args;
  llvm::SmallVector<llvm::SMRange, 2> ranges;
};

/// Formats, prints (or records, in verify mode) and counts diagnostics.
class DiagnosticEngine {
public:
  explicit DiagnosticEngine(llvm::SourceMgr &sourceMgr,
                            llvm::raw_ostream &out = llvm::errs());

  /// Starts a diagnostic at \p loc; stream its arguments into the result.
  DiagnosticBuilder report(llvm::SMLoc loc, diag::Kind kind) {
    return DiagnosticBuilder(*this, loc, kind);
  }

  /// Errors reported so far (in verify mode too).
  unsigned errorCount() const { return numErrors; }
  bool hasErrors() const { return numErrors != 0; }

  /// In verify mode diagnostics are recorded, not printed.
  void setVerifyMode(bool on) { verifyMode = on; }
  bool isVerifyMode() const { return verifyMode; }

  /// Compares recorded diagnostics with the `expected-*` comments of every
  /// buffer in the SourceMgr; prints mismatches; true when all matched.
  bool finishVerify();

  /// Stop after this many errors (0 = unlimited); further errors are dropped
  /// after one "too many errors" note.
  void setErrorLimit(unsigned limit) { errorLimit = limit; }

  /// Use colours when printing (a terminal).
  void setShowColors(bool on) { showColors = on; }

  /// One use whose definition, in another file, is being checked for it
  /// (the instantiation of a generic morphism). Sites nest: the first is in
  /// the file being checked, each later one inside the previous definition.
  struct UseSite {
    llvm::SMRange use;
    /// Printed at the place inside this use's definition: "in the
    /// definition of …" (a note of the registry, with its arguments).
    diag::Kind note;
    std::vector<std::string> args;
  };
  /// While use sites are open, an error or warning located in another file
  /// than the first site's is reported at the innermost site that is still
  /// in that file, then one note per definition entered from there, the
  /// last at the original place (with its ranges). So a user sees the
  /// mistake at their own use of a library generic, not in the library.
  void pushUseSite(UseSite site) { useSites.push_back(std::move(site)); }
  void popUseSite() { useSites.pop_back(); }
  /// The open sites, replaced by \p sites (to report later work, such as a
  /// deferred constraint, in the sites where it arose; or none at all).
  std::vector<UseSite> swapUseSites(std::vector<UseSite> sites) {
    std::swap(sites, useSites);
    return sites;
  }
  const std::vector<UseSite> &openUseSites() const { return useSites; }
  /// The index of the site a diagnostic at \p loc is reported at, or -1
  /// when it stays where it is (see pushUseSite).
  int relocationSite(llvm::SMLoc loc) const;

  llvm::SourceMgr &getSourceMgr() { return sourceMgr; }

  /// Every diagnostic that was emitted in this run, where it was reported
  /// (for tests and the language server).
  struct Recorded {
    diag::Kind kind;
    llvm::SMLoc loc;
    std::string message;
    llvm::SmallVector<llvm::SMRange, 2> ranges;
  };
  const std::vector<Recorded> &recorded() const { return recordedDiags; }

private:
  friend class DiagnosticBuilder;
  void emit(llvm::SMLoc loc, diag::Kind kind, llvm::ArrayRef<std::string> args,
            llvm::ArrayRef<llvm::SMRange> ranges);
  /// Records one diagnostic and, unless verifying, prints it.
  void deliver(llvm::SMLoc loc, diag::Kind kind, const std::string &message,
               llvm::ArrayRef<llvm::SMRange> ranges);
  /// Prints one formatted diagnostic (clang format; `catc: ` without a loc).
  void printOne(llvm::SMLoc loc, diag::Kind kind, llvm::StringRef message,
                llvm::ArrayRef<llvm::SMRange> ranges);
  /// Draws the caret line SourceMgr omits under lines with non-ASCII text.
  void printUnicodeCaret(llvm::SMLoc loc, llvm::ArrayRef<llvm::SMRange> ranges);

  llvm::SourceMgr &sourceMgr;
  llvm::raw_ostream &out;
  unsigned numErrors = 0;
  unsigned errorLimit = 0;
  bool verifyMode = false;
  bool showColors = false;
  bool suppressing = false; ///< after the limit, or notes of a dropped error
  std::vector<UseSite> useSites;
  std::vector<Recorded> recordedDiags;
};

/// Substitutes %0, %1, … in \p templ with \p args.
std::string formatDiagnostic(llvm::StringRef templ, llvm::ArrayRef<std::string> args);

} // namespace cat

#endif // CATC_BASIC_DIAGNOSTICS_H
