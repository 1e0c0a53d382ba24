//! Adaptive Runge–Kutta integration (Dopri5, Tsit5) as torchdiffeq does it: Hairer's
//! initial step selection, the error-per-step controller with safety factor, dense
//! output at the requested times. The last step is shortened to end exactly at the
//! final requested time, so `f` is never evaluated beyond it.

use crate::interp::Quartic;
use crate::norm::{check_derivative, host, nonfinite_derivative, Norm};
use crate::rhs::Rhs;
use crate::stats::Stats;
use crate::step::{advance, nan_stage, rk_step, weighted_sum};
use crate::tableau::tableau;
use crate::{Method, Options};
use tessera_core::autograd::no_grad;
use tessera_core::{Error, Result, Tensor};

/// Hairer, Nørsett & Wanner, "Solving ODEs I", II.4: a first step from the sizes of
/// `y0`, `f0` and a difference quotient of `f`, for a method of the given order.
/// Runs without recording gradients (the step size is not differentiated).
fn initial_step(
    rhs: &Rhs,
    t0: f64,
    y0: &Tensor,
    f0: &Tensor,
    order: u32,
    opts: &Options,
    norm: &Norm,
) -> f64 {
    let _g = no_grad();
    let (yv, fv) = (host(y0), host(f0));
    let scale: Vec<f64> = yv.iter().map(|y| opts.atol + y.abs() * opts.rtol).collect();
    let d0 = norm.scaled(&yv, &scale);
    let d1 = norm.scaled(&fv, &scale);
    let h0 = if d0 < 1e-5 || d1 < 1e-5 || !d0.is_finite() || !d1.is_finite() {
        1e-6
    } else {
        0.01 * d0 / d1
    };
    let y1 = y0 + f0 * h0;
    let f1 = host(&rhs.eval(t0 + h0, &y1));
    let diff: Vec<f64> = f1.iter().zip(&fv).map(|(a, b)| a - b).collect();
    let d2 = norm.scaled(&diff, &scale) / h0;
    let h1 = if d1 <= 1e-15 && d2 <= 1e-15 {
        (h0 * 1e-3).max(1e-6)
    } else {
        (0.01 / d1.max(d2)).powf(1.0 / order as f64)
    };
    let h = (100.0 * h0).min(h1);
    // A non-finite probe (f blows up right after t0) leaves h1 at 0 or NaN: start
    // from h0 and let the controller shrink the step.
    if h.is_finite() && h > 0.0 {
        h
    } else {
        h0
    }
}

/// The next step size after a step of size `h` with error ratio `ratio`.
fn next_step(h: f64, ratio: f64, order: u32, opts: &Options) -> f64 {
    if ratio == 0.0 {
        return h * opts.ifactor;
    }
    let dfactor = if ratio < 1.0 { 1.0 } else { opts.dfactor };
    let factor = (opts.safety / ratio.powf(1.0 / order as f64))
        .max(dfactor)
        .min(opts.ifactor);
    h * factor
}

/// Integrates through the increasing internal `times`; returns the state at each.
/// `norm` measures the scaled local error (RMS over the state, or the adjoint's mixed
/// norm).
pub(crate) fn integrate_adaptive(
    rhs: &Rhs,
    method: Method,
    y0: &Tensor,
    times: &[f64],
    opts: &Options,
    norm: &Norm,
    stats: &mut Stats,
) -> Result<Vec<Tensor>> {
    let tab = tableau(method);
    let order = method.order();
    let mut ys = Vec::with_capacity(times.len());
    ys.push(y0.clone());
    if times.len() == 1 {
        return Ok(ys);
    }
    let t_end = times[times.len() - 1];
    let mut t = times[0];
    let mut y = y0.clone();
    let mut f = rhs.eval(t, &y);
    check_derivative(method, rhs.time(t), &f)?;
    let mut h = match opts.first_step {
        Some(h) => h,
        None => initial_step(rhs, t, &y, &f, order, opts, norm),
    };
    let mut next = 1;
    let mut attempts = 0usize;
    // Where the last rejected step met a NaN derivative at a finite stage state.
    let mut nan_at: Option<f64> = None;
    while next < times.len() {
        if attempts >= opts.max_num_steps {
            return Err(Error::numerical(
                "odeint",
                format!(
                    "{method}: max_num_steps ({}) exceeded at t = {}; the problem may be stiff or the solution may blow up near this time",
                    opts.max_num_steps,
                    rhs.time(t)
                ),
            ));
        }
        let t1 = if t + h >= t_end { t_end } else { t + h };
        if h.is_nan() || h <= 4.0 * f64::EPSILON * t.abs() || t1 <= t {
            if let Some(at) = nan_at {
                return Err(nonfinite_derivative(method, rhs.time(at)));
            }
            return Err(Error::numerical(
                "odeint",
                format!(
                    "{method}: step size underflow (h = {h:e}) at t = {}; the solution likely blows up (or the problem is too stiff) near this time",
                    rhs.time(t)
                ),
            ));
        }
        attempts += 1;
        let step = rk_step(rhs, tab, t, t1, &y, Some(f.clone()));
        let hs = t1 - t;
        let err = weighted_sum(&step.k, tab.e, hs).expect("adaptive tableaus have error weights");
        let ratio = norm.error_ratio(
            &host(&err),
            &host(&y),
            &host(&step.y1),
            opts.rtol,
            opts.atol,
        );
        if ratio <= 1.0 {
            stats.n_accepted += 1;
            let f1 = step.k[step.k.len() - 1].clone();
            let mut dense: Option<Quartic> = None;
            while next < times.len() && times[next] <= t1 {
                let tn = times[next];
                let yn = if tn == t1 {
                    step.y1.clone()
                } else {
                    dense
                        .get_or_insert_with(|| {
                            let y_mid = advance(&y, &step.k, tab.mid, hs);
                            Quartic::fit(t, t1, &y, &step.y1, &y_mid, &f, &f1)
                        })
                        .eval(tn)
                };
                ys.push(yn);
                next += 1;
            }
            t = t1;
            y = step.y1;
            f = f1;
            check_derivative(method, rhs.time(t), &f)?;
            nan_at = None;
        } else {
            stats.n_rejected += 1;
            if !ratio.is_finite() {
                nan_at = nan_stage(tab, t, hs, &y, &step.k).or(nan_at);
            }
        }
        h = next_step(hs, ratio, order, opts);
    }
    Ok(ys)
}

#[cfg(test)]
mod tests {
    use super::next_step;
    use crate::Options;

    #[test]
    fn controller_follows_torchdiffeq() {
        let o = Options::default();
        assert_eq!(next_step(0.1, 0.0, 5, &o), 0.1 * 10.0);
        // Accepted steps never shrink; rejected ones shrink at most 5x.
        assert_eq!(next_step(0.1, 0.99, 5, &o), 0.1);
        // Small errors grow the step by safety / ratio^(1/5), at most 10x.
        assert!((next_step(0.1, 1e-5, 5, &o) - 0.1 * 0.9 * 10.0).abs() < 1e-14);
        assert_eq!(next_step(0.1, 1e-10, 5, &o), 0.1 * 10.0);
        assert!((next_step(0.1, f64::INFINITY, 5, &o) - 0.02).abs() < 1e-15);
        let r: f64 = 32.0;
        assert!((next_step(0.1, r, 5, &o) - 0.1 * 0.9 / 2.0).abs() < 1e-15);
    }
}
