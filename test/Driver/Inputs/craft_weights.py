"""craft_weights.py - broken variants of a safetensors checkpoint.

usage: craft_weights.py GOOD.safetensors OUTDIR

Writes OUTDIR/<case>.safetensors for every case below, each derived from
GOOD (a checkpoint an executable wrote) and wrong in one way, for the
tests of `catc --weights`. A file is rebuilt from its parts (metadata and
tensors) where the case is about the contents, and edited as bytes where
it is about the form.
"""
import json
import os
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    data = raw[8 + length:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = (entry["dtype"], entry["shape"], data[begin:end])
    return meta, tensors


def header_bytes(header):
    text = json.dumps(header).encode()
    return text + b" " * (-len(text) % 8)


def write(path, meta, tensors, tail=b""):
    header, data = {}, b""
    if meta is not None:
        header["__metadata__"] = meta
    for name, (dtype, shape, payload) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    raw_header = header_bytes(header)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw_header)) + raw_header + data + tail)


def write_header(path, header_text, data=b""):
    raw_header = header_text.encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw_header)) + raw_header + data)


def main():
    good, out = sys.argv[1], sys.argv[2]
    with open(good, "rb") as f:
        raw = f.read()
    meta, tensors = read(good)
    first = next(iter(tensors))
    last_param = [n for n in tensors if not n.startswith("__")][-1]
    path = lambda case: os.path.join(out, case + ".safetensors")

    # The form of the file.
    with open(path("truncated"), "wb") as f:
        f.write(raw[:5])
    with open(path("header-past-end"), "wb") as f:
        f.write(raw[:40])
    (length,) = struct.unpack("<Q", raw[:8])
    broken = raw[8:8 + length].replace(b'"dtype":', b'"dtype" ', 1)
    with open(path("bad-json"), "wb") as f:
        f.write(raw[:8] + broken + raw[8 + length:])
    write_header(path("not-object"), "[1, 2, 3]")
    write_header(path("deep"), "[" * 100000 + "]" * 100000)
    write_header(path("metadata-not-object"), '{"__metadata__": [1]}')
    write_header(path("entry-not-object"), '{"x": 7}')
    write_header(path("no-dtype"), '{"x": {"shape": [1], "data_offsets": [0, 4]}}', b"\0" * 4)
    write_header(path("negative-dim"),
                 '{"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}', b"\0" * 4)
    write_header(path("one-offset"),
                 '{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}', b"\0" * 4)
    write_header(path("hash-not-string"),
                 '{"__metadata__": {"layout_hash": 7}}')
    write_header(path("overlap"),
                 '{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, '
                 '"b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}', b"\0" * 12)

    # Tensors of the right form whose data the header misplaces.
    dtype, shape, payload = tensors[first]
    changed = dict(tensors)
    changed[first] = ("F16", shape, payload)
    write(path("dtype"), meta, changed)
    header = {"__metadata__": meta}
    header[first] = {"dtype": "F32", "shape": shape,
                     "data_offsets": [0, len(payload) + 1000000]}
    write_header(path("offsets"), json.dumps(header), payload)
    header[first] = {"dtype": "F32", "shape": shape + [2],
                     "data_offsets": [0, len(payload)]}
    write_header(path("data-size"), json.dumps(header), payload)
    write(path("trailing"), meta, tensors, tail=b"\0" * 4)

    # Well-formed files that do not fit the model.
    changed = dict(tensors)
    del changed[last_param]
    write(path("missing"), meta, changed)
    changed = dict(tensors)
    dtype, shape, payload = tensors[last_param]
    changed[last_param] = (dtype, [shape[0] - 1] + shape[1:], payload[:-4 * max(1, len(payload) // 4 // shape[0])])
    write(path("shape"), meta, changed)
    changed = dict(tensors)
    changed["extra.weight"] = ("F32", [1], b"\0" * 4)
    write(path("unknown"), meta, changed)
    write(path("bad-classes"), dict(meta, classes="[1, 2]"), tensors)
    # Nested deep enough to overflow the stack of a recursive JSON parser.
    write(path("deep-classes"), dict(meta, classes="[" * 200000 + "]" * 200000), tensors)
    write(path("no-hash"), {k: v for k, v in meta.items() if k != "layout_hash"}, tensors)
    write(path("no-metadata"), None, tensors)


if __name__ == "__main__":
    main()
