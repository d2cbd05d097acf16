"""torch_bench.py - training steps per second of the PyTorch peers of the catc models.

The same models as examples/iris.cat (dense 4->16, relu, dense 16->3,
cross-entropy, SGD lr 0.05 momentum 0.9) and examples/tiny_transformer.cat
(std.attention's gpt1: byte embedding and learned positions of width 32, one
pre-norm block with 4 causal heads of width 8 and no 1/sqrt(k) scale, a GELU
feed-forward of width 128, final layer norm, unembedding without bias,
sequence cross-entropy, Adam lr 0.01), in float32 on one thread. Like
step_bench.c, each step is forward, loss, backward and optimizer update on a
fixed random batch; warm-up steps first, then steps for at least the given
time. Prints `steps_per_second <value>`.

Usage: torch_bench.py iris|transformer BATCH MIN_SECONDS WARMUP_STEPS
"""
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(42)


class Iris(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden, self.out = torch.nn.Linear(4, 16), torch.nn.Linear(16, 3)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


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


def setup(model_name, batch):
    if model_name == "iris":
        model = Iris()
        x, t = torch.rand(batch, 4) * 2 - 1, torch.randint(0, 3, (batch,))
        return model, x, t, torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model = TinyTransformer()
    x, t = torch.randint(0, 256, (batch, 32)), torch.randint(0, 256, (batch, 32))
    return model, x, t, torch.optim.Adam(model.parameters(), lr=0.01)


def main():
    model_name, batch, min_seconds, warmup = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    model, x, t, optimizer = setup(model_name, batch)

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), t.reshape(-1))
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(warmup):
        step()
    steps, start, elapsed = 0, time.perf_counter(), 0.0
    while elapsed < min_seconds:
        loss = step()
        steps += 1
        elapsed = time.perf_counter() - start
    print("steps_per_second %.1f steps %d seconds %.3f last_loss %.4f"
          % (steps / elapsed, steps, elapsed, loss.item()))


if __name__ == "__main__":
    main()
