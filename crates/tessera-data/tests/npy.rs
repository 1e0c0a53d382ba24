//! NpyDataset: rows read from memory maps, through a loader with workers, and the
//! errors of bad files, each naming the file.

use std::path::PathBuf;
use tessera_core::{DType, Error, Tensor};
use tessera_data::{DataLoader, Dataset, NpyDataset, TensorDataset};

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tessera_data_it_{}_{name}", std::process::id()))
}

#[test]
fn rows_match_a_tensor_dataset_through_workers() {
    let x = Tensor::randn(&[37, 3, 2]);
    let y = Tensor::arange(0, 37);
    let (px, py) = (temp("rows_x.npy"), temp("rows_y.npy"));
    x.write_npy(&px).unwrap();
    y.write_npy(&py).unwrap();
    let ds = NpyDataset::open(&[&px, &py]).unwrap();
    assert_eq!(
        (ds.len(), ds.shapes()),
        (37, vec![vec![37, 3, 2], vec![37]])
    );
    assert_eq!(ds.dtypes(), vec![DType::F32, DType::I64]);
    let mem = TensorDataset::new(vec![x, y]);
    let batches = |loader: DataLoader<Vec<Tensor>>| -> Vec<(Vec<f32>, Vec<i64>)> {
        loader
            .map(|b| {
                let b = b.unwrap();
                (b[0].to_vec::<f32>(), b[1].to_vec::<i64>())
            })
            .collect()
    };
    let from_disk = batches(DataLoader::builder(ds).batch_size(8).num_workers(2).build());
    let from_memory = batches(DataLoader::builder(mem).batch_size(8).build());
    assert_eq!(from_disk, from_memory);
    std::fs::remove_file(px).ok();
    std::fs::remove_file(py).ok();
}

/// The message of opening `bytes` written to a file, which must name the file.
fn open_error(name: &str, bytes: &[u8]) -> String {
    let p = temp(name);
    std::fs::write(&p, bytes).unwrap();
    let e = NpyDataset::open(&[&p]).unwrap_err();
    std::fs::remove_file(&p).ok();
    assert!(matches!(e, Error::Format { format: "npy", .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains(&p.display().to_string()), "{msg}");
    msg
}

/// `bytes` with `from` replaced by `to` (of the same length) in the header.
fn edit_header(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap();
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to.as_bytes());
    out
}

#[test]
fn bad_files_are_errors_naming_the_file() {
    let good = Tensor::arange(0.0, 6.0).reshape([3, 2]).to_npy_bytes();
    assert!(open_error("truncated.npy", &good[..good.len() - 3]).contains("truncated"));
    let mut long = good.clone();
    long.push(0);
    assert!(open_error("long.npy", &long).contains("trailing data"));
    assert!(open_error("magic.npy", b"PK\x03\x04 a zip file").contains("magic"));
    assert!(open_error("header.npy", &good[..30]).contains("truncated header"));
    assert!(open_error("f2.npy", &edit_header(&good, "<f4", "<f2"))
        .contains("unsupported dtype \"<f2\""));
    let fortran = edit_header(&good, "'fortran_order': False", "'fortran_order': True ");
    assert!(open_error("fortran.npy", &fortran).contains("Fortran-ordered"));
    assert!(open_error("scalar.npy", &Tensor::scalar(1.0f32).to_npy_bytes()).contains("0-dim"));
    // A missing file is an I/O error naming it.
    let missing = temp("missing.npy");
    let e = NpyDataset::open(&[&missing]).unwrap_err().to_string();
    assert!(e.contains(&missing.display().to_string()), "{e}");
}

#[test]
fn mismatched_lengths_and_bad_bools_are_errors() {
    let (a, b) = (temp("len_a.npy"), temp("len_b.npy"));
    Tensor::zeros(&[4, 2]).write_npy(&a).unwrap();
    Tensor::zeros(&[5]).write_npy(&b).unwrap();
    let e = NpyDataset::open(&[&a, &b]).unwrap_err().to_string();
    assert!(
        e.contains(&b.display().to_string()) && e.contains("has 5 rows but"),
        "{e}"
    );
    // A bool byte of 2 is found when its row is read.
    let mut bytes = Tensor::from_vec(vec![true, false, true], &[3]).to_npy_bytes();
    let n = bytes.len();
    bytes[n - 2] = 2;
    std::fs::write(&a, &bytes).unwrap();
    let ds = NpyDataset::open(&[&a]).unwrap();
    assert!(ds.get(0).is_ok());
    let e = ds.get(1).unwrap_err().to_string();
    assert!(
        e.contains(&a.display().to_string()) && e.contains("row 1"),
        "{e}"
    );
    std::fs::remove_file(a).ok();
    std::fs::remove_file(b).ok();
}

#[test]
fn gathered_batches_equal_item_by_item_and_bad_rows_fail_in_the_loader() {
    let p = temp("gather.npy");
    let x = Tensor::randn(&[19, 3]).to_dtype(DType::F64);
    x.write_npy(&p).unwrap();
    let ds = NpyDataset::open(&[&p]).unwrap();
    let run = |l: DataLoader<Vec<Tensor>>| -> Vec<Vec<f64>> {
        l.map(|b| b.unwrap()[0].to_vec::<f64>()).collect()
    };
    let fast = run(DataLoader::builder(ds.clone())
        .batch_size(4)
        .num_workers(2)
        .build());
    let slow = run(DataLoader::builder(ds)
        .batch_size(4)
        .collate_fn(tessera_data::default_collate::<Vec<Tensor>>)
        .build());
    assert_eq!(fast, slow);
    assert_eq!(fast.concat(), x.to_vec::<f64>());
    // A corrupt bool in row 5: the batch holding it is an Err naming the file.
    let mut bytes = Tensor::from_vec(vec![false; 8], &[8]).to_npy_bytes();
    let n = bytes.len();
    bytes[n - 3] = 7;
    std::fs::write(&p, &bytes).unwrap();
    let results: Vec<_> = DataLoader::builder(NpyDataset::open(&[&p]).unwrap())
        .batch_size(4)
        .build()
        .collect();
    assert!(results[0].is_ok());
    let e = results[1].as_ref().unwrap_err().to_string();
    assert!(
        e.contains(&p.display().to_string()) && e.contains("row 5"),
        "{e}"
    );
    std::fs::remove_file(p).ok();
}
