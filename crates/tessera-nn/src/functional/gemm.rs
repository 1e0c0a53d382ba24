//! A bounds-checked wrapper around the `gemm` crate's product, the one place the nn
//! kernels call it.

use crate::Float;

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

/// `dst[m x n]` (row-major) `= (accumulate ? dst : 0) + a[m x k] * b[k x n]`, with
/// `threads` threads of the current pool inside gemm (1: on the calling thread).
///
/// # Panics
/// If a matrix does not fit its slice.
pub(crate) fn matmul<T: Float>(
    (m, n, k): (usize, usize, usize),
    dst: &mut [T],
    accumulate: bool,
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    threads: usize,
) {
    assert!(dst.len() >= m * n, "gemm: destination too small");
    a.check(m, k, "lhs");
    b.check(k, n, "rhs");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(T::ZERO);
        }
        return;
    }
    let par = if threads > 1 && m * n * k >= 1 << 18 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: every index the product reads or writes was checked to lie inside its
    // slice above; `dst` is borrowed mutably, so nothing else writes it meanwhile.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
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
