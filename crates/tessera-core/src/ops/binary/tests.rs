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

/// The in-place forms write straight into `self` when they can; each case below takes a
/// different path (direct with a contiguous, broadcast or scalar operand; the general
/// path for an aliased operand, a strided `self`, a promoted dtype, and under autograd)
/// and all agree with the allocating form.
#[test]
fn inplace_paths_agree_with_allocating_form() {
    let base = || Tensor::arange(0.0, 16.0).reshape([4, 4]);
    let row = tensor!([1.0, -1.0, 2.0, 0.5]);
    type Case<'a> = (&'a str, Box<dyn Fn(&Tensor) + 'a>, Tensor);
    let cases: Vec<Case> = vec![
        (
            "contiguous",
            Box::new(|x| {
                x.mul_(base());
            }),
            base() * base(),
        ),
        (
            "broadcast row",
            Box::new(move |x| {
                x.add_(&row);
            }),
            base() + tensor!([1.0, -1.0, 2.0, 0.5]),
        ),
        (
            "scalar",
            Box::new(|x| {
                x.sub_(2.5);
            }),
            base() - 2.5,
        ),
        (
            "aliased",
            Box::new(|x| {
                x.add_(x.t());
            }),
            base() + base().t(),
        ),
        (
            "f64 operand",
            Box::new(|x| {
                x.div_(tensor!([2.0], dtype = DType::F64));
            }),
            base() / 2.0,
        ),
    ];
    for (name, f, want) in cases {
        let x = base();
        f(&x);
        assert_eq!(x.to_vec::<f32>(), want.to_vec::<f32>(), "{name}");
    }
    // A strided `self`: a transposed view of a larger tensor.
    let m = base();
    m.t().add_(1.0);
    assert_eq!(m.to_vec::<f32>(), (base() + 1.0).to_vec::<f32>());
    // Large enough to be split across threads.
    let big = Tensor::arange(0.0, 200_000.0).to_dtype(DType::F64);
    big.mul_(2.0);
    assert_eq!(
        big.sum().item::<f64>(),
        2.0 * (0..200_000i64).sum::<i64>() as f64
    );
    // Integers keep wrapping semantics and their dtype.
    let i = tensor!([i32::MAX, 1], dtype = DType::I32);
    i.add_(1);
    assert_eq!(i.to_vec::<i32>(), [i32::MIN, 2]);
}

#[test]
fn clamp_out_direct_and_general_paths() {
    use crate::ops::clamp_out;
    let _g = crate::autograd::no_grad();
    let nan_eq = crate::ops::Tolerance {
        equal_nan: true,
        ..Default::default()
    };
    let x = tensor!([-2.0, 0.5, f32::NAN, 9.0]);
    let want = x.clamp(Some(0.0), Some(1.0));
    let base = Tensor::full(&[6], 7.0);
    let mut out = base.narrow(0, 1, 4);
    clamp_out(&x, Some(0.0), Some(1.0), &mut out);
    assert!(out.allclose_with(&want, nan_eq));
    assert_eq!(base.to_vec::<f32>()[0], 7.0);
    let mut only_max = Tensor::zeros(&[4]);
    clamp_out(&x, None::<f64>, Some(0.0), &mut only_max);
    assert!(only_max.allclose_with(&x.clamp(None::<f64>, Some(0.0)), nan_eq));
    // Aliased: clamped in place.
    let mut alias = x.clone();
    clamp_out(&x, Some(0.0), Some(1.0), &mut alias);
    assert!(x.allclose_with(&want, nan_eq));
    // Promoted: an integer tensor with float bounds gives a float result.
    let mut f = Tensor::zeros(&[2]);
    clamp_out(&tensor!([-3, 3]), Some(-0.5), Some(0.5), &mut f);
    assert_eq!(f.to_vec::<f32>(), [-0.5, 0.5]);
    // An integer bound beyond the dtype's range on the harmless side changes nothing.
    let mut i = Tensor::zeros_dtype(&[2], DType::I8);
    clamp_out(
        &tensor!([-3, 3], dtype = DType::I8),
        Some(-1000),
        None::<i64>,
        &mut i,
    );
    assert_eq!(i.to_vec::<i8>(), [-3, 3]);
}
