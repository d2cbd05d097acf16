//===- KernelTest.cpp - Gradient, value and optimizer tests of catk.c -----===//
//
// Every backward kernel is checked against central finite differences of its
// forward kernel: for a random output weighting w, the scalar
// L(x) = <w, f(x)> is differentiated numerically (in double, over the float
// kernel) and compared with the analytic gradient R[f](x, w). Forward
// kernels are pinned to hand-computed numbers, adjoint pairs (reduce and
// broadcast, transpose, concat and split) to <f x, y> == <x, f* y>, and the
// optimizers to hand-computed trajectories of PyTorch's update rules. The
// dense products are compared, in every GEMM tile family, with a double-
// precision reference on shapes around the tile edges, with guard zones
// around outputs and NaN in the scratch.
//
//===----------------------------------------------------------------------===//
#include "catk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using Vec = std::vector<float>;

/// Uniform random values in [lo, hi) from a fixed seed, so failures repeat.
Vec randomVec(size_t size, float lo, float hi, uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Vec values(size);
  for (float &v : values)
    v = dist(engine);
  return values;
}

/// <w, y> in double; entries with zero weight are skipped so that masked
/// outputs (-inf) do not turn the sum into NaN.
double weightedSum(const Vec &w, const Vec &y) {
  double sum = 0;
  for (size_t i = 0; i < y.size(); ++i)
    if (w[i] != 0.0f)
      sum += double(w[i]) * double(y[i]);
  return sum;
}

/// Central-difference gradient of `loss` with respect to `x`, which `loss`
/// reads by reference. The step actually taken is measured after rounding
/// to float, so the quotient is exact up to the loss's own rounding.
std::vector<double> numericGradient(Vec &x, const std::function<double()> &loss) {
  std::vector<double> grad(x.size());
  for (size_t e = 0; e < x.size(); ++e) {
    float saved = x[e];
    float step = 1e-3f * std::max(1.0f, std::fabs(saved));
    x[e] = saved + step;
    float up = x[e];
    double lossUp = loss();
    x[e] = saved - step;
    float down = x[e];
    double lossDown = loss();
    x[e] = saved;
    grad[e] = (lossUp - lossDown) / (double(up) - double(down));
  }
  return grad;
}

/// Asserts |analytic - numeric| <= 1e-2 * |numeric| + 1e-3 element-wise.
void expectGradientsMatch(const Vec &analytic, const std::vector<double> &numeric,
                          const char *what) {
  ASSERT_EQ(analytic.size(), numeric.size()) << what;
  for (size_t e = 0; e < numeric.size(); ++e)
    EXPECT_NEAR(analytic[e], numeric[e], 1e-2 * std::fabs(numeric[e]) + 1e-3)
        << what << " element " << e;
}

/// FD check of a pointwise kernel pair on inputs drawn from [lo, hi).
using UnaryFwd = void (*)(const float *, float *, int64_t);
using UnaryBwd = void (*)(const float *, const float *, const float *, float *, int64_t);
void checkUnary(UnaryFwd forward, UnaryBwd backward, float lo, float hi, const char *what) {
  const int64_t count = 3 * 4;
  Vec x = randomVec(count, lo, hi, 1), w = randomVec(count, -1, 1, 2);
  Vec y(count), dx(count);
  forward(x.data(), y.data(), count);
  backward(x.data(), y.data(), w.data(), dx.data(), count);
  auto loss = [&] {
    Vec out(count);
    forward(x.data(), out.data(), count);
    return weightedSum(w, out);
  };
  expectGradientsMatch(dx, numericGradient(x, loss), what);
}

TEST(KernelGradient, Pointwise) {
  checkUnary(cat_k_exp_fwd, cat_k_exp_bwd, -2, 2, "exp");
  checkUnary(cat_k_log_fwd, cat_k_log_bwd, 0.5f, 3, "log");
  checkUnary(cat_k_sqrt_fwd, cat_k_sqrt_bwd, 0.5f, 3, "sqrt");
  checkUnary(cat_k_square_fwd, cat_k_square_bwd, -2, 2, "square");
  checkUnary(cat_k_sigmoid_fwd, cat_k_sigmoid_bwd, -4, 4, "sigmoid");
  checkUnary(cat_k_tanh_fwd, cat_k_tanh_bwd, -2, 2, "tanh");
  checkUnary(cat_k_gelu_fwd, cat_k_gelu_bwd, -3, 3, "gelu");
  // relu: inputs kept away from the kink at 0 where FD is meaningless.
  checkUnary(cat_k_relu_fwd, cat_k_relu_bwd, 0.1f, 2, "relu positive");
  checkUnary(cat_k_relu_fwd, cat_k_relu_bwd, -2, -0.1f, "relu negative");
}

TEST(KernelGradient, NegAndScaleAreLinear) {
  // Their reverse is the same map applied to dy; checked as an adjoint.
  Vec x = randomVec(6, -1, 1, 3), y(6);
  cat_k_neg_fwd(x.data(), y.data(), 6);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], -x[i]);
  cat_k_scale_fwd(x.data(), y.data(), 6, 2.5f);
  for (int i = 0; i < 6; ++i)
    EXPECT_FLOAT_EQ(y[i], 2.5f * x[i]);
}

/// FD check of a binary pointwise pair with respect to both operands.
using BinaryFwd = void (*)(const float *, const float *, float *, int64_t);
using BinaryBwd = void (*)(const float *, const float *, const float *, float *, float *, int64_t);
void checkBinary(BinaryFwd forward, BinaryBwd backward, const char *what) {
  const int64_t count = 10;
  Vec a = randomVec(count, 0.5f, 2, 4), b = randomVec(count, 0.5f, 2, 5);
  Vec w = randomVec(count, -1, 1, 6), da(count), db(count);
  backward(a.data(), b.data(), w.data(), da.data(), db.data(), count);
  auto loss = [&] {
    Vec out(count);
    forward(a.data(), b.data(), out.data(), count);
    return weightedSum(w, out);
  };
  expectGradientsMatch(da, numericGradient(a, loss), what);
  expectGradientsMatch(db, numericGradient(b, loss), what);
  // A NULL gradient pointer is skipped.
  backward(a.data(), b.data(), w.data(), nullptr, db.data(), count);
  backward(a.data(), b.data(), w.data(), da.data(), nullptr, count);
}

TEST(KernelGradient, Binary) {
  checkBinary(cat_k_mul_fwd, cat_k_mul_bwd, "mul");
  checkBinary(cat_k_div_fwd, cat_k_div_bwd, "div");
  Vec a = {1, 2}, b = {0.5f, 4}, c(2);
  cat_k_add_fwd(a.data(), b.data(), c.data(), 2);
  EXPECT_EQ(c, (Vec{1.5f, 6}));
  cat_k_sub_fwd(a.data(), b.data(), c.data(), 2);
  EXPECT_EQ(c, (Vec{0.5f, -2}));
}

/// Every GEMM tile family (CATK_TILE_SCALAR .. CATK_TILE_V512); all must be
/// correct on any CPU, since their vector types are generic.
const int kTiles[] = {CATK_TILE_SCALAR, CATK_TILE_V128, CATK_TILE_V256, CATK_TILE_V512};

TEST(KernelGradient, Linear) {
  const int64_t n = 3, m = 4, k = 5;
  Vec W = randomVec(m * k, -1, 1, 7), x = randomVec(n * k, -1, 1, 8);
  Vec w = randomVec(n * m, -1, 1, 9);
  for (int tile : kTiles) {
    Vec scratch(CATK_LINEAR_FWD_SCRATCH(m, k, tile) + 1);
    auto loss = [&] {
      Vec y(n * m);
      cat_k_linear_fwd(W.data(), nullptr, x.data(), y.data(), n, m, k, CATK_ACT_NONE, scratch.data(), tile);
      return weightedSum(w, y);
    };
    // dW accumulates: start it from a known offset and subtract it again.
    Vec dW(m * k, 0.25f), dx(n * k);
    cat_k_linear_bwd(W.data(), x.data(), w.data(), dW.data(), dx.data(), n, m, k, nullptr, tile, 1, nullptr);
    for (float &v : dW)
      v -= 0.25f;
    expectGradientsMatch(dx, numericGradient(x, loss), "linear dx");
    expectGradientsMatch(dW, numericGradient(W, loss), "linear dW");
    Vec dW2(m * k, 0.0f);
    cat_k_linear_bwd(W.data(), x.data(), w.data(), dW2.data(), nullptr, n, m, k, nullptr, tile, 1, nullptr);
    for (int64_t e = 0; e < m * k; ++e)
      EXPECT_NEAR(dW2[e], dW[e], 1e-6f); // dW lost bits to the 0.25 offset
  }
}

TEST(KernelGradient, WriteModeEqualsAddingIntoZeros) {
  // accumulate 0 writes the parameter gradients over whatever the buffer
  // held: the very bits of adding into a cleared buffer (a training step
  // relies on it), for every tile family and for batches of 1 (the
  // one-lane family's own copy) and past a block of the summed index, also
  // where A^T's rows are far apart (m >= 1024: the packed schedule).
  const int64_t k = 7;
  for (auto [m, n] : {std::pair<int64_t, int64_t>{5, 1}, {5, 3}, {5, 300}, {1030, 3}, {1030, 300}}) {
    Vec W = randomVec(m * k, -1, 1, 21), x = randomVec(n * k, -1, 1, 22);
    Vec dy = randomVec(n * m, -1, 1, 23);
    for (int tile : kTiles) {
      Vec added(m * k, 0.0f), written(m * k, 1e30f), scratch(CATK_LINEAR_BWD_SCRATCH(m, k, tile) + 1);
      cat_k_linear_bwd(W.data(), x.data(), dy.data(), added.data(), nullptr, n, m, k, scratch.data(), tile, 1,
                       nullptr);
      cat_k_linear_bwd(W.data(), x.data(), dy.data(), written.data(), nullptr, n, m, k, scratch.data(), tile, 0,
                       nullptr);
      EXPECT_EQ(written, added) << "linear dW, m " << m << ", n " << n << ", tile " << tile;
    }
    Vec addedB(m, 0.0f), writtenB(m, 1e30f);
    cat_k_sum_batch_acc(dy.data(), addedB.data(), n, m, 1, nullptr);
    cat_k_sum_batch_acc(dy.data(), writtenB.data(), n, m, 0, nullptr);
    EXPECT_EQ(writtenB, addedB) << "bias, m " << m << ", n " << n;
    Vec g = randomVec(m, 0.5f, 1.5f, 24), xs = randomVec(n * m, -1, 1, 25);
    Vec addedG(m, 0.0f), addedD(m, 0.0f), writtenG(m, 1e30f), writtenD(m, 1e30f);
    cat_k_layernorm_bwd(g.data(), xs.data(), dy.data(), addedG.data(), addedD.data(), nullptr, n, m, 1);
    cat_k_layernorm_bwd(g.data(), xs.data(), dy.data(), writtenG.data(), writtenD.data(), nullptr, n, m,
                        0);
    EXPECT_EQ(writtenG, addedG) << "layernorm gain, n " << n;
    EXPECT_EQ(writtenD, addedD) << "layernorm bias, n " << n;
  }
  Vec cleared(9, 1e30f), kept(9, 2.0f);
  cat_k_zero_unless(cleared.data(), 9, 0);
  cat_k_zero_unless(kept.data(), 9, 1);
  EXPECT_EQ(cleared, Vec(9, 0.0f));
  EXPECT_EQ(kept, Vec(9, 2.0f));
}

TEST(KernelUpdate, InKernelEqualsSeparateStep) {
  // The SGD update applied by the gradient's kernel (a training step without
  // decay or clipping) gives the very bits of writing the gradient and then
  // running cat_k_sgd over it: at step 1 (the buffer starts as the
  // gradient) and later, with momentum and without, for every tile family,
  // odd widths (the partial vectors), batches of 1 and past a block of the
  // summed index, and a gradient that lies inside a larger buffer; also
  // where A^T's rows are far apart (m >= 1024: the packed schedule).
  const int64_t k = 21, at = 3; // the tensor starts 3 floats into the buffers
  for (float momentum : {0.9f, 0.0f}) {
    for (auto [m, n] : {std::pair<int64_t, int64_t>{5, 1}, {5, 3}, {5, 300}, {1030, 300}}) {
      Vec W = randomVec(m * k, -1, 1, 31), x = randomVec(n * k, -1, 1, 32);
      Vec dy = randomVec(n * m, -1, 1, 33);
      for (uint32_t step : {1u, 2u}) {
        for (int tile : kTiles) {
          Vec params = randomVec(at + m * k, -1, 1, 34), velocity = randomVec(at + m * k, -1, 1, 35);
          Vec grad(at + m * k, 1e30f), dx(n * k), dxFused(n * k);
          Vec paramsFused = params, velocityFused = velocity, gradFused(at + m * k, 1e30f);
          std::copy(W.begin(), W.end(), params.begin() + at);
          std::copy(W.begin(), W.end(), paramsFused.begin() + at);
          Vec scratch(CATK_LINEAR_BWD_SCRATCH(m, k, tile) + 1);
          cat_k_linear_bwd(params.data() + at, x.data(), dy.data(), grad.data() + at, dx.data(), n, m, k,
                           scratch.data(), tile, 0, nullptr);
          cat_k_sgd(params.data() + at, grad.data() + at, velocity.data() + at, m * k, 0.1f, momentum, 0.0f, step);
          cat_k_sgd_step update = {gradFused.data(), paramsFused.data(), velocityFused.data(), 0.1f, momentum, step};
          cat_k_linear_bwd(paramsFused.data() + at, x.data(), dy.data(), gradFused.data() + at, dxFused.data(), n,
                           m, k, scratch.data(), tile, 0, &update);
          EXPECT_EQ(paramsFused, params) << "linear, m " << m << ", n " << n << ", step " << step << ", tile " << tile
                                         << ", momentum " << momentum;
          EXPECT_EQ(velocityFused, velocity) << "linear, n " << n << ", step " << step << ", tile " << tile;
          EXPECT_EQ(dxFused, dx) << "linear dx reads W before the update, n " << n << ", tile " << tile;
        }
        Vec params = randomVec(at + m, -1, 1, 36), velocity = randomVec(at + m, -1, 1, 37);
        Vec paramsFused = params, velocityFused = velocity, grad(at + m, 1e30f), gradFused(at + m, 1e30f);
        cat_k_sum_batch_acc(dy.data(), grad.data() + at, n, m, 0, nullptr);
        cat_k_sgd(params.data() + at, grad.data() + at, velocity.data() + at, m, 0.1f, momentum, 0.0f, step);
        cat_k_sgd_step update = {gradFused.data(), paramsFused.data(), velocityFused.data(), 0.1f, momentum, step};
        cat_k_sum_batch_acc(dy.data(), gradFused.data() + at, n, m, 0, &update);
        EXPECT_EQ(paramsFused, params) << "bias, n " << n << ", step " << step;
        EXPECT_EQ(velocityFused, velocity) << "bias, n " << n << ", step " << step;
      }
    }
  }
}

TEST(KernelValue, Linear) {
  // W = [[1, 2], [3, 4], [5, 6]], x = [1, -1] -> [-1, -1, -1]; bias
  // [1, 2, -20] and relu on top.
  Vec W = {1, 2, 3, 4, 5, 6}, x = {1, -1, 0.5f, 2}, b = {1, 2, -20}, y(6);
  for (int tile : kTiles) {
    Vec scratch(CATK_LINEAR_FWD_SCRATCH(3, 2, tile) + 1);
    cat_k_linear_fwd(W.data(), nullptr, x.data(), y.data(), 2, 3, 2, CATK_ACT_NONE, scratch.data(), tile);
    EXPECT_EQ(y, (Vec{-1, -1, -1, 4.5f, 9.5f, 14.5f})) << "tile " << tile;
    cat_k_linear_fwd(W.data(), b.data(), x.data(), y.data(), 2, 3, 2, CATK_ACT_RELU, scratch.data(), tile);
    EXPECT_EQ(y, (Vec{0, 1, 0, 5.5f, 11.5f, 0})) << "tile " << tile;
  }
}

TEST(KernelGradient, BiasAndParam) {
  const int64_t n = 3, m = 4;
  Vec b = randomVec(m, -1, 1, 10), x = randomVec(n * m, -1, 1, 11);
  Vec w = randomVec(n * m, -1, 1, 12);
  auto biasLoss = [&] {
    Vec y(n * m);
    cat_k_bias_fwd(b.data(), x.data(), y.data(), n, m);
    return weightedSum(w, y);
  };
  Vec db(m, 0.0f);
  cat_k_sum_batch_acc(w.data(), db.data(), n, m, 1, nullptr);
  expectGradientsMatch(db, numericGradient(b, biasLoss), "bias db");
  // bias passes dy straight through to x: dx = dy.
  expectGradientsMatch(w, numericGradient(x, biasLoss), "bias dx");

  auto paramLoss = [&] {
    Vec y(n * m);
    cat_k_param_fwd(b.data(), y.data(), n, m);
    return weightedSum(w, y);
  };
  Vec dP(m, 0.0f);
  cat_k_sum_batch_acc(w.data(), dP.data(), n, m, 1, nullptr);
  expectGradientsMatch(dP, numericGradient(b, paramLoss), "param dP");
}

TEST(KernelGradient, Embed) {
  const int64_t V = 4, d = 3, count = 5;
  std::vector<int32_t> idx = {2, 0, 2, 3, 2}; // repeats must accumulate
  Vec E = randomVec(V * d, -1, 1, 13), w = randomVec(count * d, -1, 1, 14);
  auto loss = [&] {
    Vec y(count * d);
    cat_k_embed_fwd(E.data(), idx.data(), y.data(), count, V, d);
    return weightedSum(w, y);
  };
  Vec dE(V * d, 0.0f);
  cat_k_embed_bwd(idx.data(), w.data(), dE.data(), count, V, d);
  expectGradientsMatch(dE, numericGradient(E, loss), "embed dE");
  for (int64_t l = 0; l < d; ++l)
    EXPECT_EQ(dE[1 * d + l], 0.0f) << "unused row 1 has no gradient";
}

TEST(KernelValue, EmbedClampsIndices) {
  Vec E = {1, 2, 3, 4, 5, 6}, y(6); // V = 3, d = 2
  std::vector<int32_t> idx = {-7, 1, 99};
  cat_k_embed_fwd(E.data(), idx.data(), y.data(), 3, 3, 2);
  EXPECT_EQ(y, (Vec{1, 2, 3, 4, 5, 6}));
}

TEST(KernelGradient, Layernorm) {
  const int64_t rows = 3, k = 5;
  Vec g = randomVec(k, 0.5f, 1.5f, 15), b = randomVec(k, -1, 1, 16);
  Vec x = randomVec(rows * k, -2, 2, 17), w = randomVec(rows * k, -1, 1, 18);
  auto loss = [&] {
    Vec y(rows * k);
    cat_k_layernorm_fwd(g.data(), b.data(), x.data(), y.data(), rows, k);
    return weightedSum(w, y);
  };
  Vec dg(k, 0.0f), db(k, 0.0f), dx(rows * k);
  cat_k_layernorm_bwd(g.data(), x.data(), w.data(), dg.data(), db.data(), dx.data(), rows, k, 1);
  expectGradientsMatch(dx, numericGradient(x, loss), "layernorm dx");
  expectGradientsMatch(dg, numericGradient(g, loss), "layernorm dg");
  expectGradientsMatch(db, numericGradient(b, loss), "layernorm db");
}

TEST(KernelValue, Layernorm) {
  // mean 2.5, biased variance 1.25: (x - 2.5) / sqrt(1.25 + 1e-5).
  Vec g = {1, 1, 1, 1}, b = {0, 0, 0, 0}, x = {1, 2, 3, 4}, y(4);
  cat_k_layernorm_fwd(g.data(), b.data(), x.data(), y.data(), 1, 4);
  const float expected[] = {-1.3416355f, -0.4472118f, 0.4472118f, 1.3416355f};
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(y[i], expected[i], 1e-6f);
  Vec g2 = {2, 2, 2, 2}, b2 = {1, 1, 1, 1};
  cat_k_layernorm_fwd(g2.data(), b2.data(), x.data(), y.data(), 1, 4);
  EXPECT_NEAR(y[0], 2 * expected[0] + 1, 1e-6f);
}

TEST(KernelAdjoint, ReduceBroadcast) {
  const int64_t n = 2, len = 3, inner = 4;
  for (float scale : {1.0f, 1.0f / 3}) {
    Vec x = randomVec(n * inner, -1, 1, 19), y = randomVec(n * len * inner, -1, 1, 20);
    Vec bx(n * len * inner), ry(n * inner);
    cat_k_broadcast_fwd(x.data(), bx.data(), n, len, inner, scale);
    cat_k_reduce_fwd(y.data(), ry.data(), n, len, inner, scale);
    EXPECT_NEAR(weightedSum(bx, y), weightedSum(x, ry), 1e-5);
  }
  // mean over len of rows [1..4], [5..8], [9..12] is [5, 6, 7, 8].
  Vec rows(12), mean(4);
  for (int i = 0; i < 12; ++i)
    rows[i] = float(i + 1);
  cat_k_reduce_fwd(rows.data(), mean.data(), 1, 3, 4, 1.0f / 3);
  for (int i = 0; i < 4; ++i)
    EXPECT_FLOAT_EQ(mean[i], float(5 + i));
}

TEST(KernelGradient, Dot) {
  const int64_t n = 3, k = 4;
  Vec a = randomVec(n * k, -1, 1, 21), b = randomVec(n * k, -1, 1, 22);
  Vec w = randomVec(n, -1, 1, 23), da(n * k), db(n * k);
  auto loss = [&] {
    Vec y(n);
    cat_k_dot_fwd(a.data(), b.data(), y.data(), n, k);
    return weightedSum(w, y);
  };
  cat_k_dot_bwd(a.data(), b.data(), w.data(), da.data(), db.data(), n, k);
  expectGradientsMatch(da, numericGradient(a, loss), "dot da");
  expectGradientsMatch(db, numericGradient(b, loss), "dot db");
}

TEST(KernelGradient, Matmul) {
  const int64_t n = 2, m = 3, k = 4, p = 2;
  Vec A = randomVec(n * m * k, -1, 1, 24), B = randomVec(n * k * p, -1, 1, 25);
  Vec w = randomVec(n * m * p, -1, 1, 26), dA(n * m * k), dB(n * k * p);
  for (int tile : kTiles) {
    auto loss = [&] {
      Vec C(n * m * p);
      cat_k_matmul_fwd(A.data(), B.data(), C.data(), n, m, k, p, tile);
      return weightedSum(w, C);
    };
    Vec scratch(CATK_MATMUL_BWD_SCRATCH(k, p, tile) + 1);
    cat_k_matmul_bwd(A.data(), B.data(), w.data(), dA.data(), dB.data(), n, m, k, p, scratch.data(), tile);
    expectGradientsMatch(dA, numericGradient(A, loss), "matmul dA");
    expectGradientsMatch(dB, numericGradient(B, loss), "matmul dB");
  }
}

TEST(KernelValue, Matmul) {
  Vec A = {1, 2, 3, 4}, B = {5, 6, 7, 8}, C(4);
  for (int tile : kTiles) {
    cat_k_matmul_fwd(A.data(), B.data(), C.data(), 1, 2, 2, 2, tile);
    EXPECT_EQ(C, (Vec{19, 22, 43, 50})) << "tile " << tile;
  }
}

TEST(KernelAdjoint, TransposeConcatSplit) {
  const int64_t n = 2, r = 3, c = 4;
  Vec x = randomVec(n * r * c, -1, 1, 27), y = randomVec(n * r * c, -1, 1, 28);
  Vec tx(n * r * c), ty(n * r * c), back(n * r * c);
  cat_k_transpose(x.data(), tx.data(), n, r, c);
  cat_k_transpose(y.data(), ty.data(), n, c, r); // the reverse: transpose back
  EXPECT_NEAR(weightedSum(tx, y), weightedSum(x, ty), 1e-5);
  cat_k_transpose(tx.data(), back.data(), n, c, r);
  EXPECT_EQ(back, x);
  Vec small = {1, 2, 3, 4, 5, 6}, smallT(6);
  cat_k_transpose(small.data(), smallT.data(), 1, 2, 3);
  EXPECT_EQ(smallT, (Vec{1, 4, 2, 5, 3, 6}));

  const int64_t na = 2, nb = 3;
  Vec a = randomVec(n * na, -1, 1, 29), b = randomVec(n * nb, -1, 1, 30);
  Vec joined(n * (na + nb)), dy = randomVec(n * (na + nb), -1, 1, 31);
  Vec da(n * na), db(n * nb);
  cat_k_concat_fwd(a.data(), b.data(), joined.data(), n, na, nb);
  cat_k_split(dy.data(), da.data(), db.data(), n, na, nb);
  EXPECT_NEAR(weightedSum(joined, dy), weightedSum(a, da) + weightedSum(b, db), 1e-5);
  Vec a2(n * na), b2(n * nb);
  cat_k_split(joined.data(), a2.data(), b2.data(), n, na, nb);
  EXPECT_EQ(a2, a);
  EXPECT_EQ(b2, b);
}

TEST(KernelGradient, SoftmaxAndLogSoftmax) {
  const int64_t rows = 3, k = 4;
  Vec x = randomVec(rows * k, -2, 2, 32), w = randomVec(rows * k, -1, 1, 33);
  Vec y(rows * k), dx(rows * k);
  auto softmaxLoss = [&] {
    Vec out(rows * k);
    cat_k_softmax_fwd(x.data(), out.data(), rows, k);
    return weightedSum(w, out);
  };
  cat_k_softmax_fwd(x.data(), y.data(), rows, k);
  cat_k_softmax_bwd(y.data(), w.data(), dx.data(), rows, k);
  expectGradientsMatch(dx, numericGradient(x, softmaxLoss), "softmax");

  auto logSoftmaxLoss = [&] {
    Vec out(rows * k);
    cat_k_log_softmax_fwd(x.data(), out.data(), rows, k);
    return weightedSum(w, out);
  };
  cat_k_log_softmax_fwd(x.data(), y.data(), rows, k);
  cat_k_log_softmax_bwd(y.data(), w.data(), dx.data(), rows, k);
  expectGradientsMatch(dx, numericGradient(x, logSoftmaxLoss), "log_softmax");
}

TEST(KernelValue, SoftmaxIsStable) {
  Vec x = {1, 2, 3, 1001, 1002, 1003}, y(6);
  cat_k_softmax_fwd(x.data(), y.data(), 2, 3);
  const float expected[] = {0.09003057f, 0.24472847f, 0.66524096f};
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(y[i], expected[i % 3], 1e-6f);
  cat_k_log_softmax_fwd(x.data(), y.data(), 2, 3);
  const float expectedLog[] = {-2.40760596f, -1.40760596f, -0.40760596f};
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(y[i], expectedLog[i % 3], 1e-5f);
}

TEST(KernelGradient, CausalMask) {
  const int64_t n = 2, T = 3;
  Vec x = randomVec(n * T * T, -1, 1, 34), w = randomVec(n * T * T, -1, 1, 35);
  Vec y(n * T * T), dx(n * T * T);
  cat_k_causal_mask_fwd(x.data(), y.data(), n, T);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t r = 0; r < T; ++r)
      for (int64_t c = 0; c < T; ++c) {
        int64_t e = (i * T + r) * T + c;
        if (c > r) {
          EXPECT_TRUE(std::isinf(y[e]) && y[e] < 0);
          w[e] = 0; // masked outputs do not enter the loss
        } else {
          EXPECT_EQ(y[e], x[e]);
        }
      }
  Vec dy = randomVec(n * T * T, -1, 1, 35); // gradients arrive everywhere
  cat_k_causal_mask_bwd(dy.data(), dx.data(), n, T);
  auto loss = [&] {
    Vec out(n * T * T);
    cat_k_causal_mask_fwd(x.data(), out.data(), n, T);
    return weightedSum(w, out);
  };
  expectGradientsMatch(dx, numericGradient(x, loss), "causal_mask");
}

TEST(KernelGradient, CrossEntropy) {
  const int64_t rows = 3, k = 5;
  Vec z = randomVec(rows * k, -2, 2, 36), w = randomVec(rows, 0.1f, 1, 37);
  std::vector<int32_t> t = {4, 0, 2};
  Vec dz(rows * k);
  auto loss = [&] {
    Vec out(rows);
    cat_k_cross_entropy_fwd(z.data(), t.data(), out.data(), rows, k);
    return weightedSum(w, out);
  };
  cat_k_cross_entropy_bwd(z.data(), t.data(), w.data(), dz.data(), rows, k);
  expectGradientsMatch(dz, numericGradient(z, loss), "cross_entropy");
}

TEST(KernelValue, CrossEntropy) {
  // lse([1, 2, 3]) = 3.40760596; stable for logits far from zero.
  Vec z = {1, 2, 3, 1001, 1002, 1003, 0, 0, 0}, loss(3);
  std::vector<int32_t> t = {0, 2, 1};
  cat_k_cross_entropy_fwd(z.data(), t.data(), loss.data(), 3, 3);
  EXPECT_NEAR(loss[0], 2.40760596f, 1e-6f);
  EXPECT_NEAR(loss[1], 0.40760596f, 1e-5f);
  EXPECT_NEAR(loss[2], std::log(3.0f), 1e-6f);
}

// The training step's fused kernel must give the two kernels' numbers bit
// for bit, for short rows (flat loops), long rows (row by row) and rows past
// the forward's stack chunk; without dz (an evaluation's call) its losses
// alone, the same bits.
TEST(KernelValue, CrossEntropyFusedEqualsSeparate) {
  for (int64_t k : {1, 3, 5, 31, 64, 256, 300}) {
    const int64_t rows = 9;
    Vec z = randomVec(rows * k, -6, 6, 11 + static_cast<uint32_t>(k));
    Vec dloss = randomVec(rows, 0.1f, 1, 12);
    std::vector<int32_t> t(rows);
    for (int64_t r = 0; r < rows; ++r)
      t[r] = static_cast<int32_t>((r * 7) % k);
    Vec loss(rows), dz(rows * k), fusedLoss(rows), fusedDz(rows * k);
    cat_k_cross_entropy_fwd(z.data(), t.data(), loss.data(), rows, k);
    cat_k_cross_entropy_bwd(z.data(), t.data(), dloss.data(), dz.data(), rows, k);
    cat_k_cross_entropy_fwd_bwd(z.data(), t.data(), dloss.data(), fusedLoss.data(), fusedDz.data(), rows, k);
    Vec lossOnly(rows);
    cat_k_cross_entropy_fwd_bwd(z.data(), t.data(), nullptr, lossOnly.data(), nullptr, rows, k);
    for (int64_t r = 0; r < rows; ++r) {
      EXPECT_EQ(loss[r], fusedLoss[r]) << "k " << k << " row " << r;
      EXPECT_EQ(loss[r], lossOnly[r]) << "k " << k << " row " << r;
    }
    for (int64_t i = 0; i < rows * k; ++i)
      EXPECT_EQ(dz[i], fusedDz[i]) << "k " << k << " element " << i;
  }
}

TEST(KernelGradient, Mse) {
  const int64_t rows = 3, k = 4;
  Vec a = randomVec(rows * k, -1, 1, 38), b = randomVec(rows * k, -1, 1, 39);
  Vec w = randomVec(rows, 0.1f, 1, 40), da(rows * k), db(rows * k);
  auto loss = [&] {
    Vec out(rows);
    cat_k_mse_fwd(a.data(), b.data(), out.data(), rows, k);
    return weightedSum(w, out);
  };
  cat_k_mse_bwd(a.data(), b.data(), w.data(), da.data(), db.data(), rows, k);
  expectGradientsMatch(da, numericGradient(a, loss), "mse da");
  expectGradientsMatch(db, numericGradient(b, loss), "mse db");
  Vec x = {1, 2}, y = {0, 4}, out(1);
  cat_k_mse_fwd(x.data(), y.data(), out.data(), 1, 2);
  EXPECT_FLOAT_EQ(out[0], 2.5f); // (1 + 4) / 2
}

TEST(KernelGradient, Bce) {
  const int64_t rows = 3, k = 4;
  Vec z = randomVec(rows * k, -3, 3, 41), y = randomVec(rows * k, 0, 1, 42);
  Vec w = randomVec(rows, 0.1f, 1, 43), dz(rows * k), dy(rows * k);
  auto loss = [&] {
    Vec out(rows);
    cat_k_bce_fwd(z.data(), y.data(), out.data(), rows, k);
    return weightedSum(w, out);
  };
  cat_k_bce_bwd(z.data(), y.data(), w.data(), dz.data(), dy.data(), rows, k);
  expectGradientsMatch(dz, numericGradient(z, loss), "bce dz");
  expectGradientsMatch(dy, numericGradient(y, loss), "bce dy");
}

TEST(KernelValue, BceAndSigmoidAreStable) {
  // bce(0, y) = log 2; bce(±100, ·) stays finite; sigmoid saturates cleanly.
  Vec z = {0, 100, -100, 2}, y = {1, 1, 1, 0}, loss(4);
  cat_k_bce_fwd(z.data(), y.data(), loss.data(), 4, 1);
  EXPECT_NEAR(loss[0], std::log(2.0f), 1e-6f);
  EXPECT_NEAR(loss[1], 0.0f, 1e-6f);
  EXPECT_NEAR(loss[2], 100.0f, 1e-4f);
  EXPECT_NEAR(loss[3], 2.12692801f, 1e-6f); // 2 + log(1 + e^-2)
  Vec x = {-200, -30, 0, 30, 200}, s(5);
  cat_k_sigmoid_fwd(x.data(), s.data(), 5);
  EXPECT_EQ(s[0], 0.0f);
  EXPECT_NEAR(s[1], 9.357623e-14f, 1e-19f);
  EXPECT_EQ(s[2], 0.5f);
  EXPECT_EQ(s[3], 1.0f);
  EXPECT_EQ(s[4], 1.0f);
}

TEST(KernelValue, PointwiseNumbers) {
  Vec x = {-1, 0, 1, 2}, y(4);
  cat_k_gelu_fwd(x.data(), y.data(), 4);
  const float gelu[] = {-0.15865525f, 0, 0.84134475f, 1.95449974f};
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(y[i], gelu[i], 1e-6f);
  Vec dy = {1, 1, 1, 1}, dx(4);
  cat_k_gelu_bwd(x.data(), y.data(), dy.data(), dx.data(), 4);
  EXPECT_NEAR(dx[2], 1.08331547f, 1e-6f); // Phi(1) + phi(1)
  cat_k_relu_fwd(x.data(), y.data(), 4);
  EXPECT_EQ(y, (Vec{0, 0, 1, 2}));
  EXPECT_NEAR(cat_k_mean(x.data(), 4), 0.5f, 1e-7f);
}

TEST(KernelMemory, CopyFillAccumulate) {
  Vec a = {1, 2, 3}, b(3);
  cat_k_copy(a.data(), b.data(), 3);
  EXPECT_EQ(b, a);
  cat_k_accumulate(b.data(), b.data(), 3); // the one kernel that may alias
  EXPECT_EQ(b, (Vec{2, 4, 6}));
  cat_k_fill(b.data(), 3, 7);
  EXPECT_EQ(b, (Vec{7, 7, 7}));
  cat_k_zero(b.data(), 3);
  EXPECT_EQ(b, (Vec{0, 0, 0}));
  std::vector<int32_t> i = {4, 5}, j(2);
  cat_k_copy_i32(i.data(), j.data(), 2);
  EXPECT_EQ(j, i);
}

TEST(KernelInit, DeterministicAndDistributed) {
  const int64_t count = 20000;
  Vec u1(count), u2(count), u3(count);
  cat_k_init_uniform(u1.data(), count, -2, 3, 42, 7);
  cat_k_init_uniform(u2.data(), count, -2, 3, 42, 7);
  cat_k_init_uniform(u3.data(), count, -2, 3, 42, 8);
  EXPECT_EQ(u1, u2);
  EXPECT_NE(u1, u3);
  double mean = 0;
  for (float v : u1) {
    EXPECT_GE(v, -2.0f);
    EXPECT_LT(v, 3.0f);
    mean += v / count;
  }
  EXPECT_NEAR(mean, 0.5, 0.05);

  const int64_t fanOut = 100, fanIn = 200;
  Vec W(fanOut * fanIn);
  cat_k_init_glorot(W.data(), fanOut, fanIn, 1, 0);
  const double bound = std::sqrt(6.0 / (fanIn + fanOut));
  double sumSquares = 0;
  for (float v : W) {
    EXPECT_LE(std::fabs(v), bound);
    sumSquares += double(v) * v;
  }
  EXPECT_NEAR(sumSquares / W.size(), bound * bound / 3, 0.03 * bound * bound / 3);

  Vec N(count + 1); // odd: the last Box–Muller pair is half used
  cat_k_init_normal(N.data(), count + 1, 0.5f, 3, 1);
  double m1 = 0, m2 = 0;
  for (float v : N) {
    EXPECT_TRUE(std::isfinite(v));
    m1 += v;
    m2 += double(v) * v;
  }
  m1 /= N.size();
  m2 /= N.size();
  EXPECT_NEAR(m1, 0.0, 0.02);
  EXPECT_NEAR(std::sqrt(m2 - m1 * m1), 0.5, 0.01);
  Vec N2(count + 1);
  cat_k_init_normal(N2.data(), count + 1, 0.5f, 3, 1);
  EXPECT_EQ(N, N2);
}

TEST(KernelOptimizer, SgdMomentumTrajectory) {
  // lr 0.1, momentum 0.9, gradients 1, 2, -1 from p = 1:
  // v = 1, p = 0.9; v = 2.9, p = 0.61; v = 1.61, p = 0.449.
  float p = 1, v = 123; // v's initial content is ignored at step 1
  const float grads[] = {1, 2, -1}, expected[] = {0.9f, 0.61f, 0.449f};
  for (int s = 0; s < 3; ++s) {
    cat_k_sgd(&p, &grads[s], &v, 1, 0.1f, 0.9f, 0.0f, s + 1);
    EXPECT_NEAR(p, expected[s], 1e-6f) << "step " << s + 1;
  }
  // momentum 0 is plain gradient descent.
  float q = 1, w = 0;
  for (int s = 0; s < 3; ++s)
    cat_k_sgd(&q, &grads[s], &w, 1, 0.1f, 0.0f, 0.0f, s + 1);
  EXPECT_NEAR(q, 0.8f, 1e-6f);
}

TEST(KernelOptimizer, AdamTrajectory) {
  // lr 0.1, betas (0.9, 0.999), eps 1e-8, gradients 1, 2, -1 from p = 1;
  // expected values computed by hand (in double) from AD.md's update:
  //  t=1: m=0.1    v=0.001     mhat=1         vhat=1          p=0.9
  //  t=2: m=0.29   v=0.004999  mhat=1.5263158 vhat=2.5007504  p=0.8034818
  //  t=3: m=0.161  v=0.0059940 mhat=0.5940959 vhat=1.9999997  p=0.7614729
  float p = 1, m = 0, v = 0;
  const float grads[] = {1, 2, -1};
  const double expected[] = {0.9000000010, 0.8034817990, 0.7614728690};
  for (int s = 0; s < 3; ++s) {
    cat_k_adam(&p, &grads[s], &m, &v, 1, 0.1f, 0.9f, 0.999f, 1e-8f, 0.0f, s + 1, float(1 - 0.9),
               float(1 - 0.999), float(std::log(0.9)), float(std::log(0.999)));
    EXPECT_NEAR(p, expected[s], 2e-6) << "step " << s + 1;
    if (s == 0) {
      // 1 - beta2 is PyTorch's float(1 - 0.999), not 1 - 0.999f (1.3e-5 off).
      EXPECT_EQ(v, 0.001f);
      EXPECT_EQ(m, 0.1f);
    }
  }
}

// ---- GEMM tile families against a double-precision reference -------------

/// `size` floats between two guard zones of a sentinel no kernel may write;
/// `offset` floats of extra guard in front misalign the data on purpose.
class Guarded {
public:
  static constexpr size_t kGuard = 32;
  explicit Guarded(size_t size, size_t offset = 0)
      : size_(size), front_(kGuard + offset), mem_(size + 2 * kGuard + offset, kSentinel) {}
  float *data() { return mem_.data() + front_; }
  float &operator[](size_t e) { return mem_[front_ + e]; }
  void fill(const Vec &values) { std::copy(values.begin(), values.end(), data()); }
  void fillNaN() { std::fill(data(), data() + size_, std::nanf("")); }
  /// True when nothing outside [0, size) was written.
  bool guardsIntact() const {
    for (size_t e = 0; e < mem_.size(); ++e)
      if ((e < front_ || e >= front_ + size_) && !(mem_[e] == kSentinel))
        return false;
    return true;
  }

private:
  static constexpr float kSentinel = -7777.25f;
  size_t size_, front_;
  std::vector<float> mem_;
};

/// Expects |got - want| <= 1e-5 * sqrt(summed) * scale element-wise, where
/// scale is the sum of |terms| of each reference element (NaN fails).
void expectClose(Guarded &got, const std::vector<double> &want, const std::vector<double> &scale,
                 int64_t summed, const std::string &what) {
  EXPECT_TRUE(got.guardsIntact()) << what << ": wrote outside its output";
  int reported = 0;
  for (size_t e = 0; e < want.size(); ++e) {
    double tol = 1e-5 * std::sqrt(double(std::max<int64_t>(summed, 1))) * scale[e] + 1e-30;
    if (!(std::fabs(double(got[e]) - want[e]) <= tol) && reported++ < 3)
      ADD_FAILURE() << what << " element " << e << ": " << got[e] << " vs " << want[e];
  }
}

/// C[M x N] = start + sum_l A(i, l) B(l, j) in double, with A(i, l) =
/// a[i * rsa + l * csa] and B(l, j) = b[l * rsb + j * csb], appended to c;
/// scale gets the sum of absolute terms.
void referenceGemm(int64_t M, int64_t N, int64_t K, const float *a, int64_t rsa, int64_t csa,
                   const float *b, int64_t rsb, int64_t csb, const std::vector<double> &start,
                   std::vector<double> &c, std::vector<double> &scale) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double sum = start.empty() ? 0.0 : start[i * N + j], abs = std::fabs(sum);
      for (int64_t l = 0; l < K; ++l) {
        double term = double(a[i * rsa + l * csa]) * double(b[l * rsb + j * csb]);
        sum += term;
        abs += std::fabs(term);
      }
      c.push_back(sum);
      scale.push_back(abs);
    }
}

struct LinearShape {
  int64_t n, m, k;
};

std::string describe(int tile, LinearShape s) {
  return "tile " + std::to_string(tile) + " n=" + std::to_string(s.n) + " m=" + std::to_string(s.m) +
         " k=" + std::to_string(s.k);
}

/// Batch, outputs and inputs drawn from sizes around the tile edges, mixed
/// so that each size meets small and large partners, plus the shapes of
/// real layers.
std::vector<LinearShape> linearShapes() {
  const int64_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 10, 16, 17, 31, 32, 33, 64, 100, 128, 257};
  const int count = sizeof sizes / sizeof sizes[0];
  std::vector<LinearShape> shapes;
  for (int i = 0; i < count; ++i) {
    shapes.push_back({sizes[i], sizes[(i + 5) % count], sizes[(i + 11) % count]});
    shapes.push_back({sizes[i], sizes[(i + 13) % count], sizes[(i + 3) % count]});
  }
  // Real layers, K = 0, and rows 4 KiB or more apart (>= 1024 floats),
  // which the kernels copy: A^T of dW (m; packed into scratch, past a block
  // of the batch with 260), B of dx (k, with enough batch rows to reuse it;
  // with 300, copies shared by two blocks of the batch, a last group of
  // fewer rows, and a partial row tile), both.
  const LinearShape layers[] = {{1, 1, 1},    {16, 16, 4},   {16, 3, 16},    {120, 10, 16},
                                {8, 256, 784}, {65, 33, 0},   {37, 1030, 9},  {70, 13, 1027},
                                {41, 1025, 1031}, {260, 1025, 70}, {300, 20, 1024}};
  shapes.insert(shapes.end(), std::begin(layers), std::end(layers));
  return shapes;
}

TEST(KernelGemm, LinearMatchesReferenceForEveryTile) {
  for (LinearShape shape : linearShapes()) {
    const int64_t n = shape.n, m = shape.m, k = shape.k;
    Vec W = randomVec(m * k, -1, 1, 40), x = randomVec(n * k, -1, 1, 41);
    Vec bias = randomVec(m, -1, 1, 42), dy = randomVec(n * m, -1, 1, 43);
    Vec dW0 = randomVec(m * k, -1, 1, 44);
    // Inputs misaligned by one float: the kernels may not assume alignment.
    Guarded Wg(m * k, 1), xg(n * k, 1), biasg(m, 1), dyg(n * m, 1);
    Wg.fill(W), xg.fill(x), biasg.fill(bias), dyg.fill(dy);
    std::vector<double> plain, plainScale, biased, biasedScale, start;
    for (int64_t e = 0; e < n * m; ++e)
      start.push_back(bias[e % m]);
    referenceGemm(n, m, k, x.data(), k, 1, W.data(), 1, k, {}, plain, plainScale);
    referenceGemm(n, m, k, x.data(), k, 1, W.data(), 1, k, start, biased, biasedScale);
    for (double &v : biased)
      v = std::max(v, 0.0);
    std::vector<double> refDx, dxScale, refDW, dWScale, dWStart(dW0.begin(), dW0.end());
    referenceGemm(n, k, m, dy.data(), m, 1, W.data(), k, 1, {}, refDx, dxScale);
    referenceGemm(m, k, n, dy.data(), 1, m, x.data(), k, 1, dWStart, refDW, dWScale);
    for (int tile : kTiles) {
      std::string where = describe(tile, shape);
      Guarded scratch(CATK_LINEAR_FWD_SCRATCH(m, k, tile));
      Guarded y(n * m, 3);
      // Forward without bias; NaN scratch shows any read before write.
      scratch.fillNaN(), y.fillNaN();
      cat_k_linear_fwd(Wg.data(), nullptr, xg.data(), y.data(), n, m, k, CATK_ACT_NONE,
                       scratch.data(), tile);
      expectClose(y, plain, plainScale, k, "linear_fwd " + where);
      EXPECT_TRUE(scratch.guardsIntact()) << where << ": wrote outside its scratch";
      // With bias and relu.
      scratch.fillNaN(), y.fillNaN();
      cat_k_linear_fwd(Wg.data(), biasg.data(), xg.data(), y.data(), n, m, k, CATK_ACT_RELU,
                       scratch.data(), tile);
      expectClose(y, biased, biasedScale, k, "linear_fwd bias relu " + where);
      // dx = dy W, dW += dy^T x from a nonzero dW; each alone, then both.
      for (int which = 0; which < 3; ++which) {
        bool wantDx = which != 1, wantDW = which != 0;
        Guarded dx(n * k, 2), dW(m * k, 1), dWScratch(CATK_LINEAR_BWD_SCRATCH(m, k, tile));
        dx.fillNaN(), dWScratch.fillNaN();
        dW.fill(dW0);
        cat_k_linear_bwd(Wg.data(), xg.data(), dyg.data(), wantDW ? dW.data() : nullptr,
                         wantDx ? dx.data() : nullptr, n, m, k, dWScratch.data(), tile, 1, nullptr);
        if (wantDx)
          expectClose(dx, refDx, dxScale, m, "linear_bwd dx " + where);
        if (wantDW)
          expectClose(dW, refDW, dWScale, n, "linear_bwd dW " + where);
        EXPECT_TRUE(dx.guardsIntact() && dW.guardsIntact() && dWScratch.guardsIntact()) << where;
        if (!wantDx) {
          EXPECT_TRUE(std::isnan(dx[0]) || n * k == 0) << where << ": dx was NULL";
        }
        if (!wantDW) {
          EXPECT_TRUE(m * k == 0 || dW[0] == dW0[0]) << where << ": dW was NULL";
        }
      }
    }
  }
}

TEST(KernelGemm, MatmulMatchesReferenceForEveryTile) {
  struct Shape {
    int64_t n, m, k, p;
  };
  const Shape shapes[] = {{1, 1, 1, 1},    {2, 3, 4, 2},      {3, 5, 7, 10},   {1, 8, 16, 32},
                          {2, 17, 31, 33}, {1, 33, 100, 17},  {2, 7, 257, 5},  {1, 64, 3, 128},
                          {3, 16, 16, 16}, {1, 100, 64, 4},   {2, 10, 1, 9},   {1, 31, 32, 257},
                          // rows >= 1024 floats apart: A^T of dB (k), B of C (p), both;
                          // dB's packed blocks over two examples and two KC blocks of m.
                          {1, 5, 1030, 33}, {1, 70, 20, 1030}, {1, 9, 1025, 1030},
                          {2, 300, 1024, 20}};
  for (Shape shape : shapes) {
    const int64_t n = shape.n, m = shape.m, k = shape.k, p = shape.p;
    Vec A = randomVec(n * m * k, -1, 1, 50), B = randomVec(n * k * p, -1, 1, 51);
    Vec dC = randomVec(n * m * p, -1, 1, 52);
    Guarded Ag(n * m * k, 1), Bg(n * k * p, 3), dCg(n * m * p, 1);
    Ag.fill(A), Bg.fill(B), dCg.fill(dC);
    // Per example: C = A B, dA = dC B^T, dB = A^T dC.
    std::vector<double> refC, scaleC, refA, scaleA, refB, scaleB;
    for (int64_t i = 0; i < n; ++i) {
      const float *A_i = A.data() + i * m * k, *B_i = B.data() + i * k * p;
      const float *dC_i = dC.data() + i * m * p;
      referenceGemm(m, p, k, A_i, k, 1, B_i, p, 1, {}, refC, scaleC);
      referenceGemm(m, k, p, dC_i, p, 1, B_i, 1, p, {}, refA, scaleA);
      referenceGemm(k, p, m, A_i, 1, k, dC_i, p, 1, {}, refB, scaleB);
    }
    for (int tile : kTiles) {
      std::string where = "tile " + std::to_string(tile) + " n=" + std::to_string(n) +
                          " m=" + std::to_string(m) + " k=" + std::to_string(k) +
                          " p=" + std::to_string(p);
      Guarded C(n * m * p, 1), dA(n * m * k, 2), dB(n * k * p, 3);
      C.fillNaN();
      cat_k_matmul_fwd(Ag.data(), Bg.data(), C.data(), n, m, k, p, tile);
      expectClose(C, refC, scaleC, k, "matmul_fwd " + where);
      for (int which = 0; which < 3; ++which) {
        bool wantA = which != 1, wantB = which != 0;
        Guarded scratch(CATK_MATMUL_BWD_SCRATCH(k, p, tile));
        scratch.fillNaN(), dA.fillNaN(), dB.fillNaN();
        cat_k_matmul_bwd(Ag.data(), Bg.data(), dCg.data(), wantA ? dA.data() : nullptr,
                         wantB ? dB.data() : nullptr, n, m, k, p, scratch.data(), tile);
        if (wantA)
          expectClose(dA, refA, scaleA, p, "matmul_bwd dA " + where);
        if (wantB)
          expectClose(dB, refB, scaleB, m, "matmul_bwd dB " + where);
        EXPECT_TRUE(scratch.guardsIntact() && dA.guardsIntact() && dB.guardsIntact()) << where;
      }
    }
  }
}

TEST(KernelGemm, RowsDoNotDependOnTheBatch) {
  // Each example's result is the same bits whatever the batch it came in:
  // the summation order is fixed per tile family and shape, also when a big
  // batch makes dx copy W's far rows (k >= 1024) to the stack.
  for (LinearShape shape : {LinearShape{37, 35, 19}, LinearShape{70, 9, 1030}}) {
    const int64_t n = shape.n, m = shape.m, k = shape.k;
    Vec W = randomVec(m * k, -1, 1, 60), x = randomVec(n * k, -1, 1, 61);
    Vec bias = randomVec(m, -1, 1, 62), dy = randomVec(n * m, -1, 1, 63);
    for (int tile : kTiles) {
      Vec scratch(CATK_LINEAR_FWD_SCRATCH(m, k, tile) + 1), y(n * m), dx(n * k), one(std::max(m, k));
      cat_k_linear_fwd(W.data(), bias.data(), x.data(), y.data(), n, m, k, CATK_ACT_NONE,
                       scratch.data(), tile);
      cat_k_linear_bwd(W.data(), x.data(), dy.data(), nullptr, dx.data(), n, m, k, nullptr, tile, 1, nullptr);
      for (int64_t i = 0; i < n; ++i) {
        cat_k_linear_fwd(W.data(), bias.data(), x.data() + i * k, one.data(), 1, m, k,
                         CATK_ACT_NONE, scratch.data(), tile);
        EXPECT_TRUE(std::equal(one.begin(), one.begin() + m, y.begin() + i * m))
            << describe(tile, shape) << " row " << i;
        cat_k_linear_bwd(W.data(), x.data() + i * k, dy.data() + i * m, nullptr, one.data(), 1, m,
                         k, nullptr, tile, 1, nullptr);
        EXPECT_TRUE(std::equal(one.begin(), one.begin() + k, dx.begin() + i * k))
            << describe(tile, shape) << " row " << i;
      }
    }
  }
}

} // namespace
