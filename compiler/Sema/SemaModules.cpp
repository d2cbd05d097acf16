//===- SemaModules.cpp - Modules, imports and name lookup ----------------===//
//
// Loads the main file and, transitively, every import: `import a.b` looks
// for `a/b.cat` in the -I directories and then the standard library;
// `import "f.cat"` is relative to the importing file. Each module gets a
// scope of its own names plus the names of the modules it imports; a name
// declared twice, or imported twice from different declarations, is an
// error naming both places. Declarations are order-independent.
//
//===----------------------------------------------------------------------===//
#include "Parse/Parser.h"
#include "Sema/SemaImpl.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

namespace cat {

using namespace ast;

static std::string moduleNameOf(const SourceFile &file, const std::string &path) {
  if (file.moduleName)
    return file.moduleName->name;
  return llvm::sys::path::stem(path).str();
}

/// A C identifier made from a module name: `std.nn` -> `std_nn`.
static std::string symbolPrefix(const std::string &moduleName) {
  std::string out;
  for (char c : moduleName)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])))
    out = "m_" + out;
  return out;
}

/// The absolute path without `.` and `..`: how loaded modules are keyed.
static std::string canonicalPath(llvm::StringRef path) {
  llvm::SmallString<256> canonical(path);
  llvm::sys::fs::make_absolute(canonical);
  llvm::sys::path::remove_dots(canonical, /*remove_dot_dot=*/true);
  return canonical.str().str();
}

LoadedModule *Sema::loadModule(unsigned buffer, const std::string &path, llvm::SMLoc importLoc,
                               const SourceFile *parsed) {
  std::string key = canonicalPath(path);
  if (auto it = modules.find(key); it != modules.end()) {
    if (it->second->loading) {
      std::string chain;
      for (LoadedModule *m : loadStack)
        chain += m->name + " -> ";
      diags.report(importLoc, diag::err_import_cycle) << chain + it->second->name;
      return nullptr;
    }
    return it->second.get();
  }
  const ModuleCache::File *cached = nullptr;
  if (buffer == 0) {
    auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!file) {
      diags.report(importLoc, diag::err_cannot_open_file) << path << file.getError().message();
      return nullptr;
    }
    // A cached parse of the same text: this SourceMgr gets a buffer over
    // the cache's copy, which the AST's locations point into.
    if (cache)
      cached = cache->parse(key, (*file)->getBuffer());
    if (cached)
      *file = llvm::MemoryBuffer::getMemBuffer(cached->text, path);
    buffer = diags.getSourceMgr().AddNewSourceBuffer(std::move(*file), importLoc);
  }
  auto module = std::make_unique<LoadedModule>();
  LoadedModule *m = module.get();
  modules[key] = std::move(module);
  m->path = key;
  if (cached)
    parsed = cached->ast.get();
  if (!parsed)
    m->ownFile = parseSourceFile(buffer, diags);
  m->file = parsed ? parsed : m->ownFile.get();
  if (!m->file)
    return nullptr;
  m->name = moduleNameOf(*m->file, path);
  m->loading = true;
  loadStack.push_back(m);
  declareNames(*m);
  loadStack.pop_back();
  m->loading = false;
  return m;
}

std::string resolveImport(const ImportDecl &imp, llvm::StringRef fromPath,
                          const ModuleSearchPath &search) {
  if (imp.file) {
    llvm::SmallString<256> p(*imp.file);
    if (!llvm::sys::path::is_absolute(p)) {
      p = llvm::sys::path::parent_path(fromPath);
      llvm::sys::path::append(p, *imp.file);
    }
    return p.str().str();
  }
  std::string rel;
  for (const Ident &part : imp.modulePath)
    rel += (rel.empty() ? "" : "/") + part.name;
  rel += ".cat";
  std::vector<std::string> dirs = search.includeDirs;
  dirs.push_back(search.stdlibDir);
  for (const std::string &dir : dirs) {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, rel);
    if (llvm::sys::fs::exists(p))
      return p.str().str();
  }
  return "";
}

LoadedModule *Sema::loadImport(const ImportDecl &imp, LoadedModule &from) {
  std::string path = resolveImport(imp, from.path, search);
  if (!path.empty())
    return loadModule(0, path, imp.loc());
  std::string dotted, searched;
  for (const Ident &part : imp.modulePath)
    dotted += (dotted.empty() ? "" : ".") + part.name;
  for (const std::string &dir : search.includeDirs)
    searched += (searched.empty() ? "'" : ", '") + dir + "'";
  searched += (searched.empty() ? "'" : ", '") + search.stdlibDir + "'";
  diags.report(imp.loc(), diag::err_module_not_found) << dotted << searched << imp.range;
  return nullptr;
}

static const Ident *declName(const Decl &d) {
  if (auto *o = llvm::dyn_cast<ObjectDecl>(&d))
    return &o->name;
  if (auto *m = llvm::dyn_cast<MorphismDecl>(&d))
    return &m->name;
  return nullptr;
}

void Sema::declareNames(LoadedModule &m) {
  for (const auto &d : m.file->decls) {
    const Ident *name = declName(*d);
    if (!name)
      continue;
    if (llvm::isa<MorphismDecl>(*d) && lookupPrimitive(name->name)) {
      diags.report(name->range.Start, diag::err_redefine_primitive) << name->name;
      continue;
    }
    auto [it, inserted] = m.own.try_emplace(name->name, Symbol{d.get(), &m});
    if (!inserted) {
      diags.report(name->range.Start, diag::err_duplicate_decl) << name->name << name->range;
      diags.report(declName(*it->second.decl)->range.Start, diag::note_previous_decl) << name->name;
    }
  }
  for (const auto &entry : m.own)
    m.visible.try_emplace(entry.getKey(), entry.getValue());
  for (const auto &d : m.file->decls) {
    auto *imp = llvm::dyn_cast<ImportDecl>(d.get());
    if (!imp)
      continue;
    LoadedModule *other = loadImport(*imp, m);
    if (!other)
      continue;
    for (const auto &entry : other->own) {
      auto [it, inserted] = m.visible.try_emplace(entry.getKey(), entry.getValue());
      if (!inserted && it->second.decl != entry.getValue().decl) {
        diags.report(imp->loc(), diag::err_import_clash) << entry.getKey() << other->name << imp->range;
        diags.report(declName(*it->second.decl)->range.Start, diag::note_previous_decl)
            << entry.getKey();
      }
    }
  }
}

const Symbol *Sema::lookup(LoadedModule &m, llvm::StringRef name) {
  auto it = m.visible.find(name);
  return it == m.visible.end() ? nullptr : &it->second;
}

std::string Sema::suggest(LoadedModule &m, llvm::StringRef name, bool objects) {
  std::string best;
  unsigned bestDistance = std::max<unsigned>(2, name.size() / 3) + 1;
  auto consider = [&](llvm::StringRef candidate) {
    unsigned d = name.edit_distance(candidate, true, bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate.str();
    }
  };
  for (const auto &entry : m.visible)
    if (entry.getValue().isObject() == objects)
      consider(entry.getKey());
  if (!objects) {
    for (llvm::StringRef p : primitiveNames())
      consider(p);
    consider("map");
  } else {
    consider("R");
    consider("Fin");
  }
  return best.empty() ? "" : "; did you mean '" + best + "'?";
}

void Sema::reportUnknownName(diag::Kind kind, llvm::SMLoc loc, llvm::SMRange range,
                             llvm::StringRef name, LoadedModule &m, bool objects) {
  // A name declared here as the other kind would clash with the import.
  std::vector<std::string> homes;
  if (!lookup(m, name))
    homes = stdlibModulesDeclaring(m, name, objects);
  diags.report(loc, kind) << name << (homes.empty() ? suggest(m, name, objects) : "") << range;
  for (const std::string &home : homes)
    diags.report(loc, diag::note_defined_in_module) << name << home << range;
}

/// The module name `import` gives the file \p rel of a search directory
/// (`std/nn.cat` -> `std.nn`), or "" when no import can name it.
static std::string importNameOf(llvm::StringRef rel) {
  if (!rel.consume_back(".cat"))
    return "";
  std::string dotted;
  for (llvm::StringRef part : llvm::make_range(llvm::sys::path::begin(rel),
                                               llvm::sys::path::end(rel))) {
    bool identifier = !part.empty() && !std::isdigit(static_cast<unsigned char>(part[0])) &&
                      llvm::all_of(part, [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                      });
    if (!identifier)
      return "";
    if (!dotted.empty())
      dotted += '.';
    dotted += part;
  }
  return dotted;
}

const ModuleCache::File *ModuleCache::parse(const std::string &path, llvm::StringRef text) {
  std::unique_ptr<File> &latest = files[path];
  if (latest && latest->text == text)
    return latest->ast ? latest.get() : nullptr;
  // An older version stays, text and AST: analyses of it may still point
  // into them (one running now, if the file changed since it was loaded).
  if (latest)
    retired.push_back(std::move(latest));
  unsigned buffer =
      sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, path), llvm::SMLoc());
  DiagnosticEngine quiet(sourceMgr, llvm::nulls());
  quiet.setVerifyMode(true);
  ++parsed;
  latest = std::make_unique<File>();
  latest->text = sourceMgr.getMemoryBuffer(buffer)->getBuffer();
  latest->ast = parseSourceFile(buffer, quiet);
  if (!quiet.recorded().empty())
    latest->ast.reset();
  return latest->ast ? latest.get() : nullptr;
}

std::vector<StdlibModule> indexStdlib(const ModuleSearchPath &search, ModuleCache *cache) {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::recursive_directory_iterator it(search.stdlibDir, ec), end;
       it != end && !ec; it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".cat")
      files.push_back(it->path());
  llvm::sort(files);
  std::vector<StdlibModule> index;
  for (const std::string &file : files) {
    llvm::StringRef rel = llvm::StringRef(file).drop_front(search.stdlibDir.size());
    rel = rel.ltrim(llvm::sys::path::get_separator());
    std::string name = importNameOf(rel);
    bool shadowed = llvm::any_of(search.includeDirs, [&](const std::string &dir) {
      llvm::SmallString<256> p(dir);
      llvm::sys::path::append(p, rel);
      return llvm::sys::fs::exists(p);
    });
    auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/true);
    if (name.empty() || shadowed || !buffer)
      continue;
    std::string path = canonicalPath(file);
    const ModuleCache::File *cached = cache ? cache->parse(path, (*buffer)->getBuffer()) : nullptr;
    // Else a scratch engine: this is a hint, and the module's own errors
    // are reported where it is imported, not here.
    llvm::SourceMgr sourceMgr;
    DiagnosticEngine quiet(sourceMgr, llvm::nulls());
    quiet.setVerifyMode(true);
    std::unique_ptr<SourceFile> own;
    if (!cached)
      own = parseSourceFile(sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc()), quiet);
    const SourceFile *parsed = cached ? cached->ast.get() : own.get();
    if (!parsed)
      continue;
    StdlibModule module{name, path, {}};
    for (const auto &d : parsed->decls)
      if (const Ident *declared = declName(*d))
        module.decls.try_emplace(declared->name, llvm::isa<ObjectDecl>(*d));
    index.push_back(std::move(module));
  }
  return index;
}

std::vector<std::string> Sema::stdlibModulesDeclaring(LoadedModule &m, llvm::StringRef name,
                                                      bool objects) {
  if (!stdlibIndex)
    stdlibIndex = indexStdlib(search, cache);
  std::vector<std::string> homes;
  for (const StdlibModule &s : *stdlibIndex) {
    auto it = s.decls.find(name);
    if (it != s.decls.end() && it->second == objects && s.path != m.path)
      homes.push_back(s.name);
  }
  return homes;
}

std::unique_ptr<Program> Sema::run(unsigned mainBuffer, const std::string &mainPath,
                                   const SourceFile *mainFile) {
  auto result = std::make_unique<Program>();
  program = result.get();
  // The engine may carry errors of earlier runs (verify mode checks the
  // chunks of a split file one after another): count only this run's.
  unsigned errorsBefore = diags.errorCount();
  auto failed = [&] { return diags.errorCount() != errorsBefore; };
  LoadedModule *main = loadModule(mainBuffer, mainPath, llvm::SMLoc(), mainFile);
  if (!main || failed())
    return nullptr;
  result->prefix = symbolPrefix(main->name);
  result->mainFile = main->path;
  for (const auto &d : main->file->decls) {
    if (auto *o = llvm::dyn_cast<ObjectDecl>(d.get())) {
      if (auto obj = objectOfDecl(*o, *main))
        result->objectDecls.push_back({o->name.name, obj->str()});
    } else if (auto *md = llvm::dyn_cast<MorphismDecl>(d.get())) {
      std::string generics;
      for (const Ident &g : md->genericParams)
        generics += (generics.empty() ? "[" : ", ") + g.name;
      result->morphismDecls.push_back(
          {md->name.name + (generics.empty() ? "" : generics + "]"),
           sourceText(md->dom->range) + " -> " + sourceText(md->cod->range)});
      const MorphismInstance *inst = instanceOf(*md, *main);
      if (inst && md->genericParams.empty())
        result->exported.push_back(inst);
    }
  }
  // Check the other modules' declarations too, so a broken stdlib or
  // imported file is reported even where the main file does not use it.
  for (auto &entry : modules)
    if (entry.second.get() != main)
      for (const auto &d : entry.second->file->decls)
        if (auto *md = llvm::dyn_cast<MorphismDecl>(d.get()))
          instanceOf(*md, *entry.second);
  for (const auto &d : main->file->decls)
    if (auto *t = llvm::dyn_cast<TrainDecl>(d.get()))
      checkTrain(*t, *main, *result);
  for (const auto &d : main->file->decls)
    if (auto *law = llvm::dyn_cast<LawDecl>(d.get())) {
      TypeContext lawTypes;
      ElabContext lctx(lawTypes, *main);
      auto lhs = elaborate(*law->lhs, lctx);
      if (!lhs)
        continue;
      auto rhs = elaborate(*law->rhs, lctx);
      if (!rhs)
        continue;
      std::string lhsType = arrow(lctx.types, lhs->dom, lhs->cod);
      std::string rhsType = arrow(lctx.types, rhs->dom, rhs->cod);
      if (!lctx.types.unify(lhs->dom, rhs->dom) || !lctx.types.unify(lhs->cod, rhs->cod)) {
        diags.report(law->loc(), diag::err_law_type_mismatch) << law->name.name << lhsType << rhsType;
        continue;
      }
      // Keep both sides, resolved, for the prover (compiler/Laws).
      if (!solveProjections(lctx, true) || !resolveTerm(*lhs, lctx) || !resolveTerm(*rhs, lctx))
        continue;
      auto side = [&](std::unique_ptr<Term> term, const char *label) {
        auto inst = std::make_unique<MorphismInstance>();
        inst->name = law->name.name + "." + label;
        inst->module = main->name;
        inst->loc = law->loc();
        inst->dom = term->domObj;
        inst->cod = term->codObj;
        inst->body = std::move(term);
        return inst;
      };
      LawSpec spec{law->name.name, law->loc(), side(std::move(lhs), "lhs"),
                   side(std::move(rhs), "rhs"), law->tolerance};
      result->laws.push_back(std::move(spec));
    }
  if (failed())
    return nullptr;
  return result;
}

std::unique_ptr<Program> analyzeProgram(unsigned mainBuffer, const std::string &mainPath,
                                        const ModuleSearchPath &search,
                                        DiagnosticEngine &diags, ModuleCache *cache,
                                        const SourceFile *mainFile) {
  Sema sema(diags, search, cache);
  return sema.run(mainBuffer, mainPath, mainFile);
}

} // namespace cat
