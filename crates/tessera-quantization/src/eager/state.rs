//! A converted model's state dict with PyTorch's keys and values
//! ([`QuantizedModel::state_dict`], [`QuantizedModel::load_state_dict`]), written and read
//! as `.pth` through tessera-io (quantized tensors as `torch._utils._rebuild_qtensor`).
//!
//! What each module contributes, as `torch.ao.nn.quantized` writes it:
//! - `Quantize` (a converted `QuantStub`): `scale` (f32, shape `[1]`), `zero_point` (i64,
//!   shape `[1]`);
//! - `Conv2d`, `ConvReLU2d`: `weight` (the `qint8` weight, per channel or per tensor),
//!   `bias` (f32 or `None`), `scale` (0-d f32), `zero_point` (0-d i64);
//! - `Linear`, `LinearReLU`: `scale`, `zero_point`, `_packed_params.dtype` (`torch.qint8`)
//!   and `_packed_params._packed_params` (the tuple `(weight, bias)`);
//! - `QFunctional` (a residual add): `scale`, `zero_point`;
//! - a layer left in f32: its float parameters and buffers.

use super::convert::{QNode, QuantizedModel, Weighted};
use super::tree::Layer;
use crate::nn::quantized::{Conv2d, ConvReLU2d, Linear, LinearReLU, QFunctional, Quantize};
use crate::QTensor;
use tessera_core::{DType, Error, Result, StateDict, Tensor};
use tessera_io::{Dict, Value};
use tessera_nn::Module;

fn put(d: &mut Dict, key: String, v: Value) {
    d.insert(Value::Str(key), v);
}

fn put_qparams(d: &mut Dict, name: &str, scale: f64, zero_point: i64, shape: &[usize]) {
    put(
        d,
        format!("{name}.scale"),
        Value::Tensor(Tensor::from_vec(vec![scale as f32], shape)),
    );
    put(
        d,
        format!("{name}.zero_point"),
        Value::Tensor(Tensor::from_vec(vec![zero_point], shape)),
    );
}

fn opt_tensor(t: Option<&Tensor>) -> Value {
    t.map_or(Value::None, |t| Value::Tensor(t.clone()))
}

/// The f32 module of a layer left in f32 (parameters shared with the converted model).
fn float_module(layer: &Layer) -> Box<dyn Module> {
    super::convert::copy(layer).into_module()
}

/// Calls `f` on every leaf and residual add of the tree, in forward order.
fn each(n: &QNode, f: &mut dyn FnMut(&QNode)) {
    match n {
        QNode::Seq(c) => c.iter().for_each(|c| each(c, f)),
        QNode::Residual { main, shortcut, .. } => {
            main.iter().for_each(|c| each(c, f));
            if let Some(s) = shortcut {
                each(s, f);
            }
            f(n);
        }
        _ => f(n),
    }
}

fn each_mut(n: &mut QNode, f: &mut dyn FnMut(&mut QNode) -> Result<()>) -> Result<()> {
    match n {
        QNode::Seq(c) => c.iter_mut().try_for_each(|c| each_mut(c, f)),
        QNode::Residual { main, shortcut, .. } => {
            main.iter_mut().try_for_each(|c| each_mut(c, f))?;
            if let Some(s) = shortcut {
                each_mut(s, f)?;
            }
            f(n)
        }
        _ => f(n),
    }
}

fn write_node(n: &QNode, d: &mut Dict) {
    match n {
        QNode::Quantize { name, m } => put_qparams(d, name, m.scale, m.zero_point, &[1]),
        QNode::Residual {
            name, add: Some(f), ..
        } => put_qparams(d, name, f.scale, f.zero_point, &[]),
        QNode::Weighted { name, m } => {
            let (packed_conv, packed_lin, scale, zp) = match m {
                Weighted::Conv(c) => (Some(&c.packed), None, c.scale, c.zero_point),
                Weighted::ConvReLU(c) => (Some(&c.packed), None, c.scale, c.zero_point),
                Weighted::Linear(l) => (None, Some(&l.packed), l.scale, l.zero_point),
                Weighted::LinearReLU(l) => (None, Some(&l.packed), l.scale, l.zero_point),
            };
            if let Some(p) = packed_conv {
                put(d, format!("{name}.weight"), Value::from(p.weight()));
                put(d, format!("{name}.bias"), opt_tensor(p.bias()));
                put_qparams(d, name, scale, zp, &[]);
            }
            if let Some(p) = packed_lin {
                put_qparams(d, name, scale, zp, &[]);
                put(
                    d,
                    format!("{name}._packed_params.dtype"),
                    Value::DType("qint8".into()),
                );
                put(
                    d,
                    format!("{name}._packed_params._packed_params"),
                    Value::Tuple(vec![Value::from(p.weight()), opt_tensor(p.bias())]),
                );
            }
        }
        QNode::Float { name, layer } => {
            let sd = float_module(layer).state_dict();
            for k in sd.keys() {
                put(
                    d,
                    format!("{name}.{k}"),
                    Value::Tensor(sd.get(k).expect("listed key").clone()),
                );
            }
        }
        _ => {}
    }
}

fn err(m: String) -> Error {
    Error::Msg(format!(
        "Error(s) in loading state_dict for QuantizedModel: {m}"
    ))
}

/// The one number in a `scale` / `zero_point` value (a tensor of one element, or a
/// Python number).
fn number(state: &Dict, key: &str) -> Result<f64> {
    match state.get(key) {
        Some(Value::Tensor(t)) if t.numel() == 1 => Ok(t.to_dtype(DType::F64).to_vec::<f64>()[0]),
        Some(Value::Float(f)) => Ok(*f),
        Some(Value::Int(i)) => Ok(*i as f64),
        Some(v) => Err(err(format!(
            "{key:?} should be one number, got a {}",
            v.type_name()
        ))),
        None => Err(err(format!("Missing key(s) in state_dict: {key:?}."))),
    }
}

/// `(scale, zero_point)` under `name`, checked for a `quint8` output.
fn qparams(state: &Dict, name: &str) -> Result<(f64, i64)> {
    let scale = number(state, &format!("{name}.scale"))?;
    let zp = number(state, &format!("{name}.zero_point"))?;
    let f = scale as f32;
    if !(f > 0.0 && f.is_finite() && (1.0 / f).is_finite()) {
        return Err(err(format!(
            "{name}.scale is {scale}, not positive and finite"
        )));
    }
    if zp.fract() != 0.0 || !(0.0..=255.0).contains(&zp) {
        return Err(err(format!(
            "{name}.zero_point is {zp}, out of quint8's range [0, 255]"
        )));
    }
    Ok((f as f64, zp as i64))
}

/// The quantized weight and float bias of `value`, the weight's shape and dtype checked
/// against `like`.
fn weight_bias(
    name: &str,
    value: (&Value, Option<&Value>),
    like: &QTensor,
) -> Result<(QTensor, Option<Tensor>)> {
    let w = QTensor::from_value(value.0).map_err(|e| err(format!("{name}: {e}")))?;
    if w.shape() != like.shape() || w.dtype() != like.dtype() {
        return Err(err(format!(
            "size mismatch for {name}.weight: copying a param with shape {:?} ({}) from \
             checkpoint, the shape in current model is {:?} ({})",
            w.shape(),
            w.dtype(),
            like.shape(),
            like.dtype()
        )));
    }
    let out = like.shape()[0];
    let b = match value.1 {
        None | Some(Value::None) => None,
        Some(Value::Tensor(t)) if t.dtype() == DType::F32 && t.shape() == [out] => Some(t.clone()),
        Some(v) => {
            return Err(err(format!(
                "{name}.bias should be None or an f32 tensor of shape [{out}], got a {}",
                v.type_name()
            )))
        }
    };
    Ok((w, b))
}

fn missing(state: &Dict, keys: &[String]) -> Vec<String> {
    keys.iter()
        .filter(|k| state.get(k).is_none())
        .cloned()
        .collect()
}

fn load_node(n: &mut QNode, state: &Dict) -> Result<()> {
    match n {
        QNode::Quantize { name, m } => {
            let (scale, zero_point) = qparams(state, name)?;
            *m = Quantize { scale, zero_point };
        }
        QNode::Residual {
            name, add: Some(f), ..
        } => {
            let (scale, zero_point) = qparams(state, name)?;
            *f = QFunctional { scale, zero_point };
        }
        QNode::Weighted { name, m } => {
            let (s, z) = qparams(state, name)?;
            let get = |k: &str| {
                state
                    .get(&format!("{name}.{k}"))
                    .ok_or_else(|| err(format!("Missing key(s) in state_dict: \"{name}.{k}\".")))
            };
            match m {
                Weighted::Conv(_) | Weighted::ConvReLU(_) => {
                    let (packed, relu) = match m {
                        Weighted::Conv(c) => (&c.packed, false),
                        Weighted::ConvReLU(c) => (&c.packed, true),
                        _ => unreachable!(),
                    };
                    let wb = (get("weight")?, Some(get("bias")?));
                    let (w, b) = weight_bias(name, wb, packed.weight())?;
                    let o = packed.options();
                    *m = if relu {
                        Weighted::ConvReLU(ConvReLU2d::new(&w, b.as_ref(), o, s, z))
                    } else {
                        Weighted::Conv(Conv2d::new(&w, b.as_ref(), o, s, z))
                    };
                }
                Weighted::Linear(_) | Weighted::LinearReLU(_) => {
                    let (packed, relu) = match m {
                        Weighted::Linear(l) => (&l.packed, false),
                        Weighted::LinearReLU(l) => (&l.packed, true),
                        _ => unreachable!(),
                    };
                    let t = get("_packed_params._packed_params")?;
                    let Value::Tuple(wb) = t else {
                        return Err(err(format!(
                            "{name}._packed_params._packed_params should be a (weight, bias) \
                             tuple, got a {}",
                            t.type_name()
                        )));
                    };
                    if wb.is_empty() || wb.len() > 2 {
                        return Err(err(format!(
                            "{name}._packed_params._packed_params has {} items, not 2",
                            wb.len()
                        )));
                    }
                    match get("_packed_params.dtype")? {
                        Value::DType(d) if d == "qint8" => {}
                        v => {
                            return Err(err(format!(
                                "{name}._packed_params.dtype: only torch.qint8 weights are \
                                 supported, got {v:?}"
                            )))
                        }
                    }
                    let (w, b) = weight_bias(name, (&wb[0], wb.get(1)), packed.weight())?;
                    *m = if relu {
                        Weighted::LinearReLU(LinearReLU::new(&w, b.as_ref(), s, z))
                    } else {
                        Weighted::Linear(Linear::new(&w, b.as_ref(), s, z))
                    };
                }
            }
        }
        QNode::Float { name, layer } => {
            let module = float_module(layer);
            let mut sd = StateDict::new();
            for k in module.state_dict().keys() {
                let key = format!("{name}.{k}");
                match state.get(&key) {
                    Some(Value::Tensor(t)) => {
                        sd.insert(k, t.clone());
                    }
                    Some(v) => {
                        return Err(err(format!(
                            "{key:?} should be a tensor, got a {}",
                            v.type_name()
                        )))
                    }
                    None => {}
                }
            }
            module
                .load_state_dict(&sd, true)
                .map_err(|e| err(format!("{name}: {e}")))?;
        }
        _ => {}
    }
    Ok(())
}

impl QuantizedModel {
    /// The converted model's state (`model.state_dict()` of a model converted by PyTorch's
    /// eager `convert`): the same keys and kinds of values (see the module docs), ready for
    /// `tessera_io::save(Value::Dict(..), path)`. Layers left in f32 contribute their
    /// parameters, which they share with the float model.
    pub fn state_dict(&self) -> Dict {
        let mut d = Dict {
            ordered: true,
            ..Dict::default()
        };
        each(&self.root, &mut |n| write_node(n, &mut d));
        d
    }

    /// Loads a converted model's state (`load_state_dict`): from [`Self::state_dict`] or
    /// from a `.pth` PyTorch wrote with `torch.save(quantized_model.state_dict())`, read
    /// with `tessera_io::load`. The model's structure (which layers are quantized, the
    /// convolutions' options) stays; weights, biases and qparams are replaced. A layer left
    /// in f32 copies the values into its parameters (shared with the float model).
    ///
    /// # Errors
    /// With `strict`, keys the model has that `state` lacks and keys `state` has that the
    /// model lacks, in PyTorch's words (`Missing key(s) in state_dict: ...`); always, a
    /// weight of another shape or dtype, a value of the wrong kind, a scale that is not
    /// positive and finite, or a zero point out of `quint8`'s range. Without `strict`, a
    /// module whose keys are missing keeps its values. Nothing is changed when it fails.
    pub fn load_state_dict(&mut self, state: &Dict, strict: bool) -> Result<()> {
        let own: Vec<String> = self
            .state_dict()
            .items
            .into_iter()
            .filter_map(|(k, _)| match k {
                Value::Str(s) => Some(s),
                _ => None,
            })
            .collect();
        if strict {
            let miss = missing(state, &own);
            let extra: Vec<String> = state
                .items
                .iter()
                .filter_map(|(k, _)| match k {
                    Value::Str(s) if !own.contains(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            let list = |v: &[String]| {
                v.iter()
                    .map(|k| format!("\"{k}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut msgs = vec![];
            if !miss.is_empty() {
                msgs.push(format!("Missing key(s) in state_dict: {}.", list(&miss)));
            }
            if !extra.is_empty() {
                msgs.push(format!(
                    "Unexpected key(s) in state_dict: {}.",
                    list(&extra)
                ));
            }
            if !msgs.is_empty() {
                return Err(err(msgs.join(" ")));
            }
        }
        // Validate first, so that nothing changes on failure: every quantized module is
        // rebuilt from `state` on the side, every f32 layer's shapes are checked; then the
        // rebuilt modules are put in place and the f32 values copied.
        let mut staged: Vec<QNode> = vec![];
        let mut check = Ok(());
        each(&self.root, &mut |n| {
            let keys = keys_of(n);
            if check.is_err() || keys.is_empty() || !missing(state, &keys).is_empty() {
                return;
            }
            check = match n {
                QNode::Float { name, layer } => check_float(name, layer, state),
                _ => {
                    let mut new = shallow(n);
                    let r = load_node(&mut new, state);
                    staged.push(new);
                    r
                }
            };
        });
        check?;
        let mut staged = staged.into_iter();
        each_mut(&mut self.root, &mut |n| {
            let keys = keys_of(n);
            if keys.is_empty() || !missing(state, &keys).is_empty() {
                return Ok(());
            }
            if matches!(n, QNode::Float { .. }) {
                return load_node(n, state);
            }
            let new = staged.next().expect("staged in the same order");
            replace_leaf(n, new);
            Ok(())
        })
    }
}

/// The keys a node writes.
fn keys_of(n: &QNode) -> Vec<String> {
    let mut d = Dict::default();
    write_node(n, &mut d);
    d.items
        .into_iter()
        .filter_map(|(k, _)| match k {
            Value::Str(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// Whether `state`'s values for an f32 layer are tensors of its shapes.
fn check_float(name: &str, layer: &Layer, state: &Dict) -> Result<()> {
    let own = float_module(layer).state_dict();
    for k in own.keys() {
        let key = format!("{name}.{k}");
        let want = own.get(k).expect("listed key").shape();
        match state.get(&key) {
            Some(Value::Tensor(t)) if t.shape() == want => {}
            Some(Value::Tensor(t)) => {
                return Err(err(format!(
                    "size mismatch for {key}: copying a param with shape {:?} from checkpoint, \
                     the shape in current model is {want:?}",
                    t.shape()
                )))
            }
            Some(v) => {
                return Err(err(format!(
                    "{key:?} should be a tensor, got a {}",
                    v.type_name()
                )))
            }
            None => {}
        }
    }
    Ok(())
}

/// A copy of a leaf or residual-add node's quantized module (children not copied).
fn shallow(n: &QNode) -> QNode {
    match n {
        QNode::Quantize { name, m } => QNode::Quantize {
            name: name.clone(),
            m: *m,
        },
        QNode::Residual { name, add, .. } => QNode::Residual {
            main: vec![],
            shortcut: None,
            name: name.clone(),
            add: *add,
        },
        QNode::Weighted { name, m } => QNode::Weighted {
            name: name.clone(),
            m: match m {
                Weighted::Conv(c) => Weighted::Conv(c.clone()),
                Weighted::ConvReLU(c) => Weighted::ConvReLU(c.clone()),
                Weighted::Linear(l) => Weighted::Linear(l.clone()),
                Weighted::LinearReLU(l) => Weighted::LinearReLU(l.clone()),
            },
        },
        _ => QNode::DeQuantize,
    }
}

/// Puts the loaded module of `new` (from [`shallow`]) into `n`, keeping `n`'s children.
fn replace_leaf(n: &mut QNode, new: QNode) {
    match (n, new) {
        (QNode::Residual { add, .. }, QNode::Residual { add: a, .. }) => *add = a,
        (n, new) => *n = new,
    }
}
