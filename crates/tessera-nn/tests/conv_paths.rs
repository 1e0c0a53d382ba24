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
