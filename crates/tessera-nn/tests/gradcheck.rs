//! Every hand-written backward, and the composed ones, against central finite
//! differences in f64 (`tessera_core::autograd::gradcheck`).

use tessera_core::autograd::{gradcheck, GradcheckOptions};
use tessera_core::{DType, Generator, Tensor};
use tessera_nn::functional::{self as F, ConvOptions, PoolOptions};

fn rnd(g: &mut Generator, shape: &[usize]) -> Tensor {
    let t = g.randn(shape, DType::F64);
    t.requires_grad_(true);
    t
}

fn ok(f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) {
    gradcheck(f, inputs, GradcheckOptions::default()).unwrap();
}

#[test]
fn conv2d_with_stride_padding_dilation_groups() {
    let mut g = Generator::new(1);
    let configs = [
        ConvOptions::default(),
        ConvOptions::default().stride_hw(2, 1).padding_hw(1, 2),
        ConvOptions::default()
            .dilation_hw(2, 1)
            .padding(1)
            .groups(2),
        ConvOptions::default().same().dilation(2),
        ConvOptions::default().stride(2).groups(4),
    ];
    for o in configs {
        let x = rnd(&mut g, &[2, 4, 5, 6]);
        let w = rnd(&mut g, &[4, 4 / o.groups, 3, 2]);
        let b = rnd(&mut g, &[4]);
        ok(|v| F::conv2d(&v[0], &v[1], Some(&v[2]), o), &[x, w, b]);
    }
    // 1x1 (the path without im2col), no bias
    let x = rnd(&mut g, &[3, 4, 3, 3]);
    let w = rnd(&mut g, &[2, 4, 1, 1]);
    ok(
        |v| F::conv2d(&v[0], &v[1], None, ConvOptions::default()),
        &[x, w],
    );
    // batch larger than the pool (the batch-parallel path)
    let x = rnd(&mut g, &[5, 2, 4, 4]);
    let w = rnd(&mut g, &[3, 2, 3, 3]);
    ok(
        |v| F::conv2d(&v[0], &v[1], None, ConvOptions::default().padding(1)),
        &[x, w],
    );
}

#[test]
fn conv1d() {
    let mut g = Generator::new(2);
    let x = rnd(&mut g, &[2, 2, 7]);
    let w = rnd(&mut g, &[4, 1, 3]);
    let b = rnd(&mut g, &[4]);
    let o = ConvOptions::default().stride(2).padding(1).groups(2);
    ok(|v| F::conv1d(&v[0], &v[1], Some(&v[2]), o), &[x, w, b]);
}

#[test]
fn pooling() {
    let mut g = Generator::new(3);
    let x = rnd(&mut g, &[2, 2, 5, 6]);
    ok(
        |v| F::max_pool2d(&v[0], PoolOptions::new(3).stride(2).padding(1)),
        std::slice::from_ref(&x),
    );
    ok(
        |v| F::max_pool2d(&v[0], PoolOptions::new(2).dilation(2).ceil_mode(true)),
        std::slice::from_ref(&x),
    );
    ok(
        |v| F::avg_pool2d(&v[0], PoolOptions::new(3).stride(2).padding(1)),
        std::slice::from_ref(&x),
    );
    ok(
        |v| {
            F::avg_pool2d(
                &v[0],
                PoolOptions::hw(2, 3)
                    .padding(1)
                    .count_include_pad(false)
                    .ceil_mode(true),
            )
        },
        std::slice::from_ref(&x),
    );
    ok(|v| F::adaptive_avg_pool2d(&v[0], (3, 4)), &[x]);
}

#[test]
fn batch_norm_training_and_eval() {
    let mut g = Generator::new(4);
    let x = rnd(&mut g, &[4, 3, 2, 2]);
    let w = rnd(&mut g, &[3]);
    let b = rnd(&mut g, &[3]);
    ok(
        |v| F::batch_norm(&v[0], None, None, Some(&v[1]), Some(&v[2]), true, 0.1, 1e-5),
        &[x.clone(), w.clone(), b.clone()],
    );
    let rm = g.randn(&[3], DType::F64);
    let rv = g.rand(&[3], DType::F64) + 0.5;
    ok(
        |v| {
            F::batch_norm(
                &v[0],
                Some(&rm),
                Some(&rv),
                Some(&v[1]),
                Some(&v[2]),
                false,
                0.1,
                1e-5,
            )
        },
        &[x, w, b],
    );
    let x2 = rnd(&mut g, &[5, 2]);
    ok(
        |v| F::batch_norm(&v[0], None, None, None, None, true, 0.1, 1e-5),
        &[x2],
    );
}

#[test]
fn layer_norm_and_group_norm() {
    let mut g = Generator::new(5);
    let x = rnd(&mut g, &[2, 3, 4]);
    let w = rnd(&mut g, &[3, 4]);
    let b = rnd(&mut g, &[3, 4]);
    ok(
        |v| F::layer_norm(&v[0], &[3, 4], Some(&v[1]), Some(&v[2]), 1e-5),
        &[x, w, b],
    );
    let x = rnd(&mut g, &[2, 4, 3]);
    let w = rnd(&mut g, &[4]);
    let b = rnd(&mut g, &[4]);
    ok(
        |v| F::group_norm(&v[0], 2, Some(&v[1]), Some(&v[2]), 1e-5),
        &[x, w, b],
    );
}

#[test]
fn activations_and_losses() {
    let mut g = Generator::new(6);
    let x = rnd(&mut g, &[3, 5]);
    ok(|v| F::gelu(&v[0], F::Gelu::Exact), std::slice::from_ref(&x));
    ok(|v| F::gelu(&v[0], F::Gelu::Tanh), std::slice::from_ref(&x));
    ok(|v| F::silu(&v[0]), std::slice::from_ref(&x));
    ok(|v| F::leaky_relu(&v[0], 0.1), std::slice::from_ref(&x));
    let t = Tensor::from_vec(vec![1i64, -100, 4], &[3]);
    let w = Tensor::from_vec(vec![0.5, 1.0, 2.0, 1.5, 0.7], &[5]);
    let opts = F::CrossEntropyOptions {
        weight: Some(w),
        label_smoothing: 0.2,
        ..Default::default()
    };
    ok(
        |v| F::cross_entropy(&v[0], &t, &opts),
        std::slice::from_ref(&x),
    );
    let probs = g.rand(&[3, 5], DType::F64).softmax(1);
    ok(
        |v| F::cross_entropy(&v[0], &probs, &F::CrossEntropyOptions::default()),
        std::slice::from_ref(&x),
    );
    let y = rnd(&mut g, &[3, 5]);
    ok(
        |v| F::mse_loss(&v[0], &v[1], F::Reduction::Sum),
        &[x.clone(), y],
    );
    let bt = g.rand(&[3, 5], DType::F64);
    let pw = Tensor::from_vec(vec![0.5, 1.0, 2.0, 1.5, 0.7], &[5]);
    ok(
        |v| F::binary_cross_entropy_with_logits(&v[0], &bt, None, Some(&pw), F::Reduction::Mean),
        &[x],
    );
}

#[test]
fn embedding_pad_interpolate() {
    let mut g = Generator::new(7);
    let w = rnd(&mut g, &[5, 3]);
    let idx = Tensor::from_vec(vec![1i64, 4, 1, 0], &[2, 2]);
    ok(|v| F::embedding(&idx, &v[0], None), &[w]);
    let x = rnd(&mut g, &[1, 2, 3, 4]);
    for m in [
        F::PadMode::Constant(0.3),
        F::PadMode::Reflect,
        F::PadMode::Replicate,
        F::PadMode::Circular,
    ] {
        ok(
            |v| F::pad(&v[0], &[2, 1, 1, 2], m),
            std::slice::from_ref(&x),
        );
    }
    ok(
        |v| F::interpolate(&v[0], F::Size::Exact(5, 7), F::InterpolateMode::Nearest),
        std::slice::from_ref(&x),
    );
    for align_corners in [false, true] {
        ok(
            |v| {
                F::interpolate(
                    &v[0],
                    F::Size::Exact(4, 6),
                    F::InterpolateMode::Bilinear { align_corners },
                )
            },
            std::slice::from_ref(&x),
        );
    }
}

#[test]
fn embedding_padding_row_gets_no_gradient() {
    let w = Tensor::ones(&[4, 2]);
    w.requires_grad_(true);
    let idx = Tensor::from_vec(vec![0i64, 2, 2, 3], &[4]);
    F::embedding(&idx, &w, Some(2)).sum().backward();
    assert_eq!(
        w.grad().unwrap().to_vec::<f32>(),
        vec![1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    );
}
