//! Whether the two workers of a 2-thread rayon pool really run on two cores: a `[1000, 1000]`
//! f32 softmax split into two halves of rows with `rayon::join`, 16 calls per round, on a
//! pool whose workers are pinned each to its own core (`sched_setaffinity`) and on a plain
//! one, rounds alternating. Before each round the calling thread runs the whole matrix
//! alone (as `bench_kernels` times its one-thread column), so the workers have gone to
//! sleep. Prints per round the best call, how many of the 16 second halves the other
//! worker took (the rest the caller ran itself, not having seen it start) and the median
//! delay before it started. BENCHMARKS.md, section 1, cites it for the machine its
//! tables come from. Linux only (elsewhere it says so and exits).
//!
//! ```text
//! cargo run --release -p tessera-core --example pool_pin
//! ```

use std::time::Instant;
use tessera_kernels::softmax_f32;

const ROWS: usize = 1000;
const COLS: usize = 1000;
const CALLS: usize = 16;
const ROUNDS: usize = 8;

/// A 2-thread pool; `pin` puts worker `i` on the `i`-th core the process may use.
fn pool(pin: bool) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .start_handler(move |i| {
            if pin {
                pin_to(i);
            }
        })
        .build()
        .expect("pool_pin: could not start a rayon pool of 2 threads")
}

#[cfg(target_os = "linux")]
fn pin_to(i: usize) {
    // SAFETY: `cpu_set_t` is plain data (zeroed is the empty set); the calls read and
    // write only the set passed to them, for the calling thread (pid 0).
    unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        let size = std::mem::size_of::<libc::cpu_set_t>();
        if libc::sched_getaffinity(0, size, &mut allowed) != 0 {
            return;
        }
        let cores: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &allowed))
            .collect();
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cores[i % cores.len()], &mut set);
        libc::sched_setaffinity(0, size, &set);
    }
}

#[cfg(not(target_os = "linux"))]
fn pin_to(_: usize) {}

fn rows_softmax(x: &[f32], y: &mut [f32]) {
    x.chunks(COLS)
        .zip(y.chunks_mut(COLS))
        .for_each(|(r, o)| softmax_f32(r, o));
}

/// One round: the caller alone over the whole matrix, then `CALLS` split calls on `pool`.
/// Returns the best split call (us), how many second halves the other worker took, and
/// the median delay before it started them (us).
fn round(pool: &rayon::ThreadPool, x: &[f32], y: &mut [f32]) -> (f64, usize, f64) {
    for _ in 0..CALLS {
        rows_softmax(x, y);
    }
    let half = x.len() / 2;
    let calls: Vec<(f64, Option<f64>)> = pool.install(|| {
        (0..CALLS)
            .map(|_| {
                let t0 = Instant::now();
                let me = rayon::current_thread_index();
                let (xa, xb) = x.split_at(half);
                let (ya, yb) = y.split_at_mut(half);
                let (_, start) = rayon::join(
                    || rows_softmax(xa, ya),
                    || {
                        let start = t0.elapsed().as_secs_f64() * 1e6;
                        rows_softmax(xb, yb);
                        (rayon::current_thread_index() != me).then_some(start)
                    },
                );
                (t0.elapsed().as_secs_f64() * 1e6, start)
            })
            .collect()
    });
    let best = calls.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
    let mut starts: Vec<f64> = calls.iter().filter_map(|c| c.1).collect();
    starts.sort_by(f64::total_cmp);
    let median = starts.get(starts.len() / 2).copied().unwrap_or(f64::NAN);
    (best, starts.len(), median)
}

fn main() {
    if !cfg!(target_os = "linux") {
        println!("pool_pin: pinning needs Linux's sched_setaffinity");
        return;
    }
    let g = 0.618_033_988_749_894_9_f64;
    let x: Vec<f32> = (0..ROWS * COLS)
        .map(|i| (-10.0 + 20.0 * ((i as f64) * g).fract()) as f32)
        .collect();
    let mut y = vec![0.0f32; x.len()];
    let (plain, pinned) = (pool(false), pool(true));
    println!("[{ROWS}, {COLS}] f32 softmax in two halves, {CALLS} calls per round");
    println!("round  pool     best call  taken by the other worker  its median start");
    for r in 0..ROUNDS {
        for (name, p) in [("plain", &plain), ("pinned", &pinned)] {
            let (best, taken, start) = round(p, &x, &mut y);
            println!("{r:>5}  {name:<7} {best:>7.0} us  {taken:>9}/{CALLS}               {start:>7.1} us");
        }
    }
}
