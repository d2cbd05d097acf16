"""log_row_is_eval.py - a logged epoch's training metrics match an evaluation.

usage: log_row_is_eval.py LOG EPOCH EVAL_JSON

For a full-batch run without validation, epoch EPOCH's one step sees the
weights after EPOCH - 1 epochs, so its logged loss and accuracy must be
what `eval --json` reports for those weights on the training set (EVAL_JSON
holds that output). The step averages in float, eval in double: the losses
may differ in the last bits. Prints both, or the mismatch and exits 1.
"""
import csv
import json
import math
import sys

log_path, epoch, eval_path = sys.argv[1], sys.argv[2], sys.argv[3]
row = next(r for r in csv.DictReader(open(log_path, newline="")) if r["epoch"] == epoch)
evaluated = json.load(open(eval_path))
loss, accuracy = float(row["loss"]), float(row["accuracy"])
ok = math.isclose(loss, evaluated["loss"], rel_tol=1e-6) and accuracy == evaluated["accuracy"]
print(f"{'ok' if ok else 'FAIL'}: epoch {epoch} logged loss {loss:.6g} accuracy {accuracy:g}, "
      f"eval loss {evaluated['loss']:.6g} accuracy {evaluated['accuracy']:g}")
sys.exit(0 if ok else 1)
