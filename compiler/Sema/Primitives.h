//===- Primitives.h - The generating morphisms ------------------*- C++ -*-===//
//
// The primitive morphisms of docs/language.md §5: their names, their (schematic)
// types as fresh instances in a TypeContext, the options they take, the
// constraints checked once their objects are known, and the parameter
// tensors parametric primitives own.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_SEMA_PRIMITIVES_H
#define CATC_SEMA_PRIMITIVES_H

#include "Sema/Types.h"

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace cat {

#define CAT_PRIMITIVES(X)                                                      \
  X(Id, "id") X(Copy, "copy") X(Drop, "drop") X(Fst, "fst") X(Snd, "snd")      \
  X(Pi, "pi") X(Swap, "swap")                                                  \
  X(Add, "add") X(Sub, "sub") X(Mul, "mul") X(Div, "div")                      \
  X(Neg, "neg") X(Exp, "exp") X(Log, "log") X(Sqrt, "sqrt")                    \
  X(Square, "square") X(Relu, "relu") X(Sigmoid, "sigmoid") X(Tanh, "tanh")    \
  X(Gelu, "gelu") X(Scale, "scale") X(Zero, "zero") X(Const, "const")          \
  X(Dropout, "dropout")                                                        \
  X(Sum, "sum") X(Mean, "mean") X(Broadcast, "broadcast") X(Dot, "dot")        \
  X(Matmul, "matmul") X(Transpose, "transpose") X(Reshape, "reshape")          \
  X(Concat, "concat") X(Softmax, "softmax") X(LogSoftmax, "log_softmax")       \
  X(CausalMask, "causal_mask")                                                 \
  X(Param, "param") X(Linear, "linear") X(Bias, "bias") X(Embed, "embed")      \
  X(Layernorm, "layernorm")                                                    \
  X(Mse, "mse") X(CrossEntropy, "cross_entropy") X(Bce, "bce")

/// Every primitive morphism.
enum class PrimOp {
#define X(ID, NAME) ID,
  CAT_PRIMITIVES(X)
#undef X
};

/// The name as written in source.
const char *primName(PrimOp op);
/// The primitive called \p name, if any.
std::optional<PrimOp> lookupPrimitive(llvm::StringRef name);
/// Every primitive name (for "did you mean" suggestions).
std::vector<llvm::StringRef> primitiveNames();
/// One line of documentation (PrimitiveDocs.def), for hovers.
const char *primitiveDoc(PrimOp op);

/// How a parameter tensor starts.
enum class InitKind { Zeros, Ones, Glorot, Normal, Uniform };

/// One trainable tensor owned by a primitive occurrence.
struct ParamSpec {
  std::string suffix; ///< "weight", "bias", "table", "gain", "value"
  Obj shape;
  InitKind init;
  float scale = 0; ///< stddev for Normal, bound for Uniform
};

/// What a primitive occurrence carries besides its type.
struct PrimAttrs {
  double constant = 0;    ///< scale(c), const(c), dropout(p)
  int64_t index = 0;      ///< pi[i]
  std::optional<InitKind> init; ///< init = ... on parametric primitives
  float initScale = 0;
};

/// Instantiates the schematic type of \p op with fresh variables.
/// `pi` needs `attrs.index`; returns false if the index is negative.
void instantiatePrimitive(PrimOp op, const PrimAttrs &attrs, TypeContext &types,
                          TypeId &dom, TypeId &cod);

/// Checks constraints that need known objects (e.g. "a real tensor"); on
/// failure returns a description such as "'relu' needs a real tensor object,
/// not 'Fin[3]'".
std::optional<std::string> checkPrimitive(PrimOp op, const PrimAttrs &attrs,
                                          const Obj &dom, const Obj &cod);

/// The parameter tensors of an occurrence with these objects, in order.
std::vector<ParamSpec> primitiveParams(PrimOp op, const PrimAttrs &attrs,
                                       const Obj &dom, const Obj &cod);

/// True for primitives that own parameters.
bool isParametric(PrimOp op);

} // namespace cat

#endif // CATC_SEMA_PRIMITIVES_H
