//! `matmul`: 1-D, 2-D and batched matrix products with broadcasting of batch
//! dims, through the `gemm` crate for floats (any strides, no copies).

use crate::autograd::{record, sum_to_shape, Saves};
use crate::layout::broadcast_shapes;
use crate::runtime::pool::pool;
use crate::{dispatch, result_type, DType, Element, Operand, Tensor};
use rayon::prelude::*;

/// One `m x k` by `k x n` product into a row-major `m x n` block, through `gemm`.
///
/// # Safety
/// `lhs` and `rhs` with their strides must address valid elements for the sizes,
/// and `dst` must hold `m * n` elements.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_block<T: 'static + Copy + Default>(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [T],
    lhs: *const T,
    (lrs, lcs): (isize, isize),
    rhs: *const T,
    (rrs, rcs): (isize, isize),
    one: T,
    threads: usize,
) {
    let par = if threads > 1 && m * n * k > PARALLEL_PRODUCT {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    gemm::gemm(
        m,
        n,
        k,
        dst.as_mut_ptr(),
        1,
        n as isize,
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
        par,
    );
}

/// Products of at most this many multiply-adds (`m * n * k`) run a plain loop on the
/// calling thread: below it, gemm's dispatch and packing and a wake-up of the pool cost
/// more than the arithmetic (a `[2, 2] @ [2]` product took 22 us through them).
const SMALL_PRODUCT: usize = 16 * 16 * 16;

/// Products from this many multiply-adds on use the pool (gemm's own threading).
const PARALLEL_PRODUCT: usize = 64 * 64 * 64;

/// A small float product straight from the strided operands, accumulating in `T`: four
/// partial sums over `k` (products `p = 0, 4, 8, ...` in the first, and so on), added
/// as `(s0 + s1) + (s2 + s3)` and then the remainder, so the additions do not wait on one
/// another (a single running sum costs an add's latency per term).
#[allow(clippy::too_many_arguments)]
fn small_block<T: super::arith::Arith>(
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

/// Naive product for integer dtypes (PyTorch has no fast integer GEMM either).
fn int_block<T: Element>(m: usize, n: usize, k: usize, a: &[T], b: &[T], out: &mut [T]) {
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

fn batched<T: super::arith::Arith>(
    a: &Tensor,
    b: &Tensor,
    batch: &[usize],
    m: usize,
    k: usize,
    n: usize,
) -> Vec<T> {
    let nb = crate::layout::checked_numel("matmul", batch);
    let mut out_shape = batch.to_vec();
    out_shape.extend([m, n]);
    let mut out = crate::storage::alloc_zeroed::<T>("matmul", &out_shape);
    if out.is_empty() {
        return out;
    }
    let mut a_shape = batch.to_vec();
    a_shape.extend([m, k]);
    let mut b_shape = batch.to_vec();
    b_shape.extend([k, n]);
    let (la, lb) = (
        a.layout().broadcast_to("matmul", &a_shape),
        b.layout().broadcast_to("matmul", &b_shape),
    );
    let (ga, gb) = (
        a.storage().read_for("matmul"),
        b.storage().read_for("matmul"),
    );
    let (da, db) = (T::slice(&ga).unwrap(), T::slice(&gb).unwrap());
    let r = batch.len();
    // Storage offset of batch entry `i` for a layout.
    let base = |l: &crate::Layout, mut i: usize| {
        let mut off = l.offset();
        for d in (0..r).rev() {
            off += (i % batch[d]) * l.strides()[d];
            i /= batch[d];
        }
        off
    };
    let st = |l: &crate::Layout| (l.strides()[r] as isize, l.strides()[r + 1] as isize);
    let threads = crate::runtime::pool::usable_threads();
    let run = |i: usize, dst: &mut [T]| {
        let (oa, ob) = (base(&la, i), base(&lb, i));
        if T::DTYPE.is_float() {
            let one = T::from_f64(1.0);
            if k == 0 {
                return;
            }
            if m * n * k <= SMALL_PRODUCT {
                let (sa, sb) = (la.strides(), lb.strides());
                return small_block(
                    m,
                    n,
                    k,
                    dst,
                    da,
                    (oa, sa[r], sa[r + 1]),
                    db,
                    (ob, sb[r], sb[r + 1]),
                );
            }
            // SAFETY: `la` and `lb` are broadcasts of `a`'s and `b`'s layouts, whose
            // extents (computed with checked arithmetic by `Layout`) were checked against
            // their storages' fixed lengths when the tensors were made
            // (`Tensor::from_storage`, `from_data`, `with_layout`); a broadcast adds only
            // stride-0 dims, so batch entry `i`'s block at offsets `oa`/`ob` with strides
            // `st(..)` over `m x k` and `k x n` stays below those extents. The guards
            // `ga`/`gb` keep the buffers alive and unwritten while gemm reads them, and
            // `dst` is a chunk of exactly `m * n` elements.
            unsafe {
                let inner = if nb > 1 { 1 } else { threads };
                gemm_block(
                    m,
                    n,
                    k,
                    dst,
                    da.as_ptr().add(oa),
                    st(&la),
                    db.as_ptr().add(ob),
                    st(&lb),
                    one,
                    inner,
                )
            }
        } else {
            let sub = |l: &crate::Layout, off, rows, cols| {
                crate::Layout::new(
                    vec![rows, cols],
                    vec![l.strides()[r], l.strides()[r + 1]],
                    off,
                )
            };
            let av = sub(&la, oa, m, k).gather(da);
            let bv = sub(&lb, ob, k, n).gather(db);
            int_block(m, n, k, &av, &bv, dst);
        }
    };
    if threads > 1 && nb > 1 && nb * m * n * k > 32 * 1024 {
        // One contiguous run of batch entries per thread (`with_min_len`), not one task
        // per entry: each entry is only a few microseconds of work, and rayon's splitting
        // and stealing per task showed in the 64 x [32, 32] @ [32, 32] case.
        let per_thread = nb.div_ceil(threads);
        pool().install(|| {
            out.par_chunks_mut(m * n)
                .enumerate()
                .with_min_len(per_thread)
                .for_each(|(i, d)| run(i, d))
        });
    } else if nb == 1 && threads > 1 && m * n * k > PARALLEL_PRODUCT {
        pool().install(|| run(0, &mut out));
    } else {
        for (i, d) in out.chunks_mut(m * n).enumerate() {
            run(i, d);
        }
    }
    out
}

impl Tensor {
    /// Matrix product with PyTorch's rules (`torch.matmul`): 1-D by 1-D is a dot
    /// product (0-dim), a 1-D operand is treated as a row (left) or column (right)
    /// vector and the added dim removed, and batch dims broadcast.
    ///
    /// ```
    /// use tessera_core::tensor;
    /// let a = tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.matmul(&a).to_vec::<f32>(), vec![7.0, 10.0, 15.0, 22.0]);
    /// assert_eq!(tensor!([1, 2]).matmul(&tensor!([3, 4])).item::<i64>(), 11);
    /// ```
    ///
    /// # Panics
    /// If an operand is 0-dim, inner sizes differ, batch dims do not broadcast, or
    /// the dtype is `Bool`.
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        assert!(
            self.dim() > 0 && other.dim() > 0,
            "matmul: both arguments need at least 1 dimension, but they are {}D and {}D",
            self.dim(),
            other.dim()
        );
        let dtype = result_type(&[
            Operand::Dimensioned(self.dtype()),
            Operand::Dimensioned(other.dtype()),
        ]);
        assert!(
            dtype != DType::Bool,
            "matmul: \"addmm_impl_cpu_\" not implemented for 'Bool'"
        );
        let (a, b) = (self.to_dtype(dtype), other.to_dtype(dtype));
        let a2 = if a.dim() == 1 {
            a.unsqueeze(0)
        } else {
            a.clone()
        };
        let b2 = if b.dim() == 1 {
            b.unsqueeze(1)
        } else {
            b.clone()
        };
        let (m, k) = (a2.shape()[a2.dim() - 2], a2.shape()[a2.dim() - 1]);
        let (k2, n) = (b2.shape()[b2.dim() - 2], b2.shape()[b2.dim() - 1]);
        assert_eq!(
            k,
            k2,
            "matmul: mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {k2}x{n}); shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        let batch = broadcast_shapes(
            "matmul",
            &a2.shape()[..a2.dim() - 2],
            &b2.shape()[..b2.dim() - 2],
        );
        let mut out_shape = batch.clone();
        out_shape.extend([m, n]);
        let forward = || dispatch!(dtype, T => Tensor::from_vec(batched::<T>(&a2, &b2, &batch, m, k, n), &out_shape));
        // dA = dC B^T and dB = A^T dC, summed over broadcast batch dims.
        let v = record(
            "matmul",
            &[&a2, &b2],
            Saves::Inputs,
            forward,
            |g, _, inputs| {
                let (a, b) = (&inputs[0], &inputs[1]);
                vec![
                    a.requires_grad()
                        .then(|| sum_to_shape(&g.matmul(&b.mt()), a.shape())),
                    b.requires_grad()
                        .then(|| sum_to_shape(&a.mt().matmul(g), b.shape())),
                ]
            },
        );
        match (self.dim(), other.dim()) {
            (1, 1) => v.reshape(&[] as &[isize]),
            (1, _) => v.squeeze_dim(-2),
            (_, 1) => v.squeeze_dim(-1),
            _ => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{tensor, DType, Tensor};

    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut o = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                o[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        o
    }

    #[test]
    fn shapes_follow_torch() {
        let v = tensor!([1.0, 2.0]);
        let m = tensor!([[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(v.matmul(&m).to_vec::<f32>(), vec![7.0, 10.0]);
        assert_eq!(m.matmul(&v).to_vec::<f32>(), vec![5.0, 11.0]);
        let b = Tensor::ones(&[4, 1, 2, 3]);
        assert_eq!(b.matmul(&Tensor::ones(&[5, 3, 2])).shape(), &[4, 5, 2, 2]);
        assert_eq!(
            Tensor::ones(&[2, 0])
                .matmul(&Tensor::ones(&[0, 3]))
                .to_vec::<f32>(),
            vec![0.0; 6]
        );
        assert_eq!(
            Tensor::ones(&[0, 2]).matmul(&Tensor::ones(&[2, 3])).shape(),
            &[0, 3]
        );
    }

    #[test]
    fn strided_and_large_match_naive() {
        // Both sides of the small-product path (16 * 16 * 16), and the threaded gemm.
        for &(m, k, n) in &[
            (3, 4, 5),
            (16, 16, 16),
            (16, 16, 17),
            (1, 64, 65),
            (70, 90, 80),
            (130, 7, 129),
        ] {
            let a = Tensor::randn(&[k, m]).to_dtype(DType::F64).t(); // non-contiguous
            let b = Tensor::randn(&[k, n]).to_dtype(DType::F64);
            let c = a.matmul(&b).to_vec::<f64>();
            let r = naive(&a.contiguous().to_vec::<f64>(), &b.to_vec::<f64>(), m, k, n);
            for (x, y) in c.iter().zip(&r) {
                assert!((x - y).abs() < 1e-10 * (1.0 + y.abs()), "{x} vs {y}");
            }
        }
        let ia = Tensor::arange(0, 6).reshape([2, 3]);
        assert_eq!(ia.matmul(&ia.t()).to_vec::<i64>(), vec![5, 14, 14, 50]);
    }

    #[test]
    #[should_panic(expected = "matmul: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)")]
    fn inner_mismatch_panics() {
        Tensor::zeros(&[2, 3]).matmul(&Tensor::zeros(&[2, 3]));
    }
}
