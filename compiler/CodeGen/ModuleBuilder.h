//===- ModuleBuilder.h - CodeGen's private state ----------------*- C++ -*-===//
//
// Shared by the CodeGen source files: the module under construction (which
// starts as the embedded kernel library), common types, workspace plans and
// the functions emitted for each morphism.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_CODEGEN_MODULEBUILDER_H
#define CATC_CODEGEN_MODULEBUILDER_H

#include "AD/Graph.h"
#include "CodeGen/CodeGen.h"

#include "llvm/IR/IRBuilder.h"

#include <map>

namespace cat {

/// Where each workspace value lives: `scratchBytes + N * offsetPerN[v]`
/// bytes in. The scratch area in front is shared by the kernels that pack
/// an operand (one call at a time uses it).
struct WorkspacePlan {
  int64_t scratchBytes = 0;
  int64_t perN = 0;
  std::vector<int64_t> offsetPerN;
};

/// The LLVM values a graph's bindings refer to inside one function.
struct GraphEnv {
  llvm::Value *params = nullptr, *dparams = nullptr, *n = nullptr, *ws = nullptr;
  std::vector<llvm::Value *> inputs, targets, outputs, dOutputs, dInputs;
  llvm::Value *losses = nullptr;
  llvm::Value *dropoutSeed = nullptr; ///< i64: a training step's, for dropout
  /// i32: non-zero when the function adds into dparams, 0 when it writes
  /// them (a training step's); null: always adds (KArg::Accumulate)
  llvm::Value *accumulate = nullptr;
  /// idx: the examples the loss is the mean over (the seed of the backward
  /// pass is 1/total); null: n. A shard of a batch passes the batch's size.
  llvm::Value *total = nullptr;
  /// `const cat_k_sgd_step *`: a training step's update, for the kernels
  /// the graph lets apply it (KArg::Update); null: none (a null constant
  /// where the function has no such argument)
  llvm::Value *update = nullptr;
  /// The accumulate flag and the update are constants of this function,
  /// and its kernels are specialised on them (KArg::Accumulate, Update).
  bool fixedModes = false;
};

/// The optimizer state's header (mirrors catrt.h's CAT_OPT_*): the step
/// counter, then the hyperparameters a caller may choose per step (they
/// apply when the `chosen` slot is non-zero; a zeroed state takes the train
/// block's), then the moments.
constexpr int64_t kOptSlotStep = 0, kOptSlotChosen = 1, kOptSlotLr = 2,
                  kOptSlotWeightDecay = 3, kOptSlotClip = 4, kOptSlotSeed = 5, kOptHeaderFloats = 8;
/// Dropout's seed in step t of a run with seed s (its low 32 bits):
/// s ^ kDropoutSalt ^ t * kDropoutStepGamma; each box's stream then keys
/// the kernel's counter-based generator (cat_k_dropout).
constexpr uint64_t kDropoutSalt = 0x64726f706f757400ull; // "dropout\0"
constexpr uint64_t kDropoutStepGamma = 0x9e3779b97f4a7c15ull;
/// Shard s of a step's batch draws with that seed ^ s * kDropoutShardGamma
/// (shard 0: the step's seed itself).
constexpr uint64_t kDropoutShardGamma = 0xd1b54a32d192ed03ull;

/// Everything generated for one exported morphism.
struct MorphismFunctions {
  const MorphismInstance *instance = nullptr;
  std::string symbol; ///< "p_m"
  ir::ParamLayout layout;
  int64_t optStateFloats = 0;
  llvm::Function *workspaceSize = nullptr, *init = nullptr, *forward = nullptr,
                 *backward = nullptr, *evaluate = nullptr, *lossGrad = nullptr,
                 *trainStep = nullptr, *lossGradOutputs = nullptr, *trainStepOutputs = nullptr;
  /// A training step in two halves, for data-parallel training: the
  /// gradient of one shard of a batch, and the optimizer's update with a
  /// gradient (the shards' sum).
  llvm::Function *shardGrad = nullptr, *shardGradOutputs = nullptr, *applyGradient = nullptr;
  /// loss_grad and loss_grad_outputs as a training step runs them (dropout
  /// active), with a trailing uint64 seed argument; null when the model
  /// behaves the same in training.
  llvm::Function *trainLossGrad = nullptr, *trainLossGradOutputs = nullptr;
  /// loss_grad and loss_grad_outputs with a trailing `int accumulate,
  /// size_t total, const cat_k_sgd_step *update`: the C interface's
  /// functions call them with 1, n and null, the training steps with 0, the
  /// batch's size and (SGD without decay or clipping) their update.
  llvm::Function *lossGradModal = nullptr, *lossGradOutputsModal = nullptr;
  /// Per modal function: the parameter tensors whose gradient kernels apply
  /// the update passed to it (ad::Graph::updatedInKernel).
  std::map<const llvm::Function *, std::vector<bool>> updatedInKernel;
  /// For a loss that is a sum of two heads: (params, <A>, <T>, float
  /// *head1, float *head2, n, ws) writes each head's per-example loss.
  llvm::Function *headLosses = nullptr;
  llvm::GlobalVariable *paramTable = nullptr;
  Obj target; ///< the loss's second object, when trained
  int64_t wsConst = 0, wsPerN = 0; ///< workspace bytes = wsConst + n * wsPerN
  int64_t forwardWsConst = 0, forwardWsPerN = 0; ///< the same for _forward (and _predict) alone
};

/// What an executable's `quantize` command runs (Calibrate.cpp).
struct Calibration {
  llvm::Function *function = nullptr; ///< p_m_calibrate
  llvm::GlobalVariable *layers = nullptr; ///< its dense layers (cat_quant_layer), or null
  int32_t count = 0;
};

/// The C header declaring the generated functions (`--emit-header`).
std::string headerText(const Program &program, const std::vector<MorphismFunctions> &all);

class ModuleBuilder {
public:
  ModuleBuilder(llvm::LLVMContext &ctx, const CodeGenOptions &opts);

  MorphismFunctions emitMorphism(const Program &program, const MorphismInstance &inst,
                                 const TrainSpec *train);
  void emitRuntimeGlue(const Program &program, const MorphismFunctions &fns);
  /// The calibration function of \p fns's forward map and its layer table.
  Calibration emitCalibration(const MorphismFunctions &fns);
  std::unique_ptr<llvm::Module> finish();

  llvm::Function *kernel(llvm::StringRef name);
  llvm::Function *declare(llvm::StringRef name, llvm::Type *ret, llvm::ArrayRef<llvm::Type *> params,
                          bool external);
  WorkspacePlan plan(const ad::Graph &g);
  llvm::Value *pointerOf(ad::ValueId id, const ad::Graph &g, const WorkspacePlan &p,
                         const GraphEnv &env);
  /// Emits the graph's kernel calls at the builder's position; returns the
  /// loss for graphs that compute one.
  llvm::Value *emitGraph(const ad::Graph &g, const WorkspacePlan &p, const GraphEnv &env);
  /// Emits calls [first, last) of the graph at the builder's position.
  llvm::Value *emitCalls(const ad::Graph &g, size_t first, size_t last, const WorkspacePlan &p,
                         const GraphEnv &env);
  llvm::Value *batchArg(llvm::Value *n);
  /// The GEMM family (CATK_TILE_*) of a dense product \p call.
  int tileFor(const ad::KernelCall &call) const;
  /// Calls \p kernel, through its specialisation to the arguments that
  /// \p isConstant marks when kernels are specialised. \p nonNull (empty,
  /// or one flag per argument) marks pointers that cannot be null, so that
  /// the kernel's tests of optional operands fold.
  llvm::Value *callKernel(llvm::Function *kernel, llvm::ArrayRef<llvm::Value *> args,
                          llvm::ArrayRef<bool> isConstant, llvm::ArrayRef<bool> nonNull = {});
  /// The internal function computing \p kernel with the arguments that
  /// \p isConstant marks fixed to \p args (one per distinct combination).
  llvm::Function *specialization(llvm::Function *kernel, llvm::ArrayRef<llvm::Value *> args,
                                 llvm::ArrayRef<bool> isConstant, llvm::ArrayRef<bool> nonNull);
  /// The external function \p name: \p modal with its last argument
  /// (`accumulate`) 1.
  llvm::Function *emitAdding(const std::string &name, llvm::Function *modal);
  /// The modal loss gradient \p name without the outputs of \p withOutputs
  /// (the same function with an output pointer after its first \p before
  /// arguments for each of \p outputSliceBytes): it calls that one with the
  /// outputs written past the \p workspace it needs (bytes, and bytes an
  /// example), output o taking outputSliceBytes[o] bytes an example.
  llvm::Function *emitWithoutOutputs(const std::string &name, llvm::Function *withOutputs,
                                     MorphismFunctions &out, size_t before,
                                     llvm::ArrayRef<int64_t> outputSliceBytes,
                                     std::pair<int64_t, int64_t> workspace);
  llvm::Function *emitTrainStep(const std::string &name, llvm::Function *lossGrad, MorphismFunctions &out,
                                const TrainSpec &train, size_t nIn, size_t nT, size_t nOut,
                                int64_t gradBytes);
  /// At the builder's position in a training step: a branch to a step in
  /// which the kernels apply SGD's update (\p inKernel: the tensors they
  /// update) when the run's settings allow; the builder is left in the
  /// other branch, for the step through the gradient buffer.
  void emitUpdateInKernels(llvm::Function *lossGrad, MorphismFunctions &out, const TrainSpec &train,
                           llvm::Value *params, llvm::Value *state, llvm::ArrayRef<llvm::Value *> data,
                           llvm::Value *n, llvm::Value *grad, llvm::Value *rest, const std::vector<bool> &inKernel);
  llvm::Function *emitShardGrad(const std::string &name, llvm::Function *lossGrad, const TrainSpec &train,
                                size_t nIn, size_t nT, size_t nOut);
  llvm::Function *emitApplyGradient(const std::string &name, MorphismFunctions &out, const TrainSpec &train);
  /// At the builder's position: the loss of a step's shard and its gradient
  /// written into \p dparams (`lossGrad` in write mode, dropout keyed by the
  /// state's step and the shard), or applied by \p update (a
  /// `cat_k_sgd_step *`) where the kernels can.
  llvm::Value *emitStepLoss(llvm::Function *lossGrad, const TrainSpec &train, llvm::Value *params,
                            llvm::Value *state, llvm::ArrayRef<llvm::Value *> data, llvm::Value *dparams,
                            llvm::Value *n, llvm::Value *total, llvm::Value *shard, llvm::Value *ws,
                            llvm::Value *update);
  /// The step's hyperparameters: the train block's, unless the caller set
  /// the state's `chosen` slot (schedules, flags).
  struct StepSettings {
    llvm::Value *lr, *weightDecay, *clip;
  };
  StepSettings emitStepSettings(const TrainSpec &train, llvm::Value *state);
  /// The number of the step about to be taken: state's counter plus one
  /// (an i32; the caller stores it back).
  llvm::Value *emitNextStep(llvm::Value *state);
  /// At the builder's position: the optimizer's update of \p params with
  /// the gradient \p grad (clipped in place), the step counted in \p state.
  void emitOptimizerUpdate(const TrainSpec &train, int64_t P, llvm::Value *params, llvm::Value *state,
                           llvm::Value *grad);
  /// Raises the workspace \p out's functions need to at least
  /// \p c + n * \p perN bytes (p_m_workspace_size and the header's bound).
  void growWorkspace(MorphismFunctions &out, int64_t c, int64_t perN);
  llvm::Function *emitWorkspaceSize(const std::string &sym, MorphismFunctions &out,
                                    const std::vector<std::pair<int64_t, int64_t>> &needs);
  llvm::Function *emitInit(const std::string &sym, const ir::ParamLayout &layout);
  llvm::GlobalVariable *emitParamTable(const std::string &sym, const ir::ParamLayout &layout);
  llvm::StructType *paramInfoType();
  /// A private constant array of dimensions.
  llvm::Constant *shapeArray(const std::vector<int64_t> &shape);
  /// A private constant C string.
  llvm::Constant *cstring(llvm::StringRef s);

  llvm::LLVMContext &ctx;
  const CodeGenOptions &opts;
  std::unique_ptr<llvm::Module> module;
  llvm::IRBuilder<> b;
  llvm::Type *ptrTy, *i64, *i32, *f32, *f64, *sizeTy;
  llvm::Type *idxTy; ///< the kernels' catk_index: i32 on 32-bit targets, else i64

private:
  /// Reads the bodies of the kernels the generated functions call, directly
  /// or not, and drops the library's other functions unread.
  void materializeCalledKernels();

  std::map<std::string, llvm::Function *> specializations;
  /// On the one-lane family, the copy of a modal loss gradient (with or
  /// without outputs) that writes the gradient and updates nothing, which
  /// the training steps call: there a tile tests its modes per weight, so
  /// the copy's kernels fold them (GraphEnv::fixedModes).
  std::map<const llvm::Function *, llvm::Function *> writingCopy;
};

} // namespace cat

#endif // CATC_CODEGEN_MODULEBUILDER_H
