//! Every failure is an `Err` with a clear message: no compiler, a compile error, a
//! missing symbol, an ABI mismatch, a bad op table, an op that reports an error from C;
//! and a failed build leaves nothing in the cache.

mod common;

use common::{c_ext, csrc};
use std::path::Path;
use tessera_core::{tensor, DType};
use tessera_extension::{load, load_inline_with, Extension, LoadOptions, OpSpec};

fn opts(dir: &Path) -> LoadOptions {
    LoadOptions::new().build_directory(dir)
}

/// The names in a build root, sorted (lock files and the compiler memo aside).
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.ends_with(".lock") && n != "compilers")
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn no_compiler_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = load(
        "x",
        &[csrc("ops.c")],
        &opts(dir.path()).cc("/nonexistent/bin/cc-missing"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no C compiler"), "{e}");
    assert!(e.contains("cc-missing"), "{e}");
    assert!(e.contains("set CC"), "{e}");
    let e = load_inline_with("y", "", &[], &opts(dir.path()).cxx("no-such-cxx-compiler"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no C++ compiler") && e.contains("CXX"), "{e}");
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn compile_error_carries_the_compilers_message_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("broken.c");
    std::fs::write(
        &src,
        "#include <tessera.h>\nint f(void) { return undefined_thing; }\n",
    )
    .unwrap();
    let root = dir.path().join("cache");
    let e = load("broken", &[&src], &opts(&root))
        .unwrap_err()
        .to_string();
    assert!(e.contains("compiling broken.c failed"), "{e}");
    assert!(e.contains("undefined_thing"), "{e}");
    assert!(e.contains("error"), "{e}");
    // neither a library nor a half-written build directory
    assert!(entries(&root).is_empty(), "{:?}", entries(&root));
    // a link error too (an undefined function called from the op, refused by -z defs)
    let e = load_inline_with(
        "unlinked",
        "extern \"C\" void nowhere_defined(); TESSERA_CPP_OP(f, call) { nowhere_defined(); }",
        &[OpSpec::new("f")],
        &opts(&root).extra_ldflags(["-Wl,-z,defs"]),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("linking failed") && e.contains("nowhere_defined"),
        "{e}"
    );
    assert!(entries(&root).is_empty(), "{:?}", entries(&root));
}

#[test]
fn missing_symbols_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    // an op listed in the table but not defined in the source
    let e = load_inline_with(
        "missing_fn",
        "TESSERA_CPP_OP(present, call) { (void)call; }",
        &[OpSpec::new("present"), OpSpec::new("absent")],
        &opts(dir.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("missing symbol `absent`"), "{e}");
    // no op table at all
    let e = load_inline_with(
        "no_table",
        "int unrelated() { return 1; }",
        &[],
        &opts(dir.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("missing symbol `tessera_extension_def`"), "{e}");
    assert!(e.contains("TESSERA_DEFINE_EXTENSION"), "{e}");
    // a backward that is not in the table
    let e = load_inline_with(
        "bad_backward",
        "TESSERA_CPP_OP(f, call) { (void)call; }",
        &[OpSpec::new("f").backward("f_grad")],
        &opts(dir.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("names the backward `f_grad`, which is not an op of the table"),
        "{e}"
    );
}

#[test]
fn a_backward_of_the_wrong_arity_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let e = load_inline_with(
        "arity",
        "TESSERA_CPP_OP(f, call) { (void)call; } TESSERA_CPP_OP(g, call) { (void)call; }",
        &[OpSpec::new("f").backward("g"), OpSpec::new("g")],
        &opts(dir.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("cannot have `g`"), "{e}");
}

#[test]
fn abi_version_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // A library whose table claims another ABI version (as one built against an older
    // or newer tessera.h would).
    let src = r#"
        TESSERA_CPP_OP(f, call) { (void)call; }
        static const tessera_op_def ops[] = {{"f", 1, 0, 1, TESSERA_MASK_ALL, 0, nullptr}};
        TESSERA_EXPORT const tessera_extension *tessera_extension_def(void) {
            static const tessera_extension ext = {TESSERA_ABI_VERSION + 1, 1, ops};
            return &ext;
        }
    "#;
    let e = load_inline_with("future_abi", src, &[], &opts(dir.path()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("ABI version mismatch"), "{e}");
    assert!(
        e.contains(&format!(
            "TESSERA_ABI_VERSION {}",
            tessera_extension::ABI_VERSION + 1
        )),
        "{e}"
    );
}

#[test]
fn errors_reported_from_c_are_errs() {
    let ext = c_ext();
    let x = tensor!([1.0, -2.0]).to_dtype(DType::F64);
    let e = ext.call("checked_log", &[&x], &[]).unwrap_err().to_string();
    assert_eq!(
        e,
        "extension op `checked_log`: checked_log: negative input -2 at element 1"
    );
    let ok = ext.call("checked_log", &[&x.abs()], &[]).unwrap().remove(0);
    assert_eq!(ok.to_vec::<f64>()[0], 0.0);
    let e = ext
        .call("forgets_output", &[&x], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("without allocating output 0"), "{e}");
    let e = ext.call("bad_alloc", &[], &[]).unwrap_err().to_string();
    assert_eq!(
        e,
        "extension op `bad_alloc`: alloc_output: unknown dtype code 42"
    );
    let e = ext
        .call("silent_failure", &[], &[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "extension op `silent_failure`: failed with status 7 and no message"
    );
}

#[test]
fn open_reports_a_missing_library() {
    let e = Extension::open("/nonexistent/libnothing.so")
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot load the library"), "{e}");
}

#[test]
#[should_panic(expected = "load: cannot tell the language of")]
fn unknown_source_type_panics() {
    let _ = load("x", &["ops.f90"], &LoadOptions::new());
}

#[test]
#[should_panic(expected = "load_inline: the extension name `a b` must be")]
fn bad_names_panic() {
    let _ = load_inline_with("a b", "", &[], &LoadOptions::new());
}
