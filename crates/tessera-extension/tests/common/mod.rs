//! What the integration tests share: build roots and the test extensions.

#![allow(dead_code)] // each test file uses some of these

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tessera_extension::{load, Extension, LoadOptions};

/// A build root kept between runs under cargo's target dir (so reruns hit the cache).
pub fn shared_root(tag: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("tessera-extension-tests")
        .join(tag)
}

/// The test sources.
pub fn csrc(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("csrc")
        .join(file)
}

/// `tests/csrc/ops.c`, built once per test process.
pub fn c_ext() -> &'static Extension {
    static EXT: OnceLock<Extension> = OnceLock::new();
    EXT.get_or_init(|| {
        load(
            "c_ops",
            &[csrc("ops.c")],
            &LoadOptions::new().build_directory(shared_root("shared")),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

/// `tests/csrc/ops.cpp`, built once per test process.
pub fn cpp_ext() -> &'static Extension {
    static EXT: OnceLock<Extension> = OnceLock::new();
    EXT.get_or_init(|| {
        load(
            "cpp_ops",
            &[csrc("ops.cpp")],
            &LoadOptions::new().build_directory(shared_root("shared")),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    })
}
