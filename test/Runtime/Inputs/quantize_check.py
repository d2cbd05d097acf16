#!/usr/bin/python3
"""Checks the file `model quantize` wrote against the scheme, recomputed
from the float weights it was made from, with numpy and exact fractions.

Usage: quantize_check.py FLOAT.safetensors INT8.safetensors DATA.csv EXAMPLES RELU...

The model is a chain of dense layers (the order of the int8 file's I8
tensors) whose features are the first columns of DATA.csv; RELU is 1 or 0
per layer (whether a ReLU follows its bias). For every layer it checks:
the input and output ranges against a float64 forward pass over the first
EXAMPLES rows (relative to the range's size, 1e-5: the model ran in float32);
and bit for bit, from the float weights and the file's ranges, the int8
weights and their per-channel scales, the activations' scales and zero
points, the int32 biases and the requantization multipliers and shifts.
Prints one line per check; exits 1 on any difference.
"""
import json
import os
import sys
from fractions import Fraction

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "unit"))
from quant_reference import quantize_multiplier, round_away  # noqa: E402

DTYPES = {"F32": "<f4", "I32": "<i4", "I8": "i1"}


def read(path):
    raw = open(path, "rb").read()
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + length])
    data = raw[8 + length:]
    meta = header.pop("__metadata__", {})
    order = sorted(header, key=lambda name: header[name]["data_offsets"][0])
    tensors = {}
    for name in order:
        entry = header[name]
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], DTYPES[entry["dtype"]]).reshape(entry["shape"])
    return meta, order, tensors


def rounded(value, lo, hi):
    return min(max(round_away(Fraction(float(value))), lo), hi)


def activation(lo, hi):
    """scale and zero point of [lo, hi] widened to hold 0 (float32 scale)."""
    lo, hi = min(np.float32(lo), np.float32(0)), max(np.float32(hi), np.float32(0))
    scale = np.float32((np.float64(hi) - np.float64(lo)) / 255.0) if hi > lo else np.float32(1)
    if scale == 0:
        scale = np.float32(1)
    return scale, rounded(-128.0 - np.float64(lo) / np.float64(scale), -128, 127)


def main():
    float_path, int8_path, data_path, examples = sys.argv[1:5]
    relu = [flag == "1" for flag in sys.argv[5:]]
    fmeta, _, floats = read(float_path)
    meta, order, tensors = read(int8_path)
    failed = 0

    def report(ok, what):
        nonlocal failed
        failed += not ok
        print("%s %s" % ("OK" if ok else "FAIL", what))

    report(meta.get("layout_hash") == fmeta.get("layout_hash") and "quantization" in meta,
           "metadata: layout hash %s, scheme named" % meta.get("layout_hash"))
    weights = [n for n in order if tensors[n].dtype == np.int8]
    report(len(weights) == len(relu), "%d dense layers" % len(weights))
    rows = np.loadtxt(data_path, delimiter=",", skiprows=1, usecols=range(floats[weights[0]].shape[1]),
                      max_rows=int(examples), dtype=np.float64)
    x = np.atleast_2d(rows)
    for name, has_relu in zip(weights, relu):
        # The bias: the I32 tensor after the weight's own (W.*) tensors.
        after = order[order.index(name) + 1:]
        bias = next((n for n in after if tensors[n].dtype == np.int32 and not n.startswith(name + ".")), None)
        W, b = floats[name].astype(np.float64), floats[bias].astype(np.float64)
        y = x @ W.T + b
        if has_relu:
            y = np.maximum(y, 0)
        for kind, values in (("input", x), ("output", y)):
            stored = tensors[name + "." + kind + "_range"].astype(np.float64)
            expected = np.array([values.min(), values.max()])
            err = np.abs(stored - expected).max() / max(expected[1] - expected[0], 1e-30)
            report(err <= 1e-5, "%s %s range [%g, %g] (%.1e)" % (name, kind, stored[0], stored[1], err))
        x = y

        scales = np.array([np.float32(np.float64(np.abs(row).max()) / 127.0) if np.abs(row).max() > 0
                           else np.float32(1) for row in floats[name]], np.float32)
        report(np.array_equal(scales.view(np.uint32), tensors[name + ".scale"].view(np.uint32)),
               "%s per-channel scales" % name)
        q = np.array([[rounded(np.float64(v) / np.float64(s), -127, 127) for v in row]
                      for row, s in zip(floats[name], scales)], np.int64)
        report(np.array_equal(q, tensors[name].astype(np.int64)), "%s int8 weights" % name)
        act = {}
        for kind in ("input", "output"):
            lo, hi = tensors[name + "." + kind + "_range"]
            act[kind] = activation(lo, hi)
            ok = (act[kind][0].view(np.uint32) == tensors[name + "." + kind + "_scale"].view(np.uint32)[0]
                  and act[kind][1] == tensors[name + "." + kind + "_zero"][0])
            report(ok, "%s %s scale %g zero %d" % (name, kind, act[kind][0], act[kind][1]))
        sx, sy = np.float64(act["input"][0]), np.float64(act["output"][0])
        expected_bias = [rounded(np.float64(v) / (sx * np.float64(s)), -2**31, 2**31 - 1)
                         for v, s in zip(floats[bias], scales)]
        report(expected_bias == tensors[bias].tolist(), "%s int32 bias" % bias)
        pairs = [quantize_multiplier(sx * np.float64(s) / sy) for s in scales]
        report([m for m, _ in pairs] == tensors[name + ".multiplier"].tolist()
               and [s for _, s in pairs] == tensors[name + ".shift"].tolist(),
               "%s requantization multipliers and shifts" % name)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
