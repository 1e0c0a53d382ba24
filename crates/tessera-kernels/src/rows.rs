//! Row kernels: logsumexp, softmax and log_softmax over one contiguous row.
//!
//! Stable forms: the row maximum `m` is subtracted before exponentiating, and the sum of
//! `e^(x - m)` is accumulated in f64 (for f32 rows too). Results follow PyTorch on
//! non-finite rows: a NaN anywhere gives NaN; `logsumexp` returns `m` when `m` is `±inf`;
//! `softmax`/`log_softmax` give NaN for a row whose maximum is `±inf` (as `inf - inf` does
//! in PyTorch), while `-inf` entries in a finite row give 0 (`-inf` for log_softmax).

use crate::dispatch::dispatch;
use crate::simd::map::Elem;
use crate::simd::rowops::{Affine, RowMax, SumExp};

fn row_max<T: Elem>(row: &[T]) -> f64 {
    dispatch(RowMax {
        p: row.as_ptr(),
        len: row.len(),
    })
}

fn sum_exp<T: Elem>(row: &[T], out: Option<&mut [T]>, m: f64) -> f64 {
    let out = out.map_or(core::ptr::null_mut(), |o| o.as_mut_ptr());
    dispatch(SumExp {
        p: row.as_ptr(),
        out,
        len: row.len(),
        m,
    })
}

fn affine<T: Elem>(src: *const T, dst: *mut T, len: usize, sub: f64, mul: f64, sub2: f64) {
    dispatch(Affine {
        src,
        dst,
        len,
        sub,
        mul,
        sub2,
    });
}

macro_rules! row_kernels {
    ($t:ty, $lse:ident, $softmax:ident, $log_softmax:ident, $acc:literal) => {
        #[doc = concat!("`log(sum(exp(row)))` of an `", stringify!($t), "` row, computed stably.")]
        ///
        /// An empty row gives `-inf`; a row holding NaN gives NaN; otherwise a maximum of
        /// `±inf` is returned as is (as PyTorch does), and rows like `[1000, 1000]` or
        /// `[-1000, -1000]` stay finite.
        ///
        /// # Accuracy
        #[doc = $acc]
        pub fn $lse(row: &[$t]) -> $t {
            let m = row_max(row);
            if m.is_infinite() || m.is_nan() {
                return if row.iter().any(|v| v.is_nan()) { <$t>::NAN } else { m as $t };
            }
            let s = sum_exp(row, None, m);
            (m + s.ln()) as $t
        }

        #[doc = concat!("Softmax of an `", stringify!($t), "` row: `out[i] = exp(row[i] - m) / sum(exp(row - m))`.")]
        ///
        /// NaN in the row, or a maximum of `±inf`, gives an all-NaN `out` (as PyTorch).
        ///
        /// # Accuracy
        #[doc = $acc]
        ///
        /// # Panics
        /// If `row` and `out` have different lengths.
        pub fn $softmax(row: &[$t], out: &mut [$t]) {
            assert_eq!(
                row.len(),
                out.len(),
                concat!(stringify!($softmax), ": row has {} elements but out has {}"),
                row.len(),
                out.len()
            );
            let m = row_max(row);
            let s = sum_exp(row, Some(&mut *out), m);
            let p = out.as_mut_ptr();
            affine(p, p, out.len(), 0.0, 1.0 / s, 0.0);
        }

        #[doc = concat!("Log-softmax of an `", stringify!($t), "` row: `out[i] = (row[i] - m) - log(sum(exp(row - m)))`.")]
        ///
        /// NaN in the row, or a maximum of `±inf`, gives an all-NaN `out` (as PyTorch).
        ///
        /// # Accuracy
        #[doc = $acc]
        ///
        /// # Panics
        /// If `row` and `out` have different lengths.
        pub fn $log_softmax(row: &[$t], out: &mut [$t]) {
            assert_eq!(
                row.len(),
                out.len(),
                concat!(stringify!($log_softmax), ": row has {} elements but out has {}"),
                row.len(),
                out.len()
            );
            let m = row_max(row);
            let ls = sum_exp(row, None, m).ln();
            affine(row.as_ptr(), out.as_mut_ptr(), row.len(), m, 1.0, ls);
        }
    };
}

row_kernels!(
    f32,
    logsumexp_f32,
    softmax_f32,
    log_softmax_f32,
    "f32: the sum is accumulated in f64 and each result rounded once from f64 (softmax: \
     twice, `exp` to f32 then the scaling), so within 1 ULP for rows of moderate length."
);
row_kernels!(
    f64,
    logsumexp_f64,
    softmax_f64,
    log_softmax_f64,
    "f64: a few ULP; the f64 sum of `n` terms adds up to `n` rounding errors of 2^-53 relative."
);
