//! Host-side norms of the step-size controller: root-mean-square of scaled errors,
//! optionally the largest of several RMS norms over consecutive segments (the mixed
//! norm of the adjoint's augmented state, as torchdiffeq).

use tessera_core::{DType, Tensor};

/// A copy of the elements as `f64`, outside any autograd graph.
pub(crate) fn host(t: &Tensor) -> Vec<f64> {
    let t = t.detach();
    if t.dtype() == DType::F64 {
        t.to_vec::<f64>()
    } else {
        t.to_dtype(DType::F64).to_vec::<f64>()
    }
}

/// Whether every element is finite.
pub(crate) fn all_finite(t: &Tensor) -> bool {
    host(t).iter().all(|v| v.is_finite())
}

/// The error for a right-hand side that returned NaN or infinity at time `t` for a
/// finite state: no smaller step can cure that, so the solve stops and says so (rather
/// than reporting a step-size underflow or a blow-up of the solution).
pub(crate) fn nonfinite_derivative(method: crate::Method, t: f64) -> tessera_core::Error {
    tessera_core::Error::numerical(
        "odeint",
        format!(
            "{method}: the right-hand side returned a non-finite derivative (NaN or infinity) at t = {t} for a finite state"
        ),
    )
}

/// `Err` unless `f`, the derivative at the finite state at time `t`, is finite.
pub(crate) fn check_derivative(
    method: crate::Method,
    t: f64,
    f: &Tensor,
) -> tessera_core::Result<()> {
    if all_finite(f) {
        Ok(())
    } else {
        Err(nonfinite_derivative(method, t))
    }
}

/// `num / den`, with `0 / 0 = 0` (an exactly zero error against a zero tolerance).
fn ratio(num: f64, den: f64) -> f64 {
    if num == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// The largest RMS over consecutive segments of given lengths.
#[derive(Clone, Debug)]
pub(crate) struct Norm {
    segments: Vec<usize>,
}

impl Norm {
    /// One RMS over `n` elements.
    pub fn rms(n: usize) -> Norm {
        Norm { segments: vec![n] }
    }

    /// The largest of the RMS norms over consecutive segments of these lengths.
    pub fn mixed(segments: Vec<usize>) -> Norm {
        Norm { segments }
    }

    /// The norm of `v(0), v(1), ...`; NaN if any element is NaN.
    pub fn of(&self, v: impl Fn(usize) -> f64) -> f64 {
        let mut start = 0;
        let mut worst: f64 = 0.0;
        for &len in &self.segments {
            if len > 0 {
                let ss: f64 = (start..start + len).map(|i| v(i) * v(i)).sum();
                let r = (ss / len as f64).sqrt();
                if r.is_nan() {
                    return f64::NAN;
                }
                worst = worst.max(r);
            }
            start += len;
        }
        worst
    }

    /// `|| err / (atol + rtol max(|y0|, |y1|)) ||`, infinite if `err` or `y1` has a
    /// non-finite element (the step is then rejected).
    pub fn error_ratio(&self, err: &[f64], y0: &[f64], y1: &[f64], rtol: f64, atol: f64) -> f64 {
        if err.iter().chain(y1).any(|v| !v.is_finite()) {
            return f64::INFINITY;
        }
        let r = self.of(|i| ratio(err[i], atol + rtol * y0[i].abs().max(y1[i].abs())));
        if r.is_nan() {
            f64::INFINITY
        } else {
            r
        }
    }

    /// `|| v / scale ||` for the initial step selection.
    pub fn scaled(&self, v: &[f64], scale: &[f64]) -> f64 {
        self.of(|i| ratio(v[i], scale[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_and_mixed() {
        let v = [3.0, 4.0, 0.0, 1.0];
        let rms = Norm::rms(4).of(|i| v[i]);
        assert!((rms - (26.0f64 / 4.0).sqrt()).abs() < 1e-15);
        let mixed = Norm::mixed(vec![2, 0, 2]).of(|i| v[i]);
        assert!((mixed - (25.0f64 / 2.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn non_finite_errors_reject() {
        let n = Norm::rms(2);
        let ok = n.error_ratio(&[1e-9, 0.0], &[1.0, 0.0], &[1.0, 0.0], 1e-6, 0.0);
        assert!((ok - (0.5f64).sqrt() * 1e-3).abs() < 1e-15, "{ok}");
        assert_eq!(
            n.error_ratio(&[0.0, 0.0], &[1.0, 1.0], &[f64::INFINITY, 1.0], 1e-6, 1e-9),
            f64::INFINITY
        );
        assert_eq!(
            n.error_ratio(&[f64::NAN, 0.0], &[1.0, 1.0], &[1.0, 1.0], 1e-6, 1e-9),
            f64::INFINITY
        );
    }
}
