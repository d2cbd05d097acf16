//===- FuzzFrontend.cpp - libFuzzer target: parse, check, laws -----------===//
//
// Arbitrary bytes as a .cat file through the front end: parsing, the
// category checker (with the stdlib of the build tree for imports) and the
// law checker. Diagnostics are the expected outcome of most inputs and go
// nowhere; a crash, a sanitizer report or a timeout is a defect.
//
//===----------------------------------------------------------------------===//
#include "FuzzCommon.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cat::fuzz::analyze(data, size);
  return 0;
}
