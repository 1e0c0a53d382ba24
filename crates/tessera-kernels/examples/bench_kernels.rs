//! Throughput of the kernels at 10^7 elements (1 thread, and 2 threads with rayon chunks),
//! plus softmax/logsumexp over the rows of a [1000, 1000] and a [10000, 1000] f32 matrix
//! (10^6 elements, which stay in the L3 cache, and 10^7, which do not). f32 is timed twice:
//! the default (correctly rounded, `Highest`) kernels, dtype `f32`, and the `High` grade
//! (`tessera_kernels::high`, within 1 ULP), dtype `f32 high`, both against the same torch and
//! NumPy f32 figures. When `python3` with
//! torch and numpy is available, runs `scripts/bench_ref.py` on the same inputs and prints
//! the ratios. Every side runs two sets of `REPS` timed calls (after a warm-up), alternating
//! tessera, torch and NumPy, tessera, torch and NumPy, so a change in the machine's load hits
//! all alike; each cell is the best of its side's two sets. Every side writes into a
//! preallocated output (torch and NumPy through `out=`). Threads: tessera 1T and 2T (two
//! rayon chunks), torch 2 (`torch.set_num_threads(2)`), NumPy 1.
//!
//! The arrays are allocated the way NumPy allocates its own (the reference script times
//! torch and NumPy on NumPy arrays): on Linux, arrays of 4 MiB and more are advised onto
//! transparent huge pages. At 10^7 f64 elements, 4 KiB pages cost about 20% in TLB misses.
//!
//! ```text
//! cargo run --release -p tessera-kernels --example bench_kernels [-- --no-python] [--only NAME,...]
//! ```
//! `--only expm1,softmax` times only those functions. `--torch-threads 1` times torch on one
//! thread and compares it with tessera's one-thread column (the kernels alone, without
//! either side's thread pool: on this virtual machine a sleeping rayon worker wakes late and
//! sometimes shares a core with the caller, while torch's OpenMP threads spin between calls).

use std::process::Command;
use std::time::Instant;
use tessera_kernels::*;

const N: usize = 10_000_000;
const REPS: usize = 15;
const THREADS: usize = 2;

/// The inputs, same formula as scripts/bench_ref.py: lo + (hi - lo) * frac(i * golden ratio).
fn inputs(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let g = 0.618_033_988_749_894_9_f64;
    (0..n)
        .map(|i| lo + (hi - lo) * ((i as f64) * g).fract())
        .collect()
}

/// `v` moved into an allocation that NumPy would make for it: from 4 MiB on, Linux is asked
/// for transparent huge pages (`madvise(MADV_HUGEPAGE)` on the whole 2 MiB pages inside it)
/// before the memory is first touched.
fn numpy_like<T: Copy>(v: Vec<T>) -> Vec<T> {
    let bytes = std::mem::size_of_val(v.as_slice());
    if bytes < 4 << 20 {
        return v;
    }
    let mut w: Vec<T> = Vec::with_capacity(v.len());
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let p = w.as_mut_ptr() as usize;
        let (start, end) = ((p + HUGE - 1) & !(HUGE - 1), (p + bytes) & !(HUGE - 1));
        if end > start {
            // SAFETY: the range lies inside `w`'s allocation; madvise only advises.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    w.extend_from_slice(&v);
    w
}

fn domain(name: &str) -> (f64, f64) {
    match name {
        "log" => (1e-3, 100.0),
        "log1p" => (-0.9, 100.0),
        _ => (-10.0, 10.0),
    }
}

fn best(mut f: impl FnMut()) -> f64 {
    f();
    (0..REPS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn par_chunks<T: Send + Sync + Copy>(x: &[T], y: &mut [T], f: fn(&[T], &mut [T])) {
    use rayon::prelude::*;
    let chunk = x.len().div_ceil(THREADS);
    x.par_chunks(chunk)
        .zip(y.par_chunks_mut(chunk))
        .for_each(|(a, b)| f(a, b));
}

type Row = (String, String, f64, f64);

fn bench_unary<T: Send + Sync + Copy + Default>(
    name: &str,
    dtype: &str,
    f: fn(&[T], &mut [T]),
    conv: fn(f64) -> T,
    pool: &rayon::ThreadPool,
) -> Row {
    let (lo, hi) = domain(name);
    let x: Vec<T> = numpy_like(inputs(lo, hi, N).into_iter().map(conv).collect());
    let mut y = numpy_like(vec![T::default(); N]);
    let t1 = best(|| f(&x, &mut y));
    let t2 = pool.install(|| best(|| par_chunks(&x, &mut y, f)));
    (
        name.into(),
        dtype.into(),
        N as f64 / t1 / 1e9,
        N as f64 / t2 / 1e9,
    )
}

type RowFns = (
    fn(&[f32], &mut [f32]),
    fn(&[f32], &mut [f32]),
    fn(&[f32]) -> f32,
);

/// The row kernels' matrices: `[rows, 1000]`.
const ROW_SHAPES: [usize; 2] = [1000, 10_000];

fn bench_rows(name: &str, high: bool, rows: usize, pool: &rayon::ThreadPool) -> Row {
    use rayon::prelude::*;
    let (softmax_f32, log_softmax_f32, logsumexp_f32): RowFns = if high {
        (
            high::softmax_f32,
            high::log_softmax_f32,
            high::logsumexp_f32,
        )
    } else {
        (softmax_f32, log_softmax_f32, logsumexp_f32)
    };
    let n = rows * 1000;
    let x: Vec<f32> = numpy_like(
        inputs(-10.0, 10.0, n)
            .into_iter()
            .map(|v| v as f32)
            .collect(),
    );
    let mut y = numpy_like(vec![0.0f32; n]);
    let mut l = vec![0.0f32; rows];
    // 2T: each thread takes half of the rows, as `par_chunks` splits the unary kernels.
    let half = rows.div_ceil(THREADS) * 1000;
    let mut run = |par: bool| {
        let (xs, ys, ls) = if par {
            (half, half, half / 1000)
        } else {
            (n, n, rows)
        };
        x.par_chunks(xs)
            .zip(y.par_chunks_mut(ys))
            .zip(l.par_chunks_mut(ls))
            .for_each(|((x, y), l)| match name {
                "softmax" => x
                    .chunks(1000)
                    .zip(y.chunks_mut(1000))
                    .for_each(|(r, o)| softmax_f32(r, o)),
                "log_softmax" => x
                    .chunks(1000)
                    .zip(y.chunks_mut(1000))
                    .for_each(|(r, o)| log_softmax_f32(r, o)),
                _ => x
                    .chunks(1000)
                    .zip(l.iter_mut())
                    .for_each(|(r, o)| *o = logsumexp_f32(r)),
            })
    };
    let t1 = best(|| run(false));
    let t2 = pool.install(|| best(|| run(true)));
    (
        name.into(),
        format!("f32[{rows},1000]{}", if high { " high" } else { "" }),
        n as f64 / t1 / 1e9,
        n as f64 / t2 / 1e9,
    )
}

/// Runs the Python reference benchmark for one function, torch on `torch_threads`
/// threads; returns (lib, fn, dtype, Gelem/s).
fn python_refs(name: &str, torch_threads: usize) -> Vec<(String, String, String, f64)> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/bench_ref.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(name)
        .env("TORCH_THREADS", torch_threads.to_string())
        .env_remove("OPENBLAS_CORETYPE")
        .env_remove("OPENBLAS_L2_SIZE")
        .output();
    let Ok(out) = out else {
        eprintln!("python3 not found: no torch/numpy comparison");
        return vec![];
    };
    if !out.status.success() {
        eprintln!(
            "scripts/bench_ref.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return vec![];
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let p: Vec<&str> = l.split_whitespace().collect();
            if p.len() != 4 {
                return None;
            }
            Some((p[0].into(), p[1].into(), p[2].into(), p[3].parse().ok()?))
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let no_python = args.iter().any(|a| a == "--no-python");
    // The word after `flag`, if the flag is given.
    let value = |flag: &str| {
        let i = args.iter().position(|a| a == flag)?;
        args.get(i + 1)
    };
    let only: Option<Vec<String>> =
        value("--only").map(|v| v.split(',').map(String::from).collect());
    let torch_threads: usize = value("--torch-threads").map_or(THREADS, |v| {
        v.parse()
            .expect("bench_kernels: --torch-threads takes a number")
    });
    let wanted = |name: &str| only.as_ref().is_none_or(|o| o.iter().any(|n| n == name));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .unwrap();
    println!(
        "backend: {:?}; {N} elements; best of 2 sets x {REPS} runs for every side; \
         threads: tessera 1T/2T, torch {torch_threads}, numpy 1; every side writes into a \
         preallocated output",
        current_backend()
    );
    // Each function: tessera, torch and numpy, then all three again; every side keeps the
    // best of its two sets.
    let mut rows: Vec<Row> = vec![];
    let mut refs: Vec<(String, String, String, f64)> = vec![];
    let mut measure = |name: &str, run: &dyn Fn() -> Vec<Row>| {
        let mut sets = vec![];
        for _ in 0..2 {
            sets.push(run());
            if !no_python {
                for r in python_refs(name, torch_threads) {
                    match refs
                        .iter_mut()
                        .find(|q| (&q.0, &q.1, &q.2) == (&r.0, &r.1, &r.2))
                    {
                        Some(q) => q.3 = q.3.max(r.3),
                        None => refs.push(r),
                    }
                }
            }
        }
        let second = sets.pop().unwrap_or_default();
        for (a, b) in sets.pop().unwrap_or_default().into_iter().zip(second) {
            rows.push((a.0, a.1, a.2.max(b.2), a.3.max(b.3)));
        }
    };
    macro_rules! both {
        ($name:literal, $f32:ident, $f64:ident) => {
            if wanted($name) {
                measure($name, &|| {
                    vec![
                        bench_unary($name, "f32", $f32, |v| v as f32, &pool),
                        bench_unary($name, "f32 high", high::$f32, |v| v as f32, &pool),
                        bench_unary($name, "f64", $f64, |v| v, &pool),
                    ]
                });
            }
        };
    }
    both!("expm1", expm1_f32, expm1_f64);
    both!("exp", exp_f32, exp_f64);
    both!("log1p", log1p_f32, log1p_f64);
    both!("log", log_f32, log_f64);
    both!("tanh", tanh_f32, tanh_f64);
    both!("sigmoid", sigmoid_f32, sigmoid_f64);
    both!("softplus", softplus_f32, softplus_f64);
    for name in ["softmax", "log_softmax", "logsumexp"] {
        if wanted(name) {
            measure(name, &|| {
                ROW_SHAPES
                    .iter()
                    .flat_map(|&rows| {
                        [
                            bench_rows(name, false, rows, &pool),
                            bench_rows(name, true, rows, &pool),
                        ]
                    })
                    .collect()
            });
        }
    }
    // The `High` rows compare with the same torch and NumPy f32 figures.
    let get = |lib: &str, f: &str, d: &str| {
        let d = d.trim_end_matches(" high");
        refs.iter()
            .find(|r| r.0 == lib && r.1 == f && r.2 == d)
            .map(|r| r.3)
    };
    // torch is compared with tessera on as many threads (1 or 2); NumPy with 2 threads.
    let one = torch_threads == 1;
    let same = if one { "1T" } else { "2T" };
    println!(
        "| function | dtype | tessera 1T | tessera 2T | torch {torch_threads}T | numpy 1T | {same} / torch | 2T / numpy |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let fmt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    let ratio = |a: f64, b: Option<f64>| b.map_or("-".to_string(), |b| format!("{:.2}x", a / b));
    for (f, d, t1, t2) in &rows {
        let (tt, nn) = (get("torch", f, d), get("numpy", f, d));
        println!(
            "| {f} | {d} | {t1:.3} | {t2:.3} | {} | {} | {} | {} |",
            fmt(tt),
            fmt(nn),
            ratio(if one { *t1 } else { *t2 }, tt),
            ratio(*t2, nn)
        );
    }
    println!("(Gelem/s; rows: elements of the matrix per second)");
}
