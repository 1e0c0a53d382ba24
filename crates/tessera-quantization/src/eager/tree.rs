//! Copies of the supported layers (sharing their parameters' storage), found by downcasting
//! `&dyn Module` through `Module::as_any`.

use super::modules::{ConvReLU2d, DeQuantStub, FloatFunctional, LinearReLU, QuantStub};
use crate::models::{QuantizableBasicBlock, QuantizableResNet, LAYER_NAMES};
use tessera_nn::{
    AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Identity, Linear, MaxPool2d, Module, ReLU,
    Sequential,
};

/// The layers the eager flow knows, each a copy of the model's (sharing slots).
pub(crate) enum Layer {
    /// Children run in order (a `Sequential`, or a quantizable model's forward), by name.
    Seq(Vec<(String, Layer)>),
    /// A residual block: `add_relu(main(x), shortcut(x))` (`shortcut` the identity when
    /// absent), the add through the `FloatFunctional` named `add` (a
    /// `QuantizableBasicBlock`).
    Residual {
        main: Vec<(String, Layer)>,
        shortcut: Option<Box<(String, Layer)>>,
        add: String,
    },
    Conv(Conv2d),
    ConvReLU(ConvReLU2d),
    Linear(Linear),
    LinearReLU(LinearReLU),
    BatchNorm(BatchNorm2d),
    ReLU,
    MaxPool(MaxPool2d),
    AdaptiveAvgPool(AdaptiveAvgPool2d),
    Flatten(Flatten),
    Identity,
    QuantStub,
    DeQuantStub,
}

pub(crate) fn copy_conv(c: &Conv2d) -> Conv2d {
    Conv2d {
        weight: c.weight.clone(),
        bias: c.bias.clone(),
        options: c.options,
    }
}

pub(crate) fn copy_linear(l: &Linear) -> Linear {
    Linear {
        weight: l.weight.clone(),
        bias: l.bias.clone(),
    }
}

fn copy_bn(b: &BatchNorm2d) -> BatchNorm2d {
    let c = b.running_mean.as_ref().map_or(0, |s| s.get().numel());
    let mut n = BatchNorm2d::with_options(c, b.eps, b.momentum, b.weight.is_some(), true);
    n.weight = b.weight.clone();
    n.bias = b.bias.clone();
    n.running_mean = b.running_mean.clone();
    n.running_var = b.running_var.clone();
    n.num_batches_tracked = b.num_batches_tracked.clone();
    n.train(b.is_training());
    n
}

impl Layer {
    /// The layer tree of `m`.
    ///
    /// # Panics
    /// On a module the eager flow does not support (named by `name`).
    pub(crate) fn of(op: &str, name: &str, m: &dyn Module) -> Layer {
        let any = m.as_any().unwrap_or_else(|| {
            panic!(
                "{op}: module {name:?} ({}) does not expose its type (Module::as_any); the \
                 eager flow supports Sequential trees of tessera-nn layers",
                m.type_name()
            )
        });
        let child = |n: &str, c: &dyn Module| -> (String, Layer) {
            let full = if name.is_empty() {
                n.to_string()
            } else {
                format!("{name}.{n}")
            };
            (n.to_string(), Layer::of(op, &full, c))
        };
        if any.is::<Sequential>() {
            return Layer::Seq(
                m.named_children()
                    .into_iter()
                    .map(|(n, c)| child(&n, c))
                    .collect(),
            );
        }
        if let Some(r) = any.downcast_ref::<QuantizableResNet>() {
            // The forward's order: quant, stem, stages, avgpool, flatten, fc, dequant.
            let mut seq = vec![
                child("quant", &r.quant),
                child("conv1", &*r.conv1),
                child("bn1", &*r.bn1),
                child("relu", &*r.relu),
                child("maxpool", &r.maxpool),
            ];
            for (n, l) in LAYER_NAMES.iter().zip(&r.layers) {
                seq.push(child(n, l));
            }
            seq.push(child("avgpool", &r.avgpool));
            seq.push(("flatten".into(), Layer::Flatten(Flatten::default())));
            seq.push(child("fc", &r.fc));
            seq.push(child("dequant", &r.dequant));
            return Layer::Seq(seq);
        }
        if let Some(b) = any.downcast_ref::<QuantizableBasicBlock>() {
            return Layer::Residual {
                main: vec![
                    child("conv1", &*b.conv1),
                    child("bn1", &*b.bn1),
                    child("relu", &*b.relu),
                    child("conv2", &*b.conv2),
                    child("bn2", &*b.bn2),
                ],
                shortcut: b
                    .downsample
                    .as_ref()
                    .map(|d| Box::new(child("downsample", &**d))),
                add: "add_relu".into(),
            };
        }
        if let Some(c) = any.downcast_ref::<Conv2d>() {
            return Layer::Conv(copy_conv(c));
        }
        if let Some(c) = any.downcast_ref::<ConvReLU2d>() {
            return Layer::ConvReLU(ConvReLU2d::new(copy_conv(&c.conv)));
        }
        if let Some(l) = any.downcast_ref::<Linear>() {
            return Layer::Linear(copy_linear(l));
        }
        if let Some(l) = any.downcast_ref::<LinearReLU>() {
            return Layer::LinearReLU(LinearReLU::new(copy_linear(&l.linear)));
        }
        if let Some(b) = any.downcast_ref::<BatchNorm2d>() {
            return Layer::BatchNorm(copy_bn(b));
        }
        if any.is::<ReLU>() {
            return Layer::ReLU;
        }
        if let Some(p) = any.downcast_ref::<MaxPool2d>() {
            return Layer::MaxPool(*p);
        }
        if let Some(p) = any.downcast_ref::<AdaptiveAvgPool2d>() {
            return Layer::AdaptiveAvgPool(*p);
        }
        if let Some(f) = any.downcast_ref::<Flatten>() {
            return Layer::Flatten(*f);
        }
        if any.is::<Identity>() {
            return Layer::Identity;
        }
        if any.is::<QuantStub>() {
            return Layer::QuantStub;
        }
        if any.is::<DeQuantStub>() {
            return Layer::DeQuantStub;
        }
        panic!(
            "{op}: module {name:?} of type {} is not supported by the eager flow (Sequential, \
             Conv2d, Linear, BatchNorm2d, ReLU, MaxPool2d, AdaptiveAvgPool2d, Flatten, \
             Identity, QuantStub, DeQuantStub, ConvReLU2d, LinearReLU, QuantizableResNet, \
             QuantizableBasicBlock)",
            m.type_name()
        )
    }

    /// Back to a module (a `Sequential` for a tree).
    pub(crate) fn into_module(self) -> Box<dyn Module> {
        match self {
            Layer::Seq(children) => {
                let mut s = Sequential::new();
                for (i, (n, c)) in children.into_iter().enumerate() {
                    assert!(
                        n == i.to_string(),
                        "fuse_modules: cannot rebuild a model whose children are named \
                         ({n:?}) rather than numbered; fuse a QuantizableResNet with its \
                         fuse_model"
                    );
                    s.push(c.into_module());
                }
                Box::new(s)
            }
            Layer::Residual { main, shortcut, .. } => {
                let mut main = main.into_iter().map(|(_, l)| l.into_module());
                let mut next = || main.next().expect("a residual block has five modules");
                Box::new(QuantizableBasicBlock {
                    conv1: next(),
                    bn1: next(),
                    relu: next(),
                    conv2: next(),
                    bn2: next(),
                    downsample: shortcut.map(|b| b.1.into_module()),
                    add_relu: FloatFunctional,
                })
            }
            Layer::Conv(c) => Box::new(c),
            Layer::ConvReLU(c) => Box::new(c),
            Layer::Linear(l) => Box::new(l),
            Layer::LinearReLU(l) => Box::new(l),
            Layer::BatchNorm(b) => Box::new(b),
            Layer::ReLU => Box::new(ReLU),
            Layer::MaxPool(p) => Box::new(p),
            Layer::AdaptiveAvgPool(p) => Box::new(p),
            Layer::Flatten(f) => Box::new(f),
            Layer::Identity => Box::new(Identity),
            Layer::QuantStub => Box::new(QuantStub),
            Layer::DeQuantStub => Box::new(DeQuantStub),
        }
    }
}
