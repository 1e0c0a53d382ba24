//! Unblocked kernels on row-major buffers, with LAPACK's semantics: the path for
//! batches of small matrices (and the fallback that gives singular large matrices
//! LAPACK's exact LU).
//!
//! The `*_core` functions take `n` at run time and are `#[inline(always)]`; the
//! dispatchers instantiate them with a constant `n` for 1..=16 so the compiler unrolls
//! and vectorizes the inner loops.

use crate::scalar::Float;

/// Largest order handled by the small-matrix path.
pub(crate) const SMALL: usize = 16;

/// LU with partial pivoting, in place (`getrf`): `a = P L U`, L unit lower (strictly
/// below the diagonal), U upper. `ipiv[k]` is the 0-based row swapped with row `k`
/// at step `k`. Returns LAPACK's info: 0, or `k + 1` for the first `U[k, k] == 0`.
/// A zero pivot skips the scaling (its column is zero below it), as LAPACK does, so
/// the factorization continues and stays finite.
#[inline(always)]
pub(crate) fn lu_core<T: Float>(a: &mut [T], n: usize, ipiv: &mut [usize]) -> i32 {
    let a = &mut a[..n * n];
    let mut info = 0;
    for k in 0..n {
        let mut p = k;
        let mut max = a[k * n + k].fabs();
        for i in k + 1..n {
            let v = a[i * n + k].fabs();
            // NaN never wins, as in LAPACK's idamax for a leading NaN-free column.
            if v > max {
                max = v;
                p = i;
            }
        }
        ipiv[k] = p;
        if p != k {
            let (top, bottom) = a.split_at_mut(p * n);
            top[k * n..k * n + n].swap_with_slice(&mut bottom[..n]);
        }
        let piv = a[k * n + k];
        if piv != T::ZERO {
            let r = T::ONE / piv;
            for i in k + 1..n {
                a[i * n + k] *= r;
            }
        } else if info == 0 {
            info = (k + 1) as i32;
        }
        let (head, tail) = a.split_at_mut((k + 1) * n);
        let urow = &head[k * n + k + 1..k * n + n];
        for row in tail.chunks_exact_mut(n) {
            let l = row[k];
            for (x, &u) in row[k + 1..].iter_mut().zip(urow) {
                *x -= l * u;
            }
        }
    }
    info
}

/// Solves `A X = B` in place from `lu_core`'s output; `b` is `n x m` row-major.
/// Zero pivots give inf/NaN, as LAPACK's `getrs` does.
#[inline(always)]
pub(crate) fn lu_solve_core<T: Float>(lu: &[T], ipiv: &[usize], n: usize, b: &mut [T], m: usize) {
    let b = &mut b[..n * m];
    for k in 0..n {
        let p = ipiv[k];
        if p != k {
            let (top, bottom) = b.split_at_mut(p * m);
            top[k * m..k * m + m].swap_with_slice(&mut bottom[..m]);
        }
    }
    // L y = P b
    for i in 1..n {
        let (done, rest) = b.split_at_mut(i * m);
        let bi = &mut rest[..m];
        for k in 0..i {
            let l = lu[i * n + k];
            for (x, &y) in bi.iter_mut().zip(&done[k * m..k * m + m]) {
                *x -= l * y;
            }
        }
    }
    // U x = y
    for i in (0..n).rev() {
        let (head, done) = b.split_at_mut((i + 1) * m);
        let bi = &mut head[i * m..];
        for k in i + 1..n {
            let u = lu[i * n + k];
            let bk = &done[(k - i - 1) * m..(k - i) * m];
            for (x, &y) in bi.iter_mut().zip(bk) {
                *x -= u * y;
            }
        }
        let r = T::ONE / lu[i * n + i];
        for x in bi.iter_mut() {
            *x *= r;
        }
    }
}

/// Inverts the `n x n` matrix `a` in place through LU; returns info. The LU is kept
/// in `scratch` (`n * n`), pivots in `ipiv` (`n`).
#[inline(always)]
pub(crate) fn inv_core<T: Float>(
    a: &mut [T],
    n: usize,
    scratch: &mut [T],
    ipiv: &mut [usize],
) -> i32 {
    let lu = &mut scratch[..n * n];
    lu.copy_from_slice(&a[..n * n]);
    let info = lu_core(lu, n, ipiv);
    for (i, x) in a[..n * n].iter_mut().enumerate() {
        *x = if i % (n + 1) == 0 { T::ONE } else { T::ZERO };
    }
    lu_solve_core(lu, ipiv, n, a, n);
    info
}

/// Lower Cholesky in place (`potrf`, lower): reads the lower triangle, writes `L`
/// there and zeros above. Returns LAPACK's info: 0, or `k` when the leading minor of
/// order `k` is not positive definite (then columns `k-1..` are left as computed so
/// far, unspecified as in PyTorch).
#[inline(always)]
pub(crate) fn cholesky_core<T: Float>(a: &mut [T], n: usize) -> i32 {
    let a = &mut a[..n * n];
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        // Not `d > 0` (also when d is NaN): not positive definite.
        let positive = d > T::ZERO;
        if !positive {
            a[j * n + j] = d;
            for i in 0..n {
                for c in i + 1..n {
                    a[i * n + c] = T::ZERO;
                }
            }
            return (j + 1) as i32;
        }
        let d = d.fsqrt();
        a[j * n + j] = d;
        let r = T::ONE / d;
        for i in j + 1..n {
            let (hi, lo) = a.split_at_mut(i * n);
            let rj = &hi[j * n..j * n + j];
            let ri = &mut lo[..n];
            let mut s = ri[j];
            for (&x, &y) in ri[..j].iter().zip(rj) {
                s -= x * y;
            }
            ri[j] = s * r;
        }
    }
    for i in 0..n {
        for c in i + 1..n {
            a[i * n + c] = T::ZERO;
        }
    }
    0
}

/// `c = a b` for `n x n` row-major matrices.
#[inline(always)]
pub(crate) fn matmul_core<T: Float>(c: &mut [T], a: &[T], b: &[T], n: usize) {
    let c = &mut c[..n * n];
    c.fill(T::ZERO);
    for i in 0..n {
        let ci = &mut c[i * n..i * n + n];
        for k in 0..n {
            let aik = a[i * n + k];
            for (x, &y) in ci.iter_mut().zip(&b[k * n..k * n + n]) {
                *x += aik * y;
            }
        }
    }
}

/// Instantiates `$f::<T>` with a constant `n` for 1..=16 and runs `$body` with it.
macro_rules! with_const_n {
    ($n:expr, $N:ident => $body:expr) => {
        match $n {
            1 => {
                const $N: usize = 1;
                $body
            }
            2 => {
                const $N: usize = 2;
                $body
            }
            3 => {
                const $N: usize = 3;
                $body
            }
            4 => {
                const $N: usize = 4;
                $body
            }
            5 => {
                const $N: usize = 5;
                $body
            }
            6 => {
                const $N: usize = 6;
                $body
            }
            7 => {
                const $N: usize = 7;
                $body
            }
            8 => {
                const $N: usize = 8;
                $body
            }
            9 => {
                const $N: usize = 9;
                $body
            }
            10 => {
                const $N: usize = 10;
                $body
            }
            11 => {
                const $N: usize = 11;
                $body
            }
            12 => {
                const $N: usize = 12;
                $body
            }
            13 => {
                const $N: usize = 13;
                $body
            }
            14 => {
                const $N: usize = 14;
                $body
            }
            15 => {
                const $N: usize = 15;
                $body
            }
            16 => {
                const $N: usize = 16;
                $body
            }
            _ => unreachable!("small-matrix path called with n = {}", $n),
        }
    };
}

fn inv_fixed<T: Float, const N: usize>(a: &mut [T]) -> i32 {
    let mut scratch = [T::ZERO; SMALL * SMALL];
    let mut ipiv = [0usize; SMALL];
    inv_core(a, N, &mut scratch, &mut ipiv)
}

/// Inverse of one small matrix in place; returns info.
pub(crate) fn inv_small<T: Float>(a: &mut [T], n: usize) -> i32 {
    if n == 0 {
        return 0;
    }
    with_const_n!(n, N => inv_fixed::<T, N>(a))
}

fn lu_fixed<T: Float, const N: usize>(a: &mut [T], ipiv: &mut [usize]) -> i32 {
    lu_core(a, N, ipiv)
}

/// LU of one matrix in place (any `n`; constant-`n` code for `n <= 16`); returns info.
pub(crate) fn lu_any<T: Float>(a: &mut [T], n: usize, ipiv: &mut [usize]) -> i32 {
    if n == 0 {
        return 0;
    }
    if n > SMALL {
        return lu_core(a, n, ipiv);
    }
    with_const_n!(n, N => lu_fixed::<T, N>(a, ipiv))
}

/// Solves `A X = B` for one small matrix: LU of `a` in place, `b` (`n x m`) overwritten
/// with X. Returns info.
pub(crate) fn solve_small<T: Float>(a: &mut [T], n: usize, b: &mut [T], m: usize) -> i32 {
    if n == 0 {
        return 0;
    }
    let mut ipiv = [0usize; SMALL];
    let info = lu_any(a, n, &mut ipiv);
    lu_solve_core(a, &ipiv, n, b, m);
    info
}

fn chol_fixed<T: Float, const N: usize>(a: &mut [T]) -> i32 {
    cholesky_core(a, N)
}

/// Cholesky of one matrix in place (any `n`); returns info.
pub(crate) fn cholesky_any<T: Float>(a: &mut [T], n: usize) -> i32 {
    if n == 0 {
        return 0;
    }
    if n > SMALL {
        return cholesky_core(a, n);
    }
    with_const_n!(n, N => chol_fixed::<T, N>(a))
}

fn matmul_fixed<T: Float, const N: usize>(c: &mut [T], a: &[T], b: &[T]) {
    matmul_core(c, a, b, N)
}

/// `c = a b` for small (`n <= 16`) row-major matrices.
pub(crate) fn matmul_small<T: Float>(c: &mut [T], a: &[T], b: &[T], n: usize) {
    if n == 0 {
        return;
    }
    with_const_n!(n, N => matmul_fixed::<T, N>(c, a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lu_reconstructs_and_reports_first_zero_pivot() {
        // Row 2 = 2 * row 1: U[2,2] = 0 after pivoting.
        let a0 = [1.0f64, 2.0, 3.0, 2.0, 4.0, 6.0, 1.0, 0.0, 1.0];
        let mut a = a0;
        let mut ipiv = [0; 3];
        let info = lu_any(&mut a, 3, &mut ipiv);
        assert_eq!(info, 3);
        // P^T A == L U
        let mut pa = a0;
        for (k, &p) in ipiv.iter().enumerate() {
            for j in 0..3 {
                pa.swap(k * 3 + j, p * 3 + j);
            }
        }
        for i in 0..3 {
            for j in 0..3 {
                let mut s = 0.0;
                for k in 0..3 {
                    let l = if k < i {
                        a[i * 3 + k]
                    } else if k == i {
                        1.0
                    } else {
                        0.0
                    };
                    let u = if k <= j { a[k * 3 + j] } else { 0.0 };
                    s += l * u;
                }
                assert!((s - pa[i * 3 + j]).abs() < 1e-12, "{i},{j}");
            }
        }
    }
}
