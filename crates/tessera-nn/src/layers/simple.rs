//! Layers without parameters: activations, pooling, dropout, `Flatten`, `Identity`.

use crate::functional::{self, Gelu, PoolOptions};
use crate::module::{Member, Module, TrainFlag};
use tessera_core::Tensor;

macro_rules! stateless {
    (@def $name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, Debug)]
        pub struct $name;
    };
    (@def $name:ident { $($field:ident : $ty:ty),* }, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, Debug)]
        pub struct $name { $(#[doc = "See the layer's doc."] pub $field: $ty),* }
    };
    ($($name:ident $({ $($field:ident : $ty:ty),* })?, |$s:ident, $x:ident| $body:expr, $doc:literal;)*) => {$(
        stateless!(@def $name $({ $($field : $ty),* })?, $doc);

        impl Module for $name {
            fn forward(&self, $x: &Tensor) -> Tensor {
                let $s = self;
                let _ = $s;
                $body
            }
            fn visit<'a>(&'a self, _f: &mut dyn FnMut(Member<'a>)) {}
            crate::as_dyn!();
        }
    )*};
}

stateless! {
    ReLU, |s, x| x.relu(), "`max(x, 0)` (`nn.ReLU`).";
    Sigmoid, |s, x| x.sigmoid(), "`nn.Sigmoid`.";
    Tanh, |s, x| x.tanh(), "`nn.Tanh`.";
    SiLU, |s, x| functional::silu(x), "`x * sigmoid(x)` (`nn.SiLU`).";
    Identity, |s, x| x.clone(), "The identity (`nn.Identity`).";
    GELU { approximate: Gelu }, |s, x| functional::gelu(x, s.approximate), "`nn.GELU(approximate)`.";
    LeakyReLU { negative_slope: f64 }, |s, x| functional::leaky_relu(x, s.negative_slope), "`nn.LeakyReLU(negative_slope)` (PyTorch's default slope is 0.01).";
    Softmax { dim: isize }, |s, x| x.softmax(s.dim), "`nn.Softmax(dim)`.";
    LogSoftmax { dim: isize }, |s, x| x.log_softmax(s.dim), "`nn.LogSoftmax(dim)`.";
    Flatten { start_dim: isize, end_dim: isize }, |s, x| x.flatten_dims(s.start_dim, s.end_dim), "`nn.Flatten(start_dim, end_dim)` (PyTorch's defaults: 1 and -1).";
    MaxPool2d { options: PoolOptions }, |s, x| functional::max_pool2d(x, s.options), "`nn.MaxPool2d`.";
    AvgPool2d { options: PoolOptions }, |s, x| functional::avg_pool2d(x, s.options), "`nn.AvgPool2d`.";
    AdaptiveAvgPool2d { output_size: (usize, usize) }, |s, x| functional::adaptive_avg_pool2d(x, s.output_size), "`nn.AdaptiveAvgPool2d(output_size)`.";
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten {
            start_dim: 1,
            end_dim: -1,
        }
    }
}

/// Zeroes elements with probability `p` in training, scaling the rest by `1 / (1 - p)`
/// (`nn.Dropout(p)`); the identity in eval. Masks come from the default generator.
#[derive(Debug)]
pub struct Dropout {
    /// The drop probability.
    pub p: f64,
    training: TrainFlag,
}

impl Dropout {
    /// `nn.Dropout(p)`.
    ///
    /// # Panics
    /// If `p` is outside `[0, 1]`.
    pub fn new(p: f64) -> Dropout {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout: probability has to be between 0 and 1, but got {p}"
        );
        Dropout {
            p,
            training: TrainFlag::default(),
        }
    }
}

impl Module for Dropout {
    fn forward(&self, x: &Tensor) -> Tensor {
        functional::dropout(x, self.p, self.training.get())
    }
    fn visit<'a>(&'a self, _f: &mut dyn FnMut(Member<'a>)) {}
    fn train_flag(&self) -> Option<&TrainFlag> {
        Some(&self.training)
    }
    crate::as_dyn!();
}
