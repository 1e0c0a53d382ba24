//! `torch.hub.load_state_dict_from_url` (`torch.utils.model_zoo.load_url`).

use crate::dir::get_dir;
use crate::download::{download_url_to_file_with, sha256_file, DownloadOptions, Source};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use tessera_core::{Error, Result, StateDict};

/// The options of [`load_state_dict_from_url_with`]: PyTorch's arguments, and what
/// tessera adds.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Where checkpoints are cached. Default: `get_dir()/checkpoints`.
    pub model_dir: Option<PathBuf>,
    /// Check the file's sha256 against the hex digits after the last `-` of its name
    /// (`resnet18-f37072fd.pth`), as PyTorch's `check_hash`. Default `false`.
    pub check_hash: bool,
    /// The name of the cached file. Default: the last part of the URL's path.
    pub file_name: Option<String>,
    /// Also check the hash of a file that is already cached (PyTorch trusts the cache).
    /// Default `false`.
    pub verify_cached: bool,
    /// Progress bar and timeouts of the download.
    pub download: DownloadOptions,
}

/// `torch.hub.load_state_dict_from_url(url, model_dir, progress=progress,
/// check_hash=check_hash, file_name=file_name)`: the state dict at `url`, downloaded
/// once into the cache that PyTorch uses.
///
/// The file goes to `model_dir` (default `get_dir()/checkpoints`, the directory PyTorch
/// uses) under `file_name` (default: the URL's last path component). If it is not
/// there yet it is downloaded with [`crate::download_url_to_file`] (a `.partial` file
/// renamed into place when complete), with its sha256 checked against the hash prefix of
/// the name (`name-<hex>.ext`) when `check_hash` is set. Then it is loaded with
/// `tessera_io::load` (which never executes anything from the file). A zip file of one
/// entry (old model-zoo checkpoints) is extracted into `model_dir` first, as PyTorch does.
///
/// Beyond PyTorch: `url` may be a `file://` URL or a plain path, which is loaded in
/// place (its hash checked if `check_hash`; PyTorch issue #73466); and two processes (or
/// threads) fetching the same file wait for each other on a lock file
/// (`<file>.lock`, left in place) instead of downloading it twice.
///
/// ```
/// use tessera_core::{StateDict, Tensor};
/// let dir = tempfile::tempdir()?;
/// let mut sd = StateDict::new();
/// sd.insert("w", Tensor::ones(&[2]));
/// let path = dir.path().join("weights.pth");
/// tessera_io::save(&sd, &path)?;
/// let url = format!("file://{}", path.display());
/// let back = tessera_hub::load_state_dict_from_url(&url, None, false, false, None)?;
/// assert_eq!(back["w"].to_vec::<f32>(), [1.0, 1.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Download failures and hash mismatches (see [`crate::download_url_to_file`]), a URL
/// with no file name, and everything `tessera_io::load` refuses; also if the file does
/// not hold a state dict (use [`cached_file_from_url`] and `tessera_io::load` for other
/// checkpoints).
pub fn load_state_dict_from_url(
    url: &str,
    model_dir: Option<&Path>,
    progress: bool,
    check_hash: bool,
    file_name: Option<&str>,
) -> Result<StateDict> {
    let opts = LoadOptions {
        model_dir: model_dir.map(Path::to_path_buf),
        check_hash,
        file_name: file_name.map(str::to_string),
        download: DownloadOptions {
            progress,
            ..DownloadOptions::default()
        },
        ..LoadOptions::default()
    };
    load_state_dict_from_url_with(url, &opts)
}

/// [`load_state_dict_from_url`] with all the [`LoadOptions`].
///
/// # Errors
/// As [`load_state_dict_from_url`]; with `verify_cached`, also a cached file whose hash
/// does not match its name.
pub fn load_state_dict_from_url_with(url: &str, opts: &LoadOptions) -> Result<StateDict> {
    let path = cached_file_from_url(url, opts)?;
    let path = match single_entry_zip(&path)? {
        Some(name) => extract_legacy_zip(&path, &name)?,
        None => path,
    };
    tessera_io::load(&path)?.to_state_dict()
}

/// The local file for `url`: downloaded into the cache if needed (with the locks and
/// checks of [`load_state_dict_from_url`]), or the local file itself for a `file://`
/// URL or a path. Load it with `tessera_io::load` for checkpoints that are not state dicts.
///
/// # Errors
/// As [`load_state_dict_from_url_with`], without the loading.
pub fn cached_file_from_url(url: &str, opts: &LoadOptions) -> Result<PathBuf> {
    if let Source::Local(path) = Source::parse(url)? {
        if opts.check_hash {
            let name = opts
                .file_name
                .clone()
                .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            if let Some(prefix) = hash_prefix(&name) {
                check_file_hash(&path, prefix)?;
            }
        }
        return Ok(path);
    }
    let model_dir = match &opts.model_dir {
        Some(d) => crate::dir::expand_user(d),
        None => get_dir().join("checkpoints"),
    };
    std::fs::create_dir_all(&model_dir)
        .map_err(|e| Error::io(format!("creating {}", model_dir.display()), e))?;
    let file_name = match &opts.file_name {
        Some(n) => n.clone(),
        None => url_file_name(url).ok_or_else(|| {
            Error::Msg(format!(
                "cannot tell a file name from the URL {url:?}; pass file_name"
            ))
        })?,
    };
    let cached = model_dir.join(&file_name);
    let prefix = if opts.check_hash || opts.verify_cached {
        hash_prefix(&file_name)
    } else {
        None
    };
    if !cached.exists() {
        let _lock = Lock::acquire(&cached)?;
        // Another process may have finished the download while we waited.
        if !cached.exists() {
            if opts.download.progress {
                eprintln!("Downloading: \"{url}\" to {}", cached.display());
            }
            let check = if opts.check_hash { prefix } else { None };
            download_url_to_file_with(url, &cached, check, &opts.download)?;
        }
    } else if opts.verify_cached {
        if let Some(p) = prefix {
            check_file_hash(&cached, p)?;
        }
    }
    Ok(cached)
}

fn check_file_hash(path: &Path, prefix: &str) -> Result<()> {
    let digest = sha256_file(path)?;
    if !digest.starts_with(prefix) {
        return Err(Error::Msg(format!(
            "invalid hash value (expected \"{prefix}\", got \"{digest}\") for {}; delete it to download it again",
            path.display()
        )));
    }
    Ok(())
}

/// PyTorch's `HASH_REGEX.search(filename)` with `HASH_REGEX = r"-([a-f0-9]*)\."`: the
/// hex digits between the first `-` that is followed by hex digits and a `.`, and that `.`.
pub fn hash_prefix(file_name: &str) -> Option<&str> {
    let b = file_name.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c != b'-' {
            continue;
        }
        let start = i + 1;
        let end = start
            + b[start..]
                .iter()
                .take_while(|&&x| x.is_ascii_digit() || (b'a'..=b'f').contains(&x))
                .count();
        if b.get(end) == Some(&b'.') {
            return Some(&file_name[start..end]);
        }
    }
    None
}

/// `os.path.basename(urlparse(url).path)`.
fn url_file_name(url: &str) -> Option<String> {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("");
    let name = path.rsplit('/').next().unwrap_or("");
    (!name.is_empty()).then(|| name.to_string())
}

/// An exclusive lock on `<path>.lock`, released when dropped (the lock file stays:
/// removing it would let a third process lock a new file while a second still waits
/// on the old one).
struct Lock {
    _file: File,
}

impl Lock {
    fn acquire(path: &Path) -> Result<Lock> {
        let mut name = path.as_os_str().to_owned();
        name.push(".lock");
        let lock_path = PathBuf::from(name);
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(format!("opening {}", lock_path.display()), e))?;
        fs4::fs_std::FileExt::lock_exclusive(&f)
            .map_err(|e| Error::io(format!("locking {}", lock_path.display()), e))?;
        Ok(Lock { _file: f })
    }
}

/// PyTorch's `_is_legacy_zip_format`: a zip archive with exactly one entry that is not
/// a directory and not a `torch.save` archive (the old model zoo zipped its `.pth`
/// files). Returns the entry's name.
fn single_entry_zip(path: &Path) -> Result<Option<String>> {
    let mut magic = [0u8; 4];
    let mut f =
        File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    use std::io::Read;
    if f.read_exact(&mut magic).is_err() || &magic != b"PK\x03\x04" {
        return Ok(None);
    }
    let Ok(z) = zip::ZipArchive::new(f) else {
        return Ok(None);
    };
    let names: Vec<&str> = z.file_names().collect();
    match names.as_slice() {
        [one] if !one.ends_with('/') && !one.ends_with("data.pkl") => Ok(Some(one.to_string())),
        _ => Ok(None),
    }
}

/// Extracts the one entry of a legacy zip into its directory (once) and returns its path.
fn extract_legacy_zip(zip_path: &Path, name: &str) -> Result<PathBuf> {
    let bad = name.starts_with('/')
        || name.contains('\\')
        || name.split('/').any(|c| c == ".." || c.is_empty());
    if bad {
        return Err(Error::format(
            "zip",
            format!("{}: entry {name:?} has an unsafe path", zip_path.display()),
        ));
    }
    let dir = zip_path.parent().unwrap_or(Path::new("."));
    let out = dir.join(name);
    if out.exists() {
        return Ok(out);
    }
    let f = File::open(zip_path)
        .map_err(|e| Error::io(format!("opening {}", zip_path.display()), e))?;
    let zerr =
        |e: zip::result::ZipError| Error::format("zip", format!("{}: {e}", zip_path.display()));
    let mut z = zip::ZipArchive::new(f).map_err(zerr)?;
    let mut entry = z.by_index(0).map_err(zerr)?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    }
    // Written to a temporary name and renamed, so a failure leaves nothing behind.
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(format!(".{}.partial", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut w =
            File::create(&tmp).map_err(|e| Error::io(format!("creating {}", tmp.display()), e))?;
        std::io::copy(&mut entry, &mut w)
            .map_err(|e| Error::io(format!("extracting {name} from {}", zip_path.display()), e))?;
        w.sync_all()
            .map_err(|e| Error::io(format!("writing {}", tmp.display()), e))?;
        std::fs::rename(&tmp, &out).map_err(|e| Error::io(format!("renaming {}", tmp.display()), e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|_| out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_prefix_is_pytorchs_regex() {
        assert_eq!(hash_prefix("resnet18-f37072fd.pth"), Some("f37072fd"));
        assert_eq!(hash_prefix("a-b-0123.tar.gz"), Some("0123"));
        assert_eq!(hash_prefix("model-.pth"), Some(""));
        assert_eq!(hash_prefix("model-XYZ.pth"), None);
        assert_eq!(hash_prefix("model.pth"), None);
        assert_eq!(hash_prefix("m-abc"), None);
        assert_eq!(hash_prefix("m-ABC.pth"), None);
    }

    #[test]
    fn file_names_come_from_the_url_path() {
        assert_eq!(
            url_file_name("https://h/a/b-12.pth?x=1#f").as_deref(),
            Some("b-12.pth")
        );
        assert_eq!(url_file_name("https://h/").as_deref(), None);
        assert_eq!(url_file_name("https://h").as_deref(), None);
    }
}
