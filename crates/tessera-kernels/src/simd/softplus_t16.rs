//! The f32 `softplus` of the default (`Highest`) grade: a table-driven fast path with a
//! rounding test, and the evaluation of [`super::family::softplus_f32_lanes`] (proven within
//! 1 ULP over all 2^32 inputs, 1 of them misrounded) for the rare lanes the test cannot
//! decide (the design of [`super::log_t16`]).
//!
//! Fast path, for `-87 < x < +inf`: `softplus(x) = max(x, 0) + log1p(z)` with
//! `z = e^-|x|` in (0, 1] from the row kernels' exponential ([`super::exp_t16::exp_t16_rows`],
//! 2^-37.4 relative). `1 + z = u + c` exactly (Fast2Sum, `1 >= z`), and
//! `log1p(z) = log(u) + c/u`, taken as `log(u) + c` (the difference, `c z / u`, is below
//! 2^-53 z, at most 2^-52.4 of `log1p(z)`), with `log(u)` from the table-driven fast
//! logarithm of [`super::log_t16`] (2^-37.5 relative; `u` in (1, 2] is any f64 there, which
//! its one-FMA reduction allows). `z`'s error reaches `log1p(z)` damped by
//! `z / ((1 + z) log1p(z)) <= 1`, so `log1p(z)` is within about 2^-36.4 relative, and so is
//! the sum with `max(x, 0) >= 0` (plus its rounding, 2^-53): at most 2^16.7 f64 ULPs.
//!
//! Rounding test as in [`super::log_t16`], window 2^19 f64 ULPs (about 5 times the
//! bound; a dense sample measures the fast path's error in `tests`). `x <= -87` (results
//! near or below the subnormal range, where the test's rounding boundaries are not those of
//! f32), NaN, ±inf and undecided lanes take the accurate path, lane by lane, so every
//! backend gives the same bits whatever its vector width. The exhaustive sweep over all
//! 2^32 inputs is the proof (ACCURACY.md).

use super::exp_t16::exp_t16_rows;
use super::family::softplus_f32_lanes;
use super::lanes::Lanes;
use super::log_t16::log_fast;
use super::vec::{fast_two_sum, Fv, Mv};

/// Half-width, in f64 ULPs of the fast result, of the window around an f32 rounding
/// boundary whose lanes take the accurate path.
const WINDOW: u64 = 1 << 19;

/// `softplus(x)` to about 2^-36.4 relative for `-110 <= -|x|` (garbage, never a fault, for
/// other lanes).
#[inline(always)]
fn softplus_fast<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let z = exp_t16_rows((-x.abs()).max(-110.0));
    let (u, c) = fast_two_sum(x.c(1.0), z);
    let pos = x.gt(x.c(0.0)).select(x, x.c(0.0));
    pos + (log_fast(u) + c)
}

/// The lanes the fast path takes: `-87 < x < +inf` (not NaN).
#[inline(always)]
fn taken<S: Lanes>(x: Fv<S>) -> Mv<S> {
    x.gt(x.c(-87.0)).and(x.lt(x.c(f64::INFINITY)))
}

/// f32 `softplus` in f64 lanes (rounded to f32 by the caller's store), within 1 ULP.
#[inline(always)]
pub(crate) fn softplus_f32_t16<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let y = softplus_fast(x);
    let redo = taken(x).not().or(Mv::near_f32_midpoint(y, WINDOW));
    if redo.any() {
        redo.select(softplus_f32_lanes(x), y)
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    use super::{softplus_f32_lanes, softplus_f32_t16, softplus_fast, taken, Fv, Mv, WINDOW};

    /// Every input where the accurate path is known to misround (ACCURACY.md: 1 of 2^32);
    /// the fast path may round it correctly.
    const ACCURATE_MISROUNDS: [u32; 1] = [0x39ea_41d0];

    /// The fast path with its rounding test gives the accurate path's result on every
    /// `step`-th f32 bit pattern (NaN results compared as NaN), except possibly where the
    /// accurate path misrounds.
    fn agree(step: usize) {
        let s = pulp::Scalar::new();
        for b in (0..=u32::MAX).step_by(step) {
            let x = Fv::splat(s, f32::from_bits(b) as f64);
            let fast = softplus_f32_t16(x).v as f32;
            let slow = softplus_f32_lanes(x).v as f32;
            assert!(
                fast.to_bits() == slow.to_bits()
                    || (fast.is_nan() && slow.is_nan())
                    || ACCURATE_MISROUNDS.contains(&b),
                "softplus({:e}): fast path {fast:e}, accurate path {slow:e}",
                f32::from_bits(b)
            );
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

    /// The fast path's error, in f64 ULPs of the result, against an f64 evaluation of the
    /// same formula with std's `exp` and `ln_1p` (each within about 1 f64 ULP, far below
    /// what is measured): every 4093rd f32 in the fast path's domain stays within a
    /// quarter of the window (the error analysis gives 2^16.7).
    #[test]
    fn the_fast_path_error_stays_far_inside_the_window() {
        let s = pulp::Scalar::new();
        let mut worst = 0.0f64;
        for b in (0..=u32::MAX).step_by(4093) {
            let xf = f32::from_bits(b);
            let x = Fv::splat(s, xf as f64);
            if !taken(x).any() {
                continue;
            }
            let xd = xf as f64;
            let exact = xd.max(0.0) + (-xd.abs()).exp().ln_1p();
            let y = softplus_fast(x).v;
            let ulp = f64::from_bits(exact.to_bits() + 1) - exact;
            worst = worst.max((y - exact).abs() / ulp);
        }
        println!("softplus fast path: max error {worst:.0} f64 ULPs");
        assert!(worst < (WINDOW / 4) as f64, "{worst}");
    }

    /// How often the accurate path runs, on every 65521st f32 in (-87, +inf): about 2^-10
    /// (the window is 2^19 of the 2^29 f64 ULPs between two f32 rounding boundaries).
    #[test]
    fn the_accurate_path_is_rare() {
        let s = pulp::Scalar::new();
        let (mut n, mut slow) = (0u64, 0u64);
        for b in (0..=u32::MAX).step_by(65521) {
            let x = Fv::splat(s, f32::from_bits(b) as f64);
            if !taken(x).any() {
                continue;
            }
            n += 1;
            slow += Mv::near_f32_midpoint(softplus_fast(x), WINDOW).any() as u64;
        }
        let f = slow as f64 / n as f64;
        println!(
            "softplus: {slow} of {n} inputs take the accurate path (2^{:.2})",
            f.log2()
        );
        assert!(f < 1.0 / 512.0, "{f}");
    }
}
