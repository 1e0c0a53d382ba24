//! The int8 kernels against PyTorch's fbgemm outputs (tests/data/qgemm_cases.txt, made by
//! scripts/make_qkern_data.py) on every backend, and every backend against the plain
//! definition on random data (tails, saturation, NaN and infinite biases, zero sizes).

mod common;
use common::Lcg;
use tessera_kernels::quant::*;
use tessera_kernels::{available_backends, with_backend};

struct Case {
    name: String,
    kind: String,
    dims: Vec<usize>,
    a_scale: f32,
    a_zp: i32,
    out_scale: f32,
    out_zp: i32,
    relu: bool,
    perchan: bool,
    a: Vec<u8>,
    w: Vec<i8>,
    wscale: Vec<f32>,
    wzp: Vec<i32>,
    bias: Option<Vec<f32>>,
    out: Vec<u8>,
}

fn hexf(s: &str) -> f32 {
    f32::from_bits(u32::from_str_radix(s, 16).unwrap())
}

fn cases() -> Vec<Case> {
    let text = include_str!("data/qgemm_cases.txt");
    let mut cases = Vec::new();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    while let Some(head) = lines.next() {
        let name = head.strip_prefix("case ").expect("case line").to_string();
        let mut fields = std::collections::HashMap::new();
        for l in lines.by_ref() {
            if l == "end" {
                break;
            }
            let (k, v) = l.split_once(' ').unwrap_or((l, ""));
            fields.insert(k.to_string(), v.to_string());
        }
        let (kind, dims) = if let Some(d) = fields.get("linear") {
            ("linear", d)
        } else {
            ("conv", &fields["conv"])
        };
        let nums = |k: &str| -> Vec<i64> {
            fields[k]
                .split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect()
        };
        let q: Vec<&str> = fields["qparams"].split_whitespace().collect();
        let bias = match fields["bias"].as_str() {
            "none" => None,
            b => Some(b.split_whitespace().map(hexf).collect()),
        };
        cases.push(Case {
            name,
            kind: kind.to_string(),
            dims: dims
                .split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect(),
            a_scale: hexf(q[0]),
            a_zp: q[1].parse().unwrap(),
            out_scale: hexf(q[2]),
            out_zp: q[3].parse().unwrap(),
            relu: q[4] == "1",
            perchan: q[5] == "1",
            a: nums("a").iter().map(|&v| v as u8).collect(),
            w: nums("w").iter().map(|&v| v as i8).collect(),
            wscale: fields["wscale"].split_whitespace().map(hexf).collect(),
            wzp: nums("wzp").iter().map(|&v| v as i32).collect(),
            bias,
            out: nums("out").iter().map(|&v| v as u8).collect(),
        });
    }
    cases
}

fn quant(c: &Case) -> WeightQuant<'_> {
    if c.perchan {
        WeightQuant::PerChannel {
            scales: &c.wscale,
            zero_points: &c.wzp,
        }
    } else {
        WeightQuant::PerTensor {
            scale: c.wscale[0],
            zero_point: c.wzp[0],
        }
    }
}

fn params(c: &Case) -> QGemmParams<'_> {
    QGemmParams {
        a_scale: c.a_scale,
        a_zero_point: c.a_zp,
        bias: c.bias.as_deref(),
        out_scale: c.out_scale,
        out_zero_point: c.out_zp,
        relu: c.relu,
    }
}

fn run_linear(c: &Case) -> Vec<u8> {
    let (m, k, n) = (c.dims[0], c.dims[1], c.dims[2]);
    let w = PackedWeightI8::pack(&c.w, n, k, quant(c));
    let rq = Requant::new(&w, &params(c));
    let mut out = vec![0u8; m * n];
    qgemm_u8i8(&c.a, m, k, &w, &rq, &mut out, n);
    out
}

fn nchw_to_nhwc(x: &[u8], n: usize, c: usize, h: usize, w: usize) -> Vec<u8> {
    let mut y = vec![0u8; x.len()];
    for b in 0..n {
        for ch in 0..c {
            for i in 0..h * w {
                y[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
            }
        }
    }
    y
}

fn nhwc_to_nchw(x: &[u8], n: usize, c: usize, h: usize, w: usize) -> Vec<u8> {
    let mut y = vec![0u8; x.len()];
    for b in 0..n {
        for ch in 0..c {
            for i in 0..h * w {
                y[(b * c + ch) * h * w + i] = x[(b * h * w + i) * c + ch];
            }
        }
    }
    y
}

fn conv_shape(c: &Case) -> Conv2dShape {
    let d = &c.dims;
    Conv2dShape {
        batch: d[0],
        in_channels: d[1],
        input: (d[2], d[3]),
        out_channels: d[4],
        kernel: (d[5], d[6]),
        stride: (d[7], d[8]),
        padding: (d[9], d[10]),
        dilation: (d[11], d[12]),
        groups: d[13],
    }
}

/// Runs the conv over `splits` pixel ranges (as threads would).
fn run_conv(c: &Case, splits: usize) -> Vec<u8> {
    let s = conv_shape(c);
    let w = PackedConvWeightI8::pack(
        &c.w,
        s.out_channels,
        s.in_channels / s.groups,
        s.kernel,
        s.groups,
        quant(c),
    );
    assert_eq!(w.unpack(), c.w);
    let rq = w.requant(&params(c));
    let x = nchw_to_nhwc(&c.a, s.batch, s.in_channels, s.input.0, s.input.1);
    let (oh, ow) = s.output();
    let pixels = s.out_pixels();
    let mut out = vec![0u8; pixels * s.out_channels];
    let step = pixels.div_ceil(splits).max(1);
    for (i, chunk) in out.chunks_mut(step * s.out_channels).enumerate() {
        let p0 = i * step;
        let p1 = p0 + chunk.len() / s.out_channels;
        qconv2d_nhwc(&x, &s, &w, &rq, p0..p1, chunk);
    }
    nhwc_to_nchw(&out, s.batch, s.out_channels, oh, ow)
}

#[test]
fn pytorch_fbgemm_outputs_bit_for_bit_on_every_backend() {
    let cases = cases();
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    for b in available_backends() {
        for c in &cases {
            let got = with_backend(b, || {
                if c.kind == "linear" {
                    run_linear(c)
                } else {
                    run_conv(c, 3)
                }
            });
            let bad = got.iter().zip(&c.out).filter(|(x, y)| x != y).count();
            assert_eq!(got.len(), c.out.len(), "{}: length", c.name);
            assert_eq!(
                bad,
                0,
                "{} on {b:?}: {bad} of {} bytes differ",
                c.name,
                got.len()
            );
        }
    }
}

#[test]
fn saturation_cases_do_saturate() {
    // The data must exercise both clamps, else the saturation cases test nothing.
    for c in cases().iter().filter(|c| c.name.contains("saturate")) {
        let lo = if c.relu { c.out_zp as u8 } else { 0 };
        assert!(c.out.contains(&255) && c.out.contains(&lo), "{}", c.name);
    }
}

#[test]
fn every_backend_equals_the_definition_on_random_shapes() {
    let mut rng = Lcg(3);
    for trial in 0..60 {
        let m = rng.below(20) as usize;
        let k = 1 + rng.below(90) as usize;
        let n = 1 + rng.below(80) as usize;
        let a: Vec<u8> = (0..m * k).map(|_| rng.next() as u8).collect();
        let w: Vec<i8> = (0..n * k).map(|_| rng.next() as i8).collect();
        let scales: Vec<f32> = (0..n)
            .map(|_| 1e-3 + rng.below(1000) as f32 * 1e-5)
            .collect();
        let zps: Vec<i32> = (0..n).map(|_| rng.below(41) as i32 - 20).collect();
        let mut bias: Vec<f32> = (0..n)
            .map(|_| rng.below(20001) as f32 * 1e-2 - 100.0)
            .collect();
        if trial % 7 == 0 {
            bias[0] = f32::NAN;
            bias[n / 2] = f32::INFINITY;
            bias[n - 1] = f32::NEG_INFINITY;
        }
        let q = if trial % 2 == 0 {
            WeightQuant::PerChannel {
                scales: &scales,
                zero_points: &zps,
            }
        } else {
            WeightQuant::PerTensor {
                scale: scales[0],
                zero_point: zps[0] * (trial % 3) as i32,
            }
        };
        let packed = PackedWeightI8::pack(&w, n, k, q);
        assert_eq!(packed.unpack(), w);
        let p = QGemmParams {
            a_scale: 0.01 + rng.below(100) as f32 * 1e-3,
            a_zero_point: [0, 255, 128, 37][trial % 4],
            bias: if trial % 5 == 0 { None } else { Some(&bias) },
            out_scale: [1e-3, 0.05, 0.5, 30.0][(trial / 4) % 4],
            out_zero_point: rng.below(256) as i32,
            relu: trial % 3 == 0,
        };
        let rq = Requant::new(&packed, &p);
        // A row stride past k and an output stride past n.
        let (lda, ldc) = (k + 3, n + 5);
        let mut ap = vec![7u8; m * lda];
        for i in 0..m {
            ap[i * lda..i * lda + k].copy_from_slice(&a[i * k..(i + 1) * k]);
        }
        let mut want = vec![0xAAu8; m * ldc];
        qgemm_u8i8_reference(&ap, m, lda, &packed, &rq, &mut want, ldc);
        for b in available_backends() {
            let mut got = vec![0xAAu8; m * ldc];
            with_backend(b, || qgemm_u8i8(&ap, m, lda, &packed, &rq, &mut got, ldc));
            assert_eq!(got, want, "trial {trial} (m={m}, k={k}, n={n}) on {b:?}");
        }
    }
}

#[test]
fn nan_and_infinite_bias_follow_cvtps2dq() {
    // y = NaN or +-inf -> i32::MIN -> clamped to the lower bound.
    let w = PackedWeightI8::pack(
        &[1, 2],
        2,
        1,
        WeightQuant::PerTensor {
            scale: 1.0,
            zero_point: 0,
        },
    );
    let bias = [f32::NAN, f32::INFINITY];
    for relu in [false, true] {
        let p = QGemmParams {
            a_scale: 1.0,
            a_zero_point: 0,
            bias: Some(&bias),
            out_scale: 1.0,
            out_zero_point: 9,
            relu,
        };
        let rq = Requant::new(&w, &p);
        for b in available_backends() {
            let mut out = [1u8; 2];
            with_backend(b, || qgemm_u8i8(&[3], 1, 1, &w, &rq, &mut out, 2));
            let lo = if relu { 9 } else { 0 };
            assert_eq!(out, [lo, lo], "{b:?}");
        }
    }
}

#[test]
fn zero_sizes() {
    let w = PackedWeightI8::pack(
        &[],
        0,
        5,
        WeightQuant::PerTensor {
            scale: 1.0,
            zero_point: 0,
        },
    );
    let p = QGemmParams {
        a_scale: 1.0,
        a_zero_point: 0,
        bias: None,
        out_scale: 1.0,
        out_zero_point: 0,
        relu: false,
    };
    let rq = Requant::new(&w, &p);
    let mut out = [];
    qgemm_u8i8(&[1; 10], 2, 5, &w, &rq, &mut out, 0);
    let w = PackedWeightI8::pack(
        &[1; 15],
        3,
        5,
        WeightQuant::PerTensor {
            scale: 1.0,
            zero_point: 0,
        },
    );
    let rq = Requant::new(&w, &p);
    qgemm_u8i8(&[], 0, 5, &w, &rq, &mut [], 3);
    // k = 0: every sum is empty, the output is the requantized bias.
    let w = PackedWeightI8::pack(
        &[],
        2,
        0,
        WeightQuant::PerTensor {
            scale: 1.0,
            zero_point: 0,
        },
    );
    let rq = Requant::new(
        &w,
        &QGemmParams {
            bias: Some(&[2.0, -3.0]),
            out_zero_point: 5,
            ..p
        },
    );
    let mut out = [0u8; 2];
    qgemm_u8i8(&[], 1, 0, &w, &rq, &mut out, 2);
    assert_eq!(out, [7, 2]);
    // A conv over an empty batch.
    let s = Conv2dShape {
        batch: 0,
        in_channels: 2,
        input: (4, 4),
        out_channels: 3,
        kernel: (3, 3),
        stride: (1, 1),
        padding: (1, 1),
        dilation: (1, 1),
        groups: 1,
    };
    let cw = PackedConvWeightI8::pack(
        &[1; 54],
        3,
        2,
        (3, 3),
        1,
        WeightQuant::PerTensor {
            scale: 1.0,
            zero_point: 0,
        },
    );
    let rq = cw.requant(&p);
    assert_eq!(s.out_pixels(), 0);
    qconv2d_nhwc(&[], &s, &cw, &rq, 0..0, &mut []);
}

#[test]
#[should_panic(expected = "outside [0, 255]")]
fn activation_zero_point_out_of_range_panics() {
    let w = PackedWeightI8::pack(
        &[1],
        1,
        1,
        WeightQuant::PerTensor {
            scale: 1.0,
            zero_point: 0,
        },
    );
    Requant::new(
        &w,
        &QGemmParams {
            a_scale: 1.0,
            a_zero_point: 256,
            bias: None,
            out_scale: 1.0,
            out_zero_point: 0,
            relu: false,
        },
    );
}

#[test]
#[should_panic(expected = "outside [-128, 127]")]
fn weight_zero_point_out_of_range_panics() {
    PackedWeightI8::pack(
        &[1],
        1,
        1,
        WeightQuant::PerTensor {
            scale: 1.0,
            zero_point: 128,
        },
    );
}

#[test]
#[should_panic(expected = "smaller than the dilated kernel")]
fn conv_kernel_larger_than_input_panics() {
    let s = Conv2dShape {
        batch: 1,
        in_channels: 1,
        input: (2, 2),
        out_channels: 1,
        kernel: (3, 3),
        stride: (1, 1),
        padding: (0, 0),
        dilation: (1, 1),
        groups: 1,
    };
    s.output();
}

/// The output-channel split gives, column for column, the bytes of the whole convolution
/// (more than one panel, a partial last panel; im2col and pointwise paths).
#[test]
fn panel_split_equals_the_whole_convolution() {
    let mut rng = Lcg(11);
    for (kernel, stride, padding) in [
        ((3, 3), (1, 1), (1, 1)),
        ((1, 1), (1, 1), (0, 0)),
        ((3, 3), (2, 2), (0, 1)),
    ] {
        let s = Conv2dShape {
            batch: 2,
            in_channels: 12,
            input: (7, 6),
            out_channels: 80,
            kernel,
            stride,
            padding,
            dilation: (1, 1),
            groups: 1,
        };
        let n = s.batch * s.input.0 * s.input.1 * s.in_channels;
        let x: Vec<u8> = (0..n).map(|_| rng.below(256) as u8).collect();
        let wlen = s.out_channels * s.in_channels * kernel.0 * kernel.1;
        let wv: Vec<i8> = (0..wlen).map(|_| rng.below(256) as u8 as i8).collect();
        let scales: Vec<f32> = (0..80).map(|j| 0.001 + j as f32 * 1e-4).collect();
        let zps: Vec<i32> = (0..80).map(|j| j % 5 - 2).collect();
        let w = PackedConvWeightI8::pack(
            &wv,
            80,
            12,
            kernel,
            1,
            WeightQuant::PerChannel {
                scales: &scales,
                zero_points: &zps,
            },
        );
        let rq = w.requant(&QGemmParams {
            a_scale: 0.02,
            a_zero_point: 7,
            bias: None,
            out_scale: 0.3,
            out_zero_point: 100,
            relu: false,
        });
        let px = s.out_pixels();
        let mut whole = vec![0u8; px * 80];
        qconv2d_nhwc(&x, &s, &w, &rq, 0..px, &mut whole);
        for panels in [0..1, 1..3, 2..3, 0..3] {
            let (c0, c1) = (panels.start * PANEL_COLS, 80.min(panels.end * PANEL_COLS));
            let mut part = vec![0u8; px * (c1 - c0)];
            qconv2d_nhwc_panels(&x, &s, &w, &rq, 0..px, panels.clone(), &mut part);
            for p in 0..px {
                assert_eq!(
                    part[p * (c1 - c0)..(p + 1) * (c1 - c0)],
                    whole[p * 80 + c0..p * 80 + c1],
                    "{kernel:?} {panels:?} pixel {p}"
                );
            }
        }
    }
}
