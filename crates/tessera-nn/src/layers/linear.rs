//! `nn.Linear` and `nn.Embedding`.

use crate::functional;
use crate::module::{Member, Module, Slot};
use tessera_core::Tensor;

/// `y = x W^T + b` (`nn.Linear(in_features, out_features, bias)`): `weight`
/// `[out, in]`, `bias` `[out]`, PyTorch's default init.
pub struct Linear {
    /// `[out_features, in_features]`
    pub weight: Slot,
    /// `[out_features]`, if made with `bias = true`.
    pub bias: Option<Slot>,
}

impl Linear {
    /// A layer with PyTorch's default init (f32).
    pub fn new(in_features: usize, out_features: usize, bias: bool) -> Linear {
        let (weight, bias) = super::default_weight_bias(&[out_features, in_features], bias);
        Linear { weight, bias }
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Tensor {
        let b = self.bias.as_ref().map(Slot::get);
        functional::linear(x, &self.weight.get(), b.as_ref())
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Parameter("weight", &self.weight));
        if let Some(b) = &self.bias {
            f(Member::Parameter("bias", b));
        }
    }
    crate::as_dyn!();
}

/// A lookup table (`nn.Embedding(num_embeddings, embedding_dim, padding_idx)`): `weight`
/// drawn from `N(0, 1)`, the `padding_idx` row zero and never updated by gradients.
pub struct Embedding {
    /// `[num_embeddings, embedding_dim]`
    pub weight: Slot,
    /// The row that stays zero.
    pub padding_idx: Option<usize>,
}

impl Embedding {
    /// A table with PyTorch's default init.
    ///
    /// # Panics
    /// If `padding_idx` is not below `num_embeddings`.
    pub fn new(
        num_embeddings: usize,
        embedding_dim: usize,
        padding_idx: Option<usize>,
    ) -> Embedding {
        let w = Tensor::zeros(&[num_embeddings, embedding_dim]);
        crate::init::normal_(&w, 0.0, 1.0);
        if let Some(p) = padding_idx {
            assert!(
                p < num_embeddings,
                "Embedding: padding_idx must be within num_embeddings ({p} >= {num_embeddings})"
            );
            w.narrow(0, p, 1).fill_(0.0);
        }
        Embedding {
            weight: Slot::parameter(w),
            padding_idx,
        }
    }
}

impl Module for Embedding {
    fn forward(&self, idx: &Tensor) -> Tensor {
        functional::embedding(idx, &self.weight.get(), self.padding_idx)
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Parameter("weight", &self.weight));
    }
    crate::as_dyn!();
}
