#!/usr/bin/python3
"""Checks the code blocks of a Markdown page with catc.

Usage: check_doc_blocks.py CATC PAGE.md WORKDIR

Every ```cat block must be a complete program that `catc -fsyntax-only`
accepts; every ```cat-error block must be rejected with a diagnostic (exit
status 1, an `error:` line, no crash). Each block is written to WORKDIR as
block-N.cat. Prints one line per block and exits 1 if any block misbehaves
or if the page has no ```cat block at all.
"""
import os
import re
import subprocess
import sys


def blocks(text):
    """Yields (kind, first line number, source) for each fenced block."""
    fence = re.compile(r"^```([A-Za-z-]*)\s*$")
    kind, start, lines = None, 0, []
    for number, line in enumerate(text.splitlines(), 1):
        match = fence.match(line)
        if kind is None and match:
            kind, start, lines = match.group(1), number + 1, []
        elif kind is not None and line.rstrip() == "```":
            yield kind, start, "\n".join(lines) + "\n"
            kind = None
        elif kind is not None:
            lines.append(line)
    if kind is not None:
        sys.exit(f"unterminated ```{kind} block starting at line {start - 1}")


def main():
    catc, page, workdir = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    failures, checked = 0, 0
    with open(page, encoding="utf-8") as f:
        text = f.read()
    for index, (kind, line, source) in enumerate(blocks(text)):
        if kind not in ("cat", "cat-error"):
            continue
        checked += 1
        path = os.path.join(workdir, f"block-{index}.cat")
        with open(path, "w", encoding="utf-8") as out:
            out.write(source)
        result = subprocess.run([catc, "-fsyntax-only", path], capture_output=True,
                                text=True, timeout=60)
        output = result.stdout + result.stderr
        if kind == "cat":
            ok = result.returncode == 0
            want = "type-checks"
        else:
            ok = (result.returncode == 1 and "error:" in output
                  and "internal compiler error" not in output)
            want = "is rejected"
        print(f"{'ok' if ok else 'FAIL'}: {os.path.basename(page)}:{line}: ```{kind} block {want}")
        if not ok:
            failures += 1
            print(output.rstrip() or f"(exit status {result.returncode}, no output)")
    if checked == 0:
        print(f"FAIL: no ```cat blocks in {page}")
        return 1
    print(f"{checked} blocks checked, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
