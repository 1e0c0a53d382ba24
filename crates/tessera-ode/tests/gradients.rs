//! Gradients of solutions: backpropagation through the solver steps (direct) and
//! the adjoint method, against analytic gradients, finite differences and each other.

mod common;
use common::*;
use tessera_core::autograd::{self, gradcheck, gradgradcheck, GradcheckOptions};
use tessera_core::{DType, Tensor};
use tessera_ode::{odeint, odeint_adjoint, Method, Options};

/// Options accurate enough for gradient checks, and the accuracy to expect.
fn accurate(method: Method) -> (Options, f64) {
    let o = Options::default().method(method);
    match method {
        Method::Euler => (o.step_size(1e-4), 1e-3),
        Method::Midpoint => (o.step_size(1e-3), 1e-5),
        Method::Rk4 => (o.step_size(1e-2), 1e-8),
        _ => (o.rtol(1e-10).atol(1e-12), 1e-7),
    }
}

fn leaf(v: &[f64]) -> Tensor {
    let t = f64s(v);
    t.requires_grad_(true);
    t
}

/// y' = -k y: y(T) = y0 e^{-kT}, dy(T)/dy0 = e^{-kT}, dy(T)/dk = -T y0 e^{-kT}; also
/// at an interior time reached by dense output.
#[test]
fn direct_gradients_match_the_analytic_ones() {
    let (y0v, kv) = (2.0, 0.7);
    for method in Method::ALL {
        let (opts, tol) = accurate(method);
        for t_end in [1.0, 0.37] {
            let (y0, k) = (leaf(&[y0v]), leaf(&[kv]));
            let t = f64s(&[0.0, t_end, 1.5]);
            let ys = odeint(|_t, y| -(y * &k), &y0, &t, &opts).unwrap();
            ys.select(0, 1).sum().backward();
            let e = (-kv * t_end).exp();
            let (gy, gk) = (
                y0.grad().unwrap().item::<f64>(),
                k.grad().unwrap().item::<f64>(),
            );
            assert!(
                (gy - e).abs() < tol,
                "{method} T={t_end}: dy/dy0 {gy} vs {e}"
            );
            let want = -t_end * y0v * e;
            assert!(
                (gk - want).abs() < tol,
                "{method} T={t_end}: dy/dk {gk} vs {want}"
            );
        }
    }
}

/// Backpropagation differentiates the discrete solution exactly: Euler's
/// y_N = y0 (1 - k h)^N.
#[test]
fn euler_gradients_are_those_of_the_discrete_solution() {
    let (y0, k) = (leaf(&[2.0]), leaf(&[0.7]));
    let opts = Options::default().method(Method::Euler).step_size(0.1);
    let ys = odeint(|_t, y| -(y * &k), &y0, &f64s(&[0.0, 1.0]), &opts).unwrap();
    ys.select(0, 1).sum().backward();
    let (h, n) = (0.1f64, 10);
    let q = 1.0 - 0.7 * h;
    assert!((y0.grad().unwrap().item::<f64>() - q.powi(n)).abs() < 1e-14);
    let dk = -2.0 * f64::from(n) * h * q.powi(n - 1);
    assert!((k.grad().unwrap().item::<f64>() - dk).abs() < 1e-13);
}

/// Finite differences of the whole solve (fixed-step RK4 and adaptive dopri5) agree
/// with backpropagation, for a nonlinear problem with a parameter; so do finite
/// differences of the first derivative with its second derivative (backpropagation
/// through the solver with `create_graph`).
#[test]
fn gradcheck_through_the_solver() {
    for method in [Method::Rk4, Method::Dopri5] {
        let opts = Options::default()
            .method(method)
            .step_size(0.05)
            .rtol(1e-6)
            .atol(1e-8);
        let t = f64s(&[0.0, 0.5, 1.0]);
        let f = |inputs: &[Tensor]| {
            let (y0, p) = (&inputs[0], &inputs[1]);
            let ys = odeint(|t, y| (y * p).tanh() + t.cos() * 0.3, y0, &t, &opts).unwrap();
            (&ys * &ys).sum()
        };
        let inputs = [leaf(&[0.3, -0.8]), leaf(&[1.2, 0.5])];
        gradcheck(f, &inputs, GradcheckOptions::default())
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        gradgradcheck(f, &inputs, None, GradcheckOptions::default())
            .unwrap_or_else(|e| panic!("{method}, second derivative: {e}"));
    }
}

/// Y' = A Y for a 2x2 state: L = sum(W * Y(T)) has dL/dY0 = exp(AT)^T W.
#[test]
fn matrix_state_gradient_is_the_transposed_exponential() {
    let (a, b, d, t_end): (f64, f64, f64, f64) = (-0.5, 2.0, -3.0, 1.3);
    let m = Tensor::from_vec(vec![a, b, 0.0, d], &[2, 2]);
    let w = Tensor::from_vec(vec![1.0, -2.0, 0.5, 3.0], &[2, 2]);
    let (ea, ed) = ((a * t_end).exp(), (d * t_end).exp());
    let e = [ea, b * (ea - ed) / (a - d), 0.0, ed];
    let wv = vals(&w);
    // (E^T W)_{ij} = sum_k E_{ki} W_{kj}
    let want: Vec<f64> = (0..4)
        .map(|ij| {
            let (i, j) = (ij / 2, ij % 2);
            (0..2).map(|k| e[k * 2 + i] * wv[k * 2 + j]).sum()
        })
        .collect();
    for method in [Method::Dopri5, Method::Tsit5] {
        let y0 = Tensor::eye_dtype(2, 2, DType::F64);
        y0.requires_grad_(true);
        let (opts, tol) = accurate(method);
        let ys = odeint(|_t, y| m.matmul(y), &y0, &f64s(&[0.0, t_end]), &opts).unwrap();
        (ys.select(0, 1) * &w).sum().backward();
        let got = vals(&y0.grad().unwrap());
        for (g, e) in got.iter().zip(&want) {
            assert!((g - e).abs() < tol * 10.0, "{method}: {got:?} vs {want:?}");
        }
    }
}

/// The adjoint gradients match the analytic ones for y' = -k y, forwards and
/// backwards in time, and the solution carries no graph.
#[test]
fn adjoint_gradients_match_the_analytic_ones() {
    let (y0v, kv) = (2.0, 0.7);
    for method in Method::ALL {
        let (opts, tol) = accurate(method);
        for (t0, t1) in [(0.0, 1.0), (1.0, 0.0)] {
            let k = leaf(&[kv]);
            let y0 = f64s(&[y0v]);
            let f = |_t: &Tensor, y: &Tensor| -(y * &k);
            let sol =
                odeint_adjoint(&f, &y0, &f64s(&[t0, t1]), std::slice::from_ref(&k), &opts).unwrap();
            assert!(!sol.ys().requires_grad());
            let g = sol
                .backward(&f64s(&[0.0, 1.0]).reshape(&[2usize, 1][..]))
                .unwrap();
            let dt = t1 - t0;
            let e = (-kv * dt).exp();
            let (gy, gk) = (g.y0.item::<f64>(), g.params[0].item::<f64>());
            assert!(
                (gy - e).abs() < tol,
                "{method} {t0}->{t1}: dy/dy0 {gy} vs {e}"
            );
            assert!(
                (gk + dt * y0v * e).abs() < tol,
                "{method} {t0}->{t1}: dy/dk {gk}"
            );
            assert!(g.stats.nfe > 0);
        }
    }
}

/// A nonlinear problem with two parameters, a loss on several times: the adjoint and
/// backpropagation through the solver agree (dopri5 and tsit5 at tight tolerances;
/// fixed-step RK4 on the same grid up to its discretisation error).
#[test]
fn adjoint_agrees_with_direct_backpropagation() {
    let t = f64s(&[0.0, 0.4, 1.0, 2.0]);
    let grad_ys = Tensor::from_vec(vec![0.0, 0.0, 1.0, -0.5, 0.3, 0.2, -1.0, 2.0], &[4, 2]);
    for method in [Method::Dopri5, Method::Tsit5, Method::Rk4] {
        let (opts, tol) = accurate(method);
        let (a, b) = (leaf(&[1.5, -0.4]), leaf(&[0.8]));
        let f = |_t: &Tensor, y: &Tensor| {
            let (u, v) = (y.narrow(0, 0, 1), y.narrow(0, 1, 1));
            let du = &u * a.narrow(0, 0, 1) - &u * &v * &b;
            let dv = &v * a.narrow(0, 1, 1) + &u * &v * &b * 0.5;
            Tensor::cat(&[du, dv], 0)
        };
        let y0 = leaf(&[1.0, 0.5]);
        let ys = odeint(f, &y0, &t, &opts).unwrap();
        (&ys * &grad_ys).sum().backward();
        let sol = odeint_adjoint(f, &y0.detach(), &t, &[a.clone(), b.clone()], &opts).unwrap();
        assert!(sol.ys().allclose(&ys.detach()));
        let g = sol.backward(&grad_ys).unwrap();
        let pairs = [
            (vals(&y0.grad().unwrap()), vals(&g.y0)),
            (vals(&a.grad().unwrap()), vals(&g.params[0])),
            (vals(&b.grad().unwrap()), vals(&g.params[1])),
        ];
        for (direct, adjoint) in pairs {
            for (x, y) in direct.iter().zip(&adjoint) {
                assert!(
                    (x - y).abs() < 100.0 * tol * (1.0 + x.abs()),
                    "{method}: direct {direct:?} vs adjoint {adjoint:?}"
                );
            }
        }
    }
}

/// A parameter that f does not use gets a zero gradient of its shape and dtype.
#[test]
fn unused_parameters_get_zeros() {
    let k = leaf(&[0.5]);
    let unused = Tensor::ones_dtype(&[2, 3], DType::F32);
    unused.requires_grad_(true);
    let f = |_t: &Tensor, y: &Tensor| -(y * &k);
    let sol = odeint_adjoint(
        f,
        &f64s(&[1.0, 2.0]),
        &f64s(&[0.0, 1.0]),
        &[k.clone(), unused.clone()],
        &Options::default(),
    )
    .unwrap();
    let g = sol
        .backward(&Tensor::ones_dtype(&[2, 2], DType::F64))
        .unwrap();
    assert_eq!(g.params[1].shape(), &[2, 3]);
    assert_eq!(g.params[1].dtype(), DType::F32);
    assert!(vals(&g.params[1]).iter().all(|&v| v == 0.0));
    // d/dk of (y1(1) + y2(1)) = -(1 + 2) e^{-0.5}
    assert!((g.params[0].item::<f64>() + 3.0 * (-0.5f64).exp()).abs() < 1e-6);
}

/// The vector-Jacobian products of the adjoint use `autograd::grad`, which leaves
/// the parameters' `.grad` alone.
#[test]
fn adjoint_leaves_grad_fields_alone() {
    let k = leaf(&[0.5]);
    let f = |_t: &Tensor, y: &Tensor| -(y * &k);
    let sol = odeint_adjoint(
        f,
        &f64s(&[1.0]),
        &f64s(&[0.0, 1.0]),
        std::slice::from_ref(&k),
        &Options::default(),
    )
    .unwrap();
    let _ = sol
        .backward(&Tensor::ones_dtype(&[2, 1], DType::F64))
        .unwrap();
    assert!(k.grad().is_none());
    assert!(autograd::is_grad_enabled());
}

/// `into_tensor`: the adjoint as an op of the graph, so `backward()` fills `.grad`
/// like backpropagation through the solver does; f may capture tensors computed
/// from the parameters.
#[test]
fn adjoint_in_the_graph_matches_direct_backpropagation() {
    let t = f64s(&[0.0, 0.5, 1.5]);
    let w = Tensor::from_vec(vec![0.3, -1.0, 0.0, 2.0, 1.0, 0.5], &[3, 2]);
    let run = |adjoint: bool| {
        let p = leaf(&[0.9, -0.3]);
        let y0 = leaf(&[1.0, 0.2]);
        let scaled = &p * 2.0; // a non-leaf that f captures
        let f = move |t: &Tensor, y: &Tensor| (y * &scaled).tanh() - y * t.sin();
        let ys = if adjoint {
            odeint_adjoint(
                f,
                &y0,
                &t,
                std::slice::from_ref(&p),
                &Options::default().rtol(1e-10).atol(1e-12),
            )
            .unwrap()
            .into_tensor()
        } else {
            odeint(f, &y0, &t, &Options::default().rtol(1e-10).atol(1e-12)).unwrap()
        };
        (&ys * &w).sum().backward();
        (vals(&y0.grad().unwrap()), vals(&p.grad().unwrap()))
    };
    let (direct, adjoint) = (run(false), run(true));
    for (x, y) in direct
        .0
        .iter()
        .chain(&direct.1)
        .zip(adjoint.0.iter().chain(&adjoint.1))
    {
        assert!(
            (x - y).abs() < 1e-6 * (1.0 + x.abs()),
            "direct {direct:?} vs adjoint {adjoint:?}"
        );
    }
}

#[test]
#[should_panic(expected = "must be a float tensor that requires grad")]
fn adjoint_parameters_must_require_grad() {
    let k = f64s(&[0.5]);
    let _ = odeint_adjoint(
        |_t, y| -(y * &k),
        &f64s(&[1.0]),
        &f64s(&[0.0, 1.0]),
        std::slice::from_ref(&k),
        &Options::default(),
    );
}
