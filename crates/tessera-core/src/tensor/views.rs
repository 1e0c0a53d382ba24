//! Views: new layouts over the same storage (reshape, permute, expand, narrow, ...).

use super::Tensor;
use crate::autograd::{record, sum_to_shape, Saves};
use crate::layout::{contiguous_strides, normalize_dim, Layout};

/// A list of dimension sizes or indices that may hold `-1` (`reshape(&[2, -1])`,
/// `permute(&[1, 0])`, `sum_dim(-1, false)`). Implemented for single integers and for
/// arrays, slices and vectors of `i32`, `i64`, `isize` and `usize`.
pub trait Dims {
    /// The entries as `isize`.
    fn to_dims(&self) -> Vec<isize>;
}

macro_rules! impl_dims {
    ($($t:ty => $conv:expr),*) => {$(
        impl Dims for [$t] {
            fn to_dims(&self) -> Vec<isize> { self.iter().map(|&d| $conv(d)).collect() }
        }
        impl<const N: usize> Dims for [$t; N] {
            fn to_dims(&self) -> Vec<isize> { self.iter().map(|&d| $conv(d)).collect() }
        }
        impl Dims for $t {
            fn to_dims(&self) -> Vec<isize> { vec![$conv(*self)] }
        }
        impl Dims for Vec<$t> {
            fn to_dims(&self) -> Vec<isize> { self.iter().map(|&d| $conv(d)).collect() }
        }
    )*};
}
impl_dims!(i32 => |d: i32| d as isize, i64 => i64_dim, isize => std::convert::identity, usize => usize_dim);

/// An `i64` dim or size as `isize` (saturating on targets where `isize` is narrower).
fn i64_dim(d: i64) -> isize {
    isize::try_from(d).unwrap_or(if d < 0 { isize::MIN } else { isize::MAX })
}

/// A `usize` dim or size as `isize`. Values past `isize::MAX` saturate there, so that
/// they stay out of range (a dim) or too large (a size) instead of wrapping to `-1`.
fn usize_dim(d: usize) -> isize {
    isize::try_from(d).unwrap_or(isize::MAX)
}

impl<T: Dims + ?Sized> Dims for &T {
    fn to_dims(&self) -> Vec<isize> {
        (**self).to_dims()
    }
}

/// Resolves one `-1` in a requested shape.
fn infer_shape(op: &str, spec: &[isize], numel: usize, from: &[usize]) -> Vec<usize> {
    let mut infer = None;
    let mut known = 1usize;
    for (i, &d) in spec.iter().enumerate() {
        if d == -1 {
            assert!(infer.is_none(), "{op}: only one dimension can be inferred");
            infer = Some(i);
        } else {
            assert!(d >= 0, "{op}: invalid shape dimension {d} in {spec:?}");
            known = known.checked_mul(d as usize).unwrap_or_else(|| {
                panic!("{op}: shape {spec:?} is invalid for input of size {numel} (shape {from:?})")
            });
        }
    }
    let mut shape: Vec<usize> = spec.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = infer {
        assert!(
            known != 0 && numel.is_multiple_of(known),
            "{op}: shape {spec:?} is invalid for input of size {numel} (shape {from:?})"
        );
        shape[i] = numel / known;
    } else {
        assert_eq!(
            known, numel,
            "{op}: shape {spec:?} is invalid for input of size {numel} (shape {from:?})"
        );
    }
    shape
}

/// Strides that view `layout` with `shape` without moving data, if any
/// (PyTorch's `computeStride`): each run of old dims that is contiguous among
/// itself can be split or merged freely.
fn view_strides(layout: &Layout, shape: &[usize]) -> Option<Vec<usize>> {
    let (old_shape, old_strides) = (layout.shape(), layout.strides());
    if layout.numel() == 0 || old_shape.is_empty() {
        // Nothing to keep in place, or one element (a 0-dim tensor viewed as [1], [1, 1], ...).
        return Some(contiguous_strides(shape));
    }
    let mut new_strides = vec![0usize; shape.len()];
    let mut view_d = shape.len() as isize - 1;
    let mut chunk_base_stride = *old_strides.last().unwrap_or(&1);
    let mut tensor_numel = 1usize;
    let mut view_numel = 1usize;
    for tensor_d in (0..old_shape.len()).rev() {
        tensor_numel *= old_shape[tensor_d];
        let chunk_ends = tensor_d == 0
            || (old_shape[tensor_d - 1] != 1
                && Some(old_strides[tensor_d - 1]) != tensor_numel.checked_mul(chunk_base_stride));
        if chunk_ends {
            while view_d >= 0 && (view_numel < tensor_numel || shape[view_d as usize] == 1) {
                new_strides[view_d as usize] = view_numel * chunk_base_stride;
                view_numel *= shape[view_d as usize];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = old_strides[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == -1).then_some(new_strides)
}

/// Backward of shape-only views: the gradient reshaped to the input's shape.
fn reshape_back(g: &Tensor, x: &Tensor) -> Tensor {
    g.reshape(x.shape())
}

/// `g` placed at `start..start + len` of dim `dim` of zeros of size `size` there
/// (backward of `narrow` and `select`), through `cat` so it stays differentiable.
fn pad_dim(g: &Tensor, dim: usize, start: usize, size: usize) -> Tensor {
    let len = g.shape()[dim];
    let zeros = |n: usize| {
        let mut s = g.shape().to_vec();
        s[dim] = n;
        Tensor::zeros_dtype(&s, g.dtype())
    };
    let mut parts = Vec::with_capacity(3);
    if start > 0 {
        parts.push(zeros(start));
    }
    parts.push(g.clone());
    if start + len < size {
        parts.push(zeros(size - start - len));
    }
    if parts.len() == 1 {
        return g.clone();
    }
    Tensor::cat(&parts, dim as isize)
}

impl Tensor {
    /// A view with `layout` recorded as op `name`, whose backward maps the output
    /// gradient to the input's (given the gradient and the input).
    fn view_op(
        &self,
        name: &'static str,
        layout: Layout,
        backward: impl Fn(&Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
    ) -> Tensor {
        record(
            name,
            &[self],
            Saves::Nothing,
            || self.with_layout(layout),
            move |g, _, inputs| vec![Some(backward(g, &inputs[0]))],
        )
    }

    /// A view with another shape (`x.view(shape)`); one entry may be `-1`.
    ///
    /// # Panics
    /// If the sizes do not match, or the strides make a view impossible (use
    /// [`Tensor::reshape`], which copies then).
    pub fn view(&self, shape: impl Dims) -> Tensor {
        let shape = infer_shape("view", &shape.to_dims(), self.numel(), self.shape());
        let strides = view_strides(self.layout(), &shape).unwrap_or_else(|| {
            panic!(
                "view: size {shape:?} is not compatible with input tensor's size {:?} and stride {:?}; use reshape instead",
                self.shape(),
                self.strides()
            )
        });
        self.view_op(
            "view",
            Layout::new_for("view", shape, strides, self.storage_offset()),
            reshape_back,
        )
    }

    /// `x.reshape(shape)`: a view when the strides allow it, else a contiguous copy.
    /// One entry may be `-1`.
    ///
    /// ```
    /// let x = tessera_core::Tensor::arange(0, 6);
    /// assert_eq!(x.reshape(&[2, -1]).shape(), &[2, 3]);
    /// ```
    ///
    /// # Panics
    /// If the number of elements differs.
    pub fn reshape(&self, shape: impl Dims) -> Tensor {
        let shape = infer_shape("reshape", &shape.to_dims(), self.numel(), self.shape());
        match view_strides(self.layout(), &shape) {
            Some(strides) => self.view_op(
                "reshape",
                Layout::new_for("reshape", shape, strides, self.storage_offset()),
                reshape_back,
            ),
            None => record(
                "reshape",
                &[self],
                Saves::Nothing,
                || {
                    self.deep_clone()
                        .with_layout(Layout::contiguous_for("reshape", &shape))
                },
                |g, _, inputs| vec![Some(reshape_back(g, &inputs[0]))],
            ),
        }
    }

    /// Reorders the dimensions (`x.permute(dims)`); negative dims count from the end.
    ///
    /// # Panics
    /// If `dims` is not a permutation of the tensor's dims.
    pub fn permute(&self, dims: impl Dims) -> Tensor {
        let dims = dims.to_dims();
        let r = self.dim();
        assert_eq!(
            dims.len(),
            r,
            "permute: number of dims don't match (tensor has shape {:?}, got dims {dims:?})",
            self.shape()
        );
        let mut seen = vec![false; r];
        let (mut shape, mut strides) = (Vec::with_capacity(r), Vec::with_capacity(r));
        let mut inverse = vec![0usize; r];
        for (i, &d) in dims.iter().enumerate() {
            let d = normalize_dim("permute", d, r);
            assert!(!seen[d], "permute: repeated dim {d} in {dims:?}");
            seen[d] = true;
            inverse[d] = i;
            shape.push(self.shape()[d]);
            strides.push(self.strides()[d]);
        }
        self.view_op(
            "permute",
            Layout::new(shape, strides, self.storage_offset()),
            move |g, _| g.permute(&inverse[..]),
        )
    }

    /// Swaps two dimensions (`x.transpose(d0, d1)`).
    ///
    /// # Panics
    /// If a dim is out of range.
    pub fn transpose(&self, d0: isize, d1: isize) -> Tensor {
        let r = self.dim();
        if r == 0 {
            normalize_dim("transpose", d0, r);
            normalize_dim("transpose", d1, r);
            return self.clone();
        }
        let (a, b) = (
            normalize_dim("transpose", d0, r),
            normalize_dim("transpose", d1, r),
        );
        let mut perm: Vec<usize> = (0..r).collect();
        perm.swap(a, b);
        self.permute(perm)
    }

    /// Transpose of a tensor with at most 2 dims (`x.t()`).
    ///
    /// # Panics
    /// If the tensor has more than 2 dims.
    pub fn t(&self) -> Tensor {
        assert!(
            self.dim() <= 2,
            "t: expects a tensor with <= 2 dimensions, but self is {}D (shape {:?})",
            self.dim(),
            self.shape()
        );
        if self.dim() < 2 {
            self.clone()
        } else {
            self.transpose(0, 1)
        }
    }

    /// The last two dims swapped (`x.mT`).
    ///
    /// # Panics
    /// If the tensor has fewer than 2 dims.
    pub fn mt(&self) -> Tensor {
        assert!(
            self.dim() >= 2,
            "mT: tensor of shape {:?} has fewer than 2 dims",
            self.shape()
        );
        self.transpose(-2, -1)
    }

    /// Drops every size-1 dim (`x.squeeze()`).
    pub fn squeeze(&self) -> Tensor {
        let keep: Vec<usize> = (0..self.dim()).filter(|&d| self.shape()[d] != 1).collect();
        self.keep_dims(&keep)
    }

    /// Drops `dim` if its size is 1 (`x.squeeze(dim)`); otherwise a view of the same shape.
    ///
    /// # Panics
    /// If `dim` is out of range.
    pub fn squeeze_dim(&self, dim: isize) -> Tensor {
        let d = normalize_dim("squeeze", dim, self.dim());
        if self.dim() == 0 || self.shape()[d] != 1 {
            return self.clone();
        }
        let keep: Vec<usize> = (0..self.dim()).filter(|&i| i != d).collect();
        self.keep_dims(&keep)
    }

    fn keep_dims(&self, keep: &[usize]) -> Tensor {
        let shape = keep.iter().map(|&d| self.shape()[d]).collect();
        let strides = keep.iter().map(|&d| self.strides()[d]).collect();
        self.view_op(
            "squeeze",
            Layout::new(shape, strides, self.storage_offset()),
            reshape_back,
        )
    }

    /// Inserts a size-1 dim at `dim` (`x.unsqueeze(dim)`); `dim` may be in `[-rank-1, rank]`.
    ///
    /// # Panics
    /// If `dim` is out of range.
    pub fn unsqueeze(&self, dim: isize) -> Tensor {
        let d = normalize_dim("unsqueeze", dim, self.dim() + 1);
        let mut shape = self.shape().to_vec();
        let mut strides = self.strides().to_vec();
        let stride = if d < self.dim() {
            // A size-1 dim's stride is never used to step; saturate rather than overflow.
            self.strides()[d].saturating_mul(self.shape()[d])
        } else {
            1
        };
        shape.insert(d, 1);
        strides.insert(d, stride);
        self.view_op(
            "unsqueeze",
            Layout::new(shape, strides, self.storage_offset()),
            reshape_back,
        )
    }

    /// A broadcast view at `shape` (`x.expand(shape)`); `-1` keeps a dim's size.
    /// Expanded dims have stride 0: writing through them writes one element.
    ///
    /// # Panics
    /// If the shape cannot be broadcast to `shape`.
    pub fn expand(&self, shape: impl Dims) -> Tensor {
        let spec = shape.to_dims();
        let lead = spec.len().saturating_sub(self.dim());
        let shape: Vec<usize> = spec
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                if d == -1 {
                    assert!(
                        i >= lead,
                        "expand: -1 is not allowed in a leading, non-existing dimension ({spec:?})"
                    );
                    self.shape()[i - lead]
                } else {
                    assert!(d >= 0, "expand: invalid size {d} in {spec:?}");
                    d as usize
                }
            })
            .collect();
        if shape == self.shape() {
            return self.clone();
        }
        self.view_op(
            "expand",
            self.layout().broadcast_to("expand", &shape),
            |g, x| sum_to_shape(g, x.shape()),
        )
    }

    /// Expands to `other`'s shape.
    pub fn expand_as(&self, other: &Tensor) -> Tensor {
        self.expand(other.shape())
    }

    /// `length` elements of `dim` from `start` (`x.narrow(dim, start, length)`).
    ///
    /// # Panics
    /// If `dim` is out of range or `start + length` exceeds the dim's size.
    pub fn narrow(&self, dim: isize, start: usize, length: usize) -> Tensor {
        let d = normalize_dim("narrow", dim, self.dim());
        assert!(
            self.dim() > 0,
            "narrow: cannot be applied to a 0-dim tensor"
        );
        let size = self.shape()[d];
        assert!(
            start.checked_add(length).is_some_and(|end| end <= size),
            "narrow: start ({start}) + length ({length}) exceeds dimension size ({size}) of dim {d} (shape {:?})",
            self.shape()
        );
        let mut shape = self.shape().to_vec();
        shape[d] = length;
        let offset = if length == 0 {
            self.storage_offset()
        } else {
            self.storage_offset() + start * self.strides()[d]
        };
        let size = self.shape()[d];
        self.view_op(
            "narrow",
            Layout::new_for("narrow", shape, self.strides().to_vec(), offset),
            move |g, _| pad_dim(g, d, start, size),
        )
    }

    /// The slice at `index` of `dim`, which is removed (`x.select(dim, i)`, `x[i]`).
    /// A negative index counts from the end.
    ///
    /// # Panics
    /// If `dim` or `index` is out of range.
    pub fn select(&self, dim: isize, index: isize) -> Tensor {
        assert!(
            self.dim() > 0,
            "select: cannot be applied to a 0-dim tensor"
        );
        let d = normalize_dim("select", dim, self.dim());
        let size = self.shape()[d] as isize;
        let i = if index < 0 { index + size } else { index };
        assert!(
            (0..size).contains(&i),
            "select: index {index} out of range for tensor of size {:?} at dimension {d}",
            self.shape()
        );
        let mut shape = self.shape().to_vec();
        let mut strides = self.strides().to_vec();
        let offset = self.storage_offset() + i as usize * strides[d];
        let size = self.shape()[d];
        shape.remove(d);
        strides.remove(d);
        self.view_op(
            "select",
            Layout::new_for("select", shape, strides, offset),
            move |g, _| pad_dim(&g.unsqueeze(d as isize), d, i as usize, size),
        )
    }

    /// All dims flattened into one (`x.flatten()`): a view when possible. A 0-dim
    /// tensor becomes shape `[1]`.
    pub fn flatten(&self) -> Tensor {
        self.reshape([-1])
    }

    /// Dims `start..=end` flattened into one (`x.flatten(start, end)`).
    ///
    /// # Panics
    /// If a dim is out of range or `start > end`.
    pub fn flatten_dims(&self, start: isize, end: isize) -> Tensor {
        if self.dim() == 0 {
            return self.reshape([1]);
        }
        let (s, e) = (
            normalize_dim("flatten", start, self.dim()),
            normalize_dim("flatten", end, self.dim()),
        );
        assert!(
            s <= e,
            "flatten: start_dim ({s}) cannot come after end_dim ({e})"
        );
        let mut shape: Vec<usize> = self.shape()[..s].to_vec();
        shape.push(self.shape()[s..=e].iter().product());
        shape.extend_from_slice(&self.shape()[e + 1..]);
        self.reshape(shape)
    }
}

#[cfg(test)]
mod tests {
    use crate::{tensor, Tensor};

    #[test]
    fn views_share_storage() {
        let x = Tensor::arange(0, 12).reshape([3, 4]);
        for v in [
            x.t(),
            x.narrow(1, 1, 2),
            x.select(0, -1),
            x.unsqueeze(0),
            x.view([4, 3]),
            x.flatten(),
        ] {
            assert!(v.shares_storage(&x));
        }
        assert_eq!(x.narrow(1, 1, 2).to_vec::<i64>(), vec![1, 2, 5, 6, 9, 10]);
        assert_eq!(x.select(1, -1).to_vec::<i64>(), vec![3, 7, 11]);
        assert_eq!(x.permute([1, 0]).to_vec::<i64>(), x.t().to_vec::<i64>());
    }

    #[test]
    fn reshape_of_transposed_copies() {
        let x = Tensor::arange(0, 6).reshape([2, 3]);
        let r = x.t().reshape([-1]);
        assert!(!r.shares_storage(&x));
        assert_eq!(r.to_vec::<i64>(), vec![0, 3, 1, 4, 2, 5]);
        // a view of a narrowed (non-contiguous) tensor that merges nothing across the gap
        let n = Tensor::arange(0, 12).reshape([3, 4]).narrow(1, 0, 2);
        assert_eq!(n.view([3, 2, 1]).to_vec::<i64>(), vec![0, 1, 4, 5, 8, 9]);
    }

    #[test]
    #[should_panic(expected = "view: size [6] is not compatible")]
    fn view_of_transposed_panics() {
        Tensor::arange(0, 6).reshape([2, 3]).t().view([6]);
    }

    #[test]
    #[should_panic(expected = "reshape: shape [4, -1] is invalid for input of size 6")]
    fn bad_reshape_panics() {
        Tensor::arange(0, 6).reshape([4, -1]);
    }

    #[test]
    fn expand_and_squeeze() {
        let x = tensor!([[1], [2]]);
        let e = x.expand([2, 3]);
        assert_eq!(e.strides(), &[1, 0]);
        assert_eq!(e.to_vec::<i64>(), vec![1, 1, 1, 2, 2, 2]);
        assert_eq!(x.expand([-1, 2]).shape(), &[2, 2]);
        assert_eq!(x.squeeze().shape(), &[2]);
        assert_eq!(x.squeeze_dim(0).shape(), &[2, 1]);
        assert_eq!(x.unsqueeze(-1).shape(), &[2, 1, 1]);
        assert_eq!(tensor!(1.0).unsqueeze(0).shape(), &[1]);
    }

    #[test]
    #[should_panic(expected = "expand: the size of dim 0 (2) must match the target size (3)")]
    fn bad_expand_panics() {
        tensor!([1, 2]).expand([3]);
    }

    #[test]
    #[should_panic(expected = "permute: repeated dim 0")]
    fn bad_permute_panics() {
        Tensor::zeros(&[2, 2]).permute([0, -2]);
    }

    #[test]
    fn zero_size_views() {
        let z = Tensor::zeros(&[0, 3]);
        assert_eq!(z.t().shape(), &[3, 0]);
        assert_eq!(z.reshape([3, 0]).numel(), 0);
        assert_eq!(Tensor::zeros(&[4]).narrow(0, 4, 0).numel(), 0);
        assert_eq!(z.flatten_dims(0, 1).shape(), &[0]);
    }
}
