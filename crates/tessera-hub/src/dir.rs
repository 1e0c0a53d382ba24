//! The hub's cache directory: `torch.hub.get_dir` / `set_dir`, resolved exactly as
//! PyTorch resolves it, so that tessera and PyTorch share one cache.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The directory [`set_dir`] chose, if any (PyTorch's `_hub_dir`).
static HUB_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

/// `torch.hub.get_dir()`: where the hub keeps its cache (checkpoints go in its
/// `checkpoints/` subdirectory).
///
/// As in PyTorch: the directory given to [`set_dir`] if it was called; otherwise
/// `$TORCH_HOME/hub` if `TORCH_HOME` is set; otherwise `$XDG_CACHE_HOME/torch/hub` if
/// `XDG_CACHE_HOME` is set; otherwise `~/.cache/torch/hub`. A leading `~` of the result
/// is expanded to `$HOME` (PyTorch's `os.path.expanduser`), and a variable set to the
/// empty string counts as set, as in Python (`TORCH_HOME=""` gives the relative `hub`).
/// Like PyTorch, it warns on stderr if the deprecated `TORCH_HUB` is set (non-empty).
///
/// ```
/// let d = tessera_hub::get_dir();
/// assert!(d.ends_with("hub"));
/// ```
pub fn get_dir() -> PathBuf {
    if std::env::var_os("TORCH_HUB").is_some_and(|v| !v.is_empty()) {
        eprintln!("warning: TORCH_HUB is deprecated, please use env TORCH_HOME instead");
    }
    if let Some(d) = HUB_DIR.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        return d;
    }
    torch_home().join("hub")
}

/// `torch.hub.set_dir(d)`: makes [`get_dir`] return `d` (with a leading `~` expanded)
/// for the rest of the process, whatever the environment says.
pub fn set_dir(d: impl AsRef<Path>) {
    *HUB_DIR.lock().unwrap_or_else(|e| e.into_inner()) = Some(expand_user(d.as_ref()));
}

/// PyTorch's `_get_torch_home()`: `expanduser($TORCH_HOME or
/// join($XDG_CACHE_HOME or "~/.cache", "torch"))`.
pub fn torch_home() -> PathBuf {
    let home = match std::env::var_os("TORCH_HOME") {
        Some(h) => PathBuf::from(h),
        None => {
            let cache = std::env::var_os("XDG_CACHE_HOME").unwrap_or_else(|| "~/.cache".into());
            PathBuf::from(cache).join("torch")
        }
    };
    expand_user(&home)
}

/// Python's `os.path.expanduser` for `~` and `~/...` (from `$HOME`; a path starting
/// with `~user` is returned unchanged, as is everything when `HOME` is unset).
pub fn expand_user(p: &Path) -> PathBuf {
    let s = p.as_os_str().as_encoded_bytes();
    if s.first() != Some(&b'~') || (s.len() > 1 && s[1] != b'/') {
        return p.to_path_buf();
    }
    let Some(home) = std::env::var_os("HOME") else {
        return p.to_path_buf();
    };
    let home = home.as_encoded_bytes();
    // Python strips a trailing '/' from the home directory, then returns the root
    // if the result is empty.
    let mut trimmed = home;
    while trimmed.last() == Some(&b'/') {
        trimmed = &trimmed[..trimmed.len() - 1];
    }
    let mut out = trimmed.to_vec();
    out.extend_from_slice(&s[1..]);
    if out.is_empty() {
        out.push(b'/');
    }
    // SAFETY: `out` is made of pieces of two OsStrs split at ASCII bytes ('~', '/').
    let os = unsafe { OsString::from_encoded_bytes_unchecked(out) };
    PathBuf::from(os)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_user_leaves_other_paths_alone() {
        assert_eq!(expand_user(Path::new("/a/~b")), Path::new("/a/~b"));
        assert_eq!(expand_user(Path::new("~user/x")), Path::new("~user/x"));
        assert_eq!(expand_user(Path::new("rel")), Path::new("rel"));
    }
}
