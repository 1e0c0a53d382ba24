//! The runtime under every op: the thread pool, output buffers and scratch memory, with
//! their policies and limits in one place.
//!
//! - [`pool`]: the rayon pool ([`set_num_threads`]) and the parallel loops ops run their
//!   kernels in. Work under [`PARALLEL_THRESHOLD`] elements stays on the calling thread.
//! - [`Output`]: the buffer an op writes its result into. Large outputs get huge pages;
//!   the elementwise drivers may reuse a dropped tensor's buffer (from 128 KiB, up to 64 buffers and 256 MiB kept, see
//!   [`release_cached_buffers`]), and only they, because they write every element; every
//!   other caller gets zeroed memory.
//! - [`scratch`]: working memory kept per thread between calls (linalg's factorizations),
//!   handed out zeroed.
//!
//! Reuse never exposes old contents: scratch is zeroed on every hand-out, and a reused
//! output buffer reaches only code that overwrites all of it (see [`Output`]'s module
//! docs and the test that poisons the cache).
//!
//! This module is also what tessera's other crates (linalg, nn, ...) take from core's
//! runtime; users normally need only [`set_num_threads`] and [`get_num_threads`], which
//! the facade re-exports.

mod buffers;
mod output;
pub mod pool;
pub mod scratch;

pub(crate) use buffers::recycle;
pub use buffers::{cached_buffer_bytes, release_cached_buffers};
pub use output::Output;
pub use pool::{get_num_threads, set_num_threads, PARALLEL_THRESHOLD};
