"""safetensors_edit.py - a copy of a safetensors file with one change, to
make malformed weights for tests.

usage: safetensors_edit.py IN OUT drop NAME
       safetensors_edit.py IN OUT set-i32 NAME VALUE   (its first element)
       safetensors_edit.py IN OUT convert NAME DTYPE   (the values, re-encoded
                                                        at the end of the data)
       safetensors_edit.py IN OUT relabel NAME DTYPE   (the dtype alone)
"""
import json
import struct
import sys

src, dst, op, name = sys.argv[1:5]
raw = open(src, "rb").read()
length = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + length])
data = bytearray(raw[8 + length:])
if op == "drop":
    del header[name]
elif op == "set-i32":
    begin = header[name]["data_offsets"][0]
    data[begin:begin + 4] = struct.pack("<i", int(sys.argv[5]))
elif op == "convert":
    import numpy as np
    kinds = {"F32": "<f4", "I32": "<i4", "I8": "i1"}
    entry = header[name]
    begin, end = entry["data_offsets"]
    values = np.frombuffer(bytes(data[begin:end]), kinds[entry["dtype"]]).astype(kinds[sys.argv[5]])
    entry["dtype"] = sys.argv[5]
    entry["data_offsets"] = [len(data), len(data) + values.nbytes]
    data += values.tobytes()
elif op == "relabel":
    header[name]["dtype"] = sys.argv[5]
else:
    sys.exit("unknown operation " + op)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
open(dst, "wb").write(struct.pack("<Q", len(text)) + text + bytes(data))
