//! `torch.ao.quantization.fuse_modules`: `Conv2d + BatchNorm2d (+ ReLU)`, `Conv2d + ReLU`
//! and `Linear + ReLU` become one module, the batch norm folded into the convolution's
//! weight and bias with PyTorch's `fuse_conv_bn_weights` arithmetic.

use super::modules::{ConvReLU2d, LinearReLU};
use super::tree::Layer;
use tessera_core::{DType, Tensor};
use tessera_nn::{BatchNorm2d, Conv2d, Identity, Module, Sequential, Slot};

/// PyTorch's `fuse_conv_bn_weights` in f32: with `r = 1 / sqrt(running_var + eps)` (eps
/// rounded to f32), `w' = w * (gamma * r)` per output channel and
/// `b' = ((b - running_mean) * r) * gamma + beta` (`b = 0`, `gamma = 1`, `beta = 0` when
/// absent), each operation rounded to f32 as PyTorch's tensor ops round it.
///
/// # Panics
/// If the tensors are not f32 or their channel counts differ.
pub fn fuse_conv_bn_weights(
    conv_w: &Tensor,
    conv_b: Option<&Tensor>,
    running_mean: &Tensor,
    running_var: &Tensor,
    eps: f64,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
) -> (Tensor, Tensor) {
    let c = conv_w.shape()[0];
    let get = |t: Option<&Tensor>, default: f32, what: &str| -> Vec<f32> {
        match t {
            Some(t) => {
                assert!(
                    t.dtype() == DType::F32 && t.numel() == c,
                    "fuse_conv_bn_weights: {what} must be f32 with {c} values, got {} {:?}",
                    t.dtype(),
                    t.shape()
                );
                t.to_vec()
            }
            None => vec![default; c],
        }
    };
    let rm = get(Some(running_mean), 0.0, "running_mean");
    let rv = get(Some(running_var), 0.0, "running_var");
    let g = get(gamma, 1.0, "weight");
    let bt = get(beta, 0.0, "bias");
    let b = get(conv_b, 0.0, "conv bias");
    let r: Vec<f32> = rv
        .iter()
        .map(|&v| 1.0f32 / (v + eps as f32).sqrt())
        .collect();
    let per = conv_w.numel() / c.max(1);
    let w: Vec<f32> = conv_w.to_vec();
    let fw: Vec<f32> = w
        .iter()
        .enumerate()
        .map(|(i, &x)| x * (g[i / per] * r[i / per]))
        .collect();
    let fb: Vec<f32> = (0..c)
        .map(|o| ((b[o] - rm[o]) * r[o]) * g[o] + bt[o])
        .collect();
    (
        Tensor::from_vec(fw, conv_w.shape()),
        Tensor::from_vec(fb, &[c]),
    )
}

fn fold(conv: &Conv2d, bn: &BatchNorm2d) -> Conv2d {
    assert!(
        !bn.is_training(),
        "fuse_modules: Fusion only for eval! (call .eval() on the model first)"
    );
    let get = |s: &Option<Slot>| s.as_ref().map(Slot::get);
    let (rm, rv) = (get(&bn.running_mean), get(&bn.running_var));
    let (rm, rv) = (
        rm.expect("fuse_modules: the BatchNorm2d must track running stats"),
        rv.expect("fuse_modules: the BatchNorm2d must track running stats"),
    );
    let (w, b) = fuse_conv_bn_weights(
        &conv.weight.get(),
        get(&conv.bias).as_ref(),
        &rm,
        &rv,
        bn.eps,
        get(&bn.weight).as_ref(),
        get(&bn.bias).as_ref(),
    );
    Conv2d {
        weight: Slot::parameter(w),
        bias: Some(Slot::parameter(b)),
        options: conv.options,
    }
}

/// The layer at the dotted `path` of `root`.
fn at<'a>(root: &'a mut Layer, path: &str) -> &'a mut Layer {
    let mut node = root;
    for part in path.split('.') {
        let children: Vec<&mut (String, Layer)> = match node {
            Layer::Seq(children) => children.iter_mut().collect(),
            Layer::Residual { main, shortcut, .. } => main
                .iter_mut()
                .chain(shortcut.iter_mut().map(|b| &mut **b))
                .collect(),
            _ => panic!("fuse_modules: no module named {path:?}"),
        };
        node = &mut children
            .into_iter()
            .find(|(n, _)| n == part)
            .unwrap_or_else(|| panic!("fuse_modules: no module named {path:?}"))
            .1;
    }
    node
}

fn kind(l: &Layer) -> &'static str {
    match l {
        Layer::Conv(_) => "Conv2d",
        Layer::BatchNorm(_) => "BatchNorm2d",
        Layer::ReLU => "ReLU",
        Layer::Linear(_) => "Linear",
        _ => "other",
    }
}

/// The fused layer of a group (`layers` in the group's order, named by `group`).
fn fuse_layers(op: &str, group: &[&str], layers: Vec<Layer>) -> Layer {
    let kinds: Vec<&'static str> = layers.iter().map(kind).collect();
    let mut it = layers.into_iter();
    let (first, second) = (it.next(), it.next());
    match (kinds.as_slice(), first, second) {
        (["Conv2d", "BatchNorm2d"], Some(Layer::Conv(c)), Some(Layer::BatchNorm(b))) => {
            Layer::Conv(fold(&c, &b))
        }
        (["Conv2d", "BatchNorm2d", "ReLU"], Some(Layer::Conv(c)), Some(Layer::BatchNorm(b))) => {
            Layer::ConvReLU(ConvReLU2d::new(fold(&c, &b)))
        }
        (["Conv2d", "ReLU"], Some(Layer::Conv(c)), _) => Layer::ConvReLU(ConvReLU2d::new(c)),
        (["Linear", "ReLU"], Some(Layer::Linear(l)), _) => Layer::LinearReLU(LinearReLU::new(l)),
        _ => panic!(
            "{op}: cannot fuse {group:?} of types {kinds:?} (supported: Conv2d+BatchNorm2d, \
             Conv2d+BatchNorm2d+ReLU, Conv2d+ReLU, Linear+ReLU)"
        ),
    }
}

/// Fuses one group of sibling modules given by `(name, module)`: the fused module in the
/// first one's place and `Identity` in the others' (what `fuse_modules` does to a group),
/// for models that put the results back into their own fields
/// ([`QuantizableResNet::fuse_model`](crate::models::QuantizableResNet::fuse_model)).
///
/// # Panics
/// As [`fuse_modules`].
pub(crate) fn fuse_group(op: &str, group: &[(&str, &dyn Module)]) -> Vec<Box<dyn Module>> {
    let names: Vec<&str> = group.iter().map(|g| g.0).collect();
    let layers = group.iter().map(|(n, m)| Layer::of(op, n, *m)).collect();
    let mut out = vec![fuse_layers(op, &names, layers).into_module()];
    out.extend((1..group.len()).map(|_| Box::new(Identity) as Box<dyn Module>));
    out
}

/// `torch.ao.quantization.fuse_modules(model, modules_to_fuse)` (eval mode): each group of
/// dotted names — `[conv, bn]`, `[conv, bn, relu]`, `[conv, relu]` or `[linear, relu]` —
/// becomes one module in the first name's place (the batch norm folded into the
/// convolution by [`fuse_conv_bn_weights`]) and `Identity` in the others', as in PyTorch.
/// Returns a new model (a `Sequential` tree) sharing the unfused parameters with `model`.
/// (A [`QuantizableResNet`](crate::models::QuantizableResNet) fuses with its own
/// `fuse_model`.)
///
/// # Panics
/// On an unknown name, a group of other types, a batch norm in training mode ("Fusion
/// only for eval!"), a model that is not a `Sequential`, or a module the eager flow does
/// not support.
pub fn fuse_modules(model: &dyn Module, groups: &[&[&str]]) -> Sequential {
    let op = "fuse_modules";
    assert!(
        model.as_any().is_some_and(|a| a.is::<Sequential>()),
        "{op}: the model must be a Sequential tree, got {}",
        model.type_name()
    );
    let mut root = Layer::of(op, "", model);
    for group in groups {
        let layers = group
            .iter()
            .map(|p| std::mem::replace(at(&mut root, p), Layer::Identity))
            .collect();
        *at(&mut root, group[0]) = fuse_layers(op, group, layers);
    }
    match root {
        Layer::Seq(children) => {
            let mut s = Sequential::new();
            for (_, c) in children {
                s.push(c.into_module());
            }
            s
        }
        _ => unreachable!("checked above"),
    }
}
