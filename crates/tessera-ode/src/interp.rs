//! Dense output: the quartic through a step's ends, slopes and midpoint
//! (Shampine 1986), evaluated with tensor ops so gradients flow through it.

use tessera_core::Tensor;

/// `p(x) = e + d x + c x^2 + b x^3 + a x^4` on `x = (t - t0) / (t1 - t0)`, with
/// `p(0) = y0`, `p(1) = y1`, `p(1/2) = y_mid`, `p'(0) = h f0`, `p'(1) = h f1`.
pub(crate) struct Quartic {
    t0: f64,
    t1: f64,
    /// `[a, b, c, d, e]`, highest power first (Horner order).
    coeffs: [Tensor; 5],
}

impl Quartic {
    /// Fits the quartic of a step from `(t0, y0, f0)` to `(t1, y1, f1)`.
    pub fn fit(
        t0: f64,
        t1: f64,
        y0: &Tensor,
        y1: &Tensor,
        y_mid: &Tensor,
        f0: &Tensor,
        f1: &Tensor,
    ) -> Quartic {
        let h = t1 - t0;
        let a = (f1 - f0) * (2.0 * h) - (y1 + y0) * 8.0 + y_mid * 16.0;
        let b = f0 * (5.0 * h) - f1 * (3.0 * h) + y0 * 18.0 + y1 * 14.0 - y_mid * 32.0;
        let c = f1 * h - f0 * (4.0 * h) - y0 * 11.0 - y1 * 5.0 + y_mid * 16.0;
        let d = f0 * h;
        Quartic {
            t0,
            t1,
            coeffs: [a, b, c, d, y0.clone()],
        }
    }

    /// The interpolated state at `t` (in `[t0, t1]`).
    pub fn eval(&self, t: f64) -> Tensor {
        let x = (t - self.t0) / (self.t1 - self.t0);
        let [a, b, c, d, e] = &self.coeffs;
        let mut acc = a * x + b;
        for coeff in [c, d, e] {
            acc = acc * x + coeff;
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::DType;

    /// The fit reproduces any quartic exactly.
    #[test]
    fn reproduces_a_quartic() {
        let p = |t: f64| 1.5 - 2.0 * t + 0.5 * t * t + 3.0 * t.powi(3) - 1.25 * t.powi(4);
        let dp = |t: f64| -2.0 + t + 9.0 * t * t - 5.0 * t.powi(3);
        let s = |v: f64| Tensor::scalar(v).to_dtype(DType::F64);
        let (t0, t1) = (0.3, 1.1);
        let q = Quartic::fit(
            t0,
            t1,
            &s(p(t0)),
            &s(p(t1)),
            &s(p(0.5 * (t0 + t1))),
            &s(dp(t0)),
            &s(dp(t1)),
        );
        for t in [0.3, 0.45, 0.7, 0.99, 1.1] {
            let got = q.eval(t).item::<f64>();
            assert!((got - p(t)).abs() < 1e-13, "t = {t}: {got} vs {}", p(t));
        }
    }
}
