//===- DiagnosticCoverageTest.cpp - Every diagnostic has a test -----------===//
//
// Reads the registry compiler/Basic/DiagnosticKinds.def (found relative to
// this file) and checks that each diagnostic is exercised by some test file
// (`.cat` or `.test`, anywhere under test/). The rule: split the message
// template at its placeholders (%0, %1, …); the longest literal fragment,
// when it has at least 8 characters, must occur verbatim in a test file (an
// `expected-error {{…}}` or a FileCheck line quotes it). A template with no
// such fragment (e.g. "%0") cannot be recognised by its text, so a test file
// must name its ID instead, next to the directive that triggers it. The test
// fails listing every untested ID.
//
//===----------------------------------------------------------------------===//
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Diagnostic {
  std::string id;
  std::string message; ///< the template, C escapes undone
};

const fs::path kSourceRoot = fs::path(__FILE__).parent_path().parent_path().parent_path();

std::string readFile(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// `\\` -> `\`, `\"` -> `"`: the string the compiler sees.
std::string unescape(const std::string &literal) {
  std::string out;
  for (size_t i = 0; i < literal.size(); ++i) {
    if (literal[i] == '\\' && i + 1 < literal.size())
      ++i;
    out += literal[i];
  }
  return out;
}

std::vector<Diagnostic> parseRegistry(const std::string &text) {
  static const std::regex line(R"(^DIAG\((\w+),\s*(\w+),\s*\"(.*)\"\)\s*$)");
  std::vector<Diagnostic> out;
  std::istringstream in(text);
  std::string l;
  std::smatch m;
  while (std::getline(in, l))
    if (std::regex_match(l, m, line))
      out.push_back({m[1].str(), unescape(m[3].str())});
  return out;
}

/// The longest literal piece of a template between placeholders.
std::string longestFragment(const std::string &message) {
  static const std::regex placeholder("%[0-9]+");
  std::string best;
  std::sregex_token_iterator it(message.begin(), message.end(), placeholder, -1), end;
  for (; it != end; ++it)
    if (it->str().size() > best.size())
      best = it->str();
  return best;
}

/// Whether the rule of the file comment finds \p d in one of \p tests.
bool isCovered(const Diagnostic &d, const std::vector<std::string> &tests) {
  std::string fragment = longestFragment(d.message);
  std::string needle = fragment.size() >= 8 ? fragment : d.id;
  for (const std::string &text : tests)
    if (text.find(needle) != std::string::npos)
      return true;
  return false;
}

std::vector<std::string> readTests() {
  std::vector<std::string> tests;
  for (const auto &entry : fs::recursive_directory_iterator(kSourceRoot / "test")) {
    std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".cat" || ext == ".test"))
      tests.push_back(readFile(entry.path()));
  }
  return tests;
}

TEST(DiagnosticCoverage, RegistryIsRead) {
  std::vector<Diagnostic> diags =
      parseRegistry(readFile(kSourceRoot / "compiler/Basic/DiagnosticKinds.def"));
  // The registry had 56 entries when this test was written; far fewer means
  // the parser above no longer understands the file.
  EXPECT_GE(diags.size(), 50u);
  for (const Diagnostic &d : diags) {
    if (d.id == "err_bad_escape") {
      EXPECT_EQ(d.message, "unknown escape sequence '\\%0' in string");
    }
  }
}

TEST(DiagnosticCoverage, RuleRejectsAnUntestedMessage) {
  std::vector<std::string> tests = {"// expected-error {{cannot compose 'f' : R -> R}}",
                                    "// covers err_syntax"};
  EXPECT_TRUE(isCovered({"err_compose", "cannot compose '%0' : %1 with '%2'"}, tests));
  EXPECT_FALSE(isCovered({"err_fake", "a message no test ever quotes '%0'"}, tests));
  EXPECT_TRUE(isCovered({"err_syntax", "%0"}, tests));
  EXPECT_FALSE(isCovered({"err_primitive_constraint", "%0"}, tests));
  EXPECT_EQ(longestFragment("cannot open file '%0': %1"), "cannot open file '");
}

TEST(DiagnosticCoverage, EveryDiagnosticHasATest) {
  std::vector<Diagnostic> diags =
      parseRegistry(readFile(kSourceRoot / "compiler/Basic/DiagnosticKinds.def"));
  std::vector<std::string> tests = readTests();
  ASSERT_FALSE(tests.empty()) << "no test files under " << (kSourceRoot / "test");
  std::string untested;
  for (const Diagnostic &d : diags)
    if (!isCovered(d, tests))
      untested += "\n  " + d.id + ": \"" + d.message + "\" (look for \"" +
                  (longestFragment(d.message).size() >= 8 ? longestFragment(d.message) : d.id) +
                  "\")";
  EXPECT_TRUE(untested.empty()) << "diagnostics without a test under test/:" << untested;
}

} // namespace
