//===- ParseTest.cpp - Unit tests of the parser, diagnostics and verify ---===//
//
// Parses strings held in an llvm::SourceMgr and checks the shape of the AST
// (declarations, objects, the order of `∘` compositions, arguments), the
// Unicode aliases, that syntax errors are all collected with readable
// messages at exact locations, that hostile input (deep nesting, binary
// garbage, huge literals) gives diagnostics instead of crashes, the clang
// format of printed diagnostics, and verify mode's matching rules.
//
//===----------------------------------------------------------------------===//
#include "AST/ASTDumper.h"
#include "Parse/Parser.h"

#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using namespace cat;
using namespace cat::ast;

namespace {

/// A SourceMgr, an engine writing into a string, and helpers to parse.
class ParseTest : public ::testing::Test {
protected:
  ParseTest() : os(output), diags(sourceMgr, os) {}

  unsigned addBuffer(llvm::StringRef text, llvm::StringRef name = "test.cat") {
    return sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, name),
                                        llvm::SMLoc());
  }
  std::unique_ptr<SourceFile> parse(llvm::StringRef text) {
    return parseSourceFile(addBuffer(text), diags);
  }
  /// Parses \p text expecting no diagnostics.
  std::unique_ptr<SourceFile> parseClean(llvm::StringRef text) {
    std::unique_ptr<SourceFile> file = parse(text);
    EXPECT_FALSE(diags.hasErrors()) << printed();
    return file;
  }
  std::string printed() {
    os.flush();
    return output;
  }
  std::vector<std::string> messages() {
    std::vector<std::string> out;
    for (const auto &d : diags.recorded())
      out.push_back(d.message);
    return out;
  }
  unsigned lineOf(llvm::SMLoc loc) { return sourceMgr.getLineAndColumn(loc).first; }
  unsigned columnOf(llvm::SMLoc loc) { return sourceMgr.getLineAndColumn(loc).second; }

  template <typename T> T &declAs(SourceFile &file, size_t i) {
    EXPECT_LT(i, file.decls.size());
    return *llvm::cast<T>(file.decls.at(i).get());
  }

  llvm::SourceMgr sourceMgr;
  std::string output;
  llvm::raw_string_ostream os;
  DiagnosticEngine diags;
};

/// The name of a RefExpr, or "" for another kind of expression.
std::string refName(const Expr *e) {
  auto *ref = llvm::dyn_cast_or_null<RefExpr>(e);
  return ref ? ref->name.name : "";
}

//===----------------------------------------------------------------------===//
// AST shape
//===----------------------------------------------------------------------===//

TEST_F(ParseTest, ModuleImportsAndObjects) {
  auto file = parseClean("module a.b\nimport std.nn\nimport \"x/y.cat\"\n"
                         "object F = R[4, 2]\nobject S = Fin[3]\n"
                         "object P = R * (R[2] * Fin[3]) * 1\nobject Q = R[4]^8\n");
  ASSERT_TRUE(file->moduleName);
  EXPECT_EQ(file->moduleName->name, "a.b");
  ASSERT_EQ(file->decls.size(), 6u);
  auto &import = declAs<ImportDecl>(*file, 0);
  ASSERT_EQ(import.modulePath.size(), 2u);
  EXPECT_EQ(import.modulePath[1].name, "nn");
  EXPECT_EQ(*declAs<ImportDecl>(*file, 1).file, "x/y.cat");

  auto *real = llvm::cast<RealObj>(declAs<ObjectDecl>(*file, 2).object.get());
  ASSERT_EQ(real->dims.size(), 2u);
  EXPECT_EQ(real->dims[0].value, 4u);
  EXPECT_EQ(llvm::cast<FinObj>(declAs<ObjectDecl>(*file, 3).object.get())->n.value, 3u);

  auto *product = llvm::cast<ProductObj>(declAs<ObjectDecl>(*file, 4).object.get());
  ASSERT_EQ(product->factors.size(), 3u);
  EXPECT_TRUE(llvm::isa<ProductObj>(product->factors[1].get()));
  EXPECT_TRUE(llvm::isa<UnitObj>(product->factors[2].get()));

  auto *power = llvm::cast<PowerObj>(declAs<ObjectDecl>(*file, 5).object.get());
  EXPECT_EQ(power->exponent.value, 8u);
  EXPECT_TRUE(llvm::isa<RealObj>(power->base.get()));
}

TEST_F(ParseTest, MorphismPrecedenceAndForms) {
  auto file = parseClean("morphism m[A, B] : A * B -> R = f * g ; <h, id[A]> ; "
                         "(k : R -> R) ; pi[2] ; f[R[2], 1](k = -3, 2.5, \"s\", [1, 2], all)");
  auto &m = declAs<MorphismDecl>(*file, 0);
  ASSERT_EQ(m.genericParams.size(), 2u);
  auto *compose = llvm::cast<ComposeExpr>(m.body.get());
  EXPECT_FALSE(compose->writtenWithCirc);
  ASSERT_EQ(compose->parts.size(), 5u);
  EXPECT_EQ(llvm::cast<TensorExpr>(compose->parts[0].get())->parts.size(), 2u);
  auto *pair = llvm::cast<PairExpr>(compose->parts[1].get());
  EXPECT_TRUE(llvm::isa<NameObj>(llvm::cast<IdExpr>(pair->parts[1].get())->object.get()));
  auto *ascribe = llvm::cast<AscribeExpr>(compose->parts[2].get());
  EXPECT_EQ(refName(ascribe->expr.get()), "k");

  auto *pi = llvm::cast<RefExpr>(compose->parts[3].get());
  ASSERT_EQ(pi->genericArgs.size(), 1u);
  EXPECT_EQ(pi->genericArgs[0].integer->value, 2u);

  auto *f = llvm::cast<RefExpr>(compose->parts[4].get());
  EXPECT_TRUE(f->hasGenericArgs && f->hasArgs);
  ASSERT_EQ(f->genericArgs.size(), 2u);
  EXPECT_TRUE(f->genericArgs[0].object != nullptr);
  EXPECT_EQ(f->genericArgs[1].integer->value, 1u); // `1` is stored as an integer
  ASSERT_EQ(f->args.size(), 5u);
  EXPECT_EQ(f->args[0].name->name, "k");
  auto *minus3 = llvm::cast<NumberValue>(f->args[0].value.get());
  EXPECT_EQ(minus3->value, -3.0);
  EXPECT_TRUE(minus3->isInteger);
  EXPECT_FALSE(llvm::cast<NumberValue>(f->args[1].value.get())->isInteger);
  EXPECT_EQ(llvm::cast<StringValue>(f->args[2].value.get())->value, "s");
  EXPECT_EQ(llvm::cast<ListValue>(f->args[3].value.get())->elements.size(), 2u);
  EXPECT_EQ(refName(llvm::cast<ExprValue>(f->args[4].value.get())->expr.get()), "all");
}

TEST_F(ParseTest, TrainAndLaw) {
  auto file = parseClean("train m {\n data = csv(\"i.csv\", target = \"species\")\n"
                         " loss = map(cross_entropy) ; mean\n epochs = 200\n}\n"
                         "law l : (f ; g) ; h == f ; (g ; h) within 1e-5\nlaw k : f == f\n");
  auto &train = declAs<TrainDecl>(*file, 0);
  EXPECT_EQ(train.morphism.name, "m");
  ASSERT_EQ(train.entries.size(), 3u);
  EXPECT_EQ(train.entries[1].key.name, "loss");
  auto *loss = llvm::cast<ExprValue>(train.entries[1].value.get());
  EXPECT_TRUE(llvm::isa<ComposeExpr>(loss->expr.get()));
  auto &law = declAs<LawDecl>(*file, 1);
  ASSERT_TRUE(law.tolerance);
  EXPECT_DOUBLE_EQ(*law.tolerance, 1e-5);
  EXPECT_FALSE(declAs<LawDecl>(*file, 2).tolerance);
}

TEST_F(ParseTest, UnicodeAliasesMeanTheirAsciiForms) {
  auto file = parseClean("morphism m : A × B → B ⊗ A = ⟨snd, fst⟩");
  auto &m = declAs<MorphismDecl>(*file, 0);
  EXPECT_EQ(llvm::cast<ProductObj>(m.dom.get())->factors.size(), 2u);
  EXPECT_EQ(llvm::cast<ProductObj>(m.cod.get())->factors.size(), 2u);
  EXPECT_EQ(llvm::cast<PairExpr>(m.body.get())->parts.size(), 2u);
}

TEST_F(ParseTest, CircCompositionIsStoredInApplicationOrder) {
  auto file = parseClean("morphism m : A -> B = h ∘ g ∘ f");
  auto *compose = llvm::cast<ComposeExpr>(declAs<MorphismDecl>(*file, 0).body.get());
  EXPECT_TRUE(compose->writtenWithCirc);
  ASSERT_EQ(compose->parts.size(), 3u);
  EXPECT_EQ(refName(compose->parts[0].get()), "f");
  EXPECT_EQ(refName(compose->parts[2].get()), "h");
}

TEST_F(ParseTest, LiteralsAreReadExactly) {
  auto file = parseClean("object A = R[18446744073709551615, 99999999999999999999]\n"
                         "train m { data = \"q\\\"b\\\\n\\n\\t\" }");
  auto *real = llvm::cast<RealObj>(declAs<ObjectDecl>(*file, 0).object.get());
  EXPECT_EQ(real->dims[0].value, UINT64_MAX);
  EXPECT_FALSE(real->dims[0].overflowed);
  EXPECT_TRUE(real->dims[1].overflowed);
  auto *s = llvm::cast<StringValue>(declAs<TrainDecl>(*file, 1).entries[0].value.get());
  EXPECT_EQ(s->value, "q\"b\\n\n\t");
}

TEST_F(ParseTest, LocationsAreBytePointers) {
  auto file = parseClean("object A = R\n  morphism m : A → A = ⟨f⟩ ; g");
  auto &m = declAs<MorphismDecl>(*file, 1);
  EXPECT_EQ(lineOf(m.loc()), 2u);
  EXPECT_EQ(columnOf(m.loc()), 3u);
  auto *compose = llvm::cast<ComposeExpr>(m.body.get());
  // `g` follows two 3-byte characters on its line.
  EXPECT_EQ(*compose->parts[1]->loc().getPointer(), 'g');
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST_F(ParseTest, MixingCircAndSemicolonIsAnError) {
  parse("morphism m : A -> B = f ; g ∘ h");
  ASSERT_EQ(diags.recorded().size(), 1u);
  EXPECT_EQ(diags.recorded()[0].kind, diag::err_mixed_compose);
  // Parenthesised, it is fine.
  DiagnosticEngine fresh(sourceMgr, os);
  parseSourceFile(addBuffer("morphism m : A -> B = f ; (g ∘ h)"), fresh);
  EXPECT_FALSE(fresh.hasErrors());
}

TEST_F(ParseTest, AllSyntaxErrorsAreCollected) {
  auto file = parse("morphism f : A B = g\nobject X = R[2\nobject Y = R\n");
  EXPECT_TRUE(file->decls.empty());
  std::vector<std::string> got = messages();
  ASSERT_GE(got.size(), 2u) << printed();
  EXPECT_EQ(got[0], "expected '->' after domain object");
  EXPECT_EQ(lineOf(diags.recorded()[0].loc), 1u);
  EXPECT_EQ(columnOf(diags.recorded()[0].loc), 15u); // just after `A`
  EXPECT_EQ(lineOf(diags.recorded()[1].loc), 2u);
  EXPECT_NE(got[1].find("expected ',' or ']'"), std::string::npos) << got[1];
}

TEST_F(ParseTest, MessagesAreReadable) {
  parse("morphism f : A -> B = ");
  ASSERT_EQ(messages().size(), 1u);
  EXPECT_EQ(messages()[0], "expected a morphism expression at end of file");
  for (const std::string &m : messages())
    EXPECT_EQ(m.find("<EOF>"), std::string::npos);
}

TEST_F(ParseTest, LexicalErrors) {
  // A lexical error does not hide the errors after it.
  auto file = parse("object A = R @\ntrain t { d = \"a\\qb\" }");
  EXPECT_TRUE(file->decls.empty());
  ASSERT_EQ(diags.recorded().size(), 2u);
  EXPECT_EQ(diags.recorded()[0].kind, diag::err_invalid_character);
  EXPECT_EQ(diags.recorded()[0].message, "invalid character '@' in source");
  EXPECT_EQ(diags.recorded()[1].kind, diag::err_bad_escape);
  EXPECT_EQ(diags.recorded().back().message, "unknown escape sequence '\\q' in string");
  parse("object A = R /* never closed");
  EXPECT_EQ(diags.recorded().back().kind, diag::err_unterminated_comment);
  parse("import \"never closed\n");
  EXPECT_EQ(diags.recorded().back().kind, diag::err_unterminated_string);
}

TEST_F(ParseTest, DeepNestingIsRefusedQuickly) {
  for (const char *open : {"(", "<", "⟨"}) {
    std::string text = "morphism f : A -> B = ";
    for (int i = 0; i < 20000; ++i)
      text += open;
    DiagnosticEngine fresh(sourceMgr, os);
    parseSourceFile(addBuffer(text), fresh);
    ASSERT_EQ(fresh.recorded().size(), 1u);
    EXPECT_EQ(fresh.recorded()[0].kind, diag::err_nesting_too_deep);
  }
  // Nesting within the limit parses.
  std::string ok = "morphism f : A -> B = " + std::string(200, '(') + "g" + std::string(200, ')');
  parseClean(ok);
}

TEST_F(ParseTest, GarbageGivesDiagnosticsNotCrashes) {
  std::string garbage;
  uint32_t state = 12345;
  for (int i = 0; i < 200000; ++i) {
    state = state * 1103515245 + 12345;
    garbage += static_cast<char>(state >> 24);
  }
  garbage += std::string("\0\xff\xfe\xc0\x80", 5);
  auto file = parse(garbage);
  EXPECT_TRUE(diags.hasErrors());
  EXPECT_TRUE(file->decls.empty());
  EXPECT_LE(diags.recorded().size(), 60u); // the parser stops after a limit
}

TEST_F(ParseTest, ManyDeclarationsParse) {
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "object O" + std::to_string(i) + " = R[3] * Fin[2]\nmorphism m" +
            std::to_string(i) + " : R -> R = f ; <g, h> * id\n";
  auto file = parseClean(text);
  EXPECT_EQ(file->decls.size(), 40000u);
}

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

TEST_F(ParseTest, PrintsClangStyle) {
  parse("object A = R\nmorphism f : A B = g\n");
  EXPECT_EQ(printed(), "test.cat:2:15: error: expected '->' after domain object\n"
                       "morphism f : A B = g\n"
                       "              ^\n");
}

TEST_F(ParseTest, PrintsCaretUnderUnicodeLines) {
  parse("morphism f : A → B = g ; h ∘ k");
  EXPECT_EQ(printed(), "test.cat:1:30: error: '∘' and ';' mixed in one expression; "
                       "add parentheses\n"
                       "morphism f : A → B = g ; h ∘ k\n"
                       "                           ^\n");
}

TEST_F(ParseTest, NoLocationAndFormatting) {
  diags.report(llvm::SMLoc(), diag::err_cannot_open_file) << "x.cat" << "no such file";
  EXPECT_EQ(printed(), "catc: error: cannot open file 'x.cat': no such file\n");
  EXPECT_EQ(formatDiagnostic("%1 then %0", {"a", "b"}), "b then a");
}

TEST_F(ParseTest, ErrorLimit) {
  diags.setErrorLimit(2);
  parse("object = \nobject = \nobject = \nobject = \n");
  EXPECT_EQ(diags.recorded().size(), 2u);
  EXPECT_NE(printed().find("too many errors emitted"), std::string::npos);
}

TEST_F(ParseTest, DumpsAST) {
  auto file = parseClean("object A = R[2]\nmorphism m : A -> A = g ∘ f");
  std::string dump;
  llvm::raw_string_ostream dumpOs(dump);
  dumpAST(*file, sourceMgr, dumpOs);
  EXPECT_EQ(dumpOs.str(), "SourceFile\n"
                          "  ObjectDecl <1:1> A\n"
                          "    RealObj <1:12> [2]\n"
                          "  MorphismDecl <2:1> m\n"
                          "    dom: NameObj <2:14> A\n"
                          "    cod: NameObj <2:19> A\n"
                          "    body: ComposeExpr <2:23> written-with-circ\n"
                          "      RefExpr <2:29> f\n"
                          "      RefExpr <2:23> g\n");
}

//===----------------------------------------------------------------------===//
// Use sites: errors inside another file's definition, reported at the use
//===----------------------------------------------------------------------===//

/// A user's file and a library it includes (as an import does), with the
/// use of `g` and `h` in the user's file and their bodies in the library.
class UseSiteTest : public ParseTest {
protected:
  UseSiteTest() {
    user = addBuffer("morphism m : A -> A = g ; x\n", "user.cat");
    const char *userText = sourceMgr.getMemoryBuffer(user)->getBufferStart();
    lib = sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy("morphism g : A -> A = h ; y\n"
                                             "morphism h : A -> A = z\n",
                                             "lib.cat"),
        llvm::SMLoc::getFromPointer(userText));
    libText = sourceMgr.getMemoryBuffer(lib)->getBufferStart();
    useOfG = {at(userText, 22), at(userText, 23)};
    useOfH = {at(libText, 22), at(libText, 23)};
  }
  static llvm::SMLoc at(const char *text, size_t offset) {
    return llvm::SMLoc::getFromPointer(text + offset);
  }
  DiagnosticEngine::UseSite site(llvm::SMRange use, const char *name) {
    return {use, diag::note_in_definition, {name, "lib"}};
  }
  unsigned bufferOf(llvm::SMLoc loc) { return sourceMgr.FindBufferContainingLoc(loc); }

  unsigned user = 0, lib = 0;
  const char *libText = nullptr;
  llvm::SMRange useOfG, useOfH;
};

TEST_F(UseSiteTest, ErrorInTheDefinitionIsReportedAtTheUse) {
  diags.pushUseSite(site(useOfG, "g"));
  llvm::SMLoc y = at(libText, 26);
  diags.report(y, diag::err_syntax) << "bad y" << llvm::SMRange(y, at(libText, 27));
  diags.popUseSite();
  EXPECT_EQ(printed(), "user.cat:1:23: error: bad y\n"
                       "morphism m : A -> A = g ; x\n"
                       "                      ^\n"
                       "lib.cat:1:27: note: in the definition of 'g' (module 'lib')\n"
                       "morphism g : A -> A = h ; y\n"
                       "                          ^\n");
  ASSERT_EQ(diags.recorded().size(), 2u);
  EXPECT_EQ(bufferOf(diags.recorded()[0].loc), user);
  EXPECT_EQ(diags.recorded()[1].kind, diag::note_in_definition);
}

TEST_F(UseSiteTest, NestedSitesGiveANoteForEachDefinition) {
  diags.pushUseSite(site(useOfG, "g"));
  diags.pushUseSite(site(useOfH, "h"));
  diags.report(at(libText, 50), diag::err_syntax) << "bad z";
  diags.popUseSite();
  diags.popUseSite();
  ASSERT_EQ(messages(), (std::vector<std::string>{"bad z", "in the definition of 'g' (module 'lib')",
                                                  "in the definition of 'h' (module 'lib')"}));
  EXPECT_EQ(bufferOf(diags.recorded()[0].loc), user);
  EXPECT_EQ(diags.recorded()[1].loc.getPointer(), useOfH.Start.getPointer());
  EXPECT_EQ(diags.recorded()[2].loc.getPointer(), libText + 50);
}

TEST_F(UseSiteTest, ErrorsInTheUsersFileAndNotesStayWhereTheyAre) {
  diags.pushUseSite(site(useOfG, "g"));
  const char *userText = sourceMgr.getMemoryBuffer(user)->getBufferStart();
  diags.report(at(userText, 26), diag::err_syntax) << "bad x";
  diags.report(at(libText, 26), diag::note_previous_decl) << "y";
  EXPECT_EQ(diags.relocationSite(at(userText, 0)), -1);
  EXPECT_EQ(diags.relocationSite(at(libText, 0)), 0);
  diags.popUseSite();
  EXPECT_EQ(diags.relocationSite(at(libText, 0)), -1);
  ASSERT_EQ(diags.recorded().size(), 2u);
  EXPECT_EQ(bufferOf(diags.recorded()[0].loc), user);
  EXPECT_EQ(bufferOf(diags.recorded()[1].loc), lib);
  // A note is printed without the "Included from" of its file.
  EXPECT_EQ(printed().find("Included from"), std::string::npos) << printed();
}

//===----------------------------------------------------------------------===//
// Verify mode
//===----------------------------------------------------------------------===//

TEST_F(ParseTest, VerifyMatchesExpectedDiagnostics) {
  diags.setVerifyMode(true);
  parse("// expected-error@+1 {{expected '->' after domain object}}\n"
        "morphism f : A B = g\n"
        "object X = R[2 // expected-error {{expected ',' or ']'}}\n"
        "object Y = R\n");
  EXPECT_TRUE(diags.finishVerify()) << printed();
  EXPECT_EQ(printed(), "");
}

TEST_F(ParseTest, VerifyReportsMismatchesBothWays) {
  diags.setVerifyMode(true);
  parse("morphism f : A -> B = g ; h ∘ k\n"
        "// expected-error@-1 {{nonsense}}\n");
  EXPECT_FALSE(diags.finishVerify());
  std::string out = printed();
  EXPECT_NE(out.find("error: 'expected-error' diagnostics expected but not seen:\n"
                     "  File test.cat Line 1: nonsense"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("error: 'expected-error' diagnostics seen but not expected:\n"
                     "  File test.cat Line 1: '∘' and ';' mixed"),
            std::string::npos)
      << out;
}

TEST_F(ParseTest, VerifyIsPerBufferAndCountsMatches) {
  diags.setVerifyMode(true);
  // Two buffers, as the driver makes of a file split at `// -----`.
  parseSourceFile(addBuffer("object A = R\n// expected-no-diagnostics\n", "a.cat"), diags);
  parseSourceFile(addBuffer("object = \nobject = \n"
                            "// expected-error@1 {{expected a name}}\n"
                            "// expected-error@1 {{expected an object}}\n"
                            "// expected-error@-3 2 {{}}\n",
                            "b.cat"),
                  diags);
  EXPECT_TRUE(diags.finishVerify()) << printed();
}

TEST_F(ParseTest, VerifyMatchesInOtherFilesByName) {
  diags.setVerifyMode(true);
  parseSourceFile(addBuffer("object A = R\n"
                            "// expected-error@lib/b.cat:2 {{expected a name}}\n"
                            "// expected-error@b.cat:* {{expected an object}}\n",
                            "a.cat"),
                  diags);
  parseSourceFile(addBuffer("object B = R\nobject = \n", "/x/lib/b.cat"), diags);
  EXPECT_TRUE(diags.finishVerify()) << printed();
}

TEST_F(ParseTest, VerifyFileNamesNeedWholeComponents) {
  diags.setVerifyMode(true);
  parseSourceFile(addBuffer("// expected-error@b.cat:1 {{expected a name}}\n"
                            "// expected-error@b.cat:+1 {{relative}}\n",
                            "a.cat"),
                  diags);
  parseSourceFile(addBuffer("object = R\n", "/x/lib-b.cat"), diags);
  EXPECT_FALSE(diags.finishVerify());
  std::string out = printed();
  EXPECT_NE(out.find("bad line number after '@'"), std::string::npos) << out;
  EXPECT_NE(out.find("expected but not seen:\n  File b.cat Line 1: expected a name"),
            std::string::npos)
      << out;
}

TEST_F(ParseTest, VerifyNeedsDirectives) {
  diags.setVerifyMode(true);
  parse("object A = R\n");
  EXPECT_FALSE(diags.finishVerify());
  EXPECT_NE(printed().find("no expected directives found"), std::string::npos);
}

} // namespace
