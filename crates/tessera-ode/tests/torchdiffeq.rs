//! tessera's dopri5 follows torchdiffeq's algorithm (tableau, error estimate, initial
//! step, controller): on the committed torchdiffeq results (made by
//! `scripts/ode_reference.py`), the evaluation counts match up to the last step
//! (which tessera shortens to end at the final time, where torchdiffeq steps past it
//! and interpolates) and the solutions agree to well within the tolerance.

mod common;
use common::*;
use tessera_core::{DType, Tensor};
use tessera_ode::{odeint_with_stats, Options};

/// A right-hand side.
type Rhs = Box<dyn Fn(&Tensor, &Tensor) -> Tensor>;

/// The problem's right-hand side, initial state and times.
fn problem(name: &str) -> (Rhs, Tensor, Tensor) {
    match name {
        "exp_sin" => (
            Box::new(|t, y| y * t.cos()),
            f64s(&[1.0]),
            Tensor::linspace_dtype(0.0, 10.0, 11, DType::F64),
        ),
        "lotka_volterra" => (
            Box::new(|_t, s| {
                let (x, y) = (s.narrow(0, 0, 1), s.narrow(0, 1, 1));
                let xy = &x * &y;
                Tensor::cat(&[&x * 1.5 - &xy, &y * -3.0 + &xy], 0)
            }),
            f64s(&[1.0, 1.0]),
            Tensor::linspace_dtype(0.0, 15.0, 16, DType::F64),
        ),
        "linear_2x2" => {
            let a = Tensor::from_vec(vec![-0.5, 2.0, 0.0, -3.0], &[2, 2]);
            (
                Box::new(move |_t, y| a.matmul(y)),
                Tensor::eye_dtype(2, 2, DType::F64),
                Tensor::linspace_dtype(0.0, 3.0, 7, DType::F64),
            )
        }
        other => panic!("unknown problem {other}"),
    }
}

#[test]
fn dopri5_matches_torchdiffeq() {
    let data = include_str!("data/torchdiffeq_dopri5.txt");
    let mut cases = 0;
    let mut exact_counts = 0;
    let (mut tight, mut same) = (0, 0);
    for line in data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut it = line.split_whitespace();
        let name = it.next().unwrap();
        let rtol: f64 = it.next().unwrap().parse().unwrap();
        let atol: f64 = it.next().unwrap().parse().unwrap();
        let nfe: usize = it.next().unwrap().parse().unwrap();
        let want: Vec<f64> = it.map(|v| v.parse().unwrap()).collect();
        let (f, y0, t) = problem(name);
        let opts = Options::default().rtol(rtol).atol(atol);
        let (ys, stats) = odeint_with_stats(&f, &y0, &t, &opts).unwrap();
        let got = vals(&ys);
        assert_eq!(got.len(), want.len(), "{name}");
        // At most one step (6 evaluations) fewer: torchdiffeq's step past the end.
        assert!(
            stats.nfe <= nfe && nfe <= stats.nfe + 6,
            "{name} rtol {rtol}: nfe {} vs torchdiffeq {nfe}",
            stats.nfe
        );
        exact_counts += usize::from(stats.nfe == nfe);
        // Before the last step the steps are the same, so the values agree to rounding; the
        // last step differs, and the values there by about a local error.
        let width = got.len() / t.numel();
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let tol = 10.0 * (atol + rtol * w.abs());
            assert!(
                (g - w).abs() <= tol,
                "{name} rtol {rtol}: {g} vs torchdiffeq {w}"
            );
            if i < got.len() - width {
                tight += 1;
                same += usize::from((g - w).abs() <= 1e-9 * (1.0 + w.abs()));
            }
        }
        cases += 1;
    }
    assert_eq!(cases, 9);
    assert!(
        exact_counts >= 7,
        "only {exact_counts} of 9 counts match exactly"
    );
    println!("{same} of {tight} values before the final time agree to 1e-9");
    assert!(
        same * 10 >= tight * 9,
        "only {same} of {tight} values agree to 1e-9"
    );
}
