//! FBGEMM's output requantization (`ReQuantizeOutput` with a float bias), precomputed per
//! call as per-column vectors so every backend runs the same f32 operations.

use super::pack::{PackedWeightI8, PANEL_COLS};

/// The activation and output quantization of one quantized GEMM or convolution call.
#[derive(Clone, Copy, Debug)]
pub struct QGemmParams<'a> {
    /// Scale of the u8 activations (PyTorch's f64 `q_scale()` rounded to f32, as FBGEMM
    /// takes it).
    pub a_scale: f32,
    /// Zero point of the activations, in `[0, 255]`.
    pub a_zero_point: i32,
    /// The f32 bias, one per output channel, or `None`.
    pub bias: Option<&'a [f32]>,
    /// Scale of the u8 output (rounded to f32).
    pub out_scale: f32,
    /// Zero point of the output, in `[0, 255]`.
    pub out_zero_point: i32,
    /// Fused ReLU: clamp the output below at its zero point.
    pub relu: bool,
}

/// The requantization of one call, precomputed per output channel:
///
/// ```text
/// act_times_w_scale[j] = a_scale * w_scale[j]                       (f32)
/// multiplier[j]        = act_times_w_scale[j] / out_scale           (f32)
/// bias_term[j]         = bias[j] / act_times_w_scale[j]             (f32, per channel)
///                      = bias[j] * f32(1.0 / f64(act_times_w_scale)) (per tensor)
///                      = 0.0                                        (no bias)
/// raw  = acc - a_zp * col_offset[j] - row_offset[i] * w_zp[j]       (wrapping i32)
/// y    = (f32(raw) + bias_term[j]) * multiplier[j]                  (two f32 roundings)
/// r    = round_half_even(y), or i32::MIN if y is NaN or out of i32 range
/// out  = clamp(r + out_zp, relu ? out_zp : 0, 255)
/// ```
///
/// This is PyTorch's `quantized::linear`/`conv2d` on the `fbgemm` engine (its AVX2
/// requantization path; adding `0.0` when there is no bias changes no value).
#[derive(Clone, Debug)]
pub struct Requant {
    /// `a_zp * col_offset[j]` (wrapping), padded with zeros to whole panels.
    pub(crate) a_zp_col: Vec<i32>,
    /// Weight zero points, padded.
    pub(crate) w_zp: Vec<i32>,
    pub(crate) bias_term: Vec<f32>,
    pub(crate) multiplier: Vec<f32>,
    pub(crate) out_zp: i32,
    /// The lower clamp: the output zero point with a fused ReLU, else 0.
    pub(crate) lo: i32,
    pub(crate) a_zp: i32,
    pub(crate) row_offsets: bool,
}

impl Requant {
    /// Precomputes the requantization of `w` for these activation and output qparams.
    ///
    /// # Panics
    /// If a zero point is outside `[0, 255]` or the bias does not have `w.n()` entries.
    pub fn new(w: &PackedWeightI8, p: &QGemmParams<'_>) -> Self {
        assert!(
            (0..=255).contains(&p.a_zero_point) && (0..=255).contains(&p.out_zero_point),
            "quantized gemm: activation zero point {} or output zero point {} is outside \
             [0, 255] (quint8)",
            p.a_zero_point,
            p.out_zero_point
        );
        let n = w.n();
        let padded = w.panels() * PANEL_COLS;
        let atws: Vec<f32> = w.scales().iter().map(|&s| p.a_scale * s).collect();
        let mut multiplier = vec![0f32; padded];
        let mut bias_term = vec![0f32; padded];
        let mut a_zp_col = vec![0i32; padded];
        let mut w_zp = vec![0i32; padded];
        for j in 0..n {
            multiplier[j] = atws[j] / p.out_scale;
            a_zp_col[j] = p.a_zero_point.wrapping_mul(w.col_offsets()[j]);
            w_zp[j] = w.zero_points()[j];
        }
        if let Some(b) = p.bias {
            assert_eq!(
                b.len(),
                n,
                "quantized gemm: bias of length {} for {n} output channels",
                b.len()
            );
            if w.is_per_channel() {
                for j in 0..n {
                    bias_term[j] = b[j] / atws[j];
                }
            } else if n > 0 {
                let rcp = (1.0f64 / atws[0] as f64) as f32;
                for j in 0..n {
                    bias_term[j] = b[j] * rcp;
                }
            }
        }
        Requant {
            a_zp_col,
            w_zp,
            bias_term,
            multiplier,
            out_zp: p.out_zero_point,
            lo: if p.relu { p.out_zero_point } else { 0 },
            a_zp: p.a_zero_point,
            row_offsets: w.has_weight_zero_point(),
        }
    }

    /// Requantizes one row of accumulators, columns `j0..j0 + acc.len()`, in scalar code.
    pub(crate) fn row_scalar(&self, acc: &[i32], row_offset: i32, j0: usize, out: &mut [u8]) {
        for (c, (&a, o)) in acc.iter().zip(out.iter_mut()).enumerate() {
            let j = j0 + c;
            let raw = a
                .wrapping_sub(self.a_zp_col[j])
                .wrapping_sub(row_offset.wrapping_mul(self.w_zp[j]));
            let y = (raw as f32 + self.bias_term[j]) * self.multiplier[j];
            let r = if y.is_nan() || !(-2147483648.0..2147483648.0).contains(&y) {
                i32::MIN
            } else {
                y.round_ties_even() as i32
            };
            *o = (r as i64 + self.out_zp as i64).clamp(self.lo as i64, 255) as u8;
        }
    }
}
