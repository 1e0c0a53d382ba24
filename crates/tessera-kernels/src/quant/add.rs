//! PyTorch's quantized `add` (`quantized::add`, `add_relu`) on `quint8` values.
//!
//! The arithmetic is ATen's, operation for operation, so the bytes equal PyTorch's: each
//! value is dequantized (a fused multiply-add `q * s + (-zp * s)` over whole blocks of
//! `fma_len` elements, the vectorized part of ATen's loop, and `(q - zp) * s` for the
//! tail), the two are summed in f32, ReLU'd if asked, multiplied by the f32 reciprocal of
//! the output scale, rounded half to even, offset by the output zero point and clamped to
//! `[0, 255]`.
//!
//! The loop is plain Rust compiled under the CPU's features (through `pulp`'s dispatch):
//! without them `f32::mul_add` and `round_ties_even` are calls into libm (`fmaf`,
//! `rintf`), which made this add most of a quantized ResNet's time outside its
//! convolutions. Fused multiply-add and round-to-even give the same bits either way.

/// The quantization parameters of [`add_u8`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QAddParams {
    /// Scale and zero point of the first input.
    pub a: (f32, i32),
    /// Scale and zero point of the second input.
    pub b: (f32, i32),
    /// `1 / out_scale`, rounded to f32 as PyTorch computes it.
    pub inv_out_scale: f32,
    /// The output zero point, in `[0, 255]`.
    pub out_zero_point: i64,
    /// Clamp the f32 sum at 0 before quantizing (`add_relu`).
    pub relu: bool,
    /// Elements dequantized with a fused multiply-add: a multiple of ATen's vector length
    /// (64 `quint8` lanes for AVX-512), the rest without.
    pub fma_len: usize,
}

/// `out[i] = quantize(dequantize(a[i]) + dequantize(b[i]))`, see the module docs.
///
/// ```
/// use tessera_kernels::quant::{add_u8, QAddParams};
/// let p = QAddParams {
///     a: (0.5, 0),
///     b: (0.25, 4),
///     inv_out_scale: 1.0,
///     out_zero_point: 0,
///     relu: false,
///     fma_len: 0,
/// };
/// let mut out = [0u8; 2];
/// add_u8(&[2, 4], &[8, 0], &mut out, &p);
/// assert_eq!(out, [2, 1]); // 1 + 1 and 2 - 1
/// ```
///
/// # Panics
/// If the three slices differ in length, `fma_len` exceeds it, or the output zero point is
/// outside `[0, 255]`.
pub fn add_u8(a: &[u8], b: &[u8], out: &mut [u8], p: &QAddParams) {
    assert!(
        a.len() == out.len()
            && b.len() == out.len()
            && p.fma_len <= out.len()
            && (0..=255).contains(&p.out_zero_point),
        "quantized add: inputs of {} and {} elements into {} (fma_len {}, output zero point {})",
        a.len(),
        b.len(),
        out.len(),
        p.fma_len,
        p.out_zero_point
    );
    pulp::Arch::new().dispatch(Add { a, b, out, p });
}

struct Add<'a> {
    a: &'a [u8],
    b: &'a [u8],
    out: &'a mut [u8],
    p: &'a QAddParams,
}

impl pulp::WithSimd for Add<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Add { a, b, out, p } = self;
        let (sa, za) = p.a;
        let (sb, zb) = p.b;
        let (pa, pb) = (sa * -(za as f32), sb * -(zb as f32));
        let zp = p.out_zero_point as i32;
        // ATen converts the rounded value to an i64 (NaN to 0), adds the zero point and
        // clamps to [0, 255]. With the zero point in [0, 255], clamping the rounded value
        // to [-256, 512] first gives the same byte, and the conversion of a value known to
        // be in range vectorizes: the saturating `as` conversion (to i64 or i32) was done
        // one element at a time.
        let quantize = |c: f32| -> u8 {
            let c = if p.relu { c.max(0.0) } else { c };
            let x = (c * p.inv_out_scale).round_ties_even();
            let x = if x.is_nan() {
                0.0
            } else {
                x.clamp(-256.0, 512.0)
            };
            // SAFETY: `x` is an integer in [-256, 512] (not NaN, clamped), so it is
            // representable as an i32.
            let r = unsafe { x.to_int_unchecked::<i32>() };
            (r + zp).clamp(0, 255) as u8
        };
        let n = p.fma_len;
        for ((o, &x), &y) in out[..n].iter_mut().zip(&a[..n]).zip(&b[..n]) {
            *o = quantize((x as f32).mul_add(sa, pa) + (y as f32).mul_add(sb, pb));
        }
        for ((o, &x), &y) in out[n..].iter_mut().zip(&a[n..]).zip(&b[n..]) {
            *o = quantize((x as i32 - za) as f32 * sa + (y as i32 - zb) as f32 * sb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ATen's quantize step as written there: the rounded value as an i64, plus the zero
    /// point, clamped to `[0, 255]`.
    fn aten_quantize(c: f32, p: &QAddParams) -> u8 {
        let c = if p.relu { c.max(0.0) } else { c };
        let r = ((c * p.inv_out_scale).round_ties_even() as i64).saturating_add(p.out_zero_point);
        r.clamp(0, 255) as u8
    }

    #[test]
    fn equals_aten_with_saturating_scales_and_zero_points() {
        let a: Vec<u8> = (0..=255).collect();
        let b: Vec<u8> = (0..=255u32).map(|i| (i * 97 % 256) as u8).collect();
        for &inv in &[1.0f32, 3.7, 0.01, 1e6, 1e12, 3e38, f32::INFINITY] {
            for &(zo, za, zb) in &[(0, 0, 0), (255, 3, 250), (128, 128, 128), (7, 255, 0)] {
                for relu in [false, true] {
                    for fma_len in [0, 64, 256] {
                        let p = QAddParams {
                            a: (0.37, za),
                            b: (1.9, zb),
                            inv_out_scale: inv,
                            out_zero_point: zo,
                            relu,
                            fma_len,
                        };
                        let mut out = vec![0u8; 256];
                        add_u8(&a, &b, &mut out, &p);
                        let (pa, pb) = (0.37 * -(za as f32), 1.9 * -(zb as f32));
                        for i in 0..256 {
                            let (x, y) = (a[i], b[i]);
                            let c = if i < fma_len {
                                (x as f32).mul_add(0.37, pa) + (y as f32).mul_add(1.9, pb)
                            } else {
                                (x as i32 - za) as f32 * 0.37 + (y as i32 - zb) as f32 * 1.9
                            };
                            assert_eq!(out[i], aten_quantize(c, &p), "{p:?} at {i}");
                        }
                    }
                }
            }
        }
    }
}
