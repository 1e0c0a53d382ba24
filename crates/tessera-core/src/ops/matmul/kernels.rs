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
    // SAFETY: the caller's contract, with column stride 1.
    unsafe {
        gemm_strided(
            (m, n, k),
            dst,
            (1, dst_rs),
            lhs,
            (lrs, lcs),
            rhs,
            (rrs, rcs),
            one,
        )
    }
}

/// [`gemm_block`] with any destination strides `(dst_cs, dst_rs)`.
///
/// # Safety
/// As [`gemm_block`], for the destination addressed with both strides.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_strided<T: 'static + Copy + Default>(
    (m, n, k): (usize, usize, usize),
    dst: *mut T,
    (dst_cs, dst_rs): (isize, isize),
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
            dst_cs,
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

/// Whether [`gemm_block`] should run the product through a column-major block
/// ([`gemm_block_via_t`]): `rhs` is a transposed view (contiguous along `k`, `rcs > 1`)
/// with more columns than `lhs` has rows (at least 2).
///
/// gemm computes a row-major block as the transposed product (its kernels write
/// columns), whose left operand is then `rhs`ᵀ; read across `k`-contiguous rows, that
/// operand has to be repacked through a transposition, `n x k` elements at a stride. A
/// column-major block makes `lhs` the left operand instead, read in place when it is
/// column-major (the driver makes that copy of a row-major `lhs` once per call, `m x k`
/// elements), plus the `m x n` block to transpose. For `x @ w.t()` (`nn.Linear`, `x`
/// `[64, 1024]`, `w` `[1024, 1024]`) that is 1.4 ms against 4.1 ms on one thread.
///
/// Both forms hand gemm the same `k` and the same kernel (general, small or horizontal
/// path: its conditions are symmetric in the two operands), so each element is summed
/// in the same order and the bits do not change.
pub(super) fn via_transposed_dst(m: usize, n: usize, (rrs, rcs): (isize, isize)) -> bool {
    m >= 2 && m < n && rrs == 1 && rcs.unsigned_abs() > 1
}

/// [`gemm_block`]'s product computed into a column-major scratch block, then transposed
/// into `dst` (see [`via_transposed_dst`]).
///
/// # Safety
/// As [`gemm_block`].
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn gemm_block_via_t<T: 'static + Copy + Default>(
    (m, n, k): (usize, usize, usize),
    dst: *mut T,
    dst_rs: isize,
    lhs: *const T,
    (lrs, lcs): (isize, isize),
    rhs: *const T,
    (rrs, rcs): (isize, isize),
    one: T,
) {
    crate::runtime::scratch::with(m * n, |tmp: &mut [T]| {
        // SAFETY: the caller's contract for the operands; `tmp` holds the `m x n`
        // column-major block (column stride `m`, row stride 1), which only this call uses.
        unsafe {
            gemm_strided(
                (m, n, k),
                tmp.as_mut_ptr(),
                (m as isize, 1),
                lhs,
                (lrs, lcs),
                rhs,
                (rrs, rcs),
                one,
            )
        }
        for i in 0..m {
            // SAFETY: row `i` of the destination block, `n` elements at `i * dst_rs`,
            // which the caller's contract gives to this call alone.
            let row = unsafe { std::slice::from_raw_parts_mut(dst.offset(i as isize * dst_rs), n) };
            for (j, d) in row.iter_mut().enumerate() {
                *d = tmp[j * m + i];
            }
        }
    })
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

#[cfg(test)]
mod tests {
    use super::{gemm_block, gemm_block_via_t, via_transposed_dst};

    /// Pseudo-random values in `[-1, 1)` with varied exponents (a fixed LCG).
    fn values(len: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..len)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (s >> 11) as f64 / (1u64 << 53) as f64;
                (2.0 * u - 1.0) * if s & 1 == 0 { 1.0 } else { 1e-3 }
            })
            .collect()
    }

    /// `lhs` (`m x k`, row- or column-major) times `rhs` a transposed view (`k x n`, column stride
    /// `k + 1`) into a row-major block of row stride `n + 3`, by both kernels.
    fn both<T: 'static + Copy + Default + PartialEq + std::fmt::Debug>(
        (m, n, k): (usize, usize, usize),
        lhs_col_major: bool,
        cast: fn(f64) -> T,
    ) -> (Vec<T>, Vec<T>) {
        let a: Vec<T> = values(m * k, 1).into_iter().map(cast).collect();
        let ls = if lhs_col_major {
            (1, m as isize)
        } else {
            (k as isize, 1)
        };
        let b: Vec<T> = values(n * (k + 1), 2).into_iter().map(cast).collect();
        let rs = n + 3;
        let run = |via: bool| {
            let mut d = vec![T::default(); m * rs];
            let args = (
                (m, n, k),
                d.as_mut_ptr(),
                rs as isize,
                a.as_ptr(),
                ls,
                b.as_ptr(),
                (1, k as isize + 1),
                cast(1.0),
            );
            // SAFETY: `a` holds `m x k` row-major, `b` `n` columns of `k + 1`, `d`
            // `m` rows of `n + 3`; nothing else touches them.
            unsafe {
                if via {
                    gemm_block_via_t(
                        args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                    )
                } else {
                    gemm_block(
                        args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7,
                    )
                }
            }
            d.chunks(rs)
                .flat_map(|r| r[..n].to_vec())
                .collect::<Vec<T>>()
        };
        (run(false), run(true))
    }

    /// The column-major block gives the bits of the direct product on each of gemm's
    /// paths: vector-vector (`k <= 2`), horizontal (`m * n <= 256`), small (at most 64
    /// rows and columns) and general, with `k` past one depth block.
    #[test]
    fn column_major_block_keeps_the_bits() {
        for &mnk in &[
            (10, 20, 2),
            (2, 100, 2000),
            (3, 60, 700),
            (8, 30, 700),
            (40, 100, 1500),
            (64, 1024, 1024),
            (7, 129, 3),
        ] {
            assert!(via_transposed_dst(mnk.0, mnk.1, (1, mnk.2 as isize + 1)));
            for col in [false, true] {
                let (d, v) = both::<f32>(mnk, col, |x| x as f32);
                assert_eq!(d, v, "f32 {mnk:?}, lhs column-major: {col}");
                let (d, v) = both::<f64>(mnk, col, |x| x);
                assert_eq!(d, v, "f64 {mnk:?}, lhs column-major: {col}");
            }
        }
    }
}
