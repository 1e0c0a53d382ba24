//! `log` and `log1p` on f64 lanes, table-free.
//!
//! `u = 2^e m` with `m` in [sqrt(1/2), sqrt(2)) (exponent-field arithmetic), `f = m - 1`
//! (exact), `s = f / (2 + f)`, and `log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2))` with a
//! near-minimax `R` (the classic fdlibm arrangement, which keeps the large terms exact).
//! The f32 kernels evaluate the same `R` in f64 lanes without the `1 + x` correction
//! (`*_lite`, exact for f32 inputs) and round once; the few inputs whose result lies within
//! 2^-52 of an f32 rounding boundary are corrected from a list (`hard_cases.rs`). For f32 this
//! is the accurate path behind the table-driven fast path of [`super::log_t16`].

use super::lanes::Lanes;
use super::poly::{L2H, L2L, LOG_P_F64};
use super::vec::{two_sum, Fv};

/// `e ln2 + log(1 + f) + corr`, with `R` given by its coefficients.
#[inline(always)]
fn log_combine<S: Lanes, const N: usize>(e: Fv<S>, f: Fv<S>, corr: Fv<S>, p: &[f64; N]) -> Fv<S> {
    // s = f / (2 + f) through a Newton-refined reciprocal: s only multiplies the small
    // terms, so its last-bit error is damped below 2^-57 of the result.
    let s = f * (f + 2.0).recip();
    let z = s * s;
    let rr = z * super::vec::horner(z, p);
    let hfsq = (f * 0.5) * f;
    e * L2H - ((hfsq - (s * (hfsq + rr) + e.fma(e.c(L2L), corr))) - f)
}

/// `log(x)` special values: `x` is 0, negative, `+inf` or NaN where `ok` is false.
#[inline(always)]
fn log_specials<S: Lanes>(x: Fv<S>, zero_at: f64, res: Fv<S>) -> Fv<S> {
    let inf = x.c(f64::INFINITY);
    let ok = x.gt(x.c(zero_at)).and(x.lt(inf));
    let special = x.eq(x.c(zero_at)).select(
        -inf,
        x.eq(inf).select(inf, x.is_num().select(x.c(f64::NAN), x)),
    );
    ok.select(res, special)
}

/// f32 `log` in f64 lanes (every f32, subnormals included, is normal in f64).
#[inline(always)]
pub(crate) fn log_f32_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let (e, m) = x.frexp_sqrt2();
    let res = log_combine(e, m - 1.0, x.c(0.0), &LOG_P_F64);
    log_specials(x, 0.0, res)
}

/// `log1p(x)` for f32 inputs in f64 lanes, finite `x > -1`, no special values.
#[inline(always)]
pub(crate) fn log1p_lite_raw<S: Lanes>(x: Fv<S>) -> Fv<S> {
    // 1 + x is exact in f64 for every f32 x with 2^-28 <= |x| < 2^53; below, use x itself.
    let (e, m) = (x + 1.0).frexp_sqrt2();
    let small = x.abs().lt(x.c(f64::from_bits(0x3e30_0000_0000_0000)));
    let f = small.select(x, m - 1.0);
    let e = small.select(x.c(0.0), e);
    log_combine(e, f, x.c(0.0), &LOG_P_F64)
}

/// f32 `log1p` in f64 lanes.
#[inline(always)]
pub(crate) fn log1p_f32_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let res = log1p_lite_raw(x);
    // |x| < 2^-25 rounds to x (keeps -0.0).
    let res = x
        .abs()
        .lt(x.c(f64::from_bits(0x3e60_0000_0000_0000)))
        .select(x, res);
    log_specials(x, -1.0, res)
}

/// f64 `log`.
#[inline(always)]
pub(crate) fn log_f64_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let sub = x.lt(x.c(f64::MIN_POSITIVE));
    let xs = sub.select(x * f64::from_bits(0x4350_0000_0000_0000), x); // 2^54
    let (e, m) = xs.frexp_sqrt2();
    let e = e - sub.select(x.c(54.0), x.c(0.0));
    let res = log_combine(e, m - 1.0, x.c(0.0), &LOG_P_F64);
    log_specials(x, 0.0, res)
}

/// f64 `log1p(x)` for finite `x > -1`, no special values.
#[inline(always)]
pub(crate) fn log1p_f64_raw<S: Lanes>(x: Fv<S>) -> Fv<S> {
    // u = 1 + x rounded, c its rounding error: log1p(x) = log(u) + c/u to first order.
    let (u, c) = two_sum(x.c(1.0), x);
    let (e, m) = u.frexp_sqrt2();
    // c/u is below 2^-33 of the result for |x| >= 2^-20: the refined reciprocal is plenty.
    let general = log_combine(e, m - 1.0, c * u.recip(), &LOG_P_F64);
    // Below 2^-20, f = u - 1 and c/u nearly cancel: use x - x^2/2 + x^3/3 (next term 2^-62).
    let series = (x * x).fma(x.fma(x.c(1.0 / 3.0), x.c(-0.5)), x);
    x.abs()
        .lt(x.c(f64::from_bits(0x3eb0_0000_0000_0000)))
        .select(series, general)
}

/// f64 `log1p`.
#[inline(always)]
pub(crate) fn log1p_f64_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let res = log1p_f64_raw(x);
    // |x| < 2^-54 gives x (keeps -0.0 and subnormals).
    let res = x
        .abs()
        .lt(x.c(f64::from_bits(0x3c90_0000_0000_0000)))
        .select(x, res);
    log_specials(x, -1.0, res)
}
