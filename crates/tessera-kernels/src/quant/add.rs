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
/// If the three slices differ in length or `fma_len` exceeds it.
pub fn add_u8(a: &[u8], b: &[u8], out: &mut [u8], p: &QAddParams) {
    assert!(
        a.len() == out.len() && b.len() == out.len() && p.fma_len <= out.len(),
        "quantized add: inputs of {} and {} elements into {} (fma_len {})",
        a.len(),
        b.len(),
        out.len(),
        p.fma_len
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
        let quantize = |c: f32| -> u8 {
            let c = if p.relu { c.max(0.0) } else { c };
            let r =
                ((c * p.inv_out_scale).round_ties_even() as i64).saturating_add(p.out_zero_point);
            r.clamp(0, 255) as u8
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
