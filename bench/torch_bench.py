"""torch_bench.py - time per training step of the PyTorch peers of the catc bench models (best of a few repetitions).

Each model is the same as its catc counterpart, in float32 on one thread:
- iris (alias mlp_4_16_3): examples/iris.cat, dense 4->16, relu, dense
  16->3, cross-entropy, SGD lr 0.05 momentum 0.9;
- mlp_64_128_10, mlp_784_256_10, mlp_784_1024_1024_10: bench/models/, dense
  layers with relu between, cross-entropy, SGD lr 0.01;
- iris_sigmoid: bench/models/iris_sigmoid.cat, dense 4->20, sigmoid, dense
  20->3, cross-entropy, SGD lr 0.1;
- bigram: examples/bigram.cat, an embedding table R[5, 4] then dense 4->5,
  cross-entropy, SGD lr 1 (as test/Examples/Inputs/bigram_torch.py);
- transformer (alias tiny_transformer): examples/tiny_transformer.cat
  (std.attention's gpt1: byte embedding and learned positions of width 32,
  one pre-norm block with 4 causal heads of width 8 and no 1/sqrt(k) scale,
  a GELU feed-forward of width 128, final layer norm, unembedding without
  bias, sequence cross-entropy, Adam lr 0.01).
Like step_bench.c, each step is zero_grad, forward, loss, backward and
optimizer update on one fixed random batch (its second half repeating the
first half's inputs with other targets): warm-up steps first, then
REPEATS repetitions (default 3) of at least MIN_SECONDS / REPEATS seconds
and one step each; the fastest repetition is reported. With RUN_STEPS > 0
the timed unit is a whole run of RUN_STEPS steps from the initial
parameters and a fresh optimizer (restored untimed before each run). Prints
the line of step_bench.c without gflops:
  us_per_step U us_per_run R steps_per_second S steps N seconds T last_loss L

`torch_bench.py info` prints the torch version and the BLAS library the
process has mapped after a matrix product (the one torch really uses).

Usage: torch_bench.py MODEL BATCH MIN_SECONDS WARMUP_STEPS [REPEATS [RUN_STEPS]]
       torch_bench.py info
"""
import copy
import ctypes
import os
import sys
import time

# One thread: torch.set_num_threads does not reach Debian's OpenBLAS (the
# pthreads build), which reads its thread count when torch loads it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402 (after the environment above)

torch.set_num_threads(1)
torch.manual_seed(42)


def mlp(*widths, activation=torch.nn.ReLU):
    """Dense layers of the given widths with `activation` between them."""
    layers = []
    for i in range(len(widths) - 1):
        if i:
            layers.append(activation())
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
    return torch.nn.Sequential(*layers)


class Head(torch.nn.Module):
    def __init__(self, d, k):
        super().__init__()
        self.q, self.k, self.v = (torch.nn.Linear(d, k, bias=False) for _ in range(3))
        self.o = torch.nn.Linear(k, d, bias=False)

    def forward(self, h, mask):
        scores = (self.q(h) @ self.k(h).transpose(1, 2)).masked_fill(mask, float("-inf"))
        return self.o(torch.softmax(scores, dim=-1) @ self.v(h))


class TinyTransformer(torch.nn.Module):
    def __init__(self, T=32, d=32, k=8, f=128, V=256, heads=4):
        super().__init__()
        self.embed = torch.nn.Embedding(V, d)
        self.positions = torch.nn.Parameter(torch.zeros(T, d))
        self.ln1, self.ln2, self.ln_f = (torch.nn.LayerNorm(d) for _ in range(3))
        self.heads = torch.nn.ModuleList(Head(d, k) for _ in range(heads))
        self.bias_o = torch.nn.Parameter(torch.zeros(d))
        self.ff1, self.ff2 = torch.nn.Linear(d, f), torch.nn.Linear(f, d)
        self.unembed = torch.nn.Linear(d, V, bias=False)
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), 1))

    def forward(self, tokens):
        x = self.embed(tokens) + self.positions
        h = self.ln1(x)
        x = x + sum(head(h, self.mask) for head in self.heads) + self.bias_o
        x = x + self.ff2(torch.nn.functional.gelu(self.ff1(self.ln2(x))))
        return self.unembed(self.ln_f(x))


def paired(x, t, classes):
    """The batch with its second half's inputs equal to the first half's and
    other targets, as in step_bench.c: no parameters fit it, so the loss stays
    above zero and gradients never sink to denormals over a long run."""
    half = x.shape[0] // 2
    x[half:2 * half] = x[:half]
    t[half:2 * half] = (t[:half] + torch.randint(1, classes, t[:half].shape)) % classes
    return x, t


def real_inputs(batch, size, classes):
    """Inputs in [-1, 1) and one class id per example (not step_bench.c's numbers)."""
    return paired(torch.rand(batch, size) * 2 - 1, torch.randint(0, classes, (batch,)), classes)


def token_inputs(batch, length, vocabulary):
    """Token ids in and out, `length` per example (1: one per example)."""
    shape = (batch, length) if length > 1 else (batch,)
    return paired(torch.randint(0, vocabulary, shape), torch.randint(0, vocabulary, shape), vocabulary)


# name -> (model, optimizer factory, data factory); data take the batch size.
MODELS = {
    "iris": (lambda: mlp(4, 16, 3),
             lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
             lambda n: real_inputs(n, 4, 3)),
    "mlp_64_128_10": (lambda: mlp(64, 128, 10),
                      lambda p: torch.optim.SGD(p, lr=0.01),
                      lambda n: real_inputs(n, 64, 10)),
    "mlp_784_256_10": (lambda: mlp(784, 256, 10),
                       lambda p: torch.optim.SGD(p, lr=0.01),
                       lambda n: real_inputs(n, 784, 10)),
    "mlp_784_1024_1024_10": (lambda: mlp(784, 1024, 1024, 10),
                             lambda p: torch.optim.SGD(p, lr=0.01),
                             lambda n: real_inputs(n, 784, 10)),
    "iris_sigmoid": (lambda: mlp(4, 20, 3, activation=torch.nn.Sigmoid),
                     lambda p: torch.optim.SGD(p, lr=0.1),
                     lambda n: real_inputs(n, 4, 3)),
    "bigram": (lambda: torch.nn.Sequential(torch.nn.Embedding(5, 4), torch.nn.Linear(4, 5)),
               lambda p: torch.optim.SGD(p, lr=1.0),
               lambda n: token_inputs(n, 1, 5)),
    "transformer": (TinyTransformer,
                    lambda p: torch.optim.Adam(p, lr=0.01),
                    lambda n: token_inputs(n, 32, 256)),
}
MODELS["mlp_4_16_3"] = MODELS["iris"]
MODELS["tiny_transformer"] = MODELS["transformer"]


def info():
    """torch's version and the BLAS it has loaded, with OpenBLAS's own config."""
    torch.ones(64, 64) @ torch.ones(64, 64)  # make sure the BLAS is loaded
    with open("/proc/self/maps") as f:
        paths = sorted({line.split()[-1] for line in f
                        if "blas" in line.lower() and line.split()[-1].startswith("/")})
    blas = ", ".join(paths) or "no BLAS library mapped"
    for path in paths:
        if "openblas" in path.split("/")[-1]:
            lib = ctypes.CDLL(path)
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            blas = "%s (%s; core %s)" % (path, lib.openblas_get_config().decode(),
                                         lib.openblas_get_corename().decode())
    print("torch %s; BLAS %s" % (torch.__version__, blas))


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "info":
        info()
        return
    if not 5 <= len(sys.argv) <= 7 or sys.argv[1] not in MODELS:
        sys.exit(__doc__.split("Usage: ")[1] + "models: " + " ".join(sorted(MODELS)))
    name, batch, min_seconds, warmup = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    repeats = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    run_steps = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    make_model, make_optimizer, make_data = MODELS[name]
    model = make_model()
    x, t = make_data(batch)
    initial = copy.deepcopy(model.state_dict())
    optimizer = make_optimizer(model.parameters())

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), t.reshape(-1))
        loss.backward()
        optimizer.step()
        return loss

    loss = None
    for _ in range(warmup):
        loss = step()
    best, total_steps, total_seconds = None, 0, 0.0
    for _ in range(repeats):
        done, timed, begin = 0, 0.0, time.perf_counter()
        while True:
            if run_steps > 0:
                model.load_state_dict(initial)
                optimizer = make_optimizer(model.parameters())
                start = time.perf_counter()
                for _ in range(run_steps):
                    loss = step()
                timed += time.perf_counter() - start
                done += run_steps
            else:
                loss = step()
                done += 1
                timed = time.perf_counter() - begin
            if time.perf_counter() - begin >= min_seconds / repeats:
                break
        per_step = timed / done
        best = per_step if best is None else min(best, per_step)
        total_steps += done
        total_seconds += timed
    print("us_per_step %.4f us_per_run %.4f steps_per_second %.1f steps %d seconds %.3f last_loss %.4f"
          % (best * 1e6, best * 1e6 * max(run_steps, 1), 1 / best, total_steps, total_seconds,
             loss.item()))


if __name__ == "__main__":
    main()
