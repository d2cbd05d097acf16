//===- CodeGen.h - Lowering kernel graphs to LLVM IR ------------*- C++ -*-===//
//
// Produces one LLVM module per program: the embedded kernel library
// (kernels/catk.h, internal), and for every exported morphism `m` of module
// prefix `p` the C interface of docs/embedding.md (`p_m_workspace_size`,
// `p_m_init`, `p_m_forward`, `p_m_backward`, the parameter table), plus, for
// the trained morphism, the evaluation, loss-gradient and training-step
// functions and (for executables) the runtime's `cat_model` descriptor and
// `main`.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_CODEGEN_CODEGEN_H
#define CATC_CODEGEN_CODEGEN_H

#include "Sema/Program.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace cat {

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
};

/// Builds the LLVM module for \p program. Never fails on a checked program.
/// With \p header, also returns the C header of the generated interface.
std::unique_ptr<llvm::Module> generateModule(const Program &program, llvm::LLVMContext &context,
                                             const CodeGenOptions &options,
                                             std::string *header = nullptr);

} // namespace cat

#endif // CATC_CODEGEN_CODEGEN_H
