"""fake-lsp.py - a stand-in for catc-lsp that editor tests start: it answers
initialize and shutdown, and appends the method of every message it gets
(and the languageId of didOpen) to the file named by its argument."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "LSP", "Inputs"))
from lspframe import read_message, write_message  # noqa: E402

log = open(sys.argv[1], "a", encoding="utf-8")


def reply(message, result):
    write_message(sys.stdout.buffer, {"jsonrpc": "2.0", "id": message["id"], "result": result})


while True:
    message = read_message(sys.stdin.buffer)
    if message is None:
        break
    method = message.get("method", "")
    if method == "textDocument/didOpen":
        method += " " + message["params"]["textDocument"]["languageId"]
    print(method, file=log, flush=True)
    if method == "initialize":
        reply(message, {"capabilities": {"textDocumentSync": 1}, "serverInfo": {"name": "fake"}})
    elif method == "shutdown":
        reply(message, None)
    elif method == "exit":
        break
