//! Polynomial coefficients, made by `scripts/fit_polys.py` (near-minimax fits in 80-digit
//! arithmetic, rounded to double). Rerun the script and the accuracy proofs after any change.

/// EXPM1_Q_F32: degree 9 on [-0.346575, 0.346575], max weighted error 1.13e-16 (2^-52.97).
pub(crate) const EXPM1_Q_F32: [f64; 10] = [
    0.5000000000000001,
    0.1666666666666667,
    0.04166666666662416,
    0.00833333333332614,
    0.0013888888917199056,
    0.00019841269874802726,
    2.480152131915289e-05,
    2.755725542317712e-06,
    2.7620077261873517e-07,
    2.5105207357166674e-08,
];
/// EXPM1_Q3_F64: degree 9 on [-0.346575, 0.346575], max weighted error 1.9e-17 (2^-55.55).
pub(crate) const EXPM1_Q3_F64: [f64; 10] = [
    0.16666666666666669,
    0.04166666666666667,
    0.008333333333330063,
    0.0013888888888883752,
    0.0001984126986304215,
    2.480158732553481e-05,
    2.7557268478092115e-06,
    2.7557273659680417e-07,
    2.5100376789064395e-08,
    2.091468001707569e-09,
];
/// LOG_P_F64: degree 7 on [0.0, 0.0294373], max weighted error 3.77e-17 (2^-54.56).
pub(crate) const LOG_P_F64: [f64; 8] = [
    0.6666666666666666,
    0.4000000000000088,
    0.2857142857080112,
    0.22222222392222168,
    0.18181795590760902,
    0.15386242164403077,
    0.1326871228786892,
    0.13087217046885002,
];

/// 1/ln 2, rounded to nearest.
pub(crate) const INV_LN2: f64 = f64::from_bits(0x3ff7_1547_652b_82fe);
/// ln 2 cut to 42 significant bits, so `k * L2H` is exact for |k| < 2^11.
pub(crate) const L2H: f64 = f64::from_bits(0x3fe6_2e42_fefa_3800);
/// ln 2 - L2H, rounded to nearest.
pub(crate) const L2L: f64 = f64::from_bits(0x3d2e_f357_93c7_6730);
