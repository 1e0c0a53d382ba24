//! Quantized linear: [`PackedLinear`] (`quantized::linear_prepack`) and the op.

use super::layout::{act_qparams, check_out_qparams, par_panels, par_rows};
use crate::{QDType, QParams, QTensor};
use tessera_core::runtime::pool::usable_threads;
use tessera_core::{DType, Tensor};
use tessera_kernels::quant::{
    qgemm_u8i8, qgemm_u8i8_panels, PackedWeightI8, QGemmParams, Requant, WeightQuant,
};

/// A `qint8` weight `[out_features, in_features]` (per tensor, or per channel along axis
/// 0) and an optional f32 bias, packed for the int8 GEMM (PyTorch's
/// `torch.ops.quantized.linear_prepack`).
#[derive(Clone)]
pub struct PackedLinear {
    packed: PackedWeightI8,
    weight: QTensor,
    bias: Option<Tensor>,
    bias_f32: Option<Vec<f32>>,
}

/// The kernel's view of a `qint8` weight's qparams: f32 scales and i32 zero points.
/// The weight's values and quantization as the kernels take them, passed to `pack`.
///
/// # Panics
/// If the weight is not `qint8`, or is quantized per channel along another axis than 0
/// or with other than `n` channels.
pub(crate) fn pack_weight<R>(
    op: &str,
    w: &QTensor,
    n: usize,
    pack: impl FnOnce(&[i8], WeightQuant) -> R,
) -> R {
    let (scales, zps, per_channel) = weight_quant(op, w, n);
    let q = if per_channel {
        WeightQuant::PerChannel {
            scales: &scales,
            zero_points: &zps,
        }
    } else {
        WeightQuant::PerTensor {
            scale: scales[0],
            zero_point: zps[0],
        }
    };
    let values: Vec<i8> = w.values().to_vec();
    pack(&values, q)
}

fn weight_quant(op: &str, w: &QTensor, n: usize) -> (Vec<f32>, Vec<i32>, bool) {
    assert_eq!(
        w.dtype(),
        QDType::QInt8,
        "{op}: the weight must be qint8, got {} (shape {:?})",
        w.dtype(),
        w.shape()
    );
    match w.qparams() {
        QParams::PerTensor { scale, zero_point } => {
            (vec![*scale as f32], vec![*zero_point as i32], false)
        }
        QParams::PerChannel {
            scales,
            zero_points,
            axis,
        } => {
            assert!(
                *axis == 0 && scales.len() == n,
                "{op}: a per-channel weight must be quantized along axis 0 (got axis {axis})"
            );
            (
                scales.iter().map(|&s| s as f32).collect(),
                zero_points.iter().map(|&z| z as i32).collect(),
                true,
            )
        }
    }
}

pub(crate) fn bias_vec(op: &str, bias: Option<&Tensor>, n: usize) -> Option<Vec<f32>> {
    bias.map(|b| {
        assert!(
            b.dtype() == DType::F32 && b.shape() == [n],
            "{op}: the bias must be an f32 tensor of shape [{n}], got {} {:?}",
            b.dtype(),
            b.shape()
        );
        b.to_vec::<f32>()
    })
}

impl PackedLinear {
    /// Packs `weight` (`qint8`, `[out, in]`) and `bias` (`f32`, `[out]`).
    ///
    /// # Panics
    /// If the weight is not a 2-D `qint8` tensor quantized per tensor or per channel along
    /// axis 0, or the bias does not match.
    pub fn new(weight: &QTensor, bias: Option<&Tensor>) -> PackedLinear {
        let op = "quantized::linear_prepack";
        assert_eq!(
            weight.dim(),
            2,
            "{op}: the weight must be 2-D, got shape {:?}",
            weight.shape()
        );
        let (n, k) = (weight.shape()[0], weight.shape()[1]);
        PackedLinear {
            packed: pack_weight(op, weight, n, |w, q| PackedWeightI8::pack(w, n, k, q)),
            weight: weight.clone(),
            bias: bias.cloned(),
            bias_f32: bias_vec(op, bias, n),
        }
    }

    /// The quantized weight (`linear_unpack`).
    pub fn weight(&self) -> &QTensor {
        &self.weight
    }
    /// The float bias.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }
    /// `in_features`.
    pub fn in_features(&self) -> usize {
        self.packed.k()
    }
    /// `out_features`.
    pub fn out_features(&self) -> usize {
        self.packed.n()
    }
}

/// `torch.ops.quantized.linear(x, packed, scale, zero_point)` (and `linear_relu` when
/// `relu`): `x` is `quint8` per tensor, shape `[..., in_features]`; the result is `quint8`
/// with the given qparams, shape `[..., out_features]`, equal bit for bit to PyTorch's
/// fbgemm engine. Threaded over the rows, or over the output features when there are fewer
/// rows than features (a small batch), so each thread reads only its part of the weights.
///
/// # Panics
/// If `x` is not per-tensor `quint8`, its last dim is not `in_features`, or the output
/// qparams are out of range.
pub fn linear(x: &QTensor, w: &PackedLinear, scale: f64, zero_point: i64, relu: bool) -> QTensor {
    let op = if relu {
        "quantized::linear_relu"
    } else {
        "quantized::linear"
    };
    let (a_scale, a_zp) = act_qparams(op, x);
    check_out_qparams(op, scale, zero_point);
    let (k, n) = (w.in_features(), w.out_features());
    assert!(
        x.dim() >= 1 && x.shape()[x.dim() - 1] == k,
        "{op}: input of shape {:?} does not end in in_features={k}",
        x.shape()
    );
    let m: usize = x.shape()[..x.dim() - 1].iter().product();
    let rq = Requant::new(
        &w.packed,
        &QGemmParams {
            a_scale,
            a_zero_point: a_zp,
            bias: w.bias_f32.as_deref(),
            out_scale: scale as f32,
            out_zero_point: zero_point as i32,
            relu,
        },
    );
    let mut out = vec![0u8; m * n];
    x.values().with_contiguous(|a: &[u8]| {
        let panels = w.packed.panels();
        let threads = usable_threads();
        // Fewer rows than output features (a small batch): split the output features, so
        // each thread reads its part of the weights (kept in its cache from call to call)
        // rather than all of them.
        if threads > 1 && panels >= threads && n > m && m * k * n >= threads << 17 {
            par_panels(&mut out, n, panels, threads, |ps, part| {
                let cols = part.len() / m;
                qgemm_u8i8_panels(a, m, k, &w.packed, &rq, ps, part, cols);
            });
            return;
        }
        par_rows(&mut out, n, 8, k * n, |r0, chunk| {
            let rows = chunk.len() / n;
            qgemm_u8i8(&a[r0 * k..], rows, k, &w.packed, &rq, chunk, n);
        });
    });
    let mut shape = x.shape().to_vec();
    *shape.last_mut().expect("dim checked") = n;
    QTensor::from_int_repr_per_tensor(Tensor::from_vec(out, &shape), scale, zero_point)
}
