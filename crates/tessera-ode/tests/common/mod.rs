//! Helpers shared by the integration tests.
#![allow(dead_code)]

use tessera_core::{DType, Tensor};

/// A 1-D f64 tensor.
pub fn f64s(v: &[f64]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()])
}

/// A 0-dim f64 tensor.
pub fn scalar(v: f64) -> Tensor {
    Tensor::scalar(v).to_dtype(DType::F64)
}

/// The elements as f64.
pub fn vals(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64).to_vec::<f64>()
}

/// The least-squares slope of `log(err)` against `log(h)`: the measured order.
pub fn slope(hs: &[f64], errs: &[f64]) -> f64 {
    let x: Vec<f64> = hs.iter().map(|h| h.ln()).collect();
    let y: Vec<f64> = errs.iter().map(|e| e.ln()).collect();
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

/// The time in an error message "... at t = <time>; ..." or "... at t = <time> (...".
pub fn time_in(msg: &str) -> f64 {
    let rest = msg
        .split("at t = ")
        .nth(1)
        .unwrap_or_else(|| panic!("no time in {msg:?}"));
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .unwrap_or(rest.len());
    rest[..end]
        .parse()
        .unwrap_or_else(|e| panic!("bad time in {msg:?}: {e}"))
}
