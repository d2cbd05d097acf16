"""lspframe.py - the Language Server Protocol's base framing (a
Content-Length header, a blank line, a JSON body), shared by the scripts
that talk to catc-lsp or stand in for it (test/LSP, test/Editors, bench)."""
import json


def write_message(stream, message):
    """Writes one message to the binary \\p stream and flushes it."""
    body = json.dumps(message).encode()
    stream.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    stream.flush()


def read_message(stream):
    """The next message from the binary \\p stream, or None at its end."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return json.loads(stream.read(length))
