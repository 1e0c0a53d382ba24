//! [`NpyDataset`]: rows of memory-mapped `.npy` files.

use crate::dataset::{check_index, Dataset};
use crate::npy_header::{self, NpyHeader};
use memmap2::Mmap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tessera_core::{DType, Error, Result, StorageElement, Tensor};

/// One memory-mapped file.
struct NpyFile {
    path: PathBuf,
    map: Mmap,
    header: NpyHeader,
    /// The shape of one row (the shape without its first dimension).
    row_shape: Vec<usize>,
    row_bytes: usize,
}

/// Rows of one or more `.npy` files that share their first dimension, read from
/// memory maps (the `memmap2` crate) without loading the files: item `i` is row `i` of
/// each file, as a tensor, like a [`crate::TensorDataset`] on disk. The page cache
/// holds what was read, so datasets larger than RAM work.
///
/// Files of format 1.0-3.0 in C order with dtypes `|b1`, `|u1`, `|i1`, `i4`, `i8`,
/// `f4`, `f8` (either byte order) are read; the data must not change while the
/// dataset is open (as with any memory map).
///
/// ```
/// use tessera_core::{tensor, Tensor};
/// use tessera_data::{Dataset, NpyDataset};
/// let dir = std::env::temp_dir();
/// let (x, y) = (dir.join("tessera_doc_npyds_x.npy"), dir.join("tessera_doc_npyds_y.npy"));
/// tensor!([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]).write_npy(&x)?;
/// tensor!([0, 1, 0]).write_npy(&y)?;
/// let ds = NpyDataset::open(&[&x, &y])?;
/// assert_eq!(ds.len(), 3);
/// let row = ds.get(1)?;
/// assert_eq!(row[0].to_vec::<f32>(), vec![3.0, 4.0]);
/// assert_eq!(row[1].item::<i64>(), 1);
/// # Ok::<(), tessera_core::Error>(())
/// ```
#[derive(Clone)]
pub struct NpyDataset {
    files: Arc<[NpyFile]>,
    len: usize,
}

impl std::fmt::Debug for NpyDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let files: Vec<_> = self
            .files
            .iter()
            .map(|f| {
                (
                    f.path.display().to_string(),
                    f.header.dtype,
                    &f.header.shape,
                )
            })
            .collect();
        f.debug_struct("NpyDataset")
            .field("len", &self.len)
            .field("files", &files)
            .finish()
    }
}

fn npy_error(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::format("npy", format!("{}: {message}", path.display()))
}

fn open_one(path: &Path) -> Result<NpyFile> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    // SAFETY: the map is read-only; as documented on NpyDataset, the file must not be
    // modified while the dataset is open (a concurrent writer would change the rows
    // read, as with any memory-mapped file).
    let map = unsafe { Mmap::map(&file) }
        .map_err(|e| Error::io(format!("memory-mapping {}", path.display()), e))?;
    let header = npy_header::parse(&map).map_err(|m| npy_error(path, m))?;
    if header.shape.is_empty() {
        return Err(npy_error(path, "a 0-dim array has no rows"));
    }
    if header.fortran_order && header.shape.len() > 1 {
        return Err(npy_error(
            path,
            "Fortran-ordered arrays are not supported (rows are not contiguous); save in C order",
        ));
    }
    let size = header.dtype.size_in_bytes();
    let row_shape = header.shape[1..].to_vec();
    let row_bytes = row_shape
        .iter()
        .try_fold(size, |n, &d| n.checked_mul(d))
        .ok_or_else(|| npy_error(path, format!("shape {:?} is too large", header.shape)))?;
    let expected = row_bytes
        .checked_mul(header.shape[0])
        .ok_or_else(|| npy_error(path, format!("shape {:?} is too large", header.shape)))?;
    let present = map.len() - header.data_offset;
    if present != expected {
        return Err(npy_error(
            path,
            format!(
                "shape {:?} of {} needs {expected} data bytes but the file has {present} ({})",
                header.shape,
                header.dtype,
                if present < expected {
                    "truncated"
                } else {
                    "trailing data"
                }
            ),
        ));
    }
    Ok(NpyFile {
        path: path.to_path_buf(),
        map,
        header,
        row_shape,
        row_bytes,
    })
}

/// An element type decoded from `.npy` bytes.
trait Decode: StorageElement {
    /// Appends the elements of `bytes` (whole elements) to `out`; `false` if a value is
    /// invalid (a bool byte other than 0 or 1).
    fn decode_into(bytes: &[u8], big_endian: bool, out: &mut Vec<Self>) -> bool;
}

macro_rules! decode_number {
    ($($t:ty),*) => {$(
        impl Decode for $t {
            #[inline]
            fn decode_into(bytes: &[u8], big_endian: bool, out: &mut Vec<Self>) -> bool {
                const N: usize = std::mem::size_of::<$t>();
                let words = bytes.chunks_exact(N).map(|b| <[u8; N]>::try_from(b).expect("N bytes"));
                if big_endian {
                    out.extend(words.map(<$t>::from_be_bytes));
                } else {
                    out.extend(words.map(<$t>::from_le_bytes));
                }
                true
            }
        }
    )*};
}
decode_number!(u8, i8, i32, i64, f32, f64);

impl Decode for bool {
    fn decode_into(bytes: &[u8], _big_endian: bool, out: &mut Vec<Self>) -> bool {
        out.extend(bytes.iter().map(|&b| b == 1));
        bytes.iter().all(|&b| b <= 1)
    }
}

impl NpyFile {
    /// Rows `indices` decoded into one tensor of shape `shape`.
    fn rows(&self, indices: &[usize], shape: &[usize]) -> Result<Tensor> {
        fn decode<T: Decode>(f: &NpyFile, indices: &[usize], shape: &[usize]) -> Result<Tensor> {
            let size = std::mem::size_of::<T>();
            let mut v = Vec::with_capacity(indices.len() * f.row_bytes / size);
            for &index in indices {
                let at = f.header.data_offset + index * f.row_bytes;
                if !T::decode_into(&f.map[at..at + f.row_bytes], f.header.big_endian, &mut v) {
                    return Err(npy_error(
                        &f.path,
                        format!("row {index}: a bool byte is not 0 or 1"),
                    ));
                }
            }
            Ok(Tensor::from_vec(v, shape))
        }
        match self.header.dtype {
            DType::Bool => decode::<bool>(self, indices, shape),
            DType::U8 => decode::<u8>(self, indices, shape),
            DType::I8 => decode::<i8>(self, indices, shape),
            DType::I32 => decode::<i32>(self, indices, shape),
            DType::I64 => decode::<i64>(self, indices, shape),
            DType::F32 => decode::<f32>(self, indices, shape),
            DType::F64 => decode::<f64>(self, indices, shape),
        }
    }
}

impl NpyDataset {
    /// Opens and maps `paths`; rows are read on demand.
    ///
    /// # Errors
    /// [`Error::Io`] if a file cannot be opened or mapped; [`Error::Format`] naming the
    /// file if it is not a valid `.npy` file, is truncated or has trailing bytes, has a
    /// dtype other than those listed above, is 0-dim or Fortran-ordered, or if the
    /// files' first dimensions differ.
    ///
    /// # Panics
    /// If `paths` is empty.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<NpyDataset> {
        assert!(
            !paths.is_empty(),
            "NpyDataset::open: expected at least one path"
        );
        let files = paths
            .iter()
            .map(|p| open_one(p.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        let len = files[0].header.shape[0];
        if let Some(other) = files.iter().find(|f| f.header.shape[0] != len) {
            return Err(npy_error(
                &other.path,
                format!(
                    "has {} rows but {} has {len}",
                    other.header.shape[0],
                    files[0].path.display()
                ),
            ));
        }
        Ok(NpyDataset {
            files: files.into(),
            len,
        })
    }

    /// The full shape of each file's array.
    pub fn shapes(&self) -> Vec<Vec<usize>> {
        self.files.iter().map(|f| f.header.shape.clone()).collect()
    }

    /// The dtype of each file.
    pub fn dtypes(&self) -> Vec<DType> {
        self.files.iter().map(|f| f.header.dtype).collect()
    }
}

impl Dataset for NpyDataset {
    type Item = Vec<Tensor>;

    fn len(&self) -> usize {
        self.len
    }

    /// Row `index` of each file, decoded from the map.
    ///
    /// # Errors
    /// [`Error::Format`] naming the file for a bool byte other than 0 or 1.
    ///
    /// # Panics
    /// If `index >= len()`.
    fn get(&self, index: usize) -> Result<Vec<Tensor>> {
        check_index("NpyDataset", index, self.len);
        self.files
            .iter()
            .map(|f| f.rows(&[index], &f.row_shape))
            .collect()
    }

    /// The rows at `indices` of each file, decoded into one tensor per file: what
    /// `default_collate` makes of the items, without making them.
    ///
    /// # Errors
    /// As [`NpyDataset::get`].
    ///
    /// # Panics
    /// If an index is out of range.
    fn get_batch_collated(&self, indices: &[usize]) -> Option<Result<Vec<Tensor>>> {
        for &i in indices {
            check_index("NpyDataset", i, self.len);
        }
        let batch = self.files.iter().map(|f| {
            let mut shape = vec![indices.len()];
            shape.extend_from_slice(&f.row_shape);
            f.rows(indices, &shape)
        });
        Some(batch.collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::tensor;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("tessera_data_npy_{}_{name}", std::process::id()))
    }

    #[test]
    fn rows_of_every_dtype_and_byte_order() {
        let p = temp("dtypes.npy");
        for t in [
            tensor!([[true, false], [false, true]]),
            Tensor::arange(0, 4).reshape([2, 2]).to_dtype(DType::U8),
            Tensor::arange(-2, 2).reshape([2, 2]).to_dtype(DType::I8),
            Tensor::arange(0, 4).reshape([2, 2]).to_dtype(DType::I32),
            Tensor::arange(0, 4).reshape([2, 2]),
            Tensor::arange(0.5, 4.5).reshape([2, 2]),
            Tensor::arange(0.5, 4.5)
                .reshape([2, 2])
                .to_dtype(DType::F64),
        ] {
            t.write_npy(&p).unwrap();
            let ds = NpyDataset::open(&[&p]).unwrap();
            assert_eq!(ds.dtypes(), vec![t.dtype()]);
            let row = ds.get(1).unwrap().remove(0);
            assert_eq!(row.dtype(), t.dtype());
            assert!(row.eq(t.select(0, 1)).to_vec::<bool>().iter().all(|&b| b));
        }
        // A big-endian file: the header's '<i4' made '>i4' and the bytes swapped.
        let mut bytes = tensor!([[1, 2], [3, 4]])
            .to_dtype(DType::I32)
            .to_npy_bytes();
        let h = npy_header::parse(&bytes).unwrap();
        let at = bytes.windows(3).position(|w| w == b"<i4").unwrap();
        bytes[at] = b'>';
        for w in bytes[h.data_offset..].chunks_exact_mut(4) {
            w.reverse();
        }
        std::fs::write(&p, &bytes).unwrap();
        let ds = NpyDataset::open(&[&p]).unwrap();
        assert_eq!(ds.get(1).unwrap()[0].to_vec::<i32>(), vec![3, 4]);
        std::fs::remove_file(&p).ok();
    }
}
