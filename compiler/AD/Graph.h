//===- Graph.h - Kernel graphs: forward, backward and step code -*- C++ -*-===//
//
// The AD phase turns a diagram into straight-line kernel graphs: a list of
// batched tensor values and a list of kernel calls over them (the kernels
// of CodeGen/kernels/catk.h). A graph is one generated function: forward,
// backward (docs/embedding.md), evaluation, or loss-and-gradient for the
// training step. Values are per-example tensors stored batch-major for
// `rows = N * mult` rows, where N is the runtime batch and `mult` counts
// the copies that `map` boxes add. Values bound to function arguments come
// from the caller; every other value lives in the workspace.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_AD_GRAPH_H
#define CATC_AD_GRAPH_H

#include "IR/IR.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cat::ad {

using ValueId = int32_t;
constexpr ValueId kZero = -1; ///< a gradient known to be zero

/// Where a value's storage comes from.
struct Binding {
  enum class Kind {
    Workspace, ///< planned in the workspace
    Alias,     ///< the storage of `aliasOf`, reinterpreted
    Input,     ///< the i-th input factor argument
    Target,    ///< the i-th target factor argument
    Output,    ///< the i-th output factor argument (written)
    DOutput,   ///< the i-th output-gradient argument (read)
    DInput,    ///< the i-th input-gradient argument (written)
    Losses,    ///< the per-example loss argument (written)
  } kind = Kind::Workspace;
  int index = 0;
  ValueId aliasOf = -1;
};

/// One batched tensor.
struct ValueInfo {
  Obj type;         ///< a tensor object (per row)
  int64_t mult = 1; ///< rows = N * mult
  Binding binding;
  bool needsGrad = false; ///< depends on parameters or on a differentiated input
  int64_t elementsPerN() const { return mult * type.numElements(); }
};

/// One argument of a kernel call.
struct KArg {
  enum class Kind {
    Value,  ///< pointer to a value's storage
    Param,  ///< pointer into the parameter array, at `offset` floats
    Grad,   ///< pointer into the parameter-gradient array, at `offset`
    Int,    ///< int64: scale * N + offset
    Float,  ///< float constant `real`
    InvN,   ///< float 1 / N
    Null,   ///< a null pointer (gradient not needed)
    Int32,  ///< a C `int` constant `offset` (an enumerator such as CATK_ACT_RELU)
    Tile,   ///< the target's GEMM micro-tile family (CATK_TILE_*), chosen by CodeGen
    Scratch,///< the function's scratch area, sized by CodeGen for the kernels that pack
    DropoutKey, ///< two uint64 arguments: the training step's dropout seed, and
                ///< `offset`, the stream of one dropout box
    Accumulate, ///< a C `int`: the function's mode, non-zero when it adds into
                ///< the parameter gradients, 0 when it writes them (see
                ///< assignGradientWrites)
    Update,     ///< a `const cat_k_sgd_step *`: a training step's SGD update,
                ///< applied by the kernel to the tensor it computes the
                ///< gradient of when `offset` is 1 (assignGradientWrites
                ///< decides); otherwise, or outside a step, null
    Unwanted,   ///< a null pointer for an output this call does not want,
                ///< passed at run time rather than folded like Null: the
                ///< calls that want it share the kernel's compiled function
  } kind;
  ValueId value = -1;
  int64_t offset = 0;
  int64_t scale = 0;
  double real = 0;

  static KArg val(ValueId v) { return {Kind::Value, v}; }
  static KArg param(int64_t off) { return {Kind::Param, -1, off}; }
  static KArg grad(int64_t off) { return {Kind::Grad, -1, off}; }
  static KArg rows(int64_t perN) { return {Kind::Int, -1, 0, perN}; }
  static KArg constant(int64_t c) { return {Kind::Int, -1, c, 0}; }
  static KArg f32(double r) { return {Kind::Float, -1, 0, 0, r}; }
  static KArg invN() { return {Kind::InvN}; }
  static KArg null() { return {Kind::Null}; }
  static KArg unwanted() { return {Kind::Unwanted}; }
  static KArg i32(int64_t c) { return {Kind::Int32, -1, c}; }
  static KArg tile() { return {Kind::Tile}; }
  static KArg scratch() { return {Kind::Scratch}; }
  static KArg dropoutStream(int64_t stream) { return {Kind::DropoutKey, -1, stream}; }
  static KArg accumulate() { return {Kind::Accumulate}; }
  static KArg update() { return {Kind::Update}; }
};

/// One kernel call. `returnsLoss` marks the `cat_k_mean` whose result the
/// function returns.
struct KernelCall {
  std::string kernel;
  std::vector<KArg> args;
  bool returnsLoss = false;
};

/// A straight-line function over batched values.
struct Graph {
  std::vector<ValueInfo> values;
  std::vector<KernelCall> calls;
  bool usesParams = false;
  bool usesGrads = false;
  /// Per parameter tensor: its gradient's kernel applies a training step's
  /// SGD update (KArg::Update), so the step's update skips it.
  std::vector<bool> updatedInKernel;

  ValueId add(const Obj &type, int64_t mult, Binding binding = {});
  /// A value sharing \p v's storage, seen as \p type with \p mult.
  ValueId alias(ValueId v, const Obj &type, int64_t mult);
  /// Follows aliases to the value that owns the storage.
  ValueId storageOf(ValueId v) const;
  void call(std::string kernel, std::vector<KArg> args) {
    calls.push_back({std::move(kernel), std::move(args)});
  }
};

/// The functions generated for one morphism. LossGradOutputs is LossGrad
/// that also writes the model's outputs (for the training metrics of the
/// step's own predictions, with no second forward pass).
/// HeadLosses writes the per-example losses of the two heads of a loss that
/// ends in `add` (lossHeadsNode), as its two outputs.
enum class FunctionKind { Forward, Backward, Evaluate, LossGrad, LossGradOutputs, HeadLosses };

/// The final `add` of two scalars of \p loss, whose inputs are its heads'
/// losses; null when the loss does not end so.
const ir::Node *lossHeadsNode(const ir::Function &loss);

/// Whether \p fn has a box that behaves differently in a training step
/// (dropout): then training steps get graphs of their own.
bool hasTrainingBehaviour(const ir::Function &fn);

/// Builds the kernel graph of \p kind for \p model (and \p loss, for the
/// two training kinds; its domain is Cod(model) * target).
/// With \p training, the graph is a training step's: dropout is active and
/// reads its seed from an extra function argument.
Graph buildGraph(FunctionKind kind, const ir::Function &model, const ir::Function *loss,
                 const ir::ParamLayout &layout, bool training = false);

/// Lets a loss-gradient graph write its parameter gradients instead of
/// adding into a cleared buffer when its function runs in write mode
/// (KArg::Accumulate is 0): the first kernel to contribute to each
/// parameter tensor keeps the function's mode, the later ones add (1), and
/// a tensor that no kernel writes first (an embedding's scatter-add, a
/// parameter without gradient) is cleared by cat_k_zero_unless at the
/// start. In add mode (the C interface's `_loss_grad`) nothing changes.
/// A tensor whose gradient one kernel computes whole, with no kernel after
/// it reading the parameter, has that kernel apply the update too
/// (KArg::Update, Graph::updatedInKernel).
void assignGradientWrites(Graph &g, const ir::ParamLayout &layout);

/// Folds `bias` and `relu` calls into the epilogue of the `linear` call
/// that produces their input, where nothing else reads the intermediate
/// values (the forward map of `linear ; bias ; relu` becomes one kernel),
/// and cross-entropy's forward and reverse kernels of a training step into
/// one.
void fuseEpilogues(Graph &g);

/// Prints the graph (`--emit=backward`).
void printGraph(const Graph &g, llvm::raw_ostream &os);

/// Prints the derived backward map in the IR's notation: the reverse
/// derivative of each box in reverse order (`--emit=backward`).
void printBackward(const ir::Function &fn, const ir::ParamLayout &layout, llvm::raw_ostream &os);

/// Draws the kernel graphs of the backward functions as one Graphviz
/// digraph, a cluster per morphism (`--emit=dot --backward`): forward
/// kernels in blue, reverse derivatives in orange, parameters as notes.
void printBackwardDot(
    const std::vector<std::pair<const ir::Function *, const ir::ParamLayout *>> &fns,
    llvm::raw_ostream &os);

} // namespace cat::ad

#endif // CATC_AD_GRAPH_H
