// demo_gtest.cpp - a GoogleTest program with known outcomes: one pass, one
// failure, one GTEST_SKIP and one disabled test (lit leaves disabled ones out).
#include <gtest/gtest.h>

TEST(Demo, Passes) { EXPECT_EQ(2 + 2, 4); }
TEST(Demo, Fails) { EXPECT_EQ(2 + 2, 5); }
TEST(Demo, Skips) { GTEST_SKIP() << "skipped on purpose"; }
TEST(Demo, DISABLED_Off) { FAIL(); }
