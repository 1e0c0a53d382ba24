//! The module system: names, modes, dtype conversion, `state_dict` and
//! `load_state_dict`'s errors and strict / non-strict behaviour.

use tessera_core::{DType, StateDict, Tensor};
use tessera_nn::functional::{ConvOptions, PoolOptions};
use tessera_nn::{
    BatchNorm2d, Conv2d, Dropout, Embedding, GroupNorm, LayerNorm, Linear, MaxPool2d, Module,
    ModuleDict, ModuleList, ReLU, Sequential,
};

fn net() -> Sequential {
    Sequential::new()
        .append(Conv2d::new(
            3,
            4,
            3,
            ConvOptions::default().padding(1),
            false,
        ))
        .append(BatchNorm2d::new(4))
        .append(ReLU)
        .append(
            Sequential::new()
                .append(MaxPool2d {
                    options: PoolOptions::new(2),
                })
                .append(Dropout::new(0.5)),
        )
}

#[test]
fn names_are_pytorchs_dotted_names() {
    let n = net();
    let keys: Vec<String> = n.state_dict().keys().map(String::from).collect();
    assert_eq!(
        keys,
        [
            "0.weight",
            "1.weight",
            "1.bias",
            "1.running_mean",
            "1.running_var",
            "1.num_batches_tracked"
        ]
    );
    let params: Vec<String> = n.named_parameters().into_iter().map(|(k, _)| k).collect();
    assert_eq!(params, ["0.weight", "1.weight", "1.bias"]);
    let buffers: Vec<String> = n.named_buffers().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        buffers,
        ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    );
    let modules: Vec<String> = n.named_modules().into_iter().map(|(k, _)| k).collect();
    assert_eq!(modules, ["", "0", "1", "2", "3", "3.0", "3.1"]);
    assert_eq!(n.named_children().len(), 4);
    assert_eq!(n.state_dict()["1.num_batches_tracked"].dtype(), DType::I64);
    // Parameters are leaves that require grad; buffers do not.
    assert!(n
        .parameters()
        .iter()
        .all(|p| p.requires_grad() && p.is_leaf()));
    assert!(!n.named_buffers()[0].1.requires_grad());
}

#[test]
fn train_eval_reach_every_descendant() {
    let n = net();
    assert!(n.is_training());
    n.eval();
    let flagged = |n: &Sequential| -> Vec<bool> {
        n.named_modules()
            .iter()
            .filter(|(_, m)| m.train_flag().is_some())
            .map(|(_, m)| m.is_training())
            .collect()
    };
    // The sequences, the batch norm and the dropout carry a mode.
    assert_eq!(flagged(&n), [false; 4]);
    n.train(true);
    assert_eq!(flagged(&n), [true; 4]);
}

#[test]
fn batch_norm_module_updates_buffers_in_training_only() {
    let bn = BatchNorm2d::new(2);
    let x = Tensor::randn(&[4, 2, 3, 3]) * 2.0 + 1.0;
    bn.forward(&x);
    let sd = bn.state_dict();
    assert_eq!(sd["num_batches_tracked"].item::<i64>(), 1);
    let rm = sd["running_mean"].to_vec::<f32>();
    assert!(rm.iter().all(|&v| v != 0.0));
    bn.eval();
    let y = bn.forward(&x);
    assert_eq!(bn.state_dict()["num_batches_tracked"].item::<i64>(), 1);
    assert_eq!(bn.state_dict()["running_mean"].to_vec::<f32>(), rm);
    assert_eq!(y.shape(), x.shape());
}

#[test]
fn batch_norm_cumulative_average_without_momentum() {
    let bn = BatchNorm2d::with_options(1, 1e-5, None, true, true);
    let a = Tensor::full(&[2, 1, 1, 1], 2.0);
    let b = Tensor::full(&[2, 1, 1, 1], 4.0);
    bn.forward(&a);
    bn.forward(&b);
    // cumulative average of the batch means: (2 + 4) / 2
    assert_eq!(bn.state_dict()["running_mean"].to_vec::<f32>(), vec![3.0]);
}

#[test]
fn state_dict_round_trip_between_two_models() {
    let (a, b) = (net(), net());
    a.forward(&Tensor::randn(&[2, 3, 4, 4]));
    let report = b.load_state_dict(&a.state_dict(), true).unwrap();
    assert!(report.missing_keys.is_empty() && report.unexpected_keys.is_empty());
    for ((ka, ta), (kb, tb)) in a.state_dict().iter().zip(b.state_dict().iter()) {
        assert_eq!(ka, kb);
        assert_eq!(
            ta.to_dtype(DType::F64).to_vec::<f64>(),
            tb.to_dtype(DType::F64).to_vec::<f64>(),
            "{ka}"
        );
        assert!(!ta.shares_storage(tb), "{ka}: loading copies values");
    }
}

#[test]
fn load_state_dict_reports_like_pytorch_and_changes_nothing_on_error() {
    let m = Linear::new(3, 2, true);
    let before: Vec<Vec<f32>> = m.parameters().iter().map(|p| p.to_vec::<f32>()).collect();
    let mut sd = StateDict::new();
    sd.insert("weight", Tensor::zeros(&[2, 3]));
    sd.insert("extra", Tensor::zeros(&[1]));
    let err = m.load_state_dict(&sd, true).unwrap_err().to_string();
    assert_eq!(
        err,
        "Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: \"bias\". \n\tUnexpected key(s) in state_dict: \"extra\". "
    );
    let after: Vec<Vec<f32>> = m.parameters().iter().map(|p| p.to_vec::<f32>()).collect();
    assert_eq!(before, after, "a failed load changes nothing");

    // Non-strict: loads what matches and reports the rest.
    let report = m.load_state_dict(&sd, false).unwrap();
    assert_eq!(report.missing_keys, ["bias"]);
    assert_eq!(report.unexpected_keys, ["extra"]);
    assert_eq!(m.weight.get().to_vec::<f32>(), vec![0.0; 6]);

    // A shape mismatch is an error even when not strict, and nothing is copied.
    let mut bad = StateDict::new();
    bad.insert("weight", Tensor::ones(&[3, 3]));
    bad.insert("bias", Tensor::ones(&[2]));
    let err = m.load_state_dict(&bad, false).unwrap_err().to_string();
    assert!(err.contains("size mismatch for weight: copying a param with shape torch.Size([3, 3]) from checkpoint, the shape in current model is torch.Size([2, 3])."), "{err}");
    assert_ne!(
        m.bias.as_ref().unwrap().get().to_vec::<f32>(),
        vec![1.0, 1.0]
    );
}

#[test]
fn load_casts_to_the_parameter_dtype() {
    let m = Linear::new(2, 1, false);
    let mut sd = StateDict::new();
    sd.insert("weight", Tensor::from_vec(vec![1.5f64, -2.0], &[1, 2]));
    m.load_state_dict(&sd, true).unwrap();
    assert_eq!(m.weight.get().dtype(), DType::F32);
    assert_eq!(m.weight.get().to_vec::<f32>(), vec![1.5, -2.0]);
}

#[test]
fn to_dtype_converts_floats_and_keeps_integer_buffers() {
    let n = net();
    n.to_dtype(DType::F64);
    for (k, t) in n.state_dict().iter() {
        if k.ends_with("num_batches_tracked") {
            assert_eq!(t.dtype(), DType::I64);
        } else {
            assert_eq!(t.dtype(), DType::F64, "{k}");
        }
    }
    assert!(n.parameters().iter().all(|p| p.requires_grad()));
    let y = n.forward(&Tensor::randn(&[1, 3, 4, 4]).to_dtype(DType::F64));
    assert_eq!(y.dtype(), DType::F64);
}

#[test]
fn zero_grad_requires_grad_and_apply() {
    let m = Linear::new(2, 2, true);
    m.forward(&Tensor::ones(&[1, 2])).sum().backward();
    assert!(m.parameters().iter().all(|p| p.grad().is_some()));
    m.zero_grad();
    assert!(m.parameters().iter().all(|p| p.grad().is_none()));
    m.requires_grad_(false);
    assert!(m.parameters().iter().all(|p| !p.requires_grad()));
    let n = net();
    let mut seen = vec![];
    n.apply(&mut |name, module| seen.push(format!("{name}:{}", module.type_name())));
    assert_eq!(seen.last().unwrap(), ":Sequential");
    assert!(seen.contains(&"1:BatchNorm2d".to_string()));
}

#[test]
fn module_list_and_dict_name_their_children() {
    let l = ModuleList::new()
        .append(Linear::new(1, 1, true))
        .append(Linear::new(1, 1, false));
    let keys: Vec<String> = l.state_dict().keys().map(String::from).collect();
    assert_eq!(keys, ["0.weight", "0.bias", "1.weight"]);
    assert_eq!(l.iter().count(), 2);
    let d = ModuleDict::new()
        .insert("emb", Embedding::new(10, 3, Some(0)))
        .insert("norm", LayerNorm::new(&[3]))
        .insert("gn", GroupNorm::new(1, 3));
    let keys: Vec<String> = d.state_dict().keys().map(String::from).collect();
    assert_eq!(
        keys,
        [
            "emb.weight",
            "norm.weight",
            "norm.bias",
            "gn.weight",
            "gn.bias"
        ]
    );
    assert!(d.get("emb").is_some() && d.get("x").is_none());
    let e = d.state_dict()["emb.weight"].clone();
    assert_eq!(e.narrow(0, 0, 1).to_vec::<f32>(), vec![0.0; 3]);
}

#[test]
#[should_panic(expected = "ModuleList: has no forward")]
fn module_list_has_no_forward() {
    ModuleList::new().forward(&Tensor::ones(&[1]));
}

#[test]
fn default_init_bounds_are_pytorchs() {
    let l = Linear::new(100, 50, true);
    let bound = 1.0 / 10.0;
    for p in l.parameters() {
        let v = p.to_vec::<f32>();
        assert!(v.iter().all(|x| x.abs() <= bound));
        // spread over the range (not all tiny)
        assert!(v.iter().any(|x| x.abs() > 0.8 * bound));
    }
    let c = Conv2d::new(4, 8, 3, ConvOptions::default(), true);
    let bound = 1.0 / 36f32.sqrt();
    assert!(c
        .weight
        .get()
        .to_vec::<f32>()
        .iter()
        .all(|x| x.abs() <= bound));
}

#[test]
fn init_functions_have_pytorchs_bounds_and_spreads() {
    use tessera_nn::init::{self, Fan, Nonlinearity};
    let t = Tensor::zeros(&[256, 128, 3, 3]);
    // kaiming_normal_(fan_out, relu): std = sqrt(2 / (256 * 9))
    init::kaiming_normal_(&t, Fan::Out, Nonlinearity::Relu);
    let v = t.to_vec::<f32>();
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let std = (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
    let want = (2.0f64 / (256.0 * 9.0)).sqrt();
    assert!(
        mean.abs() < 0.01 * want * 10.0 && (std / want - 1.0).abs() < 0.01,
        "std {std}, want {want}"
    );
    // xavier_uniform_: bound = gain * sqrt(6 / (fan_in + fan_out))
    init::xavier_uniform_(&t, 2.0);
    let bound = 2.0 * (6.0f64 / (128.0 * 9.0 + 256.0 * 9.0)).sqrt();
    let m = t.abs().max().item::<f32>() as f64;
    assert!(m <= bound && m > 0.99 * bound, "max {m}, bound {bound}");
    // kaiming_uniform_(a = sqrt(5)) gives 1 / sqrt(fan_in)
    init::kaiming_uniform_(&t, Fan::In, Nonlinearity::LeakyRelu(5f64.sqrt()));
    let m = t.abs().max().item::<f32>() as f64;
    let bound = 1.0 / (128.0f64 * 9.0).sqrt();
    assert!(
        m <= bound * (1.0 + 1e-6) && m > 0.99 * bound,
        "max {m}, bound {bound}"
    );
    init::zeros_(&t);
    assert_eq!(t.abs().max().item::<f32>(), 0.0);
    init::ones_(&t);
    assert_eq!(t.min().item::<f32>(), 1.0);
    assert_eq!(init::calculate_gain(Nonlinearity::Tanh), 5.0 / 3.0);
    assert_eq!(init::fan_in_and_fan_out(&t), (128 * 9, 256 * 9));
}

#[test]
#[should_panic(
    expected = "fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
)]
fn kaiming_on_a_vector_panics() {
    tessera_nn::init::kaiming_uniform_(
        &Tensor::zeros(&[3]),
        tessera_nn::init::Fan::In,
        tessera_nn::init::Nonlinearity::Relu,
    );
}

/// A user module that registers a child, then a buffer, then a parameter.
struct Custom {
    head: Linear,
    scale: tessera_nn::Slot,
    bias: tessera_nn::Slot,
}

impl Module for Custom {
    fn forward(&self, x: &Tensor) -> Tensor {
        &self.head.forward(x) * &self.scale.get() + &self.bias.get()
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(tessera_nn::Member<'a>)) {
        f(tessera_nn::Member::Child("head", &self.head));
        f(tessera_nn::Member::Buffer("scale", &self.scale, true));
        f(tessera_nn::Member::Parameter("bias", &self.bias));
    }
    fn as_dyn(&self) -> &dyn Module {
        self
    }
}

#[test]
fn state_dict_lists_own_parameters_then_buffers_then_children_as_pytorch() {
    let m = Custom {
        head: Linear::new(2, 2, true),
        scale: tessera_nn::Slot::new(Tensor::ones(&[2])),
        bias: tessera_nn::Slot::parameter(Tensor::zeros(&[2])),
    };
    let keys: Vec<String> = m.state_dict().keys().map(String::from).collect();
    assert_eq!(keys, ["bias", "scale", "head.weight", "head.bias"]);
    let params: Vec<String> = m.named_parameters().into_iter().map(|(k, _)| k).collect();
    assert_eq!(params, ["bias", "head.weight", "head.bias"]);
    assert_eq!(m.type_name(), "Custom");
    assert_eq!(m.forward(&Tensor::ones(&[3, 2])).shape(), &[3, 2]);
}
