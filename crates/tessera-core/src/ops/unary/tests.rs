//! The unary ops' forms, dtypes, views and special values.

use super::*;
use crate::tensor;

#[test]
fn three_forms_agree() {
    let x = tensor!([0.5, -1.0, 2.0]);
    let y = x.expm1();
    let mut out = Tensor::zeros(&[3]);
    expm1_out(&x, &mut out);
    assert_eq!(out.to_vec::<f32>(), y.to_vec::<f32>());
    let z = x.deep_clone();
    z.expm1_();
    assert_eq!(z.to_vec::<f32>(), y.to_vec::<f32>());
    assert_eq!(x.to_vec::<f32>(), vec![0.5, -1.0, 2.0]);
}

#[test]
fn int_input_promotes() {
    let y = tensor!([0, 1]).exp();
    assert_eq!(y.dtype(), DType::F32);
    assert_eq!(y.to_vec::<f32>()[0], 1.0);
    assert_eq!(tensor!([-2, 3]).abs().to_vec::<i64>(), vec![2, 3]);
}

#[test]
#[should_panic(
    expected = "exp_: result type torch.float32 can't be cast to the desired output type torch.int64"
)]
fn inplace_float_op_on_int_panics() {
    tensor!([1, 2]).exp_();
}

#[test]
#[should_panic(expected = "expm1_out: out has shape [2] but the result has shape [3]")]
fn out_shape_mismatch_panics() {
    expm1_out(&tensor!([1.0, 2.0, 3.0]), &mut Tensor::zeros(&[2]));
}

#[test]
#[should_panic(
    expected = "expm1_out: out has dtype torch.float64 but the result has dtype torch.float32"
)]
fn out_dtype_mismatch_panics() {
    expm1_out(&tensor!([1.0]), &mut Tensor::zeros_dtype(&[1], DType::F64));
}

#[test]
#[should_panic(expected = "neg: not supported for bool tensors")]
fn neg_bool_panics() {
    tensor!([true]).neg();
}

#[test]
fn inplace_on_views() {
    let x = Tensor::arange(0, 6).to_dtype(DType::F64).reshape([2, 3]);
    x.t().select(0, 1).exp_(); // column 1
    let v = x.to_vec::<f64>();
    assert_eq!(v[1], 1f64.exp());
    assert_eq!(v[4], 4f64.exp());
    assert_eq!(v[0], 0.0);
    // expanded views compute per logical element
    let e = tensor!([[2.0]]).expand([2, 2]).sqrt();
    assert_eq!(e.to_vec::<f32>(), vec![2f32.sqrt(); 4]);
}

#[test]
fn special_values() {
    let x = tensor!(
        [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0],
        dtype = DType::F64
    );
    let e = x.expm1().to_vec::<f64>();
    assert!(e[0].is_nan());
    assert_eq!(&e[1..3], &[f64::INFINITY, -1.0]);
    assert!(e[3] == 0.0 && e[3].is_sign_negative());
    let r = x.relu().to_vec::<f64>();
    assert!(r[0].is_nan());
    assert_eq!(&r[1..], &[f64::INFINITY, 0.0, 0.0]);
    assert_eq!(
        tensor!([-0.5, 0.5, 1.5, 2.5]).round().to_vec::<f32>(),
        vec![-0.0, 0.0, 2.0, 2.0]
    );
    let s = tensor!([-1000.0, 1000.0]).sigmoid().to_vec::<f32>();
    assert_eq!(s, vec![0.0, 1.0]);
    assert!(tensor!([-100.0]).sigmoid().item::<f32>() > 0.0); // no flush to 0
}

#[test]
fn relu_gradient_passes_through_nan_as_pytorchs() {
    // torch.relu([nan, 1, -1, 0]).sum().backward() gives [1, 1, 0, 0].
    let x = tensor!([f32::NAN, 1.0, -1.0, 0.0]);
    x.requires_grad_(true);
    x.relu().sum().backward();
    assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0, 0.0, 0.0]);
}

#[test]
fn relu_gradient_on_views_and_specials_and_under_create_graph() {
    // A transposed (non-contiguous) input and incoming gradient, with -0, NaN and ±inf:
    // the gradient is `w` where relu's output is > 0 or NaN, +0 elsewhere (PyTorch's
    // threshold_backward).
    let v = [
        -2.0f64,
        -0.0,
        0.0,
        1.5,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        3.0,
    ];
    let x = Tensor::from_vec(v.to_vec(), &[2, 4]).t();
    x.requires_grad_(true);
    let w = Tensor::from_vec((1..=8).map(f64::from).collect::<Vec<_>>(), &[2, 4]).t();
    let y = x.relu();
    let g = crate::autograd::grad(
        &[y],
        std::slice::from_ref(&x),
        std::slice::from_ref(&w),
        false,
        false,
    );
    let g = g[0].clone().unwrap();
    let (xs, ws) = (x.to_vec::<f64>(), w.to_vec::<f64>());
    let want: Vec<f64> = xs
        .iter()
        .zip(&ws)
        .map(|(&x, &w)| if x > 0.0 || x.is_nan() { w } else { 0.0 })
        .collect();
    let got = g.to_vec::<f64>();
    assert_eq!(got, want);
    assert!(got.iter().all(|v| v.is_sign_positive()));
    // create_graph: d/dx of relu(x) * x is relu'(x) x + relu(x), and differentiating
    // that again goes through relu's gradient with a differentiable incoming gradient.
    let x = tensor!([-1.0, 2.0], dtype = crate::DType::F64);
    x.requires_grad_(true);
    let y = &x.relu() * &x;
    let ones = Tensor::ones(&[2]).to_dtype(crate::DType::F64);
    let d1 = crate::autograd::grad(
        &[y],
        std::slice::from_ref(&x),
        std::slice::from_ref(&ones),
        false,
        true,
    );
    let d1 = d1[0].clone().unwrap();
    assert_eq!(d1.to_vec::<f64>(), vec![0.0, 4.0]);
    let d2 = crate::autograd::grad(&[d1], &[x], &[ones], false, false);
    assert_eq!(d2[0].as_ref().unwrap().to_vec::<f64>(), vec![0.0, 2.0]);
}

#[test]
fn relu_keeps_negative_zero_and_sign_of_nan_is_zero() {
    // Regressions against torch: relu(-0.0) is -0.0, sign(NaN) is 0.
    let r = tensor!([-0.0, -1.0]).relu().to_vec::<f32>();
    assert!(r[0] == 0.0 && r[0].is_sign_negative());
    assert!(r[1] == 0.0 && r[1].is_sign_positive());
    assert_eq!(tensor!([f32::NAN]).sign().to_vec::<f32>(), vec![0.0]);
}

#[test]
#[should_panic(
    expected = "exp_: unsupported operation: more than one element of the written-to tensor refers to a single memory location"
)]
fn inplace_on_expanded_panics() {
    // Regression: each copy of an element was written in turn (last one won).
    Tensor::zeros(&[3, 1]).expand([3, 4]).exp_();
}

#[test]
#[should_panic(expected = "floor: not supported for bool tensors")]
fn floor_bool_panics() {
    tensor!([true]).floor();
}

#[test]
fn zero_size_and_0dim() {
    assert_eq!(Tensor::zeros(&[0, 3]).exp().shape(), &[0, 3]);
    let s = tensor!(0.0).expm1();
    assert_eq!((s.dim(), s.item::<f32>()), (0, 0.0));
}

#[test]
fn large_strided_inputs_use_chunked_gather() {
    let x = Tensor::linspace_dtype(-3.0, 3.0, 300 * 401, DType::F64).reshape([300, 401]);
    let y = x.t().expm1();
    assert_eq!(y.shape(), &[401, 300]);
    // the strided path must give the contiguous path's bits
    assert_eq!(
        y.to_vec::<f64>(),
        x.t().contiguous().expm1().to_vec::<f64>()
    );
}

#[test]
fn large_tensors_split_across_threads() {
    let n = 200_000;
    let x = Tensor::linspace_dtype(-5.0, 5.0, n, DType::F64);
    let y = x.tanh().to_vec::<f64>();
    let xs = x.to_vec::<f64>();
    for i in (0..n).step_by(997) {
        assert!((y[i] - xs[i].tanh()).abs() <= 4.0 * f64::EPSILON);
    }
}
