//! Row kernels: logsumexp, softmax and log_softmax over one contiguous row.

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
            let s: f64 = row.iter().map(|&v| ((v - m) as f64).exp()).sum();
            (m as f64 + s.ln()) as $t
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
            let s: f64 = row.iter().map(|&v| ((v - m) as f64).exp()).sum();
            let ls = s.ln();
            for (o, &v) in out.iter_mut().zip(row) {
                *o = (((v - m) as f64) - ls) as $t;
            }
        }
    };
}

row_kernels!(f32, logsumexp_f32, softmax_f32, log_softmax_f32);
row_kernels!(f64, logsumexp_f64, softmax_f64, log_softmax_f64);
