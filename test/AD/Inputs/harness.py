"""harness.py - compile .cat morphisms with catc and call them through ctypes.

Needs only numpy: the torch oracle (oracle.py) and the finite-difference check
(fdcheck.py) both drive the generated C interface (docs/embedding.md) through
this module. `build()` runs `catc m.cat -c -o m.o --emit-header m.h` and
`cc -shared m.o -o libm.so -lm` and loads the library.
"""
import ctypes
import os
import subprocess

import numpy as np

from catgen import Fin, Prod, Real, flatten

F32P = ctypes.POINTER(ctypes.c_float)


class ParamInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("offset", ctypes.c_int64), ("size", ctypes.c_int64),
                ("rank", ctypes.c_int32), ("shape", ctypes.POINTER(ctypes.c_int64))]


def build(catc, source_text, workdir, module, extra=()):
    """Writes module.cat into workdir, compiles and loads it; returns the CDLL."""
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, module + ".cat")
    with open(src, "w") as f:
        f.write(source_text)
    obj, hdr, lib = (os.path.join(workdir, module + e) for e in (".o", ".h", ".so"))
    subprocess.run([catc, src, "-c", "-o", obj, "--emit-header", hdr, *extra], check=True)
    subprocess.run(["cc", "-shared", obj, "-o", lib, "-lm"], check=True)
    return ctypes.CDLL(os.path.abspath(lib))


def ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)


class Compiled:
    """One morphism `prefix_name` of a loaded library, typed by catgen objects."""

    def __init__(self, lib, prefix, name, dom, cod, ntensors):
        self.lib, self.sym, self.dom, self.cod = lib, "%s_%s" % (prefix, name), dom, cod
        fn = lambda s: getattr(lib, "%s_%s" % (self.sym, s))
        self.fwd, self.bwd, self.init = fn("forward"), fn("backward"), fn("init")
        self.ws_size = fn("workspace_size")
        self.ws_size.restype = ctypes.c_size_t
        self.ws_size.argtypes = [ctypes.c_size_t]
        table = (ParamInfo * max(ntensors, 1)).in_dll(lib, self.sym + "_param_table")
        self.table = [(t.name.decode(), t.offset, t.size, tuple(t.shape[i] for i in range(t.rank)))
                      for t in table[:ntensors]]
        self.count = sum(t[2] for t in self.table)

    def init_params(self, seed):
        p = np.zeros(max(self.count, 1), np.float32)
        self.init.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
        self.init(ptr(p), seed)
        return p

    def workspace(self, n):
        return np.zeros(self.ws_size(n) // 4 + 16, np.float32)

    def forward(self, params, xs, n):
        """xs: flat list of numpy factors; returns the flat list of outputs."""
        ys = [alloc(l, n) for l in self.cod.leaves()]
        args = [ptr(params)] + [ptr(x) for x in xs] + [ptr(y) for y in ys]
        self.fwd.argtypes = [ctypes.c_void_p] * len(args) + [ctypes.c_size_t, ctypes.c_void_p]
        self.fwd(*args, n, ptr(self.workspace(n)))
        return ys

    def backward(self, params, xs, dys, n, garbage=np.nan):
        """dys: real output factors only. Returns (dparams, [dx for real inputs]).

        The dx buffers start as `garbage` so a factor the backward map forgets
        to write (e.g. the zero gradient of `drop`) shows up as a failure."""
        dparams = np.zeros_like(params)
        dxs = [np.full((n,) + l.shape, garbage, np.float32) for l in self.dom.leaves() if isinstance(l, Real)]
        args = [ptr(params)] + [ptr(x) for x in xs] + [ptr(d) for d in dys] + [ptr(dparams)] + [ptr(d) for d in dxs]
        self.bwd.argtypes = [ctypes.c_void_p] * len(args) + [ctypes.c_size_t, ctypes.c_void_p]
        self.bwd(*args, n, ptr(self.workspace(n)))
        return dparams, dxs


def alloc(leaf, n):
    if isinstance(leaf, Fin):
        return np.zeros((n,) + leaf.lead, np.int32)
    return np.zeros((n,) + leaf.shape, np.float32)


def random_inputs(rng, obj, n, positive=False, binary_target=False):
    """Flat numpy factors: reals ~ U(-2, 2) (U(0.2, 2) when positive), Fin uniform."""
    out = []
    leaves = obj.leaves()
    for i, l in enumerate(leaves):
        if isinstance(l, Fin):
            out.append(rng.integers(0, l.n, size=(n,) + l.lead).astype(np.int32))
        elif positive or (binary_target and i == len(leaves) - 1):
            out.append(rng.uniform(0.2, 2.0, size=(n,) + l.shape).astype(np.float32) /
                       (2.0 if binary_target else 1.0))
        else:
            out.append(rng.uniform(-2.0, 2.0, size=(n,) + l.shape).astype(np.float32))
    return out


def real_leaves(obj):
    return [l for l in obj.leaves() if isinstance(l, Real)]


def rel_err(got, ref, floor=1e-3):
    """max |got - ref| / max(|ref|, floor), elementwise; equal infinities count 0."""
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    if got.shape != ref.shape:
        return float("inf")
    same_inf = np.isinf(ref) & (got == ref)
    diff = np.where(same_inf, 0.0, np.abs(got - ref))
    err = diff / np.maximum(np.where(same_inf, 1.0, np.abs(ref)), floor)
    err = np.where(np.isnan(err), np.inf, err)
    return float(err.max()) if err.size else 0.0


def load_iris(path, shuffle=True):
    """examples/iris.csv as float32 features and int32 class indices (in order
    of first appearance, as catc numbers class names), in a fixed shuffled
    order unless shuffle is False."""
    rows = [l.strip().split(",") for l in open(path) if l.strip()][1:]
    classes = []
    for r in rows:
        if r[4] not in classes:
            classes.append(r[4])
    x = np.array([[float(v) for v in r[:4]] for r in rows], np.float32)
    t = np.array([classes.index(r[4]) for r in rows], np.int32)
    if not shuffle:
        return x, t
    order = np.random.default_rng(0).permutation(len(rows))
    return x[order], t[order]
