#!/usr/bin/env python3
"""Writes the PyTorch reference data of tessera-nn and tessera-models.

Run from anywhere with PyTorch and torchvision installed:

    python3 scripts/make_nn_data.py

Outputs (small text files, committed):

- crates/tessera-nn/tests/data/nn_cases.txt: functional ops (forward and gradients),
  optimizer trajectories, learning-rate schedules, gradient clipping.
- crates/tessera-models/tests/data/resnet_keys.txt: torchvision's state_dict keys and
  shapes of resnet18, resnet34 and resnet50.
- crates/tessera-models/tests/data/resnet18_logits.txt: ResNet-18 logits (eval mode) for
  weights and an input given by a formula (below), so no weights file is needed.
- crates/tessera-models/tests/data/resnet18_train.txt: one training-mode forward and
  backward of the same model converted to float64 (in float32 this case is too
  ill-conditioned to compare: PyTorch's own float32 and float64 losses differ by 1.1) on
  a batch of two (the formula input and its negation
  shifted by 0.25), cross entropy against classes [3, 7]: the loss, the L2 norm of every
  parameter's gradient (named_parameters order), and the
  updated running_mean of bn1 (values, one per line after the header).

Format of nn_cases.txt, one item per line:

    case <name> key=value ...          the options of case <name>
    t <name>.<field> <dtype> <shape> <values>

`dtype` is f32, f64 or i64; `shape` sizes joined by `,` (`-` for 0-dim); values joined
by `,`: floats as the hex bits of their IEEE value (8 or 16 digits), integers decimal.
A case's inputs and expected outputs are its tensors; gradients are of
`sum(y * gy)` with the committed `gy`.

The formula weights: parameter or buffer number `i` (in state_dict order) of `n`
elements gets `v[k] = sin(0.37 k + 1.3 i)` (float64, k = 0..n-1), then by kind:
convolution and linear weights `v * sqrt(6 / fan_in)`; batch-norm weight `1 + 0.1 v`,
bias `0.1 v`, running_mean `0.1 v`, running_var `1 + 0.5 |v|`; linear bias `0.01 v`;
num_batches_tracked 0. All are rounded to float32. The input [1, 3, 64, 64] is
`sin(0.011 k) + 0.5 cos(0.0007 k)` for element k, rounded to float32.
"""

import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
NN = os.path.join(ROOT, "crates", "tessera-nn", "tests", "data", "nn_cases.txt")
KEYS = os.path.join(ROOT, "crates", "tessera-models", "tests", "data", "resnet_keys.txt")
LOGITS = os.path.join(ROOT, "crates", "tessera-models", "tests", "data", "resnet18_logits.txt")

torch.manual_seed(0)
lines = []


def enc_values(t):
    t = t.detach().contiguous()
    if t.dtype == torch.float32:
        return ",".join("%08x" % struct.unpack("<I", struct.pack("<f", float(v)))[0]
                        for v in t.flatten().tolist())
    if t.dtype == torch.float64:
        return ",".join("%016x" % struct.unpack("<Q", struct.pack("<d", float(v)))[0]
                        for v in t.flatten().tolist())
    return ",".join(str(int(v)) for v in t.flatten().tolist())


def put(name, t):
    d = {torch.float32: "f32", torch.float64: "f64", torch.int64: "i64"}[t.dtype]
    shape = ",".join(str(s) for s in t.shape) if t.dim() > 0 else "-"
    lines.append(f"t {name} {d} {shape} {enc_values(t) if t.numel() else ''}".rstrip())


def case(name, **kw):
    lines.append("case " + name + "".join(f" {k}={v}" for k, v in kw.items()))


def rand(*shape, dtype=torch.float32):
    return torch.randn(tuple(shape), dtype=torch.float64).to(dtype)


def with_grads(name, f, inputs, dtype):
    """Puts inputs, y = f(*inputs), gy and the gradients of sum(y * gy)."""
    xs = [x.detach().clone().requires_grad_(x.is_floating_point()) for x in inputs]
    y = f(*xs)
    gy = rand(*y.shape, dtype=dtype)
    (y * gy).sum().backward()
    for i, x in enumerate(xs):
        put(f"{name}.in{i}", x)
    put(f"{name}.y", y)
    put(f"{name}.gy", gy)
    for i, x in enumerate(xs):
        if x.grad is not None:
            put(f"{name}.g{i}", x.grad)


# ---- convolution ----
conv_cases = [
    # n, c, h, w, o, kh, kw, stride, padding, dilation, groups, bias
    (2, 3, 7, 6, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1, True),
    (2, 4, 9, 8, 6, 3, 2, (2, 1), (1, 0), (1, 1), 2, True),
    (1, 4, 10, 9, 4, 3, 3, (1, 2), (2, 1), (2, 1), 4, False),
    (3, 2, 5, 5, 3, 1, 1, (1, 1), (0, 0), (1, 1), 1, True),
    (2, 3, 6, 7, 2, 2, 3, (1, 1), "same", (2, 1), 1, True),
    (2, 6, 8, 8, 4, 1, 1, (2, 2), (0, 0), (1, 1), 2, False),
]
for i, (n, c, h, w, o, kh, kw, st, pad, dil, g, bias) in enumerate(conv_cases):
    for dt in (torch.float32, torch.float64):
        name = f"conv2d_{i}_{'f32' if dt == torch.float32 else 'f64'}"
        p = "same" if pad == "same" else f"{pad[0]},{pad[1]}"
        case(name, stride=f"{st[0]},{st[1]}", padding=p, dilation=f"{dil[0]},{dil[1]}",
             groups=g, bias=int(bias))
        ins = [rand(n, c, h, w, dtype=dt), rand(o, c // g, kh, kw, dtype=dt)]
        if bias:
            ins.append(rand(o, dtype=dt))
        with_grads(name, lambda x, wt, b=None: F.conv2d(
            x, wt, b, st, pad if pad == "same" else pad, dil, g), ins, dt)

for i, (st, pad, dil, g) in enumerate([(1, 1, 1, 1), (2, 0, 2, 2), (1, "same", 1, 1)]):
    name = f"conv1d_{i}"
    case(name, stride=st, padding=pad, dilation=dil, groups=g)
    with_grads(name, lambda x, wt, b: F.conv1d(x, wt, b, st, pad, dil, g),
               [rand(2, 4, 11), rand(6, 4 // g, 3), rand(6)], torch.float32)

# ---- pooling ----
pool_cases = [
    # kernel, stride, padding, dilation, ceil_mode, count_include_pad
    ((2, 2), (2, 2), (0, 0), (1, 1), False, True),
    ((3, 3), (2, 2), (1, 1), (1, 1), False, True),
    ((3, 2), (2, 1), (1, 1), (1, 1), True, False),
    ((3, 3), (3, 3), (1, 0), (1, 1), True, True),
    ((2, 3), (1, 2), (0, 1), (2, 1), False, True),
]
for i, (k, s, p, d, ceil, cip) in enumerate(pool_cases):
    for dt in (torch.float32, torch.float64):
        sfx = "f32" if dt == torch.float32 else "f64"
        kw = dict(kernel=f"{k[0]},{k[1]}", stride=f"{s[0]},{s[1]}", padding=f"{p[0]},{p[1]}",
                  dilation=f"{d[0]},{d[1]}", ceil=int(ceil), cip=int(cip))
        x = rand(2, 3, 7, 8, dtype=dt)
        case(f"max_pool2d_{i}_{sfx}", **kw)
        with_grads(f"max_pool2d_{i}_{sfx}",
                   lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil), [x], dt)
        if d == (1, 1):
            case(f"avg_pool2d_{i}_{sfx}", **kw)
            with_grads(f"avg_pool2d_{i}_{sfx}",
                       lambda x: F.avg_pool2d(x, k, s, p, ceil, cip), [x], dt)
for i, (osz, shape) in enumerate([((1, 1), (2, 3, 7, 8)), ((3, 5), (2, 2, 7, 8)),
                                  ((4, 4), (1, 2, 9, 6))]):
    case(f"adaptive_avg_pool2d_{i}", out=f"{osz[0]},{osz[1]}")
    with_grads(f"adaptive_avg_pool2d_{i}", lambda x: F.adaptive_avg_pool2d(x, osz),
               [rand(*shape)], torch.float32)
# NaN propagates through max pooling
x = rand(1, 1, 4, 4)
x[0, 0, 1, 1] = float("nan")
case("max_pool2d_nan")
put("max_pool2d_nan.in0", x)
put("max_pool2d_nan.y", F.max_pool2d(x, 2))

# ---- normalization ----
for i, (shape, training, momentum) in enumerate([((4, 3, 5, 2), True, 0.1),
                                                 ((4, 3, 5, 2), False, 0.1),
                                                 ((6, 4), True, 0.3),
                                                 ((3, 2, 7), True, 0.1)]):
    for dt in (torch.float32, torch.float64):
        name = f"batch_norm_{i}_{'f32' if dt == torch.float32 else 'f64'}"
        c = shape[1]
        rm, rv = rand(c, dtype=dt), rand(c, dtype=dt).abs() + 0.5
        case(name, training=int(training), momentum=momentum, eps=1e-5)
        put(name + ".rm0", rm)
        put(name + ".rv0", rv)
        rm1, rv1 = rm.clone(), rv.clone()
        with_grads(name, lambda x, wt, b: F.batch_norm(x, rm1, rv1, wt, b, training, momentum, 1e-5),
                   [rand(*shape, dtype=dt), rand(c, dtype=dt), rand(c, dtype=dt)], dt)
        put(name + ".rm1", rm1)
        put(name + ".rv1", rv1)
for i, (shape, ns) in enumerate([((3, 4, 5), (5,)), ((2, 3, 4), (3, 4))]):
    case(f"layer_norm_{i}", ns=",".join(map(str, ns)))
    with_grads(f"layer_norm_{i}", lambda x, wt, b: F.layer_norm(x, ns, wt, b, 1e-5),
               [rand(*shape), rand(*ns), rand(*ns)], torch.float32)
for i, (shape, g) in enumerate([((2, 6, 3, 2), 3), ((3, 4, 5), 2)]):
    case(f"group_norm_{i}", groups=g)
    with_grads(f"group_norm_{i}", lambda x, wt, b: F.group_norm(x, g, wt, b, 1e-5),
               [rand(*shape), rand(shape[1]), rand(shape[1])], torch.float32)

# ---- activations ----
x = torch.cat([rand(40) * 3, torch.tensor([0.0, -0.0, 10.0, -10.0, 30.0, -30.0])])
for dt in (torch.float32, torch.float64):
    sfx = "f32" if dt == torch.float32 else "f64"
    xd = x.to(dt)
    for name, f in [("gelu", lambda v: F.gelu(v)),
                    ("gelu_tanh", lambda v: F.gelu(v, approximate="tanh")),
                    ("silu", F.silu), ("relu", F.relu),
                    ("leaky_relu", lambda v: F.leaky_relu(v, 0.02))]:
        case(f"{name}_{sfx}")
        with_grads(f"{name}_{sfx}", f, [xd], dt)
xs = rand(3, 5) * 4
case("softmax")
with_grads("softmax", lambda v: F.softmax(v, dim=1), [xs], torch.float32)
case("log_softmax")
with_grads("log_softmax", lambda v: F.log_softmax(v, dim=0), [xs], torch.float32)
case("linear")
with_grads("linear", F.linear, [rand(4, 3), rand(5, 3), rand(5)], torch.float32)

# ---- losses ----
logits = rand(6, 5) * 2
tgt = torch.tensor([0, 4, 2, -100, 1, 4])
w = torch.rand(5, dtype=torch.float64).float() + 0.5
ce_cases = [
    dict(reduction="mean"), dict(reduction="sum"), dict(reduction="none"),
    dict(reduction="mean", weight=True), dict(reduction="mean", label_smoothing=0.2),
    dict(reduction="mean", weight=True, label_smoothing=0.1),
    dict(reduction="none", label_smoothing=0.3), dict(reduction="sum", weight=True, label_smoothing=0.25),
]
for i, c in enumerate(ce_cases):
    name = f"cross_entropy_{i}"
    case(name, reduction=c["reduction"], weight=int(c.get("weight", False)),
         label_smoothing=c.get("label_smoothing", 0.0))
    put(name + ".target", tgt)
    put(name + ".w", w)
    with_grads(name, lambda v: F.cross_entropy(v, tgt, weight=w if c.get("weight") else None,
                                                 reduction=c["reduction"],
                                                 label_smoothing=c.get("label_smoothing", 0.0)),
               [logits], torch.float32)
probs = torch.softmax(rand(6, 5), 1)
for i, (red, ls, wt) in enumerate([("mean", 0.0, False), ("sum", 0.1, True), ("none", 0.0, True)]):
    name = f"cross_entropy_prob_{i}"
    case(name, reduction=red, weight=int(wt), label_smoothing=ls)
    put(name + ".target", probs)
    put(name + ".w", w)
    with_grads(name, lambda v: F.cross_entropy(v, probs, weight=w if wt else None,
                                                 reduction=red, label_smoothing=ls),
               [logits], torch.float32)
# spatial targets [N, C, d]
sp_logits, sp_tgt = rand(2, 4, 3), torch.tensor([[0, 3, -100], [2, 2, 1]])
case("cross_entropy_spatial", reduction="mean", weight=0, label_smoothing=0.1)
put("cross_entropy_spatial.target", sp_tgt)
with_grads("cross_entropy_spatial", lambda v: F.cross_entropy(v, sp_tgt, label_smoothing=0.1),
           [sp_logits], torch.float32)
case("nll_loss", reduction="mean", weight=1)
put("nll_loss.target", tgt)
put("nll_loss.w", w)
with_grads("nll_loss", lambda v: F.nll_loss(F.log_softmax(v, 1), tgt, weight=w), [logits],
           torch.float32)
for red in ("mean", "sum", "none"):
    case(f"mse_loss_{red}", reduction=red)
    with_grads(f"mse_loss_{red}", lambda a, b: F.mse_loss(a, b, reduction=red),
               [rand(3, 4), rand(3, 4)], torch.float32)
bt = (torch.rand(4, 3, dtype=torch.float64) > 0.5).float()
bx = torch.cat([rand(3, 3) * 3, torch.tensor([[50.0, -50.0, 0.0]])])
bw, pw = torch.rand(4, 3, dtype=torch.float64).float(), torch.tensor([0.5, 2.0, 3.0])
for i, (use_w, use_pw, red) in enumerate([(False, False, "mean"), (True, True, "sum"),
                                          (False, True, "none")]):
    name = f"bce_logits_{i}"
    case(name, reduction=red, weight=int(use_w), pos_weight=int(use_pw))
    put(name + ".target", bt)
    put(name + ".w", bw)
    put(name + ".pw", pw)
    with_grads(name, lambda v: F.binary_cross_entropy_with_logits(
        v, bt, weight=bw if use_w else None, pos_weight=pw if use_pw else None, reduction=red),
        [bx], torch.float32)

# ---- embedding, pad, interpolate ----
idx = torch.tensor([[1, 3, 0], [3, 3, 2]])
case("embedding", padding_idx=3)
put("embedding.idx", idx)
with_grads("embedding", lambda wt: F.embedding(idx, wt, padding_idx=3), [rand(5, 4)], torch.float32)
for i, (pads, mode, value) in enumerate([((1, 2), "constant", 0.5), ((2, 1, 1, 0), "constant", 0.0),
                                         ((2, 1, 1, 2), "reflect", 0.0), ((3, 1, 0, 2), "replicate", 0.0),
                                         ((1, 2, 2, 1), "circular", 0.0)]):
    name = f"pad_{i}"
    case(name, pads=",".join(map(str, pads)), mode=mode, value=value)
    with_grads(name, lambda v: F.pad(v, pads, mode=mode, value=value) if mode == "constant"
               else F.pad(v, pads, mode=mode), [rand(2, 3, 4, 5)], torch.float32)
interp = [((5, 7), None, "nearest", None), ((8, 3), None, "nearest", None), (None, (2.0, 2.0), "nearest", None),
          (None, (1.7, 0.6), "nearest", None), ((6, 9), None, "bilinear", False),
          ((6, 9), None, "bilinear", True), (None, (1.5, 2.5), "bilinear", False), ((2, 2), None, "bilinear", False)]
for i, (size, scale, mode, align) in enumerate(interp):
    for dt in (torch.float32, torch.float64):
        name = f"interpolate_{i}_{'f32' if dt == torch.float32 else 'f64'}"
        kw = dict(mode=mode)
        if size:
            kw["size"] = f"{size[0]},{size[1]}"
        else:
            kw["scale"] = f"{scale[0]},{scale[1]}"
        if align is not None:
            kw["align"] = int(align)
        case(name, **kw)
        with_grads(name, lambda v: F.interpolate(v, size=size, scale_factor=scale, mode=mode,
                                                  align_corners=align), [rand(2, 2, 4, 5, dtype=dt)], dt)

# ---- optimizers: 20 steps on a fixed least-squares problem, float64 ----
A = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [3.0, 0.2, 0.7], [-1.0, 1.0, 1.0]],
                 dtype=torch.float64)
b = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
p0 = torch.tensor([0.3, -0.2, 0.8], dtype=torch.float64)
q0 = torch.tensor([[0.5, -1.0], [2.0, 0.1]], dtype=torch.float64)
put("optim.p0", p0)
put("optim.q0", q0)
put("optim.A", A)
put("optim.b", b)


def loss_fn(p, q):
    r = A @ p - b
    return (r * r).sum() + (q * q * q).sum() * 0.1 + (q.sum() - p[0]) ** 2


optims = [
    ("sgd", torch.optim.SGD, dict(lr=0.01)),
    ("sgd_momentum", torch.optim.SGD, dict(lr=0.01, momentum=0.9, dampening=0.1, weight_decay=0.05)),
    ("sgd_nesterov", torch.optim.SGD, dict(lr=0.01, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("adam", torch.optim.Adam, dict(lr=0.05)),
    ("adam_wd_amsgrad", torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("adamw", torch.optim.AdamW, dict(lr=0.05)),
    ("adamw_wd", torch.optim.AdamW, dict(lr=0.03, weight_decay=0.3, eps=1e-6)),
    ("rmsprop", torch.optim.RMSprop, dict(lr=0.01)),
    ("rmsprop_centered_momentum", torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.02)),
]
for name, cls, kw in optims:
    p = p0.clone().requires_grad_()
    q = q0.clone().requires_grad_()
    opt = cls([p, q], **kw)
    ps, qs = [], []
    for _ in range(20):
        opt.zero_grad()
        loss_fn(p, q).backward()
        opt.step()
        ps.append(p.detach().clone())
        qs.append(q.detach().clone())
    flat = {k: (v if not isinstance(v, tuple) else None) for k, v in kw.items()}
    opts = []
    for k, v in kw.items():
        if k == "betas":
            opts += [("beta1", v[0]), ("beta2", v[1])]
        else:
            opts.append((k, float(v)))
    case("optim_" + name, kind=cls.__name__, opts=";".join(f"{k}:{v!r}" for k, v in opts))
    put(f"optim_{name}.p", torch.stack(ps))
    put(f"optim_{name}.q", torch.stack(qs))

# two param groups with different learning rates
p = p0.clone().requires_grad_()
q = q0.clone().requires_grad_()
opt = torch.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.002}], lr=0.01, momentum=0.9)
ps = []
for _ in range(20):
    opt.zero_grad()
    loss_fn(p, q).backward()
    opt.step()
    ps.append(torch.cat([p.detach().flatten(), q.detach().flatten()]))
case("optim_groups")
put("optim_groups.pq", torch.stack(ps))

# ---- schedulers: the lr after each of 25 steps ----
def sched_lrs(make, opt_cls=torch.optim.SGD, lr=0.1, n=25, **okw):
    p = torch.zeros(1, requires_grad=True)
    opt = opt_cls([p], lr=lr, **okw)
    s = make(opt)
    lrs, moms = [opt.param_groups[0]["lr"]], []
    for _ in range(n):
        opt.step()
        s.step()
        lrs.append(opt.param_groups[0]["lr"])
        g = opt.param_groups[0]
        moms.append(g["momentum"] if "momentum" in g else g["betas"][0])
    return torch.tensor(lrs, dtype=torch.float64), torch.tensor(moms, dtype=torch.float64)


S = torch.optim.lr_scheduler
for name, make, extra in [
    ("steplr", lambda o: S.StepLR(o, 4, 0.5), {}),
    ("cosine", lambda o: S.CosineAnnealingLR(o, 10, 0.001), {}),
    ("lambda", lambda o: S.LambdaLR(o, lambda e: 0.95 ** e), {}),
    ("onecycle", lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=25), dict(momentum=0.9)),
    ("onecycle_adam", lambda o: S.OneCycleLR(o, max_lr=0.01, total_steps=30, pct_start=0.25), {}),
]:
    if name == "onecycle_adam":
        lrs, moms = sched_lrs(make, torch.optim.Adam, lr=0.001, n=25)
    else:
        lrs, moms = sched_lrs(make, **extra)
    case("sched_" + name)
    put(f"sched_{name}.lr", lrs)
    put(f"sched_{name}.m", moms)

# ---- clip_grad_norm_ ----
for i, (maxn, nt) in enumerate([(1.0, 2.0), (100.0, 2.0), (0.5, float("inf")), (0.3, 1.0)]):
    ga, gb = rand(3, 2, dtype=torch.float64), rand(4, dtype=torch.float64)
    pa = torch.zeros(3, 2, dtype=torch.float64, requires_grad=True)
    pb = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    pa.grad, pb.grad = ga.clone(), gb.clone()
    total = torch.nn.utils.clip_grad_norm_([pa, pb], maxn, nt)
    case(f"clip_{i}", max_norm=maxn, norm_type=nt)
    put(f"clip_{i}.ga", ga)
    put(f"clip_{i}.gb", gb)
    put(f"clip_{i}.total", total.reshape(1))
    put(f"clip_{i}.ca", pa.grad)
    put(f"clip_{i}.cb", pb.grad)

os.makedirs(os.path.dirname(NN), exist_ok=True)
with open(NN, "w") as f:
    f.write("# Written by scripts/make_nn_data.py (PyTorch %s); format in its docstring.\n"
            % torch.__version__)
    f.write("\n".join(lines) + "\n")
print("wrote", NN, len(lines), "lines")

# ---- torchvision ResNet keys and formula-weight logits ----
import torchvision  # noqa: E402

os.makedirs(os.path.dirname(KEYS), exist_ok=True)
with open(KEYS, "w") as f:
    f.write("# torchvision %s state_dict keys and shapes; written by scripts/make_nn_data.py\n"
            % torchvision.__version__)
    for arch in ("resnet18", "resnet34", "resnet50"):
        m = getattr(torchvision.models, arch)(num_classes=1000)
        for k, v in m.state_dict().items():
            f.write(f"{arch} {k} {','.join(map(str, v.shape)) or '-'}\n")


def formula_weights(model):
    sd = model.state_dict()
    out = {}
    for i, (k, v) in enumerate(sd.items()):
        n = v.numel()
        s = np.sin(0.37 * np.arange(n, dtype=np.float64) + 1.3 * i)
        if k.endswith("num_batches_tracked"):
            out[k] = torch.zeros_like(v)
            continue
        if v.dim() >= 2:
            fan_in = int(np.prod(v.shape[1:]))
            vals = s * math.sqrt(6.0 / fan_in)
        elif k.endswith("running_var"):
            vals = 1.0 + 0.5 * np.abs(s)
        elif k.endswith("running_mean"):
            vals = 0.1 * s
        elif k == "fc.bias":
            vals = 0.01 * s
        elif k.endswith("weight"):
            vals = 1.0 + 0.1 * s
        else:
            vals = 0.1 * s
        out[k] = torch.tensor(vals, dtype=torch.float64).reshape(v.shape).float()
    return out


m = torchvision.models.resnet18(num_classes=1000)
m.load_state_dict(formula_weights(m))
m.eval()
k = np.arange(3 * 64 * 64, dtype=np.float64)
x = torch.tensor(np.sin(0.011 * k) + 0.5 * np.cos(0.0007 * k)).reshape(1, 3, 64, 64).float()
torch.set_num_threads(1)
with torch.no_grad():
    y = m(x)
with open(LOGITS, "w") as f:
    f.write("# ResNet-18 eval logits for the formula weights and input of "
            "scripts/make_nn_data.py (torch %s)\n" % torch.__version__)
    f.write(enc_values(y) + "\n")
TRAIN = os.path.join(os.path.dirname(LOGITS), "resnet18_train.txt")
m = torchvision.models.resnet18(num_classes=1000)
m.load_state_dict(formula_weights(m))
m.train()
m.double()
xb = torch.cat([x, -x + 0.25]).double()
loss = F.cross_entropy(m(xb), torch.tensor([3, 7]))
loss.backward()
with open(TRAIN, "w") as f:
    f.write("# ResNet-18 training step data of scripts/make_nn_data.py (torch %s): "
            "loss, then name and gradient L2 norm per parameter, then bn1.running_mean\n"
            % torch.__version__)
    f.write("loss %r\n" % loss.item())
    for name, p in m.named_parameters():
        f.write("grad %s %r\n" % (name, p.grad.norm().item()))
    f.write("running_mean %s\n" % ",".join(repr(v) for v in m.bn1.running_mean.tolist()))
print("wrote", KEYS, LOGITS, "and", TRAIN)
