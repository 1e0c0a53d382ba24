//! safetensors files, as the Python package's `safetensors.torch` reads and writes them:
//! [`load_file`] / [`save_file`], [`load`] / [`save`] for bytes in memory. The format
//! and its checks are the `safetensors` crate's; this module maps its tensors to
//! tessera's.
//!
//! Files are memory-mapped, and a tensor whose bytes are this machine's representation
//! of a dtype tessera has (little-endian, aligned) borrows them from the mapping without
//! a copy until first written, as the Python package's tensors do (see
//! [`crate::LoadOptions`] for what that means when the file is changed in place; the
//! other tensors are decoded into storages of their own). safetensors has no shared
//! storage: each tensor has its own. `F16`/`BF16` load as `float32`,
//! `I16`/`U16` as `int32`, `U32` as `int64`, exactly (see [`crate::FileDType`]); other
//! dtypes are an error naming them. Tensors come out in the order of their data in the
//! file.

use crate::element::{encode_range, FileDType};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use tessera_core::{Error, Result, StateDict, Tensor};

fn serr(e: safetensors::SafeTensorError) -> Error {
    Error::format("safetensors", e.to_string())
}

/// `safetensors.torch.load_file(path)`: every tensor of the file.
///
/// ```
/// use tessera_core::{StateDict, Tensor};
/// let dir = tempfile::tempdir()?;
/// let mut sd = StateDict::new();
/// sd.insert("w", Tensor::ones(&[2, 2]));
/// tessera_io::safetensors::save_file(&sd, dir.path().join("m.safetensors"), None)?;
/// let back = tessera_io::safetensors::load_file(dir.path().join("m.safetensors"))?;
/// assert_eq!(back["w"].to_vec::<f32>(), vec![1.0; 4]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// If the file cannot be read, is not valid safetensors (the crate's checks: header
/// size, JSON, offsets that overlap or run past the end), or holds an unsupported dtype.
pub fn load_file(path: impl AsRef<Path>) -> Result<StateDict> {
    Ok(load_file_with_metadata(path)?.0)
}

/// [`load_file`], with the header's `__metadata__` (string pairs, if any).
///
/// # Errors
/// As [`load_file`].
pub fn load_file_with_metadata(
    path: impl AsRef<Path>,
) -> Result<(StateDict, Option<HashMap<String, String>>)> {
    let path = path.as_ref();
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    // SAFETY: a read-only map. Tensors borrow it after this returns: another process
    // that changes or truncates the file in place changes their values or raises SIGBUS,
    // the policy `crate::LoadOptions` documents for every mapped load.
    let map = std::sync::Arc::new(
        unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| Error::io(format!("mapping {}", path.display()), e))?,
    );
    load_with_metadata(&map, Some(&map)).map_err(|e| match e {
        Error::Format { format, message } => Error::Format {
            format,
            message: format!("{}: {message}", path.display()),
        },
        e => e,
    })
}

/// `safetensors.torch.load(bytes)`: the tensors of a safetensors buffer.
///
/// # Errors
/// As [`load_file`].
pub fn load(bytes: &[u8]) -> Result<StateDict> {
    Ok(load_with_metadata(bytes, None)?.0)
}

/// The tensors of `bytes`; those that can borrow from `map` (which holds `bytes`) do.
fn load_with_metadata(
    bytes: &[u8],
    map: Option<&std::sync::Arc<memmap2::Mmap>>,
) -> Result<(StateDict, Option<HashMap<String, String>>)> {
    let (_, meta) = safetensors::SafeTensors::read_metadata(bytes).map_err(serr)?;
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(serr)?;
    let mut sd = StateDict::new();
    for name in meta.offset_keys() {
        let view = st.tensor(&name).map_err(serr)?;
        let dtype = FileDType::from_safetensors(view.dtype())
            .map_err(|e| Error::format("safetensors", format!("tensor {name:?}: {e}")))?;
        let start = view.data().as_ptr() as usize - bytes.as_ptr() as usize;
        let borrowed = map.and_then(|m| dtype.shared(m, start..start + view.data().len(), true));
        let data = match borrowed {
            Some(d) => d,
            None => dtype.decode(view.data(), true)?,
        };
        let shape = view.shape().to_vec();
        let strides = tessera_core::layout::contiguous_strides(&shape);
        let storage = std::sync::Arc::new(tessera_core::Storage::new(data));
        let t = Tensor::from_storage(storage, tessera_core::Layout::new(shape, strides, 0));
        sd.insert(name, t);
    }
    Ok((sd, meta.metadata().clone()))
}

/// One tensor for the `safetensors` crate: row-major, little-endian bytes borrowed
/// from its storage (copied only on a big-endian machine).
struct TensorBytes<'a> {
    dtype: safetensors::Dtype,
    shape: Vec<usize>,
    data: &'a tessera_core::StorageData,
    range: std::ops::Range<usize>,
}

impl safetensors::View for &TensorBytes<'_> {
    fn dtype(&self) -> safetensors::Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        encode_range(self.data, self.range.clone())
    }
    fn data_len(&self) -> usize {
        self.range.len() * self.data.dtype().size_in_bytes()
    }
}

/// Runs `f` on the tensors of `sd` as the `safetensors` crate sees them: contiguous
/// (views are copied row-major), with their storages locked for reading meanwhile.
fn with_views<R>(sd: &StateDict, f: impl FnOnce(Vec<(&str, TensorBytes<'_>)>) -> R) -> R {
    let tensors: Vec<(&str, Tensor)> = sd.iter().map(|(n, t)| (n, t.contiguous())).collect();
    let guards: Vec<_> = tensors.iter().map(|(_, t)| t.storage().read()).collect();
    let items = tensors
        .iter()
        .zip(&guards)
        .map(|((name, t), g)| {
            let start = t.storage_offset();
            (
                *name,
                TensorBytes {
                    dtype: FileDType::of(t.dtype()).to_safetensors(),
                    shape: t.shape().to_vec(),
                    data: g,
                    range: start..start + t.numel(),
                },
            )
        })
        .collect();
    f(items)
}

/// `safetensors.torch.save(tensors, metadata)`: the bytes of a safetensors file.
/// Non-contiguous tensors are written in row-major order; tensors that share storage
/// are written as separate copies (the format has no sharing).
///
/// # Errors
/// If the `safetensors` crate refuses the data.
pub fn save(sd: &StateDict, metadata: Option<&HashMap<String, String>>) -> Result<Vec<u8>> {
    with_views(sd, |items| {
        safetensors::serialize(items.iter().map(|(n, t)| (*n, t)), metadata.cloned()).map_err(serr)
    })
}

/// `safetensors.torch.save_file(tensors, path, metadata)`. The file is written under a
/// temporary name and renamed into place when complete.
///
/// # Errors
/// If the file cannot be written.
pub fn save_file(
    sd: &StateDict,
    path: impl AsRef<Path>,
    metadata: Option<&HashMap<String, String>>,
) -> Result<()> {
    crate::pth::write::write_atomically(path.as_ref(), |tmp| {
        with_views(sd, |items| {
            safetensors::serialize_to_file(
                items.iter().map(|(n, t)| (*n, t)),
                metadata.cloned(),
                tmp,
            )
            .map_err(serr)
        })
    })
}
