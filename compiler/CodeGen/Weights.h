//===- Weights.h - Trained weights baked into the object --------*- C++ -*-===//
//
// What `catc --weights` adds to a module: the weights as one constant
// array, their class names, and a `_predict` entry point that runs a
// morphism with them (CodeGen/Weights.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef CATC_CODEGEN_WEIGHTS_H
#define CATC_CODEGEN_WEIGHTS_H

#include "CodeGen/ModuleBuilder.h"

namespace cat {

/// What the baked weights give one exported morphism.
struct BakedFunctions {
  /// `p_m_predict(<A>, <B>, n, ws)`: `_forward` with the baked weights;
  /// null when the morphism's parameters are not a block of them.
  llvm::Function *predict = nullptr;
  /// Where its parameters start in the baked array, in floats.
  int64_t offset = 0;
  /// The workspace `predict` needs: const + n * perN bytes.
  int64_t wsConst = 0, wsPerN = 0;
  /// Whether `predict` runs the int8 layers of int8 weights.
  bool int8 = false;
  /// For the morphism the weights are for: `p_m_weights`, the constant
  /// array (its own .rodata section), and `p_m_class_names` when the
  /// checkpoint names the classes of a Fin target (else null).
  llvm::GlobalVariable *weights = nullptr, *classNames = nullptr;
};

/// The baked weights and, per entry of the morphism list, what they give it.
struct BakedSymbols {
  const BakedWeights *source = nullptr;
  std::vector<BakedFunctions> of;
};

/// Emits the constant array of \p weights and the `_predict` functions of
/// the morphisms in \p all whose parameters are all among the baked ones,
/// in the same arrangement (the trained morphism, and exported morphisms it
/// uses as named instances, e.g. an encoder). With no weights, returns an
/// empty result.
BakedSymbols emitBakedWeights(ModuleBuilder &mb, std::vector<MorphismFunctions> &all, const Program &program,
                              const BakedWeights *weights);

/// The C header (Header.cpp), with the declarations of \p baked.
std::string headerText(const Program &program, const std::vector<MorphismFunctions> &all,
                       const BakedSymbols &baked);

} // namespace cat

#endif // CATC_CODEGEN_WEIGHTS_H
