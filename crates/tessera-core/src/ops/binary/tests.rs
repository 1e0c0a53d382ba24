//! Broadcasting, promotion, special values and the in-place forms of the binary ops.

use crate::{tensor, DType, Tensor};

#[test]
fn broadcasting_edge_cases() {
    let a = Tensor::arange(0, 6).reshape([2, 3, 1]);
    let b = tensor!([10, 20]);
    let c = a.add(&b);
    assert_eq!(c.shape(), &[2, 3, 2]);
    assert_eq!(c.to_vec::<i64>()[..4], [10, 20, 11, 21]);
    // zero-size broadcasts
    assert_eq!(
        Tensor::zeros(&[0, 1]).add(Tensor::zeros(&[1, 4])).shape(),
        &[0, 4]
    );
    // 0-dim with 0-dim
    assert_eq!(tensor!(2.0).mul(tensor!(3.0)).item::<f32>(), 6.0);
    // transposed and expanded inputs
    let m = Tensor::arange(0, 6).reshape([2, 3]);
    let s = m.t().add(m.t());
    assert_eq!(s.to_vec::<i64>(), vec![0, 6, 2, 8, 4, 10]);
    let e = tensor!([1]).expand([3]).mul(m.select(0, 1));
    assert_eq!(e.to_vec::<i64>(), vec![3, 4, 5]);
}

#[test]
#[should_panic(expected = "add: shapes [2, 3] and [2] do not broadcast")]
fn broadcast_failure_names_shapes() {
    Tensor::zeros(&[2, 3]).add(Tensor::zeros(&[2]));
}

#[test]
fn promotion() {
    assert_eq!(tensor!([1, 2]).add(1.5).dtype(), DType::F32);
    assert_eq!(
        tensor!([1, 2]).to_dtype(DType::I32).add(7).dtype(),
        DType::I32
    );
    assert_eq!(
        tensor!([1.0])
            .add(tensor!([1.0], dtype = DType::F64))
            .dtype(),
        DType::F64
    );
    assert_eq!(
        tensor!([1.0]).add(tensor!(1.0, dtype = DType::F64)).dtype(),
        DType::F32
    );
    assert_eq!(tensor!([true]).add(true).dtype(), DType::Bool);
    assert_eq!(
        tensor!([true, false])
            .add(tensor!([true, true]))
            .to_vec::<bool>(),
        vec![true, true]
    );
    assert_eq!(tensor!([3]).div(tensor!([2])).to_vec::<f32>(), vec![1.5]);
    assert_eq!(tensor!([2]).pow(10).to_vec::<i64>(), vec![1024]);
    assert_eq!(tensor!([4.0]).pow(0.5).to_vec::<f32>(), vec![2.0]);
}

#[test]
#[should_panic(
    expected = "sub: subtraction, the `-` operator, with two bool tensors is not supported"
)]
fn bool_sub_panics() {
    tensor!([true]).sub(tensor!([false]));
}

#[test]
#[should_panic(expected = "pow: integers to negative integer powers are not allowed")]
fn int_negative_pow_panics() {
    tensor!([2]).pow(-1);
}

#[test]
fn nan_and_inf() {
    let x = tensor!([f32::NAN, 1.0, f32::INFINITY]);
    let m = x.maximum(tensor!([0.0, f32::NAN, 0.0])).to_vec::<f32>();
    assert!(m[0].is_nan() && m[1].is_nan() && m[2] == f32::INFINITY);
    let d = tensor!([1.0, -1.0, 0.0]).div(0.0).to_vec::<f32>();
    assert_eq!(&d[..2], &[f32::INFINITY, f32::NEG_INFINITY]);
    assert!(d[2].is_nan());
    let c = tensor!([f32::NAN, -3.0, 3.0])
        .clamp(Some(-1.0), Some(1.0))
        .to_vec::<f32>();
    assert!(c[0].is_nan());
    assert_eq!(&c[1..], &[-1.0, 1.0]);
}

#[test]
fn inplace_binary_through_views() {
    let x = Tensor::zeros(&[2, 2]);
    x.select(1, 0).add_(tensor!([1.0, 2.0]));
    assert_eq!(x.to_vec::<f32>(), vec![1.0, 0.0, 2.0, 0.0]);
    let y = tensor!([1.0, 2.0]);
    y.mul_(&y); // aliasing operand
    assert_eq!(y.to_vec::<f32>(), vec![1.0, 4.0]);
}

#[test]
#[should_panic(
    expected = "add_: result type torch.float32 can't be cast to the desired output type torch.int64"
)]
fn inplace_int_with_float_panics() {
    tensor!([1]).add_(0.5);
}

#[test]
#[should_panic(expected = "add_: output with shape [1] doesn't match the broadcast shape [2]")]
fn inplace_broadcast_growth_panics() {
    tensor!([1.0]).add_(tensor!([1.0, 2.0]));
}

#[test]
fn int_pow_with_negative_tensor_exponents() {
    // Regression: torch computes these (only a negative scalar exponent is an error).
    let y = tensor!([0, 1, -1, -1, 2]).pow(tensor!([-1, -2, -3, -2, -1]));
    assert_eq!(y.to_vec::<i64>(), vec![0, 1, -1, 1, 0]);
    // bool ** bool scalar stays bool, as in torch
    let b = tensor!([true, false]).pow(false);
    assert_eq!(
        (b.dtype(), b.to_vec::<bool>()),
        (DType::Bool, vec![true, true])
    );
}

#[test]
#[should_panic(
    expected = "sub: subtraction, the `-` operator, with a bool tensor is not supported"
)]
fn sub_with_one_bool_operand_panics() {
    tensor!([1.5]).sub(true);
}

#[test]
fn clamp_int_bound_outside_dtype_range() {
    // Regression: the bound used to be cast with wrapping (-1 as u8 = 255).
    let u = tensor!([0, 7, 255], dtype = DType::U8);
    let c = u.clamp(Some(-1), Some(300));
    assert_eq!(c.to_vec::<u8>(), vec![0, 7, 255]);
    assert!(!c.shares_storage(&u));
    let i = tensor!([-128, 7, 127], dtype = DType::I8);
    assert_eq!(
        i.clamp(Some(-1), None::<i64>).to_vec::<i8>(),
        vec![-1, 7, 127]
    );
}

#[test]
#[should_panic(expected = "clamp: max value -2 is outside the representable range of torch.uint8")]
fn clamp_int_bound_on_wrong_side_panics() {
    tensor!([1], dtype = DType::U8).clamp(None::<i64>, Some(-2));
}

#[test]
fn large_strided_binary_matches_small_path() {
    let a = Tensor::arange(0, 300 * 300)
        .to_dtype(DType::F64)
        .reshape([300, 300]);
    let big = a.t().sub(&a);
    let v = big.to_vec::<f64>();
    assert_eq!(v[1], 300.0 - 1.0);
    assert_eq!(v[300], 1.0 - 300.0);
}
