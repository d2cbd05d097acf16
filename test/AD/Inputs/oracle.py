"""oracle.py - catc's generated gradients against torch.autograd.

Every case is one catgen description: its `.cat` text is compiled by catc
(`-c`, then `cc -shared`) and called through ctypes (harness.py); the same
description is evaluated in torch (float64) with the parameters catc's own
`_init` produced. Compared, per case:
  forward  every output factor (Fin outputs exactly),
  dx       every real input factor's gradient from `_backward` with a random
           output gradient dy ~ U(-1, 1) (torch: autograd.grad with dy),
  dparams  every parameter tensor's gradient (accumulated into zeros).
Error measure: max over elements of |catc - torch| / max(|torch|, 1e-3)
(equal infinities, e.g. causal_mask outputs, count as 0). Tolerance 1e-4.

Usage: oracle.py --catc CATC --workdir DIR MODE
  MODE = all [--seed S --count N]    every primitive, then N random composites
         primitive NAME              one primitive case
         tying                       weight tying: a named morphism used twice
Exit status 1 if any case exceeds the tolerance.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catgen  # noqa: E402
from catgen import Fin, Map, Named, Prim, Prod, Real, Seq, flatten, unflatten  # noqa: E402
from harness import Compiled, build, random_inputs, real_leaves, rel_err  # noqa: E402

TOL = 1e-4
N = 3  # batch size


def torch_params(case, params, compiled):
    """{id(prim): [tensors]} from catc's flat array, checked against its table."""
    P, leaves, k = {}, [], 0
    for prim, shapes in case.params():
        ts = []
        for shape in shapes:
            name, off, size, tshape = compiled.table[k]
            assert tuple(shape) == tshape, "parameter %s: catc shape %s, expected %s" % (name, tshape, shape)
            t = torch.tensor(params[off:off + size].reshape(shape), dtype=torch.float64, requires_grad=True)
            ts.append(t)
            leaves.append((name, off, size, t))
            k += 1
        P[id(prim)] = ts
    assert k == len(compiled.table)
    return P, leaves


def check(lib, prefix, name, m, positive=False, seed=0, verbose=True):
    """Returns (worst error, description) for one morphism."""
    ntensors = sum(len(s) for _, s in m.params())
    c = Compiled(lib, prefix, name, m.dom, m.cod, ntensors)
    rng = np.random.default_rng(seed)
    params = c.init_params(seed + 1)
    xs = random_inputs(rng, m.dom, N, positive, binary_target=(name.endswith("bce")))
    ys = c.forward(params, xs, N)
    dys = [rng.uniform(-1, 1, size=(N,) + l.shape).astype(np.float32) for l in real_leaves(m.cod)]
    dparams, dxs = c.backward(params, xs, dys, N)

    P, pleaves = torch_params(m, params, c)
    txs = [torch.tensor(x, dtype=torch.long) if isinstance(l, Fin) else
           torch.tensor(x, dtype=torch.float64, requires_grad=True) for x, l in zip(xs, m.dom.leaves())]
    tys = flatten(m.cod, m.ev(unflatten(m.dom, list(txs)), P, N))
    errs = {"forward": 0.0, "dx": 0.0, "dparams": 0.0}
    for got, ref, leaf in zip(ys, tys, m.cod.leaves()):
        if isinstance(leaf, Fin):
            errs["forward"] = max(errs["forward"], 0.0 if np.array_equal(got, ref.numpy()) else np.inf)
        else:
            errs["forward"] = max(errs["forward"], rel_err(got, ref.detach().numpy()))
    outs = [(y, torch.tensor(d, dtype=torch.float64)) for y, d, l in zip(tys, dys + [None] * 0, [])]
    real_ys = [y for y, l in zip(tys, m.cod.leaves()) if isinstance(l, Real)]
    wrt = [x for x, l in zip(txs, m.dom.leaves()) if isinstance(l, Real)] + [t for *_, t in pleaves]
    pairs = [(y, torch.tensor(d, dtype=torch.float64)) for y, d in zip(real_ys, dys) if y.requires_grad]
    if pairs and wrt:
        grads = torch.autograd.grad([y for y, _ in pairs], wrt, [d for _, d in pairs], allow_unused=True)
    else:
        grads = [None] * len(wrt)
    grads = [torch.zeros_like(w) if g is None else g for g, w in zip(grads, wrt)]
    for got, ref in zip(dxs, grads[:len(dxs)]):
        errs["dx"] = max(errs["dx"], rel_err(got, ref.numpy()))
    for (pname, off, size, _), ref in zip(pleaves, grads[len(dxs):]):
        errs["dparams"] = max(errs["dparams"], rel_err(dparams[off:off + size], ref.numpy().reshape(-1)))
    worst = max(errs.values())
    if verbose:
        print("%-14s %-5s forward %.1e  dx %.1e  dparams %.1e  : %s" % (
            name, "ok" if worst <= TOL else "FAIL", errs["forward"], errs["dx"], errs["dparams"], m.src()))
    del outs
    return worst


def run_cases(args, module, cases):
    src = catgen.module_source(module, [(n, m) for n, m, _ in cases])
    lib = build(args.catc, src, args.workdir, module)
    failed = []
    for i, (name, m, positive) in enumerate(cases):
        if check(lib, module, name, m, positive, seed=1000 + i) > TOL:
            failed.append(name)
    return failed


def tying_case():
    v4 = Real(4)
    layer = Named("layer", Seq(Prim("linear", v4, v4), Prim("tanh", v4, v4)))
    return layer, Seq(layer, layer)


def run_tying(args):
    layer, m = tying_case()
    failed = run_cases(args, "tied", [("m", m, False)])
    # The same gradient, as the sum of the two uses' separate gradients.
    lib_params = Compiled(build(args.catc, catgen.module_source("tied", [("m", m)]), args.workdir, "tied"),
                          "tied", "m", m.dom, m.cod, 1)
    print("parameters of m: %d (one R[4, 4] weight, shared)" % lib_params.count)
    params = lib_params.init_params(7)
    rng = np.random.default_rng(7)
    x = rng.uniform(-2, 2, size=(N, 4)).astype(np.float32)
    dy = rng.uniform(-1, 1, size=(N, 4)).astype(np.float32)
    dparams, _ = lib_params.backward(params, [x], [dy], N)
    W = torch.tensor(params.reshape(4, 4), dtype=torch.float64)
    W1, W2 = W.clone().requires_grad_(), W.clone().requires_grad_()
    y = torch.tanh(torch.tanh(torch.tensor(x, dtype=torch.float64) @ W1.t()) @ W2.t())
    g1, g2 = torch.autograd.grad(y, [W1, W2], torch.tensor(dy, dtype=torch.float64))
    e = rel_err(dparams.reshape(4, 4), (g1 + g2).numpy())
    e1 = rel_err(dparams.reshape(4, 4), g1.numpy())
    print("dW vs dW(first use) + dW(second use): %.1e  %s" % (e, "ok" if e <= TOL else "FAIL"))
    print("dW vs dW(first use) alone: %s" % ("differs" if e1 > 1e-2 else "SAME (tying not summed?)"))
    if e > TOL or lib_params.count != 16:
        failed.append("tying-sum")
    return failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catc", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("mode", choices=["all", "primitive", "tying"])
    ap.add_argument("name", nargs="?")
    args = ap.parse_args()
    torch.set_default_dtype(torch.float64)
    if args.mode == "tying":
        failed = run_tying(args)
        counts = None
    elif args.mode == "primitive":
        cases = [c for c in catgen.primitive_cases() if c[0] == args.name]
        assert cases, "no primitive case " + args.name
        failed = run_cases(args, "prim", [("p_" + n, m, pos) for n, m, pos in cases])
        counts = None
    else:
        prims = [("p_" + n, m, pos) for n, m, pos in catgen.primitive_cases()]
        comps = catgen.random_cases(args.seed, args.count)
        failed = run_cases(args, "prims", prims) + run_cases(args, "comps", comps)
        used = set()
        for _, m, _ in comps:
            m.prims(used)
        comb = {";": 0, "*": 0, "<>": 0, "map": 0}
        for _, m, _ in comps:
            catgen.combinators(m, comb)
        print("composites use %d distinct primitives: %s" % (len(used), " ".join(sorted(used))))
        print("composites use combinators: " + "  ".join("%s %d" % kv for kv in comb.items()))
        counts = (len(prims), len(comps))
    if counts:
        print("checked %d primitives and %d composites against torch (tolerance %g): %d failed%s" % (
            counts[0], counts[1], TOL, len(failed), (": " + " ".join(failed)) if failed else ""))
    else:
        print("%d failed%s" % (len(failed), (": " + " ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
