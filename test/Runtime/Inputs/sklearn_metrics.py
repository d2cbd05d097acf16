"""Data sets from scikit-learn and its metrics on catc's predictions.

  sklearn_metrics.py write DIR
      writes DIR/diabetes.csv (regression: ten features, column 'target')
      and DIR/cancer.csv (binary: thirty standardised features, column
      'malignant', 0/1).
  sklearn_metrics.py check KIND EVAL_JSON PREDICTIONS_CSV DATA_CSV TARGET
      recomputes the metrics `eval --json` printed (KIND: classes, binary or
      regression) with scikit-learn from the `predict --output` CSV of the
      same weights and data, and fails on any difference.
"""
import csv
import json
import sys

import numpy as np
from sklearn import datasets, metrics


def write(directory):
    d = datasets.load_diabetes()
    with open(f"{directory}/diabetes.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(d.feature_names) + ["target"])
        for x, y in zip(d.data, d.target):
            w.writerow([f"{v:.9g}" for v in x] + [f"{y:g}"])
    c = datasets.load_breast_cancer()
    x = (c.data - c.data.mean(axis=0)) / c.data.std(axis=0)
    with open(f"{directory}/cancer.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"f{i}" for i in range(x.shape[1])] + ["malignant"])
        # scikit-learn's target 0 is malignant.
        for row, y in zip(x, c.target):
            w.writerow([f"{v:.9g}" for v in row] + [str(1 - y)])


def check(kind, eval_json, predictions_csv, data_csv, target):
    got = json.load(open(eval_json))
    with open(data_csv) as f:
        truth = [row[target] for row in csv.DictReader(f)]
    with open(predictions_csv) as f:
        predicted = list(csv.DictReader(f))
    if kind == "classes":
        y, p = truth, [row["class"] for row in predicted]
        want = {"accuracy": metrics.accuracy_score(y, p),
                "macro_f1": metrics.f1_score(y, p, average="macro")}
        labels = got["classes"]
        matrix = metrics.confusion_matrix(y, p, labels=labels).tolist()
        if matrix != got["confusion"]:
            sys.exit(f"confusion: catc {got['confusion']}, scikit-learn {matrix}")
    elif kind == "binary":
        y = [int(float(v) >= 0.5) for v in truth]
        p = [int(row["decision"]) for row in predicted]
        want = {"accuracy": metrics.accuracy_score(y, p),
                "precision": metrics.precision_score(y, p, zero_division=0),
                "recall": metrics.recall_score(y, p, zero_division=0),
                "f1": metrics.f1_score(y, p, zero_division=0)}
    else:
        y = np.array([float(v) for v in truth])
        p = np.array([float(row["output"]) for row in predicted])
        want = {"mse": metrics.mean_squared_error(y, p),
                "mae": metrics.mean_absolute_error(y, p),
                "r2": metrics.r2_score(y, p)}
    for name, value in want.items():
        # Predictions are printed with 6 significant digits.
        if not np.isclose(got[name], value, rtol=1e-4, atol=1e-6):
            sys.exit(f"{name}: catc {got[name]}, scikit-learn {value}")
        print(f"{name} agrees: {got[name]:.6g}")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        check(*sys.argv[2:7])
