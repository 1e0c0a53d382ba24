//! [`DataLoader`] (`torch.utils.data.DataLoader`): batches from a dataset, made in the
//! calling thread or by worker threads, epoch after epoch.

pub mod collate;
mod fetch;
mod options;
mod run;
pub mod state;
pub mod worker;

pub use options::DataLoaderBuilder;

use crate::sampler::Sampler;
use fetch::FetcherFactory;
use options::Options;
use run::Run;
use state::LoaderState;
use std::sync::Arc;
use std::time::Duration;
use tessera_core::{Generator, Result};
use worker::Pool;

/// How long dropping a loader (or ending an epoch) waits for worker threads to finish
/// the item in hand when no timeout is set.
pub const DROP_WAIT: Duration = Duration::from_secs(1);

/// Batches from a dataset, epoch after epoch (`torch.utils.data.DataLoader`).
///
/// A `DataLoader` is an iterator of `Result<batch>`: it yields the batches of one epoch,
/// then `None` once, and the next call begins the next epoch, so `for b in &mut loader`
/// runs one epoch. [`DataLoader::len`] is the number of batches per epoch.
///
/// With [`num_workers`](DataLoaderBuilder::num_workers) above 0, worker threads make
/// up to `prefetch_factor * num_workers` batches ahead. With `in_order` (the default)
/// batch `k` goes to worker `k % num_workers` and batches arrive in the sampler's order,
/// identical to `num_workers = 0`; without it, each batch goes to the least busy worker
/// and batches arrive as they are finished.
/// Each epoch draws one base seed from the loader's generator; worker `k` sees
/// `base + k` in [`crate::get_worker_info`].
///
/// An item whose `get` returns `Err` or panics, and a panicking collate function,
/// give an `Err` for that batch naming the index; with a timeout, a batch that takes
/// too long gives an `Err` (and is still delivered if it arrives later). No batch is
/// dropped silently. Dropping the loader mid-epoch stops its workers: each finishes
/// the item in hand and exits, and the drop waits for them (at most the timeout, or
/// [`DROP_WAIT`] without one; a worker stuck in an item is then left to exit when the
/// item returns, so the drop never hangs).
///
/// ```
/// use tessera_core::{Generator, Tensor};
/// use tessera_data::{DataLoader, TensorDataset};
/// let ds = TensorDataset::new(vec![Tensor::randn(&[100, 3]), Tensor::arange(0, 100)]);
/// let mut loader = DataLoader::builder(ds)
///     .batch_size(32)
///     .shuffle(true)
///     .num_workers(2)
///     .generator(Generator::new(0))
///     .build();
/// for epoch in 0..2 {
///     let mut rows = 0;
///     for batch in &mut loader {
///         let batch = batch?;
///         rows += batch[0].shape()[0];
///     }
///     assert_eq!(rows, 100);
/// }
/// # Ok::<(), tessera_core::Error>(())
/// ```
pub struct DataLoader<Out> {
    factory: FetcherFactory<Out>,
    /// `None` for iterable datasets.
    batch_sampler: Option<Box<dyn Sampler<Vec<usize>>>>,
    len: Option<usize>,
    generator: Generator,
    num_workers: usize,
    prefetch_factor: usize,
    persistent_workers: bool,
    in_order: bool,
    timeout: Option<Duration>,
    worker_init_fn: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    progress: bool,
    /// Epochs begun so far.
    epoch: u64,
    /// Ids of runs, so that a persistent pool's stale replies are recognized.
    next_run_id: u64,
    /// Persistent workers, with the base seed they started with.
    pool: Option<(Pool<Out>, u64)>,
    current: Option<Run<Out>>,
    /// Set by `load_state_dict`: how to begin the next run.
    resume: Option<LoaderState>,
}

impl<Out: Send + 'static> DataLoader<Out> {
    fn from_parts(
        factory: FetcherFactory<Out>,
        batch_sampler: Option<Box<dyn Sampler<Vec<usize>>>>,
        len: Option<usize>,
        generator: Generator,
        opts: Options,
    ) -> DataLoader<Out> {
        DataLoader {
            factory,
            batch_sampler,
            len,
            generator,
            num_workers: opts.num_workers,
            prefetch_factor: opts.prefetch_factor.unwrap_or(2),
            persistent_workers: opts.persistent_workers,
            in_order: opts.in_order,
            timeout: opts.timeout,
            worker_init_fn: opts.worker_init_fn,
            progress: opts.progress,
            epoch: 0,
            next_run_id: 0,
            pool: None,
            current: None,
            resume: None,
        }
    }

    /// The number of batches per epoch (`len(loader)`).
    ///
    /// # Panics
    /// For an iterable dataset that does not know its length
    /// ([`crate::IterableDataset::len_hint`] is `None`), as PyTorch raises `TypeError`.
    /// For an iterable dataset with several workers the count is the dataset's length in
    /// batches; workers that each make a short last batch can give more.
    pub fn len(&self) -> usize {
        self.len
            .expect("DataLoader::len: the IterableDataset has no len_hint")
    }

    /// Whether an epoch has no batches.
    pub fn is_empty(&self) -> bool {
        self.len == Some(0)
    }

    /// The number of epochs begun.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Sets the epoch of the sampler ([`Sampler::set_epoch`], e.g. a
    /// [`crate::sampler::DistributedSampler`]'s `sampler.set_epoch(epoch)`); takes effect
    /// at the next epoch.
    pub fn set_epoch(&mut self, epoch: u64) {
        if let Some(s) = self.batch_sampler.as_mut() {
            s.set_epoch(epoch);
        }
    }

    /// Where the loader is: the epoch as it began and the batches delivered so far
    /// (see [`LoaderState`]). Between epochs, the start of the next one.
    pub fn state_dict(&self) -> LoaderState {
        match (&self.current, &self.resume) {
            (Some(run), _) => run.state(),
            (None, Some(r)) => r.clone(),
            (None, None) => LoaderState {
                epoch: self.epoch,
                generator: self.generator.clone(),
                sampler: self.batch_sampler.clone(),
                pool_seed: self.pool.as_ref().map(|p| p.1),
                delivered: Vec::new(),
            },
        }
    }

    /// Resumes from `state`: the next batches are those of `state`'s epoch that it had
    /// not delivered, in the same order, then the following epochs as the original
    /// loader would have made them. An epoch in progress is abandoned.
    ///
    /// # Panics
    /// If the state is from a loader of the other kind (map-style and iterable).
    pub fn load_state_dict(&mut self, state: LoaderState) {
        assert_eq!(
            state.sampler.is_some(),
            self.batch_sampler.is_some(),
            "DataLoader::load_state_dict: the state is from a loader over another kind of dataset"
        );
        self.current = None;
        self.pool = None;
        self.resume = Some(state);
    }

    /// Begins an epoch: from a resumed state, or from the loader's own.
    fn begin(&mut self) -> Run<Out> {
        let mut skip = Vec::new();
        let mut pool_seed = None;
        if let Some(st) = self.resume.take() {
            self.epoch = st.epoch;
            self.generator = st.generator;
            self.batch_sampler = st.sampler;
            pool_seed = st.pool_seed;
            skip = st.delivered;
        }
        let start = LoaderState {
            epoch: self.epoch,
            generator: self.generator.clone(),
            sampler: self.batch_sampler.clone(),
            pool_seed: pool_seed.or(self.pool.as_ref().map(|p| p.1)),
            delivered: Vec::new(),
        };
        let base_seed = self.generator.next_u64();
        let batches = self.batch_sampler.as_mut().map(|s| s.iter());
        self.epoch += 1;
        let id = self.next_run_id;
        self.next_run_id += 1;
        let mut own_pool = None;
        if self.num_workers > 0 {
            let seed = start.pool_seed.unwrap_or(base_seed);
            let make = || {
                Pool::start(
                    self.num_workers,
                    seed,
                    self.factory.clone(),
                    self.worker_init_fn.clone(),
                    self.timeout.unwrap_or(DROP_WAIT),
                    self.batch_sampler.is_none(),
                )
            };
            if self.persistent_workers {
                if self.pool.is_none() {
                    self.pool = Some((make(), seed));
                }
            } else {
                own_pool = Some(make());
            }
        }
        let mut start = start;
        if self.persistent_workers {
            start.pool_seed = self.pool.as_ref().map(|p| p.1);
        }
        let inline = (self.num_workers == 0).then(|| (self.factory)());
        Run::new(run::RunSetup {
            id,
            start,
            batches,
            skip,
            own_pool,
            inline,
            num_workers: self.num_workers,
            max_in_flight: self.prefetch_factor * self.num_workers,
            in_order: self.in_order,
            timeout: self.timeout,
            progress: self.progress.then_some(self.len).flatten(),
        })
    }
}

impl<Out> std::fmt::Debug for DataLoader<Out> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataLoader")
            .field("len", &self.len)
            .field("iterable", &self.batch_sampler.is_none())
            .field("num_workers", &self.num_workers)
            .field("persistent_workers", &self.persistent_workers)
            .field("in_order", &self.in_order)
            .field("timeout", &self.timeout)
            .field("epoch", &self.epoch)
            .field("in_epoch", &self.current.is_some())
            .finish_non_exhaustive()
    }
}

impl<Out: Send + 'static> Iterator for DataLoader<Out> {
    type Item = Result<Out>;

    /// The next batch of the epoch, or `None` at its end (the next call begins the next
    /// epoch).
    fn next(&mut self) -> Option<Result<Out>> {
        if self.current.is_none() {
            let run = self.begin();
            self.current = Some(run);
        }
        let run = self.current.as_mut().expect("a run was just begun");
        let pool = self.pool.as_ref().map(|p| &p.0);
        match run.next(pool) {
            Some(batch) => Some(batch),
            None => {
                self.current = None;
                None
            }
        }
    }

    /// The batches left in the current epoch, when known.
    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.batch_sampler.is_none() {
            return (0, None); // streams may give more or fewer batches than len_hint
        }
        match (&self.current, self.len) {
            (Some(run), Some(n)) => {
                let left = n.saturating_sub(run.delivered());
                (0, Some(left))
            }
            (None, Some(n)) => (0, Some(n)),
            _ => (0, None),
        }
    }
}
