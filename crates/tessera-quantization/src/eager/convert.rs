//! `convert`: swaps the observed layers of a prepared model for quantized ones.

use super::prepare::{float_forward, PNode, PreparedModel};
use super::tree::Layer;
use crate::nn::quantized::{functional as QF, Conv2d, ConvReLU2d, Linear, LinearReLU, Quantize};
use crate::{quantize_per_channel, quantize_per_tensor, QConfig, QDType, QTensor};
use tessera_core::autograd::no_grad;
use tessera_core::Tensor;
use tessera_nn::{Flatten, Slot};

/// A value flowing through a converted model: f32 or quantized.
#[derive(Clone)]
pub enum QValue {
    /// An f32 tensor.
    Float(Tensor),
    /// A quantized tensor.
    Quant(QTensor),
}

enum QNode {
    Seq(Vec<QNode>),
    Float {
        name: String,
        layer: Layer,
    },
    Quantize(Quantize),
    DeQuantize,
    Linear(Linear),
    LinearReLU(LinearReLU),
    Conv(Conv2d),
    ConvReLU(ConvReLU2d),
    /// ReLU, pooling, flatten and identity: quantized ops on quantized values, f32 ones
    /// on f32 values.
    Either(Layer),
}

/// A converted model: quantized layers where calibration observed them, f32 elsewhere.
pub struct QuantizedModel {
    root: QNode,
}

/// The `(scale, zero_point)` an activation observer chose.
fn act_qparams(
    name: &str,
    act: &Option<std::sync::Arc<dyn crate::observer::Observer>>,
) -> (f64, i64) {
    let o = act
        .as_ref()
        .unwrap_or_else(|| panic!("convert: layer {name:?} has a qconfig but no observer"));
    let (s, z) = o.calculate_qparams();
    (s.to_vec::<f32>()[0] as f64, z.to_vec::<i64>()[0])
}

/// The weight quantized with a fresh weight observer of `qconfig` (per channel along
/// axis 0 or per tensor, as the observer is), as PyTorch's `from_float` does.
fn quantize_weight(qconfig: &QConfig, w: &Tensor) -> QTensor {
    let obs = qconfig.weight.build();
    obs.forward(w);
    let (s, z) = obs.calculate_qparams();
    match obs.ch_axis() {
        Some(axis) => quantize_per_channel(w, &s, &z, axis, QDType::QInt8),
        None => quantize_per_tensor(
            w,
            s.to_vec::<f32>()[0] as f64,
            z.to_vec::<i64>()[0],
            QDType::QInt8,
        ),
    }
}

fn bias(b: &Option<Slot>) -> Option<Tensor> {
    b.as_ref().map(Slot::get)
}

fn convert_node(n: &PNode) -> QNode {
    match n {
        PNode::Seq(c) => QNode::Seq(c.iter().map(convert_node).collect()),
        PNode::Leaf {
            name,
            layer,
            qconfig,
            act,
        } => {
            let layer: &Layer = layer;
            let Some(q) = qconfig else {
                return match layer {
                    Layer::QuantStub | Layer::DeQuantStub | Layer::Identity => {
                        QNode::Either(Layer::Identity)
                    }
                    _ => QNode::Float {
                        name: name.clone(),
                        layer: copy(layer),
                    },
                };
            };
            match layer {
                Layer::QuantStub => {
                    let (scale, zero_point) = act_qparams(name, act);
                    QNode::Quantize(Quantize { scale, zero_point })
                }
                Layer::DeQuantStub => QNode::DeQuantize,
                Layer::Linear(l) => {
                    let (s, z) = act_qparams(name, act);
                    let w = quantize_weight(q, &l.weight.get());
                    QNode::Linear(Linear::new(&w, bias(&l.bias).as_ref(), s, z))
                }
                Layer::LinearReLU(l) => {
                    let (s, z) = act_qparams(name, act);
                    let w = quantize_weight(q, &l.linear.weight.get());
                    QNode::LinearReLU(LinearReLU::new(&w, bias(&l.linear.bias).as_ref(), s, z))
                }
                Layer::Conv(c) => {
                    let (s, z) = act_qparams(name, act);
                    let w = quantize_weight(q, &c.weight.get());
                    QNode::Conv(Conv2d::new(&w, bias(&c.bias).as_ref(), c.options, s, z))
                }
                Layer::ConvReLU(c) => {
                    let (s, z) = act_qparams(name, act);
                    let w = quantize_weight(q, &c.conv.weight.get());
                    let b = bias(&c.conv.bias);
                    QNode::ConvReLU(ConvReLU2d::new(&w, b.as_ref(), c.conv.options, s, z))
                }
                Layer::BatchNorm(_) => QNode::Float {
                    name: name.clone(),
                    layer: copy(layer),
                },
                other => QNode::Either(copy(other)),
            }
        }
    }
}

/// A copy of a leaf layer (parameters shared).
fn copy(layer: &Layer) -> Layer {
    use super::tree::{copy_conv, copy_linear};
    match layer {
        Layer::Seq(_) => unreachable!("leaves only"),
        Layer::Conv(c) => Layer::Conv(copy_conv(c)),
        Layer::ConvReLU(c) => Layer::ConvReLU(super::ConvReLU2d::new(copy_conv(&c.conv))),
        Layer::Linear(l) => Layer::Linear(copy_linear(l)),
        Layer::LinearReLU(l) => Layer::LinearReLU(super::LinearReLU::new(copy_linear(&l.linear))),
        Layer::BatchNorm(b) => Layer::of("convert", "", b),
        Layer::ReLU => Layer::ReLU,
        Layer::MaxPool(p) => Layer::MaxPool(*p),
        Layer::AdaptiveAvgPool(p) => Layer::AdaptiveAvgPool(*p),
        Layer::Flatten(f) => Layer::Flatten(*f),
        Layer::Identity => Layer::Identity,
        Layer::QuantStub => Layer::QuantStub,
        Layer::DeQuantStub => Layer::DeQuantStub,
    }
}

fn flatten_q(x: &QTensor, f: &Flatten) -> QTensor {
    let d = x.dim() as isize;
    let norm = |v: isize| if v < 0 { (v + d) as usize } else { v as usize };
    let (s, e) = (norm(f.start_dim), norm(f.end_dim));
    let mut shape: Vec<usize> = x.shape()[..s].to_vec();
    shape.push(x.shape()[s..=e].iter().product());
    shape.extend_from_slice(&x.shape()[e + 1..]);
    x.reshape(shape)
}

fn run(n: &QNode, x: QValue) -> QValue {
    let quant = |x: QValue, what: &str| match x {
        QValue::Quant(q) => q,
        QValue::Float(t) => panic!(
            "converted model: {what} expects a quantized input but got an f32 tensor of shape \
             {:?} (a QuantStub is missing before it)",
            t.shape()
        ),
    };
    match n {
        QNode::Seq(c) => c.iter().fold(x, |h, c| run(c, h)),
        QNode::Float { name, layer } => match x {
            QValue::Float(t) => QValue::Float(float_forward(layer, &t)),
            QValue::Quant(q) => panic!(
                "converted model: layer {name:?} stays f32 (its qconfig is None) but got a \
                 quantized tensor of shape {:?}: put a DeQuantStub before it and a QuantStub \
                 after it",
                q.shape()
            ),
        },
        QNode::Quantize(m) => match x {
            QValue::Float(t) => QValue::Quant(m.forward(&t)),
            q => q,
        },
        QNode::DeQuantize => QValue::Float(quant(x, "DeQuantize").dequantize()),
        QNode::Linear(m) => QValue::Quant(m.forward(&quant(x, "quantized Linear"))),
        QNode::LinearReLU(m) => QValue::Quant(m.forward(&quant(x, "quantized LinearReLU"))),
        QNode::Conv(m) => QValue::Quant(m.forward(&quant(x, "quantized Conv2d"))),
        QNode::ConvReLU(m) => QValue::Quant(m.forward(&quant(x, "quantized ConvReLU2d"))),
        QNode::Either(layer) => match x {
            QValue::Float(t) => QValue::Float(float_forward(layer, &t)),
            QValue::Quant(q) => QValue::Quant(match layer {
                Layer::ReLU => QF::relu(&q),
                Layer::MaxPool(p) => QF::max_pool2d(&q, p.options),
                Layer::AdaptiveAvgPool(p) => QF::adaptive_avg_pool2d(&q, p.output_size),
                Layer::Flatten(f) => flatten_q(&q, f),
                _ => q,
            }),
        },
    }
}

impl QuantizedModel {
    /// Runs the model on a value (f32 or quantized) and returns what its last layer gives.
    pub fn forward_value(&self, x: QValue) -> QValue {
        let _g = no_grad();
        run(&self.root, x)
    }

    /// Runs the model on an f32 input.
    ///
    /// # Panics
    /// If the output is quantized (the model must end in a `DeQuantStub`), or as the
    /// layers do (a quantized layer given an f32 tensor, an f32 layer given a quantized
    /// one: stubs missing).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        match self.forward_value(QValue::Float(x.clone())) {
            QValue::Float(t) => t,
            QValue::Quant(q) => panic!(
                "QuantizedModel::forward: the output is quantized (shape {:?}); end the model \
                 with a DeQuantStub or use forward_value",
                q.shape()
            ),
        }
    }
}

/// `torch.ao.quantization.convert` (eager mode): every observed `QuantStub`, `Conv2d`,
/// `Linear`, `ConvReLU2d` and `LinearReLU` becomes its quantized module, its weight
/// quantized by a fresh weight observer of its qconfig and its output qparams taken from
/// its activation observer; `DeQuantStub` becomes `DeQuantize`; `ReLU`, pooling and
/// `Flatten` run quantized on quantized values; layers whose qconfig is `None` (and
/// unfused batch norms) stay f32.
///
/// An observer that saw no data gives PyTorch's defaults (scale 1, zero point 0) with its
/// warning.
pub fn convert(prepared: &PreparedModel) -> QuantizedModel {
    QuantizedModel {
        root: convert_node(&prepared.root),
    }
}
