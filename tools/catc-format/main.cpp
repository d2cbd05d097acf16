//===- main.cpp - catc-format: the canonical layout of .cat files ---------===//
//
//   catc-format [FILE...]          the formatted text on stdout (stdin: none or -)
//   catc-format -i FILE...         rewrite the files in place
//   catc-format --check FILE...    exit 1 if any file is not formatted
//
// The layout is compiler/Format's (docs/editors.md#formatting). A file with
// syntax errors gets catc's diagnostics and is left alone; the exit status
// is then 1.
//
//===----------------------------------------------------------------------===//
#include "Format/Format.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::OptionCategory category("catc-format options");
static cl::list<std::string> inputs(cl::Positional, cl::desc("[<.cat file>...]"), cl::cat(category));
static cl::opt<bool> inPlace("i", cl::desc("Rewrite the files in place instead of printing them"),
                             cl::cat(category));
static cl::opt<bool> check("check",
                           cl::desc("Print nothing but the files that are not formatted (and "
                                    "their first differing line); exit 1 if there is any"),
                           cl::cat(category));

namespace {

/// The first line where \p a and \p b differ, 1-based, with both versions
/// ("<end of file>" past the last line).
void firstDifference(StringRef a, StringRef b, unsigned &line, std::string &was,
                     std::string &should) {
  SmallVector<StringRef> linesA, linesB;
  a.split(linesA, '\n');
  b.split(linesB, '\n');
  size_t i = 0;
  while (i < linesA.size() && i < linesB.size() && linesA[i] == linesB[i])
    ++i;
  line = static_cast<unsigned>(i + 1);
  was = i < linesA.size() ? linesA[i].str() : "<end of file>";
  should = i < linesB.size() ? linesB[i].str() : "<end of file>";
}

/// Writes \p contents to \p path through a temporary file in the same
/// directory, renamed over it, so that the file is never half-written.
std::error_code writeAtomically(StringRef path, StringRef contents) {
  SmallString<256> model(path);
  model += ".catc-format-%%%%%%";
  int fd;
  SmallString<256> temp;
  if (std::error_code ec = sys::fs::createUniqueFile(model, fd, temp))
    return ec;
  {
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << contents;
    os.close();
    if (os.has_error()) {
      std::error_code ec = os.error();
      os.clear_error();
      sys::fs::remove(temp);
      return ec;
    }
  }
  // Keep the original file's permissions.
  if (ErrorOr<sys::fs::perms> perms = sys::fs::getPermissions(path))
    sys::fs::setPermissions(temp, *perms);
  if (std::error_code ec = sys::fs::rename(temp, path)) {
    sys::fs::remove(temp);
    return ec;
  }
  return {};
}

/// Formats one input; false on any error or, with --check, a difference.
bool formatOne(const std::string &name) {
  bool isStdin = name == "-";
  ErrorOr<std::unique_ptr<MemoryBuffer>> file = MemoryBuffer::getFileOrSTDIN(name, /*IsText=*/true);
  if (!file) {
    errs() << "catc-format: error: cannot open file '" << name << "': " << file.getError().message()
           << "\n";
    return false;
  }
  std::string original = (*file)->getBuffer().str();
  SourceMgr sourceMgr;
  cat::DiagnosticEngine diags(sourceMgr, errs());
  diags.setShowColors(sys::Process::StandardErrHasColors());
  unsigned buffer = sourceMgr.AddNewSourceBuffer(std::move(*file), SMLoc());
  std::optional<std::string> formatted = cat::format::formatBuffer(buffer, diags);
  if (!formatted)
    return false;
  if (check) {
    if (*formatted == original)
      return true;
    unsigned line;
    std::string was, should;
    firstDifference(original, *formatted, line, was, should);
    outs() << (isStdin ? "<stdin>" : name) << ":" << line << ": not formatted\n"
           << "  was:    " << was << "\n"
           << "  should: " << should << "\n";
    return false;
  }
  if (inPlace) {
    if (*formatted == original)
      return true;
    if (std::error_code ec = writeAtomically(name, *formatted)) {
      errs() << "catc-format: error: cannot write '" << name << "': " << ec.message() << "\n";
      return false;
    }
    return true;
  }
  outs() << *formatted;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter([](raw_ostream &os) { os << "catc-format version " CATC_VERSION "\n"; });
  if (!cl::ParseCommandLineOptions(argc, argv,
                                   "catc-format: the canonical layout of .cat files "
                                   "(docs/editors.md#formatting)\n",
                                   &errs()))
    return 1;
  if (inPlace && check) {
    errs() << "catc-format: error: -i and --check do not go together\n";
    return 1;
  }
  std::vector<std::string> files(inputs.begin(), inputs.end());
  if (files.empty())
    files.push_back("-");
  if (inPlace && llvm::is_contained(files, "-")) {
    errs() << "catc-format: error: -i needs files, not standard input\n";
    return 1;
  }
  bool ok = true;
  for (const std::string &file : files)
    ok &= formatOne(file);
  outs().flush();
  return ok ? 0 : 1;
}
