//! Losses: `cross_entropy`, `nll_loss`, `mse_loss`, `binary_cross_entropy_with_logits`.
//! Composed of core's differentiable ops, in PyTorch's formulas.

use tessera_core::{DType, Tensor};

/// How a loss reduces its per-element values (`reduction=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reduction {
    /// Per element, the target's shape (`"none"`).
    None,
    /// The (weighted) mean (`"mean"`, the default).
    #[default]
    Mean,
    /// The sum (`"sum"`).
    Sum,
}

/// Options of [`cross_entropy`] and [`nll_loss`] (PyTorch's defaults: no class weights,
/// `ignore_index = -100`, mean, no label smoothing).
#[derive(Clone, Debug)]
pub struct CrossEntropyOptions {
    /// Per-class weights `[C]`.
    pub weight: Option<Tensor>,
    /// Class-index targets equal to this are skipped.
    pub ignore_index: i64,
    /// Reduction.
    pub reduction: Reduction,
    /// Label smoothing in `[0, 1]` (`cross_entropy` only).
    pub label_smoothing: f64,
}

impl Default for CrossEntropyOptions {
    fn default() -> Self {
        CrossEntropyOptions {
            weight: None,
            ignore_index: -100,
            reduction: Reduction::Mean,
            label_smoothing: 0.0,
        }
    }
}

/// The input with the class dim last, flattened to `[M, C]`, and the class count.
fn rows(op: &str, input: &Tensor) -> (Tensor, usize) {
    assert!(
        input.dim() >= 1,
        "{op}: input must have at least 1 dim, got a 0-dim tensor"
    );
    if input.dim() == 1 {
        return (input.unsqueeze(0), input.shape()[0]);
    }
    let c = input.shape()[1];
    let mut perm: Vec<isize> = vec![0];
    perm.extend((2..input.dim()).map(|d| d as isize));
    perm.push(1);
    (input.permute(perm).reshape([-1, c as isize]), c)
}

/// The target shape a class-index target must have for `input`.
fn index_target_shape(input: &Tensor) -> Vec<usize> {
    if input.dim() == 1 {
        vec![]
    } else {
        let mut s = vec![input.shape()[0]];
        s.extend(&input.shape()[2..]);
        s
    }
}

fn reduce(losses: Tensor, r: Reduction, target_shape: &[usize]) -> Tensor {
    match r {
        Reduction::None => losses.reshape(target_shape),
        Reduction::Sum => losses.sum(),
        Reduction::Mean => losses.mean(),
    }
}

/// Negative log-likelihood (`F.nll_loss(input, target, weight, ignore_index,
/// reduction)`): `input` holds log-probabilities `[N, C, *]` (or `[C]`), `target` class
/// indices `[N, *]` (`I64`). The mean divides by the summed weights of the targets that
/// are not ignored (NaN when all are ignored, as PyTorch).
///
/// # Panics
/// If `target` is not `I64` of the matching shape, a target that is not ignored is
/// outside `[0, C)`, or `weight` is not `[C]`.
pub fn nll_loss(input: &Tensor, target: &Tensor, opts: &CrossEntropyOptions) -> Tensor {
    let op = "nll_loss";
    let tshape = index_target_shape(input);
    assert!(
        target.dtype() == DType::I64 && target.shape() == tshape.as_slice(),
        "{op}: expected an int64 target of shape {tshape:?} for input of shape {:?}, got {:?} of dtype {}",
        input.shape(),
        target.shape(),
        target.dtype()
    );
    let (lp, c) = rows(op, input);
    let (picked, wt, mask) = pick(op, &lp, c, target, opts);
    let losses = (-(&picked * &wt)).where_(&mask, 0.0);
    match opts.reduction {
        Reduction::Mean => losses.sum() / wt.where_(&mask, 0.0).sum(),
        r => reduce(losses, r, &tshape),
    }
}

/// `(logp[target], weight[target], not-ignored mask)` per row, with the ignored rows'
/// indices replaced by 0 so the gathers stay in range.
fn pick(
    op: &str,
    lp: &Tensor,
    c: usize,
    target: &Tensor,
    opts: &CrossEntropyOptions,
) -> (Tensor, Tensor, Tensor) {
    let t = target.reshape([-1]);
    let tv = t.to_vec::<i64>();
    for &k in &tv {
        assert!(
            k == opts.ignore_index || (0..c as i64).contains(&k),
            "{op}: Target {k} is out of bounds (classes: {c})"
        );
    }
    let safe: Vec<i64> = tv
        .iter()
        .map(|&k| if k == opts.ignore_index { 0 } else { k })
        .collect();
    let mask = Tensor::from_vec(
        tv.iter()
            .map(|&k| k != opts.ignore_index)
            .collect::<Vec<bool>>(),
        &[tv.len()],
    );
    let safe = Tensor::from_vec(safe, &[tv.len()]);
    let picked = lp.gather(1, &safe.unsqueeze(1)).squeeze_dim(1);
    let wt = match &opts.weight {
        Some(w) => {
            assert!(
                w.shape() == [c],
                "{op}: weight must have shape [{c}], got {:?}",
                w.shape()
            );
            w.to_dtype(lp.dtype()).gather(0, &safe)
        }
        None => Tensor::ones_dtype(&[tv.len()], lp.dtype()),
    };
    (picked, wt, mask)
}

/// Cross entropy of logits (`F.cross_entropy(input, target, weight, ignore_index,
/// reduction, label_smoothing)`): `log_softmax` over the class dim (1, or 0 for a 1-D
/// input) then the negative log-likelihood. `target` is either class indices (`I64`,
/// `[N, *]`) or class probabilities (float, the input's shape). Label smoothing mixes in
/// the uniform distribution as PyTorch does (for index targets, weighted and normalized
/// as `nll_loss`; for probabilities, the mean divides by `N * prod(*)`).
///
/// ```
/// use tessera_core::tensor;
/// use tessera_nn::functional::{cross_entropy, CrossEntropyOptions};
/// let logits = tensor!([[2.0, 0.0], [0.0, 2.0]]);
/// let loss = cross_entropy(&logits, &tensor!([0, 1]), &CrossEntropyOptions::default());
/// assert!((loss.item::<f32>() - 0.126_928_01).abs() < 1e-6);
/// ```
///
/// # Panics
/// As [`nll_loss`]; for probability targets, if the target's shape differs from the
/// input's. If `label_smoothing` is outside `[0, 1]`.
pub fn cross_entropy(input: &Tensor, target: &Tensor, opts: &CrossEntropyOptions) -> Tensor {
    let op = "cross_entropy";
    let ls = opts.label_smoothing;
    assert!(
        (0.0..=1.0).contains(&ls),
        "{op}: label_smoothing must be between 0.0 and 1.0, got {ls}"
    );
    let cdim: isize = if input.dim() == 1 { 0 } else { 1 };
    let logp = input.log_softmax(cdim);
    let c = input.shape()[cdim as usize];
    let wshape: Vec<usize> = (0..input.dim())
        .map(|d| if d == cdim as usize { c } else { 1 })
        .collect();
    let weight_b = opts
        .weight
        .as_ref()
        .map(|w| w.to_dtype(input.dtype()).reshape(wshape.as_slice()));
    if target.dtype().is_float() {
        assert_eq!(
            target.shape(),
            input.shape(),
            "{op}: probability targets must have the input's shape"
        );
        let t = if ls > 0.0 {
            target * (1.0 - ls) + ls / c as f64
        } else {
            target.clone()
        };
        let prod = &logp * &t;
        let prod = match &weight_b {
            Some(w) => &prod * w,
            None => prod,
        };
        let losses = -prod.sum_dim([cdim], false);
        return match opts.reduction {
            Reduction::None => losses,
            Reduction::Sum => losses.sum(),
            Reduction::Mean => losses.sum() / (input.numel() / c.max(1)) as f64,
        };
    }
    let nll = nll_loss(&logp, target, opts);
    if ls == 0.0 {
        return nll;
    }
    let (lp, _) = rows(op, &logp);
    let (_, wt, mask) = pick(op, &lp, c, target, opts);
    let smooth = match &opts.weight {
        Some(w) => -(&lp * &w.to_dtype(lp.dtype())).sum_dim([1], false),
        None => -lp.sum_dim([1], false),
    };
    let smooth = smooth.where_(&mask, 0.0);
    let ret = match opts.reduction {
        Reduction::None => smooth.reshape(index_target_shape(input).as_slice()),
        Reduction::Sum => smooth.sum(),
        Reduction::Mean => match &opts.weight {
            Some(_) => smooth.sum() / wt.where_(&mask, 0.0).sum(),
            None => smooth.sum() / mask.to_dtype(lp.dtype()).sum(),
        },
    };
    nll * (1.0 - ls) + ret * (ls / c as f64)
}

/// Mean squared error (`F.mse_loss(input, target, reduction)`), broadcasting the target.
///
/// # Panics
/// If the shapes do not broadcast.
pub fn mse_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    let d = input - target;
    let sq = &d * &d;
    let shape = sq.shape().to_vec();
    reduce(sq, reduction, &shape)
}

/// Binary cross entropy of logits (`F.binary_cross_entropy_with_logits(input, target,
/// weight, pos_weight, reduction)`) in the overflow-free form
/// `(1 - t) x + (1 + (pw - 1) t) softplus(-x)` (`softplus` from core's `log1p` form).
///
/// # Panics
/// If the shapes do not broadcast.
pub fn binary_cross_entropy_with_logits(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    pos_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Tensor {
    let sp_neg = (-input).softplus();
    let one_minus_t = -target + 1.0;
    let loss = match pos_weight {
        Some(pw) => {
            let lw = (pw - 1.0) * target + 1.0;
            &one_minus_t * input + &lw * &sp_neg
        }
        None => &one_minus_t * input + &sp_neg,
    };
    let loss = match weight {
        Some(w) => &loss * w,
        None => loss,
    };
    let shape = loss.shape().to_vec();
    reduce(loss, reduction, &shape)
}
