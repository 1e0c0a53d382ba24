//! Shared helpers of the integration tests: the committed reference data
//! (scripts/make_distributions_data.py) and tensor comparison.
#![allow(dead_code)]

use serde_json::Value;
use std::sync::Arc;
use tessera_core::{DType, Tensor};
use tessera_distributions::*;

pub fn reference() -> Value {
    let s = include_str!("../data/reference.json");
    serde_json::from_str(s).expect("reference.json parses")
}

pub fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| match x {
            Value::String(s) if s == "nan" => f64::NAN,
            Value::String(s) if s == "inf" => f64::INFINITY,
            Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
            x => x.as_f64().unwrap(),
        })
        .collect();
    Tensor::from_vec(data, &shape)
}

/// Asserts `got` equals `want` (same shape, NaN where NaN, inf where inf) within
/// `rtol * |want| + atol`.
pub fn assert_close(what: &str, got: &Tensor, want: &Tensor, rtol: f64, atol: f64) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    let g = got.to_dtype(DType::F64).contiguous().to_vec::<f64>();
    let w = want.to_vec::<f64>();
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        if b.is_nan() {
            assert!(a.is_nan(), "{what}[{i}]: got {a}, want NaN");
        } else if b.is_infinite() {
            assert_eq!(a, b, "{what}[{i}]");
        } else {
            assert!(
                (a - b).abs() <= rtol * b.abs() + atol,
                "{what}[{i}]: got {a:e}, want {b:e} (diff {:e})",
                (a - b).abs()
            );
        }
    }
}

pub fn param(p: &Value, k: &str) -> Option<Tensor> {
    p.get(k).map(tensor)
}

/// Builds the distribution a reference case names.
pub fn build(name: &str, p: &Value) -> Box<dyn Distribution> {
    let g = |k: &str| param(p, k).unwrap();
    match name {
        "Normal" => Box::new(Normal::new(&g("loc"), &g("scale")).unwrap()),
        "Uniform" => Box::new(Uniform::new(&g("low"), &g("high")).unwrap()),
        "Exponential" => Box::new(Exponential::new(&g("rate")).unwrap()),
        "Gamma" => Box::new(Gamma::new(&g("concentration"), &g("rate")).unwrap()),
        "Chi2" => Box::new(Chi2::new(&g("df")).unwrap()),
        "Beta" => Box::new(Beta::new(&g("concentration1"), &g("concentration0")).unwrap()),
        "Dirichlet" => Box::new(Dirichlet::new(&g("concentration")).unwrap()),
        "Bernoulli" => Box::new(Bernoulli::from_probs(&g("probs")).unwrap()),
        "BernoulliLogits" => Box::new(Bernoulli::from_logits(&g("logits")).unwrap()),
        "Categorical" => Box::new(Categorical::from_probs(&g("probs")).unwrap()),
        "CategoricalLogits" => Box::new(Categorical::from_logits(&g("logits")).unwrap()),
        "MultivariateNormal" => Box::new(
            MultivariateNormal::new(
                &g("loc"),
                param(p, "covariance_matrix").as_ref(),
                param(p, "precision_matrix").as_ref(),
                param(p, "scale_tril").as_ref(),
            )
            .unwrap(),
        ),
        "LogNormal" => Box::new(LogNormal::new(&g("loc"), &g("scale")).unwrap()),
        "IndependentNormal" => Box::new(
            Independent::new(Arc::new(Normal::new(&g("loc"), &g("scale")).unwrap()), 1).unwrap(),
        ),
        "Wishart" => Box::new(
            Wishart::new(
                &g("df"),
                param(p, "covariance_matrix").as_ref(),
                param(p, "precision_matrix").as_ref(),
                param(p, "scale_tril").as_ref(),
            )
            .unwrap(),
        ),
        n => panic!("unknown distribution {n}"),
    }
}
