"""catgen.py - a tiny AST of .cat morphisms that prints source and runs in torch.

One Python description of a morphism gives both sides of the gradient tests:
`src()` prints the `.cat` expression that catc compiles, `ev()` evaluates the
same morphism with torch on batch-major values, so the oracle compares catc's
generated forward/backward with torch.autograd on identical parameters.

Objects:  Real(shape) (`R[...]`, shape () is `R`), Fin(n, lead) (`Fin[n]`, or
          `Fin[n]^T` when lead = (T,)), Prod([...]) (`A * B`, `1` when empty).
Values:   a real factor is a float tensor [N, *shape]; a Fin factor a long
          tensor [N, *lead]; a product a tuple of its components' values.
Morphisms: Prim(name, dom, cod, opts), Seq(f, g) (`f ; g`), Par(fs)
          (`f * g * ...`), Pair(fs) (`<f, g, ...>`), Map(f, n) (`map(f)`),
          Named(name, f) (a top-level declaration; two uses share parameters).
Parameters are listed in order of first appearance, depth first, left to
right, through named morphisms, each instance once (docs/language.md §4).

This module imports torch lazily (only `ev` needs it), so the finite
difference test runs without torch.
"""
import math
import random


# --- Objects --------------------------------------------------------------------
class Real:
    def __init__(self, *shape):
        self.shape = tuple(shape)

    def src(self, top=True):
        return "R" if not self.shape else "R[%s]" % ", ".join(map(str, self.shape))

    def leaves(self):
        return [self]

    def power(self, n):
        return Real(n, *self.shape)

    def __eq__(self, o):
        return isinstance(o, Real) and o.shape == self.shape

    def size(self):
        return math.prod(self.shape)


class Fin:
    def __init__(self, n, lead=()):
        self.n, self.lead = n, tuple(lead)

    def src(self, top=True):
        s = "Fin[%d]" % self.n
        for t in reversed(self.lead):
            s += "^%d" % t
        return s

    def leaves(self):
        return [self]

    def power(self, n):
        return Fin(self.n, (n,) + self.lead)

    def __eq__(self, o):
        return isinstance(o, Fin) and (o.n, o.lead) == (self.n, self.lead)

    def size(self):
        return math.prod(self.lead)


class Prod:
    def __init__(self, *parts):
        self.parts = list(parts)

    def src(self, top=True):
        if not self.parts:
            return "1"
        s = " * ".join(p.src(False) for p in self.parts)
        return s if top else "(%s)" % s

    def leaves(self):
        return [l for p in self.parts for l in p.leaves()]

    def power(self, n):
        return Prod(*[p.power(n) for p in self.parts])

    def __eq__(self, o):
        return isinstance(o, Prod) and o.parts == self.parts


UNIT = Prod()


def flatten(obj, val):
    """The factors of a value in C-interface order (nested products flattened)."""
    if isinstance(obj, Prod):
        return [x for p, v in zip(obj.parts, val) for x in flatten(p, v)]
    return [val]


def unflatten(obj, flat):
    """Inverse of flatten: a list of factors (consumed from the front)."""
    if isinstance(obj, Prod):
        return tuple(unflatten(p, flat) for p in obj.parts)
    return flat.pop(0)


# --- Torch semantics of the primitives ---------------------------------------------
def _t():
    import torch
    return torch


def _pointwise(fn):
    return lambda x, P, m: fn(_t(), x)


def _binary(fn):
    return lambda x, P, m: fn(_t(), x[0], x[1])


def _gelu(t, x):
    return t.nn.functional.gelu(x)  # exact (erf) form


def _mask(t, x):
    T = x.shape[-1]
    upper = t.triu(t.ones(T, T, dtype=t.bool), 1)
    return x.masked_fill(upper, float("-inf"))


def _mse(t, a, b):
    return ((a - b) ** 2).reshape(a.shape[0], -1).mean(1)


def _bce(t, z, y):
    l = t.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none")
    return l.reshape(z.shape[0], -1).mean(1)


def _param(x, P, m):
    (p,) = P[id(m)]
    return p  # batch-independent; broadcast by the consumer


def _linear(x, P, m):
    (w,) = P[id(m)]
    return x @ w.t()


def _bias(x, P, m):
    (b,) = P[id(m)]
    return x + b


def _embed(x, P, m):
    (e,) = P[id(m)]
    return e[x]


def _layernorm(x, P, m):
    g, b = P[id(m)]
    return _t().nn.functional.layer_norm(x, (x.shape[-1],), g, b, eps=1e-5)


def _pi(x, P, m):
    return x[m.opts["i"]]


TORCH = {
    "id": lambda x, P, m: x,
    "copy": lambda x, P, m: (x, x),
    "drop": lambda x, P, m: (),
    "fst": _pi, "snd": _pi, "pi": _pi,
    "swap": lambda x, P, m: (x[1], x[0]),
    "add": _binary(lambda t, a, b: a + b),
    "sub": _binary(lambda t, a, b: a - b),
    "mul": _binary(lambda t, a, b: a * b),
    "div": _binary(lambda t, a, b: a / b),
    "neg": _pointwise(lambda t, x: -x),
    "exp": _pointwise(lambda t, x: t.exp(x)),
    "log": _pointwise(lambda t, x: t.log(x)),
    "sqrt": _pointwise(lambda t, x: t.sqrt(x)),
    "square": _pointwise(lambda t, x: x * x),
    "relu": _pointwise(lambda t, x: t.relu(x)),
    "sigmoid": _pointwise(lambda t, x: t.sigmoid(x)),
    "tanh": _pointwise(lambda t, x: t.tanh(x)),
    "gelu": _pointwise(_gelu),
    "scale": lambda x, P, m: m.opts["c"] * x,
    "sum": lambda x, P, m: x.sum(1),
    "mean": lambda x, P, m: x.mean(1),
    "broadcast": lambda x, P, m: x.unsqueeze(1).expand(x.shape[0], m.cod.shape[0], *x.shape[1:]),
    "dot": _binary(lambda t, a, b: (a * b).sum(-1)),
    "matmul": _binary(lambda t, a, b: a @ b),
    "transpose": lambda x, P, m: x.transpose(1, 2),
    "reshape": lambda x, P, m: x.reshape(x.shape[0], *m.cod.shape),
    "concat": _binary(lambda t, a, b: t.cat([a, b], 1)),
    "softmax": _pointwise(lambda t, x: t.softmax(x, -1)),
    "log_softmax": _pointwise(lambda t, x: t.log_softmax(x, -1)),
    "causal_mask": _pointwise(_mask),
    "param": _param,
    "linear": _linear,
    "bias": _bias,
    "embed": _embed,
    "layernorm": _layernorm,
    "mse": _binary(_mse),
    "cross_entropy": _binary(lambda t, z, c: t.nn.functional.cross_entropy(z, c, reduction="none")),
    "bce": _binary(_bce),
}

PARAM_SHAPES = {
    "param": lambda m: [m.cod.shape],
    "linear": lambda m: [(m.cod.shape[0], m.dom.shape[0])],
    "bias": lambda m: [m.dom.shape],
    "embed": lambda m: [(m.dom.n, m.cod.shape[0])],
    "layernorm": lambda m: [m.dom.shape, m.dom.shape],
}


def _fix_batch(obj, val, N):
    """`param`/`const` produce unbatched tensors; give them the batch axis."""
    if isinstance(obj, Prod):
        return tuple(_fix_batch(p, v, N) for p, v in zip(obj.parts, val))
    if isinstance(obj, Real) and val.dim() == len(obj.shape):
        return val.unsqueeze(0).expand(N, *obj.shape)
    return val


# --- Morphisms -------------------------------------------------------------------
class Morphism:
    atomic = True

    def atom(self):
        """Source usable as an operand of `*` (parenthesised unless atomic)."""
        return self.src() if self.atomic else "(%s)" % self.src()

    def params(self, seen=None):
        """[(morphism, [shapes])] in order of first appearance."""
        seen = set() if seen is None else seen
        out = []
        self._params(seen, out)
        return out

    def named(self, acc=None):
        """Named morphisms used (dependencies first)."""
        acc = [] if acc is None else acc
        for c in self.children():
            c.named(acc)
        return acc

    def children(self):
        return []

    def _params(self, seen, out):
        for c in self.children():
            c._params(seen, out)

    def prims(self, acc=None):
        acc = set() if acc is None else acc
        for c in self.children():
            c.prims(acc)
        return acc


class Prim(Morphism):
    def __init__(self, name, dom, cod, ascribe=False, **opts):
        self.name, self.dom, self.cod, self.opts, self.ascribe = name, dom, cod, opts, ascribe
        if name == "fst":
            opts["i"] = 0
        if name == "snd":
            opts["i"] = 1

    def src(self):
        s = self.name
        if self.name == "pi":
            s = "pi[%d]" % self.opts["i"]
        elif self.name in ("scale", "const"):
            s = "%s(%g)" % (self.name, self.opts["c"])
        if self.ascribe:
            s = "(%s : %s -> %s)" % (s, self.dom.src(), self.cod.src())
        return s

    def ev(self, x, P, N):
        if self.name == "const":
            return _t().full((N,) + self.cod.shape, float(self.opts["c"]))
        if self.name == "zero":
            return _t().zeros((N,) + self.cod.shape)
        return _fix_batch(self.cod, TORCH[self.name](x, P, self), N)

    def _params(self, seen, out):
        if self.name in PARAM_SHAPES and id(self) not in seen:
            seen.add(id(self))
            out.append((self, PARAM_SHAPES[self.name](self)))

    def prims(self, acc=None):
        acc = set() if acc is None else acc
        acc.add(self.name)
        return acc


class Seq(Morphism):
    atomic = False

    def __init__(self, *fs):
        assert all(a.cod == b.dom for a, b in zip(fs, fs[1:])), \
            "ill-typed composite: " + " ; ".join(f.src() for f in fs)
        self.fs, self.dom, self.cod = fs, fs[0].dom, fs[-1].cod

    def src(self):
        return " ; ".join(f.atom() if isinstance(f, Seq) else f.src() for f in self.fs)

    def ev(self, x, P, N):
        for f in self.fs:
            x = f.ev(x, P, N)
        return x

    def children(self):
        return list(self.fs)


class Par(Morphism):
    atomic = False

    def __init__(self, *fs):
        self.fs = fs
        self.dom, self.cod = Prod(*[f.dom for f in fs]), Prod(*[f.cod for f in fs])

    def src(self):
        return " * ".join(f.atom() for f in self.fs)

    def ev(self, x, P, N):
        return tuple(f.ev(v, P, N) for f, v in zip(self.fs, x))

    def children(self):
        return list(self.fs)


class Pair(Morphism):
    def __init__(self, *fs):
        assert all(f.dom == fs[0].dom for f in fs)
        self.fs, self.dom, self.cod = fs, fs[0].dom, Prod(*[f.cod for f in fs])

    def src(self):
        return "<%s>" % ", ".join(f.src() for f in self.fs)

    def ev(self, x, P, N):
        return tuple(f.ev(x, P, N) for f in self.fs)

    def children(self):
        return list(self.fs)


class Map(Morphism):
    def __init__(self, f, n):
        self.f, self.n = f, n
        self.dom, self.cod = f.dom.power(n), f.cod.power(n)

    def src(self):
        return "map(%s)" % self.f.src()

    def ev(self, x, P, N):
        n = self.n

        def fold(obj, v):  # [N, n, ...] -> [N*n, ...]
            if isinstance(obj, Prod):
                return tuple(fold(p, w) for p, w in zip(obj.parts, v))
            return v.reshape(N * n, *v.shape[2:])

        def unfold(obj, v):  # [N*n, ...] -> [N, n, ...]
            if isinstance(obj, Prod):
                return tuple(unfold(p, w) for p, w in zip(obj.parts, v))
            return v.reshape(N, n, *v.shape[1:])

        return unfold(self.f.cod, self.f.ev(fold(self.f.dom, x), P, N * n))

    def children(self):
        return [self.f]


class Named(Morphism):
    """A top-level `morphism NAME : dom -> cod = body`; uses share parameters."""

    def __init__(self, name, body):
        self.name, self.body, self.dom, self.cod = name, body, body.dom, body.cod

    def src(self):
        return self.name

    def decl(self):
        return "morphism %s : %s -> %s = %s" % (self.name, self.dom.src(), self.cod.src(), self.body.src())

    def ev(self, x, P, N):
        return self.body.ev(x, P, N)

    def children(self):
        return [self.body]

    def named(self, acc=None):
        acc = [] if acc is None else acc
        self.body.named(acc)
        if self not in acc:
            acc.append(self)
        return acc


def module_source(module, morphisms):
    """The .cat text declaring every (name, morphism) pair, helpers first."""
    lines = ["// Generated by test/AD/Inputs/catgen.py; do not edit.", "module " + module]
    helpers = []
    for _, m in morphisms:
        for h in m.named():
            if h not in helpers:
                helpers.append(h)
    lines += [h.decl() for h in helpers]
    for name, m in morphisms:
        lines.append("morphism %s : %s -> %s = %s" % (name, m.dom.src(), m.cod.src(), m.src()))
    return "\n".join(lines) + "\n"


# --- One test case per primitive (docs/language.md §5) ------------------------------
def P(name, dom, cod, **kw):
    return Prim(name, dom, cod, **kw)


def primitive_cases():
    """[(name, morphism, positive_inputs)] — one per primitive of §7."""
    v4, v5, v3 = Real(4), Real(5), Real(3)
    m23, m34 = Real(2, 3), Real(3, 4)
    cases = []

    def add(name, m, positive=False):
        cases.append((name, m, positive))

    for op in ("add", "sub", "mul"):
        add(op, P(op, Prod(v4, v4), v4))
    add("div", P("div", Prod(v4, v4), v4), True)
    for op in ("neg", "exp", "square", "relu", "sigmoid", "tanh", "gelu"):
        add(op, P(op, v5, v5))
    add("log", P("log", v5, v5), True)
    add("sqrt", P("sqrt", v5, v5), True)
    add("scale", P("scale", v5, v5, c=2.5))
    add("sum", P("sum", m34, v4))
    add("mean", P("mean", m34, v4))
    add("broadcast", P("broadcast", v4, m34))
    add("dot", P("dot", Prod(v4, v4), Real()))
    add("matmul", P("matmul", Prod(m23, m34), Real(2, 4)))
    add("transpose", P("transpose", m23, Real(3, 2)))
    add("reshape", P("reshape", Real(6), m23))
    add("concat", P("concat", Prod(Real(2), v3), v5))
    add("softmax", P("softmax", v5, v5))
    add("log_softmax", P("log_softmax", v5, v5))
    add("causal_mask", P("causal_mask", Real(3, 3), Real(3, 3)))
    # param : 1 -> A used inside an R[4] -> R[4] morphism, so it has an input.
    add("param", Seq(Pair(P("id", v4, v4), Seq(P("drop", v4, UNIT), P("param", UNIT, v4))),
                     P("add", Prod(v4, v4), v4)))
    add("linear", P("linear", v4, v3))
    # 1,030 outputs: the weight gradient's packed schedule (CATK_FAR), tail tiles.
    add("linear_wide", P("linear", Real(6), Real(1030)))
    add("bias", P("bias", v4, v4))
    add("embed", P("embed", Fin(7), v3))
    add("layernorm", P("layernorm", v5, v5))
    add("mse", P("mse", Prod(v4, v4), Real()))
    add("cross_entropy", P("cross_entropy", Prod(v5, Fin(5)), Real()))
    add("bce", P("bce", Prod(v4, v4), Real()))
    add("copy", P("copy", v4, Prod(v4, v4)))
    add("drop", Seq(Par(P("id", v4, v4), P("drop", v3, UNIT)), P("fst", Prod(v4, UNIT), v4)))
    add("fst", P("fst", Prod(v4, v3), v4))
    add("snd", P("snd", Prod(v4, v3), v3))
    add("pi", P("pi", Prod(Real(2), v3, v4), v4, i=2))
    add("swap", P("swap", Prod(v4, v3), Prod(v3, v4)))
    add("id", P("id", Prod(v4, v3), Prod(v4, v3)))
    add("zero", Seq(Pair(P("id", v4, v4), Seq(P("drop", v4, UNIT), P("zero", UNIT, v4))),
                    P("add", Prod(v4, v4), v4)))
    add("const", Seq(Pair(P("id", v4, v4), Seq(P("drop", v4, UNIT), P("const", UNIT, v4, c=1.5))),
                     P("mul", Prod(v4, v4), v4)))
    add("map", Map(P("linear", v4, Real(2)), 3))
    return cases


# --- A seeded generator of well-typed composites ------------------------------------
class Gen:
    """Random well-typed morphisms over all combinators (`;`, `*`, `<>`, map)."""

    UNARY = ["neg", "tanh", "sigmoid", "gelu", "square", "relu", "scale", "exp"]

    def __init__(self, seed):
        self.r = random.Random(seed)

    def A(self, name, dom, cod, **kw):
        return Prim(name, dom, cod, ascribe=True, **kw)

    def leaf(self, obj, depth):
        """A morphism from a single real tensor object."""
        r, s = self.r, obj.shape
        choices = ["unary", "unary", "linear", "bias", "seq", "pair", "positive"]
        if len(s) == 1:
            choices += ["softmax", "log_softmax", "layernorm", "sum", "broadcast", "reshape", "concat_self", "dot_self"]
        if len(s) == 2:
            choices += ["map", "map", "transpose", "sum", "mean", "matmul_self", "reshape", "mask"]
        if len(s) == 0:
            choices = ["unary", "broadcast", "pair", "seq"]
        if depth <= 0:
            choices = [c for c in choices if c not in ("seq", "pair", "map")] or ["unary"]
        c = r.choice(choices)
        if c == "unary":
            op = r.choice(self.UNARY)
            return self.A(op, obj, obj, c=round(r.uniform(-2, 2), 2)) if op == "scale" else self.A(op, obj, obj)
        if c == "positive":  # log, sqrt, div need positive arguments: make them
            pos = Seq(self.A(r.choice(["sigmoid", "exp"]), obj, obj),
                      self.A(r.choice(["log", "sqrt"]), obj, obj))
            if r.random() < 0.5:
                return pos
            return Seq(Pair(self.gen(obj, depth - 1, real_only=obj), Seq(self.A("exp", obj, obj), self.A("scale", obj, obj, c=0.5))),
                       self.A("div", Prod(obj, obj), obj))
        if c == "linear":
            shape = (r.choice([2, 3, 4]),) if len(s) == 1 else None
            if shape is None:
                return self.leaf(obj, depth)
            return self.A("linear", obj, Real(*shape))
        if c == "bias":
            return self.A("bias", obj, obj) if len(s) == 1 else self.leaf(obj, depth)
        if c in ("softmax", "log_softmax", "layernorm"):
            return self.A(c, obj, obj)
        if c in ("sum", "mean"):
            return self.A(c, obj, Real(*s[1:]))
        if c == "broadcast":
            return self.A("broadcast", obj, obj.power(r.choice([2, 3])))
        if c == "reshape":
            n = obj.size()
            shapes = [(n,)] + [(a, n // a) for a in (2, 3) if n % a == 0 and n // a > 1]
            return self.A("reshape", obj, Real(*r.choice(shapes)))
        if c == "transpose":
            return self.A("transpose", obj, Real(s[1], s[0]))
        if c == "mask":
            if s[0] != s[1]:
                return self.A("transpose", obj, Real(s[1], s[0]))
            return Seq(self.A("causal_mask", obj, obj), Map(self.A("softmax", Real(s[1]), Real(s[1])), s[0]))
        if c == "concat_self":
            return Seq(Pair(self.gen(obj, depth - 1, real_only=obj), self.gen(obj, depth - 1, real_only=obj)),
                       self.A("concat", Prod(obj, obj), Real(2 * s[0])))
        if c == "dot_self":
            return self._binop(obj, depth)
        if c == "matmul_self":
            return Seq(Pair(self.A("id", obj, obj), self.A("transpose", obj, Real(s[1], s[0]))),
                       self.A("matmul", Prod(obj, Real(s[1], s[0])), Real(s[0], s[0])))
        if c == "map":
            inner = Real(*s[1:])
            return Map(self.gen(inner, depth - 1, real_only=inner), s[0])
        if c == "seq":
            f = self.gen(obj, depth - 1)
            return Seq(f, self.gen(f.cod, depth - 1))
        if c == "pair":
            return Pair(self.gen(obj, depth - 1), self.gen(obj, depth - 1))
        raise AssertionError(c)

    def _binop(self, obj, depth):
        op = self.r.choice(["dot", "mse", "add", "mul", "sub", "bce"])
        cod = Real() if op in ("dot", "mse", "bce") else obj
        f = self.gen(obj, depth - 1, real_only=obj)
        return Seq(Pair(f, self.A("id", obj, obj)), self.A(op, Prod(obj, obj), cod))

    def gen(self, obj, depth, real_only=None):
        """A morphism with domain obj; with real_only, its codomain is real_only."""
        if real_only is not None:
            f = self.leaf(obj, depth)
            if isinstance(f.cod, Prod):
                f = Seq(f, self.project(f.cod))
            return f if f.cod == real_only else Seq(f, self.back(f.cod, real_only))
        if isinstance(obj, Real):
            return self.leaf(obj, depth)
        if isinstance(obj, Prod):
            return self.product(obj, depth)
        raise AssertionError(obj)

    def project(self, obj):
        """A projection from a product onto one of its real factors (or a sum)."""
        parts = obj.parts
        reals = [i for i, p in enumerate(parts) if isinstance(p, Real)]
        i = self.r.choice(reals)
        if len(parts) == 2 and parts[0] == parts[1] and self.r.random() < 0.5:
            return self.A("add", obj, parts[0])
        name = {0: "fst", 1: "snd"}.get(i, "pi") if len(parts) == 2 else "pi"
        return self.A(name, obj, parts[i], i=i)

    def back(self, src, dst):
        """A morphism src -> dst between real objects (to close a branch)."""
        if src.shape == dst.shape:
            return self.A("id", src, dst)
        if len(dst.shape) == 1 and src.size() != dst.size() and len(src.shape) == 1:
            return self.A("linear", src, dst)
        if src.shape == ():
            return self.A("broadcast", src, Real(dst.size())) if len(dst.shape) == 1 else \
                Seq(self.A("broadcast", src, Real(dst.size())), self.A("reshape", Real(dst.size()), dst))
        if src.size() == dst.size():
            return self.A("reshape", src, dst)
        flat = Real(src.size())
        pre = [] if len(src.shape) == 1 else [self.A("reshape", src, flat)]
        lin = self.A("linear", flat, Real(dst.size()))
        post = [] if len(dst.shape) == 1 else [self.A("reshape", Real(dst.size()), dst)]
        return Seq(*(pre + [lin] + post))

    def product(self, obj, depth):
        r, parts = self.r, obj.parts
        reals = [i for i, p in enumerate(parts) if isinstance(p, Real)]
        choices = ["proj", "swap", "par"]
        if len(parts) == 2 and isinstance(parts[0], Real) and parts[1] == parts[0]:
            choices += ["binop", "binop"]
        if len(parts) == 2 and isinstance(parts[0], Real) and isinstance(parts[1], Fin) \
                and len(parts[0].shape) == 1 and parts[1].n == parts[0].shape[0]:
            choices += ["xent", "xent"]
        if len(parts) == 2 and isinstance(parts[0], Real) and isinstance(parts[1], Fin) \
                and len(parts[0].shape) == 2 and parts[1].lead == parts[0].shape[:1] and parts[1].n == parts[0].shape[1]:
            choices += ["map_xent", "map_xent"]
        if any(isinstance(p, Fin) and not p.lead for p in parts):
            choices += ["embed"]
        c = r.choice(choices)
        if c == "proj":
            i = r.choice(reals)
            name = {0: "fst", 1: "snd"}.get(i, "pi") if len(parts) == 2 else "pi"
            return self.A(name, obj, parts[i], i=i)
        if c == "swap":
            if len(parts) != 2:
                return self.A("pi", obj, parts[reals[-1]], i=reals[-1])
            return Seq(self.A("swap", obj, Prod(parts[1], parts[0])),
                       self.product(Prod(parts[1], parts[0]), depth - 1) if depth > 0 else
                       self.A("fst", Prod(parts[1], parts[0]), parts[1]))
        if c == "par":
            fs = []
            for p in parts:
                if isinstance(p, Real):
                    fs.append(self.gen(p, depth - 1) if r.random() < 0.7 else self.A("id", p, p))
                elif r.random() < 0.5:
                    fs.append(self.A("id", p, p))
                else:
                    fs.append(self.A("drop", p, UNIT))
            f = Par(*fs)
            keep = [i for i, q in enumerate(f.cod.parts) if isinstance(q, Real)]
            if not keep:
                return f
            i = r.choice(keep)
            name = {0: "fst", 1: "snd"}.get(i, "pi") if len(parts) == 2 else "pi"
            return Seq(f, self.A(name, f.cod, f.cod.parts[i], i=i))
        if c == "binop":
            op = r.choice(["add", "sub", "mul", "dot", "mse", "bce", "concat"])
            a = parts[0]
            if op == "dot" and len(a.shape) != 1:
                op = "mse"
            if op == "concat" and len(a.shape) != 1:
                op = "add"
            cod = {"dot": Real(), "mse": Real(), "bce": Real(), "concat": Real(2 * a.shape[0]) if a.shape else None}.get(op, a)
            return self.A(op, obj, cod)
        if c == "xent":
            return self.A("cross_entropy", obj, Real())
        if c == "map_xent":
            T, n = parts[0].shape
            return Seq(Map(self.A("cross_entropy", Prod(Real(n), Fin(n)), Real()), T), self.A("mean", Real(T), Real()))
        if c == "embed":
            fs = []
            for p in parts:
                if isinstance(p, Fin) and not p.lead:
                    fs.append(self.A("embed", p, Real(3)))
                else:
                    fs.append(self.A("id", p, p))
            return Par(*fs)
        raise AssertionError(c)


DOMAINS = [Real(4), Real(2, 3), Prod(Real(3), Real(3)), Prod(Real(4), Fin(4)),
           Prod(Real(2, 3), Fin(3, (2,))), Prod(Real(3), Real(2), Real(3)), Real(3, 3), Prod(Real(2, 2), Real(2, 2))]


def random_cases(seed, count):
    """count random composites, each ending in a real object."""
    g = Gen(seed)
    out = []
    while len(out) < count:
        dom = DOMAINS[len(out) % len(DOMAINS)]
        f = g.gen(dom, 3)
        if not any(isinstance(l, Real) for l in f.cod.leaves()) or size(f) < 4:
            continue
        out.append(("c%d" % len(out), f, False))
    return out


def size(m):
    """Number of primitive occurrences in a morphism."""
    return 1 if isinstance(m, Prim) else sum(size(c) for c in m.children())


def combinators(m, acc=None):
    """Counts of `;`, `*`, `<>` and `map` nodes (named morphisms counted once)."""
    acc = {";": 0, "*": 0, "<>": 0, "map": 0} if acc is None else acc
    key = {Seq: ";", Par: "*", Pair: "<>", Map: "map"}.get(type(m))
    if key:
        acc[key] += 1
    for c in m.children():
        combinators(c, acc)
    return acc
