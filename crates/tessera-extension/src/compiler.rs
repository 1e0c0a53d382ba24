//! Which C/C++ compiler is installed, its version, and whether it is new enough for
//! tessera's headers (`torch.utils.cpp_extension.get_compiler_abi_compatibility_and_version`).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// A compiler version, `major.minor.patch` (`TorchVersion` in PyTorch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major version (`12` in `12.2.0`).
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch level.
    pub patch: u32,
}

impl Version {
    /// `major.minor.patch`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parses the first `N[.N[.N]]` at the start of `s` (after leading spaces); a suffix
    /// such as `-win32` or `git` is ignored. `None` if `s` does not start with a digit.
    ///
    /// ```
    /// use tessera_extension::Version;
    /// assert_eq!(Version::parse("12.2.0\n"), Some(Version::new(12, 2, 0)));
    /// assert_eq!(Version::parse("14"), Some(Version::new(14, 0, 0)));
    /// assert_eq!(Version::parse("x"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim_start();
        let end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let mut parts = s[..end].split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some(Version::new(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The compiler families tessera knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompilerKind {
    /// GCC (`gcc`, `g++`, or a `cc` whose `-v` says `gcc version`).
    Gcc,
    /// Clang (`clang`, `clang++`, Apple clang).
    Clang,
}

/// The oldest GCC whose C and C++ (`-std=c++17`) support compile `tessera.h` and
/// `tessera.hpp`.
pub const MINIMUM_GCC_VERSION: Version = Version::new(7, 0, 0);
/// The oldest Clang that compiles `tessera.h` and `tessera.hpp` (`-std=c++17`).
pub const MINIMUM_CLANG_VERSION: Version = Version::new(5, 0, 0);

/// What a compiler is, as found by [`identify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CompilerInfo {
    /// The program as found on `PATH` (or as given, if it is a path).
    pub path: PathBuf,
    pub kind: Option<CompilerKind>,
    pub version: Version,
    /// The first line of `-v`/`--version`-like output used for the version; part of the
    /// build hash.
    pub banner: String,
}

/// Finds `program` like a shell does: as given if it names a path, else on `PATH`.
pub(crate) fn which(program: &str) -> Option<PathBuf> {
    let p = Path::new(program);
    if p.components().count() > 1 {
        return p.is_file().then(|| p.to_path_buf());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|c| c.is_file())
}

/// The family from the program's name: `gcc`, `g++`, `x86_64-linux-gnu-gcc-12`,
/// `clang++-16`, ... (`cc` and `c++` say nothing).
fn kind_by_name(path: &Path) -> Option<CompilerKind> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    if name.contains("clang") {
        Some(CompilerKind::Clang)
    } else if name.contains("gcc") || name.contains("g++") {
        Some(CompilerKind::Gcc)
    } else {
        None
    }
}

/// stdout and stderr of `program args`, or the error of starting it.
fn run(program: &Path, args: &[&str]) -> std::io::Result<(bool, String)> {
    let out = crate::process::output(Command::new(program).args(args))?;
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), s))
}

/// The version after `marker` in `text` (`gcc version 12.2.0 (Debian ...)`).
fn version_after(text: &str, marker: &str) -> Option<Version> {
    text.find(marker)
        .and_then(|i| Version::parse(&text[i + marker.len()..]))
}

/// Per-process memo of [`identify`].
static MEMO: Mutex<Option<HashMap<String, CompilerInfo>>> = Mutex::new(None);

fn memo_get(program: &str) -> Option<CompilerInfo> {
    MEMO.lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .get(program)
        .cloned()
}

fn memo_put(program: &str, info: &CompilerInfo) {
    MEMO.lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(program.to_string(), info.clone());
}

/// [`identify`], remembered on disk under `dir` for a fresh process: keyed by the
/// program, its path, and the resolved binary's path, size, modification time (and inode
/// on Unix), so that replacing or upgrading the compiler binary asks it again. This spares
/// a warm `load` in a new process the two compiler runs (several ms). A wrapper (`ccache
/// gcc`, a script) is keyed by the wrapper itself: after upgrading the compiler behind
/// one, clear `dir`.
pub(crate) fn identify_cached(
    program: &str,
    dir: &std::path::Path,
) -> Result<CompilerInfo, String> {
    if let Some(info) = memo_get(program) {
        return Ok(info);
    }
    let path = which(program).ok_or_else(|| format!("compiler `{program}` was not found"))?;
    let file = disk_key(program, &path).map(|k| dir.join("compilers").join(k));
    if let Some(text) = file.as_ref().and_then(|f| std::fs::read_to_string(f).ok()) {
        let mut l = text.lines();
        let kind = match l.next() {
            Some("gcc") => Some(CompilerKind::Gcc),
            Some("clang") => Some(CompilerKind::Clang),
            _ => None,
        };
        if let (Some(v), Some(banner)) = (l.next().and_then(Version::parse), l.next()) {
            let info = CompilerInfo {
                path,
                kind,
                version: v,
                banner: banner.to_string(),
            };
            memo_put(program, &info);
            return Ok(info);
        }
    }
    let info = identify(program)?;
    if let Some(f) = file {
        let kind = match info.kind {
            Some(CompilerKind::Gcc) => "gcc",
            Some(CompilerKind::Clang) => "clang",
            None => "unknown",
        };
        let text = format!(
            "{kind}\n{}\n{}\n",
            info.version,
            info.banner.replace('\n', " ")
        );
        // Written under a unique name and renamed: readers never see half a file.
        let tmp = f.with_extension(format!("tmp{}", std::process::id()));
        let written = f
            .parent()
            .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
            && std::fs::write(&tmp, text).is_ok()
            && std::fs::rename(&tmp, &f).is_ok();
        if !written {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    Ok(info)
}

/// The disk memo's key for `program` found at `path` (see [`identify_cached`]).
fn disk_key(program: &str, path: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let m = std::fs::metadata(&real).ok()?;
    let mut h = Sha256::new();
    h.update(format!(
        "{program}\0{}\0{}\0{}\0",
        path.display(),
        real.display(),
        m.len()
    ));
    if let Ok(t) = m.modified() {
        h.update(format!("{t:?}"));
    }
    #[cfg(unix)]
    h.update(std::os::unix::fs::MetadataExt::ino(&m).to_le_bytes());
    let d = h.finalize();
    Some(d[..8].iter().map(|b| format!("{b:02x}")).collect())
}

/// Runs the compiler to learn its family and version, memoized per program for the life
/// of the process (the build cache asks on every `load`).
///
/// # Errors
/// The message when the program cannot be found or run.
pub(crate) fn identify(program: &str) -> Result<CompilerInfo, String> {
    if let Some(info) = memo_get(program) {
        return Ok(info);
    }
    let path = which(program).ok_or_else(|| format!("compiler `{program}` was not found"))?;
    let mut kind = kind_by_name(&path);
    let mut banner = String::new();
    // `-v` names the family ("gcc version", "clang version") on every gcc and clang.
    let mut verbose = String::new();
    if kind != Some(CompilerKind::Gcc) {
        let (_, out) = run(&path, &["-v"]).map_err(|e| format!("cannot run `{program}`: {e}"))?;
        if out.contains("clang version") {
            kind = Some(CompilerKind::Clang);
        } else if out.contains("gcc version") {
            kind = Some(CompilerKind::Gcc);
        }
        verbose = out;
    }
    let version = match kind {
        Some(CompilerKind::Gcc) => {
            // gcc >= 7 prints the full version for -dumpfullversion; older ones ignore
            // it and print the (possibly shortened) version for -dumpversion.
            let (ok, out) = run(&path, &["-dumpfullversion", "-dumpversion"])
                .map_err(|e| format!("cannot run `{program}`: {e}"))?;
            banner = format!("gcc {}", out.trim());
            ok.then(|| Version::parse(&out))
                .flatten()
                .or_else(|| version_after(&verbose, "gcc version "))
        }
        Some(CompilerKind::Clang) => {
            // clang's -dumpversion printed 4.2.1 (GCC compatibility) before clang 15:
            // the version in -v is the real one.
            if verbose.is_empty() {
                verbose = run(&path, &["-v"])
                    .map_err(|e| format!("cannot run `{program}`: {e}"))?
                    .1;
            }
            version_after(&verbose, "clang version ")
        }
        None => None,
    }
    .unwrap_or_default();
    if banner.is_empty() {
        banner = verbose
            .lines()
            .find(|l| l.contains(" version "))
            .unwrap_or("")
            .to_string();
    }
    let info = CompilerInfo {
        path,
        kind,
        version,
        banner,
    };
    memo_put(program, &info);
    Ok(info)
}

/// Whether `TESSERA_DONT_CHECK_COMPILER_ABI` is set to a true value (`ON`, `1`, `YES`,
/// `TRUE`, `Y`, any case), as PyTorch reads `TORCH_DONT_CHECK_COMPILER_ABI`.
pub(crate) fn check_disabled() -> bool {
    std::env::var("TESSERA_DONT_CHECK_COMPILER_ABI")
        .map(|v| {
            matches!(
                v.trim().to_uppercase().as_str(),
                "ON" | "1" | "YES" | "TRUE" | "Y"
            )
        })
        .unwrap_or(false)
}

/// Whether `info` meets the minimum version of its family (an unknown family does not).
pub(crate) fn meets_minimum(info: &CompilerInfo) -> bool {
    match info.kind {
        Some(CompilerKind::Gcc) => info.version >= MINIMUM_GCC_VERSION,
        Some(CompilerKind::Clang) => info.version >= MINIMUM_CLANG_VERSION,
        None => false,
    }
}

/// Whether `compiler` can build tessera extensions, and its version
/// (`torch.utils.cpp_extension.get_compiler_abi_compatibility_and_version`).
///
/// The family comes from the name (`gcc`, `g++`, `clang`, `clang++-16`, ...) or, for
/// `cc`, `c++` and other names, from the `-v` output (`gcc version ...`,
/// `clang version ...`). GCC's version is `-dumpfullversion -dumpversion`; Clang's is the
/// one in `-v` (its `-dumpversion` printed `4.2.1` before Clang 15). The minimum is
/// [`MINIMUM_GCC_VERSION`] or [`MINIMUM_CLANG_VERSION`].
///
/// - `TESSERA_DONT_CHECK_COMPILER_ABI=1` (or `ON`, `YES`, `TRUE`, `Y`) skips the check:
///   `(true, 0.0.0)`, as PyTorch does.
/// - A compiler that cannot be found or run gives `(false, 0.0.0)` and a warning on
///   stderr, never a panic. A program file still open for writing somewhere (Linux's
///   "Text file busy", as a wrapper script just written can be for an instant) is started
///   again for up to half a second first; builds do the same.
/// - An unknown family or a version below the minimum gives `false`, the version, and a
///   warning on stderr.
///
/// ```
/// use tessera_extension::get_compiler_abi_compatibility_and_version as check;
/// let (ok, v) = check("no-such-compiler-xyz");
/// assert!(!ok);
/// assert_eq!(v.to_string(), "0.0.0");
/// ```
pub fn get_compiler_abi_compatibility_and_version(compiler: &str) -> (bool, Version) {
    if check_disabled() {
        return (true, Version::default());
    }
    let info = match identify(compiler) {
        Ok(info) => info,
        Err(e) => {
            eprintln!("warning: tessera extension: {e}; cannot check its version");
            return (false, Version::default());
        }
    };
    let ok = meets_minimum(&info);
    if !ok {
        eprintln!("{}", compatibility_warning(compiler, &info));
    }
    (ok, info.version)
}

/// The warning for a compiler that is unknown or too old.
pub(crate) fn compatibility_warning(compiler: &str, info: &CompilerInfo) -> String {
    match info.kind {
        None => format!(
            "warning: tessera extension: cannot tell which compiler `{compiler}` ({}) is: tessera is tested with gcc >= {MINIMUM_GCC_VERSION} and clang >= {MINIMUM_CLANG_VERSION}. Set TESSERA_DONT_CHECK_COMPILER_ABI=1 to silence this.",
            info.path.display()
        ),
        Some(kind) => format!(
            "warning: tessera extension: {kind:?} {} (`{compiler}`) is older than the minimum {} that tessera's headers need; the build may fail. Set TESSERA_DONT_CHECK_COMPILER_ABI=1 to silence this.",
            info.version,
            match kind {
                CompilerKind::Gcc => MINIMUM_GCC_VERSION,
                CompilerKind::Clang => MINIMUM_CLANG_VERSION,
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(Version::parse("7.5"), Some(Version::new(7, 5, 0)));
        assert_eq!(Version::parse(" 15.0.7git"), Some(Version::new(15, 0, 7)));
        assert_eq!(Version::parse("10-win32"), Some(Version::new(10, 0, 0)));
        assert_eq!(Version::parse(""), None);
        assert!(Version::new(12, 0, 0) > Version::new(9, 4, 1));
        assert_eq!(Version::new(1, 2, 3).to_string(), "1.2.3");
        assert_eq!(
            version_after(
                "Thread model: posix\ngcc version 12.2.0 (Debian 12.2.0-14)",
                "gcc version "
            ),
            Some(Version::new(12, 2, 0))
        );
        assert_eq!(
            version_after("Apple clang version 15.0.0 (clang-1500)", "clang version "),
            Some(Version::new(15, 0, 0))
        );
    }

    #[test]
    fn names_tell_the_family() {
        let k = |s: &str| kind_by_name(Path::new(s));
        assert_eq!(
            k("/usr/bin/x86_64-linux-gnu-gcc-12"),
            Some(CompilerKind::Gcc)
        );
        assert_eq!(k("g++"), Some(CompilerKind::Gcc));
        assert_eq!(k("clang++-16"), Some(CompilerKind::Clang));
        assert_eq!(k("cc"), None);
    }

    #[test]
    fn the_disk_memo_is_read_before_running_the_compiler() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cc = dir.path().join("memo-gcc");
        std::fs::write(&cc, "#!/bin/sh\necho 12.1.0\n").unwrap();
        std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755)).unwrap();
        let program = cc.to_str().unwrap();
        let key = disk_key(program, &cc).unwrap();
        let memo = dir.path().join("compilers");
        std::fs::create_dir_all(&memo).unwrap();
        // A remembered answer that the script would not give: it must be the one used.
        std::fs::write(memo.join(&key), "gcc\n99.1.0\nremembered\n").unwrap();
        let info = identify_cached(program, dir.path()).unwrap();
        assert_eq!(
            (info.version, info.banner.as_str()),
            (Version::new(99, 1, 0), "remembered")
        );
        // Another binary at the same path has another key.
        std::fs::write(&cc, "#!/bin/sh\necho 12.1.0 # changed\n").unwrap();
        assert_ne!(disk_key(program, &cc).unwrap(), key);
    }
}
