//! One-thread throughput of the f32 kernels measured in thread CPU time, for before/after
//! comparisons of tessera's own kernels on a machine that other work keeps busy: the time
//! the thread waits for a core does not count, so the figures stay close to a quiet run's
//! 1-thread column (wall-clock timings, and ratios against torch or NumPy, do not: use
//! `bench_kernels` on a quiet machine for those).
//!
//! 2^20 elements (4 MiB, beyond L2) of the same inputs as `bench_kernels`; the row kernels
//! run over rows of 1000 (the last one shorter). Best of 200 calls.
//!
//! ```text
//! cargo run --release -p tessera-kernels --example bench_cpu_time [-- NAME ...]
//! ```
//! Names: `log`, `high_log`, `log1p`, ... (a `high_` prefix times `tessera_kernels::high`).

use tessera_kernels::*;

type Kernel = fn(&[f32], &mut [f32]);

/// CPU time consumed by this thread, in seconds.
fn thread_cpu() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write; the clock id is a constant Linux knows.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

fn main() {
    const N: usize = 1 << 20;
    let only: Vec<String> = std::env::args().skip(1).collect();
    let g = 0.618_033_988_749_894_9_f64;
    let inputs = |lo: f64, hi: f64| -> Vec<f32> {
        (0..N)
            .map(|i| (lo + (hi - lo) * ((i as f64) * g).fract()) as f32)
            .collect()
    };
    let wide = (-10.0, 10.0);
    let kernels: [(&str, Kernel, (f64, f64)); 18] = [
        ("expm1", expm1_f32, wide),
        ("high_expm1", high::expm1_f32, wide),
        ("exp", exp_f32, wide),
        ("high_exp", high::exp_f32, wide),
        ("log1p", log1p_f32, (-0.9, 100.0)),
        ("high_log1p", high::log1p_f32, (-0.9, 100.0)),
        ("log", log_f32, (1e-3, 100.0)),
        ("high_log", high::log_f32, (1e-3, 100.0)),
        ("tanh", tanh_f32, wide),
        ("high_tanh", high::tanh_f32, wide),
        ("sigmoid", sigmoid_f32, wide),
        ("high_sigmoid", high::sigmoid_f32, wide),
        ("softplus", softplus_f32, wide),
        ("high_softplus", high::softplus_f32, wide),
        ("softmax", softmax_f32, wide),
        ("high_softmax", high::softmax_f32, wide),
        ("log_softmax", log_softmax_f32, wide),
        ("high_log_softmax", high::log_softmax_f32, wide),
    ];
    println!(
        "backend: {:?}; 1 thread; thread CPU time, best of 200 calls on 2^20 f32 elements",
        current_backend()
    );
    println!("| function | Gelem/s |");
    println!("| --- | --- |");
    for (name, f, (lo, hi)) in kernels {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        let x = inputs(lo, hi);
        let mut y = vec![0f32; N];
        let rows = name.ends_with("softmax");
        let mut best = f64::INFINITY;
        for _ in 0..200 {
            let t = thread_cpu();
            if rows {
                x.chunks(1000)
                    .zip(y.chunks_mut(1000))
                    .for_each(|(a, b)| f(a, b));
            } else {
                f(&x, &mut y);
            }
            best = best.min(thread_cpu() - t);
        }
        println!("| {name} | {:.3} |", N as f64 / best / 1e9);
    }
}
