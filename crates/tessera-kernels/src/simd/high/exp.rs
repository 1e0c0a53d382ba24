//! `exp`, `expm1` and `tanh` of the `High` grade, on f32 lanes (its `sigmoid` is the
//! default kernel: see [`crate::high`]).
//!
//! Reduction: `x = k ln2 + r + rl` with `k` from the magic-constant rounding
//! (`t = fma(x, 1/ln2, 1.5 * 2^23)` leaves `k` in the low mantissa bits of `t`), `r` exact
//! with one FMA against `ln2` rounded to f32 (for `k != 0`, `x - k L2` is a multiple of
//! 2^-25 below 1/2 in magnitude, so it fits in 24 bits) and `rl` the rounding error of the
//! second Cody-Waite step, recovered with another FMA. Then `e^(r + rl) = 1 + r + tail` with
//! `tail = r^2 (1/2 + r Q3(r)) + rl (1 + r)`, and the large terms are kept as exact pairs
//! (Fast2Sum, FMA residuals) so that each result is rounded about once: the error stays a
//! little above half an ULP (the exhaustive figures are in ACCURACY.md), well inside the
//! 1 ULP (faithful) bound.
//!
//! `2^k` is built from the bits of `t` in two factors (`2^k1 * 2^k2` with `k1` about `k/2`),
//! so `exp` reaches subnormal results and overflows exactly where its rounding says,
//! with no per-lane branch. The overflow and underflow thresholds of the default kernels
//! are also enforced by comparisons on `x`, so both grades switch to `+inf`/`+0` at the same
//! inputs.

use super::poly::{EXPM1_Q3_F32, EXP_MAX_FINITE, EXP_ZERO_AT, INV_LN2, L2, L2_LO, SHIFT};
use super::v32::{fast_two_sum, horner, two_sum, Gv};
use crate::simd::Lanes;

/// Bits of `SHIFT`; `bits(t) - SHIFT_BITS` is `k` (two's complement) for `|k| < 2^22`.
const SHIFT_BITS: u32 = 0x4b40_0000;
/// The smallest positive subnormal, 2^-149.
const TINY: f32 = f32::from_bits(1);
/// The largest `x` whose `expm1(x)` rounds to -1 (below `-17.32868`, `e^x < 2^-25`).
const EXPM1_MINUS_ONE_AT: f32 = f32::from_bits(0xc18a_a123);

/// `x = k ln2 + r + rl`.
pub(crate) struct Reduced<S: Lanes> {
    /// `k + SHIFT`.
    pub(crate) t: Gv<S>,
    /// `k` as a float.
    pub(crate) kf: Gv<S>,
    pub(crate) r: Gv<S>,
    pub(crate) rl: Gv<S>,
}

/// The reduction, for `x` in [-104, 89] (callers clamp).
#[inline(always)]
pub(crate) fn reduce<S: Lanes>(x: Gv<S>) -> Reduced<S> {
    let t = x.fma(x.c(INV_LN2), x.c(SHIFT));
    let kf = t - SHIFT;
    // Exact (see the module docs).
    let r_hi = (-kf).fma(x.c(L2), x);
    let r = (-kf).fma(x.c(L2_LO), r_hi);
    // `r_hi - r` is exact (Sterbenz, or both below 2^-20): `rl` is `r_hi - k L2_LO - r`
    // rounded once.
    let rl = (-kf).fma(x.c(L2_LO), r_hi - r);
    Reduced { t, kf, r, rl }
}

/// `2^k` as two normal factors `(2^k1, 2^k2)` for `k` in [-150, 128], from `t = k + SHIFT`.
#[inline(always)]
pub(crate) fn pow2_split<S: Lanes>(t: Gv<S>) -> (Gv<S>, Gv<S>) {
    let s = t.s;
    // e = k + 255 in [105, 383]; k1 + 127 = e / 2, k2 + 127 = e - e / 2 - 1 + 128 - 127.
    let e = s.sub_u32s(t.bits(), s.splat_u32s(SHIFT_BITS - 255));
    let e1 = Gv::<S>::shr_bits::<1>(s, e);
    let e2 = s.sub_u32s(s.sub_u32s(e, e1), s.splat_u32s(1));
    (
        Gv::from_bits(s, Gv::<S>::shl_bits::<23>(s, e1)),
        Gv::from_bits(s, Gv::<S>::shl_bits::<23>(s, e2)),
    )
}

/// `2^k` for `k` in [-126, 127], from `kf = k` as a float.
#[inline(always)]
fn pow2<S: Lanes>(kf: Gv<S>) -> Gv<S> {
    let s = kf.s;
    let b = s.sub_u32s((kf + SHIFT).bits(), s.splat_u32s(SHIFT_BITS - 127));
    Gv::from_bits(s, Gv::<S>::shl_bits::<23>(s, b))
}

/// `e^x = 2^k (hi + lo)` with `hi + lo = e^(r + rl)` to about 2^-32 relative (`hi` is
/// `1 + r` rounded, `|lo| < 0.07`), for `x` in [-104, 89] (callers clamp); also returns `t`.
#[inline(always)]
pub(crate) fn exp_parts<S: Lanes>(x: Gv<S>) -> (Gv<S>, Gv<S>, Gv<S>) {
    let Reduced { t, r, rl, .. } = reduce(x);
    let (hi, lo) = exp_poly(r, rl);
    (hi, lo, t)
}

/// `e^(r + rl) = hi + lo`, `hi = 1 + r` rounded (see [`exp_parts`]).
#[inline(always)]
fn exp_poly<S: Lanes>(r: Gv<S>, rl: Gv<S>) -> (Gv<S>, Gv<S>) {
    let q2 = r.fma(horner(r, &EXPM1_Q3_F32), r.c(0.5));
    let tail = (r * r).fma(q2, r.fma(rl, rl));
    let (hi, al) = fast_two_sum(r.c(1.0), r);
    (hi, al + tail)
}

/// f32 `exp`.
#[inline(always)]
pub(crate) fn exp_lanes<S: Lanes>(x: Gv<S>) -> Gv<S> {
    let (hi, lo, t) = exp_parts(x.clamp(-104.0, 89.0));
    let (s1, s2) = pow2_split(t);
    let y = ((hi + lo) * s1) * s2;
    let y = y.clamp(TINY, f32::MAX);
    let y = x.gt(EXP_MAX_FINITE).select(x.c(f32::INFINITY), y);
    let y = x.le(EXP_ZERO_AT).select(x.c(0.0), y);
    x.is_num().select(y, x)
}

/// `e^x - 1 = hi + lo` (normalized pair, `|lo|` at most half an ULP of `hi`) for `x` in
/// [-18, 19]
/// (so `k` in [-26, 28]; not NaN).
#[inline(always)]
fn expm1_pair<S: Lanes>(x: Gv<S>) -> (Gv<S>, Gv<S>) {
    let Reduced { kf, r, rl, .. } = reduce(x);
    let (hi, lo) = expm1_rebuild(pow2(kf), r, rl);
    fast_two_sum(hi, lo)
}

/// `s e^(r + rl) - 1` as a pair (not normalized: `|lo|` up to about 2^-7 of `hi`), for
/// `s = 2^k`, `|k| <= 127`:
/// `(s - 1) + s r + s r^2/2 + s (small)`, summed without losing bits. `s - 1` is an exact
/// pair (TwoSum); `s r` and `s h` (`h = r^2/2` rounded) are exact products; each Fast2Sum
/// has its larger operand first (`|s - 1| >= |s r|` whenever `k != 0`, and `s - 1 = 0`
/// when `k = 0`).
#[inline(always)]
fn expm1_rebuild<S: Lanes>(s: Gv<S>, r: Gv<S>, rl: Gv<S>) -> (Gv<S>, Gv<S>) {
    let hr = r * 0.5;
    let h = hr * r;
    let hl = hr.fma(r, -h);
    let r3 = (r * r) * r;
    let small = r3.fma(horner(r, &EXPM1_Q3_F32), hl + r.fma(rl, rl));
    let (a, al) = two_sum(s, s.c(-1.0));
    let (hi, lo) = fast_two_sum(a, s * r);
    let (hi2, lo2) = fast_two_sum(hi, s * h);
    (hi2, s.fma(small, (lo + al) + lo2))
}

/// f32 `expm1`.
#[inline(always)]
pub(crate) fn expm1_lanes<S: Lanes>(x: Gv<S>) -> Gv<S> {
    let xc = x.clamp(-18.0, 89.0);
    let Reduced { kf, r, rl, .. } = reduce(xc);
    // k = 128 (88.38 < x <= 88.72): 2^127 and a final doubling (the -1 is far below the
    // result's ULP there).
    let big = kf.gt(127.5);
    let (hi, lo) = expm1_rebuild(pow2(kf.min(127.0)), r, rl);
    let y = (hi + lo) * big.select(x.c(2.0), x.c(1.0));
    let y = y.min(f32::MAX);
    let y = x.gt(EXP_MAX_FINITE).select(x.c(f32::INFINITY), y);
    let y = x.le(EXPM1_MINUS_ONE_AT).select(x.c(-1.0), y);
    // |x| < 2^-25 rounds to x itself; this also keeps -0.0, subnormals and NaN.
    x.abs().ge(f32::from_bits(0x3300_0000)).select(y, x)
}

/// `n / (dh + dl)` where `n = nh + nl`: one IEEE division for the reciprocal, then a
/// correction from the remainder (`fma(-q, dh, nh)` is exact), so the quotient is rounded
/// about once. `dh` positive normal; both pairs normalized (the correction divides by `dh`
/// alone, a relative error of `dl / dh`).
#[inline(always)]
fn div_pair<S: Lanes>(nh: Gv<S>, nl: Gv<S>, dh: Gv<S>, dl: Gv<S>) -> Gv<S> {
    let rcp = dh.c(1.0) / dh;
    let q = nh * rcp;
    let rem = (-q).fma(dh, nh) + (nl - q * dl);
    rem.fma(rcp, q)
}

/// f32 `tanh`: `tanh(|x|) = u / (u + 2)` with `u = expm1(2|x|)` kept as a pair.
#[inline(always)]
pub(crate) fn tanh_lanes<S: Lanes>(x: Gv<S>) -> Gv<S> {
    // tanh(9.1) rounds to 1 in f32 (1 - tanh(9.1) < 2^-25).
    let (uh, ul) = expm1_pair(x.abs().min(9.1) * 2.0);
    // u + 2 as a pair: Fast2Sum with the larger operand first (u >= 0).
    let (dh, dl) = fast_two_sum(uh.max(2.0), uh.min(2.0));
    let t = div_pair(uh, ul, dh, dl + ul).copysign(x);
    x.is_num().select(t, x)
}
