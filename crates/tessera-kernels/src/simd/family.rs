//! `tanh`, `sigmoid` and `softplus`, built on the exp/log cores in their stable forms:
//! - `tanh(x) = sign(x) u / (u + 2)` with `u = expm1(2|x|)` (no cancellation near 0);
//! - `sigmoid(x) = n / (1 + z)` with `z = e^-|x|`, `n = 1` for `x >= 0` else `z` (never
//!   overflows, keeps tiny results that `1 / (1 + e^-x)` would flush to 0);
//! - `softplus(x) = max(x, 0) + log1p(e^-|x|)`.
//!
//! Divisions are multiplications by a Newton-refined reciprocal (an f64 division costs
//! 2 cycles per lane on AVX-512). The f64 versions then correct the quotient: `q = n/d` for
//! `d = dh + dl` (an exact two-term sum) gets one Newton step on the remainder, so the
//! division costs about half an ULP.

use super::exp::{exp_f64_raw, exp_lite, exp_nonpos_f64_mid, expm1_lite};
use super::exp_t16::{exp_t16_rows, expm1_t16_0_40};
use super::lanes::Lanes;
use super::log::log1p_f64_raw;
use super::vec::{fast_two_sum, Fv};

/// `n / (dh + dl)` to about 0.5 ULP plus the error of the inputs. The correction step
/// squares the reciprocal's error, so one Newton step (2^-47) is enough.
#[inline(always)]
fn div_dd<S: Lanes>(n: Fv<S>, dh: Fv<S>, dl: Fv<S>) -> Fv<S> {
    let rcp = dh.recip_47();
    let q = n * rcp;
    let rem = (-q).fma(dh, n) - q * dl;
    rem.fma(rcp, q)
}

/// f32 `tanh` in f64 lanes: the accurate path behind the fast path of
/// [`super::tanh_t16`].
#[inline(always)]
pub(crate) fn tanh_f32_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    // tanh(10) rounds to 1 in f32.
    let u = expm1_lite(x.abs().min(10.0) * 2.0);
    let t = (u * (u + 2.0).recip()).copysign(x);
    x.is_num().select(t, x)
}

/// f64 `tanh`.
#[inline(always)]
pub(crate) fn tanh_f64_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    // tanh(20) rounds to 1 in f64.
    let u = expm1_t16_0_40(x.abs().min(20.0) * 2.0);
    // u + 2 exactly: Fast2Sum with the larger operand first (u >= 0).
    let (dh, dl) = fast_two_sum(u.max(2.0), u.min(2.0));
    let t = div_dd(u, dh, dl).copysign(x);
    x.is_num().select(t, x)
}

/// f32 `sigmoid` in f64 lanes. Its bound is 1 ULP, not correct rounding, so the
/// exponential needs only about 2^-35 (the row kernels' table-driven `exp`, 2^-37); the
/// quotient is one correctly rounded f64 division (on AVX-512 faster than the f32 estimate
/// and a Newton step): the result is within 0.5 + 2^-11 ULP after the final rounding.
#[inline(always)]
pub(crate) fn sigmoid_f32_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let z = exp_t16_rows((-x.abs()).max(-110.0));
    let n = x.ge(x.c(0.0)).select(x.c(1.0), z);
    x.is_num().select(n / (z + 1.0), x)
}

/// f64 `sigmoid`. `z = e^-|x|` to about 0.9 ULP is enough: `1 / (1 + z)` damps its error
/// by `z / (1 + z) <= 1/2`, and `z / (1 + z)` passes it on once, with the division's half
/// ULP (1.43 ULP measured, bound 2).
#[inline(always)]
pub(crate) fn sigmoid_f64_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let z = exp_nonpos_f64_mid(-x.abs());
    let (dh, dl) = fast_two_sum(x.c(1.0), z);
    let n = x.ge(x.c(0.0)).select(x.c(1.0), z);
    x.is_num().select(div_dd(n, dh, dl), x)
}

/// f32 `softplus` in f64 lanes.
#[inline(always)]
pub(crate) fn softplus_f32_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let z = exp_lite((-x.abs()).max(-110.0));
    let pos = x.gt(x.c(0.0)).select(x, x.c(0.0));
    // z is any f64 here, not an f32, so 1 + z is inexact: take the f64 log1p.
    x.is_num().select(pos + log1p_f64_raw(z), x)
}

/// f64 `softplus`.
#[inline(always)]
pub(crate) fn softplus_f64_lanes<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let z = exp_f64_raw(-x.abs());
    let pos = x.gt(x.c(0.0)).select(x, x.c(0.0));
    x.is_num().select(pos + log1p_f64_raw(z), x)
}
