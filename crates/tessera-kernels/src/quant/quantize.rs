//! Per-tensor quantize and dequantize of whole slices, PyTorch's arithmetic bit for bit:
//!
//! - [`quantize_fbgemm`] is FBGEMM's AVX2 `Quantize` (what PyTorch runs for `quint8` and
//!   `qint8` per tensor on x86): `v = x * inv_scale`, capped at `2147483520.0` (NaN becomes
//!   the cap), converted to int32 with ties to even (below `-2^31`: `i32::MIN`), the zero
//!   point added in *wrapping* int32 arithmetic, then clamped to the type's range;
//! - [`dequantize`] is `((q - zp) as f32) * scale`, the difference in wrapping int32.
//!
//! The loops are plain Rust compiled under the CPU's features (through `pulp`'s dispatch):
//! compiled for baseline x86-64, `f32::round_ties_even` is a call into libm's `rintf` per
//! element; under SSE4.1 and later it is one rounding instruction over a whole vector.
//! Rounding to nearest even is exact either way, so every backend gives the same bytes.

/// The integer types of quantized values: `u8` (`quint8`), `i8` (`qint8`), `i32`
/// (`qint32`). Sealed.
pub trait QuantInt: Copy + Send + Sync + sealed::Sealed {
    /// The smallest value of the type, as `i32`.
    const MIN: i32;
    /// The largest value of the type, as `i32`.
    const MAX: i32;
    /// `v`, already in `[MIN, MAX]`, as this type.
    fn from_i32(v: i32) -> Self;
    /// The value as `i32`.
    fn to_i32(self) -> i32;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! quant_int {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl QuantInt for $t {
            const MIN: i32 = <$t>::MIN as i32;
            const MAX: i32 = <$t>::MAX as i32;
            #[inline(always)]
            fn from_i32(v: i32) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_i32(self) -> i32 {
                self as i32
            }
        }
    )*};
}
quant_int!(u8, i8, i32);

/// The largest `f32` below 2^31, FBGEMM's cap before the int32 conversion.
const INT32_FLOAT_MAX: f32 = 2147483520.0;

/// `out[i] = clamp(cvt(min(x[i] * inv_scale, 2147483520.0)) +w zero_point, MIN, MAX)`:
/// FBGEMM's per-tensor quantize (module docs), with `inv_scale` the f32 reciprocal of the
/// f32 scale as PyTorch computes it (`1.0f32 / scale as f32`).
///
/// ```
/// use tessera_kernels::quant::quantize_fbgemm;
/// let mut q = [0u8; 5];
/// quantize_fbgemm(&[0.25, 0.75, -9.0, f32::NAN, 1e30], &mut q, 2.0, 3);
/// // 0.5 and 1.5 round to even; NaN and 1e30 are capped at 2147483520, which saturates.
/// assert_eq!(q, [3, 5, 0, 255, 255]);
/// ```
///
/// # Panics
/// If `x` and `out` differ in length.
pub fn quantize_fbgemm<T: QuantInt>(x: &[f32], out: &mut [T], inv_scale: f32, zero_point: i32) {
    assert_eq!(
        x.len(),
        out.len(),
        "quantize_fbgemm: {} inputs into {} outputs",
        x.len(),
        out.len()
    );
    // A `move` closure: the scalars become locals, not loads the loop must assume `out`
    // may overwrite.
    pulp::Arch::new().dispatch(
        #[inline(always)]
        move || {
            for (o, &v) in out.iter_mut().zip(x) {
                let v = v * inv_scale;
                // `_mm256_min_ps(v, cap)` gives the cap when `v` is NaN.
                let v = if v < INT32_FLOAT_MAX {
                    v
                } else {
                    INT32_FLOAT_MAX
                };
                // `cvtps2dq`: ties to even; only values below -2^31 are out of range, and
                // they give i32::MIN, as Rust's saturating cast does.
                let r = v.round_ties_even() as i32;
                *o = T::from_i32(r.wrapping_add(zero_point).clamp(T::MIN, T::MAX));
            }
        },
    )
}

/// `out[i] = ((q[i] -w zero_point) as f32) * scale`: PyTorch's per-tensor dequantize.
///
/// ```
/// use tessera_kernels::quant::dequantize;
/// let mut x = [0f32; 2];
/// dequantize(&[3u8, 5], &mut x, 0.5, 3);
/// assert_eq!(x, [0.0, 1.0]);
/// ```
///
/// # Panics
/// If `q` and `out` differ in length.
pub fn dequantize<T: QuantInt>(q: &[T], out: &mut [f32], scale: f32, zero_point: i32) {
    assert_eq!(
        q.len(),
        out.len(),
        "dequantize: {} inputs into {} outputs",
        q.len(),
        out.len()
    );
    pulp::Arch::new().dispatch(
        #[inline(always)]
        move || {
            for (o, &v) in out.iter_mut().zip(q) {
                *o = v.to_i32().wrapping_sub(zero_point) as f32 * scale;
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scalar definition, written as FBGEMM's steps.
    fn reference(x: f32, inv: f32, zp: i32, lo: i32, hi: i32) -> i32 {
        let v = x * inv;
        let v = if v < INT32_FLOAT_MAX {
            v
        } else {
            INT32_FLOAT_MAX
        };
        let r = if v >= -2147483648.0 {
            libm::rintf(v) as i32
        } else {
            i32::MIN
        };
        r.wrapping_add(zp).clamp(lo, hi)
    }

    #[test]
    fn matches_the_scalar_steps_on_boundaries() {
        let mut x: Vec<f32> = (-2000..2000).map(|i| i as f32 * 0.25).collect();
        x.extend([
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -0.0,
            2147483520.0,
            -2147483648.0,
            -3e9,
            3e9,
            0.5,
            1.5,
            2.5,
            -0.5,
            -1.5,
        ]);
        for (inv, zp) in [(1.0f32, 0), (3.0, 128), (0.37, 255), (7.0, -5), (1.0, 177)] {
            let mut u = vec![0u8; x.len()];
            quantize_fbgemm(&x, &mut u, inv, zp);
            let mut s = vec![0i8; x.len()];
            quantize_fbgemm(&x, &mut s, inv, zp - 128);
            for (i, &v) in x.iter().enumerate() {
                assert_eq!(
                    u[i] as i32,
                    reference(v, inv, zp, 0, 255),
                    "u8 {v} {inv} {zp}"
                );
                assert_eq!(
                    s[i] as i32,
                    reference(v, inv, zp - 128, -128, 127),
                    "i8 {v} {inv} {zp}"
                );
            }
        }
    }

    #[test]
    fn dequantize_wraps_like_pytorch() {
        let mut x = [0f32; 3];
        dequantize(&[i32::MIN, 0, i32::MAX], &mut x, 1.0, 1);
        assert_eq!(x, [i32::MAX as f32, -1.0, (i32::MAX - 1) as f32]);
    }
}
