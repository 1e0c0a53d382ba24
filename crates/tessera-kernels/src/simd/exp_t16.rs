//! Table-driven `exp` and `expm1` in f64 lanes (Tang's method with a 16-entry table): the
//! fast path of the f64 `exp` kernel, the `expm1` inside f64 `tanh`, and a shorter grade
//! (about 2^-37) for the row kernels and the f32 sigmoid.
//!
//! `x = (16 K + j) ln2/16 + r` with `|r| <= ln2/32`, so
//! `e^x = 2^K * 2^(j/16) * e^r`. `2^(j/16)` is a table entry `T_j` (rounded to f64) times
//! `1 + tail_j` (the relative rounding error, also tabulated), and `e^r - 1 = r + r^2 Q(r)`
//! with a degree-5 `Q` (2^-58.8 relative on the reduced range, where the table-free
//! reduction to `|r| <= ln2/2` needs degree 10). The table costs one two-register permute
//! per lookup on AVX-512, a gather on AVX2.
//!
//! `2^K T_j` is built in the integer domain: the magic-constant rounding leaves `16 K + j`
//! in the low bits of `t`, and `t << 48` is `(K << 52) + (j << 48)` modulo 2^64, so the
//! table stores `bits(T_j) - (j << 48)` and one integer add gives the scaled entry. That
//! needs `2^K T_j` normal: the callers keep `|x| <= 708`.
//!
//! Accuracy (error analysis; ACCURACY.md has the measurements): `exp` rounds
//! `s + s * tmp` once (0.5 ULP) after `tmp = tail + r + r^2 Q(r)`, whose errors (the
//! reduction, `Q`, the rounding of `tmp`, `|tmp| < 0.022`) add about 0.03 ULP.

use super::lanes::Lanes;
use super::vec::{fast_two_sum, horner, Fv};

/// `bits(2^(j/16) rounded) - (j << 48)` (see the module docs).
pub(crate) const TABLE_BITS: [u64; 16] = [
    0x3ff0000000000000,
    0x3fefb5586cf9890f,
    0x3fef72b83c7d517b,
    0x3fef387a6e756238,
    0x3fef06fe0a31b715,
    0x3feedea64c123422,
    0x3feebfdad5362a27,
    0x3feeab07dd485429,
    0x3feea09e667f3bcd,
    0x3feea11473eb0187,
    0x3feeace5422aa0db,
    0x3feec49182a3f090,
    0x3feee89f995ad3ad,
    0x3fef199bdd85529c,
    0x3fef5818dcfba487,
    0x3fefa4afa2a490da,
];

/// `(2^(j/16) - T_j) / T_j`, rounded (the relative error of each table entry).
const TAIL_BITS: [u64; 16] = [
    0x0000000000000000,
    0x3c979aa65d837b6d,
    0xbc801b15eaa59348,
    0x3c968efde3a8a894,
    0x3c834d754db0abb6,
    0x3c859f48a72a4c6d,
    0x3c7690cebb7aafb0,
    0x3c9063e1e21c5409,
    0xbc93b3efbf5e2228,
    0xbc7b32dcb94da51d,
    0x3c8db72fc1f0eab4,
    0x3c71affc2b91ce27,
    0x3c8c1a7792cb3387,
    0x3c736eae30af0cb3,
    0x3c74a385a63d07a7,
    0xbc8ff7128fd391f0,
];

/// 16 / ln 2, rounded.
const INV_LN2_16: f64 = f64::from_bits(0x4037_1547_652b_82fe);
/// ln2 / 16 cut to 38 significant bits: `k * L2H_16` is exact for |k| < 2^15.
const L2H_16: f64 = f64::from_bits(0x3fa6_2e42_fefa_0000);
/// ln2 / 16 - L2H_16, rounded.
const L2L_16: f64 = f64::from_bits(0x3d3c_f79a_bc9e_3b3a);
/// 1.5 * 2^52: adding it leaves an integral value in the low mantissa bits.
const SHIFT: f64 = 6755399441055744.0;

/// `(e^r - 1 - r) / r^2` on [-ln2/32, ln2/32] (plus 2^-20), made by `scripts/fit_polys.py`
/// with weight `|r|` (the relative error `expm1` needs): weighted error 1.9e-18 (2^-58.87),
/// so `r + r^2 Q` is within 2^-58.8 relative of `e^r - 1` and 2^-64 absolute.
const EXP_T16_Q: [f64; 6] = [
    0.5000000000000003,
    0.1666666666666667,
    0.0416666666618884,
    0.008333333332650725,
    0.0013889092550719423,
    0.00019841519222894187,
];

/// `(e^r - 1 - r) / r^2` for the row kernels' grade, same range, weight `r^2` (the
/// absolute error of `e^r`): weighted error 5.29e-12 (2^-37.46).
const EXP_T16_ROWS_Q: [f64; 3] = [
    0.49999999986620824,
    0.16667008819688747,
    0.04166757907415215,
];

/// `(e^r - 1 - r) / r^2` for the `High` grade's sums (logsumexp, log_softmax), degree 1,
/// same range and weight: weighted error 1.6e-9 (2^-29.22), made by
/// `fit("EXP_T16_ROWS_HIGH_Q", expm1_q, -R16, R16, 1, weight=lambda t: t**2)` in
/// `scripts/fit_polys.py` (the odd coefficient is the degree-2 fit's: the range and the
/// weight are symmetric).
const EXP_T16_ROWS_HIGH_Q: [f64; 2] = [0.5000162930602111, 0.16667008819688747];

/// ln2 / 16, rounded.
const LN2_16: f64 = f64::from_bits(0x3fa6_2e42_fefa_39ef);

/// The reduced argument: `e^x = s (1 + tail) e^(r + rlo)`.
struct Reduced<S: Lanes> {
    /// `2^K T_j`.
    s: Fv<S>,
    tail: Fv<S>,
    r: Fv<S>,
    /// The rounding error of `r` (`x - k ln2/16 = r + rlo` to about 2^-100), or 0.
    rlo: Fv<S>,
}

/// Reduction for `|x| <= 708` (other lanes give garbage, never out-of-bounds reads);
/// `with_rlo` also recovers the rounding error of `r`.
#[inline(always)]
fn reduce<S: Lanes>(x: Fv<S>, with_rlo: bool) -> Reduced<S> {
    let s = x.s;
    let t = x.fma(x.c(INV_LN2_16), x.c(SHIFT));
    let kf = t - SHIFT;
    // Exact: `kf * L2H_16` is, and the difference is far smaller than `x`.
    let r_hi = (-kf).fma(x.c(L2H_16), x);
    let r = (-kf).fma(x.c(L2L_16), r_hi);
    let rlo = if with_rlo {
        (-kf).fma(x.c(L2L_16), r_hi - r)
    } else {
        x.c(0.0)
    };
    let tb = t.bits();
    let scaled = s.add_u64s(s.lookup16_u64s(&TABLE_BITS, tb), s.shl48_u64s(tb));
    Reduced {
        s: Fv::from_bits(s, scaled),
        tail: Fv::from_bits(s, s.lookup16_u64s(&TAIL_BITS, tb)),
        r,
        rlo,
    }
}

/// `e^x` for `|x| <= 708` (not NaN), about 0.53 ULP.
#[inline(always)]
pub(crate) fn exp_t16<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let Reduced { s, tail, r, .. } = reduce(x, false);
    // `tail * r` and the rounding of `r` are below 2^-58 of the result: dropped.
    let tmp = (r * r).fma(horner(r, &EXP_T16_Q), tail) + r;
    s.fma(tmp, s)
}

/// `e^x - 1` for `x` in [0, 40] (tanh's range; not NaN), about 0.53 ULP.
///
/// `e^x - 1 = (s - 1) + s r + s (rlo + tail (1 + r) + r^2 Q)`. `s - 1` is exact
/// (`1 <= s < 2^53`, or the `-1` is below half an ULP of `s` when `x > 36`) and larger than
/// `|s r|` unless both are 0 and `s = 1`, so one Fast2Sum and the product's FMA residual
/// keep every bit that matters. Just past a table point (`x` a little above `ln2/32`, say)
/// `s - 1` and `s r` cancel to half their size, so the small terms (`rlo`, `tail * r`)
/// that `exp` drops count here.
#[inline(always)]
pub(crate) fn expm1_t16_0_40<S: Lanes>(x: Fv<S>) -> Fv<S> {
    let Reduced { s, tail, r, rlo } = reduce(x, true);
    let rest = (r * r).fma(horner(r, &EXP_T16_Q), tail.fma(r, tail) + rlo);
    let b = s * r;
    let b_err = s.fma(r, -b);
    let (hi, lo) = fast_two_sum(s - 1.0, b);
    hi + s.fma(rest, lo + b_err)
}

/// `e^x` for `x` in [-708, 708] to about 2^-37 relative (the table's rounding, 2^-53,
/// included): the row kernels' and the f32 sigmoid's exponential, whose results are
/// rounded to f32 after a division or a sum. The reduction is one FMA with `ln2/16`
/// rounded (`|k (ln2/16 - LN2_16)| <= 2^14 * 2^-58`, far below the polynomial's error)
/// and the table's tails are dropped.
#[inline(always)]
pub(crate) fn exp_t16_rows<S: Lanes>(x: Fv<S>) -> Fv<S> {
    exp_t16_rows_with(x, &EXP_T16_ROWS_Q)
}

/// [`exp_t16_rows`] with a degree-1 `Q`: about 2^-29.2 relative, one FMA fewer. The `High`
/// grade's logsumexp and log_softmax sum these (their 1 ULP bound leaves room: see
/// `high.rs`).
#[inline(always)]
pub(crate) fn exp_t16_rows_high<S: Lanes>(x: Fv<S>) -> Fv<S> {
    exp_t16_rows_with(x, &EXP_T16_ROWS_HIGH_Q)
}

/// The evaluation of [`exp_t16_rows`] with the polynomial `q`: `e^r - 1 = r + r^2 q(r)`.
#[inline(always)]
fn exp_t16_rows_with<S: Lanes, const N: usize>(x: Fv<S>, q: &[f64; N]) -> Fv<S> {
    let s = x.s;
    let t = x.fma(x.c(INV_LN2_16), x.c(SHIFT));
    let kf = t - SHIFT;
    let r = (-kf).fma(x.c(LN2_16), x);
    let tb = t.bits();
    let scale = Fv::from_bits(
        s,
        s.add_u64s(s.lookup16_u64s(&TABLE_BITS, tb), s.shl48_u64s(tb)),
    );
    scale.fma((r * r).fma(horner(r, q), r), scale)
}
