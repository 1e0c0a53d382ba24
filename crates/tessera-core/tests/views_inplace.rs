//! In-place ops through views are seen in every view of the storage, and every op family
//! gives the same result on a non-contiguous input as on its contiguous copy.
//!
//! Expected values come from the same op on contiguous copies (or from exact identities),
//! never from numbers written here.

use tessera_core::ops::{exp_out, Tolerance};
use tessera_core::{tensor, DType, Tensor};

/// Bitwise equality of dtype, shape and values (all NaNs equal).
fn same(a: &Tensor, b: &Tensor) -> bool {
    let (x, y) = (a.to_dtype(DType::F64), b.to_dtype(DType::F64));
    a.dtype() == b.dtype()
        && a.shape() == b.shape()
        && x.to_vec::<f64>()
            .iter()
            .zip(y.to_vec::<f64>())
            .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()))
}

#[track_caller]
fn assert_same(a: &Tensor, b: &Tensor) {
    assert!(same(a, b), "\n{a}\n!=\n{b}");
}

fn m(rows: usize, cols: usize) -> Tensor {
    Tensor::linspace_dtype(-2.0, 3.0, rows * cols, DType::F64)
        .reshape([rows as isize, cols as isize])
}

#[test]
fn exp_through_transpose_is_seen_in_the_base() {
    let x = m(2, 3);
    let want = x.exp();
    x.t().exp_();
    assert_same(&x, &want);
}

#[test]
fn add_through_narrow_changes_only_the_window() {
    let x = m(3, 4);
    let before = x.deep_clone();
    let y = tensor!([[10.0, 20.0]], dtype = DType::F64);
    x.narrow(1, 1, 2).add_(&y);
    for c in 0..4 {
        let col = x.select(1, c);
        let old = before.select(1, c);
        if c == 1 || c == 2 {
            assert_same(&col, &old.add(y.select(1, c - 1)));
        } else {
            assert_same(&col, &old);
        }
    }
}

#[test]
fn fill_through_select_changes_one_row() {
    let x = m(3, 2);
    let before = x.deep_clone();
    x.select(0, 1).fill_(7);
    assert_same(&x.select(0, 1), &Tensor::full_dtype(&[2], 7, DType::F64));
    assert_same(&x.select(0, 0), &before.select(0, 0));
    assert_same(&x.select(0, 2), &before.select(0, 2));
}

#[test]
fn inplace_ops_seen_through_every_other_view() {
    let base = m(4, 6);
    let a = base.view([2, 2, 6]);
    let b = base.t();
    let win = base.narrow(0, 1, 2).narrow(1, 2, 3); // 2x3 window at (1, 2)
    let want = win.sigmoid();
    win.sigmoid_();
    assert_same(&base.narrow(0, 1, 2).narrow(1, 2, 3), &want);
    assert_same(
        &a.select(0, 0).select(0, 1).narrow(0, 2, 3),
        &want.select(0, 0),
    );
    assert_same(&b.narrow(1, 1, 2).narrow(0, 2, 3), &want.t());
    // clamp_, mul_ and neg_ through a permuted 3-D view
    let c = Tensor::arange(0, 24).reshape([2, 3, 4]);
    let p = c.permute([2, 0, 1]);
    let want = p.clamp(Some(3), Some(20)).mul(-2);
    p.clamp_(Some(3), Some(20)).mul_(2).neg_();
    assert_same(&c.permute([2, 0, 1]), &want);
}

#[test]
fn out_into_a_transposed_view_writes_logical_order() {
    let x = m(3, 2);
    let big = Tensor::zeros_dtype(&[2, 3], DType::F64);
    let mut out = big.t();
    exp_out(&x, &mut out);
    assert_same(&big.t(), &x.exp());
}

#[test]
fn fill_and_set_through_an_expanded_view_are_allowed() {
    // As torch: fill_ writes one value, so shared elements are no ambiguity.
    let x = Tensor::zeros(&[3, 1]);
    x.expand([3, 4]).fill_(2.5);
    assert_same(&x, &Tensor::full(&[3, 1], 2.5));
    x.expand([3, 4]).set(&[1, 3], 1.0);
    assert_eq!(x.get::<f32>(&[1, 0]), 1.0);
}

#[test]
fn inplace_with_an_overlapping_operand_uses_the_old_values() {
    // Deliberate (torch raises on this partial overlap): the whole result is computed
    // before it is written, so x.add_(x.t()) is x + x.t().
    let x = m(3, 3);
    let want = x.add(x.t());
    x.add_(x.t());
    assert_same(&x, &want);
}

#[test]
fn set_and_copy_through_views() {
    let x = Tensor::zeros(&[3, 3]);
    x.t().set(&[0, 2], 5.0); // element (2, 0) of x
    assert_eq!(x.get::<f32>(&[2, 0]), 5.0);
    let src = Tensor::arange(0, 3).to_dtype(DType::F32);
    x.select(1, 1).copy_(&src);
    assert_same(&x.select(1, 1), &src);
}

/// Non-contiguous views of `x`'s values: transposed, a window with an offset, expanded
/// (stride 0) and permuted 3-D; each paired with its contiguous copy.
fn strided_cases() -> Vec<(Tensor, Tensor)> {
    // multiples of 1/8: products and short sums are exact, so matmul's result does not
    // depend on the summation order the GEMM picks for each layout
    let b = Tensor::arange(-30, 30)
        .to_dtype(DType::F32)
        .mul(0.125)
        .reshape([3, 4, 5]);
    let views = vec![
        b.select(0, 1).t(),                            // 5x4, strides (1, 5)
        b.narrow(2, 1, 3).select(0, 2),                // 4x3, offset 41
        b.select(1, 2).narrow(1, 0, 1).expand([3, 4]), // stride 0
        b.permute([2, 0, 1]).select(2, 3),             // 5x3
    ];
    views
        .into_iter()
        .map(|v| {
            assert!(!v.is_contiguous());
            let c = v.contiguous();
            (v, c)
        })
        .collect()
}

/// One op applied to a tensor.
type OpFn = fn(&Tensor) -> Tensor;

#[test]
fn every_op_family_on_non_contiguous_inputs() {
    for (v, c) in strided_cases() {
        let checks: Vec<(&str, OpFn)> = vec![
            ("exp", |t| t.exp()),
            ("expm1", |t| t.expm1()),
            ("tanh", |t| t.tanh()),
            ("sigmoid", |t| t.sigmoid()),
            ("softplus", |t| t.softplus()),
            ("sqrt", |t| t.sqrt()),
            ("log1p", |t| t.log1p()),
            ("neg", |t| t.neg()),
            ("abs", |t| t.abs()),
            ("round", |t| t.round()),
            ("relu", |t| t.relu()),
            ("sign", |t| t.sign()),
            ("clamp", |t| t.clamp(Some(-1.0), Some(1.5))),
            ("to_dtype", |t| t.to_dtype(DType::I32)),
            ("add", |t| t.add(t.select(0, 0))),
            ("pow", |t| t.abs().pow(t)),
            ("maximum", |t| t.maximum(t.mul(-1.0))),
            ("div_scalar", |t| 1.0 / t),
            ("gt", |t| t.gt(0.25)),
            ("where", |t| t.where_(&t.lt(0.0), 9.0)),
            ("isclose", |t| {
                t.isclose_with(&t.add(1e-3), Tolerance::new(0.0, 1e-2))
            }),
            ("sum_dim", |t| t.sum_dim(0, false)),
            ("mean_dim", |t| t.mean_dim(-1, true)),
            ("prod", |t| t.prod()),
            ("max_dim", |t| t.max_dim(1, false).0),
            ("argmin_dim", |t| t.argmin_dim(0, false)),
            ("all", |t| t.gt(-10.0).all_dim(1, false)),
            ("logsumexp", |t| t.logsumexp(0, false)),
            ("softmax", |t| t.softmax(0)),
            ("log_softmax", |t| t.log_softmax(-1)),
            ("matmul", |t| t.matmul(&t.t())),
            ("matmul_left", |t| t.t().matmul(t)),
            ("cat", |t| Tensor::cat(&[t.clone(), t.clone()], 1)),
            ("stack", |t| Tensor::stack(&[t.clone(), t.clone()], 0)),
            ("gather", |t| {
                t.gather(1, &Tensor::zeros_dtype(&[t.shape()[0], 2], DType::I64))
            }),
            ("reshape", |t| t.reshape([-1])),
            ("flatten", |t| t.flatten()),
        ];
        for (name, f) in checks {
            let (got, want) = (f(&v), f(&c));
            assert!(
                same(&got, &want),
                "{name} on strides {:?}:\n{got}\n!=\n{want}",
                v.strides()
            );
        }
        // deep_clone of a strided view is its contiguous copy
        assert!(same(&v.deep_clone(), &c));
    }
}

#[test]
fn binary_with_both_operands_strided_and_broadcast() {
    let a = Tensor::arange(0, 12).to_dtype(DType::F64).reshape([3, 4]);
    let x = a.t(); // 4x3
    let y = a.select(1, 2).unsqueeze(0).expand([4, 3]); // stride 0 on dim 0
    let want = x.contiguous().sub(y.contiguous());
    assert!(same(&x.sub(&y), &want));
    assert!(same(&(&x - &y), &want));
    // large enough for the parallel strided path
    let big = Tensor::linspace_dtype(0.0, 1.0, 512 * 512, DType::F64).reshape([512, 512]);
    let want = big.t().contiguous().mul(big.select(0, 3).contiguous());
    assert!(same(&big.t().mul(big.select(0, 3)), &want));
}
