//===- CodeGen.h - Lowering kernel graphs to LLVM IR ------------*- C++ -*-===//
//
// Produces one LLVM module per program: the embedded kernel library
// (kernels/catk.h, internal), and for every exported morphism `m` of module
// prefix `p` the C interface of docs/embedding.md (`p_m_workspace_size`,
// `p_m_init`, `p_m_forward`, `p_m_backward`, the parameter table), plus, for
// the trained morphism, the evaluation, loss-gradient and training-step
// functions and (for executables) the runtime's `cat_model` descriptor and
// `main`. With trained weights (`--weights`), also the weights as constant
// data and `p_m_predict` entry points that use them (Weights.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef CATC_CODEGEN_CODEGEN_H
#define CATC_CODEGEN_CODEGEN_H

#include "IR/IR.h"
#include "Sema/Program.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cat {

namespace ad {
struct KernelCall;
} // namespace ad

/// Trained weights to bake into the output as constant data (`catc
/// --weights`), read and checked against the model by the driver
/// (Driver/Weights.cpp).
/// A dense layer of int8 weights (`quantize`'s file, docs/quantization.md):
/// the `linear` product whose weight tensor starts at `weightOffset` in the
/// parameter layout, with the bias fused into it.
struct QuantizedLayer {
  int64_t weightOffset = 0;
  std::vector<int8_t> weights;      ///< [out, in]
  std::vector<int32_t> bias;        ///< [out], or empty: no bias
  std::vector<int32_t> multiplier, shift; ///< [out]: requantization
  float inputScale = 1, outputScale = 1;
  int32_t inputZero = 0, outputZero = 0;
};

struct BakedWeights {
  /// The morphism they are for: the trained one (else the last exported,
  /// as for executables), whose parameter layout `bits` follows.
  const MorphismInstance *morphism = nullptr;
  std::string file;          ///< the checkpoint's file name, without its directory
  std::vector<uint32_t> bits; ///< each parameter float's bits, in layout order
  uint64_t layoutHash = 0;   ///< the layout's (and the checkpoint's, when it names one)
  int64_t epoch = -1;        ///< the checkpoint's `epoch` metadata, or -1
  std::vector<std::string> classes; ///< its `classes` metadata (a Fin target's names)
  /// int8 weights: their dense layers (`bits` then holds every tensor's
  /// dequantized values, for what runs in float); empty for float weights.
  std::vector<QuantizedLayer> int8;

  /// The int8 layer that \p call computes, or null: a forward dense product
  /// (cat_k_linear_fwd) of an int8 weight over n times a fixed number of
  /// rows, as the int8 path runs it (CodeGen/Weights.cpp).
  const QuantizedLayer *int8Layer(const ad::KernelCall &call) const;
};

struct CodeGenOptions {
  std::string triple;
  std::string dataLayout;
  /// Emit the runtime descriptor and `main` (for linked executables).
  bool executableGlue = false;
  /// Directory of the .cat file (relative data paths resolve against it).
  std::string sourceDir;
  /// Specialise kernels to their constant arguments (-O1 and up): each
  /// distinct (kernel, shape) becomes one internal function with the kernel
  /// inlined into it, called wherever that shape occurs, so loops unroll
  /// and vectorise for the shape while code grows with the number of
  /// distinct shapes, not with the size of the diagram.
  bool specializeKernels = true;
  /// The GEMM micro-tile family for the target (CATK_TILE_* of catk.h).
  int gemmTile = 0;
  /// The target is an ARM core with the DSP extension (SMLAD, SXTB16).
  bool armDsp = false;
  /// The target is an AArch64 core with the dot product instructions (SDOT).
  bool dotProd = false;
  /// Weights to bake in (CodeGen/Weights.cpp), or null.
  const BakedWeights *weights = nullptr;
};

/// The parameter layout generated code gives \p inst: its own parameters,
/// then, for the morphism of the train block, those of the loss.
ir::ParamLayout parameterLayout(const Program &program, const MorphismInstance &inst);

/// Builds the LLVM module for \p program. Never fails on a checked program.
/// With \p header, also returns the C header of the generated interface.
std::unique_ptr<llvm::Module> generateModule(const Program &program, llvm::LLVMContext &context,
                                             const CodeGenOptions &options,
                                             std::string *header = nullptr);

} // namespace cat

#endif // CATC_CODEGEN_CODEGEN_H
