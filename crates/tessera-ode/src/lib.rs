//! tessera-ode: ODE solvers on tessera tensors, with torchdiffeq's interface
//! (`tessera::ode`).
//!
//! [`odeint`] solves `dy/dt = f(t, y)` for a state `y` of any shape and returns the
//! solution at the requested times, stacked. Methods: fixed-step [`Method::Euler`],
//! [`Method::Midpoint`] and [`Method::Rk4`]; adaptive [`Method::Dopri5`] (the default)
//! and [`Method::Tsit5`], with initial step selection and dense output. A solution
//! that blows up, a step size that underflows or a step budget that runs out is an
//! [`Error::Numerical`](tessera_core::Error::Numerical) that says at which time it
//! happened, never a silent NaN or an endless loop.
//!
//! Gradients: the solvers compute with tensor ops, so `backward()` on anything made
//! from [`odeint`]'s result reaches `y0` and every tensor `f` captures, through the
//! steps and the dense output (step-size decisions are not differentiated, as in
//! torchdiffeq; nor are the times `t`). [`odeint_adjoint`] computes the same
//! gradients by the adjoint method, in memory that does not grow with the number of
//! steps: [`AdjointSolution::backward`] returns them for given `dL/dys`, and
//! [`AdjointSolution::into_tensor`] puts the solve into the autograd graph like
//! torchdiffeq's `odeint_adjoint`.
//!
//! Differences from torchdiffeq, all deliberate: with `step_size`, fixed-step methods
//! land exactly on every requested time instead of interpolating linearly from a
//! global grid (which loses their order); the adaptive methods shorten their last step
//! to end at the final time instead of stepping past it (so `f` is never evaluated
//! outside the requested interval); `max_num_steps` bounds the whole solve rather than
//! each interval; Tsit5 propagates its fifth-order solution.
//!
//! ```
//! use tessera_core::{tensor, DType, Tensor};
//! use tessera_ode::{odeint, Method, Options};
//!
//! // The tutorial's dx/dt = e^x, x(0) = 0, whose solution is -ln(1 - t).
//! let x0 = tensor!(0.0, dtype = DType::F64);
//! let t = tensor!([0.0, 0.5, 0.9], dtype = DType::F64);
//! let xs = odeint(|_t, x| x.exp(), &x0, &t, &Options::default()).unwrap();
//! assert!((xs.get::<f64>(&[2]) - 10f64.ln()).abs() < 1e-6);
//!
//! // Past t = 1 there is no solution: an error naming the time (within the
//! // tolerance of 1), not a number.
//! let t = tensor!([0.0, 2.0], dtype = DType::F64);
//! let err = odeint(|_t, x| x.exp(), &x0, &t, &Options::default()).unwrap_err();
//! let msg = err.to_string();
//! let at: f64 = msg.split("at t = ").nth(1).unwrap().split(';').next().unwrap().parse().unwrap();
//! assert!((at - 1.0).abs() < 1e-6, "{msg}");
//! # let _ = Method::Rk4;
//! ```
#![warn(missing_docs)]

mod adaptive;
mod adjoint;
mod fixed;
mod interp;
mod norm;
mod options;
mod rhs;
mod solve;
mod stats;
mod step;
mod tableau;

pub use adjoint::{odeint_adjoint, AdjointGradients, AdjointSolution};
pub use options::{Method, Options, UnknownMethod};
pub use solve::{odeint, odeint_with_stats, Stats};
