//! Fixed-step integration (Euler, midpoint, RK4): every requested time is reached
//! by a step, each interval split into equal steps no longer than `step_size`.

use crate::norm::all_finite;
use crate::rhs::Rhs;
use crate::solve::Stats;
use crate::step::rk_step;
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
pub(crate) fn integrate_fixed(
    rhs: &Rhs,
    method: Method,
    y0: &Tensor,
    times: &[f64],
    step_size: Option<f64>,
    stats: &mut Stats,
) -> Result<Vec<Tensor>> {
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
            y = rk_step(rhs, tab, t0, t1, &y, None).y1;
            stats.n_accepted += 1;
            if !all_finite(&y) {
                return Err(Error::numerical(
                    "odeint",
                    format!(
                        "{method}: the solution became non-finite at t = {} (step from t = {}); it may blow up near there",
                        rhs.time(t1),
                        rhs.time(t0)
                    ),
                ));
            }
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
