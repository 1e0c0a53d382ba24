//! Softmax of an f32 row in f32 lanes (16 per AVX-512 vector), rounded once: the fast path
//! of `softmax_f32` (both precision grades) for rows whose entries lie in a moderate range.
//!
//! The row is centered by a power of two instead of by its maximum `m`: with
//! `x = (16 K + j) ln2/16 + r` (`|r| <= ln2/32`, the 16-entry table of the `High` sigmoid,
//! [`super::high::sigmoid`]) and `kc` the `K` of `m`, each term is
//! `E = e^(x - kc ln2) = h (1 + w)` where `h = 2^(K - kc) T_j` (an exact table entry scaled
//! by an exact power of two: no subtraction `x - m` to round, one integer add) and
//! `w = (1 + tl_j)(1 + m_r) - 1` to about 2^-28 (`tl_j` the table's rounding, `m_r = e^r - 1`
//! by the degree-1 polynomial, 2^-29.2). The first pass stores `h` in the output and
//! `hw = h w` (rounded: 2^-29.5 of `E`) in a scratch row; the sum `S = sum(h + hw)` is taken
//! in f64 from those exact f32 values (eight partial sums, element `i` into sum `i mod 8`,
//! as every row kernel); the last pass writes `fma(h, ih, fma(hw, ih, h il))` where
//! `ih + il` is `1 / S` as two f32s: the quotient `E / S` rounded once.
//!
//! Error: the terms' relative error (about 2^-28.3: the polynomial, the roundings of `r`,
//! `w` and `hw`) enters `E` and `S` alike, so at most twice that reaches the quotient; the
//! last pass adds about 2^-28.5 (the roundings of `h il` and of the inner FMA, the dropped
//! `hw il`). Before the final rounding the quotient is within about 2^-26.6 of the exact
//! softmax: at most about 0.5 + 2^-2.6 ULP (0.67), against 1.5 ULP for the default path's
//! two roundings. `softmax([c, c])` is exactly 0.5 (the two terms are equal, `S` is twice
//! one of them exactly).
//!
//! Domain ([`fits`]): finite entries within `[-LIMIT, LIMIT]` (so `16 K + j` stays below
//! 2^12 in magnitude and `k ln2/16` is exact with the 12-bit constant), a spread
//! `max - min` of at most [`SPREAD`] (so `h >= 2^-105` is normal, and every result is at
//! least 2^-118, far enough above the subnormal range that the small products' roundings
//! there stay below 2^-9 ULP) and at most [`SCRATCH`] entries (the scratch row lives on the
//! stack). Each lane's result depends on that lane and on the row's `kc` and `S` only, and
//! every backend runs the same f32 operations: the same bits everywhere.

use super::high::sigmoid::{table_exp, INV_LN2_16, SHIFT, T_BITS};
use super::high::v32::Gv;
use super::lanes::Lanes;
use super::map::{load_small, store_small, MAX_LANES};
use super::rowops::{combine_partial_sums, BLOCK};
use crate::dispatch::LanesOp;

/// The longest row the fast path takes (its scratch row is on the stack: 16 KiB).
pub(crate) const SCRATCH: usize = 4096;
/// The largest `max - min` the fast path takes (see the module docs).
pub(crate) const SPREAD: f64 = 72.0;
/// The largest `|x|` the fast path takes: `|16 K + j| < 2^12`.
pub(crate) const LIMIT: f64 = 170.0;

/// Whether a row of `len` entries whose every entry is finite (`finite`) and lies in
/// `[min, max]` can take the fast path.
pub(crate) fn fits(len: usize, finite: bool, min: f64, max: f64) -> bool {
    len > 0 && len <= SCRATCH && finite && max <= LIMIT && min >= -LIMIT && max - min <= SPREAD
}

/// `K` of `x` (see the module docs), as the lanes compute it: `t = fma(x, 16/ln2, SHIFT)`
/// holds `16 K + j` in its low bits.
fn top_k(x: f32) -> i32 {
    let t = x.mul_add(INV_LN2_16, SHIFT);
    (t.to_bits() as i32 - SHIFT.to_bits() as i32) >> 4
}

/// The softmax of `len` f32 entries at `src` into `dst`, through `scratch` (`len` f32s).
/// The row must [`fit`](fits); `max` is its maximum.
pub(crate) struct SoftmaxF32 {
    pub(crate) src: *const f32,
    pub(crate) dst: *mut f32,
    pub(crate) scratch: *mut f32,
    pub(crate) len: usize,
    pub(crate) max: f32,
}

/// `(h, h w)` of one vector of entries (see the module docs); `hrow` is the row's table.
#[inline(always)]
fn terms<S: Lanes>(x: Gv<S>, hrow: &[u32; 16]) -> (Gv<S>, Gv<S>) {
    let (h, w) = table_exp(x, hrow);
    (h, h * w)
}

impl LanesOp for SoftmaxF32 {
    type Output = ();
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        let n = S::F32_LANES;
        // `bits(T_j) - (j << 19) - (kc << 23)`: adding `bits(t) << 19` (which is
        // `(16 K + j) << 19` modulo 2^32) gives `2^(K - kc) T_j`, normal in the domain.
        let kc = top_k(self.max);
        let mut hrow = [0u32; 16];
        for (j, h) in hrow.iter_mut().enumerate() {
            *h = T_BITS[j]
                .wrapping_sub((j as u32) << 19)
                .wrapping_sub((kc as u32) << 23);
        }
        let (src, dst, scr, len) = (self.src, self.dst, self.scratch, self.len);
        assert!(
            self.len <= SCRATCH,
            "softmax_f32: row longer than the scratch"
        );
        // SAFETY: `src` is readable and `dst`, `scratch` writable for `len` f32s each, and
        // distinct (`rows::softmax_f32_lanes` builds this from a row, an output of the same
        // length, which it asserts, and its own stack buffer of `SCRATCH >= len` elements,
        // asserted above); every access below is at an index below `len` or in a stack
        // buffer.
        unsafe {
            // Pass 1: the terms.
            let mut i = 0;
            while i + n <= len {
                let x = Gv::new(s, (src.add(i) as *const S::f32s).read_unaligned());
                let (h, hw) = terms(x, &hrow);
                (dst.add(i) as *mut S::f32s).write_unaligned(h.v);
                (scr.add(i) as *mut S::f32s).write_unaligned(hw.v);
                i += n;
            }
            if i < len {
                let rest = len - i;
                // Zero padding: any finite entry is safe; the padded lanes are not stored.
                let mut buf = [0.0f32; 2 * MAX_LANES];
                load_small(src.add(i), &mut buf, rest);
                let x = Gv::new(s, (buf.as_ptr() as *const S::f32s).read_unaligned());
                let (h, hw) = terms(x, &hrow);
                (buf.as_mut_ptr() as *mut S::f32s).write_unaligned(h.v);
                store_small(&buf, dst.add(i), rest);
                (buf.as_mut_ptr() as *mut S::f32s).write_unaligned(hw.v);
                store_small(&buf, scr.add(i), rest);
            }
            // Pass 2: the sum, in f64 from the exact f32 values.
            let m = S::F64_LANES;
            let mut acc_store = [s.splat_f64s(0.0); 2 * BLOCK];
            let (ah, aw) = acc_store.split_at_mut(BLOCK);
            let (ah, aw) = (&mut ah[..BLOCK / m], &mut aw[..BLOCK / m]);
            let mut i = 0;
            while i + BLOCK <= len {
                for j in 0..BLOCK / m {
                    ah[j] = s.add_f64s(ah[j], s.load_f32(dst.add(i + j * m)));
                    aw[j] = s.add_f64s(aw[j], s.load_f32(scr.add(i + j * m)));
                }
                i += BLOCK;
            }
            if i < len {
                let rest = len - i;
                let (mut bh, mut bw) = ([0.0f32; BLOCK], [0.0f32; BLOCK]);
                load_small(dst.add(i), &mut bh, rest);
                load_small(scr.add(i), &mut bw, rest);
                for j in 0..BLOCK / m {
                    ah[j] = s.add_f64s(ah[j], s.load_f32(bh.as_ptr().add(j * m)));
                    aw[j] = s.add_f64s(aw[j], s.load_f32(bw.as_ptr().add(j * m)));
                }
            }
            let total = combine_partial_sums(s, ah) + combine_partial_sums(s, aw);
            // Pass 3: `E / S` rounded once.
            let inv = 1.0 / total;
            let ih = inv as f32;
            let il = (inv - ih as f64) as f32;
            let (vih, vil) = (Gv::splat(s, ih), Gv::splat(s, il));
            let quot = |h: Gv<S>, hw: Gv<S>| h.fma(vih, hw.fma(vih, h * vil));
            let mut i = 0;
            while i + n <= len {
                let h = Gv::new(s, (dst.add(i) as *const S::f32s).read_unaligned());
                let hw = Gv::new(s, (scr.add(i) as *const S::f32s).read_unaligned());
                (dst.add(i) as *mut S::f32s).write_unaligned(quot(h, hw).v);
                i += n;
            }
            if i < len {
                let rest = len - i;
                let (mut bh, mut bw) = ([0.0f32; 2 * MAX_LANES], [0.0f32; 2 * MAX_LANES]);
                load_small(dst.add(i), &mut bh, rest);
                load_small(scr.add(i), &mut bw, rest);
                let h = Gv::new(s, (bh.as_ptr() as *const S::f32s).read_unaligned());
                let hw = Gv::new(s, (bw.as_ptr() as *const S::f32s).read_unaligned());
                (bh.as_mut_ptr() as *mut S::f32s).write_unaligned(quot(h, hw).v);
                store_small(&bh, dst.add(i), rest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_is_the_floor_of_x_over_ln2() {
        for x in [
            -170.0f32, -64.5, -1.0, -0.02, 0.0, 0.02, 0.7, 1.0, 88.0, 170.0,
        ] {
            let k = top_k(x);
            let j = (x as f64 * 16.0 / core::f64::consts::LN_2).round() as i64;
            assert_eq!(k as i64, j.div_euclid(16), "{x}");
        }
    }
}
