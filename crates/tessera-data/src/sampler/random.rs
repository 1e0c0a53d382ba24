//! [`RandomSampler`] and [`SubsetRandomSampler`].

use super::{randperm, with_pass_generator, Sampler};
use tessera_core::Generator;

/// Random indices of a dataset of length `len` (`torch.utils.data.RandomSampler`):
/// without replacement, `num_samples // len` full permutations then the head of one
/// more; with replacement, independent uniform draws.
///
/// Without a generator each pass seeds a fresh one from the global generator
/// ([`tessera_core::manual_seed`]), as PyTorch does.
///
/// ```
/// use tessera_core::Generator;
/// use tessera_data::sampler::{RandomSampler, Sampler};
/// let mut s = RandomSampler::new(5, false, None).generator(Generator::new(0));
/// let mut pass: Vec<usize> = s.iter().collect();
/// pass.sort();
/// assert_eq!(pass, vec![0, 1, 2, 3, 4]);
/// ```
#[derive(Clone, Debug)]
pub struct RandomSampler {
    data_len: usize,
    replacement: bool,
    num_samples: usize,
    generator: Option<Generator>,
}

impl RandomSampler {
    /// A sampler over `len` items; `num_samples` defaults to `len`.
    ///
    /// # Panics
    /// If the number of samples is 0 (PyTorch: "num_samples should be a positive integer
    /// value, but got num_samples=0"), which includes an empty dataset without
    /// `num_samples`; or if `num_samples` is set but `len` is 0.
    pub fn new(len: usize, replacement: bool, num_samples: Option<usize>) -> RandomSampler {
        let n = num_samples.unwrap_or(len);
        assert!(
            n > 0,
            "RandomSampler: num_samples should be a positive integer value, but got num_samples={n}"
        );
        assert!(
            len > 0,
            "RandomSampler: cannot draw {n} samples from an empty dataset"
        );
        RandomSampler {
            data_len: len,
            replacement,
            num_samples: n,
            generator: None,
        }
    }

    /// Draws from `generator` instead of the global one.
    pub fn generator(mut self, generator: Generator) -> RandomSampler {
        self.generator = Some(generator);
        self
    }

    /// Whether indices are drawn with replacement.
    pub fn replacement(&self) -> bool {
        self.replacement
    }
}

impl Sampler for RandomSampler {
    fn iter(&mut self) -> Box<dyn Iterator<Item = usize> + Send> {
        let (n, k, replacement) = (self.data_len, self.num_samples, self.replacement);
        let v = with_pass_generator(&mut self.generator, |g| {
            if replacement {
                (0..k).map(|_| g.next_below(n)).collect()
            } else {
                let mut v = Vec::with_capacity(k);
                for _ in 0..k / n {
                    v.extend(randperm(n, g));
                }
                if k % n > 0 {
                    v.extend_from_slice(&randperm(n, g)[..k % n]);
                }
                v
            }
        });
        Box::new(v.into_iter())
    }

    fn len(&self) -> usize {
        self.num_samples
    }
}

/// The given indices in a random order, a new one each pass
/// (`torch.utils.data.SubsetRandomSampler`).
///
/// ```
/// use tessera_core::Generator;
/// use tessera_data::sampler::{Sampler, SubsetRandomSampler};
/// let mut s = SubsetRandomSampler::new(vec![10, 20, 30]).generator(Generator::new(1));
/// let mut pass: Vec<usize> = s.iter().collect();
/// pass.sort();
/// assert_eq!(pass, vec![10, 20, 30]);
/// ```
#[derive(Clone, Debug)]
pub struct SubsetRandomSampler {
    indices: Vec<usize>,
    generator: Option<Generator>,
}

impl SubsetRandomSampler {
    /// A sampler over `indices`.
    pub fn new(indices: Vec<usize>) -> SubsetRandomSampler {
        SubsetRandomSampler {
            indices,
            generator: None,
        }
    }

    /// Draws from `generator` instead of the global one.
    pub fn generator(mut self, generator: Generator) -> SubsetRandomSampler {
        self.generator = Some(generator);
        self
    }
}

impl Sampler for SubsetRandomSampler {
    fn iter(&mut self) -> Box<dyn Iterator<Item = usize> + Send> {
        let n = self.indices.len();
        let perm = with_pass_generator(&mut self.generator, |g| randperm(n, g));
        let v: Vec<usize> = perm.into_iter().map(|i| self.indices[i]).collect();
        Box::new(v.into_iter())
    }

    fn len(&self) -> usize {
        self.indices.len()
    }
}
