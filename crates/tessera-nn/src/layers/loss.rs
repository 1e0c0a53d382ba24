//! Loss modules (`nn.CrossEntropyLoss`, `nn.MSELoss`, `nn.BCEWithLogitsLoss`): their
//! options and a two-argument `forward`.

use crate::functional::{self, CrossEntropyOptions, Reduction};
use tessera_core::Tensor;

/// `nn.CrossEntropyLoss`: see [`functional::cross_entropy`].
#[derive(Clone, Debug, Default)]
pub struct CrossEntropyLoss {
    /// Weights, `ignore_index`, reduction, label smoothing.
    pub options: CrossEntropyOptions,
}

impl CrossEntropyLoss {
    /// The loss of `input` logits against `target`.
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
        functional::cross_entropy(input, target, &self.options)
    }
}

/// `nn.MSELoss`: see [`functional::mse_loss`].
#[derive(Clone, Copy, Debug, Default)]
pub struct MSELoss {
    /// Reduction.
    pub reduction: Reduction,
}

impl MSELoss {
    /// The loss of `input` against `target`.
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
        functional::mse_loss(input, target, self.reduction)
    }
}

/// `nn.BCEWithLogitsLoss`: see [`functional::binary_cross_entropy_with_logits`].
#[derive(Clone, Debug, Default)]
pub struct BCEWithLogitsLoss {
    /// Per-element weight.
    pub weight: Option<Tensor>,
    /// Weight of positive examples.
    pub pos_weight: Option<Tensor>,
    /// Reduction.
    pub reduction: Reduction,
}

impl BCEWithLogitsLoss {
    /// The loss of `input` logits against `target`.
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
        functional::binary_cross_entropy_with_logits(
            input,
            target,
            self.weight.as_ref(),
            self.pos_weight.as_ref(),
            self.reduction,
        )
    }
}
