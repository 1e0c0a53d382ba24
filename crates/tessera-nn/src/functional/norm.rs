//! Normalization: `batch_norm` (one autograd node with a hand-written backward, training
//! and eval), and `layer_norm` / `group_norm` (composed of core's differentiable ops).

use crate::{float_dispatch, Float};
use rayon::prelude::*;
use std::sync::Arc;
use tessera_core::autograd::{custom_op, no_grad, Saves};
use tessera_core::runtime::pool::{parallel, pool};
use tessera_core::{Element, Tensor};

/// `(n, c, s)`: batch, channels and the product of the remaining dims of `[N, C, *]`.
fn ncs(op: &str, x: &Tensor) -> (usize, usize, usize) {
    assert!(
        x.dim() >= 2,
        "{op}: expected an input of at least 2 dims [N, C, ...], got shape {:?}",
        x.shape()
    );
    let s = x.shape();
    (s[0], s[1], s[2..].iter().product())
}

/// Per-channel mean and biased variance, two passes in f64.
fn channel_stats<T: Float>(xs: &[T], (n, c, s): (usize, usize, usize)) -> Vec<(f64, f64)> {
    let m = (n * s) as f64;
    let one = |ch: usize| {
        let mut sum = 0.0;
        for b in 0..n {
            sum += xs[(b * c + ch) * s..][..s]
                .iter()
                .map(|v| v.to_f64())
                .sum::<f64>();
        }
        let mean = sum / m;
        let mut sq = 0.0;
        for b in 0..n {
            sq += xs[(b * c + ch) * s..][..s]
                .iter()
                .map(|v| {
                    let d = v.to_f64() - mean;
                    d * d
                })
                .sum::<f64>();
        }
        (mean, sq / m)
    };
    if parallel(xs.len()) {
        pool().install(|| (0..c).into_par_iter().map(one).collect())
    } else {
        (0..c).map(one).collect()
    }
}

fn vec_of(t: Option<&Tensor>, c: usize, fill: f64) -> Vec<f64> {
    match t {
        Some(t) => t.to_dtype(tessera_core::DType::F64).to_vec::<f64>(),
        None => vec![fill; c],
    }
}

/// Per channel of `stats` (mean, biased variance): `[mean, 1 / sqrt(var + eps), weight,
/// bias]`, in f64 (weight 1 and bias 0 when absent).
fn channel_params(
    stats: &[(f64, f64)],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Vec<[f64; 4]> {
    let c = stats.len();
    let w = vec_of(weight, c, 1.0);
    let b = vec_of(bias, c, 0.0);
    stats
        .iter()
        .enumerate()
        .map(|(ch, &(mean, var))| [mean, 1.0 / (var + eps).sqrt(), w[ch], b[ch]])
        .collect()
}

/// Per channel `(a, b)` such that batch norm's output is `x * a + b` (rounded after the
/// product and after the sum, in `T`), from [`channel_params`].
fn affine_of<T: Float>(params: &[[f64; 4]]) -> Vec<(T, T)> {
    params
        .iter()
        .map(|[mean, inv, w, b]| {
            let a = inv * w;
            (T::from_f64(a), T::from_f64(b - mean * a))
        })
        .collect()
}

/// Eval-mode batch norm's `(a, b)` per channel (`y = x * a + b`, see [`affine_of`]) from
/// the running statistics, exactly as [`batch_norm`] computes them without training.
pub(super) fn eval_affine<T: Float>(
    running_mean: &Tensor,
    running_var: &Tensor,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Vec<(T, T)> {
    let c = running_mean.numel();
    let rm = vec_of(Some(running_mean), c, 0.0);
    let rv = vec_of(Some(running_var), c, 1.0);
    let stats: Vec<(f64, f64)> = rm.into_iter().zip(rv).collect();
    affine_of(&channel_params(&stats, weight, bias, eps))
}

/// Batch normalization (`F.batch_norm(input, running_mean, running_var, weight, bias,
/// training, momentum, eps)`) over `[N, C, *]`, per channel.
///
/// In training (or without running statistics) it normalizes with the batch mean and
/// biased variance, and updates `running_mean` / `running_var` in place as PyTorch does:
/// `r = (1 - momentum) r + momentum * stat`, with the unbiased variance. In eval it uses
/// the running statistics. Statistics are accumulated in f64. Differentiable in the input,
/// `weight` and `bias` (one node).
///
/// ```
/// use tessera_core::{tensor, Tensor};
/// use tessera_nn::functional::batch_norm;
/// let x = tensor!([[1.0, 10.0], [3.0, 30.0]]);
/// let y = batch_norm(&x, None, None, None, None, true, 0.1, 0.0);
/// assert_eq!(y.to_vec::<f32>(), vec![-1.0, -1.0, 1.0, 1.0]);
/// ```
///
/// # Panics
/// If the input has fewer than 2 dims or is not float, a per-channel tensor is not `[C]`,
/// or training with one value per channel (PyTorch's "Expected more than 1 value per
/// channel when training").
#[allow(clippy::too_many_arguments)]
pub fn batch_norm(
    x: &Tensor,
    running_mean: Option<&Tensor>,
    running_var: Option<&Tensor>,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> Tensor {
    let op = "batch_norm";
    let dims = ncs(op, x);
    let (n, c, s) = dims;
    for t in [running_mean, running_var, weight, bias]
        .into_iter()
        .flatten()
    {
        assert!(
            t.shape() == [c],
            "{op}: per-channel tensors must have shape [{c}], got {:?} for input of shape {:?}",
            t.shape(),
            x.shape()
        );
    }
    let use_batch = training || running_mean.is_none() || running_var.is_none();
    let xc = x.contiguous();
    let stats: Vec<(f64, f64)> = if use_batch {
        assert!(
            n * s > 1 || !training,
            "{op}: Expected more than 1 value per channel when training, got input size {:?}",
            x.shape()
        );
        float_dispatch!(op, x.dtype(), T => xc.with_contiguous(|xs: &[T]| channel_stats(xs, dims)))
    } else {
        let rm = vec_of(running_mean, c, 0.0);
        let rv = vec_of(running_var, c, 1.0);
        rm.into_iter().zip(rv).collect()
    };
    if training {
        let _g = no_grad();
        let m = (n * s) as f64;
        if let Some(rm) = running_mean {
            let old = vec_of(Some(rm), c, 0.0);
            let new: Vec<f64> = old
                .iter()
                .zip(&stats)
                .map(|(r, st)| (1.0 - momentum) * r + momentum * st.0)
                .collect();
            rm.copy_(&Tensor::from_vec(new, &[c]));
        }
        if let Some(rv) = running_var {
            let old = vec_of(Some(rv), c, 1.0);
            let unbias = if m > 1.0 { m / (m - 1.0) } else { f64::NAN };
            let new: Vec<f64> = old
                .iter()
                .zip(&stats)
                .map(|(r, st)| (1.0 - momentum) * r + momentum * st.1 * unbias)
                .collect();
            rv.copy_(&Tensor::from_vec(new, &[c]));
        }
    }
    let params: Arc<Vec<[f64; 4]>> = Arc::new(channel_params(&stats, weight, bias, eps));
    let p2 = params.clone();
    let shape = x.shape().to_vec();
    let forward = move || {
        float_dispatch!(op, xc.dtype(), T => xc.with_contiguous(|xs: &[T]| {
            let mut out = tessera_core::runtime::Output::<T>::zeroed(op, xs.len()).into_vec();
            let coef: Vec<(T, T)> = affine_of(&p2);
            // Output plane p (channel p % C) is computed from input plane p.
            let planes_in: Vec<&[T]> = if s == 0 { Vec::new() } else { xs.chunks(s).collect() };
            let fill = |p: usize, o: &mut [T]| {
                let (a, bb) = coef[p % c];
                for (y, &v) in o.iter_mut().zip(planes_in[p]) {
                    *y = v * a + bb;
                }
            };
            if s > 0 {
                if parallel(out.len()) {
                    pool().install(|| out.par_chunks_mut(s).enumerate().for_each(|(p, o)| fill(p, o)));
                } else {
                    out.chunks_mut(s).enumerate().for_each(|(p, o)| fill(p, o));
                }
            }
            Tensor::from_vec(out, &shape)
        }))
    };
    let mut inputs = vec![x];
    let (has_w, has_b) = (weight.is_some(), bias.is_some());
    inputs.extend(weight);
    inputs.extend(bias);
    custom_op(op, &inputs, Saves::Inputs, forward, move |g, _, inp| {
        let gc = g.contiguous();
        let xc = inp[0].contiguous();
        let m = (n * s) as f64;
        let (dx, dw, db) = float_dispatch!("batch_norm backward", g.dtype(), T => {
            xc.with_contiguous(|xs: &[T]| gc.with_contiguous(|gs: &[T]| {
                // Per channel: sum of g and of g * xhat, in f64.
                let sums: Vec<(f64, f64)> = (0..c)
                    .map(|ch| {
                        let [mean, inv, _, _] = params[ch];
                        let (mut sg, mut sgx) = (0.0, 0.0);
                        for bi in 0..n {
                            let off = (bi * c + ch) * s;
                            for (gv, xv) in gs[off..off + s].iter().zip(&xs[off..off + s]) {
                                let gv = gv.to_f64();
                                sg += gv;
                                sgx += gv * (xv.to_f64() - mean) * inv;
                            }
                        }
                        (sg, sgx)
                    })
                    .collect();
                let mut dx = vec![T::ZERO; xs.len()];
                let planes_x: Vec<&[T]> = if s == 0 { Vec::new() } else { xs.chunks(s).collect() };
                let planes_g: Vec<&[T]> = if s == 0 { Vec::new() } else { gs.chunks(s).collect() };
                // Fill per plane with the plane's own input and gradient.
                let fill = |pi: usize, d: &mut [T]| {
                    let ch = pi % c;
                    let [mean, inv, w, _] = params[ch];
                    let (sg, sgx) = sums[ch];
                    let k = w * inv;
                    for ((o, &gv), &xv) in d.iter_mut().zip(planes_g[pi]).zip(planes_x[pi]) {
                        let v = if use_batch {
                            let xh = (xv.to_f64() - mean) * inv;
                            k * (gv.to_f64() - sg / m - xh * sgx / m)
                        } else {
                            k * gv.to_f64()
                        };
                        *o = T::from_f64(v);
                    }
                };
                if s > 0 {
                    if parallel(dx.len()) {
                        pool().install(|| dx.par_chunks_mut(s).enumerate().for_each(|(p, o)| fill(p, o)));
                    } else {
                        dx.chunks_mut(s).enumerate().for_each(|(p, o)| fill(p, o));
                    }
                }
                let dw: Vec<T> = sums.iter().map(|s| T::from_f64(s.1)).collect();
                let db: Vec<T> = sums.iter().map(|s| T::from_f64(s.0)).collect();
                (
                    Tensor::from_vec(dx, inp[0].shape()),
                    Tensor::from_vec(dw, &[c]),
                    Tensor::from_vec(db, &[c]),
                )
            }))
        });
        let mut grads = vec![Some(dx)];
        if has_w {
            grads.push(Some(dw));
        }
        if has_b {
            grads.push(Some(db));
        }
        grads
    })
}

/// Layer normalization (`F.layer_norm(input, normalized_shape, weight, bias, eps)`) over
/// the trailing dims `normalized_shape`, with the biased variance. Composed of core's
/// differentiable ops (mean, subtraction, `rsqrt`), so every derivative order works.
///
/// ```
/// use tessera_core::tensor;
/// use tessera_nn::functional::layer_norm;
/// let y = layer_norm(&tensor!([[1.0, 3.0]]), &[2], None, None, 0.0);
/// assert_eq!(y.to_vec::<f32>(), vec![-1.0, 1.0]);
/// ```
///
/// # Panics
/// If the trailing dims of the input are not `normalized_shape`, or `weight` / `bias`
/// do not have that shape.
pub fn layer_norm(
    x: &Tensor,
    normalized_shape: &[usize],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Tensor {
    let k = normalized_shape.len();
    assert!(
        k >= 1 && x.dim() >= k && x.shape()[x.dim() - k..] == *normalized_shape,
        "layer_norm: input of shape {:?} does not end with normalized_shape {normalized_shape:?}",
        x.shape()
    );
    for t in [weight, bias].into_iter().flatten() {
        assert!(
            t.shape() == normalized_shape,
            "layer_norm: weight and bias must have shape {normalized_shape:?}, got {:?}",
            t.shape()
        );
    }
    let dims: Vec<isize> = (x.dim() - k..x.dim()).map(|d| d as isize).collect();
    let y = normalize(x, dims, eps);
    affine(y, weight, bias)
}

fn normalize(x: &Tensor, dims: Vec<isize>, eps: f64) -> Tensor {
    let mean = x.mean_dim(dims.clone(), true);
    let xc = x - &mean;
    let var = (&xc * &xc).mean_dim(dims, true);
    &xc * &(var + eps).rsqrt()
}

fn affine(y: Tensor, weight: Option<&Tensor>, bias: Option<&Tensor>) -> Tensor {
    let y = match weight {
        Some(w) => &y * w,
        None => y,
    };
    match bias {
        Some(b) => &y + b,
        None => y,
    }
}

/// Group normalization (`F.group_norm(input, num_groups, weight, bias, eps)`) of
/// `[N, C, *]`: channels split into `num_groups` groups, each normalized over its
/// channels and positions, then a per-channel affine. Composed of core's ops.
///
/// # Panics
/// If the input has fewer than 2 dims, `C` is not divisible by `num_groups`, or
/// `weight` / `bias` are not `[C]`.
pub fn group_norm(
    x: &Tensor,
    num_groups: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Tensor {
    let (n, c, _) = ncs("group_norm", x);
    assert!(
        num_groups > 0 && c % num_groups == 0,
        "group_norm: Expected number of channels in input ({c}) to be divisible by num_groups ({num_groups})"
    );
    for t in [weight, bias].into_iter().flatten() {
        assert!(
            t.shape() == [c],
            "group_norm: weight and bias must have shape [{c}], got {:?}",
            t.shape()
        );
    }
    let grouped = x.reshape([n as isize, num_groups as isize, -1]);
    let y = normalize(&grouped, vec![2], eps).reshape(x.shape());
    let mut cshape = vec![c];
    cshape.extend(std::iter::repeat_n(1, x.dim() - 2));
    affine(
        y,
        weight.map(|w| w.reshape(cshape.as_slice())).as_ref(),
        bias.map(|b| b.reshape(cshape.as_slice())).as_ref(),
    )
}
