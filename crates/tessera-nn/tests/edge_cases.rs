//! Bad and unusual inputs: programmer errors panic with the op, shapes and dtypes;
//! empty batches, non-contiguous views, NaN and infinities behave as in PyTorch.

use tessera_core::{tensor, DType, Tensor};
use tessera_nn::functional::{self as F, ConvOptions, PoolOptions};

#[test]
fn conv_on_a_non_contiguous_view_equals_the_contiguous_result() {
    let x = Tensor::randn(&[2, 5, 4, 3]).permute([0, 3, 1, 2]); // [2, 3, 5, 4], strided
    assert!(!x.is_contiguous());
    let w = Tensor::randn(&[4, 3, 3, 3]);
    let o = ConvOptions::default().padding(1);
    let a = F::conv2d(&x, &w, None, o);
    let b = F::conv2d(&x.contiguous(), &w, None, o);
    assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
    let wt = Tensor::randn(&[3, 3, 3, 4]).permute([3, 0, 1, 2]);
    let c = F::conv2d(&x, &wt, None, o);
    let d = F::conv2d(&x, &wt.contiguous(), None, o);
    assert_eq!(c.to_vec::<f32>(), d.to_vec::<f32>());
}

#[test]
fn empty_batches_give_empty_outputs_and_gradients() {
    let x = Tensor::zeros(&[0, 3, 5, 5]);
    x.requires_grad_(true);
    let w = Tensor::randn(&[2, 3, 3, 3]);
    w.requires_grad_(true);
    let y = F::conv2d(&x, &w, None, ConvOptions::default());
    assert_eq!(y.shape(), &[0, 2, 3, 3]);
    y.sum().backward();
    assert_eq!(x.grad().unwrap().shape(), &[0, 3, 5, 5]);
    assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![0.0; 54]);
    let p = F::max_pool2d(&Tensor::zeros(&[0, 2, 4, 4]), PoolOptions::new(2));
    assert_eq!(p.shape(), &[0, 2, 2, 2]);
}

#[test]
fn nan_and_infinities_propagate_as_in_pytorch() {
    let x = tensor!([[[[1.0, f32::NAN], [3.0, 4.0]]]]);
    assert!(F::avg_pool2d(&x, PoolOptions::new(2))
        .item::<f32>()
        .is_nan());
    assert!(F::max_pool2d(&x, PoolOptions::new(2))
        .item::<f32>()
        .is_nan());
    let x = tensor!([[[
        [f32::NEG_INFINITY, f32::NEG_INFINITY],
        [f32::NEG_INFINITY, f32::NEG_INFINITY]
    ]]]);
    assert_eq!(
        F::max_pool2d(&x, PoolOptions::new(2)).item::<f32>(),
        f32::NEG_INFINITY
    );
    // Extreme logits stay finite in the stable losses.
    let l = tensor!([[1000.0, -1000.0]]);
    let ce = F::cross_entropy(&l, &tensor!([1]), &Default::default());
    assert_eq!(ce.item::<f32>(), 2000.0);
    let b = F::binary_cross_entropy_with_logits(
        &tensor!([100.0, -100.0]),
        &tensor!([0.0, 1.0]),
        None,
        None,
        F::Reduction::Sum,
    );
    assert_eq!(b.item::<f32>(), 200.0);
}

#[test]
fn cross_entropy_with_every_target_ignored_is_nan() {
    let l = Tensor::randn(&[2, 3]);
    let y = F::cross_entropy(&l, &tensor!([-100, -100]), &Default::default());
    assert!(y.item::<f32>().is_nan());
    let s = F::cross_entropy(
        &l,
        &tensor!([-100, -100]),
        &F::CrossEntropyOptions {
            reduction: F::Reduction::Sum,
            ..Default::default()
        },
    );
    assert_eq!(s.item::<f32>(), 0.0);
}

#[test]
fn softmax_takes_negative_dims() {
    let x = Tensor::randn(&[2, 3]);
    assert_eq!(
        F::softmax(&x, -1).to_vec::<f32>(),
        F::softmax(&x, 1).to_vec::<f32>()
    );
}

#[test]
#[should_panic(
    expected = "conv2d: input type (torch.float32) and weight type (torch.float64) should be the same"
)]
fn conv_dtype_mismatch_panics() {
    F::conv2d(
        &Tensor::zeros(&[1, 1, 3, 3]),
        &Tensor::zeros_dtype(&[1, 1, 1, 1], DType::F64),
        None,
        ConvOptions::default(),
    );
}

#[test]
#[should_panic(expected = "with groups=2 does not fit an input of shape [1, 3, 4, 4]")]
fn conv_groups_mismatch_panics() {
    F::conv2d(
        &Tensor::zeros(&[1, 3, 4, 4]),
        &Tensor::zeros(&[2, 1, 3, 3]),
        None,
        ConvOptions::default().groups(2),
    );
}

#[test]
#[should_panic(expected = "smaller than the dilated kernel size")]
fn conv_kernel_larger_than_input_panics() {
    F::conv2d(
        &Tensor::zeros(&[1, 1, 2, 2]),
        &Tensor::zeros(&[1, 1, 3, 3]),
        None,
        ConvOptions::default(),
    );
}

#[test]
#[should_panic(expected = "padding='same' is not supported for strided convolutions")]
fn same_padding_with_stride_panics() {
    F::conv2d(
        &Tensor::zeros(&[1, 1, 4, 4]),
        &Tensor::zeros(&[1, 1, 3, 3]),
        None,
        ConvOptions::default().same().stride(2),
    );
}

#[test]
#[should_panic(expected = "conv2d: expected a float32 or float64 tensor, got torch.int64")]
fn conv_on_integers_panics() {
    F::conv2d(
        &Tensor::zeros_dtype(&[1, 1, 3, 3], DType::I64),
        &Tensor::zeros_dtype(&[1, 1, 1, 1], DType::I64),
        None,
        ConvOptions::default(),
    );
}

#[test]
#[should_panic(expected = "Expected more than 1 value per channel when training")]
fn batch_norm_one_value_per_channel_panics() {
    F::batch_norm(
        &Tensor::zeros(&[1, 3]),
        None,
        None,
        None,
        None,
        true,
        0.1,
        1e-5,
    );
}

#[test]
#[should_panic(expected = "pad should be at most half of effective kernel size")]
fn pool_padding_too_large_panics() {
    F::max_pool2d(
        &Tensor::zeros(&[1, 1, 4, 4]),
        PoolOptions::new(2).padding(2),
    );
}

#[test]
#[should_panic(expected = "Target 3 is out of bounds")]
fn cross_entropy_target_out_of_range_panics() {
    F::cross_entropy(&Tensor::zeros(&[1, 3]), &tensor!([3]), &Default::default());
}

#[test]
#[should_panic(expected = "padding size should be less than the corresponding input dimension")]
fn reflect_pad_too_large_panics() {
    F::pad(&Tensor::zeros(&[1, 3]), &[3, 0], F::PadMode::Reflect);
}

#[test]
#[should_panic(expected = "embedding: index 5 is out of range for 5 embeddings")]
fn embedding_index_out_of_range_panics() {
    F::embedding(&tensor!([5]), &Tensor::zeros(&[5, 2]), None);
}

#[test]
#[should_panic(expected = "interpolate: input and output sizes should be greater than 0")]
fn interpolate_to_zero_size_panics() {
    F::interpolate(
        &Tensor::zeros(&[1, 1, 2, 2]),
        F::Size::Exact(0, 2),
        F::InterpolateMode::Nearest,
    );
}
