//! Row kernels: logsumexp, softmax and log_softmax over one contiguous row.
//!
//! Stable forms: the row maximum `m` is subtracted before exponentiating, and the sum of
//! `e^(x - m)` is accumulated in f64 (for f32 rows too). f32 rows whose entries all lie
//! where `e^x` itself is safe sum `e^x` and divide by `e^m` instead (see [`uncentered`]):
//! the same accuracy, one operation fewer per element. Results follow PyTorch on
//! non-finite rows: a NaN anywhere gives NaN; `logsumexp` returns `m` when `m` is `±inf`;
//! `softmax`/`log_softmax` give NaN for a row whose maximum is `±inf` (as `inf - inf` does
//! in PyTorch), while `-inf` entries in a finite row give 0 (`-inf` for log_softmax).

use crate::dispatch::dispatch;
use crate::simd::map::Elem;
use crate::simd::rowops::{Affine, ExpOne, ExpRange, RowMax, RowStats, SubPairF32, SumExp};
use crate::simd::softmax_f32::{fits, top_k, Outcome, SoftmaxF32, LIMIT, SCRATCH, UNCENTERED};

/// The row's maximum and minimum, and whether every element is finite.
fn row_max<T: Elem>(row: &[T]) -> RowStats {
    dispatch(RowMax {
        p: row.as_ptr(),
        len: row.len(),
    })
}

/// `sum(exp(row - m))`, or `sum(exp(row))` for `m` `None` (see [`uncentered`]); `range`
/// says what the exponentials may skip.
fn sum_exp<T: Elem>(row: &[T], out: Option<&mut [T]>, m: Option<f64>, range: ExpRange) -> f64 {
    sum_exp_grade(row, out, m, range, false)
}

/// [`sum_exp`]; `high` picks the `High` grade's exponential for an uncentered sum without
/// output (see [`SumExp::high`]).
fn sum_exp_grade<T: Elem>(
    row: &[T],
    out: Option<&mut [T]>,
    m: Option<f64>,
    range: ExpRange,
    high: bool,
) -> f64 {
    // `SumExp` reads `len` elements at `p` and writes as many at `out`.
    assert!(
        out.as_ref().is_none_or(|o| o.len() == row.len()),
        "sum_exp: an output of another length than the row's {}",
        row.len()
    );
    let out = out.map_or(core::ptr::null_mut(), |o| o.as_mut_ptr());
    dispatch(SumExp {
        p: row.as_ptr(),
        out,
        len: row.len(),
        m,
        range,
        high,
    })
}

/// Whether an f32 row's exponentials can skip the subtraction of the maximum: `e^x` instead
/// of `e^(x - m)`, one operation fewer per element (about 8% of the row's time, measured).
/// Every entry must lie in `[-limit, limit]`: `limit` 600 keeps every `e^x` a normal f64
/// far from overflow. The f64 rows keep the subtraction, and so does softmax (see there).
/// The terms have the same relative error (2^-37) either way.
fn uncentered<T: Elem>(stats: &RowStats, limit: f64) -> bool {
    T::IS_F32 && stats.finite && stats.min >= -limit && stats.max <= limit
}

/// `e^m` as the uncentered sum (of grade `high`) computes the term of an entry equal to `m`.
fn exp_one<T: Elem>(m: f64, high: bool) -> f64 {
    dispatch(ExpOne::<T> {
        x: m,
        high,
        elem: core::marker::PhantomData,
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

/// log_softmax's `out = (row - m) - ls` for an f32 row in f32 lanes, when that is as good
/// as the f64 evaluation: `c = m + ls` (in f64) split as `ch + cl` (two f32s), and
/// `out = row - ch - cl` through an exact pair ([`SubPairF32`]). Returns false, writing
/// nothing, for f64 rows and for rows outside its conditions:
///
/// - every element finite and `|x| <= ch` (so `x - ch` is an exact Fast2Sum pair): `ch`
///   at least `-min` (the maximum is at most `ch` already, as `ls >= 0`);
/// - no cancellation in `m + ls`: `ls > 0` and `|c| <= 2^10 ls`. Every result has
///   `|y| >= ls`, so the pair's error (`2^-48 (|y| + 2 |c|)`, see [`SubPairF32`]) and the
///   rounding of `c` (`2^-53 |c|`) stay below `2^-36.9 |y|`, less than the
///   exponentials' own error (2^-37 relative in `ls`); the result is then rounded once;
/// - `ch <= 2^100` (no overflow).
///
/// On the rows it takes (ordinary logits: spread less than about `m + ls` below 0) it
/// runs about 1.7 times as fast as the f64 pass (no conversions, twice the lanes).
fn sub_pair_f32<T: Elem>(row: &[T], out: &mut [T], stats: &RowStats, ls: f64) -> bool {
    if !T::IS_F32 {
        return false;
    }
    let c = stats.max + ls;
    let ch = c as f32;
    // NaN anywhere (in `ls`, say) fails every comparison.
    let fits = stats.finite
        && ls > 0.0
        && c.abs() <= 1024.0 * ls
        && (ch as f64) >= -stats.min
        && (ch as f64) <= TWO_100;
    if !fits {
        return false;
    }
    assert_eq!(row.len(), out.len());
    dispatch(SubPairF32 {
        // `T` is f32 (IS_F32): the same layout.
        src: row.as_ptr() as *const f32,
        dst: out.as_mut_ptr() as *mut f32,
        len: row.len(),
        ch,
        cl: (c - ch as f64) as f32,
    });
    true
}

/// softmax of an f32 row in f32 lanes, rounded once (`simd/softmax_f32.rs` has the method
/// and its error analysis: within 0.67 ULP). Returns false, with garbage in `out`, for f64
/// rows and rows outside its domain (non-finite entries, entries beyond +-170, a spread
/// `max - min` above 72, more than 4096 entries). Tries the row uncentered first (one pass
/// over the input for ordinary logits), then centered by the maximum that try found.
fn softmax_f32_lanes<T: Elem>(row: &[T], out: &mut [T]) -> bool {
    if !T::IS_F32 || row.is_empty() || row.len() > SCRATCH {
        return false;
    }
    assert_eq!(row.len(), out.len());
    // Written by the kernel's first pass before any read.
    let mut scratch = [core::mem::MaybeUninit::<f32>::uninit(); SCRATCH];
    let mut run = |kc: i32, limit: f32| {
        dispatch(SoftmaxF32 {
            // `T` is f32 (IS_F32): the same layout.
            src: row.as_ptr() as *const f32,
            dst: out.as_mut_ptr() as *mut f32,
            scratch: scratch.as_mut_ptr() as *mut f32,
            len: row.len(),
            kc,
            limit,
        })
    };
    match run(0, UNCENTERED) {
        Outcome::Done => true,
        Outcome::Skipped { max, min } => {
            fits(min, max, LIMIT) && run(top_k(max), LIMIT) == Outcome::Done
        }
    }
}

/// 2^100: [`sub_pair_f32`]'s limit on `m + ls`.
const TWO_100: f64 = 1.2676506002282294e30;

/// `ln(sum(exp(row - m)))` for the row's maximum `m`, and whether any entry other than
/// the maximum contributes (then the exact log-softmax of the maximum is negative, if
/// tiny). The maximum's own term (exactly 1) is kept out of the vectorized sum and added
/// back through `ln_1p`, so a tiny remainder such as `e^-100` is not rounded away
/// (`log_softmax([0, -100])[0]` is `-e^-100`, not 0). An infinite `m` keeps every term,
/// so `inf - inf` gives NaN as in PyTorch.
///
/// Most rows have a remainder that is not tiny: one pass over the whole row then gives
/// `1 + rest` directly, and `ln(1 + rest)` loses at most an absolute 2^-52 to the rounding
/// of the sum. That is harmless once `1 + rest >= fast_from`: 2^-20 past 1 keeps f32
/// results within their bound (an error of 2^-32 relative), 2 does for f64.
///
/// Rows inside [`uncentered`]'s limits sum `e^x` and divide by `e^m` computed the same way
/// (the maximum's term is then exactly 1 again; the others' relative error grows from
/// 2^-37.5 to 2^-36.5, and the division adds 2^-53).
///
/// `high` (f32 rows only) sums the `High` grade's exponentials on the uncentered path: each
/// term within 2^-29.2 instead of 2^-37.5.
fn ln_sum_exp<T: Elem + Into<f64>>(
    row: &[T],
    stats: &RowStats,
    fast_from: f64,
    high: bool,
) -> (f64, bool) {
    let (m, range) = (stats.max, stats.exp_range());
    // An infinite `m` keeps every term (so `inf - inf` gives NaN); a NaN row has no `m`
    // to find.
    let top = if m.is_finite() {
        let total = if uncentered::<T>(stats, 600.0) {
            sum_exp_grade(row, None, None, range, high) / exp_one::<T>(m, high)
        } else {
            sum_exp(row, None, Some(m), range)
        };
        if total >= fast_from {
            return (total.ln(), true);
        }
        row.iter().position(|&v| v.into() == m)
    } else {
        None
    };
    let Some(i) = top else {
        return (sum_exp(row, None, Some(m), ExpRange::NONE).ln(), true);
    };
    let rest =
        sum_exp(&row[..i], None, Some(m), range) + sum_exp(&row[i + 1..], None, Some(m), range);
    // Below 2^-126 the vector sum cannot tell e^-inf (padding, -inf entries: below
    // 2^-1000 each in the f32 grade) from true tiny terms: ask the row itself.
    if rest < TINY_REST {
        let others = row
            .iter()
            .enumerate()
            .any(|(j, &v)| j != i && v.into() > f64::NEG_INFINITY);
        return if others {
            (rest.ln_1p(), true)
        } else {
            (0.0, false)
        };
    }
    (rest.ln_1p(), true)
}

/// 2^-126: sums of `e^(x - m)` below this are checked against the row.
const TINY_REST: f64 = 1.1754943508222875e-38;

macro_rules! row_kernels {
    (
        $t:ty,
        $lse:ident,
        $softmax:ident,
        $log_softmax:ident,
        $lse_grade:ident,
        $log_softmax_grade:ident,
        $fast_from:expr,
        $acc:literal
    ) => {
        #[doc = concat!("`log(sum(exp(row)))` of an `", stringify!($t), "` row, computed stably.")]
        ///
        /// An empty row gives `-inf`; a row holding NaN gives NaN; otherwise a maximum of
        /// `±inf` is returned as is (as PyTorch does), and rows like `[1000, 1000]` or
        /// `[-1000, -1000]` stay finite.
        ///
        /// # Accuracy
        #[doc = $acc]
        pub fn $lse(row: &[$t]) -> $t {
            $lse_grade(row, false)
        }

        /// The logsumexp above; `high` sums the `High` grade's exponentials (f32 rows).
        #[allow(dead_code)] // f64 has no `High` grade
        pub(crate) fn $lse_grade(row: &[$t], high: bool) -> $t {
            let stats = row_max(row);
            let m = stats.max;
            if m.is_infinite() || m.is_nan() {
                return if row.iter().any(|v| v.is_nan()) { <$t>::NAN } else { m as $t };
            }
            (m + ln_sum_exp(row, &stats, $fast_from, high).0) as $t
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
            // f32 rows of a moderate range: one rounding, in f32 lanes.
            if softmax_f32_lanes(row, out) {
                return;
            }
            let stats = row_max(row);
            // Otherwise always `e^(x - m)`: the maximum's term is then exactly 1, so rows of equal
            // entries give exactly `1 / n` (an uncentered `e^x`, rounded to f32 in `out`
            // before the scaling, gave 0.49999997 for `[1, 1]`).
            let s = sum_exp(row, Some(&mut *out), Some(stats.max), stats.exp_range());
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
            $log_softmax_grade(row, out, false)
        }

        /// The log-softmax above; `high` sums the `High` grade's exponentials (f32 rows).
        #[allow(dead_code)] // f64 has no `High` grade
        pub(crate) fn $log_softmax_grade(row: &[$t], out: &mut [$t], high: bool) {
            assert_eq!(
                row.len(),
                out.len(),
                concat!(stringify!($log_softmax), ": row has {} elements but out has {}"),
                row.len(),
                out.len()
            );
            let stats = row_max(row);
            let m = stats.max;
            let (ls, others) = ln_sum_exp(row, &stats, $fast_from, high);
            if !sub_pair_f32(row, out, &stats, ls) {
                affine(row.as_ptr(), out.as_mut_ptr(), row.len(), m, 1.0, ls);
            }
            if others && ls == 0.0 {
                // The exact value at the maximum is -ln(1 + tiny): negative, rounding to -0.
                for (o, &v) in out.iter_mut().zip(row) {
                    if (v as f64) == m {
                        *o = -0.0;
                    }
                }
            }
        }
    };
}

row_kernels!(
    f32,
    logsumexp_f32,
    softmax_f32,
    log_softmax_f32,
    logsumexp_f32_grade,
    log_softmax_f32_grade,
    1.0 + 1.0 / 1048576.0,
    "f32: the sum is accumulated in f64. logsumexp and log_softmax round once from f64: \
     within 1 ULP (0.5 measured). softmax rounds once on rows whose entries lie within \
     ±170 with a spread `max - min` of at most 72 and at most 4096 entries (f32 lanes: \
     within 0.67 ULP by its error analysis, 0.56 measured); other rows round twice, the \
     exponential to f32 in `out` and then the scaling: within 1.5 ULP (1.38 measured; the \
     tests `softmax_f32_error_stays_within_its_bound` and \
     `softmax_f32_rounds_once_inside_its_fast_domain` rerun the measurements)."
);
row_kernels!(
    f64,
    logsumexp_f64,
    softmax_f64,
    log_softmax_f64,
    logsumexp_f64_grade,
    log_softmax_f64_grade,
    2.0,
    "f64: a few ULP; the f64 sum of `n` terms adds up to `n` rounding errors of 2^-53 relative."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_remainders_survive() {
        // Regression: ln(1 + e^-100) used to round to 0 before the subtraction.
        // Under Miri, std's `exp` is deliberately imprecise by a few ULP.
        let same = |a: f64, b: f64| a == b || (cfg!(miri) && (a - b).abs() <= 1e-15 * b.abs());
        let mut out = [0.0f64; 2];
        log_softmax_f64(&[0.0, -100.0], &mut out);
        assert!(same(out[0], -(-100f64).exp()), "{}", out[0]);
        assert!(same(logsumexp_f64(&[0.0, -100.0]), (-100f64).exp()));
        let mut o32 = [0.0f32; 2];
        log_softmax_f32(&[50.0, -50.0], &mut o32);
        assert!(o32[0] < 0.0);
        // NaN, infinite maxima and empty rows are unchanged
        assert!(logsumexp_f32(&[f32::NAN, 1.0]).is_nan());
        log_softmax_f64(&[f64::INFINITY, 1.0], &mut out);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(logsumexp_f64(&[]), f64::NEG_INFINITY);
    }

    #[test]
    fn signed_zero_at_the_maximum() {
        // [0, -inf]: nothing else contributes, the exact result is +0.
        let mut o32 = [1.0f32; 2];
        log_softmax_f32(&[0.0, f32::NEG_INFINITY], &mut o32);
        assert!(o32[0] == 0.0 && o32[0].is_sign_positive());
        // [1000, 1]: -ln(1 + e^-999) is negative and rounds to -0.
        let mut o64 = [1.0f64; 2];
        log_softmax_f64(&[1000.0, 1.0], &mut o64);
        assert!(o64[0] == 0.0 && o64[0].is_sign_negative());
        log_softmax_f32(&[1000.0, 1.0], &mut o32);
        assert!(o32[0] == 0.0 && o32[0].is_sign_negative());
    }
}
