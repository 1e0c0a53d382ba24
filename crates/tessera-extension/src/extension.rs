//! A loaded extension ([`Extension`]) and its ops ([`Op`]): the table read from the
//! library, the argument checks before each call, and the autograd wiring.

use crate::abi::{self, DefFn, ExtensionDef, OpDef, OpFn, ABI_VERSION};
use crate::call::invoke;
use std::collections::{HashMap, HashSet};
use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tessera_core::autograd::{self, Saves};
use tessera_core::{DType, Error, Result, Tensor};

/// One op of the table, with its function resolved.
struct OpInfo {
    name: &'static str,
    func: OpFn,
    n_inputs: usize,
    n_scalars: usize,
    n_outputs: usize,
    dtypes: u32,
    flags: u32,
    backward: Option<usize>,
}

/// The library and its ops; ops hold it alive.
struct Table {
    ops: Vec<OpInfo>,
    // Dropped last: the function pointers in `ops` point into it.
    _lib: libloading::Library,
}

/// A compiled and loaded extension: its ops, called by name on tensors.
///
/// Made by [`crate::load`], [`crate::load_inline`], or [`Extension::open`] for a library
/// built another way. The library stays loaded while the `Extension` or any [`Op`] from
/// it lives.
#[derive(Clone)]
pub struct Extension {
    table: Arc<Table>,
    path: PathBuf,
    compiled: bool,
}

impl std::fmt::Debug for Extension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extension")
            .field("path", &self.path)
            .field("ops", &self.op_names())
            .field("compiled", &self.compiled)
            .finish()
    }
}

/// Op names live as long as the process (autograd nodes name their op with a
/// `&'static str`); one copy per distinct name, however often a library is loaded.
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut g = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    let set = g.get_or_insert_with(HashSet::new);
    if let Some(&s) = set.get(name) {
        return s;
    }
    let s: &'static str = Box::leak(name.to_owned().into_boxed_str());
    set.insert(s);
    s
}

fn err(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::Msg(format!("extension {}: {msg}", path.display()))
}

impl Extension {
    /// Loads a shared library built against `tessera.h` (for instance by a Makefile
    /// with [`crate::include_paths`]) and reads its op table.
    ///
    /// # Errors
    /// - the library cannot be loaded (missing file, unresolved symbols),
    /// - it exports no `tessera_extension_def` (no `TESSERA_DEFINE_EXTENSION`),
    /// - it was built with another `TESSERA_ABI_VERSION`,
    /// - an op of its table has no exported function of its name (a missing symbol),
    ///   names a backward that is not in the table or does not fit it, has a bad
    ///   count, dtype mask or flag, or shares its name with another op.
    pub fn open(path: impl AsRef<Path>) -> Result<Extension> {
        Self::open_built(path.as_ref(), false)
    }

    pub(crate) fn open_built(path: &Path, compiled: bool) -> Result<Extension> {
        // SAFETY: loading a library runs its initializers; the library is one the user
        // asked for (built from their sources).
        let lib = unsafe { libloading::Library::new(path) }
            .map_err(|e| err(path, format!("cannot load the library: {e}")))?;
        // SAFETY: `DEF_SYMBOL` is declared by tessera.h as `const tessera_extension
        // *tessera_extension_def(void)`, the type `DefFn` mirrors; the function pointer is
        // copied out and used only while `lib` (moved into the returned `Extension`) stays
        // loaded.
        let def_fn: DefFn = unsafe { lib.get::<DefFn>(abi::DEF_SYMBOL.as_bytes()) }
            .map(|s| *s)
            .map_err(|e| {
                err(
                    path,
                    format!(
                        "missing symbol `{}` ({e}): define the op table with TESSERA_DEFINE_EXTENSION(ops), or pass the ops to load_inline",
                        abi::DEF_SYMBOL
                    ),
                )
            })?;
        // SAFETY: the symbol is the one the header declares with this type; it takes no
        // arguments and returns a pointer (checked for NULL below).
        let def: *const ExtensionDef = unsafe { def_fn() };
        if def.is_null() {
            return Err(err(path, "tessera_extension_def returned NULL"));
        }
        // SAFETY: `def` is non-NULL (checked above) and, by the header's contract, points at
        // a static `tessera_extension` (TESSERA_DEFINE_EXTENSION makes it) whose first
        // field is a `uint32_t` ABI version in every version of the header; only that
        // field is read before the version is checked.
        let version = unsafe { std::ptr::read(def as *const u32) };
        if version != ABI_VERSION {
            return Err(err(
                path,
                format!(
                    "ABI version mismatch: the library was built with TESSERA_ABI_VERSION {version}, this tessera has {ABI_VERSION}; rebuild it against tessera's current headers (include_paths())"
                ),
            ));
        }
        // SAFETY: non-NULL, and of this tessera's layout: the ABI version was checked just
        // above, and the test `header_layouts_match_the_rust_mirrors` checks that the
        // compiler's layout of `tessera_extension` equals `ExtensionDef`'s. The table is
        // static in the library, which `lib` keeps loaded.
        let def = unsafe { &*def };
        let defs: &[OpDef] = if def.n_ops == 0 {
            &[]
        } else if def.ops.is_null() {
            return Err(err(path, "the op table pointer is NULL"));
        } else {
            // SAFETY: `ops` is non-NULL (checked above) and, by TESSERA_DEFINE_EXTENSION,
            // points at a static array of `n_ops` `tessera_op` entries, whose layout equals
            // `OpDef`'s (ABI version and layout test as above).
            unsafe { std::slice::from_raw_parts(def.ops, def.n_ops as usize) }
        };
        let cstr = |p: *const std::ffi::c_char, what: &str| -> Result<Option<String>> {
            if p.is_null() {
                return Ok(None);
            }
            // SAFETY: `p` is non-NULL (checked above) and, by the header's contract for op
            // and backward names, a NUL-terminated string in the library's static data.
            unsafe { CStr::from_ptr(p) }
                .to_str()
                .map(|s| Some(s.to_owned()))
                .map_err(|_| err(path, format!("{what} is not UTF-8")))
        };
        let mut names = Vec::with_capacity(defs.len());
        for (i, d) in defs.iter().enumerate() {
            let name = cstr(d.name, "an op name")?
                .filter(|n| !n.is_empty())
                .ok_or_else(|| err(path, format!("op {i} of the table has no name")))?;
            if names.contains(&name) {
                return Err(err(path, format!("two ops are named `{name}`")));
            }
            names.push(name);
        }
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut ops = Vec::with_capacity(defs.len());
        for (d, name) in defs.iter().zip(&names) {
            let count = |v: i32, what: &str, min: i32| {
                if (min..=1024).contains(&v) {
                    Ok(v as usize)
                } else {
                    Err(err(path, format!("op `{name}`: {what} is {v}")))
                }
            };
            let n_inputs = count(d.n_inputs, "n_inputs", 0)?;
            let n_scalars = count(d.n_scalars, "n_scalars", 0)?;
            let n_outputs = count(d.n_outputs, "n_outputs", 1)?;
            if d.dtypes == 0 || d.dtypes & !0x7F != 0 {
                return Err(err(
                    path,
                    format!("op `{name}`: bad dtype mask {:#x}", d.dtypes),
                ));
            }
            if d.flags & !7 != 0 {
                return Err(err(
                    path,
                    format!("op `{name}`: unknown flags {:#x}", d.flags),
                ));
            }
            let backward = match cstr(d.backward, "a backward name")? {
                None => None,
                Some(b) => Some(*index.get(b.as_str()).ok_or_else(|| {
                    err(
                        path,
                        format!(
                            "op `{name}` names the backward `{b}`, which is not an op of the table"
                        ),
                    )
                })?),
            };
            // SAFETY: the header declares every op as `int name(tessera_call *)`, the type
            // `OpFn` mirrors (TESSERA_EXPORT / TESSERA_CPP_OP); the pointer is used only
            // while `lib`, kept in the `Extension`, stays loaded.
            let func: OpFn = unsafe { lib.get::<OpFn>(name.as_bytes()) }
                .map(|s| *s)
                .map_err(|e| {
                    err(
                        path,
                        format!("missing symbol `{name}` for the op of that name ({e}); export it with TESSERA_EXPORT (extern \"C\" in C++)"),
                    )
                })?;
            ops.push(OpInfo {
                name: intern(name),
                func,
                n_inputs,
                n_scalars,
                n_outputs,
                dtypes: d.dtypes,
                flags: d.flags,
                backward,
            });
        }
        for op in &ops {
            if let Some(b) = op.backward {
                let bw = &ops[b];
                let fits = op.n_outputs == 1
                    && bw.n_inputs == op.n_inputs + 2
                    && bw.n_outputs == op.n_inputs
                    && bw.n_scalars == op.n_scalars;
                if !fits {
                    return Err(err(
                        path,
                        format!(
                            "op `{}` ({} inputs, {} scalars, {} outputs) cannot have `{}` ({} inputs, {} scalars, {} outputs) as its backward: an op with a backward has 1 output, and its backward takes the gradient, the inputs and the output ({} inputs), the same scalars, and returns one gradient per input",
                            op.name, op.n_inputs, op.n_scalars, op.n_outputs, bw.name, bw.n_inputs, bw.n_scalars, bw.n_outputs, op.n_inputs + 2
                        ),
                    ));
                }
            }
        }
        Ok(Extension {
            table: Arc::new(Table { ops, _lib: lib }),
            path: path.to_path_buf(),
            compiled,
        })
    }

    /// The shared library's path.
    pub fn library_path(&self) -> &Path {
        &self.path
    }

    /// Whether this `load` compiled the library (`false`: it came from the cache, or
    /// from [`Extension::open`]).
    pub fn was_compiled(&self) -> bool {
        self.compiled
    }

    /// The names of the ops, in the table's order.
    pub fn op_names(&self) -> Vec<&'static str> {
        self.table.ops.iter().map(|o| o.name).collect()
    }

    /// The op named `name`, if the extension has one. Keeping the [`Op`] saves the
    /// look-up on every call.
    pub fn op(&self, name: &str) -> Option<Op> {
        self.table
            .ops
            .iter()
            .position(|o| o.name == name)
            .map(|index| Op {
                table: self.table.clone(),
                index,
            })
    }

    /// Calls the op `name` (see [`Op::call`]).
    ///
    /// # Errors
    /// As [`Op::call`].
    ///
    /// # Panics
    /// If the extension has no op `name`, and as [`Op::call`].
    pub fn call(&self, name: &str, inputs: &[&Tensor], scalars: &[f64]) -> Result<Vec<Tensor>> {
        self.op(name)
            .unwrap_or_else(|| {
                panic!(
                    "extension {}: no op named `{name}` (it has {:?})",
                    self.path.display(),
                    self.op_names()
                )
            })
            .call(inputs, scalars)
    }
}

/// One op of an [`Extension`], callable on tensors.
#[derive(Clone)]
pub struct Op {
    table: Arc<Table>,
    index: usize,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<extension op {}>", self.info().name)
    }
}

fn describe(inputs: &[&Tensor]) -> String {
    let v: Vec<String> = inputs
        .iter()
        .map(|t| format!("{:?} {}", t.shape(), t.dtype()))
        .collect();
    format!("[{}]", v.join(", "))
}

impl Op {
    fn info(&self) -> &OpInfo {
        &self.table.ops[self.index]
    }

    /// The op's name.
    pub fn name(&self) -> &'static str {
        self.info().name
    }

    /// Whether the op names a backward function.
    pub fn has_backward(&self) -> bool {
        self.info().backward.is_some()
    }

    /// Calls the op on `inputs` and `scalars` and returns its outputs.
    ///
    /// The arguments are checked against the op's table entry before C runs: the number
    /// of tensors and scalars, each input's dtype, and the same-dtype / same-shape flags.
    /// Inputs are handed over as strided views (copied to contiguous first if the op
    /// asks for it with `TESSERA_FLAG_CONTIGUOUS`).
    ///
    /// Autograd: when grad mode is on and an input requires grad, an op with a backward
    /// records a node, so `backward()` flows through it (the backward op is called with
    /// the gradient, the inputs and the output; if the backward has a backward of its
    /// own, higher derivatives work too). An op with one output and no backward records a
    /// node whose backward panics, naming the op, as PyTorch's "not implemented"
    /// derivative does. The outputs of a multi-output op without a backward do not
    /// require grad.
    ///
    /// Several threads may call ops at once (inputs are only read-locked), so the C
    /// function must be reentrant: no unsynchronized global state.
    ///
    /// # Errors
    /// The op's message when it reports an error from C (prefixed with the op's name),
    /// or an output the op left unallocated.
    ///
    /// # Panics
    /// If the arguments do not match the op's entry (the message names the op and the
    /// inputs' shapes and dtypes). In `backward()`, if the backward op reports an error
    /// or returns a gradient of the wrong shape.
    pub fn call(&self, inputs: &[&Tensor], scalars: &[f64]) -> Result<Vec<Tensor>> {
        let info = self.info();
        let outs = self.call_raw(inputs, scalars)?;
        let mut v = Vec::with_capacity(outs.len());
        for (i, o) in outs.into_iter().enumerate() {
            v.push(o.ok_or_else(|| {
                Error::Msg(format!(
                    "extension op `{}`: returned TESSERA_OK without allocating output {i} (api->alloc_output)",
                    info.name
                ))
            })?);
        }
        if info.n_outputs == 1
            && autograd::is_grad_enabled()
            && inputs.iter().any(|t| t.requires_grad())
        {
            let out = v.pop().expect("one output");
            v.push(self.record(inputs, scalars, out));
        }
        Ok(v)
    }

    /// Checks the arguments and calls C, with no autograd.
    fn call_raw(&self, inputs: &[&Tensor], scalars: &[f64]) -> Result<Vec<Option<Tensor>>> {
        let info = self.info();
        let name = info.name;
        assert!(
            inputs.len() == info.n_inputs && scalars.len() == info.n_scalars,
            "extension op `{name}`: takes {} tensors and {} scalars, got {} tensors {} and {} scalars",
            info.n_inputs,
            info.n_scalars,
            inputs.len(),
            describe(inputs),
            scalars.len()
        );
        for (i, t) in inputs.iter().enumerate() {
            assert!(
                info.dtypes & (1 << abi::dtype_code(t.dtype())) != 0,
                "extension op `{name}`: input {i} has dtype {}, which the op does not take (it takes {:?}); inputs {}",
                t.dtype(),
                DType::ALL
                    .iter()
                    .filter(|&&d| info.dtypes & (1 << abi::dtype_code(d)) != 0)
                    .map(|d| d.torch_name())
                    .collect::<Vec<_>>(),
                describe(inputs)
            );
        }
        if info.flags & abi::FLAG_SAME_DTYPE != 0 {
            assert!(
                inputs.windows(2).all(|w| w[0].dtype() == w[1].dtype()),
                "extension op `{name}`: inputs must have one dtype, got {}",
                describe(inputs)
            );
        }
        if info.flags & abi::FLAG_SAME_SHAPE != 0 {
            assert!(
                inputs.windows(2).all(|w| w[0].shape() == w[1].shape()),
                "extension op `{name}`: inputs must have one shape, got {}",
                describe(inputs)
            );
        }
        if info.flags & abi::FLAG_CONTIGUOUS != 0 && !inputs.iter().all(|t| t.is_contiguous()) {
            let copies: Vec<Tensor> = inputs.iter().map(|t| t.detach().contiguous()).collect();
            let refs: Vec<&Tensor> = copies.iter().collect();
            return invoke(name, info.func, &refs, scalars, info.n_outputs);
        }
        invoke(name, info.func, inputs, scalars, info.n_outputs)
    }

    /// Gives `out` a node whose backward calls the backward op.
    fn record(&self, inputs: &[&Tensor], scalars: &[f64], out: Tensor) -> Tensor {
        let info = self.info();
        let name = info.name;
        let Some(b) = info.backward else {
            return autograd::custom_op(
                name,
                inputs,
                Saves::Nothing,
                || out,
                move |_, _, _| {
                    panic!("extension op `{name}`: derivative not implemented: the op names no backward function in its tessera_op_def")
                },
            );
        };
        let bw = Op {
            table: self.table.clone(),
            index: b,
        };
        let scalars = scalars.to_vec();
        autograd::custom_op(
            name,
            inputs,
            Saves::Both,
            || out,
            move |g, out, inputs| {
                let mut args: Vec<&Tensor> = Vec::with_capacity(inputs.len() + 2);
                args.push(g);
                args.extend(inputs);
                args.push(out);
                let grads = bw.call_grads(&args, &scalars).unwrap_or_else(|e| {
                    panic!(
                        "extension op `{name}`: backward `{}` failed: {e}",
                        bw.name()
                    )
                });
                grads
                .into_iter()
                .zip(inputs)
                .enumerate()
                .map(|(i, (g, x))| {
                    g.map(|g| {
                        assert_eq!(
                            g.shape(),
                            x.shape(),
                            "extension op `{name}`: backward `{}` returned a gradient of shape {:?} for input {i} of shape {:?}",
                            bw.name(),
                            g.shape(),
                            x.shape()
                        );
                        g.to_dtype(x.dtype())
                    })
                })
                .collect()
            },
        )
    }

    /// A backward op's call: unallocated outputs are "no gradient"; a one-output
    /// backward with a backward of its own records a node (higher derivatives).
    fn call_grads(&self, args: &[&Tensor], scalars: &[f64]) -> Result<Vec<Option<Tensor>>> {
        let mut outs = self.call_raw(args, scalars)?;
        let info = self.info();
        if info.n_outputs == 1
            && autograd::is_grad_enabled()
            && args.iter().any(|t| t.requires_grad())
        {
            if let Some(o) = outs[0].take() {
                outs[0] = Some(self.record(args, scalars, o));
            }
        }
        Ok(outs)
    }
}
