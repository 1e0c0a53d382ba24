//! tessera-hub: `torch.hub` and `torch.utils.model_zoo` for checkpoints.
//!
//! - [`get_dir`] / [`set_dir`]: the cache directory, resolved from `TORCH_HOME`,
//!   `XDG_CACHE_HOME` and `~/.cache/torch/hub` exactly as PyTorch resolves it, so that
//!   tessera and PyTorch share one cache.
//! - [`download_url_to_file`]: `http(s)` (redirects, timeouts, a progress bar on stderr),
//!   `file://` URLs and plain paths; the bytes go to a unique `.partial` file that is
//!   renamed into place only when complete and, if asked, when its sha256 starts with
//!   the expected prefix (PyTorch's error text on a mismatch).
//! - [`load_state_dict_from_url`] (and [`model_zoo::load_url`], its alias): the cached
//!   file `name-<hash prefix>.ext`, downloaded once, checked, and loaded with
//!   `tessera_io::load`, which never executes anything from the file. Beyond PyTorch:
//!   local files and `file://` URLs, a lock so that two processes fetching the same file
//!   do not collide, and [`LoadOptions::verify_cached`] to check the hash of a file that
//!   is already cached.
//!
//! Every failure (an HTTP error, a connection cut mid-download, a hash mismatch, a full
//! disk, a corrupt file) is an `Err` and leaves no partial file in the cache.
//!
//! ```no_run
//! let sd = tessera_hub::load_state_dict_from_url(
//!     "https://download.pytorch.org/models/resnet18-f37072fd.pth",
//!     None,  // model_dir: get_dir()/checkpoints
//!     true,  // progress
//!     true,  // check_hash
//!     None,  // file_name
//! )?;
//! println!("{} tensors", sd.len());
//! # Ok::<(), tessera_core::Error>(())
//! ```
#![warn(missing_docs)]

mod dir;
mod download;
mod load;

pub use dir::{expand_user, get_dir, set_dir, torch_home};
pub use download::{download_url_to_file, download_url_to_file_with, DownloadOptions};
pub use load::{
    cached_file_from_url, hash_prefix, load_state_dict_from_url, load_state_dict_from_url_with,
    LoadOptions,
};

/// `torch.utils.model_zoo`: [`load_url`](model_zoo::load_url) is
/// [`load_state_dict_from_url`].
pub mod model_zoo {
    pub use crate::load::load_state_dict_from_url as load_url;
}
