#!/usr/bin/python3
"""int8_wide_data.py - writes wide8.csv for int8_wide.cat: 200 rows of 150
features (or FEATURES; a fixed random draw) and a label in [0, 5), the
largest of five fixed random projections of the row.

Usage: int8_wide_data.py OUT.csv [FEATURES]
"""
import sys

import numpy as np

features = int(sys.argv[2]) if len(sys.argv) > 2 else 150
rng = np.random.default_rng(5)
x = rng.normal(size=(200, features)).astype(np.float32)
labels = np.argmax(x @ rng.normal(size=(features, 5)), axis=1)
with open(sys.argv[1], "w") as out:
    out.write(",".join(f"f{j}" for j in range(features)) + ",label\n")
    for row, label in zip(x, labels):
        out.write(",".join(f"{v:.6g}" for v in row) + f",{label}\n")
