//! `torch.hub.download_url_to_file`: a download into a unique `.partial` file, checked
//! (length, sha256 prefix) and renamed into place only when complete.

use crate::dir::expand_user;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tessera_core::{Error, Result};

/// How downloads behave: progress bar, timeouts, redirects.
#[derive(Clone, Debug)]
pub struct DownloadOptions {
    /// Show a progress bar on stderr (PyTorch's `progress`). Default `true`.
    pub progress: bool,
    /// Longest wait to connect (including DNS). Default 30 s.
    pub connect_timeout: Duration,
    /// Longest wait for the response headers or for any read of the body: a stalled
    /// download fails after this long. Default 60 s.
    pub read_timeout: Duration,
    /// Redirects followed before giving up. Default 10.
    pub max_redirects: u32,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            progress: true,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
            max_redirects: 10,
        }
    }
}

/// Where a URL points: a remote `http(s)` resource, or a local file (`file://` URL or
/// plain path).
pub(crate) enum Source {
    Http(String),
    Local(PathBuf),
}

impl Source {
    pub(crate) fn parse(url: &str) -> Result<Source> {
        let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Ok(Source::Http(url.to_string()))
        } else if let Some(rest) = url.strip_prefix("file://") {
            // file:///abs/path or file://localhost/abs/path
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            if !path.starts_with('/') {
                return Err(Error::Msg(format!(
                    "unsupported file URL {url:?}: expected file:///absolute/path"
                )));
            }
            Ok(Source::Local(PathBuf::from(percent_decode(path)?)))
        } else if url.contains("://") {
            Err(Error::Msg(format!(
                "unsupported URL scheme in {url:?}: expected http, https or file"
            )))
        } else {
            Ok(Source::Local(expand_user(Path::new(url))))
        }
    }
}

/// Decodes `%XX` escapes of a URL path.
fn percent_decode(s: &str) -> Result<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Error::Msg(format!("bad percent escape in URL path {s:?}")))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Error::Msg(format!("URL path {s:?} is not UTF-8")))
}

/// An open source: a reader and its length if known.
struct Opened {
    reader: Box<dyn Read>,
    len: Option<u64>,
}

fn open(url: &str, opts: &DownloadOptions) -> Result<Opened> {
    match Source::parse(url)? {
        Source::Local(p) => {
            let f = File::open(&p).map_err(|e| Error::io(format!("opening {}", p.display()), e))?;
            let len = f.metadata().ok().map(|m| m.len());
            Ok(Opened {
                reader: Box::new(f),
                len,
            })
        }
        Source::Http(u) => {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_connect(Some(opts.connect_timeout))
                .timeout_recv_response(Some(opts.read_timeout))
                .timeout_per_read(Some(opts.read_timeout))
                .max_redirects(opts.max_redirects)
                .user_agent("torch.hub")
                .build()
                .into();
            let resp = agent.get(&u).call().map_err(|e| match e {
                ureq::Error::StatusCode(code) => {
                    Error::Msg(format!("HTTP Error {code} downloading {u}"))
                }
                e => Error::Msg(format!("downloading {u}: {e}")),
            })?;
            let len = resp.body().content_length();
            Ok(Opened {
                reader: Box::new(resp.into_body().into_reader()),
                len,
            })
        }
    }
}

/// A file that is removed when dropped, unless kept.
struct Partial {
    path: PathBuf,
    keep: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// 32 hex digits that no other process or thread picks at the same time (PyTorch uses
/// `uuid4().hex`): the process id, the time, a counter and a stack address, hashed.
fn unique_hex() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let local = 0u8;
    let mut h = Sha256::new();
    h.update(std::process::id().to_le_bytes());
    h.update(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
            .to_le_bytes(),
    );
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update((&local as *const u8 as usize).to_le_bytes());
    hex(&h.finalize())[..32].to_string()
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `torch.hub.download_url_to_file(url, dst, hash_prefix, progress)`: downloads `url`
/// to `dst`.
///
/// `url` is `http://` or `https://` (redirects followed), `file:///path`, or a plain
/// path. The bytes go to a new `<dst>.<32 hex>.partial` beside `dst`, which is renamed
/// to `dst` only once everything arrived (as many bytes as `Content-Length` said) and,
/// if `hash_prefix` is given, the file's sha256 starts with it. On any failure the
/// partial file is removed and `dst` is left as it was.
///
/// # Errors
/// On HTTP errors (`HTTP Error 404 downloading <url>`), a connection that fails or is
/// cut before the end, a timeout, a write error (a full disk), and a hash mismatch with
/// PyTorch's text: `invalid hash value (expected "<prefix>", got "<sha256>")`.
pub fn download_url_to_file(
    url: &str,
    dst: impl AsRef<Path>,
    hash_prefix: Option<&str>,
    progress: bool,
) -> Result<()> {
    let opts = DownloadOptions {
        progress,
        ..DownloadOptions::default()
    };
    download_url_to_file_with(url, dst, hash_prefix, &opts)
}

/// [`download_url_to_file`] with all the [`DownloadOptions`].
///
/// # Errors
/// As [`download_url_to_file`].
pub fn download_url_to_file_with(
    url: &str,
    dst: impl AsRef<Path>,
    hash_prefix: Option<&str>,
    opts: &DownloadOptions,
) -> Result<()> {
    let dst = expand_user(dst.as_ref());
    let mut src = open(url, opts)?;
    let (partial, mut file) = create_partial(&dst)?;
    let bar = progress_bar(opts.progress, src.len);
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 128 * 1024];
    let mut total = 0u64;
    loop {
        let n = match src.reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                bar.abandon();
                return Err(Error::io(
                    format!("downloading {url} (after {total} bytes)"),
                    e,
                ));
            }
        };
        file.write_all(&buf[..n])
            .map_err(|e| Error::io(format!("writing {}", partial.path.display()), e))?;
        if hash_prefix.is_some() {
            sha.update(&buf[..n]);
        }
        total += n as u64;
        bar.inc(n as u64);
    }
    bar.finish();
    if let Some(len) = src.len {
        if total != len {
            return Err(Error::Msg(format!(
                "downloading {url}: the connection ended after {total} of {len} bytes"
            )));
        }
    }
    file.sync_all()
        .map_err(|e| Error::io(format!("writing {}", partial.path.display()), e))?;
    drop(file);
    if let Some(prefix) = hash_prefix {
        let digest = hex(&sha.finalize());
        if !digest.starts_with(prefix) {
            return Err(Error::Msg(format!(
                "invalid hash value (expected \"{prefix}\", got \"{digest}\")"
            )));
        }
    }
    std::fs::rename(&partial.path, &dst).map_err(|e| {
        Error::io(
            format!("moving {} to {}", partial.path.display(), dst.display()),
            e,
        )
    })?;
    let mut partial = partial;
    partial.keep = true;
    Ok(())
}

/// Creates `<dst>.<hex>.partial` (never reusing an existing file).
fn create_partial(dst: &Path) -> Result<(Partial, File)> {
    let mut last = None;
    for _ in 0..100 {
        let mut name = dst.as_os_str().to_owned();
        name.push(format!(".{}.partial", unique_hex()));
        let path = PathBuf::from(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => return Ok((Partial { path, keep: false }, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(Error::io(format!("creating {}", path.display()), e)),
        }
    }
    Err(Error::io(
        format!("creating a partial file beside {}", dst.display()),
        last.expect("tried"),
    ))
}

fn progress_bar(on: bool, len: Option<u64>) -> indicatif::ProgressBar {
    if !on {
        return indicatif::ProgressBar::hidden();
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(len, indicatif::ProgressDrawTarget::stderr());
    let style = if len.is_some() {
        "{bar:40} {bytes}/{total_bytes} [{elapsed_precise}<{eta_precise}, {bytes_per_sec}]"
    } else {
        "{spinner} {bytes} [{elapsed_precise}, {bytes_per_sec}]"
    };
    if let Ok(s) = indicatif::ProgressStyle::with_template(style) {
        bar.set_style(s);
    }
    bar
}

/// The sha256 of a file, in hex.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let mut f =
        File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 128 * 1024];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => sha.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        }
    }
    Ok(hex(&sha.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse() {
        assert!(matches!(
            Source::parse("https://x/y.pth"),
            Ok(Source::Http(_))
        ));
        assert!(matches!(
            Source::parse("HTTP://x/y.pth"),
            Ok(Source::Http(_))
        ));
        match Source::parse("file:///tmp/a%20b.pth").unwrap() {
            Source::Local(p) => assert_eq!(p, Path::new("/tmp/a b.pth")),
            _ => panic!(),
        }
        assert!(matches!(Source::parse("/x/y.pth"), Ok(Source::Local(_))));
        assert!(Source::parse("ftp://x/y").is_err());
        assert!(Source::parse("file://host/x").is_err());
        assert!(Source::parse("file:///x%zz").is_err());
        assert_ne!(unique_hex(), unique_hex());
        assert_eq!(unique_hex().len(), 32);
    }
}
