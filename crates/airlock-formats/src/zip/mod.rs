//! Lenient, streaming zip reader that reads members the way PyTorch does.
//!
//! PyTorch's reader (miniz in `PyTorchStreamReader`) ignores CRCs and general-purpose
//! flag bits and never compares a local header's name with the central directory;
//! Python's `zipfile`, which most scanners use, refuses all three. A member that
//! `torch.load` runs can therefore be invisible to a scanner (picklescan CVE-2025-1944,
//! CVE-2025-1945, CVE-2025-10156). [`walk`] reads every member whatever its flags and
//! CRC, hands its decoded content to a visitor, and reports each place where readers
//! would disagree as an [`Anomaly`] of its own.
//!
//! # How the walk reads
//!
//! One forward pass over a [`Read`]: local headers in file order, each member's content
//! decoded (stored or deflate) and passed to the visitor, then the central directory,
//! zip64 end records and end record as they come. Between records, bytes that start no
//! known record are skipped up to the next signature and reported as
//! [`Anomaly::UnaccountedBytes`]; a local header found that way is walked like any other.
//! After the end record, each central directory record is compared with the local
//! header at the offset it names. Members whose content, as PyTorch would read it, the
//! walk did not pass to the visitor are listed in [`ZipReport::unvisited`]; a caller
//! that can seek reads them with [`read_member`]. When the walk stops before the central
//! directory (a local header that claims more data than the file holds swallows what
//! follows it), [`recover`] reads the directory from the end of a seekable input the way
//! miniz does and lists the members still to read.
//!
//! Members with a data descriptor (flag bit 3, no sizes in the local header): deflate
//! data ends itself and the descriptor after it is read in whichever of its four layouts
//! has matching sizes. Stored (and undecodable) data does not end itself: the walk takes
//! the first place where a data descriptor whose compressed (and, for stored data,
//! uncompressed) size equals the number of bytes before it starts, with its signature,
//! or without one but followed by a record signature. Content that happens to contain
//! such a descriptor would end early; the central directory comparison then reports the
//! size disagreement and lists the member in [`ZipReport::unvisited`].
//!
//! # Security
//!
//! Every input is hostile. The walk reads through one 64 KiB buffer and keeps only
//! names and header fields: memory does not grow with the archive's content. A claimed
//! count or size never sizes an allocation; names and extra fields are at most 65,535
//! bytes by construction, and the total of kept names is bounded by
//! [`MAX_NAME_BYTES_PER_ENTRY`] times [`Limits::max_archive_entries`]. Lengths are only
//! trusted to skip member data and comments, never end records' extensible data. Local
//! headers and central records beyond [`Limits::max_archive_entries`] stop the walk;
//! deflated content past [`Limits::max_decompressed_bytes`] or
//! [`Limits::max_compression_ratio`] stops that member. Nothing is extracted or
//! written anywhere, and no input makes the walk panic.

mod anomaly;
mod body;
mod records;
mod source;
mod walk;

use std::io::{self, Read, Seek};

pub use anomaly::{Anomaly, AnomalyClass, display_name};

use crate::{FormatError, Limits};

/// Average bytes of kept member names allowed per [`Limits::max_archive_entries`].
pub const MAX_NAME_BYTES_PER_ENTRY: u64 = 1024;

/// Compression method 0: stored.
pub const METHOD_STORED: u16 = 0;
/// Compression method 8: deflate.
pub const METHOD_DEFLATE: u16 = 8;
/// Flag bit 0: traditional encryption.
pub const FLAG_ENCRYPTED: u16 = 1 << 0;
/// Flag bit 3: sizes and CRC follow the data in a data descriptor.
pub const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
/// Flag bit 11: the name is UTF-8.
pub const FLAG_UTF8: u16 = 1 << 11;

/// A visitor: called once per member with its header and its decoded content.
///
/// It may read as much or as little as it wants; the walk reads the rest itself. An
/// error it returns is recorded in [`MemberSummary::visit_error`] and the walk goes on.
pub type Visitor<'a> = dyn FnMut(&Member, &mut dyn Read) -> io::Result<()> + 'a;

/// One member as a header describes it.
///
/// For members met by the walk these are the local header's values; for
/// [`ZipReport::unvisited`] members they are the central directory's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Raw name bytes (not necessarily UTF-8; never used as a path).
    pub name: Vec<u8>,
    /// Offset of the local file header.
    pub local_header_offset: u64,
    /// Offset of the first data byte; for a member known only from the central
    /// directory this equals `local_header_offset` until its local header is read.
    pub data_offset: u64,
    /// Compression method (0 stored, 8 deflate, others not decoded).
    pub method: u16,
    /// General-purpose flag bits.
    pub flags: u16,
    /// CRC-32 the header records (0 in a local header with a data descriptor).
    pub declared_crc32: u32,
    /// Compressed size the header records (zip64 value when present).
    pub compressed_size: u64,
    /// Uncompressed size the header records (zip64 value when present).
    pub uncompressed_size: u64,
    /// Offset of the central directory record this member comes from, if it does.
    pub central_offset: Option<u64>,
}

impl Member {
    /// Whether flag bit 3 says sizes and CRC follow the data.
    pub fn has_data_descriptor(&self) -> bool {
        self.flags & FLAG_DATA_DESCRIPTOR != 0
    }

    /// Whether the encryption flag is set (the walk reads the data as plain anyway).
    pub fn encryption_flag(&self) -> bool {
        self.flags & FLAG_ENCRYPTED != 0
    }
}

/// A data descriptor found after a member's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataDescriptor {
    /// Offset of the descriptor.
    pub offset: u64,
    /// CRC-32 it records.
    pub crc32: u32,
    /// Compressed size it records.
    pub compressed_size: u64,
    /// Uncompressed size it records.
    pub uncompressed_size: u64,
    /// Whether it starts with `PK\x07\x08`.
    pub signature: bool,
    /// Whether its sizes are 64-bit.
    pub zip64: bool,
}

/// What reading one member found.
#[derive(Debug)]
pub struct MemberSummary {
    /// The member as its local header describes it.
    pub member: Member,
    /// Whether the visitor was called (false for unsupported methods).
    pub visited: bool,
    /// Bytes of member data read (compressed size as found).
    pub compressed_read: u64,
    /// Decoded bytes produced (the whole content when `crc32` is `Some`).
    pub decoded_size: u64,
    /// CRC-32 of the whole decoded content; `None` if it was not read to the end.
    pub crc32: Option<u32>,
    /// The data descriptor after the data, if the member has one.
    pub descriptor: Option<DataDescriptor>,
    /// Why decoding stopped before the end: corrupt data ([`FormatError::Invalid`]),
    /// end of input ([`FormatError::Truncated`]) or a bound
    /// ([`FormatError::LimitExceeded`]).
    pub error: Option<FormatError>,
    /// The error the visitor returned, unless it was the decoding error in `error`.
    pub visit_error: Option<io::Error>,
}

/// Everything one walk learned, and how it stopped.
#[derive(Debug, Default)]
pub struct ZipReport {
    /// Every local header met, in file order.
    pub members: Vec<MemberSummary>,
    /// Every disagreement and defect found, in the order found.
    pub anomalies: Vec<Anomaly>,
    /// Central directory members whose content, as PyTorch or Python's `zipfile` reads
    /// it, the visitor has not seen (local header never reached, or a different method
    /// or stored size): read each with [`read_member`] on a seekable reader.
    pub unvisited: Vec<Member>,
    /// Bytes consumed from the reader.
    pub bytes: u64,
    /// Central directory records read.
    pub central_records: u64,
    /// Whether an end of central directory record was found (only then are the local
    /// headers compared with the central directory).
    pub end_record_found: bool,
    /// Why the walk ended before the end of a well-formed archive, if it did. Members
    /// and anomalies found before are kept. The rest of the input is then not read.
    pub stopped: Option<FormatError>,
}

/// What [`recover`] found in the central directory that a stopped walk never reached.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Central directory members whose content the walk did not visit: read each with
    /// [`read_member`].
    pub unvisited: Vec<Member>,
    /// Disagreements between those records and the members the walk did read.
    pub anomalies: Vec<Anomaly>,
}

/// A member read again at a known offset.
#[derive(Debug)]
pub struct MemberRead {
    /// What reading it found (the visitor saw its content when `summary.visited`).
    pub summary: MemberSummary,
    /// Anomalies of this member (flags, CRC, sizes, unsupported method).
    pub anomalies: Vec<Anomaly>,
}

/// Walks a zip archive in one forward pass, visiting every member's decoded content.
///
/// Never fails: problems are [`ZipReport::anomalies`], per-member
/// [`MemberSummary::error`]s, or [`ZipReport::stopped`]. A stream that is not a zip
/// ends as one [`Anomaly::UnaccountedBytes`] and a [`FormatError::Truncated`] stop.
pub fn walk<R: Read>(reader: R, limits: &Limits, visit: &mut Visitor<'_>) -> ZipReport {
    walk::Walker::new(reader, limits, visit).run()
}

/// After a walk that stopped early ([`ZipReport::stopped`]) over a seekable input,
/// reads the central directory the way PyTorch's miniz finds it (the last end record
/// in the final 64 KiB, then the zip64 locator) and lists the members the walk did not
/// visit as PyTorch would read them.
///
/// A forward walk trusts local headers to find the next record, so a local header
/// that claims more data than the file holds swallows the members after it; PyTorch
/// reads sizes from the central directory and still loads them. Errors when there is
/// no readable central directory (then PyTorch cannot open the file either).
pub fn recover<R: Read + Seek>(
    reader: R,
    report: &ZipReport,
    limits: &Limits,
) -> Result<Recovery, FormatError> {
    walk::recover(reader, report, limits)
}

/// Reads the member whose local header is at `local_header_offset`, as its local header
/// describes it (sizes, method, data descriptor), like [`walk`] would.
///
/// Errors only when no local header can be read there; problems with the data are in
/// the returned summary.
pub fn read_member_at<R: Read + Seek>(
    reader: R,
    local_header_offset: u64,
    limits: &Limits,
    visit: &mut Visitor<'_>,
) -> Result<MemberRead, FormatError> {
    walk::read_at(reader, local_header_offset, None, limits, visit)
}

/// Reads `member` the way PyTorch (miniz) does: data start from the local header at
/// `member.local_header_offset`, method, sizes and CRC from `member` (the central
/// directory's values in [`ZipReport::unvisited`]). The visitor sees `member` with
/// `data_offset` filled in.
///
/// Stored data is read for the larger of the two recorded sizes, so that both miniz
/// (uncompressed size) and Python's `zipfile` (compressed size) are covered.
pub fn read_member<R: Read + Seek>(
    reader: R,
    member: &Member,
    limits: &Limits,
    visit: &mut Visitor<'_>,
) -> Result<MemberRead, FormatError> {
    walk::read_at(
        reader,
        member.local_header_offset,
        Some(member),
        limits,
        visit,
    )
}
