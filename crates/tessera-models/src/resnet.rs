//! ResNet (torchvision's `resnet18/34/50`): the same modules, names and initialization.

use tessera_core::Tensor;
use tessera_nn::functional::{conv2d_bn, BatchNormEval, ConvOptions, PoolOptions};
use tessera_nn::init::{kaiming_normal_, Fan, Nonlinearity};
use tessera_nn::{
    AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, Member, Module, ReLU, Sequential,
    Slot, TrainFlag,
};

/// torchvision's `conv3x3`: padding 1, no bias.
fn conv3x3(cin: usize, cout: usize, stride: usize) -> Conv2d {
    Conv2d::new(
        cin,
        cout,
        3,
        ConvOptions::default().stride(stride).padding(1),
        false,
    )
}

/// torchvision's `conv1x1`: no bias.
fn conv1x1(cin: usize, cout: usize, stride: usize) -> Conv2d {
    Conv2d::new(cin, cout, 1, ConvOptions::default().stride(stride), false)
}

/// `relu(t)` of a tensor the caller has just made and no one else holds: in place
/// (torchvision's `ReLU(inplace=True)`, one pass and no new buffer) when autograd does
/// not record it, else a new tensor. Same values either way.
fn relu_owned(t: Tensor) -> Tensor {
    if t.requires_grad() {
        t.relu()
    } else {
        t.relu_();
        t
    }
}

/// `relu(out + identity)` of a block's fresh output `out`: in place in `out` when
/// autograd records neither (torchvision's `out += identity; relu(out)`), else new
/// tensors. Same values either way.
fn residual_relu(out: Tensor, identity: &Tensor) -> Tensor {
    if out.requires_grad() || identity.requires_grad() || out.shape() != identity.shape() {
        (&out + identity).relu()
    } else {
        out.add_(identity);
        relu_owned(out)
    }
}

/// `relu(bn(conv(x)) + residual)`, the residual add and the ReLU each optional: in one
/// pass over the convolution's output tiles ([`conv2d_bn`], the same values) when the
/// batch norm is in eval mode with running statistics, else the modules one after the
/// other (with the in-place ReLU and add of [`relu_owned`] and [`residual_relu`]).
fn conv_bn(
    conv: &Conv2d,
    bn: &BatchNorm2d,
    x: &Tensor,
    residual: Option<&Tensor>,
    relu: bool,
) -> Tensor {
    let slot = |s: &Option<Slot>| s.as_ref().map(Slot::get);
    if let (false, Some(m), Some(v)) = (
        bn.is_training(),
        slot(&bn.running_mean),
        slot(&bn.running_var),
    ) {
        let (w, b) = (slot(&bn.weight), slot(&bn.bias));
        let eval = BatchNormEval {
            running_mean: &m,
            running_var: &v,
            weight: w.as_ref(),
            bias: b.as_ref(),
            eps: bn.eps,
        };
        let cb = slot(&conv.bias);
        let cw = conv.weight.get();
        return conv2d_bn(x, &cw, cb.as_ref(), conv.options, &eval, residual, relu);
    }
    let y = bn.forward(&conv.forward(x));
    match (residual, relu) {
        (Some(r), true) => residual_relu(y, r),
        (Some(r), false) => &y + r,
        (None, true) => relu_owned(y),
        (None, false) => y,
    }
}

/// The basic residual block of ResNet-18/34 (`torchvision.models.resnet.BasicBlock`):
/// two 3x3 convolutions with batch norm, and an optional `downsample` of the shortcut.
pub struct BasicBlock {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    relu: ReLU,
    conv2: Conv2d,
    bn2: BatchNorm2d,
    downsample: Option<Sequential>,
}

impl BasicBlock {
    /// Output channels per input channel of `planes` (`expansion`).
    pub const EXPANSION: usize = 1;

    fn new(inplanes: usize, planes: usize, stride: usize, downsample: Option<Sequential>) -> Self {
        BasicBlock {
            conv1: conv3x3(inplanes, planes, stride),
            bn1: BatchNorm2d::new(planes),
            relu: ReLU,
            conv2: conv3x3(planes, planes, 1),
            bn2: BatchNorm2d::new(planes),
            downsample,
        }
    }
}

impl Module for BasicBlock {
    fn forward(&self, x: &Tensor) -> Tensor {
        let out = conv_bn(&self.conv1, &self.bn1, x, None, true);
        let identity = match &self.downsample {
            Some(d) => d.forward(x),
            None => x.clone(),
        };
        conv_bn(&self.conv2, &self.bn2, &out, Some(&identity), true)
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Child("conv1", &self.conv1));
        f(Member::Child("bn1", &self.bn1));
        f(Member::Child("relu", &self.relu));
        f(Member::Child("conv2", &self.conv2));
        f(Member::Child("bn2", &self.bn2));
        if let Some(d) = &self.downsample {
            f(Member::Child("downsample", d));
        }
    }
    fn as_dyn(&self) -> &dyn Module {
        self
    }
}

/// The bottleneck block of ResNet-50 (`torchvision.models.resnet.Bottleneck`, stride on
/// the 3x3 convolution as torchvision's v1.5): 1x1, 3x3, 1x1 with 4x expansion.
pub struct Bottleneck {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    conv2: Conv2d,
    bn2: BatchNorm2d,
    conv3: Conv2d,
    bn3: BatchNorm2d,
    relu: ReLU,
    downsample: Option<Sequential>,
}

impl Bottleneck {
    /// Output channels per input channel of `planes` (`expansion`).
    pub const EXPANSION: usize = 4;

    fn new(inplanes: usize, planes: usize, stride: usize, downsample: Option<Sequential>) -> Self {
        let width = planes;
        Bottleneck {
            conv1: conv1x1(inplanes, width, 1),
            bn1: BatchNorm2d::new(width),
            conv2: conv3x3(width, width, stride),
            bn2: BatchNorm2d::new(width),
            conv3: conv1x1(width, planes * Self::EXPANSION, 1),
            bn3: BatchNorm2d::new(planes * Self::EXPANSION),
            relu: ReLU,
            downsample,
        }
    }
}

impl Module for Bottleneck {
    fn forward(&self, x: &Tensor) -> Tensor {
        let out = conv_bn(&self.conv1, &self.bn1, x, None, true);
        let out = conv_bn(&self.conv2, &self.bn2, &out, None, true);
        let identity = match &self.downsample {
            Some(d) => d.forward(x),
            None => x.clone(),
        };
        conv_bn(&self.conv3, &self.bn3, &out, Some(&identity), true)
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Child("conv1", &self.conv1));
        f(Member::Child("bn1", &self.bn1));
        f(Member::Child("conv2", &self.conv2));
        f(Member::Child("bn2", &self.bn2));
        f(Member::Child("conv3", &self.conv3));
        f(Member::Child("bn3", &self.bn3));
        f(Member::Child("relu", &self.relu));
        if let Some(d) = &self.downsample {
            f(Member::Child("downsample", d));
        }
    }
    fn as_dyn(&self) -> &dyn Module {
        self
    }
}

/// A ResNet (`torchvision.models.ResNet`): stem, four stages, average pool, `fc`.
/// Made by [`resnet18`], [`resnet34`], [`resnet50`]; the modules, their names and
/// torchvision's initialization (He-normal `fan_out` convolutions, unit batch norms,
/// default `fc`) are torchvision's.
pub struct ResNet {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    relu: ReLU,
    maxpool: MaxPool2d,
    layers: [Sequential; 4],
    avgpool: AdaptiveAvgPool2d,
    fc: Linear,
    training: TrainFlag,
}

const LAYER_NAMES: [&str; 4] = ["layer1", "layer2", "layer3", "layer4"];

impl ResNet {
    fn build(bottleneck: bool, blocks: [usize; 4], num_classes: usize) -> ResNet {
        let expansion = if bottleneck {
            Bottleneck::EXPANSION
        } else {
            BasicBlock::EXPANSION
        };
        let mut inplanes = 64;
        let mut make_layer = |planes: usize, n: usize, stride: usize| {
            let mut seq = Sequential::new();
            for i in 0..n {
                let (s, d) = if i == 0 {
                    let d = (stride != 1 || inplanes != planes * expansion).then(|| {
                        Sequential::new()
                            .append(conv1x1(inplanes, planes * expansion, stride))
                            .append(BatchNorm2d::new(planes * expansion))
                    });
                    (stride, d)
                } else {
                    (1, None)
                };
                if bottleneck {
                    seq.push(Box::new(Bottleneck::new(inplanes, planes, s, d)));
                } else {
                    seq.push(Box::new(BasicBlock::new(inplanes, planes, s, d)));
                }
                inplanes = planes * expansion;
            }
            seq
        };
        let layers = [
            make_layer(64, blocks[0], 1),
            make_layer(128, blocks[1], 2),
            make_layer(256, blocks[2], 2),
            make_layer(512, blocks[3], 2),
        ];
        let m = ResNet {
            conv1: Conv2d::new(3, 64, 7, ConvOptions::default().stride(2).padding(3), false),
            bn1: BatchNorm2d::new(64),
            relu: ReLU,
            maxpool: MaxPool2d {
                options: PoolOptions::new(3).stride(2).padding(1),
            },
            layers,
            avgpool: AdaptiveAvgPool2d {
                output_size: (1, 1),
            },
            fc: Linear::new(512 * expansion, num_classes, true),
            training: TrainFlag::default(),
        };
        // torchvision: kaiming_normal_(mode="fan_out", nonlinearity="relu") on every
        // convolution; batch norms are already ones and zeros.
        for (name, p) in m.named_parameters() {
            if p.dim() == 4 && !name.starts_with("fc") {
                kaiming_normal_(&p, Fan::Out, Nonlinearity::Relu);
            }
        }
        m
    }

    /// The logits before the classifier: the pooled features `[N, 512 * expansion]`.
    pub fn features(&self, x: &Tensor) -> Tensor {
        let mut x = self
            .maxpool
            .forward(&conv_bn(&self.conv1, &self.bn1, x, None, true));
        for l in &self.layers {
            x = l.forward(&x);
        }
        self.avgpool.forward(&x).flatten_dims(1, -1)
    }
}

impl Module for ResNet {
    /// # Panics
    /// If the input is not `[N, 3, H, W]` float with `H, W` large enough for the stem
    /// (at least 1 after five halvings: any size from 1 works, torchvision uses 224).
    fn forward(&self, x: &Tensor) -> Tensor {
        self.fc.forward(&self.features(x))
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Child("conv1", &self.conv1));
        f(Member::Child("bn1", &self.bn1));
        f(Member::Child("relu", &self.relu));
        f(Member::Child("maxpool", &self.maxpool));
        for (n, l) in LAYER_NAMES.iter().zip(&self.layers) {
            f(Member::Child(n, l));
        }
        f(Member::Child("avgpool", &self.avgpool));
        f(Member::Child("fc", &self.fc));
    }
    fn train_flag(&self) -> Option<&TrainFlag> {
        Some(&self.training)
    }
    fn as_dyn(&self) -> &dyn Module {
        self
    }
}

/// ResNet-18 (`torchvision.models.resnet18(num_classes=...)`, untrained): BasicBlocks
/// `[2, 2, 2, 2]`, 11.7M parameters for 1000 classes.
pub fn resnet18(num_classes: usize) -> ResNet {
    ResNet::build(false, [2, 2, 2, 2], num_classes)
}

/// ResNet-34: BasicBlocks `[3, 4, 6, 3]`.
pub fn resnet34(num_classes: usize) -> ResNet {
    ResNet::build(false, [3, 4, 6, 3], num_classes)
}

/// ResNet-50: Bottlenecks `[3, 4, 6, 3]`.
pub fn resnet50(num_classes: usize) -> ResNet {
    ResNet::build(true, [3, 4, 6, 3], num_classes)
}
