"""doc_block_in.py - a fenced block of a Markdown page shows real output.

usage: doc_block_in.py PAGE.md NAME FILE

Every line of the block of PAGE marked `<!-- block: NAME -->` (or the
NAME-th block from 0; see doc_blocks.py), except `...`, must be a line of
FILE. Prints the count, or each missing line and exits 1.
"""
import sys

from doc_blocks import fenced_block

page, key, path = sys.argv[1], sys.argv[2], sys.argv[3]
block = fenced_block(page, key)
actual = set(open(path, encoding="utf-8").read().splitlines())
missing = [l for l in block if l.strip() and l != "..." and l not in actual]
for l in missing:
    print("not in", path + ":", l)
if missing:
    sys.exit(1)
print(f"{len(block)} lines of block {key} are in the file")
