//===- SemaImpl.h - Sema's internal state (private header) ------*- C++ -*-===//
//
// Shared by the Sema source files: loaded modules with their scopes, the
// checking state of every declaration (for cycle detection), and the
// elaboration context of one morphism body.
//
//===----------------------------------------------------------------------===//
#ifndef CATC_SEMA_SEMAIMPL_H
#define CATC_SEMA_SEMAIMPL_H

#include "AST/AST.h"
#include "Sema/Sema.h"

#include "llvm/ADT/StringMap.h"

#include <map>
#include <set>

namespace cat {

struct LoadedModule;

/// `dom -> cod` as far as it is known.
inline std::string arrow(TypeContext &t, TypeId dom, TypeId cod) {
  // Two statements: names of unknowns are given in printing order, and the
  // operands of + are unsequenced (gcc and clang print them differently).
  std::string from = t.str(dom);
  return from + " -> " + t.str(cod);
}

/// A declared name: an object or a morphism of some module.
struct Symbol {
  const ast::Decl *decl = nullptr;
  LoadedModule *module = nullptr;
  bool isObject() const { return llvm::isa<ast::ObjectDecl>(decl); }
};

/// One parsed file and the names visible in it.
struct LoadedModule {
  std::string path;
  std::string name;
  const ast::SourceFile *file = nullptr; ///< ownFile, or a ModuleCache's
  std::unique_ptr<ast::SourceFile> ownFile;
  llvm::StringMap<Symbol> own;     ///< declared here
  llvm::StringMap<Symbol> visible; ///< own + imported
  bool loading = false;
};

/// A `pi[i]` waiting for its domain to become a known product, with the use
/// sites open where it arose (its errors are reported there).
struct PendingProjection {
  Term *term;
  std::vector<DiagnosticEngine::UseSite> sites;
};

/// Replaces the diagnostics' open use sites for the lifetime of the object:
/// with none while a declaration is checked on its own (its errors are its
/// own, not its user's), or with the sites of work reported later.
class UseSitesScope {
public:
  UseSitesScope(DiagnosticEngine &diags, std::vector<DiagnosticEngine::UseSite> sites = {})
      : diags(diags), saved(diags.swapUseSites(std::move(sites))) {}
  ~UseSitesScope() { diags.swapUseSites(std::move(saved)); }
  UseSitesScope(const UseSitesScope &) = delete;
  UseSitesScope &operator=(const UseSitesScope &) = delete;

private:
  DiagnosticEngine &diags;
  std::vector<DiagnosticEngine::UseSite> saved;
};

/// Opens one use site for the lifetime of the object.
class OpenUseSite {
public:
  OpenUseSite(DiagnosticEngine &diags, DiagnosticEngine::UseSite site) : diags(diags) {
    diags.pushUseSite(std::move(site));
  }
  ~OpenUseSite() { diags.popUseSite(); }
  OpenUseSite(const OpenUseSite &) = delete;
  OpenUseSite &operator=(const OpenUseSite &) = delete;

private:
  DiagnosticEngine &diags;
};

/// A generic morphism instantiated at a use: what a Scope term stands for.
struct Instantiation {
  const ast::MorphismDecl *decl = nullptr;
  LoadedModule *module = nullptr;
};

/// State while elaborating one morphism body.
/// Each declaration body (and each generic instantiation) has its own local
/// names; generic instantiations share the type context of their use.
struct ElabContext {
  ElabContext(TypeContext &types, LoadedModule &module) : types(types), module(&module) {}
  ElabContext(const ElabContext &) = delete;
  ElabContext &operator=(const ElabContext &) = delete;
  TypeContext &types;
  LoadedModule *module;
  std::map<std::string, TypeId> generics;
  /// Next number per local name ("linear" -> 2 gives "linear2").
  std::map<std::string, int> counters;
  /// Projections waiting for their domain to become a known product.
  std::vector<PendingProjection> pendingProjections;
};

class Sema {
public:
  Sema(DiagnosticEngine &diags, const ModuleSearchPath &search, ModuleCache *cache = nullptr)
      : diags(diags), search(search), cache(cache) {}

  /// Checks the program whose main file is \p mainBuffer (parsed as
  /// \p mainFile, unless null).
  std::unique_ptr<Program> run(unsigned mainBuffer, const std::string &mainPath,
                               const ast::SourceFile *mainFile = nullptr);

  // --- Modules (SemaModules.cpp) ---
  /// Loads the file \p path: buffer \p buffer of the SourceMgr (0: read
  /// it), its AST \p parsed (null: parse it).
  LoadedModule *loadModule(unsigned buffer, const std::string &path, llvm::SMLoc importLoc,
                           const ast::SourceFile *parsed = nullptr);
  LoadedModule *loadImport(const ast::ImportDecl &imp, LoadedModule &from);
  void declareNames(LoadedModule &m);
  const Symbol *lookup(LoadedModule &m, llvm::StringRef name);
  std::string suggest(LoadedModule &m, llvm::StringRef name, bool objects);
  /// Reports the unknown name \p name (an object when \p objects) with the
  /// error \p kind (`unknown … '%0'%1`): with a note naming the standard
  /// library module that declares it, else with a near-miss suggestion.
  void reportUnknownName(diag::Kind kind, llvm::SMLoc loc, llvm::SMRange range,
                         llvm::StringRef name, LoadedModule &m, bool objects);
  /// The standard-library modules, not imported by \p m, that declare
  /// \p name as an object (or a morphism). Parses them on first use, with
  /// their own diagnostics discarded.
  std::vector<std::string> stdlibModulesDeclaring(LoadedModule &m, llvm::StringRef name,
                                                  bool objects);

  // --- Objects (SemaObjects.cpp) ---
  std::optional<Obj> objectOfDecl(const ast::ObjectDecl &decl, LoadedModule &m);
  /// Builds an object expression; -1 after reporting an error.
  TypeId buildObject(const ast::ObjExpr &e, ElabContext &ctx);
  std::optional<int64_t> checkDim(const ast::DimLit &d);

  // --- Morphisms (SemaExpr.cpp) ---
  const MorphismInstance *instanceOf(const ast::MorphismDecl &decl, LoadedModule &m);
  std::unique_ptr<Term> elaborate(const ast::Expr &e, ElabContext &ctx);
  std::unique_ptr<Term> elaborateRef(const ast::RefExpr &e, ElabContext &ctx);
  std::unique_ptr<Term> elaboratePrimitive(PrimOp op, const ast::RefExpr &e, ElabContext &ctx);
  std::unique_ptr<Term> elaborateGeneric(const ast::MorphismDecl &decl, LoadedModule &m,
                                         const ast::RefExpr &use, ElabContext &ctx);
  std::unique_ptr<Term> elaborateMap(const ast::RefExpr &e, ElabContext &ctx);
  bool checkGenericDecl(const ast::MorphismDecl &decl, LoadedModule &m);
  /// The use site of an instantiation, for diagnostics in its body.
  DiagnosticEngine::UseSite useSite(const Instantiation &inst, llvm::SMRange use);
  /// Reports \p unresolved, inside a generic from another file, in the
  /// user's terms: at the use `resolvingScopes[site]` in the file checked.
  void reportCannotInferInUse(const Term &unresolved, size_t site, ElabContext &ctx);
  bool readPrimitiveAttrs(PrimOp op, const ast::RefExpr &e, PrimAttrs &attrs);
  bool solveProjections(ElabContext &ctx, bool final);
  /// Resolves every node's objects; reports the innermost unresolved one.
  bool resolveTerm(Term &t, ElabContext &ctx);
  /// Checks a whole body against its declared type and resolves it.
  std::unique_ptr<MorphismInstance> checkBody(const std::string &name, llvm::SMLoc loc,
                                              const ast::Expr &body, TypeId dom, TypeId cod,
                                              ElabContext &ctx);
  std::string sourceText(llvm::SMRange range);
  std::string localName(ElabContext &ctx, const std::string &base);

  // --- Train blocks (SemaTrain.cpp) ---
  void checkTrain(const ast::TrainDecl &decl, LoadedModule &m, Program &program);
  /// Target columns that cannot be filled as written: overlapping features,
  /// or `target = features` of another size than the input.
  bool checkTargetColumns(const ast::TrainEntry &dataEntry, const TrainSpec &spec,
                          const MorphismInstance &model);
  void warnActivationTwice(const ast::ExprValue &lossExpr, const Term &loss,
                           const MorphismInstance &model);

  DiagnosticEngine &diags;
  const ModuleSearchPath &search;
  ModuleCache *cache; ///< for imported files, or null
  std::map<std::string, std::unique_ptr<LoadedModule>> modules; // by path
  std::vector<LoadedModule *> loadStack;
  std::map<const ast::ObjectDecl *, std::optional<Obj>> objects;
  std::set<const ast::Decl *> inProgress;
  std::vector<const ast::Decl *> checkStack;
  std::map<const ast::MorphismDecl *, MorphismInstance *> instances;
  std::set<const ast::MorphismDecl *> failed;
  std::map<const ast::MorphismDecl *, bool> genericChecked;
  /// What each Scope term instantiates (keyed by the term).
  std::map<const Term *, Instantiation> instantiations;
  /// The Scope terms resolveTerm is inside, outermost first (one use site
  /// open for each).
  std::vector<const Term *> resolvingScopes;
  /// Built on the first unknown name (stdlibModulesDeclaring).
  std::optional<std::vector<StdlibModule>> stdlibIndex;
  Program *program = nullptr;
};

} // namespace cat

#endif // CATC_SEMA_SEMAIMPL_H
