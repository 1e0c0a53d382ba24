//! Measured convergence orders: the global error at the end of the interval for a
//! sequence of halved step sizes, on problems with known solutions.

mod common;
use common::*;
use tessera_core::Tensor;
use tessera_ode::{odeint, Method, Options};

/// The error at `t_end` of y' = y cos t, y(0) = 1, whose solution is exp(sin t)
/// (non-autonomous, so the stage times matter), with steps of `h`.
fn error_at_end(method: Method, h: f64, t_end: f64) -> f64 {
    let y0 = f64s(&[1.0]);
    let t = f64s(&[0.0, t_end]);
    let opts = if method.is_adaptive() {
        // Every step accepted at exactly h: huge tolerances, no growth.
        Options::default()
            .method(method)
            .first_step(h)
            .rtol(1e6)
            .atol(1e6)
            .ifactor(1.0)
    } else {
        Options::default().method(method).step_size(h)
    };
    let ys = odeint(|t: &Tensor, y: &Tensor| y * t.cos(), &y0, &t, &opts).unwrap();
    let got = ys.get::<f64>(&[1, 0]);
    (got - t_end.sin().exp()).abs()
}

fn measured_order(method: Method, hs: &[f64], t_end: f64) -> f64 {
    let errs: Vec<f64> = hs.iter().map(|&h| error_at_end(method, h, t_end)).collect();
    let p = slope(hs, &errs);
    println!(
        "{method}: h = {hs:?}, errors = {:?}, measured order {p:.3}",
        errs.iter().map(|e| format!("{e:.3e}")).collect::<Vec<_>>()
    );
    p
}

/// `h0, h0 / 2, h0 / 4, h0 / 8`.
fn halvings(h0: f64) -> Vec<f64> {
    (0..4).map(|i| h0 / f64::from(1 << i)).collect()
}

#[test]
fn euler_is_first_order() {
    let p = measured_order(Method::Euler, &halvings(1.0 / 64.0), 2.0);
    assert!((p - 1.0).abs() < 0.1, "euler order {p}");
}

#[test]
fn midpoint_is_second_order() {
    let p = measured_order(Method::Midpoint, &halvings(1.0 / 32.0), 2.0);
    assert!((p - 2.0).abs() < 0.1, "midpoint order {p}");
}

#[test]
fn rk4_is_fourth_order() {
    let p = measured_order(Method::Rk4, &halvings(1.0 / 16.0), 2.0);
    assert!((p - 4.0).abs() < 0.15, "rk4 order {p}");
}

#[test]
fn dopri5_is_fifth_order() {
    let p = measured_order(Method::Dopri5, &halvings(1.0 / 8.0), 10.0);
    assert!((p - 5.0).abs() < 0.25, "dopri5 order {p}");
}

#[test]
fn tsit5_is_fifth_order() {
    let p = measured_order(Method::Tsit5, &halvings(1.0 / 8.0), 10.0);
    assert!((p - 5.0).abs() < 0.25, "tsit5 order {p}");
}

/// The error of the dense output at t = 4/3, inside a step for every h = 2^-k, with
/// steps of exactly h: a fourth-order interpolant keeps the order of the steps (its
/// local error is O(h^5) and does not accumulate); a lower-order one would not.
fn dense_order(method: Method) -> f64 {
    let hs = halvings(1.0 / 8.0);
    let t_star = 4.0 / 3.0;
    let errs: Vec<f64> = hs
        .iter()
        .map(|&h| {
            let opts = Options::default()
                .method(method)
                .first_step(h)
                .rtol(1e6)
                .atol(1e6)
                .ifactor(1.0);
            let t = f64s(&[0.0, t_star, 2.0]);
            let ys = odeint(
                |t: &Tensor, y: &Tensor| y * t.cos(),
                &f64s(&[1.0]),
                &t,
                &opts,
            )
            .unwrap();
            (ys.get::<f64>(&[1, 0]) - t_star.sin().exp()).abs()
        })
        .collect();
    let p = slope(&hs, &errs);
    println!("{method} dense output: errors {errs:?}, measured order {p:.3}");
    p
}

#[test]
fn dense_output_keeps_the_order() {
    for method in [Method::Dopri5, Method::Tsit5] {
        let p = dense_order(method);
        assert!(p > 4.5, "{method} dense output order {p}");
    }
}
