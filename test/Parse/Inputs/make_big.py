"""make_big.py SIZE [garbage] - writes about SIZE bytes of a valid .cat
program (or, with 'garbage', seeded random bytes) to stdout."""
import random
import sys

size = int(sys.argv[1])
if len(sys.argv) > 2 and sys.argv[2] == "garbage":
    rng = random.Random(7)
    sys.stdout.buffer.write(bytes(rng.getrandbits(8) for _ in range(size)))
    sys.exit(0)
written = 0
i = 0
lines = []
while written < size:
    line = (f"object A{i} = R[{i % 7 + 1}, 3]\n"
            f"morphism m{i} : A{i} -> R[2] = map((linear : R[3] -> R[4]) ; relu) ; sum ; linear\n")
    lines.append(line)
    written += len(line)
    i += 1
sys.stdout.write("".join(lines))
