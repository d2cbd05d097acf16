#!/usr/bin/python3
"""Writes the CSV files of the worked models of docs/training.md from
scikit-learn's bundled data sets (no download):

  diabetes.csv  load_diabetes: ten features (as scikit-learn scales them)
                and the disease progression a year later, 'progression'
  cancer.csv    load_breast_cancer: thirty features, each standardised to
                mean 0 and standard deviation 1, and 'malignant' (1) or not
  digits.csv    load_digits: 8x8 images, pixels p0 … p63 from 0 to 16, and
                the 'digit' they show

Usage: sklearn_csv.py [DIR]   (default: the directory of this script)

The files in examples/ were written by this script with scikit-learn 1.2;
test/Examples/sklearn-csv.test checks that it still writes the same bytes.
"""
import csv
import os
import sys

from sklearn import datasets


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


def main(directory):
    d = datasets.load_diabetes()
    write(os.path.join(directory, "diabetes.csv"),
          list(d.feature_names) + ["progression"],
          ([f"{v:.6g}" for v in x] + [f"{y:g}"] for x, y in zip(d.data, d.target)))

    c = datasets.load_breast_cancer()
    x = (c.data - c.data.mean(axis=0)) / c.data.std(axis=0)
    # scikit-learn's target 0 is malignant.
    write(os.path.join(directory, "cancer.csv"),
          list(c.feature_names) + ["malignant"],
          ([f"{v:.4g}" for v in row] + [str(1 - y)] for row, y in zip(x, c.target)))

    g = datasets.load_digits()
    write(os.path.join(directory, "digits.csv"),
          [f"p{i}" for i in range(g.data.shape[1])] + ["digit"],
          ([str(int(v)) for v in x] + [str(y)] for x, y in zip(g.data, g.target)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
