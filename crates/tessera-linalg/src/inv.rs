//! `inv`, `inv_ex`.

use crate::batch::{batch_prefix, first_failure, map_batch, square_batch, to_owned};
use crate::dense::{in_pool, par_for, DenseLu};
use crate::scalar::Float;
use crate::small::{inv_core, inv_small, SMALL};
use faer::Par;
use tessera_core::autograd::{custom_op, Saves};
use tessera_core::runtime::Output;
use tessera_core::{dispatch_float, Error, Result, Tensor};

/// Inverse of the large row-major `a` into `m`; returns info.
fn inv_large<T: Float>(a: &[T], m: &mut [T], n: usize, par: Par) -> i32 {
    let lu = DenseLu::factor(a, n, par);
    if lu.info() == 0 {
        lu.inverse_row_major(m, par);
        return 0;
    }
    // Singular: LAPACK's LU and triangular solves, as PyTorch's getrf + getrs.
    m.copy_from_slice(&a[..n * n]);
    let mut scratch = vec![T::ZERO; n * n];
    let mut ipiv = vec![0usize; n];
    inv_core(m, n, &mut scratch, &mut ipiv)
}

pub(crate) fn inv_impl<T: Float>(a: &Tensor, batch: &[usize], n: usize) -> (Tensor, Vec<i32>) {
    let count: usize = batch.iter().product();
    let (data, info) = if n <= SMALL {
        let mut data = to_owned::<T>(a);
        let info = map_batch(&mut data, n * n, count, true, |_, m| inv_small(m, n));
        (data, info)
    } else {
        // The input is read where it is (the LU makes its own padded copy), and the
        // output written once (a 2 MiB copy costs about 0.13 ms) into a recycled buffer
        // when a dropped tensor left one (a fresh 2 MiB one costs its page faults).
        let par = par_for(n);
        let across = matches!(par, Par::Seq);
        let mut data = Output::<T>::zeroed("inv", count * n * n).into_vec();
        let info = a.with_contiguous(|src: &[T]| {
            in_pool(|| {
                map_batch(&mut data, n * n, count, across, |i, m| {
                    inv_large(&src[i * n * n..(i + 1) * n * n], m, n, par)
                })
            })
        });
        (data, info)
    };
    (Tensor::from_vec(data, a.shape()), info)
}

/// `torch.linalg.inv_ex(A, check_errors=...)`: the inverses of a batch of square
/// matrices and an `info` tensor, without stopping at a singular one.
///
/// `info` is an I32 tensor of the batch shape: 0 where the inverse was computed, and
/// `k > 0` where `U[k-1, k-1]` of the LU factorization with partial pivoting is exactly
/// zero (LAPACK's and PyTorch's convention). For such a matrix the inverse is what
/// LAPACK's `getrf` + `getrs` give, as PyTorch computes it: the LU continues past the
/// zero pivot and the triangular solves divide by it, so entries are `inf` or NaN (the
/// tests check the pattern against LAPACK on exactly singular matrices; for matrices
/// that are singular only up to rounding, `info` is 0 and the entries are huge).
///
/// Matrices up to 16x16 take a dedicated path (LU and solves on the stack, code
/// specialised per size, parallel across the batch on tessera's pool); larger ones use
/// a blocked LU with look-ahead, then `A^-1 = U^-1 L^-1 P` by blocked triangular
/// solves on the identity (skipping the zero blocks of `L^-1`), column blocks spread
/// over the pool's threads: `2 n^3` flops in all.
///
/// # Accuracy
/// Backward stable as LU with partial pivoting: `||A X - I|| / (||A|| ||X||)` is a
/// small multiple of `n` times the unit roundoff in practice; the forward error grows
/// with the condition number `cond(A)`.
///
/// ```
/// use tessera_core::Tensor;
/// // A batch of two 2x2 matrices; the second is singular.
/// let a = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 4.0, 1.0, 2.0, 2.0, 4.0], &[2, 2, 2]);
/// let (inv, info) = tessera_linalg::inv_ex(&a, false).unwrap();
/// assert_eq!(info.to_vec::<i32>(), vec![0, 2]);
/// assert_eq!(inv.get::<f64>(&[0, 1, 1]), 0.25);
/// assert!(tessera_linalg::inv_ex(&a, true).is_err());
/// ```
///
/// # Errors
/// With `check_errors`, a [`Error::Numerical`] naming the first singular batch element.
///
/// # Panics
/// If `a` has fewer than 2 dims, is not square, or is not `F32`/`F64` (the message is
/// PyTorch's: `linalg.inv: Expected a floating point or complex tensor as input. Got Long`).
pub fn inv_ex(a: &Tensor, check_errors: bool) -> Result<(Tensor, Tensor)> {
    const OP: &str = "linalg.inv_ex";
    let (batch, n) = square_batch(OP, a);
    let (inv, info) =
        dispatch_float!(a.dtype(), T => inv_impl::<T>(a, &batch, n), _ => unreachable!());
    if check_errors {
        check_singular(OP, &batch, &info)?;
    }
    Ok((inv_backward(a, inv), Tensor::from_vec(info, &batch)))
}

/// Records the gradient of `Y = A^-1`: `dA = -Y^T G Y^T`.
fn inv_backward(a: &Tensor, y: Tensor) -> Tensor {
    custom_op(
        "linalg.inv",
        &[a],
        Saves::Output,
        move || y,
        |g, y, _| vec![Some(-(y.mt().matmul(g).matmul(&y.mt())))],
    )
}

fn check_singular(op: &'static str, batch: &[usize], info: &[i32]) -> Result<()> {
    match first_failure(info) {
        None => Ok(()),
        Some((i, k)) => Err(Error::numerical(
            op,
            format!(
                "{}The diagonal element {k} is zero, the inversion could not be completed because the input matrix is singular.",
                batch_prefix(!batch.is_empty(), i)
            ),
        )),
    }
}

/// `torch.linalg.inv(A)`: the inverse of a square matrix or of each matrix of a batch.
///
/// Same algorithm and accuracy as [`inv_ex`].
///
/// ```
/// use tessera_core::{tensor, DType};
/// let a = tensor!([[4.0, 7.0], [2.0, 6.0]], dtype = DType::F64);
/// let x = tessera_linalg::inv(&a).unwrap();
/// assert!((x.get::<f64>(&[0, 0]) - 0.6).abs() < 1e-15);
/// assert!(tessera_linalg::inv(&tensor!([[1.0, 2.0], [2.0, 4.0]], dtype = DType::F64)).is_err());
/// ```
///
/// # Errors
/// [`Error::Numerical`] if some matrix is singular (an exactly zero pivot), naming the
/// batch element and the pivot, as PyTorch does.
///
/// # Panics
/// If `a` has fewer than 2 dims, is not square, or is not `F32`/`F64`.
pub fn inv(a: &Tensor) -> Result<Tensor> {
    const OP: &str = "linalg.inv";
    let (batch, n) = square_batch(OP, a);
    let (inv, info) =
        dispatch_float!(a.dtype(), T => inv_impl::<T>(a, &batch, n), _ => unreachable!());
    check_singular(OP, &batch, &info)?;
    Ok(inv_backward(a, inv))
}
