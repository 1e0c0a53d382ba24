//! Memory-mapped loading: storages borrow the file's pages, copy on the first write,
//! keep their values when the file is replaced, and equal a copying load.

mod common;

use common::*;
use tessera_core::{DType, StateDict, Tensor};
use tessera_io::{load, load_with, LoadOptions, Value};

/// Same dtype, shape and values.
fn same(a: &Tensor, b: &Tensor) -> bool {
    a.dtype() == b.dtype()
        && a.shape() == b.shape()
        && a.to_dtype(DType::F64).to_vec::<f64>() == b.to_dtype(DType::F64).to_vec::<f64>()
}

fn shared(t: &Tensor) -> bool {
    t.storage().read().is_shared()
}

fn sample() -> StateDict {
    let mut sd = StateDict::new();
    sd.insert(
        "w",
        Tensor::arange(0, 12).to_dtype(DType::F32).reshape([3, 4]),
    );
    sd.insert("d", Tensor::arange(0, 5).to_dtype(DType::F64));
    sd.insert("i", Tensor::arange(-3, 3));
    sd.insert("b", Tensor::arange(0, 6).lt(3));
    sd.insert("u", Tensor::arange(0, 7).to_dtype(DType::U8));
    sd.insert("empty", Tensor::zeros(&[0, 3]));
    sd
}

#[test]
fn pth_storages_borrow_the_file_and_copy_on_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.pth");
    let sd = sample();
    tessera_io::save(&sd, &path).unwrap();
    let mapped = load(&path).unwrap().to_state_dict().unwrap();
    let copied = load_with(&path, &LoadOptions::new().mmap(false))
        .unwrap()
        .to_state_dict()
        .unwrap();
    for (k, t) in sd.iter() {
        assert_eq!(mapped[k].dtype(), t.dtype(), "{k}");
        assert!(same(&mapped[k], t) && same(&copied[k], t), "{k}");
        assert!(!shared(&copied[k]), "{k}: mmap(false) copies");
        if t.numel() > 0 {
            assert!(shared(&mapped[k]), "{k}: borrowed from the mapping");
        }
    }
    // An in-place write copies that storage only; the file is unchanged.
    let before = std::fs::read(&path).unwrap();
    let w = &mapped["w"];
    w.add_(Tensor::ones(&[3, 4]));
    assert!(!shared(w) && shared(&mapped["d"]));
    assert_eq!(w.get::<f32>(&[0, 0]), 1.0);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(
        load(&path).unwrap().to_state_dict().unwrap()["w"].get::<f32>(&[0, 0]),
        0.0
    );
}

#[test]
fn replacing_the_file_leaves_loaded_tensors_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.pth");
    tessera_io::save(sample(), &path).unwrap();
    let old = load(&path).unwrap().to_state_dict().unwrap();
    // tessera::save writes a new file and renames it over the old one.
    let mut other = StateDict::new();
    other.insert("w", Tensor::full(&[3, 4], 7.0));
    tessera_io::save(&other, &path).unwrap();
    assert!(same(&old["w"], &sample()["w"]));
    let st = dir.path().join("m.safetensors");
    tessera_io::safetensors::save_file(&sample(), &st, None).unwrap();
    let old = tessera_io::safetensors::load_file(&st).unwrap();
    tessera_io::safetensors::save_file(&other, &st, None).unwrap();
    assert!(same(&old["w"], &sample()["w"]));
}

#[test]
fn views_of_a_mapped_storage_see_a_write_through_any_of_them() {
    let v = load(data_dir().join("views.pth")).unwrap();
    let t = |k: &str| v.get(k).and_then(Value::as_tensor).unwrap().clone();
    assert!(shared(&t("base")));
    t("t").write_values(&[5.0f32; 24]);
    assert!(!shared(&t("base")) && t("base").shares_storage(&t("narrow")));
    assert_eq!(t("narrow").get::<f32>(&[0, 0]), 5.0);
}

#[test]
fn a_corrupt_mapped_storage_fails_its_crc() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = tessera_io::save_bytes(sample()).unwrap();
    // Flip a byte inside a storage, leaving the CRC the archive recorded.
    let start = {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).unwrap();
        let name = zip
            .file_names()
            .find(|n| n.ends_with("/data/0"))
            .unwrap()
            .to_string();
        let f = zip.by_name(&name).unwrap();
        assert!(f.size() > 0);
        f.data_start() as usize
    };
    bytes[start] ^= 1;
    let path = dir.path().join("bad.pth");
    std::fs::write(&path, &bytes).unwrap();
    for opts in [LoadOptions::new(), LoadOptions::new().mmap(false)] {
        let err = load_with(&path, &opts).unwrap_err().to_string();
        assert!(err.contains("CRC"), "{err}");
    }
}

#[test]
fn safetensors_tensors_borrow_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    let sd = sample();
    tessera_io::safetensors::save_file(&sd, &path, None).unwrap();
    let back = tessera_io::safetensors::load_file(&path).unwrap();
    let from_bytes = tessera_io::safetensors::load(&std::fs::read(&path).unwrap()).unwrap();
    let mut borrowed = 0;
    for (k, t) in sd.iter() {
        assert!(same(&back[k], t) && same(&from_bytes[k], t), "{k}");
        assert!(!shared(&from_bytes[k]));
        borrowed += shared(&back[k]) as usize;
    }
    // Tensors are packed without padding: those at an offset aligned for their dtype
    // borrow, the others are copied.
    assert!(borrowed >= 1, "no tensor borrowed the mapping");
    back["w"].mul_(Tensor::full(&[], 2.0));
    assert_eq!(back["w"].get::<f32>(&[0, 1]), 2.0);
}
