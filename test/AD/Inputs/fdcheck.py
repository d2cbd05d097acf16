"""fdcheck.py - catc's backward maps against central finite differences (no torch).

The same cases as oracle.py (every primitive, then the seeded random
composites of catgen.py). For each case, with a random output gradient dy, the
scalar S(x, p) = sum(dy * forward(x, p)) (accumulated in float64) is
differentiated numerically in every real input entry and every parameter
entry with Richardson-extrapolated central differences,
    D(h) = (S(+h) - S(-h)) / 2h,   num = (4 D(h/2) - D(h)) / 3,   h = 3e-2,
and compared with `_backward`'s dx / dparams. Error measure:
|num - analytic| / max(|num|, |analytic|, 1e-1); tolerance 1e-3 (float32
forward maps: rounding in S is about 1e-7 |S| / h). Exit 1 on any failure.

Usage: fdcheck.py --catc CATC --workdir DIR [--seed S --count N]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catgen  # noqa: E402
from harness import Compiled, build, random_inputs, real_leaves  # noqa: E402

TOL, N = 1e-3, 2
H = float(os.environ.get('FD_H', '3e-2'))


def check(lib, prefix, name, m, positive, seed):
    c = Compiled(lib, prefix, name, m.dom, m.cod, sum(len(s) for _, s in m.params()))
    rng = np.random.default_rng(seed)
    params = c.init_params(seed + 1)
    xs = random_inputs(rng, m.dom, N, positive, binary_target=name.endswith("bce"))
    dys = [rng.uniform(-1, 1, size=(N,) + l.shape).astype(np.float32) for l in real_leaves(m.cod)]
    dparams, dxs = c.backward(params, xs, dys, N)
    reals = [i for i, l in enumerate(m.dom.leaves()) if isinstance(l, catgen.Real)]

    def S():
        ys = [y for y, l in zip(c.forward(params, xs, N), m.cod.leaves()) if isinstance(l, catgen.Real)]
        # Masked entries (causal_mask's -inf) are constant: leave them out.
        return sum(float(np.sum(np.where(np.isfinite(y), y.astype(np.float64) * d, 0.0)))
                   for y, d in zip(ys, dys))

    def numeric(buf, k):
        flat, saved = buf.reshape(-1), buf.reshape(-1)[k]

        def D(h):
            flat[k] = saved + h
            up = S()
            flat[k] = saved - h
            down = S()
            flat[k] = saved
            return (up - down) / (2 * h)
        return (4 * D(H / 2) - D(H)) / 3

    worst = 0.0
    targets = [(xs[i], dx) for i, dx in zip(reals, dxs)] + [(params, dparams)]
    for buf, grad in targets:
        if buf is params and c.count == 0:
            continue
        for k in range(buf.size if buf is not params else c.count):
            num, ana = numeric(buf, k), float(grad.reshape(-1)[k])
            err = abs(num - ana) / max(abs(num), abs(ana), 1e-1)
            if not np.isfinite(err):
                err = np.inf
            worst = max(worst, err)
    print("%-14s %-5s max error %.1e : %s" % (name, "ok" if worst <= TOL else "FAIL", worst, m.src()[:100]))
    return worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--catc", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--count", type=int, default=60)
    args = ap.parse_args()
    prims = [("p_" + n, m, pos) for n, m, pos in catgen.primitive_cases()]
    comps = catgen.random_cases(args.seed, args.count)
    failed = []
    for module, cases in (("fdprims", prims), ("fdcomps", comps)):
        lib = build(args.catc, catgen.module_source(module, [(n, m) for n, m, _ in cases]), args.workdir, module)
        for i, (name, m, pos) in enumerate(cases):
            if check(lib, module, name, m, pos, 1000 + i) > TOL:
                failed.append(name)
    print("finite differences: checked %d primitives and %d composites (tolerance %g): %d failed%s" % (
        len(prims), len(comps), TOL, len(failed), (": " + " ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
