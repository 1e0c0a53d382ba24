//! Loader throughput against PyTorch's DataLoader on the same data, in the same run.
//!
//! Cases (samples per second, best of several epochs):
//! - a `TensorDataset` of 200,000 x 32 f32 rows with i64 labels, batch 256, shuffled,
//!   0 and 2 workers;
//! - the same rows from `.npy` files on disk (`NpyDataset`, memory-mapped);
//! - a dataset whose `get` costs about 50 us (a busy wait), 0 and 2 workers.
//!
//! Run: `cargo run --release -p tessera-data --example bench_data`
//! (`-- --no-python` skips PyTorch). It writes the data as `.npy` files to a temporary
//! folder and runs `scripts/bench_data.py` on them when `python3` with torch is there.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tessera_core::{DType, Generator, Result, Tensor};
use tessera_data::{DataLoader, Dataset, FnDataset, NpyDataset, TensorDataset};

const ROWS: usize = 200_000;
const FEATURES: usize = 32;
const BATCH: usize = 256;
const SLOW_ROWS: usize = 10_240;
const SLOW_COST: Duration = Duration::from_micros(50);

/// Samples per second over one epoch of `loader`, best of `epochs`.
fn rate(loader: &mut DataLoader<Vec<Tensor>>, epochs: usize) -> Result<f64> {
    let mut best = 0.0f64;
    for _ in 0..epochs {
        let t = Instant::now();
        let mut n = 0;
        for batch in loader.by_ref() {
            n += batch?[1].numel();
        }
        best = best.max(n as f64 / t.elapsed().as_secs_f64());
    }
    Ok(best)
}

fn loader<D: Dataset<Item = Vec<Tensor>> + 'static>(
    ds: D,
    workers: usize,
) -> DataLoader<Vec<Tensor>> {
    DataLoader::builder(ds)
        .batch_size(BATCH)
        .shuffle(true)
        .num_workers(workers)
        .generator(Generator::new(0))
        .build()
}

/// Busy-waits for `d`, as a decode or augmentation would keep a core busy.
fn spin(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// Items per second of bare 50 us busy waits on `threads` threads (no loader): the
/// parallelism the machine offers at the moment, to read the slow case against.
fn bare_spin_rate(threads: usize) -> f64 {
    let per_thread = SLOW_ROWS / threads;
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| (0..per_thread).for_each(|_| spin(SLOW_COST)));
        }
    });
    (per_thread * threads) as f64 / t.elapsed().as_secs_f64()
}

/// Runs the PyTorch side; its lines are `case samples_per_second`.
fn torch_rates(dir: &Path) -> Option<Vec<(String, f64)>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench_data.py");
    let out = Command::new("python3").arg(script).arg(dir).output().ok()?;
    if !out.status.success() {
        eprintln!(
            "PyTorch side skipped: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (case, r) = l.rsplit_once(' ')?;
                Some((case.to_string(), r.parse().ok()?))
            })
            .collect(),
    )
}

fn main() -> Result<()> {
    let no_python = std::env::args().any(|a| a == "--no-python");
    let mut g = Generator::new(0);
    let x = g.randn(&[ROWS, FEATURES], DType::F32);
    let y = g.randint(0, 10, &[ROWS], DType::I64);
    let dir = std::env::temp_dir().join(format!("tessera_bench_data_{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .map_err(|e| tessera_core::Error::io("creating the data folder", e))?;
    let (px, py) = (dir.join("x.npy"), dir.join("y.npy"));
    x.write_npy(&px)?;
    y.write_npy(&py)?;

    let mut rows: Vec<(String, f64)> = Vec::new();
    for workers in [0, 2] {
        let r = rate(
            &mut loader(TensorDataset::new(vec![x.clone(), y.clone()]), workers),
            3,
        )?;
        rows.push((format!("tensor_dataset workers={workers}"), r));
    }
    for workers in [0, 2] {
        let r = rate(&mut loader(NpyDataset::open(&[&px, &py])?, workers), 3)?;
        rows.push((format!("npy_dataset workers={workers}"), r));
    }
    let (xs, ys) = (x.narrow(0, 0, SLOW_ROWS), y.narrow(0, 0, SLOW_ROWS));
    for workers in [0, 2] {
        let (xs, ys) = (xs.clone(), ys.clone());
        let slow = FnDataset::new(SLOW_ROWS, move |i| {
            spin(SLOW_COST);
            Ok(vec![xs.select(0, i as isize), ys.select(0, i as isize)])
        });
        let r = rate(&mut loader(slow, workers), 2)?;
        rows.push((format!("slow_50us workers={workers}"), r));
    }

    let bare = [bare_spin_rate(1), bare_spin_rate(2)];
    let torch = if no_python { None } else { torch_rates(&dir) };
    std::fs::remove_dir_all(&dir).ok();
    println!("samples per second, batch {BATCH}, shuffled; best epoch");
    println!("| case | tessera | torch | tessera / torch |");
    println!("| --- | --- | --- | --- |");
    for (case, r) in &rows {
        let t = torch
            .as_ref()
            .and_then(|t| t.iter().find(|(c, _)| c == case).map(|p| p.1));
        match t {
            Some(t) => println!("| {case} | {r:.0} | {t:.0} | {:.1}x |", r / t),
            None => println!("| {case} | {r:.0} | - | - |"),
        }
    }
    let get = |case: &str| {
        rows.iter()
            .find(|(c, _)| c == case)
            .map(|p| p.1)
            .unwrap_or(f64::NAN)
    };
    println!(
        "slow_50us: 2 workers / 0 workers = {:.2}x; bare busy waits without a loader: \
         2 threads / 1 thread = {:.2}x ({:.0} and {:.0} per second)",
        get("slow_50us workers=2") / get("slow_50us workers=0"),
        bare[1] / bare[0],
        bare[0],
        bare[1]
    );
    Ok(())
}
