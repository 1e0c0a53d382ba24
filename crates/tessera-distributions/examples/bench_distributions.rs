//! Distributions against PyTorch (`torch.distributions`) in the same run, f32:
//! - `Wishart(df=10, 5x5).sample((10000,))` and `log_prob` of those samples;
//! - `Normal(0, 1).sample((10^7,))`;
//! - `MultivariateNormal(10-dim).log_prob` of 10^6 points.
//!
//! Both sides build the same covariance matrices (`Σ = A Aᵀ / p + I`, `A_ij =
//! sin(i + 2j)`). PyTorch runs with validation off (`validate_args=False`), as tessera
//! does here, so neither side spends time checking its arguments.
//!
//! Rows marked `(tensor path)` run the same cases through the general, differentiable
//! tensor code (what `sample` and `log_prob` did before their fused kernels), tessera
//! only.
//!
//! Run: `cargo run --release -p tessera-distributions --example bench_distributions`
//! (`-- --no-python` skips PyTorch; it runs `scripts/bench_distributions.py`).

use std::process::Command;
use std::time::Instant;
use tessera_core::{DType, Generator, Tensor};
use tessera_distributions::{Distribution, MultivariateNormal, Normal, Scale, Wishart};

fn cov(p: usize) -> Tensor {
    let a: Vec<f64> = (0..p * p)
        .map(|k| ((k / p) as f64 + 2.0 * (k % p) as f64).sin())
        .collect();
    let a = Tensor::from_vec(a, &[p, p]);
    (a.matmul(&a.t()) / p as f64 + Tensor::eye_dtype(p, p, DType::F64)).to_dtype(DType::F32)
}

/// Median seconds of `reps` runs of `f` after one warm-up.
fn median(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[reps / 2]
}

fn main() {
    let no_python = std::env::args().any(|a| a == "--no-python");
    let mut g = Generator::new(0);
    let mut rows: Vec<(&str, f64)> = vec![];

    let w = Wishart::new_with(&Tensor::full(&[], 10.0), Scale::Covariance(cov(5)), false).unwrap();
    rows.push((
        "wishart_sample_10000",
        median(7, || {
            std::hint::black_box(w.sample(&[10_000], &mut g));
        }),
    ));
    let x = w.sample(&[10_000], &mut g);
    rows.push((
        "wishart_log_prob_10000",
        median(7, || {
            std::hint::black_box(w.log_prob(&x).unwrap());
        }),
    ));
    // The general tensor paths, for comparison with the fused kernels above (the
    // differentiable rsample without a graph, and a batch of one distribution).
    rows.push((
        "(tensor path) wishart_sample",
        median(7, || {
            let _ng = tessera_core::autograd::no_grad();
            std::hint::black_box(w.rsample(&[10_000], &mut g).unwrap());
        }),
    ));
    let w1 =
        Wishart::new_with(&Tensor::full(&[1], 10.0), Scale::Covariance(cov(5)), false).unwrap();
    let x1 = x.unsqueeze(1);
    rows.push((
        "(tensor path) wishart_log_prob",
        median(7, || {
            std::hint::black_box(w1.log_prob(&x1).unwrap());
        }),
    ));
    let n = Normal::new_with(&Tensor::full(&[], 0.0), &Tensor::full(&[], 1.0), false).unwrap();
    rows.push((
        "normal_sample_1e7",
        median(5, || {
            std::hint::black_box(n.sample(&[10_000_000], &mut g));
        }),
    ));
    let m = MultivariateNormal::new_with(&Tensor::zeros(&[10]), Scale::Covariance(cov(10)), false)
        .unwrap();
    let pts = g.randn(&[1_000_000, 10], DType::F32);
    rows.push((
        "mvn10_log_prob_1e6",
        median(7, || {
            std::hint::black_box(m.log_prob(&pts).unwrap());
        }),
    ));
    let m1 =
        MultivariateNormal::new_with(&Tensor::zeros(&[1, 10]), Scale::Covariance(cov(10)), false)
            .unwrap();
    rows.push((
        "(tensor path) mvn10_log_prob",
        median(7, || {
            std::hint::black_box(m1.log_prob(&pts).unwrap());
        }),
    ));

    let py: Vec<(String, f64)> = if no_python {
        vec![]
    } else {
        match Command::new("python3")
            .arg("scripts/bench_distributions.py")
            .output()
        {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    (f.len() == 2)
                        .then(|| (f[0].to_string(), f[1].parse().ok()))?
                        .1
                        .map(|v| (f[0].to_string(), v))
                })
                .collect(),
            Ok(o) => {
                eprintln!(
                    "python benchmark failed: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
                vec![]
            }
            Err(e) => {
                eprintln!("python benchmark skipped: {e}");
                vec![]
            }
        }
    };
    println!("threads: {}", tessera_core::get_num_threads());
    println!(
        "{:<30} {:>12} {:>12} {:>9}",
        "case", "tessera", "torch", "vs torch"
    );
    for (name, t) in rows {
        let tt = py.iter().find(|r| r.0 == name).map(|r| r.1);
        println!(
            "{name:<30} {:>9.3} ms {:>9} {:>9}",
            t * 1e3,
            tt.map(|v| format!("{:.3} ms", v * 1e3))
                .unwrap_or("-".into()),
            tt.map(|v| format!("{:.2}x", v / t)).unwrap_or("-".into())
        );
    }
    println!("(ratios > 1 mean tessera is faster)");
}
