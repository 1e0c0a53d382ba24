//! The thread pool that large elementwise ops, reductions and matrix products are split
//! across, and the parallel loops over it.
//!
//! Policy: one rayon pool of [`get_num_threads`] threads (the number of cores unless
//! [`set_num_threads`] says otherwise). Work of fewer than [`PARALLEL_THRESHOLD`] elements
//! stays on the calling thread, where a wake-up of the pool would cost more than it saves;
//! larger work is cut into about four chunks per thread, each at least half the threshold.
//! On a worker of another rayon pool (the user's own parallel code) everything runs on the
//! calling thread (see `on_foreign_worker`).

use rayon::prelude::*;
use std::sync::{Arc, OnceLock, RwLock};

/// Below this many elements an op stays on the calling thread: splitting costs more
/// than it saves.
pub const PARALLEL_THRESHOLD: usize = 32 * 1024;

fn pool_cell() -> &'static RwLock<Arc<rayon::ThreadPool>> {
    static POOL: OnceLock<RwLock<Arc<rayon::ThreadPool>>> = OnceLock::new();
    POOL.get_or_init(|| RwLock::new(Arc::new(build_pool(default_threads()))))
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn build_pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("tessera-{i}"))
        .build()
        .expect("tessera: could not start the thread pool")
}

/// Sets how many threads tessera's ops use (`torch.set_num_threads`).
///
/// # Panics
/// If `n` is 0.
pub fn set_num_threads(n: usize) {
    assert!(
        n > 0,
        "set_num_threads: the number of threads must be positive, got 0"
    );
    *pool_cell().write().unwrap_or_else(|e| e.into_inner()) = Arc::new(build_pool(n));
}

/// How many threads tessera's ops use (`torch.get_num_threads`); defaults to the
/// number of cores.
pub fn get_num_threads() -> usize {
    pool().current_num_threads()
}

/// The current pool.
pub fn pool() -> Arc<rayon::ThreadPool> {
    pool_cell()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// Whether this thread is a worker of another rayon pool (the user's own parallel code).
/// There tessera's ops run on the calling thread: waiting for tessera's pool from a
/// foreign worker lets rayon run other jobs of that pool on this thread meanwhile, and one
/// of them could write in place to a tensor this thread's suspended op is reading.
pub(crate) fn on_foreign_worker() -> bool {
    rayon::current_thread_index().is_some() && pool().current_thread_index().is_none()
}

/// Whether work of `n` elements is split across the pool: large enough, and not on a
/// worker of another pool (see `on_foreign_worker`).
pub fn parallel(n: usize) -> bool {
    n >= PARALLEL_THRESHOLD && !on_foreign_worker()
}

/// How many threads an op may use from here: 1 on a worker of another rayon pool.
pub fn usable_threads() -> usize {
    if on_foreign_worker() {
        1
    } else {
        get_num_threads()
    }
}

pub(crate) fn chunk_len(n: usize) -> usize {
    let threads = get_num_threads().max(1);
    (n / (threads * 4)).max(PARALLEL_THRESHOLD / 2)
}

/// `f(input_chunk, output_chunk)` over matching chunks, in parallel when large.
pub fn par_zip<A: Sync, B: Send>(a: &[A], out: &mut [B], f: impl Fn(&[A], &mut [B]) + Sync) {
    debug_assert_eq!(a.len(), out.len());
    if !parallel(a.len()) {
        return f(a, out);
    }
    let c = chunk_len(a.len());
    pool().install(|| {
        a.par_chunks(c)
            .zip(out.par_chunks_mut(c))
            .for_each(|(x, y)| f(x, y))
    });
}

/// `f(a_chunk, b_chunk, output_chunk)` over matching chunks, in parallel when large.
pub fn par_zip3<A: Sync, B: Sync, C: Send>(
    a: &[A],
    b: &[B],
    out: &mut [C],
    f: impl Fn(&[A], &[B], &mut [C]) + Sync,
) {
    if !parallel(a.len()) {
        return f(a, b, out);
    }
    let c = chunk_len(a.len());
    pool().install(|| {
        a.par_chunks(c)
            .zip(b.par_chunks(c))
            .zip(out.par_chunks_mut(c))
            .for_each(|((x, y), z)| f(x, y, z))
    });
}

/// `f(chunk)` over chunks of a mutable slice, in parallel when large.
pub fn par_chunks_mut<A: Send>(a: &mut [A], f: impl Fn(&mut [A]) + Sync) {
    if !parallel(a.len()) {
        return f(a);
    }
    let c = chunk_len(a.len());
    pool().install(|| a.par_chunks_mut(c).for_each(&f));
}

/// `f(start, chunk)` over chunks of `chunk` elements of a mutable slice, `start`
/// being the chunk's first index; in parallel when the slice is large.
pub fn par_chunks_indexed<A: Send>(a: &mut [A], chunk: usize, f: impl Fn(usize, &mut [A]) + Sync) {
    if !parallel(a.len()) {
        for (i, c) in a.chunks_mut(chunk).enumerate() {
            f(i * chunk, c);
        }
        return;
    }
    pool().install(|| {
        a.par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(i, c)| f(i * chunk, c))
    });
}

/// Rows of `row_len` elements mapped by `f(row_index, input_row, output_row)`,
/// in parallel when the total is large. `out` holds `out_len` elements per row.
pub fn par_rows<A: Sync, B: Send>(
    input: &[A],
    row_len: usize,
    out: &mut [B],
    out_len: usize,
    f: impl Fn(&[A], &mut [B]) + Sync,
) {
    if row_len == 0 || out_len == 0 {
        // Rows of nothing still produce `out_len` outputs each (e.g. sums of empty rows).
        if out_len > 0 {
            for o in out.chunks_mut(out_len) {
                f(&[], o);
            }
        }
        return;
    }
    if !parallel(input.len()) || input.len() / row_len < 2 {
        for (i, o) in input.chunks(row_len).zip(out.chunks_mut(out_len)) {
            f(i, o);
        }
        return;
    }
    let rows_per = (PARALLEL_THRESHOLD / 2 / row_len).max(1);
    pool().install(|| {
        input
            .par_chunks(row_len * rows_per)
            .zip(out.par_chunks_mut(out_len * rows_per))
            .for_each(|(i, o)| {
                for (r, s) in i.chunks(row_len).zip(o.chunks_mut(out_len)) {
                    f(r, s);
                }
            })
    });
}
