//! `nn.BatchNorm1d`, `nn.BatchNorm2d`, `nn.LayerNorm`, `nn.GroupNorm`.

use crate::functional;
use crate::module::{Member, Module, Slot, TrainFlag};
use tessera_core::autograd::no_grad;
use tessera_core::{DType, Tensor};

macro_rules! batch_norm_layer {
    ($name:ident, $dims:expr, $doc:literal) => {
        #[doc = $doc]
        ///
        /// Parameters `weight` (ones) and `bias` (zeros); buffers `running_mean` (zeros),
        /// `running_var` (ones) and `num_batches_tracked` (an `I64` scalar), in PyTorch's
        /// order. In training the batch statistics normalize and the running ones are
        /// updated (`momentum = None` gives the cumulative average); in eval the running
        /// ones normalize.
        pub struct $name {
            /// `[C]`, if affine.
            pub weight: Option<Slot>,
            /// `[C]`, if affine.
            pub bias: Option<Slot>,
            /// `[C]`, if tracking running statistics.
            pub running_mean: Option<Slot>,
            /// `[C]`, if tracking running statistics.
            pub running_var: Option<Slot>,
            /// `I64` scalar, if tracking running statistics.
            pub num_batches_tracked: Option<Slot>,
            /// Added to the variance.
            pub eps: f64,
            /// Weight of the new statistic; `None` for a cumulative average.
            pub momentum: Option<f64>,
            training: TrainFlag,
        }

        impl $name {
            /// PyTorch's defaults: `eps = 1e-5`, `momentum = 0.1`, affine, tracking.
            pub fn new(num_features: usize) -> $name {
                $name::with_options(num_features, 1e-5, Some(0.1), true, true)
            }

            /// All of PyTorch's options.
            pub fn with_options(
                c: usize,
                eps: f64,
                momentum: Option<f64>,
                affine: bool,
                track_running_stats: bool,
            ) -> $name {
                let p = |v: f64| Slot::parameter(Tensor::full_dtype(&[c], v, DType::F32));
                let b = |v: f64| Slot::new(Tensor::full_dtype(&[c], v, DType::F32));
                $name {
                    weight: affine.then(|| p(1.0)),
                    bias: affine.then(|| p(0.0)),
                    running_mean: track_running_stats.then(|| b(0.0)),
                    running_var: track_running_stats.then(|| b(1.0)),
                    num_batches_tracked: track_running_stats
                        .then(|| Slot::new(Tensor::scalar(0i64))),
                    eps,
                    momentum,
                    training: TrainFlag::default(),
                }
            }
        }

        impl Module for $name {
            /// # Panics
            #[doc = concat!("If the input's number of dims is not one of `", stringify!($dims), "`, or its channels differ.")]
            fn forward(&self, x: &Tensor) -> Tensor {
                let dims: &[usize] = &$dims;
                assert!(
                    dims.contains(&x.dim()),
                    "{}: expected {:?}-D input (got {}-D input of shape {:?})",
                    stringify!($name),
                    dims,
                    x.dim(),
                    x.shape()
                );
                let training = self.training.get();
                let mut factor = self.momentum.unwrap_or(0.0);
                if training {
                    if let Some(n) = &self.num_batches_tracked {
                        let n = n.get();
                        {
                            let _g = no_grad();
                            n.add_(1);
                        }
                        if self.momentum.is_none() {
                            factor = 1.0 / n.item::<i64>() as f64;
                        }
                    }
                }
                let rm = self.running_mean.as_ref().map(Slot::get);
                let rv = self.running_var.as_ref().map(Slot::get);
                let w = self.weight.as_ref().map(Slot::get);
                let b = self.bias.as_ref().map(Slot::get);
                let bn_training = training || (rm.is_none() && rv.is_none());
                functional::batch_norm(
                    x,
                    rm.as_ref(),
                    rv.as_ref(),
                    w.as_ref(),
                    b.as_ref(),
                    bn_training,
                    factor,
                    self.eps,
                )
            }
            fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
                if let (Some(w), Some(b)) = (&self.weight, &self.bias) {
                    f(Member::Parameter("weight", w));
                    f(Member::Parameter("bias", b));
                }
                if let (Some(m), Some(v), Some(n)) =
                    (&self.running_mean, &self.running_var, &self.num_batches_tracked)
                {
                    f(Member::Buffer("running_mean", m, true));
                    f(Member::Buffer("running_var", v, true));
                    f(Member::Buffer("num_batches_tracked", n, true));
                }
            }
            fn train_flag(&self) -> Option<&TrainFlag> {
                Some(&self.training)
            }
            crate::as_dyn!();
        }
    };
}

batch_norm_layer!(
    BatchNorm1d,
    [2, 3],
    "Batch normalization of `[N, C]` or `[N, C, L]` (`nn.BatchNorm1d`)."
);
batch_norm_layer!(
    BatchNorm2d,
    [4],
    "Batch normalization of `[N, C, H, W]` (`nn.BatchNorm2d`)."
);

/// Layer normalization over the trailing `normalized_shape` (`nn.LayerNorm`): `weight`
/// ones, `bias` zeros, `eps = 1e-5`.
pub struct LayerNorm {
    /// The trailing dims normalized over.
    pub normalized_shape: Vec<usize>,
    /// Added to the variance.
    pub eps: f64,
    /// `normalized_shape`, ones.
    pub weight: Option<Slot>,
    /// `normalized_shape`, zeros.
    pub bias: Option<Slot>,
}

impl LayerNorm {
    /// With PyTorch's defaults (`eps = 1e-5`, elementwise affine, bias).
    pub fn new(normalized_shape: &[usize]) -> LayerNorm {
        LayerNorm {
            normalized_shape: normalized_shape.to_vec(),
            eps: 1e-5,
            weight: Some(Slot::parameter(Tensor::ones(normalized_shape))),
            bias: Some(Slot::parameter(Tensor::zeros(normalized_shape))),
        }
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Tensor {
        let w = self.weight.as_ref().map(Slot::get);
        let b = self.bias.as_ref().map(Slot::get);
        functional::layer_norm(x, &self.normalized_shape, w.as_ref(), b.as_ref(), self.eps)
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        if let Some(w) = &self.weight {
            f(Member::Parameter("weight", w));
        }
        if let Some(b) = &self.bias {
            f(Member::Parameter("bias", b));
        }
    }
    crate::as_dyn!();
}

/// Group normalization (`nn.GroupNorm(num_groups, num_channels)`): `weight` ones,
/// `bias` zeros, `eps = 1e-5`.
pub struct GroupNorm {
    /// Number of groups.
    pub num_groups: usize,
    /// Added to the variance.
    pub eps: f64,
    /// `[C]`, ones.
    pub weight: Slot,
    /// `[C]`, zeros.
    pub bias: Slot,
}

impl GroupNorm {
    /// With PyTorch's defaults.
    ///
    /// # Panics
    /// If `num_channels` is not divisible by `num_groups`.
    pub fn new(num_groups: usize, num_channels: usize) -> GroupNorm {
        assert!(
            num_groups > 0 && num_channels.is_multiple_of(num_groups),
            "GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
        );
        GroupNorm {
            num_groups,
            eps: 1e-5,
            weight: Slot::parameter(Tensor::ones(&[num_channels])),
            bias: Slot::parameter(Tensor::zeros(&[num_channels])),
        }
    }
}

impl Module for GroupNorm {
    fn forward(&self, x: &Tensor) -> Tensor {
        functional::group_norm(
            x,
            self.num_groups,
            Some(&self.weight.get()),
            Some(&self.bias.get()),
            self.eps,
        )
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Parameter("weight", &self.weight));
        f(Member::Parameter("bias", &self.bias));
    }
    crate::as_dyn!();
}
