"""session.py - a language-server session from a .cat file, for lit tests.

usage: session.py [--open] FILE.cat URI [QUERY...]

Prints, for `catc-lsp --lit-test`, the messages of a session on the file:
initialize, didOpen with its text, then one request per QUERY, then
shutdown and exit. A QUERY is `hover:LINE:COL`, `definition:LINE:COL`,
`completion:LINE:COL`, `symbols` or `formatting`, a request, or `change:LINE:COL:END_LINE:END_COL:TEXT`, an
incremental edit replacing that range by TEXT; LINE and COL count from 1
as editors show them (the protocol counts from 0). The requests' ids are
1, 2, ... in the order of the queries. With --open the session is left
open (no shutdown, no exit) for a test to go on with messages of its own.
"""
import json
import sys


def main():
    args = sys.argv[1:]
    keep_open = args[:1] == ["--open"]
    path, uri, queries = args[keep_open], args[keep_open + 1], args[keep_open + 2:]
    text = open(path, encoding="utf-8").read()
    messages = [
        {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen",
         "params": {"textDocument": {"uri": uri, "languageId": "cat", "version": 1, "text": text}}},
    ]
    version = 1
    for n, query in enumerate(queries, start=1):
        kind, *where = query.split(":", 5 if query.startswith("change:") else -1)
        if kind == "change":
            version += 1
            start = {"line": int(where[0]) - 1, "character": int(where[1]) - 1}
            end = {"line": int(where[2]) - 1, "character": int(where[3]) - 1}
            messages.append({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": start, "end": end}, "text": where[4]}]}})
            continue
        params = {"textDocument": {"uri": uri}}
        if kind == "formatting":
            params["options"] = {"tabSize": 2, "insertSpaces": True}
        if where:
            params["position"] = {"line": int(where[0]) - 1, "character": int(where[1]) - 1}
        method = {"hover": "textDocument/hover", "definition": "textDocument/definition",
                  "completion": "textDocument/completion", "symbols": "textDocument/documentSymbol",
                  "formatting": "textDocument/formatting"}[kind]
        messages.append({"jsonrpc": "2.0", "id": n, "method": method, "params": params})
    if not keep_open:
        messages += [{"jsonrpc": "2.0", "id": len(queries) + 1, "method": "shutdown"},
                     {"jsonrpc": "2.0", "method": "exit"}]
    print("\n---\n".join(json.dumps(m) for m in messages))


main()
