//! [`LoaderState`]: where a loader is, to resume mid-epoch.

use crate::sampler::Sampler;
use tessera_core::Generator;

/// A snapshot of a [`crate::DataLoader`]'s progress ([`crate::DataLoader::state_dict`]):
/// the epoch, the generator and batch sampler as they were when the epoch began, and
/// which batches of it were delivered. [`crate::DataLoader::load_state_dict`] on a loader
/// built with the same dataset and options then delivers exactly the batches that were
/// not delivered, the same ones the original loader would have, and goes on with the
/// following epochs as it would have.
///
/// For an iterable dataset the streams are replayed and the delivered batches skipped;
/// that is exact when the streams are the same from pass to pass and batches come
/// `in_order` (the default): out of order, which batch a position holds depends on
/// timing.
///
/// The snapshot lives in memory (it holds the sampler and generator state); it is not a
/// file format.
///
/// ```
/// use tessera_core::{Generator, Tensor};
/// use tessera_data::{DataLoader, TensorDataset};
/// let ds = TensorDataset::new(vec![Tensor::arange(0, 10)]);
/// let build = || DataLoader::builder(ds.clone()).batch_size(3).shuffle(true)
///     .generator(Generator::new(5)).build();
/// let mut a = build();
/// a.next().unwrap()?; // one batch delivered
/// let state = a.state_dict();
/// let rest_a: Vec<_> = a.by_ref().map(|b| b.unwrap()[0].to_vec::<i64>()).collect();
/// let mut b = build();
/// b.load_state_dict(state);
/// let rest_b: Vec<_> = b.by_ref().map(|b| b.unwrap()[0].to_vec::<i64>()).collect();
/// assert_eq!(rest_a, rest_b);
/// # Ok::<(), tessera_core::Error>(())
/// ```
#[derive(Clone)]
pub struct LoaderState {
    /// The number of epochs begun before this one.
    pub(crate) epoch: u64,
    /// The loader's generator at the start of the epoch.
    pub(crate) generator: Generator,
    /// The batch sampler at the start of the epoch (map-style loaders).
    pub(crate) sampler: Option<Box<dyn Sampler<Vec<usize>>>>,
    /// The base seed of persistent workers, when they were running.
    pub(crate) pool_seed: Option<u64>,
    /// The positions (in the epoch's batch order) of the batches delivered.
    pub(crate) delivered: Vec<usize>,
}

impl LoaderState {
    /// The epoch this state is in (0 for the first).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// How many batches of the epoch were delivered.
    pub fn batches_delivered(&self) -> usize {
        self.delivered.len()
    }
}

impl std::fmt::Debug for LoaderState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoaderState")
            .field("epoch", &self.epoch)
            .field("delivered", &self.delivered)
            .field("pool_seed", &self.pool_seed)
            .finish_non_exhaustive()
    }
}
