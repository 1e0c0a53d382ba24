//! The manifest form of scripts/make_io_data.py, computed from tessera's values, and
//! small helpers to rewrite archives.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::Arc;
use tessera_core::{DType, Tensor};
use tessera_io::{FileDType, Value};

pub fn data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub fn read(name: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn nums(v: impl IntoIterator<Item = impl ToString>) -> String {
    let s: Vec<String> = v.into_iter().map(|x| x.to_string()).collect();
    if s.is_empty() {
        "-".into()
    } else {
        s.join(",")
    }
}

fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "-".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn fhex(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

fn values(t: &Tensor) -> String {
    let c = t.contiguous();
    match t.dtype() {
        DType::F32 => nums(c.to_vec::<f32>().into_iter().map(|x| fhex(x as f64))),
        DType::F64 => nums(c.to_vec::<f64>().into_iter().map(fhex)),
        DType::Bool => nums(c.to_vec::<bool>().into_iter().map(|x| x as u8)),
        DType::U8 => nums(c.to_vec::<u8>()),
        DType::I8 => nums(c.to_vec::<i8>()),
        DType::I32 => nums(c.to_vec::<i32>()),
        DType::I64 => nums(c.to_vec::<i64>()),
    }
}

/// Little-endian two's complement bytes as a decimal (up to 128 bits).
fn big_decimal(b: &[u8]) -> String {
    assert!(b.len() <= 16, "test helper handles 128 bits");
    let neg = b.last().is_some_and(|x| x & 0x80 != 0);
    let mut a = if neg { [0xff; 16] } else { [0; 16] };
    a[..b.len()].copy_from_slice(b);
    i128::from_le_bytes(a).to_string()
}

fn key(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        other => format!("{other:?}"),
    }
}

/// The manifest of `v`, as scripts/make_io_data.py writes it.
pub fn manifest(v: &Value) -> String {
    let mut out = String::new();
    let mut groups: Vec<usize> = Vec::new();
    walk("", v, &mut out, &mut groups);
    out
}

fn walk(path: &str, v: &Value, out: &mut String, groups: &mut Vec<usize>) {
    let line = match v {
        Value::Tensor(t) => {
            let ptr = Arc::as_ptr(t.storage()) as usize;
            let g = groups.iter().position(|&p| p == ptr).unwrap_or_else(|| {
                groups.push(ptr);
                groups.len() - 1
            });
            format!(
                "tensor {} {} {} {} {g} {} {}",
                t.dtype().torch_name().trim_start_matches("torch."),
                nums(t.shape().iter()),
                nums(t.strides().iter()),
                t.storage_offset(),
                t.requires_grad() as u8,
                values(t)
            )
        }
        Value::Size(s) => format!("size {}", nums(s.iter())),
        Value::Dict(d) => format!("dict {} {}", d.items.len(), d.ordered as u8),
        Value::List(l) => format!("list {}", l.len()),
        Value::Tuple(l) => format!("tuple {}", l.len()),
        Value::Set(l) => format!("set {}", l.len()),
        Value::Bool(b) => format!("bool {}", *b as u8),
        Value::Int(i) => format!("int {i}"),
        Value::BigInt(b) => format!("int {}", big_decimal(b)),
        Value::Float(f) => format!("float {}", fhex(*f)),
        Value::Str(s) => format!("str {}", hex(s.as_bytes())),
        Value::Bytes(b) => format!("bytes {}", hex(b)),
        Value::None => "none -".to_string(),
        Value::DType(n) => format!("dtype {n}"),
        Value::QTensor(q) => format!("qtensor {}", q.values.dtype()),
    };
    out.push_str(&format!("{path} {line}\n"));
    match v {
        Value::Dict(d) => {
            for (k, x) in &d.items {
                walk(&format!("{path}/{}", key(k)), x, out, groups);
            }
            for (k, x) in &d.attrs {
                walk(&format!("{path}/@{k}"), x, out, groups);
            }
        }
        Value::List(l) | Value::Tuple(l) => {
            for (i, x) in l.iter().enumerate() {
                walk(&format!("{path}/{i}"), x, out, groups);
            }
        }
        _ => {}
    }
}

/// A manifest that PyTorch wrote, with each tensor's dtype replaced by the one tessera
/// loads it as (float16 -> float32, ...).
pub fn expected_manifest(name: &str) -> String {
    let text = String::from_utf8(read(&format!("{name}.txt"))).unwrap();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.splitn(4, ' ').collect();
            if f.len() == 4 && f[1] == "tensor" {
                let d = FileDType::from_torch_name(f[2]).unwrap().loaded_as();
                format!(
                    "{} tensor {} {}\n",
                    f[0],
                    d.torch_name().trim_start_matches("torch."),
                    f[3]
                )
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// Compares two manifests line by line, naming the first difference.
pub fn assert_same(got: &str, want: &str, what: &str) {
    for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "{what}: line {} differs", i + 1);
    }
    assert_eq!(
        got.lines().count(),
        want.lines().count(),
        "{what}: line counts"
    );
}

/// The entries of a zip archive, in order.
pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut v = Vec::new();
            f.read_to_end(&mut v).unwrap();
            (f.name().to_string(), v)
        })
        .collect()
}

/// A stored zip archive of `entries`.
pub fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (n, d) in entries {
        z.start_file(n.as_str(), opts).unwrap();
        z.write_all(d).unwrap();
    }
    z.finish().unwrap().into_inner()
}
