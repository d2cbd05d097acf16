//===- DiagnosticNumberTest.cpp - Numbers streamed into diagnostics -------===//
//
// A floating-point argument of a diagnostic prints in the shortest form that
// reads back as the same value (fmt's `{}`), and a float as a float: 0.1f is
// `0.1`, not the `0.10000000149011612` of the double it widens to, nor
// printf's `0.100000`. Integers print as they are.
//
//===----------------------------------------------------------------------===//
#include "Basic/Diagnostics.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

using namespace cat;

namespace {

/// The message of err_syntax ("%0") with \p arg as its argument.
template <typename T> std::string messageWith(T arg) {
  llvm::SourceMgr sourceMgr;
  std::string printed;
  llvm::raw_string_ostream os(printed);
  DiagnosticEngine diags(sourceMgr, os);
  diags.setVerifyMode(true);
  diags.report(llvm::SMLoc(), diag::err_syntax) << arg;
  return diags.recorded().at(0).message;
}

TEST(DiagnosticNumber, DoubleIsShortest) {
  EXPECT_EQ(messageWith(0.1), "0.1");
  EXPECT_EQ(messageWith(1.000001), "1.000001");
  EXPECT_EQ(messageWith(0.00012345678), "0.00012345678");
  EXPECT_EQ(messageWith(1e-7), "1e-07");
  EXPECT_EQ(messageWith(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(messageWith(2.0), "2");
  EXPECT_EQ(messageWith(-0.5), "-0.5");
}

TEST(DiagnosticNumber, FloatIsShortestAsFloat) {
  EXPECT_EQ(messageWith(0.1f), "0.1");
  EXPECT_EQ(messageWith(1.0f / 3), "0.33333334");
  EXPECT_EQ(messageWith(16777216.0f), "16777216");
}

TEST(DiagnosticNumber, IntegersAsTheyAre) {
  EXPECT_EQ(messageWith(42), "42");
  EXPECT_EQ(messageWith(int64_t{-7}), "-7");
  EXPECT_EQ(messageWith(uint64_t{18446744073709551615u}), "18446744073709551615");
}

} // namespace
