"""compare_numbers.py - two outputs agree token by token, numbers within a tolerance.

usage: compare_numbers.py [--tol T] EXPECTED ACTUAL

Both files are split at whitespace. Tokens that parse as numbers (decimal,
or C99 hexadecimal such as 0x1.8p+1, which the boards of
examples/embed/boards/ print because it is exact) must
differ by at most T * max(1, |expected|) (absolute for values of magnitude
up to 1, relative above); every other token must be equal. Prints the count
and the largest difference, or each disagreement and exits 1.
"""
import argparse
import math
import sys


def number(token):
    try:
        return float(token)
    except ValueError:
        pass
    # Only with the 0x prefix: fromhex alone would read words like "add".
    if token.lstrip("+-")[:2].lower() == "0x":
        try:
            return float.fromhex(token)
        except ValueError:
            pass
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tol", type=float, default=1e-5)
    parser.add_argument("expected")
    parser.add_argument("actual")
    args = parser.parse_args()
    with open(args.expected, encoding="utf-8") as f:
        expected = f.read().split()
    with open(args.actual, encoding="utf-8") as f:
        actual = f.read().split()
    problems = []
    if len(expected) != len(actual):
        problems.append(f"{len(expected)} tokens expected, {len(actual)} found")
    numbers, largest = 0, 0.0
    for index, (e, a) in enumerate(zip(expected, actual)):
        ev, av = number(e), number(a)
        if ev is None or av is None:
            if e != a:
                problems.append(f"token {index}: expected '{e}', found '{a}'")
            continue
        numbers += 1
        difference = abs(ev - av)
        if math.isnan(difference) or difference > args.tol * max(1.0, abs(ev)):
            problems.append(f"token {index}: expected {e}, found {a} (difference {difference:.3g})")
        elif difference > largest:
            largest = difference
    if problems:
        for p in problems[:20]:
            print(p)
        print(f"FAILED: {len(problems)} disagreements")
        return 1
    if numbers == 0:
        print("FAILED: no numbers to compare")
        return 1
    print(f"{numbers} numbers agree within {args.tol:g} (largest difference {largest:.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
