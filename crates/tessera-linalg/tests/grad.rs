//! Gradients of the linalg ops, checked by finite differences (f64): first derivatives
//! (`gradcheck`) and second derivatives (`gradgradcheck`).

use tessera_core::autograd::{gradcheck, gradgradcheck, GradcheckOptions};
use tessera_core::{DType, Generator, Tensor};
use tessera_linalg as linalg;

fn input(shape: &[usize], seed: u64) -> Tensor {
    let t = Generator::new(seed).randn(shape, DType::F64);
    t.requires_grad_(true);
    t
}

/// A well-conditioned batch: random plus a multiple of the identity.
fn conditioned(shape: &[usize], seed: u64) -> Tensor {
    let n = shape[shape.len() - 1];
    let t = Generator::new(seed).randn(shape, DType::F64) * 0.3
        + Tensor::eye_dtype(n, n, DType::F64) * 2.0;
    let t = t.detach();
    t.requires_grad_(true);
    t
}

fn check(name: &str, f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) {
    if let Err(e) = gradcheck(&f, inputs, GradcheckOptions::default()) {
        panic!("{name}: {e}");
    }
    if let Err(e) = gradgradcheck(&f, inputs, None, GradcheckOptions::default()) {
        panic!("{name} (second derivative): {e}");
    }
}

#[test]
fn inv_and_inv_ex() {
    let a = conditioned(&[2, 3, 3], 1);
    check(
        "inv",
        |v| linalg::inv(&v[0]).unwrap(),
        std::slice::from_ref(&a),
    );
    check(
        "inv_ex",
        |v| linalg::inv_ex(&v[0], false).unwrap().0,
        std::slice::from_ref(&a),
    );
    let big = conditioned(&[20, 20], 2); // the faer path
    check(
        "inv 20x20",
        |v| linalg::inv(&v[0]).unwrap().sum_dim(0, false),
        std::slice::from_ref(&big),
    );
}

#[test]
fn det_and_slogdet() {
    let a = conditioned(&[2, 4, 4], 3);
    check("det", |v| linalg::det(&v[0]), std::slice::from_ref(&a));
    check(
        "slogdet",
        |v| linalg::slogdet(&v[0]).1,
        std::slice::from_ref(&a),
    );
    let neg = (conditioned(&[3, 3], 4) * -1.0).detach(); // negative determinant
    neg.requires_grad_(true);
    check(
        "slogdet negative det",
        |v| linalg::slogdet(&v[0]).1,
        std::slice::from_ref(&neg),
    );
}

#[test]
fn solve_left_right_vector_and_broadcast() {
    let a = conditioned(&[3, 3], 5);
    let b = input(&[3, 2], 6);
    check(
        "solve left",
        |v| linalg::solve(&v[0], &v[1], true).unwrap(),
        &[a.clone(), b.clone()],
    );
    let br = input(&[2, 3], 7);
    check(
        "solve right",
        |v| linalg::solve(&v[0], &v[1], false).unwrap(),
        &[a.clone(), br.clone()],
    );
    let bv = input(&[3], 8);
    check(
        "solve vector",
        |v| linalg::solve(&v[0], &v[1], true).unwrap(),
        &[a.clone(), bv.clone()],
    );
    let bb = input(&[2, 3, 2], 9); // A broadcast over B's batch
    check(
        "solve broadcast",
        |v| linalg::solve(&v[0], &v[1], true).unwrap(),
        &[a.clone(), bb.clone()],
    );
}

#[test]
fn cholesky_lower_and_upper() {
    // Differentiate through a symmetric construction, as the factor reads one triangle.
    let x = input(&[3, 3], 10);
    let spd = |x: &Tensor| x.matmul(&x.mt()) + Tensor::eye_dtype(3, 3, DType::F64) * 3.0;
    check(
        "cholesky lower",
        |v| linalg::cholesky(&spd(&v[0]), false).unwrap(),
        std::slice::from_ref(&x),
    );
    check(
        "cholesky upper",
        |v| linalg::cholesky(&spd(&v[0]), true).unwrap(),
        std::slice::from_ref(&x),
    );
    let xb = input(&[2, 20, 20], 11); // the faer path, batched
    let spd20 = |x: &Tensor| x.matmul(&x.mt()) + Tensor::eye_dtype(20, 20, DType::F64) * 5.0;
    check(
        "cholesky 20x20",
        |v| {
            linalg::cholesky(&spd20(&v[0]), false)
                .unwrap()
                .sum_dim(-1, false)
        },
        std::slice::from_ref(&xb),
    );
}

#[test]
fn matrix_exp_gradient_and_second_derivative() {
    let a = input(&[2, 3, 3], 12);
    check(
        "matrix_exp",
        |v| linalg::matrix_exp(&(&v[0] * 0.5)),
        std::slice::from_ref(&a),
    );
    // d^2/dt^2 of sum(exp(tA)) at t = 1 is sum(A^2 exp(A)): via create_graph.
    let a = tessera_core::tensor!([[0.1, 0.4], [-0.3, 0.2]], dtype = DType::F64);
    let t = tessera_core::tensor!(1.0, dtype = DType::F64);
    t.requires_grad_(true);
    let s = linalg::matrix_exp(&(&a * &t)).sum();
    let g = tessera_core::autograd::grad(
        &[s],
        std::slice::from_ref(&t),
        &[t.ones_like()],
        false,
        true,
    )[0]
    .clone()
    .unwrap();
    let h = tessera_core::autograd::grad(
        &[g],
        std::slice::from_ref(&t),
        &[t.ones_like()],
        false,
        false,
    )[0]
    .clone()
    .unwrap();
    let want = a
        .matmul(&a)
        .matmul(&linalg::matrix_exp(&a))
        .sum()
        .item::<f64>();
    assert!(
        (h.item::<f64>() - want).abs() < 1e-10,
        "{} vs {want}",
        h.item::<f64>()
    );
}
