/* quant_outputs.c - prints what the int8 kernels (kernels/quant.c) compute
 * on fixed pseudo-random data, as hex, so that the outputs of different
 * targets can be compared byte for byte (int8-targets.test).
 *
 * Covers requantization over every shift (including the saturating and
 * INT32_MIN cases), a dense layer with bias and ReLU, one without bias,
 * and float <-> int8 conversion of ties, out-of-range values and NaN. */
#include "catk.h"

#include <math.h>
#include <stdio.h>

static uint32_t state = 12345u;
static uint32_t next(void) { /* a 32-bit LCG: the same sequence everywhere */
  state = state * 1664525u + 1013904223u;
  return state;
}

enum { N = 3, M = 9, K = 45 };

int main(void) {
  static int8_t W[M * K], x[N * K], y[N * M];
  static int32_t bias[M];
  static catk_requant requant[M];
  static const int32_t acc_edges[] = {0, 1, -1, 3, -3, 2147483647, (-2147483647 - 1), 1 << 30, -(1 << 30)};
  int i, s;
  uint32_t sum = 0;
  for (i = 0; i < (int)(sizeof acc_edges / sizeof *acc_edges); ++i)
    for (s = -31; s <= 30; ++s)
      sum = sum * 31u + (uint32_t)cat_k_requantize(acc_edges[i], 1518500250, s);
  for (i = 0; i < 100000; ++i) {
    int32_t acc = (int32_t)next(), multiplier = (int32_t)(next() >> 1 | 0x40000000u);
    int32_t sh = (int32_t)(next() % 62u) - 31;
    sum = sum * 31u + (uint32_t)cat_k_requantize(acc, multiplier, sh);
  }
  printf("requantize %08x\n", (unsigned)sum);

  for (i = 0; i < M * K; ++i)
    W[i] = (int8_t)(int32_t)(next() % 255u - 127u);
  for (i = 0; i < N * K; ++i)
    x[i] = (int8_t)(int32_t)(next() % 256u - 128u);
  for (i = 0; i < M; ++i) {
    bias[i] = (int32_t)(next() % 20001u) - 10000;
    requant[i].multiplier = (int32_t)(next() >> 1 | 0x40000000u);
    requant[i].shift = -12 - (int32_t)(next() % 6u); /* M in [2^-18, 2^-12): outputs in range */
    requant[i].round = 1 << (-requant[i].shift - 2);
  }
  cat_k_qlinear_fwd(W, bias, x, y, N, M, K, -7, requant, 1, 0, 5, 5, 127);
  printf("qlinear relu");
  for (i = 0; i < N * M; ++i)
    printf(" %02x", (unsigned)(uint8_t)y[i]);
  cat_k_qlinear_fwd(W, 0, x, y, N, M, K, 3, requant, 0, 0, -2, -128, 127);
  printf("\nqlinear");
  for (i = 0; i < N * M; ++i)
    printf(" %02x", (unsigned)(uint8_t)y[i]);
  {
    static const float values[] = {0.0f, 0.025f, -0.025f, 0.075f, -0.075f, 6.3f, -6.4f, 1e30f, -1e30f, 0.02499f};
    int8_t q[12];
    float back[12];
    float v[12];
    for (i = 0; i < 10; ++i)
      v[i] = values[i];
    v[10] = NAN;
    v[11] = INFINITY;
    cat_k_quantize(v, q, 12, 0.05f, 4);
    cat_k_dequantize(q, back, 12, 0.05f, 4);
    printf("\nquantize");
    for (i = 0; i < 12; ++i)
      printf(" %02x", (unsigned)(uint8_t)q[i]);
    printf("\ndequantize");
    for (i = 0; i < 12; ++i)
      printf(" %a", (double)back[i]);
  }
  {
    /* Ties round away from zero; the float just below 1/2 rounds to 0. */
    static const float ties[] = {0.5f, -0.5f, 1.5f, -1.5f, 2.5f, 0x1.fffffep-2f, -0x1.fffffep-2f,
                                 126.5f, -127.5f, 0x1.91fffep6f};
    int8_t q[10];
    cat_k_quantize(ties, q, 10, 1.0f, 0);
    printf("\nquantize ties");
    for (i = 0; i < 10; ++i)
      printf(" %02x", (unsigned)(uint8_t)q[i]);
  }
  printf("\n");
  return 0;
}
