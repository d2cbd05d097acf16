#!/usr/bin/python3
"""Runs the code blocks of a page (docs/tutorial.md, docs/training.md), in
order, in one directory.

Usage: tutorial_blocks.py CATC PAGE.md WORKDIR

The page is a session a reader can replay in an empty directory, so its
blocks are checked the same way:

- A block whose first line names a file (`// name.cat — …`, `// name.c …`)
  is saved under that name, so later commands can use it; other blocks are
  saved as block-N.<ext>.
- ```cat      must type-check (`catc -fsyntax-only`, exit status 0).
- ```cat-error must be rejected: exit status 1, an `error:` line, no
  internal compiler error.
- ```sh run   is run with `bash -e -o pipefail` in WORKDIR and must exit 0;
  other ```sh blocks are shown to the reader but not run.
- ```text output, right after a `cat-error` or `sh run` block, is the output
  the reader will see: its lines must occur in the real output, in order and
  verbatim (a line `...` stands for lines left out).
- ```text shape, in the same place, is output whose numbers may differ from
  run to run or machine to machine: its lines must occur in order with
  every number read as "any number" and runs of spaces as one.

Prints a line per block and then the output of every command that ran (for
FileCheck to assert figures in it), and exits 1 if any block misbehaves.
"""
import os
import re
import subprocess
import sys

FENCE = re.compile(r"^```(\S*)(?:\s+(\S+))?\s*$")
NAMED = re.compile(r"^(?://|#)\s*([A-Za-z0-9_.-]+\.(?:cat|c|h|txt|sh))\b")
EXTENSIONS = {"cat": "cat", "cat-error": "cat", "c": "c", "sh": "sh"}


def blocks(text):
    """Yields (kind, flag, first line number, source) for each fenced block."""
    kind, flag, start, lines = None, None, 0, []
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if kind is None and match:
            kind, flag, start, lines = match.group(1), match.group(2), number + 1, []
        elif kind is not None and line.rstrip() == "```":
            yield kind, flag, start, "\n".join(lines) + "\n"
            kind = None
        elif kind is not None:
            lines.append(line)
    if kind is not None:
        sys.exit(f"unterminated ```{kind} block starting at line {start - 1}")


def file_name(index, kind, source):
    match = NAMED.match(source)
    if match:
        return match.group(1)
    return f"block-{index}.{EXTENSIONS.get(kind, 'txt')}"


# A number standing alone, not the digits of a name such as r2 or p_0.
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")


def shape(line):
    """A line with every number replaced by '#' and spaces collapsed."""
    return " ".join(NUMBER.sub("#", line).split())


def missing_lines(expected, actual, normalise=str.rstrip):
    """The expected lines (minus `...`) not found, in order, in actual."""
    remaining = iter(normalise(line) for line in actual.splitlines())
    missing = []
    for line in expected.splitlines():
        if line.strip() == "..." or not line.strip():
            continue
        if not any(candidate == normalise(line) for candidate in remaining):
            missing.append(line)
            break  # the rest cannot be matched after a miss
    return missing


def run(command, workdir, env):
    result = subprocess.run(command, cwd=workdir, env=env, capture_output=True,
                            text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def main():
    catc, page, workdir = (os.path.abspath(arg) for arg in sys.argv[1:4])
    os.makedirs(workdir, exist_ok=True)
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(os.path.abspath(catc)) + os.pathsep + env["PATH"]
    with open(page, encoding="utf-8") as f:
        text = f.read()

    failures, checked, transcript = 0, 0, []
    last_output = None  # output a following ```text output block describes
    for index, (kind, flag, line, source) in enumerate(blocks(text)):
        where = f"{os.path.basename(page)}:{line}"
        if kind == "text" and flag in ("output", "shape"):
            checked += 1
            if last_output is None:
                ok, why = False, "follows no cat-error or sh run block"
            else:
                missing = missing_lines(source, last_output,
                                        shape if flag == "shape" else str.rstrip)
                ok, why = not missing, f"line not in the output: {missing[:1]}"
            print(f"{'ok' if ok else 'FAIL'}: {where}: output block matches")
            if not ok:
                failures += 1
                print(why)
                print(last_output.rstrip())
            last_output = None
            continue
        last_output = None
        if kind in ("cat", "cat-error", "c") or (kind == "sh" and flag == "run"):
            name = file_name(index, kind, source)
            with open(os.path.join(workdir, name), "w", encoding="utf-8") as out:
                out.write(source)
        if kind == "cat":
            status, output = run([catc, "-fsyntax-only", name], workdir, env)
            ok, want = status == 0, f"{name} type-checks"
        elif kind == "cat-error":
            status, output = run([catc, "-fsyntax-only", name], workdir, env)
            ok = (status == 1 and "error:" in output
                  and "internal compiler error" not in output)
            want, last_output = f"{name} is rejected", output
        elif kind == "sh" and flag == "run":
            status, output = run(["bash", "-e", "-o", "pipefail", name], workdir, env)
            ok, want, last_output = status == 0, "commands run", output
            transcript.append(f"--- {where}\n{output}")
        else:
            continue
        checked += 1
        print(f"{'ok' if ok else 'FAIL'}: {where}: ```{kind} block: {want}")
        if not ok:
            failures += 1
            print(output.rstrip() or f"(exit status {status}, no output)")
    if checked == 0:
        print(f"FAIL: no checkable blocks in {page}")
        return 1
    print(f"{checked} blocks checked, {failures} failed")
    print("".join(transcript), end="")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
