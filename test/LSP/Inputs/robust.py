"""robust.py - catc-lsp over its real transport, on half-typed text.

usage: robust.py CATC_LSP FILE.cat...

Talks to the server as an editor does (Content-Length framing on stdin and
stdout). Each file is opened, then typed in again from its beginning in
steps (whole-text changes: every prefix at a few dozen cut points, so most
are half-typed and do not parse), with a hover, a definition and the
document symbols asked after each step, and a bracketed batch of edits
sent without waiting (which the server may analyse once). Every request
must be answered, with its id, and the server must exit with 0 after
shutdown and exit. Prints the number of requests answered.
"""
import random
import subprocess
import sys

from lspframe import read_message, write_message


def main():
    server, files = sys.argv[1], sys.argv[2:]
    proc = subprocess.Popen([server], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    next_id = [0]
    answered = [0]

    def send(message):
        write_message(proc.stdin, message)

    def receive():
        message = read_message(proc.stdout)
        if message is None:
            sys.exit("robust.py: the server closed its output")
        return message

    def request(method, params):
        next_id[0] += 1
        send({"jsonrpc": "2.0", "id": next_id[0], "method": method, "params": params})
        while True:
            message = receive()
            if "id" in message and "method" not in message:
                if message["id"] != next_id[0]:
                    sys.exit(f"robust.py: answer {message['id']} for request {next_id[0]}")
                if "error" in message:
                    sys.exit(f"robust.py: {method} failed: {message['error']}")
                answered[0] += 1
                return message.get("result")

    def notify(method, params):
        send({"jsonrpc": "2.0", "method": method, "params": params})

    rng = random.Random(1)
    request("initialize", {"capabilities": {}})
    notify("initialized", {})
    for n, path in enumerate(files):
        text = open(path, encoding="utf-8").read()
        uri = f"file:///robust/{n}.cat"
        notify("textDocument/didOpen",
               {"textDocument": {"uri": uri, "languageId": "cat", "version": 1, "text": text}})
        cuts = sorted({rng.randrange(len(text) + 1) for _ in range(24)} | {0, len(text)})
        for version, cut in enumerate(cuts, start=2):
            typed = text[:cut]
            notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                              "contentChanges": [{"text": typed}]})
            lines = typed.split("\n")
            line = rng.randrange(len(lines))
            where = {"line": line, "character": rng.randrange(len(lines[line]) + 1)}
            request("textDocument/hover", {"textDocument": {"uri": uri}, "position": where})
            request("textDocument/definition", {"textDocument": {"uri": uri}, "position": where})
            request("textDocument/completion", {"textDocument": {"uri": uri}, "position": where})
            request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
            request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                "options": {"tabSize": 2, "insertSpaces": True}})
        # Edits in a burst, then one request.
        for version in range(100, 110):
            notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                              "contentChanges": [{"text": text[: len(text) * (version - 99) // 10]}]})
        request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
        notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    request("shutdown", None)
    notify("exit", None)
    proc.stdin.close()
    status = proc.wait(timeout=60)
    if status != 0:
        sys.exit(f"robust.py: the server exited with {status}")
    print(f"{answered[0]} requests answered, exit status 0")


main()
