//! How long a sleeping worker of a 2-thread rayon pool takes to start a job offered by
//! `rayon::join`: the latency every parallel op of tessera pays when the pool has been
//! idle (BENCHMARKS.md, section 1, cites this for the machine its tables come from).
//!
//! Each of 50 joins runs 2 ms of work on the calling worker and, on the other side, only
//! reads the clock: the other worker has gone to sleep before each join (after `gap` of
//! idle time on the calling one), so the time it reads is its wake-up latency. Prints the
//! median, the 90th percentile and the maximum per gap, and how many of the 50 offered jobs
//! the calling worker ran itself (the other had not woken in 2 ms).
//!
//! ```text
//! cargo run --release -p tessera-core --example pool_wake
//! ```

use std::time::{Duration, Instant};

fn spin(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::spin_loop();
    }
}

fn main() {
    const JOINS: usize = 50;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool_wake: could not start a rayon pool of 2 threads");
    for gap_us in [0u64, 50, 200, 1000, 5000] {
        let mut delays: Vec<f64> = pool.install(|| {
            (0..JOINS)
                .map(|_| {
                    spin(Duration::from_micros(gap_us));
                    let t0 = Instant::now();
                    let (_, d) = rayon::join(|| spin(Duration::from_millis(2)), || t0.elapsed());
                    d.as_secs_f64() * 1e6
                })
                .collect()
        });
        delays.sort_by(f64::total_cmp);
        println!(
            "idle gap {gap_us:>5} us: the other worker starts after {:.1} us (median), \
             {:.1} (p90), {:.1} (max); ran by the caller: {}",
            delays[JOINS / 2],
            delays[JOINS * 9 / 10],
            delays[JOINS - 1],
            delays.iter().filter(|&&d| d >= 1900.0).count()
        );
    }
}
