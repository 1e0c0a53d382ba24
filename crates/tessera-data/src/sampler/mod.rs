//! Samplers (`torch.utils.data.Sampler` and its subclasses): which indices an epoch
//! reads, in which order, and how they are grouped into batches.
//!
//! A [`Sampler`] yields `usize` indices; a batch sampler such as [`BatchSampler`] is a
//! `Sampler<Vec<usize>>`. Samplers are `Clone` (the loader keeps a copy as it was at the
//! start of an epoch to resume mid-epoch), and each [`Sampler::iter`] starts a new pass,
//! drawing fresh randomness from the sampler's generator.

mod batch;
mod distributed;
mod random;
mod sequential;
mod weighted;

pub use batch::BatchSampler;
pub use distributed::{DistributedSampler, DistributedSamplerWrapper};
pub use random::{RandomSampler, SubsetRandomSampler};
pub use sequential::SequentialSampler;
pub use weighted::WeightedRandomSampler;

use tessera_core::{with_default_generator, Generator};

/// A source of indices (or, for batch samplers, of lists of indices) for one epoch at
/// a time (`torch.utils.data.Sampler`).
///
/// Implement it for a `Clone` type; [`SamplerClone`] comes with it.
///
/// ```
/// use tessera_data::sampler::Sampler;
/// #[derive(Clone)]
/// struct Reversed(usize);
/// impl Sampler for Reversed {
///     fn iter(&mut self) -> Box<dyn Iterator<Item = usize> + Send> {
///         Box::new((0..self.0).rev())
///     }
///     fn len(&self) -> usize { self.0 }
/// }
/// assert_eq!(Reversed(3).iter().collect::<Vec<_>>(), vec![2, 1, 0]);
/// ```
pub trait Sampler<T = usize>: Send + SamplerClone<T> {
    /// A new pass (`iter(sampler)`): random samplers draw from their generator here.
    fn iter(&mut self) -> Box<dyn Iterator<Item = T> + Send>;

    /// The number of items one pass yields (`len(sampler)`).
    fn len(&self) -> usize;

    /// Whether a pass yields nothing.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sets the epoch for samplers whose order depends on it ([`DistributedSampler`]);
    /// others ignore it. [`crate::DataLoader::set_epoch`] forwards here.
    fn set_epoch(&mut self, epoch: u64) {
        let _ = epoch;
    }
}

/// Cloning a boxed sampler; implemented for every `Clone` sampler.
pub trait SamplerClone<T> {
    /// A boxed copy, with the generator state as it is now.
    fn box_clone(&self) -> Box<dyn Sampler<T>>;
}

impl<T, S: Sampler<T> + Clone + 'static> SamplerClone<T> for S {
    fn box_clone(&self) -> Box<dyn Sampler<T>> {
        Box::new(self.clone())
    }
}

impl<T: 'static> Clone for Box<dyn Sampler<T>> {
    fn clone(&self) -> Self {
        (**self).box_clone()
    }
}

impl<T: 'static> Sampler<T> for Box<dyn Sampler<T>> {
    fn iter(&mut self) -> Box<dyn Iterator<Item = T> + Send> {
        (**self).iter()
    }
    fn len(&self) -> usize {
        (**self).len()
    }
    fn set_epoch(&mut self, epoch: u64) {
        (**self).set_epoch(epoch)
    }
}

/// A uniformly random permutation of `0..n` (`torch.randperm(n, generator=g)`), by
/// Fisher-Yates over the generator's stream.
pub fn randperm(n: usize, generator: &mut Generator) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = generator.next_below(i + 1);
        v.swap(i, j);
    }
    v
}

/// Runs `f` with the generator for one pass: the sampler's own, or (as PyTorch does
/// without one) a fresh one seeded from the global generator.
pub(crate) fn with_pass_generator<R>(
    own: &mut Option<Generator>,
    f: impl FnOnce(&mut Generator) -> R,
) -> R {
    match own {
        Some(g) => f(g),
        None => f(&mut Generator::new(with_default_generator(|g| {
            g.next_u64()
        }))),
    }
}
