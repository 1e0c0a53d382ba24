//! The eager flow (fuse_modules, prepare, calibration, convert) on the CNN of
//! tests/data/qmodules.json against PyTorch's own flow on the same float weights and
//! calibration batches (scripts/make_qkern_data.py).
//!
//! What is exact and what is not: the input's qparams (observed on the same f32 data) and
//! every quantized weight (batch norm folded with PyTorch's f32 arithmetic, per-channel
//! observer) equal PyTorch's bit for bit. The output qparams of the inner layers come from
//! observing tessera's f32 convolutions, whose sums round differently from PyTorch's, so
//! they are compared to a relative 1e-3 and the outputs to one quantization step.

mod common;
use common::{ftensor, load};
use serde_json::Value;
use tessera_core::{DType, Tensor};
use tessera_nn::functional::{ConvOptions, PoolOptions};
use tessera_nn::{
    AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential,
    Slot,
};
use tessera_quantization::{
    convert, fuse_modules, get_default_qconfig, prepare, quantize_per_channel, DeQuantStub,
    QConfigMapping, QDType, QuantStub,
};

/// PyTorch's SmallCnn as a Sequential, with its float state.
fn float_model(state: &Value) -> Sequential {
    let p = |k: &str| Slot::parameter(ftensor(&state[k]));
    let pad = ConvOptions::default().padding(1);
    let mut bn = BatchNorm2d::new(8);
    bn.weight = Some(p("bn1.weight"));
    bn.bias = Some(p("bn1.bias"));
    bn.running_mean = Some(Slot::new(ftensor(&state["bn1.running_mean"])));
    bn.running_var = Some(Slot::new(ftensor(&state["bn1.running_var"])));
    let model = Sequential::new()
        .append(QuantStub)
        .append(Conv2d {
            weight: p("conv1.weight"),
            bias: Some(p("conv1.bias")),
            options: pad,
        })
        .append(bn)
        .append(ReLU)
        .append(MaxPool2d {
            options: PoolOptions::new(2),
        })
        .append(Conv2d {
            weight: p("conv2.weight"),
            bias: Some(p("conv2.bias")),
            options: pad,
        })
        .append(ReLU)
        .append(AdaptiveAvgPool2d {
            output_size: (2, 2),
        })
        .append(Flatten::default())
        .append(Linear {
            weight: p("fc1.weight"),
            bias: Some(p("fc1.bias")),
        })
        .append(ReLU)
        .append(Linear {
            weight: p("fc2.weight"),
            bias: Some(p("fc2.bias")),
        })
        .append(DeQuantStub);
    model.eval();
    model
}

#[test]
fn fuse_prepare_calibrate_convert_matches_pytorch() {
    let d = load("qmodules.json");
    let c = &d["cnn"];
    let model = float_model(&c["float_state"]);
    let fused = fuse_modules(&model, &[&["1", "2", "3"], &["5", "6"], &["9", "10"]]);
    // The fused model's f32 output: the folded conv differs from conv + bn by rounding only.
    let x = ftensor(&c["x"]);
    let (a, b): (Vec<f32>, Vec<f32>) = (model.forward(&x).to_vec(), fused.forward(&x).to_vec());
    assert!(a
        .iter()
        .zip(&b)
        .all(|(p, q)| (p - q).abs() <= 1e-4 * (1.0 + p.abs())));

    let mapping = QConfigMapping::new().set_global(Some(get_default_qconfig("fbgemm")));
    let prepared = prepare(&fused, &mapping, std::slice::from_ref(&x));
    for batch in c["calib"].as_array().unwrap() {
        prepared.forward(&ftensor(batch));
    }
    let q = convert(&prepared);
    let y = q.forward(&x);
    let want = ftensor(&c["y"]);
    assert_eq!(y.shape(), want.shape());
    // One output step of fc2, from PyTorch's scale.
    let step = c["modules"]["fc2"]["scale"].as_f64().unwrap() as f32;
    let (got, want): (Vec<f32>, Vec<f32>) = (y.to_vec(), want.to_vec());
    let worst = got
        .iter()
        .zip(&want)
        .map(|(p, q)| (p - q).abs())
        .fold(0f32, f32::max);
    assert!(
        worst <= 1.01 * step,
        "worst difference {worst} > one step {step}"
    );
    let same = got.iter().zip(&want).filter(|(p, q)| p == q).count();
    assert!(
        same * 10 >= got.len() * 9,
        "only {same} of {} outputs equal",
        got.len()
    );
}

#[test]
fn observed_qparams_and_folded_weights_equal_pytorch() {
    let d = load("qmodules.json");
    let c = &d["cnn"];
    let model = float_model(&c["float_state"]);
    let fused = fuse_modules(&model, &[&["1", "2", "3"], &["5", "6"], &["9", "10"]]);
    let mapping = QConfigMapping::new().set_global(Some(get_default_qconfig("fbgemm")));
    let prepared = prepare(&fused, &mapping, &[]);
    assert!(prepared.qconfigs().iter().all(|(_, q)| *q));
    for batch in c["calib"].as_array().unwrap() {
        prepared.forward(&ftensor(batch));
    }
    let qp = prepared.activation_qparams();
    let names: Vec<&str> = qp.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["0", "1", "5", "9", "11"]);
    // The QuantStub observed the same f32 data as PyTorch's: equal qparams.
    assert_eq!(qp[0].1, c["quant"]["scale"].as_f64().unwrap());
    assert_eq!(qp[0].2, c["quant"]["zero_point"].as_i64().unwrap());
    // The layers after it observed tessera's f32 outputs: close qparams.
    for ((_, s, _), m) in qp[1..].iter().zip(["conv1", "conv2", "fc1", "fc2"]) {
        let want = c["modules"][m]["scale"].as_f64().unwrap();
        assert!(
            (s - want).abs() <= 1e-3 * want,
            "{m}: scale {s} vs PyTorch's {want}"
        );
    }
    // The folded conv1 weight, quantized per channel, equals PyTorch's bit for bit.
    let w = fused.get(1).named_parameters()[0].1.clone();
    let obs = get_default_qconfig("fbgemm").weight.build();
    obs.forward(&w);
    let (s, z) = obs.calculate_qparams();
    let qw = quantize_per_channel(&w, &s, &z, 0, QDType::QInt8);
    let ints = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect()
    };
    let got: Vec<i64> = qw.int_repr().to_dtype(DType::I64).to_vec();
    assert_eq!(
        got,
        ints(&c["modules"]["conv1"]["w"]["values"]),
        "conv1 weight"
    );
    let want_scales: Vec<f64> = c["modules"]["conv1"]["w"]["scales"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let got_scales: Vec<f64> = s.to_vec::<f32>().iter().map(|&v| v as f64).collect();
    assert_eq!(got_scales, want_scales, "conv1 weight scales");
}

#[test]
#[should_panic(expected = "Fusion only for eval")]
fn fusing_a_training_batch_norm_panics() {
    let d = load("qmodules.json");
    let model = float_model(&d["cnn"]["float_state"]);
    model.train(true);
    fuse_modules(&model, &[&["1", "2", "3"]]);
}

#[test]
#[should_panic(expected = "cannot fuse")]
fn fusing_other_types_panics() {
    let d = load("qmodules.json");
    let model = float_model(&d["cnn"]["float_state"]);
    fuse_modules(&model, &[&["3", "4"]]);
}

#[test]
fn a_layer_mapped_to_none_stays_f32_between_stubs() {
    // QuantStub, Linear, DeQuantStub, Linear (f32 by set_module_name), with the f32 layer
    // after the DeQuantStub: the converted model runs it in f32.
    let model = Sequential::new()
        .append(QuantStub)
        .append(Linear::new(4, 3, true))
        .append(DeQuantStub)
        .append(Linear::new(3, 2, true));
    let mapping = QConfigMapping::new()
        .set_global(Some(get_default_qconfig("fbgemm")))
        .set_module_name("3", None);
    let prepared = prepare(&model, &mapping, &[]);
    assert_eq!(
        prepared.qconfigs(),
        [
            ("0".to_string(), true),
            ("1".into(), true),
            ("2".into(), true),
            ("3".into(), false)
        ]
    );
    let x = Tensor::randn(&[5, 4]);
    prepared.forward(&x);
    let q = convert(&prepared);
    let y = q.forward(&x);
    assert_eq!(y.shape(), &[5, 2]);
    let f = model.forward(&x);
    let (a, b): (Vec<f32>, Vec<f32>) = (y.to_vec(), f.to_vec());
    assert!(
        a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 0.1),
        "{a:?} vs {b:?}"
    );
}
