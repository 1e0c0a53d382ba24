//! Per-op times of a ResNet-18 forward (eval, no grad, f32) on one `[1, 3, 224, 224]`
//! image, at 1 and at 2 threads, with each op's 2-thread speedup: a tool to find what
//! does not scale. Random weights (speed does not depend on the values away from
//! denormals); the ops are the functional forms the modules call.
//! Run: `cargo run --release -p tessera-models --example layer_times [-- REPS [THREADS]]`
//! (with THREADS: that count only, for `perf record`).

use std::collections::BTreeMap;
use std::time::Instant;
use tessera_core::{autograd::no_grad, Tensor};
use tessera_nn::functional::{
    adaptive_avg_pool2d, batch_norm, conv2d, linear, max_pool2d, ConvOptions, PoolOptions,
};

/// One op of the network, timed by name.
struct Net {
    convs: Vec<(String, Tensor, ConvOptions)>,
    fc: (Tensor, Tensor),
}

fn build() -> Net {
    let mut convs = vec![];
    let mut add = |name: String, cin: usize, cout: usize, k: usize, s: usize, p: usize| {
        let w = Tensor::randn(&[cout, cin, k, k]) * (2.0 / (cin * k * k) as f64).sqrt();
        convs.push((name, w, ConvOptions::default().stride(s).padding(p)));
    };
    add("stem7x7s2".into(), 3, 64, 7, 2, 3);
    let mut cin = 64;
    for (l, planes) in [64usize, 128, 256, 512].into_iter().enumerate() {
        for b in 0..2 {
            let s = if l > 0 && b == 0 { 2 } else { 1 };
            add(
                format!("l{}b{b}c1_3x3s{s}_{planes}", l + 1),
                cin,
                planes,
                3,
                s,
                1,
            );
            add(
                format!("l{}b{b}c2_3x3s1_{planes}", l + 1),
                planes,
                planes,
                3,
                1,
                1,
            );
            if s == 2 {
                add(
                    format!("l{}b{b}ds_1x1s2_{planes}", l + 1),
                    cin,
                    planes,
                    1,
                    2,
                    0,
                );
            }
            cin = planes;
        }
    }
    let fc = (Tensor::randn(&[1000, 512]) * 0.04, Tensor::randn(&[1000]));
    Net { convs, fc }
}

/// The forward, calling `t(name, f)` around each op.
fn forward(net: &Net, x: &Tensor, t: &mut dyn FnMut(&str, &mut dyn FnMut() -> Tensor) -> Tensor) {
    let bn = |x: &Tensor| {
        let c = x.shape()[1];
        let (m, v) = (Tensor::zeros(&[c]), Tensor::ones(&[c]));
        batch_norm(x, Some(&m), Some(&v), Some(&v), Some(&m), false, 0.1, 1e-5)
    };
    let conv = |i: usize, x: &Tensor| {
        let (_, w, o) = &net.convs[i];
        conv2d(x, w, None, *o)
    };
    let name = |i: usize| net.convs[i].0.clone();
    let mut y = t(&name(0), &mut || conv(0, x));
    y = t("bn", &mut || bn(&y));
    y = t("relu_", &mut || {
        y.relu_();
        y.clone()
    });
    y = t("maxpool", &mut || {
        max_pool2d(&y, PoolOptions::new(3).stride(2).padding(1))
    });
    let mut i = 1;
    for l in 0..4 {
        for b in 0..2 {
            let ds = l > 0 && b == 0;
            let mut o = t(&name(i), &mut || conv(i, &y));
            o = t("bn", &mut || bn(&o));
            o = t("relu_", &mut || {
                o.relu_();
                o.clone()
            });
            o = t(&name(i + 1), &mut || conv(i + 1, &o));
            o = t("bn", &mut || bn(&o));
            let id = if ds {
                let d = t(&name(i + 2), &mut || conv(i + 2, &y));
                t("bn", &mut || bn(&d))
            } else {
                y.clone()
            };
            y = t("add_relu_", &mut || {
                o.add_(&id);
                o.relu_();
                o.clone()
            });
            i += if ds { 3 } else { 2 };
        }
    }
    y = t("avgpool", &mut || {
        adaptive_avg_pool2d(&y, (1, 1)).flatten_dims(1, -1)
    });
    t("fc", &mut || linear(&y, &net.fc.0, Some(&net.fc.1)));
}

/// Median over `reps` runs of each op's summed time per forward (ms), and of the whole.
fn profile(net: &Net, x: &Tensor, reps: usize) -> (BTreeMap<String, f64>, f64) {
    let mut runs: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut totals = vec![];
    for r in 0..reps + 2 {
        let mut acc: BTreeMap<String, f64> = BTreeMap::new();
        let t0 = Instant::now();
        forward(net, x, &mut |name, f| {
            let s = Instant::now();
            let y = f();
            *acc.entry(name.to_string()).or_default() += s.elapsed().as_secs_f64() * 1e3;
            y
        });
        if r >= 2 {
            totals.push(t0.elapsed().as_secs_f64() * 1e3);
            for (k, v) in acc {
                runs.entry(k).or_default().push(v);
            }
        }
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ops = runs
        .into_iter()
        .map(|(k, mut v)| (k, med(&mut v)))
        .collect();
    (ops, med(&mut totals))
}

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let _g = no_grad();
    let net = build();
    let x = Tensor::randn(&[1, 3, 224, 224]);
    if let Some(n) = std::env::args().nth(2).and_then(|s| s.parse().ok()) {
        // One thread count only (for `perf record`).
        tessera_core::set_num_threads(n);
        let (ops, t) = profile(&net, &x, reps);
        for (k, v) in &ops {
            println!("{k:<22} {v:>8.3}");
        }
        println!("{:<22} {t:>8.3}", "total");
        return;
    }
    tessera_core::set_num_threads(1);
    let (one, t1) = profile(&net, &x, reps);
    tessera_core::set_num_threads(2);
    let (two, t2) = profile(&net, &x, reps);
    println!(
        "{:<22} {:>8} {:>8} {:>6} {:>8}",
        "op", "1T ms", "2T ms", "1T/2T", "lost ms"
    );
    for (k, a) in &one {
        let b = two[k];
        println!(
            "{k:<22} {a:>8.3} {b:>8.3} {:>6.2} {:>8.3}",
            a / b,
            b - a / 2.0
        );
    }
    println!(
        "{:<22} {t1:>8.3} {t2:>8.3} {:>6.2} {:>8.3}",
        "total",
        t1 / t2,
        t2 - t1 / 2.0
    );
}
