//! Many threads using shared tensors in every mix of read and write ops finish, within a
//! bounded time, and never see a torn write: an op that reads a tensor while another
//! thread fills it sees the whole tensor either before or after the fill.
//!
//! Each test runs its threads under a watchdog: a deadlock fails the test after
//! [`LIMIT`] instead of hanging the suite.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use tessera_core::{DType, Tensor};

/// A run that has not finished by then is a deadlock (the work takes well under a second).
const LIMIT: Duration = Duration::from_secs(120);

/// Runs `jobs` on their own threads and waits for all of them, failing after [`LIMIT`].
fn run_bounded(jobs: Vec<Box<dyn FnOnce() + Send>>) {
    let (tx, rx) = mpsc::channel();
    let n = jobs.len();
    for (i, job) in jobs.into_iter().enumerate() {
        let tx = tx.clone();
        thread::spawn(move || {
            job();
            let _ = tx.send(i);
        });
    }
    for _ in 0..n {
        rx.recv_timeout(LIMIT)
            .expect("threads did not finish: deadlock (or a thread panicked)");
    }
}

/// `t`'s values, which must all equal one of `allowed`.
fn uniform_value(t: &Tensor, allowed: &[f32]) -> f32 {
    let v = t.to_vec::<f32>();
    let first = v[0];
    assert!(
        v.iter().all(|&x| x == first),
        "torn read: {v:?} mixes values"
    );
    assert!(
        allowed.contains(&first),
        "{first} is not one of {allowed:?}"
    );
    first
}

/// The reproduction: `a + b`, `b + a`, `a.fill_`, `b.fill_` (and matmul) on four
/// threads. Binary ops used to take both read locks in operand order while a waiting
/// writer blocked new readers, which deadlocked within seconds.
#[test]
fn crossed_binary_ops_and_fills_finish() {
    for size in [64usize, 100_000] {
        let a = Tensor::full(&[size], 2.0);
        let b = Tensor::full(&[size], 3.0);
        let rounds = if size == 64 { 20_000 } else { 200 };
        let (a1, b1, a2, b2, a3, b3) = (
            a.clone(),
            b.clone(),
            a.clone(),
            b.clone(),
            a.clone(),
            b.clone(),
        );
        run_bounded(vec![
            Box::new(move || {
                for _ in 0..rounds {
                    // a is 2 or 1, b is 3 or 1: a whole snapshot of each.
                    uniform_value(&a1.add(&b1), &[5.0, 4.0, 3.0, 2.0]);
                }
            }),
            Box::new(move || {
                for _ in 0..rounds {
                    uniform_value(&b2.add(&a2), &[5.0, 4.0, 3.0, 2.0]);
                }
            }),
            Box::new(move || {
                for _ in 0..rounds {
                    a3.fill_(1.0);
                }
            }),
            Box::new(move || {
                for _ in 0..rounds {
                    b3.fill_(1.0);
                }
            }),
        ]);
        assert_eq!(a.add(&b).to_vec::<f32>()[0], 2.0);
    }
}

#[test]
fn crossed_matmuls_and_in_place_ops_finish() {
    let a = Tensor::full(&[8, 8], 1.0);
    let b = Tensor::full(&[8, 8], 1.0);
    let mut jobs: Vec<Box<dyn FnOnce() + Send>> = Vec::new();
    for k in 0..4 {
        let (x, y) = (a.clone(), b.clone());
        jobs.push(Box::new(move || {
            for _ in 0..3000 {
                let (l, r) = if k % 2 == 0 { (&x, &y) } else { (&y, &x) };
                // Each operand is all ones or all twos: the product is 8, 16 or 32.
                uniform_value(&l.matmul(r), &[8.0, 16.0, 32.0]);
            }
        }));
    }
    for t in [a.clone(), b.clone()] {
        jobs.push(Box::new(move || {
            for i in 0..3000 {
                t.fill_(if i % 2 == 0 { 2.0 } else { 1.0 });
                t.mul_(1.0);
                t.copy_(&t.deep_clone());
            }
        }));
    }
    run_bounded(jobs);
}

/// Readers only: every thread gets the single-thread results, bit for bit.
#[test]
fn concurrent_readers_get_the_single_thread_results() {
    tessera_core::manual_seed(7);
    let x = Tensor::randn(&[300, 300]);
    let y = Tensor::randn(&[300, 300]).to_dtype(DType::F64);
    let reference = |x: &Tensor, y: &Tensor| {
        vec![
            x.exp().to_vec::<f32>(),
            x.matmul(&x.t()).to_vec::<f32>(),
            x.softmax(-1).to_vec::<f32>(),
            x.sum_dim(0, false).to_vec::<f32>(),
            y.tanh().sum().to_dtype(DType::F32).to_vec::<f32>(),
            x.add(x.t()).to_vec::<f32>(),
        ]
    };
    let want = reference(&x, &y);
    let jobs = (0..4)
        .map(|_| {
            let (x, y, want) = (x.clone(), y.clone(), want.clone());
            Box::new(move || {
                for _ in 0..5 {
                    assert!(
                        reference(&x, &y) == want,
                        "a concurrent read changed a result"
                    );
                }
            }) as Box<dyn FnOnce() + Send>
        })
        .collect();
    run_bounded(jobs);
}

/// The user's own rayon pool running tessera ops and in-place writes on the same large
/// tensors: waiting for tessera's pool from a rayon worker would let that worker run
/// another job (a write to a tensor its suspended op reads), so tessera runs such ops on
/// the calling thread.
#[test]
fn ops_inside_a_foreign_rayon_pool_finish() {
    let a = Tensor::full(&[200_000], 2.0);
    let b = Tensor::full(&[200_000], 3.0);
    let (tx, rx) = mpsc::channel();
    let (a2, b2) = (a.clone(), b.clone());
    thread::spawn(move || {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.scope(|s| {
            for i in 0..64 {
                let (a, b) = (a2.clone(), b2.clone());
                s.spawn(move |_| {
                    if i % 4 == 0 {
                        a.fill_(2.0);
                    } else {
                        uniform_value(&a.add(&b).exp().log(), &[5.0]);
                        let _ = a.sum();
                    }
                });
            }
        });
        let _ = tx.send(());
    });
    rx.recv_timeout(LIMIT)
        .expect("ops in a rayon pool did not finish");
    assert_eq!(a.sum().item::<f32>(), 400_000.0);
}
