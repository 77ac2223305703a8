//! Integrity of AI artifacts: pinned digests in `airlock.lock`, the OpenSSF Model Signing
//! subject digest of each model directory, and offline checks of a Hugging Face cache.
//!
//! - [`hash`]: streaming, parallel SHA-256 (CPU SHA extensions, detected at run time by
//!   `sha2`), optional BLAKE3 (parallel within a file) and git blob SHA-1.
//! - [`tree`]: which files are artifacts, which directories are models, and a
//!   [`tree::snapshot`] of all of it.
//! - [`lockfile`]: the `airlock.lock` format (docs/lockfile.md).
//! - [`verify`]: the differences between a lock and a tree.
//! - [`signing`]: OpenSSF Model Signing manifests, signatures and their verification.

#![forbid(unsafe_code)]

pub mod hash;
pub mod lockfile;
pub mod signing;
pub mod tree;
pub mod verify;

use std::path::{Path, PathBuf};

pub use hash::{NoProgress, Progress};
pub use lockfile::Lockfile;
pub use tree::{Snapshot, SnapshotOptions, snapshot};
pub use verify::{Diff, diff};

/// Why an integrity operation could not run (differences are results, not errors).
#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    /// A file or directory could not be read.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// What was being read.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The path to lock or verify is not a directory.
    #[error("`{}` is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// A file name that is not UTF-8 cannot be written into a lockfile.
    #[error("`{}` has a name that is not UTF-8; a lockfile cannot record it", .0.display())]
    NonUtf8Name(PathBuf),
    /// Something in a model directory that OMS refuses.
    #[error("`{}` is {what}", path.display())]
    Unsupported {
        /// The offending path.
        path: PathBuf,
        /// What it is.
        what: &'static str,
    },
    /// A lockfile that does not parse or breaks the format's rules.
    #[error("invalid lockfile: {0}")]
    Lockfile(String),
}

impl IntegrityError {
    pub(crate) fn walk(root: &Path, err: walkdir::Error) -> Self {
        let path = err.path().unwrap_or(root).to_path_buf();
        let source = err
            .into_io_error()
            .unwrap_or_else(|| std::io::Error::other("file system loop"));
        IntegrityError::Io { path, source }
    }
}
