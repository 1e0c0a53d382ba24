//! Extension overheads, with torch.utils.cpp_extension's beside them when python3 with
//! torch and ninja is there:
//! - per-call overhead: an op that only allocates its output, on a 100-element f32
//!   tensor (target < 1 us), next to the fused `expm1(x) * 0.5` C op and built-in ops on
//!   the same tensor;
//! - warm load: `load` of an already-built extension, the first in a fresh process
//!   (compiler identification included; target < 10 ms) and again in the same process;
//! - cold load: one build from scratch (compiler runs), for reference.
//!
//! Run: `cargo run --release -p tessera-extension --example bench_extension`
//! (`-- --no-python` skips PyTorch). The builds go to `<temp dir>/tessera-bench-ext`.

#[path = "../../tessera/examples/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use tessera_core::{DType, Result, Tensor};
use tessera_extension::{load, Extension, LoadOptions};

fn csrc(f: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/csrc")
        .join(f)
}

fn load_noop(root: &Path) -> Result<Extension> {
    load(
        "bench_noop",
        &[csrc("noop.c")],
        &LoadOptions::new().build_directory(root),
    )
}

/// Median of `n` fresh processes' first `load` (ms as seconds).
fn warm_load_new_process(root: &Path, n: usize) -> f64 {
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            let out = Command::new(std::env::current_exe().unwrap())
                .arg("--child-load")
                .arg(root)
                .output()
                .expect("re-running the benchmark");
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .expect("the child prints its load time")
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[n / 2]
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child-load") {
        let t = Instant::now();
        let ext = load_noop(Path::new(&args[2]))?;
        let s = t.elapsed().as_secs_f64();
        assert!(!ext.was_compiled(), "the parent built it first");
        println!("{s}");
        return Ok(());
    }
    let root = std::env::temp_dir().join("tessera-bench-ext");
    let cold_root = root.join("cold");
    let _ = std::fs::remove_dir_all(&cold_root);
    let t = Instant::now();
    load_noop(&cold_root)?;
    let cold = t.elapsed().as_secs_f64();

    let ext = load_noop(&root)?;
    let fused = load(
        "bench_fused",
        &[csrc("fused_expm1.c")],
        &LoadOptions::new().build_directory(&root),
    )?;
    let noop = ext.op("noop_alloc").unwrap();
    let fused = fused.op("fused_expm1").unwrap();
    let x = Tensor::linspace_dtype(-1.0, 1.0, 100, DType::F32);

    let mut rows: Vec<(String, f64)> = vec![
        (
            "call_noop_f32_100".into(),
            common::median(20_000, 9, || {
                std::hint::black_box(noop.call(&[&x], &[]).unwrap());
            }),
        ),
        (
            "call_noop_by_name_f32_100".into(),
            common::median(20_000, 9, || {
                std::hint::black_box(ext.call("noop_alloc", &[&x], &[]).unwrap());
            }),
        ),
        (
            "call_fused_expm1_f32_100".into(),
            common::median(20_000, 9, || {
                std::hint::black_box(fused.call(&[&x], &[0.5]).unwrap());
            }),
        ),
        (
            "builtin_expm1_mul_f32_100".into(),
            common::median(20_000, 9, || {
                std::hint::black_box(x.expm1() * 0.5);
            }),
        ),
        (
            "builtin_neg_f32_100".into(),
            common::median(20_000, 9, || {
                std::hint::black_box(x.neg());
            }),
        ),
    ];
    let t = Instant::now();
    load_noop(&root)?;
    let warm_same = t.elapsed().as_secs_f64();
    rows.push((
        "load_warm_new_process".into(),
        warm_load_new_process(&root, 7),
    ));
    rows.push(("load_warm_same_process".into(), warm_same));
    rows.push(("load_cold_build".into(), cold));

    let py = if args.iter().any(|a| a == "--no-python") {
        None
    } else {
        python_times(&root.join("torch"))
    };
    println!("per call (us) and load (ms); 'torch': torch.utils.cpp_extension");
    println!(
        "{:<28} {:>12} {:>12} {:>9}",
        "case", "tessera", "torch", "vs torch"
    );
    for (name, t) in &rows {
        let (scale, unit) = if name.starts_with("load") {
            (1e3, "ms")
        } else {
            (1e6, "us")
        };
        let torch = py
            .as_ref()
            .and_then(|p| p.iter().find(|r| r.0 == *name).map(|r| r.1));
        let (ts, ratio) = match torch {
            Some(tt) => (
                format!("{:.3} {unit}", tt * scale),
                format!("{:.2}x", tt / t),
            ),
            None => ("-".into(), "-".into()),
        };
        println!(
            "{name:<28} {:>12} {ts:>12} {ratio:>9}",
            format!("{:.3} {unit}", t * scale)
        );
    }
    println!("(ratios > 1 mean tessera is faster)");
    Ok(())
}

/// The `case seconds` lines of `scripts/bench_extension.py`, or `None` with the reason.
fn python_times(build_dir: &Path) -> Option<Vec<(String, f64)>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench_extension.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(build_dir)
        .output()
        .ok()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        eprintln!(
            "python benchmark skipped: {}",
            err.lines().last().unwrap_or("")
        );
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 2).then_some(())?;
                Some((f[0].to_string(), f[1].parse().ok()?))
            })
            .collect(),
    )
}
