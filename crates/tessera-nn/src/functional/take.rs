//! `take`: the entries at a list of positions along one dim, as one autograd node whose
//! backward adds the gradient back at those positions. `embedding`, `pad` (reflect,
//! replicate, circular) and `interpolate` are built on it (core's `index_select` goes
//! through one view per index).

use crate::{float_dispatch, Float};
use std::sync::Arc;
use tessera_core::autograd::{custom_op, Saves};
use tessera_core::Tensor;

/// `x.index_select(dim, idx)` for indices known to be in range, with a fast backward.
/// Gradient rows of output positions whose index equals `skip` are dropped
/// (`embedding`'s `padding_idx`).
pub(crate) fn take(x: &Tensor, dim: usize, idx: Vec<usize>, skip: Option<usize>) -> Tensor {
    let shape = x.shape().to_vec();
    let len = shape[dim];
    debug_assert!(idx.iter().all(|&i| i < len));
    let outer: usize = shape[..dim].iter().product();
    let inner: usize = shape[dim + 1..].iter().product();
    let mut out_shape = shape.clone();
    out_shape[dim] = idx.len();
    let idx = Arc::new(idx);
    let i2 = idx.clone();
    let xc = x.contiguous();
    let os = out_shape.clone();
    let forward = move || {
        float_dispatch!("take", xc.dtype(), T => xc.with_contiguous(|xs: &[T]| {
            let mut out = Vec::with_capacity(outer * i2.len() * inner);
            for o in 0..outer {
                for &i in i2.iter() {
                    out.extend_from_slice(&xs[(o * len + i) * inner..][..inner]);
                }
            }
            Tensor::from_vec(out, &os)
        }))
    };
    custom_op("take", &[x], Saves::Nothing, forward, move |g, _, _| {
        let gc = g.contiguous();
        let dx = float_dispatch!("take backward", g.dtype(), T => gc.with_contiguous(|gs: &[T]| {
            let mut dx = vec![T::ZERO; outer * len * inner];
            for o in 0..outer {
                for (k, &i) in idx.iter().enumerate() {
                    if skip == Some(i) {
                        continue;
                    }
                    let src = &gs[(o * idx.len() + k) * inner..][..inner];
                    let dst = &mut dx[(o * len + i) * inner..][..inner];
                    dst.iter_mut().zip(src).for_each(|(d, &s)| *d += s);
                }
            }
            Tensor::from_vec(dx, &shape)
        }));
        vec![Some(dx)]
    })
}
