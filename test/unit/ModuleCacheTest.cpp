//===- ModuleCacheTest.cpp - Imported files parsed once across analyses ---===//
//
// analyzeProgram with a ModuleCache (Sema/Sema.h): an imported file whose
// text is unchanged is parsed once however many programs import it; what
// each analysis reports (locations in the imported file included) is the
// same as without the cache; an edited file is parsed again; a file whose
// parse reports anything is never cached and its errors reach every
// analysis; the stdlib index (the hint for an unknown name) parses through
// the cache too; and a caller's own parse of the main file is used as is.
//
//===----------------------------------------------------------------------===//
#include "Parse/Parser.h"
#include "Sema/Sema.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace cat;

namespace {

class ModuleCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("catc-module-cache", dir));
    search.includeDirs.push_back(dir.str().str());
    search.stdlibDir = (dir + "/no-stdlib").str();
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  void write(llvm::StringRef name, llvm::StringRef text) {
    std::ofstream((dir + "/" + name).str()) << text.str();
  }

  /// One analysis of \p text: what it printed, and whether it checked.
  struct Result {
    std::string printed;
    bool ok = false;
  };
  Result analyze(llvm::StringRef text, ModuleCache *cache) {
    llvm::SourceMgr sourceMgr;
    Result r;
    llvm::raw_string_ostream os(r.printed);
    DiagnosticEngine diags(sourceMgr, os);
    unsigned buffer =
        sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "main.cat"), llvm::SMLoc());
    r.ok = analyzeProgram(buffer, "main.cat", search, diags, cache) != nullptr;
    os.flush();
    return r;
  }

  llvm::SmallString<128> dir;
  ModuleSearchPath search;
};

const char *const kLib = "module lib\n"
                         "object V = R[3]\n"
                         "morphism twice : V -> V = copy ; add\n";

TEST_F(ModuleCacheTest, ImportParsedOnceAndReportedTheSame) {
  write("lib.cat", kLib);
  // The checker reports this imported file's own mistake, at its place.
  write("faulty.cat", "module faulty\nobject W = R[2]\nmorphism bad : W -> W = copy\n");
  const char *mainText = "import lib\nimport faulty\nmorphism four : V -> V = twice ; twice\n";
  Result plain = analyze(mainText, nullptr);
  EXPECT_FALSE(plain.ok);
  EXPECT_NE(plain.printed.find("faulty.cat:3:"), std::string::npos) << plain.printed;

  ModuleCache cache;
  Result first = analyze(mainText, &cache);
  Result second = analyze(mainText, &cache);
  EXPECT_EQ(cache.parseCount(), 2u);
  EXPECT_EQ(first.printed, plain.printed);
  EXPECT_EQ(second.printed, plain.printed);

  const char *good = "import lib\nmorphism four : V -> V = twice ; twice\n";
  EXPECT_TRUE(analyze(good, &cache).ok);
  EXPECT_EQ(cache.parseCount(), 2u);
}

TEST_F(ModuleCacheTest, EditedFileParsedAgain) {
  write("lib.cat", kLib);
  ModuleCache cache;
  const char *mainText = "import lib\nmorphism m : V -> V = fourfold\n";
  Result before = analyze(mainText, &cache);
  EXPECT_FALSE(before.ok);
  EXPECT_NE(before.printed.find("unknown morphism 'fourfold'"), std::string::npos) << before.printed;
  write("lib.cat", std::string(kLib) + "morphism fourfold : V -> V = twice ; twice\n");
  EXPECT_TRUE(analyze(mainText, &cache).ok);
  EXPECT_EQ(cache.parseCount(), 2u);
  // The new text is the cached one now.
  EXPECT_TRUE(analyze("import lib\nmorphism m : V -> V = fourfold ; twice\n", &cache).ok);
  EXPECT_EQ(cache.parseCount(), 2u);
}

TEST_F(ModuleCacheTest, FileWithSyntaxErrorsReportedEveryTime) {
  write("broken.cat", "module broken\nobject V = R[3\n");
  ModuleCache cache;
  const char *mainText = "import broken\n";
  Result plain = analyze(mainText, nullptr);
  Result first = analyze(mainText, &cache);
  Result second = analyze(mainText, &cache);
  EXPECT_FALSE(second.ok);
  EXPECT_NE(plain.printed.find("broken.cat:2:"), std::string::npos) << plain.printed;
  EXPECT_EQ(first.printed, plain.printed);
  EXPECT_EQ(second.printed, plain.printed);
  // Parsed once into the cache (and refused there), then by each analysis.
  EXPECT_EQ(cache.parseCount(), 1u);
}

TEST_F(ModuleCacheTest, StdlibIndexParsesThroughTheCache) {
  llvm::sys::fs::create_directories(search.stdlibDir + "/std");
  std::ofstream(search.stdlibDir + "/std/extra.cat")
      << "module std.extra\nmorphism triple[A] : A -> A = copy ; add\n";
  ModuleCache cache;
  std::vector<StdlibModule> first = indexStdlib(search, &cache);
  std::vector<StdlibModule> second = indexStdlib(search, &cache);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].name, "std.extra");
  EXPECT_TRUE(second[0].decls.count("triple"));
  EXPECT_EQ(cache.parseCount(), 1u);
  // An unknown name's hint reads the same index, and the import the same parse.
  Result hint = analyze("morphism m : R[2] -> R[2] = triple\n", &cache);
  EXPECT_NE(hint.printed.find("std.extra"), std::string::npos) << hint.printed;
  EXPECT_TRUE(analyze("import std.extra\nmorphism m : R[2] -> R[2] = triple\n", &cache).ok);
  EXPECT_EQ(cache.parseCount(), 1u);
}

TEST_F(ModuleCacheTest, CallersParseOfTheMainFile) {
  write("lib.cat", kLib);
  llvm::SourceMgr sourceMgr;
  std::string printed;
  llvm::raw_string_ostream os(printed);
  DiagnosticEngine diags(sourceMgr, os);
  unsigned buffer = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy("import lib\nmorphism four : V -> V = twice ; twice\n", "main.cat"),
      llvm::SMLoc());
  auto file = parseSourceFile(buffer, diags);
  ASSERT_FALSE(diags.hasErrors());
  auto program = analyzeProgram(buffer, "main.cat", search, diags, nullptr, file.get());
  ASSERT_NE(program, nullptr) << printed;
  ASSERT_EQ(program->exported.size(), 1u);
  EXPECT_EQ(program->exported[0]->name, "four");
}

} // namespace
