//! Benchmark of tessera's adaptive solvers on a few problems and tolerances:
//! function evaluations, steps and time; and the cost of gradients, by
//! backpropagation through the solver and by the adjoint method.
//! `scripts/bench_ode.py` runs this with
//! `--json` and prints it side by side with scipy's `solve_ivp(method="RK45")` and
//! torchdiffeq's `dopri5` on the same problems and tolerances.
//!
//! Run with `cargo run --release -p tessera-ode --example bench_ode [-- --json] [--threads N]`.
//! tessera runs on one thread unless `--threads N` says otherwise (the script runs torch,
//! NumPy and SciPy on one thread too).

use std::time::Instant;
use tessera_core::{DType, Tensor};
use tessera_ode::{odeint_adjoint, odeint_with_stats, Method, Options, Stats};

type Rhs = Box<dyn Fn(&Tensor, &Tensor) -> Tensor>;

/// A problem: right-hand side, initial state, output times.
struct Problem {
    name: &'static str,
    f: Rhs,
    y0: Tensor,
    t: Tensor,
}

fn f64s(v: Vec<f64>) -> Tensor {
    let n = v.len();
    Tensor::from_vec(v, &[n])
}

/// The problems; `scripts/bench_ode.py` defines the same ones.
fn problems() -> Vec<Problem> {
    let mut ps = Vec::new();
    // y' = y cos t: y = exp(sin t).
    ps.push(Problem {
        name: "exp_sin",
        f: Box::new(|t, y| y * t.cos()),
        y0: f64s(vec![1.0]),
        t: Tensor::linspace_dtype(0.0, 10.0, 11, DType::F64),
    });
    // The tutorial's x' = e^x: x = -ln(1 - t), up to t = 0.99.
    ps.push(Problem {
        name: "tutorial_exp",
        f: Box::new(|_t, x| x.exp()),
        y0: f64s(vec![0.0]),
        t: f64s(vec![0.0, 0.5, 0.9, 0.99]),
    });
    // Lotka-Volterra: x' = 1.5 x - x y, y' = -3 y + x y.
    ps.push(Problem {
        name: "lotka_volterra",
        f: Box::new(|_t, s| {
            let (x, y) = (s.narrow(0, 0, 1), s.narrow(0, 1, 1));
            let xy = &x * &y;
            Tensor::cat(&[&x * 1.5 - &xy, &y * -3.0 + &xy], 0)
        }),
        y0: f64s(vec![1.0, 1.0]),
        t: Tensor::linspace_dtype(0.0, 15.0, 16, DType::F64),
    });
    // Y' = A Y, Y(0) = I, a 2x2 matrix state.
    let a = Tensor::from_vec(vec![-0.5, 2.0, 0.0, -3.0], &[2, 2]);
    ps.push(Problem {
        name: "linear_2x2",
        f: Box::new(move |_t, y| a.matmul(y)),
        y0: Tensor::eye_dtype(2, 2, DType::F64),
        t: Tensor::linspace_dtype(0.0, 3.0, 7, DType::F64),
    });
    // A neural-ODE-like y' = tanh(W y) - y / 2, 32 states, W_ij = 1.5 sin(1 + i + 3j) / sqrt(32).
    let n = 32;
    let w: Vec<f64> = (0..n * n)
        .map(|k| 1.5 * ((1 + k / n + 3 * (k % n)) as f64).sin() / (n as f64).sqrt())
        .collect();
    let w = Tensor::from_vec(w, &[n, n]);
    ps.push(Problem {
        name: "tanh_32",
        f: Box::new(move |_t, y| w.matmul(y).tanh() - y * 0.5),
        y0: f64s((0..n).map(|i| (i as f64).cos()).collect()),
        t: Tensor::linspace_dtype(0.0, 5.0, 11, DType::F64),
    });
    ps
}

/// The tolerance pairs `(rtol, atol)`.
const TOLERANCES: [(f64, f64); 3] = [(1e-3, 1e-6), (1e-6, 1e-9), (1e-9, 1e-12)];

/// Median wall time of repeated solves (at least 5 runs and 0.2 s), with the result.
fn timed(p: &Problem, opts: &Options) -> (f64, Tensor, Stats) {
    let (ys, stats) = odeint_with_stats(&p.f, &p.y0, &p.t, opts).expect("benchmark problems solve");
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || start.elapsed().as_secs_f64() < 0.2 {
        let t0 = Instant::now();
        let _ = odeint_with_stats(&p.f, &p.y0, &p.t, opts).expect("benchmark problems solve");
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], ys, stats)
}

/// A problem whose right-hand side depends on parameters `theta`, for gradients of
/// `L = sum(ys)` with respect to `y0` and `theta`.
struct GradProblem {
    name: &'static str,
    rhs: fn(Tensor) -> Rhs,
    y0: Tensor,
    theta: Tensor,
    t: Tensor,
}

fn grad_problems() -> Vec<GradProblem> {
    let n = 32;
    let w: Vec<f64> = (0..n * n)
        .map(|k| 1.5 * ((1 + k / n + 3 * (k % n)) as f64).sin() / (n as f64).sqrt())
        .collect();
    vec![
        // Lotka-Volterra with theta = (a, b, c, d): x' = a x - b x y, y' = -c y + d x y.
        GradProblem {
            name: "lotka_volterra",
            rhs: |th| {
                Box::new(move |_t, s| {
                    let (x, y) = (s.narrow(0, 0, 1), s.narrow(0, 1, 1));
                    let xy = &x * &y;
                    let p = |i| th.narrow(0, i, 1);
                    Tensor::cat(&[&x * p(0) - &xy * p(1), &xy * p(3) - &y * p(2)], 0)
                })
            },
            y0: f64s(vec![1.0, 1.0]),
            theta: f64s(vec![1.5, 1.0, 3.0, 1.0]),
            t: Tensor::linspace_dtype(0.0, 10.0, 11, DType::F64),
        },
        // y' = tanh(W y) - y / 2 with theta = W.
        GradProblem {
            name: "tanh_32",
            rhs: |w| Box::new(move |_t, y| w.matmul(y).tanh() - y * 0.5),
            y0: f64s((0..n).map(|i| (i as f64).cos()).collect()),
            theta: Tensor::from_vec(w, &[n, n]),
            t: Tensor::linspace_dtype(0.0, 5.0, 11, DType::F64),
        },
    ]
}

/// One gradient computation: (forward nfe, backward nfe, [dL/dy0, dL/dtheta] flattened).
fn gradient(p: &GradProblem, adjoint: bool, opts: &Options) -> (usize, usize, Vec<f64>) {
    let theta = p.theta.deep_clone();
    theta.requires_grad_(true);
    if adjoint {
        let sol = odeint_adjoint((p.rhs)(theta.clone()), &p.y0, &p.t, &[theta], opts)
            .expect("benchmark problems solve");
        let g = sol.backward(&sol.ys().ones_like()).expect("adjoint solves");
        let mut v = g.y0.flatten().to_vec::<f64>();
        v.extend(g.params[0].flatten().to_vec::<f64>());
        (sol.stats().nfe, g.stats.nfe, v)
    } else {
        let y0 = p.y0.deep_clone();
        y0.requires_grad_(true);
        let (ys, s) = odeint_with_stats((p.rhs)(theta.clone()), &y0, &p.t, opts)
            .expect("benchmark problems solve");
        ys.sum().backward();
        let mut v = y0.grad().unwrap().flatten().to_vec::<f64>();
        v.extend(theta.grad().unwrap().flatten().to_vec::<f64>());
        (s.nfe, 0, v)
    }
}

fn gradient_benchmarks(json: bool) {
    let (rtol, atol) = (1e-6, 1e-9);
    let opts = Options::default().rtol(rtol).atol(atol);
    if !json {
        println!(
            "\n{:<15} {:<16} {:>6} {:>8} {:>8} {:>10}",
            "gradients of", "method", "rtol", "nfe fwd", "nfe bwd", "time (ms)"
        );
    }
    for p in grad_problems() {
        for adjoint in [false, true] {
            let (nf, nb, grads) = gradient(&p, adjoint, &opts);
            let mut times = Vec::new();
            let start = Instant::now();
            while times.len() < 5 || start.elapsed().as_secs_f64() < 0.2 {
                let t0 = Instant::now();
                let _ = gradient(&p, adjoint, &opts);
                times.push(t0.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            let secs = times[times.len() / 2];
            let solver = if adjoint {
                "tessera adjoint"
            } else {
                "tessera direct"
            };
            if json {
                let g: Vec<String> = grads.iter().map(|v| format!("{v:e}")).collect();
                println!(
                    "{{\"kind\": \"grad\", \"problem\": \"{}\", \"solver\": \"{solver}\", \"rtol\": {rtol:e}, \"atol\": {atol:e}, \"nfe_forward\": {nf}, \"nfe_backward\": {nb}, \"time_s\": {secs:e}, \"grads\": [{}]}}",
                    p.name,
                    g.join(", ")
                );
            } else {
                println!(
                    "{:<15} {:<16} {:>6.0e} {:>8} {:>8} {:>10.3}",
                    p.name,
                    solver,
                    rtol,
                    nf,
                    nb,
                    secs * 1e3
                );
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    let threads = args
        .iter()
        .position(|a| a == "--threads")
        .map_or(1, |i| args[i + 1].parse().expect("--threads N"));
    tessera_core::set_num_threads(threads);
    eprintln!("tessera threads: {}", tessera_core::get_num_threads());
    if !json {
        println!(
            "{:<15} {:<8} {:>6} {:>6} {:>7} {:>6} {:>10}",
            "problem", "method", "rtol", "nfe", "steps", "rej", "time (ms)"
        );
    }
    for p in problems() {
        for (rtol, atol) in TOLERANCES {
            for method in [Method::Dopri5, Method::Tsit5] {
                let opts = Options::default().method(method).rtol(rtol).atol(atol);
                let (secs, ys, s) = timed(&p, &opts);
                if json {
                    let ys: Vec<String> = ys
                        .flatten()
                        .to_vec::<f64>()
                        .iter()
                        .map(|v| format!("{v:e}"))
                        .collect();
                    println!(
                        "{{\"problem\": \"{}\", \"solver\": \"tessera {method}\", \"rtol\": {rtol:e}, \"atol\": {atol:e}, \"nfe\": {}, \"steps\": {}, \"rejected\": {}, \"time_s\": {secs:e}, \"ys\": [{}]}}",
                        p.name,
                        s.nfe,
                        s.n_accepted,
                        s.n_rejected,
                        ys.join(", ")
                    );
                } else {
                    println!(
                        "{:<15} {:<8} {:>6.0e} {:>6} {:>7} {:>6} {:>10.3}",
                        p.name,
                        method.name(),
                        rtol,
                        s.nfe,
                        s.n_accepted,
                        s.n_rejected,
                        secs * 1e3
                    );
                }
            }
        }
    }
    gradient_benchmarks(json);
}
