"""corpus.py - catc-format over the repository's .cat files, for lit tests.

usage: corpus.py MODE [--format CMD] [--catc CATC] [--copy DIR] ROOT SUBDIR...

Every *.cat file under ROOT/SUBDIR (recursively, sorted) is checked; MODE:

  formatted   `catc-format --check` accepts every file (none fails to parse).
  idempotent  every file that catc-format accepts formats to text that it
              formats again to the same text, and that differs from the
              original only in whitespace.
  ir          the SUBDIRs are copied to DIR (--copy, emptied first), every
              .cat file of the copy is formatted in place (`catc-format -i`,
              so that relative imports and data files still resolve), and
              for every file that `catc --emit=ir` compiles cleanly the IR of
              the original and of the formatted copy are compared.

--format replaces the formatter command (default: catc-format), e.g. by one
that changes meaning, to see the test fail. Prints one line per file that
fails (`DIFFERS: path`, `NOT FORMATTED: path`, ...) and a summary line; the
exit status is 1 when any file failed.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys


def cat_files(root, subdirs):
    found = []
    for sub in subdirs:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, sub)):
            dirnames.sort()
            found += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".cat")]
    return found


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, **kwargs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["formatted", "idempotent", "ir"])
    parser.add_argument("--format", default="catc-format")
    parser.add_argument("--catc", default="catc")
    parser.add_argument("--copy")
    parser.add_argument("root")
    parser.add_argument("subdirs", nargs="+")
    args = parser.parse_args()
    args.root = os.path.abspath(args.root)
    if args.copy:
        args.copy = os.path.abspath(args.copy)
    fmt = shlex.split(args.format)
    failures, checked, skipped = [], 0, 0

    if args.mode == "formatted":
        for path in cat_files(args.root, args.subdirs):
            rel = os.path.relpath(path, args.root)
            result = run(fmt + ["--check", path])
            checked += 1
            if result.returncode != 0:
                failures.append(f"NOT FORMATTED: {rel}\n{result.stdout.decode()}{result.stderr.decode()}")
        summary = f"formatted: {checked} files"

    elif args.mode == "idempotent":
        for path in cat_files(args.root, args.subdirs):
            rel = os.path.relpath(path, args.root)
            once = run(fmt + [path])
            if once.returncode != 0:
                skipped += 1  # syntax errors: catc-format leaves the file alone
                continue
            checked += 1
            twice = run(fmt, input=once.stdout)
            original = open(path, "rb").read()
            if twice.returncode != 0 or twice.stdout != once.stdout:
                failures.append(f"NOT IDEMPOTENT: {rel}")
            elif re.sub(rb"\s+", b"", once.stdout) != re.sub(rb"\s+", b"", original):
                failures.append(f"CHANGED MORE THAN WHITESPACE: {rel}")
        summary = f"idempotent: {checked} files, {skipped} with syntax errors skipped"

    else:
        if not args.copy:
            sys.exit("corpus.py: ir needs --copy DIR")
        shutil.rmtree(args.copy, ignore_errors=True)
        for sub in args.subdirs:
            shutil.copytree(os.path.join(args.root, sub), os.path.join(args.copy, sub), symlinks=True)
        for path in cat_files(args.root, args.subdirs):
            rel = os.path.relpath(path, args.root)
            copy = os.path.join(args.copy, rel)
            before = run([args.catc, "--emit=ir", path], cwd=os.path.dirname(path))
            if before.returncode != 0 or before.stderr:
                skipped += 1  # not a clean compile: nothing to compare
                continue
            formatted = run(fmt + ["-i", copy])
            if formatted.returncode != 0:
                failures.append(f"FORMAT FAILED: {rel}\n{formatted.stderr.decode()}")
                continue
            after = run([args.catc, "--emit=ir", copy], cwd=os.path.dirname(copy))
            checked += 1
            if after.returncode != 0 or after.stdout != before.stdout or after.stderr:
                failures.append(f"DIFFERS: {rel}")
        summary = f"ir: {checked} files identical, {skipped} without a clean compile skipped"

    for failure in failures:
        print(failure)
    print(summary + (f", {len(failures)} FAILED" if failures else ""))
    return 1 if failures else 0


sys.exit(main())
