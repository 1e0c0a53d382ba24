//! [`conv2d_bn`]: a convolution followed by an eval-mode batch norm, an optional
//! residual add and an optional ReLU (a ResNet's conv-bn-relu in inference), with the
//! three applied to each tile of the convolution's output right after the tile is
//! written, while it is in cache: one pass and one buffer instead of three or four. The
//! same float operations in the same order as the separate ops, so the same values.

use super::conv::{self, check_bias, with_opt, ConvOptions};
use super::norm::{batch_norm, eval_affine};
use super::winograd;
use crate::{float_dispatch, Float};
use tessera_core::autograd::is_grad_enabled;
use tessera_core::runtime::pool::usable_threads;
use tessera_core::runtime::Output;
use tessera_core::{DType, Tensor};

/// An eval-mode batch norm (`F.batch_norm(x, running_mean, running_var, weight, bias,
/// training=False, eps=eps)`), for [`conv2d_bn`].
#[derive(Clone, Copy, Debug)]
pub struct BatchNormEval<'a> {
    /// `[C]`: the running mean.
    pub running_mean: &'a Tensor,
    /// `[C]`: the running (unbiased) variance.
    pub running_var: &'a Tensor,
    /// `[C]`: the scale, or none (1).
    pub weight: Option<&'a Tensor>,
    /// `[C]`: the shift, or none (0).
    pub bias: Option<&'a Tensor>,
    /// Added to the variance.
    pub eps: f64,
}

/// What [`conv2d_bn`] applies to each output of the convolution as it is written: `y * a
/// + b` with its output channel's `(a, b)`, then `+ residual` (the element at the same
/// index), then `max(y, 0)` (NaN and `-0.0` kept, as `relu`).
pub(super) struct Epilogue<'a, T> {
    /// Per output channel.
    pub coef: &'a [(T, T)],
    /// Same shape as the output, or none.
    pub residual: Option<&'a [T]>,
    /// Whether a ReLU follows.
    pub relu: bool,
}

impl<T: Float> Epilogue<'_, T> {
    /// Applies the epilogue to `row`, the outputs `first..first + row.len()` (flat
    /// indices into the output) of output channel `ch`.
    ///
    /// # Panics
    /// If `ch` has no coefficients or the residual does not hold those indices.
    #[inline(always)]
    pub fn apply(&self, ch: usize, first: usize, row: &mut [T]) {
        let (a, b) = self.coef[ch];
        match (self.residual, self.relu) {
            (Some(r), relu) => {
                let r = &r[first..first + row.len()];
                if relu {
                    row.iter_mut()
                        .zip(r)
                        .for_each(|(y, &id)| *y = relu_of(*y * a + b + id));
                } else {
                    row.iter_mut()
                        .zip(r)
                        .for_each(|(y, &id)| *y = *y * a + b + id);
                }
            }
            (None, true) => row.iter_mut().for_each(|y| *y = relu_of(*y * a + b)),
            (None, false) => row.iter_mut().for_each(|y| *y = *y * a + b),
        }
    }
}

/// `max(v, 0)` keeping NaN and `-0.0`, as core's `relu`.
#[inline(always)]
fn relu_of<T: Float>(v: T) -> T {
    if v < T::ZERO {
        T::ZERO
    } else {
        v
    }
}

/// `relu(batch_norm(conv2d(x, weight, bias, opts), ...) + residual)` in eval mode, the
/// residual add and the ReLU each optional (`residual: None`, `relu: false`): the
/// values of [`conv2d`](super::conv2d), [`batch_norm`] with `training = false`, `+` and
/// `relu` one after the other, bit for bit, computed in one pass over the
/// convolution's output tiles while they are in cache, into one buffer.
///
/// When autograd records any of the tensors (grad mode on and one of them requires
/// grad), or the residual's shape or dtype is not the output's, the separate ops run
/// instead (so it is differentiable, broadcasts and promotes as they do).
///
/// ```
/// use tessera_core::{autograd::no_grad, Tensor};
/// use tessera_nn::functional::{batch_norm, conv2d, conv2d_bn, BatchNormEval, ConvOptions};
/// let x = Tensor::randn(&[1, 3, 8, 8]);
/// let w = Tensor::randn(&[4, 3, 3, 3]);
/// let (m, v) = (Tensor::randn(&[4]), Tensor::rand(&[4]) + 0.5);
/// let bn = BatchNormEval { running_mean: &m, running_var: &v, weight: None, bias: None, eps: 1e-5 };
/// let o = ConvOptions::default().padding(1);
/// let _g = no_grad();
/// let fused = conv2d_bn(&x, &w, None, o, &bn, None, true);
/// let apart = batch_norm(&conv2d(&x, &w, None, o), Some(&m), Some(&v), None, None, false, 0.1, 1e-5).relu();
/// assert_eq!(fused.to_vec::<f32>(), apart.to_vec::<f32>());
/// ```
///
/// # Panics
/// As [`conv2d`](super::conv2d) and [`batch_norm`], and if the batch norm's tensors are
/// not `[O]`.
pub fn conv2d_bn(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    opts: ConvOptions,
    bn: &BatchNormEval<'_>,
    residual: Option<&Tensor>,
    relu: bool,
) -> Tensor {
    let g = conv::geometry("conv2d_bn", x, weight, &opts);
    let per_channel = [
        Some(bn.running_mean),
        Some(bn.running_var),
        bn.weight,
        bn.bias,
    ];
    for t in per_channel.into_iter().flatten() {
        assert!(
            t.shape() == [g.o],
            "conv2d_bn: batch norm tensors must have shape [{}], got {:?}",
            g.o,
            t.shape()
        );
    }
    let shape = [g.n, g.o, g.ho, g.wo];
    let mut all = vec![x, weight, bn.running_mean, bn.running_var];
    all.extend(bias);
    all.extend(bn.weight);
    all.extend(bn.bias);
    all.extend(residual);
    let recorded = is_grad_enabled() && all.iter().any(|t| t.requires_grad());
    let odd_residual = residual.is_some_and(|r| r.shape() != shape || r.dtype() != x.dtype());
    if recorded || odd_residual {
        let y = super::conv2d(x, weight, bias, opts);
        let (m, v) = (Some(bn.running_mean), Some(bn.running_var));
        let y = batch_norm(&y, m, v, bn.weight, bn.bias, false, 0.0, bn.eps);
        let y = match residual {
            Some(r) => &y + r,
            None => y,
        };
        return if relu { y.relu() } else { y };
    }
    check_bias("conv2d_bn", &g, x, bias);
    let (xc, wc) = (x.contiguous(), weight.contiguous());
    let bc = bias.map(Tensor::contiguous);
    let rc = residual.map(Tensor::contiguous);
    if x.dtype() == DType::F32 && winograd::applies(&g, usable_threads()) {
        let coef: Vec<(f32, f32)> =
            eval_affine(bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps);
        let out = with_opt(rc.as_ref(), |rs: Option<&[f32]>| {
            let epi = Epilogue {
                coef: &coef,
                residual: rs,
                relu,
            };
            xc.with_contiguous(|xs: &[f32]| {
                wc.with_contiguous(|ws: &[f32]| {
                    with_opt(bc.as_ref(), |bs: Option<&[f32]>| {
                        let n = g.n * g.o * g.ho * g.wo;
                        let mut out = Output::<f32>::zeroed("conv2d_bn", n).into_vec();
                        winograd::forward(&g, xs, ws, bs, Some(&epi), &mut out);
                        out
                    })
                })
            })
        });
        return Tensor::from_vec(out, &shape);
    }
    float_dispatch!("conv2d_bn", x.dtype(), T => {
        let coef: Vec<(T, T)> =
            eval_affine(bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.eps);
        let out = with_opt(rc.as_ref(), |rs: Option<&[T]>| {
            let epi = Epilogue { coef: &coef, residual: rs, relu };
            xc.with_contiguous(|xs: &[T]| {
                wc.with_contiguous(|ws: &[T]| {
                    with_opt(bc.as_ref(), |bs: Option<&[T]>| {
                        conv::forward_kernel(&g, xs, ws, bs, None, Some(&epi))
                    })
                })
            })
        });
        Tensor::from_vec(out, &shape)
    })
}
