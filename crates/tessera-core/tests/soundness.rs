//! Regression tests for the soundness defects: each reproduction of issue "Soundness: no
//! segfault, hang, abort or silent wrong answer from safe code" now gives the right
//! result or a panic that names the op. Run in debug and release (`cargo test --release`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use tessera_core::{tensor, DType, Layout, Storage, StorageData, Tensor};

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn assert_panics_with(f: impl FnOnce(), needles: &[&str]) {
    let msg = panic_message(f);
    for n in needles {
        assert!(msg.contains(n), "panic message {msg:?} lacks {n:?}");
    }
}

// 1. Unchecked layout arithmetic.
#[test]
fn narrow_past_usize_max_panics_naming_narrow() {
    assert_panics_with(
        || {
            Tensor::zeros(&[3, 1])
                .narrow(0, usize::MAX - 1000, 1002)
                .matmul(&Tensor::ones(&[1, 1]));
        },
        &["narrow", "exceeds dimension size"],
    );
}

#[test]
fn overflowing_shape_is_rejected_by_from_vec() {
    assert_panics_with(
        || {
            Tensor::from_vec(vec![1f32, 2.], &[2, (1 << 63) + 1]);
        },
        &["Tensor::from_vec", "too many elements"],
    );
}

#[test]
fn layouts_that_overflow_or_escape_their_storage_are_rejected() {
    assert_panics_with(
        || {
            Layout::new(vec![2, 2], vec![usize::MAX / 2, 1], 10);
        },
        &["Layout::new", "overflows"],
    );
    let storage = std::sync::Arc::new(Storage::new(StorageData::F32(vec![0.0; 6])));
    assert_panics_with(
        || {
            Tensor::from_storage(storage.clone(), Layout::new(vec![2, 3], vec![3, 2], 0));
        },
        &["Tensor::from_storage", "reaches element 8", "storage has 6"],
    );
    // The exact fit is fine, and so is an empty view at any offset.
    let t = Tensor::from_storage(storage.clone(), Layout::new(vec![2, 3], vec![1, 2], 0));
    assert_eq!(t.numel(), 6);
    let e = Tensor::from_storage(storage, Layout::new(vec![0, 3], vec![3, 1], 1 << 40));
    assert_eq!(e.numel(), 0);
}

// 2. The buffer cannot be replaced under a live tensor: the write guard gives elements only.
#[test]
fn storage_write_changes_elements_not_the_buffer() {
    let t = Tensor::from_vec(vec![1f32, 2.0, 3.0, 4.0], &[2, 2]);
    {
        let mut g = t.storage().write();
        g.slice_mut::<f32>().unwrap()[3] = 5.0;
        assert!(g.slice_mut::<f64>().is_none());
    }
    assert_eq!(t.storage().len(), 4);
    assert_eq!(t.matmul(&t).to_vec::<f32>(), vec![7.0, 12.0, 18.0, 31.0]);
}

// 3. Element counts never wrap.
#[test]
fn huge_shapes_panic_instead_of_wrapping() {
    assert_panics_with(
        || {
            Tensor::zeros(&[1 << 32, 1 << 32]);
        },
        &["zeros", "too many elements", "[4294967296, 4294967296]"],
    );
    assert_panics_with(
        || {
            tensor!([1.0]).expand([1usize << 32, 1 << 32]).sum();
        },
        &["expand", "overflows"],
    );
    assert_panics_with(
        || {
            tensor!([1.0]).reshape([1usize << 32, 1 << 32]);
        },
        &["reshape", "invalid for input of size 1"],
    );
}

// 6. An allocation that cannot be satisfied is a panic naming the op and the bytes.
#[test]
fn impossible_allocations_panic_and_the_process_lives() {
    assert_panics_with(
        || {
            Tensor::zeros(&[1 << 20, 1 << 20]);
        },
        &["zeros", "not enough memory", "4398046511104 bytes"],
    );
    assert_panics_with(
        || {
            Tensor::full_dtype(&[1 << 20, 1 << 20], 1.0, DType::F64);
        },
        &["full", "not enough memory", "8796093022208 bytes"],
    );
    assert_panics_with(
        || {
            Tensor::arange_step(0.0, 1e12, 1.0);
        },
        &["arange", "not enough memory"],
    );
    assert_panics_with(
        || {
            tensor!([1.0]).expand([1usize << 20, 1 << 20]).exp();
        },
        &["exp", "not enough memory"],
    );
    assert_panics_with(
        || {
            tensor!([1.0]).expand([1usize << 20, 1 << 20]).contiguous();
        },
        &["not enough memory"],
    );
    // Still alive and working.
    assert_eq!(Tensor::zeros(&[3]).sum().item::<f32>(), 0.0);
}

#[test]
fn arange_to_1e30_names_arange() {
    assert_panics_with(
        || {
            Tensor::arange_step(0.0, 1e30, 1.0);
        },
        &["arange", "invalid size"],
    );
}

// 5. Saved index and mask tensors are version-checked.
#[test]
fn gather_index_modified_in_place_makes_backward_panic() {
    let x = tensor!([1.0, 2.0, 3.0], dtype = DType::F64);
    x.requires_grad_(true);
    let idx = tensor!([0, 0]);
    let y = x.gather(0, &idx).sum();
    idx.fill_(2);
    assert_panics_with(
        || y.backward(),
        &["gather", "modified by an inplace operation"],
    );
}

#[test]
fn gather_gradient_is_right_when_the_index_is_untouched() {
    let x = tensor!([1.0, 2.0, 3.0], dtype = DType::F64);
    x.requires_grad_(true);
    let idx = tensor!([0, 0]);
    x.gather(0, &idx).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![2.0, 0.0, 0.0]);
}

#[test]
fn scatter_add_and_where_check_their_saved_tensors() {
    let src = tensor!([1.0, 2.0], dtype = DType::F64);
    src.requires_grad_(true);
    let idx = tensor!([0, 2]);
    let y = Tensor::zeros_dtype(&[3], DType::F64)
        .scatter_add(0, &idx, &src)
        .sum();
    idx.fill_(1);
    assert_panics_with(|| y.backward(), &["scatter_add", "modified"]);

    let a = tensor!([1.0, 2.0], dtype = DType::F64);
    a.requires_grad_(true);
    let cond = tensor!([true, false]);
    let y = a.where_(&cond, 0.0).sum();
    cond.fill_(true);
    assert_panics_with(|| y.backward(), &["where", "modified"]);
}

// 7. A write from inside with_contiguous on the same storage panics instead of hanging.
#[test]
fn writing_inside_with_contiguous_panics_instead_of_deadlocking() {
    let x = tensor!([1.0, 2.0]);
    assert_panics_with(
        || {
            x.with_contiguous(|_: &[f32]| {
                x.add_(1.0);
            });
        },
        &["cannot write to a tensor while this thread is reading the same storage"],
    );
    // Reading inside is fine, and the lock bookkeeping recovered from the panic.
    let s = x.with_contiguous(|v: &[f32]| v.len() as f32 + x.sum().item::<f32>());
    assert_eq!(s, 5.0);
    x.add_(1.0);
    assert_eq!(x.to_vec::<f32>(), vec![2.0, 3.0]);
}

#[test]
fn tensor_ops_while_holding_a_write_guard_panic() {
    let x = tensor!([1.0, 2.0]);
    let y = tensor!([1.0, 2.0]);
    let _w = x.storage().write();
    assert_panics_with(
        || {
            y.sum();
        },
        &["holds a write lock"],
    );
}

// 8. Smaller ones.
#[test]
fn zero_dim_tensors_view_as_one_element() {
    let s = tensor!(2.0);
    assert_eq!(s.view([1]).shape(), &[1]);
    assert_eq!(s.view([-1]).to_vec::<f32>(), vec![2.0]);
    assert_eq!(s.view([1, 1]).shape(), &[1, 1]);
    assert_eq!(
        s.view([1]).view(Vec::<isize>::new()).shape(),
        &[] as &[usize]
    );
}

#[test]
fn usize_dims_past_isize_max_are_out_of_range() {
    let x = tensor!([[1.0, 2.0]]);
    assert_panics_with(
        || {
            x.sum_dim(usize::MAX, false);
        },
        &["sum", "dimension out of range", ">= 9223372036854775807"],
    );
    assert_eq!(x.sum_dim(1usize, false).to_vec::<f32>(), vec![3.0]);
}
