//! `prepare`: copies the model's layers and attaches activation observers where the
//! `QConfigMapping` resolves to a qconfig.

use super::tree::Layer;
use crate::observer::Observer;
use crate::{QConfig, QConfigMapping};
use std::collections::HashMap;
use std::sync::Arc;
use tessera_core::autograd::no_grad;
use tessera_core::Tensor;
use tessera_nn::Module;

/// A layer of a prepared model, with its qconfig and activation observer.
pub(crate) enum PNode {
    Seq(Vec<PNode>),
    /// A residual block; `add` is the full name of its `FloatFunctional`, whose qconfig
    /// and output observer these are.
    Residual {
        main: Vec<PNode>,
        shortcut: Option<Box<PNode>>,
        add: String,
        qconfig: Option<QConfig>,
        act: Option<Arc<dyn Observer>>,
    },
    Leaf {
        name: String,
        layer: Box<Layer>,
        qconfig: Option<QConfig>,
        act: Option<Arc<dyn Observer>>,
    },
}

/// The float forward of one layer (no observation).
pub(crate) fn float_forward(layer: &Layer, x: &Tensor) -> Tensor {
    match layer {
        Layer::Seq(children) => children
            .iter()
            .fold(x.clone(), |h, (_, c)| float_forward(c, &h)),
        Layer::Residual { main, shortcut, .. } => {
            let out = main
                .iter()
                .fold(x.clone(), |h, (_, c)| float_forward(c, &h));
            let identity = match shortcut {
                Some(b) => float_forward(&b.1, x),
                None => x.clone(),
            };
            (&out + &identity).relu()
        }
        Layer::Conv(c) => c.forward(x),
        Layer::ConvReLU(c) => c.forward(x),
        Layer::Linear(l) => l.forward(x),
        Layer::LinearReLU(l) => l.forward(x),
        Layer::BatchNorm(b) => b.forward(x),
        Layer::ReLU => x.relu(),
        Layer::MaxPool(p) => p.forward(x),
        Layer::AdaptiveAvgPool(p) => p.forward(x),
        Layer::Flatten(f) => f.forward(x),
        Layer::Identity | Layer::QuantStub | Layer::DeQuantStub => x.clone(),
    }
}

/// Whether a layer's output gets an activation observer (its qparams are needed).
fn observed(layer: &Layer) -> bool {
    matches!(
        layer,
        Layer::QuantStub
            | Layer::Conv(_)
            | Layer::ConvReLU(_)
            | Layer::Linear(_)
            | Layer::LinearReLU(_)
    )
}

fn build(name: &str, layer: Layer, qconfigs: &HashMap<String, Option<QConfig>>) -> PNode {
    let full = |n: String| {
        if name.is_empty() {
            n
        } else {
            format!("{name}.{n}")
        }
    };
    match layer {
        Layer::Seq(children) => PNode::Seq(
            children
                .into_iter()
                .map(|(n, c)| build(&full(n), c, qconfigs))
                .collect(),
        ),
        Layer::Residual {
            main,
            shortcut,
            add,
        } => {
            let add = full(add);
            let qconfig = qconfigs.get(&add).cloned().flatten();
            let act = qconfig.as_ref().map(|q| q.activation.build());
            PNode::Residual {
                main: main
                    .into_iter()
                    .map(|(n, c)| build(&full(n), c, qconfigs))
                    .collect(),
                shortcut: shortcut.map(|b| {
                    let (n, c) = *b;
                    Box::new(build(&full(n), c, qconfigs))
                }),
                add,
                qconfig,
                act,
            }
        }
        layer => {
            let qconfig = qconfigs.get(name).cloned().flatten();
            let act = qconfig
                .as_ref()
                .filter(|_| observed(&layer))
                .map(|q| q.activation.build());
            PNode::Leaf {
                name: name.to_string(),
                layer: Box::new(layer),
                qconfig,
                act,
            }
        }
    }
}

/// A model with observers attached: run calibration batches through
/// [`PreparedModel::forward`], then [`convert`](super::convert) it.
pub struct PreparedModel {
    pub(crate) root: PNode,
}

impl PreparedModel {
    /// The f32 forward pass, recording the output range of every observed layer (no
    /// autograd graph is built).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        fn run(n: &PNode, x: &Tensor) -> Tensor {
            match n {
                PNode::Seq(c) => c.iter().fold(x.clone(), |h, c| run(c, &h)),
                PNode::Residual {
                    main,
                    shortcut,
                    act,
                    ..
                } => {
                    let out = main.iter().fold(x.clone(), |h, c| run(c, &h));
                    let identity = match shortcut {
                        Some(s) => run(s, x),
                        None => x.clone(),
                    };
                    let y = (&out + &identity).relu();
                    match act {
                        Some(o) => o.forward(&y),
                        None => y,
                    }
                }
                PNode::Leaf { layer, act, .. } => {
                    let y = float_forward(layer, x);
                    match act {
                        Some(o) => o.forward(&y),
                        None => y,
                    }
                }
            }
        }
        let _g = no_grad();
        run(&self.root, x)
    }

    /// `(name, scale, zero_point)` that each observed layer's activation observer gives now
    /// (what `convert` will use), in order.
    pub fn activation_qparams(&self) -> Vec<(String, f64, i64)> {
        fn qparams(name: &str, o: &Arc<dyn Observer>) -> (String, f64, i64) {
            let (s, z) = o.calculate_qparams();
            (
                name.to_string(),
                s.to_vec::<f32>()[0] as f64,
                z.to_vec::<i64>()[0],
            )
        }
        fn walk(n: &PNode, out: &mut Vec<(String, f64, i64)>) {
            match n {
                PNode::Seq(c) => c.iter().for_each(|c| walk(c, out)),
                PNode::Residual {
                    main,
                    shortcut,
                    add,
                    act,
                    ..
                } => {
                    main.iter().for_each(|c| walk(c, out));
                    shortcut.iter().for_each(|c| walk(c, out));
                    out.extend(act.iter().map(|o| qparams(add, o)));
                }
                PNode::Leaf {
                    name, act: Some(o), ..
                } => out.push(qparams(name, o)),
                PNode::Leaf { .. } => {}
            }
        }
        let mut out = vec![];
        walk(&self.root, &mut out);
        out
    }

    /// `(name, qconfig attached)` for every layer, in order (`None`: stays f32).
    pub fn qconfigs(&self) -> Vec<(String, bool)> {
        fn walk(n: &PNode, out: &mut Vec<(String, bool)>) {
            match n {
                PNode::Seq(c) => c.iter().for_each(|c| walk(c, out)),
                PNode::Residual {
                    main,
                    shortcut,
                    add,
                    qconfig,
                    ..
                } => {
                    main.iter().for_each(|c| walk(c, out));
                    shortcut.iter().for_each(|c| walk(c, out));
                    out.push((add.clone(), qconfig.is_some()));
                }
                PNode::Leaf { name, qconfig, .. } => out.push((name.clone(), qconfig.is_some())),
            }
        }
        let mut out = vec![];
        walk(&self.root, &mut out);
        out
    }
}

/// `torch.ao.quantization.prepare` with a `QConfigMapping` (post-training, eager mode):
/// copies `model` (a `Sequential` tree or a quantizable model of [`crate::models`];
/// parameters shared) and attaches to `QuantStub`, `Conv2d`, `Linear`, `ConvReLU2d`,
/// `LinearReLU` and `FloatFunctional` (residual add) layers whose qconfig resolves (by the
/// mapping's precedence, with the layers' dotted names and type names) an observer of
/// their output. `example_inputs` are run once through the float model, without
/// observing, to check that it accepts them (as PyTorch's `prepare_fx` traces with them).
///
/// # Panics
/// On a module the eager flow does not support, or if the model rejects the example
/// inputs.
pub fn prepare(
    model: &dyn Module,
    mapping: &QConfigMapping,
    example_inputs: &[Tensor],
) -> PreparedModel {
    let op = "prepare";
    let layer = Layer::of(op, "", model);
    let qconfigs: HashMap<String, Option<QConfig>> =
        mapping.qconfigs_for_model(model).into_iter().collect();
    {
        let _g = no_grad();
        for x in example_inputs {
            float_forward(&layer, x);
        }
    }
    PreparedModel {
        root: build("", layer, &qconfigs),
    }
}
