//! Printing quantized tensors and their storages as PyTorch does (tests/data/print.json
//! from scripts/make_quant_data.py), and the typed storage's bytes.

mod common;
use common::f32s;
use serde_json::Value;
use tessera_core::{tensor, Tensor};
use tessera_quantization::{
    quantize_per_channel, quantize_per_tensor, QDType, QParams, QStorage, QTensor,
};

#[test]
fn printing_matches_pytorch() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/print.json"
    ))
    .unwrap();
    let cases: Value = serde_json::from_str(&text).unwrap();
    for c in cases.as_array().unwrap() {
        let shape: Vec<usize> = c["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        let x = Tensor::from_vec(f32s(&c["x"]), &shape);
        let dt = QDType::from_torch_name(c["dtype"].as_str().unwrap()).unwrap();
        let q = if let Some(s) = c["scale"].as_f64() {
            quantize_per_tensor(&x, s, c["zero_point"].as_i64().unwrap(), dt)
        } else {
            let s: Vec<f64> = c["scales"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let z: Vec<i64> = c["zero_points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            let n = s.len();
            quantize_per_channel(
                &x,
                &Tensor::from_vec(s, &[n]),
                &Tensor::from_vec(z, &[n]),
                c["axis"].as_i64().unwrap() as isize,
                dt,
            )
        };
        assert_eq!(q.to_string(), c["str"].as_str().unwrap());
        assert_eq!(q.storage().to_string(), c["storage_str"].as_str().unwrap());
    }
}

#[test]
fn storage_bytes_are_shared_with_views() {
    let q = quantize_per_tensor(&tensor!([0.1, -0.2, 0.3, 1000.0]), 0.1, 0, QDType::QInt32);
    let view = q.narrow(0, 1, 2);
    let s = view.storage();
    assert_eq!(s.type_name(), "torch.QInt32Storage");
    assert_eq!((s.len(), s.nbytes()), (4, 16));
    let bytes = s.to_bytes();
    assert_eq!(&bytes[4..8], &(-2i32).to_le_bytes());
    // write the raw bytes: every view sees them
    let mut b = bytes.clone();
    b[4..8].copy_from_slice(&7i32.to_le_bytes());
    s.copy_from_bytes(&b);
    assert_eq!(view.int_repr().to_vec::<i32>(), vec![7, 3]);
    assert_eq!(q.int_repr().to_vec::<i32>()[1], 7);
    // a tensor rebuilt over the storage (what `_rebuild_qtensor` does)
    let r = QTensor::from_storage(
        &s,
        &[2],
        &[2],
        0,
        QParams::PerTensor {
            scale: 0.5,
            zero_point: 1,
        },
    );
    assert_eq!(r.int_repr().to_vec::<i32>(), vec![1, 3]);
    assert!(r.shares_storage(&q));
    // bytes of the wrong length
    assert!(std::panic::catch_unwind(
        std::panic::AssertUnwindSafe(|| s.copy_from_bytes(&[0u8; 3]))
    )
    .is_err());
    assert!(std::panic::catch_unwind(|| QStorage::from_bytes(QDType::QInt32, &[0u8; 6])).is_err());
    let u = QStorage::from_bytes(QDType::QUInt8, &[1, 2, 255]);
    assert_eq!(u.tolist(), vec![1, 2, 255]);
    let i = QStorage::from_bytes(QDType::QInt8, &[1, 254]);
    assert_eq!(i.tolist(), vec![1, -2]);
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| i.set(0, 200))).is_err());
}
