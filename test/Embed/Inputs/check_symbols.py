"""check_symbols.py - a generated object needs nothing but libm, memset and memcpy.

usage: check_symbols.py PREFIX=OBJECT...

For each object (llvm-nm from PATH): every undefined symbol must be in
ALLOWED, and every defined global symbol must start with `PREFIX_`, so
that objects of different modules link into one program. Prints the union
of the undefined symbols and the number of defined globals; on a violation
prints it and exits 1.
"""
import subprocess
import sys

# C99 <math.h> float functions the kernels use, sincosf (glibc and newlib
# libm: LLVM fuses sinf and cosf of one angle into it), memset and memcpy.
ALLOWED = {"expf", "logf", "sqrtf", "tanhf", "erff", "sinf", "cosf", "sincosf",
           "memset", "memcpy"}


def symbols(path, *flags):
    out = subprocess.run(["llvm-nm", *flags, path], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def main():
    undefined, problems, defined = set(), [], 0
    for argument in sys.argv[1:]:
        prefix, path = argument.split("=", 1)
        for name in symbols(path, "-u"):
            undefined.add(name)
            if name not in ALLOWED:
                problems.append(f"{path}: undefined symbol '{name}' is not allowed")
        for name in symbols(path, "-g", "--defined-only"):
            defined += 1
            if not name.startswith(prefix + "_"):
                problems.append(f"{path}: global '{name}' lacks the prefix '{prefix}_'")
    print("undefined:", " ".join(sorted(undefined)))
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"{defined} defined globals in {len(sys.argv) - 1} objects, all with their module prefix")
    return 0


if __name__ == "__main__":
    sys.exit(main())
