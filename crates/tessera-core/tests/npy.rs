//! `.npy` reading and writing against files made by NumPy (`scripts/make_npy_data.py`),
//! round trips, and corrupt input.

mod common;
use std::path::PathBuf;
use tessera_core::{tensor, DType, Error, Tensor};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/npy")
}

struct Record {
    file: String,
    expected: Tensor,
    exact: bool,
}

fn field<'a>(lines: &mut impl Iterator<Item = &'a str>, key: &str) -> String {
    let l = lines.next().unwrap();
    l.strip_prefix(key)
        .unwrap_or_else(|| panic!("expected {key}, got {l}"))
        .trim()
        .to_string()
}

/// The readable records and the names of the unsupported files.
fn manifest() -> (Vec<Record>, Vec<String>) {
    let text = std::fs::read_to_string(data_dir().join("manifest.txt")).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let (mut records, mut unsupported) = (Vec::new(), Vec::new());
    while let Some(line) = lines.next() {
        if let Some(name) = line.strip_prefix("unsupported ") {
            unsupported.push(name.to_string());
            continue;
        }
        let file = line.strip_prefix("file ").expect("file line").to_string();
        let dtype = common::parse_dtype(&field(&mut lines, "dtype"));
        let shape: Vec<usize> = field(&mut lines, "shape")
            .split_whitespace()
            .map(|s| s.parse().unwrap())
            .collect();
        let exact = field(&mut lines, "exact") == "1";
        let expected = common::build_tensor(
            dtype,
            &shape,
            field(&mut lines, "values").split_whitespace(),
        );
        assert_eq!(lines.next(), Some("end"));
        records.push(Record {
            file,
            expected,
            exact,
        });
    }
    (records, unsupported)
}

/// Same dtype, shape and values, floats compared bit for bit.
fn assert_same(got: &Tensor, want: &Tensor, what: &str) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    if want.is_floating_point() {
        let bits = |t: &Tensor| -> Vec<u64> {
            let v = t.to_dtype(DType::F64).to_vec::<f64>();
            v.iter().map(|x| x.to_bits()).collect()
        };
        assert_eq!(bits(got), bits(want), "{what}: values");
    } else {
        let ints = |t: &Tensor| t.to_dtype(DType::I64).to_vec::<i64>();
        assert_eq!(ints(got), ints(want), "{what}: values");
    }
}

fn assert_format_error(r: tessera_core::Result<Tensor>, needle: &str, what: &str) {
    match r {
        Err(Error::Format { format, message }) => {
            assert_eq!(format, "npy");
            assert!(
                message.contains(needle),
                "{what}: message {message:?} lacks {needle:?}"
            );
        }
        Err(e) => panic!("{what}: wrong error kind {e:?}"),
        Ok(t) => panic!("{what}: read as {t:?}"),
    }
}

#[test]
fn reads_numpy_files() {
    let (records, _) = manifest();
    assert!(records.len() >= 20);
    let dtypes: std::collections::BTreeSet<DType> =
        records.iter().map(|r| r.expected.dtype()).collect();
    assert_eq!(dtypes.len(), 7, "every dtype has a file");
    for r in &records {
        let t = Tensor::read_npy(data_dir().join(&r.file))
            .unwrap_or_else(|e| panic!("{}: {e}", r.file));
        assert!(t.is_contiguous(), "{}", r.file);
        assert_same(&t, &r.expected, &r.file);
    }
}

#[test]
fn writes_the_bytes_numpy_writes() {
    let (records, _) = manifest();
    let exact: Vec<&Record> = records.iter().filter(|r| r.exact).collect();
    assert!(exact.len() >= 10);
    for r in exact {
        let file = std::fs::read(data_dir().join(&r.file)).unwrap();
        assert!(
            r.expected.to_npy_bytes() == file,
            "{}: tessera's bytes differ from numpy's",
            r.file
        );
    }
}

#[test]
fn rejects_unsupported_dtypes() {
    let (_, unsupported) = manifest();
    assert!(unsupported.len() >= 5);
    for name in unsupported {
        let r = Tensor::read_npy(data_dir().join(&name));
        assert_format_error(r, "unsupported dtype", &name);
    }
}

fn round_trip(t: &Tensor, what: &str) {
    let back = Tensor::from_npy_bytes(&t.to_npy_bytes()).unwrap();
    assert_same(&back, &t.deep_clone(), what);
}

#[test]
fn round_trips_every_dtype_and_shape() {
    for dtype in DType::ALL {
        for shape in [&[][..], &[0], &[5], &[0, 3], &[2, 3], &[2, 1, 3, 2]] {
            let n: usize = shape.iter().product();
            let base = Tensor::arange(-7, n as i64 - 7)
                .to_dtype(dtype)
                .reshape(shape);
            round_trip(&base, &format!("{dtype} {shape:?}"));
        }
    }
    round_trip(
        &Tensor::from_vec(vec![f64::NAN, -0.0, f64::INFINITY, 5e-324], &[2, 2]),
        "special f64",
    );
    round_trip(
        &Tensor::from_vec(vec![f32::NAN, -0.0, f32::NEG_INFINITY, 1e-45], &[4]),
        "special f32",
    );
}

#[test]
fn round_trips_views_in_logical_order() {
    let x = Tensor::arange(0, 24).reshape([2, 3, 4]);
    let views = [
        x.permute([2, 0, 1]),
        x.narrow(2, 1, 2),
        x.select(1, 1),
        tensor!([1.5, 2.5]).unsqueeze(1).expand([2, 3]),
    ];
    for (i, v) in views.iter().enumerate() {
        assert!(!v.is_contiguous(), "view {i}");
        round_trip(v, &format!("view {i}"));
    }
}

#[test]
fn files_round_trip_through_disk() {
    let dir = std::env::temp_dir().join(format!("tessera-npy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("x.npy");
    let x = Tensor::from_vec(vec![1i32, -2, 3, i32::MAX, i32::MIN, 0], &[3, 2]).t();
    x.write_npy(&path).unwrap();
    assert_same(&Tensor::read_npy(&path).unwrap(), &x.deep_clone(), "disk");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn io_errors_name_the_path() {
    let missing = data_dir().join("no_such_file.npy");
    match Tensor::read_npy(&missing) {
        Err(Error::Io { context, .. }) => assert!(context.contains("no_such_file.npy")),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    let bad_dir = data_dir().join("no_such_dir").join("x.npy");
    match tensor!([1.0]).write_npy(&bad_dir) {
        Err(Error::Io { context, .. }) => assert!(context.starts_with("writing")),
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

#[test]
fn huge_header_uses_version_2() {
    // More than 65535 header bytes need version 2.0's u32 length.
    let t = Tensor::from_vec(vec![7u8], &vec![1; 22_000]);
    let bytes = t.to_npy_bytes();
    assert_eq!(&bytes[6..8], &[2, 0]);
    let header_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    assert_eq!((12 + header_len) % 64, 0);
    round_trip(&t, "22000 dims");
}

fn valid_file() -> Vec<u8> {
    std::fs::read(data_dir().join("c_float32.npy")).unwrap()
}

#[test]
fn every_truncation_is_a_format_error() {
    let bytes = valid_file();
    for n in 0..bytes.len() {
        let r = Tensor::from_npy_bytes(&bytes[..n]);
        assert!(
            matches!(r, Err(Error::Format { .. })),
            "truncated to {n} bytes: {r:?}"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_format_error(
        Tensor::from_npy_bytes(&long),
        "data bytes",
        "one extra byte",
    );
}

#[test]
fn corrupt_preambles_and_headers() {
    let good = valid_file();
    let patched = |at: usize, with: &[u8]| {
        let mut b = good.clone();
        b[at..at + with.len()].copy_from_slice(with);
        b
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (patched(0, b"\x93NUMPZ"), "magic"),
        (b"PK\x03\x04 a zip file".to_vec(), "magic"),
        (patched(6, &[4, 0]), "unsupported format version 4.0"),
        (patched(6, &[1, 1]), "unsupported format version 1.1"),
        (patched(8, &[0xff, 0xff]), "truncated header"),
        (patched(10, b"["), "bad header"),
        (patched(10, b"{'descr': '<f5'"), "unsupported dtype"),
        (patched(10, b"{'descx"), "unexpected header entry"),
        (patched(12, &[0xc3, 0xa9]), "not ASCII"),
    ];
    for (bytes, needle) in cases {
        assert_format_error(Tensor::from_npy_bytes(&bytes), needle, needle);
    }
    // A bool array holding a byte other than 0 or 1.
    let mut b = tensor!([true, false]).to_npy_bytes();
    *b.last_mut().unwrap() = 2;
    assert_format_error(Tensor::from_npy_bytes(&b), "invalid byte 2", "bool byte");
}

#[test]
fn corrupt_bytes_never_panic() {
    // Every single-byte change of the preamble and header, to a few values.
    let good = valid_file();
    let data_start = good.len() - 12 * 4;
    for at in 0..data_start {
        for v in [0u8, b' ', b'(', b')', b',', b'9', b'\'', 0xff] {
            let mut b = good.clone();
            b[at] = v;
            // Ok or Err are both fine; a panic fails the test.
            let _ = Tensor::from_npy_bytes(&b);
        }
    }
}

/// A version 1.0 file with this header text (no padding) and data.
fn npy_with_header(header: &str, data: &[u8]) -> Vec<u8> {
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(header.len() as u16).to_le_bytes());
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(data);
    b
}

#[test]
fn unpadded_hand_written_headers_are_read() {
    let b = npy_with_header(
        "{\"shape\": (2,), \"descr\": \">i8\", \"fortran_order\": False}",
        &[
            0, 0, 0, 0, 0, 0, 1, 0, 255, 255, 255, 255, 255, 255, 255, 254,
        ],
    );
    let t = Tensor::from_npy_bytes(&b).unwrap();
    assert_eq!(t.to_vec::<i64>(), vec![256, -2]);
}

#[test]
fn huge_shapes_are_errors_not_allocations() {
    for shape in [
        "(18446744073709551615, 2)",
        "(4611686018427387904,)",
        "(99999999999999999999999,)",
        "(0, 18446744073709551615, 18446744073709551615)",
    ] {
        let header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}\n");
        let r = Tensor::from_npy_bytes(&npy_with_header(&header, &[0; 8]));
        assert!(matches!(r, Err(Error::Format { .. })), "{shape}: {r:?}");
    }
}
