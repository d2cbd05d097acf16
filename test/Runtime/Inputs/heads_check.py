"""Checks eval's per-head losses of iris_two_heads (see heads.test)."""
import csv
import json
import math
import sys

d = sys.argv[1]
got = json.load(open(f"{d}/eval.json"))
assert got["heads"] == ["mse", "cross_entropy"], got
mse_head, ce_head = got["head_losses"]
assert math.isclose(mse_head + ce_head, got["loss"], rel_tol=1e-5), got
print("heads add up to the loss")
rows = list(csv.DictReader(open(f"{d}/iris.csv")))
classes = []
for r in rows:
    if r["species"] not in classes:
        classes.append(r["species"])
predicted = list(csv.DictReader(open(f"{d}/predicted.csv")))
mse = sum((float(p["Width"]) - float(r["petal_width"])) ** 2
          for p, r in zip(predicted, rows)) / len(rows)
ce = sum(-math.log(float(p["p_" + r["species"]])) for p, r in zip(predicted, rows)) / len(rows)
assert math.isclose(mse, mse_head, rel_tol=1e-4, abs_tol=1e-6), (mse, mse_head)
print("mse head agrees", mse, mse_head)
assert math.isclose(ce, ce_head, rel_tol=1e-4, abs_tol=1e-6), (ce, ce_head)
print("cross_entropy head agrees", ce, ce_head)
