//! The tutorial's ODE, done right: dx/dt = e^x from x(0) = 0.
//!
//! The tutorial integrates it with a hand-written Euler loop (dt = 0.1, 10 steps)
//! and calls the result at t = 1 "e". The exact solution is x(t) = -ln(1 - t), which
//! blows up at t = 1: there is no value at t = 1 at all. This tour compares Euler,
//! RK4, dopri5 and the exact solution, lets dopri5 run into the singularity, and
//! differentiates the solution with respect to the initial value and a parameter,
//! by backpropagation through the solver and by the adjoint method.
//!
//! Run with `cargo run --release -p tessera-ode --example ode_tour`.

use tessera_core::{DType, Tensor};
use tessera_ode::{odeint, odeint_adjoint, odeint_with_stats, Method, Options};

fn section(title: &str) {
    println!("\n=== {title} ===");
}

/// dx/dt = e^x.
fn rhs(_t: &Tensor, x: &Tensor) -> Tensor {
    x.exp()
}

fn main() -> tessera_core::Result<()> {
    let x0 = Tensor::scalar(0.0f64);
    // t = 0, 0.1, ..., 1.0: ten steps of 0.1, as in the tutorial.
    let grid = Tensor::linspace_dtype(0.0, 1.0, 11, DType::F64);

    section("Euler, dt = 0.1, 10 steps (the tutorial's loop)");
    let (euler, stats) =
        odeint_with_stats(rhs, &x0, &grid, &Options::default().method(Method::Euler))?;
    println!("{} steps, {} evaluations of f", stats.n_accepted, stats.nfe);
    println!(
        "Euler's x(1.0) = {:.6}. The tutorial calls this e = {:.6}; the exact x(1) is +inf.",
        euler.get::<f64>(&[10]),
        std::f64::consts::E
    );

    // RK4 on the same grid up to 0.9 (its last stage at t = 1 would sit on the
    // singularity), dopri5 with its default tolerances.
    let to_09 = grid.narrow(0, 0, 10);
    let rk4 = odeint(rhs, &x0, &to_09, &Options::default().method(Method::Rk4))?;
    let t = Tensor::from_vec(vec![0.0, 0.5, 0.9], &[3]);
    let (dopri5, stats) = odeint_with_stats(rhs, &x0, &t, &Options::default())?;

    section("Side by side");
    println!(
        "{:>5} {:>14} {:>14} {:>14} {:>14}",
        "t", "Euler dt=0.1", "RK4 dt=0.1", "dopri5", "-ln(1 - t)"
    );
    for (i, ti) in [(5isize, 0.5f64), (9, 0.9)] {
        let j = if ti == 0.5 { 1 } else { 2 };
        println!(
            "{ti:>5} {:>14.10} {:>14.10} {:>14.10} {:>14.10}",
            euler.get::<f64>(&[i]),
            rk4.get::<f64>(&[i]),
            dopri5.get::<f64>(&[j]),
            -(1.0 - ti).ln()
        );
    }
    println!(
        "dopri5 (rtol 1e-7, atol 1e-9): {} steps accepted, {} rejected, {} evaluations of f",
        stats.n_accepted, stats.n_rejected, stats.nfe
    );

    section("dopri5 approaching t = 1");
    let close = Tensor::from_vec(vec![0.0, 0.99, 0.999, 0.9999, 0.99999], &[5]);
    let xs = odeint(rhs, &x0, &close, &Options::default())?;
    for (i, ti) in close.to_vec::<f64>().iter().enumerate().skip(1) {
        println!(
            "x({ti}) = {:.8}   exact {:.8}",
            xs.get::<f64>(&[i as isize]),
            -(1.0 - ti).ln()
        );
    }
    println!(
        "(near t = 1 the problem is ill-conditioned: dx/dx0 = 1 / (1 - t), so errors made \
         earlier grow like 1 / (1 - t); tighten rtol to follow it further)"
    );
    let past = Tensor::from_vec(vec![0.0, 1.5], &[2]);
    match odeint(rhs, &x0, &past, &Options::default()) {
        Ok(xs) => println!("unexpected: x(1.5) = {}", xs.get::<f64>(&[1])),
        Err(e) => println!("odeint to t = 1.5 -> Err({e})"),
    }
    let fixed = Options::default().method(Method::Euler).step_size(0.1);
    match odeint(rhs, &x0, &past, &fixed) {
        Ok(xs) => println!("unexpected: x(1.5) = {}", xs.get::<f64>(&[1])),
        Err(e) => println!("Euler to t = 1.5      -> Err({e})"),
    }

    section("Gradients of x(0.9) for dx/dt = a e^x, x(0) = x0, at a = 1, x0 = 0");
    // x(t) = -ln(e^-x0 - a t): dx/dx0 = e^-x0 / (e^-x0 - a t) = 10, dx/da = t / (e^-x0 - a t) = 9.
    println!("{:<34} {:>14} {:>14}", "", "dx(0.9)/dx0", "dx(0.9)/da");
    let t = Tensor::from_vec(vec![0.0, 0.9], &[2]);
    let methods = [
        (
            "Euler dt=0.1, backprop",
            Options::default().method(Method::Euler).step_size(0.1),
        ),
        (
            "RK4 dt=0.1, backprop",
            Options::default().method(Method::Rk4).step_size(0.1),
        ),
        ("dopri5, backprop", Options::default()),
    ];
    let leaves = || {
        let (x0, a) = (Tensor::scalar(0.0f64), Tensor::scalar(1.0f64));
        x0.requires_grad_(true);
        a.requires_grad_(true);
        (x0, a)
    };
    for (label, opts) in methods {
        let (x0, a) = leaves();
        let xs = odeint(|_t, x| &a * x.exp(), &x0, &t, &opts)?;
        xs.select(0, 1).backward();
        let (gx, ga) = (x0.grad().unwrap(), a.grad().unwrap());
        println!(
            "{label:<34} {:>14.8} {:>14.8}",
            gx.item::<f64>(),
            ga.item::<f64>()
        );
    }
    let (x0, a) = leaves();
    let af = a.clone();
    let sol = odeint_adjoint(
        move |_t, x| &af * x.exp(),
        &x0,
        &t,
        std::slice::from_ref(&a),
        &Options::default(),
    )?;
    let stats = sol.stats();
    sol.into_tensor().select(0, 1).backward();
    let (gx, ga) = (x0.grad().unwrap(), a.grad().unwrap());
    println!(
        "{:<34} {:>14.8} {:>14.8}",
        "dopri5, adjoint",
        gx.item::<f64>(),
        ga.item::<f64>()
    );
    println!(
        "{:<34} {:>14.8} {:>14.8}",
        "exact",
        1.0 / (1.0 - 0.9),
        0.9 / (1.0 - 0.9)
    );
    println!(
        "(the adjoint's forward solve: {} evaluations of f, no graph kept)",
        stats.nfe
    );
    Ok(())
}
