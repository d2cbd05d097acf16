"""lsp.py - how fast catc-lsp answers on a large file (docs/editors.md).

usage: python3 bench/lsp.py [CATC_LSP]   (default: build/bin/catc-lsp)

Writes a file of 1,003 lines (330 objects, 330 morphisms, comments), opens
it over the real transport (Content-Length framing) and times the analysis
(didOpen to its publishDiagnostics) and 20 hovers on morphism names; prints
the figures.
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "LSP", "Inputs"))
from lspframe import read_message, write_message  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    server = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build", "bin", "catc-lsp")
    lines = ["module big", "import std.nn", ""]
    lines += [f"object O{i} = R[{4 + i % 13}]" for i in range(330)]
    lines += [f"morphism m{i} : O{i} -> O{(i + 1) % 330} = dense ; relu" for i in range(330)]
    lines += [f"// filler {i}" for i in range(340)]
    text = "\n".join(lines) + "\n"
    path = os.path.join(tempfile.mkdtemp(), "big.cat")
    uri = "file://" + path
    proc = subprocess.Popen([server], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send(message):
        write_message(proc.stdin, message)

    def receive():
        message = read_message(proc.stdout)
        if message is None:
            sys.exit("lsp.py: the server closed its output")
        return message

    send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"capabilities": {}}})
    receive()
    start = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
          "params": {"textDocument": {"uri": uri, "languageId": "cat", "version": 1, "text": text}}})
    diagnostics = receive()["params"]["diagnostics"]
    analysis = (time.perf_counter() - start) * 1000
    hovers = []
    for n in range(20):
        start = time.perf_counter()
        send({"jsonrpc": "2.0", "id": n + 1, "method": "textDocument/hover",
              "params": {"textDocument": {"uri": uri}, "position": {"line": 400 + 10 * n, "character": 10}}})
        if receive().get("result") is None:
            sys.exit("lsp.py: a hover found nothing")
        hovers.append((time.perf_counter() - start) * 1000)
    send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"})
    receive()
    send({"jsonrpc": "2.0", "method": "exit"})
    proc.wait()
    hovers.sort()
    print(f"{len(lines)} lines, {len(diagnostics)} diagnostics: analysis {analysis:.1f} ms; "
          f"hover median {hovers[len(hovers) // 2]:.2f} ms, max {hovers[-1]:.2f} ms")


main()
