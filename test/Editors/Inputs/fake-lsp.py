"""fake-lsp.py - a stand-in for catc-lsp that editor tests start: it answers
initialize and shutdown, and appends the method of every message it gets
(and the languageId of didOpen) to the file named by its argument."""
import json
import sys

log = open(sys.argv[1], "a", encoding="utf-8")


def read_message():
    length = None
    while True:
        line = sys.stdin.buffer.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(sys.stdin.buffer.read(length))


def reply(message, result):
    body = json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}).encode()
    sys.stdout.buffer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    sys.stdout.buffer.flush()


while True:
    message = read_message()
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
