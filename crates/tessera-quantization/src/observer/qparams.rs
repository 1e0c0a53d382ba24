//! PyTorch's quantization range (`calculate_qmin_qmax`) and `_calculate_qparams`: the
//! scale and zero point from a running min and max, in PyTorch's `f32` arithmetic.

use super::ObserverDType;
use crate::QScheme;

/// The `(quant_min, quant_max)` an observer uses (PyTorch's `calculate_qmin_qmax`, with
/// `validate_qmin_qmax` for a range the user gives): the dtype's 8-bit range (halved with
/// `reduce_range`), or the user's range (also halved, rounding down, with `reduce_range`).
///
/// # Panics
/// With PyTorch's texts if a given range does not include 0, is empty, or is wider than
/// the dtype's bits (`qint8`: 256 values, `qint32`: 2^32).
pub fn calculate_qmin_qmax(
    quant_min: Option<i64>,
    quant_max: Option<i64>,
    dtype: ObserverDType,
    reduce_range: bool,
) -> (i64, i64) {
    if let (Some(qmin), Some(qmax)) = (quant_min, quant_max) {
        if !(qmin <= 0 && 0 <= qmax) {
            panic!("Used-specified quantization range must include 0.");
        }
        if qmin >= qmax {
            panic!("qmin must be strictly less than qmax for user-specified quantization range.");
        }
        let len = qmax - qmin + 1;
        match dtype {
            ObserverDType::QInt8 if !(0 < len && len <= 256) => panic!(
                "quantization range should be positive and not exceed the maximum bit range (=256)."
            ),
            ObserverDType::QInt32 if !(0 < len && len <= 1 << 32) => panic!(
                "quantization range should be positive and not exceed the maximum bit range (=4294967296)."
            ),
            _ => {}
        }
        if reduce_range {
            return (qmin.div_euclid(2), qmax.div_euclid(2));
        }
        return (qmin, qmax);
    }
    match (dtype, reduce_range) {
        (ObserverDType::QInt8, true) => (-64, 63),
        (ObserverDType::QInt8, false) => (-128, 127),
        (ObserverDType::QUInt8, true) => (0, 127),
        (ObserverDType::QUInt8, false) => (0, 255),
        (ObserverDType::QInt32, _) => (-(1 << 31), (1 << 31) - 1),
        _ => (0, 15),
    }
}

/// What `_calculate_qparams` needs from an observer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QParamsConfig {
    pub dtype: ObserverDType,
    pub qscheme: QScheme,
    pub quant_min: i64,
    pub quant_max: i64,
    pub customized: bool,
    pub eps: f32,
}

/// `torch.max(a, b)` elementwise: NaN if either is NaN.
fn max_nan(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else {
        a.max(b)
    }
}

/// `torch.min(a, b)` elementwise: NaN if either is NaN.
pub(crate) fn min_nan(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else {
        a.min(b)
    }
}

/// `torch.max` elementwise, exported for the observers' running max.
pub(crate) fn max_nan_pub(a: f32, b: f32) -> f32 {
    max_nan(a, b)
}

/// `float_tensor.to(torch.int)` on x86: out of range and NaN give `i32::MIN`.
fn to_i32(v: f32) -> i32 {
    if !(-2147483648.0..2147483648.0).contains(&v) {
        i32::MIN
    } else {
        v as i32
    }
}

/// PyTorch's `_calculate_qparams` for one channel (or the tensor), given a valid
/// `min <= max`: `(scale, zero_point)`.
///
/// Affine: `scale = max((max(max,0) - min(min,0)) / (qmax - qmin), eps)` in `f32`,
/// `zero_point = clamp(qmin - round_half_even(min(min,0) / scale), qmin, qmax)` (the
/// subtraction in int32). Symmetric: `scale = max(max(-min(min,0), max(max,0)) /
/// ((qmax - qmin) / 2), eps)`, zero point 0 (`qint8`, `qint32`) or 128 (`quint8`; the
/// middle of a user's range).
pub(crate) fn qparams_one(min: f32, max: f32, c: &QParamsConfig) -> (f32, i64) {
    let min_neg = min_nan(min, 0.0);
    let max_pos = max_nan(max, 0.0);
    let eps = c.eps;
    if c.qscheme.is_symmetric() {
        let m = max_nan(-min_neg, max_pos);
        let half = ((c.quant_max - c.quant_min) as f64 / 2.0) as f32;
        let scale = max_nan(m / half, eps);
        let zp = match c.dtype {
            ObserverDType::QUInt8 if c.customized => (c.quant_min + c.quant_max).div_euclid(2),
            ObserverDType::QUInt8 => 128,
            _ => 0,
        };
        (scale, zp)
    } else {
        let range = (c.quant_max - c.quant_min) as f32;
        let scale = max_nan((max_pos - min_neg) / range, eps);
        let r = to_i32((min_neg / scale).round_ties_even());
        let zp = (c.quant_min as i32).wrapping_sub(r) as i64;
        (scale, zp.clamp(c.quant_min, c.quant_max))
    }
}

/// PyTorch's warning when `calculate_qparams` runs before the observer saw data.
pub(crate) fn warn_not_run(observer: &str) {
    eprintln!(
        "warning: {observer}: must run observer before calling calculate_qparams. Returning default values."
    );
}

/// `_calculate_qparams` over channels: the default `([1.0], [0])` with PyTorch's warning
/// when nothing was observed.
///
/// # Panics
/// With PyTorch's text if a min is above its max.
pub(crate) fn qparams(
    observer: &str,
    min: &[f32],
    max: &[f32],
    c: &QParamsConfig,
) -> (Vec<f32>, Vec<i64>) {
    if min.is_empty() {
        warn_not_run(observer);
        return (vec![1.0], vec![0]);
    }
    for (a, b) in min.iter().zip(max) {
        if a > b {
            panic!("min {a} should be less than max {b}");
        }
    }
    min.iter()
        .zip(max)
        .map(|(&a, &b)| qparams_one(a, b, c))
        .unzip()
}
