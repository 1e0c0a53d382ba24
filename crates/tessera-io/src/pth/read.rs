//! `tessera::load`: PyTorch's zip format (`torch.save` since 1.6) and the legacy
//! format before it, to a [`Value`].

use crate::element::FileDType;
use crate::pickle::arena::Pickled;
use crate::pickle::read::unpickle;
use crate::value::Value;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Arc;
use tessera_core::{Error, Result, StateDict, Storage, StorageData};

fn err(msg: impl Into<String>) -> Error {
    Error::format("pth", msg)
}

/// How [`load_with`] reads a file.
///
/// `mmap` (on by default): the file is memory-mapped and every storage whose bytes the
/// file holds in this machine's representation (stored uncompressed, in native byte
/// order, aligned, of a dtype tessera keeps as it is) borrows them from the mapping
/// without a copy ([`tessera_core::shared`]); the first in-place write to such a
/// storage copies it. Off, every storage is read into memory of its own at load time.
///
/// # Files that change under a mapping
/// The CRC-32 of every storage is checked at load time, mapped or not. A mapped
/// storage reads the file's pages when used, so the file must not be *modified in
/// place or truncated* while tensors loaded from it live: their values would change,
/// or the process would be killed by `SIGBUS` when a truncated page is read (as with
/// `torch.load(..., mmap=True)`, `numpy.memmap` and the safetensors package).
/// Replacing the file is safe: a mapping keeps the old file's contents, and
/// [`crate::save`], [`crate::safetensors::save_file`] and tessera's hub downloads all
/// write a new file and rename it into place. Turn `mmap` off when another program may
/// rewrite the file in place (`torch.save` to the same path, for one).
#[derive(Clone, Debug)]
pub struct LoadOptions {
    mmap: bool,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions { mmap: true }
    }
}

impl LoadOptions {
    /// The defaults: `mmap` on.
    pub fn new() -> LoadOptions {
        LoadOptions::default()
    }

    /// Whether storages may borrow the file's pages (see the type's docs).
    pub fn mmap(mut self, on: bool) -> LoadOptions {
        self.mmap = on;
        self
    }
}

/// `torch.load(path, weights_only=True)`: reads a file that `torch.save` wrote (the zip
/// format of PyTorch 1.6 and later, or the legacy format before it) into a [`Value`].
///
/// The file is memory-mapped and each storage is decoded once: tensors that shared a
/// storage in the file share one [`tessera_core::Storage`], with their offsets, sizes
/// and strides. Storages that the file holds as tessera would (uncompressed, native
/// byte order, aligned, a dtype tessera has) borrow the mapping without a copy until
/// first written: see [`LoadOptions`] for what that means when the file changes, and
/// [`load_with`] to copy instead. `float16`/`bfloat16` load as `float32`,
/// `int16`/`uint16` as `int32` and `uint32` as `int64`, exactly (see
/// [`crate::FileDType`]).
///
/// Nothing in the file is executed: the unpickler knows only data (see the crate docs).
///
/// ```
/// use tessera_core::{StateDict, Tensor};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("w.pth");
/// let mut sd = StateDict::new();
/// sd.insert("fc.weight", Tensor::ones(&[2, 3]));
/// tessera_io::save(&sd, &path)?;
/// let back = tessera_io::load(&path)?.to_state_dict()?;
/// assert_eq!(back["fc.weight"].shape(), &[2, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// If the file cannot be read, or is not a PyTorch file, or is corrupt or truncated (a
/// bad zip, a CRC mismatch, a storage shorter than its tensors claim, a zip entry with
/// `..` in its path), or uses an opcode, a global or a dtype that tessera does not load
/// (each named in the message).
pub fn load(path: impl AsRef<Path>) -> Result<Value> {
    load_with(path, &LoadOptions::default())
}

/// [`load`] with [`LoadOptions`] (`LoadOptions::new().mmap(false)` copies every storage
/// into memory of its own at load time).
///
/// # Errors
/// As [`load`].
pub fn load_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Value> {
    let path = path.as_ref();
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?
        .len();
    if len == 0 {
        return load_bytes(&[]).map_err(|e| in_file(path, e));
    }
    // SAFETY: the map is read-only. Another process may still change or truncate the
    // file; `LoadOptions` documents that policy (storages that borrow the map see such
    // changes, a truncation is SIGBUS), which is that of every memory-mapped loader.
    let map = Arc::new(
        unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| Error::io(format!("mapping {}", path.display()), e))?,
    );
    if is_zip(&map) {
        let source = Source {
            file: Some(&file),
            map: options.mmap.then(|| map.clone()),
        };
        return load_zip(&map, source).map_err(|e| in_file(path, e));
    }
    load_bytes(&map).map_err(|e| in_file(path, e))
}

/// Where [`load_zip`] may take storages from besides the archive's bytes: the mapping
/// that holds them (to borrow), or the file (to read straight into their buffers).
#[derive(Default)]
struct Source<'a> {
    file: Option<&'a std::fs::File>,
    map: Option<Arc<memmap2::Mmap>>,
}

fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Adds the file name to a format error.
fn in_file(path: &Path, e: Error) -> Error {
    match e {
        Error::Format { format, message } => Error::Format {
            format,
            message: format!("{}: {message}", path.display()),
        },
        e => e,
    }
}

/// [`load`] of a file, straight to a [`StateDict`] (`Value::to_state_dict`).
///
/// # Errors
/// As [`load`], and if the file does not hold a dict of str -> Tensor.
pub fn load_state_dict(path: impl AsRef<Path>) -> Result<StateDict> {
    load(path)?.to_state_dict()
}

/// [`load`] from bytes in memory.
///
/// # Errors
/// As [`load`].
pub fn load_bytes(bytes: &[u8]) -> Result<Value> {
    if is_zip(bytes) {
        load_zip(bytes, Source::default())
    } else if bytes.first() == Some(&0x80) {
        crate::pth::legacy::load_legacy(bytes)
    } else {
        Err(err(
            "not a PyTorch file: neither a zip archive (torch.save since 1.6) nor the legacy pickle format",
        ))
    }
}

/// Refuses entry names that could escape a directory if extracted.
pub(crate) fn check_entry_name(name: &str) -> Result<()> {
    let bad = name.starts_with('/')
        || name.starts_with('\\')
        || name.contains(':')
        || name.split(['/', '\\']).any(|c| c == "..");
    if bad {
        return Err(err(format!(
            "zip entry {name:?} has an absolute path or a `..` component"
        )));
    }
    Ok(())
}

fn zerr(e: zip::result::ZipError) -> Error {
    err(format!("corrupt zip archive: {e}"))
}

/// The bytes of an entry: a slice of the input for a stored entry (PyTorch stores
/// everything uncompressed), checked against its CRC; a deflated entry is inflated up
/// to its declared size, which is bounded first.
fn entry<'a>(
    zip: &mut zip::ZipArchive<Cursor<&'a [u8]>>,
    bytes: &'a [u8],
    name: &str,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    let mut f = zip
        .by_name(name)
        .map_err(|e| err(format!("missing or unreadable entry {name:?}: {e}")))?;
    let size = f.size();
    let crc = f.crc32();
    match f.compression() {
        zip::CompressionMethod::Stored => {
            let start = f.data_start();
            let end = start
                .checked_add(size)
                .filter(|&e| e <= bytes.len() as u64 && f.compressed_size() == size)
                .ok_or_else(|| err(format!("entry {name:?} runs past the end of the file")))?;
            let data = &bytes[start as usize..end as usize];
            if crc32fast::hash(data) != crc {
                return Err(err(format!(
                    "entry {name:?} fails its CRC check (corrupt file)"
                )));
            }
            Ok(std::borrow::Cow::Borrowed(data))
        }
        zip::CompressionMethod::Deflated => {
            // A deflate stream expands at most ~1032x; anything claiming more is corrupt.
            if size > f.compressed_size().saturating_mul(1032) + 1024 {
                return Err(err(format!(
                    "entry {name:?} claims {size} bytes from {} compressed",
                    f.compressed_size()
                )));
            }
            let mut v = Vec::new();
            v.try_reserve_exact(size as usize)
                .map_err(|_| err(format!("entry {name:?}: not enough memory")))?;
            (&mut f)
                .take(size + 1)
                .read_to_end(&mut v)
                .map_err(|e| err(format!("entry {name:?}: {e}")))?;
            if v.len() as u64 != size {
                return Err(err(format!("entry {name:?} has the wrong size")));
            }
            Ok(std::borrow::Cow::Owned(v))
        }
        m => Err(err(format!(
            "entry {name:?} uses unsupported compression {m:?}"
        ))),
    }
}

fn load_zip(bytes: &[u8], source: Source<'_>) -> Result<Value> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zerr)?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    for n in &names {
        check_entry_name(n)?;
    }
    // The record prefix: `archive/` in files of PyTorch 2, the file's stem before that.
    let pkl: Vec<&String> = names
        .iter()
        .filter(|n| n.ends_with("/data.pkl") && n.matches('/').count() == 1)
        .collect();
    let prefix = match pkl.as_slice() {
        [one] => one.trim_end_matches("data.pkl").to_string(),
        [] => {
            return Err(err(
                "no data.pkl in the archive (not a file written by torch.save)",
            ))
        }
        _ => return Err(err("more than one data.pkl in the archive")),
    };
    let little = match names.iter().any(|n| *n == format!("{prefix}byteorder")) {
        false => true,
        true => match &*entry(&mut zip, bytes, &format!("{prefix}byteorder"))? {
            b"little" => true,
            b"big" => false,
            other => {
                return Err(err(format!(
                    "byteorder is {:?}, not \"little\" or \"big\"",
                    String::from_utf8_lossy(other)
                )))
            }
        },
    };
    let data_pkl = entry(&mut zip, bytes, &format!("{prefix}data.pkl"))?;
    let p = unpickle(&data_pkl)?;
    let storages = resolve_storages(&p, |key, expected, dtype| {
        let name = format!("{prefix}data/{key}");
        let wrong_size = |n: u64| {
            err(format!(
                "storage {key:?} has {n} bytes in the file but its tensors need {expected} (the storage is shorter or longer than the file says)"
            ))
        };
        if source.file.is_some() || source.map.is_some() {
            let f = zip
                .by_name(&name)
                .map_err(|e| err(format!("missing or unreadable entry {name:?}: {e}")))?;
            let stored = f.compression() == zip::CompressionMethod::Stored
                && f.compressed_size() == f.size()
                && f.data_start()
                    .checked_add(f.size())
                    .is_some_and(|e| e <= bytes.len() as u64);
            if stored {
                if f.size() != expected {
                    return Err(wrong_size(f.size()));
                }
                let start = f.data_start() as usize;
                let range = start..start + expected as usize;
                if let Some(data) = source
                    .map
                    .as_ref()
                    .and_then(|m| dtype.shared(m, range.clone(), little))
                {
                    if crc32fast::hash(&bytes[range]) != f.crc32() {
                        return Err(err(format!(
                            "entry {name:?} fails its CRC check (corrupt file)"
                        )));
                    }
                    return Ok(data);
                }
                if let Some(r) = source.file.and_then(|file| {
                    dtype.read_native(file, f.data_start(), expected as usize, little)
                }) {
                    let (data, crc) = r?;
                    if crc != f.crc32() {
                        return Err(err(format!(
                            "entry {name:?} fails its CRC check (corrupt file)"
                        )));
                    }
                    return Ok(data);
                }
            }
        }
        let data = entry(&mut zip, bytes, &name)?;
        if data.len() as u64 != expected {
            return Err(wrong_size(data.len() as u64));
        }
        dtype.decode(&data, little)
    })?;
    p.into_value(&storages)
}

/// Makes each storage of `p` with `fetch(key, expected byte length, element type)`.
pub(crate) fn resolve_storages(
    p: &Pickled,
    mut fetch: impl FnMut(&str, u64, FileDType) -> Result<StorageData>,
) -> Result<Vec<Arc<Storage>>> {
    let dtypes = p.storage_dtypes()?;
    let mut out = Vec::with_capacity(p.storages.len());
    for (i, s) in p.storages.iter().enumerate() {
        let expected = p.storage_bytes(i, dtypes[i])?;
        out.push(Arc::new(Storage::new(fetch(&s.key, expected, dtypes[i])?)));
    }
    Ok(out)
}
