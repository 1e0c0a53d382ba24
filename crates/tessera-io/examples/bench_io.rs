//! Loading and saving a ResNet-18-sized state dict against PyTorch and the safetensors
//! Python package, on the same files in the same run.
//!
//! `scripts/bench_io.py make` writes `resnet18.pth` (torch.save) and
//! `resnet18.safetensors` (safetensors.torch.save_file) to a temporary folder: the 122
//! names and shapes of torchvision's resnet18 with random values, 46.8 MB. Then both
//! sides load (and save) them; each figure is the best of 10, one thread, files in the
//! page cache.
//!
//! `load_pth` and `load_safetensors` use the default, memory-mapped loading (storages
//! borrow the file's pages, CRC-checked at load time); `load_pth_copy` reads every
//! storage into memory of its own (`LoadOptions::new().mmap(false)`), as before; the
//! `_first` cases drop core's cached buffers first, as the first load in a process.
//!
//! Run: `cargo run --release -p tessera-io --example bench_io` (needs python3 with
//! torch and safetensors to make the files).

use std::process::Command;
use std::time::Instant;
use tessera_core::Result;

fn best(reps: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let mut b = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        f()?;
        b = b.min(t.elapsed().as_secs_f64());
    }
    Ok(b)
}

fn python(args: &[&str]) -> Option<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/bench_io.py");
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "bench_io.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn main() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("tessera-bench-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| tessera_core::Error::io("temp dir", e))?;
    let d = dir.to_str().expect("utf-8 temp dir");
    let Some(made) = python(&["make", d]) else {
        eprintln!("python3 with torch and safetensors is needed to write the files");
        return Ok(());
    };
    println!("{}", made.trim());
    let (pth, st) = (dir.join("resnet18.pth"), dir.join("resnet18.safetensors"));
    let sd = tessera_io::load_state_dict(&pth)?;
    // Every storage read into memory of its own (the mapped default borrows the file).
    let copy = tessera_io::LoadOptions::new().mmap(false);
    let cases: Vec<(&str, f64)> = vec![
        (
            "load_pth",
            best(10, || tessera_io::load_state_dict(&pth).map(drop))?,
        ),
        (
            "load_pth_first",
            best(10, || {
                // As a first load in a process: no dropped buffers to reuse.
                tessera_core::release_cached_buffers();
                tessera_io::load_state_dict(&pth).map(drop)
            })?,
        ),
        (
            "load_pth_copy",
            best(10, || {
                tessera_io::load_with(&pth, &copy)
                    .and_then(|v| v.to_state_dict())
                    .map(drop)
            })?,
        ),
        (
            "load_pth_copy_first",
            best(10, || {
                tessera_core::release_cached_buffers();
                tessera_io::load_with(&pth, &copy)
                    .and_then(|v| v.to_state_dict())
                    .map(drop)
            })?,
        ),
        (
            "load_safetensors",
            best(10, || tessera_io::safetensors::load_file(&st).map(drop))?,
        ),
        (
            "save_pth",
            best(10, || tessera_io::save(&sd, dir.join("rs_out.pth")))?,
        ),
        (
            "save_safetensors",
            best(10, || {
                tessera_io::safetensors::save_file(&sd, dir.join("rs_out.safetensors"), None)
            })?,
        ),
    ];
    let torch = python(&["time", d]).unwrap_or_default();
    let theirs = |case: &str| -> Option<f64> {
        torch
            .lines()
            .find_map(|l| l.strip_prefix(case)?.trim().parse().ok())
    };
    println!("best of 10, milliseconds, one thread");
    println!("| case | tessera | PyTorch / safetensors | tessera speedup |");
    println!("| --- | --- | --- | --- |");
    for (case, t) in &cases {
        // A first load compares with torch.load, which has no such cache.
        let theirs_case = if case.starts_with("load_pth") {
            "load_pth"
        } else {
            case
        };
        match theirs(&format!("{theirs_case} ")) {
            Some(p) => println!(
                "| {case} | {:.2} | {:.2} | {:.1}x |",
                t * 1e3,
                p * 1e3,
                p / t
            ),
            None => println!("| {case} | {:.2} | - | - |", t * 1e3),
        }
    }
    if let Some(p) = theirs("load_pth_mmap ") {
        println!(
            "| (torch.load mmap=True: lazy, pages read on first use) | | {:.2} | |",
            p * 1e3
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
