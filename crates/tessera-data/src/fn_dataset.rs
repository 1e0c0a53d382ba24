//! [`FnDataset`]: a map-style dataset from a closure.

use crate::dataset::{check_index, Dataset};
use tessera_core::Result;

/// A dataset of `len` items made by a closure `index -> Result<Item>`.
///
/// ```
/// use tessera_core::Tensor;
/// use tessera_data::{Dataset, FnDataset};
/// let ds = FnDataset::new(4, |i| Ok((Tensor::full(&[2], i as f64), i as i64)));
/// let (x, y) = ds.get(3)?;
/// assert_eq!((x.to_vec::<f32>(), y), (vec![3.0, 3.0], 3));
/// # Ok::<(), tessera_core::Error>(())
/// ```
#[derive(Clone)]
pub struct FnDataset<F> {
    len: usize,
    f: F,
}

impl<F> std::fmt::Debug for FnDataset<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnDataset").field("len", &self.len).finish()
    }
}

impl<T, F> FnDataset<F>
where
    T: Send + 'static,
    F: Fn(usize) -> Result<T> + Send + Sync,
{
    /// `len` items; item `i` is `f(i)`.
    pub fn new(len: usize, f: F) -> FnDataset<F> {
        FnDataset { len, f }
    }
}

impl<T, F> Dataset for FnDataset<F>
where
    T: Send + 'static,
    F: Fn(usize) -> Result<T> + Send + Sync,
{
    type Item = T;

    fn len(&self) -> usize {
        self.len
    }

    /// # Panics
    /// If `index >= len()`, or if the closure panics.
    fn get(&self, index: usize) -> Result<T> {
        check_index("FnDataset", index, self.len);
        (self.f)(index)
    }
}
