//! Failures are errors that name the time: blow-up, step-size underflow, step
//! budget, non-finite initial state; bad arguments panic with a clear message.

mod common;
use common::*;
use tessera_core::{Error, Tensor};
use tessera_ode::{odeint, odeint_adjoint, AdjointSolution, Method, Options};

/// dx/dt = e^x from x(0) = 0: x = -ln(1 - t), which blows up at t = 1.
fn exp_rhs(_t: &Tensor, x: &Tensor) -> Tensor {
    x.exp()
}

#[test]
fn adaptive_methods_report_the_blow_up_near_t_1() {
    for method in [Method::Dopri5, Method::Tsit5] {
        let err = odeint(
            exp_rhs,
            &scalar(0.0),
            &f64s(&[0.0, 2.0]),
            &Options::default().method(method),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Numerical { .. }), "{msg}");
        assert!(
            msg.contains(method.name()) && msg.contains("blows up"),
            "{msg}"
        );
        let at = time_in(&msg);
        // The numerical solution's singularity is within the tolerance of t = 1.
        assert!(
            (at - 1.0).abs() < 1e-5,
            "{method}: blow-up reported at {at}: {msg}"
        );
    }
}

#[test]
fn adaptive_methods_are_accurate_up_to_the_blow_up() {
    let t = f64s(&[0.0, 0.5, 0.9, 0.99, 0.999]);
    for method in [Method::Dopri5, Method::Tsit5] {
        let xs = odeint(
            exp_rhs,
            &scalar(0.0),
            &t,
            &Options::default().method(method),
        )
        .unwrap();
        for (x, t) in vals(&xs).iter().zip(vals(&t)) {
            let exact = -(1.0 - t).ln();
            assert!(
                (x - exact).abs() < 1e-5 * (1.0 + exact),
                "{method} t={t}: {x} vs {exact}"
            );
        }
    }
}

#[test]
fn fixed_step_methods_report_where_the_state_became_non_finite() {
    let opts = Options::default().method(Method::Euler).step_size(0.1);
    let err = odeint(exp_rhs, &scalar(0.0), &f64s(&[0.0, 3.0]), &opts).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("non-finite") && msg.contains("euler"), "{msg}");
    // Euler's x_{n+1} = x_n + 0.1 e^{x_n} overflows a few steps after t = 1.
    let at = time_in(&msg);
    assert!(at > 1.0 && at < 2.0, "{msg}");
    let opts = Options::default().method(Method::Rk4).step_size(0.01);
    let msg = odeint(exp_rhs, &scalar(0.0), &f64s(&[0.0, 3.0]), &opts)
        .unwrap_err()
        .to_string();
    let at = time_in(&msg);
    assert!(at > 0.99 && at < 1.1, "{msg}");
}

#[test]
fn step_budget_is_an_error_naming_the_time() {
    let opts = Options::default().max_num_steps(10);
    let msg = odeint(
        |t, y| y * t.cos(),
        &f64s(&[1.0]),
        &f64s(&[0.0, 100.0]),
        &opts,
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains("max_num_steps (10) exceeded"), "{msg}");
    let at = time_in(&msg);
    assert!(at > 0.0 && at < 100.0, "{msg}");
}

/// A right-hand side that is NaN past t = 1 for a finite state: an error naming the
/// non-finite derivative at t = 1 (no step size can cure it), instead of returning NaN.
#[test]
fn nan_right_hand_side_is_an_error_not_a_nan() {
    let f = |t: &Tensor, y: &Tensor| {
        if t.item::<f64>() > 1.0 {
            y * f64::NAN
        } else {
            -y
        }
    };
    let msg = odeint(f, &f64s(&[1.0]), &f64s(&[0.0, 2.0]), &Options::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("non-finite derivative"), "{msg}");
    assert!((time_in(&msg) - 1.0).abs() < 1e-9, "{msg}");
}

#[test]
fn non_finite_initial_state_is_an_error() {
    let msg = odeint(
        |_t, y| -y,
        &f64s(&[f64::NAN]),
        &f64s(&[0.0, 1.0]),
        &Options::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains("y0 is not finite at t = 0"), "{msg}");
}

#[test]
#[should_panic(expected = "strictly increasing or strictly decreasing")]
fn non_monotonic_times_panic() {
    let _ = odeint(
        |_t, y| -y,
        &f64s(&[1.0]),
        &f64s(&[0.0, 1.0, 0.5]),
        &Options::default(),
    );
}

#[test]
#[should_panic(expected = "returned shape [2] and dtype torch.float64 for a state of shape [1]")]
fn wrong_shaped_derivative_panics() {
    let _ = odeint(
        |_t, _y| f64s(&[1.0, 2.0]),
        &f64s(&[1.0]),
        &f64s(&[0.0, 1.0]),
        &Options::default(),
    );
}

#[test]
fn a_tiny_fixed_step_is_rejected_up_front_instead_of_looping() {
    for method in [Method::Euler, Method::Midpoint, Method::Rk4] {
        let opts = Options::default().method(method).step_size(1e-300);
        let err = odeint(exp_rhs, &scalar(0.0), &f64s(&[0.0, 0.5]), &opts).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("max_num_steps") && msg.contains("step_size"),
            "{msg}"
        );
        // Within the budget, the same solve runs.
        let opts = Options::default()
            .method(method)
            .step_size(0.1)
            .max_num_steps(5);
        assert!(odeint(exp_rhs, &scalar(0.0), &f64s(&[0.0, 0.5]), &opts).is_ok());
        let opts = opts.max_num_steps(4);
        assert!(odeint(exp_rhs, &scalar(0.0), &f64s(&[0.0, 0.5]), &opts).is_err());
    }
}

#[test]
fn a_nan_derivative_is_named_as_such() {
    // Finite state, NaN derivative from t = 0.3 on: no smaller step can help.
    let f = |t: &Tensor, x: &Tensor| {
        if t.item::<f64>() >= 0.3 {
            x * f64::NAN
        } else {
            x.clone()
        }
    };
    for opts in [
        Options::default(),
        Options::default().method(Method::Tsit5),
        Options::default().method(Method::Rk4).step_size(0.05),
    ] {
        let err = odeint(f, &scalar(1.0), &f64s(&[0.0, 1.0]), &opts).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("non-finite derivative") && !msg.contains("underflow"),
            "{msg}"
        );
        let at = time_in(&msg);
        assert!((0.3..0.5).contains(&at), "reported at t = {at}: {msg}");
    }
    // NaN from the start.
    let err = odeint(
        |_: &Tensor, x: &Tensor| x * f64::NAN,
        &scalar(1.0),
        &f64s(&[0.0, 1.0]),
        &Options::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("at t = 0"), "{err}");
}

/// An adjoint solution of y' = -k y on [0, 1] (k = 0.7, a parameter).
fn adjoint_solution() -> AdjointSolution<impl Fn(&Tensor, &Tensor) -> Tensor> {
    let k = f64s(&[0.7]);
    k.requires_grad_(true);
    let kf = k.clone();
    let f = move |_t: &Tensor, y: &Tensor| -(y * &kf);
    odeint_adjoint(
        f,
        &f64s(&[2.0]),
        &f64s(&[0.0, 1.0]),
        &[k],
        &Options::default(),
    )
    .unwrap()
}

/// A failed backward solve is an error of `AdjointSolution::backward`: a NaN in
/// `dL/dys` makes the augmented initial state non-finite.
#[test]
fn adjoint_backward_returns_the_backward_solve_error() {
    let grad = f64s(&[0.0, f64::NAN]).reshape([2, 1]);
    let err = adjoint_solution().backward(&grad).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Numerical { .. }), "{msg}");
    assert!(msg.contains("not finite at t = 1"), "{msg}");
}

#[test]
#[should_panic(
    expected = "AdjointSolution::backward: grad_ys has shape [2] but the solution has shape [2, 1]"
)]
fn adjoint_backward_of_a_wrong_shape_panics() {
    let _ = adjoint_solution().backward(&f64s(&[0.0, 1.0]));
}

/// Through `into_tensor`, `backward()` cannot return the error: it panics with it.
#[test]
#[should_panic(expected = "odeint_adjoint backward: ")]
fn adjoint_tensor_backward_panics_when_the_backward_solve_fails() {
    let ys = adjoint_solution().into_tensor();
    (ys * f64::NAN).sum().backward();
}
