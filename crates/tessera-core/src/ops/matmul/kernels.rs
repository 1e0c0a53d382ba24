//! The per-block kernels of `matmul`: gemm for floats, a plain loop for small float
//! products, a naive loop for integers.

use crate::Element;

/// One `m x k` by `k x n` product into an `m x n` block with row stride `dst_rs` (column
/// stride 1), through `gemm` on the calling thread. `gemm` is told not to read `dst`, so
/// the block's old contents never reach the result.
///
/// # Safety
/// `lhs` and `rhs` with their strides must address valid elements for the sizes, and
/// `dst` with row stride `dst_rs` must address `m x n` valid elements that no other thread
/// reads or writes during the call.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn gemm_block<T: 'static + Copy + Default>(
    (m, n, k): (usize, usize, usize),
    dst: *mut T,
    dst_rs: isize,
    lhs: *const T,
    (lrs, lcs): (isize, isize),
    rhs: *const T,
    (rrs, rcs): (isize, isize),
    one: T,
) {
    // SAFETY: the caller's contract; `read_dst = false` (with `alpha = 0`) makes gemm
    // write every element of the block without reading it.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs,
            false,
            lhs,
            lcs,
            lrs,
            rhs,
            rcs,
            rrs,
            T::default(),
            one,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

/// A small float product straight from the strided operands, accumulating in `T`: four
/// partial sums over `k` (products `p = 0, 4, 8, ...` in the first, and so on), added
/// as `(s0 + s1) + (s2 + s3)` and then the remainder, so the additions do not wait on one
/// another (a single running sum costs an add's latency per term). Writes all of `dst`
/// (`m * n` elements, row-major).
#[allow(clippy::too_many_arguments)]
pub(super) fn small_block<T: crate::ops::arith::Arith>(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [T],
    a: &[T],
    (oa, lrs, lcs): (usize, usize, usize),
    b: &[T],
    (ob, rrs, rcs): (usize, usize, usize),
) {
    let zero = T::default();
    let sum4 =
        |acc: [T; 4], tail: T| T::add(T::add(T::add(acc[0], acc[1]), T::add(acc[2], acc[3])), tail);
    for i in 0..m {
        for j in 0..n {
            let (ra, rb) = (oa + i * lrs, ob + j * rcs);
            let mut acc = [zero; 4];
            let full = k - k % 4;
            let tail = if lcs == 1 && rrs == 1 {
                // Both operands contiguous along k: slices, no index arithmetic.
                let (x, y) = (&a[ra..ra + k], &b[rb..rb + k]);
                for (x4, y4) in x.chunks_exact(4).zip(y.chunks_exact(4)) {
                    for l in 0..4 {
                        acc[l] = T::add(acc[l], T::mul(x4[l], y4[l]));
                    }
                }
                (full..k).fold(zero, |s, p| T::add(s, T::mul(x[p], y[p])))
            } else {
                let term = |p: usize| T::mul(a[ra + p * lcs], b[rb + p * rrs]);
                for p in (0..full).step_by(4) {
                    for (l, s) in acc.iter_mut().enumerate() {
                        *s = T::add(*s, term(p + l));
                    }
                }
                (full..k).fold(zero, |s, p| T::add(s, term(p)))
            };
            dst[i * n + j] = sum4(acc, tail);
        }
    }
}

/// Naive product for integer dtypes (PyTorch has no fast integer GEMM either), with
/// wrapping arithmetic as PyTorch's. `a` is `m x k` and `b` is `k x n`, both row-major;
/// writes all of `out`.
pub(super) fn int_block<T: Element>(m: usize, n: usize, k: usize, a: &[T], b: &[T], out: &mut [T]) {
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0i64;
            for p in 0..k {
                acc = acc.wrapping_add(a[i * k + p].to_i64().wrapping_mul(b[p * n + j].to_i64()));
            }
            out[i * n + j] = T::from_i64(acc);
        }
    }
}
