"""primitive_docs.py - every primitive has its line of documentation.

usage: primitive_docs.py SRC_ROOT

Reads the primitives of compiler/Sema/Primitives.h (CAT_PRIMITIVES), the
lines of compiler/Sema/PrimitiveDocs.def (PRIM_DOC) and the tables of
docs/language.md §5, and reports a primitive without a PRIM_DOC line, a
PRIM_DOC line for no primitive or out of order, an empty line, and a
primitive that no table of §5 names. Prints a summary; exit status 1 on any
problem.
"""
import os
import re
import sys

root = sys.argv[1]
header = open(os.path.join(root, "compiler/Sema/Primitives.h"), encoding="utf-8").read()
macro = header[header.index("#define CAT_PRIMITIVES"):]
macro = macro[: macro.index("\n\n")]
prims = re.findall(r'X\((\w+), "(\w+)"\)', macro)
defs = open(os.path.join(root, "compiler/Sema/PrimitiveDocs.def"), encoding="utf-8").read()
docs = re.findall(r'^PRIM_DOC\((\w+), "(.*)"\)$', defs, re.M)
language = open(os.path.join(root, "docs/language.md"), encoding="utf-8").read()
section = language[language.index("## 5. Primitive morphisms"):language.index("## 6.")]
in_tables = set()
for line in section.splitlines():
    if line.startswith("| `"):
        first_cell = line.split("|")[1]
        in_tables |= set(re.findall(r"`(\w+)", first_cell))

problems = []
doc_ids = [d[0] for d in docs]
for ident, name in prims:
    if ident not in doc_ids:
        problems.append(f"{name}: no PRIM_DOC line in PrimitiveDocs.def")
    if name not in in_tables:
        problems.append(f"{name}: in no table of docs/language.md §5")
for ident, doc in docs:
    if ident not in [p[0] for p in prims]:
        problems.append(f"PRIM_DOC({ident}): no such primitive")
    if not doc.strip():
        problems.append(f"PRIM_DOC({ident}): empty")
if [i for i in doc_ids if i in [p[0] for p in prims]] != [p[0] for p in prims if p[0] in doc_ids]:
    problems.append("PrimitiveDocs.def is not in the order of CAT_PRIMITIVES")
for problem in problems:
    print(problem)
print(f"{len(prims)} primitives, {len(docs)} lines of doc, {len(problems)} problems")
sys.exit(1 if problems or not prims else 0)
