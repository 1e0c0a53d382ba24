//! Map-style and iterable datasets, random_split and their errors.

use std::collections::BTreeMap;
use std::sync::Arc;
use tessera_core::{tensor, Generator, Tensor};
use tessera_data::{
    random_split, random_split_fractions, ChainDataset, ConcatDataset, Dataset, FnDataset,
    IterFnDataset, IterableDataset, StackDataset, Subset, TensorDataset,
};

fn ints(
    start: usize,
    len: usize,
) -> FnDataset<impl Fn(usize) -> tessera_core::Result<usize> + Clone> {
    FnDataset::new(len, move |i| Ok(start + i))
}

#[test]
fn tensor_dataset_rows() {
    let x = Tensor::arange(0, 12).reshape([4, 3]);
    let y = tensor!([10, 11, 12, 13]);
    let ds = TensorDataset::new(vec![x, y]);
    assert_eq!(ds.len(), 4);
    let row = ds.get(2).unwrap();
    assert_eq!(row[0].to_vec::<i64>(), vec![6, 7, 8]);
    assert_eq!(row[1].item::<i64>(), 12);
    assert_eq!(ds.tensors().len(), 2);
}

#[test]
#[should_panic(expected = "TensorDataset: Size mismatch between tensors: first dimensions [4, 3]")]
fn tensor_dataset_size_mismatch() {
    TensorDataset::new(vec![Tensor::zeros(&[4, 2]), Tensor::zeros(&[3])]);
}

#[test]
#[should_panic(expected = "TensorDataset: index 4 is out of range for a dataset of length 4")]
fn tensor_dataset_index_out_of_range() {
    let _ = TensorDataset::new(vec![Tensor::zeros(&[4])]).get(4);
}

#[test]
fn concat_dataset_indexes_across_parts() {
    let ds = ConcatDataset::new(vec![ints(0, 2), ints(100, 0), ints(200, 3)]);
    assert_eq!(ds.len(), 5);
    assert_eq!(ds.cumulative_sizes(), &[2, 2, 5]);
    let all: Vec<usize> = (0..5).map(|i| ds.get(i).unwrap()).collect();
    assert_eq!(all, vec![0, 1, 200, 201, 202]);
    assert_eq!(ds.get_signed(-5).unwrap(), 0);
    assert_eq!(ds.get_signed(-1).unwrap(), 202);
    assert_eq!(ds.get_signed(3).unwrap(), 201);
    // Different dataset types behind one item type.
    let mixed: Vec<Box<dyn Dataset<Item = usize>>> = vec![
        Box::new(ints(0, 1)),
        Box::new(Subset::new(ints(50, 10), vec![9])),
    ];
    assert_eq!(ConcatDataset::new(mixed).get(1).unwrap(), 59);
}

#[test]
#[should_panic(expected = "absolute value of index should not exceed dataset length")]
fn concat_negative_index_too_large() {
    let _ = ConcatDataset::new(vec![ints(0, 2)]).get_signed(-3);
}

#[test]
#[should_panic(expected = "ConcatDataset: index 2 is out of range for a dataset of length 2")]
fn concat_index_too_large() {
    let _ = ConcatDataset::new(vec![ints(0, 2)]).get(2);
}

#[test]
#[should_panic(expected = "datasets should not be an empty iterable")]
fn concat_empty() {
    ConcatDataset::<TensorDataset>::new(vec![]);
}

#[test]
fn stack_dataset_tuples_vecs_and_maps() {
    let ds = StackDataset::new((ints(0, 3), ints(10, 3), ints(20, 3)));
    assert_eq!(ds.get(2).unwrap(), (2, 12, 22));
    let ds = StackDataset::new(vec![ints(0, 2), ints(5, 2)]);
    assert_eq!(ds.get(1).unwrap(), vec![1, 6]);
    let ds = StackDataset::new(BTreeMap::from([
        ("a".to_string(), ints(0, 2)),
        ("b".to_string(), ints(7, 2)),
    ]));
    assert_eq!(ds.get(0).unwrap()["b"], 7);
    assert_eq!(ds.len(), 2);
}

#[test]
#[should_panic(expected = "StackDataset: Size mismatch between datasets: lengths [3, 2]")]
fn stack_dataset_size_mismatch() {
    StackDataset::new((ints(0, 3), ints(0, 2)));
}

#[test]
#[should_panic(expected = "At least one dataset should be passed")]
fn stack_dataset_empty() {
    StackDataset::new(Vec::<TensorDataset>::new());
}

#[test]
fn subset_maps_indices_and_forwards_get_batch() {
    let ds = Subset::new(ints(100, 10), vec![9, 0, 4]);
    assert_eq!(
        (ds.len(), ds.get(0).unwrap(), ds.get(2).unwrap()),
        (3, 109, 104)
    );
    assert_eq!(ds.indices(), &[9, 0, 4]);
    assert!(
        ds.get_batch(&[0, 1]).is_none(),
        "FnDataset has no get_batch"
    );
}

#[test]
fn random_split_partitions_the_indices() {
    let ds = Arc::new(ints(0, 20));
    let parts = random_split(&ds, &[12, 0, 8], &mut Generator::new(1));
    let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    assert_eq!(lens, vec![12, 0, 8]);
    let mut all: Vec<usize> = parts.iter().flat_map(|p| p.indices().to_vec()).collect();
    assert_ne!(all, (0..20).collect::<Vec<_>>(), "shuffled");
    all.sort();
    assert_eq!(all, (0..20).collect::<Vec<_>>());
    // Same generator seed, same split.
    let again = random_split(&ds, &[12, 0, 8], &mut Generator::new(1));
    assert_eq!(again[0].indices(), parts[0].indices());
    assert_eq!(parts[2].get(0).unwrap(), parts[2].indices()[0]);
}

#[test]
#[should_panic(expected = "Sum of input lengths does not equal the length of the input dataset!")]
fn random_split_bad_lengths() {
    random_split(&ints(0, 5), &[2, 2], &mut Generator::new(0));
}

#[test]
#[should_panic(expected = "Sum of input lengths does not equal the length of the input dataset!")]
fn random_split_fractions_not_summing_to_one() {
    random_split_fractions(&ints(0, 5), &[0.3, 0.3], &mut Generator::new(0));
}

#[test]
#[should_panic(expected = "Fraction at index 1 is not between 0 and 1")]
fn random_split_negative_fraction() {
    random_split_fractions(&ints(0, 5), &[0.5, -0.5, 1.0], &mut Generator::new(0));
}

#[test]
fn chain_and_closure_streams() {
    let stream =
        |a: i64, b: i64| IterFnDataset::new(move || (a..b).map(Ok)).with_len((b - a) as usize);
    let ds = ChainDataset::new(vec![stream(0, 2), stream(5, 8)]);
    let v: Vec<i64> = ds.iter().map(|r| r.unwrap()).collect();
    assert_eq!(v, vec![0, 1, 5, 6, 7]);
    assert_eq!(ds.len_hint(), Some(5));
    let unknown = ChainDataset::new(vec![IterFnDataset::new(|| (0..1i64).map(Ok))]);
    assert_eq!(unknown.len_hint(), None);
}
