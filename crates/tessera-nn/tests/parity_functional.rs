//! Forward values and gradients of the functional ops against PyTorch's, on the
//! committed cases of `scripts/make_nn_data.py` (f32 within 2e-5 relative + 2e-5
//! absolute, f64 within 1e-11 relative + 1e-12 absolute).

mod common;
use common::{check, data, pair};
use tessera_nn::functional::{self as F, ConvOptions, Padding, PoolOptions};

fn conv_opts(name: &str) -> ConvOptions {
    let d = data();
    let padding = match d.opt(name, "padding") {
        "same" => Padding::Same,
        p if p.contains(',') => {
            let (a, b) = pair(p);
            Padding::Explicit(a, b)
        }
        p => {
            let v: usize = p.parse().unwrap();
            Padding::Explicit(v, v)
        }
    };
    let two = |k: &str| {
        let s = d.opt(name, k);
        if s.contains(',') {
            pair(s)
        } else {
            let v: usize = s.parse().unwrap();
            (v, v)
        }
    };
    ConvOptions {
        stride: two("stride"),
        padding,
        dilation: two("dilation"),
        groups: d.opt(name, "groups").parse().unwrap(),
    }
}

#[test]
fn conv2d_matches_pytorch() {
    for name in data().names("conv2d_") {
        let o = conv_opts(&name);
        check(&name, |v| F::conv2d(&v[0], &v[1], v.get(2), o));
    }
}

#[test]
fn conv1d_matches_pytorch() {
    for name in data().names("conv1d_") {
        let o = conv_opts(&name);
        check(&name, |v| F::conv1d(&v[0], &v[1], v.get(2), o));
    }
}

fn pool_opts(name: &str) -> PoolOptions {
    let d = data();
    PoolOptions {
        kernel: pair(d.opt(name, "kernel")),
        stride: pair(d.opt(name, "stride")),
        padding: pair(d.opt(name, "padding")),
        dilation: pair(d.opt(name, "dilation")),
        ceil_mode: d.opt(name, "ceil") == "1",
        count_include_pad: d.opt(name, "cip") == "1",
    }
}

#[test]
fn pooling_matches_pytorch() {
    for name in data().names("max_pool2d_") {
        if name == "max_pool2d_nan" {
            check(&name, |v| F::max_pool2d(&v[0], PoolOptions::new(2)));
            continue;
        }
        let o = pool_opts(&name);
        check(&name, |v| F::max_pool2d(&v[0], o));
    }
    for name in data().names("avg_pool2d_") {
        let o = pool_opts(&name);
        check(&name, |v| F::avg_pool2d(&v[0], o));
    }
    for name in data().names("adaptive_avg_pool2d_") {
        let o = pair(data().opt(&name, "out"));
        check(&name, |v| F::adaptive_avg_pool2d(&v[0], o));
    }
}

#[test]
fn batch_norm_matches_pytorch_including_running_stats() {
    let d = data();
    for name in d.names("batch_norm_") {
        let training = d.opt(&name, "training") == "1";
        let momentum: f64 = d.opt(&name, "momentum").parse().unwrap();
        let rm = d.t(&format!("{name}.rm0"));
        let rv = d.t(&format!("{name}.rv0"));
        check(&name, |v| {
            F::batch_norm(
                &v[0],
                Some(&rm),
                Some(&rv),
                Some(&v[1]),
                Some(&v[2]),
                training,
                momentum,
                1e-5,
            )
        });
        common::assert_close(&format!("{name}.rm1"), &rm, &d.t(&format!("{name}.rm1")));
        common::assert_close(&format!("{name}.rv1"), &rv, &d.t(&format!("{name}.rv1")));
    }
}

#[test]
fn layer_and_group_norm_match_pytorch() {
    let d = data();
    for name in d.names("layer_norm_") {
        let ns: Vec<usize> = d
            .opt(&name, "ns")
            .split(',')
            .map(|v| v.parse().unwrap())
            .collect();
        check(&name, |v| {
            F::layer_norm(&v[0], &ns, Some(&v[1]), Some(&v[2]), 1e-5)
        });
    }
    for name in d.names("group_norm_") {
        let g: usize = d.opt(&name, "groups").parse().unwrap();
        check(&name, |v| {
            F::group_norm(&v[0], g, Some(&v[1]), Some(&v[2]), 1e-5)
        });
    }
}

#[test]
fn activations_match_pytorch() {
    for sfx in ["f32", "f64"] {
        check(&format!("gelu_{sfx}"), |v| F::gelu(&v[0], F::Gelu::Exact));
        check(&format!("gelu_tanh_{sfx}"), |v| {
            F::gelu(&v[0], F::Gelu::Tanh)
        });
        check(&format!("silu_{sfx}"), |v| F::silu(&v[0]));
        check(&format!("relu_{sfx}"), |v| F::relu(&v[0]));
        check(&format!("leaky_relu_{sfx}"), |v| F::leaky_relu(&v[0], 0.02));
    }
    check("softmax", |v| F::softmax(&v[0], 1));
    check("log_softmax", |v| F::log_softmax(&v[0], 0));
    check("linear", |v| F::linear(&v[0], &v[1], Some(&v[2])));
}

fn reduction(s: &str) -> F::Reduction {
    match s {
        "mean" => F::Reduction::Mean,
        "sum" => F::Reduction::Sum,
        _ => F::Reduction::None,
    }
}

#[test]
fn losses_match_pytorch() {
    let d = data();
    for name in d.names("cross_entropy") {
        let opts = F::CrossEntropyOptions {
            weight: (d.opt(&name, "weight") == "1").then(|| d.t(&format!("{name}.w"))),
            ignore_index: -100,
            reduction: reduction(d.opt(&name, "reduction")),
            label_smoothing: d.opt(&name, "label_smoothing").parse().unwrap(),
        };
        let target = d.t(&format!("{name}.target"));
        check(&name, |v| F::cross_entropy(&v[0], &target, &opts));
    }
    let opts = F::CrossEntropyOptions {
        weight: Some(d.t("nll_loss.w")),
        ..Default::default()
    };
    let target = d.t("nll_loss.target");
    check("nll_loss", |v| {
        F::nll_loss(&F::log_softmax(&v[0], 1), &target, &opts)
    });
    for red in ["mean", "sum", "none"] {
        check(&format!("mse_loss_{red}"), |v| {
            F::mse_loss(&v[0], &v[1], reduction(red))
        });
    }
    for name in d.names("bce_logits_") {
        let t = d.t(&format!("{name}.target"));
        let w = (d.opt(&name, "weight") == "1").then(|| d.t(&format!("{name}.w")));
        let pw = (d.opt(&name, "pos_weight") == "1").then(|| d.t(&format!("{name}.pw")));
        let r = reduction(d.opt(&name, "reduction"));
        check(&name, |v| {
            F::binary_cross_entropy_with_logits(&v[0], &t, w.as_ref(), pw.as_ref(), r)
        });
    }
}

#[test]
fn embedding_pad_interpolate_match_pytorch() {
    let d = data();
    let idx = d.t("embedding.idx");
    check("embedding", |v| F::embedding(&idx, &v[0], Some(3)));
    for name in d.names("pad_") {
        let pads: Vec<usize> = d
            .opt(&name, "pads")
            .split(',')
            .map(|v| v.parse().unwrap())
            .collect();
        let mode = match d.opt(&name, "mode") {
            "constant" => F::PadMode::Constant(d.opt(&name, "value").parse().unwrap()),
            "reflect" => F::PadMode::Reflect,
            "replicate" => F::PadMode::Replicate,
            _ => F::PadMode::Circular,
        };
        check(&name, |v| F::pad(&v[0], &pads, mode));
    }
    for name in d.names("interpolate_") {
        let size = match data()
            .cases
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1
            .get("size")
        {
            Some(s) => {
                let (a, b) = pair(s);
                F::Size::Exact(a, b)
            }
            None => {
                let v: Vec<f64> = d
                    .opt(&name, "scale")
                    .split(',')
                    .map(|x| x.parse().unwrap())
                    .collect();
                F::Size::Scale(v[0], v[1])
            }
        };
        let mode = match d.opt(&name, "mode") {
            "nearest" => F::InterpolateMode::Nearest,
            _ => F::InterpolateMode::Bilinear {
                align_corners: d.opt(&name, "align") == "1",
            },
        };
        check(&name, |v| F::interpolate(&v[0], size, mode));
    }
}
