//! Typed errors of the core library.
//!
//! Reading an input rarely *fails*: damage inside a file becomes a
//! [`crate::Diagnostic`] and reading goes on. An [`Error`] is returned only
//! when nothing can be read at all, and its message says which path and what
//! to do.

use std::path::PathBuf;

/// Errors returned by the core library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The path could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The input is not in any format evtriage understands.
    #[error("{path} is not a format evtriage reads ({reason}); see docs/formats.md for what it reads")]
    UnknownFormat {
        /// The path.
        path: String,
        /// What the first bytes looked like.
        reason: String,
    },
    /// The evtx file header is unreadable, so no chunk can be located.
    #[error("{path} is not a readable .evtx file: {reason}")]
    Evtx {
        /// The path.
        path: String,
        /// The parser's reason.
        reason: String,
    },
}

/// Result alias of the core library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
