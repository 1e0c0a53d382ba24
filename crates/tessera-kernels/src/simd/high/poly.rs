//! Polynomial coefficients of the `High` kernels (f32), made by `scripts/fit_polys_high.py`
//! (near-minimax fits in 80-digit arithmetic, each coefficient rounded to f32 in turn with
//! the higher ones refitted). Rerun the script and the exhaustive proof after any change.

/// EXPM1_Q3_F32: degree 4 on [-0.346818, 0.346818], max weighted error 1.11e-10 (2^-33.06):
/// `e^r - 1 = r + r^2/2 + r^3 Q3(r)`, weight `|r|^3` (the absolute error of `r^3 Q3`).
/// `e^r - 1 - r = r^2 (1/2 + r Q3(r))` with the same coefficients has the same error.
pub(crate) const EXPM1_Q3_F32: [f32; 5] = [
    f32::from_bits(0x3e2aaaab), // 0.1666666716337204
    f32::from_bits(0x3d2aaa72), // 0.04166645556688309
    f32::from_bits(0x3c0887f7), // 0.008333197794854641
    f32::from_bits(0x3ab6a8b0), // 0.0013935770839452744
    f32::from_bits(0x395139fc), // 0.00019953394075855613
];
/// LOG_P_F32: degree 3 on [0.0, 0.0294376], max weighted error 4.07e-12 (2^-37.84):
/// `log(1 + f) = f - f^2/2 + s (f^2/2 + z P(z))` with `s = f / (2 + f)`, `z = s^2`, weight
/// `z^1.5` (the absolute error of `s z P(z)`).
pub(crate) const LOG_P_F32: [f32; 4] = [
    f32::from_bits(0x3f2aaaaa), // 0.6666666269302368
    f32::from_bits(0x3ecccdde), // 0.4000081419944763
    f32::from_bits(0x3e91fcdf), // 0.28513237833976746
    f32::from_bits(0x3e756548), // 0.23964416980743408
];

/// 1/ln 2, rounded to f32.
pub(crate) const INV_LN2: f32 = f32::from_bits(0x3fb8_aa3b);
/// ln 2 rounded to f32; `x - k L2` is exact with an FMA for the `k` of the exp reduction.
pub(crate) const L2: f32 = f32::from_bits(0x3f31_7218);
/// ln 2 - L2, rounded.
pub(crate) const L2_LO: f32 = f32::from_bits(0xb102_e308); // -1.9046542e-9
/// ln 2 cut to 16 significant bits, so `e * L2H16` is exact for `|e| < 2^8`.
pub(crate) const L2H16: f32 = f32::from_bits(0x3f31_7200);
/// ln 2 - L2H16, rounded.
pub(crate) const L2L16: f32 = f32::from_bits(0x35bf_be8e); // 1.4286068e-6
/// 1.5 * 2^23: adding it leaves an integral value in the low mantissa bits.
pub(crate) const SHIFT: f32 = 12_582_912.0;

/// The largest f32 whose `e^x` is finite (`exp`, `expm1`: above it, +inf).
pub(crate) const EXP_MAX_FINITE: f32 = f32::from_bits(0x42b1_7217); // 88.72283
/// The largest f32 whose `e^x` rounds to +0 (`exp`, `sigmoid`, `softplus`).
pub(crate) const EXP_ZERO_AT: f32 = f32::from_bits(0xc2cf_f1b5); // -103.97208

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_what_they_say() {
        let ln2 = core::f64::consts::LN_2;
        assert_eq!(INV_LN2, (1.0 / ln2) as f32);
        assert_eq!(L2, ln2 as f32);
        assert_eq!(L2_LO, (ln2 - L2 as f64) as f32);
        assert_eq!(L2H16.to_bits() & 0xff, 0);
        assert_eq!(L2L16, (ln2 - L2H16 as f64) as f32);
        // The thresholds: e^x finite up to EXP_MAX_FINITE, below 2^-150 (rounds to 0) from
        // EXP_ZERO_AT down (checked in f64, whose exp is far more accurate than needed here).
        let next_up = f32::from_bits(EXP_MAX_FINITE.to_bits() + 1) as f64;
        let overflow = 2f64.powi(128) - 2f64.powi(103); // MAX + half an ULP
        assert!((EXP_MAX_FINITE as f64).exp() < overflow);
        assert!(next_up.exp() > overflow);
        assert!((EXP_ZERO_AT as f64).exp() < 2f64.powi(-150));
        let next = f32::from_bits(EXP_ZERO_AT.to_bits() - 1) as f64;
        assert!(next.exp() > 2f64.powi(-150));
    }
}
