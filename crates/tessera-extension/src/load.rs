//! `load` and `load_inline` (`torch.utils.cpp_extension.load`, `load_inline`), their
//! options, and the op descriptions `load_inline` turns into a table.

use crate::build::{self, Lang, Plan, Source};
use crate::{include_paths, Extension};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tessera_core::{DType, Error, Result};

/// Options of [`load`] and [`load_inline_with`] (PyTorch's keyword arguments).
///
/// ```
/// let o = tessera_extension::LoadOptions::new()
///     .extra_cflags(["-O3", "-DNDEBUG"])
///     .verbose(true);
/// ```
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    extra_cflags: Vec<String>,
    extra_ldflags: Vec<String>,
    extra_include_paths: Vec<PathBuf>,
    build_directory: Option<PathBuf>,
    verbose: bool,
    cc: Option<String>,
    cxx: Option<String>,
}

impl LoadOptions {
    /// The defaults: no extra flags, the default build root, quiet.
    pub fn new() -> LoadOptions {
        LoadOptions::default()
    }

    /// Flags added to every compile command, after tessera's (`-O2 -fPIC`, and
    /// `-std=c++17` for C++), so they can override them.
    pub fn extra_cflags<S: Into<String>>(mut self, flags: impl IntoIterator<Item = S>) -> Self {
        self.extra_cflags.extend(flags.into_iter().map(Into::into));
        self
    }

    /// Flags added to the link command (`-lfoo`, `-L/path`).
    pub fn extra_ldflags<S: Into<String>>(mut self, flags: impl IntoIterator<Item = S>) -> Self {
        self.extra_ldflags.extend(flags.into_iter().map(Into::into));
        self
    }

    /// Directories searched for headers, after [`include_paths`]. Only the paths are part
    /// of the build key, not the headers in them: after changing such a header, change
    /// a source or a flag (or clear the cache) to rebuild.
    pub fn extra_include_paths<P: Into<PathBuf>>(
        mut self,
        dirs: impl IntoIterator<Item = P>,
    ) -> Self {
        self.extra_include_paths
            .extend(dirs.into_iter().map(Into::into));
        self
    }

    /// The root of the build cache instead of [`crate::default_build_root`]; each build
    /// goes into `<dir>/<name>_<key>`.
    pub fn build_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.build_directory = Some(dir.into());
        self
    }

    /// Prints the compiler commands and their output on stderr.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.verbose = verbose;
        self
    }

    /// The C compiler (program and leading arguments) instead of `CC` or `cc`.
    pub fn cc(mut self, compiler: impl Into<String>) -> Self {
        self.cc = Some(compiler.into());
        self
    }

    /// The C++ compiler (program and leading arguments) instead of `CXX` or `c++`.
    pub fn cxx(mut self, compiler: impl Into<String>) -> Self {
        self.cxx = Some(compiler.into());
        self
    }
}

/// The description of one op for [`load_inline`], from which it writes the op table
/// (`tessera_op_def`, see `tessera.h`). The function itself is in the source, exported
/// under the op's name (`TESSERA_EXPORT` or `TESSERA_CPP_OP`).
///
/// The defaults: one tensor input, no scalars, one output, every dtype, no flags, no
/// backward.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpSpec {
    name: String,
    n_inputs: u32,
    n_scalars: u32,
    n_outputs: u32,
    dtypes: Vec<DType>,
    contiguous: bool,
    same_dtype: bool,
    same_shape: bool,
    backward: Option<String>,
}

impl OpSpec {
    /// An op named `name` with the defaults.
    ///
    /// # Panics
    /// If `name` is not a C identifier.
    pub fn new(name: &str) -> OpSpec {
        assert!(
            is_c_identifier(name),
            "OpSpec::new: `{name}` is not a C identifier"
        );
        OpSpec {
            name: name.into(),
            n_inputs: 1,
            n_scalars: 0,
            n_outputs: 1,
            dtypes: DType::ALL.to_vec(),
            contiguous: false,
            same_dtype: false,
            same_shape: false,
            backward: None,
        }
    }
    /// Number of tensor inputs.
    pub fn inputs(mut self, n: u32) -> Self {
        self.n_inputs = n;
        self
    }
    /// Number of `double` scalars.
    pub fn scalars(mut self, n: u32) -> Self {
        self.n_scalars = n;
        self
    }
    /// Number of outputs.
    pub fn outputs(mut self, n: u32) -> Self {
        self.n_outputs = n;
        self
    }
    /// The dtypes every input may have.
    pub fn dtypes(mut self, dtypes: &[DType]) -> Self {
        self.dtypes = dtypes.to_vec();
        self
    }
    /// Inputs are made contiguous before the call (`TESSERA_FLAG_CONTIGUOUS`).
    pub fn contiguous(mut self) -> Self {
        self.contiguous = true;
        self
    }
    /// All inputs must share a dtype (`TESSERA_FLAG_SAME_DTYPE`).
    pub fn same_dtype(mut self) -> Self {
        self.same_dtype = true;
        self
    }
    /// All inputs must share a shape (`TESSERA_FLAG_SAME_SHAPE`).
    pub fn same_shape(mut self) -> Self {
        self.same_shape = true;
        self
    }
    /// The op computing the gradient (another `OpSpec` of the same table; see
    /// `tessera_op_def.backward`).
    ///
    /// # Panics
    /// If `name` is not a C identifier.
    pub fn backward(mut self, name: &str) -> Self {
        assert!(
            is_c_identifier(name),
            "OpSpec::backward: `{name}` is not a C identifier"
        );
        self.backward = Some(name.into());
        self
    }

    /// The `tessera_op_def` initializer.
    fn c_entry(&self) -> String {
        let mask: u32 = self
            .dtypes
            .iter()
            .map(|&d| 1u32 << crate::abi::dtype_code(d))
            .fold(0, |a, b| a | b);
        let flags = u32::from(self.contiguous)
            | (u32::from(self.same_dtype) << 1)
            | (u32::from(self.same_shape) << 2);
        let bw = match &self.backward {
            Some(b) => format!("\"{b}\""),
            None => "NULL".into(),
        };
        format!(
            "    {{\"{}\", {}, {}, {}, {mask:#x}u, {flags}u, {bw}}},\n",
            self.name, self.n_inputs, self.n_scalars, self.n_outputs
        )
    }
}

fn is_c_identifier(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// Panics unless `name` can name a library file.
fn check_name(op: &str, name: &str) {
    assert!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "{op}: the extension name `{name}` must be non-empty and made of ASCII letters, digits, `_` and `-`"
    );
}

/// Compiles `sources` (C: `.c`; C++: `.cc`, `.cpp`, `.cxx`) into a shared library and
/// loads it (`torch.utils.cpp_extension.load`). The sources include `tessera.h` or
/// `tessera.hpp` (found through [`include_paths`]) and define their op table with
/// `TESSERA_DEFINE_EXTENSION`.
///
/// The library is cached under `<build root>/<name>_<key>`, where the key hashes the
/// sources, flags, include paths, compiler path and version, the headers and
/// [`crate::ABI_VERSION`]: a second `load` of the same build, in this process or any
/// later one, loads it without compiling ([`Extension::was_compiled`] is then `false`).
/// The build root is `options.build_directory`, else `TESSERA_EXTENSIONS_DIR`, else a
/// per-user cache ([`crate::default_build_root`]). Processes building the same key at
/// once wait for each other on an OS file lock that the kernel releases if the builder
/// dies; a failed build leaves nothing in the cache. The compilers are `CC` / `CXX`
/// (else `cc` / `c++`), or [`LoadOptions::cc`] / [`LoadOptions::cxx`]; GCC and Clang
/// flags are assumed (`-fPIC -shared`), so MSVC is not supported.
///
/// A compiler's family and version (part of the key) are asked once per compiler binary
/// and remembered in `<build root>/compilers/`, keyed by the binary's path, size and
/// modification time: a warm `load` in a new process runs no compiler at all. After
/// upgrading a compiler behind a wrapper (`CC="ccache gcc"`), clear that directory.
///
/// ```no_run
/// use tessera_extension::{load, LoadOptions};
/// let ext = load("my_ops", &["src/my_ops.c"], &LoadOptions::new())?;
/// let y = ext.call("my_op", &[&tessera_core::tensor!([1.0, 2.0])], &[])?;
/// # Ok::<(), tessera_core::Error>(())
/// ```
///
/// # Errors
/// A source that cannot be read; no compiler (the message names it and `CC`/`CXX`); a
/// compile or link error (with the compiler's output); a cache directory that cannot be
/// written; and every error of [`Extension::open`] (missing symbol, ABI mismatch, a bad
/// op table).
///
/// # Panics
/// If `sources` is empty, a source has another extension, or `name` is not made of
/// ASCII letters, digits, `_` and `-`.
pub fn load<P: AsRef<Path>>(name: &str, sources: &[P], options: &LoadOptions) -> Result<Extension> {
    check_name("load", name);
    assert!(
        !sources.is_empty(),
        "load: extension `{name}` has no sources"
    );
    let mut srcs = Vec::with_capacity(sources.len());
    for p in sources {
        let p = p.as_ref();
        let lang = Lang::of(p).unwrap_or_else(|| {
            panic!(
                "load: cannot tell the language of {} (C: .c; C++: .cc, .cpp, .cxx)",
                p.display()
            )
        });
        let text = std::fs::read(p)
            .map_err(|e| Error::io(format!("reading the source {}", p.display()), e))?;
        srcs.push(Source {
            file_name: p
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            lang,
            text,
            path: Some(p.to_path_buf()),
        });
    }
    build_and_open(name, srcs, options)
}

/// [`load_inline_with`] with the default options.
///
/// ```no_run
/// use tessera_extension::{load_inline, OpSpec};
/// let ext = load_inline(
///     "square",
///     r#"TESSERA_CPP_OP(square, call) {
///            auto x = call.input(0);
///            auto y = call.alloc_like(0, x);
///            tessera::dispatch_float(x.dtype(), [&](auto z) {
///                using T = decltype(z);
///                for (int64_t i = 0; i < x.numel(); i++)
///                    y.flat<T>(i) = x.flat<T>(i) * x.flat<T>(i);
///            });
///        }"#,
///     &[OpSpec::new("square").dtypes(&[tessera_core::DType::F32, tessera_core::DType::F64])],
/// )?;
/// # Ok::<(), tessera_core::Error>(())
/// ```
///
/// # Errors
/// As [`load`].
pub fn load_inline(name: &str, cpp_source: &str, functions: &[OpSpec]) -> Result<Extension> {
    load_inline_with(name, cpp_source, functions, &LoadOptions::new())
}

/// Builds and loads C++ source text (`torch.utils.cpp_extension.load_inline`): the text
/// is preceded by `#include <tessera.hpp>` and followed by an op table made from
/// `functions` (if `functions` is empty, the source defines its own table). The source
/// is written as `<name>.cpp` into the build directory, and cached as [`load`] does.
///
/// # Errors
/// As [`load`]; a function of `functions` missing from the source is a missing-symbol
/// error.
///
/// # Panics
/// As [`load`].
pub fn load_inline_with(
    name: &str,
    cpp_source: &str,
    functions: &[OpSpec],
    options: &LoadOptions,
) -> Result<Extension> {
    check_name("load_inline", name);
    let mut text = String::from("#include <tessera.hpp>\n");
    text.push_str(cpp_source);
    if !functions.is_empty() {
        text.push_str("\n\nstatic const tessera_op_def tessera_inline_ops[] = {\n");
        for f in functions {
            text.push_str(&f.c_entry());
        }
        let _ = writeln!(text, "}};\nTESSERA_DEFINE_EXTENSION(tessera_inline_ops)");
    }
    let src = Source {
        file_name: format!("{name}.cpp"),
        lang: Lang::Cpp,
        text: text.into_bytes(),
        path: None,
    };
    build_and_open(name, vec![src], options)
}

fn build_and_open(name: &str, sources: Vec<Source>, o: &LoadOptions) -> Result<Extension> {
    let root = o
        .build_directory
        .clone()
        .unwrap_or_else(crate::default_build_root);
    let needs = |l: Lang| sources.iter().any(|s| s.lang == l);
    let cc = if needs(Lang::C) || !needs(Lang::Cpp) {
        let words = build::compiler_command(o.cc.as_deref(), "CC", "cc");
        Some(build::checked_compiler(name, words, "C", "CC", &root)?)
    } else {
        None
    };
    let cxx = if needs(Lang::Cpp) {
        let words = build::compiler_command(o.cxx.as_deref(), "CXX", "c++");
        Some(build::checked_compiler(name, words, "C++", "CXX", &root)?)
    } else {
        None
    };
    let mut includes = include_paths();
    includes.extend(o.extra_include_paths.iter().cloned());
    let plan = Plan {
        name,
        sources,
        cflags: &o.extra_cflags,
        ldflags: &o.extra_ldflags,
        include_paths: includes,
        root,
        verbose: o.verbose,
        cc,
        cxx,
    };
    let (lib, compiled) = build::build(&plan)?;
    if plan.verbose {
        eprintln!(
            "tessera extension {name}: {} {}",
            if compiled { "built" } else { "cached" },
            lib.display()
        );
    }
    Extension::open_built(&lib, compiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_spec_writes_a_table_entry() {
        let e = OpSpec::new("f")
            .inputs(2)
            .scalars(1)
            .dtypes(&[DType::F32, DType::F64])
            .contiguous()
            .same_shape()
            .backward("f_bw")
            .c_entry();
        assert_eq!(e, "    {\"f\", 2, 1, 1, 0x60u, 5u, \"f_bw\"},\n");
        assert!(OpSpec::new("g").c_entry().contains("0x7fu, 0u, NULL"));
    }

    #[test]
    #[should_panic(expected = "OpSpec::new: `1x` is not a C identifier")]
    fn op_names_are_identifiers() {
        OpSpec::new("1x");
    }
}
