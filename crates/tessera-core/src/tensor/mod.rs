//! The [`Tensor`] handle and its accessors.

mod access;
mod create;
mod random;
mod views;

pub use create::TensorLiteral;
pub use random::{manual_seed, with_default_generator, Generator};
pub use views::Dims;

use crate::autograd::{GradSlot, Node};
use crate::layout::Layout;
use crate::storage::{Storage, StorageData, StorageElement};
use crate::{DType, Device};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

/// An n-dimensional array with a runtime dtype, PyTorch's `torch.Tensor`.
///
/// A `Tensor` is a cheap handle: `clone()` bumps a reference count. Views
/// (`reshape`, `permute`, `narrow`, `expand`, ...) share the storage and differ only
/// in [`Layout`], so an in-place op on a view is seen through every view of the same
/// storage, as in PyTorch.
///
/// ```
/// use tessera_core::{tensor, Tensor};
/// let x = tensor!([[1.0, 2.0], [3.0, 4.0]]);
/// let t = x.t();            // a view
/// t.exp_();                 // in place, seen through x
/// assert!((x.get::<f32>(&[0, 1]) - 2f32.exp()).abs() < 1e-6);
/// ```
#[derive(Clone)]
pub struct Tensor {
    pub(crate) inner: Arc<TensorImpl>,
}

pub(crate) struct TensorImpl {
    pub(crate) storage: Arc<Storage>,
    pub(crate) layout: Layout,
    pub(crate) dtype: DType,
    /// Set on leaves by `requires_grad_`.
    pub(crate) requires_grad: AtomicBool,
    /// The accumulated gradient (leaves, retained non-leaves); allocated on first use.
    pub(crate) grad: OnceLock<GradSlot>,
    /// The recorded op that made this tensor.
    pub(crate) grad_fn: Option<Arc<Node>>,
}

impl TensorImpl {
    fn new(storage: Arc<Storage>, layout: Layout, dtype: DType) -> TensorImpl {
        TensorImpl {
            storage,
            layout,
            dtype,
            requires_grad: AtomicBool::new(false),
            grad: OnceLock::new(),
            grad_fn: None,
        }
    }
}

impl Tensor {
    /// A tensor over existing storage with the given layout.
    ///
    /// # Panics
    /// If the layout reaches past the end of the storage.
    pub fn from_storage(storage: Arc<Storage>, layout: Layout) -> Tensor {
        let dtype = storage.dtype();
        check_extent("Tensor::from_storage", &layout, &storage);
        Tensor {
            inner: Arc::new(TensorImpl::new(storage, layout, dtype)),
        }
    }

    /// A contiguous tensor owning `data`, of shape `shape`.
    ///
    /// # Panics
    /// If the data's length is not the shape's element count.
    pub(crate) fn from_data(data: StorageData, shape: &[usize]) -> Tensor {
        let dtype = data.dtype();
        let layout = Layout::contiguous_for("Tensor::from_data", shape);
        assert_eq!(
            data.len(),
            layout.numel(),
            "Tensor::from_data: {} elements cannot have shape {shape:?}",
            data.len()
        );
        Tensor {
            inner: Arc::new(TensorImpl::new(Arc::new(Storage::new(data)), layout, dtype)),
        }
    }

    /// A view of the same storage with another layout, outside the graph.
    ///
    /// # Panics
    /// If the layout reaches past the storage (a bug in the view op that made it).
    pub(crate) fn with_layout(&self, layout: Layout) -> Tensor {
        check_extent("view", &layout, &self.inner.storage);
        Tensor {
            inner: Arc::new(TensorImpl::new(
                self.inner.storage.clone(),
                layout,
                self.inner.dtype,
            )),
        }
    }

    /// The same view, made by the recorded op `node`.
    pub(crate) fn with_grad_fn(&self, node: Arc<Node>) -> Tensor {
        let mut imp = TensorImpl::new(
            self.inner.storage.clone(),
            self.inner.layout.clone(),
            self.inner.dtype,
        );
        imp.grad_fn = Some(node);
        Tensor {
            inner: Arc::new(imp),
        }
    }

    /// A contiguous tensor from a vector and a shape (`torch.tensor(v).reshape(shape)`).
    ///
    /// ```
    /// let t = tessera_core::Tensor::from_vec(vec![1i64, 2, 3, 4, 5, 6], &[2, 3]);
    /// assert_eq!(t.shape(), &[2, 3]);
    /// ```
    ///
    /// # Panics
    /// If `v.len()` differs from the product of `shape`.
    pub fn from_vec<T: StorageElement>(v: Vec<T>, shape: &[usize]) -> Tensor {
        let n = crate::layout::checked_numel("Tensor::from_vec", shape);
        assert_eq!(
            v.len(),
            n,
            "Tensor::from_vec: {} elements cannot have shape {shape:?} ({n} elements)",
            v.len()
        );
        Tensor::from_data(T::wrap(v), shape)
    }

    /// A 0-dim tensor holding one value.
    pub fn scalar<T: StorageElement>(v: T) -> Tensor {
        Tensor::from_vec(vec![v], &[])
    }

    /// The sizes of the dimensions (`x.shape`).
    pub fn shape(&self) -> &[usize] {
        self.inner.layout.shape()
    }

    /// The size of dimension `dim` (negative counts from the end), `x.size(dim)`.
    ///
    /// # Panics
    /// If `dim` is out of range.
    pub fn size(&self, dim: isize) -> usize {
        let d = crate::layout::normalize_dim("size", dim, self.dim());
        self.shape()[d]
    }

    /// Number of dimensions (`x.dim()`).
    pub fn dim(&self) -> usize {
        self.inner.layout.rank()
    }

    /// Number of elements (`x.numel()`).
    pub fn numel(&self) -> usize {
        self.inner.layout.numel()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.inner.dtype
    }

    /// The device: always [`Device::Cpu`] today.
    pub fn device(&self) -> Device {
        Device::Cpu
    }

    /// The strides in elements (`x.stride()`).
    pub fn strides(&self) -> &[usize] {
        self.inner.layout.strides()
    }

    /// Offset of the first element in the storage (`x.storage_offset()`).
    pub fn storage_offset(&self) -> usize {
        self.inner.layout.offset()
    }

    /// Shape, strides and offset.
    pub fn layout(&self) -> &Layout {
        &self.inner.layout
    }

    /// The shared storage.
    pub fn storage(&self) -> &Arc<Storage> {
        &self.inner.storage
    }

    /// Whether the elements are row-major without gaps (`x.is_contiguous()`).
    pub fn is_contiguous(&self) -> bool {
        self.inner.layout.is_contiguous()
    }

    /// Whether two tensors share storage (one is a view of the other, or both of a third).
    pub fn shares_storage(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.inner.storage, &other.inner.storage)
    }

    /// Whether this is a float tensor.
    pub fn is_floating_point(&self) -> bool {
        self.dtype().is_float()
    }

    /// Panics with a message naming `op` unless the dtype is `T`'s.
    #[track_caller]
    pub(crate) fn expect_dtype<T: StorageElement>(&self, op: &str) {
        assert_eq!(
            self.dtype(),
            T::DTYPE,
            "{op}: the tensor has dtype {} but {} was asked for",
            self.dtype(),
            T::DTYPE
        );
    }

    /// Runs `f` on the viewed elements in row-major order, without a copy when
    /// the tensor is contiguous.
    ///
    /// The storage stays locked for reading while `f` runs: `f` may read any tensor,
    /// but an in-place write from `f` panics (it would wait for this read forever).
    ///
    /// # Panics
    /// If the dtype is not `T`'s, or `f` writes to a tensor in place.
    pub fn with_contiguous<T: StorageElement, R>(&self, f: impl FnOnce(&[T]) -> R) -> R {
        self.expect_dtype::<T>("with_contiguous");
        let data = self.inner.storage.read_for("with_contiguous");
        let all = T::slice(&data).expect("dtype checked");
        match self.inner.layout.contiguous_range() {
            Some(r) => f(&all[r]),
            None => {
                let v = self.inner.layout.gather(all);
                drop(data);
                f(&v)
            }
        }
    }

    /// Overwrites the viewed elements with `values` (row-major), in place: seen through
    /// every view of the same storage.
    ///
    /// # Panics
    /// If the dtype is not `T`'s or the lengths differ.
    pub fn write_values<T: StorageElement>(&self, values: &[T]) {
        self.expect_dtype::<T>("write_values");
        assert_eq!(
            values.len(),
            self.numel(),
            "write_values: {} values for a tensor of shape {:?}",
            values.len(),
            self.shape()
        );
        self.check_inplace("write_values");
        let mut data = self.inner.storage.write_for("write_values");
        let all = data.slice_mut::<T>().expect("dtype checked");
        self.inner.layout.scatter(all, values);
    }

    /// Runs `f` on the viewed elements in place, row-major: directly on the storage
    /// when contiguous, else through a gather and scatter.
    ///
    /// # Panics
    /// If the dtype is not `T`'s.
    pub(crate) fn modify<T: StorageElement>(&self, op: &str, f: impl FnOnce(&mut [T])) {
        self.expect_dtype::<T>(op);
        self.check_inplace(op);
        let mut data = self.inner.storage.write_for(op);
        let all = data.slice_mut::<T>().expect("dtype checked");
        match self.inner.layout.contiguous_range() {
            Some(r) => f(&mut all[r]),
            None => {
                let mut v = self.inner.layout.gather(all);
                f(&mut v);
                self.inner.layout.scatter(all, &v);
            }
        }
    }
}

/// Panics unless `layout` stays inside `storage`: the bound every index into a tensor's
/// storage relies on (layouts themselves never overflow, see [`Layout`]).
#[track_caller]
fn check_extent(op: &str, layout: &Layout, storage: &Storage) {
    assert!(
        layout.storage_extent() <= storage.len(),
        "{op}: layout {layout:?} reaches element {} but the storage has {}",
        layout.storage_extent(),
        storage.len()
    );
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}
