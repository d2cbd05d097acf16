#!/usr/bin/python3
"""Checks that a rendered SVG still shows the string diagram of a .dot file.

Usage: tutorial_svg_current.py DIAGRAM.dot PICTURE.svg

docs/tutorial.md shows docs/tiny_transformer.svg, rendered once with
graphviz from `catc --emit=dot examples/tiny_transformer.cat`. Graphviz's
exact output varies between versions, so rather than comparing bytes this
compares what a reader sees: the title (the morphism and its type) and how
many boxes carry each label. Prints "the diagram of '<title>' is current",
or what differs and the command that re-renders the picture, and exits 1.
"""
import collections
import html
import re
import sys


def main():
    dot_path, svg_path = sys.argv[1:3]
    with open(dot_path, encoding="utf-8") as f:
        dot = f.read()
    with open(svg_path, encoding="utf-8") as f:
        svg = html.unescape(f.read())
    title = re.search(r'^  label="(.*)"; labelloc=t;$', dot, re.M).group(1)
    # Boxes are the morphism nodes: a plain label, or a record whose last
    # field names the morphism (`{{<i0>|<i1>}|matmul}`); parameter notes
    # and wire points have other shapes and are left out.
    boxes = collections.Counter(
        match.group(1) or match.group(2) for match in re.finditer(
            r'^\s+\w+ \[(?:label="([^"{\\]+)"|shape=Mrecord, label="\{.*\|(\w+)\}")',
            dot, re.M))
    texts = collections.Counter(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    problems = []
    if title not in texts:
        problems.append(f"title '{title}' is not in {svg_path}")
    for label, count in sorted(boxes.items()):
        if texts[label] != count:
            problems.append(f"'{label}': {count} boxes in the diagram, "
                            f"{texts[label]} in the picture")
    if problems:
        print("\n".join(problems))
        print("re-render: catc --emit=dot examples/tiny_transformer.cat"
              " | dot -Tsvg > docs/tiny_transformer.svg")
        return 1
    print(f"the diagram of '{title}' is current ({sum(boxes.values())} boxes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
