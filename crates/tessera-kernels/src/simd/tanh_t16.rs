//! The correctly rounded f32 `tanh`: a table-driven fast path with a rounding test, and the
//! accurate evaluation of [`super::family::tanh_f32_lanes`] for the rare lanes the test
//! cannot decide (the design of [`super::log_t16`]).
//!
//! Fast path, for `a = min(|x|, 10)`: `a = k ln2/32 + r'` (`|r'| <= ln2/64`, one FMA
//! against `ln2/32` rounded: 2^-50 absolute), so `e^(2a) = 2^(k/16) (1 + 2p)` with
//! `p = (e^(2r') - 1)/2 = r' + r'^2 Q(r')` (degree-3 `Q`, 2^-47.3 relative to `e^(2a)`) and
//! `2^(k/16)` from the 16-entry table of [`super::exp_t16`]. With `s2 = 2 * 2^(k/16)` (built
//! by one integer add), `u = e^(2a) - 1 = fma(s2, p, s2/2 - 1)` (`s2/2 - 1` is exact), and
//! `tanh(a) = u / (u + 2)`, one correctly rounded f64 division (faster here than a
//! Newton-refined reciprocal). `tanh`'s relative error is that of `e^(2a)` times
//! `2 e^(2a) / (e^(4a) - 1)`: at most 8 for `a >= 1/16` (about 2^-44), at most 46 for
//! `a >= ln2/64` (2^-41.8). Below `ln2/64`, `k = 0`, `u = 2p` exactly and its relative
//! error is `r' (Q(r') - Q*(r'))` plus a few roundings, where `Q*` is the exact quotient and
//! `|Q(0) - 1| = 2^-31.8`: at most 2^-38.3 (at `a = ln2/64`), so small inputs need no
//! polynomial of their own (an earlier version had one, behind a branch that most vectors
//! of mixed inputs took: 6% of the time). In f64 ULPs of the result: at most 2^14.7;
//! measured 2^12.5 (`tests`).
//!
//! Rounding test as in [`super::log_t16`], window 2^17 f64 ULPs (5 times the bound);
//! NaN lanes and undecided lanes take the accurate path, lane by lane. The exhaustive sweep
//! over all 2^32 inputs is the proof (ACCURACY.md).

use super::exp_t16::TABLE_BITS;
use super::family::tanh_f32_lanes;
use super::lanes::Lanes;
use super::vec::{horner, Fv, Mv};

/// Half-width, in f64 ULPs, of the window of the rounding test.
const WINDOW: u64 = 1 << 17;
/// 32 / ln 2, rounded.
const INV_LN2_32: f64 = f64::from_bits(0x4047_1547_652b_82fe);
/// ln 2 / 32, rounded.
const LN2_32: f64 = f64::from_bits(0x3f96_2e42_fefa_39ef);
/// 1.5 * 2^52: adding it leaves an integral value in the low mantissa bits.
const SHIFT: f64 = 6755399441055744.0;

/// `bits(2 * 2^(j/16) rounded) - (j << 48)`: the exp table with one more in the exponent.
const TABLE2_BITS: [u64; 16] = {
    let mut t = TABLE_BITS;
    let mut i = 0;
    while i < 16 {
        t[i] += 1 << 52;
        i += 1;
    }
    t
};

/// `(e^(2r) - 1 - 2r) / (2 r^2)` on [-ln2/64, ln2/64] (plus 2^-20), weight `2 r^2`,
/// made by `scripts/fit_polys.py`: max weighted error 5.68e-15 (2^-47.32).
const TANH_T16_Q: [f64; 4] = [
    0.9999999997323693,
    0.6666666665749078,
    0.3333406332359463,
    0.13333556799349722,
];

/// `tanh(x)` to about 2^-44 relative for non-NaN `x` (garbage for NaN).
#[inline(always)]
fn tanh_fast<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let s = x.s;
    let a = x.abs_min(10.0);
    let t = a.fma(x.c(INV_LN2_32), x.c(SHIFT));
    let kf = t - SHIFT;
    let r = (-kf).fma(x.c(LN2_32), a);
    let s2 = Fv::from_bits(
        s,
        s.add_u64s(
            s.lookup16_u64s(&TABLE2_BITS, t.bits()),
            s.shl48_u64s(t.bits()),
        ),
    );
    let p = (r * r).fma(horner(r, &TANH_T16_Q), r);
    let u = s2.fma(p, s2.fma(x.c(0.5), x.c(-1.0)));
    let y = u / (u + 2.0);
    // tanh is odd; this also gives -0 for -0.
    y.copysign(x)
}

/// The lanes the accurate path must redo: NaN, and those whose fast result the rounding
/// test cannot decide.
#[inline(always)]
fn redo<S: Lanes>(x: Fv<S>, y: Fv<S>) -> Mv<S> {
    x.is_num().not().or(Mv::near_f32_midpoint(y, WINDOW))
}

/// `y` (the fast results for `x`) with the lanes of `redo` (if any) from the accurate path.
#[inline(always)]
fn fix<S: Lanes>(x: Fv<S>, y: Fv<S>, redo: Mv<S>) -> Fv<S> {
    if redo.any() {
        redo.select(tanh_f32_lanes(x), y)
    } else {
        y
    }
}

/// Correctly rounded f32 `tanh` in f64 lanes (rounded to f32 by the caller's store).
#[inline(always)]
pub(crate) fn tanh_f32_cr<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let y = tanh_fast(x);
    fix(x, y, redo(x, y))
}

/// [`tanh_f32_cr`] on the two vectors of one iteration of the slice driver, with the same
/// bits: one branch on the rounding tests of both (the accurate path runs for about one
/// vector in 2^7), which with the one-instruction `min(|x|, 10)` of AVX-512 makes the
/// kernel about 8% faster per thread there (1.40 -> 1.51 Gelem/s, thread CPU time, L2).
#[inline(always)]
pub(crate) fn tanh_f32_cr_pair<S: Lanes>(x0: Fv<S>, x1: Fv<S>) -> (Fv<S>, Fv<S>) {
    let (y0, y1) = (tanh_fast(x0), tanh_fast(x1));
    let (r0, r1) = (redo(x0, y0), redo(x1, y1));
    if r0.or(r1).any() {
        (fix(x0, y0, r0), fix(x1, y1, r1))
    } else {
        (y0, y1)
    }
}

#[cfg(test)]
mod tests {
    use super::{redo, tanh_f32_cr, tanh_f32_cr_pair, tanh_f32_lanes, tanh_fast, Fv, WINDOW};

    /// The fast path with its rounding test gives the accurate path's result (the
    /// correctly rounded one, proven exhaustively before the fast path existed) on every
    /// `step`-th f32 bit pattern (NaN results compared as NaN).
    fn agree(step: usize) {
        let s = pulp::Scalar::new();
        for b in (0..=u32::MAX).step_by(step) {
            let x = Fv::splat(s, f32::from_bits(b) as f64);
            let fast = tanh_f32_cr(x).v as f32;
            let slow = tanh_f32_lanes(x).v as f32;
            assert!(
                fast.to_bits() == slow.to_bits() || (fast.is_nan() && slow.is_nan()),
                "tanh({:e}): fast path {fast:e}, accurate path {slow:e}",
                f32::from_bits(b)
            );
        }
    }

    /// The pair form gives the bits of the single form whichever of its two vectors take
    /// the accurate path (NaN included).
    #[test]
    fn the_pair_gives_the_bits_of_two_singles() {
        let s = pulp::Scalar::new();
        let (mut slow, mut fast) = (vec![f32::NAN], vec![0.5f32, -0.0]);
        for b in (0..0x4120_0000u32).step_by(7) {
            let x = f32::from_bits(b);
            let v = Fv::splat(s, x as f64);
            match redo(v, tanh_fast(v)).any() {
                true if slow.len() < 8 => slow.push(-x),
                false if fast.len() < 8 => fast.push(x),
                _ => {}
            }
        }
        assert_eq!((slow.len(), fast.len()), (8, 8));
        let all: Vec<f32> = slow.iter().chain(&fast).copied().collect();
        let bits = |v: Fv<pulp::Scalar>| (v.v as f32).to_bits();
        for &a in &all {
            for &b in &all {
                let (xa, xb) = (Fv::splat(s, a as f64), Fv::splat(s, b as f64));
                let (ya, yb) = tanh_f32_cr_pair(xa, xb);
                assert_eq!(bits(ya), bits(tanh_f32_cr(xa)), "{a:e} with {b:e}");
                assert_eq!(bits(yb), bits(tanh_f32_cr(xb)), "{b:e} with {a:e}");
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

    /// How often the accurate path runs, on every 65521st f32 bit pattern (NaN excluded),
    /// and on every one with `--ignored` (release build advised): far below 2^-10.
    fn fraction(step: usize) -> f64 {
        let s = pulp::Scalar::new();
        let (mut n, mut slow) = (0u64, 0u64);
        for b in (0..=u32::MAX).step_by(step) {
            let x = f32::from_bits(b);
            if x.is_nan() {
                continue;
            }
            let v = Fv::splat(s, x as f64);
            n += 1;
            slow += redo(v, tanh_fast(v)).any() as u64;
        }
        let f = slow as f64 / n as f64;
        println!(
            "tanh: {slow} of {n} inputs take the accurate path (2^{:.2})",
            f.log2()
        );
        f
    }

    /// The fast path's error, in f64 ULPs of the result, against std's f64 `tanh` (within
    /// about 1 f64 ULP): every 97th f32 in [0, 10] stays within a quarter of the window
    /// (the error analysis gives 2^14.7 below `ln2/64`, 2^11.2 above).
    #[test]
    fn the_fast_path_error_stays_far_inside_the_window() {
        let s = pulp::Scalar::new();
        let mut worst = 0.0f64;
        for b in (0..0x4120_0000u32).step_by(97) {
            let x = f32::from_bits(b) as f64;
            let exact = x.tanh();
            if exact == 0.0 {
                continue;
            }
            let y = tanh_fast(Fv::splat(s, x)).v;
            let ulp = f64::from_bits(exact.to_bits() + 1) - exact;
            worst = worst.max((y - exact).abs() / ulp);
        }
        println!("tanh fast path: max error {worst:.0} f64 ULPs");
        assert!(worst < (WINDOW / 4) as f64, "{worst}");
    }

    #[test]
    fn the_accurate_path_is_rare() {
        assert!(fraction(65521) < 1.0 / 1024.0);
    }

    #[test]
    #[ignore = "all 2^32 inputs: run in release with --ignored"]
    fn the_accurate_path_is_rare_everywhere() {
        assert!(fraction(1) < 1.0 / 1024.0);
    }
}
