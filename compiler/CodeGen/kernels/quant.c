/*===- quant.c - Integer kernels: int8 products and requantization -------===*
 *
 * The integer-only inference scheme of Jacob et al. 2018 ("Quantization and
 * Training of Neural Networks for Efficient Integer-Arithmetic-Only
 * Inference"), as gemmlowp and TensorFlow Lite implement it:
 *
 *   real = scale * (q - zero)            q int8, zero an int8 zero point
 *
 * Weights are symmetric per output channel (zero 0), activations
 * asymmetric per tensor, biases int32 at the scale scale_x * scale_w[j].
 * A dense layer's output j is
 *
 *   acc = bias[j] + sum_l (x[l] - x_zero) * W[j][l]        (int32, exact)
 *   y   = clamp(y_zero + round(acc * M[j]), lo, hi)        (int8)
 *
 * with the real multiplier M[j] = scale_x * scale_w[j] / scale_y given as a
 * 32-bit fixed-point multiplier and a power-of-two shift (catk.h). Every
 * step is integer arithmetic with one rounding rule, so the outputs are the
 * same bits on every target: the property the tests check against a numpy
 * model of the same arithmetic.
 *
 *===----------------------------------------------------------------------===*/
#include "catk.h"

#include <stdint.h>

/* The high 32 bits of 2 a b, rounded to nearest (ties upward), and
 * saturated in its one overflowing case: gemmlowp's SaturatingRoundingDoublingHighMul, which adds
 * 2^30 (ab >= 0) or 1 - 2^30 (ab < 0) and divides by 2^31 truncating toward
 * zero. Both cases are floor((ab + 2^30) / 2^31) (for ab < 0, truncating
 * v / 2^31 is flooring (v + 2^31 - 1) / 2^31, and v + 2^31 - 1 = ab + 2^30),
 * so it is one add and an arithmetic shift: SMULL and four instructions on a
 * Cortex-M4 instead of a sign test and two 64-bit paths. */
static inline int32_t catk_doubling_high_mul(int32_t a, int32_t b) {
  int64_t rounded = ((int64_t)a * (int64_t)b + (INT64_C(1) << 30)) >> 31;
  return rounded > INT32_MAX ? INT32_MAX : (int32_t)rounded; /* a = b = INT32_MIN */
}

/* x / 2^exponent rounded to nearest, ties away from zero (gemmlowp's
 * RoundingDivideByPOT); 0 <= exponent <= 31. */
static inline int32_t catk_rounding_shift_right(int32_t x, int32_t exponent) {
  int32_t mask = (int32_t)((UINT32_C(1) << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0);
  return (x >> exponent) + (remainder > threshold);
}

int32_t cat_k_requantize(int32_t acc, int32_t multiplier, int32_t shift) {
  /* TFLite's MultiplyByQuantizedMultiplier: a left shift before the
   * multiply, a rounding right shift after it. */
  if (shift > 0) { /* a multiplier over 1: rare, and skipped by a branch */
    /* Saturated rather than wrapped (TFLite leaves that overflow undefined:
     * a multiplier over 1 on a large sum). */
    if (acc > (INT32_MAX >> shift))
      acc = INT32_MAX;
    else if (acc < (INT32_MIN >> shift))
      acc = INT32_MIN;
    else
      acc = (int32_t)((uint32_t)acc << shift);
    return catk_doubling_high_mul(acc, multiplier);
  }
  return catk_rounding_shift_right(catk_doubling_high_mul(acc, multiplier), -shift);
}

/* cat_k_requantize(acc, multiplier, shift) for shift = -e <= -2 and a
 * multiplier >= 0 (every multiplier catc accepts: 0 or [2^30, 2^31)), its
 * two roundings done as one, on the 64-bit product P = acc * multiplier:
 *
 *   RoundingDivideByPOT(floor((P + 2^30) / 2^31), e)
 *     = floor((floor((P + 2^30) / 2^31) + c) / 2^e)     c = 2^(e-1) - [P + 2^30 < 0]
 *     = floor((P + 2^30 + 2^31 c) / 2^(31+e))          (a floor of a floor by 2^k)
 *     = floor(floor(S / 2^32) / 2^(e-1))
 *
 * with S = P + 2^30 + 2^31 c = P + 2^30 - 2^31 [P + 2^30 < 0] + 2^(e-2) 2^32,
 * whose last term, `round`, adds to S's high word only. [P + 2^30 < 0] may be
 * read as [acc < 0]: with multiplier >= 0 they differ only where
 * 0 <= P + 2^30 <= 2^30, and there both give 0. On a Cortex-M4 that is one
 * SMLAL into S's addend (whose words are round - [acc < 0] and
 * 2^30 + 2^31 [acc < 0]) and one shift of its high word, a quarter of the
 * two steps' instructions; the integers are the same
 * (test/unit/quant_reference.py). */
static inline int32_t catk_requantize_right(int32_t acc, int32_t multiplier, int32_t round,
                                            int32_t shift) {
  /* S's addend by its words: one SMLAL adds P. */
  uint32_t low = UINT32_C(1) << 30 | ((uint32_t)acc & UINT32_C(0x80000000));
  uint32_t high = (uint32_t)(acc >> 31) + (uint32_t)round; /* round >= 1: no borrow */
  int64_t sum = (int64_t)acc * multiplier + (int64_t)((uint64_t)high << 32 | low);
  return (int32_t)(sum >> 32) >> (-shift - 1);
}

static inline int32_t catk_clamp_i32(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/* An output of cat_k_qlinear_fwd from its int32 sum. Real multipliers
 * below 1/4 (a right shift of 2 or more) are the rule in practice
 * (digits' layers shift right by 8 to 11); the rest take the general path. */
static inline int8_t catk_qlinear_out(int32_t acc, const catk_requant *rq, int32_t shifts_right,
                                      int32_t y_zero, int32_t lo, int32_t hi) {
  int32_t r = shifts_right || rq->shift <= -2
                  ? catk_requantize_right(acc, rq->multiplier, rq->round, rq->shift)
                  : cat_k_requantize(acc, rq->multiplier, rq->shift);
  /* Added as unsigned (|r| < 2^30, no wrap): with no promise of a signed
   * sum that does not overflow, LLVM keeps the clamp after the addition,
   * one SSAT on ARM, instead of moving it before (two compares, two
   * selects and the addition). */
  return (int8_t)catk_clamp_i32((int32_t)((uint32_t)y_zero + (uint32_t)r), lo, hi);
}

/* ARM's DSP extension (ARMv7E-M: Cortex-M4, M7, M33 with it) multiplies
 * the two 16-bit halves of one register by those of another and adds both
 * products to an accumulator in one instruction, SMLAD; SXTB16 sign-extends
 * bytes 0 and 2 of a word into those halves (rotated by 8: bytes 1 and 3).
 * Four int8 multiply-adds of an input row and a weight row thus take a word
 * of each, widened into two words of halves, and two SMLADs. The input row
 * is widened once, into a buffer on the stack (catk_widen: a chunk of
 * CATK_QCHUNK values, 128 bytes), and serves every output channel, two
 * channels at a time: four multiply-adds of each then take two words of
 * the widened input, a word of each weight row, four SXTB16 and four
 * SMLADs. Where catc lays the two rows' words out side by side
 * (pair_layout, catk.h), both pairs of words are one LDRD each: 10
 * instructions for 8 multiply-adds, 12 without. A row wider than a chunk
 * is summed chunk by chunk, CATK_QBLOCK channels' partial sums kept on the
 * stack
 * meanwhile, and re-widened for each block of channels. LLVM
 * forms SMLAD only from 16-bit loads, so the library names the ARM
 * intrinsics itself: it is compiled once, for the host, and catc sets
 * catk_target_dsp for ARM targets that have the extension and empties these
 * functions' bodies for every other target (CodeGen.cpp). The native
 * library, built for unit tests on the host, has no such path. Integer sums
 * are exact (catk.h), so the order in which SMLAD adds them changes no bit. */
#ifdef CATK_BITCODE
extern const int32_t catk_target_dsp;
int32_t catk_arm_smlad(int32_t a, int32_t b, int32_t acc) __asm__("llvm.arm.smlad");
int32_t catk_arm_sxtb16(int32_t a) __asm__("llvm.arm.sxtb16");

enum { CATK_QCHUNK = 64, CATK_QBLOCK = 16 };

static inline int32_t catk_word(const int8_t *p) {
  int32_t v;
  __builtin_memcpy(&v, p, sizeof v); /* unaligned: rows of k bytes */
  return v;
}

static inline int32_t catk_ror8(int32_t v) {
  return (int32_t)(((uint32_t)v >> 8) | ((uint32_t)v << 24));
}

/* Two words at a word-aligned p, as one LDRD: LLVM's ARM backend emits
 * LDRD for volatile 64-bit loads only (other pairs of loads it may or may
 * not pair, and did not in these loops). The reads are of constant
 * weights and of the stack buffer, which volatile otherwise leaves as
 * they are; may_alias, because the buffer's words were stored as int32_t
 * (without it, type-based alias analysis lets the stores move past these
 * loads). Little-endian: the word at p is the low half. */
typedef uint64_t catk_u64_word_aligned __attribute__((aligned(4), may_alias));
static inline uint64_t catk_doubleword(const void *p) {
  return *(const volatile catk_u64_word_aligned *)p;
}

/* wide[2q], wide[2q + 1] = the halves of x[4q..4q+3] in SMLAD's order:
 * (x[4q], x[4q+2]) and (x[4q+1], x[4q+3]), for q < words. */
static void catk_widen(const int8_t *restrict x, int32_t *restrict wide, catk_index words) {
  for (catk_index q = 0; q < words; ++q) {
    int32_t in = catk_word(x + 4 * q);
    wide[2 * q] = catk_arm_sxtb16(in);
    wide[2 * q + 1] = catk_arm_sxtb16(catk_ror8(in));
  }
}

/* sums[c] += sum_l x[l] * w_c[l], l < len, for the rows w_0 = w and
 * w_1 = w + k, or with `paired` the rows' words side by side from w (then
 * len is a multiple of 4); `wide` is x widened up to len rounded down
 * to 4. */
static void catk_qdot2_wide(const int8_t *restrict w, catk_index k, int32_t paired,
                            const int32_t *restrict wide, const int8_t *restrict x,
                            catk_index len, int32_t sums[2]) {
  int32_t s0 = sums[0], s1 = sums[1];
  catk_index l = 0;
#pragma clang loop unroll_count(4)
  for (; l + 4 <= len; l += 4) {
    uint64_t in = catk_doubleword(wide + l / 2);
    int32_t in02 = (int32_t)(uint32_t)in, in13 = (int32_t)(uint32_t)(in >> 32);
    int32_t w0, w1;
    if (paired) {
      uint64_t both = catk_doubleword(w + 2 * l);
      w0 = (int32_t)(uint32_t)both, w1 = (int32_t)(uint32_t)(both >> 32);
    } else {
      w0 = catk_word(w + l), w1 = catk_word(w + k + l);
    }
    s0 = catk_arm_smlad(catk_arm_sxtb16(w0), in02, s0);
    s0 = catk_arm_smlad(catk_arm_sxtb16(catk_ror8(w0)), in13, s0);
    s1 = catk_arm_smlad(catk_arm_sxtb16(w1), in02, s1);
    s1 = catk_arm_smlad(catk_arm_sxtb16(catk_ror8(w1)), in13, s1);
  }
  for (; l < len; ++l) {
    s0 += (int32_t)x[l] * (int32_t)w[l];
    s1 += (int32_t)x[l] * (int32_t)w[k + l];
  }
  sums[0] = s0, sums[1] = s1;
}

/* AArch64's dot product extension (ARMv8.2-A, optional: Cortex-A55, A76
 * and later) multiplies four bytes of one register by four of another and
 * adds the four products to a 32-bit lane, for four lanes: SDOT, 16
 * multiply-adds an instruction, where LLVM 19 makes widening multiplies and
 * adds of the same loop (SMULL, SADDW: 4 an instruction). Named as the ARM
 * intrinsics above, and emptied by catc for targets without it. */
extern const int32_t catk_target_dotprod;
typedef int8_t catk_i8x16 __attribute__((ext_vector_type(16)));
typedef int32_t catk_i32x4 __attribute__((ext_vector_type(4)));
catk_i32x4 catk_aarch64_sdot(catk_i32x4 acc, catk_i8x16 a, catk_i8x16 b)
    __asm__("llvm.aarch64.neon.sdot.v4i32.v16i8");

/* sum_l x[l] * w[l] over the first 16 floor(k / 16) values. */
static int32_t catk_qdot_sdot(const int8_t *restrict w, const int8_t *restrict x, catk_index k) {
  catk_i32x4 acc = {0, 0, 0, 0};
  for (catk_index l = 0; l + 16 <= k; l += 16) {
    catk_i8x16 a, b;
    __builtin_memcpy(&a, w + l, sizeof a);
    __builtin_memcpy(&b, x + l, sizeof b);
    acc = catk_aarch64_sdot(acc, a, b);
  }
  return __builtin_reduce_add(acc);
}
#endif

void cat_k_qlinear_fwd(const int8_t *restrict W, const int32_t *restrict bias,
                       const int8_t *restrict x, int8_t *restrict y, catk_index n, catk_index m,
                       catk_index k, int32_t x_zero, const catk_requant *restrict requant,
                       int32_t shifts_right, int32_t pair_layout, int32_t y_zero, int32_t lo,
                       int32_t hi) {
  (void)pair_layout; /* read by ARM's DSP path only */
  for (catk_index i = 0; i < n; ++i) {
    const int8_t *in = x + i * k;
    int8_t *out = y + i * m;
    catk_index j = 0;
#ifdef CATK_BITCODE
    /* catc folds the zero point into the bias where it can (Weights.cpp) */
    if (catk_target_dsp && x_zero == 0) {
      int32_t wide[CATK_QCHUNK / 2], partial[CATK_QBLOCK];
      catk_index pairs = m & ~(catk_index)1, widened = -1;
      for (catk_index jb = 0; jb < pairs; jb += CATK_QBLOCK) {
        catk_index jend = pairs - jb < CATK_QBLOCK ? pairs : jb + CATK_QBLOCK;
        for (catk_index c = 0; c < k; c += CATK_QCHUNK) {
          catk_index len = k - c < CATK_QCHUNK ? k - c : CATK_QCHUNK;
          int32_t first = c == 0, last = c + len == k; /* constants where k is */
          if (c != widened) /* once a row when it is one chunk */
            catk_widen(in + c, wide, len / 4), widened = c;
          for (j = jb; j < jend; j += 2) {
            int32_t sums[2] = {first ? (bias ? bias[j] : 0) : partial[j - jb],
                               first ? (bias ? bias[j + 1] : 0) : partial[j - jb + 1]};
            catk_qdot2_wide(W + j * k + (pair_layout ? 2 * c : c), k, pair_layout, wide, in + c, len,
                            sums);
            if (last) {
              out[j] = catk_qlinear_out(sums[0], requant + j, shifts_right, y_zero, lo, hi);
              out[j + 1] =
                  catk_qlinear_out(sums[1], requant + j + 1, shifts_right, y_zero, lo, hi);
            } else {
              partial[j - jb] = sums[0], partial[j - jb + 1] = sums[1];
            }
          }
        }
      }
      j = pairs;
    }
    if (catk_target_dotprod && x_zero == 0)
      for (; j < m; ++j) {
        const int8_t *row = W + j * k;
        int32_t acc = (bias ? bias[j] : 0) + catk_qdot_sdot(row, in, k);
        for (catk_index l = k & ~(catk_index)15; l < k; ++l)
          acc += (int32_t)in[l] * (int32_t)row[l];
        out[j] = catk_qlinear_out(acc, requant + j, shifts_right, y_zero, lo, hi);
      }
#endif
    for (; j < m; ++j) {
      /* (x - x_zero) fits 9 bits and W 8, so the sum is exact in 32 bits
       * for k below 2^31 / (255 * 128) = 65,793 (catk.h). */
      int32_t acc = bias ? bias[j] : 0;
      const int8_t *row = W + j * k;
      for (catk_index l = 0; l < k; ++l)
        acc += ((int32_t)in[l] - x_zero) * (int32_t)row[l];
      out[j] = catk_qlinear_out(acc, requant + j, shifts_right, y_zero, lo, hi);
    }
  }
}

#ifdef __clang__
/* LLVM's saturating conversion: NaN gives 0, values beyond the range the
 * nearest end. One instruction where the target's conversion saturates
 * (ARM's vcvt), a few elsewhere. */
int32_t catk_float_to_i32_sat(float v) __asm__("llvm.fptosi.sat.i32.f32");
#endif

static inline void catk_quantize(const float *restrict x, int8_t *restrict q, catk_index count,
                                 float c, float scale, int32_t zero) {
  for (catk_index i = 0; i < count; ++i) {
    float v = c * x[i] / scale; /* c * x exact for c = 1 */
    /* round(v), ties away from zero (C's roundf without the libm call):
     * adding the largest float below 1/2, with v's sign, and truncating.
     * Adding 1/2 itself would round 0.49999997 up; this addend's sum with
     * an exact half is a tie between two floats that rounds, to even, to
     * the next integer. Checked against the reference rounding on every
     * float in [-300, 300]. */
    v = v + __builtin_copysignf(0x1.fffffep-2f, v);
#ifdef __clang__
    /* A NaN becomes 0, the zero point; the clamp to [-512, 511] (one
     * `ssat` on ARM) keeps r + zero in range. */
    int32_t r = catk_clamp_i32(catk_float_to_i32_sat(v), -512, 511);
#else
    /* Clamped before the conversion, so that no value is out of the
     * integer's range; a NaN fails both tests and becomes 0, the zero
     * point. The same integers as the saturating conversion above. */
    v = v > 256.0f ? 256.0f : v;
    v = v < -256.0f ? -256.0f : v;
    int32_t r = v == v ? (int32_t)v : 0;
#endif
    q[i] = (int8_t)catk_clamp_i32(r + zero, -128, 127);
  }
}

void cat_k_quantize(const float *restrict x, int8_t *restrict q, catk_index count, float scale,
                    int32_t zero) {
  catk_quantize(x, q, count, 1.0f, scale, zero);
}

void cat_k_scale_quantize(const float *restrict x, int8_t *restrict q, catk_index count, float c,
                          float scale, int32_t zero) {
  catk_quantize(x, q, count, c, scale, zero);
}

void cat_k_dequantize(const int8_t *restrict q, float *restrict x, catk_index count, float scale,
                      int32_t zero) {
  for (catk_index i = 0; i < count; ++i)
    x[i] = scale * (float)((int32_t)q[i] - zero);
}

void cat_k_minmax(const float *restrict x, catk_index count, float *restrict range) {
  float lo = range[0], hi = range[1];
  for (catk_index i = 0; i < count; ++i) {
    /* A NaN fails both tests and changes neither bound. */
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  range[0] = lo;
  range[1] = hi;
}
