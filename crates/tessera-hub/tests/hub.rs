//! Downloads and the cache against a real HTTP server on 127.0.0.1 (no other network).
//! Every test passes `model_dir` explicitly; the environment variables are tested in
//! tests/hub_dir.rs, a separate binary.

mod common;

use common::*;
use std::time::Duration;
use tessera_core::{StateDict, Tensor};
use tessera_hub::{
    download_url_to_file, download_url_to_file_with, load_state_dict_from_url,
    load_state_dict_from_url_with, model_zoo, DownloadOptions, LoadOptions,
};

fn checkpoint() -> (StateDict, Vec<u8>) {
    let mut sd = StateDict::new();
    sd.insert("fc.weight", Tensor::arange(0.0, 6.0).reshape([2, 3]));
    sd.insert("fc.bias", Tensor::from_vec(vec![0.5f32, -0.5], &[2]));
    let bytes = tessera_io::save_bytes(&sd).unwrap();
    (sd, bytes)
}

fn opts(dir: &std::path::Path) -> LoadOptions {
    LoadOptions {
        model_dir: Some(dir.to_path_buf()),
        download: DownloadOptions {
            progress: false,
            ..DownloadOptions::default()
        },
        ..LoadOptions::default()
    }
}

#[test]
fn download_writes_the_file_and_nothing_else() {
    let s = Server::start();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let url = s.route(
        "/blob.bin",
        Route::Body {
            data: data.clone(),
            chunks: 7,
            delay: Duration::ZERO,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("blob.bin");
    let hash = sha256_hex(&data);
    download_url_to_file(&url, &dst, Some(&hash[..10]), false).unwrap();
    assert_eq!(std::fs::read(&dst).unwrap(), data);
    assert_eq!(files(dir.path()), ["blob.bin"]);
    // The full hash works too, and redirects are followed.
    let redirect = s.route("/moved", Route::Redirect(url.clone()));
    let dst2 = dir.path().join("moved.bin");
    download_url_to_file(&redirect, &dst2, Some(&hash), false).unwrap();
    assert_eq!(std::fs::read(&dst2).unwrap(), data);
}

#[test]
fn hash_mismatch_is_pytorchs_error_and_leaves_nothing() {
    let s = Server::start();
    let url = s.body("/w.bin", b"some weights");
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("w.bin");
    let e = download_url_to_file(&url, &dst, Some("deadbeef"), false)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "invalid hash value (expected \"deadbeef\", got \"{}\")",
            sha256_hex(b"some weights")
        )
    );
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
}

#[test]
fn server_errors_and_cut_connections_leave_nothing() {
    let s = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("x.bin");
    let e = download_url_to_file(&s.route("/err", Route::Status(500)), &dst, None, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("HTTP Error 500"), "{e}");
    let e = download_url_to_file(&format!("{}/missing", s.base), &dst, None, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("HTTP Error 404"), "{e}");
    let cut = s.route(
        "/cut",
        Route::Cut {
            data: vec![7; 100_000],
            sent: 50_000,
        },
    );
    let e = download_url_to_file(&cut, &dst, None, false).unwrap_err();
    let msg = format!("{e} {:?}", std::error::Error::source(&e));
    assert!(msg.contains("/cut"), "{msg}");
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
    // Nobody listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let o = DownloadOptions {
        progress: false,
        connect_timeout: Duration::from_secs(5),
        ..DownloadOptions::default()
    };
    let e = download_url_to_file_with(&format!("http://127.0.0.1:{port}/x"), &dst, None, &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("downloading http://127.0.0.1"), "{e}");
    assert!(files(dir.path()).is_empty());
}

#[test]
fn a_stalled_server_times_out() {
    let s = Server::start();
    let url = s.route(
        "/slow",
        Route::Body {
            data: vec![1; 4],
            chunks: 4,
            delay: Duration::from_millis(1500),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let o = DownloadOptions {
        progress: false,
        read_timeout: Duration::from_millis(300),
        ..DownloadOptions::default()
    };
    assert!(download_url_to_file_with(&url, dir.path().join("s"), None, &o).is_err());
    assert!(files(dir.path()).is_empty());
}

#[test]
fn load_state_dict_downloads_once_then_uses_the_cache() {
    let s = Server::start();
    let (sd, bytes) = checkpoint();
    let name = format!("model-{}.pth", &sha256_hex(&bytes)[..8]);
    let path = format!("/models/{name}");
    let url = s.body(&path, &bytes);
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(dir.path());
    o.check_hash = true;
    let got = load_state_dict_from_url_with(&url, &o).unwrap();
    assert_eq!(got.keys().collect::<Vec<_>>(), ["fc.weight", "fc.bias"]);
    assert_eq!(
        got["fc.weight"].to_vec::<f32>(),
        sd["fc.weight"].to_vec::<f32>()
    );
    assert_eq!(s.hits(&path), 1);
    // A cache hit makes no request; the alias and PyTorch's signature agree.
    let again = model_zoo::load_url(&url, Some(dir.path()), false, true, None).unwrap();
    assert_eq!(again["fc.bias"].to_vec::<f32>(), [0.5, -0.5]);
    assert_eq!(s.hits(&path), 1);
    assert_eq!(files(dir.path()), [name.clone(), format!("{name}.lock")]);
    // file_name picks the cached name.
    let renamed = load_state_dict_from_url(&url, Some(dir.path()), false, false, Some("x.pth"));
    assert!(renamed.is_ok());
    assert_eq!(s.hits(&path), 2);
}

#[test]
fn hash_prefix_in_the_name_is_checked() {
    let s = Server::start();
    let (_, bytes) = checkpoint();
    let url = s.body("/bad-0123abcd.pth", &bytes);
    let dir = tempfile::tempdir().unwrap();
    let e = load_state_dict_from_url(&url, Some(dir.path()), false, true, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("invalid hash value (expected \"0123abcd\", got \""),
        "{e}"
    );
    assert_eq!(files(dir.path()), ["bad-0123abcd.pth.lock"]);
    // Without check_hash the same file loads.
    assert!(load_state_dict_from_url(&url, Some(dir.path()), false, false, None).is_ok());
}

#[test]
fn verify_cached_checks_a_file_already_in_the_cache() {
    let s = Server::start();
    let (_, bytes) = checkpoint();
    let name = format!("m-{}.pth", &sha256_hex(&bytes)[..12]);
    let url = s.body(&format!("/{name}"), &bytes);
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(dir.path());
    o.check_hash = true;
    load_state_dict_from_url_with(&url, &o).unwrap();
    // Corrupt the cached copy: PyTorch's behaviour (no verify) loads whatever is there.
    let cached = dir.path().join(&name);
    let mut b = std::fs::read(&cached).unwrap();
    let n = b.len();
    b[n / 2] ^= 1;
    std::fs::write(&cached, &b).unwrap();
    o.verify_cached = true;
    let e = load_state_dict_from_url_with(&url, &o)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("invalid hash value") && e.contains("delete it"),
        "{e}"
    );
}

#[test]
fn two_concurrent_downloads_of_one_file_fetch_it_once() {
    let s = Server::start();
    let (_, bytes) = checkpoint();
    let url = s.route(
        "/shared.pth",
        Route::Body {
            data: bytes,
            chunks: 10,
            delay: Duration::from_millis(30),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (url, o) = (url.clone(), opts(dir.path()));
            std::thread::spawn(move || load_state_dict_from_url_with(&url, &o))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap().len(), 2);
    }
    assert_eq!(s.hits("/shared.pth"), 1);
    assert_eq!(files(dir.path()), ["shared.pth", "shared.pth.lock"]);
}

#[test]
fn local_paths_and_file_urls_load_in_place() {
    let (_, bytes) = checkpoint();
    let dir = tempfile::tempdir().unwrap();
    let name = format!("local-{}.pth", &sha256_hex(&bytes)[..8]);
    let path = dir.path().join(&name);
    std::fs::write(&path, &bytes).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let url = format!("file://{}", path.display());
    for u in [url.as_str(), path.to_str().unwrap()] {
        let sd = load_state_dict_from_url(u, Some(cache.path()), false, true, None).unwrap();
        assert_eq!(sd.len(), 2);
    }
    assert!(files(cache.path()).is_empty(), "nothing is copied");
    // A wrong hash prefix in a local file's name is caught as well.
    let wrong = dir.path().join("local-00000000.pth");
    std::fs::write(&wrong, &bytes).unwrap();
    let e = load_state_dict_from_url(wrong.to_str().unwrap(), None, false, true, None);
    assert!(e.unwrap_err().to_string().contains("invalid hash value"));
    // download_url_to_file copies a file:// URL.
    let dst = cache.path().join("copy.pth");
    download_url_to_file(&url, &dst, Some(&sha256_hex(&bytes)[..6]), false).unwrap();
    assert_eq!(std::fs::read(&dst).unwrap(), bytes);
    let e = download_url_to_file("file:///nonexistent/x", &dst, None, false).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/x"));
}

#[test]
fn a_zip_of_one_checkpoint_is_extracted_as_pytorch_does() {
    use std::io::Write;
    let (_, bytes) = checkpoint();
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("inner.pth", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(&bytes).unwrap();
    let zipped = z.finish().unwrap().into_inner();
    let s = Server::start();
    let url = s.body("/old.zip", &zipped);
    let dir = tempfile::tempdir().unwrap();
    let sd = load_state_dict_from_url(&url, Some(dir.path()), false, false, None).unwrap();
    assert_eq!(sd.len(), 2);
    assert_eq!(files(dir.path()), ["inner.pth", "old.zip", "old.zip.lock"]);
}

#[test]
fn corrupt_downloads_are_errors_not_panics() {
    let s = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let url = s.body("/junk.pth", b"PK\x03\x04 this is not a zip");
    let e = load_state_dict_from_url(&url, Some(dir.path()), false, false, None).unwrap_err();
    assert!(e.to_string().contains("zip"), "{e}");
    let e = load_state_dict_from_url(
        &format!("{}/", s.base),
        Some(dir.path()),
        false,
        false,
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("file_name"), "{e}");
}

/// The child side of `two_processes_download_one_file_once`: does nothing unless the
/// parent set `TESSERA_HUB_CHILD` to "<url> <model dir>".
#[test]
fn child_download() {
    let Ok(arg) = std::env::var("TESSERA_HUB_CHILD") else {
        return;
    };
    let (url, dir) = arg.split_once(' ').unwrap();
    let sd = load_state_dict_from_url_with(url, &opts(std::path::Path::new(dir))).unwrap();
    assert_eq!(sd.len(), 2);
}

#[test]
fn two_processes_download_one_file_once() {
    let s = Server::start();
    let (_, bytes) = checkpoint();
    let url = s.route(
        "/proc.pth",
        Route::Body {
            data: bytes,
            chunks: 10,
            delay: Duration::from_millis(40),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", "child_download", "--test-threads", "1"])
                .env(
                    "TESSERA_HUB_CHILD",
                    format!("{url} {}", dir.path().display()),
                )
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(s.hits("/proc.pth"), 1);
    assert_eq!(files(dir.path()), ["proc.pth", "proc.pth.lock"]);
}

/// The child side of `a_full_disk_leaves_nothing`: with files limited to 20 KB
/// (RLIMIT_FSIZE: a write past it fails as on a full disk), downloads "<url>" into
/// "<dir>" and expects an error naming the write.
#[cfg(target_os = "linux")]
#[test]
fn child_full_disk() {
    let Ok(arg) = std::env::var("TESSERA_HUB_FULL_DISK") else {
        return;
    };
    let (url, dir) = arg.split_once(' ').unwrap();
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
    let e = load_state_dict_from_url_with(url, &opts(std::path::Path::new(dir))).unwrap_err();
    assert!(e.to_string().contains("writing"), "{e}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_leaves_nothing() {
    let s = Server::start();
    let url = s.body("/big.pth", &vec![1u8; 200_000]);
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_full_disk", "--test-threads", "1"])
        .env(
            "TESSERA_HUB_FULL_DISK",
            format!("{url} {}", dir.path().display()),
        )
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(s.hits("/big.pth"), 1);
    assert_eq!(files(dir.path()), ["big.pth.lock"]);
}
