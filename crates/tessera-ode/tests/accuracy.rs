//! Adaptive methods meet their tolerances; dense output; tensor-valued states;
//! decreasing time; f32 states; function-evaluation counts.

mod common;
use common::*;
use tessera_core::{tensor, DType, Tensor};
use tessera_ode::{odeint, odeint_with_stats, Method, Options};

const ADAPTIVE: [Method; 2] = [Method::Dopri5, Method::Tsit5];

/// y' = y cos t from y(0) = 1 at 201 times in [0, 10], against exp(sin t): the
/// largest error relative to the tolerance `atol + rtol |y|`, over a range of
/// tolerances (this also checks the dense output, as most times fall inside steps).
/// The tolerance bounds the local error of each step; the global error over the 10
/// time units stays within a small multiple of it (torchdiffeq's dopri5 gives the
/// same multiples, up to 13 on this problem, with the same evaluation counts).
#[test]
fn adaptive_methods_meet_their_tolerance() {
    let t = Tensor::linspace_dtype(0.0, 10.0, 201, DType::F64);
    let times = vals(&t);
    for method in ADAPTIVE {
        for k in 3..=10 {
            let rtol = 10f64.powi(-k);
            let atol = rtol * 1e-2;
            let opts = Options::default().method(method).rtol(rtol).atol(atol);
            let (ys, stats) =
                odeint_with_stats(|t, y| y * t.cos(), &f64s(&[1.0]), &t, &opts).unwrap();
            let got = vals(&ys);
            let worst = times
                .iter()
                .zip(&got)
                .map(|(t, y)| {
                    let exact = t.sin().exp();
                    (y - exact).abs() / (atol + rtol * exact.abs())
                })
                .fold(0.0, f64::max);
            println!(
                "{method} rtol {rtol:.0e}: worst error / tolerance {worst:.3}, nfe {}",
                stats.nfe
            );
            assert!(
                worst < 20.0,
                "{method} rtol {rtol:e}: error {worst} x tolerance"
            );
        }
    }
}

/// The error shrinks with the tolerance: tightening it by 1000x gains at least 100x
/// in the worst error over [0, 10].
#[test]
fn error_follows_the_tolerance() {
    let t = Tensor::linspace_dtype(0.0, 10.0, 101, DType::F64);
    for method in ADAPTIVE {
        let err = |rtol: f64| {
            let opts = Options::default()
                .method(method)
                .rtol(rtol)
                .atol(rtol * 1e-3);
            let ys = odeint(|t, y| y * t.cos(), &f64s(&[1.0]), &t, &opts).unwrap();
            vals(&ys)
                .iter()
                .zip(vals(&t))
                .map(|(y, t)| (y - t.sin().exp()).abs())
                .fold(0.0, f64::max)
        };
        let (coarse, fine) = (err(1e-5), err(1e-8));
        println!("{method}: worst error {coarse:.3e} at rtol 1e-5, {fine:.3e} at rtol 1e-8");
        assert!(coarse / fine > 100.0, "{method}: {coarse:e} -> {fine:e}");
    }
}

/// Y' = A Y for a 2x2 matrix state Y(0) = I, with A upper triangular with distinct
/// eigenvalues, so exp(A t) = [[e^{at}, b (e^{at} - e^{dt}) / (a - d)], [0, e^{dt}]].
#[test]
fn matrix_state_matches_the_matrix_exponential() {
    let (a, b, d) = (-0.5, 2.0, -3.0);
    let m = Tensor::from_vec(vec![a, b, 0.0, d], &[2, 2]);
    let y0 = Tensor::eye_dtype(2, 2, DType::F64);
    let t = Tensor::linspace_dtype(0.0, 3.0, 7, DType::F64);
    for method in ADAPTIVE {
        let opts = Options::default().method(method);
        let ys = odeint(|_t, y| m.matmul(y), &y0, &t, &opts).unwrap();
        assert_eq!(ys.shape(), &[7, 2, 2]);
        for (i, &ti) in vals(&t).iter().enumerate() {
            let (ea, ed) = ((a * ti).exp(), (d * ti).exp());
            let exact = [ea, b * (ea - ed) / (a - d), 0.0, ed];
            let got = vals(&ys.select(0, i as isize));
            for (g, e) in got.iter().zip(exact) {
                assert!(
                    (g - e).abs() < 1e-6 * (1.0 + e.abs()),
                    "{method} t={ti}: {got:?} vs {exact:?}"
                );
            }
        }
    }
    // RK4 with a fine fixed step agrees as well.
    let opts = Options::default().method(Method::Rk4).step_size(0.01);
    let ys = odeint(|_t, y| m.matmul(y), &y0, &t, &opts).unwrap();
    let last = vals(&ys.select(0, 6));
    let (ea, ed) = ((a * 3.0f64).exp(), (d * 3.0f64).exp());
    assert!((last[1] - b * (ea - ed) / (a - d)).abs() < 1e-8, "{last:?}");
}

/// A decreasing t integrates backwards, and f sees the true (decreasing) times.
#[test]
fn decreasing_times_integrate_backwards() {
    let t = f64s(&[3.0, 1.5, 0.0]);
    let y3 = f64s(&[3f64.sin().exp()]);
    for method in [Method::Euler, Method::Rk4, Method::Dopri5, Method::Tsit5] {
        let opts = Options::default().method(method).step_size(1e-3);
        let ys = odeint(|t, y| y * t.cos(), &y3, &t, &opts).unwrap();
        let got = vals(&ys);
        let tol = if method == Method::Euler { 1e-2 } else { 1e-6 };
        assert_eq!(got[0], y3.item::<f64>());
        assert!(
            (got[1] - 1.5f64.sin().exp()).abs() < tol,
            "{method}: {got:?}"
        );
        assert!((got[2] - 1.0).abs() < tol, "{method}: {got:?}");
    }
}

/// An f32 state stays f32 and is accurate to f32 precision.
#[test]
fn f32_states() {
    let y0 = tensor!([1.0, 2.0]);
    let t = tensor!([0.0, 1.0]);
    for method in ADAPTIVE {
        let opts = Options::default().method(method).rtol(1e-5).atol(1e-6);
        let ys = odeint(|_t, y| -y, &y0, &t, &opts).unwrap();
        assert_eq!(ys.dtype(), DType::F32);
        let got = ys.to_vec::<f32>();
        let e = (-1.0f32).exp();
        assert!(
            (got[2] - e).abs() < 1e-4 && (got[3] - 2.0 * e).abs() < 1e-4,
            "{got:?}"
        );
    }
}

/// FSAL: an adaptive solve costs 6 evaluations per attempted step, plus one for
/// f(t0, y0) and one for the initial step selection (none with `first_step`).
/// Fixed-step methods cost their number of stages per step.
#[test]
fn evaluation_counts() {
    let t = f64s(&[0.0, 1.0, 4.0]);
    let f = |t: &Tensor, y: &Tensor| y * t.cos();
    for method in ADAPTIVE {
        let (_, s) =
            odeint_with_stats(f, &f64s(&[1.0]), &t, &Options::default().method(method)).unwrap();
        assert!(s.n_accepted > 5, "{s:?}");
        assert_eq!(
            s.nfe,
            2 + 6 * (s.n_accepted + s.n_rejected),
            "{method}: {s:?}"
        );
        let opts = Options::default().method(method).first_step(0.01);
        let (_, s) = odeint_with_stats(f, &f64s(&[1.0]), &t, &opts).unwrap();
        assert_eq!(
            s.nfe,
            1 + 6 * (s.n_accepted + s.n_rejected),
            "{method}: {s:?}"
        );
    }
    for (method, stages) in [(Method::Euler, 1), (Method::Midpoint, 2), (Method::Rk4, 4)] {
        let opts = Options::default().method(method).step_size(0.25);
        let (_, s) = odeint_with_stats(f, &f64s(&[1.0]), &t, &opts).unwrap();
        assert_eq!((s.n_accepted, s.nfe), (16, 16 * stages), "{method}");
        // Without a step size, one step per interval.
        let (_, s) =
            odeint_with_stats(f, &f64s(&[1.0]), &t, &Options::default().method(method)).unwrap();
        assert_eq!(s.n_accepted, 2, "{method}");
    }
}

/// One requested time: the initial state, no evaluations.
#[test]
fn a_single_time_returns_y0() {
    let y0 = f64s(&[1.0, 2.0]);
    for method in [Method::Euler, Method::Dopri5] {
        let (ys, s) = odeint_with_stats(
            |_t, y| -y,
            &y0,
            &f64s(&[0.5]),
            &Options::default().method(method),
        )
        .unwrap();
        assert_eq!((ys.shape(), vals(&ys)), (&[1usize, 2][..], vec![1.0, 2.0]));
        assert_eq!(s.nfe, 0);
    }
}

/// Dense output: asking for 200 times inside the interval costs no extra steps, and
/// the interpolated values are as accurate as the steps.
#[test]
fn dense_output_adds_no_steps() {
    let f = |t: &Tensor, y: &Tensor| y * t.cos();
    for method in ADAPTIVE {
        let opts = Options::default().method(method).rtol(1e-8).atol(1e-10);
        let (_, ends) = odeint_with_stats(f, &f64s(&[1.0]), &f64s(&[0.0, 10.0]), &opts).unwrap();
        let t = Tensor::linspace_dtype(0.0, 10.0, 201, DType::F64);
        let (ys, dense) = odeint_with_stats(f, &f64s(&[1.0]), &t, &opts).unwrap();
        assert_eq!(ends, dense, "{method}");
        for (y, t) in vals(&ys).iter().zip(vals(&t)) {
            assert!((y - t.sin().exp()).abs() < 1e-6, "{method} t={t}: {y}");
        }
    }
}
