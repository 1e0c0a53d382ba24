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
mod step;
mod tableau;

pub use adjoint::{odeint_adjoint, AdjointGradients, AdjointSolution};
pub use options::{Method, Options, UnknownMethod};
pub use solve::{odeint, odeint_with_stats, Stats};
