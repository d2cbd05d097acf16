"""transformer_block_torch.py - std.attention's transformer block vs torch.autograd.

Compiles `transformer_block[R[T, d], R[T, k], R[T, f]]` (Inputs/transformer_block.cat)
with `catc -c --emit-header`, links it into a shared library and calls the C
interface of docs/embedding.md through ctypes. An independent PyTorch
re-implementation of the block (float64) runs on the same weights, read
tensor by tensor through the exported parameter table, and the script
compares the forward output, the input gradient and the gradient of every
parameter tensor for a random output gradient. Error per element:
|catc - torch| / max(|torch|, 1e-3); every tensor must stay within --tol.

The block as std.attention defines it (pre-norm, 4 causal heads, no 1/sqrt(k)):
  a = x + bias_o + sum_h softmax(mask(Q_h K_h^T)) V_h W_o,h^T,  Q_h = LN1(x) W_q,h^T ...
  y = a + W_2 gelu(W_1 LN2(a) + b_1) + b_2
Parameters are matched by name, so a change of the layout fails loudly here.
"""
import argparse
import ctypes
import os
import re
import subprocess
import sys

import numpy as np
import torch

F32P = ctypes.POINTER(ctypes.c_float)


class ParamInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("offset", ctypes.c_int64), ("size", ctypes.c_int64),
                ("rank", ctypes.c_int32), ("shape", ctypes.POINTER(ctypes.c_int64))]


def compile_block(catc, source, workdir):
    """catc -c --emit-header, then cc -shared; returns the loaded library."""
    obj, hdr, lib = (os.path.join(workdir, "tblock" + e) for e in (".o", ".h", ".so"))
    subprocess.run([catc, source, "-c", "-o", obj, "--emit-header", hdr], check=True)
    subprocess.run(["cc", "-shared", obj, "-o", lib, "-lm"], check=True)
    with open(hdr) as f:
        header = f.read()
    tensors = int(re.search(r"#define TBLOCK_BLOCK_PARAM_TENSORS (\d+)", header).group(1))
    count = int(re.search(r"#define TBLOCK_BLOCK_PARAM_COUNT (\d+)", header).group(1))
    return ctypes.CDLL(os.path.abspath(lib)), tensors, count


def read_table(lib, tensors):
    table = (ParamInfo * tensors).in_dll(lib, "tblock_block_param_table")
    return [(t.name.decode(), t.offset, t.size, tuple(t.shape[i] for i in range(t.rank)))
            for t in table]


def ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def group_parameters(table):
    """Names -> roles. Each head's projections appear as Q, K, V (linear0..2
    of causal_head, in source order) then its output slice (linear0 of
    causal_head_out); the rest are named by their block."""
    heads, roles = [], {}
    for name, offset, size, shape in table:
        head = re.search(r"(.*causal_head_out\d+)\.(causal_head0\.)?linear(\d)\.weight$", name)
        if head:
            key = head.group(1)
            if not heads or heads[-1][0] != key:
                heads.append((key, {}))
            role = ("q", "k", "v")[int(head.group(3))] if head.group(2) else "o"
            heads[-1][1][role] = name
            continue
        for pattern, role in ((r"attention_block0\.layer_norm0\.layernorm0\.gain$", "ln1_g"),
                              (r"attention_block0\.layer_norm0\.layernorm0\.bias$", "ln1_b"),
                              (r"causal_mha40\.bias0\.bias$", "bias_o"),
                              (r"mlp_block0\.layer_norm0\.layernorm0\.gain$", "ln2_g"),
                              (r"mlp_block0\.layer_norm0\.layernorm0\.bias$", "ln2_b"),
                              (r"dense0\.linear0\.weight$", "w1"), (r"dense0\.bias0\.bias$", "b1"),
                              (r"dense1\.linear0\.weight$", "w2"), (r"dense1\.bias0\.bias$", "b2")):
            if re.search(pattern, name):
                assert role not in roles, "two tensors for " + role
                roles[role] = name
                break
        else:
            raise SystemExit("unexpected parameter " + name)
    missing = {"ln1_g", "ln1_b", "bias_o", "ln2_g", "ln2_b", "w1", "b1", "w2", "b2"} - set(roles)
    if missing or len(heads) != 4 or any(set(h) != {"q", "k", "v", "o"} for _, h in heads):
        raise SystemExit("parameter table does not have the expected layout: %s" % sorted(missing))
    return [h for _, h in heads], roles


def torch_block(x, p, heads, roles, score_scale=1.0):
    """The block in torch; p maps parameter names to float64 leaf tensors."""
    T = x.shape[1]
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)

    def layer_norm(v, gain, bias):
        return torch.nn.functional.layer_norm(v, (v.shape[-1],), p[gain], p[bias], eps=1e-5)

    h = layer_norm(x, roles["ln1_g"], roles["ln1_b"])
    attention = 0
    for head in heads:
        q, k, v = (h @ p[head[r]].T for r in ("q", "k", "v"))
        scores = (score_scale * q @ k.transpose(1, 2)).masked_fill(mask, float("-inf"))
        attention = attention + (torch.softmax(scores, dim=-1) @ v) @ p[head["o"]].T
    a = x + attention + p[roles["bias_o"]]
    h = layer_norm(a, roles["ln2_g"], roles["ln2_b"])
    hidden = torch.nn.functional.gelu(h @ p[roles["w1"]].T + p[roles["b1"]])
    return a + hidden @ p[roles["w2"]].T + p[roles["b2"]]


def error(ours, theirs):
    theirs = theirs.detach().numpy()
    return float(np.max(np.abs(ours.astype(np.float64) - theirs)) / max(np.max(np.abs(theirs)), 1e-30))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--catc", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--batch", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tol", type=float, default=1e-4)
    args = parser.parse_args()

    lib, tensors, count = compile_block(args.catc, args.source, args.workdir)
    table = read_table(lib, tensors)
    heads, roles = group_parameters(table)
    T, d = 6, 16  # the objects of Inputs/transformer_block.cat
    n = args.batch
    rng = np.random.default_rng(args.seed)

    # Random weights rather than catc's initialisation (gains 1, biases 0)
    # so that every term of every gradient is exercised.
    params = np.zeros(count, np.float32)
    for name, offset, size, shape in table:
        base = 1.0 if name.endswith(".gain") else 0.0
        params[offset:offset + size] = base + 0.4 * rng.standard_normal(size)
    x = rng.standard_normal((n, T, d)).astype(np.float32)
    dy = rng.standard_normal((n, T, d)).astype(np.float32)

    lib.tblock_block_workspace_size.restype = ctypes.c_size_t
    lib.tblock_block_workspace_size.argtypes = [ctypes.c_size_t]
    workspace = np.zeros(lib.tblock_block_workspace_size(n) // 4 + 16, np.float32)
    y = np.full((n, T, d), np.nan, np.float32)
    lib.tblock_block_forward.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_size_t, ctypes.c_void_p]
    lib.tblock_block_forward(ptr(params), ptr(x), ptr(y), n, ptr(workspace))
    # dparams is accumulated (+=): start it at a known offset and subtract.
    offset_value = 0.25
    dparams = np.full(count, offset_value, np.float32)
    dx = np.full((n, T, d), np.nan, np.float32)
    lib.tblock_block_backward.argtypes = [ctypes.c_void_p] * 5 + [ctypes.c_size_t, ctypes.c_void_p]
    lib.tblock_block_backward(ptr(params), ptr(x), ptr(dy), ptr(dparams), ptr(dx), n, ptr(workspace))
    dparams -= offset_value

    p = {name: torch.tensor(params[o:o + s].reshape(shape), dtype=torch.float64, requires_grad=True)
         for name, o, s, shape in table}
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = torch_block(xt, p, heads, roles)
    yt.backward(torch.tensor(dy, dtype=torch.float64))

    results = [("output", error(y, yt)), ("d_input", error(dx, xt.grad))]
    short = {v: k for k, v in roles.items()}
    for i, head in enumerate(heads):
        short.update({name: "head%d.%s" % (i, r) for r, name in head.items()})
    for name, o, s, shape in table:
        results.append(("d_" + short[name], error(dparams[o:o + s].reshape(shape), p[name].grad)))
    worst = 0.0
    for label, err in results:
        worst = max(worst, err)
        print("%-14s %s  max rel error %.2e" % (label, "ok" if err <= args.tol else "FAIL", err))
    print("compared %d tensors, %d parameters; worst %.2e (tolerance %.0e)"
          % (len(results), count, worst, args.tol))
    control = torch_block(torch.tensor(x, dtype=torch.float64), p, heads, roles, score_scale=0.5)
    control_error = error(y, control)
    print("control with 1/sqrt(k) scores: output error %.2e (%s)"
          % (control_error, "detected" if control_error > args.tol else "NOT detected"))
    return 0 if worst <= args.tol and control_error > args.tol else 1


if __name__ == "__main__":
    sys.exit(main())
