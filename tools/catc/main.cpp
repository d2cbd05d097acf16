//===- main.cpp - catc ------------------------------------------------------===//
//
// The compiler's executable: everything happens in the driver.
//
//===----------------------------------------------------------------------===//
#include "Driver/Driver.h"

#include "llvm/Support/InitLLVM.h"

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  return cat::runDriver(argc, argv);
}
