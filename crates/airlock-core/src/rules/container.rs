//! Rules that apply to any file or container: I/O, compression layers, nesting.

use super::refs::*;
use super::{Rule, RuleStatus};
use crate::Severity;

/// A container format whose members this version does not read.
pub const SCN201_CONTAINER_NOT_SCANNED: Rule = Rule {
    code: "SCN201",
    name: "container-not-scanned",
    severity: Severity::Medium,
    title: "Archive members airlock could not read",
    finds: "7z members in AES-encrypted blocks (no password is ever tried) or compressed with a method airlock \
does not decode (anything but LZMA, LZMA2, BZip2, PPMd, Copy and the BCJ/Delta filters).",
    why: "An archive whose members were not scanned is not known to be clean.",
    fix: "Unpack the archive into a directory you control (without loading anything from it) and scan that \
directory.",
    references: &[ATLAS_SUPPLY_CHAIN, NULLIFAI],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A file could not be read.
pub const SCN501_FILE_UNREADABLE: Rule = Rule {
    code: "SCN501",
    name: "file-unreadable",
    severity: Severity::High,
    title: "File could not be read",
    finds: "A file or directory entry that exists but could not be opened or read (permissions, I/O error, \
a file that changed size during the scan).",
    why: "An unread file is not a clean file.",
    fix: "Fix the permissions or the storage and scan again.",
    references: &[CWE_20],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A gzip, zlib, xz, lzma, bzip2 or lz4 layer that does not decode.
pub const SCN502_COMPRESSED_STREAM_MALFORMED: Rule = Rule {
    code: "SCN502",
    name: "compressed-stream-malformed",
    severity: Severity::High,
    title: "Compressed stream does not decode",
    finds: "A gzip, zlib, xz, lzma, bzip2 or lz4 stream (such as a compressed joblib file) that ends early or \
contains invalid data.",
    why: "What lies behind the break was not scanned, and loaders may still act on the part before it.",
    fix: "Re-create the file from a trusted copy.",
    references: &[CWE_20],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Decompressed data exceeded the size or ratio bound.
pub const SCN901_DECOMPRESSION_LIMIT: Rule = Rule {
    code: "SCN901",
    name: "decompression-limit",
    severity: Severity::High,
    title: "Decompressed data is larger than the scan allows",
    finds: "A compressed layer or archive member that inflates past `scan.limits.max-decompressed-bytes` \
(default 64 GiB) or by more than `scan.limits.max-compression-ratio` (default 1000×); a file whose archive \
members and decompressed layers, at every depth together, produce more than that ratio times its size; a \
decoder that asks for more than 256 MiB of dictionary; or a nested 7z larger than \
`scan.limits.max-buffered-bytes` (default 1 GiB; it must be read into memory).",
    why: "Decompression bombs exhaust disk and memory; the data past the limit was not scanned.",
    fix: "Raise the limit in `airlock.toml` if the data is legitimately this large.",
    references: &[CWE_409, CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Containers nested deeper than allowed.
pub const SCN902_CONTAINER_DEPTH_LIMIT: Rule = Rule {
    code: "SCN902",
    name: "container-depth-limit",
    severity: Severity::High,
    title: "Containers are nested deeper than the scan allows",
    finds: "Archives or compressed layers nested more than `scan.limits.max-depth` (default 8) levels deep.",
    why: "Deep nesting is used to exhaust scanners or to hide a payload below the depth they read; the \
content below the limit was not scanned.",
    fix: "Raise `scan.limits.max-depth` in `airlock.toml` if the nesting is legitimate.",
    references: &[CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
