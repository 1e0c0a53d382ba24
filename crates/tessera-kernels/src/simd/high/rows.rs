//! The sum of exponentials behind the `High` row kernels, on f32 lanes.
//!
//! `d = x - m` is kept exact as a pair (TwoSum: an f32 subtraction can round, and the
//! exponential would magnify that), `e^d` comes from the `High` exponential as an exact pair
//! `eh + el` (`eh` is also the `High` `exp` result, written to `out` for softmax), and the
//! pairs are widened and accumulated in sixteen fixed f64 partial sums (element `i` goes to
//! sum `i mod 16`) combined in a fixed order: the sum does not grow less accurate with the
//! row's length, and it is bit-identical on every backend.

use super::exp::{exp_parts, pow2_split};
use super::poly::EXP_ZERO_AT;
use super::v32::{fast_two_sum, two_sum, Gv};
use crate::dispatch::LanesOp;
use crate::simd::map::{load_small, store_small};
use crate::simd::prefetch::prefetch_ahead;
use crate::simd::rowops::ExpRange;
use crate::simd::Lanes;

/// Elements per block of partial sums.
const BLOCK: usize = 16;

/// `sum(e^(x - m))` in f64 over an f32 row; also writes `e^(x - m)` to `out` if not null.
pub(crate) struct SumExpHigh {
    pub(crate) p: *const f32,
    pub(crate) out: *mut f32,
    pub(crate) len: usize,
    /// The row's maximum (an f32 value, or `±inf`).
    pub(crate) m: f32,
    pub(crate) range: ExpRange,
}

/// `e^(x - m)` as `(eh, el)`, `eh` rounded like the `High` `exp` (0 from its underflow
/// threshold down), `el` the rest; NaN in `eh` (and 0 in `el`) where `x - m` is NaN.
#[inline(always)]
fn exp_diff<S: Lanes>(x: Gv<S>, m: Gv<S>, finite: bool) -> (Gv<S>, Gv<S>) {
    let (dh, dl) = two_sum(x, -m);
    let (hi, lo, t) = exp_parts_shifted(dh.max(-104.0), dl);
    let (s1, s2) = pow2_split(t);
    let (p, pl) = fast_two_sum(hi, lo);
    let zero = dh.le(EXP_ZERO_AT);
    let eh = zero.select(x.c(0.0), (p * s1) * s2);
    let el = zero.select(x.c(0.0), (pl * s1) * s2);
    if finite {
        (eh, el)
    } else {
        let num = dh.is_num();
        (num.select(eh, dh), num.select(el, x.c(0.0)))
    }
}

/// [`exp_parts`] of `dh + dl` (`|dl|` at most half an ULP of `dh`): `dl` joins the low part
/// of the reduced argument, to first order `e^(dh + dl) = e^dh (1 + dl)`.
#[inline(always)]
fn exp_parts_shifted<S: Lanes>(dh: Gv<S>, dl: Gv<S>) -> (Gv<S>, Gv<S>, Gv<S>) {
    let (hi, lo, t) = exp_parts(dh);
    // hi + lo is e^r in [0.7, 1.42]: adding dl (hi + lo) keeps the pair exact to 2^-48.
    let dl = dl.is_num().select(dl, dl.c(0.0));
    (hi, dl.fma(hi, lo), t)
}

impl SumExpHigh {
    /// One block of 16 elements at `src` (and `dst` if not null) into the partial sums.
    #[inline(always)]
    unsafe fn block<S: Lanes>(&self, s: S, src: *const f32, dst: *mut f32, acc: &mut [S::f64s]) {
        let (nf, nd) = (S::F32_LANES, S::F64_LANES);
        let m = Gv::splat(s, self.m);
        let mut hb = [0.0f32; BLOCK];
        let mut lb = [0.0f32; BLOCK];
        for j in 0..BLOCK / nf {
            let x = Gv::new(s, (src.add(j * nf) as *const S::f32s).read_unaligned());
            let (eh, el) = exp_diff(x, m, self.range.finite);
            if !dst.is_null() {
                (dst.add(j * nf) as *mut S::f32s).write_unaligned(eh.v);
            }
            (hb.as_mut_ptr().add(j * nf) as *mut S::f32s).write_unaligned(eh.v);
            (lb.as_mut_ptr().add(j * nf) as *mut S::f32s).write_unaligned(el.v);
        }
        for (j, a) in acc.iter_mut().enumerate() {
            let h = s.load_f32(hb.as_ptr().add(j * nd));
            let l = s.load_f32(lb.as_ptr().add(j * nd));
            *a = s.add_f64s(*a, s.add_f64s(h, l));
        }
    }
}

impl LanesOp for SumExpHigh {
    type Output = f64;
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) -> f64 {
        let n = S::F64_LANES;
        let mut acc_store = [s.splat_f64s(0.0); BLOCK];
        let acc = &mut acc_store[..BLOCK / n];
        let mut i = 0;
        // SAFETY: accesses at indices < len, or in the padded stack buffers.
        unsafe {
            while i + BLOCK <= self.len {
                let dst = if self.out.is_null() {
                    self.out
                } else {
                    self.out.add(i)
                };
                prefetch_ahead(self.p.add(i), dst, BLOCK);
                self.block(s, self.p.add(i), dst, acc);
                i += BLOCK;
            }
            let rest = self.len - i;
            if rest > 0 {
                // Padding with -inf adds exactly 0 (below the underflow threshold).
                let mut buf = [f32::NEG_INFINITY; BLOCK];
                let mut obuf = [0.0f32; BLOCK];
                load_small(self.p.add(i), &mut buf, rest);
                let range = ExpRange {
                    finite: false,
                    ..self.range
                };
                Self { range, ..self }.block(s, buf.as_ptr(), obuf.as_mut_ptr(), acc);
                if !self.out.is_null() {
                    store_small(&obuf, self.out.add(i), rest);
                }
            }
        }
        let mut sums = [0.0f64; BLOCK];
        for (j, a) in acc.iter().enumerate() {
            let lanes: &[f64] = pulp::bytemuck::cast_slice(core::slice::from_ref(a));
            sums[j * n..(j + 1) * n].copy_from_slice(lanes);
        }
        // A fixed pairwise order, whatever the backend.
        let mut w = BLOCK;
        while w > 1 {
            w /= 2;
            for k in 0..w {
                sums[k] = sums[2 * k] + sums[2 * k + 1];
            }
        }
        sums[0]
    }
}
