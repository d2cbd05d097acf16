//===- Program.h - The checked category: typed morphism terms ---*- C++ -*-===//
//
// What Sema produces: every non-generic morphism of the program as a typed
// term whose leaves are primitive occurrences with concrete objects.
// Generic morphisms are elaborated at each use (a `Scope` node remembers the
// instantiation for naming); a reference to a non-generic named morphism is
// a `Ref` to its one shared instance (weight tying, docs/language.md §4).
//
//===----------------------------------------------------------------------===//
#ifndef CATC_SEMA_PROGRAM_H
#define CATC_SEMA_PROGRAM_H

#include "Sema/Primitives.h"
#include "Sema/Types.h"

#include "llvm/Support/SMLoc.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cat {

struct MorphismInstance;

/// A typed morphism term.
struct Term {
  enum class Kind {
    Prim,    ///< a primitive occurrence
    Compose, ///< children in order of application
    Tensor,  ///< monoidal product of the children
    Pair,    ///< pairing of the children
    Map,     ///< map(child) over `mapCount` copies
    Scope,   ///< a generic instantiation, transparent: one child
    Ref,     ///< the shared instance `target`
  };
  Term(Kind kind, llvm::SMRange range) : kind(kind), range(range) {}

  Kind kind;
  llvm::SMRange range;
  /// Objects during inference; then `domObj`, `codObj` once resolved.
  TypeId dom = -1, cod = -1;
  Obj domObj, codObj;

  PrimOp op = PrimOp::Id;
  PrimAttrs attrs;
  /// Local name: "linear0" for a primitive, "dense1" for a Scope; parameter
  /// names join these with '.'.
  std::string name;
  std::vector<ParamSpec> params; ///< filled once objects are known

  std::vector<std::unique_ptr<Term>> children;
  DimId mapCountDim = -1;
  int64_t mapCount = 0;
  const MorphismInstance *target = nullptr;
};

/// A non-generic morphism declaration, checked: one instance of it exists.
struct MorphismInstance {
  std::string name;
  std::string module;
  llvm::SMLoc loc;
  Obj dom, cod;
  std::unique_ptr<Term> body;
};

/// The optimizer of a train block.
struct OptimizerSpec {
  enum class Kind { Sgd, Adam } kind = Kind::Sgd;
  double lr = 0.01, momentum = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  /// SGD: L2 added to the gradient; Adam: decoupled, as AdamW.
  double weightDecay = 0;
  /// The gradient's largest norm (0: no clipping).
  double clip = 0;
};

/// The learning rate of each optimizer step (values mirror catrt.h's
/// CAT_SCHEDULE_*).
struct ScheduleSpec {
  enum class Kind { Constant = 0, Step = 1, Cosine = 2 } kind = Kind::Constant;
  int64_t every = 0; ///< step: steps between decays; cosine: warm-up steps
  double gamma = 0.1;
};

/// The data source of a train block (docs/language.md §7).
struct DataSpec {
  enum class Kind { None, Csv, Text, Tokens } kind = Kind::None;
  std::string path;
  std::optional<std::string> targetName;
  std::optional<int64_t> targetIndex;
  /// `target = features`: the feature columns are the target too (an
  /// autoencoder).
  bool targetIsFeatures = false;
  std::vector<std::string> featureNames;
  std::vector<int64_t> featureIndices;
  int64_t context = 1;
  std::vector<std::string> vocab;
};

/// What a model predicts, from its loss and target: it chooses the metrics
/// and the way `predict` prints (the values mirror catrt.h's CAT_LOSS_*).
enum class LossKind {
  Other = 0,      ///< a loss of the user's own making
  Classes = 1,    ///< cross_entropy against Fin labels
  Binary = 2,     ///< bce against targets in [0, 1]
  Regression = 3, ///< a real target of the model's codomain (mse, …)
};

/// A checked `train` block.
struct TrainSpec {
  const MorphismInstance *model = nullptr;
  /// The loss as a morphism Cod(model) * target -> R.
  std::unique_ptr<MorphismInstance> loss;
  Obj target;
  LossKind lossKind = LossKind::Other;
  /// The loss as written in the train block, for the runtime's messages.
  std::string lossText;
  /// A loss that ends in `add` of two scalars (`(mse * cross_entropy) ; add`,
  /// `<l1, l2> ; add`) is a sum of heads: their names, for per-head results.
  std::vector<std::string> headNames;
  DataSpec data;
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  int64_t epochs = 10;
  int64_t batch = 32; ///< 0 = all
  uint64_t seed = 0;
  double validation = 0;
  /// Early stopping: epochs without a better validation loss (0: off).
  int64_t patience = 0;
};

/// A checked `law NAME : lhs == rhs [within tol]` of the main module
/// (docs/language.md §8): both sides as instances of one type, for compiler/Laws.
struct LawSpec {
  std::string name;
  llvm::SMLoc loc;
  std::unique_ptr<MorphismInstance> lhs, rhs;
  std::optional<double> tolerance;
};

/// The whole checked program.
struct Program {
  /// Symbol prefix: the `module` name with '.' -> '_', or the file stem.
  std::string prefix;
  std::string mainFile;
  /// Every checked non-generic morphism (all modules), owned here.
  std::vector<std::unique_ptr<MorphismInstance>> instances;
  /// The main module's non-generic morphisms, in declaration order.
  std::vector<const MorphismInstance *> exported;
  std::optional<TrainSpec> train;
  /// The main module's laws, in declaration order.
  std::vector<LawSpec> laws;
  /// The main module's objects and morphisms as written, in source order
  /// (name and `R[4]` or `Features -> Hidden`), for `./model info`.
  struct Declaration {
    std::string name, text;
  };
  std::vector<Declaration> objectDecls, morphismDecls;
};

} // namespace cat

#endif // CATC_SEMA_PROGRAM_H
