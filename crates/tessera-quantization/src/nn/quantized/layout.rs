//! Reading and making the u8 values of quantized activations: per-tensor `quint8` checks,
//! NHWC access to 4-D tensors, and the parallel split of rows.

use crate::{QDType, QParams, QTensor};
use rayon::prelude::*;
use std::ops::Range;
use tessera_core::runtime::pool::{pool, usable_threads};
use tessera_core::runtime::scratch;
use tessera_core::Tensor;
use tessera_kernels::quant::{transpose_u8, PANEL_COLS};

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
    // A contiguous NCHW tensor: each image's [C, H*W] plane transposed (core's generic
    // gather walks one element at a time), split by pixels across the pool.
    let s = x.shape();
    let (c, hw) = (s[1], s[2] * s[3]);
    // A working copy that never becomes a tensor: this thread's kept scratch buffer, so a
    // batch's 1.6 MB is not mapped and faulted in again on every call.
    let nhwc = v.with_contiguous(|src: &[u8]| {
        let mut out = scratch::take::<u8>(src.len());
        par_rows(&mut out, c, 16, 2 * c, |p0, chunk| {
            let pixels = chunk.len() / c;
            let mut q0 = 0;
            // One transpose per image the chunk touches.
            while q0 < pixels {
                let (b, r0) = ((p0 + q0) / hw, (p0 + q0) % hw);
                let q1 = pixels.min(q0 + hw - r0);
                let plane = &src[b * c * hw..(b + 1) * c * hw];
                transpose_u8(&plane[r0..], hw, &mut chunk[q0 * c..], c, c, q1 - q0);
                q0 = q1;
            }
        });
        out
    });
    let r = f(&nhwc);
    scratch::give_back(nhwc);
    r
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

/// `f(panels, part)` over `threads` ranges of the `panels` weight panels, across the pool,
/// each writing the output columns of its panels for all `rows` rows into `part`
/// (`[rows, cols]`, `cols` the columns of those panels below `row_len`); the parts are then
/// copied into the rows of `out` (`rows * row_len` bytes). The split for few rows and
/// large weights: each thread reads only its share of the weights, which stays in its
/// cache from call to call.
pub(crate) fn par_panels(
    out: &mut [u8],
    row_len: usize,
    panels: usize,
    threads: usize,
    f: impl Fn(Range<usize>, &mut [u8]) + Sync,
) {
    let rows = out.len().checked_div(row_len).unwrap_or(0);
    let per = panels.div_ceil(threads.max(1)).max(1);
    let parts: Vec<(usize, Vec<u8>)> = pool().install(|| {
        (0..panels)
            .step_by(per)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|p0| {
                let p1 = panels.min(p0 + per);
                let (c0, c1) = (p0 * PANEL_COLS, row_len.min(p1 * PANEL_COLS));
                let mut part = vec![0u8; rows * (c1 - c0)];
                f(p0..p1, &mut part);
                (c0, part)
            })
            .collect()
    });
    for (c0, part) in parts {
        let cols = part.len() / rows.max(1);
        for (dst, src) in out.chunks_mut(row_len).zip(part.chunks(cols.max(1))) {
            dst[c0..c0 + cols].copy_from_slice(src);
        }
    }
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
