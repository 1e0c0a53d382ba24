#!/usr/bin/env python3
"""Reference values for tessera-distributions' tests.

Writes crates/tessera-distributions/tests/data/reference.json with, for fixed f64
parameters and values:
- per distribution: PyTorch's log_prob, cdf, icdf, entropy, mean, mode, variance and
  stddev (each only where torch defines it; NaN/inf written as strings);
- Wishart: the same from PyTorch, plus SciPy's scipy.stats.wishart logpdf and entropy
  as an independent check;
- kl_divergence values for every registered pair;
- transforms: ComposeTransform forward / log_abs_det_jacobian values;
- PyTorch's error messages for invalid parameters and values (the tests compare the
  parts tessera reproduces: the wording, the parameter name, shape and constraint).

Run from the repository root:  python3 scripts/make_distributions_data.py
Requires torch, numpy, scipy.
"""
import json
import math
import os

import numpy as np
import scipy.stats
import torch
import torch.distributions as D
import torch.distributions.transforms as T

torch.set_default_dtype(torch.float64)
OUT = os.path.join("crates", "tessera-distributions", "tests", "data", "reference.json")


def enc(t):
    t = torch.as_tensor(t, dtype=torch.float64).detach()
    vals = []
    for v in t.reshape(-1).tolist():
        if math.isnan(v):
            vals.append("nan")
        elif math.isinf(v):
            vals.append("inf" if v > 0 else "-inf")
        else:
            vals.append(v)
    return {"shape": list(t.shape), "data": vals}


def spd(n, seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, n, generator=g)
    return a @ a.T + n * torch.eye(n)


def methods(d, value, probs=None):
    out = {}
    for name, f in [
        ("log_prob", lambda: d.log_prob(value)),
        ("cdf", lambda: d.cdf(value)),
        ("icdf", lambda: d.icdf(probs)),
        ("entropy", d.entropy),
        ("mean", lambda: d.mean),
        ("mode", lambda: d.mode),
        ("variance", lambda: d.variance),
        ("stddev", lambda: d.stddev),
    ]:
        if name == "icdf" and probs is None:
            continue
        try:
            out[name] = enc(f())
        except NotImplementedError:
            pass
    return out


def case(name, params, d, value, probs=None):
    c = {"dist": name, "params": {k: enc(v) for k, v in params.items()}, "value": enc(value)}
    if probs is not None:
        c["probs"] = enc(probs)
    c.update(methods(d, value, probs))
    return c


def main():
    cases = []
    t = torch.tensor
    loc, scale = t([0.0, 1.5, -2.0]), t([1.0, 0.5, 3.0])
    x = t([[0.3, 1.0, -4.0], [-1.0, 2.5, 0.0]])
    pr = t([0.1, 0.5, 0.975])
    cases.append(case("Normal", {"loc": loc, "scale": scale}, D.Normal(loc, scale), x, pr))
    lo, hi = t([0.0, -1.0]), t([1.0, 3.0])
    cases.append(case("Uniform", {"low": lo, "high": hi}, D.Uniform(lo, hi), t([0.25, 2.0]), t([0.1, 0.9])))
    r = t([0.5, 2.0, 7.0])
    cases.append(case("Exponential", {"rate": r}, D.Exponential(r), t([0.1, 1.0, 3.0]), pr))
    a, b = t([0.5, 2.0, 9.0]), t([1.0, 0.25, 3.0])
    cases.append(case("Gamma", {"concentration": a, "rate": b}, D.Gamma(a, b), t([0.2, 5.0, 3.0])))
    df = t([1.0, 3.0, 10.5])
    cases.append(case("Chi2", {"df": df}, D.Chi2(df), t([0.5, 2.0, 12.0])))
    c1, c0 = t([0.5, 2.0, 5.0]), t([0.5, 3.0, 1.5])
    cases.append(case("Beta", {"concentration1": c1, "concentration0": c0}, D.Beta(c1, c0), t([0.1, 0.4, 0.95])))
    conc = t([[1.0, 2.0, 3.0], [0.5, 4.0, 1.5]])
    cases.append(case("Dirichlet", {"concentration": conc}, D.Dirichlet(conc), t([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])))
    p = t([0.2, 0.5, 0.9])
    cases.append(case("Bernoulli", {"probs": p}, D.Bernoulli(probs=p), t([1.0, 0.0, 1.0])))
    lg = t([-1.0, 0.0, 2.5])
    cases.append(case("BernoulliLogits", {"logits": lg}, D.Bernoulli(logits=lg), t([0.0, 1.0, 1.0])))
    cp = t([[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])
    cases.append(case("Categorical", {"probs": cp}, D.Categorical(probs=cp), t([2.0, 0.0])))
    cl = t([[1.0, -1.0, 0.5, 2.0]])
    cases.append(case("CategoricalLogits", {"logits": cl}, D.Categorical(logits=cl), t([[3.0], [1.0]])))
    mloc = t([1.0, -1.0, 0.5])
    cov = spd(3, 0)
    xm = t([[0.0, 0.0, 0.0], [1.0, 2.0, -1.0]])
    for kind, kw in [
        ("covariance_matrix", {"covariance_matrix": cov}),
        ("precision_matrix", {"precision_matrix": torch.linalg.inv(cov)}),
        ("scale_tril", {"scale_tril": torch.linalg.cholesky(cov)}),
    ]:
        d = D.MultivariateNormal(mloc, **kw)
        cases.append(case("MultivariateNormal", {"loc": mloc, kind: list(kw.values())[0]}, d, xm))
    cases.append(case("LogNormal", {"loc": loc, "scale": scale}, D.LogNormal(loc, scale), t([0.5, 4.0, 0.1]), pr))
    ib = D.Normal(t([[0.0, 1.0], [2.0, 3.0]]), t([[1.0, 2.0], [0.5, 1.0]]))
    cases.append(case("IndependentNormal", {"loc": ib.loc, "scale": ib.scale}, D.Independent(ib, 1), t([[0.5, 0.5], [1.0, 1.0]])))

    # Wishart: PyTorch and SciPy
    wishart = []
    for p, dfv, seed in [(2, 2.5, 1), (3, 5.0, 2), (5, 10.0, 3), (4, 3.001, 4)]:
        S = spd(p, seed) / p
        X = spd(p, seed + 100)
        for kind, kw in [
            ("covariance_matrix", {"covariance_matrix": S}),
            ("precision_matrix", {"precision_matrix": torch.linalg.inv(S)}),
            ("scale_tril", {"scale_tril": torch.linalg.cholesky(S)}),
        ]:
            d = D.Wishart(t(dfv), **kw)
            c = case("Wishart", {"df": t(dfv), kind: list(kw.values())[0]}, d, X)
            c["scipy_log_prob"] = scipy.stats.wishart(df=dfv, scale=S.numpy()).logpdf(X.numpy())
            c["scipy_entropy"] = scipy.stats.wishart(df=dfv, scale=S.numpy()).entropy()
            wishart.append(c)

    # KL
    kl = []

    def klcase(name, pp, qq, P, Q):
        kl.append({"pair": name, "p": {k: enc(v) for k, v in pp.items()}, "q": {k: enc(v) for k, v in qq.items()},
                   "kl": enc(D.kl_divergence(P, Q))})

    klcase("Normal", {"loc": loc, "scale": scale}, {"loc": t([1.0, 1.0, 1.0]), "scale": t([2.0, 0.5, 1.0])},
           D.Normal(loc, scale), D.Normal(t([1.0, 1.0, 1.0]), t([2.0, 0.5, 1.0])))
    klcase("Exponential", {"rate": r}, {"rate": t([1.0, 1.0, 0.5])}, D.Exponential(r), D.Exponential(t([1.0, 1.0, 0.5])))
    klcase("Gamma", {"concentration": a, "rate": b}, {"concentration": t([1.0, 1.0, 4.0]), "rate": t([2.0, 1.0, 1.0])},
           D.Gamma(a, b), D.Gamma(t([1.0, 1.0, 4.0]), t([2.0, 1.0, 1.0])))
    klcase("Beta", {"concentration1": c1, "concentration0": c0}, {"concentration1": t([1.0, 1.0, 2.0]), "concentration0": t([2.0, 1.0, 0.5])},
           D.Beta(c1, c0), D.Beta(t([1.0, 1.0, 2.0]), t([2.0, 1.0, 0.5])))
    klcase("Dirichlet", {"concentration": conc}, {"concentration": t([[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]])},
           D.Dirichlet(conc), D.Dirichlet(t([[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]])))
    klcase("Uniform", {"low": t([0.0, 0.0]), "high": t([1.0, 1.0])}, {"low": t([-1.0, 0.5]), "high": t([2.0, 1.0])},
           D.Uniform(t([0.0, 0.0]), t([1.0, 1.0])), D.Uniform(t([-1.0, 0.5]), t([2.0, 1.0])))
    klcase("Bernoulli", {"probs": t([0.2, 0.5, 0.0, 1.0])}, {"probs": t([0.5, 0.9, 0.3, 0.0])},
           D.Bernoulli(t([0.2, 0.5, 0.0, 1.0])), D.Bernoulli(t([0.5, 0.9, 0.3, 0.0])))
    klcase("Categorical", {"probs": cp}, {"probs": t([[0.3, 0.3, 0.4], [0.0, 0.5, 0.5]])},
           D.Categorical(cp), D.Categorical(t([[0.3, 0.3, 0.4], [0.0, 0.5, 0.5]])))
    cov2 = spd(3, 7)
    klcase("MultivariateNormal", {"loc": mloc, "covariance_matrix": cov}, {"loc": t([0.0, 0.0, 1.0]), "covariance_matrix": cov2},
           D.MultivariateNormal(mloc, cov), D.MultivariateNormal(t([0.0, 0.0, 1.0]), cov2))

    # Transforms: compose (affine event_dim=1) -> exp, and a stick-breaking chain
    xs = t([[0.1, -0.3, 0.7], [1.0, 0.2, -1.5]])
    ct = T.ComposeTransform([T.AffineTransform(t([0.5, -1.0, 0.0]), t([2.0, -0.5, 1.5]), event_dim=1), T.ExpTransform()])
    sb = T.ComposeTransform([T.AffineTransform(t(0.0), t(1.5)), T.StickBreakingTransform()])
    tanh = T.ComposeTransform([T.TanhTransform(), T.AffineTransform(t(1.0), t(3.0)), T.PowerTransform(t(2.0))])
    sig = T.SigmoidTransform()
    corr = T.CorrCholeskyTransform()
    xc = t([[0.3, -1.2, 0.5, 2.0, -0.1, 0.8], [0.0, 0.1, -0.2, 0.3, -0.4, 0.5]])
    yc = corr(xc)
    corr_case = {"name": "corr_cholesky", "x": enc(xc), "y": enc(yc), "ladj": enc(corr.log_abs_det_jacobian(xc, yc)),
                 "domain_event_dim": corr.domain.event_dim, "codomain_event_dim": corr.codomain.event_dim}
    transforms = []
    for name, tr in [("affine1_exp", ct), ("affine_stickbreaking", sb), ("tanh_affine_power", tanh), ("sigmoid", sig)]:
        y = tr(xs)
        transforms.append({"name": name, "x": enc(xs), "y": enc(y), "ladj": enc(tr.log_abs_det_jacobian(xs, y)),
                           "domain_event_dim": tr.domain.event_dim, "codomain_event_dim": tr.codomain.event_dim})

    transforms.append(corr_case)

    # Error messages
    errors = {}

    def err(key, f):
        try:
            f()
        except (ValueError, AssertionError, NotImplementedError) as e:
            errors[key] = str(e)

    err("normal_scale", lambda: D.Normal(t([0.0, 0.0]), t([1.0, -1.0])))
    err("gamma_value", lambda: D.Gamma(t(1.0), t(1.0)).log_prob(t([-1.0])))
    err("event_shape", lambda: D.MultivariateNormal(mloc, cov).log_prob(t([1.0, 2.0])))
    err("broadcast", lambda: D.Normal(t([0.0, 0.0]), t([1.0, 1.0])).log_prob(t([1.0, 2.0, 3.0])))
    err("wishart_df", lambda: D.Wishart(t(1.5), covariance_matrix=spd(3, 0)))
    err("mvn_exactly_one", lambda: D.MultivariateNormal(mloc))
    err("uniform_low_high", lambda: D.Uniform(t(1.0), t(1.0)))
    err("bernoulli_both", lambda: D.Bernoulli(probs=t(0.5), logits=t(0.0)))
    err("dirichlet_0dim", lambda: D.Dirichlet(t(1.0)))
    err("kl_unknown", lambda: D.kl_divergence(D.Wishart(t(3.0), spd(2, 0)), D.Normal(t(0.0), t(1.0))))

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"torch": torch.__version__, "scipy": scipy.__version__, "cases": cases, "wishart": wishart,
                   "kl": kl, "transforms": transforms, "errors": errors}, f, indent=0)
    print(f"wrote {OUT}: {len(cases)} cases, {len(wishart)} wishart, {len(kl)} kl, {len(transforms)} transforms, {len(errors)} errors")


if __name__ == "__main__":
    main()
