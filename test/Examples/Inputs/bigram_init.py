#!/usr/bin/python3
"""Writes the starting weights of examples/bigram.cat as a safetensors file.

Usage: bigram_init.py OUT.safetensors

The tensors are drawn from a seeded numpy generator, so the catc run and the
PyTorch run of bigram_torch.py start from the same numbers, written here in
the layout `catc --emit=params examples/bigram.cat` prints. The file is
built by hand (8-byte little-endian header length, JSON header, raw F32
data) rather than with the safetensors package, which is not installed; no
layout hash is written, so the runtime's name and shape checks are what
accept it.
"""
import json
import struct
import sys

import numpy as np

# Name and shape of every parameter, in the order of the flat array.
PARAMETERS = [
    ("embed0.table", (5, 4)),
    ("dense0.linear0.weight", (5, 4)),
    ("dense0.bias0.bias", (5,)),
]


def starting_weights():
    """Small normal weights: a start whose loss is near ln 5, as untrained."""
    rng = np.random.default_rng(20240607)
    return {name: (0.5 * rng.standard_normal(shape)).astype(np.float32)
            for name, shape in PARAMETERS}


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)  # keeps the data 8-byte aligned
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for blob in blobs:
            out.write(blob)


def main():
    write_safetensors(sys.argv[1], starting_weights(),
                      {"module": "bigram", "morphism": "model"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
