//! `det`, `slogdet`.

use crate::batch::{square_batch, to_owned};
use crate::lu::factor_batch;
use crate::scalar::Float;
use tessera_core::autograd::{custom_op, Saves};
use tessera_core::{dispatch_float, Tensor};

/// Per matrix: (sign of the permutation, diagonal of U) -> a value.
fn lu_reduce<T: Float, R>(a: &Tensor, n: usize, count: usize, f: impl Fn(T, &[T]) -> R) -> Vec<R> {
    let mut data = to_owned::<T>(a);
    let res = factor_batch(&mut data, n, count);
    let mut diag = vec![T::ZERO; n];
    res.iter()
        .enumerate()
        .map(|(b, (ipiv, _))| {
            let swaps = ipiv.iter().enumerate().filter(|(k, &p)| *k != p).count();
            let sign = if swaps % 2 == 0 { T::ONE } else { -T::ONE };
            let m = &data[b * n * n..(b + 1) * n * n];
            for (k, d) in diag.iter_mut().enumerate() {
                *d = m[k * n + k];
            }
            f(sign, &diag)
        })
        .collect()
}

fn det_impl<T: Float>(a: &Tensor, batch: &[usize], n: usize) -> Tensor {
    let count = batch.iter().product();
    let v = lu_reduce::<T, T>(a, n, count, |s, d| d.iter().fold(s, |p, &x| p * x));
    Tensor::from_vec(v, batch)
}

fn signum<T: Float>(x: T) -> T {
    if x > T::ZERO {
        T::ONE
    } else if x < T::ZERO {
        -T::ONE
    } else {
        T::ZERO
    }
}

fn slogdet_impl<T: Float>(a: &Tensor, batch: &[usize], n: usize) -> (Tensor, Tensor) {
    let count = batch.iter().product();
    let v = lu_reduce::<T, (T, T)>(a, n, count, |s, d| {
        let sign = d.iter().fold(s, |p, &x| p * signum(x));
        let log = d.iter().fold(T::ZERO, |acc, &x| acc + x.fabs().fln());
        (sign, log)
    });
    let (s, l): (Vec<T>, Vec<T>) = v.into_iter().unzip();
    (Tensor::from_vec(s, batch), Tensor::from_vec(l, batch))
}

/// `torch.linalg.det(A)`: the determinant of a square matrix or of each matrix of a
/// batch (result of the batch shape), from the LU factorization with partial
/// pivoting: `det(A) = sign(P) * prod(diag(U))`.
///
/// An exactly singular matrix gives 0; NaN entries give NaN; a determinant beyond the
/// float range overflows to `inf` or 0, as in PyTorch: use [`slogdet`] for those.
/// The determinant of a 0x0 matrix is 1.
///
/// ```
/// use tessera_core::{tensor, DType};
/// let d = tessera_linalg::det(&tensor!([[1.0, 2.0], [3.0, 4.0]], dtype = DType::F64));
/// assert!((d.item::<f64>() + 2.0).abs() < 1e-14);
/// ```
///
/// # Accuracy
/// The relative error is a small multiple of `n * eps * cond(A)`.
///
/// # Panics
/// If `a` has fewer than 2 dims, is not square, or is not `F32`/`F64`.
pub fn det(a: &Tensor) -> Tensor {
    let (batch, n) = square_batch("linalg.det", a);
    let d = dispatch_float!(a.dtype(), T => det_impl::<T>(a, &batch, n), _ => unreachable!());
    // d det(A) / dA = det(A) A^-T.
    custom_op(
        "linalg.det",
        &[a],
        Saves::Both,
        move || d,
        |g, d, inputs| {
            let scale = (g * d).unsqueeze(-1).unsqueeze(-1);
            vec![Some(scale * inverse_t(&inputs[0]))]
        },
    )
}

/// `A^-T` for the gradients of `det` and `slogdet`, recorded so `create_graph` works.
/// A singular matrix gives `inf`/NaN entries: these gradients are defined for
/// invertible matrices only.
fn inverse_t(a: &Tensor) -> Tensor {
    crate::inv_ex(a, false)
        .expect("inv_ex without check_errors does not fail")
        .0
        .mt()
}

/// `torch.linalg.slogdet(A)`: `(sign, logabsdet)` with `det(A) = sign * exp(logabsdet)`,
/// which stays finite where the determinant over- or underflows.
///
/// For a singular matrix `sign` is 0 and `logabsdet` is `-inf`; NaN entries give
/// `sign` 0 and `logabsdet` NaN (as PyTorch). 0x0 matrices give `(1, 0)`.
///
/// ```
/// use tessera_core::Tensor;
/// // 200 * I of order 300: det = 200^300 overflows f64.
/// let mut v = vec![0.0f64; 300 * 300];
/// for i in 0..300 { v[i * 301] = 200.0; }
/// let (s, l) = tessera_linalg::slogdet(&Tensor::from_vec(v, &[300, 300]));
/// assert_eq!(s.item::<f64>(), 1.0);
/// assert!((l.item::<f64>() - 300.0 * 200f64.ln()).abs() < 1e-9);
/// ```
///
/// # Accuracy
/// `logabsdet` has an absolute error of about `n * eps * cond(A)`.
///
/// # Panics
/// If `a` has fewer than 2 dims, is not square, or is not `F32`/`F64`.
pub fn slogdet(a: &Tensor) -> (Tensor, Tensor) {
    let (batch, n) = square_batch("linalg.slogdet", a);
    let (sign, logabs) =
        dispatch_float!(a.dtype(), T => slogdet_impl::<T>(a, &batch, n), _ => unreachable!());
    // d log|det A| / dA = A^-T; the sign has no gradient.
    let logabs = custom_op(
        "linalg.slogdet",
        &[a],
        Saves::Inputs,
        move || logabs,
        |g, _, inputs| vec![Some(g.unsqueeze(-1).unsqueeze(-1) * inverse_t(&inputs[0]))],
    );
    (sign, logabs)
}
