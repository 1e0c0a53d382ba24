//! `.pth` files that PyTorch wrote (scripts/make_io_data.py), files tessera writes and
//! PyTorch read back, and the errors of corrupt or hostile files.

mod common;

use common::*;
use tessera_core::{Error, StateDict, Tensor};
use tessera_io::{load, load_bytes, save_bytes, Dict, Value};

fn load_data(name: &str) -> Value {
    load(data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn files_pytorch_wrote_load_value_for_value() {
    for name in [
        "dtypes.pth",
        "views.pth",
        "nested.pth",
        "state_dict.pth",
        "legacy.pth",
        "big_endian.pth",
    ] {
        let v = load_data(name);
        assert_same(&manifest(&v), &expected_manifest(name), name);
    }
}

#[test]
fn views_share_one_storage_with_their_layouts() {
    let v = load_data("views.pth");
    let t = |k: &str| v.get(k).and_then(Value::as_tensor).unwrap().clone();
    let base = t("base");
    for k in ["t", "narrow", "strided", "row", "empty_view"] {
        assert!(t(k).shares_storage(&base), "{k}");
    }
    assert!(!t("expand").shares_storage(&base));
    assert_eq!(t("narrow").storage_offset(), 8);
    assert_eq!(t("expand").strides(), &[0, 1]);
    // A write through one view is seen through the others, as in PyTorch.
    t("t").write_values(&[100.0f32; 24]);
    assert_eq!(t("narrow").get::<f32>(&[0, 0]), 100.0);
    // The legacy format keeps the sharing too.
    let legacy = load_data("legacy.pth");
    let lv = legacy.get("views").unwrap();
    let (a, b) = (lv.get("base").unwrap(), lv.get("strided").unwrap());
    assert!(a
        .as_tensor()
        .unwrap()
        .shares_storage(b.as_tensor().unwrap()));
}

#[test]
fn state_dicts_and_parameters() {
    let v = load_data("state_dict.pth");
    let sd = v.to_state_dict().unwrap();
    assert_eq!(
        sd.keys().collect::<Vec<_>>(),
        [
            "0.weight",
            "0.bias",
            "1.weight",
            "1.bias",
            "1.running_mean",
            "1.running_var",
            "1.num_batches_tracked",
            "3.weight",
            "3.bias"
        ]
    );
    let meta = v.as_dict().unwrap().attr("_metadata").unwrap();
    assert_eq!(
        meta.get("1")
            .and_then(|m| m.get("version"))
            .and_then(Value::as_int),
        Some(2)
    );
    let sd2 = tessera_io::load_state_dict(data_dir().join("legacy.pth"));
    assert!(sd2.unwrap_err().to_string().contains("\"views\" is a dict"));
    let nested = load_data("nested.pth");
    let p = nested.get("param").and_then(Value::as_tensor).unwrap();
    assert!(p.requires_grad());
}

/// What tessera writes to tests/data/from_tessera.pth (and .safetensors): every dtype,
/// shared and non-contiguous storages, NaN and infinities, zero-size and 0-dim tensors,
/// a parameter, nested containers and an OrderedDict with `_metadata`.
fn tessera_value() -> Value {
    let base = Tensor::arange(0.0, 12.0).reshape([3, 4]);
    let f64s = Tensor::from_vec(
        vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            1e-310,
            0.1,
        ],
        &[2, 3],
    );
    let param = Tensor::from_vec(vec![0.5f32, -1.5], &[2]);
    param.requires_grad_(true);
    let mut sd = Dict {
        ordered: true,
        ..Dict::default()
    };
    let mut put = |k: &str, v: Value| sd.insert(Value::from(k), v);
    put("base", base.clone().into());
    put("t", base.t().into());
    put("narrow", base.narrow(1, 1, 2).into());
    put("row", base.select(0, 2).into());
    put("expand", Tensor::arange(0i64, 3).expand([2, 3]).into());
    put("f64", f64s.t().into());
    put(
        "i64",
        Tensor::from_vec(vec![i64::MIN, -1, i64::MAX], &[3]).into(),
    );
    put(
        "i32",
        Tensor::from_vec(vec![i32::MIN, 7, i32::MAX], &[3]).into(),
    );
    put("i8", Tensor::from_vec(vec![-128i8, 0, 127], &[3]).into());
    put("u8", Tensor::from_vec(vec![0u8, 1, 255], &[3]).into());
    put("bool", Tensor::from_vec(vec![true, false], &[2]).into());
    put("scalar", Tensor::scalar(2.5f64).into());
    put("empty", Tensor::zeros(&[0, 2]).into());
    put("param", param.into());
    sd.attrs.push((
        "_metadata".into(),
        Value::Dict(Dict {
            items: vec![(
                Value::from(""),
                Value::Dict(Dict {
                    items: vec![(Value::from("version"), Value::Int(1))],
                    ..Dict::default()
                }),
            )],
            ordered: true,
            attrs: vec![],
        }),
    ));
    let mut top = Dict::default();
    top.insert(Value::from("model"), Value::Dict(sd));
    top.insert(
        Value::from("extra"),
        Value::List(vec![
            Value::Int(-(1 << 40)),
            Value::Float(0.1),
            Value::from("ünïcode"),
            Value::Bytes(vec![0, 255, 10]),
            Value::None,
            Value::Bool(true),
            Value::Tuple(vec![
                Value::Size(vec![2, 3]),
                Value::DType("float16".into()),
            ]),
        ]),
    );
    top.insert(Value::Int(3), Value::from("int key"));
    Value::Dict(top)
}

#[test]
fn tessera_files_read_back_in_pytorch_tensor_for_tensor() {
    let v = tessera_value();
    let bytes = save_bytes(v.clone()).unwrap();
    let st: StateDict = v.get("model").unwrap().to_state_dict().unwrap();
    let st_bytes = tessera_io::safetensors::save(&st, None).unwrap();
    let dir = data_dir();
    if std::env::var_os("TESSERA_WRITE_IO_DATA").is_some() {
        std::fs::write(dir.join("from_tessera.pth"), &bytes).unwrap();
        std::fs::write(dir.join("from_tessera.safetensors"), &st_bytes).unwrap();
    }
    assert!(
        read("from_tessera.pth") == bytes && read("from_tessera.safetensors") == st_bytes,
        "tessera now writes different files: rerun with TESSERA_WRITE_IO_DATA=1, then \
         `python3 scripts/make_io_data.py --readback`, and commit the files"
    );
    // What torch.load(weights_only=True) read from the committed file.
    assert_same(
        &manifest(&v),
        &expected_manifest("from_tessera.pth.read"),
        "from_tessera.pth",
    );
    // safetensors sorts by name and has no sharing or views.
    let mut sorted = Dict {
        ordered: false,
        ..Dict::default()
    };
    let mut keys: Vec<&str> = st.keys().collect();
    keys.sort();
    for k in keys {
        let t = st[k].contiguous();
        let fresh = Tensor::from_storage(
            std::sync::Arc::new(tessera_core::Storage::new(t.storage().read().clone())),
            t.layout().clone(),
        );
        fresh.requires_grad_(false);
        sorted.insert(Value::from(k), Value::Tensor(fresh));
    }
    let got = manifest(&Value::Dict(sorted));
    let want = expected_manifest("from_tessera.safetensors.read");
    // Compare without storage groups and requires_grad (safetensors keeps neither).
    let strip = |s: &str| -> String {
        s.lines()
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                if f.len() == 9 {
                    format!("{} {} {} {} {}\n", f[0], f[2], f[3], f[4], f[8])
                } else {
                    format!("{l}\n")
                }
            })
            .collect()
    };
    assert_same(&strip(&got), &strip(&want), "from_tessera.safetensors");
}

#[test]
fn save_then_load_in_tessera_keeps_everything() {
    let v = tessera_value();
    let back = load_bytes(&save_bytes(v.clone()).unwrap()).unwrap();
    assert_same(&manifest(&back), &manifest(&v), "round trip");
    let m = back.get("model").unwrap();
    let (b, t) = (m.get("base").unwrap(), m.get("t").unwrap());
    assert!(b
        .as_tensor()
        .unwrap()
        .shares_storage(t.as_tensor().unwrap()));
    // A lone tensor and a StateDict are values too.
    let x = Tensor::arange(0.0, 6.0).reshape([2, 3]).narrow(1, 1, 2);
    let y = load_bytes(&save_bytes(x.clone()).unwrap()).unwrap();
    let y = y.as_tensor().unwrap();
    assert_eq!(
        (y.shape(), y.strides(), y.storage_offset()),
        (&[2, 2][..], &[3, 1][..], 1)
    );
    assert_eq!(
        y.contiguous().to_vec::<f32>(),
        x.contiguous().to_vec::<f32>()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut sd = StateDict::new();
    sd.insert("a", x);
    tessera_io::save(&sd, dir.path().join("sd.pth")).unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file is left"
    );
    let sd2 = tessera_io::load_state_dict(dir.path().join("sd.pth")).unwrap();
    assert_eq!(sd2["a"].shape(), &[2, 2]);
}

fn format_err(r: tessera_core::Result<Value>) -> String {
    match r {
        Err(e @ Error::Format { .. }) => e.to_string(),
        Err(e) => panic!("expected a format error, got {e}"),
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

fn with_entry(entries: &[(String, Vec<u8>)], suffix: &str, data: Vec<u8>) -> Vec<u8> {
    let mut e = entries.to_vec();
    let slot = e.iter_mut().find(|(n, _)| n.ends_with(suffix)).unwrap();
    slot.1 = data;
    rezip(&e)
}

#[test]
fn hostile_and_corrupt_files_are_errors_that_say_why() {
    let good = read("views.pth");
    let entries = unzip(&good);
    // A forbidden global: the pickle that would run os.system in PyTorch.
    let evil = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00lsq\x00\x85R.".to_vec();
    let e = format_err(load_bytes(&with_entry(&entries, "data.pkl", evil)));
    assert!(e.contains("unsupported global os.system"), "{e}");
    // An opcode that builds arbitrary objects.
    let e = format_err(load_bytes(&with_entry(
        &entries,
        "data.pkl",
        b"\x80\x02(cos\nsystem\no.".to_vec(),
    )));
    assert!(e.contains("os.system") || e.contains("OBJ"), "{e}");
    // A storage shorter than its tensors claim.
    let short = entries
        .iter()
        .find(|(n, _)| n.ends_with("data/0"))
        .unwrap()
        .1[..40]
        .to_vec();
    let e = format_err(load_bytes(&with_entry(&entries, "data/0", short)));
    assert!(e.contains("storage \"0\" has 40 bytes"), "{e}");
    // An entry with `..` in its path.
    let mut e2 = entries.clone();
    e2.push(("archive/../../etc/passwd".into(), b"x".to_vec()));
    let e = format_err(load_bytes(&rezip(&e2)));
    assert!(e.contains("`..`"), "{e}");
    // No data.pkl.
    let e = format_err(load_bytes(&rezip(&entries[1..])));
    assert!(e.contains("no data.pkl"), "{e}");
    // Truncated anywhere: an error, never a panic.
    for cut in (0..good.len()).step_by(97) {
        assert!(load_bytes(&good[..cut]).is_err(), "cut at {cut}");
    }
    // A flipped byte inside a stored tensor: the CRC catches it.
    let mut bad = good.clone();
    let at = bad
        .windows(4)
        .position(|w| w == [0, 0, 0x80, 0x3f])
        .unwrap(); // 1.0f32
    bad[at + 3] ^= 0x40;
    let e = format_err(load_bytes(&bad));
    assert!(e.contains("CRC"), "{e}");
    // The same from a file, whose storages are read straight into their buffers.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.pth"), &bad).unwrap();
    let e = format_err(load(dir.path().join("bad.pth")));
    assert!(e.contains("CRC") && e.contains("bad.pth"), "{e}");
    let short = &good[..good.len() - 30];
    std::fs::write(dir.path().join("short.pth"), short).unwrap();
    assert!(load(dir.path().join("short.pth")).is_err());
    // Not a PyTorch file at all.
    let e = format_err(load_bytes(b"hello"));
    assert!(e.contains("not a PyTorch file"), "{e}");
    let e = format_err(load_bytes(&[]));
    assert!(e.contains("not a PyTorch file"), "{e}");
    // Legacy files truncated anywhere.
    let legacy = read("legacy.pth");
    for cut in (0..legacy.len()).step_by(53) {
        assert!(load_bytes(&legacy[..cut]).is_err(), "legacy cut at {cut}");
    }
    // A missing file is an I/O error naming it.
    let e = load("/nonexistent/x.pth").unwrap_err();
    assert!(matches!(e, Error::Io { .. }) && e.to_string().contains("/nonexistent/x.pth"));
}

#[test]
fn hostile_pickles_do_not_blow_up() {
    // A memo reference doubling a list 64 times: exponential if copied.
    let mut p = b"\x80\x02]q\x000".to_vec();
    for _ in 0..64 {
        p.extend_from_slice(b"h\x00h\x00\x86q\x000");
    }
    p.extend_from_slice(b"h\x00.");
    let entries = unzip(&read("views.pth"));
    let e = format_err(load_bytes(&with_entry(&entries, "data.pkl", p)));
    assert!(e.contains("huge") || e.contains("nested"), "{e}");
    // A list that contains itself.
    let e = format_err(load_bytes(&with_entry(
        &entries,
        "data.pkl",
        b"\x80\x02]q\x00h\x00a.".to_vec(),
    )));
    assert!(e.contains("contains itself"), "{e}");
    // A tensor claiming a size that overflows, and a negative stride.
    let sizes: [(&[u8], &[u8]); 3] = [
        (b"\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f", b"K\x02"),
        (b"K\x02", b"J\xff\xff\xff\xff"),
        (b"K\x03", b"K\x01"),
    ];
    for (size, stride) in sizes {
        let mut p = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x02tQK\x00".to_vec();
        p.extend_from_slice(size);
        p.push(0x85);
        p.extend_from_slice(stride);
        p.extend_from_slice(b"\x85\x89}tR.");
        let mut e = entries.clone();
        e.retain(|(n, _)| !n.contains("/data/") || n.ends_with("data/0"));
        let slot = e.iter_mut().find(|(n, _)| n.ends_with("data/0")).unwrap();
        slot.1 = vec![0; 8];
        let e = format_err(load_bytes(&with_entry(&e, "data.pkl", p)));
        assert!(
            e.contains("overflow") || e.contains("negative") || e.contains("shorter"),
            "{e}"
        );
    }
}

#[test]
fn pickles_that_amplify_their_work_are_refused_quickly() {
    use tessera_io::pickle::unpickle_only;
    // set(big_list) called 20,000 times on one memoized list of 50,000 items.
    let mut p = b"\x80\x02]q\x00(".to_vec();
    p.extend(std::iter::repeat_n(*b"K\x01", 50_000).flatten());
    p.extend_from_slice(b"e0cbuiltins\nset\nq\x010(");
    p.extend(std::iter::repeat_n(*b"h\x01h\x00\x85R", 20_000).flatten());
    p.extend_from_slice(b"l.");
    let e = unpickle_only(&p).unwrap_err().to_string();
    assert!(e.contains("would not end"), "{e}");
    // One 60 KB string referenced 100,000 times.
    let mut p = b"\x80\x02X\x60\xea\x00\x00".to_vec();
    p.extend(std::iter::repeat_n(b'a', 60_000));
    p.extend_from_slice(b"q\x000(");
    p.extend(std::iter::repeat_n(*b"h\x00", 100_000).flatten());
    p.extend_from_slice(b"l.");
    let e = unpickle_only(&p).unwrap_err().to_string();
    assert!(e.contains("huge"), "{e}");
    // A tuple nested 100,000 deep as BUILD state: refused without recursing.
    let mut p = b"\x80\x02}N".to_vec();
    p.extend(std::iter::repeat_n(0x85u8, 100_000));
    p.extend_from_slice(b"b.");
    let e = unpickle_only(&p).unwrap_err().to_string();
    assert!(e.contains("BUILD"), "{e}");
    // ... and as a value: refused at the depth limit.
    let mut p = b"\x80\x02N".to_vec();
    p.extend(std::iter::repeat_n(0x85u8, 100_000));
    p.push(b'.');
    let e = unpickle_only(&p).unwrap_err().to_string();
    assert!(e.contains("nested"), "{e}");
    // A dict of 200,000 distinct keys is fine (keys are found by hash), and a key set
    // twice keeps its first position and its last value, as in Python.
    let mut p = b"\x80\x02}(".to_vec();
    for i in 0..200_000i32 {
        p.push(b'J');
        p.extend_from_slice(&i.to_le_bytes());
        p.push(b'N');
    }
    p.extend_from_slice(b"J\x00\x00\x00\x00K\x07u.");
    let v = unpickle_only(&p).unwrap();
    let d = v.as_dict().unwrap();
    assert_eq!(d.items.len(), 200_000);
    assert_eq!(d.items[0].1.as_int(), Some(7));
}

/// The child side of `saving_to_a_full_disk_leaves_no_file`: with files limited to
/// 20 KB (RLIMIT_FSIZE: a write past it fails as on a full disk), saves a 400 KB state
/// dict into the folder `TESSERA_IO_FULL_DISK` names and expects an error.
#[cfg(target_os = "linux")]
#[test]
fn child_save_full_disk() {
    let Ok(dir) = std::env::var("TESSERA_IO_FULL_DISK") else {
        return;
    };
    // SAFETY: plain libc calls on this process: ignore SIGXFSZ (so the write fails with
    // EFBIG instead of killing the process) and cap the size of files it writes.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let lim = libc::rlimit {
            rlim_cur: 20_000,
            rlim_max: 20_000,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &lim), 0);
    }
    let mut sd = StateDict::new();
    sd.insert("w", Tensor::zeros(&[100_000]));
    let dir = std::path::Path::new(&dir);
    assert!(tessera_io::save(&sd, dir.join("m.pth")).is_err());
    assert!(tessera_io::safetensors::save_file(&sd, dir.join("m.safetensors"), None).is_err());
}

#[cfg(target_os = "linux")]
#[test]
fn saving_to_a_full_disk_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_save_full_disk", "--test-threads", "1"])
        .env("TESSERA_IO_FULL_DISK", dir.path())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
