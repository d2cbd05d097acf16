//===- FuzzWeights.cpp - libFuzzer target: catc's reader of --weights ----===//
//
// Arbitrary bytes as the safetensors checkpoint of `catc --weights` for the
// model of examples/iris.cat, which is parsed and checked once, at start-up:
// the form of the file (header length, JSON, each tensor's dtype, shape and
// byte range) and its fit to the model (layout hash, tensor names, shapes,
// the `classes` metadata) are both reached. Each input ends one of two ways,
// and anything else aborts: rejected, with at least one error reported, or
// accepted, with no error and one float for each of the model's parameters.
// The input goes to the reader as a MemoryBuffer over libFuzzer's bytes (no
// file); diagnostics go nowhere. Seeds: tools/fuzz/corpus/weights/.
//
//===----------------------------------------------------------------------===//
#include "FuzzCommon.h"

#include "CodeGen/CodeGen.h"
#include "Driver/Weights.h"
#include "IR/IR.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace {
/// examples/iris.cat, checked, and the number of floats of its parameters.
struct Model {
  std::unique_ptr<cat::fuzz::Analysis> analysis;
  int64_t totalFloats = 0;
};

[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::errs() << "catc-fuzz-weights: " << message << "\n";
  std::abort();
}

Model loadModel() {
  auto source = llvm::MemoryBuffer::getFile(CATC_FUZZ_MODEL);
  if (!source)
    fail(llvm::Twine("cannot read ") + CATC_FUZZ_MODEL + ": " + source.getError().message());
  llvm::StringRef text = (*source)->getBuffer();
  Model model;
  model.analysis = cat::fuzz::analyze(reinterpret_cast<const uint8_t *>(text.data()), text.size());
  if (!model.analysis->program)
    fail(llvm::Twine(CATC_FUZZ_MODEL) + " does not check clean");
  const cat::Program &program = *model.analysis->program;
  const cat::MorphismInstance *inst = cat::weightsMorphism(program);
  if (!inst)
    fail(llvm::Twine(CATC_FUZZ_MODEL) + " has no morphism to bake weights into");
  model.totalFloats = cat::parameterLayout(program, *inst).totalFloats;
  return model;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const Model model = loadModel();
  const cat::Program &program = *model.analysis->program;
  llvm::SourceMgr sourceMgr;
  cat::DiagnosticEngine diags(sourceMgr, llvm::nulls());
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto contents =
      llvm::MemoryBuffer::getMemBuffer(bytes, "fuzz.safetensors", /*RequiresNullTerminator=*/false);
  std::unique_ptr<cat::BakedWeights> weights =
      cat::readWeights(std::move(contents), "fuzz.safetensors", program, diags);
  if (!weights) {
    if (!diags.hasErrors())
      fail("the weights were rejected without an error");
    return 0;
  }
  if (diags.hasErrors())
    fail("the weights were accepted after an error");
  if (weights->morphism != cat::weightsMorphism(program) ||
      static_cast<int64_t>(weights->bits.size()) != model.totalFloats)
    fail("the accepted weights do not have one float per parameter");
  return 0;
}
