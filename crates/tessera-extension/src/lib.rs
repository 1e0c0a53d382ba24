//! tessera-extension: C and C++ custom ops compiled and loaded while the program runs
//! (`torch.utils.cpp_extension`), and tessera's C ABI.
//!
//! - `include/tessera.h` (C99) is the ABI: a plain-struct tensor view (data pointer, dtype
//!   code, ndim, sizes, strides in elements, byte offset), dtype codes, a status code and
//!   message buffer for errors, a function table C may call (allocate an output, read
//!   metadata), and the op table an extension exports. It is versioned by
//!   [`ABI_VERSION`] (`TESSERA_ABI_VERSION`). `include/tessera.hpp` adds C++17 classes
//!   (views with `span`, typed element access, exceptions turned into errors).
//! - [`include_paths`] finds the headers, for `load`, a `build.rs` or a Makefile.
//! - [`get_compiler_abi_compatibility_and_version`] identifies gcc or clang and its version.
//! - [`load`] and [`load_inline`] compile with the system compiler (`CC`/`CXX`), cache the
//!   library under a hash of everything that goes into it, and load it ([`Extension`]);
//!   ops are called by name on tensors ([`Extension::call`], [`Op::call`]), with their
//!   arguments checked first, and take part in autograd when they name a backward.
//!
//! ```
//! use tessera_core::{tensor, DType};
//! use tessera_extension::{load_inline_with, LoadOptions, OpSpec};
//!
//! # let dir = tempfile::tempdir().unwrap();
//! // (without build_directory: the per-user cache, or TESSERA_EXTENSIONS_DIR)
//! let options = LoadOptions::new().build_directory(dir.path());
//! let ext = load_inline_with(
//!     "scaled",
//!     r#"
//!     TESSERA_CPP_OP(scaled, call) {            // y = x * s
//!         auto x = call.input(0);
//!         auto y = call.alloc_like(0, x);
//!         double s = call.scalar(0);
//!         tessera::dispatch_float(x.dtype(), [&](auto z) {
//!             using T = decltype(z);
//!             for (int64_t i = 0; i < x.numel(); i++) y.flat<T>(i) = x.flat<T>(i) * T(s);
//!         });
//!     }
//!     TESSERA_CPP_OP(scaled_backward, call) {   // inputs: grad, x, y
//!         auto g = call.input(0);
//!         auto gx = call.alloc_like(0, call.input(1));
//!         double s = call.scalar(0);
//!         tessera::dispatch_float(g.dtype(), [&](auto z) {
//!             using T = decltype(z);
//!             for (int64_t i = 0; i < g.numel(); i++) gx.flat<T>(i) = g.flat<T>(i) * T(s);
//!         });
//!     }"#,
//!     &[
//!         OpSpec::new("scaled").scalars(1).dtypes(&[DType::F32, DType::F64]).backward("scaled_backward"),
//!         OpSpec::new("scaled_backward").inputs(3).scalars(1).dtypes(&[DType::F32, DType::F64]),
//!     ],
//!     &options,
//! )?;
//! let x = tensor!([1.0, 2.0], dtype = DType::F64);
//! x.requires_grad_(true);
//! let y = ext.call("scaled", &[&x], &[3.0])?.remove(0);
//! y.sum().backward();
//! assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![3.0, 3.0]);
//! # Ok::<(), tessera_core::Error>(())
//! ```
//!
//! # What tessera checks, and what it cannot
//! An op is C code running in the process: tessera checks everything it hands over and
//! gets back (argument counts, dtypes, flags, output allocation through `alloc_output`,
//! bool outputs normalized to 0/1, the status and message, a gradient's shape), but it
//! cannot stop C from writing out of bounds or through an input view. `load` and
//! [`Extension::open`] are safe functions in the same sense as PyTorch's `load`: the
//! library is the user's own code, trusted like the rest of the program.
//!
//! Not supported: MSVC (the build uses gcc/clang flags), in-place ops (inputs are
//! read-only to C), tracking headers under extra include paths in the build key.
#![warn(missing_docs)]

mod abi;
mod build;
mod call;
mod compiler;
mod extension;
mod load;
mod paths;
mod process;

pub use abi::{dtype_code, dtype_from_code, ABI_VERSION};
pub use compiler::{
    get_compiler_abi_compatibility_and_version, CompilerKind, Version, MINIMUM_CLANG_VERSION,
    MINIMUM_GCC_VERSION,
};
pub use extension::{Extension, Op};
pub use load::{load, load_inline, load_inline_with, LoadOptions, OpSpec};
pub use paths::{default_build_root, include_paths};
