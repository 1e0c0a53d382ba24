//! `linear`, `embedding`, `pad`, `interpolate`.

use super::take::take;
use tessera_core::{DType, Tensor};

/// `x W^T + b` (`F.linear`): `x` `[*, in]`, `weight` `[out, in]`, `bias` `[out]`;
/// through core's `matmul` (gemm).
///
/// # Panics
/// If the inner sizes differ or the bias does not broadcast.
pub fn linear(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    let y = x.matmul(&weight.t());
    match bias {
        Some(b) => &y + b,
        None => y,
    }
}

/// Rows of `weight` (`[num_embeddings, dim]`) picked by the `I64` indices `idx`
/// (`F.embedding(idx, weight, padding_idx)`): output `idx.shape + [dim]`. The row
/// `padding_idx` gets no gradient.
///
/// ```
/// use tessera_core::{tensor, Tensor};
/// use tessera_nn::functional::embedding;
/// let w = Tensor::arange(0.0, 6.0).reshape([3, 2]);
/// assert_eq!(embedding(&tensor!([2, 0]), &w, None).to_vec::<f32>(), vec![4.0, 5.0, 0.0, 1.0]);
/// ```
///
/// # Panics
/// If `idx` is not `I64`, `weight` is not 2-D float, or an index is out of range.
pub fn embedding(idx: &Tensor, weight: &Tensor, padding_idx: Option<usize>) -> Tensor {
    assert!(
        idx.dtype() == DType::I64 && weight.dim() == 2,
        "embedding: expected int64 indices and a 2-D weight, got {} indices and weight of shape {:?}",
        idx.dtype(),
        weight.shape()
    );
    let n = weight.shape()[0];
    let ids: Vec<usize> = idx
        .to_vec::<i64>()
        .into_iter()
        .map(|i| {
            assert!(
                (0..n as i64).contains(&i),
                "embedding: index {i} is out of range for {n} embeddings"
            );
            i as usize
        })
        .collect();
    let mut shape = idx.shape().to_vec();
    shape.push(weight.shape()[1]);
    take(weight, 0, ids, padding_idx).reshape(shape.as_slice())
}

/// How [`pad`] fills (`mode=` of `F.pad`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode {
    /// A constant value.
    Constant(f64),
    /// Mirror without repeating the edge (`"reflect"`): pads must be smaller than the dim.
    Reflect,
    /// Repeat the edge (`"replicate"`).
    Replicate,
    /// Wrap around (`"circular"`): pads at most the dim's size.
    Circular,
}

/// Pads `x` (`F.pad(x, pad, mode, value)`): `pads` lists `(before, after)` pairs starting
/// from the last dim, as PyTorch's `pad` tuple. Differentiable.
///
/// ```
/// use tessera_core::tensor;
/// use tessera_nn::functional::{pad, PadMode};
/// let y = pad(&tensor!([[1.0, 2.0, 3.0]]), &[2, 1], PadMode::Reflect);
/// assert_eq!(y.to_vec::<f32>(), vec![3.0, 2.0, 1.0, 2.0, 3.0, 2.0]);
/// ```
///
/// # Panics
/// If `pads` has odd length or more pairs than `x` has dims, or a reflect / circular pad
/// is too large for its dim (reflect: smaller than the size; circular: at most the size),
/// or a non-constant mode meets an empty dim.
pub fn pad(x: &Tensor, pads: &[usize], mode: PadMode) -> Tensor {
    assert!(
        pads.len().is_multiple_of(2) && pads.len() / 2 <= x.dim(),
        "pad: padding length must be even and at most twice the number of dims ({}), got {pads:?}",
        x.dim()
    );
    let mut y = x.clone();
    for (i, pair) in pads.chunks(2).enumerate() {
        let d = x.dim() - 1 - i;
        let (a, b) = (pair[0], pair[1]);
        if a == 0 && b == 0 {
            continue;
        }
        let len = y.shape()[d];
        y = match mode {
            PadMode::Constant(v) => {
                let side = |n: usize| {
                    let mut s = y.shape().to_vec();
                    s[d] = n;
                    Tensor::full_dtype(&s, v, y.dtype())
                };
                Tensor::cat(&[side(a), y.clone(), side(b)], d as isize)
            }
            m => {
                assert!(len > 0, "pad: {m:?} padding needs a non-empty dim {d}");
                let idx: Vec<usize> = (-(a as isize)..(len + b) as isize)
                    .map(|j| source(m, j, len, a, b))
                    .collect();
                take(&y, d, idx, None)
            }
        };
    }
    y
}

/// The source index of padded position `j` (relative to the original start).
fn source(m: PadMode, j: isize, len: usize, a: usize, b: usize) -> usize {
    let l = len as isize;
    match m {
        PadMode::Reflect => {
            assert!(
                a < len && b < len,
                "pad: padding size should be less than the corresponding input dimension, but got padding ({a}, {b}) for size {len}"
            );
            (if j < 0 {
                -j
            } else if j >= l {
                2 * (l - 1) - j
            } else {
                j
            }) as usize
        }
        PadMode::Replicate => j.clamp(0, l - 1) as usize,
        PadMode::Circular => {
            assert!(
                a <= len && b <= len,
                "pad: padding value causes wrapping around more than once (padding ({a}, {b}) for size {len})"
            );
            j.rem_euclid(l) as usize
        }
        PadMode::Constant(_) => unreachable!("constant padding does not gather"),
    }
}

/// How [`interpolate`] samples (`mode=` of `F.interpolate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterpolateMode {
    /// Nearest neighbour (`"nearest"`), PyTorch's legacy index rule `floor(dst * scale)`.
    Nearest,
    /// Bilinear (`"bilinear"`), with or without `align_corners`.
    Bilinear {
        /// Map the corner pixels' centres onto each other.
        align_corners: bool,
    },
}

/// The output size of [`interpolate`]: explicit, or a scale factor per spatial dim.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Size {
    /// `size=(h, w)`.
    Exact(usize, usize),
    /// `scale_factor=(sh, sw)`: output `floor(in * s)`; the scale itself (not the
    /// recomputed ratio) maps coordinates, as PyTorch without `recompute_scale_factor`.
    Scale(f64, f64),
}

/// Resizes a `[N, C, H, W]` tensor (`F.interpolate(x, size | scale_factor, mode,
/// align_corners)`). Both modes gather rows and columns and blend them in PyTorch's
/// order (columns, then rows), in the input's precision. Differentiable.
///
/// ```
/// use tessera_core::Tensor;
/// use tessera_nn::functional::{interpolate, InterpolateMode, Size};
/// let x = Tensor::arange(0.0, 4.0).reshape([1, 1, 2, 2]);
/// let y = interpolate(&x, Size::Scale(2.0, 2.0), InterpolateMode::Nearest);
/// assert_eq!(y.shape(), &[1, 1, 4, 4]);
/// assert_eq!(y.get::<f32>(&[0, 0, 3, 3]), 3.0);
/// ```
///
/// # Panics
/// If `x` is not 4-D float, a size is 0, or a scale is not positive and finite.
pub fn interpolate(x: &Tensor, size: Size, mode: InterpolateMode) -> Tensor {
    assert!(
        x.dim() == 4 && x.dtype().is_float(),
        "interpolate: expected a 4-D float input, got shape {:?} and dtype {}",
        x.shape(),
        x.dtype()
    );
    let (h, w) = (x.shape()[2], x.shape()[3]);
    let (ho, wo, sh, sw) = match size {
        Size::Exact(a, b) => (a, b, None, None),
        Size::Scale(a, b) => {
            assert!(
                a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite(),
                "interpolate: scale factors must be positive, got ({a}, {b})"
            );
            (
                (h as f64 * a).floor() as usize,
                (w as f64 * b).floor() as usize,
                Some(a),
                Some(b),
            )
        }
    };
    assert!(
        ho > 0 && wo > 0 && h > 0 && w > 0,
        "interpolate: input and output sizes should be greater than 0, got input ({h}, {w}) and output ({ho}, {wo})"
    );
    match mode {
        InterpolateMode::Nearest => {
            let rows = nearest(h, ho, sh, x.dtype());
            let cols = nearest(w, wo, sw, x.dtype());
            take(&take(x, 3, cols, None), 2, rows, None)
        }
        InterpolateMode::Bilinear { align_corners } => {
            let (c0, c1, l0, l1) = linear_weights(w, wo, sw, align_corners, x.dtype());
            let inner = &(&take(x, 3, c0, None) * &l0) + &(&take(x, 3, c1, None) * &l1);
            let (r0, r1, m0, m1) = linear_weights(h, ho, sh, align_corners, x.dtype());
            let (m0, m1) = (m0.reshape([-1, 1]), m1.reshape([-1, 1]));
            &(&m0 * &take(&inner, 2, r0, None)) + &(&m1 * &take(&inner, 2, r1, None))
        }
    }
}

/// PyTorch's `nearest_idx`: identity and exact doubling special-cased, otherwise
/// `min(floor(dst * scale), in - 1)` with the scale in the input's float type.
fn nearest(input: usize, output: usize, scale: Option<f64>, dtype: DType) -> Vec<usize> {
    (0..output)
        .map(|i| {
            if output == input {
                i
            } else if output == 2 * input {
                i >> 1
            } else {
                let s = match scale {
                    Some(s) => 1.0 / s,
                    None => input as f64 / output as f64,
                };
                let v = if dtype == DType::F32 {
                    ((i as f32) * (s as f32)).floor() as usize
                } else {
                    (i as f64 * s).floor() as usize
                };
                v.min(input - 1)
            }
        })
        .collect()
}

/// Indices and weights of linear interpolation along one axis (PyTorch's
/// `area_pixel_compute_source_index`), in the input's precision.
fn linear_weights(
    input: usize,
    output: usize,
    scale: Option<f64>,
    align: bool,
    dtype: DType,
) -> (Vec<usize>, Vec<usize>, Tensor, Tensor) {
    let (mut i0, mut i1, mut w0, mut w1) = (vec![], vec![], vec![], vec![]);
    for d in 0..output {
        let (src, lam) = if dtype == DType::F32 {
            let s: f32 = if align {
                if output > 1 {
                    (input as f32 - 1.0) / (output as f32 - 1.0)
                } else {
                    0.0
                }
            } else {
                match scale {
                    Some(s) => (1.0 / s) as f32,
                    None => input as f32 / output as f32,
                }
            };
            let src = if align {
                s * d as f32
            } else {
                (s * (d as f32 + 0.5) - 0.5).max(0.0)
            };
            let i = src as usize;
            (i, (src - i as f32) as f64)
        } else {
            let s: f64 = if align {
                if output > 1 {
                    (input as f64 - 1.0) / (output as f64 - 1.0)
                } else {
                    0.0
                }
            } else {
                match scale {
                    Some(s) => 1.0 / s,
                    None => input as f64 / output as f64,
                }
            };
            let src = if align {
                s * d as f64
            } else {
                (s * (d as f64 + 0.5) - 0.5).max(0.0)
            };
            let i = src as usize;
            (i, src - i as f64)
        };
        let i = src.min(input - 1);
        i0.push(i);
        i1.push(if i < input - 1 { i + 1 } else { i });
        w1.push(lam);
        w0.push(1.0 - lam);
    }
    let t = |v: Vec<f64>| Tensor::from_vec(v, &[output]).to_dtype(dtype);
    (i0, i1, t(w0), t(w1))
}
