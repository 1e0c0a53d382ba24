//! `softmax`, `log_softmax` and `logsumexp`, computed stably (the row maximum is
//! subtracted first) by the row kernels of `tessera-kernels`.

use super::reduce::{expand_reduced, reduce_rows, reduced_dims, rows_last};
use crate::autograd::{record, Saves};
use crate::layout::normalize_dim;
use crate::runtime::pool::par_rows;
use crate::runtime::Output;
use crate::{dispatch_float, DType, Dims, Tensor};

type RowMap<T> = fn(&[T], &mut [T]);

/// `f32` and `f64`: each picks its row kernels from `tessera-kernels` (the per-dtype hooks
/// of the three row ops; `dispatch_float!` picks the type). Called on the op's calling
/// thread, so the f32 kernels follow the precision in force there
/// ([`crate::get_float32_elementwise_precision`]) on every worker.
trait RowFloat: crate::StorageElement {
    fn softmax() -> RowMap<Self>;
    fn log_softmax() -> RowMap<Self>;
    fn logsumexp() -> fn(&[Self]) -> Self;
}

impl RowFloat for f32 {
    fn softmax() -> RowMap<f32> {
        match crate::get_float32_elementwise_precision() {
            crate::Precision::Highest => tessera_kernels::softmax_f32,
            crate::Precision::High => tessera_kernels::high::softmax_f32,
        }
    }
    fn log_softmax() -> RowMap<f32> {
        match crate::get_float32_elementwise_precision() {
            crate::Precision::Highest => tessera_kernels::log_softmax_f32,
            crate::Precision::High => tessera_kernels::high::log_softmax_f32,
        }
    }
    fn logsumexp() -> fn(&[f32]) -> f32 {
        match crate::get_float32_elementwise_precision() {
            crate::Precision::Highest => tessera_kernels::logsumexp_f32,
            crate::Precision::High => tessera_kernels::high::logsumexp_f32,
        }
    }
}

impl RowFloat for f64 {
    fn softmax() -> RowMap<f64> {
        tessera_kernels::softmax_f64
    }
    fn log_softmax() -> RowMap<f64> {
        tessera_kernels::log_softmax_f64
    }
    fn logsumexp() -> fn(&[f64]) -> f64 {
        tessera_kernels::logsumexp_f64
    }
}

/// The float dtype a row op computes in (bool and integers promote).
fn not_float(op: &str, d: DType) -> ! {
    unreachable!("{op}: computes in a float dtype, not {d}")
}

/// Applies a row kernel along `dim`, returning a contiguous tensor of the input's shape.
fn along_dim<T: crate::StorageElement>(op: &str, x: &Tensor, dim: isize, f: RowMap<T>) -> Tensor {
    if x.dim() == 0 {
        normalize_dim(op, dim, 0);
        let v = x.with_contiguous(|s: &[T]| {
            let mut o = vec![T::default(); 1];
            f(s, &mut o);
            o
        });
        return Tensor::from_vec(v, &[]);
    }
    let d = normalize_dim(op, dim, x.dim());
    let (moved, row_len) = rows_last(x, &[d]);
    let out = moved.with_contiguous(|s: &[T]| {
        // The row kernels write every element of each row: a reused buffer is safe.
        let mut out = Output::<T>::for_overwrite(op, s.len());
        par_rows(s, row_len, out.as_mut_slice(), row_len, f);
        out
    });
    let y = out.into_tensor(moved.shape());
    if d + 1 == x.dim() {
        return y;
    }
    // Move the dim back where it was: original dim i sits at i, rank-1 or i-1 in `y`.
    let r = x.dim();
    let perm: Vec<usize> = (0..r)
        .map(|i| match i.cmp(&d) {
            std::cmp::Ordering::Less => i,
            std::cmp::Ordering::Equal => r - 1,
            std::cmp::Ordering::Greater => i - 1,
        })
        .collect();
    y.permute(perm).contiguous()
}

impl Tensor {
    /// `exp(x) / sum(exp(x))` along `dim` (`torch.softmax`), stable for any
    /// magnitude: rows like `[1000, 1000]` give `[0.5, 0.5]`. Bool and integer inputs
    /// give the default float dtype. A row holding NaN gives NaN; a row of `-inf`
    /// gives NaN, as in PyTorch.
    ///
    /// ```
    /// let p = tessera_core::tensor!([1000.0, 1000.0]).softmax(-1);
    /// assert_eq!(p.to_vec::<f32>(), vec![0.5, 0.5]);
    /// ```
    ///
    /// # Panics
    /// If `dim` is out of range.
    pub fn softmax(&self, dim: isize) -> Tensor {
        let x = self.to_dtype(self.dtype().to_float());
        let forward = || dispatch_float!(x.dtype(), T => along_dim::<T>("softmax", &x, dim, T::softmax()), d => not_float("softmax", d));
        record("softmax", &[&x], Saves::Output, forward, move |g, y, _| {
            vec![Some(y * (g - (g * y).sum_dim(dim, true)))]
        })
    }

    /// `x - logsumexp(x)` along `dim` (`torch.log_softmax`), stable for any magnitude.
    ///
    /// # Panics
    /// If `dim` is out of range.
    pub fn log_softmax(&self, dim: isize) -> Tensor {
        let x = self.to_dtype(self.dtype().to_float());
        let forward = || dispatch_float!(x.dtype(), T => along_dim::<T>("log_softmax", &x, dim, T::log_softmax()), d => not_float("log_softmax", d));
        record(
            "log_softmax",
            &[&x],
            Saves::Output,
            forward,
            move |g, y, _| vec![Some(g - y.exp() * g.sum_dim(dim, true))],
        )
    }

    /// `log(sum(exp(x)))` over `dims` (`torch.logsumexp`), stable for any magnitude.
    /// Empty reductions give `-inf`; a maximum of `±inf` is returned as is; NaN
    /// gives NaN. Bool and integer inputs give the default float dtype.
    ///
    /// ```
    /// let l = tessera_core::tensor!([-1000.0, -1000.0]).logsumexp(-1, false);
    /// assert!((l.item::<f64>() - (-1000.0 + 2f64.ln())).abs() < 1e-3);
    /// ```
    ///
    /// # Panics
    /// If a dim is out of range.
    pub fn logsumexp(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        let x = self.to_dtype(self.dtype().to_float());
        let dims = dims.to_dims();
        let ds = reduced_dims("logsumexp", &x, Some(&dims));
        let forward = || dispatch_float!(x.dtype(), T => reduce_rows("logsumexp", &x, Some(&dims), keepdim, T::logsumexp()), d => not_float("logsumexp", d));
        // d/dx logsumexp(x) = softmax(x) = exp(x - out).
        record(
            "logsumexp",
            &[&x],
            Saves::Both,
            forward,
            move |g, out, inputs| {
                let x = &inputs[0];
                let out = expand_reduced(out, x.shape(), &ds, keepdim);
                vec![Some(
                    expand_reduced(g, x.shape(), &ds, keepdim) * (x - out).exp(),
                )]
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::{tensor, DType, Tensor};

    #[test]
    fn softmax_is_stable_and_normalized() {
        let x = tensor!([[1000.0, 1000.0], [-1000.0, -1000.0]]);
        assert_eq!(x.softmax(1).to_vec::<f32>(), vec![0.5; 4]);
        let l = x.logsumexp(1, false).to_vec::<f32>();
        assert_eq!(l, vec![1000.0 + 2f32.ln(), -1000.0 + 2f32.ln()]);
        let p = tensor!([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dtype = DType::F64).softmax(0);
        let s = p.sum_dim(0, false).to_vec::<f64>();
        assert!(s.iter().all(|v| (v - 1.0).abs() < 1e-15));
        let ls = tensor!([1.0, 2.0]).log_softmax(0).exp().sum().item::<f32>();
        assert!((ls - 1.0).abs() < 1e-6);
    }

    #[test]
    fn softmax_over_non_last_dim_matches_transpose() {
        let x = Tensor::randn(&[3, 4, 5]);
        let a = x.softmax(1);
        let b = x.transpose(1, 2).softmax(2).transpose(1, 2);
        assert!(a.allclose(&b));
        assert!(a.is_contiguous());
    }

    #[test]
    fn nan_and_inf_rows() {
        let x = tensor!([
            [f32::NAN, 1.0],
            [f32::NEG_INFINITY, f32::NEG_INFINITY],
            [f32::INFINITY, 1.0]
        ]);
        let l = x.logsumexp(-1, false).to_vec::<f32>();
        assert!(l[0].is_nan());
        assert_eq!(&l[1..], &[f32::NEG_INFINITY, f32::INFINITY]);
        let s = x.softmax(-1).to_vec::<f32>();
        assert!(s[0].is_nan() && s[1].is_nan() && s[2].is_nan() && s[3].is_nan());
        assert_eq!(
            Tensor::zeros(&[2, 0]).logsumexp(-1, false).to_vec::<f32>(),
            vec![f32::NEG_INFINITY; 2]
        );
        assert_eq!(Tensor::zeros(&[0, 3]).softmax(-1).shape(), &[0, 3]);
    }

    #[test]
    fn int_input_and_0dim() {
        assert_eq!(tensor!([1, 1]).softmax(0).to_vec::<f32>(), vec![0.5, 0.5]);
        assert_eq!(tensor!(3.0).softmax(0).item::<f32>(), 1.0);
        assert_eq!(tensor!(3.0).logsumexp(0, false).item::<f32>(), 3.0);
    }

    #[test]
    #[should_panic(expected = "softmax: dimension out of range")]
    fn bad_dim() {
        tensor!([1.0]).softmax(1);
    }
}
