//! Large-matrix kernels: the row-major working copies and LU of [`crate::blocked`], and
//! faer for Cholesky and the matrix products.

use crate::blocked;
use crate::scalar::Float;
use crate::strided::{padded_stride, strided_mut};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::{Accum, MatMut, MatRef, Par};
use tessera_core::runtime::scratch;

/// faer's parallelism for an `n x n` problem: tessera's thread count when it is big
/// enough to pay for it, else sequential. Call inside `runtime::pool::pool().install`.
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
    tessera_core::runtime::pool::pool().install(f)
}

/// Copies the row-major `n x m` `src` into a buffer with row stride `ld` (a kept one
/// of [`workspace`] when there is one; the padding is left as it is). With `par`, half
/// the rows each on two threads: a 2 MiB copy takes about 0.13 ms on one.
pub(crate) fn to_strided<T: Float>(src: &[T], n: usize, m: usize, ld: usize, par: bool) -> Vec<T> {
    let mut out = scratch::take(n * ld);
    let copy = |out: &mut [T], src: &[T]| {
        for (o, s) in out.chunks_mut(ld).zip(src.chunks_exact(m.max(1))) {
            o[..m].copy_from_slice(s);
        }
    };
    if par && n >= 64 && m > 0 {
        let h = n / 2;
        let (o1, o2) = out.split_at_mut(h * ld);
        let (s1, s2) = src[..n * m].split_at(h * m);
        rayon::join(|| copy(o1, s1), || copy(o2, s2));
    } else if m > 0 {
        copy(&mut out, &src[..n * m]);
    }
    out
}

/// A partial-pivot LU of a row-major matrix (see [`crate::blocked`]), in LAPACK's
/// packed form with 0-based swap pivots.
pub(crate) struct DenseLu<T: 'static> {
    pub(crate) n: usize,
    /// Row stride of `lu` ([`padded_stride`]).
    ld: usize,
    /// Row-major `L` (unit, strictly below the diagonal) and `U`, rows `ld` apart.
    lu: Vec<T>,
    /// `piv[k]`: the row swapped with row `k` at step `k`.
    pub(crate) piv: Vec<usize>,
    info: i32,
}

impl<T: Float> DenseLu<T> {
    /// Factors the row-major `n x n` `a`.
    pub(crate) fn factor(a: &[T], n: usize, par: Par) -> DenseLu<T> {
        let ld = padded_stride::<T>(n);
        let mut lu = to_strided(a, n, n, ld, is_par(par));
        let mut piv = vec![0usize; n];
        let info = blocked::lu_in_place(strided_mut(&mut lu, n, n, ld), &mut piv, is_par(par));
        DenseLu {
            n,
            ld,
            lu,
            piv,
            info,
        }
    }

    fn mat(&self) -> MatRef<'_, T> {
        MatRef::from_row_major_slice_with_stride(&self.lu, self.n, self.n, self.ld)
    }

    /// LAPACK's info: `k + 1` for the first exactly zero `U[k, k]`, else 0.
    pub(crate) fn info(&self) -> i32 {
        self.info
    }

    /// Copies the packed factors into the row-major `n x n` `out`.
    pub(crate) fn copy_factors(&self, out: &mut [T]) {
        let n = self.n;
        for (o, s) in out[..n * n]
            .chunks_exact_mut(n)
            .zip(self.lu.chunks_exact(self.ld))
        {
            o.copy_from_slice(&s[..n]);
        }
    }

    /// Writes the inverse into `out`, row-major (see [`blocked::lu_inverse`]).
    pub(crate) fn inverse_row_major(&self, out: &mut [T], par: Par) {
        let n = self.n;
        let mut x = scratch::take(n * self.ld);
        blocked::lu_inverse(
            self.mat(),
            &self.piv,
            strided_mut(&mut x, n, n, self.ld),
            MatMut::from_row_major_slice_mut(&mut out[..n * n], n, n),
            is_par(par),
        );
        scratch::give_back(x);
    }

    /// Solves `A X = B`, `B` row-major `n x m` in `src` or, when `src` is `None`, in
    /// `b`; `b` gets X.
    pub(crate) fn solve_row_major(&self, src: Option<&[T]>, b: &mut [T], m: usize, par: Par) {
        let n = self.n;
        blocked::lu_solve(
            self.mat(),
            &self.piv,
            src.map(|s| MatRef::from_row_major_slice(&s[..n * m], n, m)),
            MatMut::from_row_major_slice_mut(&mut b[..n * m], n, m),
            is_par(par),
        );
    }
}

impl<T: 'static> Drop for DenseLu<T> {
    fn drop(&mut self) {
        scratch::give_back(std::mem::take(&mut self.lu));
    }
}

fn is_par(par: Par) -> bool {
    matches!(par, Par::Rayon(_))
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
