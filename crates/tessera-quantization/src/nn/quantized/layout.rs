//! Reading and making the u8 values of quantized activations: per-tensor `quint8` checks,
//! NHWC access to 4-D tensors, and the parallel split of rows.

use crate::{QDType, QParams, QTensor};
use rayon::prelude::*;
use tessera_core::runtime::pool::{pool, usable_threads};
use tessera_core::Tensor;

/// `(scale as f32, zero_point)` of a per-tensor `quint8` activation.
///
/// # Panics
/// If `x` is not `quint8` per tensor (naming `op`).
pub(crate) fn act_qparams(op: &str, x: &QTensor) -> (f32, i32) {
    match (x.dtype(), x.qparams()) {
        (QDType::QUInt8, QParams::PerTensor { scale, zero_point }) => {
            (*scale as f32, *zero_point as i32)
        }
        (d, p) => panic!(
            "{op}: expected a per-tensor quint8 input, got {d} with {:?} (shape {:?})",
            p,
            x.shape()
        ),
    }
}

/// Checks an output scale and zero point for `quint8` (PyTorch's ranges).
pub(crate) fn check_out_qparams(op: &str, scale: f64, zero_point: i64) {
    assert!(
        (0..=255).contains(&zero_point),
        "{op}: output zero point {zero_point} is outside [0, 255] (quint8)"
    );
    let s = scale as f32;
    assert!(
        s > 0.0 && s.is_finite(),
        "{op}: output scale {scale} must be positive and finite as an f32"
    );
}

/// Runs `f` on the values of the 4-D tensor `x` in NHWC order (no copy when `x` is
/// channels-last, a gather otherwise).
pub(crate) fn with_nhwc<R>(op: &str, x: &QTensor, f: impl FnOnce(&[u8]) -> R) -> R {
    assert_eq!(
        x.dim(),
        4,
        "{op}: expected a 4-D [N, C, H, W] input, got shape {:?}",
        x.shape()
    );
    let v = x.values();
    if !v.is_contiguous() {
        return v.permute([0, 2, 3, 1]).with_contiguous(f);
    }
    // A contiguous NCHW tensor: a blocked transpose of each image's [C, H*W] plane (core's
    // generic gather walks one element at a time), split by pixels across the pool. Each
    // block of up to B pixels stays inside one image, so the source index is found once per
    // block (a division per element cost as much as the whole 3x3 conv of a batch of 1).
    let s = x.shape();
    let (c, hw) = (s[1], s[2] * s[3]);
    let nhwc = v.with_contiguous(|src: &[u8]| {
        let mut out = vec![0u8; src.len()];
        const B: usize = 32;
        par_rows(&mut out, c, B, 4 * c, |p0, chunk| {
            let pixels = chunk.len() / c;
            let mut q0 = 0;
            while q0 < pixels {
                let (b, r0) = ((p0 + q0) / hw, (p0 + q0) % hw);
                let q1 = (q0 + B).min(pixels).min(q0 + hw - r0);
                let plane = &src[b * c * hw..(b + 1) * c * hw];
                for ch in 0..c {
                    let row = &plane[ch * hw + r0..ch * hw + r0 + (q1 - q0)];
                    for (i, &v) in row.iter().enumerate() {
                        chunk[(q0 + i) * c + ch] = v;
                    }
                }
                q0 = q1;
            }
        });
        out
    });
    f(&nhwc)
}

/// A `quint8` per-tensor [`QTensor`] of logical shape `[n, c, h, w]` over NHWC values
/// (channels-last strides, as PyTorch's quantized convolutions return).
pub(crate) fn from_nhwc(v: Vec<u8>, [n, c, h, w]: [usize; 4], scale: f64, zp: i64) -> QTensor {
    let t = Tensor::from_vec(v, &[n, h, w, c]).permute([0, 3, 1, 2]);
    QTensor::from_int_repr_per_tensor(t, scale, zp)
}

/// `f(first_row, chunk)` over chunks of whole rows of `row_len` bytes, split across the
/// thread pool (`rows_per_chunk` a multiple of `align`); on the calling thread when small.
pub(crate) fn par_rows(
    out: &mut [u8],
    row_len: usize,
    align: usize,
    work_per_row: usize,
    f: impl Fn(usize, &mut [u8]) + Sync,
) {
    let rows = out.len().checked_div(row_len).unwrap_or(0);
    if rows == 0 {
        return;
    }
    let threads = usable_threads();
    // Enough work to wake the pool: about 2^17 multiply-adds per chunk at least.
    let max_chunks = (rows * work_per_row.max(1) / (1 << 17)).max(1);
    let chunks = (threads * 4)
        .min(max_chunks)
        .min(rows.div_ceil(align))
        .max(1);
    if chunks == 1 || threads == 1 {
        return f(0, out);
    }
    let per = rows.div_ceil(chunks).div_ceil(align) * align;
    pool().install(|| {
        out.par_chunks_mut(per * row_len)
            .enumerate()
            .for_each(|(i, c)| f(i * per, c))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blocked transpose against core's permute, on shapes whose image size is no
    /// multiple of the block (blocks stop at image boundaries), threaded and not.
    #[test]
    fn nhwc_transpose_matches_permute() {
        for shape in [
            [3, 5, 7, 9],
            [4, 16, 37, 41],
            [2, 1, 1, 1],
            [0, 3, 2, 2],
            [2, 3, 0, 4],
        ] {
            let n: usize = shape.iter().product();
            let bytes: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
            let t = Tensor::from_vec(bytes, &shape);
            let want = t.permute([0, 2, 3, 1]).contiguous().to_vec::<u8>();
            let q = QTensor::from_int_repr_per_tensor(t, 0.5, 0);
            let got = with_nhwc("test", &q, |v| v.to_vec());
            assert_eq!(got, want, "shape {shape:?}");
        }
    }
}
