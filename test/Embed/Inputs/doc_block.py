"""doc_block.py - prints one fenced block of a Markdown page, to run it.

usage: doc_block.py PAGE.md NAME

Prints the lines of the block of PAGE marked `<!-- block: NAME -->` (or,
for a number, the NAME-th block from 0; see doc_blocks.py), so that a test
can run the commands a page shows exactly as a reader would type them.
"""
import sys

from doc_blocks import fenced_block

print("\n".join(fenced_block(sys.argv[1], sys.argv[2])))
