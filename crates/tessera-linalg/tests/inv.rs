mod common;

use common::*;
use tessera_core::{DType, Tensor};
use tessera_linalg::{inv, inv_ex, lu_factor_ex};

/// ||A X - I||_F / (||A||_F ||X||_F) for each matrix of a batch.
fn residuals(a: &[f64], x: &[f64], n: usize) -> Vec<f64> {
    if n == 0 {
        return vec![];
    }
    a.chunks(n * n)
        .zip(x.chunks(n * n))
        .map(|(a, x)| fro_diff(&matmul(a, x, n, n, n), &eye(n)) / (fro(a) * fro(x)))
        .collect()
}

#[test]
fn residual_is_small_relative_to_the_condition_number() {
    let mut rng = Rng::new(1);
    // 127-130 and 200: around the LU's 128-column panels and the inverse's column
    // blocks, partial ones included.
    for &n in &[1usize, 2, 3, 5, 8, 16, 17, 40, 127, 129, 130, 200] {
        for &cond in &[1.0, 1e4, 1e10] {
            let a = with_cond(&mut rng, n, cond);
            let x = vals(&inv(&t64(a.clone(), &[n, n])).unwrap());
            // Backward stability: the residual is O(n eps) relative to ||A|| ||X||,
            // hence O(n eps cond) relative to 1.
            let r = residuals(&a, &x, n)[0];
            assert!(
                r < 10.0 * n as f64 * f64::EPSILON,
                "n={n} cond={cond}: {r:e}"
            );
            let abs = fro_diff(&matmul(&a, &x, n, n, n), &eye(n));
            assert!(
                abs < 10.0 * (n as f64).powf(1.5) * f64::EPSILON * cond,
                "n={n} cond={cond}: {abs:e}"
            );
        }
    }
}

#[test]
fn f32_residuals() {
    let mut rng = Rng::new(2);
    for &n in &[4usize, 8, 16, 50] {
        let a = with_cond(&mut rng, n, 100.0);
        let t = t64(a.clone(), &[n, n]).to_dtype(DType::F32);
        let (x, info) = inv_ex(&t, true).unwrap();
        assert_eq!(x.dtype(), DType::F32);
        assert_eq!(info.item::<i32>(), 0);
        let a32 = vals(&t);
        let r = residuals(&a32, &vals(&x), n)[0];
        assert!(r < 10.0 * n as f64 * f32::EPSILON as f64, "n={n}: {r:e}");
    }
}

#[test]
fn batched_small_matrices_match_one_by_one() {
    let mut rng = Rng::new(3);
    let (b, n) = (300, 6);
    let a = rng.vec(b * n * n);
    let (x, info) = inv_ex(&t64(a.clone(), &[3, 100, n, n]), false).unwrap();
    assert_eq!(x.shape(), &[3, 100, n, n]);
    assert_eq!(info.shape(), &[3, 100]);
    assert!(info.to_vec::<i32>().iter().all(|&k| k == 0));
    let xs = vals(&x);
    for (i, r) in residuals(&a, &xs, n).iter().enumerate() {
        let one = vals(&inv(&t64(a[i * n * n..(i + 1) * n * n].to_vec(), &[n, n])).unwrap());
        assert_eq!(
            &xs[i * n * n..(i + 1) * n * n],
            &one[..],
            "batch element {i}"
        );
        assert!(*r < 1e-13, "{i}: {r}");
    }
}

/// Matrices whose LU hits an exact zero at a known step.
fn singular_cases(n: usize) -> Vec<(Vec<f64>, i32)> {
    let mut out = vec![];
    // Zero matrix: U[0,0] == 0.
    out.push((vec![0.0; n * n], 1));
    // Last row = 2 * first row: the last pivot vanishes exactly (entries are small
    // integers, so elimination is exact).
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            m[i * n + j] = if i == j {
                4.0
            } else if j > i {
                1.0
            } else {
                0.0
            };
        }
    }
    for j in 0..n {
        m[(n - 1) * n + j] = 2.0 * m[j];
    }
    out.push((m, n as i32));
    // A zero column k: U[k,k] is the first zero pivot.
    let k = n / 2;
    let mut m = eye(n);
    m[k * n + k] = 0.0;
    out.push((m, k as i32 + 1));
    out
}

#[test]
fn info_reports_exactly_singular_matrices_inside_a_batch() {
    for &n in &[3usize, 8, 16, 20, 70] {
        let mut rng = Rng::new(4 + n as u64);
        let mut data = vec![];
        let mut expect = vec![];
        for (m, k) in singular_cases(n) {
            data.extend(with_cond(&mut rng, n, 10.0));
            expect.push(0);
            data.extend(m);
            expect.push(k);
        }
        let count = expect.len();
        let a = t64(data.clone(), &[count, n, n]);
        let (x, info) = inv_ex(&a, false).unwrap();
        assert_eq!(info.to_vec::<i32>(), expect, "n = {n}");
        assert_eq!(info.dtype(), DType::I32);
        // Agrees with lu_factor_ex's info.
        assert_eq!(lu_factor_ex(&a, false).unwrap().2.to_vec::<i32>(), expect);
        let xs = vals(&x);
        for (i, &k) in expect.iter().enumerate() {
            let block = &xs[i * n * n..(i + 1) * n * n];
            if k == 0 {
                let r = residuals(&data[i * n * n..(i + 1) * n * n], block, n)[0];
                assert!(r < 1e-13, "n={n} element {i}: {r}");
            } else {
                // As PyTorch: the solves divide by the zero pivot.
                assert!(block.iter().any(|v| !v.is_finite()), "n={n} element {i}");
            }
        }
        // check_errors names the first singular batch element (index 1).
        let err = inv_ex(&a, true).unwrap_err().to_string();
        assert!(
            err.contains("linalg.inv_ex") && err.contains("(Batch element 1)"),
            "{err}"
        );
        let err = inv(&a).unwrap_err().to_string();
        assert!(
            err.contains("(Batch element 1): The diagonal element 1 is zero"),
            "{err}"
        );
    }
}

#[test]
fn nan_inputs_give_nan_and_do_not_hang() {
    for &n in &[2usize, 5, 30] {
        let mut a = eye(n);
        a[n + 1] = f64::NAN;
        let (x, info) = inv_ex(&t64(a, &[n, n]), false).unwrap();
        assert!(vals(&x).iter().any(|v| v.is_nan()), "n = {n}");
        // info only reports exact zeros, as in PyTorch.
        assert_eq!(info.item::<i32>(), 0);
        let mut a = eye(n);
        a[0] = f64::INFINITY;
        // diag(inf, 1, ..., 1)^-1 = diag(0, 1, ..., 1) (1 / inf = 0), as in PyTorch.
        let (x, info) = inv_ex(&t64(a, &[n, n]), false).unwrap();
        let mut expect = eye(n);
        expect[0] = 0.0;
        assert_eq!(vals(&x), expect, "n = {n}");
        assert_eq!(info.item::<i32>(), 0);
    }
}

#[test]
fn zero_sizes() {
    let (x, info) = inv_ex(&Tensor::zeros_dtype(&[0, 3, 3], DType::F64), true).unwrap();
    assert_eq!(
        (x.shape(), info.shape()),
        (&[0usize, 3, 3][..], &[0usize][..])
    );
    let (x, info) = inv_ex(&Tensor::zeros_dtype(&[2, 0, 0], DType::F32), true).unwrap();
    assert_eq!(
        (x.shape(), info.to_vec::<i32>()),
        (&[2usize, 0, 0][..], vec![0, 0])
    );
}

#[test]
fn non_contiguous_input() {
    let mut rng = Rng::new(5);
    for &n in &[4usize, 24] {
        let a = rng.vec(2 * n * n);
        let t = t64(a.clone(), &[2, n, n]).mt();
        assert!(!t.is_contiguous());
        let x = vals(&inv(&t).unwrap());
        for b in 0..2 {
            let at = transpose(&a[b * n * n..(b + 1) * n * n], n, n);
            let r = residuals(&at, &x[b * n * n..(b + 1) * n * n], n)[0];
            assert!(r < 1e-13, "{r}");
        }
    }
}

#[test]
#[should_panic(
    expected = "linalg.inv: Expected a floating point or complex tensor as input. Got Long"
)]
fn integer_input_panics() {
    let _ = inv(&Tensor::from_vec(vec![1i64, 0, 0, 1], &[2, 2]));
}

#[test]
#[should_panic(
    expected = "linalg.inv: A must be batches of square matrices, but they are 3 by 2 matrices"
)]
fn non_square_panics() {
    let _ = inv(&Tensor::zeros_dtype(&[3, 2], DType::F64));
}

#[test]
#[should_panic(expected = "linalg.inv_ex: The input tensor A must have at least 2 dimensions")]
fn rank_one_panics() {
    let _ = inv_ex(&Tensor::zeros_dtype(&[3], DType::F64), false);
}

/// Singular matrices against LAPACK (`getrf` + `getrs` through scipy, as PyTorch's
/// `inv_ex` does): same LU, pivots and info, and the same inf/NaN pattern in the
/// "inverse". Data: `scripts/make_linalg_data.py`.
#[test]
fn singular_matrices_match_lapack() {
    let v: serde_json::Value = serde_json::from_str(include_str!("data/singular_lu.json")).unwrap();
    let num = |x: &serde_json::Value| -> f64 {
        match x.as_str() {
            Some(s) => s.parse::<f64>().unwrap(),
            None => x.as_f64().unwrap(),
        }
    };
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let n = c["n"].as_u64().unwrap() as usize;
        let a: Vec<f64> = c["a"].as_array().unwrap().iter().map(num).collect();
        let want_lu: Vec<f64> = c["lu"].as_array().unwrap().iter().map(num).collect();
        let want_inv: Vec<f64> = c["inv"].as_array().unwrap().iter().map(num).collect();
        let want_piv: Vec<i32> = c["pivots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_i64().unwrap() as i32)
            .collect();
        let want_info = c["info"].as_i64().unwrap() as i32;
        let t = t64(a, &[n, n]);
        let (lu, piv, info) = lu_factor_ex(&t, false).unwrap();
        assert_eq!(info.item::<i32>(), want_info, "{name}");
        assert_eq!(piv.to_vec::<i32>(), want_piv, "{name}");
        let lu = vals(&lu);
        for (g, w) in lu.iter().zip(&want_lu) {
            assert!(
                (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                "{name}: LU {g} vs {w}"
            );
        }
        let (x, info) = inv_ex(&t, false).unwrap();
        assert_eq!(info.item::<i32>(), want_info, "{name}");
        for (i, (g, w)) in vals(&x).iter().zip(&want_inv).enumerate() {
            let same = if w.is_finite() {
                (g - w).abs() <= 1e-10 * w.abs().max(1.0)
            } else {
                g.is_nan() == w.is_nan() && (w.is_nan() || g == w)
            };
            assert!(same, "{name}: inverse entry {i}: {g} vs {w}");
        }
    }
}

#[test]
fn buffers_kept_from_a_nan_matrix_do_not_leak_into_the_next_call() {
    // The large path keeps its scratch buffers (LU copy, padding included) and reuses
    // dropped outputs. After a call on a NaN matrix, a call on an ordinary matrix of the
    // same (odd, padded) size must not see any of it.
    let mut rng = Rng::new(5);
    for &n in &[129usize, 300] {
        let bad = t64(vec![f64::NAN; n * n], &[n, n]);
        let (x, _) = inv_ex(&bad, false).unwrap();
        assert!(vals(&x).iter().all(|v| v.is_nan()));
        let b = t64(vec![f64::NAN; n * 3], &[n, 3]);
        let _ = tessera_linalg::solve_ex(&bad, &b, true, false).unwrap();
        drop(x);
        let a = with_cond(&mut rng, n, 10.0);
        let x = vals(&inv(&t64(a.clone(), &[n, n])).unwrap());
        let r = residuals(&a, &x, n)[0];
        assert!(r < 10.0 * n as f64 * f64::EPSILON, "n={n}: {r:e}");
        let rhs: Vec<f64> = (0..n * 3).map(|i| (i % 7) as f64 - 3.0).collect();
        let sol = vals(
            &tessera_linalg::solve(&t64(a.clone(), &[n, n]), &t64(rhs.clone(), &[n, 3]), true)
                .unwrap(),
        );
        let ax = matmul(&a, &sol, n, n, 3);
        assert!(fro_diff(&ax, &rhs) < 1e-9 * fro(&rhs), "solve n={n}");
    }
}
