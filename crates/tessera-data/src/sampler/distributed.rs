//! [`DistributedSampler`] and [`DistributedSamplerWrapper`]: each of `num_replicas`
//! processes reads its own share of an epoch.

use super::{randperm, Sampler};
use tessera_core::Generator;

/// Checks `num_replicas` and `rank` with PyTorch's messages.
fn check_rank(op: &str, num_replicas: usize, rank: usize) {
    assert!(
        num_replicas > 0,
        "{op}: num_replicas should be a positive integer, but got num_replicas=0"
    );
    assert!(
        rank < num_replicas,
        "{op}: Invalid rank {rank}, rank should be in the interval [0, {}]",
        num_replicas - 1
    );
}

/// The number of indices per rank for `len` indices (PyTorch's `num_samples`).
fn per_rank(len: usize, num_replicas: usize, drop_last: bool) -> usize {
    if drop_last && !len.is_multiple_of(num_replicas) {
        // ceil((len - num_replicas) / num_replicas), i.e. floor(len / num_replicas)
        len / num_replicas
    } else {
        len.div_ceil(num_replicas)
    }
}

/// Pads `indices` by repeating from the head (or truncates with `drop_last`) to
/// `num_samples * num_replicas`, then takes `rank, rank + num_replicas, ...`.
fn shard(mut indices: Vec<usize>, num_replicas: usize, rank: usize, drop_last: bool) -> Vec<usize> {
    let total = per_rank(indices.len(), num_replicas, drop_last) * num_replicas;
    if indices.len() < total {
        let head = indices.clone();
        indices.extend(head.iter().cycle().take(total - head.len()));
    } else {
        indices.truncate(total);
    }
    indices
        .into_iter()
        .skip(rank)
        .step_by(num_replicas)
        .collect()
}

/// The share of a dataset that process `rank` of `num_replicas` reads
/// (`torch.utils.data.distributed.DistributedSampler`).
///
/// Each epoch the indices are a permutation seeded with `seed + epoch` (or `0..len`
/// without `shuffle`), padded by repeating from the head to a multiple of
/// `num_replicas` (or cut to one with `drop_last`), and rank `r` takes every
/// `num_replicas`-th index from position `r`. Call [`Sampler::set_epoch`] (or
/// [`crate::DataLoader::set_epoch`]) before each epoch for a new order.
///
/// ```
/// use tessera_data::sampler::{DistributedSampler, Sampler};
/// let mut s = DistributedSampler::new(5, 2, 1).shuffle(false);
/// assert_eq!(s.iter().collect::<Vec<_>>(), vec![1, 3, 0]); // padded with index 0
/// let mut s = DistributedSampler::new(5, 2, 1).shuffle(false).drop_last(true);
/// assert_eq!(s.iter().collect::<Vec<_>>(), vec![1, 3]);
/// ```
#[derive(Clone, Debug)]
pub struct DistributedSampler {
    len: usize,
    num_replicas: usize,
    rank: usize,
    shuffle: bool,
    seed: u64,
    drop_last: bool,
    epoch: u64,
}

impl DistributedSampler {
    /// Rank `rank` of `num_replicas` over a dataset of length `len`; shuffled with seed
    /// 0, without `drop_last`, as PyTorch's defaults.
    ///
    /// # Panics
    /// If `num_replicas` is 0 or `rank >= num_replicas` (PyTorch: "Invalid rank 2, rank
    /// should be in the interval [0, 1]").
    pub fn new(len: usize, num_replicas: usize, rank: usize) -> DistributedSampler {
        check_rank("DistributedSampler", num_replicas, rank);
        DistributedSampler {
            len,
            num_replicas,
            rank,
            shuffle: true,
            seed: 0,
            drop_last: false,
            epoch: 0,
        }
    }

    /// Whether to shuffle (default `true`).
    pub fn shuffle(mut self, shuffle: bool) -> DistributedSampler {
        self.shuffle = shuffle;
        self
    }

    /// The seed shared by all ranks (default 0).
    pub fn seed(mut self, seed: u64) -> DistributedSampler {
        self.seed = seed;
        self
    }

    /// Whether to cut the tail instead of padding (default `false`).
    pub fn drop_last(mut self, drop_last: bool) -> DistributedSampler {
        self.drop_last = drop_last;
        self
    }

    /// The total length over all ranks (`total_size`).
    pub fn total_size(&self) -> usize {
        self.len() * self.num_replicas
    }
}

impl Sampler for DistributedSampler {
    fn iter(&mut self) -> Box<dyn Iterator<Item = usize> + Send> {
        let indices = if self.shuffle {
            randperm(
                self.len,
                &mut Generator::new(self.seed.wrapping_add(self.epoch)),
            )
        } else {
            (0..self.len).collect()
        };
        let v = shard(indices, self.num_replicas, self.rank, self.drop_last);
        Box::new(v.into_iter())
    }

    fn len(&self) -> usize {
        per_rank(self.len, self.num_replicas, self.drop_last)
    }

    fn set_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
    }
}

/// Any sampler split across `num_replicas` processes: each pass takes the inner
/// sampler's whole pass, pads it from the head (or cuts it with `drop_last`) as
/// [`DistributedSampler`] does, and keeps rank `rank`'s strided share.
///
/// Every rank must see the same inner order: give the inner sampler a generator with the
/// same seed on every rank. [`Sampler::set_epoch`] is forwarded to the inner sampler.
///
/// ```
/// use tessera_core::Generator;
/// use tessera_data::sampler::{DistributedSamplerWrapper, Sampler, WeightedRandomSampler};
/// let inner = WeightedRandomSampler::new(vec![1.0, 2.0, 3.0], 8, true)
///     .generator(Generator::new(7));
/// let mut rank0 = DistributedSamplerWrapper::new(inner.clone(), 2, 0);
/// let mut rank1 = DistributedSamplerWrapper::new(inner, 2, 1);
/// assert_eq!(rank0.iter().count() + rank1.iter().count(), 8);
/// ```
#[derive(Clone)]
pub struct DistributedSamplerWrapper {
    sampler: Box<dyn Sampler>,
    num_replicas: usize,
    rank: usize,
    drop_last: bool,
}

impl std::fmt::Debug for DistributedSamplerWrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistributedSamplerWrapper")
            .field("num_replicas", &self.num_replicas)
            .field("rank", &self.rank)
            .field("drop_last", &self.drop_last)
            .finish()
    }
}

impl DistributedSamplerWrapper {
    /// Rank `rank`'s share of `sampler`'s passes.
    ///
    /// # Panics
    /// As [`DistributedSampler::new`].
    pub fn new(sampler: impl Sampler + 'static, num_replicas: usize, rank: usize) -> Self {
        check_rank("DistributedSamplerWrapper", num_replicas, rank);
        DistributedSamplerWrapper {
            sampler: Box::new(sampler),
            num_replicas,
            rank,
            drop_last: false,
        }
    }

    /// Whether to cut the tail instead of padding (default `false`).
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }
}

impl Sampler for DistributedSamplerWrapper {
    fn iter(&mut self) -> Box<dyn Iterator<Item = usize> + Send> {
        let all: Vec<usize> = self.sampler.iter().collect();
        let v = shard(all, self.num_replicas, self.rank, self.drop_last);
        Box::new(v.into_iter())
    }

    fn len(&self) -> usize {
        per_rank(self.sampler.len(), self.num_replicas, self.drop_last)
    }

    fn set_epoch(&mut self, epoch: u64) {
        self.sampler.set_epoch(epoch);
    }
}
