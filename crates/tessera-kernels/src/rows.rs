//! Row kernels: logsumexp, softmax and log_softmax over one contiguous row.

/// `ln(sum(exp(row - m)))` for the row's maximum `m`. The maximum's own term (exactly 1)
/// is left out of the sum and added back through `ln_1p`, so a tiny remainder such as
/// `e^-100` is not rounded away (`log_softmax([0, -100])[0]` is `-e^-100`, not 0).
fn ln_sum_exp_shifted<T>(row: &[T], m: T) -> f64
where
    T: Copy + PartialEq + Into<f64> + std::ops::Sub<Output = T>,
{
    // An infinite maximum keeps every term, so `inf - inf` gives NaN as in PyTorch.
    let top = if m.into().is_finite() {
        row.iter().position(|&v| v == m)
    } else {
        None
    };
    let rest: f64 = row
        .iter()
        .enumerate()
        .filter(|&(i, _)| Some(i) != top)
        .map(|(_, &v)| (v - m).into().exp())
        .sum();
    match top {
        Some(_) => rest.ln_1p(),
        None => rest.ln(),
    }
}

macro_rules! row_kernels {
    ($t:ty, $lse:ident, $softmax:ident, $log_softmax:ident) => {
        /// `log(sum(exp(row)))`, computed stably (the maximum is subtracted first).
        /// An empty row gives `-inf`; a row holding NaN gives NaN; a maximum of `±inf` is returned as is.
        pub fn $lse(row: &[$t]) -> $t {
            let m = row.iter().fold(
                <$t>::NEG_INFINITY,
                |a, &b| if b > a || b.is_nan() { b } else { a },
            );
            if m.is_nan() || m.is_infinite() {
                return m;
            }
            (m as f64 + ln_sum_exp_shifted(row, m)) as $t
        }

        /// Softmax of one row: `exp(x - max) / sum(exp(x - max))`.
        ///
        /// # Panics
        /// If `row` and `out` have different lengths.
        pub fn $softmax(row: &[$t], out: &mut [$t]) {
            assert_eq!(
                row.len(),
                out.len(),
                concat!(stringify!($softmax), ": row and out lengths differ")
            );
            let m = row.iter().fold(
                <$t>::NEG_INFINITY,
                |a, &b| if b > a || b.is_nan() { b } else { a },
            );
            let mut s = 0.0f64;
            for (o, &v) in out.iter_mut().zip(row) {
                let e = ((v - m) as f64).exp();
                *o = e as $t;
                s += e;
            }
            let inv = 1.0 / s;
            for o in out.iter_mut() {
                *o = ((*o as f64) * inv) as $t;
            }
        }

        /// Log-softmax of one row: `(x - max) - log(sum(exp(x - max)))`.
        ///
        /// # Panics
        /// If `row` and `out` have different lengths.
        pub fn $log_softmax(row: &[$t], out: &mut [$t]) {
            assert_eq!(
                row.len(),
                out.len(),
                concat!(stringify!($log_softmax), ": row and out lengths differ")
            );
            let m = row.iter().fold(
                <$t>::NEG_INFINITY,
                |a, &b| if b > a || b.is_nan() { b } else { a },
            );
            let ls = ln_sum_exp_shifted(row, m);
            for (o, &v) in out.iter_mut().zip(row) {
                *o = (((v - m) as f64) - ls) as $t;
            }
        }
    };
}

row_kernels!(f32, logsumexp_f32, softmax_f32, log_softmax_f32);
row_kernels!(f64, logsumexp_f64, softmax_f64, log_softmax_f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_remainders_survive() {
        // Regression: ln(1 + e^-100) used to round to 0 before the subtraction.
        let mut out = [0.0f64; 2];
        log_softmax_f64(&[0.0, -100.0], &mut out);
        assert_eq!(out[0], -(-100f64).exp());
        assert_eq!(logsumexp_f64(&[0.0, -100.0]), (-100f64).exp());
        let mut o32 = [0.0f32; 2];
        log_softmax_f32(&[50.0, -50.0], &mut o32);
        assert!(o32[0] < 0.0);
        // NaN, infinite maxima and empty rows are unchanged
        assert!(logsumexp_f32(&[f32::NAN, 1.0]).is_nan());
        log_softmax_f64(&[f64::INFINITY, 1.0], &mut out);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(logsumexp_f64(&[]), f64::NEG_INFINITY);
    }
}
