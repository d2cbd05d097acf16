//===- TargetMachine.h - Target machines and file emission ------*- C++ -*-===//
//
// Creates LLVM target machines from a triple (normalised: a raw
// `thumbv7em-none-eabihf` would lose its hard-float environment), a CPU
// (`-mcpu=`, or the host's for `-march=native`) and an optimisation level;
// runs LLVM's standard pipeline; writes assembly or object files.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_TARGET_TARGETMACHINE_H
#define CATC_TARGET_TARGETMACHINE_H

#include "llvm/IR/Module.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace cat {

/// What to generate code for.
struct TargetOptions {
  std::string triple; ///< empty: the host
  /// Empty: the host CPU when the triple is the host's (empty), else the
  /// platform's baseline; "native": the host CPU; "generic": the baseline.
  std::string cpu;
  unsigned optLevel = 2;
  /// 0: speed; 1: small code (-Os); 2: smallest code (-Oz), at optLevel 2.
  unsigned sizeLevel = 0;
};

/// A target machine, or null with \p error set (e.g. an unknown triple).
std::unique_ptr<llvm::TargetMachine> createTargetMachine(const TargetOptions &options,
                                                         std::string &error);

/// The GEMM micro-tile family (CATK_TILE_* of the kernel library) that fits
/// \p machine's vector registers: AVX-512, AVX2 with FMA, 128-bit SIMD
/// (SSE2, NEON) or scalar floating point.
int gemmTileFor(const llvm::TargetMachine &machine);

/// Whether \p machine is an ARM core with the DSP extension (ARMv7E-M and
/// later: SMLAD and SXTB16), which the int8 kernels use.
bool hasArmDsp(const llvm::TargetMachine &machine);

/// Whether \p machine is an AArch64 core with the dot product extension
/// (ARMv8.2's optional SDOT: Cortex-A55, A76 and later), which the int8
/// kernels use.
bool hasAArch64DotProd(const llvm::TargetMachine &machine);

/// One line naming what code is generated for: triple, CPU and tile
/// family, e.g. "x86_64-pc-linux-gnu, CPU znver4 (the host), 512-bit vectors".
std::string describeTarget(const llvm::TargetMachine &machine, const TargetOptions &options);

/// Runs LLVM's default per-module pipeline for the optimisation level
/// (at -O0 only the always-inliner and dead-global removal); with a size
/// level, the -Os or -Oz pipeline on functions marked optsize (minsize).
void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine, const TargetOptions &options);

/// Writes the module as assembly or an object file.
bool emitCode(llvm::Module &module, llvm::TargetMachine &machine, llvm::CodeGenFileType type,
              llvm::raw_pwrite_stream &out, std::string &error);

} // namespace cat

#endif // CATC_TARGET_TARGETMACHINE_H
