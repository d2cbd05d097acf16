#!/usr/bin/python3
"""int8_reference.py - the int8 inference of a chain of dense layers, in
numpy and exact integers, against what a compiled model printed.

Usage: int8_reference.py FLOAT.safetensors INT8.safetensors DATA.csv OUTPUT.txt RELU...
       [--probabilities PREDICT.txt] [--prescale C]

OUTPUT.txt is int8_predict.c's: per row of DATA.csv, its outputs (%a) and
their argmax. The reference runs the scheme of docs/quantization.md from
the int8 file alone: the input quantized with the first layer's scale and
zero point (x / scale in float32, rounded half away from zero), each layer
on integers (quant_reference.requantize: gemmlowp's arithmetic), the last
layer's output dequantized (scale * (q - zero) in float32), and it must
print the same bits. It also runs the float model of FLOAT.safetensors in
float64 and reports both accuracies against the CSV's labels, which must
be within 1 point of each other. With --probabilities, PREDICT.txt is
`predict --probabilities` of an executable with the int8 weights compiled
in, on the same rows: each row's printed probabilities (6 digits) must be
the softmax of the reference outputs. With --prescale C the model starts
with `scale(C)`: the rows are multiplied by C in float32 first. Exits 1 on
any difference.
"""
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "unit"))
sys.path.insert(0, os.path.join(here, "..", "..", "Runtime", "Inputs"))
from quant_reference import requantize  # noqa: E402
from quantize_check import read  # noqa: E402


def quantize(x, scale, zero):
    v = (np.asarray(x, np.float32) / np.float32(scale)).astype(np.float32)
    out = np.zeros(v.shape, np.int64)
    for i, f in np.ndenumerate(v):
        if np.isnan(f):
            r = 0
        elif f >= 256:
            r = 256
        elif f <= -256:
            r = -256
        else:
            t = int(f)  # toward zero
            frac = np.float32(f - np.float32(t))
            r = t + (frac >= 0.5) - (frac <= -0.5)
        out[i] = min(max(r + zero, -128), 127)
    return out


def main():
    args = sys.argv[1:]
    predictions = None
    if "--probabilities" in args:
        at = args.index("--probabilities")
        predictions = args[at + 1]
        del args[at:at + 2]
    prescale = None
    if "--prescale" in args:
        at = args.index("--prescale")
        prescale = np.float32(float(args[at + 1]))
        del args[at:at + 2]
    float_path, int8_path, data_path, output_path = args[:4]
    relu = [flag == "1" for flag in args[4:]]
    _, _, floats = read(float_path)
    _, order, t = read(int8_path)
    weights = [n for n in order if t[n].dtype == np.int8]
    biases = [next(n for n in order[order.index(w) + 1:] if t[n].dtype == np.int32 and not n.startswith(w + "."))
              for w in weights]
    k0 = t[weights[0]].shape[1]
    rows = np.loadtxt(data_path, delimiter=",", skiprows=1, usecols=range(k0), dtype=np.float32, ndmin=2)
    if prescale is not None:
        rows = (prescale * rows).astype(np.float32)
    labels_text = [line.rstrip("\n").split(",")[-1] for line in open(data_path).readlines()[1:]]
    # Integer labels are class indices (as the runtime reads them); names
    # are numbered in order of first appearance.
    names = sorted(set(labels_text), key=labels_text.index)
    labels = np.array([int(s) if s.isdigit() else names.index(s) for s in labels_text])

    q = quantize(rows, t[weights[0] + ".input_scale"][0], int(t[weights[0] + ".input_zero"][0]))
    for w, bname, has_relu in zip(weights, biases, relu):
        W, bias = t[w].astype(np.int64), t[bname].astype(np.int64)
        zx, zy = int(t[w + ".input_zero"][0]), int(t[w + ".output_zero"][0])
        acc = (q - zx) @ W.T + bias  # exact: int64
        mult, shift = t[w + ".multiplier"].tolist(), t[w + ".shift"].tolist()
        lo = zy if has_relu else -128
        q = np.array([[min(max(zy + requantize(int(a), mult[j], shift[j]), lo), 127) for j, a in enumerate(row)]
                      for row in acc], np.int64)
    last = weights[-1]
    expected = (np.float32(t[last + ".output_scale"][0]) * (q - int(t[last + ".output_zero"][0])).astype(np.float32))

    got = [line.split() for line in open(output_path)]
    got_values = np.array([[float.fromhex(v) for v in line[:-1]] for line in got], np.float32)
    same = got_values.shape == expected.shape and np.array_equal(got_values.view(np.uint32),
                                                                 expected.astype(np.float32).view(np.uint32))
    print("%s int8 outputs of %d rows equal the reference bit for bit" % ("OK" if same else "FAIL", len(got)))
    if not same and got_values.shape == expected.shape:
        bad = np.argwhere(got_values.view(np.uint32) != expected.view(np.uint32))
        print("first difference at row %d: %r vs %r" % (bad[0][0], got_values[bad[0][0]], expected[bad[0][0]]))

    x = rows.astype(np.float64)
    for w, bname, has_relu in zip(weights, biases, relu):
        x = x @ floats[w].astype(np.float64).T + floats[bname].astype(np.float64)
        if has_relu:
            x = np.maximum(x, 0)
    float_acc = np.mean(np.argmax(x, axis=1) == labels) * 100
    int8_acc = np.mean(np.array([int(line[-1]) for line in got]) == labels) * 100
    close = abs(float_acc - int8_acc) <= 1.0
    print("%s accuracy float %.1f%% int8 %.1f%%" % ("OK" if close else "FAIL", float_acc, int8_acc))
    agree = True
    if predictions:
        e = np.exp(expected.astype(np.float64) - expected.max(axis=1, keepdims=True))
        softmax = e / e.sum(axis=1, keepdims=True)
        printed = np.array([[float(v) for v in line.split()[1:]] for line in open(predictions)])
        agree = printed.shape == softmax.shape and np.all(np.abs(printed - softmax) <= 1e-5 * np.maximum(softmax, 1e-3))
        print("%s predict --probabilities of %d rows is the softmax of the int8 outputs" % (
            "OK" if agree else "FAIL", len(printed)))
    sys.exit(0 if same and close and agree else 1)


if __name__ == "__main__":
    main()
