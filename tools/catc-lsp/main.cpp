//===- main.cpp - catc-lsp: the language server for .cat files -----------===//
//
// Speaks the Language Server Protocol on stdin and stdout (docs/editors.md).
// The analyses are catc's own phases: the same parser, category checker and
// diagnostics as the compiler, and the standard library of the installation
// it belongs to (<prefix>/share/catc/stdlib, beside <prefix>/bin/catc-lsp).
//
//===----------------------------------------------------------------------===//
#include "Server.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"

using namespace llvm;

static cl::OptionCategory category("catc-lsp options");
static cl::opt<bool> litTest("lit-test",
                             cl::desc("Read JSON messages separated by '---' lines and pretty-print the "
                                      "replies (for tests)"),
                             cl::cat(category));
static cl::list<std::string> includeDirs("I", cl::desc("Add a directory to the module search path"),
                                         cl::value_desc("dir"), cl::Prefix, cl::cat(category));

static std::string installPrefix(const char *argv0) {
  std::string exe = sys::fs::getMainExecutable(argv0, reinterpret_cast<void *>(&installPrefix));
  return sys::path::parent_path(sys::path::parent_path(exe)).str();
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "catc-lsp: the language server of catc (Language Server Protocol on "
                              "stdin and stdout)\n");
  cat::ModuleSearchPath search;
  search.includeDirs = includeDirs;
  search.stdlibDir = installPrefix(argv[0]) + "/share/catc/stdlib";
  cat::lsp::Transport transport(stdin, stdout, litTest);
  cat::lsp::Server server(transport, search);
  return server.run();
}
