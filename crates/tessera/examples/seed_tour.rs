//! The tutorial on `torch.Tensor.expm1`, done right.
//!
//! Run with `cargo run --release --example seed_tour`.

use tessera::ode::{self, Method, Options};
use tessera::prelude::*;

fn section(title: &str) {
    println!("\n=== {title} ===");
}

fn main() {
    section("expm1 computes e^x - 1");
    let x = tensor!([1.0, 2.0, 3.0]);
    println!("x          = {x}");
    println!("x.expm1()  = {}", x.expm1());
    println!(
        "x.exp()    = {}   (e^x, which is not what expm1 returns)",
        x.exp()
    );

    section("The three call forms");
    let y = x.expm1();
    let z = x.deep_clone();
    z.expm1_();
    let mut out = Tensor::zeros(&[3]);
    tessera::expm1_out(&x, &mut out);
    println!("x.expm1()            = {y}");
    println!("x.expm1_() (in place)= {z}");
    println!("expm1_out(&x, &mut y)= {out}");

    section("Sigmoid: 1 / (1 + e^-x), not 1 / (1 + expm1(-x))");
    let s = tensor!([-3.0, 0.0, 3.0]);
    let wrong = 1.0 / (1.0 + (-&s).expm1());
    println!("x                       = {s}");
    println!("x.sigmoid()             = {}", s.sigmoid());
    println!("tutorial's 1/(1+expm1(-x)) = {wrong}   (wrong: that is 1/e^-x = e^x)");
    println!(
        "sigmoid(-1000)          = {}   (no overflow)",
        tensor!([-1000.0, 1000.0]).sigmoid()
    );

    section("Softmax: exp(x - max) / sum, not expm1(x) / sum(expm1(x))");
    let l = tensor!([1.0, 2.0, 3.0]);
    let e = l.expm1();
    let wrong_softmax = &e / e.sum();
    println!("x.softmax(-1)                 = {}", l.softmax(-1));
    println!("tutorial's expm1(x)/sum(...)  = {wrong_softmax}   (wrong)");
    println!(
        "softmax of [1000, 1000]       = {}   (stable)",
        tensor!([1000.0, 1000.0]).softmax(-1)
    );
    println!(
        "logsumexp of [-1000, -1000]   = {}",
        tensor!([-1000.0, -1000.0]).logsumexp(-1, false)
    );

    section("Why expm1 exists: exp(x) - 1 cancels for tiny x");
    for dtype in [DType::F32, DType::F64] {
        let t = tensor!([1e-10], dtype = dtype);
        println!(
            "{dtype}: exp(1e-10) - 1 = {:e}   expm1(1e-10) = {:e}",
            (t.exp() - 1.0).item::<f64>(),
            t.expm1().item::<f64>()
        );
    }

    section("The tutorial's element loop, y[i] = exp(x[i]) - 1");
    let xs = tensor!([0.5, 1.0, 1.5], dtype = DType::F64);
    let ys = xs.zeros_like();
    for i in 0..xs.numel() as isize {
        ys.set(&[i], xs.get::<f64>(&[i]).exp() - 1.0);
    }
    println!("loop     = {ys}");
    println!("expm1    = {}", xs.expm1());
    println!(
        "max diff = {:e}",
        (&ys - xs.expm1()).abs().max().item::<f64>()
    );

    section("Matrix exponential: linalg::matrix_exp, not elementwise expm1");
    let a = tensor!([[1.0, 2.0], [3.0, 4.0]], dtype = DType::F64);
    println!("A                    = {a}");
    println!("A.expm1() (per entry)= {}", a.expm1());
    println!("matrix_exp(A)        = {}", tessera::linalg::matrix_exp(&a));
    println!("expm1 maps each entry to e^a - 1; matrix_exp sums the series I + A + A^2/2! + ... of matrix powers.");

    section("The tutorial's ODE dx/dt = e^x, x(0) = 0: exact solution -ln(1 - t), not e");
    let rhs = |_t: &Tensor, x: &Tensor| x.exp();
    let x0 = Tensor::scalar(0.0f64);
    let grid = Tensor::linspace_dtype(0.0, 1.0, 11, DType::F64);
    let euler = ode::odeint(rhs, &x0, &grid, &Options::default().method(Method::Euler))
        .expect("Euler takes fixed steps");
    println!(
        "Euler, dt = 0.1, 10 steps: x(1) = {:.4} (the tutorial calls this e; the true x(1) is +inf)",
        euler.get::<f64>(&[10])
    );
    let to_09 = grid.narrow(0, 0, 10);
    let rk4 = ode::odeint(rhs, &x0, &to_09, &Options::default().method(Method::Rk4)).expect("rk4");
    let times = tensor!([0.0, 0.5, 0.9], dtype = DType::F64);
    let dopri5 = ode::odeint(rhs, &x0, &times, &Options::default()).expect("dopri5 before t = 1");
    println!(
        "{:>5} {:>12} {:>12} {:>12} {:>12}",
        "t", "Euler", "RK4", "dopri5", "-ln(1-t)"
    );
    for (i, j, t) in [(5, 1, 0.5f64), (9, 2, 0.9)] {
        println!(
            "{t:>5} {:>12.8} {:>12.8} {:>12.8} {:>12.8}",
            euler.get::<f64>(&[i]),
            rk4.get::<f64>(&[i]),
            dopri5.get::<f64>(&[j]),
            -(1.0 - t).ln()
        );
    }
    match ode::odeint(
        rhs,
        &x0,
        &tensor!([0.0, 1.5], dtype = DType::F64),
        &Options::default(),
    ) {
        Ok(_) => println!("dopri5 to t = 1.5: no error (unexpected)"),
        Err(e) => println!("dopri5 to t = 1.5: Err({e})"),
    }

    section("ndarray round trip");
    let a = ndarray::array![[0.0f64, 1.0], [2.0, 3.0]].into_dyn();
    let t = Tensor::from(a.clone());
    let back = t.expm1().to_ndarray::<f64>();
    println!("ndarray in  =\n{a}");
    println!("as a tensor = {t}");
    println!("expm1, back to ndarray =\n{back}");
}
