//! [`QStorage`]: the raw values of a quantized tensor as a storage of its quantized dtype
//! (PyTorch's `QUInt8Storage`, `QInt8Storage`, `QInt32Storage`, what `q.storage()` gives),
//! shared with every view of the tensor and readable and writable as bytes.

use crate::qdispatch;
use crate::{QDType, QParams, QTensor};
use std::fmt;
use std::sync::Arc;
use tessera_core::{Layout, Storage, StorageData, Tensor};

/// A storage of quantized values (`torch.QUInt8Storage`, ...): the buffer behind a
/// [`QTensor`] and its views, all of it (not only the elements a view reaches).
///
/// ```
/// use tessera_core::tensor;
/// use tessera_quantization::{quantize_per_tensor, QDType};
/// let q = quantize_per_tensor(&tensor!([0.1, 0.2, -0.3, 5.0]), 0.1, 10, QDType::QUInt8);
/// let s = q.narrow(0, 1, 2).storage(); // a view's storage is the whole buffer
/// assert_eq!(s.type_name(), "torch.QUInt8Storage");
/// assert_eq!(s.tolist(), vec![11, 12, 7, 60]);
/// s.set(0, 99);
/// assert_eq!(q.int_repr().to_vec::<u8>(), vec![99, 12, 7, 60]);
/// ```
#[derive(Clone)]
pub struct QStorage {
    storage: Arc<Storage>,
    qdtype: QDType,
}

/// `torch.QUInt8Storage`: a [`QStorage`] of `quint8` values.
pub type QUInt8Storage = QStorage;
/// `torch.QInt8Storage`: a [`QStorage`] of `qint8` values.
pub type QInt8Storage = QStorage;
/// `torch.QInt32Storage`: a [`QStorage`] of `qint32` values.
pub type QInt32Storage = QStorage;

impl QStorage {
    /// A new zero-filled storage of `len` values.
    pub fn new(qdtype: QDType, len: usize) -> QStorage {
        QStorage {
            storage: Arc::new(Storage::new(StorageData::zeros(qdtype.int_dtype(), len))),
            qdtype,
        }
    }

    /// A storage holding `bytes` (little-endian values, as `.pth` files keep them).
    ///
    /// # Panics
    /// If the length is not a multiple of the element size.
    pub fn from_bytes(qdtype: QDType, bytes: &[u8]) -> QStorage {
        let n = qdtype.size_in_bytes();
        assert!(
            bytes.len().is_multiple_of(n),
            "QStorage::from_bytes: {} bytes are not a whole number of {qdtype} values ({n} bytes each)",
            bytes.len()
        );
        let s = QStorage::new(qdtype, bytes.len() / n);
        s.copy_from_bytes(bytes);
        s
    }

    /// The quantized dtype.
    pub fn dtype(&self) -> QDType {
        self.qdtype
    }

    /// PyTorch's class name: `torch.QUInt8Storage`, `torch.QInt8Storage`,
    /// `torch.QInt32Storage`.
    pub fn type_name(&self) -> &'static str {
        match self.qdtype {
            QDType::QUInt8 => "torch.QUInt8Storage",
            QDType::QInt8 => "torch.QInt8Storage",
            QDType::QInt32 => "torch.QInt32Storage",
        }
    }

    /// Number of values (`size()`).
    pub fn len(&self) -> usize {
        self.storage.len()
    }

    /// Whether it holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size in bytes (`nbytes()`).
    pub fn nbytes(&self) -> usize {
        self.len() * self.qdtype.size_in_bytes()
    }

    /// The core storage underneath (an integer storage of the same values).
    pub fn storage(&self) -> &Arc<Storage> {
        &self.storage
    }

    /// The values as `i64` (`tolist()`).
    pub fn tolist(&self) -> Vec<i64> {
        let d = self.storage.read();
        qdispatch!(self.qdtype, T => <T as tessera_core::StorageElement>::slice(&d)
            .expect("a quantized storage holds its integer type")
            .iter()
            .map(|&v| tessera_core::Element::to_i64(v))
            .collect())
    }

    /// The value at `index` (`storage[index]`).
    ///
    /// # Panics
    /// If `index` is out of range.
    pub fn get(&self, index: usize) -> i64 {
        assert!(
            index < self.len(),
            "QStorage::get: index {index} out of range for size {}",
            self.len()
        );
        self.tolist()[index]
    }

    /// Writes `value` at `index` (`storage[index] = value`), seen by every tensor on it.
    ///
    /// # Panics
    /// If `index` is out of range or `value` outside the dtype's range.
    pub fn set(&self, index: usize, value: i64) {
        assert!(
            index < self.len(),
            "QStorage::set: index {index} out of range for size {}",
            self.len()
        );
        let d = self.qdtype;
        assert!(
            (d.qmin()..=d.qmax()).contains(&value),
            "QStorage::set: {value} is outside the range of {d}"
        );
        let mut g = self.storage.write();
        qdispatch!(d, T => g.slice_mut::<T>().expect("integer storage")[index] = value as T);
    }

    /// The raw bytes, little-endian (`bytes(storage.untyped())`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let d = self.storage.read();
        qdispatch!(self.qdtype, T => <T as tessera_core::StorageElement>::slice(&d)
            .expect("integer storage")
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect())
    }

    /// Overwrites every value from little-endian `bytes`, seen by every tensor on it.
    ///
    /// # Panics
    /// If `bytes.len()` differs from [`QStorage::nbytes`].
    pub fn copy_from_bytes(&self, bytes: &[u8]) {
        assert_eq!(
            bytes.len(),
            self.nbytes(),
            "QStorage::copy_from_bytes: {} bytes for a storage of {} bytes",
            bytes.len(),
            self.nbytes()
        );
        let mut g = self.storage.write();
        qdispatch!(self.qdtype, T => {
            let dst = g.slice_mut::<T>().expect("integer storage");
            const N: usize = std::mem::size_of::<T>();
            for (d, c) in dst.iter_mut().zip(bytes.chunks_exact(N)) {
                *d = T::from_le_bytes(c.try_into().expect("chunks of the element size"));
            }
        });
    }
}

impl fmt::Display for QStorage {
    /// As PyTorch prints a typed storage: one value a line, then
    /// `[torch.storage.TypedStorage(dtype=torch.quint8, device=cpu) of size 4]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let vals: Vec<String> = self.tolist().iter().map(i64::to_string).collect();
        write!(
            f,
            " {}\n[torch.storage.TypedStorage(dtype={}, device=cpu) of size {}]",
            vals.join("\n "),
            self.qdtype,
            self.len()
        )
    }
}

impl QTensor {
    /// `q.storage()`: the whole buffer under this tensor and its views, as a storage of
    /// its quantized dtype (shared: writes through it change the tensor).
    pub fn storage(&self) -> QStorage {
        QStorage {
            storage: self.values.storage().clone(),
            qdtype: self.qdtype,
        }
    }

    /// A quantized tensor over `storage` with the given shape, strides (in elements) and
    /// offset, and parameters: what PyTorch's `_rebuild_qtensor` makes from a `.pth` file.
    ///
    /// # Panics
    /// If the layout reaches past the storage, or the parameters do not fit (a zero point
    /// out of range, a scale not positive and finite, a per-channel axis out of range or
    /// with the wrong number of channels).
    pub fn from_storage(
        storage: &QStorage,
        shape: &[usize],
        strides: &[usize],
        offset: usize,
        params: QParams,
    ) -> QTensor {
        let values = Tensor::from_storage(
            storage.storage.clone(),
            Layout::new(shape.to_vec(), strides.to_vec(), offset),
        );
        match params {
            QParams::PerTensor { scale, zero_point } => {
                QTensor::from_int_repr_per_tensor(values, scale, zero_point)
            }
            QParams::PerChannel {
                scales,
                zero_points,
                axis,
            } => QTensor::from_int_repr_per_channel(
                values,
                &Tensor::from_vec(scales.to_vec(), &[scales.len()]),
                &Tensor::from_vec(zero_points.to_vec(), &[zero_points.len()]),
                axis as isize,
            ),
        }
    }
}
