//! Where the headers are ([`include_paths`]) and where builds are cached
//! ([`default_build_root`]).

use std::path::PathBuf;

/// The directories that hold `tessera.h` and `tessera.hpp`
/// (`torch.utils.cpp_extension.include_paths`).
///
/// The headers ship in the crate's `include/` directory, found through the crate's
/// source location at compile time. When the program runs where that source tree is
/// gone (a binary copied to another machine), set `TESSERA_INCLUDE_DIR` to a directory
/// holding copies of the two headers: it then comes first.
///
/// From a `build.rs` (with `tessera-extension` as a build-dependency and the `cc` crate):
/// ```text
/// let mut b = cc::Build::new();
/// for dir in tessera_extension::include_paths() { b.include(dir); }
/// b.file("src/my_ops.c").compile("my_ops");
/// ```
/// From a Makefile, print them with a tiny program (or copy `include/` once) and pass
/// `-I` for each:
/// ```text
/// CFLAGS += -I$(TESSERA_INCLUDE_DIR) -fPIC
/// libmy_ops.so: my_ops.c ; $(CC) $(CFLAGS) -shared -o $@ $< -lm
/// ```
/// and open the result with [`crate::Extension::open`]. [`crate::load`] passes them itself.
///
/// ```
/// let dirs = tessera_extension::include_paths();
/// assert!(dirs.iter().any(|d| d.join("tessera.h").is_file()));
/// ```
pub fn include_paths() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(dir) = std::env::var_os("TESSERA_INCLUDE_DIR").filter(|d| !d.is_empty()) {
        v.push(PathBuf::from(dir));
    }
    v.push(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/include"
    )));
    v
}

/// The two headers' text, compiled into the library: part of the build hash, so that a
/// change of the headers rebuilds every extension.
pub(crate) const HEADERS: [(&str, &str); 2] = [
    ("tessera.h", include_str!("../include/tessera.h")),
    ("tessera.hpp", include_str!("../include/tessera.hpp")),
];

/// The default root of the build cache: `TESSERA_EXTENSIONS_DIR` if set, else a per-user
/// cache directory: `$XDG_CACHE_HOME/tessera/extensions`, `~/.cache/tessera/extensions`
/// (Linux and other Unix), `~/Library/Caches/tessera/extensions` (macOS),
/// `%LOCALAPPDATA%\tessera\extensions` (Windows), falling back to
/// `<temp dir>/tessera-extensions-<user>`.
pub fn default_build_root() -> PathBuf {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var("TESSERA_EXTENSIONS_DIR") {
        return d;
    }
    let cache = if cfg!(target_os = "macos") {
        var("HOME").map(|h| h.join("Library").join("Caches"))
    } else if cfg!(windows) {
        var("LOCALAPPDATA")
    } else {
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache")))
    };
    match cache {
        Some(c) => c.join("tessera").join("extensions"),
        None => {
            let user = std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .unwrap_or_else(|_| "user".into());
            std::env::temp_dir().join(format!("tessera-extensions-{user}"))
        }
    }
}
