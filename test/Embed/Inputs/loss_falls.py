"""loss_falls.py - the `step N  loss X` lines of a training log fall monotonically.

usage: loss_falls.py LOG BOUND

Prints how many losses there were and the first and last; exits 1 unless
every loss is below the one before and the last is below BOUND.
"""
import sys

losses = [float(line.split()[-1]) for line in open(sys.argv[1], encoding="utf-8")
          if line.startswith("step")]
bound = float(sys.argv[2])
rises = [i for i in range(1, len(losses)) if not losses[i] < losses[i - 1]]
if len(losses) < 2 or rises or not losses[-1] < bound:
    print(f"FAILED: losses {losses} (rises at reports {rises}, bound {bound})")
    sys.exit(1)
print(f"{len(losses)} losses, each below the one before, from {losses[0]} to {losses[-1]} < {bound}")
