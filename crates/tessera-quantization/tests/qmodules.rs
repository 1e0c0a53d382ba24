//! Quantized modules and ops against PyTorch's fbgemm engine, bit for bit, on committed
//! data (tests/data/qmodules.json, from scripts/make_qkern_data.py): Linear, LinearReLU,
//! Conv2d, ConvReLU2d (batch dims, zero-size batches, groups, stride, channels-last
//! inputs), relu, add, max_pool2d, adaptive_avg_pool2d (both of PyTorch's paths), and a
//! whole converted CNN run from PyTorch's converted weights and qparams.

mod common;
use common::{f32s, ftensor, i64s, load, shape as usizes};
use serde_json::Value;
use tessera_core::{DType, Tensor};
use tessera_nn::functional::{ConvOptions, PoolOptions};
use tessera_quantization::nn::quantized::{
    functional as F, AdaptiveAvgPool2d, Conv2d, ConvReLU2d, DeQuantize, Linear, LinearReLU,
    MaxPool2d, Quantize,
};
use tessera_quantization::{QDType, QTensor};

/// A quantized tensor from its dump (`values` in logical order); channels-last when
/// PyTorch's was.
fn qtensor(v: &Value, dtype: QDType) -> QTensor {
    let shape = usizes(&v["shape"]);
    let vals = i64s(&v["values"]);
    let mut t = match dtype {
        QDType::QUInt8 => {
            Tensor::from_vec(vals.iter().map(|&x| x as u8).collect::<Vec<_>>(), &shape)
        }
        _ => Tensor::from_vec(vals.iter().map(|&x| x as i8).collect::<Vec<_>>(), &shape),
    };
    if v["channels_last"].as_bool().unwrap_or(false) {
        t = t.permute([0, 2, 3, 1]).contiguous().permute([0, 3, 1, 2]);
    }
    if v.get("scale").is_some() {
        QTensor::from_int_repr_per_tensor(
            t,
            v["scale"].as_f64().unwrap(),
            v["zero_point"].as_i64().unwrap(),
        )
    } else {
        let s: Vec<f64> = v["scales"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let n = s.len();
        QTensor::from_int_repr_per_channel(
            t,
            &Tensor::from_vec(s, &[n]),
            &Tensor::from_vec(i64s(&v["zero_points"]), &[n]),
            0,
        )
    }
}

/// Values, shape and qparams equal PyTorch's (and the layout, when `layout`).
fn assert_same(got: &QTensor, want: &Value, what: &str, layout: bool) {
    assert_eq!(
        got.shape(),
        usizes(&want["shape"]).as_slice(),
        "{what}: shape"
    );
    assert_eq!(
        got.q_scale(),
        want["scale"].as_f64().unwrap(),
        "{what}: scale"
    );
    assert_eq!(
        got.q_zero_point(),
        want["zero_point"].as_i64().unwrap(),
        "{what}: zero point"
    );
    let vals: Vec<i64> = got.int_repr().to_dtype(DType::I64).to_vec();
    let expected = i64s(&want["values"]);
    let bad = vals.iter().zip(&expected).filter(|(a, b)| a != b).count();
    assert_eq!(bad, 0, "{what}: {bad} of {} values differ", vals.len());
    if layout && got.dim() == 4 && got.numel() > 0 {
        let cl =
            !got.values().is_contiguous() && got.values().permute([0, 2, 3, 1]).is_contiguous();
        assert_eq!(
            cl,
            want["channels_last"].as_bool().unwrap(),
            "{what}: channels-last"
        );
    }
}

#[test]
fn linear_and_linear_relu_match_pytorch() {
    for (i, c) in load("qmodules.json")["linear"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let x = qtensor(&c["x"], QDType::QUInt8);
        let w = qtensor(&c["w"], QDType::QInt8);
        let b = Tensor::from_vec(f32s(&c["bias"]), &[w.shape()[0]]);
        let (s, z) = (
            c["scale"].as_f64().unwrap(),
            c["zero_point"].as_i64().unwrap(),
        );
        let y = if c["relu"].as_bool().unwrap() {
            LinearReLU::new(&w, Some(&b), s, z).forward(&x)
        } else {
            Linear::new(&w, Some(&b), s, z).forward(&x)
        };
        assert_same(&y, &c["y"], &format!("linear case {i}"), true);
    }
}

#[test]
fn conv2d_and_conv_relu2d_match_pytorch() {
    for (i, c) in load("qmodules.json")["conv"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let x = qtensor(&c["x"], QDType::QUInt8);
        let w = qtensor(&c["w"], QDType::QInt8);
        let b = Tensor::from_vec(f32s(&c["bias"]), &[w.shape()[0]]);
        let (s, z) = (
            c["scale"].as_f64().unwrap(),
            c["zero_point"].as_i64().unwrap(),
        );
        let st = c["stride"].as_u64().unwrap() as usize;
        let mut o = ConvOptions::default().padding(1);
        o.stride = (st, st);
        o.groups = c["groups"].as_u64().unwrap() as usize;
        let y = if c["relu"].as_bool().unwrap() {
            ConvReLU2d::new(&w, Some(&b), o, s, z).forward(&x)
        } else {
            Conv2d::new(&w, Some(&b), o, s, z).forward(&x)
        };
        assert_same(&y, &c["y"], &format!("conv case {i}"), true);
    }
}

#[test]
fn relu_add_and_pooling_match_pytorch() {
    let d = load("qmodules.json");
    for (i, c) in d["relu"].as_array().unwrap().iter().enumerate() {
        let y = F::relu(&qtensor(&c["x"], QDType::QUInt8));
        assert_same(&y, &c["y"], &format!("relu case {i}"), true);
    }
    for (i, c) in d["add"].as_array().unwrap().iter().enumerate() {
        let (a, b) = (
            qtensor(&c["a"], QDType::QUInt8),
            qtensor(&c["b"], QDType::QUInt8),
        );
        let (s, z) = (
            c["scale"].as_f64().unwrap(),
            c["zero_point"].as_i64().unwrap(),
        );
        let y = F::add(&a, &b, s, z, c["relu"].as_bool().unwrap());
        assert_same(&y, &c["y"], &format!("add case {i}"), true);
    }
    for (i, c) in d["max_pool"].as_array().unwrap().iter().enumerate() {
        let (k, s, p) = (
            c["k"].as_u64().unwrap() as usize,
            c["s"].as_u64().unwrap() as usize,
            c["p"].as_u64().unwrap() as usize,
        );
        let mut o = PoolOptions::new(k);
        o.stride = (s, s);
        o.padding = (p, p);
        o.ceil_mode = c["ceil"].as_bool().unwrap();
        let y = MaxPool2d { options: o }.forward(&qtensor(&c["x"], QDType::QUInt8));
        // PyTorch keeps a contiguous input contiguous here; the values are what count.
        assert_same(&y, &c["y"], &format!("max_pool case {i}"), false);
    }
    for (i, c) in d["adaptive_avg_pool"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let o = usizes(&c["out"]);
        let y = AdaptiveAvgPool2d {
            output_size: (o[0], o[1]),
        }
        .forward(&qtensor(&c["x"], QDType::QUInt8));
        assert_same(&y, &c["y"], &format!("adaptive_avg_pool case {i}"), true);
    }
}

#[test]
fn converted_cnn_matches_pytorch_converted_model() {
    let d = load("qmodules.json");
    let c = &d["cnn"];
    let m = &c["modules"];
    let module = |name: &str| {
        let v = &m[name];
        let w = qtensor(&v["w"], QDType::QInt8);
        let b = Tensor::from_vec(f32s(&v["bias"]), &[w.shape()[0]]);
        (
            w,
            b,
            v["scale"].as_f64().unwrap(),
            v["zero_point"].as_i64().unwrap(),
        )
    };
    let pad = ConvOptions::default().padding(1);
    let (w, b, s, z) = module("conv1");
    let conv1 = ConvReLU2d::new(&w, Some(&b), pad, s, z);
    let (w, b, s, z) = module("conv2");
    let conv2 = ConvReLU2d::new(&w, Some(&b), pad, s, z);
    let (w, b, s, z) = module("fc1");
    let fc1 = LinearReLU::new(&w, Some(&b), s, z);
    let (w, b, s, z) = module("fc2");
    let fc2 = Linear::new(&w, Some(&b), s, z);
    let quant = Quantize {
        scale: c["quant"]["scale"].as_f64().unwrap(),
        zero_point: c["quant"]["zero_point"].as_i64().unwrap(),
    };
    let x = ftensor(&c["x"]);
    let h = conv1.forward(&quant.forward(&x));
    let h = MaxPool2d {
        options: PoolOptions::new(2),
    }
    .forward(&h);
    let h = conv2.forward(&h);
    let h = AdaptiveAvgPool2d {
        output_size: (2, 2),
    }
    .forward(&h);
    let h = h.reshape([h.shape()[0], h.numel() / h.shape()[0]]);
    let y = DeQuantize.forward(&fc2.forward(&fc1.forward(&h)));
    let want = ftensor(&c["y"]);
    assert_eq!(y.shape(), want.shape());
    let (a, b): (Vec<f32>, Vec<f32>) = (y.to_vec(), want.to_vec());
    let bad = a
        .iter()
        .zip(&b)
        .filter(|(p, q)| p.to_bits() != q.to_bits())
        .count();
    assert_eq!(bad, 0, "converted CNN: {bad} of {} outputs differ", a.len());
}

#[test]
fn contiguous_and_channels_last_inputs_give_the_same_conv() {
    // Large enough that the NCHW -> NHWC transpose and the conv are split across threads.
    let x = Tensor::rand(&[2, 64, 40, 40]);
    let q = tessera_quantization::quantize_per_tensor(&x, 1.0 / 255.0, 3, QDType::QUInt8);
    let cl = QTensor::from_int_repr_per_tensor(
        q.values()
            .permute([0, 2, 3, 1])
            .contiguous()
            .permute([0, 3, 1, 2]),
        1.0 / 255.0,
        3,
    );
    let w = tessera_quantization::quantize_per_tensor(
        &(Tensor::randn(&[32, 64, 3, 3]) * 0.05),
        0.002,
        0,
        QDType::QInt8,
    );
    let conv = Conv2d::new(&w, None, ConvOptions::default().padding(1), 0.05, 100);
    let (a, b) = (conv.forward(&q), conv.forward(&cl));
    assert_eq!(a.int_repr().to_vec::<u8>(), b.int_repr().to_vec::<u8>());
    // The same bytes on one thread.
    tessera_core::set_num_threads(1);
    let c = conv.forward(&q);
    tessera_core::set_num_threads(2);
    assert_eq!(a.int_repr().to_vec::<u8>(), c.int_repr().to_vec::<u8>());
}

#[test]
fn output_feature_splits_equal_one_thread() {
    // Few rows and large weights: Linear and Conv2d split their output channels across
    // threads (a partial last panel, 3-D input, a nonzero weight zero point for the row
    // offsets); one thread splits nothing.
    let x = Tensor::rand(&[2, 3, 300]);
    let q = tessera_quantization::quantize_per_tensor(&x, 1.0 / 255.0, 9, QDType::QUInt8);
    let w = tessera_quantization::quantize_per_tensor(
        &(Tensor::randn(&[500, 300]) * 0.05),
        0.002,
        3,
        QDType::QInt8,
    );
    let b = Tensor::randn(&[500]);
    let lin = Linear::new(&w, Some(&b), 0.1, 120);
    let xc = Tensor::rand(&[1, 64, 5, 5]);
    let qc = tessera_quantization::quantize_per_tensor(&xc, 1.0 / 255.0, 0, QDType::QUInt8);
    let wc = tessera_quantization::quantize_per_tensor(
        &(Tensor::randn(&[100, 64, 3, 3]) * 0.05),
        0.002,
        0,
        QDType::QInt8,
    );
    let conv = Conv2d::new(&wc, None, ConvOptions::default().padding(1), 0.05, 100);
    let run = || {
        (
            lin.forward(&q).int_repr().to_vec::<u8>(),
            conv.forward(&qc).int_repr().contiguous().to_vec::<u8>(),
        )
    };
    tessera_core::set_num_threads(2);
    let two = run();
    tessera_core::set_num_threads(1);
    let one = run();
    tessera_core::set_num_threads(2);
    assert_eq!(two.0, one.0, "Linear");
    assert_eq!(two.1, one.1, "Conv2d");
}
