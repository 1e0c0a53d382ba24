//! The arithmetic of quantizing and dequantizing: PyTorch's, bit for bit (x86, 2.x).
//!
//! # Quantize
//! Per channel, and `qint32` per tensor (ATen's `quantize_val`):
//! `q = clamp(zp + round_half_even(x * (1.0f32 / (scale as f32))), qmin, qmax)`, every
//! step in `f32` (the zero point is added to the rounded value in `f32`, so a `qint32`
//! result above 2^24 is rounded to `f32` first, as PyTorch's is); `+-inf` saturate; NaN
//! gives 0 for `quint8` and `qint8`, `i32::MIN` for `qint32`.
//!
//! `quint8` and `qint8` per tensor (FBGEMM's AVX2 `Quantize`, non-legacy): `v = x * inv`
//! is capped at `2147483520.0` (NaN becomes the cap: `_mm256_min_ps`), converted to
//! int32 with ties to even (below -2^31: `i32::MIN`), and the zero point is added in
//! *wrapping* int32 arithmetic before the clamp. So for finite inputs in range this is the
//! same formula, but NaN and `+inf` give `qmax` unless the zero point makes the capped
//! value wrap (`quint8` with a zero point of 128 or more gives 0 for `+inf`, NaN and any
//! `x * inv` above `2^31 - zp`), and `-inf` gives `qmin` unless a negative zero point
//! wraps it (`qint8` with a negative zero point gives 127). tessera reproduces these
//! values, PyTorch's, rather than correcting them.
//!
//! Multiplying by the reciprocal (not dividing by the scale) is what makes the `.5`
//! boundaries match: `0.273939937f32 * (1 / 0.00214854861f32)` is exactly `127.5` and
//! rounds to 128, while the quotient is `127.49999` and would round to 127.
//!
//! # Dequantize
//! Per tensor: `((q - zp) as f32) * (scale as f32)`, the difference taken in wrapping
//! int32 arithmetic (a `qint32` value far from the zero point wraps, as in PyTorch). Per channel: `((q as f32 - zp as f32) as f64 * scale) as f32`, the scale kept
//! in `f64` (PyTorch's per-channel kernel multiplies in double).
//!
//! The tests compare both directions with PyTorch on committed data (`tests/data`).
//! Hand-written loops: the rounding and NaN rules above are PyTorch's own, which no crate
//! reproduces. The per-tensor `quint8`/`qint8` quantize and every per-tensor dequantize run
//! vectorized in `tessera_kernels::quant` (same bytes).

use crate::qtype::QElement;
use tessera_core::runtime::pool::par_zip;
use tessera_kernels::quant::{dequantize, quantize_fbgemm};

/// Quantizes one value with the reciprocal `inv` of the `f32` scale and the zero point
/// `zp` (as `f32`); `nan` is the result for NaN.
#[inline(always)]
pub(crate) fn quantize_val<T: QElement>(x: f32, inv: f32, zp: f32, nan: T) -> T {
    let t = zp + (x * inv).round_ties_even();
    if t.is_nan() {
        return nan;
    }
    let d = T::QDTYPE;
    T::from_clamped((t as f64).clamp(d.qmin() as f64, d.qmax() as f64))
}

/// The `f32` reciprocal of a scale, as PyTorch computes it.
#[inline]
pub(crate) fn inv_scale(scale: f64) -> f32 {
    1.0f32 / (scale as f32)
}

/// Quantizes `x` into `out` with one scale and zero point (in parallel when large): FBGEMM's
/// routine for `quint8` and `qint8` (`tessera_kernels::quant::quantize_fbgemm`, vectorized),
/// ATen's `quantize_val` for `qint32`.
pub(crate) fn quantize_slice_per_tensor<T: QElement>(
    x: &[f32],
    out: &mut [T],
    scale: f64,
    zp: i64,
) {
    let inv = inv_scale(scale);
    par_zip(x, out, |x, out| {
        if T::FBGEMM_PER_TENSOR {
            quantize_fbgemm(x, out, inv, zp as i32);
        } else {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = quantize_val(v, inv, zp as f32, T::NAN);
            }
        }
    });
}

/// Quantizes the contiguous `x` of shape `[outer, channels, inner]` (the channel axis in
/// the middle) with a scale and zero point per channel.
pub(crate) fn quantize_slice_per_channel<T: QElement>(
    x: &[f32],
    out: &mut [T],
    scales: &[f64],
    zps: &[i64],
    inner: usize,
) {
    let c = scales.len();
    let inv: Vec<f32> = scales.iter().map(|&s| inv_scale(s)).collect();
    let zpf: Vec<f32> = zps.iter().map(|&z| z as f32).collect();
    let block = c * inner;
    if block == 0 {
        return;
    }
    for (xb, ob) in x.chunks(block).zip(out.chunks_mut(block)) {
        for ch in 0..c {
            let r = ch * inner..(ch + 1) * inner;
            for (o, &v) in ob[r.clone()].iter_mut().zip(&xb[r]) {
                *o = quantize_val(v, inv[ch], zpf[ch], T::NAN);
            }
        }
    }
}

/// Dequantizes `q` into `out` with one scale and zero point (in parallel when large).
pub(crate) fn dequantize_slice_per_tensor<T: QElement>(
    q: &[T],
    out: &mut [f32],
    scale: f64,
    zp: i64,
) {
    par_zip(q, out, |q, out| dequantize(q, out, scale as f32, zp as i32));
}

/// Dequantizes the contiguous `q` of shape `[outer, channels, inner]` per channel.
pub(crate) fn dequantize_slice_per_channel<T: QElement>(
    q: &[T],
    out: &mut [f32],
    scales: &[f64],
    zps: &[i64],
    inner: usize,
) {
    let c = scales.len();
    let block = c * inner;
    if block == 0 {
        return;
    }
    for (qb, ob) in q.chunks(block).zip(out.chunks_mut(block)) {
        for ch in 0..c {
            let (s, z) = (scales[ch], zps[ch] as f32);
            let r = ch * inner..(ch + 1) * inner;
            for (o, &v) in ob[r.clone()].iter_mut().zip(&qb[r]) {
                *o = (((v.to_i64() as f32) - z) as f64 * s) as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::excessive_precision)] // FBGEMM's literals, as its comment gives them
    fn reciprocal_not_quotient_at_the_half() {
        // FBGEMM's own example: the product is exactly 127.5, the quotient just below.
        let (x, s) = (0.273939937f32, 0.00214854861f32);
        assert_eq!(x * (1.0 / s), 127.5);
        assert_eq!(quantize_val::<u8>(x, inv_scale(s as f64), 0.0, 0), 128);
    }

    #[test]
    fn saturation_and_nan() {
        let inv = inv_scale(0.1);
        assert_eq!(quantize_val::<u8>(f32::INFINITY, inv, 3.0, 0), 255);
        assert_eq!(quantize_val::<i8>(f32::NEG_INFINITY, inv, 3.0, 0), -128);
        assert_eq!(quantize_val::<i32>(1e20, inv, 3.0, 0), i32::MAX);
        assert_eq!(quantize_val::<i32>(f32::NAN, inv, 3.0, i32::MIN), i32::MIN);
        // FBGEMM's path: NaN acts as the cap, which wraps with a large zero point
        let fbgemm = |x: f32, zp: i64| {
            let (mut u, mut s) = ([0u8], [0i8]);
            quantize_slice_per_tensor(&[x], &mut u, 0.1, zp);
            quantize_slice_per_tensor(&[x], &mut s, 0.1, zp - 128);
            (u[0], s[0])
        };
        assert_eq!(fbgemm(f32::NAN, 3).0, 255);
        assert_eq!(fbgemm(f32::INFINITY, 177).0, 0);
        assert_eq!(fbgemm(f32::NEG_INFINITY, 3).1, 127); // zero point -125
        assert_eq!(fbgemm(f32::NEG_INFINITY, 177).1, -128); // zero point 49
    }
}
