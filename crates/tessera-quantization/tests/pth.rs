//! Quantized tensors in `.pth` files: a file written by PyTorch (tests/data/quantized.pth,
//! from scripts/make_quant_data.py) loads with PyTorch's values, parameters and layouts;
//! tessera's files load back the same; bad parameters are errors.

use serde_json::Value as Json;
use tessera_core::{tensor, DType, Tensor};
use tessera_io::{Dict, QParamsRecord, QTensorRecord, Value};
use tessera_quantization::{QDType, QScheme, QTensor};

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn check(q: &QTensor, e: &Json, key: &str) {
    assert_eq!(
        q.dtype(),
        QDType::from_torch_name(e["dtype"].as_str().unwrap()).unwrap(),
        "{key}"
    );
    let sh: Vec<usize> = e["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let st: Vec<usize> = e["stride"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(q.shape(), &sh[..], "{key}");
    assert_eq!(q.strides(), &st[..], "{key}");
    assert_eq!(
        q.storage_offset() as u64,
        e["offset"].as_u64().unwrap(),
        "{key}"
    );
    let ints: Vec<i64> = q.int_repr().to_dtype(DType::I64).to_vec();
    let want: Vec<i64> = e["int_repr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(ints, want, "{key}");
    let dq: Vec<u32> = q
        .dequantize()
        .to_vec::<f32>()
        .iter()
        .map(|x| x.to_bits())
        .collect();
    let want: Vec<u32> = e["dq"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    assert_eq!(dq, want, "{key}");
    if let Some(s) = e["scale"].as_f64() {
        assert_eq!(q.qscheme(), QScheme::PerTensorAffine);
        assert_eq!(
            (q.q_scale(), q.q_zero_point()),
            (s, e["zero_point"].as_i64().unwrap()),
            "{key}"
        );
    } else {
        let s: Vec<f64> = e["scales"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(q.q_per_channel_scales().to_vec::<f64>(), s, "{key}");
        assert_eq!(
            q.q_per_channel_axis() as u64,
            e["axis"].as_u64().unwrap(),
            "{key}"
        );
    }
}

#[test]
fn a_pytorch_file_loads_with_pytorchs_values() {
    let v = tessera_io::load(data("quantized.pth")).unwrap();
    let expect: Json =
        serde_json::from_str(&std::fs::read_to_string(data("quantized_pth.json")).unwrap())
            .unwrap();
    let mut n = 0;
    for (key, e) in expect.as_object().unwrap() {
        let q = QTensor::from_value(v.get(key).unwrap()).unwrap();
        check(&q, e, key);
        n += 1;
    }
    assert_eq!(n, 7);
    // views saved together keep sharing their storage
    let a = QTensor::from_value(v.get("a").unwrap()).unwrap();
    let at = QTensor::from_value(v.get("a_t").unwrap()).unwrap();
    assert!(a.shares_storage(&at));
    // the plain tensor is still a tensor
    assert!(v.get("plain").unwrap().as_tensor().is_some());
    assert!(QTensor::from_value(v.get("plain").unwrap()).is_err());
}

#[test]
fn tessera_files_round_trip() {
    let v = tessera_io::load(data("quantized.pth")).unwrap();
    let bytes = tessera_io::save_bytes(v.clone()).unwrap();
    let back = tessera_io::load_bytes(&bytes).unwrap();
    let expect: Json =
        serde_json::from_str(&std::fs::read_to_string(data("quantized_pth.json")).unwrap())
            .unwrap();
    for (key, e) in expect.as_object().unwrap() {
        check(
            &QTensor::from_value(back.get(key).unwrap()).unwrap(),
            e,
            key,
        );
    }
    // a fresh tensor, a zero-size one and a 0-dim one
    let q = tessera_quantization::quantize_per_tensor(
        &tensor!([[1.0, -2.0], [0.5, 3.0]]),
        0.1,
        5,
        QDType::QUInt8,
    );
    let z =
        tessera_quantization::quantize_per_tensor(&Tensor::zeros(&[0, 3]), 0.1, 5, QDType::QInt8);
    let s =
        tessera_quantization::quantize_per_tensor(&Tensor::scalar(2.0f32), 0.5, 0, QDType::QInt32);
    let mut d = Dict::default();
    for (k, t) in [("q", &q), ("z", &z), ("s", &s)] {
        d.insert(Value::Str(k.into()), Value::from(t));
    }
    let back = tessera_io::load_bytes(&tessera_io::save_bytes(Value::Dict(d)).unwrap()).unwrap();
    for (k, t) in [("q", &q), ("z", &z), ("s", &s)] {
        let r = QTensor::from_value(back.get(k).unwrap()).unwrap();
        assert_eq!(r.shape(), t.shape());
        assert_eq!(r.dtype(), t.dtype());
        assert_eq!(
            r.int_repr().to_dtype(DType::I64).to_vec::<i64>(),
            t.int_repr().to_dtype(DType::I64).to_vec::<i64>()
        );
        assert_eq!(r.q_scale(), t.q_scale());
    }
}

#[test]
fn bad_parameters_in_a_file_are_errors() {
    let values = Tensor::from_vec(vec![1u8, 2], &[2]);
    let rec = |params| QTensorRecord {
        values: values.clone(),
        params,
        requires_grad: false,
    };
    for p in [
        QParamsRecord::PerTensorAffine {
            scale: 0.1,
            zero_point: 300,
        },
        QParamsRecord::PerTensorAffine {
            scale: 0.0,
            zero_point: 0,
        },
        QParamsRecord::PerTensorAffine {
            scale: f64::NAN,
            zero_point: 0,
        },
        QParamsRecord::PerChannelAffine {
            scales: Tensor::from_vec(vec![0.1f64], &[1]),
            zero_points: Tensor::from_vec(vec![0i64], &[1]),
            axis: 0,
        },
        QParamsRecord::PerChannelAffine {
            scales: Tensor::from_vec(vec![0.1f64, 0.2], &[2]),
            zero_points: Tensor::from_vec(vec![0i64, 0], &[2]),
            axis: -1,
        },
    ] {
        assert!(QTensor::from_record(&rec(p.clone())).is_err(), "{p:?}");
    }
    let floats = QTensorRecord {
        values: tensor!([1.0]),
        params: QParamsRecord::PerTensorAffine {
            scale: 0.1,
            zero_point: 0,
        },
        requires_grad: false,
    };
    assert!(QTensor::from_record(&floats).is_err());
}
