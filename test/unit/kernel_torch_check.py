#!/usr/bin/python3
"""Compares catk.c's optimizers and a few kernels with PyTorch through ctypes.

Usage: /usr/bin/python3 kernel_torch_check.py path/to/libcatk.so
(build the library with: clang-19 -std=c99 -O2 -fno-math-errno
-ffp-contract=off -shared -fPIC catk.c gemm.c -o libcatk.so -lm).

Runs 10 steps of torch.optim.SGD (with and without momentum and weight
decay), torch.optim.Adam and torch.optim.AdamW, some after
torch.nn.utils.clip_grad_norm_, on the same parameters and gradient
sequence as cat_k_sgd / cat_k_adam / cat_k_clip_grad_norm, and checks forward and reverse of gelu, layernorm,
cross_entropy, bce, log_softmax and linear (with bias, every GEMM tile
family) against torch.autograd. Prints
the largest difference of each relative to the tensor's scale and exits 1
if any exceeds its tolerance (1e-6 for the optimizers, 1e-5 for kernels).
"""
import ctypes
import math
import sys

import numpy as np
import torch

F32P = ctypes.POINTER(ctypes.c_float)
I32P = ctypes.POINTER(ctypes.c_int32)
I64 = ctypes.c_int64
U32 = ctypes.c_uint32
F32 = ctypes.c_float


def ptr(array):
    """A ctypes pointer into a contiguous numpy array (float32 or int32)."""
    return array.ctypes.data_as(I32P if array.dtype == np.int32 else F32P)


def rel_diff(ours, theirs):
    """max |ours - theirs| / max |theirs|: the difference relative to the
    tensor's scale (element-wise ratios blow up where a value nearly cancels
    to zero and one ulp of its operands is all that differs)."""
    theirs = np.asarray(theirs, dtype=np.float64)
    ours = np.asarray(ours, dtype=np.float64)
    return float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-30))


def elementwise_rel_diff(ours, theirs):
    """Largest element-wise |ours - theirs| / max(|theirs|, 1e-3)."""
    theirs = np.asarray(theirs, dtype=np.float64)
    ours = np.asarray(ours, dtype=np.float64)
    return float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-3)))


def clip_both(lib, g, tp, clip):
    """Clips our gradient g in place and torch's tp.grad, when clip > 0."""
    if clip > 0:
        lib.cat_k_clip_grad_norm(ptr(g), g.size, F32(clip))
        torch.nn.utils.clip_grad_norm_([tp], clip)


def run_sgd(lib, rng, lr, momentum, weight_decay=0.0, clip=0.0, steps=10, size=257):
    p0 = rng.standard_normal(size).astype(np.float32)
    grads = [rng.standard_normal(size).astype(np.float32) for _ in range(steps)]
    p, v = p0.copy(), np.zeros(size, np.float32)
    tp = torch.tensor(p0, requires_grad=True)
    opt = torch.optim.SGD([tp], lr=lr, momentum=momentum, weight_decay=weight_decay)
    for step, g in enumerate(grads, 1):
        tp.grad = torch.tensor(g)
        g = g.copy()
        clip_both(lib, g, tp, clip)
        lib.cat_k_sgd(ptr(p), ptr(g), ptr(v), size, F32(lr), F32(momentum),
                      F32(weight_decay), step)
        opt.step()
    return rel_diff(p, tp.detach().numpy()), elementwise_rel_diff(p, tp.detach().numpy())


def run_adam(lib, rng, lr, betas, eps, weight_decay=0.0, clip=0.0, steps=10, size=257):
    """torch.optim.Adam, or torch.optim.AdamW when weight_decay > 0."""
    p0 = rng.standard_normal(size).astype(np.float32)
    grads = [rng.standard_normal(size).astype(np.float32) for _ in range(steps)]
    p = p0.copy()
    m, v = np.zeros(size, np.float32), np.zeros(size, np.float32)
    tp = torch.tensor(p0, requires_grad=True)
    if weight_decay > 0:
        opt = torch.optim.AdamW([tp], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    else:
        opt = torch.optim.Adam([tp], lr=lr, betas=betas, eps=eps)
    for step, g in enumerate(grads, 1):
        tp.grad = torch.tensor(g)
        g = g.copy()
        clip_both(lib, g, tp, clip)
        lib.cat_k_adam(ptr(p), ptr(g), ptr(m), ptr(v), size, F32(lr), F32(betas[0]),
                       F32(betas[1]), F32(eps), F32(weight_decay), step,
                       F32(1 - betas[0]), F32(1 - betas[1]),
                       F32(math.log(betas[0])), F32(math.log(betas[1])))
        opt.step()
    return rel_diff(p, tp.detach().numpy()), elementwise_rel_diff(p, tp.detach().numpy())


def check_kernels(lib, rng):
    """Forward and reverse of some kernels against torch.autograd."""
    results = {}
    rows, k = 6, 7
    x = rng.standard_normal((rows, k)).astype(np.float32)
    dy = rng.standard_normal((rows, k)).astype(np.float32)

    y, dx = np.empty_like(x), np.empty_like(x)
    lib.cat_k_gelu_fwd(ptr(x), ptr(y), x.size)
    lib.cat_k_gelu_bwd(ptr(x), ptr(y), ptr(dy), ptr(dx), x.size)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.gelu(tx)
    ty.backward(torch.tensor(dy))
    results["gelu fwd"] = rel_diff(y, ty.detach())
    results["gelu bwd"] = rel_diff(dx, tx.grad)

    lib.cat_k_log_softmax_fwd(ptr(x), ptr(y), rows, k)
    lib.cat_k_log_softmax_bwd(ptr(y), ptr(dy), ptr(dx), rows, k)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.log_softmax(tx, dim=1)
    ty.backward(torch.tensor(dy))
    results["log_softmax fwd"] = rel_diff(y, ty.detach())
    results["log_softmax bwd"] = rel_diff(dx, tx.grad)

    g = rng.uniform(0.5, 1.5, k).astype(np.float32)
    b = rng.standard_normal(k).astype(np.float32)
    dg, db = np.zeros(k, np.float32), np.zeros(k, np.float32)
    lib.cat_k_layernorm_fwd(ptr(g), ptr(b), ptr(x), ptr(y), rows, k)
    lib.cat_k_layernorm_bwd(ptr(g), ptr(x), ptr(dy), ptr(dg), ptr(db), ptr(dx), rows, k, 1)
    tx, tg, tb = (torch.tensor(a, requires_grad=True) for a in (x, g, b))
    ty = torch.nn.functional.layer_norm(tx, (k,), tg, tb, eps=1e-5)
    ty.backward(torch.tensor(dy))
    results["layernorm fwd"] = rel_diff(y, ty.detach())
    results["layernorm dx"] = rel_diff(dx, tx.grad)
    results["layernorm dg"] = rel_diff(dg, tg.grad)
    results["layernorm db"] = rel_diff(db, tb.grad)

    t = rng.integers(0, k, rows).astype(np.int32)
    dloss = rng.uniform(0.1, 1, rows).astype(np.float32)
    loss = np.empty(rows, np.float32)
    lib.cat_k_cross_entropy_fwd(ptr(x), ptr(t), ptr(loss), rows, k)
    lib.cat_k_cross_entropy_bwd(ptr(x), ptr(t), ptr(dloss), ptr(dx), rows, k)
    tx = torch.tensor(x, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(t).long(), reduction="none")
    tl.backward(torch.tensor(dloss))
    results["cross_entropy fwd"] = rel_diff(loss, tl.detach())
    results["cross_entropy bwd"] = rel_diff(dx, tx.grad)

    target = rng.uniform(0, 1, (rows, k)).astype(np.float32)
    dtarget = np.empty_like(x)
    lib.cat_k_bce_fwd(ptr(x), ptr(target), ptr(loss), rows, k)
    lib.cat_k_bce_bwd(ptr(x), ptr(target), ptr(dloss), ptr(dx), ptr(dtarget), rows, k)
    tx, tt = (torch.tensor(a, requires_grad=True) for a in (x, target))
    tl = torch.nn.functional.binary_cross_entropy_with_logits(tx, tt, reduction="none").mean(1)
    tl.backward(torch.tensor(dloss))
    results["bce fwd"] = rel_diff(loss, tl.detach())
    results["bce dz"] = rel_diff(dx, tx.grad)
    results["bce dy"] = rel_diff(dtarget, tt.grad)

    n, m = 5, 4
    W = rng.standard_normal((m, k)).astype(np.float32)
    bias = rng.standard_normal(m).astype(np.float32)
    xs = rng.standard_normal((n, k)).astype(np.float32)
    dys = rng.standard_normal((n, m)).astype(np.float32)
    tW, tx = (torch.tensor(a, requires_grad=True) for a in (W, xs))
    ty = torch.nn.functional.linear(tx, tW, torch.tensor(bias))
    ty.backward(torch.tensor(dys))
    for tile in range(4):  # CATK_TILE_SCALAR .. CATK_TILE_V512
        lanes = 1 if tile == 0 else 2 << tile
        scratch = np.full(0 if tile == 0 else k * ((m + lanes - 1) // lanes * lanes) + 1,
                          np.nan, np.float32)  # CATK_LINEAR_FWD_SCRATCH
        ys, dxs, dW = np.empty((n, m), np.float32), np.empty_like(xs), np.zeros_like(W)
        lib.cat_k_linear_fwd(ptr(W), ptr(bias), ptr(xs), ptr(ys), n, m, k, 0, ptr(scratch), tile)
        # scratch: CATK_LINEAR_BWD_SCRATCH is 0 below 1024 outputs; no fused update.
        lib.cat_k_linear_bwd(ptr(W), ptr(xs), ptr(dys), ptr(dW), ptr(dxs), n, m, k, None, tile, 1,
                             None)
        results[f"linear fwd (tile {tile})"] = rel_diff(ys, ty.detach())
        results[f"linear dx (tile {tile})"] = rel_diff(dxs, tx.grad)
        results[f"linear dW (tile {tile})"] = rel_diff(dW, tW.grad)
    return results


def main():
    lib = ctypes.CDLL(sys.argv[1])
    # Every size is int64_t (catk_index on a 64-bit host): without argtypes
    # ctypes would pass 32-bit ints.
    signatures = {
        "cat_k_sgd": [F32P, F32P, F32P, I64, F32, F32, F32, U32],
        "cat_k_adam": [F32P, F32P, F32P, F32P, I64, F32, F32, F32, F32, F32, U32,
                       F32, F32, F32, F32],
        "cat_k_clip_grad_norm": [F32P, I64, F32],
        "cat_k_gelu_fwd": [F32P, F32P, I64],
        "cat_k_gelu_bwd": [F32P, F32P, F32P, F32P, I64],
        "cat_k_log_softmax_fwd": [F32P, F32P, I64, I64],
        "cat_k_log_softmax_bwd": [F32P, F32P, F32P, I64, I64],
        "cat_k_layernorm_fwd": [F32P, F32P, F32P, F32P, I64, I64],
        "cat_k_layernorm_bwd": [F32P, F32P, F32P, F32P, F32P, F32P, I64, I64, ctypes.c_int],
        "cat_k_cross_entropy_fwd": [F32P, I32P, F32P, I64, I64],
        "cat_k_cross_entropy_bwd": [F32P, I32P, F32P, F32P, I64, I64],
        "cat_k_bce_fwd": [F32P, F32P, F32P, I64, I64],
        "cat_k_bce_bwd": [F32P, F32P, F32P, F32P, F32P, I64, I64],
        "cat_k_linear_fwd": [F32P, F32P, F32P, F32P, I64, I64, I64, ctypes.c_int, F32P,
                             ctypes.c_int],
        "cat_k_linear_bwd": [F32P, F32P, F32P, F32P, F32P, I64, I64, I64, F32P, ctypes.c_int,
                             ctypes.c_int, ctypes.c_void_p],
    }
    for name, argtypes in signatures.items():
        getattr(lib, name).argtypes = argtypes
        getattr(lib, name).restype = None
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    failed = False

    optimizer_runs = {
        "sgd lr=0.1 momentum=0.9": lambda: run_sgd(lib, rng, 0.1, 0.9),
        "sgd lr=0.05 momentum=0": lambda: run_sgd(lib, rng, 0.05, 0.0),
        "adam lr=1e-3 betas=(0.9,0.999)": lambda: run_adam(lib, rng, 1e-3, (0.9, 0.999), 1e-8),
        "adam lr=0.1 betas=(0.9,0.999)": lambda: run_adam(lib, rng, 0.1, (0.9, 0.999), 1e-8),
        "adam lr=0.125 betas=(0.875,0.9921875)": lambda: run_adam(lib, rng, 0.125,
                                                                  (0.875, 0.9921875), 1e-6),
        "sgd momentum=0.9 weight_decay=0.1": lambda: run_sgd(lib, rng, 0.1, 0.9, 0.1),
        "sgd weight_decay=0.01 clip=1": lambda: run_sgd(lib, rng, 0.05, 0.0, 0.01, 1.0),
        "adamw lr=1e-3 weight_decay=0.01": lambda: run_adam(lib, rng, 1e-3, (0.9, 0.999), 1e-8,
                                                            0.01),
        "adamw lr=0.1 weight_decay=0.1 clip=2": lambda: run_adam(lib, rng, 0.1, (0.9, 0.999),
                                                                 1e-8, 0.1, 2.0),
        "adam clip=0.5": lambda: run_adam(lib, rng, 0.01, (0.9, 0.999), 1e-8, 0.0, 0.5),
    }
    for name, run in optimizer_runs.items():
        diff, element_diff = run()
        ok = diff <= 1e-6
        failed |= not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name:40s} 10 steps, max rel diff {diff:.3e}"
              f" (element-wise {element_diff:.3e})")

    for name, diff in check_kernels(lib, rng).items():
        ok = diff <= 1e-5
        failed |= not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name:40s} max rel diff {diff:.3e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
