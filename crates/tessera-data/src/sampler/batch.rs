//! [`BatchSampler`].

use super::Sampler;

/// Groups another sampler's indices into batches of `batch_size`
/// (`torch.utils.data.BatchSampler`); the last batch is shorter, or dropped with
/// `drop_last`.
///
/// ```
/// use tessera_data::sampler::{BatchSampler, Sampler, SequentialSampler};
/// let mut b = BatchSampler::new(SequentialSampler::new(5), 2, false);
/// assert_eq!(b.iter().collect::<Vec<_>>(), vec![vec![0, 1], vec![2, 3], vec![4]]);
/// assert_eq!(b.len(), 3);
/// assert_eq!(BatchSampler::new(SequentialSampler::new(5), 2, true).len(), 2);
/// ```
#[derive(Clone)]
pub struct BatchSampler {
    sampler: Box<dyn Sampler>,
    batch_size: usize,
    drop_last: bool,
}

impl std::fmt::Debug for BatchSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchSampler")
            .field("len", &self.sampler.len())
            .field("batch_size", &self.batch_size)
            .field("drop_last", &self.drop_last)
            .finish()
    }
}

impl BatchSampler {
    /// Batches of `batch_size` indices from `sampler`.
    ///
    /// # Panics
    /// If `batch_size` is 0 (PyTorch: "batch_size should be a positive integer value,
    /// but got batch_size=0").
    pub fn new(
        sampler: impl Sampler + 'static,
        batch_size: usize,
        drop_last: bool,
    ) -> BatchSampler {
        assert!(
            batch_size > 0,
            "BatchSampler: batch_size should be a positive integer value, but got batch_size={batch_size}"
        );
        BatchSampler {
            sampler: Box::new(sampler),
            batch_size,
            drop_last,
        }
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Whether a short last batch is dropped.
    pub fn drop_last(&self) -> bool {
        self.drop_last
    }
}

impl Sampler<Vec<usize>> for BatchSampler {
    fn iter(&mut self) -> Box<dyn Iterator<Item = Vec<usize>> + Send> {
        let mut inner = self.sampler.iter();
        let (size, drop_last) = (self.batch_size, self.drop_last);
        Box::new(std::iter::from_fn(move || {
            let batch: Vec<usize> = inner.by_ref().take(size).collect();
            let full = batch.len() == size;
            (full || (!batch.is_empty() && !drop_last)).then_some(batch)
        }))
    }

    fn len(&self) -> usize {
        let n = self.sampler.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    fn set_epoch(&mut self, epoch: u64) {
        self.sampler.set_epoch(epoch);
    }
}
