//! [`odeint`]: torchdiffeq's entry point, checking inputs and dispatching to the
//! fixed-step or adaptive integrators.

use crate::adaptive::integrate_adaptive;
use crate::fixed::integrate_fixed;
use crate::norm::{all_finite, Norm};
use crate::rhs::Rhs;
pub use crate::stats::Stats;
use crate::Options;
use tessera_core::{Error, Result, Tensor};

/// Solves `dy/dt = f(t, y)`, `y(t[0]) = y0`, and returns `y` at every time in `t`,
/// stacked: shape `[t.len(), ...y0.shape]`, as `torchdiffeq.odeint(f, y0, t)`.
///
/// `f(t, y)` gets `t` as a 0-dim tensor of `y0`'s dtype and must return a tensor of
/// `y`'s shape and dtype. `t` is strictly increasing or strictly decreasing (a
/// decreasing `t` integrates backwards in time). The solver's arithmetic is made of
/// tensor ops, so gradients reach `y0` and any tensor `f` captures by
/// backpropagating through the steps (not to `t`);
/// [`odeint_adjoint`](crate::odeint_adjoint) computes them with memory independent
/// of the number of steps.
///
/// ```
/// use tessera_core::{tensor, DType, Tensor};
/// use tessera_ode::{odeint, Options};
///
/// // dy/dt = -y, y(0) = 1: y(t) = e^-t.
/// let y0 = tensor!([1.0], dtype = DType::F64);
/// let t = Tensor::linspace_dtype(0.0, 2.0, 3, DType::F64);
/// let ys = odeint(|_t, y| -y, &y0, &t, &Options::default()).unwrap();
/// assert_eq!(ys.shape(), &[3, 1]);
/// let y2 = ys.get::<f64>(&[2, 0]);
/// assert!((y2 - (-2.0f64).exp()).abs() < 1e-7);
/// ```
///
/// # Errors
/// [`Error::Numerical`] naming the time where it happened, when the solution becomes
/// non-finite (it blows up), the adaptive step size underflows, or more than
/// `max_num_steps` steps are needed; also when `y0` is not finite.
///
/// # Panics
/// If `t` is not a 1-D float tensor of finite, strictly monotonic times, `y0` is not
/// a float tensor, an option is out of range, or `f` returns a tensor of another shape
/// or dtype than `y`.
pub fn odeint<F>(f: F, y0: &Tensor, t: &Tensor, options: &Options) -> Result<Tensor>
where
    F: Fn(&Tensor, &Tensor) -> Tensor,
{
    odeint_with_stats(f, y0, t, options).map(|(ys, _)| ys)
}

/// [`odeint`], also returning the [`Stats`] of the solve (function evaluations and
/// steps).
///
/// ```
/// use tessera_core::{tensor, DType, Tensor};
/// use tessera_ode::{odeint_with_stats, Method, Options};
/// let y0 = tensor!([1.0], dtype = DType::F64);
/// let t = tensor!([0.0, 1.0], dtype = DType::F64);
/// let opts = Options::default().method(Method::Rk4).step_size(0.1);
/// let (_, stats) = odeint_with_stats(|_t, y| -y, &y0, &t, &opts).unwrap();
/// assert_eq!((stats.n_accepted, stats.nfe), (10, 40));
/// ```
///
/// # Errors
/// As [`odeint`].
///
/// # Panics
/// As [`odeint`].
pub fn odeint_with_stats<F>(
    f: F,
    y0: &Tensor,
    t: &Tensor,
    options: &Options,
) -> Result<(Tensor, Stats)>
where
    F: Fn(&Tensor, &Tensor) -> Tensor,
{
    let times = times_of("odeint", t);
    let (ys, stats) = solve(&f, y0, &times, options, &Norm::rms(y0.numel()))?;
    Ok((Tensor::stack(&ys, 0), stats))
}

/// The times of `t` as `f64`.
///
/// # Panics
/// If `t` is not a 1-D float tensor of finite, strictly monotonic times.
pub(crate) fn times_of(op: &str, t: &Tensor) -> Vec<f64> {
    assert!(
        t.dim() == 1 && t.numel() >= 1 && t.is_floating_point(),
        "{op}: t must be a non-empty 1-D float tensor, got shape {:?} and dtype {}",
        t.shape(),
        t.dtype()
    );
    let times = crate::norm::host(t);
    assert!(
        times.iter().all(|v| v.is_finite()),
        "{op}: t must be finite, got {times:?}"
    );
    let increasing = times.windows(2).all(|w| w[1] > w[0]);
    let decreasing = times.windows(2).all(|w| w[1] < w[0]);
    assert!(
        increasing || decreasing,
        "{op}: t must be strictly increasing or strictly decreasing, got {times:?}"
    );
    times
}

/// Solves through `times` (monotonic, user time), returning the state at each time
/// and the counts. `norm` measures the local error of the adaptive methods.
pub(crate) fn solve(
    f: &dyn Fn(&Tensor, &Tensor) -> Tensor,
    y0: &Tensor,
    times: &[f64],
    options: &Options,
    norm: &Norm,
) -> Result<(Vec<Tensor>, Stats)> {
    options.validate("odeint");
    assert!(
        y0.is_floating_point(),
        "odeint: y0 must be a float tensor, got dtype {}",
        y0.dtype()
    );
    if !all_finite(y0) {
        return Err(Error::numerical(
            "odeint",
            format!("the initial state y0 is not finite at t = {}", times[0]),
        ));
    }
    let reversed = times.len() > 1 && times[1] < times[0];
    let internal: Vec<f64> = if reversed {
        times.iter().map(|t| -t).collect()
    } else {
        times.to_vec()
    };
    let rhs = Rhs::new(f, y0, reversed);
    let mut stats = Stats::default();
    let method = options.method;
    let ys = if method.is_adaptive() {
        integrate_adaptive(&rhs, method, y0, &internal, options, norm, &mut stats)?
    } else {
        integrate_fixed(
            &rhs,
            method,
            y0,
            &internal,
            options.step_size,
            options.max_num_steps,
            &mut stats,
        )?
    };
    stats.nfe = rhs.nfe();
    Ok((ys, stats))
}
