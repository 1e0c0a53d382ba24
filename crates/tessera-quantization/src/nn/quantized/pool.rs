//! Pooling on quantized tensors: `max_pool2d` (the maximum of the integer values) and
//! `adaptive_avg_pool2d` with PyTorch's two code paths (channels-last and contiguous),
//! both keeping the input's qparams.

use super::layout::{from_nhwc, with_nhwc};
use crate::{QDType, QParams, QTensor};
use tessera_core::Tensor;
use tessera_nn::functional::PoolOptions;

fn quint8_per_tensor(op: &str, x: &QTensor) -> (f64, i64) {
    match (x.dtype(), x.qparams()) {
        (QDType::QUInt8, QParams::PerTensor { scale, zero_point }) => (*scale, *zero_point),
        (d, _) => panic!(
            "{op}: expected a per-tensor quint8 tensor, got {d} {:?} of shape {:?}",
            x.qscheme(),
            x.shape()
        ),
    }
}

fn pool_out(op: &str, i: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> usize {
    let span = d * (k - 1) + 1;
    assert!(
        k > 0 && s > 0 && d > 0 && 2 * p <= k && i + 2 * p >= span,
        "{op}: window {k} (stride {s}, padding {p}, dilation {d}) does not fit input size {i}"
    );
    let num = i + 2 * p - span;
    let mut o = if ceil { num.div_ceil(s) } else { num / s } + 1;
    // PyTorch: the last window must start inside the input or the left padding.
    if ceil && (o - 1) * s >= i + p {
        o -= 1;
    }
    o
}

/// `F.max_pool2d` on a 4-D `quint8` tensor: the maximum of the integer values in each
/// window (padding never wins), the input's qparams kept; the result is channels-last.
///
/// # Panics
/// If `x` is not a 4-D per-tensor `quint8` tensor or the window does not fit.
pub fn max_pool2d(x: &QTensor, o: PoolOptions) -> QTensor {
    let op = "quantized max_pool2d";
    let (scale, zp) = quint8_per_tensor(op, x);
    let (n, c, h, w) = dims4(op, x);
    let oh = pool_out(
        op,
        h,
        o.kernel.0,
        o.stride.0,
        o.padding.0,
        o.dilation.0,
        o.ceil_mode,
    );
    let ow = pool_out(
        op,
        w,
        o.kernel.1,
        o.stride.1,
        o.padding.1,
        o.dilation.1,
        o.ceil_mode,
    );
    let mut out = vec![0u8; n * oh * ow * c];
    with_nhwc(op, x, |v| {
        for b in 0..n {
            for y in 0..oh {
                for xo in 0..ow {
                    let dst = &mut out[((b * oh + y) * ow + xo) * c..][..c];
                    for ky in 0..o.kernel.0 {
                        let iy =
                            (y * o.stride.0 + ky * o.dilation.0) as isize - o.padding.0 as isize;
                        if iy < 0 || iy as usize >= h {
                            continue;
                        }
                        for kx in 0..o.kernel.1 {
                            let ix = (xo * o.stride.1 + kx * o.dilation.1) as isize
                                - o.padding.1 as isize;
                            if ix < 0 || ix as usize >= w {
                                continue;
                            }
                            let src = &v[((b * h + iy as usize) * w + ix as usize) * c..][..c];
                            for (d, &s) in dst.iter_mut().zip(src) {
                                *d = (*d).max(s);
                            }
                        }
                    }
                }
            }
        }
    });
    from_nhwc(out, [n, c, oh, ow], scale, zp)
}

fn dims4(op: &str, x: &QTensor) -> (usize, usize, usize, usize) {
    let s = x.shape();
    assert_eq!(
        s.len(),
        4,
        "{op}: expected a 4-D [N, C, H, W] input, got shape {s:?}"
    );
    (s[0], s[1], s[2], s[3])
}

/// PyTorch's `is_contiguous(memory_format=torch.channels_last)`: NHWC strides, sizes of 1
/// ignored.
fn is_channels_last(x: &QTensor) -> bool {
    let (s, st) = (x.shape(), x.values().strides());
    let mut expected = 1usize;
    for d in [1usize, 3, 2, 0] {
        if s[d] != 1 && st[d] != expected {
            return false;
        }
        expected *= s[d];
    }
    true
}

/// `F.adaptive_avg_pool2d` on a 4-D `quint8` tensor, keeping its qparams, with PyTorch's
/// arithmetic: window `[floor(i * in / out), ceil((i + 1) * in / out))`, then
/// - channels-last input (PyTorch's definition: sizes of 1 ignored): `sum - zp * size` in
///   i32, times the f32 `1 / size` (for channels past the last whole block of 16, the f32
///   reciprocal of that reciprocal's reciprocal, as ATen's scalar tail computes it),
///   rounded half to even, plus `zp`, clamped; channels-last output;
/// - any other layout: the f32 sum of the raw values times the f32 `1 / size`, rounded
///   half to even and clamped; contiguous output.
///
/// # Panics
/// If `x` is not a 4-D per-tensor `quint8` tensor or an output size is 0 for a nonempty
/// input.
pub fn adaptive_avg_pool2d(x: &QTensor, out_size: (usize, usize)) -> QTensor {
    let op = "quantized adaptive_avg_pool2d";
    let (scale, zp) = quint8_per_tensor(op, x);
    let (n, c, h, w) = dims4(op, x);
    let (oh, ow) = out_size;
    assert!(
        (oh > 0 && ow > 0) || n * c == 0,
        "{op}: output size {out_size:?} must be positive"
    );
    let win = |o: usize, inp: usize, out: usize| (o * inp / out, ((o + 1) * inp).div_ceil(out));
    if is_channels_last(x) {
        let mut out = vec![0u8; n * oh * ow * c];
        let vec_end = c / 16 * 16;
        with_nhwc(op, x, |v| {
            for b in 0..n {
                for y in 0..oh {
                    let (h0, h1) = win(y, h, oh);
                    for xo in 0..ow {
                        let (w0, w1) = win(xo, w, ow);
                        let size = ((h1 - h0) * (w1 - w0)) as i32;
                        let m1 = 1.0f32 / size as f32;
                        let m2 = 1.0f32 / (1.0f32 / m1);
                        let dst = &mut out[((b * oh + y) * ow + xo) * c..][..c];
                        for (ch, d) in dst.iter_mut().enumerate() {
                            let mut acc = -(zp as i32) * size;
                            for iy in h0..h1 {
                                for ix in w0..w1 {
                                    acc += v[((b * h + iy) * w + ix) * c + ch] as i32;
                                }
                            }
                            let m = if ch < vec_end { m1 } else { m2 };
                            let r = (acc as f32 * m).round_ties_even() as i64 + zp;
                            *d = r.clamp(0, 255) as u8;
                        }
                    }
                }
            }
        });
        return from_nhwc(out, [n, c, oh, ow], scale, zp);
    }
    let out = x.values().with_contiguous(|v: &[u8]| {
        let mut out = vec![0u8; n * c * oh * ow];
        for (plane, o) in out.chunks_mut(oh * ow).enumerate() {
            let src = &v[plane * h * w..(plane + 1) * h * w];
            for y in 0..oh {
                let (h0, h1) = win(y, h, oh);
                for xo in 0..ow {
                    let (w0, w1) = win(xo, w, ow);
                    let size = (h1 - h0) * (w1 - w0);
                    let sum: i64 = (h0..h1)
                        .flat_map(|iy| src[iy * w + w0..iy * w + w1].iter())
                        .map(|&q| q as i64)
                        .sum();
                    let r = (sum as f32 * (1.0f32 / size as f32)).round_ties_even();
                    o[y * ow + xo] = r.clamp(0.0, 255.0) as u8;
                }
            }
        }
        out
    });
    QTensor::from_int_repr_per_tensor(Tensor::from_vec(out, &[n, c, oh, ow]), scale, zp)
}
