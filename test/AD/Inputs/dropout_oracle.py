"""dropout_oracle.py - training steps with dropout against torch, same masks.

A classifier `linear ; bias ; dropout(p) ; linear ; bias` is compiled with
catc (-c, cc -shared) and takes STEPS generated training steps
(`p_model_train_step` through ctypes, a zeroed optimizer state: the train
block's seed) on batches of iris. Dropout's mask in step t is the kernel
library's counter-based generator at seed s ^ SALT ^ t * GAMMA, stream 0
(compiler/CodeGen/ModuleBuilder.h): the script draws the same masks by
calling cat_k_dropout of a separately built kernel library (LIBCATK) on
ones, and torch takes the same steps with x * mask / (1 - p) in place of
dropout. The reverse derivative of dropout is checked through the first
layer's gradient, which flows through it. Losses and parameters after every
step within 1e-5 (float32): the loss relative to itself, each parameter
tensor relative to its largest element (an element near zero, the
difference of two updates, carries the rounding of its larger terms: a
last-bit difference of the summation order, which CPUs do not share, is
1e-5 of an element of 0.002). Also checks that the masks differ from step
to step and keep about 1 - p.

Usage: dropout_oracle.py --catc CATC --libcatk libcatk.so --workdir DIR --data iris.csv
"""
import argparse
import ctypes
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ParamInfo, build, load_iris, ptr, rel_err  # noqa: E402

TOL, STEPS, BATCH, HIDDEN, P, SEED = 1e-5, 6, 16, 8, 0.5, 3
SALT, GAMMA = 0x64726F706F757400, 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1

MODEL = """module dropout_oracle
morphism model : R[4] -> R[3] = (linear : R[4] -> R[{hidden}]) ; bias ; dropout({p}) ; linear ; bias
train model {{
  data      = csv("{data}", target = "species")
  loss      = cross_entropy
  optimizer = sgd(lr = 0.1, momentum = 0.9)
  epochs    = 1
  batch     = {batch}
  seed      = {seed}
}}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catc", required=True)
    ap.add_argument("--libcatk", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    x, t = load_iris(args.data)

    kernels = ctypes.CDLL(os.path.abspath(args.libcatk))
    dropout = kernels.cat_k_dropout
    dropout.restype = None
    dropout.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_float,
                        ctypes.c_uint64, ctypes.c_uint64]

    lib = build(args.catc, MODEL.format(hidden=HIDDEN, p=P, data=args.data, batch=BATCH, seed=SEED),
                args.workdir, "dropout_oracle")
    sym = "dropout_oracle_model"
    table = (ParamInfo * 4).in_dll(lib, sym + "_param_table")
    offs = [(e.offset, e.size) for e in table]
    shapes = [tuple(e.shape[i] for i in range(e.rank)) for e in table]
    count = sum(s for _, s in offs)
    init = lib[sym + "_init"]
    init.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
    params = np.zeros(count, np.float32)
    init(ptr(params), 11)
    params[:] += np.random.default_rng(5).uniform(-0.3, 0.3, count).astype(np.float32)
    ws_size = lib[sym + "_workspace_size"]
    ws_size.restype, ws_size.argtypes = ctypes.c_size_t, [ctypes.c_size_t]
    ws = np.zeros(ws_size(BATCH) // 4 + 16, np.float32)
    state = np.zeros(8 + count, np.float32)  # catrt.h's header, then the velocity
    step = lib[sym + "_train_step"]
    step.restype = ctypes.c_float
    step.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_size_t, ctypes.c_void_p]

    tps = [torch.tensor(params[o:o + s].reshape(sh), requires_grad=True)
           for (o, s), sh in zip(offs, shapes)]
    opt = torch.optim.SGD(tps, lr=0.1, momentum=0.9)
    worst_loss = worst_params = 0.0
    masks = []
    for k in range(STEPS):
        xb = np.ascontiguousarray(x[k * BATCH:(k + 1) * BATCH])
        tb = np.ascontiguousarray(t[k * BATCH:(k + 1) * BATCH])
        seed = (SEED ^ SALT ^ (k * GAMMA)) & MASK64
        ones = np.ones(BATCH * HIDDEN, np.float32)
        scaled = np.zeros_like(ones)
        dropout(ptr(ones), ptr(scaled), ones.size, ctypes.c_float(P), seed, 0)
        masks.append(scaled.reshape(BATCH, HIDDEN))
        loss_c = step(ptr(params), ptr(state), ptr(xb), ptr(tb), BATCH, ptr(ws))

        W1, b1, W2, b2 = tps
        opt.zero_grad()
        h = torch.tensor(xb) @ W1.t() + b1
        logits = (h * torch.tensor(masks[-1])) @ W2.t() + b2
        loss_t = torch.nn.functional.cross_entropy(logits, torch.tensor(tb, dtype=torch.long))
        loss_t.backward()
        opt.step()
        worst_loss = max(worst_loss, rel_err(loss_c, loss_t.item()))
        for (o, s), tp in zip(offs, tps):
            ref = tp.detach().numpy().reshape(-1)
            worst_params = max(worst_params, rel_err(params[o:o + s], ref, floor=max(np.abs(ref).max(), 1e-3)))

    kept = float(np.mean([np.mean(m != 0) for m in masks]))
    distinct = len({m.tobytes() for m in masks})
    scale_ok = all(set(np.unique(m)) <= {0.0, np.float32(1 / (1 - P))} for m in masks)
    ok = max(worst_loss, worst_params) <= TOL and distinct == STEPS and scale_ok and abs(kept - (1 - P)) < 0.1
    print("dropout(%g) %d steps: loss %.1e  params %.1e  kept %.2f  %d distinct masks  %s" % (
        P, STEPS, worst_loss, worst_params, kept, distinct, "ok" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
