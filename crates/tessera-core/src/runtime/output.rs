//! [`Output`]: the buffer an op's result is written into before it becomes a tensor.
//!
//! Allocation policy (measured on the benchmark machines, see BENCHMARKS.md):
//! - Outputs under 2 MiB come zeroed from the allocator (`calloc`), which reuses small
//!   blocks well, unless a dropped tensor's buffer of nearly that size is kept (from
//!   128 KiB, see below).
//! - Outputs of 2 MiB and more ask Linux for transparent huge pages, as NumPy does: with
//!   4 KiB pages, the page faults of a fresh 40 MB output cost more than computing `expm1`
//!   on it.
//! - From 32 MiB, glibc always maps fresh pages, so a zeroed allocation is untouched zero
//!   pages and the op's own parallel write is their first touch (one pass over the memory
//!   instead of two); between 2 and 32 MiB the memory is zeroed in parallel.
//! - An op that writes every element of its output ([`Output::for_overwrite`], crate
//!   internal) may instead get the buffer of a dropped tensor of nearly the same size
//!   (`buffers`), old values and all: that is what makes repeated large ops skip their page
//!   faults. Only the elementwise and row drivers of `ops` ask for it, and each hands every
//!   element of the buffer to a slice kernel whose contract is to write it
//!   (`y[i] = f(x[i])`); the test `reused_buffers_never_leak_old_values` poisons the cache
//!   and runs every such driver, contiguous, strided, broadcast and empty. Everything else,
//!   including every crate outside core, gets zeroed memory ([`Output::zeroed`]): a kept
//!   buffer zeroed (in parallel from 2 MiB; cheaper than a fresh one's page faults), or a
//!   fresh one.

use super::buffers;
use super::pool::{chunk_len, on_foreign_worker, pool};
use crate::data::{
    advise_huge_pages, out_of_memory, try_with_capacity, try_zeroed, StorageElement, HUGE_OUTPUT,
};
use crate::Tensor;
use rayon::prelude::*;

/// From this size on, glibc's `malloc` always maps fresh pages (its dynamic mmap
/// threshold stops growing at 32 MiB on 64-bit targets), so a zeroed allocation costs
/// nothing until the pages are touched.
const FRESH_PAGES: usize = 32 << 20;

/// An op's output of `n` elements of `T`, written through [`Output::as_mut_slice`] and
/// turned into a contiguous tensor by [`Output::into_tensor`].
///
/// ```
/// use tessera_core::runtime::Output;
///
/// let mut out = Output::<f64>::zeroed("my_op", 3);
/// out.as_mut_slice()[1] = 2.0;
/// let t = out.into_tensor(&[3]);
/// assert_eq!(t.to_vec::<f64>(), [0.0, 2.0, 0.0]);
/// ```
pub struct Output<T> {
    data: Vec<T>,
}

impl<T: StorageElement> Output<T> {
    /// `n` zeros, for op `op` (named if the memory cannot be allocated). Large outputs get
    /// huge pages or a dropped tensor's buffer, zeroed (see the module docs).
    ///
    /// # Panics
    /// If the memory cannot be allocated: the message names `op` and the size asked for
    /// (as PyTorch's "not enough memory"), and the process lives on.
    #[track_caller]
    pub fn zeroed(op: &str, n: usize) -> Self {
        Output {
            data: allocate(op, n, false),
        }
    }

    /// `n` elements that the caller overwrites, every one: a kept buffer of a dropped
    /// tensor when there is one of nearly that size (with its old values), else zeros.
    /// Crate-internal: only the drivers that hand every element to a slice kernel use it
    /// (see the module docs).
    ///
    /// # Panics
    /// As [`Output::zeroed`].
    #[track_caller]
    pub(crate) fn for_overwrite(op: &str, n: usize) -> Self {
        Output {
            data: allocate(op, n, true),
        }
    }

    /// The elements, to be written.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The written values as a contiguous tensor of `shape`.
    ///
    /// # Panics
    /// If `shape` does not hold exactly [`Output::len`] elements.
    pub fn into_tensor(self, shape: &[usize]) -> Tensor {
        Tensor::from_vec(self.data, shape)
    }

    /// The written values as a vector.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }
}

#[track_caller]
fn allocate<T: StorageElement>(op: &str, n: usize, reuse: bool) -> Vec<T> {
    let oom = || -> ! { out_of_memory(op, &[n], T::DTYPE) };
    let bytes = n
        .checked_mul(std::mem::size_of::<T>())
        .unwrap_or_else(|| oom());
    if bytes >= buffers::MIN_BYTES {
        if let Some(mut v) = buffers::take::<T>(n) {
            if !reuse {
                // Mapped and likely cached: zeroing it costs less than a fresh buffer's faults.
                fill_default(&mut v);
            }
            return v;
        }
    }
    if bytes < HUGE_OUTPUT {
        return try_zeroed(n).unwrap_or_else(|| oom());
    }
    if bytes >= FRESH_PAGES {
        // Advised to use huge pages by `try_zeroed`.
        return try_zeroed(n).unwrap_or_else(|| oom());
    }
    let mut v: Vec<T> = try_with_capacity(n).unwrap_or_else(|| oom());
    advise_huge_pages(&mut v);
    let spare = &mut v.spare_capacity_mut()[..n];
    let zero = |chunk: &mut [std::mem::MaybeUninit<T>]| {
        for x in chunk {
            x.write(T::default());
        }
    };
    if on_foreign_worker() {
        zero(spare);
    } else {
        let c = chunk_len(n);
        pool().install(|| spare.par_chunks_mut(c).for_each(zero));
    }
    // SAFETY: all `n` elements were initialized above.
    unsafe { v.set_len(n) };
    v
}

/// Sets every element to `T::default()`, across the pool when large.
fn fill_default<T: StorageElement>(v: &mut [T]) {
    let zero = |chunk: &mut [T]| chunk.fill(T::default());
    if on_foreign_worker() || std::mem::size_of_val(v) < HUGE_OUTPUT {
        zero(v);
    } else {
        let c = chunk_len(v.len());
        pool().install(|| v.par_chunks_mut(c).for_each(zero));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_is_zero_even_when_a_dropped_buffer_of_its_size_is_kept() {
        let n = (HUGE_OUTPUT / 8) + 54_321;
        let poisoned = Tensor::full(&[n], 5.0).to_dtype(crate::DType::F64);
        drop(poisoned.neg()); // a kept buffer full of -5.0
        let z = Output::<f64>::zeroed("test", n);
        assert!(z.data.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn small_and_empty_outputs() {
        let e = Output::<i64>::zeroed("test", 0);
        assert!(e.is_empty());
        assert_eq!(e.into_tensor(&[0, 4]).shape(), &[0, 4]);
        let mut o = Output::<bool>::for_overwrite("test", 3);
        o.as_mut_slice().fill(true);
        assert_eq!(o.len(), 3);
        assert_eq!(o.into_vec(), vec![true; 3]);
    }

    #[test]
    #[should_panic(expected = "huge_op")]
    fn an_impossible_size_names_the_op() {
        let _ = Output::<f64>::zeroed("huge_op", usize::MAX / 4);
    }
}
