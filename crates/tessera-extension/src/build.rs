//! Compiling sources into a shared library in the build cache: the build's key (a hash),
//! the lock that serializes builds of one key across processes, and the temporary
//! directory renamed into place so that a failed build leaves nothing behind.

use crate::compiler::{self, CompilerInfo};
use fs4::fs_std::FileExt;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use tessera_core::{Error, Result};

/// The language of a source, from its file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    C,
    Cpp,
}

impl Lang {
    /// `.c` is C; `.cc`, `.cpp`, `.cxx`, `.c++`, `.C` are C++.
    pub(crate) fn of(path: &Path) -> Option<Lang> {
        match path.extension()?.to_str()? {
            "c" => Some(Lang::C),
            "cc" | "cpp" | "cxx" | "c++" | "C" => Some(Lang::Cpp),
            _ => None,
        }
    }
}

/// One source: compiled from `path`, or written from `text` into the build directory
/// under `file_name` (inline sources).
pub(crate) struct Source {
    pub file_name: String,
    pub lang: Lang,
    pub text: Vec<u8>,
    /// `None`: an inline source, written into the build directory.
    pub path: Option<PathBuf>,
}

/// Everything a build depends on.
pub(crate) struct Plan<'a> {
    pub name: &'a str,
    pub sources: Vec<Source>,
    pub cflags: &'a [String],
    pub ldflags: &'a [String],
    pub include_paths: Vec<PathBuf>,
    pub root: PathBuf,
    pub verbose: bool,
    /// (program, extra args, info) of the C and C++ compilers that the sources need.
    pub cc: Option<(Vec<String>, CompilerInfo)>,
    pub cxx: Option<(Vec<String>, CompilerInfo)>,
}

/// The build key: SHA-256 over the ABI version, the headers, the sources (names and
/// contents), the flags and include paths, each compiler's path and version, and the
/// target, as 16 hex digits. Stable across runs and processes.
pub(crate) fn key(plan: &Plan) -> String {
    let mut h = Sha256::new();
    let mut field = |tag: &str, bytes: &[u8]| {
        // Length-prefixed, so that fields cannot run into each other.
        h.update(tag.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field("abi", &crate::ABI_VERSION.to_le_bytes());
    field("crate", env!("CARGO_PKG_VERSION").as_bytes());
    field(
        "target",
        format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS).as_bytes(),
    );
    for (n, text) in crate::paths::HEADERS {
        field(n, text.as_bytes());
    }
    field("name", plan.name.as_bytes());
    for s in &plan.sources {
        field("source", s.file_name.as_bytes());
        field("text", &s.text);
    }
    for f in plan.cflags {
        field("cflag", f.as_bytes());
    }
    for f in plan.ldflags {
        field("ldflag", f.as_bytes());
    }
    for p in &plan.include_paths {
        field("include", p.to_string_lossy().as_bytes());
    }
    for (tag, c) in [("cc", &plan.cc), ("cxx", &plan.cxx)] {
        if let Some((args, info)) = c {
            field(tag, info.path.to_string_lossy().as_bytes());
            field("args", args.join(" ").as_bytes());
            field("version", info.version.to_string().as_bytes());
            field("banner", info.banner.as_bytes());
        }
    }
    let d = h.finalize();
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The library's file name (`libname.so`, `libname.dylib`, `name.dll`).
pub(crate) fn library_file(name: &str) -> String {
    format!(
        "{}{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

fn io(ctx: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::io(ctx.into(), e)
}

/// The library for `plan`, built if the cache does not hold it yet. Returns its path and
/// whether this call compiled it.
///
/// Concurrent builds of one key, in this process or others, are serialized by an OS
/// advisory lock (`flock`/`LockFileEx` via `fs4`) on `<root>/<name>_<key>.lock`: the
/// kernel releases it when the holder exits or dies, so a crashed build never leaves a
/// stale lock; the lock file's existence means nothing. The build happens in a
/// temporary directory that is renamed to `<root>/<name>_<key>` only on success.
pub(crate) fn build(plan: &Plan) -> Result<(PathBuf, bool)> {
    let key = key(plan);
    let stem = format!("{}_{key}", plan.name);
    let dir = plan.root.join(&stem);
    let lib = dir.join(library_file(plan.name));
    if lib.is_file() {
        return Ok((lib, false));
    }
    fs::create_dir_all(&plan.root).map_err(io(format!(
        "creating the build directory {}",
        plan.root.display()
    )))?;
    let lock_path = plan.root.join(format!("{stem}.lock"));
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(format!("opening the lock file {}", lock_path.display())))?;
    if !FileExt::try_lock_exclusive(&lock)
        .map_err(io(format!("locking {}", lock_path.display())))?
    {
        if plan.verbose {
            eprintln!(
                "tessera extension {}: waiting for another build ({})",
                plan.name,
                lock_path.display()
            );
        }
        FileExt::lock_exclusive(&lock).map_err(io(format!("locking {}", lock_path.display())))?;
    }
    // Another process may have finished the build while this one waited.
    if lib.is_file() {
        return Ok((lib, false));
    }
    // Leftovers of builds that died (none can be running: this process holds the lock).
    if let Ok(entries) = fs::read_dir(&plan.root) {
        let prefix = format!("{stem}.tmp");
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
    if dir.exists() {
        // A directory without its library is not something this code makes; clear it.
        fs::remove_dir_all(&dir).map_err(io(format!("removing {}", dir.display())))?;
    }
    let tmp = plan.root.join(format!("{stem}.tmp{}", std::process::id()));
    fs::create_dir_all(&tmp).map_err(io(format!("creating {}", tmp.display())))?;
    match compile_and_link(plan, &tmp) {
        Ok(()) => {
            fs::rename(&tmp, &dir).map_err(io(format!(
                "moving the build {} to {}",
                tmp.display(),
                dir.display()
            )))?;
            Ok((lib, true))
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
    // `lock` is closed here, which releases it.
}

/// Runs one compiler command; its output goes to `log` (and stderr if verbose).
fn run(plan: &Plan, what: &str, mut cmd: Command, log: &mut String) -> Result<()> {
    let line = format!("{cmd:?}");
    if plan.verbose {
        eprintln!("tessera extension {}: {line}", plan.name);
    }
    log.push_str(&line);
    log.push('\n');
    let out = crate::process::output(&mut cmd).map_err(|e| {
        Error::Msg(format!(
            "extension `{}`: cannot run the compiler for {what} ({}): {e}",
            plan.name,
            cmd.get_program().to_string_lossy()
        ))
    })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if plan.verbose && !text.is_empty() {
        eprint!("{text}");
    }
    log.push_str(&text);
    if !out.status.success() {
        return Err(Error::Msg(format!(
            "extension `{}`: {what} failed ({}):\n{line}\n{}",
            plan.name,
            out.status,
            text.trim_end()
        )));
    }
    Ok(())
}

fn command(c: &(Vec<String>, CompilerInfo)) -> Command {
    let mut cmd = Command::new(&c.1.path);
    cmd.args(&c.0);
    cmd
}

/// Compiles every source into `dir` and links `dir/lib<name>.so`.
fn compile_and_link(plan: &Plan, dir: &Path) -> Result<()> {
    let mut log = String::new();
    let mut objects = Vec::new();
    for (i, s) in plan.sources.iter().enumerate() {
        let src = match &s.path {
            Some(p) => p.clone(),
            None => {
                let p = dir.join(&s.file_name);
                fs::write(&p, &s.text).map_err(io(format!("writing {}", p.display())))?;
                p
            }
        };
        let obj = dir.join(format!("{i}_{}.o", s.file_name));
        let c = match s.lang {
            Lang::C => plan.cc.as_ref(),
            Lang::Cpp => plan.cxx.as_ref(),
        }
        .expect("the plan has a compiler for every language of its sources");
        let mut cmd = command(c);
        cmd.args(["-c", "-fPIC", "-O2"]);
        if s.lang == Lang::Cpp {
            cmd.arg("-std=c++17");
        }
        for inc in &plan.include_paths {
            cmd.arg("-I").arg(inc);
        }
        cmd.args(plan.cflags).arg(&src).arg("-o").arg(&obj);
        run(plan, &format!("compiling {}", s.file_name), cmd, &mut log)?;
        objects.push(obj);
    }
    let linker = plan
        .cxx
        .as_ref()
        .filter(|_| plan.sources.iter().any(|s| s.lang == Lang::Cpp))
        .or(plan.cc.as_ref())
        .expect("a plan has at least one source");
    let mut cmd = command(linker);
    cmd.arg("-shared")
        .arg("-o")
        .arg(dir.join(library_file(plan.name)))
        .args(&objects)
        .args(plan.ldflags);
    if cfg!(all(unix, not(target_os = "macos"))) {
        cmd.arg("-lm");
    }
    run(plan, "linking", cmd, &mut log)?;
    let mut f = File::create(dir.join("build.log")).map_err(io("writing build.log"))?;
    f.write_all(log.as_bytes())
        .map_err(io("writing build.log"))?;
    Ok(())
}

/// The C (`CC`, else `cc`) or C++ (`CXX`, else `c++`) compiler as program and leading
/// arguments (`CC="ccache gcc"` works), unless `given`.
pub(crate) fn compiler_command(given: Option<&str>, var: &str, default: &str) -> Vec<String> {
    let s = given
        .map(str::to_owned)
        .or_else(|| std::env::var(var).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| default.to_owned());
    s.split_whitespace().map(str::to_owned).collect()
}

/// Identifies a compiler command for the build, warning when it is unknown or too old.
///
/// # Errors
/// When the compiler cannot be found or run.
pub(crate) fn checked_compiler(
    name: &str,
    words: Vec<String>,
    lang: &str,
    env: &str,
    root: &Path,
) -> Result<(Vec<String>, CompilerInfo)> {
    let program = words.first().cloned().unwrap_or_default();
    let info = compiler::identify_cached(&program, root).map_err(|e| {
        Error::Msg(format!(
            "extension `{name}`: no {lang} compiler: {e} (install gcc or clang, or set {env})"
        ))
    })?;
    if !compiler::check_disabled() && !compiler::meets_minimum(&info) {
        eprintln!("{}", compiler::compatibility_warning(&program, &info));
    }
    Ok((words[1..].to_vec(), info))
}
