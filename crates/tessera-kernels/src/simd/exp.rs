//! `exp` and `expm1` on f64 lanes.
//!
//! Shared reduction: `x = k ln2 + r`, `|r| <= ln2/2`, k from the magic-constant rounding
//! (`fma(x, 1/ln2, 1.5*2^52 + 1023)` leaves `k + 1023` in the low bits, which also builds
//! `2^k` by a shift), `r` by Cody-Waite with a 42-bit `ln2` head so `k * L2H` is exact.
//!
//! Two grades:
//! - `*_lite`: for f32 kernels evaluated in f64 lanes. Relative error about 2^-52, then one
//!   rounding to f32: correctly rounded for every f32 input (proven exhaustively, ACCURACY.md).
//! - `*_f64`: for f64 kernels; keeps the low part of `r` and `r^2/2` as a double-double and
//!   rebuilds the result with error-free sums, for < 1 ULP.

use super::lanes::Lanes;
use super::poly::{EXPM1_Q3_F64, EXPM1_Q_F32, INV_LN2, L2H, L2L};
use super::vec::{fast_two_sum, horner, two_sum, Fv, POW2_SHIFT};

/// `(2^k, r)` for `x` in [-1022 ln2, 1023 ln2].
#[inline(always)]
fn reduce_lite<S: Lanes>(x: Fv<S>) -> (Fv<S>, Fv<S>) {
    let t = x.fma(x.c(INV_LN2), x.c(POW2_SHIFT));
    let kf = t - POW2_SHIFT;
    let r = (-kf).fma(x.c(L2H), x);
    let r = (-kf).fma(x.c(L2L), r);
    (t.pow2_shifted(), r)
}

/// `e^r - 1` for the reduced `r`, relative error about 2^-53.
#[inline(always)]
fn expm1_poly_lite<S: Lanes>(r: Fv<S>) -> Fv<S> {
    (r * r).fma(horner(r, &EXPM1_Q_F32), r)
}

/// `e^x - 1` for `x` in [-110, 89] (callers clamp and restore NaN).
#[inline(always)]
pub(crate) fn expm1_lite<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let (s, r) = reduce_lite(x);
    s.fma(expm1_poly_lite(r), s - 1.0)
}

/// `e^x` for `x` in [-110, 89] (callers clamp and restore NaN).
#[inline(always)]
pub(crate) fn exp_lite<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let (s, r) = reduce_lite(x);
    s.fma(expm1_poly_lite(r), s)
}

/// f32 `expm1` in f64 lanes (the input is an exactly widened f32).
#[inline(always)]
pub(crate) fn expm1_f32_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let res = expm1_lite(x.clamp(-110.0, 89.0));
    // |x| < 2^-25 rounds to x itself; this also keeps -0.0 and NaN.
    x.abs()
        .ge(x.c(f64::from_bits(0x3e60_0000_0000_0000)))
        .select(res, x)
}

/// f32 `exp` in f64 lanes.
#[inline(always)]
pub(crate) fn exp_f32_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let res = exp_lite(x.clamp(-110.0, 89.0));
    x.is_num().select(res, x)
}

/// The reduced argument for the f64 grade.
struct Reduced<S: Lanes> {
    /// `2^k1`, with `k = k1 + log2(scale)`.
    s: Fv<S>,
    /// 1, or `2^200` / `2^-600` when `k` is near the ends of the exponent range.
    scale: Fv<S>,
    r: Fv<S>,
    /// Low part: `x - k ln2 = r + rlo` to about 2^-100 absolute.
    rlo: Fv<S>,
}

/// `(t, kf, r, rlo)`: `t = k + POW2_SHIFT`, `k` as a float, and `x - k ln2 = r + rlo`.
#[inline(always)]
fn reduce_parts<S: Lanes>(x: Fv<S>) -> (Fv<S>, Fv<S>, Fv<S>, Fv<S>) {
    let t = x.fma(x.c(INV_LN2), x.c(POW2_SHIFT));
    let kf = t - POW2_SHIFT;
    let r_hi = (-kf).fma(x.c(L2H), x);
    let r = (-kf).fma(x.c(L2L), r_hi);
    let rlo = (-kf).fma(x.c(L2L), r_hi - r);
    (t, kf, r, rlo)
}

#[inline(always)]
fn reduce_f64<S: Lanes>(x: Fv<S>) -> Reduced<S> {
    let (_, kf, r, rlo) = reduce_parts(x);
    let low = kf.lt(x.c(-1000.0));
    let high = kf.gt(x.c(1000.0));
    let k1 = low.select(kf + 600.0, high.select(kf - 200.0, kf));
    let scale = low.select(
        x.c(f64::from_bits(0x1a70_0000_0000_0000)), // 2^-600
        high.select(x.c(f64::from_bits(0x4c70_0000_0000_0000)), x.c(1.0)), // 2^200
    );
    Reduced {
        s: k1.pow2(),
        scale,
        r,
        rlo,
    }
}

/// `e^(r + rlo) - 1 = r + h + c` with `h = fl(r^2/2)` and `c` the small rest
/// (`r^2/2 - h`, the `rlo` terms and `r^3 Q3(r)`).
#[inline(always)]
fn expm1_parts<S: Lanes>(r: Fv<S>, rlo: Fv<S>) -> (Fv<S>, Fv<S>) {
    let hr = r * 0.5;
    let h = hr * r;
    let hl = hr.fma(r, -h);
    let r3 = r * r * r;
    let c = r3.fma(horner(r, &EXPM1_Q3_F64), hl + rlo.fma(r, rlo));
    (h, c)
}

/// `2^k (1 + r + h + c) - 1` for `s = 2^k`, summed as `(s - 1) + s r + s h + s c`
/// without losing bits.
#[inline(always)]
fn expm1_rebuild<S: Lanes>(s: Fv<S>, r: Fv<S>, rlo: Fv<S>) -> Fv<S> {
    let (h, c) = expm1_parts(r, rlo);
    let (a, alo) = two_sum(s, s.c(-1.0));
    let (hi, lo) = fast_two_sum(a, s * r);
    let (hi2, lo2) = fast_two_sum(hi, s * h);
    let tail = s.fma(c, (lo + alo) + lo2);
    hi2 + tail
}

/// f64 `e^x - 1` without the special-value selects; valid for every non-NaN `x`.
#[inline(always)]
pub(crate) fn expm1_f64_raw<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let Reduced { s, scale, r, rlo } = reduce_f64(x.clamp(-40.0, 709.8));
    expm1_rebuild(s, r, rlo) * scale
}

/// f64 `expm1`.
#[inline(always)]
pub(crate) fn expm1_f64_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let res = expm1_f64_raw(x);
    // |x| < 2^-54 gives x (keeps -0.0 and subnormals); NaN gives x.
    x.abs()
        .ge(x.c(f64::from_bits(0x3c90_0000_0000_0000)))
        .select(res, x)
}

/// f64 `e^x` without the NaN select.
#[inline(always)]
pub(crate) fn exp_f64_raw<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let Reduced { s, scale, r, rlo } = reduce_f64(x.clamp(-746.0, 709.8));
    let (h, c) = expm1_parts(r, rlo);
    let (one_r, lo) = fast_two_sum(x.c(1.0), r);
    let rest = (lo + c) + h;
    s.fma(one_r, s * rest) * scale
}

/// f64 `e^x` for `x <= 0` (not NaN) to about 0.9 ULP, subnormal results included: the
/// reduction without its low part and without the overflow side, and none of the
/// double-double rebuild of [`exp_f64_raw`]. For callers that damp the error of `e^x`
/// (sigmoid).
#[inline(always)]
pub(crate) fn exp_nonpos_f64_mid<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let x = x.max(-746.0);
    let t = x.fma(x.c(INV_LN2), x.c(POW2_SHIFT));
    let kf = t - POW2_SHIFT;
    let r = (-kf).fma(x.c(L2L), (-kf).fma(x.c(L2H), x));
    // Below 2^-1000 the result is built as 2^(k + 600) * 2^-600 (2^k alone would be
    // subnormal or zero).
    let low = kf.lt(x.c(-1000.0));
    let s = low.select(kf + 600.0, kf).pow2();
    let scale = low.select(x.c(f64::from_bits(0x1a70_0000_0000_0000)), x.c(1.0)); // 2^-600
    s.fma(expm1_poly_lite(r), s) * scale
}

/// f64 `exp`: the table-driven evaluation for lanes with `|x| <= 708` (normal results),
/// this one for the others (subnormal, overflowing and NaN lanes). The general path runs
/// only for vectors that have such a lane: they are rare, and the choice is made per lane,
/// so every backend gives the same bits whatever its vector width.
#[inline(always)]
pub(crate) fn exp_f64_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    // NaN fails the comparison, so it takes the general path too.
    let fast = x.abs().le(x.c(708.0));
    let y = super::exp_t16::exp_t16(x);
    if fast.not().any() {
        fast.select(y, x.is_num().select(exp_f64_raw(x), x))
    } else {
        y
    }
}
