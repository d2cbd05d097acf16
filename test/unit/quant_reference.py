#!/usr/bin/python3
"""Checks quant.c's int8 kernels bit for bit against a model of the same
integer arithmetic in Python (exact integers) and numpy.

Usage: /usr/bin/python3 quant_reference.py path/to/libquant.so
(build the library with: cc -std=c99 -O2 -shared -fPIC quant.c -o libquant.so).

The model follows the scheme's published definitions (gemmlowp's
SaturatingRoundingDoublingHighMul and RoundingDivideByPOT, TFLite's
MultiplyByQuantizedMultiplier), written from them, not from quant.c. It
checks requantization on edge cases (INT32_MIN, ties, saturation, shifts
from -31 to 30) and random values, a dense layer with and without bias and
ReLU on random int8 data, and float <-> int8 conversion; and that
requantization is within 1 of round(acc * M) computed exactly. Prints one
line per check and exits 1 on any difference.
"""
import ctypes
import random
import sys
from fractions import Fraction

import numpy as np

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def doubling_high_mul(a, b):
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = 2**30 if ab >= 0 else 1 - 2**30
    v = ab + nudge
    q = abs(v) // 2**31  # C's division truncates toward zero
    return q if v >= 0 else -q


def rounding_shift_right(x, exponent):
    mask = (1 << exponent) - 1
    remainder = x & mask  # two's complement low bits, as in C
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def requantize(acc, multiplier, shift):
    left, right = max(shift, 0), max(-shift, 0)
    if acc > INT32_MAX >> left:
        acc = INT32_MAX
    elif acc < INT32_MIN >> left:
        acc = INT32_MIN
    else:
        acc <<= left
    return rounding_shift_right(doubling_high_mul(acc, multiplier), right)


def requant_table(multiplier, shift):
    """catk.h's catk_requant records: multiplier, shift, and 2^(-shift - 2)
    where shift <= -2 (else 0); and whether every shift is -2 or less."""
    rows = [(int(mu), int(s), 2**(-int(s) - 2) if s <= -2 else 0) for mu, s in zip(multiplier, shift)]
    return np.array(rows, dtype=np.int32).reshape(len(rows), 3), int(all(s <= -2 for s in shift))


def round_away(f):
    """round half away from zero of a Fraction."""
    n = abs(f)
    whole = int(n)  # floor, n >= 0
    r = whole + 1 if n - whole >= Fraction(1, 2) else whole
    return r if f >= 0 else -r


def quantize_multiplier(real):
    """TFLite's QuantizeMultiplier: real = multiplier * 2^(shift - 31), the
    mantissa rounded half away from zero (std::round)."""
    mantissa, exponent = np.frexp(real)
    multiplier = round_away(Fraction(float(mantissa)) * 2**31)
    if multiplier == 2**31:
        multiplier, exponent = 2**30, exponent + 1
    return multiplier, int(exponent)


def main():
    lib = ctypes.CDLL(sys.argv[1])
    i32, i64, f32 = ctypes.c_int32, ctypes.c_int64, ctypes.c_float
    lib.cat_k_requantize.restype = i32
    lib.cat_k_requantize.argtypes = [i32, i32, i32]
    failed = 0

    def report(ok, what):
        nonlocal failed
        print(("ok   " if ok else "FAIL ") + what)
        failed |= not ok

    # Requantization: edge cases, then random values over every shift.
    rng = random.Random(7)
    cases = []
    for acc in [0, 1, -1, 2, -2, 3, -3, 2**30, -(2**30), INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1]:
        for multiplier in [2**30, 2**30 + 1, INT32_MAX, 1518500250, INT32_MIN]:
            for shift in [-31, -20, -8, -1, 0, 1, 5, 30]:
                cases.append((acc, multiplier, shift))
    for _ in range(20000):
        cases.append((rng.randint(INT32_MIN, INT32_MAX), rng.randint(2**30, INT32_MAX), rng.randint(-31, 30)))
        cases.append((rng.randint(-(2**16), 2**16), rng.randint(2**30, INT32_MAX), rng.randint(-20, 0)))
    bad = [c for c in cases if lib.cat_k_requantize(*c) != requantize(*c)]
    report(not bad, f"requantize: {len(cases)} cases equal" + (f" (first difference: {bad[0]})" if bad else ""))

    # Within 1 of the exact round(acc * M) where the scheme does not saturate.
    worst = 0
    for acc, multiplier, shift in cases:
        if multiplier <= 0 or (shift > 0 and abs(acc) > INT32_MAX >> shift):
            continue
        exact = round_away(Fraction(acc) * Fraction(multiplier) * Fraction(2) ** (shift - 31))
        if abs(exact) < 2**31:
            worst = max(worst, abs(requantize(acc, multiplier, shift) - exact))
    report(worst <= 1, f"requantize within {worst} of round(acc * M)")

    # A dense layer: random int8 data, per-channel multipliers from real
    # scales, with and without bias and ReLU.
    np_rng = np.random.default_rng(11)
    n, m, k = 5, 7, 37
    W = np_rng.integers(-127, 128, size=(m, k), dtype=np.int8)
    x = np_rng.integers(-128, 128, size=(n, k), dtype=np.int8)
    bias = np_rng.integers(-5000, 5000, size=m, dtype=np.int32)
    quantized = [quantize_multiplier(r) for r in np_rng.uniform(1e-4, 0.9, size=m)]
    multiplier = np.array([q[0] for q in quantized], dtype=np.int32)
    shift = np.array([q[1] for q in quantized], dtype=np.int32)
    x_zero, y_zero = -3, 9
    P8 = ctypes.POINTER(ctypes.c_int8)
    P32 = ctypes.POINTER(ctypes.c_int32)
    lib.cat_k_qlinear_fwd.argtypes = [P8, P32, P8, P8, i64, i64, i64, i32, P32, i32, i32, i32, i32, i32]
    requant, shifts_right = requant_table(multiplier, shift)
    for with_bias in (True, False):
        for lo in (-128, y_zero):
            y = np.zeros((n, m), dtype=np.int8)
            lib.cat_k_qlinear_fwd(W.ctypes.data_as(P8), bias.ctypes.data_as(P32) if with_bias else None,
                                  x.ctypes.data_as(P8), y.ctypes.data_as(P8), n, m, k, x_zero,
                                  requant.ctypes.data_as(P32), shifts_right, 0, y_zero, lo, 127)
            want = np.zeros((n, m), dtype=np.int8)
            for i in range(n):
                for j in range(m):
                    acc = (int(bias[j]) if with_bias else 0) + int(
                        np.dot(x[i].astype(np.int64) - x_zero, W[j].astype(np.int64)))
                    out = y_zero + requantize(acc, int(multiplier[j]), int(shift[j]))
                    want[i, j] = min(max(out, lo), 127)
            report(np.array_equal(y, want),
                   f"qlinear {n}x{k} -> {m}, bias {'yes' if with_bias else 'no'}, {'relu' if lo == y_zero else 'no relu'}")

    # Requantization inside the layer (quant.c folds its two roundings into
    # one for right shifts of 2 or more): sums that land on and beside the
    # ties of both roundings, with results inside the int8 range. A layer of
    # one input that is 0 makes each channel's sum its bias.
    cases = [(acc, multiplier, -e) for acc in (0, 1, -1, 2, -2, INT32_MAX, INT32_MIN)
             for multiplier in (0, 2**30, INT32_MAX) for e in (0, 1, 2, 3, 8, 31)]
    for _ in range(4000):
        e, multiplier = rng.randint(0, 31), rng.choice([0, 2**30, INT32_MAX, rng.randint(2**30, INT32_MAX)])
        tie = rng.randint(-140, 140) * 2**e + (2**(e - 1) if e else 0)  # a tie of the second rounding
        acc = (2 * tie + rng.choice([-1, 1])) * 2**30 // max(multiplier, 1) + rng.randint(-2, 2)
        if INT32_MIN <= acc <= INT32_MAX:
            cases.append((acc, multiplier, -e))

    def requantize_in_layer(cases):
        """The layer's outputs for sums `cases`, with quant.c's tables."""
        m = len(cases)
        bias = np.array([c[0] for c in cases], dtype=np.int32)
        requant, shifts_right = requant_table([c[1] for c in cases], [c[2] for c in cases])
        W, x, y = np.ones((m, 1), dtype=np.int8), np.zeros((1, 1), dtype=np.int8), np.zeros((1, m), dtype=np.int8)
        lib.cat_k_qlinear_fwd(W.ctypes.data_as(P8), bias.ctypes.data_as(P32), x.ctypes.data_as(P8),
                              y.ctypes.data_as(P8), 1, m, 1, 0, requant.ctypes.data_as(P32), shifts_right,
                              0, 0, -128, 127)
        want = np.array([min(max(requantize(*c), -128), 127) for c in cases], dtype=np.int8)
        inside = sum(-128 < requantize(*c) < 127 for c in cases)
        return np.array_equal(y[0], want) and inside > m // 2, shifts_right, inside

    # Every shift, channel by channel; then only right shifts of 2 or more,
    # which the kernel is told (no test per channel).
    for subset in (cases, [c for c in cases if c[2] <= -2]):
        ok, shifts_right, inside = requantize_in_layer(subset)
        report(ok, f"qlinear requantization{' (shifts_right)' if shifts_right else ''}: {len(subset)} sums at and "
               f"beside ties, {inside} inside the int8 range, equal")

    # float <-> int8: ties, the clamp, NaN and infinities.
    F32P = ctypes.POINTER(ctypes.c_float)
    lib.cat_k_quantize.argtypes = [F32P, P8, i64, f32, i32]
    lib.cat_k_dequantize.argtypes = [P8, F32P, i64, f32, i32]
    scale = np.float32(0.05)
    values = np.concatenate([np.array([0.0, 0.025, -0.025, 0.075, -0.075, 0.02499, 6.3, -6.4, 100.0, -1e30, 1e30,
                                       np.nan, np.inf, -np.inf], dtype=np.float32),
                             np_rng.uniform(-8, 8, size=1000).astype(np.float32)])
    q = np.zeros(values.size, dtype=np.int8)
    lib.cat_k_quantize(values.ctypes.data_as(F32P), q.ctypes.data_as(P8), values.size, scale, 4)
    want = []
    for v in values:
        if np.isnan(v):
            r = 0
        else:
            t = v / scale  # float32 division, as in C
            r = 256 if t >= 256 else -256 if t <= -256 else round_away(Fraction(float(t)))
        want.append(min(max(r + 4, -128), 127))
    report(np.array_equal(q, np.array(want, dtype=np.int8)), f"quantize: {values.size} values equal")
    back = np.zeros(values.size, dtype=np.float32)
    lib.cat_k_dequantize(q.ctypes.data_as(P8), back.ctypes.data_as(F32P), values.size, scale, 4)
    report(np.array_equal(back, scale * (q.astype(np.int32) - 4).astype(np.float32)), "dequantize equal")
    return failed


if __name__ == "__main__":
    sys.exit(main())
