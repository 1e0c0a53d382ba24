//! PyTorch parity where PyTorch's result does not depend on its random stream: cases
//! recorded in data/parity.txt by scripts/make_data_parity.py.

use tessera_core::{Generator, Tensor};
use tessera_data::sampler::{BatchSampler, DistributedSampler, Sampler, SequentialSampler};
use tessera_data::{
    random_split_fractions, split_lengths, DataLoader, Dataset, FnDataset, TensorDataset,
};

/// The cases of one kind: (arguments, output batches).
fn cases(kind: &str) -> Vec<(Vec<String>, Vec<Vec<usize>>)> {
    let text = include_str!("data/parity.txt");
    let out: Vec<_> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (lhs, rhs) = l.split_once('|')?;
            let mut args = lhs.split_whitespace().map(String::from);
            (args.next()? == kind).then(|| {
                let batches = rhs
                    .split(';')
                    .map(|b| b.split_whitespace().map(|x| x.parse().unwrap()).collect())
                    .filter(|b: &Vec<usize>| !b.is_empty())
                    .collect();
                (args.collect(), batches)
            })
        })
        .collect();
    assert!(!out.is_empty(), "no {kind} cases in parity.txt");
    out
}

fn num(s: &str) -> usize {
    s.parse().unwrap()
}

fn flat(batches: Vec<Vec<usize>>) -> Vec<usize> {
    batches.into_iter().flatten().collect()
}

#[test]
fn sequential_matches_pytorch() {
    for (args, want) in cases("sequential") {
        let mut s = SequentialSampler::new(num(&args[0]));
        assert_eq!(s.iter().collect::<Vec<_>>(), flat(want), "{args:?}");
    }
}

#[test]
fn batch_matches_pytorch() {
    for (args, want) in cases("batch") {
        let (n, bs, drop) = (num(&args[0]), num(&args[1]), &args[2] == "1");
        let mut s = BatchSampler::new(SequentialSampler::new(n), bs, drop);
        assert_eq!(s.len(), want.len(), "{args:?}");
        assert_eq!(s.iter().collect::<Vec<_>>(), want, "{args:?}");
    }
}

#[test]
fn distributed_without_shuffle_matches_pytorch() {
    for (args, want) in cases("distributed") {
        let (n, reps, rank, drop) = (num(&args[0]), num(&args[1]), num(&args[2]), &args[3] == "1");
        let mut s = DistributedSampler::new(n, reps, rank)
            .shuffle(false)
            .drop_last(drop);
        let want = flat(want);
        assert_eq!(s.len(), want.len(), "{args:?}");
        assert_eq!(s.iter().collect::<Vec<_>>(), want, "{args:?}");
    }
}

#[test]
fn random_split_lengths_match_pytorch() {
    for (args, want) in cases("split") {
        let n = num(&args[0]);
        let fracs: Vec<f64> = args[1..].iter().map(|f| f.parse().unwrap()).collect();
        let want = flat(want);
        assert_eq!(split_lengths(n, &fracs), want, "{args:?}");
        let ds = FnDataset::new(n, Ok);
        let parts = random_split_fractions(&ds, &fracs, &mut Generator::new(0));
        let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        assert_eq!(lens, want, "{args:?}");
    }
}

#[test]
fn loader_len_matches_pytorch() {
    for (args, want) in cases("loader_len") {
        let (n, bs, drop) = (num(&args[0]), num(&args[1]), &args[2] == "1");
        let ds = TensorDataset::new(vec![Tensor::zeros(&[n, 1])]);
        let loader = DataLoader::builder(ds)
            .batch_size(bs)
            .drop_last(drop)
            .build();
        assert_eq!(loader.len(), want[0][0], "{args:?}");
    }
}
