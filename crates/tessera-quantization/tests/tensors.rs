//! Quantized tensors against PyTorch: quantize and dequantize bit for bit on committed
//! data (tests/data/tensors.json, from scripts/make_quant_data.py), views, and bad inputs.

mod common;
use common::{f32s, f64s, i64s, load, shape};
use serde_json::Value;
use std::panic::catch_unwind;
use tessera_core::{tensor, Tensor};
use tessera_quantization::{
    cat, quantize_per_channel, quantize_per_tensor, QDType, QScheme, QTensor,
};

fn qdtype(v: &Value) -> QDType {
    QDType::from_torch_name(v.as_str().unwrap()).unwrap()
}
fn ints(q: &QTensor) -> Vec<i64> {
    q.int_repr().to_dtype(tessera_core::DType::I64).to_vec()
}
fn bits(t: &Tensor) -> Vec<u32> {
    t.to_vec::<f32>().into_iter().map(f32::to_bits).collect()
}
fn bits_of(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn per_tensor_matches_pytorch() {
    let d = load("tensors.json");
    let cases = d["per_tensor"].as_array().unwrap();
    assert!(cases.len() >= 36);
    for c in cases {
        let x = Tensor::from_vec(f32s(&c["x"]), &shape(&c["shape"]));
        let dt = qdtype(&c["dtype"]);
        let q = quantize_per_tensor(
            &x,
            c["scale"].as_f64().unwrap(),
            c["zero_point"].as_i64().unwrap(),
            dt,
        );
        assert_eq!(q.dtype(), dt);
        assert_eq!(ints(&q), i64s(&c["q"]), "case {c}");
        assert_eq!(bits(&q.dequantize()), bits_of(&f32s(&c["dq"])), "case {c}");
    }
}

#[test]
fn per_channel_matches_pytorch_on_several_axes() {
    let d = load("tensors.json");
    for c in d["per_channel"].as_array().unwrap() {
        let sh = shape(&c["shape"]);
        let x = Tensor::from_vec(f32s(&c["x"]), &sh);
        let scales = Tensor::from_vec(
            f64s(&c["scales"]),
            &[sh[c["axis"].as_u64().unwrap() as usize]],
        );
        let zps = Tensor::from_vec(i64s(&c["zero_points"]), &[scales.numel()]);
        let axis = c["axis"].as_i64().unwrap() as isize;
        let q = quantize_per_channel(&x, &scales, &zps, axis, qdtype(&c["dtype"]));
        assert_eq!(q.qscheme(), QScheme::PerChannelAffine);
        assert_eq!(q.q_per_channel_axis(), axis as usize);
        assert_eq!(q.q_per_channel_scales().to_vec::<f64>(), f64s(&c["scales"]));
        assert_eq!(
            q.q_per_channel_zero_points().to_vec::<i64>(),
            i64s(&c["zero_points"])
        );
        assert_eq!(ints(&q), i64s(&c["q"]), "case shape {sh:?} axis {axis}");
        assert_eq!(bits(&q.dequantize()), bits_of(&f32s(&c["dq"])));
    }
}

#[test]
fn dequantize_every_value_matches_pytorch() {
    let d = load("tensors.json");
    for c in d["dequantize"].as_array().unwrap() {
        let dt = qdtype(&c["dtype"]);
        let v = Tensor::from_vec(i64s(&c["q"]), &[c["q"].as_array().unwrap().len()])
            .to_dtype(dt.int_dtype());
        let q = QTensor::from_int_repr_per_tensor(
            v,
            c["scale"].as_f64().unwrap(),
            c["zero_point"].as_i64().unwrap(),
        );
        assert_eq!(bits(&q.dequantize()), bits_of(&f32s(&c["dq"])), "{dt}");
    }
}

#[test]
fn cat_requantizes_to_the_first_parameters_as_pytorch() {
    let d = load("tensors.json");
    for c in d["cat"].as_array().unwrap() {
        let dt = qdtype(&c["dtype"]);
        let a = Tensor::from_vec(f32s(&c["a"]), &[2, 5]);
        let b = Tensor::from_vec(f32s(&c["b"]), &[2, 3]);
        let pa = f64s(&c["a_params"]);
        let pb = f64s(&c["b_params"]);
        let qa = quantize_per_tensor(&a, pa[0], pa[1] as i64, dt);
        let qb = quantize_per_tensor(&b, pb[0], pb[1] as i64, dt);
        let q = cat(&[qa.clone(), qb], 1);
        assert_eq!(ints(&q), i64s(&c["q"]));
        assert_eq!(q.q_scale(), c["scale"].as_f64().unwrap());
        assert_eq!(q.q_zero_point(), c["zero_point"].as_i64().unwrap());
        // same parameters: the values are copied
        let same = cat(&[qa.clone(), qa.clone()], 0);
        assert_eq!(same.shape(), &[4, 5]);
        assert_eq!(ints(&same.narrow(0, 2, 2)), ints(&qa));
    }
}

fn per_channel_2x3x4() -> QTensor {
    let x = Tensor::arange(0, 24)
        .to_dtype(tessera_core::DType::F32)
        .reshape([2, 3, 4])
        * 0.1;
    let s = Tensor::from_vec(vec![0.1f64, 0.2, 0.3], &[3]);
    let z = Tensor::from_vec(vec![1i64, 2, 3], &[3]);
    quantize_per_channel(&x, &s, &z, 1, QDType::QUInt8)
}

#[test]
fn views_share_storage_and_carry_the_axis() {
    let q = per_channel_2x3x4();
    let dq = q.dequantize();
    // select along the axis: per tensor with that channel's parameters
    let s1 = q.select(1, -2);
    assert_eq!(s1.qscheme(), QScheme::PerTensorAffine);
    assert_eq!((s1.q_scale(), s1.q_zero_point()), (0.2, 2));
    assert_eq!(
        ints(&s1),
        q.int_repr()
            .select(1, 1)
            .to_dtype(tessera_core::DType::I64)
            .to_vec::<i64>()
    );
    assert!(s1.shares_storage(&q));
    // select before / after the axis moves or keeps it
    assert_eq!(q.select(0, 1).q_per_channel_axis(), 0);
    assert_eq!(q.select(2, 1).q_per_channel_axis(), 1);
    assert_eq!(
        q.select(2, 1).dequantize().to_vec::<f32>(),
        dq.select(2, 1).to_vec::<f32>()
    );
    // narrow along the axis keeps those channels
    let n = q.narrow(1, 1, 2);
    assert_eq!(n.q_per_channel_scales().to_vec::<f64>(), vec![0.2, 0.3]);
    assert_eq!(
        n.dequantize().to_vec::<f32>(),
        dq.narrow(1, 1, 2).to_vec::<f32>()
    );
    // reshape that keeps the axis whole
    let r = q.reshape([2, 3, 2, 2]);
    assert_eq!(r.q_per_channel_axis(), 1);
    let u = q.unsqueeze(0);
    assert_eq!(u.q_per_channel_axis(), 2);
    assert_eq!(u.dequantize().to_vec::<f32>(), dq.to_vec::<f32>());
    // squeezing a one-channel axis leaves per-tensor parameters
    let one = q.narrow(1, 2, 1).squeeze_dim(1);
    assert_eq!((one.q_scale(), one.q_zero_point()), (0.3, 3));
    // a copy keeps the parameters and shares nothing
    let c = q.deep_clone();
    assert!(!c.shares_storage(&q));
    assert_eq!(ints(&c), ints(&q));
    // per tensor: permute/transpose views and a clone of a non-contiguous view
    let p = quantize_per_tensor(&dq, 0.05, 7, QDType::QInt8);
    let t = p.transpose(0, 2);
    assert!(!t.is_contiguous() && t.shares_storage(&p));
    assert_eq!(
        t.deep_clone().dequantize().to_vec::<f32>(),
        p.dequantize().transpose(0, 2).to_vec::<f32>()
    );
    assert_eq!(p.permute([2, 0, 1]).reshape([4, 6]).q_scale(), 0.05);
    // writes through the shared values are seen by every view
    p.values().set(&[0, 0, 0], 100i64);
    assert_eq!(t.int_repr().get::<i8>(&[0, 0, 0]), 100);
}

#[test]
fn pytorch_refusals() {
    let strides = "Setting strides is possible only on uniformly quantized tensor";
    assert!(panic_text(|| drop(per_channel_2x3x4().permute([2, 0, 1]))).ends_with(strides));
    assert!(panic_text(|| drop(per_channel_2x3x4().transpose(0, 1))).ends_with(strides));
    assert_eq!(
        panic_text(|| drop(cat(&[per_channel_2x3x4(), per_channel_2x3x4()], 0))),
        "Only per-tensor quantization is supported in 'cat'!"
    );
    let p = quantize_per_tensor(&tensor!([1.0]), 0.1, 0, QDType::QUInt8);
    let i = quantize_per_tensor(&tensor!([1.0]), 0.1, 0, QDType::QInt8);
    assert_eq!(
        panic_text(|| drop(cat(&[p, i], 0))),
        "All dtypes must be the same."
    );
    assert!(panic_text(|| drop(per_channel_2x3x4().reshape([6, 4]))).contains("channel axis 1"));
}

fn panic_text(f: impl FnOnce()) -> String {
    let e = catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("expected a panic");
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn bad_inputs_panic_with_pytorch_text() {
    let x = tensor!([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    assert_eq!(
        panic_text(|| drop(quantize_per_tensor(
            &tensor!([1.0]),
            0.1,
            256,
            QDType::QUInt8
        ))),
        "quantize_tensor_per_tensor_affine zero_point 256 is above upper bound."
    );
    assert_eq!(
        panic_text(|| drop(quantize_per_tensor(
            &tensor!([1.0]),
            0.1,
            -129,
            QDType::QInt8
        ))),
        "quantize_tensor_per_tensor_affine zero_point -129 is below lower bound."
    );
    assert_eq!(
        panic_text(|| drop(quantize_per_tensor(
            &tensor!([1.0]),
            0.1,
            1 << 31,
            QDType::QInt32
        ))),
        "quantize_tensor_per_tensor_affine zero_point 2147483648 is above upper bound."
    );
    assert_eq!(
        panic_text(|| drop(quantize_per_tensor(
            &Tensor::from_vec(vec![1.0f64], &[1]),
            0.1,
            0,
            QDType::QUInt8
        ))),
        "Quantize only works on Float Tensor, got Double"
    );
    for bad in [0.0, -0.1, f64::NAN, f64::INFINITY, 1e-300] {
        let m =
            panic_text(move || drop(quantize_per_tensor(&tensor!([1.0]), bad, 0, QDType::QUInt8)));
        assert!(m.contains("scale must be positive"), "{m}");
    }
    let s = Tensor::from_vec(vec![0.1f64, 0.2], &[2]);
    let z = Tensor::from_vec(vec![1i64, 2], &[2]);
    let (x1, s1, z1) = (x.clone(), s.clone(), z.clone());
    assert_eq!(
        panic_text(move || drop(quantize_per_channel(&x1, &s1, &z1, 2, QDType::QUInt8))),
        "Channel axis out of range in per channel affine quantization. Got: 2Expected: [0, 2)"
    );
    let (x1, s1, z1) = (x.clone(), s.clone(), z.clone());
    assert_eq!(
        panic_text(move || drop(quantize_per_channel(&x1, &s1, &z1, -1, QDType::QUInt8))),
        "Channel axis out of range in per channel affine quantization. Got: -1Expected: [0, 2)"
    );
    let (x1, s1, z1) = (x.clone(), s.clone(), z.clone());
    assert_eq!(
        panic_text(move || drop(quantize_per_channel(&x1, &s1, &z1, 1, QDType::QUInt8))),
        "length of scales must equal to channel, expected 3 got, 2"
    );
    let (x1, s1) = (x.clone(), s.clone());
    assert_eq!(
        panic_text(move || drop(quantize_per_channel(
            &x1,
            &s1,
            &Tensor::from_vec(vec![1i64, 300], &[2]),
            0,
            QDType::QUInt8
        ))),
        "quantize_tensor_per_channel_affine zero_point 300 is above upper bound."
    );
    let (x1, z1) = (x.clone(), z.clone());
    assert_eq!(
        panic_text(move || drop(quantize_per_channel(
            &x1,
            &Tensor::from_vec(vec![0.1f64, 0.2], &[2, 1]),
            &z1,
            0,
            QDType::QUInt8
        ))),
        "scale tensor must have dimension 1"
    );
    assert_eq!(
        panic_text(move || drop(quantize_per_channel(
            &Tensor::scalar(1.0f32),
            &s,
            &z,
            0,
            QDType::QUInt8
        ))),
        "Channel axis out of range in per channel affine quantization. Got: 0Expected: [0, 0)"
    );
}

#[test]
fn zero_size_and_zero_dim() {
    let e = Tensor::zeros(&[0, 3]);
    let q = quantize_per_tensor(&e, 0.1, 3, QDType::QUInt8);
    assert_eq!(q.shape(), &[0, 3]);
    assert_eq!(q.dequantize().shape(), &[0, 3]);
    let qc = quantize_per_channel(
        &e,
        &Tensor::from_vec(Vec::<f64>::new(), &[0]),
        &Tensor::from_vec(Vec::<i64>::new(), &[0]),
        0,
        QDType::QInt8,
    );
    assert_eq!(qc.numel(), 0);
    let s = quantize_per_tensor(&Tensor::scalar(1.0f32), 0.1, 3, QDType::QInt32);
    assert_eq!(s.int_repr().item::<i32>(), 13);
    assert_eq!(s.dequantize().item::<f32>(), 1.0);
}

#[test]
fn non_contiguous_inputs_quantize_as_their_copies() {
    let x = Tensor::arange(0, 24)
        .to_dtype(tessera_core::DType::F32)
        .reshape([2, 3, 4])
        * 0.37
        - 4.0;
    let v = x.permute([2, 0, 1]);
    assert!(!v.is_contiguous());
    let a = quantize_per_tensor(&v, 0.05, 3, QDType::QInt8);
    let b = quantize_per_tensor(&v.contiguous(), 0.05, 3, QDType::QInt8);
    assert_eq!(ints(&a), ints(&b));
    let s = Tensor::from_vec(vec![0.1f64, 0.2], &[2]);
    let z = Tensor::from_vec(vec![0i64, 5], &[2]);
    let a = quantize_per_channel(&v, &s, &z, 1, QDType::QUInt8);
    let b = quantize_per_channel(&v.contiguous(), &s, &z, 1, QDType::QUInt8);
    assert_eq!(ints(&a), ints(&b));
    assert!(a.is_contiguous());
}
