//===- Primitives.cpp - Types and parameters of the generators -----------===//
//
// Each primitive's schematic type from docs/language.md §5, instantiated with
// fresh type and dimension variables so that unification infers shapes from
// the neighbours. Structural maps are natural in their objects: they get
// plain type variables and work at any object.
//
//===----------------------------------------------------------------------===//
#include "Sema/Primitives.h"

#include "llvm/ADT/StringSwitch.h"

namespace cat {

const char *primName(PrimOp op) {
  switch (op) {
#define X(ID, NAME)                                                            \
  case PrimOp::ID:                                                             \
    return NAME;
    CAT_PRIMITIVES(X)
#undef X
  }
  return "?";
}

std::optional<PrimOp> lookupPrimitive(llvm::StringRef name) {
#define X(ID, NAME)                                                            \
  if (name == NAME)                                                            \
    return PrimOp::ID;
  CAT_PRIMITIVES(X)
#undef X
  return std::nullopt;
}

const char *primitiveDoc(PrimOp op) {
  switch (op) {
#define PRIM_DOC(ID, DOC)                                                      \
  case PrimOp::ID:                                                             \
    return DOC;
#include "Sema/PrimitiveDocs.def"
  }
  return "";
}

std::vector<llvm::StringRef> primitiveNames() {
  return {
#define X(ID, NAME) NAME,
      CAT_PRIMITIVES(X)
#undef X
  };
}

bool isParametric(PrimOp op) {
  switch (op) {
  case PrimOp::Param: case PrimOp::Linear: case PrimOp::Bias:
  case PrimOp::Embed: case PrimOp::Layernorm:
    return true;
  default:
    return false;
  }
}

void instantiatePrimitive(PrimOp op, const PrimAttrs &attrs, TypeContext &t,
                          TypeId &dom, TypeId &cod) {
  auto vec = [&](DimId d) { return t.real({d}); };
  switch (op) {
  case PrimOp::Id:
    dom = cod = t.freshVar();
    return;
  case PrimOp::Copy: {
    TypeId a = t.freshVar();
    dom = a;
    cod = t.product({a, a});
    return;
  }
  case PrimOp::Drop:
    dom = t.freshVar();
    cod = t.unit();
    return;
  case PrimOp::Fst: case PrimOp::Snd: {
    TypeId a = t.freshVar(), b = t.freshVar();
    dom = t.product({a, b});
    cod = op == PrimOp::Fst ? a : b;
    return;
  }
  case PrimOp::Pi:
    // pi[i] projects out of a product of unknown arity: the arity is fixed
    // once the domain is known (see Sema's projection handling).
    dom = t.freshVar();
    cod = t.freshVar();
    return;
  case PrimOp::Swap: {
    TypeId a = t.freshVar(), b = t.freshVar();
    dom = t.product({a, b});
    cod = t.product({b, a});
    return;
  }
  case PrimOp::Add: case PrimOp::Sub: case PrimOp::Mul: case PrimOp::Div: {
    TypeId a = t.freshVar();
    dom = t.product({a, a});
    cod = a;
    return;
  }
  case PrimOp::Neg: case PrimOp::Exp: case PrimOp::Log: case PrimOp::Sqrt:
  case PrimOp::Square: case PrimOp::Relu: case PrimOp::Sigmoid:
  case PrimOp::Tanh: case PrimOp::Gelu: case PrimOp::Scale:
  case PrimOp::Bias: case PrimOp::Layernorm: case PrimOp::Dropout:
    dom = cod = t.freshVar();
    return;
  case PrimOp::Zero: case PrimOp::Const: case PrimOp::Param:
    dom = t.unit();
    cod = t.freshVar();
    return;
  case PrimOp::Sum: case PrimOp::Mean: {
    TypeId a = t.freshVar();
    dom = t.power(a, t.freshDim());
    cod = a;
    return;
  }
  case PrimOp::Broadcast: {
    TypeId a = t.freshVar();
    dom = a;
    cod = t.power(a, t.freshDim());
    return;
  }
  case PrimOp::Dot: {
    DimId n = t.freshDim();
    dom = t.product({vec(n), vec(n)});
    cod = t.real({});
    return;
  }
  case PrimOp::Matmul: {
    DimId m = t.freshDim(), k = t.freshDim(), n = t.freshDim();
    dom = t.product({t.real({m, k}), t.real({k, n})});
    cod = t.real({m, n});
    return;
  }
  case PrimOp::Transpose: {
    DimId m = t.freshDim(), n = t.freshDim();
    dom = t.real({m, n});
    cod = t.real({n, m});
    return;
  }
  case PrimOp::Reshape:
    dom = t.freshVar();
    cod = t.freshVar();
    return;
  case PrimOp::Concat: {
    DimId n = t.freshDim(), m = t.freshDim();
    dom = t.product({vec(n), vec(m)});
    cod = vec(t.sumDim(n, m));
    return;
  }
  case PrimOp::Softmax: case PrimOp::LogSoftmax: {
    TypeId a = vec(t.freshDim());
    dom = cod = a;
    return;
  }
  case PrimOp::CausalMask: {
    DimId n = t.freshDim();
    dom = cod = t.real({n, n});
    return;
  }
  case PrimOp::Linear:
    dom = vec(t.freshDim());
    cod = vec(t.freshDim());
    return;
  case PrimOp::Embed: {
    DimId v = t.freshDim();
    dom = t.tensor(Elem::Fin, v, {});
    cod = vec(t.freshDim());
    return;
  }
  case PrimOp::Mse: case PrimOp::Bce: {
    TypeId a = t.freshVar();
    dom = t.product({a, a});
    cod = t.real({});
    return;
  }
  case PrimOp::CrossEntropy: {
    DimId n = t.freshDim();
    dom = t.product({vec(n), t.tensor(Elem::Fin, n, {})});
    cod = t.real({});
    return;
  }
  }
}

static bool allRealTensors(const Obj &o) {
  if (o.isTensor())
    return o.isReal();
  for (const Obj &f : o.factors)
    if (!allRealTensors(f))
      return false;
  return true;
}

std::optional<std::string> checkPrimitive(PrimOp op, const PrimAttrs &attrs,
                                          const Obj &dom, const Obj &cod) {
  auto needReal = [&](const Obj &o) -> std::optional<std::string> {
    if (o.isReal())
      return std::nullopt;
    return std::string("'") + primName(op) + "' needs a real tensor object, not '" + o.str() + "'";
  };
  switch (op) {
  case PrimOp::Add: case PrimOp::Sub: case PrimOp::Mul: case PrimOp::Div:
  case PrimOp::Neg: case PrimOp::Exp: case PrimOp::Log: case PrimOp::Sqrt:
  case PrimOp::Square: case PrimOp::Relu: case PrimOp::Sigmoid:
  case PrimOp::Tanh: case PrimOp::Gelu: case PrimOp::Scale: case PrimOp::Bias:
  case PrimOp::Layernorm: case PrimOp::Mse: case PrimOp::Bce: case PrimOp::Dropout:
  case PrimOp::Zero: case PrimOp::Const:
    return needReal(op == PrimOp::Mse || op == PrimOp::Bce ? dom.factors[0] : cod);
  case PrimOp::Param:
    if (!allRealTensors(cod))
      return std::string("'param' needs a real object, not '") + cod.str() + "'";
    return std::nullopt;
  case PrimOp::Sum: case PrimOp::Mean: case PrimOp::Broadcast:
    if (!allRealTensors(op == PrimOp::Broadcast ? dom : cod))
      return std::string("'") + primName(op) + "' needs real objects, not '" +
             (op == PrimOp::Broadcast ? dom : cod).str() + "'";
    return std::nullopt;
  case PrimOp::Reshape:
    if (!dom.isReal() || !cod.isReal())
      return std::string("'reshape' needs real tensor objects, not '") + dom.str() +
             "' -> '" + cod.str() + "'";
    if (dom.numElements() != cod.numElements())
      return "'reshape' from '" + dom.str() + "' (" + std::to_string(dom.numElements()) +
             " elements) to '" + cod.str() + "' (" + std::to_string(cod.numElements()) +
             " elements) changes the size";
    return std::nullopt;
  default:
    return std::nullopt;
  }
}

std::vector<ParamSpec> primitiveParams(PrimOp op, const PrimAttrs &attrs,
                                       const Obj &dom, const Obj &cod) {
  auto withInit = [&](ParamSpec p) {
    if (attrs.init) {
      p.init = *attrs.init;
      p.scale = attrs.initScale;
    }
    return p;
  };
  switch (op) {
  case PrimOp::Linear:
    return {withInit({"weight", Obj::real({cod.shape[0], dom.shape[0]}), InitKind::Glorot})};
  case PrimOp::Bias:
    return {withInit({"bias", cod, InitKind::Zeros})};
  case PrimOp::Embed:
    return {withInit({"table", Obj::real({dom.classes, cod.shape[0]}), InitKind::Normal, 1.0f})};
  case PrimOp::Layernorm: {
    Obj vecObj = Obj::real({cod.shape.empty() ? 1 : cod.shape.back()});
    return {{"gain", vecObj, InitKind::Ones}, {"bias", vecObj, InitKind::Zeros}};
  }
  case PrimOp::Param: {
    std::vector<ParamSpec> out;
    std::vector<Obj> flat = cod.flatten();
    for (size_t i = 0; i < flat.size(); ++i)
      out.push_back(withInit({flat.size() == 1 ? "value" : "value" + std::to_string(i),
                              flat[i], InitKind::Normal, 0.02f}));
    return out;
  }
  default:
    return {};
  }
}

} // namespace cat
