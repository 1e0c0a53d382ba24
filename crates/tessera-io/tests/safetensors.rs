//! safetensors files that the Python package wrote, and tessera's own round trips.

mod common;

use common::*;
use tessera_core::{StateDict, Tensor};
use tessera_io::{safetensors, Dict, Value};

fn sorted_value(sd: &StateDict) -> Value {
    let mut keys: Vec<&str> = sd.keys().collect();
    keys.sort();
    let mut d = Dict::default();
    for k in keys {
        d.insert(Value::from(k), Value::Tensor(sd[k].clone()));
    }
    Value::Dict(d)
}

#[test]
fn the_python_packages_file_loads_value_for_value() {
    let (sd, meta) =
        safetensors::load_file_with_metadata(data_dir().join("tensors.safetensors")).unwrap();
    assert_eq!(meta.unwrap()["format"], "pt");
    assert_same(
        &manifest(&sorted_value(&sd)),
        &expected_manifest("tensors.safetensors"),
        "tensors.safetensors",
    );
    // The same bytes from memory.
    let sd2 = safetensors::load(&read("tensors.safetensors")).unwrap();
    assert_eq!(sd2.len(), sd.len());
}

#[test]
fn round_trip_keeps_values_and_writes_views_row_major() {
    let base = Tensor::arange(0.0, 12.0).reshape([3, 4]);
    let mut sd = StateDict::new();
    sd.insert("t", base.t());
    sd.insert("narrow", base.narrow(1, 1, 2));
    sd.insert(
        "nan",
        Tensor::from_vec(vec![f64::NAN, f64::NEG_INFINITY], &[2]),
    );
    sd.insert("empty", Tensor::zeros(&[0, 5]));
    sd.insert("scalar", Tensor::scalar(7i64));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.safetensors");
    safetensors::save_file(&sd, &path, None).unwrap();
    let back = safetensors::load_file(&path).unwrap();
    for (k, t) in sd.iter() {
        let b = &back[k];
        assert_eq!((b.shape(), b.dtype()), (t.shape(), t.dtype()), "{k}");
        assert!(b.is_contiguous());
    }
    assert_eq!(
        back["t"].to_vec::<f32>(),
        base.t().contiguous().to_vec::<f32>()
    );
    assert_eq!(
        back["narrow"].to_vec::<f32>(),
        vec![1.0, 2.0, 5.0, 6.0, 9.0, 10.0]
    );
    let nan = back["nan"].to_vec::<f64>();
    assert!(nan[0].is_nan() && nan[1] == f64::NEG_INFINITY);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn corrupt_files_are_errors() {
    let good = read("tensors.safetensors");
    for cut in (0..good.len()).step_by(31) {
        assert!(safetensors::load(&good[..cut]).is_err(), "cut at {cut}");
    }
    let mut huge = good.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(safetensors::load(&huge).is_err());
    let e = safetensors::load_file("/nonexistent.safetensors").unwrap_err();
    assert!(e.to_string().contains("/nonexistent.safetensors"));
}
