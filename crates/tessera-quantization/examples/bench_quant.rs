//! Quantized (int8) Linear and Conv2d against tessera's f32 layers and PyTorch's quantized
//! (fbgemm) and f32 modules, all on 2 threads, in the same run.
//!
//! Cases (median seconds per call; int8 inputs already quantized, outputs quantized):
//! - `linear_1024_b64`: Linear 1024 -> 1024 with bias on a batch of 64;
//! - `conv3x3_64_b1`, `conv3x3_64_b8`: Conv2d 3x3, 64 -> 64, padding 1, bias, on
//!   `[1|8, 64, 56, 56]` contiguous (NCHW) inputs;
//! - `conv3x3_64_b8_cl`: the same on a channels-last input (what a quantized conv receives
//!   from the previous quantized conv in a model, on both sides);
//! - `resnet18_b1`, `resnet18_b8`: ResNet-18 end to end on `[1|8, 3, 224, 224]` f32
//!   inputs, f32 output (random weights, 1000 classes): the int8 model is the quantizable
//!   ResNet-18 fused, prepared with the default fbgemm mapping, calibrated on two random
//!   batches and converted (quantize and dequantize included); f32 is the unfused model in
//!   eval mode. PyTorch's are torchvision's `models.quantization.resnet18` through the same
//!   steps and `models.resnet18`, on inputs of the same shape and distribution.
//!
//! Columns: tessera int8, tessera f32, PyTorch int8 (`torch.ao.nn.quantized`, engine
//! fbgemm), PyTorch f32, then tessera int8's speedup over tessera f32 and over PyTorch
//! int8 (> 1: tessera int8 is faster). Run:
//! `cargo run --release -p tessera-quantization --example bench_quant` (`-- --no-python`
//! skips `scripts/bench_quant.py`).

#[path = "../../tessera/examples/common/mod.rs"]
mod common;

use tessera_core::Tensor;
use tessera_nn::functional::{conv2d, linear, ConvOptions};
use tessera_quantization::nn::quantized::{Conv2d, Linear};
use tessera_quantization::{quantize_per_channel, quantize_per_tensor, QDType};

/// The command-line choices: which cases run, and whether tessera's f32 side is timed.
struct Args {
    only: Option<String>,
    f32: bool,
    reps: Option<usize>,
    threads: usize,
}

impl Args {
    fn parse() -> Args {
        let a: Vec<String> = std::env::args().collect();
        let only = a
            .iter()
            .position(|x| x == "--only")
            .map(|i| a.get(i + 1).expect("--only needs a case name").clone());
        let reps = a.iter().position(|x| x == "--reps").map(|i| {
            a.get(i + 1)
                .and_then(|n| n.parse().ok())
                .expect("--reps needs a count")
        });
        let threads = a.iter().position(|x| x == "--threads").map_or(2, |i| {
            a.get(i + 1)
                .and_then(|n| n.parse().ok())
                .expect("--threads needs a count")
        });
        Args {
            only,
            f32: !a.iter().any(|x| x == "--int8-only"),
            reps,
            threads,
        }
    }
    /// The number of timed batches: `--reps`, else `default`.
    fn reps(&self, default: usize) -> usize {
        self.reps.unwrap_or(default).max(1)
    }
    fn runs(&self, case: &str) -> bool {
        self.only.as_ref().is_none_or(|o| case.contains(o.as_str()))
    }
}

fn main() {
    let args = Args::parse();
    tessera_core::set_num_threads(args.threads);
    // (case, int8 seconds, f32 seconds)
    let mut rows: Vec<(String, f64, f64)> = vec![];

    let x = Tensor::rand(&[64, 1024]);
    let w = Tensor::randn(&[1024, 1024]) * 0.03;
    let b = Tensor::randn(&[1024]) * 0.1;
    let qx = quantize_per_tensor(&x, 1.0 / 255.0, 0, QDType::QUInt8);
    let qw = quantize_per_channel(
        &w,
        &Tensor::full_dtype(&[1024], 0.1 / 127.0, tessera_core::DType::F64),
        &Tensor::zeros_dtype(&[1024], tessera_core::DType::I64),
        0,
        QDType::QInt8,
    );
    let ql = Linear::new(&qw, Some(&b), 0.05, 128);
    if args.runs("linear_1024_b64") {
        let t8 = common::median(20, args.reps(9), || {
            ql.forward(&qx);
        });
        let t32 = if args.f32 {
            common::median(10, args.reps(9), || {
                linear(&x, &w, Some(&b));
            })
        } else {
            f64::NAN
        };
        rows.push(("linear_1024_b64".into(), t8, t32));
    }

    let wc = Tensor::randn(&[64, 64, 3, 3]) * 0.05;
    let bc = Tensor::randn(&[64]) * 0.1;
    let qwc = quantize_per_channel(
        &wc,
        &Tensor::full_dtype(&[64], 0.2 / 127.0, tessera_core::DType::F64),
        &Tensor::zeros_dtype(&[64], tessera_core::DType::I64),
        0,
        QDType::QInt8,
    );
    let o = ConvOptions::default().padding(1);
    let qc = Conv2d::new(&qwc, Some(&bc), o, 0.1, 128);
    for (batch, cl) in [(1usize, false), (8, false), (8, true)] {
        let name = format!("conv3x3_64_b{batch}{}", if cl { "_cl" } else { "" });
        if !args.runs(&name) {
            continue;
        }
        let x = Tensor::rand(&[batch, 64, 56, 56]);
        let mut qx = quantize_per_tensor(&x, 1.0 / 255.0, 0, QDType::QUInt8);
        if cl {
            // A channels-last input: NHWC memory viewed as NCHW.
            let v = qx
                .values()
                .permute([0, 2, 3, 1])
                .contiguous()
                .permute([0, 3, 1, 2]);
            qx = tessera_quantization::QTensor::from_int_repr_per_tensor(v, 1.0 / 255.0, 0);
        }
        let (iters, reps) = if batch == 1 { (10, 9) } else { (2, 7) };
        let reps = args.reps(reps);
        let t8 = common::median(iters, reps, || {
            qc.forward(&qx);
        });
        let t32 = if cl || !args.f32 {
            f64::NAN
        } else {
            common::median(iters, reps, || {
                conv2d(&x, &wc, Some(&bc), o);
            })
        };
        rows.push((name, t8, t32));
    }

    if args.runs("resnet18_b1") || args.runs("resnet18_b8") {
        resnet18_rows(&args, &mut rows);
    }

    let py = if std::env::args().any(|a| a == "--no-python") {
        None
    } else {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/bench_quant.py");
        common::python_times(script)
    };
    print_rows(&rows, &py);
}

fn resnet18_rows(args: &Args, rows: &mut Vec<(String, f64, f64)>) {
    use tessera_nn::Module;
    use tessera_quantization::{convert, get_default_qconfig_mapping, models, prepare};
    let m = models::resnet18(1000);
    m.eval();
    let fused = m.fuse_model();
    let calib = Tensor::randn(&[2, 3, 224, 224]);
    let prepared = prepare(&fused, &get_default_qconfig_mapping("fbgemm"), &[]);
    for _ in 0..2 {
        prepared.forward(&calib);
    }
    let q = convert(&prepared);
    for batch in [1usize, 8] {
        let name = format!("resnet18_b{batch}");
        if !args.runs(&name) {
            continue;
        }
        let x = Tensor::randn(&[batch, 3, 224, 224]);
        let reps = args.reps(if batch == 1 { 7 } else { 3 });
        let t8 = common::median(1, reps, || {
            q.forward(&x);
        });
        let t32 = if args.f32 {
            common::median(1, reps, || {
                let _g = tessera_core::autograd::no_grad();
                m.forward(&x);
            })
        } else {
            f64::NAN
        };
        rows.push((name, t8, t32));
    }
}

fn print_rows(rows: &[(String, f64, f64)], py: &Option<Vec<(String, f64, f64)>>) {
    let ms = |s: f64| {
        if s.is_nan() {
            "-".to_string()
        } else {
            format!("{:.3} ms", s * 1e3)
        }
    };
    let ratio = |a: f64, b: f64| {
        if a.is_nan() || b.is_nan() {
            "-".to_string()
        } else {
            format!("{:.2}x", a / b)
        }
    };
    println!(
        "{:<20} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "case", "tessera i8", "tessera f32", "torch i8", "torch f32", "i8 vs f32", "vs torch i8"
    );
    for (name, t8, t32) in rows {
        let (p8, p32) = py
            .as_ref()
            .and_then(|p| p.iter().find(|r| &r.0 == name).map(|r| (r.1, r.2)))
            .unwrap_or((f64::NAN, f64::NAN));
        println!(
            "{name:<20} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}",
            ms(*t8),
            ms(*t32),
            ms(p8),
            ms(p32),
            ratio(*t32, *t8),
            ratio(p8, *t8)
        );
    }
    println!("(ratios > 1 mean tessera int8 is faster; 2 threads on every side)");
}
