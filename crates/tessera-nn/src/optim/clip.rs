//! `torch.nn.utils.clip_grad_norm_`.

use tessera_core::autograd::no_grad;
use tessera_core::Tensor;

/// Scales the gradients of `params` in place so that their joint norm is at most
/// `max_norm` (`clip_grad_norm_(params, max_norm, norm_type)`); returns the norm before
/// clipping. `norm_type` is a `p >= 1` or `f64::INFINITY`. The scale is
/// `min(1, max_norm / (norm + 1e-6))`, as PyTorch; norms are accumulated in f64.
/// Parameters without a gradient are skipped; with none, the norm is 0.
///
/// # Panics
/// If `norm_type` is not positive.
pub fn clip_grad_norm_(params: &[Tensor], max_norm: f64, norm_type: f64) -> f64 {
    assert!(
        norm_type > 0.0,
        "clip_grad_norm_: norm_type must be positive, got {norm_type}"
    );
    let grads: Vec<Tensor> = params.iter().filter_map(Tensor::grad).collect();
    let vals = grads
        .iter()
        .map(|g| g.to_dtype(tessera_core::DType::F64).to_vec::<f64>());
    let total = if norm_type.is_infinite() {
        vals.flat_map(|v| v.into_iter().map(f64::abs))
            .fold(0.0, f64::max)
    } else {
        // The norm of the per-tensor norms, as PyTorch.
        let per: Vec<f64> = vals
            .map(|v| {
                v.iter()
                    .map(|x| x.abs().powf(norm_type))
                    .sum::<f64>()
                    .powf(1.0 / norm_type)
            })
            .collect();
        per.iter()
            .map(|n| n.powf(norm_type))
            .sum::<f64>()
            .powf(1.0 / norm_type)
    };
    let coef = max_norm / (total + 1e-6);
    if coef < 1.0 {
        let _g = no_grad();
        for g in &grads {
            g.mul_(coef);
        }
    }
    total
}
