//===- TargetMachine.cpp - Target machines and file emission -------------===//
//
// Thin wrappers over LLVM 19's TargetRegistry, PassBuilder and the legacy
// code generation pipeline (which `addPassesToEmitFile` still needs).
//
//===----------------------------------------------------------------------===//
#include "Target/TargetMachine.h"
#include "CodeGen/kernels/catk.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/StandardInstrumentations.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/IPO/AlwaysInliner.h"
#include "llvm/Transforms/IPO/GlobalDCE.h"

namespace cat {

using namespace llvm;

static CodeGenOptLevel codeGenLevel(unsigned level) {
  switch (level) {
  case 0: return CodeGenOptLevel::None;
  case 1: return CodeGenOptLevel::Less;
  case 2: return CodeGenOptLevel::Default;
  default: return CodeGenOptLevel::Aggressive;
  }
}

/// What the platform's own toolchain assumes when no -mcpu is given, as
/// clang does: Linux RV64 means rv64gc (lp64d ABI), and a hard-float ARM
/// triple without an architecture version means Debian's armhf baseline,
/// ARMv7-A with VFPv3-D16 — LLVM's generic ARM has no FPU at all.
static void applyPlatformDefaults(std::string &triple, const std::string &cpu,
                                  std::string &features) {
  if (!cpu.empty())
    return;
  Triple t(triple);
  if (t.isRISCV64() && t.isOSLinux()) {
    features = "+m,+a,+f,+d,+c";
  } else if (t.getArch() == Triple::arm && t.getSubArch() == Triple::NoSubArch &&
             (t.getEnvironment() == Triple::GNUEABIHF || t.getEnvironment() == Triple::EABIHF)) {
    t.setArchName("armv7");
    triple = t.str();
    features = "+vfp3d16,-neon";
  }
}

std::unique_ptr<TargetMachine> createTargetMachine(const TargetOptions &options, std::string &error) {
  InitializeAllTargetInfos();
  InitializeAllTargets();
  InitializeAllTargetMCs();
  InitializeAllAsmPrinters();
  std::string triple = Triple::normalize(options.triple.empty() ? sys::getDefaultTargetTriple()
                                                                : options.triple);
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu, features;
  // Code for this machine uses all of it unless asked for a portable object.
  if (cpu.empty() && options.triple.empty())
    cpu = "native";
  if (cpu == "generic")
    cpu.clear();
  applyPlatformDefaults(triple, cpu, features);
  if (cpu == "native") {
    cpu = sys::getHostCPUName().str();
    SubtargetFeatures f;
    for (const auto &feature : sys::getHostCPUFeatures())
      f.AddFeature(feature.getKey(), feature.getValue());
    features = f.getString();
  }
  llvm::TargetOptions to;
  Triple parsed(triple);
  if (parsed.isRISCV64() && parsed.isOSLinux())
    to.MCOptions.ABIName = "lp64d";
  // A section per function and per variable: a program linked with
  // --gc-sections keeps only what it calls (inference without training).
  to.FunctionSections = true;
  to.DataSections = true;
  // Bare metal (no OS in the triple) loads code where it is linked: no
  // GOT, and the constant tables stay in flash rather than .data.rel.ro.
  Reloc::Model relocation = parsed.getOS() == Triple::UnknownOS ? Reloc::Static : Reloc::PIC_;
  std::unique_ptr<TargetMachine> tm(target->createTargetMachine(
      triple, cpu.empty() ? "generic" : cpu, features, to, relocation, std::nullopt,
      codeGenLevel(options.optLevel)));
  if (!tm)
    error = "cannot create a target machine for '" + triple + "'";
  return tm;
}

int gemmTileFor(const TargetMachine &machine) {
  const MCSubtargetInfo *sti = machine.getMCSubtargetInfo();
  auto has = [&](StringRef feature) { return sti->checkFeatures(("+" + feature).str()); };
  const Triple &t = machine.getTargetTriple();
  if (t.isX86()) {
    if (has("avx512f"))
      return CATK_TILE_V512;
    if (has("avx2") && has("fma"))
      return CATK_TILE_V256;
    return CATK_TILE_V128; // SSE2 is x86-64's baseline
  }
  if (t.isAArch64() || (t.isARM() && has("neon")))
    return CATK_TILE_V128;
  return CATK_TILE_SCALAR; // Cortex-M FPUs, RISC-V without V, ...
}

bool hasArmDsp(const TargetMachine &machine) {
  const Triple &t = machine.getTargetTriple();
  // Little-endian only: quant.c reads two widened words as one doubleword.
  return (t.isARM() || t.isThumb()) && t.isLittleEndian() &&
         machine.getMCSubtargetInfo()->checkFeatures("+dsp");
}

bool hasAArch64DotProd(const TargetMachine &machine) {
  // Little-endian only: quant.c loads rows of bytes as vectors.
  const Triple &t = machine.getTargetTriple();
  return t.isAArch64() && t.isLittleEndian() && machine.getMCSubtargetInfo()->checkFeatures("+dotprod");
}

std::string describeTarget(const TargetMachine &machine, const TargetOptions &options) {
  static const char *const tiles[] = {"scalar floating point", "128-bit vectors", "256-bit vectors",
                                      "512-bit vectors"};
  std::string cpu = machine.getTargetCPU().str();
  bool host = options.cpu == "native" || (options.cpu.empty() && options.triple.empty());
  return machine.getTargetTriple().str() + ", CPU " + cpu + (host ? " (the host)" : "") + ", " +
         tiles[gemmTileFor(machine)];
}

void optimizeModule(Module &module, TargetMachine &machine, const TargetOptions &options) {
  unsigned optLevel = options.optLevel;
  // Where the target has 512-bit registers, the pointwise loops (exp,
  // sigmoid, softmax, the optimizer) use them too, as the GEMM tiles do:
  // Intel's server cores are tuned to prefer 256-bit vectors (early AVX-512
  // parts slowed their clock for wide code), which halved the width of
  // those compute-bound loops (iris-sigmoid's step was 12 % slower on a
  // Sapphire Rapids Xeon).
  bool wide = gemmTileFor(machine) == CATK_TILE_V512;
  // The passes and the backend read the size goal from each function.
  for (Function &f : module)
    if (!f.isDeclaration()) {
      if (wide)
        f.addFnAttr("prefer-vector-width", "512");
      if (options.sizeLevel > 0)
        f.addFnAttr(Attribute::OptimizeForSize);
      if (options.sizeLevel > 1)
        f.addFnAttr(Attribute::MinSize);
    }
  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  // Honours LLVM's own debugging flags (-time-passes, -print-after=...).
  PassInstrumentationCallbacks callbacks;
  StandardInstrumentations instrumentations(module.getContext(), /*DebugLogging=*/false);
  instrumentations.registerCallbacks(callbacks, &mam);
  PassBuilder pb(&machine, PipelineTuningOptions(), std::nullopt, &callbacks);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  ModulePassManager mpm;
  if (optLevel == 0) {
    mpm.addPass(AlwaysInlinerPass());
    mpm.addPass(GlobalDCEPass());
  } else {
    static const OptimizationLevel levels[] = {OptimizationLevel::O0, OptimizationLevel::O1,
                                               OptimizationLevel::O2, OptimizationLevel::O3};
    OptimizationLevel level = options.sizeLevel == 1   ? OptimizationLevel::Os
                              : options.sizeLevel == 2 ? OptimizationLevel::Oz
                                                       : levels[std::min(optLevel, 3u)];
    mpm = pb.buildPerModuleDefaultPipeline(level);
  }
  mpm.run(module, mam);
}

/// LLVM's loop strength reduction rewrites loops' address arithmetic for
/// the addressing modes a target has. x86's take the kernels' base + index
/// * scale + offset as written: off there, no step of the bench's models
/// changed measurably, and a small model compiles 10 % faster (iris: 1,462
/// -> 1,320 million instructions). Other targets keep it (a Cortex-M's loads
/// take a register and an immediate only). The pass has no switch but
/// LLVM's `-disable-lsr` flag, which a user's explicit `-disable-lsr=...`
/// overrides.
static void chooseLoopStrengthReduction(const TargetMachine &machine) {
  auto &options = cl::getRegisteredOptions();
  auto it = options.find("disable-lsr");
  if (it == options.end() || it->second->getNumOccurrences() > 0)
    return;
  // Its type in LLVM 19 (lib/CodeGen/TargetPassConfig.cpp).
  static_cast<cl::opt<bool> *>(it->second)->setValue(machine.getTargetTriple().isX86());
}

bool emitCode(Module &module, TargetMachine &machine, CodeGenFileType type, raw_pwrite_stream &out,
              std::string &error) {
  chooseLoopStrengthReduction(machine);
  legacy::PassManager pm;
  // The module was verified when it was generated; the backend's own two
  // verifier runs would only recheck LLVM's optimiser (3 % of a small compile).
  if (machine.addPassesToEmitFile(pm, out, nullptr, type, /*DisableVerify=*/true)) {
    error = "the target cannot emit this file type";
    return false;
  }
  pm.run(module);
  return true;
}

} // namespace cat
