//! `matmul`: 1-D, 2-D and batched matrix products with broadcasting of batch
//! dims, through the `gemm` crate for floats (any strides, no copies: a transposed view
//! is passed to gemm as strides).
//!
//! The driver cuts a product into work items (whole batch entries, or column blocks of a
//! large product) that the calling thread and the pool's workers take one at a time
//! (`split`); each item is one single-threaded gemm call, a small loop (`kernels`) or the
//! integer loop. Results do not depend on the number of threads.

use crate::autograd::{record, sum_to_shape, Saves};
use crate::layout::broadcast_shapes;
use crate::runtime::pool::usable_threads;
use crate::runtime::Output;
use crate::{dispatch, result_type, DType, Operand, Tensor};

mod kernels;
mod split;

use kernels::{gemm_block, gemm_block_via_t, int_block, small_block, via_transposed_dst};

/// Products of at most this many multiply-adds (`m * n * k`) run a plain loop on the
/// calling thread: below it, gemm's dispatch and packing and a wake-up of the pool cost
/// more than the arithmetic (a `[2, 2] @ [2]` product took 22 us through them).
const SMALL_PRODUCT: usize = 16 * 16 * 16;

/// A single product from this many multiply-adds on is split across threads.
const PARALLEL_PRODUCT: usize = 64 * 64 * 64;

/// A batch of products from this many multiply-adds in all is split across threads.
const PARALLEL_BATCH: usize = 32 * 1024;

/// Batch entries are grouped into work items of about this many multiply-adds (a few
/// microseconds), so that taking an item costs little next to doing it.
const ITEM_WORK: usize = 1 << 16;

/// Column blocks of a split product are a multiple of this many columns wide (and at
/// least that wide): a multiple of gemm's register-block height on every target (f32 and
/// f64, AVX2, AVX-512, NEON), so no block runs gemm's edge kernels more than the whole
/// product does, and no block is narrow enough to change which of gemm's paths runs (and
/// so the rounding; see `Plan`).
const COLUMN_BLOCK: usize = 64;

/// How the products of a batch are cut into work items for [`split::for_each_item`].
///
/// Either each item is `per_item` whole batch entries, or (few entries, each large) each
/// item is one block of `width` columns of one entry (the last block of an entry also
/// takes the remainder, so every block is at least `COLUMN_BLOCK` wide). A column block
/// is the same gemm call on a narrower `dst` and `rhs`: gemm sums each element over `k`
/// in the same order (its depth blocking depends on `k` only), so the result is bitwise
/// the one of the whole product, whatever the number of threads.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Plan {
    per_item: usize,
    width: usize,
    blocks: usize,
}

impl Plan {
    fn new(nb: usize, (m, n, k): (usize, usize, usize), float: bool, threads: usize) -> Plan {
        let entry = m.saturating_mul(n).saturating_mul(k);
        let whole = |per_item| Plan {
            per_item,
            width: n,
            blocks: 1,
        };
        // Column blocks only where gemm runs its general path for both the whole product
        // and every block: its small-matrix path takes products with at most 64 rows and
        // 64 columns, so blocks of at least 64 columns for more than 64 rows, of at least
        // 128 for fewer (`nn.Linear` on a batch of 64); one row is its matrix-vector path.
        if float && threads > 1 && nb < 4 * threads && entry >= PARALLEL_PRODUCT && m > 1 {
            let narrowest = if m > 64 {
                COLUMN_BLOCK
            } else {
                2 * COLUMN_BLOCK
            };
            let width = n
                .div_ceil(4 * threads)
                .next_multiple_of(COLUMN_BLOCK)
                .max(narrowest);
            let blocks = n / width;
            if blocks > 1 {
                return Plan {
                    per_item: 1,
                    width,
                    blocks,
                };
            }
        }
        whole((ITEM_WORK / entry.max(1)).clamp(1, nb.div_ceil(4 * threads).max(1)))
    }

    /// How many items there are.
    fn items(&self, nb: usize) -> usize {
        if self.blocks > 1 {
            nb * self.blocks
        } else {
            nb.div_ceil(self.per_item)
        }
    }
}

/// A pointer to the output that work items on several threads write through, each to
/// its own elements.
#[derive(Clone, Copy)]
struct OutPtr<T>(*mut T);
// SAFETY: the items write disjoint elements (see `batched`), and `T` is a plain number.
unsafe impl<T: Send> Send for OutPtr<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for OutPtr<T> {}

impl<T> OutPtr<T> {
    /// The pointer (a method, so closures capture the `Sync` wrapper, not the field).
    fn get(self) -> *mut T {
        self.0
    }
}

/// The products of `a` (`batch x m x k` after broadcasting) and `b` (`batch x k x n`),
/// row-major, using up to `threads` threads (the result does not depend on it).
fn batched<T: crate::ops::arith::Arith>(
    a: &Tensor,
    b: &Tensor,
    batch: &[usize],
    m: usize,
    k: usize,
    n: usize,
    threads: usize,
) -> Vec<T> {
    let nb = crate::layout::checked_numel("matmul", batch);
    let mut out_shape = batch.to_vec();
    out_shape.extend([m, n]);
    let total = crate::layout::checked_numel("matmul", &out_shape);
    // Every element is written below (by gemm, which does not read it, the small loop,
    // the integer loop, or the fill for `k == 0`), so a dropped tensor's buffer may serve:
    // repeated large products then skip the page faults of a fresh output.
    let mut out = Output::<T>::for_overwrite("matmul", total);
    if total == 0 {
        return out.into_vec();
    }
    if k == 0 {
        // Sums of nothing.
        out.as_mut_slice().fill(T::default());
        return out.into_vec();
    }
    // A transposed rhs goes through column-major blocks (see `via_transposed_dst`),
    // where gemm reads a column-major lhs in place; a row-major one would be repacked
    // by every block, so it is copied column-major once here.
    let a_cols;
    let a = if T::DTYPE.is_float()
        && m.saturating_mul(n).saturating_mul(k) > SMALL_PRODUCT
        && a.strides()[a.dim() - 1] == 1
        && via_transposed_dst(
            m,
            n,
            (
                b.strides()[b.dim() - 2] as isize,
                b.strides()[b.dim() - 1] as isize,
            ),
        ) {
        a_cols = a.mt().contiguous().mt();
        &a_cols
    } else {
        a
    };
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
    let (sa, sb) = (
        (la.strides()[r], la.strides()[r + 1]),
        (lb.strides()[r], lb.strides()[r + 1]),
    );
    let float = T::DTYPE.is_float();
    let entry = m.saturating_mul(n).saturating_mul(k);
    let work = nb.saturating_mul(entry);
    let plan = Plan::new(nb, (m, n, k), float, threads);
    let dst = OutPtr(out.as_mut_slice().as_mut_ptr());
    // Columns `j0..j0 + w` of batch entry `i`.
    let block = |i: usize, j0: usize, w: usize| {
        let (oa, ob) = (base(&la, i), base(&lb, i));
        let whole = || {
            // SAFETY: entry `i`'s `m * n` elements lie inside `out` (`i < nb`), and this
            // item is the only one that covers entry `i` (whole-entry plans give each
            // entry to one item).
            unsafe { std::slice::from_raw_parts_mut(dst.get().add(i * m * n), m * n) }
        };
        if !float {
            let sub =
                |off, rows, cols, (s0, s1)| crate::Layout::new(vec![rows, cols], vec![s0, s1], off);
            let av = sub(oa, m, k, sa).gather(da);
            let bv = sub(ob, k, n, sb).gather(db);
            return int_block(m, n, k, &av, &bv, whole());
        }
        if entry <= SMALL_PRODUCT {
            return small_block(m, n, k, whole(), da, (oa, sa.0, sa.1), db, (ob, sb.0, sb.1));
        }
        let kernel = if via_transposed_dst(m, w, (sb.0 as isize, sb.1 as isize)) {
            gemm_block_via_t
        } else {
            gemm_block
        };
        // SAFETY: `la` and `lb` are broadcasts of `a`'s and `b`'s layouts, whose extents
        // (computed with checked arithmetic by `Layout`) were checked against their
        // storages' fixed lengths when the tensors were made (`Tensor::from_storage`,
        // `from_data`, `with_layout`); a broadcast adds only stride-0 dims, so entry `i`'s
        // `m x k` block at `oa` and the columns `j0..j0 + w` of its `k x n` block at `ob`
        // stay below those extents. The guards `ga`/`gb` keep the buffers alive and
        // unwritten while gemm reads them. The destination, rows of `w` elements at row
        // stride `n` from `i * m * n + j0`, lies inside `out` (`j0 + w <= n`), and only
        // this item writes it (items cover disjoint entries or column blocks).
        unsafe {
            kernel(
                (m, w, k),
                dst.get().add(i * m * n + j0),
                n as isize,
                da.as_ptr().add(oa),
                (sa.0 as isize, sa.1 as isize),
                db.as_ptr().add(ob + j0 * sb.1),
                (sb.0 as isize, sb.1 as isize),
                T::from_f64(1.0),
            )
        }
    };
    let item = |t: usize| {
        if plan.blocks > 1 {
            let (i, c) = (t / plan.blocks, t % plan.blocks);
            let j0 = c * plan.width;
            let w = if c + 1 == plan.blocks {
                n - j0
            } else {
                plan.width
            };
            block(i, j0, w);
        } else {
            for i in t * plan.per_item..((t + 1) * plan.per_item).min(nb) {
                block(i, 0, n);
            }
        }
    };
    let items = plan.items(nb);
    let parallel = if nb > 1 {
        work > PARALLEL_BATCH
    } else {
        work > PARALLEL_PRODUCT
    };
    if threads > 1 && items > 1 && parallel {
        split::for_each_item(items, &item);
    } else {
        (0..items).for_each(item);
    }
    out.into_vec()
}

impl Tensor {
    /// Matrix product with PyTorch's rules (`torch.matmul`): 1-D by 1-D is a dot
    /// product (0-dim), a 1-D operand is treated as a row (left) or column (right)
    /// vector and the added dim removed, and batch dims broadcast.
    ///
    /// # Accuracy
    /// Floats accumulate in their own dtype (as PyTorch on CPU), each element a sum over
    /// `k` in a fixed order, so the result is the same on 1 thread or many; NaN and
    /// infinities propagate as in the naive sum (`0 * inf` is NaN). Integers wrap.
    /// Transposed and other strided views are read in place, not copied.
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
        let forward = || dispatch!(dtype, T => Tensor::from_vec(batched::<T>(&a2, &b2, &batch, m, k, n, usable_threads()), &out_shape));
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

    /// `batched` on 2-D or batched operands with `threads` threads, as a flat vector.
    fn product<T: crate::ops::arith::Arith>(a: &Tensor, b: &Tensor, threads: usize) -> Vec<T> {
        let (ra, rb) = (a.dim(), b.dim());
        let (m, k, n) = (a.shape()[ra - 2], a.shape()[ra - 1], b.shape()[rb - 1]);
        let batch =
            crate::layout::broadcast_shapes("test", &a.shape()[..ra - 2], &b.shape()[..rb - 2]);
        super::batched::<T>(a, b, &batch, m, k, n, threads)
    }

    #[test]
    fn plan_blocks_are_wide_and_cover_every_column() {
        use super::{Plan, COLUMN_BLOCK};
        for &(nb, m, n, k, threads) in &[
            (1, 512, 512, 512, 2),
            (1, 300, 129, 300, 2),
            (2, 70, 300, 90, 3),
            (1, 65, 2048, 64, 4),
            // Few rows (`nn.Linear` on a batch): blocks of at least 128 columns.
            (1, 64, 1024, 1024, 2),
            (1, 2, 600, 300, 2),
        ] {
            let p = Plan::new(nb, (m, n, k), true, threads);
            assert!(
                p.blocks > 1,
                "{nb} x {m}x{k} @ {k}x{n} on {threads} threads: {p:?}"
            );
            assert_eq!(p.width % COLUMN_BLOCK, 0);
            assert!(m > 64 || p.width >= 2 * COLUMN_BLOCK, "{p:?}");
            assert!(
                n - (p.blocks - 1) * p.width >= p.width,
                "last block too narrow: {p:?}"
            );
            assert!(
                n - (p.blocks - 1) * p.width < 2 * p.width,
                "last block too wide: {p:?}"
            );
            assert_eq!(p.items(nb), nb * p.blocks);
        }
        // Narrow products, one row, integers, one thread, many entries: whole entries.
        for &(nb, m, n, k, float, threads) in &[
            (1, 512, 100, 512, true, 2),
            (1, 64, 200, 4096, true, 2),
            (1, 1, 4096, 4096, true, 2),
            (1, 512, 512, 512, false, 2),
            (1, 512, 512, 512, true, 1),
            (64, 32, 32, 32, true, 2),
            (16, 512, 512, 512, true, 2),
        ] {
            let p = Plan::new(nb, (m, n, k), float, threads);
            assert_eq!(
                (p.blocks, p.width),
                (1, n),
                "{nb} x {m}x{k} @ {k}x{n}: {p:?}"
            );
            assert!(p.per_item >= 1 && p.items(nb) * p.per_item >= nb);
            assert!((p.items(nb) - 1) * p.per_item < nb);
        }
    }

    /// Column blocks and whole-entry items on 2 and 3 threads give bitwise the result of
    /// one thread, on contiguous operands, transposed views and broadcast batches, and
    /// match the naive product.
    #[test]
    fn threads_and_blocks_do_not_change_bits() {
        let cases: Vec<(Tensor, Tensor)> = vec![
            (Tensor::randn(&[130, 90]), Tensor::randn(&[90, 300])),
            // Transposed views: gemm gets the strides, no copy.
            (Tensor::randn(&[90, 130]).t(), Tensor::randn(&[90, 300])),
            (Tensor::randn(&[130, 90]), Tensor::randn(&[300, 90]).t()),
            (
                Tensor::randn(&[600, 100]).t(),
                Tensor::randn(&[257, 600]).t(),
            ),
            // Broadcast batches: [2, 1] against [3] entries, each large enough to split.
            (Tensor::randn(&[2, 1, 70, 90]), Tensor::randn(&[3, 90, 200])),
            // Few rows: blocks of 128 columns, and a transposed rhs through a column-major
            // block (`nn.Linear`'s `x @ w.t()`), with `k` over gemm's depth block.
            (Tensor::randn(&[64, 1100]), Tensor::randn(&[700, 1100]).t()),
            (Tensor::randn(&[5, 90]), Tensor::randn(&[300, 90]).t()),
            (
                Tensor::randn(&[2, 33, 40]),
                Tensor::randn(&[2, 300, 40]).transpose(1, 2),
            ),
            // Many small entries (whole-entry items), one operand broadcast.
            (Tensor::randn(&[64, 32, 32]), Tensor::randn(&[32, 32])),
            (
                Tensor::randn(&[64, 20, 20]),
                Tensor::randn(&[64, 20, 20]).transpose(1, 2),
            ),
        ];
        for (a, b) in cases {
            let what = format!("{:?} @ {:?}", a.shape(), b.shape());
            let one = product::<f32>(&a, &b, 1);
            for threads in [2, 3] {
                assert_eq!(
                    product::<f32>(&a, &b, threads),
                    one,
                    "f32 {what}, {threads} threads"
                );
            }
            let (a64, b64) = (a.to_dtype(DType::F64), b.to_dtype(DType::F64));
            let one64 = product::<f64>(&a64, &b64, 1);
            assert_eq!(product::<f64>(&a64, &b64, 2), one64, "f64 {what}");
            // Against the naive product, entry by entry, through the public op.
            let c = a64.matmul(&b64);
            assert_eq!(
                c.to_vec::<f64>(),
                one64,
                "matmul is batched's result: {what}"
            );
            let (m, k, n) = (
                a.shape()[a.dim() - 2],
                a.shape()[a.dim() - 1],
                b.shape()[b.dim() - 1],
            );
            let ae = a64.expand(
                c.shape()[..c.dim() - 2]
                    .iter()
                    .copied()
                    .chain([m, k])
                    .collect::<Vec<_>>(),
            );
            let be = b64.expand(
                c.shape()[..c.dim() - 2]
                    .iter()
                    .copied()
                    .chain([k, n])
                    .collect::<Vec<_>>(),
            );
            let (av, bv) = (
                ae.contiguous().to_vec::<f64>(),
                be.contiguous().to_vec::<f64>(),
            );
            for e in 0..c.numel() / (m * n) {
                let r = naive(
                    &av[e * m * k..][..m * k],
                    &bv[e * k * n..][..k * n],
                    m,
                    k,
                    n,
                );
                for (x, y) in one64[e * m * n..][..m * n].iter().zip(&r) {
                    assert!(
                        (x - y).abs() < 1e-10 * (1.0 + y.abs()),
                        "{what}: {x} vs {y}"
                    );
                }
            }
        }
    }

    /// NaN and infinity propagate as in the naive product (NaN row, `0 * inf` is NaN), on
    /// the small loop, a single gemm call and column blocks on 2 threads.
    #[test]
    fn nan_and_inf_propagate() {
        for &(m, k, n, threads) in &[(6, 5, 7, 1), (40, 30, 50, 1), (130, 90, 300, 2)] {
            let mut av: Vec<f64> = (0..m * k).map(|i| ((i % 7) as f64 - 3.0) * 0.25).collect();
            let mut bv: Vec<f64> = (0..k * n).map(|i| ((i % 5) as f64 - 2.0) * 0.5).collect();
            av[5 * k + 2] = f64::NAN; // row 5 of the result: NaN
            av[3 * k + 1] = 0.0; // with b[1][n-2] = inf: 0 * inf = NaN at (3, n-2)
            av[4 * k + 1] = 1.0; // inf at (4, n-2)
            bv[k.min(1) * n + n - 2] = f64::INFINITY;
            let r = naive(&av, &bv, m, k, n);
            let a = Tensor::from_vec(av, &[m, k]);
            let b = Tensor::from_vec(bv, &[k, n]);
            for got in [
                product::<f64>(&a, &b, threads),
                a.matmul(&b).to_vec::<f64>(),
            ] {
                assert!(
                    got[5 * n..6 * n].iter().all(|x| x.is_nan()),
                    "{m}x{k}x{n}: row 5"
                );
                assert!(got[3 * n + n - 2].is_nan(), "{m}x{k}x{n}: 0 * inf");
                for (i, (x, y)) in got.iter().zip(&r).enumerate() {
                    assert!(
                        (x.is_nan() && y.is_nan())
                            || x == y
                            || (x - y).abs() < 1e-12 * (1.0 + y.abs()),
                        "{m}x{k}x{n} at {i}: {x} vs {y}"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_and_zero_size() {
        for threads in [1, 2] {
            let z = |s: &[usize]| Tensor::zeros(s);
            // k == 0: sums of nothing are 0, also for large results that may reuse a buffer.
            let c = product::<f32>(&z(&[600, 0]), &z(&[0, 1000]), threads);
            assert!(c.len() == 600_000 && c.iter().all(|&x| x == 0.0));
            let c = product::<f32>(&z(&[3, 4, 0]), &z(&[3, 0, 5]), threads);
            assert_eq!(c, vec![0.0; 60]);
            for (sa, sb, out) in [
                (&[0, 4][..], &[4, 5][..], &[0, 5][..]),
                (&[3, 4], &[4, 0], &[3, 0]),
                (&[0, 3, 4], &[4, 5], &[0, 3, 5]),
                (&[2, 0, 3, 4], &[1, 4, 5], &[2, 0, 3, 5]),
            ] {
                let c = z(sa).matmul(&z(sb));
                assert_eq!(c.shape(), out);
                assert_eq!(c.numel(), 0);
            }
        }
        assert_eq!(
            Tensor::zeros(&[0])
                .matmul(&Tensor::zeros(&[0]))
                .item::<f32>(),
            0.0
        );
        let c = Tensor::arange(0, 6)
            .reshape([2, 3, 1])
            .matmul(&Tensor::zeros_dtype(&[1, 0], DType::I64));
        assert_eq!(c.shape(), &[2, 3, 0]);
        let c = Tensor::zeros_dtype(&[3, 0], DType::I64)
            .matmul(&Tensor::zeros_dtype(&[0, 2], DType::I64));
        assert_eq!(c.to_vec::<i64>(), vec![0; 6]);
    }

    #[test]
    #[should_panic(expected = "matmul: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)")]
    fn inner_mismatch_panics() {
        Tensor::zeros(&[2, 3]).matmul(&Tensor::zeros(&[2, 3]));
    }
}
