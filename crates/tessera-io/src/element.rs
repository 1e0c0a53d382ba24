//! The element types that files hold ([`FileDType`]), how they map onto tessera's
//! [`DType`]s, and the decoding of raw storage bytes into a [`StorageData`].
//!
//! tessera has no 16-bit dtypes yet, so `float16` and `bfloat16` load as `float32`,
//! `int16` and `uint16` as `int32`, and `uint32` as `int64`: every value is kept exactly
//! (each conversion is exact), and a file's sharing between views is kept as well
//! because the conversion maps element `i` to element `i`. Other PyTorch dtypes (complex,
//! float8, uint64, quantized) are refused with an error naming them.

use tessera_core::{DType, Error, Result, StorageData, StorageElement};

/// An element type as a file names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileDType {
    /// `torch.bool`
    Bool,
    /// `torch.uint8`
    U8,
    /// `torch.int8`
    I8,
    /// `torch.int16`
    I16,
    /// `torch.uint16`
    U16,
    /// `torch.int32`
    I32,
    /// `torch.uint32`
    U32,
    /// `torch.int64`
    I64,
    /// `torch.float16`
    F16,
    /// `torch.bfloat16`
    BF16,
    /// `torch.float32`
    F32,
    /// `torch.float64`
    F64,
}

impl FileDType {
    /// Bytes per element in the file.
    pub fn size(self) -> usize {
        use FileDType::*;
        match self {
            Bool | U8 | I8 => 1,
            I16 | U16 | F16 | BF16 => 2,
            I32 | U32 | F32 => 4,
            I64 | F64 => 8,
        }
    }

    /// The tessera dtype it loads as.
    pub fn loaded_as(self) -> DType {
        use FileDType::*;
        match self {
            Bool => DType::Bool,
            U8 => DType::U8,
            I8 => DType::I8,
            I16 | U16 | I32 => DType::I32,
            U32 | I64 => DType::I64,
            F16 | BF16 | F32 => DType::F32,
            F64 => DType::F64,
        }
    }

    /// The file type that holds a tessera dtype unchanged.
    pub fn of(d: DType) -> FileDType {
        match d {
            DType::Bool => FileDType::Bool,
            DType::U8 => FileDType::U8,
            DType::I8 => FileDType::I8,
            DType::I32 => FileDType::I32,
            DType::I64 => FileDType::I64,
            DType::F32 => FileDType::F32,
            DType::F64 => FileDType::F64,
        }
    }

    /// From a legacy typed-storage class name (`FloatStorage`, the `name` of the global
    /// `torch.FloatStorage`).
    pub fn from_storage_name(name: &str) -> Result<FileDType> {
        use FileDType::*;
        Ok(match name {
            "BoolStorage" => Bool,
            "ByteStorage" => U8,
            "CharStorage" => I8,
            "ShortStorage" => I16,
            "IntStorage" => I32,
            "LongStorage" => I64,
            "HalfStorage" => F16,
            "BFloat16Storage" => BF16,
            "FloatStorage" => F32,
            "DoubleStorage" => F64,
            // Quantized storages hold the integers of the same width.
            "QUInt8Storage" => U8,
            "QInt8Storage" => I8,
            "QInt32Storage" => I32,
            _ => {
                return Err(unsupported(&format!("torch.{name}")));
            }
        })
    }

    /// The legacy typed-storage class name that PyTorch pickles for this type.
    pub fn storage_name(self) -> &'static str {
        use FileDType::*;
        match self {
            Bool => "BoolStorage",
            U8 => "ByteStorage",
            I8 => "CharStorage",
            I16 => "ShortStorage",
            I32 => "IntStorage",
            I64 => "LongStorage",
            F16 => "HalfStorage",
            BF16 => "BFloat16Storage",
            F32 => "FloatStorage",
            F64 => "DoubleStorage",
            U16 | U32 => "UntypedStorage",
        }
    }

    /// From a `torch.dtype` name without `torch.` (`float16`, `half`, `uint16`, ...).
    pub fn from_torch_name(name: &str) -> Result<FileDType> {
        use FileDType::*;
        Ok(match name {
            "bool" => Bool,
            "uint8" => U8,
            "int8" => I8,
            "int16" | "short" => I16,
            "uint16" => U16,
            "int32" | "int" => I32,
            "uint32" => U32,
            "int64" | "long" => I64,
            "float16" | "half" => F16,
            "bfloat16" => BF16,
            "float32" | "float" => F32,
            "float64" | "double" => F64,
            _ => return Err(unsupported(&format!("torch.{name}"))),
        })
    }

    /// From a safetensors dtype.
    pub fn from_safetensors(d: safetensors::Dtype) -> Result<FileDType> {
        use safetensors::Dtype as S;
        use FileDType::*;
        Ok(match d {
            S::BOOL => Bool,
            S::U8 => U8,
            S::I8 => I8,
            S::I16 => I16,
            S::U16 => U16,
            S::I32 => I32,
            S::U32 => U32,
            S::I64 => I64,
            S::F16 => F16,
            S::BF16 => BF16,
            S::F32 => F32,
            S::F64 => F64,
            other => return Err(unsupported(&format!("safetensors {other:?}"))),
        })
    }

    /// The safetensors dtype.
    pub fn to_safetensors(self) -> safetensors::Dtype {
        use safetensors::Dtype as S;
        use FileDType::*;
        match self {
            Bool => S::BOOL,
            U8 => S::U8,
            I8 => S::I8,
            I16 => S::I16,
            U16 => S::U16,
            I32 => S::I32,
            U32 => S::U32,
            I64 => S::I64,
            F16 => S::F16,
            BF16 => S::BF16,
            F32 => S::F32,
            F64 => S::F64,
        }
    }

    /// Decodes `bytes` (a whole number of elements, in the given byte order) into the
    /// tessera storage data this type loads as.
    ///
    /// # Errors
    /// If the bytes are not a whole number of elements, or the memory cannot be had.
    pub fn decode(self, bytes: &[u8], little_endian: bool) -> Result<StorageData> {
        let size = self.size();
        if !bytes.len().is_multiple_of(size) {
            return Err(Error::format(
                "pth",
                format!(
                    "a storage of {self:?} has {} bytes, not a multiple of {size}",
                    bytes.len()
                ),
            ));
        }
        let n = bytes.len() / size;
        use FileDType::*;
        Ok(match self {
            Bool => StorageData::Bool(collect(n, bytes.iter().map(|&b| b != 0))?),
            U8 => StorageData::U8(copy_plain(bytes)?),
            I8 => StorageData::I8(copy_plain(bytes)?),
            I16 => StorageData::I32(decode_as(bytes, little_endian, |b| {
                i16::from_le_bytes(b) as i32
            })?),
            U16 => StorageData::I32(decode_as(bytes, little_endian, |b| {
                u16::from_le_bytes(b) as i32
            })?),
            I32 if little_endian == NATIVE_LE => StorageData::I32(copy_plain(bytes)?),
            I32 => StorageData::I32(decode_as(bytes, little_endian, i32::from_le_bytes)?),
            U32 => StorageData::I64(decode_as(bytes, little_endian, |b| {
                u32::from_le_bytes(b) as i64
            })?),
            I64 if little_endian == NATIVE_LE => StorageData::I64(copy_plain(bytes)?),
            I64 => StorageData::I64(decode_as(bytes, little_endian, i64::from_le_bytes)?),
            F16 => StorageData::F32(decode_as(bytes, little_endian, |b| {
                half::f16::from_le_bytes(b).to_f32()
            })?),
            BF16 => StorageData::F32(decode_as(bytes, little_endian, |b| {
                half::bf16::from_le_bytes(b).to_f32()
            })?),
            F32 if little_endian == NATIVE_LE => StorageData::F32(copy_plain(bytes)?),
            F32 => StorageData::F32(decode_as(bytes, little_endian, f32::from_le_bytes)?),
            F64 if little_endian == NATIVE_LE => StorageData::F64(copy_plain(bytes)?),
            F64 => StorageData::F64(decode_as(bytes, little_endian, f64::from_le_bytes)?),
        })
    }
}

/// The error for a type tessera does not load.
fn unsupported(what: &str) -> Error {
    Error::format(
        "pth",
        format!("unsupported element type {what}: tessera loads bool, uint8, int8, int16, uint16, int32, uint32, int64, float16, bfloat16, float32 and float64"),
    )
}

/// Collects exactly `n` items, failing instead of aborting if memory is short.
fn collect<T>(n: usize, it: impl Iterator<Item = T>) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        Error::Msg(format!(
            "not enough memory to load a storage of {n} elements"
        ))
    })?;
    v.extend(it);
    Ok(v)
}

/// Decodes `N`-byte elements with `f`, which reads little-endian bytes (big-endian
/// input is reversed first).
fn decode_as<const N: usize, T>(
    bytes: &[u8],
    little_endian: bool,
    f: impl Fn([u8; N]) -> T,
) -> Result<Vec<T>> {
    let chunks = bytes.chunks_exact(N);
    let n = chunks.len();
    if little_endian {
        collect(n, chunks.map(|c| f(c.try_into().expect("N bytes"))))
    } else {
        collect(
            n,
            chunks.map(|c| {
                let mut a: [u8; N] = c.try_into().expect("N bytes");
                a.reverse();
                f(a)
            }),
        )
    }
}

/// Whether this machine is little-endian (the byte order of PyTorch's files on x86 and
/// ARM, so that loading and saving are plain copies there).
const NATIVE_LE: bool = cfg!(target_endian = "little");

mod plain {
    /// Number types for which every bit pattern is a valid value.
    pub trait Plain: Copy {}
}
use plain::Plain;
impl Plain for u8 {}
impl Plain for i8 {}
impl Plain for i32 {}
impl Plain for i64 {}
impl Plain for f32 {}
impl Plain for f64 {}

/// The elements of `out` as bytes, to be overwritten.
fn bytes_mut<T: Plain>(out: &mut [T]) -> &mut [u8] {
    // SAFETY: `Plain` types have no padding and every bit pattern is a valid value, so
    // the slice's memory is `size_of_val(out)` initialized bytes that may be written
    // freely.
    unsafe {
        std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), std::mem::size_of_val(out))
    }
}

/// `bytes` (in this machine's byte order) as a `Vec<T>`: one copy, the speed of
/// `memcpy`, where decoding element by element costs several times more on a 45 MB
/// checkpoint. The buffer is core's `runtime::Output` (huge pages for large buffers,
/// or a dropped tensor's buffer, zeroed), so a large load does not pay a page fault per
/// 4 KiB.
fn copy_plain<T: Plain + tessera_core::StorageElement>(bytes: &[u8]) -> Result<Vec<T>> {
    let n = bytes.len() / std::mem::size_of::<T>();
    let mut out = tessera_core::runtime::Output::<T>::zeroed("tessera_io::load", n);
    bytes_mut(out.as_mut_slice()).copy_from_slice(&bytes[..n * std::mem::size_of::<T>()]);
    Ok(out.into_vec())
}

impl FileDType {
    /// Reads a storage of this type (`len` bytes at `offset` of `file`, in the given
    /// byte order) straight into its buffer, with the bytes' CRC-32, when the file's bytes
    /// are this machine's own representation; `None` when they need decoding.
    pub(crate) fn read_native(
        self,
        file: &std::fs::File,
        offset: u64,
        len: usize,
        little_endian: bool,
    ) -> Option<Result<(StorageData, u32)>> {
        if little_endian != NATIVE_LE || !cfg!(unix) {
            return None;
        }
        use FileDType::*;
        Some(match self {
            U8 => read_plain::<u8>(file, offset, len).map(|(v, c)| (StorageData::U8(v), c)),
            I8 => read_plain::<i8>(file, offset, len).map(|(v, c)| (StorageData::I8(v), c)),
            I32 => read_plain::<i32>(file, offset, len).map(|(v, c)| (StorageData::I32(v), c)),
            I64 => read_plain::<i64>(file, offset, len).map(|(v, c)| (StorageData::I64(v), c)),
            F32 => read_plain::<f32>(file, offset, len).map(|(v, c)| (StorageData::F32(v), c)),
            F64 => read_plain::<f64>(file, offset, len).map(|(v, c)| (StorageData::F64(v), c)),
            Bool | I16 | U16 | U32 | F16 | BF16 => return None,
        })
    }
}

/// `len` bytes at `offset` of `file` read into a new `Vec<T>` (core's
/// `runtime::Output`, as in [`copy_plain`]), with their CRC-32. The kernel copies from the page cache into the buffer: no mapping, no second
/// copy.
#[cfg(unix)]
fn read_plain<T: Plain + tessera_core::StorageElement>(
    file: &std::fs::File,
    offset: u64,
    len: usize,
) -> Result<(Vec<T>, u32)> {
    use std::os::unix::fs::FileExt;
    let size = std::mem::size_of::<T>();
    if !len.is_multiple_of(size) {
        return Err(Error::format(
            "pth",
            format!("a storage has {len} bytes, not a multiple of {size}"),
        ));
    }
    let n = len / size;
    let mut out = tessera_core::runtime::Output::<T>::zeroed("tessera_io::load", n);
    let bytes = bytes_mut(out.as_mut_slice());
    file.read_exact_at(bytes, offset)
        .map_err(|e| Error::io("reading a storage", e))?;
    let crc = crc32fast::hash(bytes);
    Ok((out.into_vec(), crc))
}

#[cfg(not(unix))]
fn read_plain<T: Plain + tessera_core::StorageElement>(
    _file: &std::fs::File,
    _offset: u64,
    _len: usize,
) -> Result<(Vec<T>, u32)> {
    unreachable!("read_native returns None off unix")
}

/// The bytes of a slice of numbers or bools, in this machine's byte order.
fn as_bytes<T: StorageElement>(v: &[T]) -> &[u8] {
    // SAFETY: `StorageElement` is sealed in core and implemented only for bool, u8, i8,
    // i32, i64, f32 and f64, none of which has padding (a `bool` is one byte, 0 or 1), so
    // all `size_of_val(v)` bytes are initialized.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v)) }
}

/// The little-endian bytes of `data[range]` (PyTorch's on-disk order): borrowed on a
/// little-endian machine.
pub(crate) fn encode_range(
    data: &StorageData,
    range: std::ops::Range<usize>,
) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    fn le<const N: usize, T: StorageElement>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Cow<'_, [u8]> {
        if NATIVE_LE {
            return Cow::Borrowed(as_bytes(v));
        }
        let mut out = Vec::with_capacity(v.len() * N);
        for &x in v {
            out.extend_from_slice(&f(x));
        }
        Cow::Owned(out)
    }
    match data {
        StorageData::Bool(v) => Cow::Borrowed(as_bytes(&v[range])),
        StorageData::U8(v) => Cow::Borrowed(&v[range]),
        StorageData::I8(v) => Cow::Borrowed(as_bytes(&v[range])),
        StorageData::I32(v) => le(&v[range], i32::to_le_bytes),
        StorageData::I64(v) => le(&v[range], i64::to_le_bytes),
        StorageData::F32(v) => le(&v[range], f32::to_le_bytes),
        StorageData::F64(v) => le(&v[range], f64::to_le_bytes),
    }
}

/// The little-endian bytes of a whole storage.
#[cfg(test)]
pub(crate) fn encode(data: &StorageData) -> Vec<u8> {
    encode_range(data, 0..data.len()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_type_and_both_byte_orders() {
        let one_f16 = half::f16::from_f32(1.5).to_le_bytes();
        assert_eq!(
            FileDType::F16.decode(&one_f16, true).unwrap(),
            StorageData::F32(vec![1.5])
        );
        let be = [0x3f, 0xc0, 0, 0];
        assert_eq!(
            FileDType::F32.decode(&be, false).unwrap(),
            StorageData::F32(vec![1.5])
        );
        assert_eq!(
            FileDType::U16.decode(&[0xff, 0xff], true).unwrap(),
            StorageData::I32(vec![65535])
        );
        assert_eq!(
            FileDType::Bool.decode(&[0, 1, 2], true).unwrap(),
            StorageData::Bool(vec![false, true, true])
        );
        assert!(FileDType::I64.decode(&[0; 7], true).is_err());
        for d in DType::ALL {
            let f = FileDType::of(d);
            assert_eq!(f.loaded_as(), d);
            assert_eq!(FileDType::from_storage_name(f.storage_name()).unwrap(), f);
            let data = StorageData::zeros(d, 3);
            assert_eq!(f.decode(&encode(&data), true).unwrap(), data);
        }
        let e = FileDType::from_storage_name("ComplexFloatStorage").unwrap_err();
        assert!(e.to_string().contains("torch.ComplexFloatStorage"));
    }
}
