//! [`Error`]: failures that depend on data, files, the network or the environment.
//! Programmer errors (bad shapes, bad dims, wrong dtypes) panic instead.

/// A failure that a correct program can still meet: a singular matrix, a corrupt
/// file, a hash mismatch, a failed download, a compiler error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error, with what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. "reading weights.npy".
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file or byte stream that is not in the expected format.
    #[error("{format} format error: {message}")]
    Format {
        /// The format, e.g. "npy".
        format: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A numerical failure that depends on the data (a singular matrix, a
    /// non-positive-definite input, a diverging solver).
    #[error("{op}: {message}")]
    Numerical {
        /// The op, e.g. "linalg.inv".
        op: &'static str,
        /// What happened, with the batch index or time where it did.
        message: String,
    },
    /// Anything else, with a message.
    #[error("{0}")]
    Msg(String),
}

impl Error {
    /// An I/O error with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// A format error.
    pub fn format(format: &'static str, message: impl Into<String>) -> Error {
        Error::Format {
            format,
            message: message.into(),
        }
    }

    /// A numerical error.
    pub fn numerical(op: &'static str, message: impl Into<String>) -> Error {
        Error::Numerical {
            op,
            message: message.into(),
        }
    }
}

/// `Result` with tessera's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
