//! Errors that stop a whole file from being read; smaller troubles become
//! [`crate::Problem`]s inside the manifest instead.

use std::path::PathBuf;

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DepsError {
    /// The file or folder could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`crate::Limits::max_file_bytes`].
    #[error("{} is {size} bytes, over the {limit}-byte limit", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error("{} is not UTF-8 (first bad byte at offset {offset})", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The file does not parse as the format its name promises (TOML, JSON or YAML syntax, or a
    /// required field of the wrong shape).
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line, when the parser reports one.
        line: Option<u32>,
        /// The parser's message.
        message: String,
    },
    /// The file name is not one of the formats this crate reads.
    #[error("{} is not a dependency manifest this reader knows", path.display())]
    Unrecognized {
        /// The file.
        path: PathBuf,
    },
}
