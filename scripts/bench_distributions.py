#!/usr/bin/env python3
"""PyTorch's side of crates/tessera-distributions/examples/bench_distributions.rs: the same
cases (f32, validation off), printed as `case seconds` lines (median of runs after a
warm-up). Run from the repository root; the example runs it itself."""
import math
import time

import torch
import torch.distributions as D


def cov(p):
    a = torch.tensor([[math.sin(i + 2 * j) for j in range(p)] for i in range(p)], dtype=torch.float64)
    return (a @ a.T / p + torch.eye(p, dtype=torch.float64)).float()


def median(reps, f):
    f()
    v = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        v.append(time.perf_counter() - t)
    return sorted(v)[reps // 2]


def main():
    torch.manual_seed(0)
    w = D.Wishart(torch.tensor(10.0), covariance_matrix=cov(5), validate_args=False)
    import warnings
    warnings.simplefilter("ignore")
    print("wishart_sample_10000", median(7, lambda: w.sample((10000,))))
    x = w.sample((10000,))
    print("wishart_log_prob_10000", median(7, lambda: w.log_prob(x)))
    n = D.Normal(torch.tensor(0.0), torch.tensor(1.0), validate_args=False)
    print("normal_sample_1e7", median(5, lambda: n.sample((10_000_000,))))
    m = D.MultivariateNormal(torch.zeros(10), covariance_matrix=cov(10), validate_args=False)
    pts = torch.randn(1_000_000, 10)
    print("mvn10_log_prob_1e6", median(7, lambda: m.log_prob(pts)))


if __name__ == "__main__":
    main()
