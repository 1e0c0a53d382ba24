//! Streaming datasets: [`IterableDataset`], [`ChainDataset`] and [`IterFnDataset`].

use std::sync::Arc;
use tessera_core::Result;

/// A stream of items (`torch.utils.data.IterableDataset`).
///
/// Each call to [`IterableDataset::iter`] starts the stream again. With several loader
/// workers every worker calls `iter` and, as in PyTorch, gets the whole stream unless the
/// dataset shards itself with [`crate::get_worker_info`]:
///
/// ```
/// use tessera_core::Result;
/// use tessera_data::{get_worker_info, IterableDataset};
///
/// struct Range(usize);
/// impl IterableDataset for Range {
///     type Item = usize;
///     fn iter(&self) -> Box<dyn Iterator<Item = Result<usize>> + Send> {
///         // Worker k of n takes k, k + n, k + 2n, ...; outside a worker, everything.
///         let (id, n) = get_worker_info().map_or((0, 1), |w| (w.id, w.num_workers));
///         Box::new((id..self.0).step_by(n).map(Ok))
///     }
/// }
/// let all: Vec<usize> = Range(5).iter().map(|r| r.unwrap()).collect();
/// assert_eq!(all, vec![0, 1, 2, 3, 4]);
/// ```
pub trait IterableDataset: Send + Sync {
    /// What the stream yields.
    type Item: Send + 'static;

    /// A new pass over the stream. The iterator owns what it reads (clone an `Arc` of
    /// shared data into it), so that loader threads can run it.
    fn iter(&self) -> Box<dyn Iterator<Item = Result<Self::Item>> + Send>;

    /// The number of items, when known (PyTorch's optional `__len__`); used for the
    /// loader's `len()`.
    fn len_hint(&self) -> Option<usize> {
        None
    }
}

/// `Arc<D>` and `Box<D>` are streams that read `D`.
macro_rules! forward_iterable {
    ($($ptr:ident),*) => {$(
        impl<D: IterableDataset + ?Sized> IterableDataset for $ptr<D> {
            type Item = D::Item;
            fn iter(&self) -> Box<dyn Iterator<Item = Result<Self::Item>> + Send> {
                (**self).iter()
            }
            fn len_hint(&self) -> Option<usize> {
                (**self).len_hint()
            }
        }
    )*};
}
forward_iterable!(Arc, Box);

/// Streams one after another (`torch.utils.data.ChainDataset`).
///
/// ```
/// use tessera_data::{ChainDataset, IterableDataset, IterFnDataset};
/// let stream = |start: i32| IterFnDataset::new(move || (start..start + 2).map(Ok));
/// let ds = ChainDataset::new(vec![stream(0), stream(10)]);
/// let v: Vec<i32> = ds.iter().map(|r| r.unwrap()).collect();
/// assert_eq!(v, vec![0, 1, 10, 11]);
/// ```
#[derive(Clone, Debug)]
pub struct ChainDataset<D> {
    datasets: Arc<[D]>,
}

impl<D: IterableDataset + 'static> ChainDataset<D> {
    /// The streams of `datasets`, in order.
    pub fn new(datasets: Vec<D>) -> ChainDataset<D> {
        ChainDataset {
            datasets: datasets.into(),
        }
    }
}

impl<D: IterableDataset + 'static> IterableDataset for ChainDataset<D> {
    type Item = D::Item;

    fn iter(&self) -> Box<dyn Iterator<Item = Result<D::Item>> + Send> {
        let datasets = self.datasets.clone();
        Box::new((0..datasets.len()).flat_map(move |k| datasets[k].iter()))
    }

    /// The sum of the lengths, when every dataset knows its own.
    fn len_hint(&self) -> Option<usize> {
        self.datasets.iter().map(|d| d.len_hint()).sum()
    }
}

/// A stream from a closure that starts a new iterator of `Result<Item>` on each pass.
///
/// ```
/// use tessera_data::{IterableDataset, IterFnDataset};
/// let ds = IterFnDataset::new(|| (0..3).map(|i| Ok(i * i)));
/// assert_eq!(ds.iter().count(), 3);
/// ```
#[derive(Clone)]
pub struct IterFnDataset<F> {
    f: F,
    len: Option<usize>,
}

impl<F> std::fmt::Debug for IterFnDataset<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IterFnDataset")
            .field("len", &self.len)
            .finish()
    }
}

impl<T, I, F> IterFnDataset<F>
where
    T: Send + 'static,
    I: Iterator<Item = Result<T>> + Send + 'static,
    F: Fn() -> I + Send + Sync,
{
    /// A stream whose passes are `f()`.
    pub fn new(f: F) -> IterFnDataset<F> {
        IterFnDataset { f, len: None }
    }

    /// Declares the number of items per pass (for the loader's `len()`).
    pub fn with_len(mut self, len: usize) -> IterFnDataset<F> {
        self.len = Some(len);
        self
    }
}

impl<T, I, F> IterableDataset for IterFnDataset<F>
where
    T: Send + 'static,
    I: Iterator<Item = Result<T>> + Send + 'static,
    F: Fn() -> I + Send + Sync,
{
    type Item = T;

    fn iter(&self) -> Box<dyn Iterator<Item = Result<T>> + Send> {
        Box::new((self.f)())
    }

    fn len_hint(&self) -> Option<usize> {
        self.len
    }
}
