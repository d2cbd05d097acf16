//===- ScannerTest.cpp - The hand-written lexer against ANTLR's -----------===//
//
// compiler/Parse/Scanner.cpp replaces the lexer ANTLR generates from
// grammar/Cat.g4; the generated one is still built (the parser's token
// types come from it) and is the reference here: on every .cat file of the
// repository, on edge cases of each rule and on random text made of the
// pieces those rules turn on, both must give the same tokens, with the same
// type, channel, code point range, line and column, and the Scanner's byte
// range must be where SourceText puts those code points.
//
//===----------------------------------------------------------------------===//
#include "Parse/ParseSupport.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace cat;
using namespace cat::parse;

namespace {

/// Describes token by token where the Scanner and ANTLR's lexer disagree on
/// \p text; empty when they agree.
std::string compareLexers(const std::string &text) {
  SourceText reference(text);
  catgrammar::CatLexer antlrLexer(&reference);
  antlrLexer.removeErrorListeners();
  Scanner scanner(text);
  std::ostringstream out;
  for (size_t i = 0;; ++i) {
    std::unique_ptr<antlr4::Token> want = antlrLexer.nextToken();
    Lexeme got = scanner.next();
    auto field = [&](const char *name, size_t a, size_t b) {
      if (a != b)
        out << "token " << i << " (" << want->getText() << "): " << name << " " << b << ", ANTLR "
            << a << "\n";
    };
    field("type", want->getType(), got.type);
    field("channel", want->getChannel(), got.channel);
    field("start", want->getStartIndex(), got.start);
    field("stop", want->getStopIndex(), got.stop);
    field("line", want->getLine(), got.line);
    field("column", want->getCharPositionInLine(), got.column);
    field("begin byte", static_cast<size_t>(reference.startOf(want.get()).getPointer() - text.data()),
          got.begin);
    field("end byte", static_cast<size_t>(reference.endOf(want.get()).getPointer() - text.data()),
          got.end);
    if (!out.str().empty() || want->getType() == antlr4::Token::EOF || i > 100000)
      return out.str();
  }
}

TEST(ScannerTest, EdgeCasesOfEachRule) {
  const char *const cases[] = {
      "", " ", "\t\f\r\n", ("\xEF\xBB\xBF" "module"), "/", "//", "// c\r\nx", "a//b", "/*", "/*/",
      "/**/", "/***/", "/* * / */ x", "/* a */ */", "/*\n*\n", "/* **", "\"", "\"abc", "\"a\\",
      "\"a\\\nb\"", "\"a\\\"b\"", "\"\\\\\"", "\"\xFF\"", "\"a\rb\"", "1", "1.", "1.5", "1..2",
      "1.5.3", "1e", "1e+", "1e+5", "1E-", "1.5e-3x", "1.5E3", "12ab", "0x1F", "R", "Rx", "R2",
      "id", "ids", "Fin", "Finn", "law", "train", "module", "import", "object", "morphism",
      "morphisms", "_", "_x9", "->", "-", "-->", "- >", "==", "===", "=", "\xE2\x86\x92",
      "\xC3\x97\xE2\x8A\x97\xE2\x9F\xA8\xE2\x9F\xA9\xE2\x88\x98", "\xFF\xFE", "\xC3\x28",
      "\xE2\x86", "\xF0\x9F\x98\x80", "\xED\xA0\x80", "\xC0\xAF", "@#$%&!?~`|+'", "\x01\x7F",
      "a\nb\n\nc", "{[(<>)]};:,.^*",
  };
  for (const char *text : cases)
    EXPECT_EQ(compareLexers(text), "") << "on \"" << text << "\"";
}

TEST(ScannerTest, RepositoryFiles) {
  unsigned files = 0;
  for (const char *dir : {"examples", "stdlib", "test"})
    for (const auto &entry :
         std::filesystem::recursive_directory_iterator(std::string(CATC_SOURCE_DIR) + "/" + dir)) {
      if (entry.path().extension() != ".cat")
        continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_EQ(compareLexers(text), "") << "in " << entry.path();
      ++files;
    }
  EXPECT_GT(files, 50u);
}

// Every file of the directory CATC_SCANNER_CORPUS names, when set: a fuzzer's
// corpus (build-fuzz/fuzz/frontend/corpus) is a good one.
TEST(ScannerTest, CorpusFromEnvironment) {
  const char *dir = std::getenv("CATC_SCANNER_CORPUS");
  if (!dir)
    GTEST_SKIP() << "CATC_SCANNER_CORPUS is not set";
  for (const auto &entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(compareLexers(text), "") << "in " << entry.path();
  }
}

TEST(ScannerTest, RandomText) {
  // The pieces each lexer rule turns on, and a few bytes that are no UTF-8.
  const char *const pieces[] = {
      " ", "\n", "\r", "\t", "\f", "/", "*", "\"", "\\", ".", "e", "E", "+", "-", ">", "<", "=",
      "0", "7", "a", "R", "id", "Fin", "law", "module", "_", "x1", ":", ";", "(", ")", "[", "]",
      "{", "}", "^", ",", "@", "\xE2\x86\x92", "\xC3\x97", "\xE2\x8A\x97", "\xE2\x9F\xA8",
      "\xE2\x9F\xA9", "\xE2\x88\x98", "\xEF\xBB\xBF", "\xFF", "\xE2\x86", "\xC3", "\xF0\x9F\x98\x80",
      "\xCE\xBB"};
  std::mt19937 rng(20261201);
  std::uniform_int_distribution<size_t> piece(0, std::size(pieces) - 1), length(0, 40);
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    for (size_t i = length(rng); i > 0; --i)
      text += pieces[piece(rng)];
    std::string mismatch = compareLexers(text);
    ASSERT_EQ(mismatch, "") << "on \"" << text << "\"";
  }
}

} // namespace
