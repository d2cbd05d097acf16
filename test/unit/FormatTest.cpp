//===- FormatTest.cpp - Unit tests of the formatter and lexTokens ---------===//
//
// compiler/Format on small strings: the spacing and alignment rules, train
// blocks, comments, idempotence, that only whitespace changes, that text
// with syntax errors is refused through the diagnostics, that hostile input
// never crashes formatText; and Parse/Tokens.h's comments and byte ranges.
//
//===----------------------------------------------------------------------===//
#include "Format/Format.h"
#include "Parse/Tokens.h"

#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using namespace cat;

namespace {

std::string fmt(llvm::StringRef text) { return format::formatText(text); }

/// The text without any whitespace.
std::string squeezed(llvm::StringRef text) {
  std::string out;
  for (char c : text)
    if (!isspace(static_cast<unsigned char>(c)))
      out += c;
  return out;
}

TEST(FormatTest, Spacing) {
  EXPECT_EQ(fmt("morphism f:R[2]->R[2]=relu;<id,neg>;add\n"),
            "morphism f : R[2] -> R[2] = relu ; <id, neg> ; add\n");
  EXPECT_EQ(fmt("object P=(R[2]*Fin[3])^4\n"), "object P = (R[2] * Fin[3])^4\n");
  EXPECT_EQ(fmt("module  a . b\nimport std . nn\n"), "module a.b\nimport std.nn\n");
  EXPECT_EQ(fmt("morphism f : R -> R = scale( - 0.5 ) ; dense [ R , R ]\n"),
            "morphism f : R -> R = scale(-0.5) ; dense[R, R]\n");
}

TEST(FormatTest, Alignment) {
  EXPECT_EQ(fmt("object A = R[1]\nobject Long = R[2]\n\nobject B = R[3]\n"),
            "object A    = R[1]\nobject Long = R[2]\n\nobject B = R[3]\n");
  // Generic morphisms are not aligned, and break the run.
  EXPECT_EQ(fmt("morphism f : R -> R = id\nmorphism gg[A] : A -> A = id\nmorphism hhh : R -> R = id\n"),
            "morphism f : R -> R = id\nmorphism gg[A] : A -> A = id\nmorphism hhh : R -> R = id\n");
  EXPECT_EQ(fmt("morphism f : R -> R = id\nmorphism hhh : R -> R = id\n"),
            "morphism f   : R -> R = id\nmorphism hhh : R -> R = id\n");
}

TEST(FormatTest, TrainBlock) {
  EXPECT_EQ(fmt("train m\n{ loss = mse epochs=3\n\n}\n"),
            "train m {\n  loss   = mse\n  epochs = 3\n}\n");
  EXPECT_EQ(fmt("train m {  }\n"), "train m {}\n");
}

TEST(FormatTest, Comments) {
  // End-of-line comments keep their column when there is room.
  EXPECT_EQ(fmt("object A = R[1]      // a\nobject B=R[2]// b\n"),
            "object A = R[1]      // a\nobject B = R[2] // b\n");
  // Trailing blanks of a line comment go; a comment line is indented like
  // the code after it; the code after a line comment stays on the next line.
  EXPECT_EQ(fmt("train m {\n// k   \nloss = mse }\n"), "train m {\n  // k\n  loss = mse\n}\n");
  // A declaration starts its line, even after a block comment.
  EXPECT_EQ(fmt("/* a\n   b */ object A = R[1]\n"), "/* a\n   b */\nobject A = R[1]\n");
}

TEST(FormatTest, ContinuationLines) {
  EXPECT_EQ(fmt("morphism f : R -> R =\nrelu ;\n      tanh\n"), "morphism f : R -> R =\n  relu ;\n  tanh\n");
  EXPECT_EQ(fmt("morphism f : R -> R * R = <relu,\ntanh>\n"),
            "morphism f : R -> R * R = < relu,\n                            tanh >\n");
}

TEST(FormatTest, BlankLinesAndEnd) {
  EXPECT_EQ(fmt("\n\n\nobject A = R[1]\n\n\n\nobject B = R[1]\n\n\n"),
            "object A = R[1]\n\nobject B = R[1]\n");
  EXPECT_EQ(fmt("object A = R[1]"), "object A = R[1]\n");
  EXPECT_EQ(fmt("object A = R[1]\r\n"), "object A = R[1]\n");
  EXPECT_EQ(fmt(""), "");
  EXPECT_EQ(fmt(" \n\t\n"), "");
}

TEST(FormatTest, IdempotentAndWhitespaceOnly) {
  const char *inputs[] = {
      "module m import std.nn object A=R[4] morphism f:A->A=dense;relu train f{loss=mse}",
      "morphism f : R -> R * R =\n  <\n    relu, // one\n    tanh\n  >\n",
      "law l : neg ; neg == id within 1e-5 law k:id==id",
      "morphism f : R[2] → R[2] = ⟨fst, snd⟩ ∘ (neg × exp) /* x */",
  };
  for (const char *input : inputs) {
    std::string once = fmt(input);
    EXPECT_EQ(fmt(once), once) << input;
    EXPECT_EQ(squeezed(once), squeezed(input)) << input;
  }
}

TEST(FormatTest, RefusesSyntaxErrors) {
  llvm::SourceMgr sourceMgr;
  std::string printed;
  llvm::raw_string_ostream os(printed);
  DiagnosticEngine diags(sourceMgr, os);
  unsigned bad = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy("object A = \n", "bad.cat"), llvm::SMLoc());
  EXPECT_FALSE(format::formatBuffer(bad, diags));
  EXPECT_NE(printed.find("bad.cat:1:11: error:"), std::string::npos) << printed;
  unsigned good = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy("object A=R\n", "good.cat"), llvm::SMLoc());
  DiagnosticEngine fresh(sourceMgr, os);
  EXPECT_EQ(format::formatBuffer(good, fresh), std::optional<std::string>("object A = R\n"));
}

TEST(FormatTest, HostileInputDoesNotCrash) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i)
    garbage += static_cast<char>((i * 7919) % 256);
  fmt(garbage);
  fmt(std::string(300, '<') + std::string(300, '>'));
  fmt("}}}}]])))>>>> train { { {");
  fmt("/* unterminated");
  fmt("\"unterminated");
}

TEST(TokensTest, CommentsAndRanges) {
  llvm::StringRef text = "object A = R // c\n/* d */ é";
  std::vector<Token> tokens = lexTokens(text);
  ASSERT_EQ(tokens.size(), 7u);
  EXPECT_EQ(tokens[0].kind, TokenKind::Object);
  EXPECT_EQ(tokens[4].kind, TokenKind::LineComment);
  EXPECT_EQ(tokens[4].text(text), "// c");
  EXPECT_EQ(tokens[5].kind, TokenKind::BlockComment);
  EXPECT_EQ(tokens[6].kind, TokenKind::Error);
  EXPECT_EQ(tokens[6].text(text), "é"); // both bytes of the character
}

} // namespace
