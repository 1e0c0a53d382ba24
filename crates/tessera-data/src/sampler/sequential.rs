//! [`SequentialSampler`].

use super::Sampler;

/// `0, 1, ..., len - 1` (`torch.utils.data.SequentialSampler`).
///
/// ```
/// use tessera_data::sampler::{Sampler, SequentialSampler};
/// assert_eq!(SequentialSampler::new(3).iter().collect::<Vec<_>>(), vec![0, 1, 2]);
/// ```
#[derive(Clone, Debug)]
pub struct SequentialSampler {
    len: usize,
}

impl SequentialSampler {
    /// The indices of a dataset of length `len`.
    pub fn new(len: usize) -> SequentialSampler {
        SequentialSampler { len }
    }
}

impl Sampler for SequentialSampler {
    fn iter(&mut self) -> Box<dyn Iterator<Item = usize> + Send> {
        Box::new(0..self.len)
    }
    fn len(&self) -> usize {
        self.len
    }
}
