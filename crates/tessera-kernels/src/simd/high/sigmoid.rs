//! `sigmoid` of the `High` grade, on f32 lanes (16 per AVX-512 vector).
//!
//! `sigmoid(x) = n / (1 + z)` with `z = e^-|x|`, `n = 1` for `x >= 0` and `n = z` for
//! `x < 0`: both signs divide, neither subtracts from 1.
//!
//! `z` comes from a 16-entry table: `-|x| = (16 K + j) ln2/16 + r` with `|r| <= ln2/32`, so
//! `z = 2^K T_j (1 + tl_j) (1 + m)` where `T_j` is `2^(j/16)` rounded to f32, `tl_j` its
//! relative rounding error (tabulated) and `m = e^r - 1 = r + r^2 P(r)` (degree 3, 2^-29.2).
//! `r` needs no pair: `ln2/16` cut to 12 bits makes `x - k ln2/16` exact, and the second
//! Cody-Waite step rounds `r` (below 2^-5) to 2^-30. The scaled table entry
//! `h = 2^(K+64) T_j` is one integer add (the table stores `bits(T_j) - (j << 19)` plus 64
//! in the exponent, and `bits(t) << 19` is `(16 K + j) << 19`); the `2^64` keeps every
//! intermediate normal down to `x = -104`, and one final multiplication by `2^-64` rounds
//! the results of `x < -87.3` into the subnormal range.
//!
//! `u + ul = h (1 + w)`, `w = m + tl_j` (the product `m tl_j`, below 2^-29.5, is dropped), is
//! an exact pair (an FMA and its residual; `h - u` is exact by Sterbenz), so `2^-64 (u + ul)`
//! is `z` to about 2^-27.5 relative in all (the polynomial, the roundings of `r` and `w`,
//! the dropped product). `dh = 1 + zh` rounded (`zh = 2^-64 u`, 0 below 2^-126), `q0 = 1 / dh` (one IEEE division) and
//! `e = 1 - q0 (1 + z)` as `(1 - q0) - q0 zh` (the subtraction exact by Sterbenz, `q0`
//! being in [1/2, 1]; one rounding in the FMA) minus `2^-64 ul q0`: `|e| < 2^-22`, to about
//! 2^-46 absolute (no Fast2Sum pair for `1 + z` is needed); then
//! - `x >= 0`: `1 / (1 + z) = q0 (1 + e)` (the dropped `e^2` is below 2^-44);
//! - `x < 0`: `z / (1 + z) = 2^-64 (u + ul) q0 (1 + e)`, the large product `u q0` exact
//!   inside the last FMA.
//!
//! Both signs run the second form, with `2^64 + 0` in place of `u + ul` for `x >= 0` (exact
//! scalings of `q0 (1 + e)`, but for the rounding of `q0 e`, below 2^-46): the multiply
//! pipes, which bound this kernel's speed, run 15 multiplications and FMAs per vector.
//!
//! A vector whose lanes all have `|x| <= 64` (no NaN; the usual case) runs the same steps
//! without the scaling: `z >= e^-64 > 2^-93`, so `u` is normal, `zh` is `u` itself, the
//! term `2^-64 ul q0` is `p` (a subtraction instead of an FMA) and the last multiplication
//! by `2^-64` goes; no clamp and no NaN test either. 13 multiplications and FMAs and about
//! 29 vector operations instead of 15 and 34: about 18% faster per thread (2.64 against
//! 2.25 Gelem/s, thread CPU time, AVX-512, loaded machine). Each of its operations is an
//! exact `2^-64` scaling of the general path's, or differs only in a term far below the
//! final rounding (for tiny `|x|`, where `ul q0` is subnormal unscaled): the test
//! `fast_path_gives_the_general_bits` checks every f32 with `|x| <= 64` (2^31.1 inputs,
//! both paths lane by lane) and finds the same bits on all of them, so the per-vector
//! choice never shows in a result and the exhaustive figures of the general kernel hold.
//!
//! Each result is rounded once (twice for subnormal results: to 24 bits, then to the
//! subnormal spacing) after an error of about 2^-27.5 relative: about 0.6 ULP at worst for
//! normal results, 0.75 for subnormal ones, inside the 1 ULP (faithful) bound (the
//! exhaustive figures are in ACCURACY.md). The thresholds come out as the default kernel's
//! with no comparison: below `-103.97208` the scaled quotient is below half of 2^-149 and
//! rounds to `+0`, above it to 2^-149 (`exhaustive --grade high` counts no special
//! mismatch). Each lane's result depends on that lane alone, so every backend gives the
//! same bits.

use super::v32::{horner, Gm, Gv};
use crate::simd::Lanes;

/// 16 / ln 2, rounded.
pub(crate) const INV_LN2_16: f32 = f32::from_bits(0x41b8_aa3b);
/// ln2 / 16 cut to 12 significant bits: `k * L16H` is exact for `|k| < 2^12`.
const L16H: f32 = f32::from_bits(0x3d31_7000);
/// ln2 / 16 - L16H, rounded.
const L16L: f32 = f32::from_bits(0x3605_fdf4);
/// 1.5 * 2^23: adding it leaves an integral value in the low mantissa bits.
pub(crate) const SHIFT: f32 = 12_582_912.0;
/// 2^-64.
const TWO_M64: f32 = f32::from_bits((127 - 64) << 23);
/// 2^64.
const TWO_P64: f32 = f32::from_bits((127 + 64) << 23);
/// `e^r - 1 = r + r^2 P(r)` on `|r| <= 0.0217` (just above ln2/32): degree-1 minimax `P`
/// for the absolute error (a linear program on 4001 Chebyshev points, `scipy`), 2^-29.2
/// with the coefficients rounded to f32 (Taylor's 1/2, 1/6: 2^-26.7).
const P: [f32; 2] = [f32::from_bits(0x3f00_0111), f32::from_bits(0x3e2a_abb2)];
/// The sign bit.
const SIGN: u32 = 1 << 31;
/// Bits of -104.0.
const NEG_104_BITS: u32 = 0xc2d0_0000;
/// Bits of +inf.
const INF_BITS: u32 = 0x7f80_0000;

/// Bits of `2^(j/16)` rounded to f32 (the nearest, made with mpmath at 200 bits).
pub(crate) const T_BITS: [u32; 16] = [
    0x3f80_0000,
    0x3f85_aac3,
    0x3f8b_95c2,
    0x3f91_c3d3,
    0x3f98_37f0,
    0x3f9e_f532,
    0x3fa5_fed7,
    0x3fad_583f,
    0x3fb5_04f3,
    0x3fbd_08a4,
    0x3fc5_672a,
    0x3fce_248c,
    0x3fd7_44fd,
    0x3fe0_ccdf,
    0x3fea_c0c7,
    0x3ff5_257d,
];

/// Bits of `(2^(j/16) - T_j) / T_j`, rounded to f32 (same script).
const TL_BITS: [u32; 16] = [
    0x0000_0000,
    0x3346_cb6a,
    0xb24e_0611,
    0x334b_2482,
    0x3309_2801,
    0x331b_85f2,
    0xb305_1aa8,
    0xb200_6c56,
    0x3293_02ae,
    0xb302_e5a2,
    0x31b3_d0e5,
    0x31d1_daf2,
    0xb27c_e182,
    0xb1b4_b0da,
    0xb1d2_90be,
    0x31b0_a147,
];

/// `bits(T_j) - (j << 19) + (64 << 23)`: adding `bits(t) << 19` gives `2^(K+64) T_j`.
const H_BITS: [u32; 16] = {
    let mut h = [0u32; 16];
    let mut j = 0;
    while j < 16 {
        h[j] = T_BITS[j]
            .wrapping_sub((j as u32) << 19)
            .wrapping_add(64 << 23);
        j += 1;
    }
    h
};

/// `bits(T_j) - (j << 19)`: adding `bits(t) << 19` gives `2^K T_j`, unscaled (the fast
/// path's table).
const H1_BITS: [u32; 16] = {
    let mut h = [0u32; 16];
    let mut j = 0;
    while j < 16 {
        h[j] = H_BITS[j].wrapping_sub(64 << 23);
        j += 1;
    }
    h
};

/// `|x|` up to this takes the fast path (when every lane of the vector does).
const FAST_MAX: f32 = 64.0;

/// `(h, w)` with `c e^a = h (1 + w)`, `w` to about 2^-28 (see the module docs): `h` is the
/// table entry `T_j` scaled by `2^K` and by the scaling `c` that `htab` carries in its
/// exponents (`htab[j] = bits(c T_j) - (j << 19)`), `w = (1 + tl_j)(1 + m) - 1` with the
/// product `m tl_j` dropped. Shared with softmax's f32 path (`simd/softmax_f32.rs`).
#[inline(always)]
pub(crate) fn table_exp<S: Lanes>(a: Gv<S>, htab: &[u32; 16]) -> (Gv<S>, Gv<S>) {
    let s = a.s;
    let t = a.fma(a.c(INV_LN2_16), a.c(SHIFT));
    let kf = t - SHIFT;
    // Exact: `kf * L16H` is (12 bits each), and the difference is far smaller than `a`.
    let rh = (-kf).fma(a.c(L16H), a);
    let r = (-kf).fma(a.c(L16L), rh);
    let tb = t.bits();
    let tl = Gv::from_bits(s, Gv::<S>::lookup16(s, &TL_BITS, tb));
    let h = Gv::from_bits(
        s,
        s.add_u32s(
            Gv::<S>::lookup16(s, htab, tb),
            Gv::<S>::shl_bits::<19>(s, tb),
        ),
    );
    // w = (1 + tl)(1 + m) - 1 to 2^-28.
    let w = (r * r).fma(horner(r, &P), r + tl);
    (h, w)
}

/// `c e^a = u + ul` (`u` rounded, `ul` its error; see the module docs) for `a = -|x|` in
/// [-104, 0], with `c = 2^64` (table `H_BITS`) or `c = 1` (table `H1_BITS`, for
/// `a >= -FAST_MAX`).
#[inline(always)]
fn exp_pair<S: Lanes>(a: Gv<S>, htab: &[u32; 16]) -> (Gv<S>, Gv<S>) {
    let (h, w) = table_exp(a, htab);
    // c z = u + ul exactly (u rounded, ul its error: h - u is exact by Sterbenz).
    let u = h.fma(w, h);
    let ul = h.fma(w, h - u);
    (u, ul)
}

/// f32 `sigmoid`. The clamp and the sign and NaN tests run on the bits (the NaN test on
/// the bits of `-|x|` that the clamp needs anyway).
///
/// A vector whose lanes all lie in `[-FAST_MAX, FAST_MAX]` (no NaN) takes a fast path: the
/// same operations without the `2^64` scaling (every intermediate there is an exact
/// `2^-64` scaling of the general path's, or a term absorbed in the final rounding), no
/// clamp and no NaN test. It gives the general path's bits on every input it takes,
/// checked on all of them (the test `fast_path_gives_the_general_bits`), so a lane's
/// result never depends on its neighbours.
#[inline(always)]
pub(crate) fn sigmoid_lanes<S: Lanes>(x: Gv<S>) -> Gv<S> {
    let s = x.s;
    let xb = x.bits();
    // -|x| as bits; NaN lanes (and only they) lie above -inf's bits as unsigned integers.
    let nb = s.or_u32s(xb, s.splat_u32s(SIGN));
    let outside = s.greater_than_u32s(nb, s.splat_u32s((-FAST_MAX).to_bits()));
    if Gm::from_mask(s, outside).any() {
        sigmoid_general(x, xb, nb)
    } else {
        sigmoid_fast(x, xb, nb)
    }
}

/// The general path of [`sigmoid_lanes`] (`nb` the bits of `-|x|`).
#[inline(always)]
pub(crate) fn sigmoid_general<S: Lanes>(x: Gv<S>, xb: S::u32s, nb: S::u32s) -> Gv<S> {
    let s = x.s;
    let is_nan = s.greater_than_u32s(nb, s.splat_u32s(SIGN | INF_BITS));
    // -|x| clamped at -104 (as signed integers, a larger negative float is a larger
    // integer; NaN lanes are restored at the end).
    let a = Gv::from_bits(
        s,
        s.transmute_u32s_i32s(
            s.min_i32s(s.transmute_i32s_u32s(nb), s.splat_i32s(NEG_104_BITS as i32)),
        ),
    );
    // 2^64 z = u + ul.
    let (u, ul) = exp_pair(a, &H_BITS);
    // zh = 2^-64 u for normal results, else 0 (where 1 + z is 1 anyway): integer work,
    // which leaves the multiply pipes to the FMAs.
    let zh = Gv::from_bits(
        s,
        s.transmute_u32s_i32s(s.max_i32s(
            s.transmute_i32s_u32s(s.sub_u32s(u.bits(), s.splat_u32s(64 << 23))),
            s.splat_i32s(0),
        )),
    );
    let dh = zh + 1.0;
    let q0 = x.c(1.0) / dh;
    // e = 1 - q0 (1 + z): `1 - q0` is exact (Sterbenz: q0 in [1/2, 1]), the FMA rounds
    // once, and the last term is 2^-64 ul q0.
    let p = ul * q0;
    let e = (-q0).fma(zh, x.c(1.0) - q0);
    let e = p.fma(x.c(-TWO_M64), e);
    // The numerator scaled by 2^64, `nh + nl`: `u + ul` for x < 0, `2^64 + 0` for x >= 0;
    // the result is 2^-64 (nh + nl) q0 (1 + e), the large product `nh q0` exact inside the
    // last FMA (for x >= 0 every step below is q0 (1 + e) scaled by 2^64, exactly).
    let is_neg = s.less_than_i32s(s.transmute_i32s_u32s(xb), s.splat_i32s(0));
    let nh = Gv::new(s, s.select_f32s(is_neg, u.v, x.c(TWO_P64).v));
    let pl = Gv::new(s, s.select_f32s(is_neg, p.v, x.c(0.0).v));
    let y = nh.fma(q0, (nh * q0).fma(e, pl)) * TWO_M64;
    Gv::new(s, s.select_f32s(is_nan, x.v, y.v))
}

/// The fast path of [`sigmoid_lanes`], for lanes with `|x| <= FAST_MAX` (not NaN): the
/// general path unscaled. `z >= e^-64 > 2^-93` keeps `u` normal, so `zh = u`, `2^-64 p` is
/// `ul q0` and the last multiplication by `2^-64` goes.
#[inline(always)]
pub(crate) fn sigmoid_fast<S: Lanes>(x: Gv<S>, xb: S::u32s, nb: S::u32s) -> Gv<S> {
    let s = x.s;
    let (u, ul) = exp_pair(Gv::from_bits(s, nb), &H1_BITS);
    let q0 = x.c(1.0) / (u + 1.0);
    let p = ul * q0;
    let e = (-q0).fma(u, x.c(1.0) - q0) - p;
    let is_neg = s.less_than_i32s(s.transmute_i32s_u32s(xb), s.splat_i32s(0));
    let nh = Gv::new(s, s.select_f32s(is_neg, u.v, x.c(1.0).v));
    let pl = Gv::new(s, s.select_f32s(is_neg, p.v, x.c(0.0).v));
    nh.fma(q0, (nh * q0).fma(e, pl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_what_they_say() {
        let ln2 = core::f64::consts::LN_2;
        assert_eq!(INV_LN2_16, (16.0 / ln2) as f32);
        // 12 significant bits: the low 12 bits of the mantissa are zero.
        assert_eq!(L16H.to_bits() & 0xfff, 0);
        assert!((L16H as f64 - ln2 / 16.0).abs() < 2f64.powi(-16));
        assert_eq!(L16L, (ln2 / 16.0 - L16H as f64) as f32);
        assert_eq!(TWO_M64 as f64, 2f64.powi(-64));
        assert_eq!(TWO_P64 as f64, 2f64.powi(64));
        for j in 0..16 {
            // f64's powf is far more accurate than the f32 rounding checked here.
            let exact = 2f64.powf(j as f64 / 16.0);
            let t = f32::from_bits(T_BITS[j]);
            assert_eq!(t, exact as f32, "T_{j}");
            let tl = f32::from_bits(TL_BITS[j]) as f64;
            assert!(
                (tl - (exact - t as f64) / t as f64).abs() < 2f64.powi(-49),
                "tl_{j}"
            );
            // The scaled entry with K = 0 is 2^64 T_j.
            let h = f32::from_bits(H_BITS[j].wrapping_add((j as u32) << 19));
            assert_eq!(h as f64, t as f64 * 2f64.powi(64), "H_{j}");
        }
    }

    /// The fast path gives the general path's bits on every input it takes (all f32 with
    /// `|x| <= FAST_MAX`, about 2^31.1 of them), so the per-vector choice between them never
    /// shows in a result. Lane-wise on the current backend (every backend computes the same
    /// bits, `tests/high.rs`); about 10 s on AVX-512 in release mode, minutes in debug.
    #[test]
    #[ignore = "exhaustive over 2^31 inputs: run with --release -- --ignored"]
    fn fast_path_gives_the_general_bits() {
        use crate::dispatch::{dispatch, LanesOp};
        struct Check;
        impl LanesOp for Check {
            type Output = (u64, Option<u32>);
            #[inline(always)]
            fn run<S: Lanes>(self, s: S) -> (u64, Option<u32>) {
                let n = S::F32_LANES;
                let limit = FAST_MAX.to_bits();
                let mut xs = [0f32; 16];
                let (mut fast, mut general) = ([0f32; 16], [0f32; 16]);
                let (mut mismatches, mut first) = (0u64, None);
                // Every magnitude up to FAST_MAX with both signs, n lanes at a time.
                let mut m = 0u32;
                while m <= limit {
                    for sign in [0u32, SIGN] {
                        for (l, v) in xs.iter_mut().enumerate().take(n) {
                            *v = f32::from_bits((m + l as u32).min(limit) | sign);
                        }
                        // SAFETY: the arrays hold 16 f32, at least one vector on every
                        // backend.
                        let x = unsafe { (xs.as_ptr() as *const S::f32s).read_unaligned() };
                        let x = Gv::new(s, x);
                        let xb = x.bits();
                        let nb = s.or_u32s(xb, s.splat_u32s(SIGN));
                        // SAFETY: as above.
                        unsafe {
                            (fast.as_mut_ptr() as *mut S::f32s)
                                .write_unaligned(sigmoid_fast(x, xb, nb).v);
                            (general.as_mut_ptr() as *mut S::f32s)
                                .write_unaligned(sigmoid_general(x, xb, nb).v);
                        }
                        for l in 0..n {
                            if fast[l].to_bits() != general[l].to_bits() {
                                mismatches += 1;
                                first.get_or_insert(xs[l].to_bits());
                            }
                        }
                    }
                    m += n as u32;
                }
                (mismatches, first)
            }
        }
        let (mismatches, first) = dispatch(Check);
        assert_eq!(
            mismatches,
            0,
            "fast and general paths differ, first at {:?}",
            first.map(f32::from_bits)
        );
    }
}
