//! The passes behind the row kernels (max, sum of exponentials, affine maps), as backend-generic
//! ops. Sums use eight fixed partial sums (element `i` goes to sum `i mod 8`) on every backend,
//! combined in a fixed order, so results are bit-identical across backends.

use super::exp::exp_f64_raw;
use super::exp_t16::{exp_t16_rows, exp_t16_rows_high};
use super::lanes::Lanes;
use super::map::{load_small, store_small, Elem, MAX_LANES};
use super::vec::Fv;
use crate::dispatch::LanesOp;

/// Elements per block of partial sums.
pub(crate) const BLOCK: usize = 8;

/// What the exponentials of a row may skip.
#[derive(Clone, Copy)]
pub(crate) struct ExpRange {
    /// Every `x` is finite and so is `m`: `x - m` has no NaN to keep.
    pub(crate) finite: bool,
    /// Also, every `x - m` is at least -700, inside the f32 grade's domain: no clamp.
    pub(crate) in_domain: bool,
}

impl ExpRange {
    /// Nothing known: keep NaN, clamp.
    pub(crate) const NONE: ExpRange = ExpRange {
        finite: false,
        in_domain: false,
    };
}

/// `e^d` on the row's precision grade, NaN kept unless the range says `d` has none.
#[inline(always)]
fn exp_of<T: Elem, S: Lanes>(d: Fv<S>, range: ExpRange) -> Fv<S> {
    let e = if T::IS_F32 {
        exp_t16_rows(if range.in_domain { d } else { d.max(-700.0) })
    } else {
        exp_f64_raw(d)
    };
    if range.finite {
        e
    } else {
        d.is_num().select(e, d)
    }
}

/// A row's maximum and minimum (as f64; NaN may or may not show) and whether every element
/// is finite (then `x - max` is never NaN).
pub(crate) struct RowStats {
    /// `-inf` for an empty row.
    pub(crate) max: f64,
    /// The smallest element (`+inf` for an empty row; NaN may or may not show), the same
    /// on every backend.
    pub(crate) min: f64,
    pub(crate) finite: bool,
}

impl RowStats {
    /// What the exponentials of `x - max` may skip.
    pub(crate) fn exp_range(&self) -> ExpRange {
        let finite = self.finite && self.max.is_finite();
        ExpRange {
            finite,
            in_domain: finite && self.min - self.max >= -700.0,
        }
    }
}

/// [`RowStats`] of a row, in one pass.
pub(crate) struct RowMax<T> {
    pub(crate) p: *const T,
    pub(crate) len: usize,
}

impl<T: Elem> LanesOp for RowMax<T> {
    type Output = RowStats;
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) -> RowStats {
        // `check` gathers `v * 0`: it stays 0 while every `v` is finite, NaN after.
        let mut i = 0;
        let (mut top, mut bottom) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut check = 0.0f64;
        if T::IS_F32 {
            // f32 rows compare in f32 lanes (twice as many per vector, no widening).
            // Four independent accumulators of each kind, so the loop is not bound by the
            // latency of one chain of `max`, `min` and FMA (the maximum and minimum do not
            // depend on the order; `chk` only tells whether it stayed 0).
            let (p, n) = (self.p as *const f32, S::F32_LANES);
            let mut acc = [s.splat_f32s(f32::NEG_INFINITY); 4];
            let mut low = [s.splat_f32s(f32::INFINITY); 4];
            let (zero, mut chk) = (s.splat_f32s(0.0), [s.splat_f32s(0.0); 4]);
            let mut step = |k: usize, v: S::f32s| {
                acc[k] = s.max_f32s(acc[k], v);
                low[k] = s.min_f32s(low[k], v);
                chk[k] = s.mul_add_f32s(v, zero, chk[k]);
            };
            // SAFETY: reads at indices < len.
            unsafe {
                while i + 4 * n <= self.len {
                    for k in 0..4 {
                        step(k, (p.add(i + k * n) as *const S::f32s).read_unaligned());
                    }
                    i += 4 * n;
                }
                while i + n <= self.len {
                    step(0, (p.add(i) as *const S::f32s).read_unaligned());
                    i += n;
                }
            }
            let (acc, low) = (
                s.max_f32s(s.max_f32s(acc[0], acc[1]), s.max_f32s(acc[2], acc[3])),
                s.min_f32s(s.min_f32s(low[0], low[1]), s.min_f32s(low[2], low[3])),
            );
            let chk = s.add_f32s(s.add_f32s(chk[0], chk[1]), s.add_f32s(chk[2], chk[3]));
            top = s.reduce_max_f32s(acc) as f64;
            bottom = s.reduce_min_f32s(low) as f64;
            check = s.reduce_sum_f32s(chk) as f64;
        }
        let n = S::F64_LANES;
        let mut acc = s.splat_f64s(top);
        let mut low = s.splat_f64s(bottom);
        let (zero, mut chk) = (s.splat_f64s(0.0), s.splat_f64s(check));
        // SAFETY: reads at indices < len, or in the padded stack buffer.
        unsafe {
            while i + n <= self.len {
                let v = T::load(s, self.p.add(i));
                acc = s.max_f64s(acc, v);
                low = s.min_f64s(low, v);
                chk = s.mul_add_f64s(v, zero, chk);
                i += n;
            }
            if i < self.len {
                let rest = self.len - i;
                let mut buf = [T::from_f64(f64::NEG_INFINITY); MAX_LANES];
                load_small(self.p.add(i), &mut buf, rest);
                acc = s.max_f64s(acc, T::load(s, buf.as_ptr()));
                // The check sees the real elements only: zero padding, not -inf; the
                // minimum, +inf padding (so it is the row's own on every backend: the
                // softmax's fast path tests the spread).
                let mut zbuf = [T::from_f64(0.0); MAX_LANES];
                load_small(self.p.add(i), &mut zbuf, rest);
                let z = T::load(s, zbuf.as_ptr());
                chk = s.mul_add_f64s(z, zero, chk);
                let mut hbuf = [T::from_f64(f64::INFINITY); MAX_LANES];
                load_small(self.p.add(i), &mut hbuf, rest);
                low = s.min_f64s(low, T::load(s, hbuf.as_ptr()));
            }
        }
        RowStats {
            max: s.reduce_max_f64s(acc),
            min: s.reduce_min_f64s(low),
            finite: (s.reduce_sum_f64s(chk) + check).is_finite(),
        }
    }
}

/// `sum(e^(x - m))` in f64; also writes `e^(x - m)` (rounded to `T`) to `out` if not null.
/// With `m` `None`, `sum(e^x)` (and `e^x`): no subtraction, for rows whose entries are all
/// finite and lie in [-600, 600] (the caller checks; `range` is then not used).
pub(crate) struct SumExp<T> {
    pub(crate) p: *const T,
    pub(crate) out: *mut T,
    pub(crate) len: usize,
    pub(crate) m: Option<f64>,
    pub(crate) range: ExpRange,
    /// The `High` grade's exponential ([`exp_t16_rows_high`]); honoured only for f32 rows
    /// summed without the subtraction and without output (and then by [`ExpOne`] too).
    pub(crate) high: bool,
}

impl<T: Elem> SumExp<T> {
    /// One block of 8 elements at `src` (and `dst` if `STORE`) into the partial sums; the
    /// range is in the const parameters, so the loops below carry no test per block.
    ///
    /// # Safety
    /// `src` must address `BLOCK` readable elements and, if `STORE`, `dst` as many writable
    /// ones that nothing else accesses during the call.
    #[inline(always)]
    unsafe fn block<
        S: Lanes,
        const FINITE: bool,
        const IN_DOMAIN: bool,
        const STORE: bool,
        const SUB: bool,
        const HIGH: bool,
    >(
        &self,
        s: S,
        src: *const T,
        dst: *mut T,
        acc: &mut [S::f64s],
    ) {
        let n = S::F64_LANES;
        let m = Fv::splat(s, self.m.unwrap_or(0.0));
        let range = ExpRange {
            finite: FINITE,
            in_domain: IN_DOMAIN,
        };
        for (j, a) in acc.iter_mut().enumerate() {
            let x = Fv::new(s, T::load(s, src.add(j * n)));
            let d = if SUB { x - m } else { x };
            let e = if HIGH {
                exp_t16_rows_high(d)
            } else {
                exp_of::<T, S>(d, range)
            };
            if STORE {
                T::store(s, e.v, dst.add(j * n));
            }
            *a = s.add_f64s(*a, e.v);
        }
    }

    /// The sum (and the stores), for one range and one choice of output.
    #[inline(always)]
    fn sum<
        S: Lanes,
        const FINITE: bool,
        const IN_DOMAIN: bool,
        const STORE: bool,
        const SUB: bool,
        const HIGH: bool,
    >(
        &self,
        s: S,
    ) -> f64 {
        let n = S::F64_LANES;
        let mut acc_store = [s.splat_f64s(0.0); BLOCK];
        let acc = &mut acc_store[..BLOCK / n];
        let mut i = 0;
        // Only an address (safe to form); the writes through it are the block calls' below.
        let dst = |i: usize| {
            if STORE {
                self.out.wrapping_add(i)
            } else {
                core::ptr::null_mut()
            }
        };
        // SAFETY: reads of `p` and writes of `out` at indices < len, which both hold
        // (`rows::sum_exp` builds this from slices and asserts that their lengths agree),
        // or in the padded stack buffers.
        unsafe {
            // Two blocks per iteration, added in order: the same sums as one at a time.
            while i + 2 * BLOCK <= self.len {
                let (p, q) = (self.p.add(i), self.p.add(i + BLOCK));
                self.block::<S, FINITE, IN_DOMAIN, STORE, SUB, HIGH>(s, p, dst(i), acc);
                self.block::<S, FINITE, IN_DOMAIN, STORE, SUB, HIGH>(s, q, dst(i + BLOCK), acc);
                i += 2 * BLOCK;
            }
            while i + BLOCK <= self.len {
                let p = self.p.add(i);
                self.block::<S, FINITE, IN_DOMAIN, STORE, SUB, HIGH>(s, p, dst(i), acc);
                i += BLOCK;
            }
            let rest = self.len - i;
            if rest > 0 {
                // Padding with -inf adds e^-inf (0, or < 2^-1000 for the f32 grade, whose
                // clamp the padding needs) to the sums. Without the subtraction, each padded
                // lane adds e^-700 < 2^-1009 to a sum of at least e^-600 > 2^-866: nothing.
                let mut buf = [T::from_f64(f64::NEG_INFINITY); BLOCK];
                let mut obuf = [T::from_f64(0.0); BLOCK];
                load_small(self.p.add(i), &mut buf, rest);
                let (src, out) = (buf.as_ptr(), obuf.as_mut_ptr());
                self.block::<S, FINITE, false, STORE, SUB, HIGH>(s, src, out, acc);
                if STORE {
                    store_small(&obuf, self.out.add(i), rest);
                }
            }
        }
        combine_partial_sums(s, acc)
    }
}

impl<T: Elem> LanesOp for SumExp<T> {
    type Output = f64;
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) -> f64 {
        let store = !self.out.is_null();
        if self.m.is_none() {
            // Every entry is finite and in [-600, 600] (the caller's check): no NaN to keep,
            // and `e^x` needs no clamp whatever `range` says about `x - m`.
            return if store {
                self.sum::<S, true, true, true, false, false>(s)
            } else if self.high && T::IS_F32 {
                self.sum::<S, true, true, false, false, true>(s)
            } else {
                self.sum::<S, true, true, false, false, false>(s)
            };
        }
        match (self.range.finite, self.range.in_domain, store) {
            (true, true, true) => self.sum::<S, true, true, true, true, false>(s),
            (true, true, false) => self.sum::<S, true, true, false, true, false>(s),
            (true, false, true) => self.sum::<S, true, false, true, true, false>(s),
            (true, false, false) => self.sum::<S, true, false, false, true, false>(s),
            (false, true, true) => self.sum::<S, false, true, true, true, false>(s),
            (false, true, false) => self.sum::<S, false, true, false, true, false>(s),
            (false, false, true) => self.sum::<S, false, false, true, true, false>(s),
            (false, false, false) => self.sum::<S, false, false, false, true, false>(s),
        }
    }
}

/// `e^x` for one finite `x` in [-600, 600], by the same evaluation as [`SumExp`]'s terms
/// without the subtraction (so the same bits as the term of an entry equal to `x`).
pub(crate) struct ExpOne<T> {
    pub(crate) x: f64,
    /// As [`SumExp::high`].
    pub(crate) high: bool,
    pub(crate) elem: core::marker::PhantomData<T>,
}

impl<T: Elem> LanesOp for ExpOne<T> {
    type Output = f64;
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) -> f64 {
        let range = ExpRange {
            finite: true,
            in_domain: true,
        };
        let x = Fv::splat(s, self.x);
        let e = if self.high && T::IS_F32 {
            exp_t16_rows_high(x)
        } else {
            exp_of::<T, S>(x, range)
        };
        let lanes: &[f64] = pulp::bytemuck::cast_slice(core::slice::from_ref(&e.v));
        lanes[0]
    }
}

/// The eight partial sums held in `acc` (`BLOCK / F64_LANES` vectors), combined in a fixed
/// order whatever the backend.
#[inline(always)]
pub(crate) fn combine_partial_sums<S: Lanes>(_: S, acc: &[S::f64s]) -> f64 {
    let n = S::F64_LANES;
    let mut sums = [0.0f64; BLOCK];
    for (j, a) in acc.iter().enumerate() {
        let lanes: &[f64] = pulp::bytemuck::cast_slice(core::slice::from_ref(a));
        sums[j * n..(j + 1) * n].copy_from_slice(lanes);
    }
    ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))
}

/// `dst[i] = (src[i] - sub) * mul` in f64 lanes, rounded once to `T`.
pub(crate) struct Affine<T> {
    pub(crate) src: *const T,
    pub(crate) dst: *mut T,
    pub(crate) len: usize,
    pub(crate) sub: f64,
    pub(crate) mul: f64,
    /// Subtracted after the multiplication.
    pub(crate) sub2: f64,
}

impl<T: Elem> Affine<T> {
    #[inline(always)]
    fn f<S: Lanes>(&self, s: S, v: S::f64s) -> S::f64s {
        ((Fv::new(s, v) - self.sub) * self.mul - self.sub2).v
    }
}

impl<T: Elem> LanesOp for Affine<T> {
    type Output = ();
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        if self.sub.to_bits() == 0 && self.sub2.to_bits() == 0 {
            // softmax's scaling: `(v - (+0)) * mul - (+0)` is `v * mul` for every `v`, -0
            // included (not so for -0: `-0 - (-0)` is +0).
            if T::IS_F32 {
                self.scale_f32(s)
            } else {
                let mul = Fv::splat(s, self.mul);
                self.each(s, |v| (Fv::new(s, v) * mul).v)
            }
        } else if self.mul == 1.0 {
            // log_softmax's `(v - m) * 1 - ls`: the multiplication by 1 changes nothing.
            let (sub, sub2) = (Fv::splat(s, self.sub), Fv::splat(s, self.sub2));
            self.each(s, |v| ((Fv::new(s, v) - sub) - sub2).v)
        } else {
            self.each(s, |v| self.f(s, v))
        }
    }
}

impl<T: Elem> Affine<T> {
    /// `dst = src * mul` for f32 data in f32 lanes (twice as many per vector as f64):
    /// `mul` is split as `ih + il` (two f32s, 2^-48 apart) and `fma(v, ih, v * il)` rounds
    /// the product once, within 2^-47 of rounding the f64 product `v * mul`.
    #[inline(always)]
    fn scale_f32<S: Lanes>(&self, s: S) {
        let ih = self.mul as f32;
        let il = (self.mul - ih as f64) as f32;
        let (vh, vl) = (s.splat_f32s(ih), s.splat_f32s(il));
        // With `il = 0` (an f32 multiplier, log_softmax's 1), `v * il` would turn infinite
        // `v` into NaN: multiply by `ih` alone.
        let exact = il == 0.0;
        let f = |v: S::f32s| {
            if exact {
                s.mul_f32s(v, vh)
            } else {
                s.mul_add_f32s(v, vh, s.mul_f32s(v, vl))
            }
        };
        // SAFETY: `T` is f32 (IS_F32), so `src` and `dst` address `len` f32 elements: the
        // softmax and log_softmax of `rows.rs` build this from a row and an output whose
        // lengths they assert equal.
        unsafe { map_f32_lanes::<S>(self.src as *const f32, self.dst as *mut f32, self.len, f) }
    }

    #[inline(always)]
    fn each<S: Lanes>(&self, s: S, f: impl Fn(S::f64s) -> S::f64s) {
        let n = S::F64_LANES;
        let mut i = 0;
        // SAFETY: accesses at indices < len, or in the stack buffer.
        unsafe {
            while i + 4 * n <= self.len {
                for k in 0..4 {
                    let j = i + k * n;
                    T::store(s, f(T::load(s, self.src.add(j))), self.dst.add(j));
                }
                i += 4 * n;
            }
            while i + n <= self.len {
                T::store(s, f(T::load(s, self.src.add(i))), self.dst.add(i));
                i += n;
            }
            let rest = self.len - i;
            if rest > 0 {
                let mut buf = [T::from_f64(0.0); MAX_LANES];
                load_small(self.src.add(i), &mut buf, rest);
                T::store(s, f(T::load(s, buf.as_ptr())), buf.as_mut_ptr());
                store_small(&buf, self.dst.add(i), rest);
            }
        }
    }
}

/// `dst[i] = src[i] - (ch + cl)` for f32 data in f32 lanes (log_softmax's `x - (m + ls)`):
/// `x - ch` as an exact pair (Fast2Sum), then the pair's error minus `cl`, then one rounding.
///
/// The caller guarantees `|ch| >= |src[i]|` for every element (Fast2Sum's condition), and
/// that `ch` is far from overflow (`|ch| <= 2^100`). With `s = RN(x - ch)` and `e` its
/// exact error, the result is `RN(s + RN(e - cl))`: before the last rounding it is within
/// `2^-48 (|y| + |ch + cl|)` of `x - ch - cl` (the `RN(e - cl)` costs `2^-24 (|e| + |cl|)`,
/// `|e| <= 2^-24 |s|`, `|cl| <= 2^-24 |ch|`). Every backend runs the same f32 operations.
pub(crate) struct SubPairF32 {
    pub(crate) src: *const f32,
    pub(crate) dst: *mut f32,
    pub(crate) len: usize,
    pub(crate) ch: f32,
    pub(crate) cl: f32,
}

impl LanesOp for SubPairF32 {
    type Output = ();
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        let (nch, cl) = (s.splat_f32s(-self.ch), s.splat_f32s(self.cl));
        let f = |x: S::f32s| {
            // Fast2Sum of `-ch` and `x` (`|ch| >= |x|`): `hi + lo = x - ch` exactly.
            let hi = s.add_f32s(nch, x);
            let lo = s.sub_f32s(x, s.sub_f32s(hi, nch));
            s.add_f32s(hi, s.sub_f32s(lo, cl))
        };
        // SAFETY: `src` and `dst` address `len` f32 elements (`rows::sub_pair_f32` builds
        // this from two slices of that length). The tail's zero padding satisfies
        // `|ch| >= |x|`.
        unsafe { map_f32_lanes::<S>(self.src, self.dst, self.len, f) }
    }
}

/// `dst[i] = f(src[i])` over `len` f32 elements, a vector of lanes at a time; the tail goes
/// through `f` in a zero-padded stack buffer, so every element sees the same formula and
/// every backend agrees.
///
/// # Safety
/// `src` must be valid for reading and `dst` for writing `len` f32 elements (they may be
/// the same address).
#[inline(always)]
unsafe fn map_f32_lanes<S: Lanes>(
    src: *const f32,
    dst: *mut f32,
    len: usize,
    f: impl Fn(S::f32s) -> S::f32s,
) {
    let n = S::F32_LANES;
    let mut i = 0;
    // SAFETY: every access is at an index below `len` (the caller's contract) or inside
    // the stack buffer, which holds two vectors of the widest backend.
    unsafe {
        while i + n <= len {
            let v = (src.add(i) as *const S::f32s).read_unaligned();
            (dst.add(i) as *mut S::f32s).write_unaligned(f(v));
            i += n;
        }
        let rest = len - i;
        if rest > 0 {
            let mut buf = [0.0f32; 2 * MAX_LANES];
            load_small(src.add(i), &mut buf, rest);
            let v = (buf.as_ptr() as *const S::f32s).read_unaligned();
            (buf.as_mut_ptr() as *mut S::f32s).write_unaligned(f(v));
            store_small(&buf, dst.add(i), rest);
        }
    }
}
