//! `torch.ao.nn.quantized.functional` and the quantized ops behind the modules: [`linear`],
//! [`conv2d`], [`relu`], [`add`], [`max_pool2d`], [`adaptive_avg_pool2d`].

pub use super::conv::conv2d;
pub use super::linear::linear;
pub use super::pool::{adaptive_avg_pool2d, max_pool2d};

use super::layout::{act_qparams, check_out_qparams, from_nhwc, par_rows};
use crate::QTensor;
use tessera_core::Tensor;
use tessera_kernels::quant::{add_u8, QAddParams};

/// The storage order shared by `a` (and `b`): `Some(true)` for channels-last 4-D,
/// `Some(false)` for contiguous, `None` otherwise.
fn dense_order(a: &QTensor) -> Option<bool> {
    if a.values().is_contiguous() {
        Some(false)
    } else if a.dim() == 4 && a.values().permute([0, 2, 3, 1]).is_contiguous() {
        Some(true)
    } else {
        None
    }
}

/// Maps the u8 values of `x` (and of `other`, same shape) through `f` in storage order,
/// keeping a channels-last layout, giving a tensor with `scale` and `zero_point`. Dense
/// inputs are read in place; `f(offset, x, other, out)` gets chunks of whole 64-byte blocks
/// (`offset` the chunk's first element; `other` empty when there is none), split across
/// the thread pool when large.
fn map_values(
    x: &QTensor,
    other: Option<&QTensor>,
    scale: f64,
    zero_point: i64,
    f: impl Fn(usize, &[u8], &[u8], &mut [u8]) + Sync,
) -> QTensor {
    let cl = dense_order(x) == Some(true) && other.is_none_or(|o| dense_order(o) == Some(true));
    let storage_order = |t: &QTensor| {
        if cl {
            t.values().permute([0, 2, 3, 1])
        } else {
            t.values().clone()
        }
    };
    let mut out = vec![0u8; x.numel()];
    let a = storage_order(x);
    a.with_contiguous(|a: &[u8]| {
        let mut run = |b: &[u8]| {
            par_rows(&mut out, 1, 64, 4, |p0, chunk| {
                let r = p0..p0 + chunk.len();
                let b = if b.is_empty() { b } else { &b[r.clone()] };
                f(p0, &a[r], b, chunk)
            })
        };
        match other {
            Some(o) => storage_order(o).with_contiguous(|b: &[u8]| run(b)),
            None => run(&[]),
        }
    });
    if cl {
        let s = x.shape();
        from_nhwc(out, [s[0], s[1], s[2], s[3]], scale, zero_point)
    } else {
        QTensor::from_int_repr_per_tensor(Tensor::from_vec(out, x.shape()), scale, zero_point)
    }
}

/// `torch.relu` on a `quint8` tensor: `max(q, zero_point)`, the qparams kept (PyTorch's
/// quantized relu).
///
/// # Panics
/// If `x` is not per-tensor `quint8`.
pub fn relu(x: &QTensor) -> QTensor {
    let (_, zp) = act_qparams("quantized relu", x);
    map_values(x, None, x.q_scale(), x.q_zero_point(), |_, v, _, out| {
        for (o, &q) in out.iter_mut().zip(v) {
            *o = q.max(zp as u8);
        }
    })
}

/// Elements per vector of ATen's AVX-512 `Vectorized<quint8>`: the quantized `add`
/// dequantizes whole vectors with a fused multiply-add and the tail without.
const ATEN_QUINT8_VEC: usize = 64;

/// `torch.ops.quantized.add(a, b, scale, zero_point)` (what `FloatFunctional.add` becomes;
/// `add_relu` when `relu`): both `quint8` per tensor and of the same shape. PyTorch's
/// arithmetic: each value dequantized (`fma(q, s, -zp * s)` over whole blocks of 64
/// elements, `(q - zp) * s` for the tail), summed in f32, ReLU'd if asked, and quantized
/// with the f32 reciprocal of `scale` (round half to even, plus the zero point, clamp).
/// This is PyTorch's single-threaded split; for tensors of 32768 elements or more PyTorch
/// cuts the tail per thread, so a few tail elements may round differently there.
///
/// # Panics
/// If the inputs are not per-tensor `quint8` of one shape, or the qparams are out of range.
pub fn add(a: &QTensor, b: &QTensor, scale: f64, zero_point: i64, relu: bool) -> QTensor {
    let op = if relu {
        "quantized::add_relu"
    } else {
        "quantized::add"
    };
    let (sa, za) = act_qparams(op, a);
    let (sb, zb) = act_qparams(op, b);
    check_out_qparams(op, scale, zero_point);
    assert_eq!(
        a.shape(),
        b.shape(),
        "{op}: the shapes {:?} and {:?} differ",
        a.shape(),
        b.shape()
    );
    let params = QAddParams {
        a: (sa, za),
        b: (sb, zb),
        inv_out_scale: 1.0f32 / scale as f32,
        out_zero_point: zero_point,
        relu,
        fma_len: 0,
    };
    let fma_end = a.numel() / ATEN_QUINT8_VEC * ATEN_QUINT8_VEC;
    map_values(a, Some(b), scale, zero_point, |offset, x, y, out| {
        let fma_len = fma_end.saturating_sub(offset).min(out.len());
        add_u8(x, y, out, &QAddParams { fma_len, ..params });
    })
}
