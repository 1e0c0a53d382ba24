//! `log`, `log1p` and `softplus` of the `High` grade, on f32 lanes.
//!
//! `u = 2^e m` with `m` in [sqrt(1/2), sqrt(2)) (exponent-field arithmetic on the bits),
//! `f = m - 1` (exact), `s = f / (2 + f)`, `z = s^2`, and
//! `log(u) = e ln2 + f - f^2/2 + s (f^2/2 + z P(z))` (fdlibm's arrangement). In f32 the
//! large terms are kept exact: `e * L2H16` (ln 2 cut to 16 bits) is exact, `f^2/2 = h + hl`
//! by an FMA residual, and `e L2H16 + (f - h)` by two Fast2Sums; the rest is small, so the
//! result is rounded about once (a little above half an ULP; ACCURACY.md has the exhaustive
//! figures), well inside the 1 ULP (faithful) bound. `s` only multiplies the small terms:
//! one IEEE division.

use super::exp::{exp_parts, pow2_split};
use super::poly::{EXP_ZERO_AT, L2H16, L2L16, LOG_P_F32};
use super::v32::{fast_two_sum, horner, two_sum, Gv};
use crate::simd::Lanes;

const ONE_BITS: u32 = 0x3f80_0000;
const SQRT_HALF_BITS: u32 = 0x3f35_04f3;
/// 2^23 as bits: or-ing a small integer into its mantissa gives `2^23 + n`.
const TWO23_BITS: u32 = 0x4b00_0000;
/// sqrt(2) - 1 rounded up and 1 - sqrt(1/2) rounded down: inside, `log1p` takes `f = x`.
const SQRT2_M1: f32 = 0.414_213_57;
const ONE_M_SQRT_HALF: f32 = 0.292_893_2;

/// Splits a positive normal `u` as `2^e m` with `m` in [sqrt(1/2), sqrt(2)); returns
/// `(e, m)`, `e` as a float.
#[inline(always)]
fn frexp_sqrt2<S: Lanes>(u: Gv<S>) -> (Gv<S>, Gv<S>) {
    let s = u.s;
    let bits = u.bits();
    // Adding 1 - sqrt(1/2) (in the bit pattern) makes the exponent field round at sqrt(2).
    let d = s.add_u32s(bits, s.splat_u32s(ONE_BITS - SQRT_HALF_BITS));
    let eb = Gv::<S>::shr_bits::<23>(s, d);
    let m = s.add_u32s(
        s.sub_u32s(bits, Gv::<S>::shl_bits::<23>(s, eb)),
        s.splat_u32s(ONE_BITS),
    );
    let e = Gv::from_bits(s, s.or_u32s(eb, s.splat_u32s(TWO23_BITS))) - (8_388_608.0 + 127.0);
    (e, Gv::from_bits(s, m))
}

/// `e ln2 + log(1 + f) + corr` as a pair `(hi, lo)`, for `f` in [sqrt(1/2) - 1,
/// sqrt(2) - 1] and `|corr|` below about 2^-23 of the result.
#[inline(always)]
fn log_parts<S: Lanes>(e: Gv<S>, f: Gv<S>, corr: Gv<S>) -> (Gv<S>, Gv<S>) {
    let sd = f / (f + 2.0);
    let z = sd * sd;
    let rr = z * horner(z, &LOG_P_F32);
    let hf = f * 0.5;
    let h = hf * f;
    let hl = hf.fma(f, -h);
    // |f| >= f^2/2 and |e L2H16| >= ln2 > |f - h| unless e = 0: both Fast2Sums hold.
    let (a, al) = fast_two_sum(f, -h);
    let (b, bl) = fast_two_sum(e * L2H16, a);
    let small = sd.fma(h + rr, e.fma(e.c(L2L16), corr) - hl);
    (b, (bl + al) + small)
}

/// `log(x)` special values: `x` is `zero_at`, below it, `+inf` or NaN where `ok` is false.
#[inline(always)]
fn log_specials<S: Lanes>(x: Gv<S>, zero_at: f32, res: Gv<S>) -> Gv<S> {
    let inf = x.c(f32::INFINITY);
    let ok = x.gt(zero_at).and(x.lt(f32::INFINITY));
    let special = x.eq(zero_at).select(
        -inf,
        x.eq(f32::INFINITY)
            .select(inf, x.is_num().select(x.c(f32::NAN), x)),
    );
    ok.select(res, special)
}

/// f32 `log`.
#[inline(always)]
pub(crate) fn log_lanes<S: Lanes>(x: Gv<S>) -> Gv<S> {
    // Subnormal inputs are scaled by 2^23 first.
    let sub = x.lt(f32::MIN_POSITIVE);
    let xs = sub.select(x * 8_388_608.0, x);
    let (e, m) = frexp_sqrt2(xs);
    let e = e - sub.select(x.c(23.0), x.c(0.0));
    let (hi, lo) = log_parts(e, m - 1.0, x.c(0.0));
    log_specials(x, 0.0, hi + lo)
}

/// `log(1 + xh + xl)` as a pair, for `xh > -1` finite and `|xl|` below an ULP of `xh`.
#[inline(always)]
fn log1p_pair<S: Lanes>(xh: Gv<S>, xl: Gv<S>) -> (Gv<S>, Gv<S>) {
    // u + c = 1 + xh exactly (Fast2Sum, larger operand first).
    let one = xh.c(1.0);
    let (u, c) = fast_two_sum(xh.maxv(one), xh.minv(one));
    let (e, m) = frexp_sqrt2(u);
    // Near 0, f = xh itself (no rounding of 1 + xh at all).
    let near = xh.ge(-ONE_M_SQRT_HALF).and(xh.le(SQRT2_M1));
    let f = near.select(xh, m - 1.0);
    let e = near.select(xh.c(0.0), e);
    // log(1 + xh + xl) = log(u) + (c + xl) / u to far below an ULP (c + xl < 2^-23 u).
    let corr = near.select(xl, c + xl) / u;
    log_parts(e, f, corr)
}

/// f32 `log1p`.
#[inline(always)]
pub(crate) fn log1p_lanes<S: Lanes>(x: Gv<S>) -> Gv<S> {
    // Finite x > -1 only (the specials replace the others).
    let xc = x.clamp(-0.999_999_94, f32::MAX);
    let (hi, lo) = log1p_pair(xc, x.c(0.0));
    // |x| < 2^-25 rounds to x (keeps -0.0 and subnormals).
    let res = x.abs().lt(f32::from_bits(0x3300_0000)).select(x, hi + lo);
    log_specials(x, -1.0, res)
}

/// f32 `softplus`: `max(x, 0) + log1p(z)` with `z = e^-|x|` as an exact pair.
#[inline(always)]
pub(crate) fn softplus_lanes<S: Lanes>(x: Gv<S>) -> Gv<S> {
    let (hi, lo, t) = exp_parts((-x.abs()).max(-104.0));
    let (s1, s2) = pow2_split(t);
    // e^(r + rl) = p + pl exactly, then scaled: z is rounded once (into the subnormal
    // range, where log1p(z) rounds to z, for x < -87.3).
    let (p, pl) = fast_two_sum(hi, lo);
    let zh = (p * s1) * s2;
    let zl = (pl * s1) * s2;
    let (lh, ll) = log1p_pair(zh, zl);
    let pos = x.max(0.0);
    let (y, yl) = two_sum(pos, lh);
    let y = y + (yl + ll);
    let y = x.le(EXP_ZERO_AT).select(x.c(0.0), y.max(f32::from_bits(1)));
    // +inf gives itself (the pair sums would make inf - inf); NaN is kept.
    let y = x.eq(f32::INFINITY).select(x, y);
    x.is_num().select(y, x)
}
