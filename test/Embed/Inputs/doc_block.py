"""doc_block.py - prints one fenced block of a Markdown page, to run it.

usage: doc_block.py PAGE.md INDEX

Prints the lines of the INDEX-th fenced block of PAGE (counted from 0, as
doc_block_in.py counts), so that a test can run the commands a page shows
exactly as a reader would type them.
"""
import sys

page, index = sys.argv[1], int(sys.argv[2])
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
print("\n".join(blocks[index]))
