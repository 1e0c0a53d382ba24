//! `cholesky`, `cholesky_ex`.

use crate::batch::{
    batch_prefix, first_failure, map_batch, square_batch, to_owned, transpose_into,
};
use crate::dense::{self, in_pool, par_for};
use crate::scalar::Float;
use crate::small::{cholesky_any, SMALL};
use faer::Par;
use tessera_core::autograd::{custom_op, Saves};
use tessera_core::{dispatch_float, Error, Result, Tensor};

/// Lower Cholesky of one row-major matrix in place; returns info.
fn chol_one<T: Float>(m: &mut [T], n: usize, par: Par) -> i32 {
    if n <= SMALL {
        return cholesky_any(m, n);
    }
    let mut col = vec![T::ZERO; n * n];
    transpose_into(m, n, n, &mut col);
    let info = dense::cholesky(&mut col, n, par);
    transpose_into(&col, n, n, m);
    for i in 0..n {
        m[i * n + i + 1..(i + 1) * n].fill(T::ZERO);
    }
    info
}

fn chol_impl<T: Float>(a: &Tensor, batch: &[usize], n: usize) -> (Tensor, Vec<i32>) {
    let count: usize = batch.iter().product();
    let mut data = to_owned::<T>(a);
    let par = par_for(n);
    let across = matches!(par, Par::Seq);
    let info = in_pool(|| map_batch(&mut data, n * n, count, across, |_, m| chol_one(m, n, par)));
    (Tensor::from_vec(data, a.shape()), info)
}

/// `torch.linalg.cholesky_ex(A, upper=..., check_errors=...)`: the Cholesky factor of
/// a batch of symmetric positive-definite matrices, and `info`.
///
/// With `upper = false` it returns lower-triangular `L` with `A = L L^T`, reading only
/// the lower triangle of `A`; with `upper = true` it returns `U = L^T` with
/// `A = U^T U`, reading only the upper triangle. `info` (I32, batch shape) is 0, or
/// `k > 0` when the leading minor of order `k` is not positive definite (LAPACK's
/// `potrf`; NaN entries count as not positive definite). For such a matrix the
/// factor is only partly computed: its entries are unspecified (PyTorch's are too).
///
/// Matrices up to 16x16 use an unblocked kernel in parallel across the batch, larger
/// ones faer's blocked Cholesky.
///
/// # Accuracy
/// Backward stable: `||L L^T - A|| <= c n eps ||A||`.
///
/// # Errors
/// With `check_errors`, [`Error::Numerical`] naming the first failing batch element
/// and the order of the minor.
///
/// # Panics
/// If `a` has fewer than 2 dims, is not square, or is not `F32`/`F64`.
pub fn cholesky_ex(a: &Tensor, upper: bool, check_errors: bool) -> Result<(Tensor, Tensor)> {
    let (batch, n) = square_batch("linalg.cholesky", a);
    // Upper: the lower factor of A^T (whose lower triangle is A's upper one), transposed.
    let src = if upper { a.mt() } else { a.clone() };
    let (l, info) =
        dispatch_float!(a.dtype(), T => chol_impl::<T>(&src, &batch, n), _ => unreachable!());
    if check_errors {
        if let Some((i, k)) = first_failure(&info) {
            return Err(Error::numerical(
                "linalg.cholesky",
                format!(
                    "{}The factorization could not be completed because the input is not positive-definite (the leading minor of order {k} is not positive-definite).",
                    batch_prefix(!batch.is_empty(), i)
                ),
            ));
        }
    }
    let l = if upper { l.mt().contiguous() } else { l };
    Ok((
        cholesky_backward(a, l, upper),
        Tensor::from_vec(info, &batch),
    ))
}

/// Records the gradient of the Cholesky factor (PyTorch's formula):
/// `gA = L^-T sym(tril(L^T gL)) L^-1`, where `sym` mirrors the strict lower triangle
/// and halves the diagonal, so `gA` is symmetric.
fn cholesky_backward(a: &Tensor, l: Tensor, upper: bool) -> Tensor {
    custom_op(
        "linalg.cholesky",
        &[a],
        Saves::Output,
        move || l,
        move |g, l, _| {
            let (l, gl) = if upper {
                (l.mt(), g.mt())
            } else {
                (l.clone(), g.clone())
            };
            let n = l.size(-1);
            let lower = Tensor::arange(0, n as i64)
                .unsqueeze(1)
                .ge(Tensor::arange(0, n as i64).unsqueeze(0))
                .to_dtype(l.dtype());
            let strict = &lower - Tensor::eye_dtype(n, n, l.dtype());
            let t = l.mt().matmul(&gl) * &lower;
            let m = (&t + (&t * &strict).mt()) * 0.5;
            let l_inv = crate::inv_ex(&l, false)
                .expect("inv_ex without check_errors does not fail")
                .0;
            vec![Some(l_inv.mt().matmul(&m).matmul(&l_inv))]
        },
    )
}

/// `torch.linalg.cholesky(A, upper=...)`: the Cholesky factor, see [`cholesky_ex`].
///
/// ```
/// use tessera_core::{tensor, DType};
/// let a = tensor!([[4.0, 2.0], [2.0, 5.0]], dtype = DType::F64);
/// let l = tessera_linalg::cholesky(&a, false).unwrap();
/// assert_eq!(l.to_vec::<f64>(), vec![2.0, 0.0, 1.0, 2.0]);
/// assert!(tessera_linalg::cholesky(&tensor!([[1.0, 2.0], [2.0, 1.0]], dtype = DType::F64), false).is_err());
/// ```
///
/// # Errors
/// [`Error::Numerical`] if some matrix is not positive definite.
///
/// # Panics
/// If `a` has fewer than 2 dims, is not square, or is not `F32`/`F64`.
pub fn cholesky(a: &Tensor, upper: bool) -> Result<Tensor> {
    cholesky_ex(a, upper, true).map(|(l, _)| l)
}
