//! The compiler check against the machine's gcc, clang if installed, fake compilers that
//! print a given version, and a missing compiler.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use tessera_extension::{get_compiler_abi_compatibility_and_version as check, Version};

/// A shell script at `dir/name` that answers `-v` with `verbose` (on stderr, as gcc
/// and clang do) and `-dumpfullversion -dumpversion` with `dump`.
fn fake(dir: &Path, name: &str, verbose: &str, dump: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\ncase \"$1\" in\n  -v) echo '{verbose}' >&2 ;;\n  -dumpfullversion|-dumpversion) echo '{dump}' ;;\n  *) exit 1 ;;\nesac\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_machines_gcc() {
    let Ok(out) = Command::new("gcc")
        .args(["-dumpfullversion", "-dumpversion"])
        .output()
    else {
        eprintln!("gcc is not installed: skipped (.ci/run installs it)");
        return;
    };
    let want = Version::parse(&String::from_utf8_lossy(&out.stdout)).unwrap();
    assert_eq!(check("gcc"), (true, want));
    assert_eq!(check("g++"), (true, want));
}

#[test]
fn cc_is_identified_by_its_verbose_output() {
    if Command::new("cc").arg("--version").output().is_err() {
        return;
    }
    let (ok, v) = check("cc");
    assert!(ok, "cc {v}");
    assert!(v > Version::new(0, 0, 0));
}

#[test]
fn clang_if_installed() {
    let Ok(out) = Command::new("clang").arg("-v").output() else {
        eprintln!("clang is not installed: its case is covered by the fake clang below");
        return;
    };
    let text = String::from_utf8_lossy(&out.stderr);
    let at = text.find("clang version ").unwrap() + "clang version ".len();
    let want = Version::parse(&text[at..]).unwrap();
    assert_eq!(
        check("clang"),
        (want >= tessera_extension::MINIMUM_CLANG_VERSION, want)
    );
}

#[test]
fn fake_compilers_report_the_version_they_print() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // by name (gcc in the name: -dumpfullversion is asked directly)
    let new_gcc = fake(
        d,
        "x86_64-linux-gnu-gcc-13",
        "gcc version 13.2.0 (fake)",
        "13.2.0",
    );
    assert_eq!(check(s(&new_gcc)), (true, Version::new(13, 2, 0)));
    let old_gcc = fake(d, "gcc-4.8", "gcc version 4.8.5 (fake)", "4.8.5");
    assert_eq!(check(s(&old_gcc)), (false, Version::new(4, 8, 5)));
    // gcc < 7 printed a short version for -dumpversion
    let short = fake(d, "gcc-6", "gcc version 6.5.0", "6");
    assert_eq!(check(s(&short)), (false, Version::new(6, 0, 0)));
    // by -v output: a `cc` that is gcc, and one that is clang
    let cc_gcc = fake(
        d,
        "cc",
        "Thread model: posix\ngcc version 12.2.0 (Debian 12.2.0-14)",
        "12",
    );
    assert_eq!(check(s(&cc_gcc)), (true, Version::new(12, 0, 0)));
    let sub = d.join("sub");
    std::fs::create_dir(&sub).unwrap();
    // clang's -dumpversion said 4.2.1 before clang 15: the -v version wins
    let cc_clang = fake(&sub, "cc", "Debian clang version 16.0.6 (15)", "4.2.1");
    assert_eq!(check(s(&cc_clang)), (true, Version::new(16, 0, 6)));
    let old_clang = fake(d, "clang-3", "clang version 3.4.2", "4.2.1");
    assert_eq!(check(s(&old_clang)), (false, Version::new(3, 4, 2)));
    // an unknown compiler is not compatible
    let unknown = fake(d, "mystery", "Mystery Compiler 1.0", "1.0");
    assert!(!check(s(&unknown)).0);
}

#[test]
fn a_compiler_still_open_for_writing_is_waited_for() {
    // Linux will not run a file that is open for writing ("Text file busy"): the check
    // starts it again until the writer is gone (here 50 ms later), as it must when
    // another thread's fork holds a copy of the descriptor for an instant.
    let dir = tempfile::tempdir().unwrap();
    let gcc = fake(
        dir.path(),
        "busy-gcc-14",
        "gcc version 14.1.0 (fake)",
        "14.1.0",
    );
    let writer = std::fs::OpenOptions::new().append(true).open(&gcc).unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        drop(writer);
    });
    assert_eq!(check(s(&gcc)), (true, Version::new(14, 1, 0)));
    release.join().unwrap();
}

#[test]
fn a_missing_compiler_is_false_zero() {
    assert_eq!(
        check("no-such-compiler-anywhere"),
        (false, Version::new(0, 0, 0))
    );
    assert_eq!(check("/nonexistent/gcc"), (false, Version::default()));
}
