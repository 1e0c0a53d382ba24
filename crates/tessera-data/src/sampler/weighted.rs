//! [`WeightedRandomSampler`].

use super::{with_pass_generator, Sampler};
use tessera_core::Generator;

/// Indices `0..weights.len()` drawn with probabilities proportional to `weights`
/// (`torch.utils.data.WeightedRandomSampler`, which calls `torch.multinomial`).
///
/// With replacement each draw is independent (inverse CDF over the cumulative weights,
/// a binary search per draw); without replacement, items are drawn one after another
/// in proportion to the remaining weights (exponential keys: the `num_samples` smallest
/// `-ln(u) / w`). Unlike `torch.multinomial` there is no cap of 2^24 categories.
///
/// ```
/// use tessera_core::Generator;
/// use tessera_data::sampler::{Sampler, WeightedRandomSampler};
/// let mut s = WeightedRandomSampler::new(vec![0.0, 1.0, 3.0], 1000, true)
///     .generator(Generator::new(0));
/// let draws: Vec<usize> = s.iter().collect();
/// assert!(!draws.contains(&0));
/// let twos = draws.iter().filter(|&&i| i == 2).count();
/// assert!((650..850).contains(&twos)); // about 3/4
/// ```
#[derive(Clone, Debug)]
pub struct WeightedRandomSampler {
    weights: Vec<f64>,
    num_samples: usize,
    replacement: bool,
    generator: Option<Generator>,
}

impl WeightedRandomSampler {
    /// A sampler drawing `num_samples` indices with the given weights.
    ///
    /// # Panics
    /// With PyTorch's messages (which PyTorch raises at the first pass): if
    /// `num_samples` is 0; if a weight is negative, infinite or NaN; if the weights sum
    /// to 0; or, without replacement, if `num_samples` exceeds the number of categories
    /// or of non-zero weights.
    pub fn new(weights: Vec<f64>, num_samples: usize, replacement: bool) -> WeightedRandomSampler {
        assert!(
            num_samples > 0,
            "WeightedRandomSampler: num_samples should be a positive integer value, but got num_samples={num_samples}"
        );
        assert!(
            weights.iter().all(|w| w.is_finite() && *w >= 0.0),
            "WeightedRandomSampler: probability tensor contains either `inf`, `nan` or element < 0"
        );
        assert!(
            weights.iter().sum::<f64>() > 0.0,
            "WeightedRandomSampler: invalid multinomial distribution (sum of probabilities <= 0)"
        );
        if !replacement {
            assert!(
                num_samples <= weights.len(),
                "WeightedRandomSampler: cannot sample n_sample > prob_dist.size(-1) samples without replacement \
                 ({num_samples} > {})",
                weights.len()
            );
            let nonzero = weights.iter().filter(|&&w| w > 0.0).count();
            assert!(
                num_samples <= nonzero,
                "WeightedRandomSampler: invalid multinomial distribution (with replacement=False, not enough \
                 non-negative category to sample): {num_samples} samples, {nonzero} non-zero weights"
            );
        }
        WeightedRandomSampler {
            weights,
            num_samples,
            replacement,
            generator: None,
        }
    }

    /// Draws from `generator` instead of the global one.
    pub fn generator(mut self, generator: Generator) -> WeightedRandomSampler {
        self.generator = Some(generator);
        self
    }
}

impl Sampler for WeightedRandomSampler {
    fn iter(&mut self) -> Box<dyn Iterator<Item = usize> + Send> {
        let (k, replacement, weights) = (self.num_samples, self.replacement, &self.weights);
        let v = with_pass_generator(&mut self.generator, |g| -> Vec<usize> {
            if replacement {
                let cdf: Vec<f64> = weights
                    .iter()
                    .scan(0.0, |s, &w| {
                        *s += w;
                        Some(*s)
                    })
                    .collect();
                let total = *cdf.last().expect("weights are not empty");
                (0..k)
                    .map(|_| {
                        let u = g.next_f64() * total;
                        // The first category whose cumulative weight exceeds u: never one of
                        // weight 0, since its cumulative weight equals the one before.
                        cdf.partition_point(|&c| c <= u).min(cdf.len() - 1)
                    })
                    .collect()
            } else {
                // Efraimidis-Spirakis: key = -ln(u) / w (exponential with rate w); the k
                // smallest keys, in increasing order, are a draw without replacement.
                let mut keys: Vec<(f64, usize)> = weights
                    .iter()
                    .enumerate()
                    .filter(|(_, &w)| w > 0.0)
                    .map(|(i, &w)| (-(1.0 - g.next_f64()).ln() / w, i))
                    .collect();
                if k < keys.len() {
                    keys.select_nth_unstable_by(k, |a, b| a.0.total_cmp(&b.0));
                    keys.truncate(k);
                }
                keys.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                keys.into_iter().map(|(_, i)| i).collect()
            }
        });
        Box::new(v.into_iter())
    }

    fn len(&self) -> usize {
        self.num_samples
    }
}
