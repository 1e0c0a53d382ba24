//! Reductions over all elements or over dims (negative dims allowed), with
//! `keepdim`: `sum`, `mean`, `prod`, `max`/`min` (values and indices), `argmax`,
//! `argmin`, `all`, `any`.
//!
//! Sums and products of `f32` accumulate in `f64`, and `f64` sums are pairwise,
//! so results are at least as accurate as PyTorch's. Integer and bool sums give
//! `I64`, as in PyTorch.

use crate::autograd::{record, Saves};
use crate::layout::normalize_dim;
use crate::runtime::pool::{par_rows, pool, PARALLEL_THRESHOLD};
use crate::storage::StorageElement;
use crate::Dims;
use crate::{dispatch, DType, Element, Tensor};
use rayon::prelude::*;

/// The normalized, sorted, deduplicated list of reduced dims (`None`: all).
pub(crate) fn reduced_dims(op: &str, x: &Tensor, dims: Option<&[isize]>) -> Vec<usize> {
    let rank = x.dim();
    let mut ds: Vec<usize> = match dims {
        None | Some([]) => (0..rank).collect(),
        Some(ds) => ds.iter().map(|&d| normalize_dim(op, d, rank)).collect(),
    };
    ds.sort_unstable();
    let n = ds.len();
    ds.dedup();
    assert_eq!(
        n,
        ds.len(),
        "{op}: dim appears multiple times in the list of dims"
    );
    ds.retain(|&d| d < rank);
    ds
}

/// Output shape of a reduction.
fn out_shape(x: &Tensor, dims: &[usize], keepdim: bool) -> Vec<usize> {
    let mut shape = Vec::new();
    for (d, &s) in x.shape().iter().enumerate() {
        if !dims.contains(&d) {
            shape.push(s);
        } else if keepdim {
            shape.push(1);
        }
    }
    shape
}

/// Moves the reduced dims last and returns the tensor (row-major rows of
/// `row_len` elements, one per output element) and `row_len`.
pub(crate) fn rows_last(x: &Tensor, dims: &[usize]) -> (Tensor, usize) {
    let mut perm: Vec<usize> = (0..x.dim()).filter(|d| !dims.contains(d)).collect();
    perm.extend_from_slice(dims);
    let row_len = dims.iter().map(|&d| x.shape()[d]).product();
    let moved = if perm.iter().enumerate().all(|(i, &p)| i == p) {
        x.clone()
    } else {
        x.permute(perm)
    };
    (moved, row_len)
}

/// Reduces rows with `f`, one output element per row.
pub(crate) fn reduce_rows<T: StorageElement, O: StorageElement>(
    op: &str,
    x: &Tensor,
    dims: Option<&[isize]>,
    keepdim: bool,
    f: impl Fn(&[T]) -> O + Sync,
) -> Tensor {
    let ds = reduced_dims(op, x, dims);
    let shape = out_shape(x, &ds, keepdim);
    let (moved, row_len) = rows_last(x, &ds);
    let mut out = crate::storage::alloc_zeroed::<O>(op, &shape);
    moved.with_contiguous(|s: &[T]| par_rows(s, row_len, &mut out, 1, |r, o| o[0] = f(r)));
    Tensor::from_vec(out, &shape)
}

/// Pairwise sum in `f64`, split across the pool when long. `f32` and `f64` slices go to
/// the vectorized kernel; the other types are summed here.
pub(crate) fn sum_f64<T: Element>(s: &[T]) -> f64 {
    if s.len() < PARALLEL_THRESHOLD * 4 {
        return T::sum_f64(s);
    }
    // The same chunks on one thread or many, so the sum does not depend on threading.
    let c = PARALLEL_THRESHOLD * 2;
    let parts: Vec<f64> = if crate::runtime::pool::parallel(s.len()) {
        pool().install(|| s.par_chunks(c).map(T::sum_f64).collect())
    } else {
        s.chunks(c).map(T::sum_f64).collect()
    };
    tessera_kernels::sum_f64(&parts)
}

fn sum_i64<T: Element>(s: &[T]) -> i64 {
    s.iter().fold(0i64, |a, v| a.wrapping_add(v.to_i64()))
}

impl Tensor {
    /// Sum of all elements as a 0-dim tensor (`x.sum()`). Bool and integer
    /// tensors give `I64`.
    ///
    /// ```
    /// assert_eq!(tessera_core::tensor!([[1, 2], [3, 4]]).sum().item::<i64>(), 10);
    /// ```
    pub fn sum(&self) -> Tensor {
        self.sum_dim(&[] as &[isize], false)
    }

    /// Sum over `dims` (`x.sum(dims, keepdim)`); negative dims count from the end,
    /// an empty list means all dims.
    ///
    /// # Panics
    /// If a dim is out of range or repeated.
    pub fn sum_dim(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        let dims = dims.to_dims();
        let forward = || {
            dispatch!(self.dtype(), T => {
                if self.dtype().is_float() {
                    reduce_rows("sum", self, Some(&dims), keepdim, |r: &[T]| T::from_f64(sum_f64(r)))
                } else {
                    reduce_rows("sum", self, Some(&dims), keepdim, |r: &[T]| sum_i64(r))
                }
            })
        };
        let ds = reduced_dims("sum", self, Some(&dims));
        record(
            "sum",
            &[self],
            Saves::Nothing,
            forward,
            move |g, _, inputs| vec![Some(expand_reduced(g, inputs[0].shape(), &ds, keepdim))],
        )
    }

    /// Mean of all elements (`x.mean()`); NaN for an empty tensor.
    ///
    /// # Panics
    /// If the tensor is not a float tensor, as PyTorch.
    pub fn mean(&self) -> Tensor {
        self.mean_dim(&[] as &[isize], false)
    }

    /// Mean over `dims` (`x.mean(dims, keepdim)`).
    ///
    /// # Panics
    /// If the tensor is not a float tensor, or a dim is out of range.
    pub fn mean_dim(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        assert!(
            self.dtype().is_float(),
            "mean: could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {}",
            self.dtype()
        );
        let dims = dims.to_dims();
        let forward = || dispatch!(self.dtype(), T => reduce_rows("mean", self, Some(&dims), keepdim, |r: &[T]| T::from_f64(sum_f64(r) / r.len() as f64)));
        let ds = reduced_dims("mean", self, Some(&dims));
        record(
            "mean",
            &[self],
            Saves::Nothing,
            forward,
            move |g, _, inputs| {
                let x = &inputs[0];
                let n: usize = ds.iter().map(|&d| x.shape()[d]).product();
                vec![Some(expand_reduced(g, x.shape(), &ds, keepdim) / n as f64)]
            },
        )
    }

    /// Product of all elements (`x.prod()`); bool and integers give `I64`.
    pub fn prod(&self) -> Tensor {
        self.prod_dim(&[] as &[isize], false)
    }

    /// Product over `dims` (`x.prod(dim, keepdim)`).
    ///
    /// # Panics
    /// If a dim is out of range.
    pub fn prod_dim(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        let dims = dims.to_dims();
        let forward = || {
            dispatch!(self.dtype(), T => {
                if self.dtype().is_float() {
                    reduce_rows("prod", self, Some(&dims), keepdim, |r: &[T]| T::from_f64(r.iter().fold(1.0, |a, v| a * v.to_f64())))
                } else {
                    reduce_rows("prod", self, Some(&dims), keepdim, |r: &[T]| r.iter().fold(1i64, |a, v| a.wrapping_mul(v.to_i64())))
                }
            })
        };
        let ds = reduced_dims("prod", self, Some(&dims));
        record(
            "prod",
            &[self],
            Saves::Inputs,
            forward,
            move |g, _, inputs| vec![Some(prod_backward(g, &inputs[0], &ds, keepdim))],
        )
    }

    /// Whether every element is nonzero, as a 0-dim `Bool` (`x.all()`); true when empty.
    pub fn all(&self) -> Tensor {
        self.all_dim(&[] as &[isize], false)
    }

    /// [`Tensor::all`] over `dims`.
    pub fn all_dim(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        let dims = dims.to_dims();
        dispatch!(self.dtype(), T => reduce_rows("all", self, Some(&dims), keepdim, |r: &[T]| r.iter().all(|v| v.is_nonzero())))
    }

    /// Whether any element is nonzero, as a 0-dim `Bool` (`x.any()`); false when empty.
    pub fn any(&self) -> Tensor {
        self.any_dim(&[] as &[isize], false)
    }

    /// [`Tensor::any`] over `dims`.
    pub fn any_dim(&self, dims: impl Dims, keepdim: bool) -> Tensor {
        let dims = dims.to_dims();
        dispatch!(self.dtype(), T => reduce_rows("any", self, Some(&dims), keepdim, |r: &[T]| r.iter().any(|v| v.is_nonzero())))
    }

    /// The largest element as a 0-dim tensor (`x.max()`); NaN if any element is NaN.
    ///
    /// # Panics
    /// If the tensor is empty, as PyTorch.
    pub fn max(&self) -> Tensor {
        self.extreme_all("max", true)
    }

    /// The smallest element as a 0-dim tensor (`x.min()`); NaN if any element is NaN.
    ///
    /// # Panics
    /// If the tensor is empty.
    pub fn min(&self) -> Tensor {
        self.extreme_all("min", false)
    }

    fn extreme_all(&self, op: &str, largest: bool) -> Tensor {
        assert!(
            self.numel() > 0,
            "{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
        );
        let i = self.arg_extreme(op, None, false, largest).item::<i64>();
        self.flatten().select(0, i as isize).contiguous()
    }

    /// Largest values over `dim` and their indices (`x.max(dim, keepdim)`), the
    /// first occurrence on ties; NaN wins.
    ///
    /// ```
    /// let (v, i) = tessera_core::tensor!([[1, 5], [7, 2]]).max_dim(-1, false);
    /// assert_eq!((v.to_vec::<i64>(), i.to_vec::<i64>()), (vec![5, 7], vec![1, 0]));
    /// ```
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        self.extreme_dim("max", dim, keepdim, true)
    }

    /// Smallest values over `dim` and their indices (`x.min(dim, keepdim)`).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        self.extreme_dim("min", dim, keepdim, false)
    }

    fn extreme_dim(&self, op: &str, dim: isize, keepdim: bool, largest: bool) -> (Tensor, Tensor) {
        let idx = self.arg_extreme(op, Some(dim), true, largest);
        let d = if self.dim() == 0 {
            0
        } else {
            normalize_dim(op, dim, self.dim())
        };
        let values = if self.dim() == 0 {
            self.contiguous()
        } else {
            self.gather(d as isize, &idx)
        };
        if keepdim || self.dim() == 0 {
            (values, idx)
        } else {
            (values.squeeze_dim(d as isize), idx.squeeze_dim(d as isize))
        }
    }

    /// Flat index of the largest element (`x.argmax()`), an `I64` 0-dim tensor.
    ///
    /// # Panics
    /// If the tensor is empty.
    pub fn argmax(&self) -> Tensor {
        self.arg_extreme("argmax", None, false, true)
    }

    /// Flat index of the smallest element (`x.argmin()`).
    ///
    /// # Panics
    /// If the tensor is empty.
    pub fn argmin(&self) -> Tensor {
        self.arg_extreme("argmin", None, false, false)
    }

    /// Indices of the largest values over `dim` (`x.argmax(dim, keepdim)`).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    pub fn argmax_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        self.arg_extreme("argmax", Some(dim), keepdim, true)
    }

    /// Indices of the smallest values over `dim` (`x.argmin(dim, keepdim)`).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    pub fn argmin_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        self.arg_extreme("argmin", Some(dim), keepdim, false)
    }

    fn arg_extreme(&self, op: &str, dim: Option<isize>, keepdim: bool, largest: bool) -> Tensor {
        let (x, dims) = match dim {
            None => (self.flatten(), vec![0isize]),
            Some(d) => (self.clone(), vec![d]),
        };
        if x.dim() > 0 {
            let d = normalize_dim(op, dims[0], x.dim());
            assert!(
                x.shape()[d] > 0,
                "{op}(): Expected reduction dim {d} to have non-zero size (shape {:?})",
                self.shape()
            );
        } else {
            normalize_dim(op, dims[0], 0);
        }
        let r = dispatch!(x.dtype(), T => reduce_rows(op, &x, Some(&dims), keepdim, |r: &[T]| arg_extreme_row(r, largest)));
        match dim {
            None => r.reshape(&[] as &[isize]),
            Some(_) => r,
        }
    }
}

/// `g` of a reduction over `dims` broadcast back to the input's `shape`.
pub(crate) fn expand_reduced(g: &Tensor, shape: &[usize], dims: &[usize], keepdim: bool) -> Tensor {
    let mut g = g.clone();
    if !keepdim {
        for &d in dims {
            g = g.unsqueeze(d as isize);
        }
    }
    g.expand(shape)
}

/// Gradient of `prod` over `dims`: each element gets the product of the other elements
/// of its group. Written so that it is itself differentiable (for `create_graph`) where
/// the group has zeros: the product of the others is `prod(nonzeros) / x` (the zeros
/// counted as 1) times the zeros among the others, which is 1 with none, their value
/// (0, but with derivative 1) with exactly one, and 0 with two or more (whose product
/// has a zero first derivative too). No `0 / 0` or `inf * 0` enters the graph.
fn prod_backward(g: &Tensor, x: &Tensor, dims: &[usize], keepdim: bool) -> Tensor {
    let ds: Vec<isize> = dims.iter().map(|&d| d as isize).collect();
    let zero = x.eq(0.0);
    let x_safe = x.where_(&zero.logical_not(), 1.0);
    let nonzero_prod = x_safe.prod_dim(&ds[..], true);
    let zero_values = x.where_(&zero, 0.0);
    let zeros_elsewhere = zero_values.sum_dim(&ds[..], true) - &zero_values;
    let n_zeros = zero.to_dtype(DType::I64);
    let other_zeros = n_zeros.sum_dim(&ds[..], true) - &n_zeros;
    let factor = x.ones_like().where_(
        &other_zeros.eq(0),
        zeros_elsewhere.where_(&other_zeros.eq(1), 0.0),
    );
    let others = nonzero_prod / x_safe * factor;
    expand_reduced(g, x.shape(), dims, keepdim) * others
}

/// Index of the first largest (or smallest) element; the first NaN wins.
fn arg_extreme_row<T: Element>(r: &[T], largest: bool) -> i64 {
    let mut best = 0usize;
    for (i, v) in r.iter().enumerate().skip(1) {
        let b = r[best];
        #[allow(clippy::eq_op)]
        if b != b {
            break; // NaN already found
        }
        #[allow(clippy::eq_op)]
        let better = v != v || if largest { *v > b } else { *v < b };
        if better {
            best = i;
        }
    }
    best as i64
}

#[cfg(test)]
mod tests {
    use crate::{tensor, DType, Tensor};

    #[test]
    fn sums_and_dtypes() {
        let x = tensor!([[1, 2, 3], [4, 5, 6]]);
        assert_eq!(x.sum_dim(0, false).to_vec::<i64>(), vec![5, 7, 9]);
        assert_eq!(x.sum_dim(-1, true).shape(), &[2, 1]);
        assert_eq!(x.sum_dim([0, 1], false).item::<i64>(), 21);
        assert_eq!(tensor!([true, true]).sum().dtype(), DType::I64);
        assert_eq!(x.t().sum_dim(1, false).to_vec::<i64>(), vec![5, 7, 9]);
        assert_eq!(
            Tensor::zeros(&[0, 3]).sum_dim(0, false).to_vec::<f32>(),
            vec![0.0; 3]
        );
        assert_eq!(Tensor::zeros(&[0]).sum().item::<f32>(), 0.0);
        assert_eq!(tensor!(5).sum().item::<i64>(), 5);
    }

    /// The f32 sum is within 1 ULP of the exact sum when nothing cancels (the bound of
    /// `tessera_kernels::sum_f32`); a plain f32 loop gives 100958.34 for the first case.
    #[test]
    fn f32_sum_is_accurate() {
        let n = 1_000_000;
        let x = Tensor::full(&[n], 0.1);
        // 10^6 * 0.1f32 is exact in f64 (24 + 20 bits); its f32 rounding is the only answer.
        let exact = (0.1f32 as f64 * n as f64) as f32;
        assert_eq!(x.sum().item::<f32>(), exact);
        let v: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 / 997.0).collect();
        let exact: f64 = v.iter().map(|&a| a as f64).sum(); // error ~1e-10 relative
        let s = Tensor::from_vec(v, &[n]).sum().item::<f32>();
        let ulp = (s.next_up() - s) as f64;
        assert!((s as f64 - exact).abs() <= ulp, "{s} vs {exact}");
    }

    #[test]
    fn mean_prod_nan() {
        assert!(Tensor::zeros(&[0]).mean().item::<f32>().is_nan());
        assert_eq!(
            tensor!([[1.0, 3.0], [5.0, 7.0]])
                .mean_dim(0, false)
                .to_vec::<f32>(),
            vec![3.0, 5.0]
        );
        assert_eq!(tensor!([2, 3, 4]).prod().item::<i64>(), 24);
        assert!(tensor!([1.0, f32::NAN]).sum().item::<f32>().is_nan());
    }

    #[test]
    #[should_panic(expected = "mean: could not infer output dtype")]
    fn mean_of_ints_panics() {
        tensor!([1, 2]).mean();
    }

    #[test]
    fn max_min_arg() {
        let x = tensor!([[1.0, 9.0, 3.0], [f32::NAN, 0.0, -1.0]]);
        let (v, i) = x.max_dim(1, false);
        let v = v.to_vec::<f32>();
        assert_eq!(v[0], 9.0);
        assert!(v[1].is_nan());
        assert_eq!(i.to_vec::<i64>(), vec![1, 0]);
        assert!(x.max().item::<f32>().is_nan());
        assert_eq!(x.narrow(0, 0, 1).min().item::<f32>(), 1.0);
        assert_eq!(x.argmin_dim(-1, true).shape(), &[2, 1]);
        assert_eq!(tensor!([3, 7, 7]).argmax().item::<i64>(), 1);
        assert_eq!(tensor!([[3, 1], [0, 7]]).argmin().item::<i64>(), 2);
        let (mv, mi) = tensor!([[1, 2], [3, 0]]).min_dim(0, true);
        assert_eq!(
            (mv.to_vec::<i64>(), mi.to_vec::<i64>(), mv.shape().to_vec()),
            (vec![1, 0], vec![0, 1], vec![1, 2])
        );
    }

    #[test]
    #[should_panic(
        expected = "max(): Expected reduction dim to be specified for input.numel() == 0"
    )]
    fn max_of_empty_panics() {
        Tensor::zeros(&[0]).max();
    }

    #[test]
    #[should_panic(expected = "argmax(): Expected reduction dim 1 to have non-zero size")]
    fn argmax_over_empty_dim_panics() {
        Tensor::zeros(&[2, 0]).argmax_dim(1, false);
    }

    #[test]
    fn all_any() {
        let x = tensor!([[true, false], [true, true]]);
        assert_eq!(x.all_dim(1, false).to_vec::<bool>(), vec![false, true]);
        assert!(x.any().item::<bool>());
        assert!(Tensor::zeros(&[0]).all().item::<bool>());
        assert!(!Tensor::zeros(&[0]).any().item::<bool>());
    }

    #[test]
    #[should_panic(
        expected = "sum: dimension out of range (expected to be in range of [-2, 1], but got 2)"
    )]
    fn bad_dim_panics() {
        Tensor::zeros(&[2, 2]).sum_dim(2, false);
    }
}
