#!/usr/bin/env python3
"""Writes crates/tessera-core/tests/data/core_cases.txt: PyTorch's results for the core ops.

Run from anywhere with PyTorch, NumPy and mpmath installed:

    python3 scripts/make_core_data.py

One case per line: a kind, then space-separated `key=value` fields. `#` starts a comment.

    <kind> [op=<name>] <inputs...> y=<torch result>|ERR [ref=<exact result>] [tol=<ulps>]

A tensor is `dtype:shape:values`: dtype as torch names it without `torch.`, shape as sizes
joined by `,` (empty for 0-dim), values in row-major order joined by `,`. Floats are the
hexadecimal bits of their IEEE value (float32: 8 digits, float64: 16), integers are
decimal, bools 0 or 1, so tests rebuild every value bit for bit.

A Python scalar operand is `int:<decimal>`, `float:<hex bits of the f64>` or `bool:0|1`.

`y=ERR` means PyTorch raised an error. A case with `ieee=` is one where tessera
deliberately follows IEEE pow (PyTorch's tensor-exponent result, given there) rather than
PyTorch's sqrt/rsqrt fast path for a scalar exponent of +-0.5 at -0.0 and -inf. Binary cases of ops with an in-place form also hold
`yi`, PyTorch's result of `a.clone().op_(b)` (or ERR). `ref` is the exact mathematical result (mpmath,
300+ bits) correctly rounded to the result dtype, written for ops whose PyTorch result is
not correctly rounded; `tol` is the number of ULPs tessera may differ from `ref` (the
accuracy bound tessera documents for that op). Without `ref`, values must equal PyTorch's
bit for bit (NaN payloads aside).

Kinds: unary, clamp, binary (add sub mul div pow maximum minimum eq ne lt le gt ge),
rbinary (Python scalar on the left), where, isclose, cast, gather, index_select, reduce,
softmax, matmul, view, cat, stack, arange, linspace, eye.
tests/common/mod.rs parses the file; no Python at test time.
"""

import math
import os
import random

import mpmath
import numpy as np
import torch

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "crates", "tessera-core", "tests", "data", "core_cases.txt",
)

DTYPES = [torch.bool, torch.uint8, torch.int8, torch.int32, torch.int64,
          torch.float32, torch.float64]
DNAME = {d: str(d).replace("torch.", "") for d in DTYPES}
lines = []
counts = {}


def emit(kind, **fields):
    counts[kind] = counts.get(kind, 0) + 1
    parts = [kind] + [f"{k}={v}" for k, v in fields.items() if v is not None]
    lines.append(" ".join(parts))


def enc(t):
    t = t.detach().contiguous()
    shape = ",".join(str(s) for s in t.shape)
    flat = t.reshape(-1)
    if t.dtype == torch.float32:
        vals = [f"{v:08x}" for v in flat.numpy().view(np.uint32).tolist()]
    elif t.dtype == torch.float64:
        vals = [f"{v:016x}" for v in flat.numpy().view(np.uint64).tolist()]
    else:
        vals = [str(int(v)) for v in flat.tolist()]
    return f"{DNAME[t.dtype]}:{shape}:{','.join(vals)}"


def enc_scalar(s):
    if isinstance(s, bool):
        return f"bool:{int(s)}"
    if isinstance(s, int):
        return f"int:{s}"
    return f"float:{np.array(s, dtype=np.float64).view(np.uint64).item():016x}"


def enc_any(x):
    return enc(x) if isinstance(x, torch.Tensor) else enc_scalar(x)


def run(f):
    try:
        return enc(f())
    except (RuntimeError, NotImplementedError, TypeError, ValueError, IndexError):
        return "ERR"


# ---------------------------------------------------------------- exact rounding
mpmath.mp.prec = 400
FMT = {torch.float32: (24, -126, 128), torch.float64: (53, -1022, 1024)}


def round_to(v, dtype):
    """The mpmath value `v` correctly rounded (ties to even) to `dtype`."""
    mant, emin, emax = FMT[dtype]
    if mpmath.isnan(v):
        return float("nan")
    if mpmath.isinf(v):
        return float(v)
    if v == 0:
        return 0.0
    sign = -1 if v < 0 else 1
    a = abs(v)
    if a >= mpmath.mpf(2) ** emax:
        return sign * float("inf")
    if a < mpmath.mpf(2) ** (emin - mant):  # below half the smallest subnormal
        return sign * 0.0
    e = int(mpmath.floor(mpmath.log(a, 2)))
    # guard against log rounding at exact powers of two
    if mpmath.mpf(2) ** e > a:
        e -= 1
    elif mpmath.mpf(2) ** (e + 1) <= a:
        e += 1
    q = mpmath.mpf(2) ** (max(e, emin) - mant + 1)
    m = a / q
    n = int(mpmath.floor(m))
    frac = m - n
    if frac > 0.5 or (frac == 0.5 and n % 2 == 1):
        n += 1
    r = mpmath.mpf(n) * q
    if r >= mpmath.mpf(2) ** emax:
        return sign * float("inf")
    return sign * float(r)


def ref_tensor(values, like):
    """A tensor of `like`'s dtype and shape from exact mpmath values (None = use torch's)."""
    flat = like.reshape(-1).tolist()
    out = [round_to(v, like.dtype) if v is not None else flat[i] for i, v in enumerate(values)]
    return torch.tensor(out, dtype=torch.float64).to(like.dtype).reshape(like.shape)


def mp(x):
    return mpmath.mpf(float(x))


def exact_unary(op, x):
    """Exact value of op(x) for finite x where it is finite and not trivially special, else None."""
    x = float(x)
    if not math.isfinite(x) or x == 0:
        return None  # special inputs: PyTorch's value (with its sign of zero) is exact
    X = mp(x)
    try:
        if op == "exp":
            return mpmath.exp(X)
        if op == "expm1":
            return mpmath.expm1(X)
        if op == "log":
            return mpmath.log(X) if x > 0 else None
        if op == "log1p":
            return mpmath.log1p(X) if x > -1 else None
        if op == "sqrt":
            return mpmath.sqrt(X) if x >= 0 and x != 0 else None
        if op == "rsqrt":
            return 1 / mpmath.sqrt(X) if x > 0 else None
        if op in ("sin", "cos"):
            with mpmath.workprec(2400):
                return +(mpmath.sin(X) if op == "sin" else mpmath.cos(X))
        if op == "tanh":
            return mpmath.tanh(X) if x != 0 else None
        if op == "sigmoid":
            return 1 / (1 + mpmath.exp(-X))
        if op == "softplus":
            return mpmath.log1p(mpmath.exp(X))
        if op == "reciprocal":
            return 1 / X if x != 0 else None
    except (ValueError, ZeroDivisionError):
        return None
    return None


# accuracy tessera documents per op (ULPs) for f32 / f64 (tessera-core ops/unary.rs docs)
UNARY_TOL = {
    "exp": (0, 1), "expm1": (0, 1), "log": (0, 1), "log1p": (0, 1), "tanh": (0, 2),
    "sigmoid": (1, 2), "softplus": (1, 2), "sqrt": (0, 0), "rsqrt": (1, 1),
    "sin": (1, 1), "cos": (1, 1), "reciprocal": (0, 0),
}

# ---------------------------------------------------------------- unary
F32_SPECIAL = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, 1e-45, -1e-45, 1e-40,
               -3e-39, 1.1754944e-38, 3.4e38, -3.4e38, 1e-30, 1e-10, -1e-10, 1e-5, -1e-5,
               0.1, 0.5, -0.5, 0.7, 1.0, -1.0, 1.5, 2.5, -2.5, 3.0, -3.0, 10.0, 15.0, 20.0,
               20.5, 30.0, -20.0, -30.0, 88.7, 89.0, -87.0, -103.9, -110.0, 100.0, -100.0,
               1e10, -1e10, -0.99999, -1.0000001, -2.0, 123.456, 1e5, 8388609.0, 0.49999997]
F64_EXTRA = [5e-324, -5e-324, 1e-310, 2.2250738585072014e-308, 1.7e308, -1.7e308, 709.7, 710.0,
             -745.0, -745.2, 36.0, 40.0, 1e-300, 1e300, -1e-300, 4503599627370497.0,
             0.49999999999999994]
rng = random.Random(1234)
RANDOM = [rng.choice([-1, 1]) * 10 ** rng.uniform(-8, 2.5) for _ in range(40)]
# a wider sweep for the functions with an accuracy bound: log-uniform magnitudes
SWEEP = [rng.choice([-1, 1]) * 10 ** rng.uniform(-12, 2.7) for _ in range(300)]
INT_INPUTS = {
    torch.int64: [-7, -1, 0, 1, 2, 5, 100, 2**40, -(2**62)],
    torch.int32: [-2**31, -3, 0, 1, 4, 2**31 - 1],
    torch.int8: [-128, -5, -1, 0, 1, 9, 127],
    torch.uint8: [0, 1, 2, 16, 200, 255],
    torch.bool: [True, False],
}
UNARY = ["neg", "abs", "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh",
         "sigmoid", "relu", "softplus", "reciprocal", "square", "sign", "floor", "ceil",
         "round"]


def torch_unary(op, x):
    if op == "softplus":
        return torch.nn.functional.softplus(x)
    return getattr(torch, op)(x)


def unary_case(op, x):
    y = run(lambda: torch_unary(op, x))
    ref, tol = None, None
    if op in UNARY_TOL and y != "ERR":
        ty = torch_unary(op, x)
        if ty.is_floating_point():
            vals = [exact_unary(op, v) for v in x.to(ty.dtype).reshape(-1).tolist()]
            ref = enc(ref_tensor(vals, ty))
            tol = UNARY_TOL[op][0 if ty.dtype == torch.float32 else 1]
    emit("unary", op=op, x=enc(x), y=y, ref=ref, tol=tol)


for op in UNARY:
    unary_case(op, torch.tensor(F32_SPECIAL + RANDOM, dtype=torch.float32))
    unary_case(op, torch.tensor(F32_SPECIAL + F64_EXTRA + RANDOM, dtype=torch.float64))
    for d, vals in INT_INPUTS.items():
        unary_case(op, torch.tensor(vals, dtype=d))
    # 0-dim, empty and non-contiguous (transposed) inputs
    unary_case(op, torch.tensor(0.75, dtype=torch.float64))
    unary_case(op, torch.zeros(0, 3))
    unary_case(op, torch.tensor([[0.25, -4.0, 9.0], [1e-3, 2.0, -0.0]]).t())
    if op in UNARY_TOL:
        unary_case(op, torch.tensor(SWEEP, dtype=torch.float32))
        unary_case(op, torch.tensor(SWEEP, dtype=torch.float64))

# integer bounds outside the tensor's dtype: harmless on one side, an error on the other
for x in [torch.tensor([0, 7, 255], dtype=torch.uint8), torch.tensor([-128, 7, 127], dtype=torch.int8)]:
    for lo, hi in [(-1, None), (300, None), (None, 300), (None, -2), (-200, None), (None, -200), (-1, 300)]:
        emit("clamp", x=enc(x), min=enc_scalar(lo) if lo is not None else "none",
             max=enc_scalar(hi) if hi is not None else "none", y=run(lambda: torch.clamp(x, lo, hi)))
# clamp: tensor dtype x bound kinds (Python scalars), NaN, bounds crossing
for x in [torch.tensor([float("nan"), -3.0, -0.0, 0.0, 0.5, 2.0, float("inf")]),
          torch.tensor([-5, 0, 3, 9]), torch.tensor([0, 7, 255], dtype=torch.uint8)]:
    for lo, hi in [(0, 1), (-1.5, 2.5), (None, 0.0), (1, None), (2, -2), (float("nan"), 1.0),
                   (0.0, None)]:
        y = run(lambda: torch.clamp(x, lo, hi))
        emit("clamp", x=enc(x), min=enc_scalar(lo) if lo is not None else "none",
             max=enc_scalar(hi) if hi is not None else "none", y=y)

# ---------------------------------------------------------------- binary / promotion
SAMPLE = {
    torch.bool: [True, False, True],
    torch.uint8: [0, 3, 250],
    torch.int8: [-128, 3, 127],
    torch.int32: [-7, 3, 2**31 - 1],
    torch.int64: [-7, 3, 2**62],
    torch.float32: [-1.5, 3.0, 0.1],
    torch.float64: [-1.5, 3.0, 0.1],
}
OPS = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt",
       "ge"]
SMALL = {  # pow-safe values: small non-negative exponents
    torch.bool: [True, False, True],
    torch.uint8: [2, 3, 0],
    torch.int8: [2, -3, 1],
    torch.int32: [2, -3, 5],
    torch.int64: [2, -3, 7],
    torch.float32: [0.5, 2.0, 1.5],
    torch.float64: [0.5, 2.0, 1.5],
}


def tfun(op):
    return {"maximum": torch.maximum, "minimum": torch.minimum}.get(op, getattr(torch, op))


def exact_pow(a, b):
    """Exact a ** b for finite a, b where the result is real and not trivially special."""
    if not (math.isfinite(a) and math.isfinite(b)) or a == 0 or b == 0:
        return None
    if a < 0 and b != int(b):
        return None
    r = mpmath.power(mp(abs(a)), mp(b))
    return -r if a < 0 and int(b) % 2 else r


def binary_case(op, a, b):
    f = tfun(op)
    if op in ("maximum", "minimum") and not isinstance(b, torch.Tensor):
        # torch.maximum takes no Python scalar; a 0-dim tensor of the scalar's default dtype
        # promotes the same way (all scalars used here are exact in float32)
        y = run(lambda: f(a, torch.tensor(b)))
    else:
        y = run(lambda: f(a, b))
    ref, tol = None, None
    if op == "pow" and y != "ERR" and a.is_floating_point():
        ty = f(a, b)
        bb = b.expand(ty.shape) if isinstance(b, torch.Tensor) else torch.full(ty.shape, b, dtype=torch.float64)
        vals = [exact_pow(x, e) for x, e in zip(a.expand(ty.shape).reshape(-1).tolist(),
                                                 bb.to(ty.dtype).reshape(-1).tolist())]
        ref, tol = enc(ref_tensor(vals, ty)), 1  # Rust's powf (libm): within 1 ULP
    yi = None
    if op in ("add", "sub", "mul", "div", "pow"):
        yi = run(lambda: getattr(a.clone(), op + "_")(b))  # torch's in-place form
    emit("binary", op=op, a=enc(a), b=enc_any(b), y=y, ref=ref, tol=tol, yi=yi)


for op in OPS:
    src = SMALL if op == "pow" else SAMPLE
    for da in DTYPES:
        for db in DTYPES:
            if {da, db} == {torch.uint8, torch.int8}:
                continue  # tessera has no int16: uint8 with int8 gives int32 (documented)
            a = torch.tensor(src[da], dtype=da)
            binary_case(op, a, torch.tensor(src[db][::-1], dtype=db))
            binary_case(op, a, torch.tensor(src[db][0], dtype=db))  # 0-dim
            binary_case(op, torch.tensor(src[da][1], dtype=da), torch.tensor(src[db][::-1], dtype=db))
        for s in ([2, True, False, 0.5] if op == "pow" else [2, -3, True, 0.5, -2.25, 1e10]):
            binary_case(op, torch.tensor(src[da], dtype=da), s)
            if op in ("add", "mul", "div", "pow", "eq"):  # (torch.maximum takes no scalar)
                binary_case(op, torch.tensor(src[da][1], dtype=da), s)  # 0-dim with a scalar
        if op in ("add", "mul", "div", "pow", "eq", "maximum"):
            for db in DTYPES:  # 0-dim with 0-dim: promoted as two tensors
                if {da, db} != {torch.uint8, torch.int8}:
                    binary_case(op, torch.tensor(src[da][2], dtype=da), torch.tensor(src[db][0], dtype=db))

# edge cases: broadcasting shapes, 0-size dims, wrap-around, division by zero, pow, NaN
nan, inf = float("nan"), float("inf")
g = torch.Generator().manual_seed(7)
for sa, sb in [((2, 3, 1), (3,)), ((0, 1), (1, 4)), ((1, 0), (3, 1)), ((), (2, 2)), ((4, 1, 2), (3, 1)),
               ((5,), ()), ((2, 1, 1), (1, 3, 1))]:
    a = torch.randint(-9, 9, sa, generator=g).float()
    b = torch.randint(-9, 9, sb, generator=g).float() * 0.25
    for op in ["add", "sub", "mul", "div", "maximum", "lt"]:
        binary_case(op, a, b)
binary_case("add", torch.zeros(2, 3), torch.zeros(2))  # does not broadcast
binary_case("add", torch.tensor([250, 7], dtype=torch.uint8), torch.tensor([10, 250], dtype=torch.uint8))
binary_case("mul", torch.tensor([100, -100], dtype=torch.int8), torch.tensor([3, 3], dtype=torch.int8))
binary_case("sub", torch.tensor([-2**31], dtype=torch.int32), 1)
binary_case("mul", torch.tensor([2**62, -2**63]), torch.tensor([4, -1]))
binary_case("add", torch.tensor([2**63 - 1]), 1)
binary_case("sub", torch.tensor([True]), torch.tensor([False]))
fz = torch.tensor([1.0, -1.0, 0.0, nan, inf, -0.0])
for d in [torch.float32, torch.float64]:
    binary_case("div", fz.to(d), torch.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 0.0], dtype=d))
    binary_case("div", fz.to(d), torch.tensor([-0.0] * 6, dtype=d))
    binary_case("div", fz.to(d), torch.tensor([inf] * 6, dtype=d))
binary_case("div", torch.tensor([1, -1, 0]), torch.tensor([0, 0, 0]))
base = torch.tensor([0.0, 0.0, -0.0, -8.0, -8.0, 2.0, 0.5, -1.0, -1.0, 1.0, nan, nan, inf, -inf, -inf, 0.0, 2.0, 3.0])
expo = torch.tensor([0.0, -1.0, -1.0, 1 / 3, 2.0, inf, inf, inf, 0.5, nan, 0.0, 1.0, -2.0, 3.0, 2.0, -inf, 1024.0, -0.5])
for d in [torch.float32, torch.float64]:
    binary_case("pow", base.to(d), expo.to(d))
binary_case("pow", torch.tensor([0, 2, -2, 3, 10]), torch.tensor([0, 62, 63, 40, 20]))
binary_case("pow", torch.tensor([2, 3]), -1)
binary_case("pow", torch.tensor([2, 3]), torch.tensor([1, -1]))
binary_case("pow", torch.tensor([2, 3]), torch.tensor(-1))
binary_case("pow", torch.tensor([0, 1, -1, -1, 5]), torch.tensor([-1, -2, -3, -2, -1], dtype=torch.int8))
binary_case("sub", torch.tensor([1.5]), True)
binary_case("sub", torch.tensor([1, 2]), torch.tensor([True, False]))
binary_case("pow", torch.tensor([3, 2], dtype=torch.uint8), torch.tensor([5, 9], dtype=torch.uint8))
binary_case("pow", torch.tensor([-2, 0]), 0.5)
binary_case("pow", torch.tensor(2.0), torch.tensor([0.5, -1.0, 10.0]))
# Python scalar exponents torch special-cases (0.5 -> sqrt, -1 -> reciprocal, 2 -> square, ...)
px = torch.tensor([-4.0, 4.0, 0.0, inf, nan, 1e-30, -1e-30, 0.3, -0.0, -inf])
for d in [torch.float32, torch.float64]:
    for e in [0.5, -0.5, -1, -1.0, 2, 2.0, 3, -2, 0, 1, 1.5, -3.0]:
        if abs(e) == 0.5:
            # at -0.0 and -inf torch's sqrt/rsqrt path gives -0.0/NaN/-inf where IEEE pow (and
            # torch's own tensor-exponent path) gives +0/+inf/0: those two inputs get their
            # own case, marked
            binary_case("pow", px[:8].to(d), e)
            emit("binary", op="pow", a=enc(px[8:].to(d)), b=enc_scalar(e), y=run(lambda: torch.pow(px[8:].to(d), e)),
                 ieee=enc(torch.pow(px[8:].to(d), torch.tensor(e, dtype=d))))
        else:
            binary_case("pow", px.to(d), e)
mm = torch.tensor([nan, 1.0, -0.0, 0.0, -inf, 3.0])
mo = torch.tensor([1.0, nan, 0.0, -0.0, 1.0, inf])
for op in ["maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge"]:
    binary_case(op, mm, mo)
    binary_case(op, mm.double(), mo.double())
for op in ["eq", "lt", "gt"]:
    binary_case(op, torch.tensor([2**53 + 1]), 2.0**53)  # int64 vs float scalar compares in float32
    binary_case(op, torch.tensor([16777217], dtype=torch.int32), torch.tensor([16777216.0]))

# where_: cond, x, other (tensor or scalar)
cond = torch.tensor([[True, False, True], [False, False, True]])
for dx in DTYPES:
    for other in [torch.tensor([1, 0, 2], dtype=torch.int32), torch.tensor(2.5, dtype=torch.float64),
                  torch.tensor([[-1.0], [1.0]]), 3, 0.5, True]:
        x = torch.tensor(SAMPLE[dx], dtype=dx)
        y = run(lambda: torch.where(cond, x, other))
        emit("where", cond=enc(cond), x=enc(x), other=enc_any(other), y=y)
emit("where", cond=enc(torch.tensor([1, 0])), x=enc(torch.tensor([1.0, 2.0])), other=enc_scalar(0.0),
     y=run(lambda: torch.where(torch.tensor([1, 0]), torch.tensor([1.0, 2.0]), 0.0)))

# scalar on the left: `2 - x`, `1.5 / x`, `2 ** x` (torch.sub(2, x) etc.)
for op in ["add", "sub", "mul", "div", "pow"]:
    for x in [torch.tensor([1, -2, 3]), torch.tensor([0.5, -2.0, 0.0]), torch.tensor([True, False]),
              torch.tensor([2, 3], dtype=torch.uint8), torch.tensor([0, 1, -1], dtype=torch.int8)]:
        for sc in [2, -1.5, True]:
            fn = {"add": lambda: sc + x, "sub": lambda: sc - x, "mul": lambda: sc * x,
                  "div": lambda: sc / x, "pow": lambda: sc ** x}[op]
            emit("rbinary", op=op, s=enc_scalar(sc), x=enc(x), y=run(fn))

# isclose near the tolerance boundary, in each float dtype, with specials
gi = torch.Generator().manual_seed(5)
for d in [torch.float32, torch.float64]:
    b = (torch.rand(64, generator=gi, dtype=torch.float64) * 8 - 4).to(d)
    for rtol, atol in [(1e-5, 1e-8), (1e-3, 0.0), (0.0, 1e-6), (0.1, 0.1)]:
        # differences straddling the allowed error atol + rtol * |b|
        k = torch.linspace(0.9, 1.1, 64, dtype=torch.float64)
        a = (b.double() + k * (atol + rtol * b.double().abs())).to(d)
        emit("isclose", a=enc(a), b=enc(b), rtol=enc_scalar(rtol), atol=enc_scalar(atol), equal_nan=0,
             y=run(lambda: torch.isclose(a, b, rtol=rtol, atol=atol)))
    sp = torch.tensor([nan, nan, inf, inf, -inf, 0.0, -0.0, 1.0, 1e-9], dtype=d)
    sq = torch.tensor([nan, 1.0, inf, -inf, -inf, -0.0, 1e-9, inf, 0.0], dtype=d)
    for en in [False, True]:
        emit("isclose", a=enc(sp), b=enc(sq), rtol=enc_scalar(1e-5), atol=enc_scalar(1e-8), equal_nan=int(en),
             y=run(lambda: torch.isclose(sp, sq, equal_nan=en)))
ia, ib = torch.tensor([100, 5, -7, 2**40]), torch.tensor([101, 5, -6, 2**40 + 1])
emit("isclose", a=enc(ia), b=enc(ib), rtol=enc_scalar(0.01), atol=enc_scalar(0.0), equal_nan=0,
     y=run(lambda: torch.isclose(ia, ib, rtol=0.01, atol=0.0)))

# dtype casts (x.to(dtype)) where C++ defines the result
CASTS = [torch.tensor([-2.7, -0.5, 0.0, 0.5, 1.9, 100.99, -0.0]), torch.tensor([nan, inf, -inf, 0.0]),
         torch.tensor([-129, -1, 0, 255, 256, 2**40 + 3]), torch.tensor([True, False]),
         torch.tensor([1e10, -1e10, 16777217.0], dtype=torch.float64), torch.tensor([127, -128, 5], dtype=torch.int8)]
for x in CASTS:
    for d in DTYPES:
        if not d.is_floating_point and d != torch.bool and x.is_floating_point() and not torch.isfinite(x).all():
            continue  # NaN/inf to integer is undefined in C++
        if not d.is_floating_point and d != torch.bool and x.dtype == torch.float64:
            continue  # out of range float to integer is undefined in C++
        if d in (torch.uint8,) and x.is_floating_point() and (x < 0).any():
            continue  # negative float to uint8 is undefined in C++
        emit("cast", x=enc(x), dtype=DNAME[d], y=enc(x.to(d)))

# gather and index_select
gx = torch.arange(12.0).reshape(3, 4)
for dim, idx in [(0, [[0, 1, 2, 0], [2, 2, 1, 0]]), (1, [[3], [0], [1]]), (-1, [[0, 0, 3], [1, 2, 3], [3, 3, 3]]),
                 (1, [[4], [0], [1]]), (0, [[-1, 0, 0, 0]])]:
    it = torch.tensor(idx)
    emit("gather", x=enc(gx), dim=dim, index=enc(it), y=run(lambda: torch.gather(gx, dim, it)))
for dim, idx in [(0, [2, 0, 2]), (1, [3, 1]), (-1, []), (0, [3]), (1, [-1])]:
    it = torch.tensor(idx, dtype=torch.int64)
    emit("index_select", x=enc(gx), dim=dim, index=enc(it), y=run(lambda: torch.index_select(gx, dim, it)))

# ---------------------------------------------------------------- reductions
RED = ["sum", "mean", "prod", "max", "min", "argmax", "argmin", "all", "any", "logsumexp"]


def exact_reduce(op, x, dims, keepdim, y):
    """Exact results for float sum/mean/prod/logsumexp over finite inputs, else None."""
    if op not in ("sum", "mean", "prod", "logsumexp") or not y.is_floating_point():
        return None
    xd = x.double()
    if not torch.isfinite(xd).all():
        return None
    rank = x.dim()
    ds = list(range(rank)) if dims is None else sorted(d % rank for d in dims)
    keep = [d for d in range(rank) if d not in ds]
    nrows = math.prod(x.shape[d] for d in keep)
    rowlen = math.prod(x.shape[d] for d in ds)
    if rowlen == 0:
        rows = [[] for _ in range(nrows)]
    else:
        rows = xd.permute(keep + ds).reshape(nrows, rowlen).tolist() if rank else [[xd.item()]]
    out = []
    for r in rows:
        vals = [mp(v) for v in r]
        if op == "sum":
            out.append(mpmath.fsum(vals))
        elif op == "mean":
            out.append(mpmath.fsum(vals) / len(vals) if vals else None)
        elif op == "prod":
            out.append(mpmath.fprod(vals))
        else:
            out.append(mpmath.log(mpmath.fsum(mpmath.exp(v) for v in vals)) if vals else None)
    return enc(ref_tensor(out, y))


def reduce_case(op, x, dims=None, keepdim=False):
    def f():
        if dims is None:
            if op == "logsumexp":
                return torch.logsumexp(x, dim=tuple(range(x.dim())))
            return getattr(torch, op)(x)
        if op in ("max", "min"):
            return getattr(torch, op)(x, dim=dims[0], keepdim=keepdim)
        if op in ("argmax", "argmin"):
            return getattr(torch, op)(x, dim=dims[0], keepdim=keepdim)
        if op in ("all", "any") and len(dims) > 1:
            return getattr(torch, op)(x, dim=tuple(dims), keepdim=keepdim)
        if op == "prod" and len(dims) > 1:
            # torch.prod takes one dim; tessera takes several: torch's prod over the
            # reduced dims moved last and flattened is the same product in the same order
            rank = x.dim()
            ds = sorted(d % rank for d in dims)
            keep = [d for d in range(rank) if d not in ds]
            rowlen = math.prod(x.shape[d] for d in ds)
            r = torch.prod(x.permute(keep + ds).reshape([x.shape[d] for d in keep] + [rowlen]), -1)
            return r.reshape([1 if d in ds else x.shape[d] for d in range(rank)]) if keepdim else r
        return getattr(torch, op)(x, dim=dims if len(dims) > 1 else dims[0], keepdim=keepdim)

    try:
        r = f()
    except (RuntimeError, NotImplementedError, TypeError, ValueError, IndexError):
        y, idx, ref = "ERR", None, None
    else:
        if isinstance(r, tuple):
            y, idx = enc(r[0]), enc(r[1])
            ref = None
        else:
            y, idx = enc(r), None
            ref = exact_reduce(op, x, dims, keepdim, r)
    # f32 reductions accumulate in f64 and round once (1 ULP); f64 sums are pairwise (2 ULPs
    # of the exact value for the same-sign data used here)
    tol = None if ref is None else (1 if x.dtype != torch.float64 else 2)
    emit("reduce", op=op, x=enc(x), dims="all" if dims is None else ",".join(map(str, dims)),
         keepdim=int(keepdim), y=y, idx=idx, ref=ref, tol=tol)


gr = torch.Generator().manual_seed(11)
rx = torch.rand(3, 4, 5, generator=gr) * 4 + 0.5
red_inputs = [
    rx, rx.double(), rx.permute(2, 0, 1),
    torch.tensor([[1.0, nan, 3.0], [inf, -inf, 2.0], [-inf, -inf, -inf], [inf, inf, 1.0]]),
    torch.tensor([[3, 7, 7, -1], [2, 2, 0, 2], [-5, 9, 9, 9]]),
    torch.tensor([[3, 7, 7], [250, 2, 250]], dtype=torch.uint8),
    torch.tensor([[True, False], [True, True]]),
    torch.zeros(2, 0, 3),
    torch.tensor(4.5),
    torch.tensor([[1.0, 1.0, 0.5], [0.5, 1.0, 1.0]]),
]
for x in red_inputs:
    dimsets = [None] + [[d] for d in range(-x.dim(), x.dim())] + ([[0, -1]] if x.dim() >= 2 else [])
    for op in RED:
        for dims in dimsets:
            for keepdim in ([False, True] if dims is not None else [False]):
                if op in ("max", "min", "argmax", "argmin") and dims is not None and len(dims) > 1:
                    continue
                reduce_case(op, x, dims, keepdim)
reduce_case("sum", torch.tensor([2**62, 2**62, 2**62]))  # int64 wrap-around
reduce_case("prod", torch.tensor([100, 100, 100], dtype=torch.int8))
reduce_case("sum", torch.tensor([200, 100], dtype=torch.uint8))
reduce_case("sum", torch.tensor([2**31 - 1, 5], dtype=torch.int32))
reduce_case("sum", torch.tensor([1e30, 1e30, -1e30, 1.0]))
reduce_case("logsumexp", torch.tensor([1000.0, 1000.0]), [0])
reduce_case("logsumexp", torch.tensor([-1000.0, -1000.0], dtype=torch.float64), [0])
reduce_case("logsumexp", torch.tensor([[3, 1], [2, 2]]), [1])
reduce_case("logsumexp", torch.tensor([0.0, -100.0]), [0])
reduce_case("logsumexp", torch.tensor([-30.0, -1000.0], dtype=torch.float64), [0])
reduce_case("sum", torch.tensor([[1.0, 2.0]]), [2])  # dim out of range
reduce_case("max", torch.zeros(0, 3))

# ---------------------------------------------------------------- softmax
SM_ROWS = [[1000.0, 1000.0], [-inf, -inf], [inf, 1.0], [nan, 1.0], [1.0, 2.0], [-1000.0, 0.0],
           [0.0, -inf], [88.0, 89.0], [-50.0, 50.0], [0.0, -100.0]]


def softmax_ref(op, x, dim, ty):
    """Exact softmax / log_softmax along `dim` for rows of finite values and -inf
    (else torch's)."""
    xs = np.moveaxis(x.double().numpy(), dim, -1)
    out = np.empty(xs.shape, dtype=object)
    for idx in np.ndindex(xs.shape[:-1]):
        r = xs[idx].tolist()
        # -inf entries are ordinary (e^-inf = 0); NaN and +inf rows take torch's values
        if not all(math.isfinite(v) or v == -inf for v in r) or all(v == -inf for v in r):
            out[idx] = [None] * len(r)
            continue
        # Relative to the maximum, with its own term (1) kept out of the sum, so
        # remainders far below 2^-400 still count.
        m = max(r)
        top = r.index(m)
        rest = mpmath.fsum(mpmath.exp(mp(v) - mp(m)) for i, v in enumerate(r) if i != top)
        out[idx] = [
            mpmath.exp(mp(v) - mp(m)) / (1 + rest) if op == "softmax" else (mp(v) - mp(m)) - mpmath.log1p(rest)
            for v in r
        ]
    out = np.moveaxis(out, -1, dim)
    return enc(ref_tensor(out.reshape(-1).tolist(), ty))


def softmax_case(op, x, dim, torch_input=None):
    """torch_input: what torch computes on when it takes no `x` (integer tensors)."""
    t_in = x if torch_input is None else torch_input
    y = run(lambda: getattr(torch, op)(t_in, dim))
    ref, tol = None, None
    if y != "ERR" and t_in.dim() > 0:
        ref, tol = softmax_ref(op, t_in, dim, getattr(torch, op)(t_in, dim)), 2
    emit("softmax", op=op, x=enc(x), dim=dim, y=y, ref=ref, tol=tol)


for d in [torch.float32, torch.float64]:
    for op in ["softmax", "log_softmax"]:
        for dim in [0, 1, -1]:
            softmax_case(op, torch.tensor(SM_ROWS, dtype=d), dim)
x3 = torch.tensor([[[1, 2, 3], [4, 5, 6]]])
for dim in [0, 1, 2, -2]:
    for op in ["softmax", "log_softmax"]:
        # torch has no softmax for int64; tessera promotes to the default float, so the
        # expected result is torch's on the float32 copy
        softmax_case(op, x3, dim, torch_input=x3.float())
softmax_case("softmax", torch.tensor([1.0]), 1)
softmax_case("log_softmax", torch.zeros(2, 0), 1)
softmax_case("softmax", torch.tensor(3.0), 0)

# ---------------------------------------------------------------- matmul
gm = torch.Generator().manual_seed(3)


def mat(shape, dtype=torch.float32):
    # small integers and halves: every product and partial sum is exact, so results are
    # the same whatever the summation order
    return (torch.randint(-8, 8, shape, generator=gm).to(torch.float64) / 2).to(dtype)


for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)),
               ((2, 1, 2, 3), (3, 3, 2)), ((5, 3), (2, 3, 4)), ((0, 3), (3, 2)), ((2, 0), (0, 3)),
               ((4,), (2, 4, 3)), ((2, 3, 4), (4,)), ((2, 3), (4, 5))]:
    for d in [torch.float32, torch.float64]:
        a, b = mat(sa, d), mat(sb, d)
        emit("matmul", a=enc(a), b=enc(b), y=run(lambda: torch.matmul(a, b)))
ai = torch.randint(-50, 50, (2, 3, 4), generator=gm)
bi = torch.randint(-50, 50, (4, 2), generator=gm)
emit("matmul", a=enc(ai), b=enc(bi), y=run(lambda: torch.matmul(ai, bi)))
emit("matmul", a=enc(ai.int()), b=enc(bi.int()), y=run(lambda: torch.matmul(ai.int(), bi.int())))
for d in [torch.uint8, torch.int8, torch.int32, torch.int64]:  # wrap-around in the dtype
    big = torch.tensor([[100, 120, 7], [3, 127, 90]]).to(d)
    if d in (torch.int32, torch.int64):
        big = big * (2**29 if d == torch.int32 else 2**61) // 64
    emit("matmul", a=enc(big), b=enc(big.t().contiguous()), y=run(lambda: torch.matmul(big, big.t())))
emit("matmul", a=enc(torch.tensor([[True]])), b=enc(torch.tensor([[True]])),
     y=run(lambda: torch.matmul(torch.tensor([[True]]), torch.tensor([[True]]))))
at = mat((3, 2))
bt = mat((4, 3))
emit("matmul", a=enc(at), b=enc(bt), transpose="both", y=run(lambda: torch.matmul(at.t(), bt.t())))
emit("matmul", a=enc(torch.tensor(2.0)), b=enc(torch.tensor([1.0])), y=run(lambda: torch.matmul(torch.tensor(2.0), torch.tensor([1.0]))))

# ---------------------------------------------------------------- views
VIEW_CHAINS = [
    ((2, 3, 4), "reshape:4,-1"), ((2, 3, 4), "view:6,4"), ((2, 3, 4), "permute:2,0,1"),
    ((2, 3, 4), "permute:2,0,1|reshape:-1"), ((2, 3, 4), "transpose:0,2"), ((2, 3, 4), "transpose:-1,-2|view_err:24"),
    ((3, 4), "t"), ((3, 4), "t|t"), ((1, 3, 1, 2), "squeeze"), ((1, 3, 1, 2), "squeeze_dim:2"),
    ((1, 3, 1, 2), "squeeze_dim:1"), ((3, 2), "unsqueeze:0"), ((3, 2), "unsqueeze:-1"),
    ((3, 1), "expand:2,3,4"), ((3, 1), "expand:-1,5"), ((5, 6), "narrow:1,2,3"),
    ((5, 6), "narrow:0,1,2|narrow:1,3,3"), ((4, 5), "select:0,2"), ((4, 5), "select:1,-1"),
    ((2, 3, 4), "flatten"), ((2, 3, 4), "flatten_dims:1,2"), ((2, 3, 4), "flatten_dims:0,1"),
    ((2, 3, 4), "permute:1,0,2|flatten"), ((2, 3, 4), "transpose:0,1|contiguous"),
    ((4, 6), "t|narrow:0,1,3|select:1,2"), ((3, 1), "expand:3,4|t"), ((2, 3, 4), "select:2,0|t"),
    ((6,), "reshape:2,3|t|reshape:6"), ((2, 3), "unsqueeze:1|expand:2,4,3|narrow:1,1,2"),
    ((0, 3), "reshape:3,0"), ((0, 3), "t"), ((5,), "narrow:0,5,0"), ((), "unsqueeze:0"), ((1,), "squeeze"),
    ((2, 2), "select:0,2"), ((2, 3), "view:4,-1"), ((2, 3), "permute:0,0"),
    ((), "expand:3"), ((3,), "t"), ((2, 0, 1), "squeeze"), ((2, 3), "unsqueeze:-3"),
    ((1, 1), "squeeze|unsqueeze:0"), ((4,), "reshape:2,-1|permute:1,0|flatten_dims:0,1"),
    ((2, 3, 4), "narrow:-1,1,2|transpose:0,-1|reshape:-1"), ((2, 3), "expand:-1,-1"),
    ((3, 1, 2), "expand:2,3,4,2"), ((2, 3, 4), "flatten_dims:-2,-1"), ((6,), "view:1,-1,1"),
    ((2, 3), "select:-1,0|unsqueeze:1|expand:2,5"), ((2, 3, 4), "permute:1,2,0|view:12,2"),
    ((2, 3, 4), "permute:2,0,1|view:4,6"), ((4, 6), "narrow:1,0,4|view:2,2,4"), ((3, 4), "t|view:-1"),
    ((2, 1, 3), "squeeze_dim:-2|t|unsqueeze:0"), ((0, 2), "reshape:-1"), ((5,), "select:0,-5"),
]


def apply_chain(t, chain):
    for step in chain.split("|"):
        name, _, args = step.partition(":")
        a = [int(v) for v in args.split(",")] if args else []
        if name in ("reshape", "view"):
            t = getattr(t, name)(a)
        elif name == "view_err":
            t = t.view(a)
        elif name == "permute":
            t = t.permute(a)
        elif name == "squeeze":
            t = t.squeeze()
        elif name == "squeeze_dim":
            t = t.squeeze(a[0])
        elif name == "flatten":
            t = t.flatten()
        elif name == "flatten_dims":
            t = t.flatten(a[0], a[1])
        elif name == "expand":
            t = t.expand(a)
        elif name == "t":
            t = t.t()
        elif name == "contiguous":
            t = t.contiguous()
        else:
            t = getattr(t, name)(*a)
    return t


for shape, chain in VIEW_CHAINS:
    n = math.prod(shape)
    base = torch.arange(n, dtype=torch.float32).reshape(shape)
    try:
        v = apply_chain(base, chain)
    except (RuntimeError, IndexError):
        emit("view", base=enc(base), ops=chain, y="ERR")
        continue
    shares = int(v.untyped_storage().data_ptr() == base.untyped_storage().data_ptr())
    emit("view", base=enc(base), ops=chain, y=enc(v), strides=",".join(map(str, v.stride())),
         offset=v.storage_offset(), shares=shares)

# ---------------------------------------------------------------- cat / stack
JOIN = [
    [torch.tensor([[1, 2]]), torch.tensor([[3.5, 4.5]])],
    [torch.tensor([True, False]), torch.tensor([3, 4], dtype=torch.uint8)],
    [torch.tensor([1, 2], dtype=torch.int8), torch.tensor([3], dtype=torch.int32), torch.tensor([4.0], dtype=torch.float64)],
    [torch.zeros(0), torch.tensor([[1.0, 2.0]])],
    [torch.arange(6).reshape(2, 3).t(), torch.arange(6).reshape(3, 2)],
    [torch.ones(2, 3), torch.zeros(2, 4)],
    [torch.tensor(1.0), torch.tensor(2.0)],
    [torch.zeros(2, 0), torch.ones(2, 3, dtype=torch.int32)],
    [torch.arange(6).reshape(2, 3)[:, 1:], torch.tensor([[True], [False]])],
]
for ts in JOIN:
    fields = {f"x{i}": enc(t) for i, t in enumerate(ts)}
    for dim in [0, 1, -1]:
        emit("cat", n=len(ts), dim=dim, **fields, y=run(lambda: torch.cat(ts, dim)))
        emit("stack", n=len(ts), dim=dim, **fields, y=run(lambda: torch.stack(ts, dim)))

# ---------------------------------------------------------------- creation
for args in [(0, 10, 1), (0, 10, 3), (10, 0, -3), (-5, 5, 2), (0, 1, 0.1), (1, 2.5, 0.5), (0.0, 1.0, 0.3),
             (-1.0, 1.0, 0.25), (5, 5, 1), (3.0, -3.0, -0.7), (0, 1, 1 / 3), (1, 10, 0.9), (0, 5, 0),
             (0, 5, -1), (0.5, 100.25, 0.25), (0, -1e-3, -1e-4), (2**53, 2**53 + 5, 1),
             (-2**62, -2**62 + 9, 3), (2**62, 2**62 - 7, -2), (0, 10, 2.5), (1, 2, 0.3)]:
    y = run(lambda: torch.arange(*args))
    emit("arange", start=enc_scalar(args[0]), end=enc_scalar(args[1]), step=enc_scalar(args[2]), y=y)


def linspace_scalar_loop(start, end, steps, d):
    """PyTorch's scalar linspace loop (RangeFactoriesKernel.cpp), in the dtype's arithmetic.

    torch's SIMD loop computes chunks of 2 * (vector width) values as `base + j * step` with
    `base = start + step * idx`, one more rounding that depends on the machine's vector width
    (AVX2 / AVX-512 / NEON); its first vector and the scalar tail are this loop's values."""
    if steps == 1:
        return torch.tensor([start], dtype=torch.float64).to(d)
    if d.is_floating_point:
        t = np.float32 if d == torch.float32 else np.float64
        a, b = t(start), t(end)
        step = (b - a) / t(steps - 1)
        of = t
    else:
        a, b = float(math.trunc(start)), float(math.trunc(end))
        step = (b - a) / (steps - 1)
        of = float
    # torch's build contracts `start + step * i` into one fused multiply-add: exact
    # product and sum, rounded once to the dtype (to f64 for integer dtypes, then truncated)
    rd = d if d.is_floating_point else torch.float64
    vals = [round_to(mp(a) + mp(step) * i, rd) if i < steps // 2
            else round_to(mp(b) - mp(step) * (steps - 1 - i), rd) for i in range(steps)]
    return torch.tensor(np.array(vals, dtype=np.float64)).to(d)


for start, end, steps in [(0, 1, 5), (-3.3, 7.1, 11), (0, 1, 1), (2, 2, 3), (0, 1, 0), (1, -1, 7),
                          (0.1, 0.7, 100), (-1e3, 1e-3, 33), (0, 1, 2), (1e-8, 1.0, 10), (3, 10, 8),
                          (-2.5, 2.5, 8), (0.3, 0.9, 16)]:
    for d in [torch.float32, torch.float64, torch.int64, torch.int32]:
        t = torch.linspace(start, end, steps, dtype=d)
        loop = linspace_scalar_loop(start, end, steps, d)
        width = 64 // t.element_size()  # smallest SIMD chunk in torch's loop (2 x 256 bits)
        if steps < width or not d.is_floating_point:
            # torch runs the scalar loop only (or its SIMD path rounds the same way)
            assert torch.equal(t, loop), (start, end, steps, d, t, loop)
        ref, tol = (enc(loop), 0) if d.is_floating_point else (None, None)
        emit("linspace", start=enc_scalar(float(start)), end=enc_scalar(float(end)), steps=steps,
             dtype=DNAME[d], y=enc(t), ref=ref, tol=tol)
for n, m in [(3, 3), (2, 4), (4, 2), (0, 0), (1, 1)]:
    for d in [torch.float32, torch.int64, torch.bool]:
        emit("eye", n=n, m=m, dtype=DNAME[d], y=enc(torch.eye(n, m, dtype=d)))

with open(OUT, "w") as f:
    f.write("# Generated by scripts/make_core_data.py with torch " + torch.__version__ + "; do not edit.\n")
    for line in lines:
        f.write(line + "\n")
print(f"wrote {len(lines)} cases to {OUT}: {counts}")
