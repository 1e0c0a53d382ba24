//! The convolution's image-after-image path (taken on one thread, and for large images on
//! any number) over a batch of several images, checked by finite differences; the other
//! tests mostly take the batch-splitting path for their small shapes.

use tessera_core::autograd::{gradcheck, GradcheckOptions};
use tessera_core::{DType, Generator};
use tessera_nn::functional::{conv2d, ConvOptions};

#[test]
fn one_thread_batch_of_three_with_groups() {
    tessera_core::set_num_threads(1);
    let mut g = Generator::new(11);
    let x = g.randn(&[3, 4, 5, 4], DType::F64);
    let w = g.randn(&[6, 2, 3, 3], DType::F64);
    let b = g.randn(&[6], DType::F64);
    for t in [&x, &w, &b] {
        t.requires_grad_(true);
    }
    let o = ConvOptions::default().stride(2).padding(1).groups(2);
    gradcheck(
        |v| conv2d(&v[0], &v[1], Some(&v[2]), o),
        &[x, w, b],
        GradcheckOptions::default(),
    )
    .unwrap();
}

/// f32 3x3 convolutions large enough for the Winograd path (forward, input and weight
/// gradients), on a non-contiguous input and weight and odd sizes, against the same
/// convolution in f64 (which takes im2col and col2im).
#[test]
fn winograd_gradients_match_f64() {
    let mut g = Generator::new(12);
    for threads in [1, 2] {
        tessera_core::set_num_threads(threads);
        for &(n, c, o, h, w, p) in &[(2, 16, 24, 27, 29, 1), (1, 20, 16, 33, 31, 0)] {
            // [n, h, c, w] permuted to [n, c, h, w]; [o, c, 3, 3] from [c, o, 3, 3]
            let x64 = g.randn(&[n, h, c, w], DType::F64);
            let w64 = g.randn(&[c, o, 3, 3], DType::F64);
            let b64 = g.randn(&[o], DType::F64);
            let opts = ConvOptions::default().padding(p);
            let grads = |dt: DType| {
                let (x, w, b) = (x64.to_dtype(dt), w64.to_dtype(dt), b64.to_dtype(dt));
                for t in [&x, &w, &b] {
                    t.requires_grad_(true);
                }
                let (xv, wv) = (x.permute([0, 2, 1, 3]), w.transpose(0, 1));
                assert!(!xv.is_contiguous() && !wv.is_contiguous());
                let y = conv2d(&xv, &wv, Some(&b), opts);
                let gy = Generator::new(3).randn(y.shape(), DType::F64).to_dtype(dt);
                (&y * &gy).sum().backward();
                [y, x.grad().unwrap(), w.grad().unwrap(), b.grad().unwrap()]
                    .map(|t| t.to_dtype(DType::F64).to_vec::<f64>())
            };
            let (got, want) = (grads(DType::F32), grads(DType::F64));
            // terms per element: output c * 9, input gradient o * 9, weight and bias
            // gradients n * ho * wo
            let ho = h + 2 * p - 2;
            let wo = w + 2 * p - 2;
            let terms = [c * 9, o * 9, n * ho * wo, n * ho * wo];
            for (k, ((a, e), t)) in got.iter().zip(&want).zip(terms).enumerate() {
                assert_eq!(a.len(), e.len());
                for (i, (&a, &e)) in a.iter().zip(e).enumerate() {
                    assert!(
                        (a - e).abs() <= 2e-6 * t as f64,
                        "case {n}x{c}x{h}x{w} -> {o}, result {k}, element {i}: {a} vs {e}"
                    );
                }
            }
        }
    }
    tessera_core::set_num_threads(2);
}
