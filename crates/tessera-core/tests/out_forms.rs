//! The `out=` forms: PyTorch's contract (resize an empty `out`, panic on another shape or
//! dtype), straight writes into contiguous `out`, and the aliasing cases that need a
//! temporary or run in place.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tessera_core::ops::{
    add_out, clamp_out, expm1_out, maximum_out, mul_out, neg_out, pow_out, sub_out, tanh_out,
    where_out,
};
use tessera_core::{tensor, DType, Tensor};

fn panic_message(f: impl FnOnce()) -> String {
    let e = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    e.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn contiguous_out_is_written_in_place_of_its_storage() {
    let x = Tensor::linspace(-2.0, 2.0, 50_000);
    let mut out = Tensor::zeros(&[50_000]);
    let before = out.storage().clone();
    expm1_out(&x, &mut out);
    assert!(
        std::sync::Arc::ptr_eq(&before, out.storage()),
        "out was replaced"
    );
    assert_eq!(out.to_vec::<f32>(), x.expm1().to_vec::<f32>());

    let y = Tensor::linspace(0.0, 1.0, 50_000);
    let mut s = Tensor::zeros(&[50_000]);
    add_out(&x, &y, &mut s);
    assert_eq!(s.to_vec::<f32>(), x.add(&y).to_vec::<f32>());
    mul_out(&x, 3.0, &mut s);
    assert_eq!(s.to_vec::<f32>(), x.mul(3.0).to_vec::<f32>());
}

#[test]
fn out_may_be_a_view_and_see_through_to_its_base() {
    // A contiguous row of a larger tensor, and a non-contiguous column.
    let base = Tensor::zeros(&[3, 4]);
    let x = tensor!([0.0, 0.5, 1.0, 1.5]);
    let mut row = base.select(0, 1);
    tanh_out(&x, &mut row);
    let b = base.to_vec::<f32>();
    assert_eq!(&b[4..8], &x.tanh().to_vec::<f32>()[..]);
    assert!(b[..4].iter().chain(&b[8..]).all(|&v| v == 0.0));
    let mut col = base.select(1, 2);
    add_out(&tensor!([1.0, 2.0, 3.0]), 10.0, &mut col);
    let b = base.to_vec::<f32>();
    assert_eq!([b[2], b[6], b[10]], [11.0, 12.0, 13.0]);
    assert_eq!(
        [b[0], b[5], b[7]],
        [
            0.0,
            x.tanh().to_vec::<f32>()[1],
            x.tanh().to_vec::<f32>()[3]
        ]
    );
}

#[test]
fn out_aliasing_an_input() {
    // Exactly the input: computed in place.
    let x = tensor!([0.0, 1.0, 2.0]);
    let mut same = x.clone();
    expm1_out(&x, &mut same);
    assert_eq!(
        x.to_vec::<f32>(),
        tensor!([0.0, 1.0, 2.0]).expm1().to_vec::<f32>()
    );
    // Overlapping the input shifted by one: through a temporary, as if the input were
    // read in full before anything is written.
    let a = Tensor::arange(0, 6).to_dtype(DType::F64);
    let mut tail = a.narrow(0, 1, 5);
    sub_out(&a.narrow(0, 0, 5), 1.0, &mut tail); // out overlaps the input shifted by one
    assert_eq!(a.to_vec::<f64>(), vec![0.0, -1.0, 0.0, 1.0, 2.0, 3.0]);
}

#[test]
fn empty_out_is_resized() {
    let mut out = Tensor::zeros(&[0]);
    expm1_out(&tensor!([[1.0, 2.0]]), &mut out);
    assert_eq!(out.shape(), &[1, 2]);
    let mut out = Tensor::zeros_dtype(&[0], DType::I64);
    add_out(&tensor!([[1], [2]]), tensor!([10, 20]), &mut out);
    assert_eq!(out.to_vec::<i64>(), vec![11, 21, 12, 22]);
    let mut out = Tensor::zeros(&[0]);
    clamp_out(&tensor!([-1.0, 2.0]), Some(0.0), Some(1.0), &mut out);
    assert_eq!(out.to_vec::<f32>(), vec![0.0, 1.0]);
    // An empty result into an empty out of that shape: nothing to do.
    let mut e = Tensor::zeros(&[2, 0]);
    expm1_out(&Tensor::zeros(&[2, 0]), &mut e);
    assert_eq!(e.shape(), &[2, 0]);
}

#[test]
fn wrong_shape_or_dtype_panics_naming_both() {
    let m = panic_message(|| expm1_out(&tensor!([1.0, 2.0, 3.0]), &mut Tensor::zeros(&[2])));
    assert!(
        m.contains("expm1_out: out has shape [2] but the result has shape [3]"),
        "{m}"
    );
    let m = panic_message(|| {
        add_out(
            &tensor!([1.0]),
            tensor!([1.0, 2.0]),
            &mut Tensor::zeros(&[3]),
        )
    });
    assert!(
        m.contains("add_out: out has shape [3] but the result has shape [2]"),
        "{m}"
    );
    let m = panic_message(|| {
        mul_out(
            &tensor!([1.0]),
            2.0,
            &mut Tensor::zeros_dtype(&[1], DType::F64),
        )
    });
    assert!(
        m.contains("mul_out: out has dtype torch.float64 but the result has dtype torch.float32"),
        "{m}"
    );
    let m = panic_message(|| {
        where_out(
            &tensor!([1.0]),
            &tensor!([true]),
            0.0,
            &mut Tensor::zeros_dtype(&[1], DType::I64),
        )
    });
    assert!(m.contains("where_out: out has dtype"), "{m}");
    let m = panic_message(|| add_out(&tensor!([1.0]), 1.0, &mut tensor!([0.0]).expand([3])));
    assert!(m.contains("add_out: out has shape [3]"), "{m}");
    let m = panic_message(|| add_out(&tensor!([1.0, 2.0]), 1.0, &mut tensor!([0.0]).expand([2])));
    assert!(m.contains("more than one element"), "{m}");
}

#[test]
fn every_out_element_is_written_even_from_a_recycled_buffer() {
    // Fill large tensors with NaN and drop them, so their buffers are kept for reuse;
    // every element of every later result must be the op's own value.
    let n = 700_000;
    for _ in 0..3 {
        drop(Tensor::full(&[n], f32::NAN).exp());
    }
    let x = Tensor::linspace(-1.0, 1.0, n);
    let y = x.exp();
    assert!(y.to_vec::<f32>().iter().all(|v| v.is_finite()));
    let mut out = Tensor::full(&[n], f32::NAN);
    maximum_out(&x, x.neg(), &mut out);
    assert!(out.to_vec::<f32>().iter().all(|v| *v >= 0.0));
    let mut out = Tensor::full(&[n], f32::NAN);
    pow_out(&x.abs(), 2.0, &mut out);
    assert!(out.to_vec::<f32>().iter().all(|v| v.is_finite()));
    let mut out = Tensor::full(&[n], f32::NAN);
    neg_out(&x, &mut out);
    assert_eq!(out.to_vec::<f32>(), x.neg().to_vec::<f32>());
}

#[test]
fn out_forms_match_the_allocating_forms_on_strided_and_broadcast_inputs() {
    tessera_core::manual_seed(3);
    let a = Tensor::randn(&[40, 30]).t(); // non-contiguous
    let b = Tensor::randn(&[40]);
    for (name, f) in [
        (
            "add",
            (|a, b, o| add_out(a, b, o)) as fn(&Tensor, &Tensor, &mut Tensor),
        ),
        ("sub", |a, b, o| sub_out(a, b, o)),
        ("mul", |a, b, o| mul_out(a, b, o)),
        ("maximum", |a, b, o| maximum_out(a, b, o)),
    ] {
        let want = match name {
            "add" => a.add(&b),
            "sub" => a.sub(&b),
            "mul" => a.mul(&b),
            _ => a.maximum(&b),
        };
        let mut out = Tensor::zeros(&[30, 40]);
        f(&a, &b, &mut out);
        assert_eq!(out.to_vec::<f32>(), want.to_vec::<f32>(), "{name}");
    }
    let mut out = Tensor::zeros(&[30, 40]);
    expm1_out(&a, &mut out);
    assert_eq!(out.to_vec::<f32>(), a.expm1().to_vec::<f32>());
}

#[test]
fn out_forms_are_not_differentiable_as_in_pytorch() {
    let x = tensor!([1.0, 2.0], dtype = DType::F64);
    x.requires_grad_(true);
    let mut out = Tensor::zeros_dtype(&[2], DType::F64);
    let m = panic_message(|| expm1_out(&x, &mut out));
    assert!(
        m.contains(
            "expm1_out: functions with out=... arguments don't support automatic differentiation"
        ),
        "{m}"
    );
    let m = panic_message(|| add_out(&x, 1.0, &mut out));
    assert!(m.contains("add_out: functions with out="), "{m}");
    let m = panic_message(|| neg_out(&x, &mut out));
    assert!(m.contains("neg_out: functions with out="), "{m}");
    // Under no_grad they run, and record nothing.
    {
        let _g = tessera_core::autograd::no_grad();
        expm1_out(&x, &mut out);
        add_out(&x, 1.0, &mut out);
    }
    assert_eq!(out.to_vec::<f64>(), vec![2.0, 3.0]);
    assert!(!out.requires_grad());
    // An out that requires grad is a leaf being written in place.
    let leaf = Tensor::zeros_dtype(&[2], DType::F64);
    leaf.requires_grad_(true);
    let mut leaf_out = leaf.clone();
    let m = panic_message(|| mul_out(&tensor!([1.0, 2.0], dtype = DType::F64), 2.0, &mut leaf_out));
    assert!(m.contains("leaf Variable that requires grad"), "{m}");
}
