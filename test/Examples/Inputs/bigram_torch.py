#!/usr/bin/python3
"""Trains examples/bigram.cat's model in PyTorch and compares with catc's run.

Usage: bigram_torch.py CORPUS INIT.safetensors LOSSES.csv TRAINED.safetensors

Builds the model by hand (an embedding table E : R[5, 4], logits
W E[x] + b, mean softmax cross-entropy over the seven next-word pairs of
CORPUS), starts it from INIT, and takes 80 full-batch torch.optim.SGD steps
with lr = 1.0 in float32. The catc executable's --log writes one row per
epoch with the loss of that epoch's one step (before its update, as
PyTorch's loss.item() in the loop), so row k is compared with the loss
after k - 1 torch steps; the weights catc saved (TRAINED) are compared with
torch's after the last step. Prints one line per check and exits 1 if a
loss differs by more than 1e-5, a weight by more than 1e-4, or the last
step's loss or torch's after it is not below 0.05.
"""
import csv
import json
import struct
import sys

import numpy as np
import torch

VOCABULARY = ["<pad>", "I", "love", "Rust", "."]
STEPS = 80
LOSS_TOLERANCE = 1e-5
WEIGHT_TOLERANCE = 1e-4
TARGET_LOSS = 0.05


def read_safetensors(path):
    """The F32 tensors of a safetensors file, by name (metadata skipped)."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    base = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", f"{name}: dtype {entry['dtype']}"
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[base + begin:base + end],
                                      dtype="<f4").reshape(entry["shape"])
    return tensors


def training_pairs(corpus_path):
    """(this word, next word) ids; unknown words are <pad>, as in catc."""
    with open(corpus_path, encoding="utf-8") as f:
        words = f.read().split()
    ids = [VOCABULARY.index(w) if w in VOCABULARY else 0 for w in words]
    return torch.tensor(ids[:-1]), torch.tensor(ids[1:])


def train(init, inputs, targets):
    """Losses after each of STEPS steps (index 0: before any) and the weights."""
    table = torch.tensor(init["embed0.table"].copy(), requires_grad=True)
    weight = torch.tensor(init["dense0.linear0.weight"].copy(), requires_grad=True)
    bias = torch.tensor(init["dense0.bias0.bias"].copy(), requires_grad=True)
    optimizer = torch.optim.SGD([table, weight, bias], lr=1.0)

    def loss_now():
        logits = table[inputs] @ weight.T + bias
        return torch.nn.functional.cross_entropy(logits, targets)

    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = loss_now()
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        losses.append(loss_now().item())
    weights = {"embed0.table": table, "dense0.linear0.weight": weight,
               "dense0.bias0.bias": bias}
    return losses, {k: v.detach().numpy() for k, v in weights.items()}


def main():
    corpus, init_path, log_path, trained_path = sys.argv[1:5]
    inputs, targets = training_pairs(corpus)
    print(f"pairs: {len(inputs)}")
    losses, weights = train(read_safetensors(init_path), inputs, targets)
    print(f"torch loss before training: {losses[0]:.6f}")

    with open(log_path, newline="") as f:
        rows = list(csv.DictReader(f))
    failures = 0
    if len(rows) != STEPS:
        print(f"FAIL: the log has {len(rows)} rows, expected {STEPS}")
        return 1
    worst = 0.0
    for row in rows:
        epoch, logged = int(row["epoch"]), float(row["loss"])
        expected = losses[epoch - 1]  # the loss the epoch's step started from
        difference = abs(logged - expected)
        worst = max(worst, difference)
        if difference > LOSS_TOLERANCE:
            failures += 1
            print(f"FAIL: step {epoch}: catc loss {logged:.8f}, torch {expected:.8f}")
    print(f"steps compared: {len(rows)}, largest loss difference {worst:.2e}")

    trained = read_safetensors(trained_path)
    for name, expected in weights.items():
        difference = float(np.max(np.abs(trained[name] - expected)))
        ok = difference <= WEIGHT_TOLERANCE
        failures += not ok
        print(f"{'ok' if ok else 'FAIL'}: weights {name} differ by at most {difference:.2e}")

    final = float(rows[-1]["loss"])
    ok = final < TARGET_LOSS and losses[STEPS] < TARGET_LOSS
    failures += not ok
    print(f"{'ok' if ok else 'FAIL'}: final loss catc {final:.6f}, torch {losses[STEPS]:.6f} "
          f"(below {TARGET_LOSS})")
    print("PASS" if failures == 0 else f"{failures} checks failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
