//! `conv2d_bn` against `conv2d`, `batch_norm` (eval), `+` and `relu` one after the other:
//! the same bits on the Winograd and im2col paths, f32 and f64, with and without bias,
//! residual and ReLU, on one and two threads; the separate ops when autograd records or
//! the residual broadcasts; panics on bad batch-norm shapes.

use tessera_core::autograd::no_grad;
use tessera_core::{DType, Generator, Tensor};
use tessera_nn::functional::{batch_norm, conv2d, conv2d_bn, BatchNormEval, ConvOptions};

/// The batch norm's tensors for `c` channels of `dtype`.
fn bn_tensors(rng: &mut Generator, c: usize, dtype: DType) -> [Tensor; 4] {
    [
        rng.randn(&[c], dtype),
        rng.rand(&[c], dtype) + 0.25,
        rng.randn(&[c], dtype),
        rng.randn(&[c], dtype),
    ]
}

/// The separate ops.
fn apart(
    (x, w, b, o): (&Tensor, &Tensor, Option<&Tensor>, ConvOptions),
    bn: &BatchNormEval<'_>,
    res: Option<&Tensor>,
    relu: bool,
) -> Tensor {
    let y = conv2d(x, w, b, o);
    let y = batch_norm(
        &y,
        Some(bn.running_mean),
        Some(bn.running_var),
        bn.weight,
        bn.bias,
        false,
        0.1,
        bn.eps,
    );
    let y = match res {
        Some(r) => &y + r,
        None => y,
    };
    if relu {
        y.relu()
    } else {
        y
    }
}

/// A batch norm without weight and bias.
fn stats_only<'a>(m: &'a Tensor, v: &'a Tensor, eps: f64) -> BatchNormEval<'a> {
    BatchNormEval {
        running_mean: m,
        running_var: v,
        weight: None,
        bias: None,
        eps,
    }
}

fn bits(t: &Tensor) -> Vec<u64> {
    match t.dtype() {
        DType::F32 => t
            .to_vec::<f32>()
            .iter()
            .map(|v| v.to_bits() as u64)
            .collect(),
        _ => t.to_vec::<f64>().iter().map(|v| v.to_bits()).collect(),
    }
}

#[test]
fn same_bits_as_the_separate_ops() {
    let mut rng = Generator::new(21);
    let _g = no_grad();
    // (n, c, o, h, w, k, stride, pad): 3x3 stride 1 with enough tiles takes Winograd in
    // f32; the rest (and f64) take im2col; a 1x1 reads the input in place.
    let cases = [
        (1, 16, 24, 28, 28, 3, 1, 1),
        (2, 16, 16, 15, 17, 3, 1, 1),
        (1, 8, 12, 9, 7, 3, 2, 1),
        (1, 32, 20, 7, 7, 3, 1, 1),
        (2, 6, 10, 8, 8, 1, 1, 0),
        (1, 3, 8, 20, 20, 7, 2, 3),
    ];
    for threads in [1, 2] {
        tessera_core::set_num_threads(threads);
        for dtype in [DType::F32, DType::F64] {
            for &(n, c, o, h, w, k, s, p) in &cases {
                let x = rng.randn(&[n, c, h, w], dtype);
                let wt = rng.randn(&[o, c, k, k], dtype) * 0.2;
                let b = rng.randn(&[o], dtype);
                let [m, v, g, be] = bn_tensors(&mut rng, o, dtype);
                let opts = ConvOptions::default().stride(s).padding(p);
                let (ho, wo) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
                let res = rng.randn(&[n, o, ho, wo], dtype);
                for (affine, bias, residual, relu) in [
                    (true, false, false, true),
                    (true, true, true, true),
                    (false, false, true, false),
                    (true, false, false, false),
                ] {
                    let bn = BatchNormEval {
                        running_mean: &m,
                        running_var: &v,
                        weight: affine.then_some(&g),
                        bias: affine.then_some(&be),
                        eps: 1e-5,
                    };
                    let b = bias.then_some(&b);
                    let r = residual.then_some(&res);
                    let got = conv2d_bn(&x, &wt, b, opts, &bn, r, relu);
                    let want = apart((&x, &wt, b, opts), &bn, r, relu);
                    assert_eq!(got.shape(), want.shape());
                    assert_eq!(
                        bits(&got),
                        bits(&want),
                        "{dtype} {n}x{c}x{h}x{w} -> {o}, k{k} s{s} p{p}, {threads} threads, \
                         affine {affine} bias {bias} residual {residual} relu {relu}"
                    );
                }
            }
        }
    }
    tessera_core::set_num_threads(2);
}

/// NaN stays NaN through the ReLU, as `relu`.
#[test]
fn relu_keeps_nan() {
    let _g = no_grad();
    let x = Tensor::from_vec(vec![f32::NAN, 0.0, -2.0, 3.0], &[1, 4, 1, 1]);
    let w = Tensor::from_vec(vec![1.0f32, 1.0, 1.0, 1.0], &[4, 1, 1, 1]);
    let (m, v) = (Tensor::zeros(&[4]), Tensor::ones(&[4]));
    let bn = stats_only(&m, &v, 0.0);
    let o = ConvOptions::default().groups(4);
    let got = conv2d_bn(&x, &w, None, o, &bn, None, true);
    assert_eq!(bits(&got), bits(&apart((&x, &w, None, o), &bn, None, true)));
    let got = got.to_vec::<f32>();
    assert!(got[0].is_nan());
    assert_eq!(&got[1..], &[0.0, 0.0, 3.0]);
}

/// With grad recorded the separate ops run: the result carries a gradient, equal to the
/// separate ops'.
#[test]
fn records_gradients_through_the_separate_ops() {
    let mut rng = Generator::new(22);
    let x = rng.randn(&[1, 4, 6, 6], DType::F64);
    let w = rng.randn(&[5, 4, 3, 3], DType::F64);
    let [m, v, g, b] = bn_tensors(&mut rng, 5, DType::F64);
    let res = rng.randn(&[1, 5, 6, 6], DType::F64);
    let bn = BatchNormEval {
        running_mean: &m,
        running_var: &v,
        weight: Some(&g),
        bias: Some(&b),
        eps: 1e-5,
    };
    let o = ConvOptions::default().padding(1);
    w.requires_grad_(true);
    conv2d_bn(&x, &w, None, o, &bn, Some(&res), true)
        .sum()
        .backward();
    let got = w.grad().expect("a gradient").to_vec::<f64>();
    w.zero_grad();
    apart((&x, &w, None, o), &bn, Some(&res), true)
        .sum()
        .backward();
    assert_eq!(got, w.grad().unwrap().to_vec::<f64>());
}

/// A residual of another shape broadcasts (the separate ops), one of another dtype
/// promotes.
#[test]
fn odd_residuals_take_the_separate_ops() {
    let _g = no_grad();
    let mut rng = Generator::new(23);
    let x = rng.randn(&[2, 3, 5, 5], DType::F32);
    let w = rng.randn(&[4, 3, 3, 3], DType::F32);
    let [m, v, _, _] = bn_tensors(&mut rng, 4, DType::F32);
    let bn = stats_only(&m, &v, 1e-5);
    let o = ConvOptions::default();
    let row = rng.randn(&[3], DType::F32);
    let got = conv2d_bn(&x, &w, None, o, &bn, Some(&row), true);
    assert_eq!(
        bits(&got),
        bits(&apart((&x, &w, None, o), &bn, Some(&row), true))
    );
    let r64 = rng.randn(&[2, 4, 3, 3], DType::F64);
    let got = conv2d_bn(&x, &w, None, o, &bn, Some(&r64), false);
    assert_eq!(got.dtype(), DType::F64);
    assert_eq!(
        bits(&got),
        bits(&apart((&x, &w, None, o), &bn, Some(&r64), false))
    );
}

#[test]
#[should_panic(expected = "conv2d_bn: batch norm tensors must have shape [4]")]
fn batch_norm_of_the_wrong_size_panics() {
    let x = Tensor::ones(&[1, 3, 5, 5]);
    let w = Tensor::ones(&[4, 3, 3, 3]);
    let (m, v) = (Tensor::zeros(&[3]), Tensor::ones(&[3]));
    let bn = stats_only(&m, &v, 1e-5);
    conv2d_bn(&x, &w, None, ConvOptions::default(), &bn, None, true);
}
