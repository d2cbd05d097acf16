//===- MathTest.cpp - Accuracy and special values of the mathf.h functions -===//
//
// Each vectorisable function of compiler/CodeGen/kernels/mathf.h is compared
// with double-precision libm over every 97th float bit pattern (both signs,
// all exponents, subnormals, infinities and NaNs), over every float of the
// ranges where its reduction or its branches change, and on special values;
// the maximum error in ulps of the correctly rounded result must stay within
// the bound documented in mathf.h. Kernels using the functions are checked
// against them element by element, so the vectorised loops compute the same
// bits as the scalar definition.
//
//===----------------------------------------------------------------------===//
#include "catk.h"
#include "mathf.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <vector>

namespace {

float fromBits(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

uint32_t toBits(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

/// Error of `y` in units of the last place of the float nearest `ref`
/// (subnormal ulp below FLT_MIN). Wrong class (NaN, infinity, overflow
/// where the reference is finite) counts as an infinite error.
double ulpError(float y, double ref) {
  if (std::isnan(ref))
    return std::isnan(y) ? 0.0 : INFINITY;
  float rounded = static_cast<float>(ref);
  if (std::isinf(rounded))
    return std::isinf(y) && std::signbit(y) == std::signbit(rounded) ? 0.0 : INFINITY;
  if (!std::isfinite(y))
    return INFINITY;
  int exponent = ref == 0.0 ? -126 : std::max(std::ilogb(ref), -126);
  return std::fabs(static_cast<double>(y) - ref) / std::ldexp(1.0, exponent - 23);
}

struct Worst {
  double ulps = 0;
  float at = 0;
  void note(float x, float y, double ref) {
    double e = ulpError(y, ref);
    if (!(e <= ulps)) { // also takes NaN errors, which never happen
      ulps = e;
      at = x;
    }
  }
};

/// Maximum error of f against ref over every `stride`-th bit pattern and
/// every float in [lo, hi] (for dense checks where the function changes).
template <typename F, typename R>
Worst sweep(F f, R ref, uint32_t stride, std::vector<std::pair<float, float>> dense = {}) {
  Worst worst;
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += stride) {
    float x = fromBits(static_cast<uint32_t>(bits));
    worst.note(x, f(x), ref(static_cast<double>(x)));
  }
  for (auto [lo, hi] : dense)
    for (float x = lo; x <= hi; x = std::nextafter(x, INFINITY))
      worst.note(x, f(x), ref(static_cast<double>(x)));
  return worst;
}

#define EXPECT_WITHIN_ULPS(worst, bound)                                                          \
  EXPECT_LE((worst).ulps, bound) << "worst at " << (worst).at << " (bits 0x" << std::hex           \
                                 << toBits((worst).at) << ")"

constexpr uint32_t Stride = 97;

TEST(MathAccuracy, Exp) {
  // Dense: the overflow edge, arguments whose result is subnormal, and
  // around ln2/2, where the reduction moves to the next k.
  Worst worst = sweep([](float x) { return catk_expf(x); }, [](double x) { return std::exp(x); },
                      Stride, {{88.0f, 89.0f}, {-104.5f, -86.5f}, {0.3f, 0.4f}});
  EXPECT_WITHIN_ULPS(worst, 1.5);
}

TEST(MathAccuracy, Log) {
  // Dense: around 1, where log(1+f) is most sensitive, and subnormals.
  Worst worst = sweep([](float x) { return catk_logf(x); }, [](double x) { return std::log(x); },
                      Stride, {{0.5f, 2.0f}, {0.0f, 1e-39f}});
  EXPECT_WITHIN_ULPS(worst, 1.0);
}

TEST(MathAccuracy, Log1p) {
  Worst worst = sweep([](float x) { return catk_log1pf(x); }, [](double x) { return std::log1p(x); },
                      Stride, {{-1.0f, -0.99f}, {-1e-3f, -1e-4f}, {1e-4f, 1e-3f}, {0.25f, 1.0f}});
  EXPECT_WITHIN_ULPS(worst, 2.0);
}

TEST(MathAccuracy, Tanh) {
  // Dense: across the switch from the polynomial to the exp form at 0.55.
  Worst worst = sweep([](float x) { return catk_tanhf(x); }, [](double x) { return std::tanh(x); },
                      Stride, {{-0.6f, -0.5f}, {0.5f, 0.6f}, {8.5f, 9.5f}});
  EXPECT_WITHIN_ULPS(worst, 2.0);
}

TEST(MathAccuracy, Erf) {
  // Dense: across the switch at 1 and the saturation near 4.
  Worst worst = sweep([](float x) { return catk_erff(x); }, [](double x) { return std::erf(x); },
                      Stride, {{-1.1f, -0.9f}, {0.9f, 1.1f}, {3.5f, 4.5f}});
  EXPECT_WITHIN_ULPS(worst, 2.0);
}

TEST(MathAccuracy, OneMinusExp) {
  // Adam's bias corrections 1 - beta^t = 1 - e^(t ln beta): x <= 0 only,
  // where the result must keep its relative accuracy as it nears 0 (dense:
  // tiny arguments, and across -ln2/2, where the method changes).
  Worst worst;
  auto note = [&](float x) { worst.note(x, catk_one_minus_expf(x), -std::expm1(static_cast<double>(x))); };
  for (uint64_t bits = 0x80000000u; bits <= 0xff800000u; bits += Stride)
    note(fromBits(static_cast<uint32_t>(bits)));
  for (float x = -0.36f; x <= -0.33f; x = std::nextafter(x, INFINITY))
    note(x);
  for (float x = -1e-3f; x <= -1e-4f; x = std::nextafter(x, INFINITY))
    note(x);
  EXPECT_WITHIN_ULPS(worst, 2.0);
  EXPECT_EQ(catk_one_minus_expf(-INFINITY), 1.0f);
}

TEST(MathSpecialValues, Exp) {
  EXPECT_EQ(catk_expf(0.0f), 1.0f);
  EXPECT_EQ(catk_expf(-0.0f), 1.0f);
  EXPECT_EQ(catk_expf(INFINITY), INFINITY);
  EXPECT_EQ(catk_expf(-INFINITY), 0.0f);
  EXPECT_TRUE(std::isnan(catk_expf(NAN)));
  // The largest argument with a finite result, and the next float up.
  float edge = 0x1.62e42ep6f;
  EXPECT_EQ(catk_expf(edge), std::exp(edge));
  EXPECT_TRUE(std::isfinite(catk_expf(edge)));
  EXPECT_EQ(catk_expf(std::nextafter(edge, INFINITY)), INFINITY);
  EXPECT_EQ(catk_expf(1000.0f), INFINITY);
  EXPECT_EQ(catk_expf(-1000.0f), 0.0f);
  // exp(-103.972) is the smallest subnormal; a little below rounds to 0.
  EXPECT_EQ(catk_expf(-0x1.9fe368p6f), 0x1p-149f);
  EXPECT_EQ(catk_expf(-104.0f), 0.0f);
}

TEST(MathSpecialValues, Log) {
  EXPECT_EQ(catk_logf(1.0f), 0.0f);
  EXPECT_FALSE(std::signbit(catk_logf(1.0f)));
  EXPECT_EQ(catk_logf(0.0f), -INFINITY);
  EXPECT_EQ(catk_logf(-0.0f), -INFINITY);
  EXPECT_EQ(catk_logf(INFINITY), INFINITY);
  EXPECT_TRUE(std::isnan(catk_logf(-1.0f)));
  EXPECT_TRUE(std::isnan(catk_logf(-INFINITY)));
  EXPECT_TRUE(std::isnan(catk_logf(NAN)));
  EXPECT_NEAR(catk_logf(FLT_MAX), std::log(FLT_MAX), 1e-5);
  EXPECT_NEAR(catk_logf(0x1p-149f), -103.2789299f, 1e-5);
  EXPECT_EQ(catk_log1pf(0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(catk_log1pf(-0.0f)));
  EXPECT_EQ(catk_log1pf(-1.0f), -INFINITY);
  EXPECT_EQ(catk_log1pf(INFINITY), INFINITY);
  EXPECT_TRUE(std::isnan(catk_log1pf(-2.0f)));
  EXPECT_TRUE(std::isnan(catk_log1pf(NAN)));
  EXPECT_EQ(catk_log1pf(1e-30f), 1e-30f);
}

TEST(MathSpecialValues, TanhAndErf) {
  for (auto f : {+[](float x) { return catk_tanhf(x); }, +[](float x) { return catk_erff(x); }}) {
    EXPECT_EQ(f(0.0f), 0.0f);
    EXPECT_TRUE(std::signbit(f(-0.0f)));
    EXPECT_EQ(f(INFINITY), 1.0f);
    EXPECT_EQ(f(-INFINITY), -1.0f);
    EXPECT_EQ(f(100.0f), 1.0f);
    EXPECT_EQ(f(-100.0f), -1.0f);
    EXPECT_TRUE(std::isnan(f(NAN)));
  }
  EXPECT_EQ(catk_tanhf(1e-20f), 1e-20f);
  EXPECT_EQ(catk_tanhf(-0x1p-149f), -0x1p-149f);
  EXPECT_NEAR(catk_erff(1e-20f), 1.1283791670955126e-20, 1e-27);
}

/// Sample arguments for the kernel checks: wide range, both signs, zero.
std::vector<float> sampleArguments() {
  std::vector<float> x;
  for (int i = -400; i <= 400; ++i)
    x.push_back(0.05f * static_cast<float>(i) + 0.001f * static_cast<float>(i % 7));
  x.push_back(0.0f);
  x.push_back(-0.0f);
  return x;
}

TEST(MathKernels, PointwiseKernelsMatchTheScalarFunctions) {
  std::vector<float> x = sampleArguments(), y(x.size()), positive(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    positive[i] = std::fabs(x[i]) + 1e-3f;
  auto count = static_cast<int64_t>(x.size());
  cat_k_exp_fwd(x.data(), y.data(), count);
  for (size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(toBits(y[i]), toBits(catk_expf(x[i]))) << x[i];
  cat_k_log_fwd(positive.data(), y.data(), count);
  for (size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(toBits(y[i]), toBits(catk_logf(positive[i]))) << positive[i];
  cat_k_tanh_fwd(x.data(), y.data(), count);
  for (size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(toBits(y[i]), toBits(catk_tanhf(x[i]))) << x[i];
}

TEST(MathKernels, ActivationsStayAccurate) {
  // sigmoid, gelu and their gradients against double formulas: the new
  // exp/erf must not cost the kernels more than a few float roundings.
  std::vector<float> x = sampleArguments(), y(x.size()), dy(x.size(), 1.0f), dx(x.size());
  auto count = static_cast<int64_t>(x.size());
  cat_k_sigmoid_fwd(x.data(), y.data(), count);
  for (size_t i = 0; i < x.size(); ++i) {
    double ref = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
    EXPECT_LE(ulpError(y[i], ref), 3.0) << "sigmoid " << x[i];
  }
  cat_k_gelu_fwd(x.data(), y.data(), count);
  cat_k_gelu_bwd(x.data(), y.data(), dy.data(), dx.data(), count);
  for (size_t i = 0; i < x.size(); ++i) {
    double v = x[i], cdf = 0.5 * std::erfc(-v / std::sqrt(2.0));
    double pdf = std::exp(-0.5 * v * v) / std::sqrt(2.0 * std::numbers::pi);
    // Absolute tolerance: 1 + erf(x) cancels for negative x in float, with
    // libm's erff as with this one.
    EXPECT_NEAR(y[i], v * cdf, 2e-7 * (1.0 + std::fabs(v))) << "gelu " << x[i];
    EXPECT_NEAR(dx[i], cdf + v * pdf, 4e-7 * (1.0 + std::fabs(v))) << "gelu' " << x[i];
  }
}

TEST(MathKernels, SoftmaxFamilyAgainstDouble) {
  // Rows of 3 (tail only) and 37 (lanes and tail) elements go through the
  // losses' stack buffer, 45 rows of 3 across two blocks of it; rows of 200
  // take the unbuffered path.
  for (auto [rows, k] : {std::pair<int64_t, int64_t>{5, 3}, {45, 3}, {5, 37}, {3, 200}}) {
    std::vector<float> x(rows * k), y(rows * k), logy(rows * k), loss(rows), dz(rows * k);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = 0.37f * static_cast<float>((i * 7919) % 23) - 4.0f;
    std::vector<int32_t> t(rows, 1);
    std::vector<float> dloss(rows, 1.0f);
    cat_k_softmax_fwd(x.data(), y.data(), rows, k);
    cat_k_log_softmax_fwd(x.data(), logy.data(), rows, k);
    cat_k_cross_entropy_fwd(x.data(), t.data(), loss.data(), rows, k);
    cat_k_cross_entropy_bwd(x.data(), t.data(), dloss.data(), dz.data(), rows, k);
    for (int64_t r = 0; r < rows; ++r) {
      double sum = 0, max = -INFINITY;
      for (int64_t l = 0; l < k; ++l)
        max = std::max(max, static_cast<double>(x[r * k + l]));
      for (int64_t l = 0; l < k; ++l)
        sum += std::exp(x[r * k + l] - max);
      double lse = max + std::log(sum);
      for (int64_t l = 0; l < k; ++l) {
        double ref = x[r * k + l] - lse;
        EXPECT_NEAR(logy[r * k + l], ref, 1e-6 * (1.0 + std::fabs(ref)));
        // x - max rounds to within 4e-7 here, which exp turns into relative error.
        EXPECT_NEAR(y[r * k + l], std::exp(ref), 1e-6 * std::exp(ref));
        double grad = std::exp(ref) - (l == 1 ? 1.0 : 0.0);
        EXPECT_NEAR(dz[r * k + l], grad, 1e-6 * std::exp(ref) + 1e-7);
      }
      EXPECT_NEAR(loss[r], lse - x[r * k + 1], 1e-6 * (1.0 + std::fabs(lse)));
    }
  }
}

TEST(MathKernels, BceAgainstDouble) {
  // Rows of 1 and 4 elements (buffered) and of 150 (unbuffered).
  for (auto [rows, k] : {std::pair<int64_t, int64_t>{200, 1}, {7, 4}, {2, 150}}) {
    std::vector<float> z(rows * k), y(rows * k), loss(rows);
    for (size_t i = 0; i < z.size(); ++i) {
      z[i] = 0.61f * static_cast<float>((i * 104729) % 41) - 12.0f;
      y[i] = static_cast<float>(i % 5) / 4.0f;
    }
    cat_k_bce_fwd(z.data(), y.data(), loss.data(), rows, k);
    for (int64_t r = 0; r < rows; ++r) {
      double sum = 0;
      for (int64_t l = 0; l < k; ++l) {
        double v = z[r * k + l], target = y[r * k + l];
        sum += std::max(v, 0.0) - v * target + std::log1p(std::exp(-std::fabs(v)));
      }
      EXPECT_NEAR(loss[r], sum / static_cast<double>(k), 1e-6 * (1.0 + sum / static_cast<double>(k)));
    }
  }
}

} // namespace
