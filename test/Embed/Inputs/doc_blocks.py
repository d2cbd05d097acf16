"""doc_blocks.py - the fenced blocks of a Markdown page, for tests to run.

A block is chosen by name: the page marks it with an HTML comment on the
line before its fence, `<!-- block: NAME -->`, invisible when rendered, so
that inserting another block elsewhere on the page moves no test. A number
still selects the INDEX-th block (from 0), for pages without marks.
"""


def fenced_block(page, key):
    """The lines of the block of PAGE named (or numbered) KEY."""
    blocks, names, current, mark = [], {}, None, None
    for line in open(page, encoding="utf-8").read().splitlines():
        if current is None and line.startswith("<!-- block:") and line.endswith("-->"):
            mark = line[len("<!-- block:"):-len("-->")].strip()
        elif line.startswith("```"):
            if current is None:
                current = []
                if mark is not None:
                    names[mark] = len(blocks)
            else:
                blocks.append(current)
                current = None
            mark = None
        elif current is not None:
            current.append(line)
        elif line.strip():
            mark = None  # a mark names the block right after it
    if key.isdigit():
        return blocks[int(key)]
    if key not in names:
        raise SystemExit(f"{page}: no block marked <!-- block: {key} -->")
    return blocks[names[key]]
