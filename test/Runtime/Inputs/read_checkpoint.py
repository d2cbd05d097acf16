"""read_checkpoint.py - reads a catc checkpoint with numpy alone and checks
it against what the program itself reports.

usage: read_checkpoint.py CHECKPOINT INFO_OUTPUT EVAL_JSON IRIS_CSV STEPS

Parses the safetensors layout by hand (8-byte little-endian header length,
JSON header, raw little-endian data), then checks: every tensor's sum and
first values match `info --weights`; the loss of the softmax regression
(logits = W x + b, cross entropy) on the iris data matches `eval --json`;
the optimizer state's step count is STEPS. Prints OK lines; exits 1 on a
mismatch.
"""
import json
import math
import struct
import sys

import numpy as np


def read_checkpoint(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        values = np.frombuffer(body[begin:end], dtype="<f4")
        tensors[name] = values.reshape(entry["shape"])
    return header["__metadata__"], tensors


def info_lines(path):
    """{name: (sum, [first values])} from `info --weights` output."""
    found = {}
    with open(path) as f:
        for line in f:
            words = line.split()
            if len(words) >= 4 and words[1] == "sum" and words[3] == "first":
                found[words[0]] = (float(words[2]), words[4:])
    return found


def check(ok, message):
    print(("OK " if ok else "MISMATCH ") + message)
    if not ok:
        sys.exit(1)


def check_tensors(tensors, info):
    for name, (total, first) in info.items():
        flat = tensors[name].ravel()
        ours = math.fsum(float(v) for v in flat)
        check(abs(ours - total) <= 1e-9 * max(1.0, abs(total)),
              f"{name} sum {ours:.12g}")
        ours_first = ["%.9g" % float(v) for v in flat[:3]]
        check(ours_first == first, f"{name} first {' '.join(ours_first)}")


def iris_loss(tensors, csv_path):
    rows = [line.strip().split(",") for line in open(csv_path) if line.strip()]
    rows = rows[1:]  # the header
    names = []
    for row in rows:
        if row[-1] not in names:
            names.append(row[-1])
    x = np.array([[float(v) for v in row[:4]] for row in rows], dtype=np.float64)
    t = np.array([names.index(row[-1]) for row in rows])
    w = tensors["model.linear0.weight"].astype(np.float64)
    b = tensors["model.bias0.bias"].astype(np.float64)
    z = x @ w.T + b
    top = z.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
    return float(np.mean(lse - z[np.arange(len(t)), t]))


def main():
    path, info_path, eval_path, csv_path, steps = sys.argv[1:6]
    meta, tensors = read_checkpoint(path)
    check(meta["module"] == "logreg", "module " + meta["module"])
    info = info_lines(info_path)
    check(sorted(info) == sorted(n for n in tensors if not n.startswith("__")),
          "tensor names " + " ".join(sorted(info)))
    check_tensors(tensors, info)
    reported = json.load(open(eval_path))["loss"]
    ours = iris_loss(tensors, csv_path)
    check(abs(ours - reported) <= 1e-5 * max(1.0, abs(reported)),
          f"eval loss {ours:.6f}")
    state = tensors["__optimizer__.state"]
    # The step counter is a uint32 stored bit for bit in the first float.
    counter = int(state[:1].view(np.uint32)[0])
    check(state.shape == (8 + 15,) and counter == int(steps), f"optimizer steps {counter}")


if __name__ == "__main__":
    main()
