//! Samplers: distributions, coverage, padding, epochs and PyTorch's errors.

use tessera_core::Generator;
use tessera_data::sampler::{
    randperm, BatchSampler, DistributedSampler, DistributedSamplerWrapper, RandomSampler, Sampler,
    SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
};

fn counts(draws: &[usize], n: usize) -> Vec<usize> {
    let mut c = vec![0; n];
    for &d in draws {
        c[d] += 1;
    }
    c
}

/// Pearson's chi-square statistic of `observed` against `expected` probabilities.
fn chi_square(observed: &[usize], p: &[f64]) -> f64 {
    let total: usize = observed.iter().sum();
    observed
        .iter()
        .zip(p)
        .filter(|(_, &p)| p > 0.0)
        .map(|(&o, &p)| {
            let e = p * total as f64;
            (o as f64 - e).powi(2) / e
        })
        .sum()
}

#[test]
fn random_sampler_without_replacement_is_a_permutation_each_pass() {
    let mut s = RandomSampler::new(50, false, None).generator(Generator::new(1));
    let a: Vec<usize> = s.iter().collect();
    let b: Vec<usize> = s.iter().collect();
    assert_ne!(a, b, "each pass draws a new order");
    for pass in [&a, &b] {
        let mut sorted = pass.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    }
    // num_samples beyond len: whole permutations, then the head of one more.
    let mut s = RandomSampler::new(4, false, Some(10)).generator(Generator::new(2));
    let v: Vec<usize> = s.iter().collect();
    assert_eq!((v.len(), s.len()), (10, 10));
    for chunk in v[..8].chunks(4) {
        let mut c = chunk.to_vec();
        c.sort();
        assert_eq!(c, vec![0, 1, 2, 3]);
    }
    let mut tail = v[8..].to_vec();
    tail.dedup();
    assert_eq!(tail.len(), 2);
    // Same generator seed, same order.
    let again: Vec<usize> = RandomSampler::new(50, false, None)
        .generator(Generator::new(1))
        .iter()
        .collect();
    assert_eq!(again, a);
}

#[test]
fn random_sampler_with_replacement_is_uniform() {
    let n = 10;
    let mut s = RandomSampler::new(n, true, Some(20_000)).generator(Generator::new(3));
    let v: Vec<usize> = s.iter().collect();
    assert_eq!(v.len(), 20_000);
    // 9 degrees of freedom: P(chi2 > 27.9) = 0.001.
    let chi = chi_square(&counts(&v, n), &[0.1; 10]);
    assert!(chi < 27.9, "chi-square {chi}");
}

#[test]
fn randperm_is_uniform_over_positions() {
    // Where element 0 lands in randperm(5): uniform over the 5 positions.
    let mut g = Generator::new(4);
    let pos: Vec<usize> = (0..10_000)
        .map(|_| randperm(5, &mut g).iter().position(|&x| x == 0).unwrap())
        .collect();
    let chi = chi_square(&counts(&pos, 5), &[0.2; 5]);
    assert!(chi < 18.5, "chi-square {chi}"); // 4 dof, p = 0.001
}

#[test]
fn random_sampler_without_generator_follows_the_global_seed() {
    tessera_core::manual_seed(11);
    let a: Vec<usize> = RandomSampler::new(20, false, None).iter().collect();
    tessera_core::manual_seed(11);
    let b: Vec<usize> = RandomSampler::new(20, false, None).iter().collect();
    assert_eq!(a, b);
}

#[test]
fn subset_random_sampler_permutes_the_subset() {
    let mut s = SubsetRandomSampler::new(vec![3, 9, 27, 81]).generator(Generator::new(0));
    let mut v: Vec<usize> = s.iter().collect();
    v.sort();
    assert_eq!((v, s.len()), (vec![3, 9, 27, 81], 4));
}

#[test]
fn weighted_with_replacement_follows_the_weights() {
    let w = vec![1.0, 0.0, 2.0, 7.0];
    let mut s = WeightedRandomSampler::new(w.clone(), 50_000, true).generator(Generator::new(5));
    let v: Vec<usize> = s.iter().collect();
    let c = counts(&v, 4);
    assert_eq!(c[1], 0, "a weight of 0 is never drawn");
    let p: Vec<f64> = w.iter().map(|x| x / 10.0).collect();
    let chi = chi_square(&c, &p);
    assert!(chi < 13.8, "chi-square {chi}"); // 2 dof, p = 0.001
}

#[test]
fn weighted_without_replacement_draws_distinct_indices_in_weight_order() {
    // First draw of 2 without replacement from weights [1, 3]: index 1 with p = 3/4.
    let mut s = WeightedRandomSampler::new(vec![1.0, 3.0], 2, false).generator(Generator::new(6));
    let firsts: Vec<usize> = (0..8000)
        .map(|_| {
            let v: Vec<usize> = s.iter().collect();
            let mut sorted = v.clone();
            sorted.sort();
            assert_eq!(sorted, vec![0, 1]);
            v[0]
        })
        .collect();
    let chi = chi_square(&counts(&firsts, 2), &[0.25, 0.75]);
    assert!(chi < 10.8, "chi-square {chi}"); // 1 dof, p = 0.001
    let mut s = WeightedRandomSampler::new(vec![0.0, 1.0, 1.0, 0.0, 5.0], 3, false)
        .generator(Generator::new(0));
    let mut v: Vec<usize> = s.iter().collect();
    v.sort();
    assert_eq!(v, vec![1, 2, 4]);
}

#[test]
fn weighted_has_no_category_cap() {
    // torch.multinomial refuses more than 2^24 categories (PyTorch issue #2576).
    let n = (1 << 24) + 3;
    let mut w = vec![0.0; n];
    w[n - 1] = 1.0;
    let mut s = WeightedRandomSampler::new(w, 5, true).generator(Generator::new(0));
    assert_eq!(s.iter().collect::<Vec<_>>(), vec![n - 1; 5]);
}

#[test]
fn batch_sampler_wraps_any_sampler() {
    let inner = RandomSampler::new(10, false, None).generator(Generator::new(0));
    let mut b = BatchSampler::new(inner, 4, true);
    let batches: Vec<Vec<usize>> = b.iter().collect();
    assert_eq!(batches.len(), 2);
    assert!(batches.iter().all(|x| x.len() == 4));
    let mut all: Vec<usize> = batches.concat();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 8);
}

#[test]
fn distributed_ranks_cover_every_index_once() {
    for (n, reps) in [(10, 3), (12, 4), (7, 2), (100, 8)] {
        for epoch in 0..3 {
            let mut all = Vec::new();
            let mut lens = Vec::new();
            for rank in 0..reps {
                let mut s = DistributedSampler::new(n, reps, rank).seed(42);
                s.set_epoch(epoch);
                let v: Vec<usize> = s.iter().collect();
                assert_eq!(v.len(), s.len());
                lens.push(v.len());
                all.extend(v);
            }
            assert!(lens.iter().all(|&l| l == lens[0]), "equal shares");
            let padded = n.div_ceil(reps) * reps;
            assert_eq!(all.len(), padded);
            let c = counts(&all, n);
            assert!(c.iter().all(|&k| k >= 1), "every index at least once");
            // Padding repeats from the head of the permutation: exactly padded - n extra.
            assert_eq!(c.iter().filter(|&&k| k == 2).count(), padded - n);
            assert!(c.iter().all(|&k| k <= 2));
            // With drop_last: every index at most once, n - n % reps of them.
            let mut dropped = Vec::new();
            for rank in 0..reps {
                let mut s = DistributedSampler::new(n, reps, rank)
                    .seed(42)
                    .drop_last(true);
                s.set_epoch(epoch);
                dropped.extend(s.iter());
            }
            let c = counts(&dropped, n);
            assert!(c.iter().all(|&k| k <= 1));
            assert_eq!(dropped.len(), n - n % reps);
        }
    }
}

#[test]
fn distributed_epoch_and_seed_change_the_order() {
    let order = |seed, epoch| {
        let mut s = DistributedSampler::new(20, 1, 0).seed(seed);
        s.set_epoch(epoch);
        s.iter().collect::<Vec<_>>()
    };
    assert_eq!(order(0, 0), order(0, 0));
    assert_ne!(order(0, 0), order(0, 1));
    assert_ne!(order(0, 0), order(1, 0));
    // The permutation is seeded with seed + epoch, as in PyTorch.
    assert_eq!(order(3, 2), order(5, 0));
}

#[test]
fn distributed_wrapper_splits_any_sampler() {
    let inner = SequentialSampler::new(5);
    let shares: Vec<Vec<usize>> = (0..2)
        .map(|rank| {
            DistributedSamplerWrapper::new(inner.clone(), 2, rank)
                .iter()
                .collect()
        })
        .collect();
    assert_eq!(shares, vec![vec![0, 2, 4], vec![1, 3, 0]]);
    let mut w = DistributedSamplerWrapper::new(inner, 2, 1).drop_last(true);
    assert_eq!((w.iter().collect::<Vec<_>>(), w.len()), (vec![1, 3], 2));
    // set_epoch reaches a wrapped DistributedSampler.
    let mut w = DistributedSamplerWrapper::new(DistributedSampler::new(10, 1, 0), 1, 0);
    let a: Vec<usize> = w.iter().collect();
    w.set_epoch(1);
    assert_ne!(a, w.iter().collect::<Vec<_>>());
}

#[test]
#[should_panic(expected = "Invalid rank 2, rank should be in the interval [0, 1]")]
fn distributed_rank_out_of_range() {
    DistributedSampler::new(10, 2, 2);
}

#[test]
#[should_panic(expected = "num_replicas should be a positive integer")]
fn distributed_zero_replicas() {
    DistributedSampler::new(10, 0, 0);
}

#[test]
#[should_panic(expected = "num_samples should be a positive integer value, but got num_samples=0")]
fn random_sampler_empty() {
    RandomSampler::new(0, false, None);
}

#[test]
#[should_panic(expected = "num_samples should be a positive integer value, but got num_samples=0")]
fn random_sampler_zero_samples() {
    RandomSampler::new(5, true, Some(0));
}

#[test]
#[should_panic(expected = "batch_size should be a positive integer value, but got batch_size=0")]
fn batch_sampler_zero() {
    BatchSampler::new(SequentialSampler::new(3), 0, false);
}

#[test]
#[should_panic(expected = "num_samples should be a positive integer value, but got num_samples=0")]
fn weighted_zero_samples() {
    WeightedRandomSampler::new(vec![1.0], 0, true);
}

#[test]
#[should_panic(expected = "probability tensor contains either `inf`, `nan` or element < 0")]
fn weighted_negative() {
    WeightedRandomSampler::new(vec![1.0, -1.0], 1, true);
}

#[test]
#[should_panic(expected = "probability tensor contains either `inf`, `nan` or element < 0")]
fn weighted_nan() {
    WeightedRandomSampler::new(vec![f64::NAN], 1, true);
}

#[test]
#[should_panic(expected = "invalid multinomial distribution (sum of probabilities <= 0)")]
fn weighted_all_zero() {
    WeightedRandomSampler::new(vec![0.0, 0.0], 1, true);
}

#[test]
#[should_panic(
    expected = "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
)]
fn weighted_too_many_without_replacement() {
    WeightedRandomSampler::new(vec![1.0, 1.0], 3, false);
}

#[test]
#[should_panic(expected = "not enough non-negative category to sample")]
fn weighted_too_few_nonzero_without_replacement() {
    WeightedRandomSampler::new(vec![1.0, 0.0, 0.0], 2, false);
}
