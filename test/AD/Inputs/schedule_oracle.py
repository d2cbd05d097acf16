"""schedule_oracle.py - whole training runs of a compiled executable against
torch.optim with weight decay, gradient clipping and learning-rate schedules.

For each configuration, a small iris classifier is compiled with catc into an
executable whose train block sets the optimizer, `weight_decay`, `clip` and
`schedule`, and trained full-batch (batch = all, no validation split) for
EPOCHS steps with `--log`. Its initial weights come from the same executable
(`--epochs 0`). The same model in torch starts from those weights and takes
the same steps with torch.optim.SGD / Adam / AdamW, clip_grad_norm_ and
torch's own schedulers (StepLR; LinearLR then CosineAnnealingLR through
SequentialLR), stepped after every optimizer step. Compared: the loss of
every step (the log's loss column: one step per epoch) and every parameter
at the end, max |catc - torch| / max(|torch|, 1e-3) <= 1e-5.

Usage: schedule_oracle.py --catc CATC --workdir DIR --data iris.csv
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import load_iris  # noqa: E402

# SequentialLR passes an epoch to CosineAnnealingLR.step(), which warns.
warnings.filterwarnings("ignore", category=UserWarning, module="torch.optim.lr_scheduler")

TOL, EPOCHS = 1e-5, 12

MODEL = """module {module}
morphism model : R[4] -> R[3] = (linear : R[4] -> R[8]) ; bias ; tanh ; linear ; bias
train model {{
  data      = csv("iris.csv", target = "species")
  loss      = cross_entropy
  optimizer = {optimizer}
  epochs    = {epochs}
  batch     = all
  seed      = 3
{extra}}}
"""


def cosine_with_warmup(opt, warmup, total):
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0,
                                             total_iters=warmup - 1)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup)
    return torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[warmup])


CONFIGS = [
    ("sgd-step", "sgd(lr = 0.1, momentum = 0.9)",
     "  weight_decay = 0.01\n  schedule = step(every = 4, gamma = 0.5)\n",
     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
     lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5), 0.0),
    ("adamw-cosine", "adamw(lr = 0.05)",
     "  clip = 0.5\n  schedule = cosine(warmup = 3)\n",
     lambda ps: torch.optim.AdamW(ps, lr=0.05, weight_decay=0.01),
     lambda opt: cosine_with_warmup(opt, 3, EPOCHS), 0.5),
    ("sgd-clip", "sgd(lr = 0.5)", "  clip = 0.1\n",
     lambda ps: torch.optim.SGD(ps, lr=0.5), None, 0.1),
    ("adam-decay", "adam(lr = 0.02)", "  weight_decay = 0.1\n",
     lambda ps: torch.optim.AdamW(ps, lr=0.02, weight_decay=0.1), None, 0.0),
]


def read_safetensors(path):
    data = open(path, "rb").read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], np.float32).reshape(info["shape"])
    return tensors


def rel_err(ours, theirs):
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    return float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-3))


def run(args, tag, optimizer, extra, make_opt, make_schedule, clip, x, t):
    work = os.path.join(args.workdir, tag)
    os.makedirs(work, exist_ok=True)
    shutil.copy(args.data, os.path.join(work, "iris.csv"))
    module = tag.replace("-", "_")
    with open(os.path.join(work, "m.cat"), "w") as f:
        f.write(MODEL.format(module=module, optimizer=optimizer, epochs=EPOCHS, extra=extra))
    subprocess.run([args.catc, "m.cat", "-o", "m"], cwd=work, check=True)
    subprocess.run(["./m", "--quiet", "--epochs", "0", "--out", "init.st"], cwd=work, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["./m", "--quiet", "--log", "log.csv", "--out", "final.st"], cwd=work,
                   check=True, stdout=subprocess.DEVNULL)
    init = read_safetensors(os.path.join(work, "init.st"))
    final = read_safetensors(os.path.join(work, "final.st"))
    names = [n for n in init if not n.startswith("__")]
    logged = [float(l.split(",")[1]) for l in open(os.path.join(work, "log.csv")).readlines()[1:]]

    ps = [torch.tensor(init[n].copy(), requires_grad=True) for n in names]
    W1, b1, W2, b2 = ps
    opt = make_opt(ps)
    schedule = make_schedule(opt) if make_schedule else None
    losses = []
    for _ in range(EPOCHS):
        opt.zero_grad()
        logits = torch.tanh(x @ W1.t() + b1) @ W2.t() + b2
        loss = torch.nn.functional.cross_entropy(logits, t)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(ps, clip)
        opt.step()
        if schedule:
            schedule.step()
        losses.append(loss.item())
    loss_err = rel_err(logged, losses)
    param_err = max(rel_err(final[n], p.detach().numpy()) for n, p in zip(names, ps))
    ok = len(logged) == EPOCHS and max(loss_err, param_err) <= TOL
    print("%-13s %d steps: losses %.1e  params %.1e  %s  (final loss %.4f)" % (
        tag, EPOCHS, loss_err, param_err, "ok" if ok else "FAIL", logged[-1]))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catc", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    x, t = load_iris(args.data, shuffle=False)
    x, t = torch.tensor(x), torch.tensor(t, dtype=torch.long)
    failed = [c[0] for c in CONFIGS if not run(args, *c, x, t)]
    print("training runs vs torch.optim and its schedulers (tolerance %g): %d failed%s" % (
        TOL, len(failed), (": " + " ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
