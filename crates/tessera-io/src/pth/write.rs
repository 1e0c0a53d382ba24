//! `tessera::save`: PyTorch's zip format, as `torch.save` writes it.

use crate::element::encode_range;
use crate::pickle::write::Pickler;
use crate::value::Value;
use std::io::{Seek, Write};
use std::path::Path;
use tessera_core::{Error, Result};
use zip::write::SimpleFileOptions;

/// `torch.save(obj, path)`: writes `obj` (a [`Value`], a [`tessera_core::StateDict`] or
/// a [`tessera_core::Tensor`]) in PyTorch's zip format, which `torch.load(path,
/// weights_only=True)` reads back tensor for tensor.
///
/// Each storage is written once, whole, with its tensors' offsets, sizes and strides,
/// so views stay views of one storage after loading (in PyTorch and in tessera). Records
/// are stored uncompressed and aligned to 64 bytes, as PyTorch writes them.
///
/// The file is written next to `path` under a temporary name and renamed into place
/// when complete, so a failure (a full disk) leaves no partial file at `path`.
///
/// ```
/// use tessera_core::Tensor;
/// let dir = tempfile::tempdir()?;
/// let x = Tensor::arange(0.0, 6.0).reshape([2, 3]);
/// tessera_io::save(x.t(), dir.path().join("x.pth"))?;
/// let y = tessera_io::load(dir.path().join("x.pth"))?;
/// let y = y.as_tensor().unwrap();
/// assert_eq!((y.shape(), y.strides()), (&[3, 2][..], &[1, 3][..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// If the file cannot be written.
pub fn save(obj: impl Into<Value>, path: impl AsRef<Path>) -> Result<()> {
    let obj = obj.into();
    write_atomically(path.as_ref(), |tmp| {
        let f = std::fs::File::create(tmp)
            .map_err(|e| Error::io(format!("creating {}", tmp.display()), e))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        save_to_writer(obj, &mut w)?;
        w.flush()
            .map_err(|e| Error::io("writing a .pth archive", e))
    })
}

/// Has `write` write a temporary file beside `path` (the closure gets its name), then
/// renames it to `path`; on failure the temporary file is removed. Like `torch.save`, it
/// does not `fsync`.
pub(crate) fn write_atomically(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let ctx = |what: &str| format!("{what} {}", path.display());
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::Msg(format!("{} is not a file path", path.display())))?
        .to_string_lossy();
    let tmp = dir.join(format!(
        ".{name}.{}.{:x}.tmp",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let result = (|| {
        write(&tmp)?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(ctx("renaming into"), e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// [`save`] to bytes in memory.
///
/// # Errors
/// Only if the archive cannot be assembled (memory).
pub fn save_bytes(obj: impl Into<Value>) -> Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    save_to_writer(obj, &mut out)?;
    Ok(out.into_inner())
}

/// [`save`] to any seekable writer.
///
/// # Errors
/// If writing fails.
pub fn save_to_writer(obj: impl Into<Value>, w: impl Write + Seek) -> Result<()> {
    let obj = obj.into();
    let mut p = Pickler::default();
    p.dump(&obj);
    let zerr = |e: zip::result::ZipError| Error::Msg(format!("writing a .pth archive: {e}"));
    let ioerr = |e: std::io::Error| Error::io("writing a .pth archive", e);
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .with_alignment(64);
    let mut z = zip::ZipWriter::new(w);
    let mut put = |name: &str, data: &[u8]| -> Result<()> {
        z.start_file(format!("archive/{name}"), opts)
            .map_err(zerr)?;
        z.write_all(data).map_err(ioerr)
    };
    put("data.pkl", &p.out)?;
    put(".format_version", b"1")?;
    put(".storage_alignment", b"64")?;
    put("byteorder", b"little")?;
    for (key, storage) in p.storages.iter().enumerate() {
        let data = storage.read();
        put(&format!("data/{key}"), &encode_range(&data, 0..data.len()))?;
    }
    put("version", b"3\n")?;
    z.finish().map_err(zerr)?;
    Ok(())
}
