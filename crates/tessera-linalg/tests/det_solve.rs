mod common;

use common::*;
use tessera_core::{DType, Tensor};
use tessera_linalg::{det, lu_factor, lu_factor_ex, slogdet, solve, solve_ex};

/// An upper-triangular matrix with the given diagonal (LU needs no pivoting: U = A),
/// so det = prod(diag) exactly in the sense of the identity.
fn triangular(rng: &mut Rng, diag: &[f64]) -> Vec<f64> {
    let n = diag.len();
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        a[i * n + i] = diag[i];
        for j in i + 1..n {
            a[i * n + j] = rng.uniform();
        }
    }
    a
}

#[test]
fn det_sign_and_slogdet_for_determinants_that_overflow() {
    let mut rng = Rng::new(11);
    for &n in &[10usize, 200] {
        // |d_i| in [4, 8): det ~ 5^n overflows f64 for n = 200 (and f32 for n >= 60).
        let diag: Vec<f64> = (0..n)
            .map(|i| (5.0 + 2.0 * rng.uniform()) * if i % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        let want_log: f64 = diag.iter().map(|d| d.abs().ln()).sum();
        let negatives = diag.iter().filter(|d| **d < 0.0).count();
        let want_sign = if negatives % 2 == 0 { 1.0 } else { -1.0 };
        let mut a = triangular(&mut rng, &diag);
        // Swap two rows: the sign flips, |det| stays.
        for j in 0..n {
            a.swap(j, (n - 1) * n + j);
        }
        let t = t64(a, &[n, n]);
        for dt in [DType::F64, DType::F32] {
            let t = t.to_dtype(dt);
            let (s, l) = slogdet(&t);
            assert_eq!(s.dtype(), dt);
            assert_eq!(vals(&s)[0], -want_sign, "n={n} {dt}");
            let eps = if dt == DType::F64 {
                f64::EPSILON
            } else {
                f32::EPSILON as f64
            };
            let tol = 10.0 * n as f64 * eps * want_log.abs().max(1.0);
            assert!(
                (vals(&l)[0] - want_log).abs() < tol,
                "n={n} {dt}: {} vs {want_log}",
                vals(&l)[0]
            );
            let d = vals(&det(&t))[0];
            if want_log
                > (if dt == DType::F64 {
                    f64::MAX.ln()
                } else {
                    f32::MAX.ln() as f64
                })
            {
                // Overflows, with the right sign.
                assert_eq!(d, -want_sign * f64::INFINITY, "n={n} {dt}");
            } else {
                assert!((d.abs().ln() - want_log).abs() < tol && d.signum() == -want_sign);
            }
        }
    }
}

#[test]
fn det_of_a_product_and_of_singular_matrices() {
    let mut rng = Rng::new(12);
    for &n in &[3usize, 9, 16, 31, 100] {
        let a = rng.vec(n * n);
        let b = rng.vec(n * n);
        let ab = matmul(&a, &b, n, n, n);
        let d = vals(&det(&t64([a.clone(), b, ab].concat(), &[3, n, n])));
        assert!(
            (d[2] - d[0] * d[1]).abs() <= 1e-11 * (d[0] * d[1]).abs(),
            "n={n}: {d:?}"
        );
        // Exactly singular: det 0, slogdet (0, -inf), also for faer's path (n > 16).
        let mut s = a.clone();
        for j in 0..n {
            s[(n - 1) * n + j] = 0.0;
        }
        let t = t64(s, &[n, n]);
        assert_eq!(vals(&det(&t)), vec![0.0], "n={n}");
        let (sg, l) = slogdet(&t);
        assert_eq!((vals(&sg)[0], vals(&l)[0]), (0.0, f64::NEG_INFINITY));
    }
}

#[test]
fn det_edge_cases() {
    // 0x0: det 1, slogdet (1, 0); empty batch: empty result.
    assert_eq!(
        vals(&det(&Tensor::zeros_dtype(&[2, 0, 0], DType::F64))),
        vec![1.0, 1.0]
    );
    let (s, l) = slogdet(&Tensor::zeros_dtype(&[0, 0], DType::F32));
    assert_eq!((vals(&s), vals(&l)), (vec![1.0], vec![0.0]));
    assert_eq!(
        det(&Tensor::zeros_dtype(&[0, 5, 5], DType::F64)).shape(),
        &[0]
    );
    // NaN: det NaN, slogdet (0, NaN) as PyTorch.
    let t = t64(vec![1.0, f64::NAN, 3.0, 4.0], &[2, 2]);
    assert!(vals(&det(&t))[0].is_nan());
    let (s, l) = slogdet(&t);
    assert!(vals(&s)[0] == 0.0 && vals(&l)[0].is_nan());
    // Transposed view: det(A^T) = det(A).
    let mut rng = Rng::new(13);
    let a = t64(rng.vec(2 * 36), &[2, 6, 6]);
    let (d, dt) = (vals(&det(&a)), vals(&det(&a.mt())));
    for (x, y) in d.iter().zip(&dt) {
        assert!((x - y).abs() < 1e-14 * x.abs().max(1.0));
    }
}

#[test]
#[should_panic(expected = "linalg.det: The input tensor A must have at least 2 dimensions")]
fn det_of_a_vector_panics() {
    det(&Tensor::zeros_dtype(&[3], DType::F64));
}

#[test]
fn lu_factor_reconstructs_a() {
    let mut rng = Rng::new(14);
    // 150 and 200: several 64-column panels of the blocked LU, the last one partial.
    for &n in &[4usize, 16, 50, 150, 200] {
        let a = rng.vec(2 * n * n);
        let (lu, piv) = lu_factor(&t64(a.clone(), &[2, n, n])).unwrap();
        assert_eq!(piv.dtype(), DType::I32);
        assert_eq!(piv.shape(), &[2, n]);
        let (lu, piv) = (vals(&lu), piv.to_vec::<i32>());
        for b in 0..2 {
            let f = &lu[b * n * n..(b + 1) * n * n];
            let (mut l, mut u) = (eye(n), vec![0.0; n * n]);
            for i in 0..n {
                for j in 0..n {
                    if j < i {
                        l[i * n + j] = f[i * n + j];
                    } else {
                        u[i * n + j] = f[i * n + j];
                    }
                }
            }
            // Apply the 1-based swaps to A's rows: P^T A = L U.
            let mut pa = a[b * n * n..(b + 1) * n * n].to_vec();
            for (k, &p) in piv[b * n..(b + 1) * n].iter().enumerate() {
                let p = p as usize - 1;
                assert!(p >= k && p < n);
                for j in 0..n {
                    pa.swap(k * n + j, p * n + j);
                }
            }
            let r = fro_diff(&matmul(&l, &u, n, n, n), &pa) / fro(&pa);
            assert!(r < 1e-14, "n={n}: {r:e}");
            // Partial pivoting: |L| <= 1.
            assert!(l.iter().all(|x| x.abs() <= 1.0));
        }
    }
    // Singular: lu_factor refuses, lu_factor_ex reports.
    let s = t64(vec![1.0, 2.0, 2.0, 4.0], &[2, 2]);
    assert!(lu_factor(&s)
        .unwrap_err()
        .to_string()
        .contains("U[2,2] is zero"));
    assert_eq!(lu_factor_ex(&s, false).unwrap().2.item::<i32>(), 2);
}

fn check_solution(a: &[f64], x: &[f64], b: &[f64], n: usize, m: usize, left: bool) {
    let ax = if left {
        matmul(a, x, n, n, m)
    } else {
        matmul(x, a, m, n, n)
    };
    let r = fro_diff(&ax, b) / (fro(a) * fro(x));
    assert!(r < 1e-14, "n={n} m={m} left={left}: {r:e}");
}

#[test]
fn solve_with_many_right_hand_sides() {
    // The blocked path: several diagonal blocks and column strips, both partial.
    let mut rng = Rng::new(16);
    // 127-129 and 300: around and past the LU's 128-column panels and the recursive
    // solves' splits; m = 1, 65, 130: partial 64-column strips of B.
    for &(n, m) in &[
        (150usize, 133usize),
        (200, 64),
        (70, 300),
        (127, 65),
        (128, 1),
        (129, 65),
        (300, 130),
    ] {
        let a = rng.vec(n * n);
        let b = rng.vec(n * m);
        let x = solve(&t64(a.clone(), &[n, n]), &t64(b.clone(), &[n, m]), true).unwrap();
        check_solution(&a, &vals(&x), &b, n, m, true);
        let x32 = solve(
            &t64(a.clone(), &[n, n]).to_dtype(DType::F32),
            &t64(b.clone(), &[n, m]).to_dtype(DType::F32),
            true,
        )
        .unwrap();
        let ax = matmul(&a, &vals(&x32.to_dtype(DType::F64)), n, n, m);
        let r = fro_diff(&ax, &b) / (fro(&a) * fro(&vals(&x32.to_dtype(DType::F64))));
        assert!(
            r < 10.0 * n as f64 * f32::EPSILON as f64,
            "f32 n={n} m={m}: {r:e}"
        );
    }
}

#[test]
fn solve_left_and_right_with_matrices_and_vectors() {
    let mut rng = Rng::new(15);
    for &n in &[1usize, 3, 16, 17, 120] {
        let a = with_cond(&mut rng, n, 1e3);
        let at = t64(a.clone(), &[n, n]);
        // Matrix right-hand side, left and right.
        let b = rng.vec(n * 4);
        let x = solve(&at, &t64(b.clone(), &[n, 4]), true).unwrap();
        assert_eq!(x.shape(), &[n, 4]);
        check_solution(&a, &vals(&x), &b, n, 4, true);
        let x = solve(&at, &t64(b.clone(), &[4, n]), false).unwrap();
        assert_eq!(x.shape(), &[4, n]);
        check_solution(&a, &vals(&x), &b, n, 4, false);
        // Vector right-hand side.
        let v = rng.vec(n);
        let x = solve(&at, &t64(v.clone(), &[n]), true).unwrap();
        assert_eq!(x.shape(), &[n]);
        check_solution(&a, &vals(&x), &v, n, 1, true);
    }
}

#[test]
fn solve_broadcasts_batch_dims() {
    let mut rng = Rng::new(16);
    let n = 3;
    let a = rng.vec(2 * n * n);
    let b = rng.vec(4 * n * 2);
    // A: (2, n, n), B: (4, 1, n, 2) -> X: (4, 2, n, 2)
    let x = solve(
        &t64(a.clone(), &[2, n, n]),
        &t64(b.clone(), &[4, 1, n, 2]),
        true,
    )
    .unwrap();
    assert_eq!(x.shape(), &[4, 2, n, 2]);
    let xs = vals(&x);
    for i in 0..4 {
        for j in 0..2 {
            let xi = &xs[(i * 2 + j) * n * 2..(i * 2 + j + 1) * n * 2];
            check_solution(
                &a[j * n * n..(j + 1) * n * n],
                xi,
                &b[i * n * 2..(i + 1) * n * 2],
                n,
                2,
                true,
            );
        }
    }
    // B with A's shape minus the last dim is a batch of vectors: (2, n) -> X (2, n).
    let v = rng.vec(2 * n);
    let x = solve(&t64(a.clone(), &[2, n, n]), &t64(v.clone(), &[2, n]), true).unwrap();
    assert_eq!(x.shape(), &[2, n]);
    // A 1-D B broadcasts over A's batch.
    let x1 = solve(
        &t64(a.clone(), &[2, n, n]),
        &t64(v[..n].to_vec(), &[n]),
        true,
    )
    .unwrap();
    assert_eq!(x1.shape(), &[2, n]);
    for j in 0..2 {
        let aj = &a[j * n * n..(j + 1) * n * n];
        let row = |t: &Tensor| vals(t)[j * n..(j + 1) * n].to_vec();
        check_solution(aj, &row(&x), &v[j * n..(j + 1) * n], n, 1, true);
        check_solution(aj, &row(&x1), &v[..n], n, 1, true);
    }
    // Transposed (non-contiguous) inputs.
    let at = t64(a.clone(), &[2, n, n]).mt();
    let x = solve(&at, &t64(b[..2 * n * 2].to_vec(), &[2, n, 2]), true).unwrap();
    for j in 0..2 {
        let aj = transpose(&a[j * n * n..(j + 1) * n * n], n, n);
        check_solution(
            &aj,
            &vals(&x)[j * n * 2..(j + 1) * n * 2],
            &b[j * n * 2..(j + 1) * n * 2],
            n,
            2,
            true,
        );
    }
}

#[test]
fn solve_reports_singular_batch_elements() {
    let n = 4;
    let mut a = eye(n);
    a.extend(vec![0.0; n * n]);
    let t = t64(a, &[2, n, n]);
    let b = t64(vec![1.0; 2 * n], &[2, n]);
    let err = solve(&t, &b, true).unwrap_err().to_string();
    assert!(
        err.contains("(Batch element 1): The solver failed because the input matrix is singular"),
        "{err}"
    );
    let (_, info) = solve_ex(&t, &b, true, false).unwrap();
    assert_eq!(info.to_vec::<i32>(), vec![0, 1]);
    // The faer path (n > 16) falls back to LAPACK's LU for a singular matrix: the
    // info is that of A's LU, and the solution is not finite.
    let n2 = 20;
    let mut s = eye(n2);
    s[7 * n2 + 7] = 0.0;
    let (x, info) = solve_ex(&t64(s, &[n2, n2]), &t64(vec![1.0; n2], &[n2]), true, false).unwrap();
    assert_eq!(info.item::<i32>(), 8);
    assert!(vals(&x).iter().any(|v| !v.is_finite()));
    // NaN in A gives NaN, no error (info only flags exact zeros).
    let mut a = eye(n);
    a[1] = f64::NAN;
    let x = solve(&t64(a, &[n, n]), &t64(vec![1.0; n], &[n]), true).unwrap();
    assert!(vals(&x).iter().any(|v| v.is_nan()));
    // Zero-size batch.
    let x = solve(
        &Tensor::zeros_dtype(&[0, 3, 3], DType::F64),
        &Tensor::zeros_dtype(&[0, 3, 2], DType::F64),
        true,
    )
    .unwrap();
    assert_eq!(x.shape(), &[0, 3, 2]);
}

#[test]
fn solve_with_a_zero_column_past_several_panels() {
    // Column k of A is zero: U[k, k] = 0 (info k + 1), and LAPACK's LU goes on without
    // dividing by it, so the rows of X below k are finite: U33^-1 (L^-1 P B)_3. They
    // must come from the original B (a singular A is redone from scratch by LAPACK's
    // unblocked LU and solves): compare with rows of inv_ex(A) times B, which that
    // path computes without B.
    let mut rng = Rng::new(21);
    let (n, m, k) = (300usize, 70usize, 200usize);
    let mut a = rng.vec(n * n);
    for i in 0..n {
        a[i * n + k] = 0.0;
    }
    let (x, info) = solve_ex(
        &t64(a.clone(), &[n, n]),
        &t64(rng.vec(n * m), &[n, m]),
        true,
        false,
    )
    .unwrap();
    assert_eq!(info.item::<i32>(), k as i32 + 1);
    let mut rng = Rng::new(21);
    let _ = rng.vec(n * n);
    let b = rng.vec(n * m);
    let (inv, info) = tessera_linalg::inv_ex(&t64(a, &[n, n]), false).unwrap();
    assert_eq!(info.item::<i32>(), k as i32 + 1);
    let want = matmul(&vals(&inv)[(k + 1) * n..], &b, n - k - 1, n, m);
    let got = &vals(&x)[(k + 1) * m..];
    assert!(got.iter().all(|v| v.is_finite()));
    let r = fro_diff(got, &want) / fro(&want);
    assert!(r < 1e-10, "{r:e}");
}

#[test]
#[should_panic(
    expected = "linalg.solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 3x1)"
)]
fn solve_right_with_a_vector_panics() {
    let _ = solve(
        &Tensor::zeros_dtype(&[3, 3], DType::F64),
        &Tensor::zeros_dtype(&[3], DType::F64),
        false,
    );
}

#[test]
#[should_panic(
    expected = "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 4x1)"
)]
fn solve_wrong_length_panics() {
    let _ = solve(
        &Tensor::zeros_dtype(&[3, 3], DType::F64),
        &Tensor::zeros_dtype(&[4], DType::F64),
        true,
    );
}

#[test]
#[should_panic(expected = "linalg.solve: Expected A and B to have the same dtype")]
fn solve_mixed_dtypes_panics() {
    let _ = solve(
        &Tensor::zeros_dtype(&[3, 3], DType::F64),
        &Tensor::zeros_dtype(&[3], DType::F32),
        true,
    );
}

#[test]
#[should_panic(
    expected = "linalg.solve: the batch dims of A (shape [2, 3, 3]) and B (shape [3, 3, 1]) do not broadcast: [2] vs [3]"
)]
fn solve_batch_mismatch_panics() {
    let _ = solve(
        &Tensor::zeros_dtype(&[2, 3, 3], DType::F64),
        &Tensor::zeros_dtype(&[3, 3, 1], DType::F64),
        true,
    );
}
