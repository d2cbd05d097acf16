//===- Transport.h - JSON-RPC messages over stdio ---------------*- C++ -*-===//
//
// The Language Server Protocol's base layer: each message is a JSON value
// after a `Content-Length: N` header and a blank line. In lit-test mode
// (`catc-lsp --lit-test`, as clangd's) the input is instead JSON messages
// separated by lines of `---`, so that a test writes them by hand, and the
// output is pretty-printed for FileCheck.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_LSP_TRANSPORT_H
#define CATC_LSP_TRANSPORT_H

#include "llvm/Support/JSON.h"

#include <cstdio>
#include <optional>
#include <string>

namespace cat::lsp {

class Transport {
public:
  Transport(std::FILE *in, std::FILE *out, bool litTest) : in(in), out(out), litTest(litTest) {}

  /// The next message's text; nullopt at the end of the input (or after a
  /// malformed header, reported on stderr).
  std::optional<std::string> read();
  /// Whether more input is waiting (to let edits pile up before analysing).
  bool inputPending() const;
  void write(const llvm::json::Value &message);

private:
  std::FILE *in, *out;
  bool litTest;
};

} // namespace cat::lsp

#endif // CATC_LSP_TRANSPORT_H
