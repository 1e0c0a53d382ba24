//! `log_prob`, `cdf`, `icdf`, `entropy`, `mean`, `mode`, `variance`, `stddev` and KL
//! values against PyTorch (and SciPy for Wishart), from the committed
//! tests/data/reference.json (scripts/make_distributions_data.py). All in f64.
//!
//! Tolerance: 1e-12 relative (+1e-12 absolute) unless stated: the formulas are
//! PyTorch's, so the differences are rounding in the special functions and the
//! matrix factorizations.

mod common;
use common::*;
use tessera_distributions::kl::kl_divergence;

const METHODS: [&str; 8] = [
    "log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev",
];

fn check_case(c: &serde_json::Value, rtol: f64) {
    let name = c["dist"].as_str().unwrap();
    let d = build(name, &c["params"]);
    let value = tensor(&c["value"]);
    for m in METHODS {
        let Some(want) = c.get(m) else { continue };
        let want = tensor(want);
        let got = match m {
            "log_prob" => d.log_prob(&value),
            "cdf" => d.cdf(&value),
            "icdf" => d.icdf(&tensor(&c["probs"])),
            "entropy" => d.entropy(),
            "mean" => d.mean(),
            "mode" => d.mode(),
            "variance" => d.variance(),
            _ => d.stddev(),
        };
        let got = got.unwrap_or_else(|e| panic!("{name}.{m}: {e}"));
        assert_close(
            &format!(
                "{name} {:?}.{m}",
                c["params"].as_object().unwrap().keys().collect::<Vec<_>>()
            ),
            &got,
            &want,
            rtol,
            rtol,
        );
    }
}

#[test]
fn distributions_match_pytorch() {
    let r = reference();
    for c in r["cases"].as_array().unwrap() {
        check_case(c, 1e-12);
    }
}

#[test]
fn wishart_matches_pytorch_and_scipy() {
    let r = reference();
    for c in r["wishart"].as_array().unwrap() {
        check_case(c, 1e-11);
        let d = build("Wishart", &c["params"]);
        let lp = d.log_prob(&tensor(&c["value"])).unwrap().item::<f64>();
        let want = c["scipy_log_prob"].as_f64().unwrap();
        assert!(
            (lp - want).abs() <= 1e-11 * want.abs().max(1.0),
            "scipy logpdf {lp} vs {want}"
        );
        let h = d.entropy().unwrap().item::<f64>();
        let want = c["scipy_entropy"].as_f64().unwrap();
        assert!(
            (h - want).abs() <= 1e-11 * want.abs().max(1.0),
            "scipy entropy {h} vs {want}"
        );
    }
}

#[test]
fn kl_matches_pytorch() {
    let r = reference();
    for c in r["kl"].as_array().unwrap() {
        let name = c["pair"].as_str().unwrap();
        let p = build(name, &c["p"]);
        let q = build(name, &c["q"]);
        let got = kl_divergence(p.as_ref(), q.as_ref()).unwrap();
        assert_close(&format!("KL {name}"), &got, &tensor(&c["kl"]), 1e-12, 1e-12);
    }
}

#[test]
fn messages_match_pytorch() {
    use tessera_core::tensor;
    use tessera_distributions::*;
    let r = reference();
    let e = &r["errors"];
    let msg = |k: &str| e[k].as_str().unwrap().to_string();
    // Everything up to the printed values is PyTorch's text.
    let head = |s: &str| s.split("found invalid values").next().unwrap().to_string();
    let got = Normal::new(&tensor!([0.0, 0.0]), &tensor!([1.0, -1.0]))
        .unwrap_err()
        .to_string();
    assert_eq!(head(&got), head(&msg("normal_scale")));
    assert!(got.ends_with("tensor([ 1., -1.])"), "{got}");
    let g = Gamma::new(&tensor!(1.0), &tensor!(1.0)).unwrap();
    let got = g.log_prob(&tensor!([-1.0])).unwrap_err().to_string();
    assert_eq!(head(&got), head(&msg("gamma_value")));
    let cov = tessera_core::Tensor::eye(3);
    let m = MultivariateNormal::new(&tensor!([1.0, -1.0, 0.5]), Some(&cov), None, None).unwrap();
    assert_eq!(
        m.log_prob(&tensor!([1.0, 2.0])).unwrap_err().to_string(),
        msg("event_shape")
    );
    let n = Normal::new(&tensor!([0.0, 0.0]), &tensor!([1.0, 1.0])).unwrap();
    assert_eq!(
        n.log_prob(&tensor!([1.0, 2.0, 3.0]))
            .unwrap_err()
            .to_string(),
        msg("broadcast")
    );
    let w = Wishart::new(&tensor!(1.5), Some(&cov), None, None)
        .unwrap_err()
        .to_string();
    assert_eq!(w, msg("wishart_df"));
    let w = MultivariateNormal::new(&tensor!([1.0, -1.0, 0.5]), None, None, None).unwrap_err();
    assert_eq!(w.to_string(), msg("mvn_exactly_one"));
    let w = Wishart::new(&tensor!(4.0), Some(&cov), None, Some(&cov)).unwrap_err();
    assert_eq!(w.to_string(), msg("mvn_exactly_one"));
    let u = Uniform::new(&tensor!(1.0), &tensor!(1.0))
        .unwrap_err()
        .to_string();
    assert_eq!(head(&u), head(&msg("uniform_low_high")));
    let b = Bernoulli::new_with(Some(&tensor!(0.5)), Some(&tensor!(0.0)), true).unwrap_err();
    assert_eq!(b.to_string(), msg("bernoulli_both"));
    let b = Bernoulli::new_with(None, None, true).unwrap_err();
    assert_eq!(b.to_string(), msg("bernoulli_both"));
    let d = Dirichlet::new(&tensor!(1.0)).unwrap_err().to_string();
    assert_eq!(d, msg("dirichlet_0dim"));
}
