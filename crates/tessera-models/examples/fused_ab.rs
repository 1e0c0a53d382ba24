//! A ResNet-18 forward (eval, no grad, f32, random weights) written with the functional
//! ops two ways, run alternately in one process: each convolution followed by
//! `batch_norm`, `add_` and `relu_` (A), and by `conv2d_bn` (B). Prints the min and
//! median ms of each and checks that both give the same bits.
//! Run: `cargo run --release -p tessera-models --example fused_ab [-- BATCH REPS]`.

use std::time::Instant;
use tessera_core::{autograd::no_grad, Tensor};
use tessera_nn::functional::{
    adaptive_avg_pool2d, batch_norm, conv2d, conv2d_bn, linear, max_pool2d, BatchNormEval,
    ConvOptions, PoolOptions,
};

struct Conv {
    w: Tensor,
    o: ConvOptions,
    m: Tensor,
    v: Tensor,
    g: Tensor,
    b: Tensor,
}

fn conv(cin: usize, cout: usize, k: usize, s: usize, p: usize) -> Conv {
    let w = Tensor::randn(&[cout, cin, k, k]) * (2.0 / (cin * k * k) as f64).sqrt();
    Conv {
        w,
        o: ConvOptions::default().stride(s).padding(p),
        m: Tensor::randn(&[cout]) * 0.1,
        v: Tensor::rand(&[cout]) + 0.5,
        g: Tensor::rand(&[cout]) + 0.5,
        b: Tensor::randn(&[cout]) * 0.1,
    }
}

/// `relu?(bn(conv(x)) + res?)`, fused or not.
fn cbr(c: &Conv, x: &Tensor, res: Option<&Tensor>, relu: bool, fused: bool) -> Tensor {
    if fused {
        let bn = BatchNormEval {
            running_mean: &c.m,
            running_var: &c.v,
            weight: Some(&c.g),
            bias: Some(&c.b),
            eps: 1e-5,
        };
        return conv2d_bn(x, &c.w, None, c.o, &bn, res, relu);
    }
    let y = conv2d(x, &c.w, None, c.o);
    let y = batch_norm(
        &y,
        Some(&c.m),
        Some(&c.v),
        Some(&c.g),
        Some(&c.b),
        false,
        0.1,
        1e-5,
    );
    if let Some(r) = res {
        y.add_(r);
    }
    if relu {
        y.relu_();
    }
    y
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|s| s.parse::<usize>().unwrap());
    let batch = args.next().unwrap_or(1);
    let reps = args.next().unwrap_or(20);
    tessera_core::set_num_threads(2);
    let _g = no_grad();
    let stem = conv(3, 64, 7, 2, 3);
    let mut blocks = vec![];
    let mut cin = 64;
    for (l, planes) in [64usize, 128, 256, 512].into_iter().enumerate() {
        for b in 0..2 {
            let s = if l > 0 && b == 0 { 2 } else { 1 };
            let ds = (s == 2).then(|| conv(cin, planes, 1, 2, 0));
            blocks.push((
                conv(cin, planes, 3, s, 1),
                conv(planes, planes, 3, 1, 1),
                ds,
            ));
            cin = planes;
        }
    }
    let (fw, fb) = (Tensor::randn(&[1000, 512]) * 0.04, Tensor::randn(&[1000]));
    let x = Tensor::randn(&[batch, 3, 224, 224]);
    let forward = |fused: bool| {
        let y = cbr(&stem, &x, None, true, fused);
        let mut y = max_pool2d(&y, PoolOptions::new(3).stride(2).padding(1));
        for (c1, c2, ds) in &blocks {
            let o = cbr(c1, &y, None, true, fused);
            let id = match ds {
                Some(d) => cbr(d, &y, None, false, fused),
                None => y.clone(),
            };
            y = cbr(c2, &o, Some(&id), true, fused);
        }
        let y = adaptive_avg_pool2d(&y, (1, 1)).flatten_dims(1, -1);
        linear(&y, &fw, Some(&fb))
    };
    let (a, b) = (forward(false), forward(true));
    let same = a
        .to_vec::<f32>()
        .iter()
        .map(|v| v.to_bits())
        .eq(b.to_vec::<f32>().iter().map(|v| v.to_bits()));
    println!("same bits: {same}");
    let (mut ta, mut tb) = (vec![], vec![]);
    for _ in 0..reps {
        for (fused, t) in [(false, &mut ta), (true, &mut tb)] {
            let s = Instant::now();
            forward(fused);
            t.push(s.elapsed().as_secs_f64() * 1e3);
        }
    }
    for (name, t) in [("separate", &mut ta), ("conv2d_bn", &mut tb)] {
        t.sort_by(f64::total_cmp);
        println!(
            "{name:<10} min {:8.3} ms  median {:8.3} ms",
            t[0],
            t[t.len() / 2]
        );
    }
}
