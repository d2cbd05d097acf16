//===- Weights.h - Reading trained weights at compile time ------*- C++ -*-===//
//
// `catc --weights W` bakes the weights of a safetensors checkpoint into the
// output. This is the driver's reader of that file.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_DRIVER_WEIGHTS_H
#define CATC_DRIVER_WEIGHTS_H

#include "Basic/Diagnostics.h"
#include "CodeGen/CodeGen.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>

namespace cat {

/// The morphism trained weights of \p program are for: the one of the
/// train block, else the last exported (the one an executable describes);
/// null when the program exports none.
const MorphismInstance *weightsMorphism(const Program &program);

/// Reads the safetensors file \p path and checks it against the parameters
/// of weightsMorphism(program): its form (header length, JSON, every
/// tensor's dtype, shape and byte range), the layout hash and every
/// parameter tensor's presence and shape. Reports each problem through
/// \p diags (naming the file) and returns null after an error.
std::unique_ptr<BakedWeights> readWeights(llvm::StringRef path, const Program &program,
                                          DiagnosticEngine &diags);

/// The same on the contents of a file already read (the fuzz target's
/// input); \p path names it in messages and in the result.
std::unique_ptr<BakedWeights> readWeights(std::unique_ptr<llvm::MemoryBuffer> contents,
                                          llvm::StringRef path, const Program &program,
                                          DiagnosticEngine &diags);

/// The kernels of the forward map of weightsMorphism(program) that run on
/// floats although \p weights are int8 (primitives without an integer
/// kernel), by name ("sigmoid"), each once, in the order they run; memory
/// kernels (copies) are not listed.
std::vector<std::string> floatKernels(const Program &program, const BakedWeights &weights);

} // namespace cat

#endif // CATC_DRIVER_WEIGHTS_H
