/*===- mathf.h - Vectorisable float exp, log, log1p, tanh and erf ---------===*
 *
 * libm's expf and friends are opaque calls, so a kernel loop that calls one
 * runs a call per element. These replacements are `static inline` and
 * straight-line: range reduction, a polynomial, and exponent-bit scaling,
 * with every special case (overflow, underflow, zero, infinities, NaN) a
 * select rather than a branch, no tables and no errno. A loop calling them
 * vectorises like one doing plain arithmetic.
 *
 * Accuracy: the maximum error against double-precision libm, in ulps of
 * the correctly rounded result, measured over all 2^32 floats, and the
 * bound test/unit/MathTest.cpp asserts (on every 97th bit pattern, dense
 * ranges where a reduction or branch changes, and special values):
 *   catk_expf    1.05 ulp  (bound 1.5)     catk_logf    0.84 ulp  (bound 1)
 *   catk_log1pf  1.44 ulp  (bound 2)       catk_tanhf   1.47 ulp  (bound 2)
 *   catk_erff    1.45 ulp  (bound 2)       catk_one_minus_expf 1.62 ulp (bound 2, x <= 0)
 * Special values are those of C99 Annex F (exp(+-inf) = +inf, 0; log(0) =
 * -inf; log(x < 0) = NaN; tanh and erf saturate to +-1, keep -0; NaN in,
 * NaN out), and results underflow gradually into subnormals.
 *
 * Determinism: every result is a fixed sequence of IEEE operations on its
 * own argument, so it is bit-identical whether a loop runs scalar or at any
 * vector width, and between clang and gcc. That requires that no
 * multiply-add be fused: the kernel bitcode builds with -ffp-contract=off,
 * and each function repeats that as a pragma for clang, whose default
 * (-ffp-contract=on) would fuse within expressions on FMA targets. Only
 * -ffp-contract=fast (gcc's default for GNU C on FMA targets) overrides it:
 * results then differ in the last bit from the unfused ones, though they
 * stay within the bounds above (checked on the every-97th sweep). The polynomial
 * coefficients are Chebyshev fits rounded to float (written in hex so they
 * are exact).
 *
 *===----------------------------------------------------------------------===*/
#ifndef CATK_MATHF_H
#define CATK_MATHF_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__clang__)
#define CATK_NO_FMA _Pragma("STDC FP_CONTRACT OFF")
#else
#define CATK_NO_FMA
#endif

/* Bit casts through memcpy: defined behaviour in C and C++, and both
 * compilers turn them into plain register moves that vectorise. */
static inline uint32_t catk_float_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static inline float catk_bits_float(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* |x| with the sign of `sign` (copysign without a libm call). */
static inline float catk_with_sign(float magnitude, float sign) {
  return catk_bits_float((catk_float_bits(magnitude) & 0x7fffffffu) |
                         (catk_float_bits(sign) & 0x80000000u));
}

/* 2^k for k in [-126, 127], built in the exponent field (unsigned
 * arithmetic, so a garbage k from a NaN argument is not undefined). */
static inline float catk_pow2i(int32_t k) {
  return catk_bits_float(((uint32_t)k + 127u) << 23);
}

/* ln 2 = CATK_LN2_HI + CATK_LN2_LO; the high part has 13 significant bits,
 * so k * CATK_LN2_HI is exact for |k| <= 2^11 (Cody and Waite). */
#define CATK_LN2_HI 0x1.62ep-1f
#define CATK_LN2_LO 0x1.0bfbe8p-15f

/* e^r - 1 for |r| <= ln2/2: r + r^2 q(r), q a degree-4 fit (error 6.5e-8
 * in q, so under 8e-9 relative in e^r, a tenth of an ulp). */
static inline float catk_expm1_reduced(float r) {
  CATK_NO_FMA
  float q = 0x1.0p-1f +
            r * (0x1.5554dcp-3f + r * (0x1.55551ap-5f + r * (0x1.120b6ep-7f + r * 0x1.6d110ap-10f)));
  return r + (r * r) * q;
}

/* e^x. Reduction x = k ln2 + r, |r| <= ln2/2; e^r = 1 + catk_expm1_reduced(r)
 * (the rest of the error is rounding). 2^k is applied as two factors
 * 2^(k/2) * 2^(k - k/2) so that k = 128 (results near FLT_MAX) and
 * k < -126 (subnormal results) need no special path; the first product is
 * exact and the second rounds once, so subnormal results are rounded
 * correctly from p. */
static inline float catk_expf(float x) {
  CATK_NO_FMA
  /* Beyond these e^x is inf or 0 anyway; clamping keeps k and both scale
   * factors in range. NaN passes through the selects unchanged. */
  float xc = x > 89.0f ? 89.0f : x;
  xc = xc < -110.0f ? -110.0f : xc;
  /* Adding 1.5 * 2^23 rounds to the nearest integer k and leaves k in the
   * low mantissa bits (no rint call; and unlike (int)kf, a NaN gives an
   * arbitrary k rather than undefined behaviour). */
  float shifter = 0x1.8p23f;
  float shifted = xc * 0x1.715476p+0f + shifter;
  float kf = shifted - shifter;
  int32_t k = (int32_t)(catk_float_bits(shifted) - catk_float_bits(shifter));
  float r = (xc - kf * CATK_LN2_HI) - kf * CATK_LN2_LO;
  float p = 1.0f + catk_expm1_reduced(r);
  /* Below -104, e^x < 2^-150 rounds to 0; a zero p gives that 0 without
   * the products below underflowing, for each of which Intel cores take a
   * microcode assist of about a hundred cycles (a masked attention score,
   * -inf, is such an x: they made half of a causal softmax's time). */
  p = x < -104.0f ? 0.0f : p;
  int32_t k1 = k / 2;
  float y = (p * catk_pow2i(k1)) * catk_pow2i(k - k1);
  /* 0x1.62e42ep6 is the largest float whose exp rounds below FLT_MAX. */
  return x > 0x1.62e42ep6f ? INFINITY : y;
}

/* 1 - e^x for x <= 0, to a few float ulps relative (Adam's bias corrections
 * 1 - beta^t = 1 - e^(t ln beta), which come close to 0). Near 0 it is
 * -(e^x - 1) from the polynomial, without cancellation; below -ln2/2,
 * e^x <= 0.71, so 1 - e^x loses at most two bits. */
static inline float catk_one_minus_expf(float x) {
  return x > -0x1.62e430p-2f ? -catk_expm1_reduced(x) : 1.0f - catk_expf(x);
}

/* log(1 + f) for f = m - 1, m in [sqrt(1/2), sqrt(2)), with s = f/(2+f):
 * log(1+f) = 2 atanh(s) = 2s + s R(s^2), and 2s = f - f s, so
 * log(1+f) = f - (f^2/2 - s (f^2/2 + R)); f is exact and the bracket is a
 * small correction, so its rounding errors shrink by f/2. R(z) / z is a
 * degree-3 fit (error 1.2e-9 on R/z, far below float rounding). Returns
 * k ln2 + log(1+f) with the Cody-Waite split of ln 2. */
static inline float catk_log_reduced(float f, float k) {
  CATK_NO_FMA
  float s = f / (2.0f + f);
  float z = s * s;
  float R = z * (0x1.555556p-1f + z * (0x1.9999ecp-2f + z * (0x1.245c40p-2f + z * 0x1.ddcf72p-3f)));
  float hfsq = 0.5f * f * f;
  return k * CATK_LN2_HI - ((hfsq - (s * (hfsq + R) + k * CATK_LN2_LO)) - f);
}

/* log(x) = k ln2 + log(m) with x = 2^k m, m in [sqrt(1/2), sqrt(2)). */
static inline float catk_logf(float x) {
  CATK_NO_FMA
  /* Subnormals are scaled into the normal range first. */
  int subnormal = x < 0x1p-126f;
  float xs = subnormal ? x * 0x1p23f : x;
  /* Subtracting the bits of sqrt(1/2) makes the exponent field count from
   * the mantissa range we want; 128 << 23 keeps the difference unsigned. */
  uint32_t offset = catk_float_bits(xs) + (0x40000000u - 0x3f3504f3u);
  int32_t k = (int32_t)(offset >> 23) - 128 - (subnormal ? 23 : 0);
  float m = catk_bits_float((offset & 0x7fffffu) + 0x3f3504f3u);
  float y = catk_log_reduced(m - 1.0f, (float)k); /* m - 1 is exact (Sterbenz) */
  /* log(+0) = log(-0) = -inf, log(x < 0) = NaN, log(+inf) = +inf, NaN -> NaN. */
  float special = x == 0.0f ? -INFINITY : (x < 0.0f ? NAN : x);
  return ((x > 0.0f) & (x < INFINITY)) ? y : special;
}

/* log(1 + x): u = 1 + x rounds, but c = x - (u - 1) is that rounding error
 * (exactly, for |x| <= 1), and log(1 + x) = log(u) + c/u to first order. */
static inline float catk_log1pf(float x) {
  CATK_NO_FMA
  float u = 1.0f + x;
  float c = x - (u - 1.0f);
  /* The correction is meaningless (0/0, inf - inf) outside (-1, inf). */
  float correction = ((x > -1.0f) & (x < INFINITY)) ? c / u : 0.0f;
  float y = catk_logf(u) + correction;
  return x == 0.0f ? x : y; /* keeps log1p(-0) = -0 */
}

/* tanh(x). |x| < 0.55: x + x^3 P(x^2), P a degree-4 fit (error 1.3e-8), so
 * small arguments lose nothing to cancellation. Otherwise
 * 1 - 2 / (e^(2|x|) + 1), where the subtracted term is at most 1/2 and so
 * its error costs at most half of its ulps; e^(2|x|) = inf for large |x|
 * gives exactly 1. */
static inline float catk_tanhf(float x) {
  CATK_NO_FMA
  float a = catk_with_sign(x, 1.0f);
  float w = a * a;
  float poly = -0x1.555554p-2f +
               w * (0x1.110feap-3f + w * (-0x1.b9a03cp-5f + w * (0x1.5d21a4p-6f + w * -0x1.b1321ap-8f)));
  float small = a + a * (w * poly);
  float large = 1.0f - 2.0f / (catk_expf(2.0f * a) + 1.0f);
  return catk_with_sign(a < 0.55f ? small : large, x); /* NaN takes `large` */
}

/* erf(x). |x| < 1: x + x Q(x^2), Q a degree-6 fit (error 1.3e-9).
 * 1 <= |x| < 4: 1 - erfc(x) with erfc(x) = e^(-x^2) S(t), t = 1/(1 + x/2),
 * S a degree-7 fit in t of erfc(x) e^(x^2) (error 1.2e-10); erfc <= 0.16
 * there, so its relative error reaches the result shrunk. For |x| >= 4,
 * erf(x) rounds to +-1, which the clamped formula gives. */
static inline float catk_erff(float x) {
  CATK_NO_FMA
  float a = catk_with_sign(x, 1.0f);
  float w = a * a;
  float q = 0x1.06eba8p-3f +
            w * (-0x1.81273ep-2f +
                 w * (0x1.ce2d10p-4f +
                      w * (-0x1.b7fab6p-6f + w * (0x1.541248p-8f + w * (-0x1.a44f50p-11f + w * 0x1.4a5308p-14f)))));
  float small = a + a * q;
  float ac = a > 4.0f ? 4.0f : a;
  float t = 1.0f / (1.0f + 0.5f * ac);
  float S = -0x1.586f92p-13f +
            t * (0x1.23e734p-2f +
                 t * (0x1.08f60ap-2f +
                      t * (0x1.6774c8p-2f +
                           t * (-0x1.c36c1ep-4f + t * (0x1.247d3ap-1f + t * (-0x1.e7f6b8p-2f + t * 0x1.ef0382p-4f))))));
  float large = 1.0f - catk_expf(-(ac * ac)) * S;
  return catk_with_sign(a < 1.0f ? small : large, x); /* NaN takes `large` */
}

#undef CATK_NO_FMA

#endif /* CATK_MATHF_H */
