//! The DataLoader: order with workers, seeds, errors and panics, timeout, early drop,
//! resume, iterable datasets, and every option error.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tessera_core::{Error, Generator, Result, Tensor};
use tessera_data::sampler::{BatchSampler, SequentialSampler, WeightedRandomSampler};
use tessera_data::{
    get_worker_info, DataLoader, DataLoaderBuilder, Dataset, FnDataset, IterFnDataset,
    TensorDataset,
};

fn rows(n: usize) -> TensorDataset {
    let x = Tensor::arange(0.0, (2 * n) as f64).reshape([n as isize, 2]);
    let y = Tensor::arange(0, n as i64);
    TensorDataset::new(vec![x, y])
}

/// The label batches of one epoch.
fn labels<I: Iterator<Item = Result<Vec<Tensor>>>>(it: I) -> Vec<Vec<i64>> {
    it.map(|b| b.unwrap()[1].to_vec::<i64>()).collect()
}

fn shuffled(workers: usize, seed: u64) -> DataLoader<Vec<Tensor>> {
    let b = DataLoader::builder(rows(50))
        .batch_size(7)
        .shuffle(true)
        .generator(Generator::new(seed))
        .num_workers(workers);
    b.build()
}

#[test]
fn workers_give_the_same_batches_in_order_as_no_workers() {
    let mut l0 = shuffled(0, 9);
    let want: Vec<Vec<Vec<i64>>> = (0..3).map(|_| labels(&mut l0)).collect();
    assert_ne!(want[0], want[1], "each epoch reshuffles");
    let mut all: Vec<i64> = want[0].concat();
    all.sort();
    assert_eq!(all, (0..50).collect::<Vec<_>>());
    for workers in [1, 2, 3] {
        let mut l = shuffled(workers, 9);
        let got: Vec<Vec<Vec<i64>>> = (0..3).map(|_| labels(&mut l)).collect();
        assert_eq!(got, want, "{workers} workers");
    }
    // Persistent workers too.
    let mut l = DataLoader::builder(rows(50))
        .batch_size(7)
        .shuffle(true)
        .generator(Generator::new(9))
        .num_workers(2)
        .persistent_workers(true)
        .prefetch_factor(1)
        .build();
    let got: Vec<Vec<Vec<i64>>> = (0..3).map(|_| labels(&mut l)).collect();
    assert_eq!(got, want);
}

#[test]
fn out_of_order_delivers_every_batch_once() {
    // Items of even batches are slow, so later batches finish first.
    let ds = FnDataset::new(40, |i| {
        if (i / 4) % 2 == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(i as i64)
    });
    let mut l = DataLoader::builder(ds)
        .batch_size(4)
        .num_workers(3)
        .in_order(false)
        .build();
    let mut got: Vec<Vec<i64>> = (&mut l).map(|b| b.unwrap().to_vec::<i64>()).collect();
    assert_eq!(got.len(), 10);
    got.sort();
    let want: Vec<Vec<i64>> = (0..10).map(|k| (4 * k..4 * k + 4).collect()).collect();
    assert_eq!(got, want);
}

#[test]
fn worker_seeds_are_base_plus_id_and_reproducible() {
    let seen = |seed: u64| {
        let ds = FnDataset::new(12, |_| {
            let w = get_worker_info().expect("inside a worker");
            Ok((w.id as i64, w.seed as i64, w.num_workers as i64))
        });
        let mut l = DataLoader::builder(ds)
            .batch_size(2)
            .num_workers(3)
            .generator(Generator::new(seed))
            .build();
        let mut per_epoch = Vec::new();
        for _ in 0..2 {
            let mut pairs = Vec::new();
            for b in &mut l {
                let (id, s, n) = b.unwrap();
                assert_eq!(n.to_vec::<i64>(), vec![3, 3]);
                pairs.push((id.to_vec::<i64>()[0], s.to_vec::<i64>()[0]));
            }
            per_epoch.push(pairs);
        }
        per_epoch
    };
    let a = seen(1);
    assert_eq!(a, seen(1), "same generator seed, same worker seeds");
    assert_ne!(a, seen(2));
    for epoch in &a {
        // Batch k goes to worker k % 3; seeds are base + id.
        let base = epoch[0].1;
        for (k, &(id, seed)) in epoch.iter().enumerate() {
            assert_eq!(id, (k % 3) as i64);
            assert_eq!(seed, base.wrapping_add(id));
        }
    }
    assert_ne!(a[0][0].1, a[1][0].1, "a new base seed each epoch");
    // No worker info in the calling thread.
    let mut l = DataLoader::builder(FnDataset::new(1, |_| Ok(get_worker_info().is_none()))).build();
    assert_eq!(l.next().unwrap().unwrap().to_vec::<bool>(), vec![true]);
}

#[test]
fn worker_init_fn_runs_in_each_worker() {
    let ids = Arc::new(Mutex::new(Vec::new()));
    let record = ids.clone();
    let mut l = DataLoader::builder(FnDataset::new(4, |i| Ok(i as i64)))
        .num_workers(3)
        .worker_init_fn(move |id| {
            assert_eq!(get_worker_info().unwrap().id, id);
            record.lock().unwrap().push(id);
        })
        .build();
    assert_eq!((&mut l).count(), 4);
    let mut ids = ids.lock().unwrap().clone();
    ids.sort();
    assert_eq!(ids, vec![0, 1, 2]);
}

fn failing(workers: usize) -> DataLoader<Tensor> {
    let ds = FnDataset::new(10, |i| match i {
        3 => Err(Error::Msg("record 3 is corrupt".into())),
        7 => panic!("item 7 exploded"),
        _ => Ok(i as i64),
    });
    DataLoader::builder(ds)
        .batch_size(2)
        .num_workers(workers)
        .build()
}

#[test]
fn errors_and_panics_reach_the_consumer_naming_the_index() {
    for workers in [0, 2] {
        let results: Vec<Result<Tensor>> = failing(workers).by_ref().collect();
        assert_eq!(results.len(), 5, "no batch dropped ({workers} workers)");
        let errs: Vec<String> = results
            .iter()
            .filter_map(|r| r.as_ref().err().map(|e| e.to_string()))
            .collect();
        assert_eq!(errs.len(), 2);
        assert!(
            errs[0].contains("dataset index 3 failed: record 3 is corrupt"),
            "{}",
            errs[0]
        );
        assert!(
            errs[1].contains("dataset index 7 panicked: item 7 exploded"),
            "{}",
            errs[1]
        );
        if workers > 0 {
            assert!(errs[0].contains("in DataLoader worker 1"), "{}", errs[0]);
        }
        assert_eq!(results[0].as_ref().unwrap().to_vec::<i64>(), vec![0, 1]);
        assert_eq!(results[4].as_ref().unwrap().to_vec::<i64>(), vec![8, 9]);
    }
}

#[test]
fn collate_errors_and_panics_are_errs() {
    let ds = FnDataset::new(4, |i| Ok(Tensor::zeros(&[1 + i / 2])));
    let r: Vec<Result<Tensor>> = DataLoader::builder(ds)
        .batch_size(3)
        .build()
        .by_ref()
        .collect();
    let e = r[0].as_ref().unwrap_err().to_string();
    assert!(
        e.contains(
            "stack expects each tensor to be equal size, but got [1] at entry 0 and [2] at entry 2"
        ),
        "{e}"
    );
    let ds = FnDataset::new(2, |i| Ok(i as i64));
    let mut l = DataLoaderBuilder::with_collate(ds, |_: Vec<i64>| -> Result<i64> {
        panic!("collate exploded")
    })
    .num_workers(1)
    .build();
    let e = l.next().unwrap().unwrap_err().to_string();
    assert!(
        e.contains("collate_fn on dataset indices [0] panicked: collate exploded"),
        "{e}"
    );
}

#[test]
fn get_batch_is_used_when_a_dataset_has_it() {
    struct Batched(AtomicUsize);
    impl Dataset for Batched {
        type Item = i64;
        fn len(&self) -> usize {
            6
        }
        fn get(&self, _: usize) -> Result<i64> {
            panic!("get_batch should be used")
        }
        fn get_batch(&self, indices: &[usize]) -> Option<Result<Vec<i64>>> {
            self.0.fetch_add(1, Ordering::Relaxed);
            if indices.contains(&5) {
                return Some(Err(Error::Msg("no row 5".into())));
            }
            Some(Ok(indices.iter().map(|&i| 10 * i as i64).collect()))
        }
    }
    let ds = Arc::new(Batched(AtomicUsize::new(0)));
    let mut l = DataLoader::builder(ds.clone())
        .batch_size(4)
        .num_workers(2)
        .build();
    let b: Vec<Result<Tensor>> = l.by_ref().collect();
    assert_eq!(b[0].as_ref().unwrap().to_vec::<i64>(), vec![0, 10, 20, 30]);
    let e = b[1].as_ref().unwrap_err().to_string();
    assert!(
        e.contains("get_batch of dataset indices [4, 5] failed: no row 5"),
        "{e}"
    );
    assert_eq!(ds.0.load(Ordering::Relaxed), 2);
}

#[test]
fn a_stuck_item_hits_the_timeout_and_the_loader_does_not_hang() {
    let release = Arc::new(AtomicUsize::new(0));
    let gate = release.clone();
    let ds = FnDataset::new(4, move |i| {
        if i == 1 {
            while gate.load(Ordering::Relaxed) == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        Ok(i as i64)
    });
    let mut l = DataLoader::builder(ds)
        .num_workers(2)
        .timeout(Duration::from_millis(50))
        .build();
    assert_eq!(l.next().unwrap().unwrap().to_vec::<i64>(), vec![0]);
    let e = l.next().unwrap().unwrap_err().to_string();
    assert!(
        e.contains("timed out after 50ms waiting for batch 1"),
        "{e}"
    );
    // The batch is not lost: once the item finishes, it is delivered in order.
    release.store(1, Ordering::Relaxed);
    let rest: Vec<Vec<i64>> = l.by_ref().map(|b| b.unwrap().to_vec::<i64>()).collect();
    assert_eq!(rest, vec![vec![1], vec![2], vec![3]]);
}

#[test]
fn dropping_mid_epoch_stops_the_workers() {
    let started = Arc::new(AtomicUsize::new(0));
    let count = started.clone();
    let ds = Arc::new(FnDataset::new(10_000, move |i| {
        count.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_micros(200));
        Ok(i as i64)
    }));
    for persistent in [false, true] {
        let mut l = DataLoader::builder(ds.clone())
            .batch_size(16)
            .num_workers(2)
            .persistent_workers(persistent)
            .build();
        l.next().unwrap().unwrap();
        assert!(Arc::strong_count(&ds) > 1, "workers hold the dataset");
        drop(l);
        // Drop returns after the worker threads have ended: they released the dataset.
        assert_eq!(Arc::strong_count(&ds), 1);
    }
    assert!(
        started.load(Ordering::Relaxed) < 10_000,
        "the epoch was not read to the end"
    );
}

fn resume_case(workers: usize, in_order: bool, persistent: bool) {
    let build = || {
        let mut b = DataLoader::builder(rows(30))
            .batch_size(4)
            .shuffle(true)
            .generator(Generator::new(17))
            .num_workers(workers)
            .in_order(in_order);
        if workers > 0 {
            b = b.persistent_workers(persistent);
        }
        b.build()
    };
    let sorted = |mut v: Vec<Vec<i64>>| {
        v.sort();
        v
    };
    let mut a = build();
    let first = labels(&mut a); // epoch 0, whole
    let mut delivered = Vec::new();
    for _ in 0..3 {
        delivered.push(a.next().unwrap().unwrap()[1].to_vec::<i64>());
    }
    let state = a.state_dict();
    assert_eq!((state.epoch(), state.batches_delivered()), (1, 3));
    let rest_a = labels(&mut a);
    let next_a = labels(&mut a);
    let mut b = build();
    b.load_state_dict(state);
    let rest_b = labels(&mut b);
    let next_b = labels(&mut b);
    if in_order {
        assert_eq!(rest_b, rest_a);
    }
    assert_eq!(sorted(rest_b.clone()), sorted(rest_a.clone()));
    // Delivered plus resumed is exactly the epoch.
    let mut epoch1: Vec<i64> = delivered.concat();
    epoch1.extend(rest_b.concat());
    epoch1.sort();
    assert_eq!(epoch1, (0..30).collect::<Vec<_>>());
    assert_eq!(sorted(next_b), sorted(next_a), "the following epoch too");
    assert_ne!(first, rest_a);
}

#[test]
fn resume_mid_epoch_gives_exactly_the_remaining_batches() {
    resume_case(0, true, false);
    resume_case(2, true, false);
    resume_case(2, false, false);
    resume_case(2, true, true);
}

#[test]
fn state_between_epochs_starts_the_next_epoch() {
    let mut a = shuffled(0, 3);
    labels(&mut a);
    let state = a.state_dict();
    assert_eq!((state.epoch(), state.batches_delivered()), (1, 0));
    let want = labels(&mut a);
    let mut b = shuffled(2, 3);
    b.load_state_dict(state);
    assert_eq!(labels(&mut b), want);
}

fn sharded_stream(n: i64) -> IterFnDataset<impl Fn() -> std::vec::IntoIter<Result<i64>> + Clone> {
    IterFnDataset::new(move || {
        let (id, k) = get_worker_info().map_or((0, 1), |w| (w.id as i64, w.num_workers as i64));
        (0..n)
            .filter(|x| x % k == id)
            .map(Ok)
            .collect::<Vec<_>>()
            .into_iter()
    })
    .with_len(n as usize)
}

#[test]
fn iterable_datasets_shard_with_worker_info() {
    let epoch = |workers| {
        let mut l = DataLoader::iterable_builder(sharded_stream(10))
            .batch_size(2)
            .num_workers(workers)
            .build();
        let v: Vec<Vec<i64>> = (&mut l).map(|b| b.unwrap().to_vec::<i64>()).collect();
        let again: Vec<Vec<i64>> = (&mut l).map(|b| b.unwrap().to_vec::<i64>()).collect();
        assert_eq!(v, again, "each epoch restarts the stream");
        v
    };
    assert_eq!(
        epoch(0),
        vec![vec![0, 1], vec![2, 3], vec![4, 5], vec![6, 7], vec![8, 9]]
    );
    // Two workers: evens and odds, batches from the workers in turn, a short last
    // batch per worker.
    assert_eq!(
        epoch(2),
        vec![
            vec![0, 2],
            vec![1, 3],
            vec![4, 6],
            vec![5, 7],
            vec![8],
            vec![9]
        ]
    );
    let l = DataLoader::iterable_builder(sharded_stream(10))
        .shuffle(false) // accepted, as in PyTorch
        .batch_size(3)
        .drop_last(true)
        .build();
    assert_eq!(l.len(), 3);
    let unbatched: Vec<i64> = DataLoader::iterable_builder(sharded_stream(3))
        .unbatched()
        .build()
        .map(|x| x.unwrap())
        .collect();
    assert_eq!(unbatched, vec![0, 1, 2]);
}

#[test]
fn iterable_errors_panics_and_resume() {
    let ds = IterFnDataset::new(|| {
        (0..6i64).map(|i| match i {
            2 => Err(Error::Msg("bad record".into())),
            4 => panic!("stream exploded"),
            _ => Ok(i),
        })
    });
    let r: Vec<Result<Tensor>> = DataLoader::iterable_builder(ds)
        .batch_size(2)
        .num_workers(1)
        .build()
        .by_ref()
        .collect();
    let msgs: Vec<String> = r
        .iter()
        .map(|x| match x {
            Ok(t) => format!("{:?}", t.to_vec::<i64>()),
            Err(e) => e.to_string(),
        })
        .collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert_eq!(msgs[0], "[0, 1]");
    assert!(
        msgs[1].contains("item 2 of the stream failed: bad record"),
        "{}",
        msgs[1]
    );
    assert!(
        msgs[2].contains("item 4 of the stream panicked: stream exploded"),
        "{}",
        msgs[2]
    );
    // Resume an iterable loader: the stream is replayed and delivered batches skipped.
    for workers in [0, 2] {
        let build = || {
            DataLoader::iterable_builder(sharded_stream(9))
                .batch_size(2)
                .num_workers(workers)
                .build()
        };
        let mut a = build();
        a.next().unwrap().unwrap();
        a.next().unwrap().unwrap();
        let state = a.state_dict();
        let rest_a: Vec<Vec<i64>> = a.by_ref().map(|b| b.unwrap().to_vec::<i64>()).collect();
        let mut b = build();
        b.load_state_dict(state);
        let rest_b: Vec<Vec<i64>> = b.by_ref().map(|b| b.unwrap().to_vec::<i64>()).collect();
        assert_eq!(rest_b, rest_a, "{workers} workers");
    }
}

#[test]
fn nested_structures_collate_element_wise() {
    type Item = (Tensor, f64, Vec<i64>, BTreeMap<String, (bool, String)>);
    let ds = FnDataset::new(3, |i| -> Result<Item> {
        let map = BTreeMap::from([("flag".to_string(), (i % 2 == 0, format!("s{i}")))]);
        Ok((
            Tensor::full(&[2], i as f64),
            i as f64 / 2.0,
            vec![i as i64, -(i as i64)],
            map,
        ))
    });
    let mut l = DataLoader::builder(ds).batch_size(3).build();
    let (x, h, v, m) = l.next().unwrap().unwrap();
    assert_eq!(x.shape(), &[3, 2]);
    assert_eq!(h.dtype(), tessera_core::DType::F64);
    assert_eq!(h.to_vec::<f64>(), vec![0.0, 0.5, 1.0]);
    assert_eq!(v[1].to_vec::<i64>(), vec![0, -1, -2]);
    let (flags, names) = &m["flag"];
    assert_eq!(flags.to_vec::<bool>(), vec![true, false, true]);
    assert_eq!(names, &vec!["s0".to_string(), "s1".into(), "s2".into()]);
}

#[test]
fn collate_mismatches_name_the_field() {
    let e = tessera_data::default_collate(vec![
        (0i64, vec![Tensor::zeros(&[2]), Tensor::zeros(&[3])]),
        (1i64, vec![Tensor::zeros(&[2]), Tensor::zeros(&[4])]),
    ])
    .unwrap_err()
    .to_string();
    assert!(e.contains("field .1[1]: stack expects each tensor to be equal size, but got [3] at entry 0 and [4] at entry 1"), "{e}");
    let e = tessera_data::default_collate(vec![vec![1i64, 2], vec![3]])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("each element in list of batch should be of equal size"),
        "{e}"
    );
    let a = BTreeMap::from([("x".to_string(), 1.0f32)]);
    let b = BTreeMap::from([("y".to_string(), 1.0f32)]);
    let e = tessera_data::default_collate(vec![a, b])
        .unwrap_err()
        .to_string();
    assert!(e.contains("key \"y\" of entry 1 is not in entry 0"), "{e}");
}

#[test]
fn samplers_batch_samplers_and_unbatched_loading() {
    let ds = FnDataset::new(6, |i| Ok(i as i64));
    let l = DataLoader::builder(ds.clone())
        .batch_sampler(BatchSampler::new(SequentialSampler::new(6), 4, false))
        .build();
    assert_eq!(l.len(), 2);
    let got: Vec<Vec<i64>> = l.map(|b| b.unwrap().to_vec::<i64>()).collect();
    assert_eq!(got, vec![vec![0, 1, 2, 3], vec![4, 5]]);
    let sampler = WeightedRandomSampler::new(vec![0.0, 0.0, 1.0, 0.0, 0.0, 0.0], 5, true);
    let mut l = DataLoader::builder(ds.clone())
        .sampler(sampler)
        .batch_size(5)
        .build();
    assert_eq!(l.next().unwrap().unwrap().to_vec::<i64>(), vec![2; 5]);
    let items: Vec<i64> = DataLoader::builder(ds)
        .unbatched()
        .num_workers(2)
        .build()
        .map(|x| x.unwrap())
        .collect();
    assert_eq!(items, vec![0, 1, 2, 3, 4, 5]);
}

#[test]
fn set_epoch_reaches_a_distributed_sampler() {
    use tessera_data::sampler::DistributedSampler;
    let ds = FnDataset::new(20, |i| Ok(i as i64));
    let mut l = DataLoader::builder(ds)
        .sampler(DistributedSampler::new(20, 2, 0))
        .batch_size(10)
        .build();
    let a = l.next().unwrap().unwrap().to_vec::<i64>();
    assert!(l.next().is_none());
    let again = l.next().unwrap().unwrap().to_vec::<i64>();
    assert_eq!(a, again, "same epoch number, same order");
    assert!(l.next().is_none());
    l.set_epoch(1);
    assert_ne!(l.next().unwrap().unwrap().to_vec::<i64>(), a);
}

#[test]
fn progress_bar_does_not_change_the_batches() {
    let mut l = DataLoader::builder(rows(10))
        .batch_size(3)
        .progress(true)
        .build();
    assert_eq!(labels(&mut l).concat(), (0..10).collect::<Vec<_>>());
    let shown = format!("{l:?}");
    assert!(
        shown.contains("len: Some(4)") && shown.contains("epoch: 1"),
        "{shown}"
    );
}

#[test]
fn gathered_batches_equal_item_by_item_collation() {
    // TensorDataset copies rows straight into the batch; a collate_fn set explicitly
    // (even the default one) goes item by item. Both must agree, also for a
    // non-contiguous tensor (which takes the item path) and through a Subset.
    let x = Tensor::randn(&[4, 23]).t(); // [23, 4], not contiguous
    let z = Tensor::randn(&[23, 2, 3]);
    let y = Tensor::arange(0, 23);
    for ds in [
        TensorDataset::new(vec![z.clone(), y.clone()]),
        TensorDataset::new(vec![x, z, y]),
    ] {
        let sub = tessera_data::Subset::new(ds.clone(), (0..23).rev().collect());
        let run = |l: DataLoader<Vec<Tensor>>| -> Vec<Vec<Vec<f64>>> {
            l.map(|b| {
                b.unwrap()
                    .iter()
                    .map(|t| {
                        let mut v = t.shape().iter().map(|&d| d as f64).collect::<Vec<_>>();
                        v.extend(t.to_dtype(tessera_core::DType::F64).to_vec::<f64>());
                        v
                    })
                    .collect()
            })
            .collect()
        };
        let build = |d: tessera_data::Subset<TensorDataset>| {
            DataLoader::builder(d)
                .batch_size(5)
                .shuffle(true)
                .generator(Generator::new(4))
        };
        let fast = run(build(sub.clone()).build());
        let slow = run(build(sub)
            .collate_fn(tessera_data::default_collate::<Vec<Tensor>>)
            .build());
        assert_eq!(fast, slow);
        assert_eq!(fast.len(), 5);
    }
}

#[test]
fn dropping_with_a_stuck_item_does_not_hang() {
    let gate = Arc::new(AtomicUsize::new(0));
    let g = gate.clone();
    let ds = Arc::new(FnDataset::new(4, move |i| {
        while i == 0 && g.load(Ordering::Relaxed) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(i as i64)
    }));
    let mut l = DataLoader::builder(ds.clone())
        .num_workers(2)
        .timeout(Duration::from_millis(20))
        .build();
    assert!(l.next().unwrap().is_err(), "item 0 is stuck: a timeout");
    drop(l); // waits at most the timeout, then leaves the stuck worker
    assert!(
        Arc::strong_count(&ds) > 1,
        "the stuck worker still holds the dataset"
    );
    gate.store(1, Ordering::Relaxed);
    // Released, the worker sees the loader is gone and exits.
    while Arc::strong_count(&ds) > 1 {
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn persistent_workers_keep_their_seed_across_epochs() {
    let seeds = |persistent: bool| {
        let ds = FnDataset::new(4, |_| {
            let w = get_worker_info().unwrap();
            // The worker's generator is seeded with its seed.
            assert_eq!(w.generator().next_u64(), Generator::new(w.seed).next_u64());
            Ok(w.seed as i64)
        });
        let mut l = DataLoader::builder(ds)
            .batch_size(4)
            .num_workers(1)
            .persistent_workers(persistent)
            .generator(Generator::new(8))
            .build();
        (0..3)
            .map(|_| {
                (&mut l)
                    .map(|b| b.unwrap().to_vec::<i64>()[0])
                    .collect::<Vec<_>>()[0]
            })
            .collect::<Vec<i64>>()
    };
    let kept = seeds(true);
    assert!(kept.iter().all(|&s| s == kept[0]), "{kept:?}");
    let fresh = seeds(false);
    assert_eq!(fresh[0], kept[0], "the first epoch's base seed either way");
    assert_ne!(fresh[1], fresh[0]);
}

#[test]
fn get_batch_collated_is_used_only_with_the_default_collate() {
    struct Gathered;
    impl Dataset for Gathered {
        type Item = Tensor;
        fn len(&self) -> usize {
            4
        }
        fn get(&self, index: usize) -> Result<Tensor> {
            Ok(Tensor::from_vec(vec![index as i64], &[1]))
        }
        fn get_batch_collated(&self, indices: &[usize]) -> Option<Result<Tensor>> {
            let v = indices.iter().map(|&i| 100 + i as i64).collect();
            Some(Ok(Tensor::from_vec(v, &[indices.len()])))
        }
    }
    let mut fast = DataLoader::builder(Gathered).batch_size(4).build();
    assert_eq!(
        fast.next().unwrap().unwrap().to_vec::<i64>(),
        vec![100, 101, 102, 103]
    );
    let mut items = DataLoader::builder(Gathered)
        .batch_size(4)
        .collate_fn(tessera_data::default_collate::<Tensor>)
        .build();
    assert_eq!(
        items.next().unwrap().unwrap().to_vec::<i64>(),
        vec![0, 1, 2, 3]
    );
    let mut unbatched = DataLoader::builder(Gathered).unbatched().build();
    assert_eq!(unbatched.next().unwrap().unwrap().to_vec::<i64>(), vec![0]);
}
