//! A bounds-checked wrapper around the `gemm` crate's product, the one place the nn
//! kernels call it.

use crate::Float;
use std::marker::PhantomData;

/// A row-major destination with row stride `rs`: `ptr[i * rs + j]`, `len` elements
/// writable from `ptr`. Made from a slice, or from raw parts when threads write disjoint
/// blocks of one buffer (the convolution's tiles).
pub(crate) struct Dst<'a, T> {
    ptr: *mut T,
    len: usize,
    rs: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

impl<'a, T> Dst<'a, T> {
    /// A row-major matrix with `cols` columns in `data`.
    pub fn rows(data: &'a mut [T], cols: usize) -> Self {
        Self::strided(data, cols)
    }
    /// Rows `rs` elements apart in `data`.
    pub fn strided(data: &'a mut [T], rs: usize) -> Self {
        Dst {
            ptr: data.as_mut_ptr(),
            len: data.len(),
            rs,
            _borrow: PhantomData,
        }
    }
    /// Rows `rs` elements apart from `ptr`.
    ///
    /// # Safety
    /// `ptr .. ptr + len` must be valid for reads and writes for `'a`, and no other
    /// thread may read or write the elements the product writes (rows `i * rs`,
    /// columns `0..n`) meanwhile.
    pub unsafe fn raw(ptr: *mut T, len: usize, rs: usize) -> Self {
        Dst {
            ptr,
            len,
            rs,
            _borrow: PhantomData,
        }
    }
}

/// A strided read-only matrix: `data[i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct Mat<'a, T> {
    pub data: &'a [T],
    pub rs: usize,
    pub cs: usize,
}

impl<'a, T> Mat<'a, T> {
    /// A row-major matrix with `cols` columns.
    pub fn rows(data: &'a [T], cols: usize) -> Self {
        Mat {
            data,
            rs: cols,
            cs: 1,
        }
    }
    /// The transpose of a row-major matrix with `cols` columns.
    pub fn rows_t(data: &'a [T], cols: usize) -> Self {
        Mat {
            data,
            rs: 1,
            cs: cols,
        }
    }
    fn check(&self, r: usize, c: usize, what: &str) {
        if r > 0 && c > 0 {
            let last = (r - 1) * self.rs + (c - 1) * self.cs;
            assert!(
                last < self.data.len(),
                "gemm: {what} of {r}x{c} reaches element {last} of {}",
                self.data.len()
            );
        }
    }
}

/// `dst[m x n] = (accumulate ? dst : 0) + a[m x k] * b[k x n]`, with `threads` threads
/// of the current pool inside gemm (1: on the calling thread).
///
/// # Panics
/// If a matrix does not fit its slice.
pub(crate) fn matmul<T: Float>(
    (m, n, k): (usize, usize, usize),
    dst: Dst<'_, T>,
    accumulate: bool,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    threads: usize,
) {
    assert!(
        m == 0 || n == 0 || (m - 1) * dst.rs + n <= dst.len,
        "gemm: destination of {m}x{n} (row stride {}) does not fit {} elements",
        dst.rs,
        dst.len
    );
    a.check(m, k, "lhs");
    b.check(k, n, "rhs");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                // SAFETY: row `i` lies inside `dst` (checked above); `Dst` grants writes.
                unsafe { std::slice::from_raw_parts_mut(dst.ptr.add(i * dst.rs), n) }.fill(T::ZERO);
            }
        }
        return;
    }
    let par = if threads > 1 && m * n * k >= 1 << 18 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: every index the product reads or writes was checked to lie inside its
    // slice above; `Dst` is a mutable borrow (or its `raw` contract says no one else
    // touches these elements meanwhile).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.ptr,
            1,
            dst.rs as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            par,
        );
    }
}
