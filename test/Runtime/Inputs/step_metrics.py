"""step_metrics.py - an epoch's training metrics are those of its steps.

usage: step_metrics.py TRACE LOG TRAIN_COUNT BATCH [SKIP]

TRACE holds the lines `step N LOSS CORRECT VIA` that logreg_model.c built
with LOGREG_TRACE prints for every step, LOG the run's --log CSV. Each
epoch has ceil(TRAIN_COUNT / BATCH) steps, the first logged one SKIP fewer
(a run resumed after SIGINT mid-epoch). The loss of every row must be the
mean of its steps' losses weighted by N, the accuracy the fraction of
correct predictions over its steps. Prints the rows checked and the entry
points the steps came through, or each mismatch and exits 1.
"""
import collections
import csv
import math
import sys


def main():
    trace_path, log_path = sys.argv[1], sys.argv[2]
    train_count, batch = int(sys.argv[3]), int(sys.argv[4])
    skip = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    steps, via = [], collections.Counter()
    for line in open(trace_path, encoding="utf-8"):
        fields = line.split()
        if fields and fields[0] == "step":
            steps.append((int(fields[1]), float(fields[2]), int(fields[3])))
            via[fields[4]] += 1
    rows = list(csv.DictReader(open(log_path, newline="", encoding="utf-8")))
    per_epoch = -(-train_count // batch)
    failures, at = 0, 0
    for k, row in enumerate(rows):
        count = per_epoch - (skip if k == 0 else 0)
        epoch = steps[at:at + count]
        at += count
        examples = sum(n for n, _, _ in epoch)
        loss = sum(n * l for n, l, _ in epoch) / examples
        accuracy = sum(c for _, _, c in epoch) / examples
        logged_loss, logged_acc = float(row["loss"]), float(row["accuracy"])
        if not math.isclose(loss, logged_loss, rel_tol=1e-7):
            failures += 1
            print(f"epoch {row['epoch']}: logged loss {logged_loss}, steps' mean {loss}")
        if not math.isclose(accuracy, logged_acc, rel_tol=1e-8):
            failures += 1
            print(f"epoch {row['epoch']}: logged accuracy {logged_acc}, steps' {accuracy}")
    if at != len(steps):
        failures += 1
        print(f"{len(steps)} steps traced, {at} in the logged epochs")
    if failures:
        return 1
    print(f"{len(rows)} epochs match their {at} steps, via "
          + ", ".join(f"{name} {n}" for name, n in sorted(via.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
