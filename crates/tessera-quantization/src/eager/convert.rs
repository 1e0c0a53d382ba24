//! `convert`: swaps the observed layers of a prepared model for quantized ones.

use super::prepare::{float_forward, PNode, PreparedModel};
use super::tree::Layer;
use crate::nn::quantized::{
    functional as QF, Conv2d, ConvReLU2d, Linear, LinearReLU, QFunctional, Quantize,
};
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

/// A quantized layer with a weight.
pub(crate) enum Weighted {
    Linear(Linear),
    LinearReLU(LinearReLU),
    Conv(Conv2d),
    ConvReLU(ConvReLU2d),
}

pub(crate) enum QNode {
    Seq(Vec<QNode>),
    /// A residual block; `add` quantized (`QFunctional`) or, when its qconfig is `None`,
    /// f32; `name` is the add's full name.
    Residual {
        main: Vec<QNode>,
        shortcut: Option<Box<QNode>>,
        name: String,
        add: Option<QFunctional>,
    },
    Float {
        name: String,
        layer: Layer,
    },
    Quantize {
        name: String,
        m: Quantize,
    },
    DeQuantize,
    Weighted {
        name: String,
        m: Weighted,
    },
    /// ReLU, pooling, flatten and identity: quantized ops on quantized values, f32 ones
    /// on f32 values.
    Either(Layer),
}

/// A converted model: quantized layers where calibration observed them, f32 elsewhere.
pub struct QuantizedModel {
    pub(crate) root: QNode,
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

/// Whether a layer runs on quantized and f32 values alike (no weights, no qparams).
fn either(layer: &Layer) -> bool {
    matches!(
        layer,
        Layer::ReLU
            | Layer::MaxPool(_)
            | Layer::AdaptiveAvgPool(_)
            | Layer::Flatten(_)
            | Layer::Identity
    )
}

fn convert_node(n: &PNode) -> QNode {
    match n {
        PNode::Seq(c) => QNode::Seq(c.iter().map(convert_node).collect()),
        PNode::Residual {
            main,
            shortcut,
            add,
            qconfig,
            act,
        } => QNode::Residual {
            main: main.iter().map(convert_node).collect(),
            shortcut: shortcut.as_ref().map(|s| Box::new(convert_node(s))),
            name: add.clone(),
            add: qconfig.as_ref().map(|_| {
                let (scale, zero_point) = act_qparams(add, act);
                QFunctional { scale, zero_point }
            }),
        },
        PNode::Leaf {
            name,
            layer,
            qconfig,
            act,
        } => {
            let layer: &Layer = layer;
            let name = name.clone();
            if either(layer) {
                return QNode::Either(copy(layer));
            }
            let Some(q) = qconfig else {
                return match layer {
                    Layer::QuantStub | Layer::DeQuantStub => QNode::Either(Layer::Identity),
                    _ => QNode::Float {
                        name,
                        layer: copy(layer),
                    },
                };
            };
            let m = match layer {
                Layer::QuantStub => {
                    let (scale, zero_point) = act_qparams(&name, act);
                    return QNode::Quantize {
                        name,
                        m: Quantize { scale, zero_point },
                    };
                }
                Layer::DeQuantStub => return QNode::DeQuantize,
                Layer::Linear(l) => {
                    let (s, z) = act_qparams(&name, act);
                    let w = quantize_weight(q, &l.weight.get());
                    Weighted::Linear(Linear::new(&w, bias(&l.bias).as_ref(), s, z))
                }
                Layer::LinearReLU(l) => {
                    let (s, z) = act_qparams(&name, act);
                    let w = quantize_weight(q, &l.linear.weight.get());
                    Weighted::LinearReLU(LinearReLU::new(&w, bias(&l.linear.bias).as_ref(), s, z))
                }
                Layer::Conv(c) => {
                    let (s, z) = act_qparams(&name, act);
                    let w = quantize_weight(q, &c.weight.get());
                    Weighted::Conv(Conv2d::new(&w, bias(&c.bias).as_ref(), c.options, s, z))
                }
                Layer::ConvReLU(c) => {
                    let (s, z) = act_qparams(&name, act);
                    let w = quantize_weight(q, &c.conv.weight.get());
                    let b = bias(&c.conv.bias);
                    Weighted::ConvReLU(ConvReLU2d::new(&w, b.as_ref(), c.conv.options, s, z))
                }
                other => {
                    return QNode::Float {
                        name,
                        layer: copy(other),
                    }
                }
            };
            QNode::Weighted { name, m }
        }
    }
}

/// A copy of a leaf layer (parameters shared).
pub(crate) fn copy(layer: &Layer) -> Layer {
    use super::tree::{copy_conv, copy_linear};
    match layer {
        Layer::Seq(_) | Layer::Residual { .. } => unreachable!("leaves only"),
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

fn quant(x: QValue, what: &str) -> QTensor {
    match x {
        QValue::Quant(q) => q,
        QValue::Float(t) => panic!(
            "converted model: {what} expects a quantized input but got an f32 tensor of shape \
             {:?} (a QuantStub is missing before it)",
            t.shape()
        ),
    }
}

/// The f32 tensor of a value, dequantizing a quantized one (at the entry of a layer left
/// in f32).
fn float(x: QValue) -> Tensor {
    match x {
        QValue::Float(t) => t,
        QValue::Quant(q) => q.dequantize(),
    }
}

fn run(n: &QNode, x: QValue) -> QValue {
    match n {
        QNode::Seq(c) => c.iter().fold(x, |h, c| run(c, h)),
        QNode::Residual {
            main,
            shortcut,
            name,
            add,
        } => {
            let out = main.iter().fold(x.clone(), |h, c| run(c, h));
            let identity = match shortcut {
                Some(s) => run(s, x),
                None => x,
            };
            match add {
                Some(f) => {
                    let what = format!("the quantized add {name:?}");
                    QValue::Quant(f.add_relu(&quant(out, &what), &quant(identity, &what)))
                }
                None => QValue::Float((&float(out) + &float(identity)).relu()),
            }
        }
        QNode::Float { layer, .. } => QValue::Float(float_forward(layer, &float(x))),
        QNode::Quantize { m, .. } => match x {
            QValue::Float(t) => QValue::Quant(m.forward(&t)),
            q => q,
        },
        QNode::DeQuantize => QValue::Float(float(x)),
        QNode::Weighted { name, m } => {
            let what = format!("the quantized layer {name:?}");
            let q = quant(x, &what);
            QValue::Quant(match m {
                Weighted::Linear(m) => m.forward(&q),
                Weighted::LinearReLU(m) => m.forward(&q),
                Weighted::Conv(m) => m.forward(&q),
                Weighted::ConvReLU(m) => m.forward(&q),
            })
        }
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
    /// layers do (a quantized layer given an f32 tensor: a `QuantStub` missing).
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
/// its activation observer; a residual block's `FloatFunctional` becomes a `QFunctional`
/// (`quantized::add_relu`); `DeQuantStub` becomes `DeQuantize`; `ReLU`, pooling and
/// `Flatten` run quantized on quantized values; layers whose qconfig is `None` (and
/// unfused batch norms) stay f32, dequantizing a quantized input (see the module docs).
///
/// An observer that saw no data gives PyTorch's defaults (scale 1, zero point 0) with its
/// warning.
pub fn convert(prepared: &PreparedModel) -> QuantizedModel {
    QuantizedModel {
        root: convert_node(&prepared.root),
    }
}
