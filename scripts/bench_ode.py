#!/usr/bin/env python3
"""tessera-ode against scipy and torchdiffeq on the same problems and tolerances.

Runs the Rust benchmark (`cargo run --release -p tessera-ode --example bench_ode --
--json`), then scipy's `solve_ivp(method="RK45")` and torchdiffeq's `odeint(method=
"dopri5")` on the problems defined there, and prints function evaluations, median
wall time and the largest error over the requested times side by side. Errors are
against the exact solution where there is one, else against scipy's DOP853 at
rtol=1e-13, atol=1e-14.

Usage: python3 scripts/bench_ode.py [--write BENCHMARKS-ode.md]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import time

# Every side on one thread: torch (set in main), tessera (the example's default), and the
# BLAS under NumPy and SciPy, which must be told before NumPy is imported.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import torch  # noqa: E402
import torchdiffeq  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOLERANCES = [(1e-3, 1e-6), (1e-6, 1e-9), (1e-9, 1e-12)]
N = 32
W = np.array([[1.5 * np.sin(1 + i + 3 * j) / np.sqrt(N) for j in range(N)] for i in range(N)])
A = np.array([[-0.5, 2.0], [0.0, -3.0]])


def linear_exact(t):
    a, b, d = -0.5, 2.0, -3.0
    ea, ed = np.exp(a * t), np.exp(d * t)
    return np.stack([ea, b * (ea - ed) / (a - d), 0 * t, ed], axis=1)


# name -> (numpy f, torch f, y0, t, exact(t) or None); the same problems as bench_ode.rs.
W_T = torch.tensor(W)
A_T = torch.tensor(A)
PROBLEMS = {
    "exp_sin": (
        lambda t, y: y * np.cos(t),
        lambda t, y: y * torch.cos(t),
        np.array([1.0]),
        np.linspace(0, 10, 11),
        lambda t: np.exp(np.sin(t))[:, None],
    ),
    "tutorial_exp": (
        lambda t, y: np.exp(y),
        lambda t, y: torch.exp(y),
        np.array([0.0]),
        np.array([0.0, 0.5, 0.9, 0.99]),
        lambda t: -np.log(1 - t)[:, None],
    ),
    "lotka_volterra": (
        lambda t, s: np.array([1.5 * s[0] - s[0] * s[1], -3 * s[1] + s[0] * s[1]]),
        lambda t, s: torch.stack([1.5 * s[0] - s[0] * s[1], -3 * s[1] + s[0] * s[1]]),
        np.array([1.0, 1.0]),
        np.linspace(0, 15, 16),
        None,
    ),
    "linear_2x2": (
        lambda t, y: (A @ y.reshape(2, 2)).reshape(-1),
        lambda t, y: A_T @ y,
        np.eye(2).reshape(-1),
        np.linspace(0, 3, 7),
        linear_exact,
    ),
    "tanh_32": (
        lambda t, y: np.tanh(W @ y) - 0.5 * y,
        lambda t, y: torch.tanh(W_T @ y) - 0.5 * y,
        np.cos(np.arange(N, dtype=float)),
        np.linspace(0, 5, 11),
        None,
    ),
}


def median_time(run):
    times = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < 0.2:
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def reference(name):
    f, _, y0, t, exact = PROBLEMS[name]
    if exact is not None:
        return exact(t)
    sol = solve_ivp(f, (t[0], t[-1]), y0, method="DOP853", t_eval=t, rtol=1e-13, atol=1e-14)
    return sol.y.T


def run_scipy(name, rtol, atol):
    f, _, y0, t, _ = PROBLEMS[name]
    run = lambda: solve_ivp(f, (t[0], t[-1]), y0, method="RK45", t_eval=t, rtol=rtol, atol=atol)
    sol = run()
    return {"nfe": sol.nfev, "time_s": median_time(run), "ys": sol.y.T}


def run_torchdiffeq(name, rtol, atol):
    _, f, y0, t, _ = PROBLEMS[name]
    y0 = torch.tensor(y0).reshape(2, 2) if name == "linear_2x2" else torch.tensor(y0)
    t = torch.tensor(t)
    count = [0]

    def counted(tt, y):
        count[0] += 1
        return f(tt, y)

    def run():
        with torch.no_grad():
            return torchdiffeq.odeint(counted, y0, t, rtol=rtol, atol=atol, method="dopri5")

    ys = run()
    nfe = count[0]
    return {"nfe": nfe, "time_s": median_time(run), "ys": ys.reshape(len(t), -1).numpy()}


def run_tessera():
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "tessera-ode", "--example", "bench_ode", "--", "--json",
         "--threads", "1"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    rows = {}
    for line in out.splitlines():
        r = json.loads(line)
        if r.get("kind") == "grad":
            rows[("grad", r["problem"], r["solver"])] = r
            continue
        t = PROBLEMS[r["problem"]][3]
        r["ys"] = np.array(r["ys"]).reshape(len(t), -1)
        rows[(r["problem"], r["solver"], r["rtol"])] = r
    return rows


# Gradients of L = sum(ys) w.r.t. y0 and theta; the same problems as bench_ode.rs.
def lv_theta(t, s, th):
    x, y = s[0], s[1]
    return torch.stack([th[0] * x - th[1] * x * y, th[3] * x * y - th[2] * y])


GRAD_PROBLEMS = {
    "lotka_volterra": (lv_theta, [1.0, 1.0], torch.tensor([1.5, 1.0, 3.0, 1.0], dtype=torch.float64),
                       np.linspace(0, 10, 11)),
    "tanh_32": (lambda t, y, w: torch.tanh(w @ y) - 0.5 * y, np.cos(np.arange(N, dtype=float)),
                torch.tensor(W), np.linspace(0, 5, 11)),
}


def run_torchdiffeq_grad(name, adjoint, rtol=1e-6, atol=1e-9):
    f, y0v, theta0, tv = GRAD_PROBLEMS[name]
    t = torch.tensor(tv)
    count = [0, 0]

    def once():
        y0 = torch.tensor(y0v, dtype=torch.float64, requires_grad=True)
        theta = theta0.clone().requires_grad_(True)
        count[:] = [0, 0]

        def func(tt, y):
            count[phase[0]] += 1
            return f(tt, y, theta)

        phase = [0]
        if adjoint:
            ys = torchdiffeq.odeint_adjoint(func, y0, t, rtol=rtol, atol=atol, method="dopri5",
                                            adjoint_params=(theta,))
        else:
            ys = torchdiffeq.odeint(func, y0, t, rtol=rtol, atol=atol, method="dopri5")
        phase[0] = 1
        ys.sum().backward()
        return np.concatenate([y0.grad.numpy().ravel(), theta.grad.numpy().ravel()])

    grads = once()
    nfe = list(count)
    return {"nfe_forward": nfe[0], "nfe_backward": nfe[1], "time_s": median_time(once), "grads": grads}


def gradient_table(tessera):
    lines = [
        "| problem | solver | nfe forward | nfe backward | time (ms) | time / torchdiffeq same method "
        "| max rel. difference from torchdiffeq backprop |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in GRAD_PROBLEMS:
        direct, adjoint = run_torchdiffeq_grad(name, False), run_torchdiffeq_grad(name, True)
        ref = direct["grads"]
        rows = [
            ("torchdiffeq dopri5, backprop", direct, direct),
            ("torchdiffeq dopri5, adjoint", adjoint, adjoint),
            ("tessera dopri5, backprop", tessera[("grad", name, "tessera direct")], direct),
            ("tessera dopri5, adjoint", tessera[("grad", name, "tessera adjoint")], adjoint),
        ]
        for solver, r, base in rows:
            diff = np.max(np.abs(np.asarray(r["grads"]) - ref)) / np.max(np.abs(ref))
            lines.append(
                f"| {name} | {solver} | {r['nfe_forward']} | {r['nfe_backward']} | {r['time_s'] * 1e3:.3f} | "
                f"{r['time_s'] / base['time_s']:.2f} | {diff:.1e} |"
            )
    return lines


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def commit():
    """The commit the run measured (with `+changes` when the work tree differs from it)."""
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", metavar="FILE", help="also write the markdown table to FILE")
    args = ap.parse_args()
    torch.set_num_threads(1)
    load_before = os.getloadavg()[0]
    tessera = run_tessera()
    lines = [
        "| problem | rtol / atol | solver | nfe | time (ms) | time / torchdiffeq | max error |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name in PROBLEMS:
        ref = reference(name)
        for rtol, atol in TOLERANCES:
            rows = [
                ("scipy RK45", run_scipy(name, rtol, atol)),
                ("torchdiffeq dopri5", run_torchdiffeq(name, rtol, atol)),
                ("tessera dopri5", tessera[(name, "tessera dopri5", rtol)]),
                ("tessera tsit5", tessera[(name, "tessera tsit5", rtol)]),
            ]
            base = rows[1][1]["time_s"]
            for solver, r in rows:
                err = np.max(np.abs(np.asarray(r["ys"]) - ref))
                lines.append(
                    f"| {name} | {rtol:.0e} / {atol:.0e} | {solver} | {r['nfe']} | "
                    f"{r['time_s'] * 1e3:.3f} | {r['time_s'] / base:.2f} | {err:.2e} |"
                )
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after the run"
    header = [
        f"Machine: {machine()}; {load} (a shared machine: times are noisy, nfe and errors are exact).",
        f"Versions: Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"torch {torch.__version__}, torchdiffeq {torchdiffeq.__version__}.",
        "Threads: every side runs on 1 thread (torch.set_num_threads(1); OPENBLAS_NUM_THREADS=1 and "
        "OMP_NUM_THREADS=1 for NumPy and SciPy; tessera's set_num_threads(1)).",
        f"Commit: {commit()}.",
        "Command: `python3 scripts/bench_ode.py --write BENCHMARKS-ode.md` (builds and runs "
        "`cargo run --release -p tessera-ode --example bench_ode -- --json --threads 1`).",
        "nfe: evaluations of f; time: median wall time of one solve; max error: over all requested "
        "times, against the exact solution (exp_sin, tutorial_exp, linear_2x2) or scipy DOP853 at "
        "rtol 1e-13 (lotka_volterra, tanh_32). All in float64.",
        "",
        "tessera's dopri5 is torchdiffeq's algorithm (Shampine's error estimate, Hairer's initial step, "
        "the same controller), so the counts and errors coincide, except that tessera shortens the last "
        "step to end at the final time where torchdiffeq steps past it and interpolates (fewer evaluations, "
        "and no evaluations of f beyond the requested interval, e.g. towards the singularity of "
        "tutorial_exp at t = 1). scipy's RK45 uses the classic Dormand-Prince error estimate and another "
        "initial step and controller.",
    ]
    grads = gradient_table(tessera)
    text = (
        "\n".join(header) + "\n\n## Solves\n\n" + "\n".join(lines)
        + "\n\n## Gradients\n\nGradients of L = sum of the solution at all requested times, with respect to y0 "
        "and the parameters (Lotka-Volterra's 4 coefficients; the 32x32 matrix W), rtol 1e-6, atol 1e-9. "
        "Backprop differentiates through the solver's steps; the adjoint solves the augmented system "
        "backwards (nfe backward counts its evaluations of f, each with a vector-Jacobian product).\n\n"
        + "\n".join(grads) + "\n"
    )
    print(text)
    if args.write:
        with open(os.path.join(ROOT, args.write) if not os.path.isabs(args.write) else args.write, "w") as fh:
            fh.write("# tessera-ode benchmark\n\n" + text)


if __name__ == "__main__":
    main()
