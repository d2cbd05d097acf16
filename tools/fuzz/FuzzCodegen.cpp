//===- FuzzCodegen.cpp - libFuzzer target: programs through code generation ===//
//
// Inputs that check clean are lowered, differentiated and generated as LLVM
// IR for the host at -O0 (the executable's glue included), and the module
// must pass LLVM's verifier: a module it rejects is a compiler defect, as
// is any crash or sanitizer report on the way. The --emit views of each
// morphism (IR, backward map, both drawings) are printed too, to nowhere. The mutator changes tokens
// of the language half of the time (LLVMFuzzerMutate's bytes otherwise), so
// that mutants of the seed programs still parse and check and get this far.
//
//===----------------------------------------------------------------------===//
#include "FuzzCommon.h"

#include "AD/Graph.h"
#include "CodeGen/CodeGen.h"
#include "IR/IR.h"
#include "Target/TargetMachine.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <cstdlib>

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {
std::unique_ptr<llvm::TargetMachine> hostMachine() {
  cat::TargetOptions options;
  options.optLevel = 0;
  std::string error;
  auto machine = cat::createTargetMachine(options, error);
  if (!machine) {
    llvm::errs() << "catc-fuzz-codegen: " << error << "\n";
    std::abort();
  }
  return machine;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static std::unique_ptr<llvm::TargetMachine> machine = hostMachine();
  auto analysis = cat::fuzz::analyze(data, size);
  if (!analysis->program)
    return -1; // keeps inputs that do not check out of the corpus
  for (const cat::MorphismInstance *inst : analysis->program->exported) {
    cat::ir::ParamLayout layout;
    cat::ir::Function fn = cat::ir::lowerMorphism(*inst, layout);
    cat::ir::printFunction(fn, layout, llvm::nulls());
    cat::ir::printDot(fn, layout, llvm::nulls());
    cat::ad::printBackward(fn, layout, llvm::nulls());
    cat::ad::printBackwardDot({{&fn, &layout}}, llvm::nulls());
  }
  llvm::LLVMContext context;
  cat::CodeGenOptions options;
  options.triple = machine->getTargetTriple().str();
  options.dataLayout = machine->createDataLayout().getStringRepresentation();
  options.executableGlue = true;
  options.specializeKernels = false;
  options.gemmTile = cat::gemmTileFor(*machine);
  std::string header;
  auto module = cat::generateModule(*analysis->program, context, options, &header);
  if (llvm::verifyModule(*module, &llvm::errs())) {
    llvm::errs() << "catc-fuzz-codegen: the generated module is invalid\n";
    std::abort();
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t maxSize, unsigned seed) {
  if (seed % 2)
    return LLVMFuzzerMutate(data, size, maxSize);
  return cat::fuzz::mutateTokens(data, size, maxSize, seed);
}
