//===- AST.h - The syntax tree of a .cat file --------------------*- C++ -*-===//
//
// The AST mirrors the surface syntax of docs/language.md §1–§8 one to one: object
// expressions, morphism expressions, option values and declarations. It is a
// closed hierarchy with a kind enum and `classof`, so llvm::isa/dyn_cast work.
// Every node carries its source range first; children are owned by
// unique_ptr. Nodes hold no semantic information: Sema builds its own typed
// terms from them.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_AST_AST_H
#define CATC_AST_AST_H

#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cat::ast {

/// A name as written, with where it was written.
struct Ident {
  llvm::SMRange range;
  std::string name;
};

//===----------------------------------------------------------------------===//
// Object expressions (docs/language.md §3)
//===----------------------------------------------------------------------===//

/// Base of every object expression.
class ObjExpr {
public:
  enum class Kind { Real, Fin, Product, Unit, Power, Name };
  ObjExpr(llvm::SMRange range, Kind kind) : range(range), kind(kind) {}
  virtual ~ObjExpr() = default;
  llvm::SMRange range;
  const Kind kind;
  llvm::SMLoc loc() const { return range.Start; }
};

/// A dimension literal inside `R[...]`, `Fin[...]` or after `^`.
struct DimLit {
  llvm::SMRange range;
  /// The value as written; may be 0 or too large, which Sema reports.
  uint64_t value = 0;
  /// True when the literal did not even fit 64 bits.
  bool overflowed = false;
};

/// `R` (empty dims) or `R[d0, d1, ...]`.
class RealObj : public ObjExpr {
public:
  RealObj(llvm::SMRange r, std::vector<DimLit> dims)
      : ObjExpr(r, Kind::Real), dims(std::move(dims)) {}
  std::vector<DimLit> dims;
  static bool classof(const ObjExpr *e) { return e->kind == Kind::Real; }
};

/// `Fin[n]`.
class FinObj : public ObjExpr {
public:
  FinObj(llvm::SMRange r, DimLit n) : ObjExpr(r, Kind::Fin), n(n) {}
  DimLit n;
  static bool classof(const ObjExpr *e) { return e->kind == Kind::Fin; }
};

/// `A * B * C` (n-ary, n >= 2; parentheses make nested products).
class ProductObj : public ObjExpr {
public:
  ProductObj(llvm::SMRange r, std::vector<std::unique_ptr<ObjExpr>> factors)
      : ObjExpr(r, Kind::Product), factors(std::move(factors)) {}
  std::vector<std::unique_ptr<ObjExpr>> factors;
  static bool classof(const ObjExpr *e) { return e->kind == Kind::Product; }
};

/// `1`, the unit object.
class UnitObj : public ObjExpr {
public:
  explicit UnitObj(llvm::SMRange r) : ObjExpr(r, Kind::Unit) {}
  static bool classof(const ObjExpr *e) { return e->kind == Kind::Unit; }
};

/// `A ^ n`.
class PowerObj : public ObjExpr {
public:
  PowerObj(llvm::SMRange r, std::unique_ptr<ObjExpr> base, DimLit exponent)
      : ObjExpr(r, Kind::Power), base(std::move(base)), exponent(exponent) {}
  std::unique_ptr<ObjExpr> base;
  DimLit exponent;
  static bool classof(const ObjExpr *e) { return e->kind == Kind::Power; }
};

/// A declared object or a generic parameter.
class NameObj : public ObjExpr {
public:
  NameObj(llvm::SMRange r, std::string name)
      : ObjExpr(r, Kind::Name), name(std::move(name)) {}
  std::string name;
  static bool classof(const ObjExpr *e) { return e->kind == Kind::Name; }
};

//===----------------------------------------------------------------------===//
// Morphism expressions (docs/language.md §4) and option values
//===----------------------------------------------------------------------===//

class Expr;

/// A value on the right of `k = v` in options and train blocks.
class Value {
public:
  enum class Kind { Number, String, List, Expr };
  Value(llvm::SMRange range, Kind kind) : range(range), kind(kind) {}
  virtual ~Value() = default;
  llvm::SMRange range;
  const Kind kind;
  llvm::SMLoc loc() const { return range.Start; }
};

/// `3`, `0.05`, `1e-3`, `-2` (a leading minus is part of the literal here).
class NumberValue : public Value {
public:
  NumberValue(llvm::SMRange r, double value, bool isInteger, std::string text)
      : Value(r, Kind::Number), value(value), isInteger(isInteger),
        text(std::move(text)) {}
  double value;
  bool isInteger;
  std::string text; ///< the literal as written, for exact integer parsing
  static bool classof(const Value *v) { return v->kind == Kind::Number; }
};

/// `"…"` with escapes already decoded.
class StringValue : public Value {
public:
  StringValue(llvm::SMRange r, std::string value)
      : Value(r, Kind::String), value(std::move(value)) {}
  std::string value;
  static bool classof(const Value *v) { return v->kind == Kind::String; }
};

/// `[v, v, …]`.
class ListValue : public Value {
public:
  ListValue(llvm::SMRange r, std::vector<std::unique_ptr<Value>> elements)
      : Value(r, Kind::List), elements(std::move(elements)) {}
  std::vector<std::unique_ptr<Value>> elements;
  static bool classof(const Value *v) { return v->kind == Kind::List; }
};

/// A morphism expression used as a value: `cross_entropy`, `all`,
/// `csv("x.csv", target = "y")`, `map(cross_entropy) ; mean`.
class ExprValue : public Value {
public:
  ExprValue(llvm::SMRange r, std::unique_ptr<Expr> expr);
  ~ExprValue() override;
  std::unique_ptr<Expr> expr;
  static bool classof(const Value *v) { return v->kind == Kind::Expr; }
};

/// One argument of a call form `NAME(...)`: positional when `name` is empty.
struct Arg {
  std::optional<Ident> name;
  std::unique_ptr<Value> value;
};

/// One entry inside `NAME[...]`: an object, or an integer (as in `pi[2]`).
/// The literal `1` is stored as an integer; Sema reads it as the unit object
/// where an object is expected.
struct GenericArg {
  llvm::SMRange range;
  std::unique_ptr<ObjExpr> object; ///< set for object arguments
  std::optional<DimLit> integer;   ///< set for integer arguments
};

/// Base of every morphism expression.
class Expr {
public:
  enum class Kind { Compose, Tensor, Pair, Id, Ascribe, Ref };
  Expr(llvm::SMRange range, Kind kind) : range(range), kind(kind) {}
  virtual ~Expr() = default;
  llvm::SMRange range;
  const Kind kind;
  llvm::SMLoc loc() const { return range.Start; }
};

/// `f ; g ; h` (stored in diagrammatic order, f first) or `h ∘ g ∘ f`
/// (stored reversed, so `parts` is always in order of application).
class ComposeExpr : public Expr {
public:
  ComposeExpr(llvm::SMRange r, std::vector<std::unique_ptr<Expr>> parts,
              bool writtenWithCirc)
      : Expr(r, Kind::Compose), parts(std::move(parts)),
        writtenWithCirc(writtenWithCirc) {}
  std::vector<std::unique_ptr<Expr>> parts;
  bool writtenWithCirc;
  static bool classof(const Expr *e) { return e->kind == Kind::Compose; }
};

/// `f * g * h`, the monoidal product.
class TensorExpr : public Expr {
public:
  TensorExpr(llvm::SMRange r, std::vector<std::unique_ptr<Expr>> parts)
      : Expr(r, Kind::Tensor), parts(std::move(parts)) {}
  std::vector<std::unique_ptr<Expr>> parts;
  static bool classof(const Expr *e) { return e->kind == Kind::Tensor; }
};

/// `<f, g, h>`, pairing.
class PairExpr : public Expr {
public:
  PairExpr(llvm::SMRange r, std::vector<std::unique_ptr<Expr>> parts)
      : Expr(r, Kind::Pair), parts(std::move(parts)) {}
  std::vector<std::unique_ptr<Expr>> parts;
  static bool classof(const Expr *e) { return e->kind == Kind::Pair; }
};

/// `id` or `id[A]`.
class IdExpr : public Expr {
public:
  IdExpr(llvm::SMRange r, std::unique_ptr<ObjExpr> object)
      : Expr(r, Kind::Id), object(std::move(object)) {}
  std::unique_ptr<ObjExpr> object; ///< null for a bare `id`
  static bool classof(const Expr *e) { return e->kind == Kind::Id; }
};

/// `(e : A -> B)`.
class AscribeExpr : public Expr {
public:
  AscribeExpr(llvm::SMRange r, std::unique_ptr<Expr> expr,
              std::unique_ptr<ObjExpr> dom, std::unique_ptr<ObjExpr> cod)
      : Expr(r, Kind::Ascribe), expr(std::move(expr)), dom(std::move(dom)),
        cod(std::move(cod)) {}
  std::unique_ptr<Expr> expr;
  std::unique_ptr<ObjExpr> dom, cod;
  static bool classof(const Expr *e) { return e->kind == Kind::Ascribe; }
};

/// `NAME`, `NAME[A, …]`, `NAME(k = v, …)`, `NAME[…](…)`; also `map(f)`,
/// `pi[i]`, `scale(0.5)` — primitives are ordinary names to the parser.
class RefExpr : public Expr {
public:
  RefExpr(llvm::SMRange r, Ident name) : Expr(r, Kind::Ref), name(std::move(name)) {}
  Ident name;
  std::vector<GenericArg> genericArgs;
  std::vector<Arg> args;
  bool hasGenericArgs = false; ///< `[...]` written (possibly empty)
  bool hasArgs = false;        ///< `(...)` written (possibly empty)
  static bool classof(const Expr *e) { return e->kind == Kind::Ref; }
};

inline ExprValue::ExprValue(llvm::SMRange r, std::unique_ptr<Expr> expr)
    : Value(r, Kind::Expr), expr(std::move(expr)) {}
inline ExprValue::~ExprValue() = default;

//===----------------------------------------------------------------------===//
// Declarations (docs/language.md §2, §7, §8)
//===----------------------------------------------------------------------===//

/// Base of every top-level declaration.
class Decl {
public:
  enum class Kind { Import, Object, Morphism, Train, Law };
  Decl(llvm::SMRange range, Kind kind) : range(range), kind(kind) {}
  virtual ~Decl() = default;
  llvm::SMRange range;
  const Kind kind;
  llvm::SMLoc loc() const { return range.Start; }
};

/// `import std.nn` (path = {"std", "nn"}) or `import "file.cat"`.
class ImportDecl : public Decl {
public:
  ImportDecl(llvm::SMRange r) : Decl(r, Kind::Import) {}
  std::vector<Ident> modulePath;    ///< dotted form
  std::optional<std::string> file;  ///< string form
  static bool classof(const Decl *d) { return d->kind == Kind::Import; }
};

/// `object NAME = OBJECT`.
class ObjectDecl : public Decl {
public:
  ObjectDecl(llvm::SMRange r, Ident name, std::unique_ptr<ObjExpr> object)
      : Decl(r, Kind::Object), name(std::move(name)), object(std::move(object)) {}
  Ident name;
  std::unique_ptr<ObjExpr> object;
  static bool classof(const Decl *d) { return d->kind == Kind::Object; }
};

/// `morphism NAME[A, …] : DOM -> COD = EXPR`.
class MorphismDecl : public Decl {
public:
  MorphismDecl(llvm::SMRange r, Ident name) : Decl(r, Kind::Morphism), name(std::move(name)) {}
  Ident name;
  std::vector<Ident> genericParams;
  std::unique_ptr<ObjExpr> dom, cod;
  std::unique_ptr<Expr> body;
  static bool classof(const Decl *d) { return d->kind == Kind::Morphism; }
};

/// One `KEY = VALUE` line of a train block.
struct TrainEntry {
  Ident key;
  std::unique_ptr<Value> value;
};

/// `train NAME { KEY = VALUE … }`.
class TrainDecl : public Decl {
public:
  TrainDecl(llvm::SMRange r, Ident morphism) : Decl(r, Kind::Train), morphism(std::move(morphism)) {}
  Ident morphism;
  std::vector<TrainEntry> entries;
  static bool classof(const Decl *d) { return d->kind == Kind::Train; }
};

/// `law NAME : LHS == RHS [within TOL]`.
class LawDecl : public Decl {
public:
  LawDecl(llvm::SMRange r, Ident name) : Decl(r, Kind::Law), name(std::move(name)) {}
  Ident name;
  std::unique_ptr<Expr> lhs, rhs;
  std::optional<double> tolerance;
  static bool classof(const Decl *d) { return d->kind == Kind::Law; }
};

/// One parsed .cat file.
struct SourceFile {
  unsigned bufferId = 0;              ///< in the llvm::SourceMgr
  std::optional<Ident> moduleName;    ///< `module a.b` joined with '.'
  std::vector<std::unique_ptr<Decl>> decls; ///< imports included, in order
};

} // namespace cat::ast

#endif // CATC_AST_AST_H
