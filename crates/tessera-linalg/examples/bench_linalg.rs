//! Times tessera-linalg against PyTorch on the same inputs in the same run.
//!
//! ```text
//! cargo run --release -p tessera-linalg --example bench_linalg
//! BENCH_THREADS=1 BENCH_ROUNDS=5 cargo run --release -p tessera-linalg --example bench_linalg
//! ```
//!
//! Writes the inputs as raw little-endian f64 files to a temporary directory, times
//! tessera (best of several runs after a warm-up), then, when `python3` with torch
//! is available, runs `scripts/bench_linalg_torch.py` on the same files with torch
//! limited to the same number of threads, and prints the ratios
//! (`torch time / tessera time`: above 1 means tessera is faster).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use tessera_core::Tensor;
use tessera_linalg::{inv, inv_ex, matrix_exp, solve};

struct Rng(u64);
impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64) * 2.0
            - 1.0
    }
}

/// Random entries in [-scale, scale) plus `shift` on the diagonal of each matrix.
fn input(rng: &mut Rng, batch: usize, n: usize, scale: f64, shift: f64) -> Vec<f64> {
    let mut v: Vec<f64> = (0..batch * n * n).map(|_| rng.uniform() * scale).collect();
    for b in 0..batch {
        for i in 0..n {
            v[b * n * n + i * n + i] += shift;
        }
    }
    v
}

fn best_time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // The fastest run: the least disturbed by other processes on a shared machine.
    t[0]
}

fn write(dir: &Path, name: &str, v: &[f64]) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    // BENCH_THREADS=n runs both sides on n threads (default: tessera's default, the
    // number of cores).
    if let Some(n) = std::env::var("BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        tessera_core::set_num_threads(n);
    }
    let threads = tessera_core::get_num_threads();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("tessera-bench-linalg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x1234_5678_9abc_def1);

    let small = input(&mut rng, 10000, 8, 1.0, 8.0);
    let big = input(&mut rng, 1, 512, 1.0, 30.0);
    let rhs = input(&mut rng, 1, 512, 1.0, 0.0);
    let expm_in = input(&mut rng, 1, 256, 0.05, 0.0);
    write(&dir, "small.bin", &small);
    write(&dir, "big.bin", &big);
    write(&dir, "rhs.bin", &rhs);
    write(&dir, "expm.bin", &expm_in);

    let small = Tensor::from_vec(small, &[10000, 8, 8]);
    let big = Tensor::from_vec(big, &[512, 512]);
    let rhs = Tensor::from_vec(rhs, &[512, 512]);
    let expm_in = Tensor::from_vec(expm_in, &[256, 256]);

    let names = [
        ("inv_ex 10000x8x8 f64", 31),
        ("inv 512x512 f64", 21),
        ("solve 512x512, B 512x512 f64", 21),
        ("matrix_exp 256x256 f64", 21),
    ];
    let run_ours = || -> Vec<f64> {
        vec![
            best_time(31, || {
                inv_ex(&small, false).unwrap();
            }),
            best_time(21, || {
                inv(&big).unwrap();
            }),
            best_time(21, || {
                solve(&big, &rhs, true).unwrap();
            }),
            best_time(21, || {
                matrix_exp(&expm_in);
            }),
        ]
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench_linalg_torch.py");
    let run_torch = || -> Option<Vec<f64>> {
        Command::new("python3")
            .arg(&script)
            .arg(&dir)
            .arg(threads.to_string())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .filter_map(|l| l.strip_prefix("TIME ").and_then(|t| t.trim().parse().ok()))
                    .collect()
            })
            .filter(|v: &Vec<f64>| v.len() == names.len())
    };
    // Alternate rounds of tessera and torch and keep each side's best: on a shared
    // machine the load changes between rounds, and this gives both sides the same
    // chance of a quiet moment.
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let mut ours = vec![f64::INFINITY; names.len()];
    let mut torch: Option<Vec<f64>> = None;
    for _ in 0..rounds {
        for (o, t) in ours.iter_mut().zip(run_ours()) {
            *o = o.min(t);
        }
        if let Some(t) = run_torch() {
            let best = torch.get_or_insert_with(|| vec![f64::INFINITY; names.len()]);
            for (b, x) in best.iter_mut().zip(t) {
                *b = b.min(x);
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();

    println!(
        "tessera-linalg vs PyTorch, {threads} threads, best of {rounds} alternating rounds of `reps` runs"
    );
    println!("| op | reps | tessera (ms) | torch (ms) | torch / tessera |");
    println!("| --- | --- | --- | --- | --- |");
    for (i, (name, reps)) in names.iter().enumerate() {
        match &torch {
            Some(t) => println!(
                "| {name} | {reps} | {:.3} | {:.3} | {:.2} |",
                ours[i] * 1e3,
                t[i] * 1e3,
                t[i] / ours[i]
            ),
            None => println!("| {name} | {reps} | {:.3} | n/a | n/a |", ours[i] * 1e3),
        }
    }
    if torch.is_none() {
        println!("(python3 with torch not available: no comparison)");
    }
}
