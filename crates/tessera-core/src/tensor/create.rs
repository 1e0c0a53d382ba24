//! Creation: literals (`tensor!`), filled tensors, ranges, identity.

use super::Tensor;
use crate::storage::{alloc_filled, alloc_from_fn, alloc_zeroed};
use crate::{dispatch, DType, Element, Scalar};

/// A nested array or vector of numbers that [`tensor!`](crate::tensor) turns into a tensor.
///
/// Implemented for Rust numbers and `bool` (the leaves), and for arrays, slices and
/// vectors of anything that implements it.
pub trait TensorLiteral {
    /// Appends the shape below this level (first call only) and the values.
    fn collect(&self, depth: usize, shape: &mut Vec<usize>, values: &mut Vec<Scalar>);
}

macro_rules! literal_leaf {
    ($($t:ty),*) => {$(
        impl TensorLiteral for $t {
            fn collect(&self, _: usize, _: &mut Vec<usize>, values: &mut Vec<Scalar>) {
                values.push(Scalar::from(*self));
            }
        }
    )*};
}
literal_leaf!(f32, f64, bool, u8, i8, i16, i32, i64, u32, usize, isize);

fn collect_seq<T: TensorLiteral>(
    items: &[T],
    depth: usize,
    shape: &mut Vec<usize>,
    values: &mut Vec<Scalar>,
) {
    if shape.len() == depth {
        shape.push(items.len());
    } else {
        assert_eq!(
            shape[depth],
            items.len(),
            "tensor!: expected a sequence of length {} at dim {depth} (got {})",
            shape[depth],
            items.len()
        );
    }
    for (i, it) in items.iter().enumerate() {
        let before = shape.len();
        it.collect(depth + 1, shape, values);
        assert!(
            i == 0 || shape.len() == before,
            "tensor!: nested sequences have different depths at dim {depth}"
        );
    }
}

impl<T: TensorLiteral, const N: usize> TensorLiteral for [T; N] {
    fn collect(&self, depth: usize, shape: &mut Vec<usize>, values: &mut Vec<Scalar>) {
        collect_seq(self, depth, shape, values)
    }
}
impl<T: TensorLiteral> TensorLiteral for Vec<T> {
    fn collect(&self, depth: usize, shape: &mut Vec<usize>, values: &mut Vec<Scalar>) {
        collect_seq(self, depth, shape, values)
    }
}
impl<T: TensorLiteral> TensorLiteral for &[T] {
    fn collect(&self, depth: usize, shape: &mut Vec<usize>, values: &mut Vec<Scalar>) {
        collect_seq(self, depth, shape, values)
    }
}

/// Builds a tensor from a nested literal, as `torch.tensor` does: float literals
/// give the default float dtype (`F32`), integer literals `I64`, `bool`s `Bool`.
/// A `dtype = ...` argument picks the dtype (values are converted from their literal
/// form directly, so `dtype = DType::F64` keeps full f64 precision).
///
/// ```
/// use tessera_core::{tensor, DType};
/// let a = tensor!([[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!((a.dtype(), a.shape()), (DType::F32, &[2usize, 2][..]));
/// assert_eq!(tensor!([1, 2, 3]).dtype(), DType::I64);
/// assert_eq!(tensor!(0.1, dtype = DType::F64).item::<f64>(), 0.1);
/// assert_eq!(tensor!([true, false]).dtype(), DType::Bool);
/// ```
///
/// # Panics
/// If nested sequences are ragged.
#[macro_export]
macro_rules! tensor {
    ($e:expr, dtype = $d:expr) => {
        $crate::Tensor::from_literal(&$e, Some($d))
    };
    ($e:expr) => {
        $crate::Tensor::from_literal(&$e, None)
    };
}

impl Tensor {
    /// The function behind [`tensor!`](crate::tensor).
    pub fn from_literal<L: TensorLiteral + ?Sized>(lit: &L, dtype: Option<DType>) -> Tensor {
        let mut shape = Vec::new();
        let mut values = Vec::new();
        lit.collect(0, &mut shape, &mut values);
        let dtype = dtype.unwrap_or_else(|| {
            values
                .iter()
                .map(|s| s.dtype())
                .max_by_key(|d| d.category())
                .unwrap_or(DType::DEFAULT_FLOAT)
        });
        dispatch!(dtype, T => Tensor::from_vec(values.iter().map(|s| s.to_element::<T>()).collect(), &shape))
    }

    /// Zeros of the default float dtype (`torch.zeros(shape)`).
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::zeros_dtype(shape, DType::DEFAULT_FLOAT)
    }

    /// Zeros of `dtype`.
    ///
    /// # Panics
    /// If the shape has more than `isize::MAX` elements, or the memory cannot be
    /// allocated (the message names the bytes asked for; the process lives on).
    pub fn zeros_dtype(shape: &[usize], dtype: DType) -> Tensor {
        dispatch!(dtype, T => Tensor::from_vec(alloc_zeroed::<T>("zeros", shape), shape))
    }

    /// Ones of the default float dtype (`torch.ones(shape)`).
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full_dtype(shape, 1, DType::DEFAULT_FLOAT)
    }

    /// Ones of `dtype`.
    pub fn ones_dtype(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full_dtype(shape, 1, dtype)
    }

    /// A tensor filled with `v` (`torch.full`); the dtype follows `v` as a Python
    /// scalar would: `F32` for floats, `I64` for integers, `Bool` for `bool`.
    ///
    /// ```
    /// let t = tessera_core::Tensor::full(&[2], 7);
    /// assert_eq!(t.to_vec::<i64>(), vec![7, 7]);
    /// ```
    pub fn full(shape: &[usize], v: impl Into<Scalar>) -> Tensor {
        let v = v.into();
        Tensor::full_dtype(shape, v, v.dtype())
    }

    /// A tensor of `dtype` filled with `v`.
    ///
    /// # Panics
    /// As [`Tensor::zeros_dtype`].
    pub fn full_dtype(shape: &[usize], v: impl Into<Scalar>, dtype: DType) -> Tensor {
        let v = v.into();
        dispatch!(dtype, T => Tensor::from_vec(alloc_filled("full", shape, v.to_element::<T>()), shape))
    }

    /// `torch.empty`: tessera fills it with zeros (never uninitialized memory).
    pub fn empty(shape: &[usize]) -> Tensor {
        Tensor::zeros(shape)
    }

    /// Zeros with the shape and dtype of `self`.
    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros_dtype(self.shape(), self.dtype())
    }

    /// Ones with the shape and dtype of `self`.
    pub fn ones_like(&self) -> Tensor {
        Tensor::ones_dtype(self.shape(), self.dtype())
    }

    /// `v` with the shape and dtype of `self`.
    pub fn full_like(&self, v: impl Into<Scalar>) -> Tensor {
        Tensor::full_dtype(self.shape(), v, self.dtype())
    }

    /// `torch.empty_like`: zeros with the shape and dtype of `self`.
    pub fn empty_like(&self) -> Tensor {
        self.zeros_like()
    }

    /// `torch.arange(start, end)` with step 1. Integer bounds give `I64`, float
    /// bounds the default float dtype.
    ///
    /// ```
    /// assert_eq!(tessera_core::Tensor::arange(0, 4).to_vec::<i64>(), vec![0, 1, 2, 3]);
    /// ```
    pub fn arange(start: impl Into<Scalar>, end: impl Into<Scalar>) -> Tensor {
        Tensor::arange_step(start, end, 1)
    }

    /// `torch.arange(start, end, step)`: `ceil((end - start) / step)` values
    /// `start + i * step`.
    ///
    /// # Panics
    /// If `step` is zero, or its sign disagrees with `end - start`, or a bound is not finite.
    pub fn arange_step(
        start: impl Into<Scalar>,
        end: impl Into<Scalar>,
        step: impl Into<Scalar>,
    ) -> Tensor {
        let (s, e, st) = (start.into(), end.into(), step.into());
        let dtype = [s, e, st]
            .iter()
            .map(|x| x.dtype())
            .max_by_key(|d| d.category())
            .unwrap();
        if dtype == DType::I64 {
            return arange_i64(s, e, st);
        }
        let (a, b, h) = (s.to_f64(), e.to_f64(), st.to_f64());
        assert!(
            a.is_finite() && b.is_finite(),
            "arange: unsupported range: {a} -> {b}"
        );
        assert!(h != 0.0, "arange: step must be nonzero");
        assert!(
            (h > 0.0 && b >= a) || (h < 0.0 && b <= a),
            "arange: upper bound and larger bound inconsistent with step sign (start {a}, end {b}, step {h})"
        );
        let n = arange_len((b - a) / h, a, b, h);
        dispatch!(dtype, T => Tensor::from_vec(alloc_from_fn("arange", &[n], |i| T::from_f64(a + i as f64 * h)), &[n]))
    }

    /// `torch.linspace(start, end, steps)` in the default float dtype.
    pub fn linspace(start: f64, end: f64, steps: usize) -> Tensor {
        Tensor::linspace_dtype(start, end, steps, DType::DEFAULT_FLOAT)
    }

    /// `torch.linspace` in `dtype`, computed as PyTorch's scalar loop does: in the
    /// dtype itself for floats (so `f32` values are bit for bit PyTorch's), from `start`
    /// for the first half and from `end` for the second, so the last value is exactly
    /// `end`. Integer dtypes truncate `start` and `end` to integers first and step in
    /// `f64`, as PyTorch.
    pub fn linspace_dtype(start: f64, end: f64, steps: usize, dtype: DType) -> Tensor {
        let n = steps.max(2) - 1;
        match dtype {
            DType::F32 => {
                let (a, b) = (start as f32, end as f32);
                let v = linspace_halves(a, b, (b - a) / n as f32, steps, |i| i as f32);
                Tensor::from_vec(v, &[steps])
            }
            _ => {
                let (a, b) = if dtype.is_float() {
                    (start, end)
                } else {
                    (start.trunc(), end.trunc())
                };
                let v = linspace_halves(a, b, (b - a) / n as f64, steps, |i| i as f64);
                Tensor::from_vec(v, &[steps]).to_dtype(dtype)
            }
        }
    }

    /// The `n x n` identity in the default float dtype (`torch.eye(n)`).
    pub fn eye(n: usize) -> Tensor {
        Tensor::eye_dtype(n, n, DType::DEFAULT_FLOAT)
    }

    /// The `n x m` identity of `dtype`.
    pub fn eye_dtype(n: usize, m: usize, dtype: DType) -> Tensor {
        let t = Tensor::zeros_dtype(&[n, m], dtype);
        for i in 0..n.min(m) {
            t.set(&[i as isize, i as isize], 1);
        }
        t
    }
}

/// Integer `arange` in `i64` arithmetic, as PyTorch: exact beyond 2^53.
fn arange_i64(start: Scalar, end: Scalar, step: Scalar) -> Tensor {
    let int = |x: Scalar| match x {
        Scalar::Int(i) => i as i128,
        Scalar::Bool(b) => b as i128,
        Scalar::Float(_) => unreachable!("float bounds give a float dtype"),
    };
    let (a, b, h) = (int(start), int(end), int(step));
    assert!(h != 0, "arange: step must be nonzero");
    assert!(
        (h > 0 && b >= a) || (h < 0 && b <= a),
        "arange: upper bound and larger bound inconsistent with step sign (start {a}, end {b}, step {h})"
    );
    let n = arange_len(((b - a + h - h.signum()) / h) as f64, a, b, h);
    Tensor::from_vec(
        alloc_from_fn("arange", &[n], |i| (a + i as i128 * h) as i64),
        &[n],
    )
}

/// The element count of an `arange` whose exact quotient is `steps` (rounded up).
///
/// # Panics
/// If the count does not fit `int64`, as PyTorch: "arange: invalid size".
fn arange_len(
    steps: f64,
    a: impl std::fmt::Display,
    b: impl std::fmt::Display,
    h: impl std::fmt::Display,
) -> usize {
    let n = steps.ceil().max(0.0);
    assert!(
        n < isize::MAX as f64,
        "arange: invalid size, possible overflow? (start {a}, end {b}, step {h} give {n:e} elements)"
    );
    n as usize
}

/// `start + step * i` for the first half, `end - step * (steps - 1 - i)` for the rest,
/// each as one fused multiply-add (as PyTorch's compiled loop); `[start]` for one step.
fn linspace_halves<T: MulAdd + crate::StorageElement>(
    start: T,
    end: T,
    step: T,
    steps: usize,
    of: impl Fn(usize) -> T,
) -> Vec<T> {
    if steps == 1 {
        return vec![start];
    }
    let half = steps / 2;
    alloc_from_fn("linspace", &[steps], |i| {
        if i < half {
            step.mul_add(of(i), start)
        } else {
            (-step).mul_add(of(steps - 1 - i), end)
        }
    })
}

/// `f32` and `f64` with fused multiply-add, for [`linspace_halves`].
trait MulAdd: Copy + std::ops::Neg<Output = Self> {
    fn mul_add(self, a: Self, b: Self) -> Self;
}

macro_rules! impl_mul_add {
    ($($t:ty),*) => {$(
        impl MulAdd for $t {
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$t>::mul_add(self, a, b)
            }
        }
    )*};
}
impl_mul_add!(f32, f64);

#[cfg(test)]
mod tests {
    use crate::{DType, Tensor};

    #[test]
    fn integer_arange_is_exact_beyond_2_pow_53() {
        // Regression: bounds went through f64, so 2^53..2^53+5 had 4 elements.
        let t = Tensor::arange(1i64 << 53, (1i64 << 53) + 5);
        assert_eq!(t.shape(), &[5]);
        assert_eq!(t.get::<i64>(&[1]), (1i64 << 53) + 1);
        assert_eq!(
            Tensor::arange_step(10, 0, -3).to_vec::<i64>(),
            vec![10, 7, 4, 1]
        );
    }

    #[test]
    fn linspace_in_the_dtype_as_torch() {
        // Regressions: f32 values were computed in f64 and rounded once (torch computes in
        // f32), and integer dtypes truncated the f64 values instead of the bounds.
        let v = Tensor::linspace_dtype(1.0, -1.0, 7, DType::F32).to_vec::<f32>();
        let step = (-1.0f32 - 1.0) / 6.0;
        assert_eq!(v[1], 1.0 + step);
        // one rounding, as torch's fused multiply-add: 2^-25, not 0
        assert_eq!(v[3], (-step).mul_add(3.0, -1.0));
        assert!(v[3] > 0.0);
        let i = Tensor::linspace_dtype(-3.3, 7.1, 11, DType::I64).to_vec::<i64>();
        assert_eq!(i, (-3..=7).collect::<Vec<i64>>());
    }

    #[test]
    fn literal_dtypes_and_shapes() {
        let x = tensor!([[1, 2, 3], [4, 5, 6]]);
        assert_eq!((x.dtype(), x.shape()), (DType::I64, &[2usize, 3][..]));
        let s = tensor!(3.5);
        assert_eq!((s.dim(), s.item::<f32>()), (0, 3.5));
        let e = tensor!(Vec::<f64>::new());
        assert_eq!((e.shape(), e.dtype()), (&[0usize][..], DType::F32));
    }

    #[test]
    #[should_panic(expected = "tensor!: expected a sequence of length 2 at dim 1 (got 1)")]
    fn ragged_literal_panics() {
        tensor!(vec![vec![1, 2], vec![3]]);
    }

    #[test]
    fn ranges() {
        let a = Tensor::arange_step(0.0, 1.0, 0.25);
        assert_eq!(a.to_vec::<f32>(), vec![0.0, 0.25, 0.5, 0.75]);
        assert_eq!(Tensor::arange(3, 3).numel(), 0);
        let l = Tensor::linspace(0.0, 1.0, 5);
        assert_eq!(l.to_vec::<f32>(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(Tensor::linspace(2.0, 3.0, 1).to_vec::<f32>(), vec![2.0]);
        assert_eq!(Tensor::eye(2).to_vec::<f32>(), vec![1.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    #[should_panic(expected = "arange: step must be nonzero")]
    fn arange_zero_step_panics() {
        Tensor::arange_step(0, 1, 0);
    }
}
