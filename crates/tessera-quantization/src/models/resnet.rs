//! torchvision's quantizable ResNet (`torchvision.models.quantization.resnet`):
//! [`QuantizableResNet`] with [`QuantizableBasicBlock`]s, whose residual add goes through a
//! [`FloatFunctional`] (`add_relu`) so that calibration observes it and `convert` makes it a
//! quantized add; [`QuantizableResNet::fuse_model`] fuses `conv + bn (+ relu)` as
//! torchvision's `fuse_model` does.
//!
//! The modules, their registration order and every `state_dict` key are torchvision's
//! (`conv1.weight`, `layer2.0.downsample.1.running_var`, ...), so a float state dict of
//! `torchvision.models.quantization.resnet18` (or of `torchvision.models.resnet18`, whose
//! keys are the same) loads with `load_state_dict`; after `fuse_model` the keys are the
//! fused ones (`conv1.0.weight`, `layer1.0.conv2.bias`), and after
//! [`convert`](crate::convert) [`QuantizedModel::state_dict`](crate::QuantizedModel::state_dict)
//! writes the quantized model's keys.
//!
//! Why a second ResNet next to `tessera_models::ResNet`: the quantization crate depends on
//! tessera-nn only (the design's arrows), and the quantizable model differs in its modules
//! (stubs, `FloatFunctional`, fusable children), as torchvision keeps it a separate class.
//!
//! ```
//! use tessera_core::Tensor;
//! use tessera_nn::Module;
//! use tessera_quantization::models::QuantizableResNet;
//! use tessera_quantization::{convert, get_default_qconfig_mapping, prepare};
//! let m = QuantizableResNet::new([1, 1, 1, 1], [8, 16, 32, 64], 10);
//! m.eval();
//! let fused = m.fuse_model();
//! let x = Tensor::randn(&[2, 3, 32, 32]);
//! let mapping = get_default_qconfig_mapping("fbgemm").set_module_name("fc", None);
//! let prepared = prepare(&fused, &mapping, &[x.clone()]);
//! prepared.forward(&x); // calibration
//! let q = convert(&prepared); // fc stays f32; the rest runs in int8
//! assert_eq!(q.forward(&x).shape(), &[2, 10]);
//! ```

use crate::eager::{fuse_group, DeQuantStub, FloatFunctional, QuantStub};
use tessera_core::Tensor;
use tessera_nn::functional::{ConvOptions, PoolOptions};
use tessera_nn::init::{kaiming_normal_, Fan, Nonlinearity};
use tessera_nn::{
    AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, Member, Module, ReLU, Sequential,
    TrainFlag,
};

/// `torchvision.models.quantization.resnet.QuantizableBasicBlock`: two 3x3 convolutions
/// with batch norm, an optional `downsample` of the shortcut, and the residual add with
/// ReLU through `add_relu` (a [`FloatFunctional`]).
///
/// Its children are boxed modules so that [`QuantizableBasicBlock::fuse_model`] can put
/// the fused modules in their places, as torchvision's in-place fusion does (`conv1`
/// becomes a `ConvReLU2d`, `bn1` and `relu` become `Identity`, ...).
pub struct QuantizableBasicBlock {
    /// The first 3x3 convolution (stride of the block).
    pub conv1: Box<dyn Module>,
    /// Batch norm after `conv1`.
    pub bn1: Box<dyn Module>,
    /// ReLU after `bn1`.
    pub relu: Box<dyn Module>,
    /// The second 3x3 convolution.
    pub conv2: Box<dyn Module>,
    /// Batch norm after `conv2`.
    pub bn2: Box<dyn Module>,
    /// The shortcut's 1x1 convolution and batch norm, when the shape changes.
    pub downsample: Option<Box<dyn Module>>,
    /// The residual add with ReLU (`add_relu.add_relu(out, identity)`).
    pub add_relu: FloatFunctional,
}

fn conv(cin: usize, cout: usize, k: usize, stride: usize, padding: usize) -> Conv2d {
    Conv2d::new(
        cin,
        cout,
        k,
        ConvOptions::default().stride(stride).padding(padding),
        false,
    )
}

impl QuantizableBasicBlock {
    fn new(inplanes: usize, planes: usize, stride: usize) -> Self {
        let downsample: Option<Box<dyn Module>> = (stride != 1 || inplanes != planes).then(|| {
            Box::new(
                Sequential::new()
                    .append(conv(inplanes, planes, 1, stride, 0))
                    .append(BatchNorm2d::new(planes)),
            ) as Box<dyn Module>
        });
        QuantizableBasicBlock {
            conv1: Box::new(conv(inplanes, planes, 3, stride, 1)),
            bn1: Box::new(BatchNorm2d::new(planes)),
            relu: Box::new(ReLU),
            conv2: Box::new(conv(planes, planes, 3, 1, 1)),
            bn2: Box::new(BatchNorm2d::new(planes)),
            downsample,
            add_relu: FloatFunctional,
        }
    }

    /// torchvision's `QuantizableBasicBlock.fuse_model`: `[conv1, bn1, relu]` and
    /// `[conv2, bn2]` fused, and `downsample`'s `["0", "1"]`. Returns the fused block
    /// (the parameters of unfused modules shared with `self`).
    ///
    /// # Panics
    /// If a batch norm is in training mode ("Fusion only for eval!") or the block was
    /// already fused.
    pub fn fuse_model(&self) -> QuantizableBasicBlock {
        let [conv1, bn1, relu] = fuse_group(
            "fuse_model",
            &[
                ("conv1", &*self.conv1),
                ("bn1", &*self.bn1),
                ("relu", &*self.relu),
            ],
        )
        .try_into()
        .unwrap_or_else(|_| unreachable!("three in, three out"));
        let [conv2, bn2] = fuse_group(
            "fuse_model",
            &[("conv2", &*self.conv2), ("bn2", &*self.bn2)],
        )
        .try_into()
        .unwrap_or_else(|_| unreachable!("two in, two out"));
        let downsample = self.downsample.as_ref().map(|d| {
            let ch = d.named_children();
            assert!(
                ch.len() == 2,
                "fuse_model: downsample must be [Conv2d, BatchNorm2d], got {} modules",
                ch.len()
            );
            let mut s = Sequential::new();
            for m in fuse_group("fuse_model", &[("0", ch[0].1), ("1", ch[1].1)]) {
                s.push(m);
            }
            s.train(d.is_training());
            Box::new(s) as Box<dyn Module>
        });
        QuantizableBasicBlock {
            conv1,
            bn1,
            relu,
            conv2,
            bn2,
            downsample,
            add_relu: FloatFunctional,
        }
    }
}

impl Module for QuantizableBasicBlock {
    fn forward(&self, x: &Tensor) -> Tensor {
        let out = self.relu.forward(&self.bn1.forward(&self.conv1.forward(x)));
        let out = self.bn2.forward(&self.conv2.forward(&out));
        let identity = match &self.downsample {
            Some(d) => d.forward(x),
            None => x.clone(),
        };
        self.add_relu.add_relu(&out, &identity)
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Child("conv1", &*self.conv1));
        f(Member::Child("bn1", &*self.bn1));
        f(Member::Child("relu", &*self.relu));
        f(Member::Child("conv2", &*self.conv2));
        f(Member::Child("bn2", &*self.bn2));
        if let Some(d) = &self.downsample {
            f(Member::Child("downsample", &**d));
        }
        f(Member::Child("add_relu", &self.add_relu));
    }
    tessera_nn::as_dyn!();
}

/// `torchvision.models.quantization.resnet.QuantizableResNet` with BasicBlocks: the
/// stem (`conv1`, `bn1`, `relu`, `maxpool`), four stages `layer1`..`layer4`, `avgpool`,
/// `fc`, and the `quant` / `dequant` stubs around it all (registered last, as
/// torchvision does). The f32 forward is torchvision's: `dequant(fc(flatten(avgpool(
/// layer4(...(maxpool(relu(bn1(conv1(quant(x))))))))))`.
pub struct QuantizableResNet {
    /// The 7x7 stride-2 stem convolution (a `ConvReLU2d` after fusion).
    pub conv1: Box<dyn Module>,
    /// The stem's batch norm (`Identity` after fusion).
    pub bn1: Box<dyn Module>,
    /// The stem's ReLU (`Identity` after fusion).
    pub relu: Box<dyn Module>,
    /// 3x3 stride-2 max pooling.
    pub maxpool: MaxPool2d,
    /// The four stages, `Sequential`s of [`QuantizableBasicBlock`]s.
    pub layers: [Sequential; 4],
    /// Global average pooling.
    pub avgpool: AdaptiveAvgPool2d,
    /// The classifier.
    pub fc: Linear,
    /// Where the input is quantized.
    pub quant: QuantStub,
    /// Where the output is dequantized.
    pub dequant: DeQuantStub,
    training: TrainFlag,
}

/// The stage names, `layer1` .. `layer4`.
pub(crate) const LAYER_NAMES: [&str; 4] = ["layer1", "layer2", "layer3", "layer4"];

impl QuantizableResNet {
    /// A quantizable ResNet of BasicBlocks with `blocks[i]` blocks of `widths[i]` channels
    /// in stage `i` (torchvision's ResNet-18 is `[2, 2, 2, 2]`, `[64, 128, 256, 512]`;
    /// narrower widths make small test models of the same structure and key names),
    /// `num_classes` outputs, torchvision's initialization (He-normal `fan_out`
    /// convolutions, unit batch norms, default `fc`), in training mode.
    ///
    /// # Panics
    /// If a width or `num_classes` is 0.
    pub fn new(blocks: [usize; 4], widths: [usize; 4], num_classes: usize) -> Self {
        assert!(
            widths.iter().all(|&w| w > 0) && num_classes > 0,
            "QuantizableResNet::new: widths {widths:?} and num_classes {num_classes} must be positive"
        );
        let mut inplanes = widths[0];
        let layers: [Sequential; 4] = std::array::from_fn(|i| {
            let mut seq = Sequential::new();
            for b in 0..blocks[i] {
                let stride = if i > 0 && b == 0 { 2 } else { 1 };
                seq.push(Box::new(QuantizableBasicBlock::new(
                    inplanes, widths[i], stride,
                )));
                inplanes = widths[i];
            }
            seq
        });
        let m = QuantizableResNet {
            conv1: Box::new(conv(3, widths[0], 7, 2, 3)),
            bn1: Box::new(BatchNorm2d::new(widths[0])),
            relu: Box::new(ReLU),
            maxpool: MaxPool2d {
                options: PoolOptions::new(3).stride(2).padding(1),
            },
            layers,
            avgpool: AdaptiveAvgPool2d {
                output_size: (1, 1),
            },
            fc: Linear::new(widths[3], num_classes, true),
            quant: QuantStub,
            dequant: DeQuantStub,
            training: TrainFlag::default(),
        };
        for (name, p) in m.named_parameters() {
            if p.dim() == 4 {
                debug_assert!(!name.starts_with("fc"));
                kaiming_normal_(&p, Fan::Out, Nonlinearity::Relu);
            }
        }
        m
    }

    /// torchvision's `QuantizableResNet.fuse_model`: the stem's `[conv1, bn1, relu]` and
    /// every block's groups ([`QuantizableBasicBlock::fuse_model`]). Returns the fused
    /// model; call it in eval mode.
    ///
    /// # Panics
    /// If the model is in training mode ("Fusion only for eval!") or already fused.
    pub fn fuse_model(&self) -> QuantizableResNet {
        let [conv1, bn1, relu] = fuse_group(
            "fuse_model",
            &[
                ("conv1", &*self.conv1),
                ("bn1", &*self.bn1),
                ("relu", &*self.relu),
            ],
        )
        .try_into()
        .unwrap_or_else(|_| unreachable!("three in, three out"));
        let layers: [Sequential; 4] = std::array::from_fn(|i| {
            let mut seq = Sequential::new();
            for (_, b) in self.layers[i].named_children() {
                let block = b
                    .as_any()
                    .and_then(|a| a.downcast_ref::<QuantizableBasicBlock>())
                    .unwrap_or_else(|| {
                        panic!("fuse_model: {} holds a {}", LAYER_NAMES[i], b.type_name())
                    });
                seq.push(Box::new(block.fuse_model()));
            }
            seq
        });
        let m = QuantizableResNet {
            conv1,
            bn1,
            relu,
            maxpool: self.maxpool,
            layers,
            avgpool: self.avgpool,
            fc: Linear {
                weight: self.fc.weight.clone(),
                bias: self.fc.bias.clone(),
            },
            quant: QuantStub,
            dequant: DeQuantStub,
            training: TrainFlag::default(),
        };
        m.train(self.is_training());
        m
    }
}

impl Module for QuantizableResNet {
    /// # Panics
    /// If the input is not `[N, 3, H, W]` f32.
    fn forward(&self, x: &Tensor) -> Tensor {
        let mut x = self.quant.forward(x);
        x = self.conv1.forward(&x);
        x = self.relu.forward(&self.bn1.forward(&x));
        x = self.maxpool.forward(&x);
        for l in &self.layers {
            x = l.forward(&x);
        }
        let x = self.avgpool.forward(&x).flatten_dims(1, -1);
        self.dequant.forward(&self.fc.forward(&x))
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Child("conv1", &*self.conv1));
        f(Member::Child("bn1", &*self.bn1));
        f(Member::Child("relu", &*self.relu));
        f(Member::Child("maxpool", &self.maxpool));
        for (n, l) in LAYER_NAMES.iter().zip(&self.layers) {
            f(Member::Child(n, l));
        }
        f(Member::Child("avgpool", &self.avgpool));
        f(Member::Child("fc", &self.fc));
        f(Member::Child("quant", &self.quant));
        f(Member::Child("dequant", &self.dequant));
    }
    fn train_flag(&self) -> Option<&TrainFlag> {
        Some(&self.training)
    }
    tessera_nn::as_dyn!();
}

/// `torchvision.models.quantization.resnet18(quantize=False, num_classes=...)`: the
/// quantizable ResNet-18 (BasicBlocks `[2, 2, 2, 2]`, widths `[64, 128, 256, 512]`),
/// untrained, in training mode. Load float weights with `load_state_dict` (the keys of
/// `torchvision.models.resnet18` and of `tessera_models::resnet18` are the same).
pub fn resnet18(num_classes: usize) -> QuantizableResNet {
    QuantizableResNet::new([2, 2, 2, 2], [64, 128, 256, 512], num_classes)
}
