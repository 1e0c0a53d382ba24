//! The correctly rounded f32 `log` and `log1p`: a table-driven fast path with a rounding
//! test, and the accurate table-free evaluation of [`super::log`] for the rare lanes the
//! test cannot decide (CORE-MATH's binary32 design, in f64 lanes).
//!
//! Fast path, for `u = x` (log) or `u = 1 + x` (log1p, exact in f64 for the f32 inputs that
//! reach it): `u = 2^e m` with `m` in [0.703125, 1.40625) by exponent-field arithmetic
//! (adding `K_BITS` to the bits puts the exponent boundary at 0.703125 and the 4 bits that
//! index the table just below it); the 16 chunks of that range (9 of width 1/32 below
//! 0.984375, [0.984375, 1.03125) with `c = 1`, 6 of width 1/16 above) give `c_j`, and
//! `log(u) = e ln2 + log(c_j) + log1p(r)` with `r = m / c_j - 1`, computed as one FMA with
//! `1 / c_j` rounded to 29 bits (exact for an f32 `m`), `|r| <= 2^-5`, and
//! `log1p(r) = r + r^2 Q(r)` with a degree-4 `Q` (2^-37.6 relative). The chunk that holds 1
//! has `c = 1`, `log(c) = 0`, so results near 0 keep their relative accuracy; elsewhere
//! `|log(u)| >= 0.0157` and the sum's roundings stay below 2^-51 of it. In all, the fast
//! result is within about 2^-37.5 (relative) of the exact value, 2^15.5 f64 ULPs.
//!
//! Rounding test: a fast result farther than `WINDOW` (2^17) f64 ULPs from an f32 rounding
//! boundary rounds to the same f32 as the exact value. The other lanes (about 2^-11 of
//! them), and the inputs the fast path does not take (special values, `log1p`'s tiny `x`),
//! take the accurate path, lane by lane, so every backend gives the same bits whatever its
//! vector width. The exhaustive sweep over all 2^32 inputs is the proof (ACCURACY.md).

use super::hard_cases::{LOG1P_F32, LOG_F32};
use super::lanes::Lanes;
use super::log::{log1p_f32_lanes, log_f32_lanes};
use super::map::fix_hard_cases;
use super::vec::{horner, Fv, Mv};

/// Added to the bits of `u`: the exponent field then steps at `m = 0.703125`, and bits
/// 48..51 hold the chunk index (chunk 9 is [0.984375, 1.03125)).
const K_BITS: u64 = 0x0009_8000_0000_0000;
const MANT_BITS: u64 = 0x000f_ffff_ffff_ffff;
const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;
const TWO52_BITS: u64 = 0x4330_0000_0000_0000;
/// ln 2, rounded to nearest.
const LN2: f64 = f64::from_bits(0x3fe6_2e42_fefa_39ef);
/// Half-width, in f64 ULPs of the fast result, of the window around an f32 rounding
/// boundary whose lanes take the accurate path (4x the fast path's error bound).
const WINDOW: u64 = 1 << 17;

// Made by `scripts/fit_polys.py` (the `log_t16_tables` section).
/// `1 / c_j`, 29 significant bits (`m * INVC` is exact for an f32 `m`).
const INVC: [f64; 16] = [
    1.3913043476641178,
    1.33333333209157,
    1.280000001192093,
    1.230769231915474,
    1.1851851865649223,
    1.1428571417927742,
    1.103448275476694,
    1.066666666418314,
    1.0322580635547638,
    1.0,
    0.9411764703691006,
    0.8888888880610466,
    0.8421052638441324,
    0.8000000007450581,
    0.7619047611951828,
    0.7272727265954018,
];
/// `log(c_j) = -log(INVC[j])`, rounded to nearest.
const LOGC: [f64; 16] = [
    -0.33024168675416155,
    -0.2876820715204583,
    -0.24686007886284836,
    -0.20763936570956706,
    -0.1698990379595507,
    -0.13353139169320005,
    -0.09844007246400656,
    -0.06453852090474053,
    -0.031748697383257724,
    0.0,
    0.060624622049265484,
    0.11778303658770603,
    0.17185025611175198,
    0.2231435503828872,
    0.27193371641496433,
    0.31845373204985716,
];
/// `(log1p(r) - r) / r^2` on [-0.0294127, 0.031251], weight `|r|` (relative error of
/// `r + r^2 Q`): max weighted error 4.65e-12 (2^-37.65).
const LOG_T16_Q: [f64; 5] = [
    -0.4999999998664951,
    0.33333328142155205,
    -0.25000074541536316,
    0.20018199131612782,
    -0.16595342942462188,
];

const fn bits16(v: [f64; 16]) -> [u64; 16] {
    let mut b = [0u64; 16];
    let mut i = 0;
    while i < 16 {
        b[i] = v[i].to_bits();
        i += 1;
    }
    b
}
const INVC_BITS: [u64; 16] = bits16(INVC);
const LOGC_BITS: [u64; 16] = bits16(LOGC);

/// `log(u)` for a positive normal `u` to about 2^-37.5 relative (garbage, never a fault,
/// for other lanes). `u` may be any f64: the reduction `m / c_j - 1` is one FMA, exact
/// for an f32 `m` and within 2^-53 of `r` otherwise (the softplus fast path's case).
#[inline(always)]
pub(super) fn log_fast<S: Lanes>(u: Fv<S>) -> Fv<S> {
    let s = u.s;
    let d = s.add_u64s(u.bits(), s.splat_u64s(K_BITS));
    let m = Fv::from_bits(
        s,
        s.add_u64s(
            s.and_u64s(d, s.splat_u64s(MANT_BITS)),
            s.splat_u64s(ONE_BITS - K_BITS),
        ),
    );
    let e = Fv::from_bits(s, s.or_u64s(s.shr52_u64s(d), s.splat_u64s(TWO52_BITS)))
        - u.c(4503599627370496.0 + 1023.0);
    let j = s.shr48_u64s(d);
    let invc = Fv::from_bits(s, s.lookup16_u64s(&INVC_BITS, j));
    let logc = Fv::from_bits(s, s.lookup16_u64s(&LOGC_BITS, j));
    let r = m.fma(invc, u.c(-1.0));
    let p = (r * r).fma(horner(r, &LOG_T16_Q), r);
    e.fma(u.c(LN2), logc) + p
}

/// The lanes the accurate path must redo: those the fast path does not take, and those
/// whose fast result the rounding test cannot decide.
#[inline(always)]
fn redo<S: Lanes>(y: Fv<S>, take: Mv<S>) -> Mv<S> {
    take.not().or(Mv::near_f32_midpoint(y, WINDOW))
}

/// Correctly rounded f32 `log` in f64 lanes (rounded to f32 by the caller's store).
#[inline(always)]
pub(crate) fn log_f32_cr<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let take = x.gt(x.c(0.0)).and(x.lt(x.c(f64::INFINITY)));
    let y = log_fast(x);
    let redo = redo(y, take);
    if redo.any() {
        redo.select(log_slow(x), y)
    } else {
        y
    }
}

/// The accurate path of [`log_f32_cr`].
#[inline(always)]
fn log_slow<S: Lanes>(x: Fv<S>) -> Fv<S> {
    fix_hard_cases(x, log_f32_lanes(x), LOG_F32)
}

/// Correctly rounded f32 `log1p` in f64 lanes.
#[inline(always)]
pub(crate) fn log1p_f32_cr<S: Lanes>(x: Fv<S>) -> Fv<S> {
    // 1 + x is exact for 2^-25 <= |x| < 2^53; above, its error is far below the bound.
    let take = x
        .gt(x.c(-1.0))
        .and(x.lt(x.c(f64::INFINITY)))
        .and(x.abs().ge(x.c(f64::from_bits(0x3e60_0000_0000_0000))));
    let y = log_fast(x + 1.0);
    let redo = redo(y, take);
    if redo.any() {
        redo.select(log1p_slow(x), y)
    } else {
        y
    }
}

/// The accurate path of [`log1p_f32_cr`].
#[inline(always)]
fn log1p_slow<S: Lanes>(x: Fv<S>) -> Fv<S> {
    fix_hard_cases(x, log1p_f32_lanes(x), LOG1P_F32)
}

/// Whether the fast path leaves input `x` to the accurate path (for measuring how often).
#[cfg(test)]
fn redone(x: f32, log1p: bool) -> bool {
    let s = pulp::Scalar::new();
    let v = Fv::splat(s, x as f64);
    let (y, take) = if log1p {
        let take = v
            .gt(v.c(-1.0))
            .and(v.abs().ge(v.c(f64::from_bits(0x3e60_0000_0000_0000))));
        (log_fast(v + 1.0), take)
    } else {
        (log_fast(v), v.gt(v.c(0.0)))
    };
    take.not().or(Mv::near_f32_midpoint(y, WINDOW)).any()
}

#[cfg(test)]
mod tests {
    use super::{log1p_f32_cr, log1p_slow, log_f32_cr, log_slow, redone};
    use crate::simd::vec::Fv;

    /// The fast path with its rounding test gives the accurate path's result (the
    /// correctly rounded one, proven exhaustively before the fast path existed) on every
    /// `step`-th f32 bit pattern (NaN results compared as NaN).
    fn agree(step: usize) {
        let s = pulp::Scalar::new();
        let round = |v: Fv<pulp::Scalar>| (v.v as f32).to_bits();
        for b in (0..=u32::MAX).step_by(step) {
            let x = Fv::splat(s, f32::from_bits(b) as f64);
            for (name, fast, slow) in [
                ("log", round(log_f32_cr(x)), round(log_slow(x))),
                ("log1p", round(log1p_f32_cr(x)), round(log1p_slow(x))),
            ] {
                let nan = f32::from_bits(fast).is_nan() && f32::from_bits(slow).is_nan();
                assert!(
                    fast == slow || nan,
                    "{name}({:e}): fast path {fast:#010x}, accurate path {slow:#010x}",
                    f32::from_bits(b)
                );
            }
        }
    }

    #[test]
    fn the_fast_path_agrees_with_the_accurate_path() {
        agree(65521);
    }

    #[test]
    #[ignore = "all 2^32 inputs: run in release with --ignored"]
    fn the_fast_path_agrees_with_the_accurate_path_everywhere() {
        agree(1);
    }

    /// How often the accurate path runs, on every 65521st finite input of each function's
    /// domain: about 2^-11 (the window is 2^18 of the 2^29 f64 ULPs between two f32
    /// rounding boundaries). `--ignored` runs all of them (release build advised).
    fn fraction(step: usize, log1p: bool) -> f64 {
        let (lo, hi) = if log1p {
            // [2^-25, +max) and (-1, -2^-25].
            (0x3300_0000u32, 0x7f80_0000u32)
        } else {
            (1u32, 0x7f80_0000u32)
        };
        let mut n = 0u64;
        let mut slow = 0u64;
        let mut count = |x: f32| {
            n += 1;
            slow += redone(x, log1p) as u64;
        };
        for b in (lo..hi).step_by(step) {
            count(f32::from_bits(b));
        }
        if log1p {
            for b in (0xb300_0000u32..0xbf80_0000).step_by(step) {
                count(f32::from_bits(b));
            }
        }
        let f = slow as f64 / n as f64;
        println!(
            "{}: {slow} of {n} inputs take the accurate path (2^{:.2})",
            if log1p { "log1p" } else { "log" },
            f.log2()
        );
        f
    }

    #[test]
    fn the_accurate_path_is_rare() {
        for log1p in [false, true] {
            let f = fraction(65521, log1p);
            assert!(f < 1.0 / 1024.0, "{f}");
        }
    }

    #[test]
    #[ignore = "all 2^31 inputs: run in release with --ignored"]
    fn the_accurate_path_is_rare_everywhere() {
        for log1p in [false, true] {
            let f = fraction(1, log1p);
            assert!(f < 1.0 / 1024.0, "{f}");
        }
    }
}
