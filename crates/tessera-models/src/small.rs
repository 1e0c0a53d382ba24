//! Small models for examples: [`Mlp`] and [`SmallCnn`].

use tessera_core::Tensor;
use tessera_nn::functional::{ConvOptions, PoolOptions};
use tessera_nn::{Conv2d, Flatten, Linear, MaxPool2d, Member, Module, ReLU, Sequential};

/// A multi-layer perceptron: `Linear -> ReLU` per hidden size, then a final `Linear`;
/// the layers are children `"layers.0"`, `"layers.1"`, ... of one `Sequential`.
pub struct Mlp {
    layers: Sequential,
}

impl Mlp {
    /// `sizes = [in, hidden..., out]`.
    ///
    /// # Panics
    /// If fewer than two sizes are given.
    pub fn new(sizes: &[usize]) -> Mlp {
        assert!(
            sizes.len() >= 2,
            "Mlp: need at least input and output sizes, got {sizes:?}"
        );
        let mut layers = Sequential::new();
        for (i, w) in sizes.windows(2).enumerate() {
            layers.push(Box::new(Linear::new(w[0], w[1], true)));
            if i + 2 < sizes.len() {
                layers.push(Box::new(ReLU));
            }
        }
        Mlp { layers }
    }
}

impl Module for Mlp {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.layers.forward(x)
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Child("layers", &self.layers));
    }
    fn as_dyn(&self) -> &dyn Module {
        self
    }
}

/// A small CNN for `[N, C, S, S]` images (`S` divisible by 4): two blocks of 3x3
/// convolution (same padding), ReLU and 2x2 max pooling (8 then 16 channels), then a
/// linear classifier; children `"features"` and `"classifier"`.
pub struct SmallCnn {
    features: Sequential,
    classifier: Sequential,
}

impl SmallCnn {
    /// A model for `in_channels x size x size` images and `num_classes` classes.
    ///
    /// # Panics
    /// If `size` is not a positive multiple of 4.
    pub fn new(in_channels: usize, size: usize, num_classes: usize) -> SmallCnn {
        assert!(
            size > 0 && size.is_multiple_of(4),
            "SmallCnn: image size must be a positive multiple of 4, got {size}"
        );
        let pad = ConvOptions::default().padding(1);
        let pool = || MaxPool2d {
            options: PoolOptions::new(2),
        };
        SmallCnn {
            features: Sequential::new()
                .append(Conv2d::new(in_channels, 8, 3, pad, true))
                .append(ReLU)
                .append(pool())
                .append(Conv2d::new(8, 16, 3, pad, true))
                .append(ReLU)
                .append(pool()),
            classifier: Sequential::new()
                .append(Flatten::default())
                .append(Linear::new(16 * (size / 4) * (size / 4), num_classes, true)),
        }
    }
}

impl Module for SmallCnn {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.classifier.forward(&self.features.forward(x))
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Child("features", &self.features));
        f(Member::Child("classifier", &self.classifier));
    }
    fn as_dyn(&self) -> &dyn Module {
        self
    }
}
