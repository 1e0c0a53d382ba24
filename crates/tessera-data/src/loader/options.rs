//! [`DataLoaderBuilder`]: PyTorch's `DataLoader(...)` arguments and their checks.

use super::collate::{default_collate, Collate};
use super::fetch::{CollateFn, FetcherFactory, IterFetcher, MapFetcher};
use super::DataLoader;
use crate::sampler::{BatchSampler, RandomSampler, Sampler, SequentialSampler};
use crate::{Dataset, IterableDataset};
use std::any::TypeId;
use std::sync::Arc;
use std::time::Duration;
use tessera_core::{with_default_generator, Generator, Result};

/// Where a loader reads from.
enum Source<Item> {
    Map(Arc<dyn Dataset<Item = Item>>),
    Iterable(Arc<dyn IterableDataset<Item = Item>>),
}

/// The options, apart from the dataset and the collate function.
pub(crate) struct Options {
    /// `None`: no automatic batching (`batch_size=None`).
    pub(crate) batch_size: Option<usize>,
    pub(crate) shuffle: Option<bool>,
    pub(crate) sampler: Option<Box<dyn Sampler>>,
    pub(crate) batch_sampler: Option<Box<dyn Sampler<Vec<usize>>>>,
    pub(crate) drop_last: bool,
    pub(crate) num_workers: usize,
    pub(crate) prefetch_factor: Option<usize>,
    pub(crate) persistent_workers: bool,
    pub(crate) in_order: bool,
    pub(crate) timeout: Option<Duration>,
    pub(crate) worker_init_fn: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    pub(crate) generator: Option<Generator>,
    pub(crate) progress: bool,
}

/// The options of a [`DataLoader`], set one by one as PyTorch's keyword arguments;
/// [`DataLoaderBuilder::build`] checks them with PyTorch's messages.
///
/// | PyTorch | tessera | default |
/// | --- | --- | --- |
/// | `batch_size=n` / `batch_size=None` | [`batch_size(n)`](Self::batch_size) / [`unbatched()`](Self::unbatched) | 1 |
/// | `shuffle` | [`shuffle`](Self::shuffle) | unspecified (false) |
/// | `sampler`, `batch_sampler` | [`sampler`](Self::sampler), [`batch_sampler`](Self::batch_sampler) | sequential or random |
/// | `drop_last` | [`drop_last`](Self::drop_last) | false |
/// | `collate_fn` | [`collate_fn`](Self::collate_fn) | [`default_collate`] |
/// | `num_workers` (processes) | [`num_workers`](Self::num_workers) (threads) | 0: the calling thread |
/// | `prefetch_factor` | [`prefetch_factor`](Self::prefetch_factor) | 2 with workers |
/// | `persistent_workers` | [`persistent_workers`](Self::persistent_workers) | false |
/// | `in_order` | [`in_order`](Self::in_order) | true |
/// | `timeout` | [`timeout`](Self::timeout) | none |
/// | `worker_init_fn` | [`worker_init_fn`](Self::worker_init_fn) | none |
/// | `generator` | [`generator`](Self::generator) | seeded from the global generator |
/// | (tqdm around the loop) | [`progress`](Self::progress) | false |
pub struct DataLoaderBuilder<Item, Out> {
    source: Source<Item>,
    collate: Arc<CollateFn<Item, Out>>,
    /// The collate function is [`default_collate`] and items collate to their own type.
    collated_hook: bool,
    opts: Options,
}

impl<Item: Send + 'static, Out: Send + 'static> DataLoaderBuilder<Item, Out> {
    fn with_source(source: Source<Item>, collate: Arc<CollateFn<Item, Out>>) -> Self {
        DataLoaderBuilder {
            source,
            collate,
            collated_hook: false,
            opts: Options {
                batch_size: Some(1),
                shuffle: None,
                sampler: None,
                batch_sampler: None,
                drop_last: false,
                num_workers: 0,
                prefetch_factor: None,
                persistent_workers: false,
                in_order: true,
                timeout: None,
                worker_init_fn: None,
                generator: None,
                progress: false,
            },
        }
    }

    /// A builder for a map-style dataset whose items `collate` batches (for items that
    /// do not implement [`Collate`]).
    pub fn with_collate<D>(
        dataset: D,
        collate: impl Fn(Vec<Item>) -> Result<Out> + Send + Sync + 'static,
    ) -> Self
    where
        D: Dataset<Item = Item> + 'static,
    {
        Self::with_source(Source::Map(Arc::new(dataset)), Arc::new(collate))
    }

    /// A builder for an iterable dataset whose items `collate` batches.
    pub fn iterable_with_collate<D>(
        dataset: D,
        collate: impl Fn(Vec<Item>) -> Result<Out> + Send + Sync + 'static,
    ) -> Self
    where
        D: IterableDataset<Item = Item> + 'static,
    {
        Self::with_source(Source::Iterable(Arc::new(dataset)), Arc::new(collate))
    }

    /// Items per batch (`batch_size`, default 1).
    ///
    /// # Panics
    /// If `batch_size` is 0 ("batch_size should be a positive integer value, but got
    /// batch_size=0").
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        assert!(
            batch_size > 0,
            "DataLoader: batch_size should be a positive integer value, but got batch_size={batch_size}"
        );
        self.opts.batch_size = Some(batch_size);
        self
    }

    /// No automatic batching (`batch_size=None`): each sampler index gives one item,
    /// delivered as it is. A [`collate_fn`](Self::collate_fn) set after this gets a
    /// `Vec` of one item (PyTorch's `collate_fn(item)`).
    pub fn unbatched(self) -> DataLoaderBuilder<Item, Item> {
        let mut b = self
            .collate_fn(|mut v: Vec<Item>| Ok(v.pop().expect("an unbatched fetch has one item")));
        b.opts.batch_size = None;
        b
    }

    /// Draws a new random order each epoch (`shuffle=True`): a [`RandomSampler`]
    /// seeded from the loader's generator.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.opts.shuffle = Some(shuffle);
        self
    }

    /// The order of indices (`sampler`); exclusive with `shuffle`.
    pub fn sampler(mut self, sampler: impl Sampler + 'static) -> Self {
        self.opts.sampler = Some(Box::new(sampler));
        self
    }

    /// The batches of indices (`batch_sampler`); exclusive with `batch_size`,
    /// `shuffle`, `sampler` and `drop_last`.
    pub fn batch_sampler(mut self, batch_sampler: impl Sampler<Vec<usize>> + 'static) -> Self {
        self.opts.batch_sampler = Some(Box::new(batch_sampler));
        self
    }

    /// Drops the last batch when it is short (`drop_last`).
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.opts.drop_last = drop_last;
        self
    }

    /// Batches items with `f` instead of [`default_collate`] (`collate_fn`).
    pub fn collate_fn<Out2: Send + 'static>(
        self,
        f: impl Fn(Vec<Item>) -> Result<Out2> + Send + Sync + 'static,
    ) -> DataLoaderBuilder<Item, Out2> {
        DataLoaderBuilder {
            source: self.source,
            collate: Arc::new(f),
            collated_hook: false,
            opts: self.opts,
        }
    }

    /// Worker threads that make batches ahead (`num_workers`; 0, the default, makes
    /// them in the calling thread).
    pub fn num_workers(mut self, num_workers: usize) -> Self {
        self.opts.num_workers = num_workers;
        self
    }

    /// Batches requested ahead per worker (`prefetch_factor`, 2 with workers; it must
    /// be positive).
    pub fn prefetch_factor(mut self, prefetch_factor: usize) -> Self {
        self.opts.prefetch_factor = Some(prefetch_factor);
        self
    }

    /// Keeps the worker threads from one epoch to the next (`persistent_workers`).
    pub fn persistent_workers(mut self, persistent: bool) -> Self {
        self.opts.persistent_workers = persistent;
        self
    }

    /// Delivers batches in the sampler's order (`in_order`, default `true`); with
    /// `false`, in the order workers finish them.
    pub fn in_order(mut self, in_order: bool) -> Self {
        self.opts.in_order = in_order;
        self
    }

    /// How long to wait for a batch from the workers before delivering an `Err`
    /// (`timeout`; only with workers, as in PyTorch).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.opts.timeout = Some(timeout);
        self
    }

    /// Runs `f(worker_id)` at the start of each worker thread (`worker_init_fn`);
    /// [`crate::get_worker_info`] works inside it.
    pub fn worker_init_fn(mut self, f: impl Fn(usize) + Send + Sync + 'static) -> Self {
        self.opts.worker_init_fn = Some(Arc::new(f));
        self
    }

    /// The generator behind shuffling and worker seeds (`generator`): the same
    /// generator seed gives the same batches and worker seeds, run after run.
    pub fn generator(mut self, generator: Generator) -> Self {
        self.opts.generator = Some(generator);
        self
    }

    /// Shows an `indicatif` progress bar over each epoch on stderr (default off).
    pub fn progress(mut self, progress: bool) -> Self {
        self.opts.progress = progress;
        self
    }

    /// Checks the options and makes the loader.
    ///
    /// # Panics
    /// With PyTorch's `ValueError` messages: `prefetch_factor` without workers or 0;
    /// `persistent_workers` without workers; `shuffle(true)`, `sampler` or `batch_sampler`
    /// with an iterable dataset; `sampler` with `shuffle`; `batch_sampler` with
    /// `batch_size`, `shuffle`, `sampler` or `drop_last`; `drop_last` without batching.
    /// Also for `shuffle` on an empty dataset (as `RandomSampler`).
    pub fn build(self) -> DataLoader<Out> {
        let DataLoaderBuilder {
            source,
            collate,
            collated_hook,
            mut opts,
        } = self;
        validate(&opts, matches!(source, Source::Iterable(_)));
        let mut generator = opts
            .generator
            .take()
            .unwrap_or_else(|| Generator::new(with_default_generator(|g| g.next_u64())));
        let (factory, batch_sampler, len): (FetcherFactory<Out>, _, _) = match source {
            Source::Map(dataset) => {
                let bs = map_batch_sampler(&mut opts, dataset.len(), &mut generator);
                let len = Some(bs.len());
                let factory: FetcherFactory<Out> = Arc::new(move || {
                    Box::new(MapFetcher {
                        dataset: dataset.clone(),
                        collate: collate.clone(),
                        collated_hook,
                    })
                });
                (factory, Some(bs), len)
            }
            Source::Iterable(dataset) => {
                let (batch_size, drop_last) = (opts.batch_size, opts.drop_last);
                let len = dataset.len_hint().map(|n| match batch_size {
                    None => n,
                    Some(b) if drop_last => n / b,
                    Some(b) => n.div_ceil(b),
                });
                let factory: FetcherFactory<Out> = Arc::new(move || {
                    Box::new(IterFetcher::new(
                        dataset.clone(),
                        collate.clone(),
                        batch_size,
                        drop_last,
                    ))
                });
                (factory, None, len)
            }
        };
        DataLoader::from_parts(factory, batch_sampler, len, generator, opts)
    }
}

/// Checks the options as `DataLoader.__init__` does.
fn validate(o: &Options, iterable: bool) {
    if o.num_workers == 0 {
        assert!(
            o.prefetch_factor.is_none(),
            "DataLoader: prefetch_factor option could only be specified in multiprocessing. \
             let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        );
        assert!(
            !o.persistent_workers,
            "DataLoader: persistent_workers option needs num_workers > 0"
        );
    }
    assert!(
        o.prefetch_factor != Some(0),
        "DataLoader: prefetch_factor option should be positive, but got prefetch_factor=0"
    );
    if iterable {
        // As in PyTorch, shuffle=False is accepted.
        assert!(
            o.shuffle != Some(true),
            "DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=true"
        );
        assert!(
            o.sampler.is_none(),
            "DataLoader with IterableDataset: expected unspecified sampler option, but got a sampler"
        );
        assert!(
            o.batch_sampler.is_none(),
            "DataLoader with IterableDataset: expected unspecified batch_sampler option, but got a batch_sampler"
        );
    }
    let shuffle = o.shuffle.unwrap_or(false);
    assert!(
        !(o.sampler.is_some() && shuffle),
        "DataLoader: sampler option is mutually exclusive with shuffle"
    );
    if o.batch_sampler.is_some() {
        assert!(
            o.batch_size == Some(1) && !shuffle && o.sampler.is_none() && !o.drop_last,
            "DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
        );
    }
    assert!(
        !(o.batch_size.is_none() && o.drop_last),
        "DataLoader: batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
    );
}

/// The batch sampler a map-style loader uses: the given one, or the sampler (given,
/// random or sequential) in batches; without batching, batches of one index.
fn map_batch_sampler(
    o: &mut Options,
    len: usize,
    generator: &mut Generator,
) -> Box<dyn Sampler<Vec<usize>>> {
    if let Some(bs) = o.batch_sampler.take() {
        return bs;
    }
    let sampler: Box<dyn Sampler> = match o.sampler.take() {
        Some(s) => s,
        None if o.shuffle == Some(true) => Box::new(
            RandomSampler::new(len, false, None).generator(Generator::new(generator.next_u64())),
        ),
        None => Box::new(SequentialSampler::new(len)),
    };
    match o.batch_size {
        Some(b) => Box::new(BatchSampler::new(sampler, b, o.drop_last)),
        None => Box::new(BatchSampler::new(sampler, 1, false)),
    }
}

impl<Item: Collate> DataLoaderBuilder<Item, Item::Output> {
    fn default_map<D: Dataset<Item = Item> + 'static>(dataset: D) -> Self {
        let mut b = Self::with_collate(dataset, default_collate::<Item>);
        b.collated_hook = TypeId::of::<Item>() == TypeId::of::<Item::Output>();
        b
    }

    fn default_iterable<D: IterableDataset<Item = Item> + 'static>(dataset: D) -> Self {
        Self::iterable_with_collate(dataset, default_collate::<Item>)
    }
}

impl<Out: Send + 'static> DataLoader<Out> {
    /// A builder over a map-style dataset, batching with [`default_collate`].
    ///
    /// ```
    /// use tessera_data::{DataLoader, FnDataset};
    /// let loader = DataLoader::builder(FnDataset::new(10, |i| Ok(i as f64)))
    ///     .batch_size(4)
    ///     .drop_last(true)
    ///     .build();
    /// assert_eq!(loader.len(), 2);
    /// ```
    pub fn builder<D>(dataset: D) -> DataLoaderBuilder<D::Item, Out>
    where
        D: Dataset + 'static,
        D::Item: Collate<Output = Out>,
    {
        DataLoaderBuilder::default_map(dataset)
    }

    /// A builder over an iterable dataset, batching with [`default_collate`]. Each
    /// worker makes whole batches from its own pass over the stream; batches come
    /// from the workers in turn.
    ///
    /// ```
    /// use tessera_data::{DataLoader, IterFnDataset};
    /// let ds = IterFnDataset::new(|| (0..5i64).map(Ok));
    /// let batches: Vec<Vec<i64>> = DataLoader::iterable_builder(ds)
    ///     .batch_size(2)
    ///     .build()
    ///     .map(|b| b.unwrap().to_vec::<i64>())
    ///     .collect();
    /// assert_eq!(batches, vec![vec![0, 1], vec![2, 3], vec![4]]);
    /// ```
    pub fn iterable_builder<D>(dataset: D) -> DataLoaderBuilder<D::Item, Out>
    where
        D: IterableDataset + 'static,
        D::Item: Collate<Output = Out>,
    {
        DataLoaderBuilder::default_iterable(dataset)
    }
}
