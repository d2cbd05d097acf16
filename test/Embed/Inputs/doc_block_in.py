"""doc_block_in.py - a fenced block of a Markdown page shows real output.

usage: doc_block_in.py PAGE.md INDEX FILE

Every line of the INDEX-th fenced block of PAGE (counted from 0), except
`...`, must be a line of FILE. Prints the count, or each missing line and
exits 1.
"""
import sys

page, index, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
blocks, current = [], None
for line in open(page, encoding="utf-8").read().splitlines():
    if line.startswith("```"):
        if current is None:
            current = []
        else:
            blocks.append(current)
            current = None
    elif current is not None:
        current.append(line)
actual = set(open(path, encoding="utf-8").read().splitlines())
missing = [l for l in blocks[index] if l.strip() and l != "..." and l not in actual]
for l in missing:
    print("not in", path + ":", l)
if missing:
    sys.exit(1)
print(f"{len(blocks[index])} lines of block {index} are in the file")
