//! How a parser stopped before the end of its input.

use std::fmt;

/// Which resource bound was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitKind {
    /// [`crate::Limits::max_opcodes`].
    Opcodes,
    /// [`crate::Limits::max_memo`].
    Memo,
    /// [`crate::Limits::max_stack`].
    Stack,
    /// [`crate::Limits::max_nesting`] (MARK depth or embedded pickles).
    Nesting,
    /// [`crate::Limits::max_pickle_bytes`].
    PickleBytes,
    /// [`crate::Limits::max_archive_entries`].
    ArchiveEntries,
    /// [`crate::Limits::max_decompressed_bytes`] or [`crate::Limits::max_compression_ratio`].
    Decompression,
    /// [`crate::Limits::max_depth`] (containers within containers).
    Depth,
    /// [`crate::Limits::max_buffered_bytes`].
    BufferedBytes,
    /// [`crate::Limits::max_compression_ratio`] applied to everything one file expands
    /// into, across archive members and nesting levels.
    TotalExpansion,
    /// [`crate::Limits::max_proto_depth`].
    ProtoDepth,
    /// [`crate::Limits::max_proto_message`].
    ProtoMessage,
    /// [`crate::Limits::max_proto_items`].
    ProtoItems,
    /// [`crate::Limits::max_keras_config_bytes`] (a Keras config or HDF5 attribute).
    KerasConfigBytes,
    /// The HDF5 reader's fixed caps on header messages and continuation blocks.
    Hdf5Structure,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::Opcodes => "max-opcodes",
            LimitKind::Memo => "max-memo",
            LimitKind::Stack => "max-stack",
            LimitKind::Nesting => "max-nesting",
            LimitKind::PickleBytes => "max-pickle-bytes",
            LimitKind::ArchiveEntries => "max-archive-entries",
            LimitKind::Decompression => "max-decompressed-bytes",
            LimitKind::Depth => "max-depth",
            LimitKind::BufferedBytes => "max-buffered-bytes",
            LimitKind::TotalExpansion => "max-compression-ratio (whole file)",
            LimitKind::ProtoDepth => "max-proto-depth",
            LimitKind::ProtoMessage => "max-proto-message",
            LimitKind::ProtoItems => "max-proto-items",
            LimitKind::KerasConfigBytes => "max-keras-config-bytes",
            LimitKind::Hdf5Structure => "hdf5-header-caps",
        })
    }
}

/// Why a parser stopped before the end of a well-formed input.
///
/// Offsets count bytes from the start of the stream the parser was given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The input ended inside a structure.
    #[error("truncated at byte {offset}: {what}")]
    Truncated {
        /// Where the input ended.
        offset: u64,
        /// What was being read.
        what: &'static str,
    },
    /// The bytes are not valid for the format.
    #[error("invalid data at byte {offset}: {reason}")]
    Invalid {
        /// Where the invalid data starts.
        offset: u64,
        /// What is wrong, for a person.
        reason: String,
    },
    /// A resource bound was reached; analysis stopped there.
    #[error("limit {limit} reached at byte {offset} ({value} > {max})")]
    LimitExceeded {
        /// Which bound.
        limit: LimitKind,
        /// The value that crossed it.
        value: u64,
        /// The bound.
        max: u64,
        /// Where it was crossed.
        offset: u64,
    },
    /// Valid data that this parser does not handle.
    #[error("unsupported at byte {offset}: {what}")]
    Unsupported {
        /// Where the unsupported part starts.
        offset: u64,
        /// What is unsupported.
        what: String,
    },
    /// The underlying reader failed.
    #[error("read error at byte {offset}: {source}")]
    Io {
        /// How far reading got.
        offset: u64,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl FormatError {
    /// Byte offset at which the parser stopped.
    pub fn offset(&self) -> u64 {
        match self {
            FormatError::Truncated { offset, .. }
            | FormatError::Invalid { offset, .. }
            | FormatError::LimitExceeded { offset, .. }
            | FormatError::Unsupported { offset, .. }
            | FormatError::Io { offset, .. } => *offset,
        }
    }

    /// Builds an [`FormatError::Io`], turning an unexpected EOF into [`FormatError::Truncated`].
    pub fn from_io(offset: u64, what: &'static str, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            FormatError::Truncated { offset, what }
        } else {
            FormatError::Io { offset, source }
        }
    }
}
