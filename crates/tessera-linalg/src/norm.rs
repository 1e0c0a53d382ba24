//! `matrix_norm`, `cond`.

use crate::batch::{check_float, map_batch, square_batch, to_owned};
use crate::inv::inv_impl;
use crate::scalar::Float;
use faer::MatRef;
use tessera_core::{dispatch_float, Tensor};

/// The `ord` of [`matrix_norm`] and [`cond`] (PyTorch's `ord` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormOrd {
    /// `'fro'`: Frobenius norm, `sqrt(sum |a_ij|^2)`.
    Fro,
    /// `'nuc'`: nuclear norm, the sum of the singular values.
    Nuc,
    /// `1`: the largest column sum of `|a_ij|`.
    One,
    /// `-1`: the smallest column sum of `|a_ij|`.
    NegOne,
    /// `inf`: the largest row sum of `|a_ij|`.
    Inf,
    /// `-inf`: the smallest row sum of `|a_ij|`.
    NegInf,
    /// `2`: the largest singular value.
    Two,
    /// `-2`: the smallest singular value.
    NegTwo,
}

/// The singular values of one row-major `r x c` matrix (NaN if the SVD fails or the
/// input has NaN/inf).
fn singular_values<T: Float>(m: &[T], r: usize, c: usize) -> Vec<T> {
    if m.iter().any(|x| !x.ffinite()) {
        return vec![T::NAN; r.min(c)];
    }
    MatRef::from_row_major_slice(m, r, c)
        .singular_values()
        .unwrap_or_else(|_| vec![T::NAN; r.min(c)])
}

/// One matrix's norm.
fn norm_one<T: Float>(m: &[T], r: usize, c: usize, ord: NormOrd) -> T {
    let abs_sums = |rows: bool| -> Vec<T> {
        let mut s = vec![T::ZERO; if rows { r } else { c }];
        for i in 0..r {
            for j in 0..c {
                s[if rows { i } else { j }] += m[i * c + j].fabs();
            }
        }
        s
    };
    // max/min that propagate NaN, as torch's reductions do.
    let pick = |v: Vec<T>, max: bool| -> T {
        v.into_iter()
            .reduce(|a, b| {
                if a.is_nan() || b.is_nan() {
                    T::NAN
                } else if (b > a) == max {
                    b
                } else {
                    a
                }
            })
            .unwrap_or(T::ZERO)
    };
    match ord {
        NormOrd::Fro => {
            // Scaled sum of squares: no overflow for entries near the float max.
            let scale = m.iter().fold(T::ZERO, |s, &x| {
                if x.fabs() > s || x.is_nan() {
                    x.fabs()
                } else {
                    s
                }
            });
            if scale == T::ZERO || !scale.ffinite() {
                return scale;
            }
            let ss = m.iter().fold(T::ZERO, |s, &x| {
                let y = x / scale;
                s + y * y
            });
            scale * ss.fsqrt()
        }
        NormOrd::One => pick(abs_sums(false), true),
        NormOrd::NegOne => pick(abs_sums(false), false),
        NormOrd::Inf => pick(abs_sums(true), true),
        NormOrd::NegInf => pick(abs_sums(true), false),
        NormOrd::Two => pick(singular_values(m, r, c), true),
        NormOrd::NegTwo => pick(singular_values(m, r, c), false),
        NormOrd::Nuc => singular_values(m, r, c)
            .into_iter()
            .fold(T::ZERO, |s, x| s + x),
    }
}

fn norm_impl<T: Float>(a: &Tensor, ord: NormOrd) -> Tensor {
    let s = a.shape();
    let (r, c) = (s[s.len() - 2], s[s.len() - 1]);
    let batch = &s[..s.len() - 2];
    let count: usize = batch.iter().product();
    let mut data = to_owned::<T>(a);
    let v = map_batch(&mut data, r * c, count, true, |_, m| norm_one(m, r, c, ord));
    Tensor::from_vec(v, batch)
}

/// `torch.linalg.matrix_norm(A, ord)`: a matrix norm of each matrix of `A`
/// (`(*, m, n)`), as a tensor of the batch shape.
///
/// ```
/// use tessera_core::{tensor, DType};
/// use tessera_linalg::{matrix_norm, NormOrd};
/// let a = tensor!([[1.0, -2.0], [3.0, 4.0]], dtype = DType::F64);
/// assert_eq!(matrix_norm(&a, NormOrd::One).item::<f64>(), 6.0);
/// assert_eq!(matrix_norm(&a, NormOrd::Inf).item::<f64>(), 7.0);
/// assert!((matrix_norm(&a, NormOrd::Fro).item::<f64>() - 30f64.sqrt()).abs() < 1e-15);
/// ```
///
/// # Accuracy
/// `Fro`, `1`, `inf` and their negatives: a few ulps (the Frobenius norm is scaled, so
/// it does not overflow before the result does). `2`, `-2`, `Nuc`: from faer's SVD,
/// accurate to about `n * eps * ||A||_2`.
///
/// # Panics
/// If `a` has fewer than 2 dims or is not `F32`/`F64`; for `One`/`NegOne`/`Inf`/
/// `NegInf` on matrices with no columns/rows to reduce, as PyTorch.
pub fn matrix_norm(a: &Tensor, ord: NormOrd) -> Tensor {
    const OP: &str = "linalg.matrix_norm";
    assert!(
        a.dim() >= 2,
        "{OP}: The input tensor A must have at least 2 dimensions (got shape {:?}).",
        a.shape()
    );
    check_float(OP, a);
    let (r, c) = (a.size(-2), a.size(-1));
    let reduced = match ord {
        NormOrd::One | NormOrd::NegOne => c,
        NormOrd::Inf | NormOrd::NegInf => r,
        NormOrd::Two | NormOrd::NegTwo => r.min(c),
        _ => 1,
    };
    assert!(
        reduced > 0 || a.numel() == 0 && matches!(ord, NormOrd::Fro | NormOrd::Nuc),
        "{OP}: cannot compute the {ord:?} norm of an empty matrix (shape {:?})",
        a.shape()
    );
    dispatch_float!(a.dtype(), T => norm_impl::<T>(a, ord), _ => unreachable!())
}

fn cond_impl<T: Float>(a: &Tensor, batch: &[usize], n: usize, ord: NormOrd) -> Tensor {
    let count: usize = batch.iter().product();
    if matches!(ord, NormOrd::Two | NormOrd::NegTwo) {
        let mut data = to_owned::<T>(a);
        let v = map_batch(&mut data, n * n, count, true, |_, m| {
            let s = singular_values(m, n, n);
            let (hi, lo) = (s[0], s[n - 1]);
            if ord == NormOrd::Two {
                hi / lo
            } else {
                lo / hi
            }
        });
        return Tensor::from_vec(v, batch);
    }
    let (inv, info) = inv_impl::<T>(a, batch, n);
    let na = norm_impl::<T>(a, ord).to_vec::<T>();
    let ni = norm_impl::<T>(&inv, ord).to_vec::<T>();
    let v: Vec<T> = na
        .iter()
        .zip(&ni)
        .zip(&info)
        .map(|((&x, &y), &k)| if k != 0 { T::INFINITY } else { x * y })
        .collect();
    Tensor::from_vec(v, batch)
}

/// `torch.linalg.cond(A, p)`: the condition number of each square matrix of `A` in
/// the norm `ord`: `||A|| ||A^-1||`, or `sigma_max / sigma_min` for `Two` (and its
/// inverse for `NegTwo`).
///
/// A singular matrix (an exactly zero LU pivot) gives `inf` for the norms computed
/// through the inverse, as PyTorch does.
///
/// ```
/// use tessera_core::{tensor, DType};
/// use tessera_linalg::{cond, NormOrd};
/// let k = cond(&tensor!([[2.0, 0.0], [0.0, 0.5]], dtype = DType::F64), NormOrd::Two).item::<f64>();
/// assert!((k - 4.0).abs() < 1e-14);
/// ```
///
/// # Panics
/// If `a` is not a (batch of) non-empty square float matrices.
pub fn cond(a: &Tensor, ord: NormOrd) -> Tensor {
    let (batch, n) = square_batch("linalg.cond", a);
    assert!(
        n > 0,
        "linalg.cond: the matrices must not be empty (shape {:?})",
        a.shape()
    );
    dispatch_float!(a.dtype(), T => cond_impl::<T>(a, &batch, n, ord), _ => unreachable!())
}
