//! The build cache across processes: a second `load` in a new process does not compile,
//! two processes loading at once both succeed (one builds, one waits), and a process
//! killed in the middle of a build leaves no lock behind.
//!
//! The other processes are this test binary run again with `TESSERA_EXT_TEST_CHILD` set:
//! then `child_process_entry` loads the C test extension from that build root and prints
//! what happened.

#![cfg(unix)]

mod common;

use common::csrc;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};
use tessera_core::{tensor, DType};
use tessera_extension::{load, LoadOptions};

const CHILD: &str = "TESSERA_EXT_TEST_CHILD";
const CHILD_CC: &str = "TESSERA_EXT_TEST_CC";

fn options(root: &Path, cc: Option<&str>) -> LoadOptions {
    let o = LoadOptions::new().build_directory(root);
    match cc {
        Some(cc) => o.cc(cc),
        None => o,
    }
}

/// Loads the extension and checks one call: what every process of these tests does.
fn load_and_check(root: &Path, cc: Option<&str>) -> (bool, PathBuf) {
    let ext =
        load("cached_ops", &[csrc("ops.c")], &options(root, cc)).unwrap_or_else(|e| panic!("{e}"));
    let x = tensor!([0.0, 1.0]).to_dtype(DType::F64);
    let y = ext.call("scaled_expm1", &[&x], &[2.0]).unwrap().remove(0);
    assert_eq!(y.to_vec::<f64>(), vec![0.0, 1f64.exp_m1() * 2.0]);
    (ext.was_compiled(), ext.library_path().to_path_buf())
}

/// In a child process (`TESSERA_EXT_TEST_CHILD=<build root>`): loads and prints
/// `compiled=<bool> path=<library>`. In the test run itself it does nothing.
#[test]
fn child_process_entry() {
    let Some(root) = std::env::var_os(CHILD) else {
        return;
    };
    let cc = std::env::var(CHILD_CC).ok();
    let (compiled, path) = load_and_check(Path::new(&root), cc.as_deref());
    println!("compiled={compiled} path={}", path.display());
}

fn spawn_child(root: &Path, cc: Option<&Path>, hang: Option<&Path>) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_process_entry",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, root)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if let Some(cc) = cc {
        cmd.env(CHILD_CC, cc);
    }
    if let Some(h) = hang {
        cmd.env("TESSERA_TEST_HANG", h);
    }
    // Its own process group, so that a test can kill it with the compiler it started.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.spawn().unwrap()
}

/// Waits for a child and returns whether it compiled and the library path.
fn finish(child: Child) -> (bool, PathBuf) {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The harness prints `test child_process_entry ... ` before the report.
    let line = stdout
        .lines()
        .find_map(|l| l.find("compiled=").map(|i| &l[i..]))
        .unwrap_or_else(|| panic!("no report from the child: {stdout}"));
    let (c, p) = line.split_once(" path=").unwrap();
    (c == "compiled=true", PathBuf::from(p))
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

#[test]
fn a_second_process_loads_without_compiling() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (compiled, lib) = finish(spawn_child(dir.path(), None, None));
    assert!(compiled, "the first process builds");
    // It remembered the compiler for the next process (no compiler run on a warm load).
    assert!(
        std::fs::read_dir(dir.path().join("compilers"))
            .unwrap()
            .count()
            > 0
    );
    let (built_at, log_at) = (mtime(&lib), mtime(&lib.with_file_name("build.log")));
    let t = Instant::now();
    let (compiled, lib2) = finish(spawn_child(dir.path(), None, None));
    eprintln!(
        "second process (start, load, call, exit): {:?}",
        t.elapsed()
    );
    assert!(!compiled, "the second process must load the cached library");
    assert_eq!(lib, lib2);
    assert_eq!(mtime(&lib), built_at, "the library was not rewritten");
    assert_eq!(mtime(&lib.with_file_name("build.log")), log_at);
    // and this process too
    assert_eq!(load_and_check(dir.path(), None), (false, lib));
}

#[test]
fn two_processes_loading_at_once_both_succeed() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = spawn_child(dir.path(), None, None);
    let b = spawn_child(dir.path(), None, None);
    let (ra, rb) = (finish(a), finish(b));
    assert_eq!(ra.1, rb.1);
    assert!(ra.0 ^ rb.0, "exactly one of them compiles: {ra:?} {rb:?}");
}

/// A compiler wrapper that hangs while the file `$TESSERA_TEST_HANG` exists, then runs gcc.
fn hanging_cc(dir: &Path) -> PathBuf {
    let p = dir.join("hangcc");
    std::fs::write(
        &p,
        "#!/bin/sh\ncase \"$1\" in -v|-dumpfullversion) exec cc \"$@\" ;; esac\nwhile [ -n \"$TESSERA_TEST_HANG\" ] && [ -e \"$TESSERA_TEST_HANG\" ]; do sleep 0.05; done\nexec cc \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn a_build_killed_midway_leaves_no_stuck_lock() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cache");
    let hang = dir.path().join("hang");
    std::fs::write(&hang, "").unwrap();
    let cc = hanging_cc(dir.path());
    let child = spawn_child(&root, Some(&cc), Some(&hang));
    // Wait until the child is inside its build (it holds the lock then).
    let start = Instant::now();
    let building = || {
        std::fs::read_dir(&root).is_ok_and(|r| {
            r.flatten()
                .any(|e| e.file_name().to_string_lossy().contains(".tmp"))
        })
    };
    while !building() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the child never started building"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Kill it and the compiler it runs (its process group), as a crash would.
    let pid = child.id();
    let killed = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pid}")])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -s KILL -- -{pid} failed");
    let status = child.wait_with_output().unwrap().status;
    assert!(!status.success());
    std::fs::remove_file(&hang).unwrap();
    // A new load must not wait for the dead process: run it with a deadline.
    let (tx, rx) = std::sync::mpsc::channel();
    let (root2, cc2) = (root.clone(), cc.to_str().unwrap().to_owned());
    std::thread::spawn(move || {
        let _ = tx.send(load_and_check(&root2, Some(&cc2)));
    });
    let (compiled, lib) = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("load waited on the lock of a dead process");
    assert!(compiled && lib.is_file());
    // the dead build's temporary directory was cleared
    let leftovers: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
