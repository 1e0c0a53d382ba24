#!/usr/bin/env python3
"""Writes crates/tessera-ode/tests/data/torchdiffeq_dopri5.txt: torchdiffeq's dopri5
solutions and evaluation counts on a few problems, which tests/torchdiffeq.rs compares
tessera's dopri5 against (tessera follows the same algorithm, so the counts should match
up to the last step, which tessera shortens to end at the final time).

Usage: python3 scripts/ode_reference.py   (needs torch and torchdiffeq)
Format: one case a line: problem rtol atol nfe, then the solution at every requested
time, flattened, all separated by spaces. Lines starting with # are comments.
"""
import os

import torch
import torchdiffeq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "tessera-ode", "tests", "data", "torchdiffeq_dopri5.txt")
A = torch.tensor([[-0.5, 2.0], [0.0, -3.0]], dtype=torch.float64)

# The same problems as tests/torchdiffeq.rs.
PROBLEMS = {
    "exp_sin": (lambda t, y: y * torch.cos(t), torch.tensor([1.0]), torch.linspace(0, 10, 11)),
    "lotka_volterra": (
        lambda t, s: torch.stack([1.5 * s[0] - s[0] * s[1], -3 * s[1] + s[0] * s[1]]),
        torch.tensor([1.0, 1.0]),
        torch.linspace(0, 15, 16),
    ),
    "linear_2x2": (lambda t, y: A @ y, torch.eye(2), torch.linspace(0, 3, 7)),
}


def main():
    lines = [f"# torch {torch.__version__}, torchdiffeq {torchdiffeq.__version__}; made by scripts/ode_reference.py"]
    for name, (f, y0, t) in PROBLEMS.items():
        for rtol, atol in [(1e-3, 1e-6), (1e-6, 1e-9), (1e-9, 1e-12)]:
            count = [0]

            def counted(tt, y):
                count[0] += 1
                return f(tt, y)

            with torch.no_grad():
                ys = torchdiffeq.odeint(counted, y0.double(), t.double(), rtol=rtol, atol=atol, method="dopri5")
            vals = " ".join(repr(v) for v in ys.reshape(-1).tolist())
            lines.append(f"{name} {rtol!r} {atol!r} {count[0]} {vals}")
    with open(OUT, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
