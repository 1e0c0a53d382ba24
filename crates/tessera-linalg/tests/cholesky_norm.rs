mod common;

use common::*;
use tessera_core::{DType, Tensor};
use tessera_linalg::{cholesky, cholesky_ex, cond, inv, matrix_norm, NormOrd};

/// A random symmetric positive-definite matrix: B B^T + n I.
fn spd(rng: &mut Rng, n: usize) -> Vec<f64> {
    let b = rng.vec(n * n);
    let mut a = matmul(&b, &transpose(&b, n, n), n, n, n);
    for i in 0..n {
        a[i * n + i] += n as f64;
    }
    a
}

#[test]
fn cholesky_reconstructs_spd_matrices() {
    let mut rng = Rng::new(21);
    for &n in &[1usize, 2, 7, 16, 17, 64, 150] {
        let a = spd(&mut rng, n);
        for dt in [DType::F64, DType::F32] {
            let t = t64(a.clone(), &[n, n]).to_dtype(dt);
            let a_dt = vals(&t);
            let eps = if dt == DType::F64 {
                f64::EPSILON
            } else {
                f32::EPSILON as f64
            };
            let l = vals(&cholesky(&t, false).unwrap());
            // Lower triangular, positive diagonal, L L^T = A.
            for i in 0..n {
                assert!(l[i * n + i] > 0.0);
                assert!(
                    l[i * n + i + 1..(i + 1) * n].iter().all(|&x| x == 0.0),
                    "n={n}"
                );
            }
            let r = fro_diff(&matmul(&l, &transpose(&l, n, n), n, n, n), &a_dt) / fro(&a_dt);
            assert!(r < 10.0 * n as f64 * eps, "n={n} {dt}: {r:e}");
            // upper = true gives L^T.
            let u = vals(&cholesky(&t, true).unwrap());
            assert_eq!(u, transpose(&l, n, n), "n={n} {dt}");
        }
    }
}

#[test]
fn cholesky_reads_one_triangle() {
    let mut rng = Rng::new(22);
    let n = 5;
    let a = spd(&mut rng, n);
    let l = vals(&cholesky(&t64(a.clone(), &[n, n]), false).unwrap());
    // Garbage above the diagonal does not matter for upper = false ...
    let mut g = a.clone();
    for i in 0..n {
        for j in i + 1..n {
            g[i * n + j] = 1e6;
        }
    }
    assert_eq!(vals(&cholesky(&t64(g, &[n, n]), false).unwrap()), l);
    // ... nor below it for upper = true.
    let mut g = a.clone();
    for i in 0..n {
        for j in 0..i {
            g[i * n + j] = -1e6;
        }
    }
    assert_eq!(
        vals(&cholesky(&t64(g, &[n, n]), true).unwrap()),
        transpose(&l, n, n)
    );
}

#[test]
fn cholesky_info_for_non_positive_definite_matrices() {
    let mut rng = Rng::new(23);
    for &n in &[4usize, 16, 40, 200] {
        // SPD except that the leading minor of order k is made indefinite by a
        // negative diagonal entry at k-1 on an otherwise diagonal matrix; and a NaN.
        let k = n / 2 + 1;
        let mut bad = eye(n);
        bad[(k - 1) * n + (k - 1)] = -1.0;
        let mut nan = spd(&mut rng, n);
        nan[2 * n + 2] = f64::NAN;
        // A rank-deficient PSD matrix: v v^T has a zero minor of order 2.
        let v = rng.vec(n);
        let psd = matmul(&v, &v, n, 1, n);
        let good = spd(&mut rng, n);
        let data = [good.clone(), bad, nan, psd, good].concat();
        let t = t64(data, &[5, n, n]);
        let (l, info) = cholesky_ex(&t, false, false).unwrap();
        assert_eq!(info.to_vec::<i32>(), vec![0, k as i32, 3, 2, 0], "n={n}");
        assert_eq!(l.shape(), &[5, n, n]);
        let err = cholesky(&t, false).unwrap_err().to_string();
        assert!(
            err.contains("(Batch element 1): The factorization could not be completed because the input is not positive-definite (the leading minor of order")
                && err.contains(&format!("order {k} is")),
            "{err}"
        );
    }
}

#[test]
fn cholesky_edge_cases() {
    let (l, info) = cholesky_ex(&Tensor::zeros_dtype(&[0, 3, 3], DType::F64), false, true).unwrap();
    assert_eq!(
        (l.shape(), info.shape()),
        (&[0usize, 3, 3][..], &[0usize][..])
    );
    let (l, info) = cholesky_ex(&Tensor::zeros_dtype(&[2, 0, 0], DType::F32), true, true).unwrap();
    assert_eq!(
        (l.shape(), info.to_vec::<i32>()),
        (&[2usize, 0, 0][..], vec![0, 0])
    );
}

#[test]
#[should_panic(
    expected = "linalg.cholesky: Expected a floating point or complex tensor as input. Got Int"
)]
fn cholesky_of_int_panics() {
    let _ = cholesky(&Tensor::from_vec(vec![1i32], &[1, 1]), false);
}

#[test]
fn matrix_norms_match_their_definitions() {
    let mut rng = Rng::new(24);
    let (r, c) = (3, 5);
    let a = rng.vec(2 * r * c);
    let t = t64(a.clone(), &[2, r, c]);
    for b in 0..2 {
        let m = &a[b * r * c..(b + 1) * r * c];
        let col = |j: usize| (0..r).map(|i| m[i * c + j].abs()).sum::<f64>();
        let row = |i: usize| (0..c).map(|j| m[i * c + j].abs()).sum::<f64>();
        let cols: Vec<f64> = (0..c).map(col).collect();
        let rows: Vec<f64> = (0..r).map(row).collect();
        let max = |v: &[f64]| v.iter().cloned().fold(f64::MIN, f64::max);
        let min = |v: &[f64]| v.iter().cloned().fold(f64::MAX, f64::min);
        let close = |ord, want: f64| {
            let got = vals(&matrix_norm(&t, ord))[b];
            assert!(
                (got - want).abs() <= 1e-14 * want.abs(),
                "{ord:?}: {got} vs {want}"
            );
        };
        close(NormOrd::Fro, fro(m));
        close(NormOrd::One, max(&cols));
        close(NormOrd::NegOne, min(&cols));
        close(NormOrd::Inf, max(&rows));
        close(NormOrd::NegInf, min(&rows));
    }
    // 2-norm, -2 and nuclear norms: matrices built from known singular values, wide and
    // tall, in one batch.
    let sigma = [[2.5, 1.25, 0.3], [4.0, 0.5, 0.125]];
    for (r, c) in [(3, 5), (5, 3)] {
        let a: Vec<f64> = sigma
            .iter()
            .flat_map(|s| with_singular_values(&mut rng, r, c, s))
            .collect();
        let t = t64(a, &[2, r, c]);
        for (b, s) in sigma.iter().enumerate() {
            let near = |ord, want: f64| {
                let got = vals(&matrix_norm(&t, ord))[b];
                assert!(
                    (got - want).abs() <= 1e-13 * want,
                    "{ord:?} of {r}x{c}: {got} vs {want}"
                );
            };
            near(NormOrd::Two, s[0]);
            near(NormOrd::NegTwo, s[2]);
            near(NormOrd::Nuc, s.iter().sum());
        }
    }
    // Fro does not overflow before the result does.
    let big = t64(vec![1e200, 1e200, 0.0, 0.0], &[2, 2]);
    assert!(
        (vals(&matrix_norm(&big, NormOrd::Fro))[0] / (1e200 * 2f64.sqrt()) - 1.0).abs() < 1e-15
    );
    // NaN propagates.
    let nan = t64(vec![1.0, f64::NAN, 0.0, 0.0], &[2, 2]);
    for ord in [NormOrd::Fro, NormOrd::One, NormOrd::Inf, NormOrd::Two] {
        assert!(vals(&matrix_norm(&nan, ord))[0].is_nan(), "{ord:?}");
    }
}

#[test]
fn two_norm_of_a_diagonal_and_cond() {
    // diag(3, -7, 0.5): sigma = (7, 3, 0.5).
    let d = t64(vec![3.0, 0.0, 0.0, 0.0, -7.0, 0.0, 0.0, 0.0, 0.5], &[3, 3]);
    let close = |x: f64, y: f64| assert!((x - y).abs() < 1e-13 * y.abs(), "{x} vs {y}");
    close(vals(&matrix_norm(&d, NormOrd::Two))[0], 7.0);
    close(vals(&matrix_norm(&d, NormOrd::NegTwo))[0], 0.5);
    close(vals(&matrix_norm(&d, NormOrd::Nuc))[0], 10.5);
    close(vals(&cond(&d, NormOrd::Two))[0], 14.0);
    // cond_p = ||A||_p ||A^-1||_p for the other norms.
    let mut rng = Rng::new(25);
    let a = t64(with_cond(&mut rng, 6, 1e3), &[6, 6]);
    let ai = inv(&a).unwrap();
    for ord in [NormOrd::Fro, NormOrd::One, NormOrd::Inf] {
        let want = vals(&matrix_norm(&a, ord))[0] * vals(&matrix_norm(&ai, ord))[0];
        close(vals(&cond(&a, ord))[0], want);
    }
    close(vals(&cond(&a, NormOrd::Two))[0], 1e3);
    // Singular: inf.
    let s = t64(vec![1.0, 2.0, 2.0, 4.0], &[2, 2]);
    assert_eq!(vals(&cond(&s, NormOrd::One))[0], f64::INFINITY);
}

#[test]
#[should_panic(
    expected = "linalg.matrix_norm: The input tensor A must have at least 2 dimensions (got shape [3])."
)]
fn matrix_norm_of_a_vector_panics() {
    matrix_norm(&t64(vec![1.0, 2.0, 3.0], &[3]), NormOrd::Fro);
}

#[test]
#[should_panic(
    expected = "linalg.matrix_norm: Expected a floating point or complex tensor as input. Got Int"
)]
fn matrix_norm_of_ints_panics() {
    matrix_norm(&Tensor::from_vec(vec![1i32; 4], &[2, 2]), NormOrd::One);
}

/// The 1-norm is a maximum over columns: a matrix with no columns has none (PyTorch
/// refuses it too); Fro and Nuc of an empty matrix are 0.
#[test]
#[should_panic(
    expected = "linalg.matrix_norm: cannot compute the One norm of an empty matrix (shape [3, 0])"
)]
fn matrix_norm_one_of_a_matrix_without_columns_panics() {
    let empty = Tensor::zeros_dtype(&[3, 0], DType::F64);
    assert_eq!(vals(&matrix_norm(&empty, NormOrd::Fro)), vec![0.0]);
    assert_eq!(vals(&matrix_norm(&empty, NormOrd::Nuc)), vec![0.0]);
    matrix_norm(&empty, NormOrd::One);
}

#[test]
#[should_panic(expected = "linalg.cond: A must be batches of square matrices, but they are 2 by 3")]
fn cond_of_a_rectangular_matrix_panics() {
    cond(&Tensor::zeros_dtype(&[2, 3], DType::F64), NormOrd::Two);
}

#[test]
#[should_panic(expected = "linalg.cond: the matrices must not be empty (shape [2, 0, 0])")]
fn cond_of_empty_matrices_panics() {
    cond(&Tensor::zeros_dtype(&[2, 0, 0], DType::F64), NormOrd::Fro);
}

#[test]
#[should_panic(
    expected = "linalg.cond: Expected a floating point or complex tensor as input. Got Long"
)]
fn cond_of_ints_panics() {
    cond(&Tensor::from_vec(vec![1i64; 4], &[2, 2]), NormOrd::Inf);
}
