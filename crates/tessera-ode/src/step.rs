//! One explicit Runge–Kutta step with tensor ops, so gradients flow through it.

use crate::norm::{all_finite, host};
use crate::rhs::Rhs;
use crate::tableau::Tableau;
use tessera_core::Tensor;

/// `sum_j (h * w_j) k_j` over the nonzero weights, or `None` if all are zero.
pub(crate) fn weighted_sum(ks: &[Tensor], w: &[f64], h: f64) -> Option<Tensor> {
    let mut acc: Option<Tensor> = None;
    for (k, &wj) in ks.iter().zip(w) {
        if wj == 0.0 {
            continue;
        }
        let term = k * (h * wj);
        acc = Some(match acc {
            None => term,
            Some(a) => a + term,
        });
    }
    acc
}

/// `y + sum_j (h * w_j) k_j`.
pub(crate) fn advance(y: &Tensor, ks: &[Tensor], w: &[f64], h: f64) -> Tensor {
    match weighted_sum(ks, w, h) {
        Some(s) => y + s,
        None => y.clone(),
    }
}

/// The stages and the new state of one step from `(t0, y0)` to `t1`.
pub(crate) struct Step {
    /// The state at `t1`.
    pub y1: Tensor,
    /// `k_i`, one per stage; with FSAL the last is `f(t1, y1)`.
    pub k: Vec<Tensor>,
}

/// Takes one step of `tab` from `(t0, y0)` to `t1`. `k0` is `f(t0, y0)` when the
/// caller already has it (FSAL); otherwise it is evaluated. Stages with node 1 are
/// evaluated at exactly `t1`.
pub(crate) fn rk_step(
    rhs: &Rhs,
    tab: &Tableau,
    t0: f64,
    t1: f64,
    y0: &Tensor,
    k0: Option<Tensor>,
) -> Step {
    let h = t1 - t0;
    let mut k = Vec::with_capacity(tab.stages());
    k.push(k0.unwrap_or_else(|| rhs.eval(t0, y0)));
    let mut y_last = None;
    for i in 1..tab.stages() {
        let ti = if tab.c[i] == 1.0 {
            t1
        } else {
            t0 + tab.c[i] * h
        };
        let yi = advance(y0, &k, tab.a[i], h);
        k.push(rhs.eval(ti, &yi));
        y_last = Some(yi);
    }
    let y1 = match (tab.fsal, y_last) {
        (true, Some(y)) => y,
        _ => advance(y0, &k, tab.b, h),
    };
    Step { y1, k }
}

/// The time of the first stage of a step whose state is finite but whose derivative
/// has a NaN: a fault of the right-hand side, not a blow-up of the solution (which
/// shows as infinite states and derivatives).
pub(crate) fn nan_stage(tab: &Tableau, t: f64, h: f64, y: &Tensor, k: &[Tensor]) -> Option<f64> {
    (0..k.len()).find_map(|i| {
        let yi = if i == 0 {
            y.clone()
        } else {
            advance(y, &k[..i], tab.a[i], h)
        };
        (all_finite(&yi) && host(&k[i]).iter().any(|v| v.is_nan())).then(|| t + tab.c[i] * h)
    })
}
