//! Softmax of an f32 row in f32 lanes (16 per AVX-512 vector), rounded once: the fast path
//! of `softmax_f32` (both precision grades) for rows whose entries lie in a moderate range.
//!
//! The row is centered by a power of two `2^kc` instead of by its maximum `m`: with
//! `x = (16 K + j) ln2/16 + r` (`|r| <= ln2/32`, the 16-entry table of the `High` sigmoid,
//! [`super::high::sigmoid`]), each term is `E = e^(x - kc ln2) = h (1 + w)` where
//! `h = 2^(K - kc) T_j` (an exact table entry scaled by an exact power of two: no
//! subtraction `x - m` to round, one integer add) and `w = (1 + tl_j)(1 + m_r) - 1` to about
//! 2^-28 (`tl_j` the table's rounding, `m_r = e^r - 1` by the degree-1 polynomial,
//! 2^-29.2). `u + ul = h (1 + w)` is an exact pair (an FMA and its residual, `h - u` exact
//! by Sterbenz: the pair's own error is below 2^-47). Two passes:
//!
//! 1. the terms: `u` into the output, `ul` into a scratch row; the row's maximum and
//!    minimum on the way (no separate pass to find them: see the centering below);
//! 2. the sum `S`: the `u` in f64 (each one exact there; eight partial sums, element `i`
//!    into sum `i mod 8`, as every row kernel) plus the `ul` in f32 (sixteen partial sums,
//!    element `i` into sum `i mod 16`: each `ul` is below 2^-24 of its `u`, so the f32
//!    sums' error stays below 2^-40 of `S`); then, with `ih + il = 1 / S` as two f32s,
//!    `fma(u, ih, fma(ul, ih, u il))`: the quotient `E / S` rounded once.
//!
//! **Centering.** The first try takes `kc = 0` (no centering at all) and checks the row's
//! range afterwards: if every entry lies in `[-UNCENTERED, UNCENTERED]` (and the spread and
//! length limits below hold), every term and intermediate is normal and far from overflow
//! (`h` in `[2^-93, 2^93]`), and its results stand. Otherwise the caller runs the kernel
//! again with `kc` the `K` of the maximum the first try found (the largest `h` then in
//! `[1, 2)`), for rows within `[-LIMIT, LIMIT]`. Ordinary logits take the first try: one
//! read of the row from memory, two passes in all.
//!
//! Error: the terms' relative error (about 2^-28.3: the polynomial, the roundings of `r`
//! and `w`) enters `E` and `S` alike, so at most twice that reaches the quotient; the sums
//! add under 2^-40 and the last pass under 2^-46 (the roundings of `u il` and of the inner
//! FMA, the dropped `ul il`). Before the final rounding the quotient is within about 2^-27.3
//! of the exact softmax: about 0.6 ULP at worst, within the documented 0.67 ULP (the bound
//! of the earlier form of this kernel, which rounded `h w`), against 1.5 ULP for the
//! default path's two roundings. `softmax([c, c])` is exactly 0.5 (the two terms are
//! equal, `S` is twice one of them exactly).
//!
//! Domain ([`fits`]): finite entries within `[-limit, limit]` (so `16 K + j` stays below
//! 2^12 in magnitude and `k ln2/16` is exact with the 12-bit constant), a spread
//! `max - min` of at most [`SPREAD`] (so every result is at least 2^-118, far enough above
//! the subnormal range that the small products' roundings there stay below 2^-9 ULP) and
//! at most [`SCRATCH`] entries (the scratch row lives on the stack). A non-finite entry
//! makes its `w`, hence `S`, NaN (`x - k ln2/16` is `inf - inf` or NaN), which is how the
//! kernel tells: no test per element. Each lane's result depends on that lane and on the
//! row's `kc` and `S` only, the sums run in a fixed order, and every backend runs the same
//! f32 operations: the same bits everywhere.

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
/// The largest `|x|` the fast path takes, centered: `|16 K + j| < 2^12`.
pub(crate) const LIMIT: f32 = 170.0;
/// The largest `|x|` the first, uncentered try keeps (`kc = 0`): `h` stays within
/// `[2^-93, 2^93]`.
pub(crate) const UNCENTERED: f32 = 64.0;
/// The `ul` sums' pattern: element `i` into f32 sum `i mod SUMS32`.
const SUMS32: usize = 16;

/// Whether a row of finite entries within `[min, max]` fits the centering whose largest
/// `|x|` is `limit` (length and finiteness are the kernel's to check).
pub(crate) fn fits(min: f32, max: f32, limit: f32) -> bool {
    max <= limit && min >= -limit && (max as f64 - min as f64) <= SPREAD
}

/// `K` of `x` (see the module docs), as the lanes compute it: `t = fma(x, 16/ln2, SHIFT)`
/// holds `16 K + j` in its low bits.
pub(crate) fn top_k(x: f32) -> i32 {
    let t = x.mul_add(INV_LN2_16, SHIFT);
    (t.to_bits() as i32 - SHIFT.to_bits() as i32) >> 4
}

/// The softmax of `len` f32 entries at `src` into `dst`, through `scratch` (`len` f32s),
/// centered by `2^kc`, kept if the row fits `limit` (see [`fits`]).
pub(crate) struct SoftmaxF32 {
    pub(crate) src: *const f32,
    pub(crate) dst: *mut f32,
    pub(crate) scratch: *mut f32,
    pub(crate) len: usize,
    pub(crate) kc: i32,
    pub(crate) limit: f32,
}

/// What [`SoftmaxF32`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Outcome {
    /// `dst` holds the softmax.
    Done,
    /// The row did not fit: `dst` holds garbage. `max` and `min` are the row's as the
    /// first pass saw them (unreliable if the row holds a NaN).
    Skipped { max: f32, min: f32 },
}

/// `(u, ul)` of one vector of entries (see the module docs); `hrow` is the centering's
/// table.
#[inline(always)]
fn terms<S: Lanes>(x: Gv<S>, hrow: &[u32; 16]) -> (Gv<S>, Gv<S>) {
    let (h, w) = table_exp(x, hrow);
    let u = h.fma(w, h);
    (u, h.fma(w, h - u))
}

/// Pass 1 on one vector: the terms of `x` stored at `up` and `lp`, the range updated.
///
/// # Safety
/// `up` and `lp` must be writable for `S::F32_LANES` f32s.
#[inline(always)]
unsafe fn pass1<S: Lanes>(
    x: Gv<S>,
    hrow: &[u32; 16],
    up: *mut f32,
    lp: *mut f32,
    range: &mut (S::f32s, S::f32s),
) {
    let s = x.s;
    range.0 = s.max_f32s(range.0, x.v);
    range.1 = s.min_f32s(range.1, x.v);
    let (u, ul) = terms(x, hrow);
    // SAFETY: the caller's contract.
    unsafe {
        (up as *mut S::f32s).write_unaligned(u.v);
        (lp as *mut S::f32s).write_unaligned(ul.v);
    }
}

/// Pass 2's sums on the 16 elements at `up` and `lp` (element `i` of the row at offset
/// `i mod 16`): the `u` into the f64 sums `ah`, the `ul` into the f32 sums `al`.
///
/// # Safety
/// `up` and `lp` must be readable for 16 f32s.
#[inline(always)]
unsafe fn sum16<S: Lanes>(
    s: S,
    up: *const f32,
    lp: *const f32,
    ah: &mut [S::f64s],
    al: &mut [S::f32s],
) {
    let (n, m) = (S::F32_LANES, S::F64_LANES);
    // SAFETY: offsets below 16, the caller's contract.
    unsafe {
        for j in 0..SUMS32 / m {
            let k = (j * m % BLOCK) / m;
            ah[k] = s.add_f64s(ah[k], s.load_f32(up.add(j * m)));
        }
        for (j, a) in al.iter_mut().enumerate() {
            *a = s.add_f32s(*a, (lp.add(j * n) as *const S::f32s).read_unaligned());
        }
    }
}

/// The sixteen f32 partial sums in `al` (`16 / F32_LANES` vectors), combined in f64 in a
/// fixed order whatever the backend.
#[inline(always)]
fn combine16<S: Lanes>(al: &[S::f32s]) -> f64 {
    let mut v = [0.0f64; SUMS32];
    for (j, a) in al.iter().enumerate() {
        let lanes: &[f32] = pulp::bytemuck::cast_slice(core::slice::from_ref(a));
        for (l, &x) in lanes.iter().enumerate() {
            v[j * S::F32_LANES + l] = x as f64;
        }
    }
    let mut w = SUMS32;
    while w > 1 {
        w /= 2;
        for i in 0..w {
            v[i] += v[i + w];
        }
    }
    v[0]
}

impl LanesOp for SoftmaxF32 {
    type Output = Outcome;
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) -> Outcome {
        let n = S::F32_LANES;
        // `bits(T_j) - (j << 19) - (kc << 23)`: adding `bits(t) << 19` (which is
        // `(16 K + j) << 19` modulo 2^32) gives `2^(K - kc) T_j`, normal in the domain.
        let mut hrow = [0u32; 16];
        for (j, h) in hrow.iter_mut().enumerate() {
            *h = T_BITS[j]
                .wrapping_sub((j as u32) << 19)
                .wrapping_sub((self.kc as u32) << 23);
        }
        let (src, dst, scr, len) = (self.src, self.dst, self.scratch, self.len);
        assert!(
            len > 0 && len <= SCRATCH,
            "softmax_f32: a row of {len} entries for a scratch of {SCRATCH}"
        );
        // SAFETY: `src` is readable and `dst`, `scratch` writable for `len` f32s each, and
        // distinct (`rows::softmax_f32_lanes` builds this from a row, an output of the same
        // length, which it asserts, and its own stack buffer of `SCRATCH >= len` elements,
        // asserted above, as is `len > 0` for the read of `src[0]`); every access below is
        // at an index below `len` or in a stack buffer.
        unsafe {
            // Pass 1: the terms and the range. The tail is padded with the first entry,
            // so the padding leaves the range as it is; its lanes are not stored.
            let first = s.splat_f32s(*src);
            let mut range = (first, first);
            let mut i = 0;
            while i + n <= len {
                let x = Gv::new(s, (src.add(i) as *const S::f32s).read_unaligned());
                pass1(x, &hrow, dst.add(i), scr.add(i), &mut range);
                i += n;
            }
            if i < len {
                let rest = len - i;
                let mut buf = [*src; 2 * MAX_LANES];
                load_small(src.add(i), &mut buf, rest);
                let x = Gv::new(s, (buf.as_ptr() as *const S::f32s).read_unaligned());
                let mut lbuf = [0.0f32; 2 * MAX_LANES];
                pass1(x, &hrow, buf.as_mut_ptr(), lbuf.as_mut_ptr(), &mut range);
                store_small(&buf, dst.add(i), rest);
                store_small(&lbuf, scr.add(i), rest);
            }
            let (max, min) = (s.reduce_max_f32s(range.0), s.reduce_min_f32s(range.1));
            if !fits(min, max, self.limit) {
                return Outcome::Skipped { max, min };
            }
            // Pass 2: the sum, then the quotients.
            let mut ah_store = [s.splat_f64s(0.0); BLOCK];
            let ah = &mut ah_store[..BLOCK / S::F64_LANES];
            let mut al_store = [s.splat_f32s(0.0); SUMS32];
            let al = &mut al_store[..SUMS32 / n];
            let mut i = 0;
            while i + SUMS32 <= len {
                sum16(s, dst.add(i), scr.add(i), ah, al);
                i += SUMS32;
            }
            if i < len {
                // Zero padding: adding +0 leaves every partial sum as it is.
                let rest = len - i;
                let (mut bu, mut bl) = ([0.0f32; SUMS32], [0.0f32; SUMS32]);
                load_small(dst.add(i), &mut bu, rest);
                load_small(scr.add(i), &mut bl, rest);
                sum16(s, bu.as_ptr(), bl.as_ptr(), ah, al);
            }
            let total = combine_partial_sums(s, ah) + combine16::<S>(al);
            if total.is_nan() {
                // A non-finite entry (see the module docs).
                return Outcome::Skipped { max, min };
            }
            let inv = 1.0 / total;
            let ih = inv as f32;
            let il = (inv - ih as f64) as f32;
            let (vih, vil) = (Gv::splat(s, ih), Gv::splat(s, il));
            let quot = |u: Gv<S>, ul: Gv<S>| u.fma(vih, ul.fma(vih, u * vil));
            let mut i = 0;
            while i + n <= len {
                let u = Gv::new(s, (dst.add(i) as *const S::f32s).read_unaligned());
                let ul = Gv::new(s, (scr.add(i) as *const S::f32s).read_unaligned());
                (dst.add(i) as *mut S::f32s).write_unaligned(quot(u, ul).v);
                i += n;
            }
            if i < len {
                let rest = len - i;
                let (mut bu, mut bl) = ([0.0f32; 2 * MAX_LANES], [0.0f32; 2 * MAX_LANES]);
                load_small(dst.add(i), &mut bu, rest);
                load_small(scr.add(i), &mut bl, rest);
                let u = Gv::new(s, (bu.as_ptr() as *const S::f32s).read_unaligned());
                let ul = Gv::new(s, (bl.as_ptr() as *const S::f32s).read_unaligned());
                (bu.as_mut_ptr() as *mut S::f32s).write_unaligned(quot(u, ul).v);
                store_small(&bu, dst.add(i), rest);
            }
        }
        Outcome::Done
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

    /// One run of the kernel on `row`, centered by `2^kc`.
    fn run(row: &[f32], kc: i32, limit: f32) -> (Outcome, Vec<f32>) {
        let mut out = vec![0.0f32; row.len()];
        let mut scratch = vec![0.0f32; row.len()];
        let o = crate::dispatch::dispatch(SoftmaxF32 {
            src: row.as_ptr(),
            dst: out.as_mut_ptr(),
            scratch: scratch.as_mut_ptr(),
            len: row.len(),
            kc,
            limit,
        });
        (o, out)
    }

    #[test]
    fn the_first_try_keeps_ordinary_rows_and_reports_the_others() {
        // Ordinary logits stand uncentered, with the centered run's bits (exact scalings).
        let row: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin() * 9.0).collect();
        let (first, a) = run(&row, 0, UNCENTERED);
        assert_eq!(first, Outcome::Done);
        let max = row.iter().fold(f32::MIN, |a, &b| a.max(b));
        let (again, b) = run(&row, top_k(max), LIMIT);
        assert_eq!(again, Outcome::Done);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        // Beyond +-64 (in the tail too), the maximum and minimum come back for the rerun.
        let mut far = row.clone();
        far[36] = 65.0;
        let (o, _) = run(&far, 0, UNCENTERED);
        let min = far.iter().fold(f32::MAX, |a, &b| a.min(b));
        assert_eq!(o, Outcome::Skipped { max: 65.0, min });
        // A non-finite entry shows as a NaN sum, whatever the range says.
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut r = row.clone();
            r[5] = bad;
            assert!(
                matches!(run(&r, 0, UNCENTERED).0, Outcome::Skipped { .. }),
                "{bad}"
            );
        }
    }

    #[test]
    fn fits_checks_the_limit_and_the_spread() {
        assert!(!fits(-64.0, 64.0, UNCENTERED));
        assert!(fits(-8.0, 64.0, UNCENTERED));
        assert!(!fits(-8.0, 64.5, UNCENTERED));
        assert!(fits(98.0, 170.0, LIMIT));
        assert!(!fits(97.5, 170.0, LIMIT));
        assert!(!fits(-171.0, -120.0, LIMIT));
        // NaN fails every comparison.
        assert!(!fits(f32::NAN, 1.0, LIMIT) && !fits(0.0, f32::NAN, LIMIT));
    }
}
