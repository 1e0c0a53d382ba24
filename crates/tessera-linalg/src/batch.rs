//! Shape checks and the loop over the matrices of a batch.

use rayon::prelude::*;
use tessera_core::{DType, Tensor};

/// PyTorch's name for a dtype in error messages (`Long`, `Float`, ...).
pub(crate) fn torch_type_name(d: DType) -> &'static str {
    match d {
        DType::Bool => "Bool",
        DType::U8 => "Byte",
        DType::I8 => "Char",
        DType::I32 => "Int",
        DType::I64 => "Long",
        DType::F32 => "Float",
        DType::F64 => "Double",
    }
}

/// Panics unless `t` is `F32` or `F64`, with PyTorch's message.
#[track_caller]
pub(crate) fn check_float(op: &str, t: &Tensor) {
    assert!(
        t.dtype().is_float(),
        "{op}: Expected a floating point or complex tensor as input. Got {}",
        torch_type_name(t.dtype())
    );
}

/// Checks that `t` is a float batch of square matrices; returns (batch shape, n).
#[track_caller]
pub(crate) fn square_batch(op: &str, t: &Tensor) -> (Vec<usize>, usize) {
    assert!(
        t.dim() >= 2,
        "{op}: The input tensor A must have at least 2 dimensions (got shape {:?}).",
        t.shape()
    );
    let s = t.shape();
    let (m, n) = (s[s.len() - 2], s[s.len() - 1]);
    assert!(
        m == n,
        "{op}: A must be batches of square matrices, but they are {m} by {n} matrices (shape {s:?})"
    );
    check_float(op, t);
    (s[..s.len() - 2].to_vec(), n)
}

/// The batch shape followed by `tail`.
pub(crate) fn with_tail(batch: &[usize], tail: &[usize]) -> Vec<usize> {
    let mut v = batch.to_vec();
    v.extend_from_slice(tail);
    v
}

/// Below this many elements of work a batch stays on the calling thread.
const PAR_MIN_ELEMS: usize = 16 * 1024;

/// `f(index, matrix)` over the `len`-element chunks of `data`, in parallel across the
/// batch (tessera's pool) when it is large enough; returns the results in order.
/// `count` is the number of matrices (needed when `len` is 0).
pub(crate) fn map_batch<T: Send, R: Send>(
    data: &mut [T],
    len: usize,
    count: usize,
    parallel: bool,
    f: impl Fn(usize, &mut [T]) -> R + Sync + Send,
) -> Vec<R> {
    if len == 0 {
        return (0..count).map(|i| f(i, &mut [])).collect();
    }
    if !parallel || data.len() < PAR_MIN_ELEMS || count < 2 {
        return data
            .chunks_mut(len)
            .enumerate()
            .map(|(i, c)| f(i, c))
            .collect();
    }
    let min_len = (PAR_MIN_ELEMS / 4 / len).max(1);
    tessera_core::runtime::pool::pool().install(|| {
        data.par_chunks_mut(len)
            .with_min_len(min_len)
            .enumerate()
            .map(|(i, c)| f(i, c))
            .collect()
    })
}

/// Like [`map_batch`] over two buffers with matching batch counts.
pub(crate) fn map_batch2<T: Send, R: Send>(
    a: &mut [T],
    alen: usize,
    b: &mut [T],
    blen: usize,
    count: usize,
    parallel: bool,
    f: impl Fn(usize, &mut [T], &mut [T]) -> R + Sync + Send,
) -> Vec<R> {
    if alen == 0 || blen == 0 {
        // Some side is empty: hand out empty slices for it.
        return (0..count)
            .map(|i| {
                let (x, y): (&mut [T], &mut [T]) = (
                    if alen == 0 {
                        &mut []
                    } else {
                        &mut a[i * alen..(i + 1) * alen]
                    },
                    if blen == 0 {
                        &mut []
                    } else {
                        &mut b[i * blen..(i + 1) * blen]
                    },
                );
                f(i, x, y)
            })
            .collect();
    }
    if !parallel || a.len() + b.len() < PAR_MIN_ELEMS || count < 2 {
        return a
            .chunks_mut(alen)
            .zip(b.chunks_mut(blen))
            .enumerate()
            .map(|(i, (x, y))| f(i, x, y))
            .collect();
    }
    let min_len = (PAR_MIN_ELEMS / 4 / (alen + blen)).max(1);
    tessera_core::runtime::pool::pool().install(|| {
        a.par_chunks_mut(alen)
            .zip(b.par_chunks_mut(blen))
            .with_min_len(min_len)
            .enumerate()
            .map(|(i, (x, y))| f(i, x, y))
            .collect()
    })
}

/// The elements of `t` (of element type `T`) as an owned row-major vector.
pub(crate) fn to_owned<T: tessera_core::storage::StorageElement>(t: &Tensor) -> Vec<T> {
    t.with_contiguous(|s: &[T]| s.to_vec())
}

/// The first batch index whose info is non-zero, with that info.
pub(crate) fn first_failure(info: &[i32]) -> Option<(usize, i32)> {
    info.iter()
        .enumerate()
        .find(|(_, &k)| k != 0)
        .map(|(i, &k)| (i, k))
}

/// "(Batch element i): " when the input is batched, else "".
pub(crate) fn batch_prefix(batched: bool, i: usize) -> String {
    if batched {
        format!("(Batch element {i}): ")
    } else {
        String::new()
    }
}

/// Transposes an `r x c` row-major block into `out` (`c x r` row-major).
pub(crate) fn transpose_into<T: Copy>(src: &[T], r: usize, c: usize, out: &mut [T]) {
    // Small blocks: with power-of-two strides larger ones thrash L1 sets.
    const B: usize = 8;
    for i0 in (0..r).step_by(B) {
        for j0 in (0..c).step_by(B) {
            for i in i0..(i0 + B).min(r) {
                for j in j0..(j0 + B).min(c) {
                    out[j * r + i] = src[i * c + j];
                }
            }
        }
    }
}
