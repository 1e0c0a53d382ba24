//! faer-backed kernels for large matrices, on column-major buffers.

use crate::scalar::Float;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::{factor, inverse, solve};
use faer::perm::PermRef;
use faer::{Accum, MatMut, MatRef, Par};

/// faer's parallelism for an `n x n` problem: tessera's thread count when it is big
/// enough to pay for it, else sequential. Call inside `threads::pool().install`.
pub(crate) fn par_for(n: usize) -> Par {
    let t = tessera_core::get_num_threads();
    if n >= 96 && t > 1 {
        Par::rayon(t)
    } else {
        Par::Seq
    }
}

/// Runs `f` inside tessera's pool (so faer's rayon work uses it).
pub(crate) fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    tessera_core::threads::pool().install(f)
}

/// A column-major partial-pivot LU from faer: `P A = L U` with the row permutation
/// `perm` (`perm[i]` = the row of A that ends up in row i).
pub(crate) struct DenseLu<T> {
    pub(crate) n: usize,
    pub(crate) lu: Vec<T>,
    pub(crate) perm: Vec<usize>,
    pub(crate) perm_inv: Vec<usize>,
}

impl<T: Float> DenseLu<T> {
    /// Factors the column-major `a` (consumed).
    pub(crate) fn factor(mut a: Vec<T>, n: usize, par: Par) -> DenseLu<T> {
        let mut perm = vec![0usize; n];
        let mut perm_inv = vec![0usize; n];
        let req = factor::lu_in_place_scratch::<usize, T>(n, n, par, Default::default());
        let mut buf = MemBuffer::new(req);
        factor::lu_in_place(
            MatMut::from_column_major_slice_mut(&mut a, n, n),
            &mut perm,
            &mut perm_inv,
            par,
            MemStack::new(&mut buf),
            Default::default(),
        );
        DenseLu {
            n,
            lu: a,
            perm,
            perm_inv,
        }
    }

    fn mat(&self) -> MatRef<'_, T> {
        MatRef::from_column_major_slice(&self.lu, self.n, self.n)
    }

    fn p(&self) -> PermRef<'_, usize> {
        PermRef::new_checked(&self.perm, &self.perm_inv, self.n)
    }

    /// LAPACK's info: `k + 1` for the first exactly zero `U[k, k]`, else 0.
    pub(crate) fn info(&self) -> i32 {
        (0..self.n)
            .find(|&k| self.lu[k * self.n + k] == T::ZERO)
            .map_or(0, |k| (k + 1) as i32)
    }

    /// Writes the inverse into `out`, row-major: `A^-1 = solve(A, I)` with the
    /// columns of `I` split across the threads (see [`DenseLu::solve_row_major`]).
    /// Costs `2 n^3` flops against `4/3 n^3` for faer's triangular inverses, but in
    /// coarse independent blocks, which scale across threads where fine-grained
    /// parallel kernels do not (measured on a loaded 2-core machine).
    pub(crate) fn inverse_row_major(&self, out: &mut [T], par: Par) {
        let n = self.n;
        if matches!(par, Par::Seq) {
            let mut buf = MemBuffer::new(inverse::inverse_scratch::<usize, T>(n, par));
            inverse::inverse(
                MatMut::from_row_major_slice_mut(out, n, n),
                self.mat(),
                self.mat(),
                self.p(),
                par,
                MemStack::new(&mut buf),
            );
            return;
        }
        for (i, x) in out[..n * n].iter_mut().enumerate() {
            *x = if i % (n + 1) == 0 { T::ONE } else { T::ZERO };
        }
        self.solve_row_major(out, n, par);
    }

    /// Solves `A X = B` in place, `b` row-major `n x m` (faer's solves take any
    /// strides, which saves two transposes of `B`). With `par`, the columns of `B`
    /// are split into one block per thread, each solved sequentially.
    pub(crate) fn solve_row_major(&self, b: &mut [T], m: usize, par: Par) {
        let n = self.n;
        let parts = match par {
            Par::Seq => 1,
            Par::Rayon(t) => t.get().min(m.div_ceil(16)).max(1),
        };
        let block = m.div_ceil(parts.max(1)).max(1);
        let mut views = Vec::new();
        let mut rest = MatMut::from_row_major_slice_mut(b, n, m);
        while rest.ncols() > 0 {
            let w = block.min(rest.ncols());
            let (left, right) = rest.split_at_col_mut(w);
            views.push(left);
            rest = right;
        }
        let solve_block = |v: MatMut<'_, T>| {
            let k = v.ncols();
            let mut buf = MemBuffer::new(solve::solve_in_place_scratch::<usize, T>(n, k, Par::Seq));
            solve::solve_in_place(
                self.mat(),
                self.mat(),
                self.p(),
                v,
                Par::Seq,
                MemStack::new(&mut buf),
            );
        };
        if views.len() <= 1 {
            views.into_iter().for_each(solve_block);
        } else {
            use rayon::prelude::*;
            views.into_par_iter().for_each(solve_block);
        }
    }

    /// LAPACK-style 1-based pivots (the sequence of row swaps) from the permutation.
    pub(crate) fn lapack_pivots(&self) -> Vec<usize> {
        // Replay: position k receives row perm[k]; find where it sits now.
        let n = self.n;
        let mut cur: Vec<usize> = (0..n).collect();
        let mut pos: Vec<usize> = (0..n).collect();
        let mut piv = vec![0; n];
        for k in 0..n {
            let j = pos[self.perm[k]];
            piv[k] = j;
            let (rk, rj) = (cur[k], cur[j]);
            cur.swap(k, j);
            pos[rk] = j;
            pos[rj] = k;
        }
        piv
    }
}

/// `c = a b` for `n x n` row-major matrices; with `par`, the rows of `c` are split
/// into one block per thread, each a sequential product (coarse blocks scale better
/// than fine-grained parallel kernels on a busy machine).
pub(crate) fn matmul<T: Float>(c: &mut [T], a: &[T], b: &[T], n: usize, par: Par) {
    let block = |c: &mut [T], a: &[T]| {
        let r = c.len() / n;
        faer::linalg::matmul::matmul(
            MatMut::from_row_major_slice_mut(c, r, n),
            Accum::Replace,
            MatRef::from_row_major_slice(a, r, n),
            MatRef::from_row_major_slice(b, n, n),
            T::ONE,
            Par::Seq,
        );
    };
    match par {
        Par::Rayon(t) if n > 1 => {
            use rayon::prelude::*;
            let rows = n.div_ceil(t.get()).max(1);
            c[..n * n]
                .par_chunks_mut(rows * n)
                .zip(a[..n * n].par_chunks(rows * n))
                .for_each(|(c, a)| block(c, a));
        }
        _ => block(&mut c[..n * n], &a[..n * n]),
    }
}

/// Lower Cholesky with faer, in place on a column-major buffer (lower triangle read).
/// Returns LAPACK's info (0 or the order of the first non-PD leading minor).
pub(crate) fn cholesky<T: Float>(a: &mut [T], n: usize, par: Par) -> i32 {
    use faer::linalg::cholesky::llt::factor as llt;
    let req = llt::cholesky_in_place_scratch::<T>(n, par, Default::default());
    let mut buf = MemBuffer::new(req);
    match llt::cholesky_in_place(
        MatMut::from_column_major_slice_mut(a, n, n),
        Default::default(),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    ) {
        Ok(_) => 0,
        Err(llt::LltError::NonPositivePivot { index }) => (index + 1) as i32,
    }
}
