"""train_oracle.py - ten generated training steps against torch.optim.

A small classifier with a `train` block is compiled with catc (-c, then
cc -shared); `p_model_train_step(params, opt_state, x, t, n, ws)` is called ten
times through ctypes on successive batches of 8 rows of examples/iris.csv,
starting from catc's own `_init` parameters and a zeroed optimizer state. The
same model in torch, with the same starting parameters, takes ten steps with
torch.optim.SGD(momentum) / torch.optim.Adam on the same batches. After every
step the losses (catc returns the batch mean loss before the update) and every
parameter are compared with torch in float32 (catc's precision):
max |catc - torch| / max(|torch|, 1e-3); tolerance 1e-4. The distance of both
to torch in float64 is printed too: a parameter passing close to zero loses
relative precision in any float32 implementation (torch's own float32 run is
about 1e-4 from float64 on the sgd case), so float64 is not the yardstick.

Usage: train_oracle.py --catc CATC --workdir DIR --data iris.csv
"""
import argparse
import ctypes
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ParamInfo, build, load_iris, ptr, rel_err  # noqa: E402

TOL, STEPS, BATCH = 1e-4, 10, 8

MODEL = """module {module}
morphism model : R[4] -> R[3] = linear ; bias ; tanh ; layernorm ; (linear : R[4] -> R[3]) ; bias
train model {{
  data      = csv("{data}", target = "species")
  loss      = {loss}
  optimizer = {optimizer}
  epochs    = 1
  batch     = {batch}
  seed      = 3
}}
"""
# Parameter tensors in order (docs/language.md §4): W1 [4,4], b1, gain, beta, W2 [3,4], b2.


def torch_model(ps, x):
    W1, b1, g, beta, W2, b2 = ps
    h = torch.tanh(x @ W1.t() + b1)
    h = torch.nn.functional.layer_norm(h, (4,), g, beta, eps=1e-5)
    return h @ W2.t() + b2


CONFIGS = [
    ("sgd", "sgd(lr = 0.1, momentum = 0.9)",
     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    ("adam", "adam(lr = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8)",
     lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8)),
    ("sgd0", "sgd(lr = 0.2)",
     lambda ps: torch.optim.SGD(ps, lr=0.2)),
]


def run(args, tag, opt_src, make_opt, x, t):
    module = "tr_" + tag
    lib = build(args.catc, MODEL.format(module=module, data=args.data, loss="cross_entropy",
                                        optimizer=opt_src, batch=BATCH), args.workdir, module)
    sym = module + "_model"
    table = (ParamInfo * 6).in_dll(lib, sym + "_param_table")
    count = sum(e.size for e in table)
    shapes = [tuple(e.shape[i] for i in range(e.rank)) for e in table]
    assert shapes == [(4, 4), (4,), (4,), (4,), (3, 4), (3,)], shapes
    init = lib[sym + "_init"]
    init.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
    params = np.zeros(count, np.float32)
    init(ptr(params), 11)
    # Make the zero-initialised bias/gain tensors non-trivial, identically on both sides.
    params[:] += np.random.default_rng(5).uniform(-0.3, 0.3, count).astype(np.float32)
    ws_size = lib[sym + "_workspace_size"]
    ws_size.restype, ws_size.argtypes = ctypes.c_size_t, [ctypes.c_size_t]
    ws = np.zeros(ws_size(BATCH) // 4 + 16, np.float32)
    state = np.zeros(8 + (2 if tag == "adam" else 1) * count, np.float32)  # catrt.h CAT_OPT_HEADER
    step = lib[sym + "_train_step"]
    step.restype = ctypes.c_float
    step.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_size_t, ctypes.c_void_p]

    offs = [(e.offset, e.size) for e in table]
    sides = {}
    for dt in (torch.float32, torch.float64):
        tps = [torch.tensor(params[o:o + s].reshape(sh), dtype=dt, requires_grad=True)
               for (o, s), sh in zip(offs, shapes)]
        sides[dt] = (tps, make_opt(tps))
    worst = {"loss": 0.0, "params": 0.0, "params_f64": 0.0, "torch_f32_f64": 0.0}
    for k in range(STEPS):
        xb = np.ascontiguousarray(x[k * BATCH:(k + 1) * BATCH])
        tb = np.ascontiguousarray(t[k * BATCH:(k + 1) * BATCH])
        loss_c = step(ptr(params), ptr(state), ptr(xb), ptr(tb), BATCH, ptr(ws))
        now = {}
        for dt, (tps, opt) in sides.items():
            opt.zero_grad()
            loss_t = torch.nn.functional.cross_entropy(
                torch_model(tps, torch.tensor(xb, dtype=dt)), torch.tensor(tb, dtype=torch.long))
            loss_t.backward()
            opt.step()
            now[dt] = (loss_t.item(), [tp.detach().numpy().reshape(-1).astype(np.float64) for tp in tps])
        (l32, p32), (l64, p64) = now[torch.float32], now[torch.float64]
        worst["loss"] = max(worst["loss"], rel_err(loss_c, l32))
        for (o, s), a32, a64 in zip(offs, p32, p64):
            worst["params"] = max(worst["params"], rel_err(params[o:o + s], a32))
            worst["params_f64"] = max(worst["params_f64"], rel_err(params[o:o + s], a64))
            worst["torch_f32_f64"] = max(worst["torch_f32_f64"], rel_err(a32, a64))
    ok = max(worst["loss"], worst["params"]) <= TOL
    print("%-5s %-56s %d steps: loss %.1e  params %.1e  %s  (step counter %g, final loss %.4f)" % (
        tag, opt_src, STEPS, worst["loss"], worst["params"], "ok" if ok else "FAIL", state[:1].view(np.uint32)[0], loss_c))
    print("      for reference, against torch in float64: catc %.1e, torch float32 itself %.1e" % (
        worst["params_f64"], worst["torch_f32_f64"]))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catc", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    x, t = load_iris(args.data)
    failed = [tag for tag, src, mk in CONFIGS if not run(args, tag, src, mk, x, t)]
    print("training steps vs torch.optim (tolerance %g): %d failed%s" % (
        TOL, len(failed), (": " + " ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
