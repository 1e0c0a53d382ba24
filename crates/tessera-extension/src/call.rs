//! One call into C: views of the inputs under their storages' read locks, outputs that
//! C allocates through `tessera_api.alloc_output`, and the status and message back.

use crate::abi::{self, Call, OpFn, TensorView, API, MESSAGE_SIZE, STATUS_ERROR, STATUS_OK};
use std::ffi::{c_void, CStr};
use std::sync::Arc;
use tessera_core::storage::{Storage, StorageData, StorageElement};
use tessera_core::{dispatch, DType, Error, Layout, Result, Tensor};

/// An output allocated by C: its buffer (`U8` for a `Bool` output, so that C writing
/// any byte is sound; converted after the call), and its shape and strides, which its
/// view points at (as `int64_t`: see [`DIMS_ARE_I64`]).
struct OutBuf {
    data: StorageData,
    dtype: DType,
    shape: Vec<usize>,
    strides: Vec<usize>,
}

/// Views point their `sizes` and `strides` straight at tensors' `usize` shapes and
/// strides (no copy per call): on the 64-bit targets this crate builds for, `usize` and
/// `int64_t` have one size and alignment, and every size and stride is below
/// `isize::MAX` (a `Layout` invariant), so the bits read the same.
const DIMS_ARE_I64: () = assert!(
    std::mem::size_of::<usize>() == std::mem::size_of::<i64>()
        && std::mem::align_of::<usize>() == std::mem::align_of::<i64>(),
    "tessera-extension needs a 64-bit target"
);

/// What `alloc_output` reaches through `call.context`.
struct Context {
    outs: Vec<Option<OutBuf>>,
}

/// A zero-filled buffer of `n` elements, or `None` if it cannot be allocated.
fn try_zeros<T: StorageElement>(n: usize) -> Option<StorageData> {
    let mut v: Vec<T> = Vec::new();
    v.try_reserve_exact(n).ok()?;
    v.resize(n, T::default());
    Some(T::wrap(v))
}

/// The base pointer of a buffer.
fn base_ptr(data: &StorageData) -> *mut c_void {
    dispatch!(data.dtype(), T => T::slice(data).expect("dtype matches").as_ptr() as *mut c_void)
}

/// Writes `msg` into the call's message buffer (truncated, NUL-terminated).
fn set_message(call: &mut Call, msg: &str) {
    let bytes = msg.as_bytes();
    let n = bytes.len().min(MESSAGE_SIZE - 1);
    for (d, &s) in call.message.iter_mut().zip(&bytes[..n]) {
        *d = s as std::ffi::c_char;
    }
    call.message[n] = 0;
}

/// `tessera_api.alloc_output`.
pub(crate) unsafe extern "C" fn alloc_output(
    call: *mut Call,
    index: i32,
    dtype: i32,
    ndim: i32,
    sizes: *const i64,
) -> i32 {
    if call.is_null() {
        return STATUS_ERROR;
    }
    // A panic must not unwind into C: turn it into an error.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        alloc_output_checked(&mut *call, index, dtype, ndim, sizes)
    }));
    match r {
        Ok(Ok(())) => STATUS_OK,
        Ok(Err(msg)) => {
            set_message(&mut *call, &format!("alloc_output: {msg}"));
            STATUS_ERROR
        }
        Err(_) => {
            set_message(&mut *call, "alloc_output: internal error (panic)");
            STATUS_ERROR
        }
    }
}

unsafe fn alloc_output_checked(
    call: &mut Call,
    index: i32,
    dtype: i32,
    ndim: i32,
    sizes: *const i64,
) -> std::result::Result<(), String> {
    let ctx = &mut *(call.context as *mut Context);
    let i = usize::try_from(index)
        .ok()
        .filter(|&i| i < ctx.outs.len())
        .ok_or_else(|| {
            format!(
                "output index {index} out of range (the op has {} outputs)",
                ctx.outs.len()
            )
        })?;
    if ctx.outs[i].is_some() {
        return Err(format!("output {index} is already allocated"));
    }
    let dt = abi::dtype_from_code(dtype).ok_or_else(|| format!("unknown dtype code {dtype}"))?;
    if !(0..=64).contains(&ndim) || (ndim > 0 && sizes.is_null()) {
        return Err(format!("bad ndim {ndim} (0 to 64, with a sizes array)"));
    }
    let sz: &[i64] = if ndim == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(sizes, ndim as usize)
    };
    let shape: Vec<usize> = sz
        .iter()
        .map(|&s| usize::try_from(s).map_err(|_| format!("negative size in {sz:?}")))
        .collect::<std::result::Result<_, _>>()?;
    let n = shape
        .iter()
        .try_fold(1usize, |a, &s| a.checked_mul(s))
        .filter(|&n| {
            n.checked_mul(dt.size_in_bytes())
                .is_some_and(|b| b <= isize::MAX as usize)
        })
        .ok_or_else(|| format!("shape {shape:?} has too many elements"))?;
    let store = if dt == DType::Bool { DType::U8 } else { dt };
    let data = dispatch!(store, T => try_zeros::<T>(n))
        .ok_or_else(|| format!("out of memory allocating {shape:?} of {dt}"))?;
    let strides = tessera_core::layout::contiguous_strides(&shape);
    let () = DIMS_ARE_I64;
    *call.outputs.add(i) = TensorView {
        data: base_ptr(&data),
        byte_offset: 0,
        dtype,
        ndim,
        sizes: shape.as_ptr() as *const i64,
        strides: strides.as_ptr() as *const i64,
    };
    ctx.outs[i] = Some(OutBuf {
        data,
        dtype: dt,
        shape,
        strides,
    });
    Ok(())
}

/// Calls `f` on `inputs` (views under read locks) and `scalars`, with room for
/// `n_outputs` outputs; returns each output C allocated.
///
/// # Errors
/// The op's message when it returns a status other than `TESSERA_OK`, prefixed with
/// `op`.
pub(crate) fn invoke(
    op: &str,
    f: OpFn,
    inputs: &[&Tensor],
    scalars: &[f64],
    n_outputs: usize,
) -> Result<Vec<Option<Tensor>>> {
    let () = DIMS_ARE_I64;
    let guards: Vec<_> = inputs.iter().map(|t| t.storage().read()).collect();
    let views: Vec<TensorView> = inputs
        .iter()
        .zip(&guards)
        .map(|(t, g)| TensorView {
            data: base_ptr(g),
            byte_offset: (t.storage_offset() * t.dtype().size_in_bytes()) as i64,
            dtype: abi::dtype_code(t.dtype()),
            ndim: t.dim() as i32,
            sizes: t.shape().as_ptr() as *const i64,
            strides: t.strides().as_ptr() as *const i64,
        })
        .collect();
    let mut outputs = vec![TensorView::EMPTY; n_outputs];
    let mut ctx = Context {
        outs: (0..n_outputs).map(|_| None).collect(),
    };
    let mut call = Call {
        inputs: views.as_ptr(),
        n_inputs: views.len() as i32,
        n_scalars: scalars.len() as i32,
        scalars: scalars.as_ptr(),
        outputs: outputs.as_mut_ptr(),
        n_outputs: n_outputs as i32,
        reserved: 0,
        api: &API,
        context: &mut ctx as *mut Context as *mut c_void,
        message: [0; MESSAGE_SIZE],
    };
    // SAFETY: the views point into storages kept alive and read-locked by `guards` (C
    // must not write through them, as the header says), and at the inputs' layouts,
    // alive until the call returns; `outputs` and `ctx` outlive the call too.
    let status = unsafe { f(&mut call) };
    drop(guards);
    if status != STATUS_OK {
        call.message[MESSAGE_SIZE - 1] = 0;
        let msg = unsafe { CStr::from_ptr(call.message.as_ptr()) }.to_string_lossy();
        let msg = if msg.is_empty() {
            format!("failed with status {status} and no message")
        } else {
            msg.into_owned()
        };
        return Err(Error::Msg(format!("extension op `{op}`: {msg}")));
    }
    Ok(ctx
        .outs
        .into_iter()
        .map(|o| {
            o.map(|o| {
                let data = match (o.dtype, o.data) {
                    (DType::Bool, StorageData::U8(v)) => {
                        StorageData::Bool(v.into_iter().map(|b| b != 0).collect())
                    }
                    (_, d) => d,
                };
                Tensor::from_storage(
                    Arc::new(Storage::new(data)),
                    Layout::new(o.shape, o.strides, 0),
                )
            })
        })
        .collect())
}
