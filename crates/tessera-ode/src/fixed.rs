//! Fixed-step integration (Euler, midpoint, RK4): every requested time is reached
//! by a step, each interval split into equal steps no longer than `step_size`.

use crate::norm::{all_finite, nonfinite_derivative};
use crate::rhs::Rhs;
use crate::stats::Stats;
use crate::step::{nan_stage, rk_step};
use crate::tableau::tableau;
use crate::Method;
use tessera_core::{Error, Result, Tensor};

/// The number of equal steps covering `len` with steps at most `step_size` (a
/// relative slack of 1e-10 absorbs rounding, so 0.4 / 0.1 is 4 steps, not 5).
pub(crate) fn steps_for(len: f64, step_size: Option<f64>) -> usize {
    match step_size {
        None => 1,
        Some(h) => ((len / h) * (1.0 - 1e-10)).ceil().max(1.0) as usize,
    }
}

/// Integrates through the increasing internal `times`; returns the state at each.
///
/// # Errors
/// Before any step, if the steps needed exceed `max_num_steps` (a step size far too small
/// for the interval); during the solve, if the derivative or the solution becomes
/// non-finite.
pub(crate) fn integrate_fixed(
    rhs: &Rhs,
    method: Method,
    y0: &Tensor,
    times: &[f64],
    step_size: Option<f64>,
    max_num_steps: usize,
    stats: &mut Stats,
) -> Result<Vec<Tensor>> {
    let total = times.windows(2).fold(0usize, |n, w| {
        n.saturating_add(steps_for(w[1] - w[0], step_size))
    });
    if total > max_num_steps {
        return Err(Error::numerical(
            "odeint",
            format!(
                "{method}: step_size {:e} needs {} steps over [{}, {}], more than max_num_steps ({max_num_steps}); use a larger step_size or raise max_num_steps",
                step_size.unwrap_or(f64::NAN),
                if total == usize::MAX { "more than 2^64".to_string() } else { total.to_string() },
                rhs.time(times[0]),
                rhs.time(times[times.len() - 1])
            ),
        ));
    }
    let tab = tableau(method);
    let mut ys = Vec::with_capacity(times.len());
    ys.push(y0.clone());
    let mut y = y0.clone();
    for w in times.windows(2) {
        let (a, b) = (w[0], w[1]);
        let n = steps_for(b - a, step_size);
        let h = (b - a) / n as f64;
        for j in 0..n {
            let t0 = a + j as f64 * h;
            let t1 = if j + 1 == n {
                b
            } else {
                a + (j + 1) as f64 * h
            };
            let step = rk_step(rhs, tab, t0, t1, &y, None);
            stats.n_accepted += 1;
            if !all_finite(&step.y1) {
                if let Some(at) = nan_stage(tab, t0, t1 - t0, &y, &step.k) {
                    return Err(nonfinite_derivative(method, rhs.time(at)));
                }
                return Err(Error::numerical(
                    "odeint",
                    format!(
                        "{method}: the solution became non-finite at t = {} (step from t = {}); it may blow up near there",
                        rhs.time(t1),
                        rhs.time(t0)
                    ),
                ));
            }
            y = step.y1;
        }
        ys.push(y.clone());
    }
    Ok(ys)
}

#[cfg(test)]
mod tests {
    use super::steps_for;

    #[test]
    fn step_counts_absorb_rounding() {
        assert_eq!(steps_for(0.9 - 0.5, Some(0.1)), 4);
        assert_eq!(steps_for(0.5, Some(0.1)), 5);
        assert_eq!(steps_for(0.51, Some(0.1)), 6);
        assert_eq!(steps_for(0.05, Some(0.1)), 1);
        assert_eq!(steps_for(3.0, None), 1);
    }
}
