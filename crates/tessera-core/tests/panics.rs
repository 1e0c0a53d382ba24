//! Programmer errors panic at once with a message naming the op (and the shapes, dims or
//! dtypes involved): one test per message not already covered by the unit tests.

use tessera_core::ops::{clamp_out, sqrt_out, Tolerance};
use tessera_core::{tensor, DType, Tensor};

fn m23() -> Tensor {
    Tensor::arange(0, 6).reshape([2, 3])
}

// ---- matmul
#[test]
#[should_panic(
    expected = "matmul: both arguments need at least 1 dimension, but they are 0D and 1D"
)]
fn matmul_0dim() {
    tensor!(2.0).matmul(&tensor!([1.0]));
}

#[test]
#[should_panic(expected = "matmul: \"addmm_impl_cpu_\" not implemented for 'Bool'")]
fn matmul_bool() {
    tensor!([[true]]).matmul(&tensor!([[true]]));
}

#[test]
#[should_panic(expected = "matmul: shapes [2] and [3] do not broadcast")]
fn matmul_batch_dims_do_not_broadcast() {
    Tensor::zeros(&[2, 2, 3]).matmul(&Tensor::zeros(&[3, 3, 2]));
}

#[test]
#[should_panic(expected = "matmul: mat1 and mat2 shapes cannot be multiplied (1x3 and 2x1)")]
fn matmul_vector_matrix_mismatch() {
    Tensor::zeros(&[3]).matmul(&Tensor::zeros(&[2, 1]));
}

// ---- joins and indexing
#[test]
#[should_panic(expected = "cat: expected a non-empty list of Tensors")]
fn cat_empty() {
    Tensor::cat(&[], 0);
}

#[test]
#[should_panic(expected = "cat: zero-dimensional tensor cannot be concatenated")]
fn cat_0dim() {
    Tensor::cat(&[tensor!(1.0), tensor!(2.0)], 0);
}

#[test]
#[should_panic(expected = "stack: expects a non-empty TensorList")]
fn stack_empty() {
    Tensor::stack(&[], 0);
}

#[test]
#[should_panic(expected = "stack: expects each tensor to be equal size, but got [2] and [3]")]
fn stack_unequal() {
    Tensor::stack(&[Tensor::zeros(&[2]), Tensor::zeros(&[3])], 0);
}

#[test]
#[should_panic(
    expected = "stack: dimension out of range (expected to be in range of [-2, 1], but got 2)"
)]
fn stack_dim_out_of_range() {
    Tensor::stack(&[Tensor::zeros(&[2])], 2);
}

#[test]
#[should_panic(expected = "gather: expected dtype int64 for index, got torch.int32")]
fn gather_index_dtype() {
    m23().gather(1, &tensor!([[0]], dtype = DType::I32));
}

#[test]
#[should_panic(
    expected = "gather: index tensor must have the same number of dimensions as input tensor"
)]
fn gather_index_rank() {
    m23().gather(1, &tensor!([0]));
}

#[test]
#[should_panic(expected = "index_select: index must be a 1-D int64 tensor")]
fn index_select_index_shape() {
    m23().index_select(0, &tensor!([[0]]));
}

// ---- views
#[test]
#[should_panic(expected = "view: only one dimension can be inferred")]
fn view_two_inferred() {
    m23().view([-1, -1]);
}

#[test]
#[should_panic(expected = "reshape: invalid shape dimension -2 in [-2, 3]")]
fn reshape_negative_size() {
    m23().reshape([-2, 3]);
}

#[test]
#[should_panic(
    expected = "permute: number of dims don't match (tensor has shape [2, 3], got dims [0])"
)]
fn permute_wrong_len() {
    m23().permute([0]);
}

#[test]
#[should_panic(
    expected = "transpose: dimension out of range (expected to be in range of [-2, 1], but got 2)"
)]
fn transpose_out_of_range() {
    m23().transpose(0, 2);
}

#[test]
#[should_panic(
    expected = "t: expects a tensor with <= 2 dimensions, but self is 3D (shape [1, 2, 3])"
)]
fn t_on_3d() {
    m23().unsqueeze(0).t();
}

#[test]
#[should_panic(expected = "mT: tensor of shape [3] has fewer than 2 dims")]
fn mt_on_1d() {
    Tensor::zeros(&[3]).mt();
}

#[test]
#[should_panic(
    expected = "unsqueeze: dimension out of range (expected to be in range of [-3, 2], but got 3)"
)]
fn unsqueeze_out_of_range() {
    m23().unsqueeze(3);
}

#[test]
#[should_panic(
    expected = "squeeze: dimension out of range (expected to be in range of [-2, 1], but got -3)"
)]
fn squeeze_out_of_range() {
    m23().squeeze_dim(-3);
}

#[test]
#[should_panic(expected = "expand: -1 is not allowed in a leading, non-existing dimension")]
fn expand_leading_minus_one() {
    m23().expand([-1, 2, 3]);
}

#[test]
#[should_panic(expected = "expand: cannot expand shape [2, 3] to [3] (target has fewer dims)")]
fn expand_fewer_dims() {
    m23().expand([3]);
}

#[test]
#[should_panic(
    expected = "narrow: start (2) + length (2) exceeds dimension size (3) of dim 1 (shape [2, 3])"
)]
fn narrow_too_long() {
    m23().narrow(1, 2, 2);
}

#[test]
#[should_panic(expected = "narrow: cannot be applied to a 0-dim tensor")]
fn narrow_0dim() {
    tensor!(1.0).narrow(0, 0, 1);
}

#[test]
#[should_panic(expected = "select: index -3 out of range for tensor of size [2, 3] at dimension 0")]
fn select_out_of_range() {
    m23().select(0, -3);
}

#[test]
#[should_panic(expected = "select: cannot be applied to a 0-dim tensor")]
fn select_0dim() {
    tensor!(1.0).select(0, 0);
}

#[test]
#[should_panic(expected = "flatten: start_dim (1) cannot come after end_dim (0)")]
fn flatten_reversed() {
    m23().flatten_dims(1, 0);
}

// ---- access and creation
#[test]
#[should_panic(expected = "Tensor::from_vec: 5 elements cannot have shape [2, 3] (6 elements)")]
fn from_vec_wrong_len() {
    Tensor::from_vec(vec![0.0f32; 5], &[2, 3]);
}

#[test]
#[should_panic(expected = "set: index [0] has 1 entries but the tensor has shape [2, 3]")]
fn set_wrong_rank() {
    m23().set(&[0], 1);
}

#[test]
#[should_panic(
    expected = "set: index 3 is out of bounds for dimension 1 with size 3 (shape [2, 3])"
)]
fn set_out_of_bounds() {
    m23().set(&[0, 3], 1);
}

#[test]
#[should_panic(expected = "arange: upper bound and larger bound inconsistent with step sign")]
fn arange_wrong_sign() {
    Tensor::arange_step(0, 5, -1);
}

#[test]
#[should_panic(expected = "arange: unsupported range: 0 -> inf")]
fn arange_infinite() {
    Tensor::arange_step(0.0, f64::INFINITY, 1.0);
}

// ---- elementwise, comparisons, where, clamp, isclose
#[test]
#[should_panic(expected = "lt: shapes [2, 3] and [2] do not broadcast")]
fn compare_broadcast() {
    m23().lt(tensor!([1, 2]));
}

#[test]
#[should_panic(expected = "where: shapes")]
fn where_broadcast() {
    m23().where_(&tensor!([true, false]), 0);
}

#[test]
#[should_panic(expected = "clamp: at least one of 'min' or 'max' must not be None")]
fn clamp_no_bounds() {
    m23().clamp(None::<f64>, None::<f64>);
}

#[test]
#[should_panic(
    expected = "clamp_: result type torch.float32 can't be cast to the desired output type torch.int64"
)]
fn clamp_inplace_int_with_float_bound() {
    m23().clamp_(Some(0.5), None::<f64>);
}

#[test]
#[should_panic(
    expected = "clamp_out: out has dtype torch.int64 but the result has dtype torch.float32"
)]
fn clamp_out_dtype() {
    clamp_out(
        &Tensor::zeros(&[2]),
        Some(0.0),
        None::<f64>,
        &mut Tensor::zeros_dtype(&[2], DType::I64),
    );
}

#[test]
#[should_panic(expected = "sqrt_out: out has shape [3, 2] but the result has shape [2, 3]")]
fn sqrt_out_shape() {
    sqrt_out(&Tensor::zeros(&[2, 3]), &mut Tensor::zeros(&[3, 2]));
}

#[test]
#[should_panic(
    expected = "sigmoid_: result type torch.float32 can't be cast to the desired output type torch.uint8"
)]
fn sigmoid_inplace_on_u8() {
    Tensor::zeros_dtype(&[2], DType::U8).sigmoid_();
}

#[test]
#[should_panic(
    expected = "div_: result type torch.float32 can't be cast to the desired output type torch.int64"
)]
fn int_true_division_in_place() {
    m23().div_(2);
}

#[test]
#[should_panic(expected = "mul_: output with shape [3] doesn't match the broadcast shape [2, 3]")]
fn inplace_cannot_grow() {
    Tensor::zeros(&[3]).mul_(Tensor::zeros(&[2, 3]));
}

#[test]
#[should_panic(expected = "isclose: tolerances must be non-negative")]
fn isclose_negative_tolerance() {
    m23().isclose_with(&m23(), Tolerance::new(-1.0, 0.0));
}

// ---- reductions and softmax
#[test]
#[should_panic(expected = "sum: dim appears multiple times in the list of dims")]
fn sum_repeated_dim() {
    m23().sum_dim([1, -1], false);
}

#[test]
#[should_panic(
    expected = "logsumexp: dimension out of range (expected to be in range of [-2, 1], but got 2)"
)]
fn logsumexp_dim_out_of_range() {
    Tensor::zeros(&[2, 3]).logsumexp(2, false);
}

#[test]
#[should_panic(expected = "min(): Expected reduction dim to be specified for input.numel() == 0")]
fn min_of_empty() {
    Tensor::zeros(&[0]).min();
}

#[test]
#[should_panic(
    expected = "argmin(): Expected reduction dim 0 to have non-zero size (shape [0, 2])"
)]
fn argmin_over_empty_dim() {
    Tensor::zeros(&[0, 2]).argmin_dim(0, false);
}

#[test]
#[should_panic(
    expected = "max: dimension out of range (expected to be in range of [-2, 1], but got -3)"
)]
fn max_dim_out_of_range() {
    m23().max_dim(-3, false);
}

#[test]
#[should_panic(
    expected = "log_softmax: dimension out of range (expected to be in range of [-2, 1], but got 2)"
)]
fn log_softmax_dim_out_of_range() {
    Tensor::zeros(&[2, 3]).log_softmax(2);
}

// ---- in-place writes into expanded tensors (several elements, one storage element)
#[test]
#[should_panic(
    expected = "add_: unsupported operation: more than one element of the written-to tensor refers to a single memory location"
)]
fn add_into_expanded() {
    Tensor::zeros(&[3, 1])
        .expand([3, 4])
        .add_(Tensor::arange(0, 4).to_dtype(DType::F32));
}

#[test]
#[should_panic(expected = "copy_: unsupported operation: more than one element")]
fn copy_into_expanded() {
    Tensor::zeros(&[1]).expand([2]).copy_(&tensor!([1.0, 2.0]));
}

#[test]
#[should_panic(expected = "sqrt_out: unsupported operation: more than one element")]
fn out_into_expanded() {
    sqrt_out(&tensor!([1.0, 4.0]), &mut Tensor::zeros(&[1]).expand([2]));
}

#[test]
#[should_panic(expected = "neg_: unsupported operation: more than one element")]
fn neg_into_expanded() {
    tensor!([[1]]).expand([2, 2]).neg_();
}
