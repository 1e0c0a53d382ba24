//! The C ABI of `include/tessera.h`, mirrored in Rust: the structs an op sees, the dtype
//! codes, and the function table (`tessera_api`) C code may call. A test compiles a C
//! file that checks `sizeof` and `offsetof` of every struct against these.

use std::ffi::{c_char, c_void};
use tessera_core::DType;

/// The version of the C ABI (`TESSERA_ABI_VERSION` in `tessera.h`): the layout of every
/// struct of the header. A library built against another version is refused by
/// [`crate::load`].
pub const ABI_VERSION: u32 = 1;

/// `TESSERA_OK`.
pub(crate) const STATUS_OK: i32 = 0;
/// `TESSERA_ERROR`.
pub(crate) const STATUS_ERROR: i32 = 1;
/// `TESSERA_MESSAGE_SIZE`.
pub(crate) const MESSAGE_SIZE: usize = 1024;

/// `TESSERA_FLAG_CONTIGUOUS`.
pub(crate) const FLAG_CONTIGUOUS: u32 = 1;
/// `TESSERA_FLAG_SAME_DTYPE`.
pub(crate) const FLAG_SAME_DTYPE: u32 = 2;
/// `TESSERA_FLAG_SAME_SHAPE`.
pub(crate) const FLAG_SAME_SHAPE: u32 = 4;

/// The dtype code of `tessera.h` (`TESSERA_FLOAT32`, ...): the position in [`DType::ALL`].
pub fn dtype_code(dtype: DType) -> i32 {
    DType::ALL
        .iter()
        .position(|&d| d == dtype)
        .expect("every dtype is in DType::ALL") as i32
}

/// The dtype of a code of `tessera.h`, `None` for an unknown code.
pub fn dtype_from_code(code: i32) -> Option<DType> {
    usize::try_from(code)
        .ok()
        .and_then(|i| DType::ALL.get(i).copied())
}

/// `tessera_tensor`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct TensorView {
    pub data: *mut c_void,
    pub byte_offset: i64,
    pub dtype: i32,
    pub ndim: i32,
    pub sizes: *const i64,
    pub strides: *const i64,
}

impl TensorView {
    pub(crate) const EMPTY: TensorView = TensorView {
        data: std::ptr::null_mut(),
        byte_offset: 0,
        dtype: -1,
        ndim: 0,
        sizes: std::ptr::null(),
        strides: std::ptr::null(),
    };
}

/// `tessera_api`.
#[repr(C)]
pub(crate) struct Api {
    pub abi_version: u32,
    pub struct_size: u32,
    pub alloc_output: unsafe extern "C" fn(*mut Call, i32, i32, i32, *const i64) -> i32,
    pub numel: unsafe extern "C" fn(*const TensorView) -> i64,
    pub is_contiguous: unsafe extern "C" fn(*const TensorView) -> i32,
    pub element_size: extern "C" fn(i32) -> i64,
    pub dtype_name: extern "C" fn(i32) -> *const c_char,
}

/// `tessera_call`.
#[repr(C)]
pub(crate) struct Call {
    pub inputs: *const TensorView,
    pub n_inputs: i32,
    pub n_scalars: i32,
    pub scalars: *const f64,
    pub outputs: *mut TensorView,
    pub n_outputs: i32,
    pub reserved: i32,
    pub api: *const Api,
    pub context: *mut c_void,
    pub message: [c_char; MESSAGE_SIZE],
}

/// `tessera_op_fn`.
pub(crate) type OpFn = unsafe extern "C" fn(*mut Call) -> i32;

/// `tessera_op_def`.
#[repr(C)]
pub(crate) struct OpDef {
    pub name: *const c_char,
    pub n_inputs: i32,
    pub n_scalars: i32,
    pub n_outputs: i32,
    pub dtypes: u32,
    pub flags: u32,
    pub backward: *const c_char,
}

/// `tessera_extension`.
#[repr(C)]
pub(crate) struct ExtensionDef {
    pub abi_version: u32,
    pub n_ops: u32,
    pub ops: *const OpDef,
}

/// The exported symbol every extension defines (`TESSERA_DEFINE_EXTENSION`).
pub(crate) const DEF_SYMBOL: &str = "tessera_extension_def";

/// `tessera_extension_def`'s type.
pub(crate) type DefFn = unsafe extern "C" fn() -> *const ExtensionDef;

/// The function table handed to every call.
pub(crate) static API: Api = Api {
    abi_version: ABI_VERSION,
    struct_size: std::mem::size_of::<Api>() as u32,
    alloc_output: crate::call::alloc_output,
    numel: api_numel,
    is_contiguous: api_is_contiguous,
    element_size: api_element_size,
    dtype_name: api_dtype_name,
};

/// The sizes and strides of a view as slices (empty for `ndim <= 0`).
///
/// # Safety
/// `t` points at a view whose `sizes` and `strides` hold `ndim` entries.
unsafe fn dims<'a>(t: *const TensorView) -> (&'a [i64], &'a [i64]) {
    let t = &*t;
    if t.ndim <= 0 || t.sizes.is_null() || t.strides.is_null() {
        return (&[], &[]);
    }
    let n = t.ndim as usize;
    (
        std::slice::from_raw_parts(t.sizes, n),
        std::slice::from_raw_parts(t.strides, n),
    )
}

unsafe extern "C" fn api_numel(t: *const TensorView) -> i64 {
    if t.is_null() {
        return 0;
    }
    dims(t).0.iter().product()
}

unsafe extern "C" fn api_is_contiguous(t: *const TensorView) -> i32 {
    if t.is_null() {
        return 0;
    }
    let (sizes, strides) = dims(t);
    let mut expected = 1i64;
    for (&n, &s) in sizes.iter().zip(strides).rev() {
        if n != 1 && s != expected {
            return 0;
        }
        expected *= n;
    }
    1
}

extern "C" fn api_element_size(code: i32) -> i64 {
    dtype_from_code(code).map_or(0, |d| d.size_in_bytes() as i64)
}

extern "C" fn api_dtype_name(code: i32) -> *const c_char {
    let name: &'static std::ffi::CStr = match dtype_from_code(code) {
        Some(DType::Bool) => c"torch.bool",
        Some(DType::U8) => c"torch.uint8",
        Some(DType::I8) => c"torch.int8",
        Some(DType::I32) => c"torch.int32",
        Some(DType::I64) => c"torch.int64",
        Some(DType::F32) => c"torch.float32",
        Some(DType::F64) => c"torch.float64",
        None => c"unknown",
    };
    name.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_the_header() {
        for d in DType::ALL {
            assert_eq!(dtype_from_code(dtype_code(d)), Some(d));
        }
        assert_eq!(dtype_code(DType::F32), 5);
        assert_eq!(dtype_from_code(7), None);
        assert_eq!(dtype_from_code(-1), None);
        let h = include_str!("../include/tessera.h");
        assert!(h.contains(&format!("#define TESSERA_ABI_VERSION {ABI_VERSION}")));
        assert!(h.contains("TESSERA_FLOAT32 = 5"));
    }

    #[test]
    fn api_metadata_functions() {
        let sizes = [2i64, 3];
        let strides = [1i64, 2];
        let v = TensorView {
            sizes: sizes.as_ptr(),
            strides: strides.as_ptr(),
            ndim: 2,
            dtype: 5,
            ..TensorView::EMPTY
        };
        // SAFETY: `v` and `v2` point at `sizes` and strides arrays of `ndim` = 2 entries,
        // alive for the whole block (the contract of `dims`).
        unsafe {
            assert_eq!(api_numel(&v), 6);
            assert_eq!(api_is_contiguous(&v), 0);
            let c = [3i64, 1];
            let v2 = TensorView {
                strides: c.as_ptr(),
                ..v
            };
            assert_eq!(api_is_contiguous(&v2), 1);
        }
        assert_eq!(api_element_size(6), 8);
        assert_eq!(api_element_size(99), 0);
        // SAFETY: `api_dtype_name` returns a `'static` C string literal for every code.
        let name = unsafe { std::ffi::CStr::from_ptr(api_dtype_name(4)) };
        assert_eq!(name.to_str().unwrap(), "torch.int64");
    }

    /// The header's struct layouts, measured by the compiler, equal the Rust mirrors.
    #[test]
    fn header_layouts_match_the_rust_mirrors() {
        use std::mem::{offset_of, size_of};
        let fields: &[(&str, usize)] = &[
            ("sizeof(tessera_tensor)", size_of::<TensorView>()),
            (
                "offsetof(tessera_tensor, byte_offset)",
                offset_of!(TensorView, byte_offset),
            ),
            (
                "offsetof(tessera_tensor, dtype)",
                offset_of!(TensorView, dtype),
            ),
            (
                "offsetof(tessera_tensor, ndim)",
                offset_of!(TensorView, ndim),
            ),
            (
                "offsetof(tessera_tensor, sizes)",
                offset_of!(TensorView, sizes),
            ),
            (
                "offsetof(tessera_tensor, strides)",
                offset_of!(TensorView, strides),
            ),
            ("sizeof(tessera_api)", size_of::<Api>()),
            (
                "offsetof(tessera_api, alloc_output)",
                offset_of!(Api, alloc_output),
            ),
            ("offsetof(tessera_api, numel)", offset_of!(Api, numel)),
            (
                "offsetof(tessera_api, is_contiguous)",
                offset_of!(Api, is_contiguous),
            ),
            (
                "offsetof(tessera_api, element_size)",
                offset_of!(Api, element_size),
            ),
            (
                "offsetof(tessera_api, dtype_name)",
                offset_of!(Api, dtype_name),
            ),
            ("sizeof(tessera_call)", size_of::<Call>()),
            (
                "offsetof(tessera_call, n_inputs)",
                offset_of!(Call, n_inputs),
            ),
            (
                "offsetof(tessera_call, n_scalars)",
                offset_of!(Call, n_scalars),
            ),
            ("offsetof(tessera_call, scalars)", offset_of!(Call, scalars)),
            ("offsetof(tessera_call, outputs)", offset_of!(Call, outputs)),
            (
                "offsetof(tessera_call, n_outputs)",
                offset_of!(Call, n_outputs),
            ),
            ("offsetof(tessera_call, api)", offset_of!(Call, api)),
            ("offsetof(tessera_call, context)", offset_of!(Call, context)),
            ("offsetof(tessera_call, message)", offset_of!(Call, message)),
            ("sizeof(tessera_op_def)", size_of::<OpDef>()),
            (
                "offsetof(tessera_op_def, n_inputs)",
                offset_of!(OpDef, n_inputs),
            ),
            (
                "offsetof(tessera_op_def, dtypes)",
                offset_of!(OpDef, dtypes),
            ),
            ("offsetof(tessera_op_def, flags)", offset_of!(OpDef, flags)),
            (
                "offsetof(tessera_op_def, backward)",
                offset_of!(OpDef, backward),
            ),
            ("sizeof(tessera_extension)", size_of::<ExtensionDef>()),
            (
                "offsetof(tessera_extension, n_ops)",
                offset_of!(ExtensionDef, n_ops),
            ),
            (
                "offsetof(tessera_extension, ops)",
                offset_of!(ExtensionDef, ops),
            ),
        ];
        let values: Vec<String> = fields
            .iter()
            .map(|(c, _)| format!("(int64_t){c}"))
            .collect();
        let src = format!(
            "#include <cstddef>\nTESSERA_CPP_OP(layout, call) {{\n  const int64_t v[] = {{{}}};\n  int64_t n = {};\n  auto y = call.alloc(0, TESSERA_INT64, 1, &n);\n  for (int64_t i = 0; i < n; i++) y.flat<int64_t>(i) = v[i];\n}}\n",
            values.join(", "),
            fields.len()
        );
        let dir = tempfile::tempdir().unwrap();
        let ext = crate::load_inline_with(
            "layout",
            &src,
            &[crate::OpSpec::new("layout").inputs(0)],
            &crate::LoadOptions::new().build_directory(dir.path()),
        )
        .unwrap();
        let got = ext
            .call("layout", &[], &[])
            .unwrap()
            .remove(0)
            .to_vec::<i64>();
        for ((c, want), got) in fields.iter().zip(got) {
            assert_eq!(got as usize, *want, "{c}");
        }
    }
}
