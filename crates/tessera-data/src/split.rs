//! [`random_split`]: disjoint random subsets of given lengths or fractions.

use crate::dataset::Dataset;
use crate::sampler::randperm;
use crate::Subset;
use tessera_core::Generator;

/// Splits `dataset` into non-overlapping random subsets of the given `lengths`
/// (`torch.utils.data.random_split(dataset, lengths, generator)`): one permutation of
/// all indices from `generator`, cut in order.
///
/// The dataset is cloned into each subset: pass an `Arc` (or a cheap handle such as
/// [`crate::TensorDataset`]) to share it.
///
/// ```
/// use tessera_core::Generator;
/// use tessera_data::{random_split, Dataset, FnDataset};
/// let ds = FnDataset::new(10, |i| Ok(i));
/// let parts = random_split(&ds, &[7, 3], &mut Generator::new(42));
/// assert_eq!((parts[0].len(), parts[1].len()), (7, 3));
/// ```
///
/// # Panics
/// If the lengths do not sum to `dataset.len()` (PyTorch: "Sum of input lengths does
/// not equal the length of the input dataset!").
pub fn random_split<D: Dataset + Clone>(
    dataset: &D,
    lengths: &[usize],
    generator: &mut Generator,
) -> Vec<Subset<D>> {
    let total: usize = lengths.iter().sum();
    assert!(
        total == dataset.len(),
        "random_split: Sum of input lengths does not equal the length of the input dataset! \
         (lengths {lengths:?} sum to {total}, the dataset has {})",
        dataset.len()
    );
    let perm = randperm(total, generator);
    let mut at = 0;
    lengths
        .iter()
        .map(|&n| {
            at += n;
            Subset::new(dataset.clone(), perm[at - n..at].to_vec())
        })
        .collect()
}

/// The lengths PyTorch's `random_split` makes from fractions that sum to 1: each
/// `floor(len * f)`, then the remainder added one at a time, round-robin from the first.
///
/// ```
/// assert_eq!(tessera_data::split_lengths(10, &[0.33, 0.33, 0.34]), vec![4, 3, 3]);
/// ```
///
/// # Panics
/// If a fraction is not in `[0, 1]` ("Fraction at index i is not between 0 and 1") or the
/// fractions do not sum to 1 (then, as in PyTorch, they are not fractions, and "Sum of
/// input lengths does not equal the length of the input dataset!").
pub fn split_lengths(len: usize, fractions: &[f64]) -> Vec<usize> {
    let sum: f64 = fractions.iter().sum();
    // math.isclose(sum, 1) with its default rel_tol of 1e-9, and sum <= 1.
    let is_close = (sum - 1.0).abs() <= 1e-9 * sum.abs().max(1.0);
    assert!(
        is_close && sum <= 1.0,
        "random_split: Sum of input lengths does not equal the length of the input dataset! \
         (fractions {fractions:?} sum to {sum}, not 1)"
    );
    let mut lengths: Vec<usize> = fractions
        .iter()
        .enumerate()
        .map(|(i, &f)| {
            assert!(
                (0.0..=1.0).contains(&f),
                "random_split: Fraction at index {i} is not between 0 and 1 (got {f})"
            );
            (len as f64 * f).floor() as usize
        })
        .collect();
    let remainder = len - lengths.iter().sum::<usize>();
    let n = lengths.len();
    for i in 0..remainder {
        lengths[i % n] += 1;
    }
    lengths
}

/// [`random_split`] with fractions of the dataset that sum to 1, rounded as PyTorch
/// rounds them (see [`crate::split_lengths`]).
///
/// ```
/// use tessera_core::Generator;
/// use tessera_data::{random_split_fractions, Dataset, FnDataset};
/// let ds = FnDataset::new(10, |i| Ok(i));
/// let parts = random_split_fractions(&ds, &[0.5, 0.25, 0.25], &mut Generator::new(0));
/// let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
/// assert_eq!(lens, vec![6, 2, 2]); // floor(2.5) twice, the remainder to the first
/// ```
///
/// # Panics
/// As [`crate::split_lengths`].
pub fn random_split_fractions<D: Dataset + Clone>(
    dataset: &D,
    fractions: &[f64],
    generator: &mut Generator,
) -> Vec<Subset<D>> {
    let lengths = split_lengths(dataset.len(), fractions);
    random_split(dataset, &lengths, generator)
}
