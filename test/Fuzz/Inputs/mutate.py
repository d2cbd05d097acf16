"""mutate.py CATC SRC_ROOT SEED COUNT WORKDIR - a seeded mutation fuzzer.

Takes the .cat files of the repository (tests, examples, stdlib), applies one
to four random token edits (replace, delete, insert a piece of the
language), and runs catc on each mutant with several actions. Every run must
end with exit status 0 or 1 and without "internal compiler error", a stack
dump or an assertion. Prints one line per bad case (and keeps the case in
WORKDIR) and a summary; exits 1 if any case was bad.
"""
import glob
import os
import random
import subprocess
import sys

catc, root, seed, count, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
files = sorted(glob.glob(os.path.join(root, "test", "**", "*.cat"), recursive=True)
               + glob.glob(os.path.join(root, "examples", "*.cat"))
               + glob.glob(os.path.join(root, "stdlib", "std", "*.cat")))
sources = [open(f, encoding="utf-8", errors="replace").read() for f in files]
pieces = [";", "*", "<", ">", ",", "(", ")", "[", "]", "id", "map", "R", "Fin", "1", "0", "3",
          "copy", "drop", "pi[2]", "linear", "fst", "swap", "^", "->", ":", "=", "sum", "reshape",
          "concat", "matmul", "embed", "param", "∘", "⟨", "×", "law", "train", "import"]
actions = [["-fsyntax-only"], ["--emit=ir"], ["--emit=backward"], ["--emit=dot"]]
rng = random.Random(seed)
bad = 0
for case in range(count):
    words = rng.choice(sources).split(" ")
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(words))
        r = rng.random()
        if r < 0.3:
            words[i] = rng.choice(pieces)
        elif r < 0.6 and len(words) > 1:
            del words[i]
        else:
            words.insert(i, rng.choice(pieces))
    path = os.path.join(work, "case%d.cat" % case)
    with open(path, "w", encoding="utf-8") as f:
        f.write(" ".join(words))
    for action in actions:
        run = subprocess.run([catc, path, "-I", os.path.join(root, "test", "Sema", "Inputs")] + action,
                             capture_output=True, text=True, errors="replace", timeout=60)
        text = run.stderr
        if run.returncode not in (0, 1) or "internal compiler error" in text or \
                "Stack dump" in text or "Assertion" in text:
            print("BAD case%d.cat %s exit %d: %s" % (case, " ".join(action), run.returncode, text[-200:]))
            bad += 1
            break
        if run.returncode == 1:
            break
        os.remove(path) if action is actions[-1] else None
print("fuzzed %d mutants: %d bad" % (count, bad))
sys.exit(1 if bad else 0)
