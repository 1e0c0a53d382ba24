//! Unit tests of the private helpers of `blocked`.

use super::{pivot, with_spinner};

/// The scan `pivot` must agree with: first strictly larger `|x|` from `j` on.
fn scan(c: &[f64], j: usize) -> usize {
    let (mut q, mut max) = (j, c[j].abs());
    for (i, &x) in c.iter().enumerate().skip(j + 1) {
        if x.abs() > max {
            max = x.abs();
            q = i;
        }
    }
    q
}

#[test]
fn pivot_is_the_first_largest_and_skips_nan() {
    let mut cases: Vec<(Vec<f64>, usize)> = vec![
        (vec![0.0; 40], 3),
        (vec![1.0, -3.0, 3.0, 2.0], 0),
        (vec![f64::NAN, 5.0, 7.0], 0),
        (vec![1.0, f64::NAN, 0.5, -2.0], 0),
        (vec![1.0, f64::INFINITY, f64::NEG_INFINITY], 0),
        (vec![f64::INFINITY, 2.0], 0),
    ];
    // Lengths around the 16-lane chunks, the maximum in the chunks, in the
    // remainder, and tied across both.
    for len in [1usize, 15, 16, 17, 33, 100] {
        for at in [0, len / 2, len - 1] {
            let mut v: Vec<f64> = (0..len).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
            v[at] = -9.0;
            cases.push((v.clone(), 0));
            v[len - 1] = 9.0;
            cases.push((v, 0));
        }
    }
    for (c, j) in cases {
        assert_eq!(pivot(&c, j), scan(&c, j), "{c:?} from {j}");
    }
}

#[test]
fn a_panic_beside_a_spinning_thread_does_not_hang() {
    // The spinner waits for a flag the panicking side sets while unwinding.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let r =
        pool.install(|| std::panic::catch_unwind(|| with_spinner(true, || panic!("panel failed"))));
    assert!(r.is_err());
    assert_eq!(pool.install(|| with_spinner(true, || 7)), 7);
}
