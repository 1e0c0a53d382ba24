//! Every DataLoader option error, with PyTorch's ValueError messages.

use tessera_core::Result;
use tessera_data::sampler::{BatchSampler, SequentialSampler};
use tessera_data::{DataLoader, FnDataset, IterFnDataset};

macro_rules! option_error {
    ($name:ident, $msg:literal, $build:expr) => {
        #[test]
        #[should_panic(expected = $msg)]
        fn $name() {
            let _ = $build;
        }
    };
}

fn ints() -> FnDataset<fn(usize) -> Result<i64>> {
    FnDataset::new(4, |i| Ok(i as i64))
}

/// A stream of 0..4.
type Stream = IterFnDataset<fn() -> std::vec::IntoIter<Result<i64>>>;

fn stream() -> Stream {
    IterFnDataset::new(|| (0..4).map(Ok).collect::<Vec<_>>().into_iter())
}

option_error!(
    batch_size_zero,
    "batch_size should be a positive integer value, but got batch_size=0",
    DataLoader::builder(ints()).batch_size(0)
);
option_error!(
    prefetch_without_workers,
    "prefetch_factor option could only be specified in multiprocessing",
    DataLoader::builder(ints()).prefetch_factor(2).build()
);
option_error!(
    prefetch_zero,
    "prefetch_factor option should be positive",
    DataLoader::builder(ints())
        .num_workers(1)
        .prefetch_factor(0)
        .build()
);
option_error!(
    persistent_without_workers,
    "persistent_workers option needs num_workers > 0",
    DataLoader::builder(ints()).persistent_workers(true).build()
);
option_error!(
    sampler_and_shuffle,
    "sampler option is mutually exclusive with shuffle",
    DataLoader::builder(ints())
        .sampler(SequentialSampler::new(4))
        .shuffle(true)
        .build()
);
option_error!(
    batch_sampler_and_batch_size,
    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last",
    DataLoader::builder(ints())
        .batch_sampler(BatchSampler::new(SequentialSampler::new(4), 2, false))
        .batch_size(2)
        .build()
);
option_error!(
    batch_sampler_and_shuffle,
    "batch_sampler option is mutually exclusive",
    DataLoader::builder(ints())
        .batch_sampler(BatchSampler::new(SequentialSampler::new(4), 2, false))
        .shuffle(true)
        .build()
);
option_error!(
    batch_sampler_and_sampler,
    "batch_sampler option is mutually exclusive",
    DataLoader::builder(ints())
        .batch_sampler(BatchSampler::new(SequentialSampler::new(4), 2, false))
        .sampler(SequentialSampler::new(4))
        .build()
);
option_error!(
    batch_sampler_and_drop_last,
    "batch_sampler option is mutually exclusive",
    DataLoader::builder(ints())
        .batch_sampler(BatchSampler::new(SequentialSampler::new(4), 2, false))
        .drop_last(true)
        .build()
);
option_error!(
    unbatched_and_drop_last,
    "batch_size=None option disables auto-batching and is mutually exclusive with drop_last",
    DataLoader::builder(ints())
        .unbatched()
        .drop_last(true)
        .build()
);
option_error!(
    iterable_shuffle,
    "DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=true",
    DataLoader::iterable_builder(stream()).shuffle(true).build()
);
option_error!(
    iterable_sampler,
    "DataLoader with IterableDataset: expected unspecified sampler option",
    DataLoader::iterable_builder(stream())
        .sampler(SequentialSampler::new(4))
        .build()
);
option_error!(
    iterable_batch_sampler,
    "DataLoader with IterableDataset: expected unspecified batch_sampler option",
    DataLoader::iterable_builder(stream())
        .batch_sampler(BatchSampler::new(SequentialSampler::new(4), 2, false))
        .build()
);
option_error!(
    shuffle_empty,
    "num_samples should be a positive integer value, but got num_samples=0",
    DataLoader::builder(FnDataset::new(0, |i| Ok(i as i64)))
        .shuffle(true)
        .build()
);
option_error!(
    iterable_len_unknown,
    "the IterableDataset has no len_hint",
    DataLoader::iterable_builder(stream()).build().len()
);
