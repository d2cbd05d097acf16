#!/usr/bin/python3
"""int8_accuracy.py - int8 against float accuracy on held-out data.

Usage: int8_accuracy.py --catc CATC --cc CC --workdir DIR DATASET...

For each of scikit-learn's bundled data sets (iris, wine, breast_cancer,
digits: no download), a shuffled split keeps a quarter of the rows out;
features are standardised with the training rows' statistics. A model
`dense ; relu ; dense` (a hidden layer of 16, 32 for digits) is compiled,
trained on the training rows, quantized with them as calibration data, and
compiled again with the int8 weights (catc -c); int8_predict.c runs
`_predict` on the held-out rows. int8_reference.py then checks the outputs
bit for bit against the integer scheme and prints the float model's and the
int8 model's accuracy on those rows, which must be within 1 point.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
from sklearn import datasets

HIDDEN = {"digits": 32}
LOADERS = {"iris": datasets.load_iris, "wine": datasets.load_wine,
           "breast_cancer": datasets.load_breast_cancer, "digits": datasets.load_digits}

MODEL = """module {name}
import std.nn
object Features = R[{features}]
object Hidden   = R[{hidden}]
object Scores   = R[{classes}]
morphism model : Features -> Scores = (dense : Features -> Hidden) ; relu ; dense
train model {{
  data      = csv("train.csv", target = "label")
  loss      = cross_entropy
  optimizer = sgd(lr = 0.05, momentum = 0.9)
  epochs    = 60
  batch     = 16
  seed      = 1
}}
"""


def write_csv(path, x, y):
    with open(path, "w") as f:
        f.write(",".join("f%d" % j for j in range(x.shape[1])) + ",label\n")
        for row, label in zip(x, y):
            f.write(",".join("%.7g" % v for v in row) + ",%d\n" % label)


def run(args, **kw):
    subprocess.run(args, check=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catc", required=True)
    ap.add_argument("--cc", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("datasets", nargs="+")
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    failed = False
    for name in a.datasets:
        d = os.path.join(a.workdir, name)
        os.makedirs(d, exist_ok=True)
        bunch = LOADERS[name]()
        x, y = bunch.data.astype(np.float64), bunch.target
        order = np.random.default_rng(7).permutation(len(y))
        held = order[: len(y) // 4]
        kept = order[len(y) // 4:]
        mean, std = x[kept].mean(axis=0), x[kept].std(axis=0)
        std[std == 0] = 1
        x = (x - mean) / std
        write_csv(os.path.join(d, "train.csv"), x[kept], y[kept])
        write_csv(os.path.join(d, "test.csv"), x[held], y[held])
        classes, features = int(y.max()) + 1, x.shape[1]
        with open(os.path.join(d, "model.cat"), "w") as f:
            f.write(MODEL.format(name=name, features=features, hidden=HIDDEN.get(name, 16), classes=classes))
        quiet = {"stdout": subprocess.DEVNULL, "cwd": d}
        run([a.catc, "model.cat", "-o", "model"], **quiet)
        run(["./model", "--quiet", "--out", "float.safetensors"], **quiet)
        run(["./model", "quantize", "--weights", "float.safetensors", "--out", "int8.safetensors"], **quiet)
        run([a.catc, "model.cat", "-c", "-o", "model.o", "--weights", "int8.safetensors", "--emit-header", "model.h"],
            **quiet)
        run([a.cc, "-std=c99", "-O1", "-I.", '-DHEADER="model.h"', "-DPREDICT=%s_model_predict" % name,
             "-DFEATURES=%d" % features, "-DOUTPUTS=%d" % classes,
             "-DWORKSPACE=%s_MODEL_PREDICT_WORKSPACE_BYTES" % name.upper(),
             os.path.join(here, "int8_predict.c"), "model.o", "-lm", "-o", "predict"], **quiet)
        with open(os.path.join(d, "out.txt"), "w") as out:
            run(["./predict", "test.csv"], stdout=out, cwd=d)
        result = subprocess.run([sys.executable, os.path.join(here, "int8_reference.py"), "float.safetensors",
                                 "int8.safetensors", "test.csv", "out.txt", "1", "0"], cwd=d,
                                stdout=subprocess.PIPE, text=True)
        for line in result.stdout.splitlines():
            print("%s (%s, %d held-out rows)" % (line, name, len(held)))
        failed |= result.returncode != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
