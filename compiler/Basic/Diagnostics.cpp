//===- Diagnostics.cpp - Formatting, printing and counting diagnostics ----===//
//
// Implements the registry queries (severity, template, name of each
// diagnostic kind from DiagnosticKinds.def), the builder that collects the
// streamed arguments, and the engine that formats a diagnostic, applies the
// error limit, records it (always, for tests and verify mode) and prints it
// through llvm::SourceMgr in clang's format. A diagnostic without a location
// prints as `catc: error: message`.
//
//===----------------------------------------------------------------------===//
#include "Basic/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

using namespace cat;

namespace {
struct KindInfo {
  const char *name;
  diag::Severity severity;
  const char *templ;
};

const KindInfo kindInfos[] = {
#define DIAG(ID, SEVERITY, MESSAGE) {#ID, diag::Severity::SEVERITY, MESSAGE},
#include "Basic/DiagnosticKinds.def"
};

llvm::SourceMgr::DiagKind toLLVMKind(diag::Severity severity) {
  switch (severity) {
  case diag::Severity::Error:
    return llvm::SourceMgr::DK_Error;
  case diag::Severity::Warning:
    return llvm::SourceMgr::DK_Warning;
  case diag::Severity::Note:
    return llvm::SourceMgr::DK_Note;
  case diag::Severity::Remark:
    return llvm::SourceMgr::DK_Remark;
  }
  llvm_unreachable("unknown severity");
}
} // namespace

diag::Severity diag::severityOf(Kind kind) { return kindInfos[kind].severity; }
const char *diag::templateOf(Kind kind) { return kindInfos[kind].templ; }
const char *diag::nameOf(Kind kind) { return kindInfos[kind].name; }

std::string cat::formatDiagnostic(llvm::StringRef templ,
                                  llvm::ArrayRef<std::string> args) {
  std::string out;
  out.reserve(templ.size());
  for (size_t i = 0; i < templ.size(); ++i) {
    char c = templ[i];
    bool isPlaceholder = c == '%' && i + 1 < templ.size() && llvm::isDigit(templ[i + 1]);
    if (!isPlaceholder) {
      out += c;
      continue;
    }
    unsigned index = templ[++i] - '0';
    // A missing argument is a compiler bug, but never worth a crash.
    out += index < args.size() ? args[index] : "<missing argument>";
  }
  return out;
}

//===----------------------------------------------------------------------===//
// DiagnosticBuilder
//===----------------------------------------------------------------------===//

DiagnosticBuilder::DiagnosticBuilder(DiagnosticBuilder &&other) noexcept
    : engine(other.engine), loc(other.loc), kind(other.kind),
      args(std::move(other.args)), ranges(std::move(other.ranges)) {
  other.engine = nullptr;
}

DiagnosticBuilder::~DiagnosticBuilder() {
  if (engine)
    engine->emit(loc, kind, args, ranges);
}

DiagnosticBuilder &DiagnosticBuilder::operator<<(const std::string &arg) {
  args.push_back(arg);
  return *this;
}
DiagnosticBuilder &DiagnosticBuilder::operator<<(const char *arg) {
  args.push_back(arg ? arg : "");
  return *this;
}
DiagnosticBuilder &DiagnosticBuilder::operator<<(llvm::StringRef arg) {
  args.push_back(arg.str());
  return *this;
}
DiagnosticBuilder &DiagnosticBuilder::operator<<(int64_t arg) {
  args.push_back(std::to_string(arg));
  return *this;
}
DiagnosticBuilder &DiagnosticBuilder::operator<<(uint64_t arg) {
  args.push_back(std::to_string(arg));
  return *this;
}
DiagnosticBuilder &DiagnosticBuilder::operator<<(double arg) {
  args.push_back(fmt::format("{}", arg));
  return *this;
}
DiagnosticBuilder &DiagnosticBuilder::operator<<(float arg) {
  args.push_back(fmt::format("{}", arg));
  return *this;
}
DiagnosticBuilder &DiagnosticBuilder::operator<<(llvm::SMRange range) {
  if (range.isValid())
    ranges.push_back(range);
  return *this;
}

//===----------------------------------------------------------------------===//
// DiagnosticEngine
//===----------------------------------------------------------------------===//

DiagnosticEngine::DiagnosticEngine(llvm::SourceMgr &sourceMgr, llvm::raw_ostream &out)
    : sourceMgr(sourceMgr), out(out) {}

void DiagnosticEngine::emit(llvm::SMLoc loc, diag::Kind kind,
                            llvm::ArrayRef<std::string> args,
                            llvm::ArrayRef<llvm::SMRange> ranges) {
  diag::Severity severity = diag::severityOf(kind);
  // Notes belong to the diagnostic before them: dropped with it.
  if (severity == diag::Severity::Note && suppressing)
    return;
  if (severity != diag::Severity::Note)
    suppressing = false;
  if (severity == diag::Severity::Error) {
    ++numErrors;
    if (errorLimit != 0 && numErrors > errorLimit) {
      if (numErrors == errorLimit + 1 && !verifyMode)
        printOne(llvm::SMLoc(), diag::note_too_many_errors,
                 diag::templateOf(diag::note_too_many_errors), {});
      suppressing = true;
      return;
    }
  }
  std::string message = formatDiagnostic(diag::templateOf(kind), args);
  int site = severity == diag::Severity::Note ? -1 : relocationSite(loc);
  if (site < 0) {
    deliver(loc, kind, message, ranges);
    return;
  }
  // At the use in the file being checked, then down the definitions to the
  // place the problem was found.
  deliver(useSites[site].use.Start, kind, message, useSites[site].use);
  for (size_t i = site; i < useSites.size(); ++i) {
    const UseSite &s = useSites[i];
    std::string note = formatDiagnostic(diag::templateOf(s.note), s.args);
    if (i + 1 < useSites.size())
      deliver(useSites[i + 1].use.Start, s.note, note, useSites[i + 1].use);
    else
      deliver(loc, s.note, note, ranges);
  }
}

int DiagnosticEngine::relocationSite(llvm::SMLoc loc) const {
  if (useSites.empty() || !loc.isValid())
    return -1;
  unsigned home = sourceMgr.FindBufferContainingLoc(useSites.front().use.Start);
  unsigned here = sourceMgr.FindBufferContainingLoc(loc);
  if (home == 0 || here == 0 || here == home)
    return -1;
  int site = 0;
  for (size_t i = 1; i < useSites.size(); ++i)
    if (sourceMgr.FindBufferContainingLoc(useSites[i].use.Start) == home)
      site = static_cast<int>(i);
  return site;
}

void DiagnosticEngine::deliver(llvm::SMLoc loc, diag::Kind kind, const std::string &message,
                               llvm::ArrayRef<llvm::SMRange> ranges) {
  recordedDiags.push_back(Recorded{kind, loc, message, {ranges.begin(), ranges.end()}});
  if (!verifyMode)
    printOne(loc, kind, message, ranges);
}

void DiagnosticEngine::printOne(llvm::SMLoc loc, diag::Kind kind,
                                llvm::StringRef message,
                                llvm::ArrayRef<llvm::SMRange> ranges) {
  llvm::SourceMgr::DiagKind llvmKind = toLLVMKind(diag::severityOf(kind));
  if (!loc.isValid() || !sourceMgr.FindBufferContainingLoc(loc)) {
    llvm::SMDiagnostic(/*filename=*/"", llvmKind, message)
        .print("catc", out, showColors);
    return;
  }
  // Ranges in another buffer than the caret would confuse SourceMgr.
  unsigned buffer = sourceMgr.FindBufferContainingLoc(loc);
  llvm::SmallVector<llvm::SMRange, 2> sameBuffer;
  for (llvm::SMRange range : ranges)
    if (sourceMgr.FindBufferContainingLoc(range.Start) == buffer &&
        sourceMgr.FindBufferContainingLoc(range.End) == buffer)
      sameBuffer.push_back(range);
  // A note belongs to the error before it, which has shown how its file is
  // included: no "Included from" lines again.
  if (llvmKind == llvm::SourceMgr::DK_Note)
    sourceMgr.GetMessage(loc, llvmKind, message, sameBuffer).print(nullptr, out, showColors);
  else
    sourceMgr.PrintMessage(out, loc, llvmKind, message, sameBuffer, {}, showColors);
  printUnicodeCaret(loc, sameBuffer);
}

/// The display column (0-based) of byte \p offset in \p line: one column per
/// code point, tabs to the next multiple of 8 as SourceMgr expands them.
static unsigned displayColumn(llvm::StringRef line, size_t offset) {
  unsigned column = 0;
  for (size_t i = 0; i < offset && i < line.size(); ++i) {
    unsigned char c = line[i];
    if (c == '\t')
      column = (column / 8 + 1) * 8;
    else if ((c & 0xC0) != 0x80) // not a UTF-8 continuation byte
      ++column;
  }
  return column;
}

void DiagnosticEngine::printUnicodeCaret(llvm::SMLoc loc,
                                         llvm::ArrayRef<llvm::SMRange> ranges) {
  // SourceMgr prints no caret under a line with non-ASCII characters (its
  // columns are bytes); draw one with a column per code point instead.
  unsigned buffer = sourceMgr.FindBufferContainingLoc(loc);
  llvm::StringRef text = sourceMgr.getMemoryBuffer(buffer)->getBuffer();
  size_t offset = loc.getPointer() - text.data();
  size_t lineStart = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  lineStart = (lineStart == llvm::StringRef::npos || offset == 0) ? 0 : lineStart + 1;
  if (lineStart > offset)
    lineStart = offset;
  llvm::StringRef line = text.substr(lineStart).split('\n').first.split('\r').first;
  if (llvm::all_of(line, [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return;
  const char *lineBegin = line.data(), *lineEnd = line.data() + line.size();
  std::string caret(displayColumn(line, line.size()) + 1, ' ');
  for (llvm::SMRange range : ranges) {
    const char *from = std::max(range.Start.getPointer(), lineBegin);
    const char *to = std::min(range.End.getPointer(), lineEnd);
    for (unsigned c = displayColumn(line, from - lineBegin);
         from < to && c < displayColumn(line, to - lineBegin); ++c)
      caret[c] = '~';
  }
  caret[displayColumn(line, offset - lineStart)] = '^';
  caret.erase(caret.find_last_not_of(' ') + 1);
  if (showColors)
    out.changeColor(llvm::raw_ostream::GREEN, true);
  out << caret << "\n";
  if (showColors)
    out.resetColor();
}
