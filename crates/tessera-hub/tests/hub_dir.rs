//! The cache directory from the environment, as PyTorch resolves it. One test in its
//! own binary: it changes process-wide environment variables, which no other test
//! thread may read meanwhile.

use std::path::PathBuf;
use tessera_hub::{get_dir, set_dir, torch_home};

fn set(k: &str, v: Option<&str>) {
    match v {
        Some(v) => std::env::set_var(k, v),
        None => std::env::remove_var(k),
    }
}

#[test]
fn get_dir_follows_torch_home_then_xdg_then_home() {
    set("HOME", Some("/home/u"));
    set("TORCH_HUB", None);
    let cases: [(Option<&str>, Option<&str>, &str); 7] = [
        (None, None, "/home/u/.cache/torch/hub"),
        (None, Some("/xdg"), "/xdg/torch/hub"),
        (Some("/th"), Some("/xdg"), "/th/hub"),
        (Some("~/th"), None, "/home/u/th/hub"),
        (None, Some("~/x"), "/home/u/x/torch/hub"),
        // Set but empty counts as set, as Python's os.getenv gives "".
        (Some(""), None, "hub"),
        (None, Some(""), "torch/hub"),
    ];
    for (th, xdg, want) in cases {
        set("TORCH_HOME", th);
        set("XDG_CACHE_HOME", xdg);
        assert_eq!(
            get_dir(),
            PathBuf::from(want),
            "TORCH_HOME={th:?} XDG={xdg:?}"
        );
    }
    set("TORCH_HOME", None);
    set("XDG_CACHE_HOME", None);
    set("HOME", Some("/"));
    assert_eq!(torch_home(), PathBuf::from("/.cache/torch"));
    set("HOME", Some("/home/u/"));
    assert_eq!(torch_home(), PathBuf::from("/home/u/.cache/torch"));
    // set_dir wins over the environment, with ~ expanded.
    set("TORCH_HOME", Some("/th"));
    set_dir("~/hubdir");
    assert_eq!(get_dir(), PathBuf::from("/home/u/hubdir"));
    set_dir("/abs");
    assert_eq!(get_dir(), PathBuf::from("/abs"));
}
