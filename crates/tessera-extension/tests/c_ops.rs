//! C ops: results on contiguous and strided tensors of several dtypes, gradients,
//! bool outputs, the contiguous flag, and argument checks.

mod common;

use common::c_ext;
use tessera_core::autograd::{self, gradcheck};
use tessera_core::{tensor, DType, Tensor};

#[test]
fn scaled_expm1_matches_the_builtin_ops() {
    let ext = c_ext();
    for dtype in [DType::F32, DType::F64] {
        let x = Tensor::linspace_dtype(-3.0, 3.0, 24, dtype).reshape([4, 6]);
        // contiguous, transposed, and a strided narrow of a transposed view
        for v in [x.clone(), x.t(), x.t().narrow(0, 1, 3), x.select(1, 2)] {
            let y = ext.call("scaled_expm1", &[&v], &[2.5]).unwrap().remove(0);
            let want = v.expm1() * 2.5;
            assert_eq!(y.shape(), v.shape());
            assert_eq!(y.dtype(), dtype);
            let (got, want) = (
                y.to_dtype(DType::F64).to_vec::<f64>(),
                want.to_dtype(DType::F64).to_vec::<f64>(),
            );
            let tol = if dtype == DType::F32 { 1e-6 } else { 1e-15 };
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() <= tol * w.abs().max(1.0),
                    "{dtype}: {g} vs {w}"
                );
            }
        }
    }
}

#[test]
fn special_values_and_empty_tensors_pass_through() {
    let ext = c_ext();
    let x = tensor!([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0]);
    let x = x.to_dtype(DType::F64);
    let y = ext
        .call("scaled_expm1", &[&x], &[1.0])
        .unwrap()
        .remove(0)
        .to_vec::<f64>();
    assert!(y[0].is_nan());
    assert_eq!(y[1], f64::INFINITY);
    assert_eq!(y[2], -1.0);
    assert_eq!(y[3], 0.0);
    assert!(y[4] == 0.0 && y[4].is_sign_negative());
    for shape in [&[0usize][..], &[3, 0], &[]] {
        let e = Tensor::zeros_dtype(shape, DType::F32);
        let y = ext.call("scaled_expm1", &[&e], &[2.0]).unwrap().remove(0);
        assert_eq!(y.shape(), shape);
        assert_eq!(y.numel(), e.numel());
    }
}

#[test]
fn add_any_works_on_every_numeric_dtype_and_strided_views() {
    let ext = c_ext();
    let a = Tensor::arange(0, 12).reshape([3, 4]);
    let b = Tensor::arange(100, 112).reshape([4, 3]).t(); // strided
    for dtype in [
        DType::U8,
        DType::I8,
        DType::I32,
        DType::I64,
        DType::F32,
        DType::F64,
    ] {
        let (a, b) = (a.to_dtype(dtype), b.to_dtype(dtype));
        let got = ext.call("add_any", &[&a, &b], &[]).unwrap().remove(0);
        assert_eq!(got.dtype(), dtype);
        let want = (&a.to_dtype(DType::I64) + &b.to_dtype(DType::I64)).to_dtype(dtype);
        assert_eq!(
            got.to_dtype(DType::I64).to_vec::<i64>(),
            want.to_dtype(DType::I64).to_vec::<i64>(),
            "{dtype}"
        );
    }
}

#[test]
fn contiguous_flag_copies_strided_inputs_first() {
    let ext = c_ext();
    let x = Tensor::arange(0, 6).to_dtype(DType::F64).reshape([2, 3]);
    let y = ext.call("row_sum", &[&x.t()], &[]).unwrap().remove(0);
    assert_eq!(y.to_vec::<f64>(), vec![3.0, 5.0, 7.0]);
    // a zero-size and an expanded (stride 0) input
    let z = Tensor::zeros_dtype(&[0, 4], DType::F64);
    assert_eq!(ext.call("row_sum", &[&z], &[]).unwrap()[0].shape(), &[0]);
    let e = tensor!([1.0, 2.0]).to_dtype(DType::F64).expand([3, 2]);
    assert_eq!(
        ext.call("row_sum", &[&e], &[]).unwrap()[0].to_vec::<f64>(),
        vec![3.0; 3]
    );
}

#[test]
fn bool_outputs_are_normalized() {
    let x = tensor!([-1.0, 0.5, 0.0, 3.0]).to_dtype(DType::F64);
    let y = c_ext().call("is_positive", &[&x], &[]).unwrap().remove(0);
    assert_eq!(y.dtype(), DType::Bool);
    assert_eq!(y.to_vec::<bool>(), vec![false, true, false, true]);
    // bool tensors behave normally afterwards (values are 0 or 1 in memory)
    assert_eq!(y.to_dtype(DType::I64).to_vec::<i64>(), vec![0, 1, 0, 1]);
}

#[test]
fn gradients_flow_and_pass_gradcheck() {
    let ext = c_ext();
    let x = Tensor::linspace_dtype(-1.0, 1.5, 6, DType::F64).reshape([2, 3]);
    x.requires_grad_(true);
    let op = ext.op("scaled_expm1").unwrap();
    assert!(op.has_backward());
    let y = op.call(&[&x], &[0.75]).unwrap().remove(0);
    assert!(y.requires_grad());
    assert_eq!(y.grad_fn().unwrap().name(), "scaled_expm1");
    y.sum().backward();
    let want = (x.detach().exp() * 0.75).to_vec::<f64>();
    for (g, w) in x.grad().unwrap().to_vec::<f64>().iter().zip(&want) {
        assert!((g - w).abs() <= 1e-15 * w.abs());
    }
    // through a strided view, composed with built-in ops
    let f = |v: &[Tensor]| {
        let t = v[0].t();
        op.call(&[&t], &[1.5]).unwrap().remove(0).mul(&t)
    };
    gradcheck(
        f,
        &[x.detach().requires_grad_(true).clone()],
        Default::default(),
    )
    .unwrap();
    // f32 gradients too (not gradchecked: f32)
    let x32 = tensor!([0.5, -0.25]);
    x32.requires_grad_(true);
    op.call(&[&x32], &[2.0]).unwrap()[0].sum().backward();
    let g = x32.grad().unwrap().to_vec::<f32>();
    assert!((g[0] - 2.0 * 0.5f32.exp()).abs() < 1e-6);
}

#[test]
fn no_grad_mode_records_nothing() {
    let x = tensor!([1.0]).to_dtype(DType::F64);
    x.requires_grad_(true);
    let _g = autograd::no_grad();
    let y = c_ext()
        .call("scaled_expm1", &[&x], &[1.0])
        .unwrap()
        .remove(0);
    assert!(!y.requires_grad());
}

#[test]
#[should_panic(expected = "extension op `no_grad_copy`: derivative not implemented")]
fn an_op_without_backward_panics_in_backward() {
    let x = tensor!([1.0]).to_dtype(DType::F64);
    x.requires_grad_(true);
    let y = c_ext().call("no_grad_copy", &[&x], &[]).unwrap().remove(0);
    assert!(y.requires_grad());
    y.sum().backward();
}

#[test]
#[should_panic(
    expected = "extension op `scaled_expm1`: input 0 has dtype torch.int64, which the op does not take"
)]
fn wrong_dtype_panics_before_the_call() {
    c_ext()
        .call("scaled_expm1", &[&tensor!([1, 2])], &[1.0])
        .ok();
}

#[test]
#[should_panic(
    expected = "extension op `scaled_expm1`: takes 1 tensors and 1 scalars, got 1 tensors [[2] torch.float32] and 0 scalars"
)]
fn wrong_argument_count_panics() {
    c_ext()
        .call("scaled_expm1", &[&tensor!([1.0, 2.0])], &[])
        .ok();
}

#[test]
#[should_panic(expected = "extension op `add_any`: inputs must have one dtype")]
fn same_dtype_flag_is_checked() {
    c_ext()
        .call("add_any", &[&tensor!([1.0]), &tensor!([1])], &[])
        .ok();
}

#[test]
#[should_panic(expected = "extension op `add_any`: inputs must have one shape")]
fn same_shape_flag_is_checked() {
    c_ext()
        .call("add_any", &[&tensor!([1.0]), &tensor!([1.0, 2.0])], &[])
        .ok();
}

#[test]
#[should_panic(expected = "no op named `nope`")]
fn unknown_op_panics() {
    c_ext().call("nope", &[], &[]).ok();
}

#[test]
fn extension_lists_its_ops() {
    let ext = c_ext();
    assert!(ext.op_names().contains(&"scaled_expm1"));
    assert!(ext.op("nope").is_none());
    assert!(ext.library_path().is_file());
}

#[test]
fn ops_can_be_called_from_several_threads() {
    let op = c_ext().op("scaled_expm1").unwrap();
    let x = Tensor::linspace_dtype(-1.0, 1.0, 50, DType::F64);
    // the op's own single-threaded result (glibc's expm1 and tessera's may differ by 1 ulp)
    let want = op.call(&[&x], &[2.0]).unwrap().remove(0).to_vec::<f64>();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    let y = op.call(&[&x], &[2.0]).unwrap().remove(0);
                    assert_eq!(y.to_vec::<f64>(), want);
                }
            });
        }
    });
}
