//! `solve`, `solve_ex`.

use crate::batch::{
    batch_prefix, check_float, first_failure, map_batch, map_batch2, square_batch, to_owned,
    with_tail,
};
use crate::dense::{in_pool, par_for, DenseLu};
use crate::scalar::Float;
use crate::small::{lu_core, lu_solve_core, solve_small, SMALL};
use faer::Par;
use tessera_core::autograd::{custom_op, sum_to_shape, Saves};
use tessera_core::layout::broadcast_shapes;
use tessera_core::runtime::Output;
use tessera_core::{dispatch_float, Error, Result, Tensor};

/// Solves `A X = B` for one large matrix: `a` (`n x n`) and `B` (`n x m`) row-major;
/// `B` is `src`, or `b` itself when `src` is `None`, and `b` gets X. Returns info.
pub(crate) fn solve_large<T: Float>(
    a: &[T],
    n: usize,
    src: Option<&[T]>,
    b: &mut [T],
    m: usize,
    par: Par,
) -> i32 {
    let lu = DenseLu::factor(a, n, par);
    let info = lu.info();
    if info == 0 {
        lu.solve_row_major(src, b, m, par);
        return 0;
    }
    if let Some(src) = src {
        b.copy_from_slice(&src[..n * m]);
    }
    // Singular: LAPACK's LU and solves, as PyTorch's getrf + getrs.
    let mut a = a.to_vec();
    let mut ipiv = vec![0usize; n];
    let info = lu_core(&mut a, n, &mut ipiv);
    lu_solve_core(&a, &ipiv, n, b, m);
    info
}

fn solve_impl<T: Float>(
    a: &Tensor,
    b: &Tensor,
    batch: &[usize],
    n: usize,
    m: usize,
) -> (Tensor, Vec<i32>) {
    let count: usize = batch.iter().product();
    let a = a.expand(with_tail(batch, &[n, n]));
    let b = b.expand(with_tail(batch, &[n, m]));
    let (bd, info) = if n <= SMALL {
        let mut bd = to_owned::<T>(&b);
        let mut ad = to_owned::<T>(&a);
        let info = map_batch2(&mut ad, n * n, &mut bd, n * m, count, true, |_, x, y| {
            solve_small(x, n, y, m)
        });
        (bd, info)
    } else {
        // A and B are only read (the LU and the solve's blocks make their own padded
        // copies), X written once (a 2 MiB copy costs about 0.13 ms), into a zeroed
        // buffer from the runtime (a dropped tensor's when one is kept).
        let par = par_for(n);
        let across = matches!(par, Par::Seq);
        let mut bd = Output::<T>::zeroed("solve", count * n * m).into_vec();
        let info = a.with_contiguous(|ad: &[T]| {
            b.with_contiguous(|bs: &[T]| {
                in_pool(|| {
                    map_batch(&mut bd, n * m, count, across, |i, y| {
                        let a = &ad[i * n * n..(i + 1) * n * n];
                        solve_large(a, n, Some(&bs[i * n * m..(i + 1) * n * m]), y, m, par)
                    })
                })
            })
        });
        (bd, info)
    };
    (Tensor::from_vec(bd, &with_tail(batch, &[n, m])), info)
}

/// `torch.linalg.solve_ex(A, B, left=..., check_errors=...)`: [`solve`] plus the LU
/// `info` of `A` per batch element (I32, of the broadcast batch shape): 0, or `k > 0`
/// when `U[k-1, k-1]` is exactly zero (then the solution holds `inf`/NaN).
///
/// # Errors
/// With `check_errors`, [`Error::Numerical`] naming the first singular batch element.
///
/// # Panics
/// As [`solve`].
pub fn solve_ex(
    a: &Tensor,
    b: &Tensor,
    left: bool,
    check_errors: bool,
) -> Result<(Tensor, Tensor)> {
    const OP: &str = "linalg.solve";
    let (abatch, n) = square_batch(OP, a);
    check_float(OP, b);
    assert!(
        a.dtype() == b.dtype(),
        "{OP}: Expected A and B to have the same dtype, but found A of type {} and B of type {} instead",
        crate::batch::torch_type_name(a.dtype()),
        crate::batch::torch_type_name(b.dtype())
    );
    // PyTorch's rule: B is a vector when it is 1-D, or when it is A's shape without the
    // last dim.
    let vector = b.dim() == 1 || (b.dim() + 1 == a.dim() && b.shape() == &a.shape()[..a.dim() - 1]);
    let b2 = if vector { b.unsqueeze(-1) } else { b.clone() };
    assert!(
        b2.dim() >= 2,
        "{OP}: B must have at least 1 dimension (got shape {:?})",
        b.shape()
    );
    let (br, bc) = (b2.size(-2), b2.size(-1));
    let fits = if left { br == n } else { bc == n };
    assert!(
        fits,
        "{OP}: Incompatible shapes of A and B for the equation {} ({n}x{n} and {br}x{bc})",
        if left { "AX = B" } else { "XA = B" }
    );
    let bbatch = &b2.shape()[..b2.dim() - 2];
    let compatible = abatch
        .iter()
        .rev()
        .zip(bbatch.iter().rev())
        .all(|(&x, &y)| x == y || x == 1 || y == 1);
    assert!(
        compatible,
        "{OP}: the batch dims of A (shape {:?}) and B (shape {:?}) do not broadcast: {abatch:?} vs {bbatch:?}",
        a.shape(),
        b.shape()
    );
    let batch = broadcast_shapes(OP, &abatch, bbatch);
    // X A = B  <=>  A^T X^T = B^T.
    let (aa, bb) = if left {
        (a.clone(), b2)
    } else {
        (a.mt(), b2.mt())
    };
    let m = bb.size(-1);
    let (x, info) = dispatch_float!(a.dtype(), T => solve_impl::<T>(&aa, &bb, &batch, n, m), _ => unreachable!());
    if check_errors {
        if let Some((i, _)) = first_failure(&info) {
            return Err(Error::numerical(
                OP,
                format!(
                    "{}The solver failed because the input matrix is singular.",
                    batch_prefix(!batch.is_empty(), i)
                ),
            ));
        }
    }
    let x = if left { x } else { x.mt().contiguous() };
    let x = if vector { x.squeeze_dim(-1) } else { x };
    Ok((
        solve_backward(a, b, x, left, vector),
        Tensor::from_vec(info, &batch),
    ))
}

/// Records the gradients of `X = A^-1 B` (`left`) or `X = B A^-1`:
/// `gB = solve(A^T, G)` and `gA = -gB X^T` (left), `gB = G A^-T` and
/// `gA = -X^T gB` (right), each summed over broadcast batch dims.
fn solve_backward(a: &Tensor, b: &Tensor, x: Tensor, left: bool, vector: bool) -> Tensor {
    custom_op(
        "linalg.solve",
        &[a, b],
        Saves::Both,
        move || x,
        move |g, x, inputs| {
            let (a, b) = (&inputs[0], &inputs[1]);
            let gb = solve_ex(&a.mt(), g, left, false)
                .expect("solve_ex without check_errors does not fail")
                .0;
            let (gb2, x2) = if vector {
                (gb.unsqueeze(-1), x.unsqueeze(-1))
            } else {
                (gb.clone(), x.clone())
            };
            let ga = if left {
                -(gb2.matmul(&x2.mt()))
            } else {
                -(x2.mt().matmul(&gb2))
            };
            vec![
                a.requires_grad().then(|| sum_to_shape(&ga, a.shape())),
                b.requires_grad().then(|| sum_to_shape(&gb, b.shape())),
            ]
        },
    )
}

/// `torch.linalg.solve(A, B, left=...)`: the solution `X` of `A X = B` (`left`) or
/// `X A = B` (`!left`), by LU with partial pivoting.
///
/// Shapes follow PyTorch: `A` is `(*, n, n)`; `B` is a batch of vectors when it is 1-D
/// or has `A`'s shape without the last dim (then `X` has `B`'s shape), otherwise a
/// batch of matrices `(*, n, k)` (`(*, k, n)` when `!left`). Batch dims broadcast.
/// Vectors only go with `left = true`, as in PyTorch.
///
/// ```
/// use tessera_core::{tensor, DType};
/// let a = tensor!([[3.0, 1.0], [1.0, 2.0]], dtype = DType::F64);
/// let b = tensor!([9.0, 8.0], dtype = DType::F64);
/// let x = tessera_linalg::solve(&a, &b, true).unwrap();
/// assert_eq!(x.shape(), &[2]);
/// assert!((x.get::<f64>(&[0]) - 2.0).abs() < 1e-14 && (x.get::<f64>(&[1]) - 3.0).abs() < 1e-14);
/// ```
///
/// # Accuracy
/// Backward stable (LU with partial pivoting); the relative forward error is about
/// `n * eps * cond(A)`.
///
/// # Errors
/// [`Error::Numerical`] if some matrix of `A` is singular, naming the batch element.
///
/// # Panics
/// If `A` is not a (batch of) square matrices, the dtypes are not float or differ,
/// the shapes of `A` and `B` do not fit the equation, or the batch dims do not broadcast.
pub fn solve(a: &Tensor, b: &Tensor, left: bool) -> Result<Tensor> {
    solve_ex(a, b, left, true).map(|(x, _)| x)
}
