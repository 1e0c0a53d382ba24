//! `lu_factor`, `lu_factor_ex`: LU with partial pivoting in LAPACK's packed form.

use crate::batch::{batch_prefix, first_failure, map_batch, square_batch, to_owned, with_tail};
use crate::dense::{in_pool, par_for, DenseLu};
use crate::scalar::Float;
use crate::small::{lu_any, SMALL};
use faer::Par;
use tessera_core::{dispatch_float, Error, Result, Tensor};

/// LU of one row-major matrix in place, in LAPACK's form (`getrf`): returns info and
/// fills the 0-based `ipiv`. Large matrices take the blocked LU; a singular one is
/// refactored by the unblocked kernel so that its LU is LAPACK's (a zero pivot skips
/// the scaling and the factorization continues).
pub(crate) fn factor_one<T: Float>(a: &mut [T], n: usize, ipiv: &mut [usize], par: Par) -> i32 {
    if n <= SMALL {
        return lu_any(a, n, ipiv);
    }
    let lu = DenseLu::factor(a, n, par);
    if lu.info() != 0 {
        return lu_any(a, n, ipiv);
    }
    lu.copy_factors(a);
    ipiv.copy_from_slice(&lu.piv);
    0
}

/// Factors every matrix of the batch `data` in place; returns (pivots, info) per matrix.
pub(crate) fn factor_batch<T: Float>(
    data: &mut [T],
    n: usize,
    count: usize,
) -> Vec<(Vec<usize>, i32)> {
    let par = par_for(n);
    let across = matches!(par, Par::Seq);
    in_pool(|| {
        map_batch(data, n * n, count, across, |_, m| {
            let mut ipiv = vec![0usize; n];
            let info = factor_one(m, n, &mut ipiv, par);
            (ipiv, info)
        })
    })
}

fn lu_impl<T: Float>(a: &Tensor, batch: &[usize], n: usize) -> (Tensor, Tensor, Vec<i32>) {
    let count: usize = batch.iter().product();
    let mut data = to_owned::<T>(a);
    let res = factor_batch(&mut data, n, count);
    let mut piv = Vec::with_capacity(count * n);
    let mut info = Vec::with_capacity(count);
    for (p, i) in res {
        piv.extend(p.iter().map(|&x| x as i32 + 1));
        info.push(i);
    }
    (
        Tensor::from_vec(data, a.shape()),
        Tensor::from_vec(piv, &with_tail(batch, &[n])),
        info,
    )
}

/// `torch.linalg.lu_factor_ex(A, check_errors=...)`: the LU factorization with partial
/// pivoting of a batch of square matrices, as `(LU, pivots, info)`.
///
/// `LU` packs `L` (unit lower, strictly below the diagonal) and `U` (upper, with the
/// diagonal) as LAPACK's `getrf` does; `pivots` (I32, shape `(*, n)`) is 1-based:
/// row `i` was swapped with row `pivots[i]` at step `i`; `info` (I32, batch shape) is
/// 0, or `k > 0` when `U[k-1, k-1]` is exactly zero (the factorization still
/// completes). Matrices up to 16x16 use an unblocked kernel in parallel across the
/// batch; larger ones a blocked LU with look-ahead on tessera's pool.
///
/// ```
/// use tessera_core::{tensor, DType};
/// let a = tensor!([[1.0, 2.0], [2.0, 4.0]], dtype = DType::F64);
/// let (lu, piv, info) = tessera_linalg::lu_factor_ex(&a, false).unwrap();
/// assert_eq!(piv.to_vec::<i32>(), vec![2, 2]);
/// assert_eq!(info.item::<i32>(), 2); // U[1, 1] == 0
/// assert_eq!(lu.get::<f64>(&[1, 0]), 0.5);
/// ```
///
/// # Errors
/// With `check_errors`, a [`Error::Numerical`] naming the first batch element whose
/// `info` is not 0.
///
/// # Panics
/// If `a` has fewer than 2 dims, is not square or is not `F32`/`F64`.
pub fn lu_factor_ex(a: &Tensor, check_errors: bool) -> Result<(Tensor, Tensor, Tensor)> {
    const OP: &str = "linalg.lu_factor_ex";
    let (batch, n) = square_batch(OP, a);
    let (lu, piv, info) =
        dispatch_float!(a.dtype(), T => lu_impl::<T>(a, &batch, n), _ => unreachable!());
    if check_errors {
        if let Some((i, k)) = first_failure(&info) {
            return Err(Error::numerical(
                OP,
                format!(
                    "{}U[{k},{k}] is zero and using it on lu_solve would result in a division by zero.",
                    batch_prefix(!batch.is_empty(), i)
                ),
            ));
        }
    }
    Ok((lu, piv, Tensor::from_vec(info, &batch)))
}

/// `torch.linalg.lu_factor(A)`: `(LU, pivots)` as in [`lu_factor_ex`].
///
/// # Errors
/// A [`Error::Numerical`] naming the batch element when some `U[k, k]` is exactly zero
/// (PyTorch refuses those too, since `lu_solve` would divide by zero).
///
/// # Panics
/// If `a` has fewer than 2 dims, is not square or is not `F32`/`F64`.
pub fn lu_factor(a: &Tensor) -> Result<(Tensor, Tensor)> {
    let (lu, piv, _) = lu_factor_ex(a, true).map_err(|e| match e {
        Error::Numerical { message, .. } => Error::numerical("linalg.lu_factor", message),
        e => e,
    })?;
    Ok((lu, piv))
}
