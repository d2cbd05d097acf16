//===- Driver.cpp - The catc command line ---------------------------------===//
//
// A clang-like driver: parses flags with llvm::cl, picks the last action
// the flags ask for (an ordered enum, as in clang), runs the phases up to
// it and writes the result: views of the program (--emit=…), LLVM IR,
// assembly, an object file (and C header), or an executable linked with
// the system C compiler and the runtime found next to catc, with trained
// weights baked in when --weights names a checkpoint (checked whatever the
// action). Every user mistake is a diagnostic and exit status 1.
//
//===----------------------------------------------------------------------===//
#include "Driver/Driver.h"
#include "Driver/Weights.h"

#include "AD/Graph.h"
#include "AST/ASTDumper.h"
#include "CodeGen/CodeGen.h"
#include "IR/IR.h"
#include "Laws/Laws.h"
#include "Parse/Parser.h"
#include "Sema/Sema.h"
#include "Target/TargetMachine.h"

#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#ifdef CATC_RUNTIME_LINK_FLAGS
extern char **environ; // --mpi in a sanitized build passes it on, amended
#endif

namespace cat {

using namespace llvm;

namespace {
cl::OptionCategory category("catc options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .cat file>"), cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Write output to <file> ('-' for stdout)"),
                                cl::value_desc("file"), cl::Prefix, cl::cat(category));
cl::opt<bool> compileOnly("c", cl::desc("Compile to an object file, do not link"), cl::cat(category));
cl::opt<bool> assembleOnly("S", cl::desc("Emit assembly (with -emit-llvm: LLVM IR)"), cl::cat(category));
cl::opt<bool> emitLLVM("emit-llvm", cl::desc("With -S or -c: emit LLVM IR / bitcode"), cl::cat(category));
cl::opt<bool> remarkQuantize("Rquantize",
                              cl::desc("With int8 weights (--weights): a remark for each kernel that runs on floats"),
                              cl::cat(category));
cl::opt<bool> syntaxOnly("fsyntax-only", cl::desc("Check the program and stop"), cl::cat(category));
cl::opt<bool> verifyMode("verify", cl::desc("Check diagnostics against expected-* comments"),
                         cl::cat(category));
cl::opt<std::string> optLevel("O",
                              cl::desc("Optimisation level: 0-3, s (small code) or z (smallest code); "
                                       "default 2"),
                              cl::value_desc("level"), cl::Prefix, cl::init("2"), cl::cat(category));
cl::list<std::string> includeDirs("I", cl::desc("Add <dir> to the module search path"),
                                  cl::value_desc("dir"), cl::Prefix, cl::cat(category));
cl::opt<std::string> targetTriple("target", cl::desc("Generate code for <triple>"),
                                  cl::value_desc("triple"), cl::cat(category));
cl::opt<std::string> targetCPU("mcpu",
                               cl::desc("Generate code for <cpu> (default: the host CPU without --target; "
                                        "'generic' for a portable object)"),
                               cl::value_desc("cpu"), cl::cat(category));
cl::opt<bool> verbose("v", cl::desc("Say which target and CPU code is generated for"), cl::cat(category));
cl::opt<std::string> targetArch("march", cl::desc("'native': the host CPU and its features"),
                                cl::value_desc("arch"), cl::cat(category));
cl::opt<std::string> emitView("emit", cl::desc("Print a view: ast, ir, backward, params, dot"),
                              cl::value_desc("view"), cl::cat(category));
cl::opt<bool> drawBackward("backward", cl::desc("With --emit=dot: draw the derived backward maps"),
                           cl::cat(category));
// Checking time and memory grow with the file and a model is a few KiB:
// past this a file is refused rather than taking seconds and most of a
// gigabyte (docs/reliability.md).
cl::opt<uint64_t> maxSourceSize("max-source-size",
                                cl::desc("Refuse a source file larger than <bytes> (default 2 MiB)"),
                                cl::value_desc("bytes"), cl::init(uint64_t(2) << 20), cl::cat(category));
cl::opt<std::string> headerFile("emit-header", cl::desc("With -c: also write the C header to <file>"),
                                cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> weightsFile("weights",
                                 cl::desc("Bake the trained weights of <file> (a safetensors checkpoint) "
                                          "into the output as constant data, with a _predict entry point"),
                                 cl::value_desc("file"), cl::cat(category));
cl::opt<bool> linkMPI("mpi",
                      cl::desc("Link the executable with MPI (through mpicc, with libcatrt_mpi.a): "
                               "`mpirun -np P ./model train` trains data-parallel"),
                      cl::cat(category));
} // namespace

/// What the driver produces, in pipeline order; the last one asked wins.
enum class Action { SyntaxOnly, View, EmitLLVM, EmitAssembly, EmitObject, Link };

/// -O's value: "0" to "3", "s" (-O2 for size) or "z" (-O2 for the least size).
struct OptLevel {
  unsigned optLevel = 2, sizeLevel = 0;
};
static bool parseOptLevel(StringRef text, OptLevel &level) {
  if (text == "s" || text == "z") {
    level = {2, text == "s" ? 1u : 2u};
    return true;
  }
  if (text.size() != 1 || text[0] < '0' || text[0] > '3')
    return false;
  level = {unsigned(text[0] - '0'), 0};
  return true;
}

/// The flag that makes the action something other than linking, for --mpi's
/// error.
static std::string nonLinkFlag() {
  if (verifyMode)
    return "--verify";
  if (syntaxOnly)
    return "-fsyntax-only";
  if (!emitView.empty())
    return "--emit=" + emitView;
  if (assembleOnly)
    return "-S";
  return "-c";
}

static Action selectAction() {
  if (syntaxOnly || verifyMode)
    return Action::SyntaxOnly;
  if (!emitView.empty())
    return Action::View;
  if (assembleOnly)
    return emitLLVM ? Action::EmitLLVM : Action::EmitAssembly;
  if (compileOnly)
    return emitLLVM ? Action::EmitLLVM : Action::EmitObject;
  return Action::Link;
}

/// The directory holding catc's installation: <prefix>/bin/catc -> <prefix>.
static std::string installPrefix(const char *argv0) {
  std::string exe = sys::fs::getMainExecutable(argv0, reinterpret_cast<void *>(&installPrefix));
  return sys::path::parent_path(sys::path::parent_path(exe)).str();
}

namespace {
class Compilation {
public:
  Compilation(const char *argv0) : prefix(installPrefix(argv0)), diags(sourceMgr) {
    diags.setShowColors(sys::Process::StandardErrHasColors());
    diags.setVerifyMode(verifyMode);
    if (!verifyMode)
      diags.setErrorLimit(20); // like clang's -ferror-limit: the first errors matter
  }

  int run();

private:
  bool loadInput(std::vector<unsigned> &buffers);
  std::vector<std::string> splitForVerify(StringRef text);
  int runVerify(const std::vector<unsigned> &buffers, const ModuleSearchPath &search);
  int printView(const Program &program);
  int generate(const Program &program, Action action);
  bool link(const std::string &object, const std::string &output);
  bool linkWithMPI(const std::string &object, const std::string &output);
  int checkMPIFlags();
  int error(const Twine &message) {
    WithColor::error(errs(), "catc") << message << "\n";
    return 1;
  }

  std::string prefix;
  SourceMgr sourceMgr;
  DiagnosticEngine diags;
  std::unique_ptr<BakedWeights> weights; ///< --weights, once read and checked
  OptLevel level;                        ///< -O, once parsed
};
} // namespace

bool Compilation::loadInput(std::vector<unsigned> &buffers) {
  auto file = MemoryBuffer::getFileOrSTDIN(inputFile, /*IsText=*/true);
  if (!file) {
    diags.report(SMLoc(), diag::err_cannot_open_file) << inputFile << file.getError().message();
    return false;
  }
  if ((*file)->getBufferSize() > maxSourceSize) {
    diags.report(SMLoc(), diag::err_source_too_large)
        << inputFile << uint64_t((*file)->getBufferSize()) << uint64_t(maxSourceSize);
    return false;
  }
  if (verifyMode) {
    std::vector<std::string> chunks = splitForVerify((*file)->getBuffer());
    if (chunks.size() > 1) {
      for (const std::string &chunk : chunks)
        buffers.push_back(sourceMgr.AddNewSourceBuffer(
            MemoryBuffer::getMemBufferCopy(chunk, inputFile.getValue()), SMLoc()));
      return true;
    }
  }
  buffers.push_back(sourceMgr.AddNewSourceBuffer(std::move(*file), SMLoc()));
  return true;
}

/// Splits a verify test at lines `// -----` into independent chunks; each
/// is padded with blank lines so line numbers stay those of the file.
std::vector<std::string> Compilation::splitForVerify(StringRef text) {
  std::vector<std::string> chunks(1);
  unsigned line = 0;
  while (!text.empty()) {
    auto [head, rest] = text.split('\n');
    ++line;
    if (head.trim() == "// -----")
      chunks.push_back(std::string(line, '\n'));
    else
      chunks.back() += head.str() + "\n";
    text = rest;
  }
  return chunks;
}

int Compilation::run() {
  if (inputFile.empty())
    return error("no input file; usage: catc [options] <file.cat> (see --help)");
  if (!parseOptLevel(optLevel, level))
    return error("invalid optimisation level '-O" + optLevel + "'; use -O0 to -O3, -Os or -Oz");
  if (linkMPI && checkMPIFlags() != 0)
    return 1;
  std::vector<unsigned> buffers;
  if (!loadInput(buffers))
    return 1;
  unsigned buffer = buffers.front();
  ModuleSearchPath search;
  search.includeDirs.assign(includeDirs.begin(), includeDirs.end());
  search.stdlibDir = prefix + "/share/catc/stdlib";
  if (verifyMode)
    return runVerify(buffers, search);
  Action action = selectAction();
  if (action == Action::View && emitView == "ast") {
    auto file = parseSourceFile(buffer, diags);
    if (diags.hasErrors())
      return 1;
    dumpAST(*file, sourceMgr, outs());
    return 0;
  }
  auto program = analyzeProgram(buffer, inputFile, search, diags);
  if (!program || diags.hasErrors())
    return 1;
  if (!laws::checkLaws(*program, diags))
    return 1;
  if (!weightsFile.empty() && !(weights = readWeights(weightsFile, *program, diags)))
    return 1;
  if (remarkQuantize && weights && !weights->int8.empty())
    for (const std::string &kernel : floatKernels(*program, *weights))
      diags.report(SMLoc(), diag::remark_int8_float_kernel) << kernel;
  if (action == Action::SyntaxOnly)
    return 0;
  if (action == Action::View)
    return printView(*program);
  return generate(*program, action);
}

int Compilation::runVerify(const std::vector<unsigned> &buffers, const ModuleSearchPath &search) {
  for (unsigned chunk : buffers)
    if (auto program = analyzeProgram(chunk, inputFile, search, diags))
      laws::checkLaws(*program, diags);
  return diags.finishVerify() ? 0 : 1;
}

int Compilation::printView(const Program &program) {
  raw_ostream &os = outs();
  if (emitView == "dot") {
    // One graph: a single morphism as it is, several as one cluster each.
    std::vector<ir::ParamLayout> layouts(program.exported.size());
    std::vector<ir::Function> fns;
    std::vector<std::pair<const ir::Function *, const ir::ParamLayout *>> diagrams;
    for (size_t i = 0; i < program.exported.size(); ++i)
      fns.push_back(ir::lowerMorphism(*program.exported[i], layouts[i]));
    for (size_t i = 0; i < fns.size(); ++i)
      diagrams.emplace_back(&fns[i], &layouts[i]);
    if (drawBackward)
      ad::printBackwardDot(diagrams, os);
    else if (diagrams.size() == 1)
      ir::printDot(fns[0], layouts[0], os);
    else
      ir::printDot(program.prefix, diagrams, os);
    return 0;
  }
  for (const MorphismInstance *inst : program.exported) {
    ir::ParamLayout layout;
    ir::Function fn = ir::lowerMorphism(*inst, layout);
    if (emitView == "ir") {
      ir::printFunction(fn, layout, os);
    } else if (emitView == "backward") {
      ad::printBackward(fn, layout, os);
    } else if (emitView == "params") {
      os << "morphism " << inst->name << " : " << inst->dom.str() << " -> " << inst->cod.str()
         << "  (" << layout.totalFloats << " parameters)\n";
      for (const ir::ParamTensor &p : layout.tensors)
        os << "  " << p.name << " : " << p.shape.str() << "  offset " << p.offset << "  size "
           << p.size << "\n";
    } else {
      return error("unknown view '--emit=" + emitView + "'; expected ast, ir, backward, params or dot");
    }
    os << "\n";
  }
  return 0;
}

int Compilation::generate(const Program &program, Action action) {
  TargetOptions topts;
  topts.triple = targetTriple;
  topts.cpu = targetArch == "native" ? "native" : targetCPU.getValue();
  if (!targetArch.empty() && targetArch != "native")
    return error("unsupported '-march=" + targetArch + "'; use --target=<triple> and -mcpu=<cpu>");
  topts.optLevel = level.optLevel;
  topts.sizeLevel = level.sizeLevel;
  std::string err;
  auto machine = createTargetMachine(topts, err);
  if (!machine)
    return error(err);
  if (verbose)
    errs() << "catc: generating code for " << describeTarget(*machine, topts) << "\n";
  LLVMContext context;
  CodeGenOptions copts;
  copts.triple = machine->getTargetTriple().str();
  copts.dataLayout = machine->createDataLayout().getStringRepresentation();
  copts.executableGlue = action == Action::Link;
  copts.specializeKernels = level.optLevel >= 1;
  copts.gemmTile = gemmTileFor(*machine);
  copts.armDsp = hasArmDsp(*machine);
  copts.dotProd = hasAArch64DotProd(*machine);
  copts.weights = weights.get();
  SmallString<256> dir(program.mainFile);
  sys::path::remove_filename(dir);
  copts.sourceDir = dir.str().str();
  std::string header;
  auto module = generateModule(program, context, copts, headerFile.empty() ? nullptr : &header);
  optimizeModule(*module, *machine, topts);

  if (!headerFile.empty()) {
    std::error_code ec;
    ToolOutputFile headerOut(headerFile, ec, sys::fs::OF_Text);
    if (ec)
      return error("cannot write '" + headerFile + "': " + ec.message());
    headerOut.os() << header;
    headerOut.keep();
  }
  std::string output = outputFile;
  if (output.empty()) {
    StringRef stem = sys::path::stem(inputFile);
    output = action == Action::Link           ? "a.out"
             : action == Action::EmitLLVM     ? (stem + (assembleOnly ? ".ll" : ".bc")).str()
             : action == Action::EmitAssembly ? (stem + ".s").str()
                                              : (stem + ".o").str();
  }
  std::string objectPath = output;
  SmallString<128> tempObject;
  if (action == Action::Link) {
    int fd;
    if (auto ec = sys::fs::createTemporaryFile("catc", "o", fd, tempObject))
      return error("cannot create a temporary file: " + ec.message());
    sys::Process::SafelyCloseFileDescriptor(fd);
    objectPath = tempObject.str().str();
  }
  std::error_code ec;
  ToolOutputFile out(objectPath, ec, action == Action::EmitObject || action == Action::Link ||
                                             (action == Action::EmitLLVM && !assembleOnly)
                                         ? sys::fs::OF_None
                                         : sys::fs::OF_Text);
  if (ec)
    return error("cannot write '" + objectPath + "': " + ec.message());
  if (action == Action::EmitLLVM) {
    if (assembleOnly)
      module->print(out.os(), nullptr);
    else
      WriteBitcodeToFile(*module, out.os());
  } else if (!emitCode(*module, *machine,
                       action == Action::EmitAssembly ? CodeGenFileType::AssemblyFile
                                                      : CodeGenFileType::ObjectFile,
                       out.os(), err)) {
    return error(err);
  }
  out.keep();
  out.os().close();
  if (action != Action::Link)
    return 0;
  bool linked = link(objectPath, output);
  sys::fs::remove(tempObject);
  return linked ? 0 : 1;
}

/// --mpi makes an executable for this machine's MPI: nothing else.
int Compilation::checkMPIFlags() {
  if (selectAction() != Action::Link)
    return error("--mpi links an executable; it cannot be used with " + nonLinkFlag());
  if (!targetTriple.empty()) {
    Triple target(Triple::normalize(targetTriple));
    Triple host(Triple::normalize(sys::getDefaultTargetTriple()));
    if (target.getArch() != host.getArch() || target.getOS() != host.getOS())
      return error("--mpi links with this machine's MPI; it cannot be used with "
                   "--target=" + targetTriple + " (the host is " + host.str() + ")");
  }
  return 0;
}

bool Compilation::link(const std::string &object, const std::string &output) {
  if (linkMPI)
    return linkWithMPI(object, output);
  std::string runtime = prefix + "/lib/libcatrt.a";
  if (!sys::fs::exists(runtime)) {
    error("the runtime library '" + runtime + "' is missing; is catc installed completely?");
    return false;
  }
#ifdef CATC_DEFAULT_LINKER
  const char *defaultCC = CATC_DEFAULT_LINKER;
#else
  const char *defaultCC = "cc";
#endif
  std::optional<std::string> envCC = sys::Process::GetEnv("CATC_CC");
  auto cc = sys::findProgramByName(envCC ? *envCC : defaultCC);
  if (!cc) {
    error(Twine("cannot find a C compiler ('") + defaultCC + "') to link with; set CATC_CC");
    return false;
  }
  std::vector<StringRef> args = {*cc, object, runtime, "-lm", "-pthread", "-o", output};
#ifdef CATC_RUNTIME_LINK_FLAGS
  args.insert(args.begin() + 1, CATC_RUNTIME_LINK_FLAGS);
#endif
  std::string message;
  int rc = sys::ExecuteAndWait(*cc, args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    error("linking '" + output + "' failed" + (message.empty() ? "" : ": " + message));
    return false;
  }
  return true;
}

/// The MPI compiler wrapper (mpicc, or $CATC_MPICC) links the object with
/// the MPI build of the runtime, and brings MPI's own flags and libraries.
bool Compilation::linkWithMPI(const std::string &object, const std::string &output) {
  std::string libDir = prefix + "/lib";
  std::string runtime = libDir + "/libcatrt_mpi.a";
  if (!sys::fs::exists(runtime)) {
    error("--mpi: this catc was built without MPI (libcatrt_mpi.a is not in '" + libDir +
          "'); install MPI (Debian: libopenmpi-dev openmpi-bin) and rebuild catc");
    return false;
  }
  std::optional<std::string> envMPICC = sys::Process::GetEnv("CATC_MPICC");
  std::string wrapper = envMPICC ? *envMPICC : "mpicc";
  auto mpicc = sys::findProgramByName(wrapper);
  if (!mpicc) {
    error("--mpi: cannot find the MPI compiler wrapper '" + wrapper +
          "' to link with (Debian: libopenmpi-dev); set CATC_MPICC");
    return false;
  }
  std::vector<StringRef> args = {*mpicc, object, runtime, "-lm", "-pthread", "-o", output};
  std::optional<ArrayRef<StringRef>> env;
  std::vector<std::string> envStrings;
  std::vector<StringRef> envRefs;
#ifdef CATC_RUNTIME_LINK_FLAGS
  args.insert(args.begin() + 1, CATC_RUNTIME_LINK_FLAGS);
  // A sanitized runtime needs the sanitizers of the compiler that built it:
  // the wrapper runs that compiler (Open MPI: OMPI_CC, MPICH: MPICH_CC).
  for (char **var = environ; *var; ++var)
    if (!StringRef(*var).starts_with("OMPI_CC=") && !StringRef(*var).starts_with("MPICH_CC="))
      envStrings.push_back(*var);
  envStrings.push_back(std::string("OMPI_CC=") + CATC_DEFAULT_LINKER);
  envStrings.push_back(std::string("MPICH_CC=") + CATC_DEFAULT_LINKER);
  envRefs.assign(envStrings.begin(), envStrings.end());
  env = ArrayRef<StringRef>(envRefs);
#endif
  std::string message;
  int rc = sys::ExecuteAndWait(*mpicc, args, env, {}, 0, 0, &message);
  if (rc != 0) {
    error("linking '" + output + "' with '" + *mpicc + "' failed" +
          (message.empty() ? "" : ": " + message));
    return false;
  }
  return true;
}

int runDriver(int argc, char **argv) {
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "catc version " CATC_VERSION " (LLVM " LLVM_VERSION_STRING ")\n";
    TargetOptions host;
    std::string err;
    if (auto machine = createTargetMachine(host, err))
      os << "default target: " << describeTarget(*machine, host) << "\n";
  });
  if (!cl::ParseCommandLineOptions(argc, argv, "catc: a compiler for categorical tiny-ML models\n", &errs()))
    return 1;
  return Compilation(argv[0]).run();
}

} // namespace cat
