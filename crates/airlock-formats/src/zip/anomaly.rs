//! Places where a zip reads differently to different readers, or is malformed.

use std::fmt;

/// Something in an archive that readers disagree on or that no honest writer produces.
///
/// Every variant carries the byte offset it is about ([`Anomaly::offset`]) and, when it
/// concerns a member, the member's raw name (which may not be UTF-8).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anomaly {
    /// The local header and the central directory record of one member disagree.
    HeaderMismatch {
        /// Central directory name (the one loaders look members up by).
        name: Vec<u8>,
        /// Which field: `name`, `method`, `flags`, `crc32`, `compressed size`,
        /// `uncompressed size`.
        field: &'static str,
        /// The local header's value (or the data descriptor's, when it carries it).
        local: String,
        /// The central directory's value.
        central: String,
        /// Offset of the local header.
        offset: u64,
        /// Offset of the central directory record.
        central_offset: u64,
    },
    /// A local header that no central directory record points at: PyTorch and Python's
    /// `zipfile` never see this member; streaming readers do.
    MissingFromCentral {
        /// Local header name.
        name: Vec<u8>,
        /// Offset of the local header.
        offset: u64,
    },
    /// A central directory record whose local header the forward walk never reached
    /// (data hidden in a gap or inside another member). The member is listed in
    /// [`crate::zip::ZipReport::unvisited`].
    MissingLocal {
        /// Central directory name.
        name: Vec<u8>,
        /// Offset of the central directory record.
        offset: u64,
        /// Where the record says the local header is.
        local_header_offset: u64,
    },
    /// A name that appears twice; readers differ in which copy they return.
    Duplicate {
        /// The repeated name.
        name: Vec<u8>,
        /// Offset of the later record.
        offset: u64,
        /// Offset of the first record with that name.
        first_offset: u64,
        /// Whether the records are central directory records (else local headers).
        central: bool,
    },
    /// A member's decoded content does not match a CRC-32 its headers record.
    CrcMismatch {
        /// Member name.
        name: Vec<u8>,
        /// The recorded CRC-32.
        declared: u32,
        /// The CRC-32 of the content.
        actual: u32,
        /// Offset of the local header.
        offset: u64,
        /// Where `declared` comes from: `local header`, `data descriptor` or
        /// `central directory`.
        source: &'static str,
    },
    /// A member's content has a different size from the one its headers record.
    SizeMismatch {
        /// Member name.
        name: Vec<u8>,
        /// `compressed size` or `uncompressed size`.
        field: &'static str,
        /// The recorded size.
        declared: u64,
        /// The size found.
        actual: u64,
        /// Offset of the local header.
        offset: u64,
        /// Where `declared` comes from: `local header` or `data descriptor`.
        source: &'static str,
    },
    /// General-purpose flag bits that some readers refuse and others ignore (encryption,
    /// strong encryption, masked header, patch data, reserved bits).
    FlagTrick {
        /// Member name.
        name: Vec<u8>,
        /// The flags as recorded.
        flags: u16,
        /// Offset of the header that carries them.
        offset: u64,
        /// Which bits and what readers do with them.
        detail: String,
    },
    /// A member compressed with a method other than stored (0) or deflate (8): its
    /// content was not decoded or visited.
    UnsupportedMethod {
        /// Member name.
        name: Vec<u8>,
        /// The compression method.
        method: u16,
        /// Offset of the local header.
        offset: u64,
    },
    /// Bytes between records that belong to no record (prepended, appended or hidden data).
    UnaccountedBytes {
        /// Where the bytes start.
        offset: u64,
        /// How many there are.
        len: u64,
    },
    /// One record contradicts itself (UTF-8 flag on a name that is not UTF-8, a stored
    /// member whose two sizes differ, no data descriptor where the flags promise one).
    Inconsistent {
        /// Member name.
        name: Vec<u8>,
        /// Offset of the record.
        offset: u64,
        /// What is inconsistent.
        detail: String,
    },
    /// The end records describe the central directory in ways loaders resolve
    /// differently (two directories, wrong counts, several end records).
    DirectoryMismatch {
        /// Offset of the end record concerned.
        offset: u64,
        /// What disagrees and who reads what.
        detail: String,
    },
    /// A central directory record outside the directory the end record describes:
    /// loaders ignore it, so any member only it names is invisible to them.
    OutsideDirectory {
        /// Central directory name.
        name: Vec<u8>,
        /// Offset of the record.
        offset: u64,
    },
    /// A structural defect that is not a reader disagreement (unusual records,
    /// multi-disk fields, a comment that runs past the end, undecodable data).
    Malformed {
        /// Where the defect is.
        offset: u64,
        /// What it is.
        detail: String,
    },
}

/// Broad kind of an [`Anomaly`], for callers that map anomalies to rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnomalyClass {
    /// Readers see different members, names, sizes or methods.
    Disagreement,
    /// Content does not match its CRC-32.
    Crc,
    /// Flag bits readers treat differently.
    Flags,
    /// Malformed structure.
    Structure,
    /// Content left undecoded (unsupported method).
    Unsupported,
}

impl Anomaly {
    /// Byte offset the anomaly is about (a header, record or gap start).
    pub fn offset(&self) -> u64 {
        match self {
            Anomaly::HeaderMismatch { offset, .. }
            | Anomaly::MissingFromCentral { offset, .. }
            | Anomaly::MissingLocal { offset, .. }
            | Anomaly::Duplicate { offset, .. }
            | Anomaly::CrcMismatch { offset, .. }
            | Anomaly::SizeMismatch { offset, .. }
            | Anomaly::FlagTrick { offset, .. }
            | Anomaly::UnsupportedMethod { offset, .. }
            | Anomaly::UnaccountedBytes { offset, .. }
            | Anomaly::Inconsistent { offset, .. }
            | Anomaly::DirectoryMismatch { offset, .. }
            | Anomaly::OutsideDirectory { offset, .. }
            | Anomaly::Malformed { offset, .. } => *offset,
        }
    }

    /// Raw name of the member concerned, if any.
    pub fn name(&self) -> Option<&[u8]> {
        match self {
            Anomaly::HeaderMismatch { name, .. }
            | Anomaly::MissingFromCentral { name, .. }
            | Anomaly::MissingLocal { name, .. }
            | Anomaly::Duplicate { name, .. }
            | Anomaly::CrcMismatch { name, .. }
            | Anomaly::SizeMismatch { name, .. }
            | Anomaly::FlagTrick { name, .. }
            | Anomaly::UnsupportedMethod { name, .. }
            | Anomaly::Inconsistent { name, .. }
            | Anomaly::OutsideDirectory { name, .. } => Some(name),
            Anomaly::UnaccountedBytes { .. }
            | Anomaly::DirectoryMismatch { .. }
            | Anomaly::Malformed { .. } => None,
        }
    }

    /// Which broad kind this is.
    pub fn class(&self) -> AnomalyClass {
        match self {
            Anomaly::HeaderMismatch { field: "flags", .. } | Anomaly::FlagTrick { .. } => {
                AnomalyClass::Flags
            }
            Anomaly::CrcMismatch { .. } => AnomalyClass::Crc,
            Anomaly::UnsupportedMethod { .. } => AnomalyClass::Unsupported,
            Anomaly::UnaccountedBytes { .. } | Anomaly::Malformed { .. } => AnomalyClass::Structure,
            Anomaly::HeaderMismatch { .. }
            | Anomaly::MissingFromCentral { .. }
            | Anomaly::MissingLocal { .. }
            | Anomaly::Duplicate { .. }
            | Anomaly::SizeMismatch { .. }
            | Anomaly::Inconsistent { .. }
            | Anomaly::DirectoryMismatch { .. }
            | Anomaly::OutsideDirectory { .. } => AnomalyClass::Disagreement,
        }
    }
}

/// A member name for people: the text when it is UTF-8, escaped bytes otherwise.
pub fn display_name(name: &[u8]) -> String {
    match std::str::from_utf8(name) {
        Ok(s) => format!("{s:?}"),
        Err(_) => format!("b\"{}\"", name.escape_ascii()),
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anomaly::HeaderMismatch {
                name,
                field,
                local,
                central,
                offset,
                central_offset,
            } => write!(
                f,
                "member {}: {field} is {local} in the local header at byte {offset} but {central} \
                 in the central directory at byte {central_offset}",
                display_name(name)
            ),
            Anomaly::MissingFromCentral { name, offset } => write!(
                f,
                "member {} at byte {offset} is not in the central directory",
                display_name(name)
            ),
            Anomaly::MissingLocal {
                name,
                offset,
                local_header_offset,
            } => write!(
                f,
                "central directory record at byte {offset} names {} at byte \
                 {local_header_offset}, where the sequential walk found no local header",
                display_name(name)
            ),
            Anomaly::Duplicate {
                name,
                offset,
                first_offset,
                central,
            } => write!(
                f,
                "{} {} at byte {offset} repeats the one at byte {first_offset}",
                if *central {
                    "central directory name"
                } else {
                    "local header name"
                },
                display_name(name)
            ),
            Anomaly::CrcMismatch {
                name,
                declared,
                actual,
                offset,
                source,
            } => write!(
                f,
                "member {} at byte {offset}: content CRC-32 is {actual:#010x}, the {source} \
                 says {declared:#010x}",
                display_name(name)
            ),
            Anomaly::SizeMismatch {
                name,
                field,
                declared,
                actual,
                offset,
                source,
            } => write!(
                f,
                "member {} at byte {offset}: {field} is {actual}, the {source} says {declared}",
                display_name(name)
            ),
            Anomaly::FlagTrick {
                name,
                flags,
                offset,
                detail,
            } => write!(
                f,
                "member {} at byte {offset} has flags {flags:#06x}: {detail}",
                display_name(name)
            ),
            Anomaly::UnsupportedMethod {
                name,
                method,
                offset,
            } => write!(
                f,
                "member {} at byte {offset} uses compression method {method}, which is not \
                 decoded",
                display_name(name)
            ),
            Anomaly::UnaccountedBytes { offset, len } => {
                write!(f, "{len} bytes at byte {offset} belong to no zip record")
            }
            Anomaly::Inconsistent {
                name,
                offset,
                detail,
            } => write!(
                f,
                "member {} at byte {offset}: {detail}",
                display_name(name)
            ),
            Anomaly::DirectoryMismatch { offset, detail } => {
                write!(f, "end record at byte {offset}: {detail}")
            }
            Anomaly::OutsideDirectory { name, offset } => write!(
                f,
                "central directory record for {} at byte {offset} lies outside the directory \
                 the end record describes",
                display_name(name)
            ),
            Anomaly::Malformed { offset, detail } => write!(f, "at byte {offset}: {detail}"),
        }
    }
}
