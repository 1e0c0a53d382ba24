mod common;

use common::*;
use serde_json::Value;
use tessera_core::{DType, Tensor};
use tessera_linalg::matrix_exp;

struct Case {
    name: String,
    n: usize,
    a: Vec<f64>,
    expm: Vec<f64>,
    cond: f64,
}

/// The cases written by `scripts/make_linalg_data.py` (mpmath at 60 digits).
fn cases() -> Vec<Case> {
    let text = include_str!("data/matrix_exp.json");
    let v: Value = serde_json::from_str(text).unwrap();
    let f = |x: &Value| -> Vec<f64> {
        x.as_array()
            .unwrap()
            .iter()
            .map(|y| y.as_f64().unwrap())
            .collect()
    };
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_string(),
            n: c["n"].as_u64().unwrap() as usize,
            a: f(&c["a"]),
            expm: f(&c["expm"]),
            cond: c["cond"].as_f64().unwrap(),
        })
        .collect()
}

fn rel_err(got: &[f64], want: &[f64]) -> f64 {
    fro_diff(got, want) / fro(want)
}

#[test]
fn f64_matches_high_precision_reference() {
    let cases = cases();
    assert!(cases.len() >= 15);
    for c in &cases {
        let got = vals(&matrix_exp(&t64(c.a.clone(), &[c.n, c.n])));
        let err = rel_err(&got, &c.expm);
        // Relative error ~ cond(exp, A) * eps (measured worst ratio ~0.3).
        let tol = 5.0 * c.cond.max(1.0) * f64::EPSILON;
        assert!(err <= tol, "{}: relative error {err:e} > {tol:e}", c.name);
    }
}

#[test]
fn f32_matches_high_precision_reference() {
    for c in &cases() {
        let a = t64(c.a.clone(), &[c.n, c.n]).to_dtype(DType::F32);
        let e = matrix_exp(&a);
        assert_eq!(e.dtype(), DType::F32);
        let err = rel_err(&vals(&e), &c.expm);
        // Measured worst ratio err / (cond eps) ~1.04 (medium_16). Where cond * eps
        // approaches 1 the bound says nothing (upper_large_offdiag: cond 1.6e7, bound 9.3),
        // so it is capped at 1e-3 (that case measures 2.1e-4).
        let tol = (5.0 * c.cond.max(1.0) * f32::EPSILON as f64).min(1e-3);
        assert!(err <= tol, "{}: relative error {err:e} > {tol:e}", c.name);
    }
}

#[test]
fn batched_equals_one_by_one() {
    // Stack every 2x2 case into one batch of shape (k, 1, 2, 2).
    let cs: Vec<Case> = cases().into_iter().filter(|c| c.n == 2).collect();
    let data: Vec<f64> = cs.iter().flat_map(|c| c.a.clone()).collect();
    let e = vals(&matrix_exp(&t64(data, &[cs.len(), 1, 2, 2])));
    for (i, c) in cs.iter().enumerate() {
        let one = vals(&matrix_exp(&t64(c.a.clone(), &[2, 2])));
        assert_eq!(&e[i * 4..i * 4 + 4], &one[..], "{}", c.name);
    }
    // A large batch of small matrices (the parallel path) too.
    let mut rng = Rng::new(7);
    let n = 5;
    let a = rng.vec(2000 * n * n);
    let e = vals(&matrix_exp(&t64(a.clone(), &[2000, n, n])));
    for i in [0usize, 777, 1999] {
        let one = vals(&matrix_exp(&t64(a[i * 25..(i + 1) * 25].to_vec(), &[n, n])));
        assert_eq!(&e[i * 25..(i + 1) * 25], &one[..]);
    }
}

#[test]
fn identities() {
    let mut rng = Rng::new(8);
    // 100: the parallel (row-split) products.
    for &n in &[3usize, 12, 33, 100] {
        let a: Vec<f64> = rng.vec(n * n).iter().map(|x| x * 3.0).collect();
        let neg: Vec<f64> = a.iter().map(|x| -x).collect();
        let e = vals(&matrix_exp(&t64(a.clone(), &[n, n])));
        let en = vals(&matrix_exp(&t64(neg, &[n, n])));
        // exp(A) exp(-A) = I
        let r = fro_diff(&matmul(&e, &en, n, n, n), &eye(n));
        assert!(r < 1e-10 * fro(&e) * fro(&en), "n={n}: {r:e}");
        // exp(A^T) = exp(A)^T, through a non-contiguous view.
        let et = vals(&matrix_exp(&t64(a.clone(), &[n, n]).mt()));
        assert!(rel_err(&et, &transpose(&e, n, n)) < 1e-14, "n={n}");
        // exp(A / 2)^2 = exp(A)
        let half: Vec<f64> = a.iter().map(|x| x / 2.0).collect();
        let eh = vals(&matrix_exp(&t64(half, &[n, n])));
        assert!(rel_err(&matmul(&eh, &eh, n, n, n), &e) < 1e-12, "n={n}");
    }
}

#[test]
fn nan_and_inf_give_nan() {
    for &n in &[2usize, 20] {
        for bad in [f64::NAN, f64::INFINITY] {
            let mut a = eye(n);
            a[1] = bad;
            // Element 0 is fine, element 1 has the bad entry: only element 1 is NaN.
            let mut data = eye(n);
            data.extend(a);
            let e = vals(&matrix_exp(&t64(data, &[2, n, n])));
            assert!(e[n * n..].iter().all(|x| x.is_nan()), "n={n} {bad}");
            assert!(e[..n * n].iter().all(|x| x.is_finite()));
        }
    }
}

#[test]
fn zero_sizes() {
    let e = matrix_exp(&Tensor::zeros_dtype(&[0, 4, 4], DType::F64));
    assert_eq!(e.shape(), &[0, 4, 4]);
    let e = matrix_exp(&Tensor::zeros_dtype(&[3, 0, 0], DType::F32));
    assert_eq!(e.shape(), &[3, 0, 0]);
}

#[test]
#[should_panic(
    expected = "linalg.matrix_exp: A must be batches of square matrices, but they are 2 by 3 matrices"
)]
fn non_square_panics() {
    matrix_exp(&Tensor::zeros_dtype(&[2, 3], DType::F64));
}
