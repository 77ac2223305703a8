//! safetensors headers: framing, dtype/shape/offset consistency and byte coverage.
//!
//! A safetensors file is a little-endian u64 `N`, `N` bytes of UTF-8 JSON (an object
//! mapping tensor names to `{"dtype", "shape", "data_offsets"}`, plus an optional
//! `"__metadata__"` map of strings), then the data section, which the offsets index
//! relative to its start. The format holds no code, so what matters is framing: a
//! header loaders refuse, tensors that disagree with their offsets, and bytes of the
//! data section that no tensor covers, where a polyglot payload can hide (research B38).
//!
//! The checks mirror the `safetensors` crate 0.8 (`SafeTensors::read_metadata` and
//! `Metadata::validate` in `safetensors/src/tensor.rs`), which the Python package also
//! uses: a header over [`MAX_HEADER_SIZE`] is refused, the header must be UTF-8 JSON
//! that `serde_json` accepts, tensors sorted by `(begin, end)` must tile the data
//! section from 0 without gaps or overlaps, each tensor's byte size must equal its
//! element count times its dtype's bit width divided by 8, and the last tensor must end
//! exactly at the end of the file. Where the loader is lenient and the README's spec is
//! not (leading whitespace, padding other than spaces, unknown fields, duplicate keys
//! resolved silently), that is reported as an [`Anomaly`] of its own.
//!
//! # Security
//!
//! Input is hostile. [`read_header`] reads the 8-byte length and at most
//! [`MAX_HEADER_SIZE`] header bytes and nothing of the data section, which the caller
//! hashes; a claimed length is checked against the cap (and against the file size when
//! known) before anything is read, and the buffer grows only with bytes actually read.
//! The JSON is walked with `serde_json` (recursion limit 128) by visitors that keep
//! only names, dtypes, shapes (at most [`MAX_SHAPE_DIMS`] dimensions each), offsets and
//! metadata strings, skipping everything else without building it, so memory stays a
//! small multiple of the header length. Sizes use checked arithmetic; no count in the
//! header sizes an allocation; nothing panics.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};

use crate::{FormatError, Limits};

/// Largest header loaders accept (`safetensors` crate `MAX_HEADER_SIZE`); a longer claim
/// is reported, never read.
pub const MAX_HEADER_SIZE: u64 = crate::detect::SAFETENSORS_MAX_HEADER;

/// Metadata (keys plus values, in bytes) above which [`Anomaly::LargeMetadata`] is
/// reported (1 MiB); Hugging Face writes `{"format": "pt"}`, training tools a few KiB.
pub const LARGE_METADATA: u64 = 1 << 20;

/// Dimensions of a shape kept in [`Tensor::shape`]; more are counted, not stored.
pub const MAX_SHAPE_DIMS: usize = 1024;

/// Anomalies kept in a report; the rest are counted in
/// [`SafetensorsReport::anomalies_dropped`], so a hostile header cannot flood findings.
pub const MAX_ANOMALIES: usize = 1024;

/// The dtypes the `safetensors` crate 0.8 knows, with their width in bits.
pub const DTYPES: &[(&str, u64)] = &[
    ("BOOL", 8),
    ("F4", 4),
    ("F6_E2M3", 6),
    ("F6_E3M2", 6),
    ("U8", 8),
    ("I8", 8),
    ("F8_E5M2", 8),
    ("F8_E4M3", 8),
    ("F8_E8M0", 8),
    ("F8_E4M3FNUZ", 8),
    ("F8_E5M2FNUZ", 8),
    ("I16", 16),
    ("U16", 16),
    ("F16", 16),
    ("BF16", 16),
    ("I32", 32),
    ("U32", 32),
    ("F32", 32),
    ("C64", 64),
    ("F64", 64),
    ("I64", 64),
    ("U64", 64),
];

/// Width in bits of a dtype as spelled in a header (case-sensitive, as loaders are).
pub fn dtype_bits(dtype: &str) -> Option<u64> {
    DTYPES
        .iter()
        .find(|(name, _)| *name == dtype)
        .map(|(_, bits)| *bits)
}

/// One tensor entry whose `dtype`, `shape` and `data_offsets` all have the right types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tensor {
    /// The key, decoded from JSON.
    pub name: String,
    /// The dtype as written; may be unknown (see [`Anomaly::UnknownDtype`]).
    pub dtype: String,
    /// The first [`MAX_SHAPE_DIMS`] dimensions.
    pub shape: Vec<u64>,
    /// Number of dimensions, stored or not.
    pub ndim: u64,
    /// Element count; `None` when the product overflows u64.
    pub numel: Option<u64>,
    /// Start of the tensor's bytes, relative to the data section.
    pub begin: u64,
    /// One past the end, relative to the data section.
    pub end: u64,
    /// A later entry has the same name; loaders keep that one and never see this.
    pub shadowed: bool,
}

/// Something a loader would refuse, or where readers could disagree.
///
/// Offsets are absolute in the file. Problems inside the header JSON that serde_json
/// does not locate (entry fields, dtypes, metadata) carry the header start, 8.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anomaly {
    /// The header length exceeds [`MAX_HEADER_SIZE`]; loaders refuse the file and the
    /// header is not read.
    HeaderTooLarge {
        /// The claimed length.
        declared: u64,
    },
    /// The header length runs past the end of the file (file size known).
    HeaderBeyondFile {
        /// The claimed length.
        declared: u64,
        /// Bytes after the length field.
        available: u64,
    },
    /// The header is not UTF-8.
    HeaderNotUtf8 {
        /// First invalid byte.
        offset: u64,
    },
    /// serde_json rejects the header (syntax, trailing bytes, nesting over 128).
    HeaderNotJson {
        /// Where serde_json stopped.
        offset: u64,
        /// serde_json's message.
        reason: String,
    },
    /// The header is JSON but not an object.
    HeaderNotObject {
        /// What it is instead.
        found: &'static str,
    },
    /// A tensor entry is not an object, or a field is missing or has the wrong type.
    EntryInvalid {
        /// The tensor name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A dtype loaders do not know (they refuse the file).
    UnknownDtype {
        /// The tensor name.
        name: String,
        /// The dtype as written.
        dtype: String,
    },
    /// `__metadata__` is neither null nor an object of strings (loaders refuse it).
    MetadataInvalid {
        /// What is wrong.
        reason: String,
    },
    /// A key appears twice: loaders keep the last tensor or metadata value silently (or
    /// refuse a repeated field), other readers may keep the first.
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// `None` at the top level, else the tensor name or `__metadata__`.
        within: Option<String>,
    },
    /// `data_offsets` has begin after end.
    BeginAfterEnd {
        /// The tensor name.
        name: String,
        /// Claimed begin.
        begin: u64,
        /// Claimed end.
        end: u64,
    },
    /// `end - begin` differs from shape × dtype width (or the width is not whole bytes,
    /// or the product overflows).
    SizeMismatch {
        /// The tensor name.
        name: String,
        /// Bytes the shape and dtype need; `None` on overflow or a partial byte.
        expected: Option<u64>,
        /// `end - begin`.
        actual: u64,
    },
    /// A tensor starts before the previous one (in offset order) ends.
    Overlap {
        /// The later tensor.
        name: String,
        /// The tensor it runs into.
        other: String,
        /// Absolute offset where `name` starts (clipped to the end of the file).
        offset: u64,
    },
    /// A tensor ends past the end of the data section.
    OutOfRange {
        /// The tensor name.
        name: String,
        /// Claimed end, relative to the data section.
        end: u64,
        /// Length of the data section.
        data_len: u64,
    },
    /// Bytes of the data section inside no tensor (a gap, or bytes after the last
    /// tensor); loaders refuse such files, other readers may not look.
    UnaccountedBytes {
        /// Absolute offset of the first such byte.
        offset: u64,
        /// How many.
        len: u64,
    },
    /// Whitespace before the opening `{`; loaders accept it, the spec and byte-8
    /// sniffers do not.
    LeadingWhitespace,
    /// Padding after the JSON other than spaces (tab, CR, LF), which the spec forbids
    /// and loaders accept.
    NonstandardPadding {
        /// Absolute offset of the first such byte.
        offset: u64,
    },
    /// A field in a tensor entry that loaders ignore (a place to carry data unseen).
    UnknownField {
        /// The tensor name.
        name: String,
        /// The field.
        field: String,
    },
    /// `__metadata__` holds more than [`LARGE_METADATA`] bytes of keys and values.
    LargeMetadata {
        /// Bytes of keys and values.
        bytes: u64,
    },
}

/// Where the JSON header starts.
const HEADER_START: u64 = 8;

impl Anomaly {
    /// Absolute byte offset the anomaly points at.
    pub fn offset(&self) -> u64 {
        match self {
            Anomaly::HeaderTooLarge { .. } | Anomaly::HeaderBeyondFile { .. } => 0,
            Anomaly::HeaderNotUtf8 { offset }
            | Anomaly::HeaderNotJson { offset, .. }
            | Anomaly::Overlap { offset, .. }
            | Anomaly::UnaccountedBytes { offset, .. }
            | Anomaly::NonstandardPadding { offset } => *offset,
            Anomaly::HeaderNotObject { .. }
            | Anomaly::EntryInvalid { .. }
            | Anomaly::UnknownDtype { .. }
            | Anomaly::MetadataInvalid { .. }
            | Anomaly::DuplicateKey { .. }
            | Anomaly::BeginAfterEnd { .. }
            | Anomaly::SizeMismatch { .. }
            | Anomaly::OutOfRange { .. }
            | Anomaly::LeadingWhitespace
            | Anomaly::UnknownField { .. }
            | Anomaly::LargeMetadata { .. } => HEADER_START,
        }
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anomaly::HeaderTooLarge { declared } => write!(
                f,
                "header length {declared} exceeds the loaders' {MAX_HEADER_SIZE}-byte cap"
            ),
            Anomaly::HeaderBeyondFile {
                declared,
                available,
            } => write!(
                f,
                "header length {declared} runs past the file ({available} bytes follow the length)"
            ),
            Anomaly::HeaderNotUtf8 { offset } => {
                write!(f, "header is not UTF-8 (byte {offset})")
            }
            Anomaly::HeaderNotJson { reason, .. } => {
                write!(f, "header is not valid JSON: {reason}")
            }
            Anomaly::HeaderNotObject { found } => {
                write!(f, "header is a JSON {found}, not an object")
            }
            Anomaly::EntryInvalid { name, reason } => {
                write!(f, "tensor {name:?}: {reason}")
            }
            Anomaly::UnknownDtype { name, dtype } => {
                write!(f, "tensor {name:?} has unknown dtype {dtype:?}")
            }
            Anomaly::MetadataInvalid { reason } => write!(f, "__metadata__ {reason}"),
            Anomaly::DuplicateKey { key, within: None } => {
                write!(f, "header key {key:?} appears more than once")
            }
            Anomaly::DuplicateKey {
                key,
                within: Some(within),
            } => write!(f, "key {key:?} appears more than once in {within:?}"),
            Anomaly::BeginAfterEnd { name, begin, end } => {
                write!(f, "tensor {name:?} begins at {begin}, after its end {end}")
            }
            Anomaly::SizeMismatch {
                name,
                expected: Some(expected),
                actual,
            } => write!(
                f,
                "tensor {name:?} spans {actual} bytes but its shape and dtype need {expected}"
            ),
            Anomaly::SizeMismatch {
                name,
                expected: None,
                actual,
            } => write!(
                f,
                "tensor {name:?} spans {actual} bytes but its shape and dtype overflow or are not whole bytes"
            ),
            Anomaly::Overlap { name, other, .. } => {
                write!(f, "tensor {name:?} overlaps tensor {other:?}")
            }
            Anomaly::OutOfRange {
                name,
                end,
                data_len,
            } => write!(
                f,
                "tensor {name:?} ends at {end}, past the {data_len}-byte data section"
            ),
            Anomaly::UnaccountedBytes { len, .. } => {
                write!(f, "{len} bytes of the data section are in no tensor")
            }
            Anomaly::LeadingWhitespace => f.write_str("header has whitespace before its '{'"),
            Anomaly::NonstandardPadding { .. } => {
                f.write_str("header is padded with whitespace other than spaces")
            }
            Anomaly::UnknownField { name, field } => {
                write!(f, "tensor {name:?} has unknown field {field:?}")
            }
            Anomaly::LargeMetadata { bytes } => {
                write!(f, "__metadata__ holds {bytes} bytes")
            }
        }
    }
}

/// What a safetensors header says, what is wrong with it, and how reading stopped.
#[derive(Debug, Default)]
pub struct SafetensorsReport {
    /// The declared header length `N`, once 8 bytes were read.
    pub header_len: Option<u64>,
    /// `8 + N`: where the data section starts, once the header was read in full.
    pub data_start: Option<u64>,
    /// Length of the data section, once known (from `total_len` or
    /// [`SafetensorsReport::check_layout`]).
    pub data_len: Option<u64>,
    /// Well-typed tensor entries, in header order (unknown dtypes included).
    pub tensors: Vec<Tensor>,
    /// `__metadata__` entries in header order (all of them, duplicates included); `None`
    /// when absent or null.
    pub metadata: Option<Vec<(String, String)>>,
    /// Bytes of metadata keys plus values (decoded UTF-8).
    pub metadata_bytes: u64,
    /// What loaders would refuse or readers could disagree on, at most [`MAX_ANOMALIES`].
    pub anomalies: Vec<Anomaly>,
    /// Anomalies found beyond [`MAX_ANOMALIES`].
    pub anomalies_dropped: u64,
    /// Why reading stopped early: the input ended or the reader failed. Framing errors
    /// are anomalies, not stops.
    pub stopped: Option<FormatError>,
    /// Whether the header JSON was walked (layout checks need it).
    header_parsed: bool,
    /// Whether [`SafetensorsReport::check_layout`] ran.
    layout_checked: bool,
}

impl SafetensorsReport {
    fn push(&mut self, anomaly: Anomaly) {
        push_capped(&mut self.anomalies, &mut self.anomalies_dropped, anomaly);
    }

    /// Whether a loader would accept the file as far as it was checked: no anomaly that
    /// loaders refuse, and no stop.
    pub fn loader_accepts(&self) -> bool {
        self.stopped.is_none()
            && self.anomalies_dropped == 0
            && self.anomalies.iter().all(|a| {
                matches!(
                    a,
                    Anomaly::LeadingWhitespace
                        | Anomaly::NonstandardPadding { .. }
                        | Anomaly::UnknownField { .. }
                        | Anomaly::LargeMetadata { .. }
                ) || matches!(
                    a,
                    // Loaders keep the last tensor of a name or metadata value of a
                    // key, but refuse a repeated `__metadata__` or entry field.
                    Anomaly::DuplicateKey { key, within: None } if key != "__metadata__"
                ) || matches!(
                    a,
                    Anomaly::DuplicateKey { within: Some(w), .. } if w == "__metadata__"
                )
            })
    }

    /// Checks how tensors tile a data section of `data_len` bytes: overlaps, gaps,
    /// trailing bytes and tensors past the end, as the loader's `validate` does.
    ///
    /// [`read_header`] calls this itself when given the file size; a caller that learns
    /// the length only by draining the data (a stream of unknown size) calls it then.
    /// Runs once; only records the length if the header was read but not parsed.
    pub fn check_layout(&mut self, data_len: u64) {
        if self.layout_checked || self.data_start.is_none() {
            return;
        }
        self.data_len = Some(data_len);
        if !self.header_parsed {
            return;
        }
        self.layout_checked = true;
        let data_start = self.data_start.unwrap_or(HEADER_START);
        // The tensors the loader keeps: the last entry of each name, begin <= end.
        let mut live: Vec<&Tensor> = self
            .tensors
            .iter()
            .filter(|t| !t.shadowed && t.begin <= t.end)
            .collect();
        live.sort_by_key(|t| (t.begin, t.end));
        let mut found = Vec::new();
        let mut cursor = 0u64;
        let mut last: Option<&str> = None;
        for t in &live {
            if t.begin < cursor {
                found.push(Anomaly::Overlap {
                    name: t.name.clone(),
                    other: last.unwrap_or_default().to_string(),
                    offset: data_start.saturating_add(t.begin.min(data_len)),
                });
            } else if t.begin > cursor && cursor < data_len {
                found.push(Anomaly::UnaccountedBytes {
                    offset: data_start.saturating_add(cursor),
                    len: t.begin.min(data_len) - cursor,
                });
            }
            if t.end > data_len {
                found.push(Anomaly::OutOfRange {
                    name: t.name.clone(),
                    end: t.end,
                    data_len,
                });
            }
            if t.end > cursor || last.is_none() {
                cursor = cursor.max(t.end);
                last = Some(&t.name);
            }
        }
        if cursor < data_len {
            found.push(Anomaly::UnaccountedBytes {
                offset: data_start.saturating_add(cursor),
                len: data_len - cursor,
            });
        }
        for anomaly in found {
            self.push(anomaly);
        }
    }
}

fn push_capped(list: &mut Vec<Anomaly>, dropped: &mut u64, anomaly: Anomaly) {
    if list.len() < MAX_ANOMALIES {
        list.push(anomaly);
    } else {
        *dropped = dropped.saturating_add(1);
    }
}

/// Reads a safetensors header from `reader`, leaving it at the first data byte.
///
/// `total_len` is the size of the whole file when the caller knows it (a file's
/// metadata, a tar member's size): it bounds the header claim before reading and runs
/// [`SafetensorsReport::check_layout`]. Without it, the caller counts the bytes it
/// drains after the header and calls `check_layout` itself. `limits` is taken for a
/// uniform API; the header is bounded by the loaders' own [`MAX_HEADER_SIZE`].
pub fn read_header<R: Read>(
    reader: &mut R,
    total_len: Option<u64>,
    limits: &Limits,
) -> SafetensorsReport {
    let _ = limits;
    let mut report = SafetensorsReport::default();
    let mut len = [0u8; 8];
    if let Err(stop) = read_full(reader, &mut len) {
        report.stopped = Some(stop);
        return report;
    }
    let n = u64::from_le_bytes(len);
    report.header_len = Some(n);
    if n > MAX_HEADER_SIZE {
        report.push(Anomaly::HeaderTooLarge { declared: n });
        return report;
    }
    if let Some(total) = total_len {
        let available = total.saturating_sub(HEADER_START);
        if n > available {
            report.push(Anomaly::HeaderBeyondFile {
                declared: n,
                available,
            });
            return report;
        }
    }
    let mut raw = Vec::new();
    match reader.by_ref().take(n).read_to_end(&mut raw) {
        Ok(got) if got as u64 == n => {}
        Ok(got) => {
            report.stopped = Some(FormatError::Truncated {
                offset: HEADER_START + got as u64,
                what: "safetensors header",
            });
            return report;
        }
        Err(e) => {
            report.stopped = Some(FormatError::from_io(
                HEADER_START + raw.len() as u64,
                "safetensors header",
                e,
            ));
            return report;
        }
    }
    let data_start = HEADER_START + n;
    report.data_start = Some(data_start);
    parse_header(&raw, &mut report);
    if let Some(total) = total_len {
        report.check_layout(total.saturating_sub(data_start));
    }
    report
}

fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> Result<(), FormatError> {
    let mut filled = 0usize;
    while filled < buf.len() {
        let slot = buf.get_mut(filled..).unwrap_or_default();
        match reader.read(slot) {
            Ok(0) => {
                return Err(FormatError::Truncated {
                    offset: filled as u64,
                    what: "safetensors header length",
                });
            }
            Ok(got) => filled += got.min(slot.len()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(FormatError::from_io(
                    filled as u64,
                    "safetensors header length",
                    e,
                ));
            }
        }
    }
    Ok(())
}

/// JSON whitespace as serde_json skips it.
fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn parse_header(raw: &[u8], report: &mut SafetensorsReport) {
    let text = match std::str::from_utf8(raw) {
        Ok(text) => text,
        Err(e) => {
            report.push(Anomaly::HeaderNotUtf8 {
                offset: HEADER_START + e.valid_up_to() as u64,
            });
            return;
        }
    };
    let lead = raw.iter().take_while(|&&b| is_json_space(b)).count();
    if lead > 0 && raw.get(lead) == Some(&b'{') {
        report.push(Anomaly::LeadingWhitespace);
    }
    let body_end = raw.len() - raw.iter().rev().take_while(|&&b| is_json_space(b)).count();
    if let Some(pos) = raw
        .get(body_end..)
        .unwrap_or_default()
        .iter()
        .position(|&b| b != b' ')
    {
        report.push(Anomaly::NonstandardPadding {
            offset: HEADER_START + (body_end + pos) as u64,
        });
    }

    let mut state = State {
        tensors: std::mem::take(&mut report.tensors),
        names: HashMap::new(),
        metadata: None,
        metadata_seen: false,
        metadata_bytes: 0,
        anomalies: std::mem::take(&mut report.anomalies),
        dropped: report.anomalies_dropped,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let outcome = (&mut de)
        .deserialize_any(TopVisitor { st: &mut state })
        .and_then(|()| de.end());
    // The loader refuses a header that is not JSON outright; the tiling of the data
    // section is only checked for a header that parsed.
    report.header_parsed = outcome.is_ok();
    if let Err(e) = outcome {
        state.push(Anomaly::HeaderNotJson {
            offset: json_error_offset(raw, &e),
            reason: e.to_string(),
        });
    }
    if state.metadata_bytes > LARGE_METADATA {
        state.push(Anomaly::LargeMetadata {
            bytes: state.metadata_bytes,
        });
    }
    report.tensors = state.tensors;
    report.metadata = state.metadata;
    report.metadata_bytes = state.metadata_bytes;
    report.anomalies = state.anomalies;
    report.anomalies_dropped = state.dropped;
}

/// Absolute file offset of a serde_json error, from its 1-based line and column.
fn json_error_offset(raw: &[u8], e: &serde_json::Error) -> u64 {
    let mut start = 0usize;
    for _ in 1..e.line() {
        match memchr::memchr(b'\n', raw.get(start..).unwrap_or_default()) {
            Some(at) => start = start.saturating_add(at + 1),
            None => break,
        }
    }
    let at = start
        .saturating_add(e.column().saturating_sub(1))
        .min(raw.len());
    HEADER_START + at as u64
}

/// Everything the visitors collect.
struct State {
    tensors: Vec<Tensor>,
    /// Every top-level tensor key seen, with its index in `tensors` if it was well typed.
    names: HashMap<String, Option<usize>>,
    metadata: Option<Vec<(String, String)>>,
    metadata_seen: bool,
    metadata_bytes: u64,
    anomalies: Vec<Anomaly>,
    dropped: u64,
}

impl State {
    fn push(&mut self, anomaly: Anomaly) {
        push_capped(&mut self.anomalies, &mut self.dropped, anomaly);
    }

    fn add_entry(&mut self, name: String, entry: Entry) {
        let index = match entry {
            Entry::Tensor {
                dtype,
                shape,
                offsets,
            } => {
                let tensor = Tensor {
                    name: name.clone(),
                    dtype,
                    shape: shape.kept,
                    ndim: shape.len,
                    numel: shape.product,
                    begin: offsets.0,
                    end: offsets.1,
                    shadowed: false,
                };
                self.check_tensor(&tensor);
                self.tensors.push(tensor);
                Some(self.tensors.len() - 1)
            }
            Entry::Invalid(reason) => {
                self.push(Anomaly::EntryInvalid {
                    name: name.clone(),
                    reason,
                });
                None
            }
        };
        if let Some(previous) = self.names.insert(name.clone(), index) {
            self.push(Anomaly::DuplicateKey {
                key: name,
                within: None,
            });
            if let Some(t) = previous.and_then(|i| self.tensors.get_mut(i)) {
                t.shadowed = true;
            }
        }
    }

    fn check_tensor(&mut self, t: &Tensor) {
        let Some(bits) = dtype_bits(&t.dtype) else {
            self.push(Anomaly::UnknownDtype {
                name: t.name.clone(),
                dtype: t.dtype.clone(),
            });
            return;
        };
        if t.begin > t.end {
            self.push(Anomaly::BeginAfterEnd {
                name: t.name.clone(),
                begin: t.begin,
                end: t.end,
            });
            return;
        }
        let expected = t
            .numel
            .and_then(|n| n.checked_mul(bits))
            .filter(|b| b % 8 == 0)
            .map(|b| b / 8);
        let actual = t.end - t.begin;
        if expected != Some(actual) {
            self.push(Anomaly::SizeMismatch {
                name: t.name.clone(),
                expected,
                actual,
            });
        }
    }
}

/// The JSON kind of a value, for messages.
mod kind {
    pub const BOOL: &str = "boolean";
    pub const NULL: &str = "null";
    pub const INT: &str = "integer";
    pub const NEG: &str = "negative integer";
    pub const FLOAT: &str = "float or out-of-range integer";
    pub const STR: &str = "string";
    pub const SEQ: &str = "array";
    pub const MAP: &str = "object";
}

/// A value skipped without being built. Unlike serde's `IgnoredAny` (which serde_json
/// skips iteratively, without depth limit), it goes through `deserialize_any`, so
/// serde_json's recursion limit of 128 applies as it does in the loader, which buffers
/// the whole header before reading it.
struct Skip;

impl<'de> de::Deserialize<'de> for Skip {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Skip, A::Error> {
        drain_seq(seq).map(|()| Skip)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Skip, A::Error> {
        drain_map(map).map(|()| Skip)
    }
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<Skip>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<Skip, Skip>()?.is_some() {}
    Ok(())
}

/// The header's top-level object.
struct TopVisitor<'s> {
    st: &'s mut State,
}

impl<'de> Visitor<'de> for TopVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a safetensors header object")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.st.push(Anomaly::HeaderNotObject { found: kind::BOOL });
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.st.push(Anomaly::HeaderNotObject { found: kind::NEG });
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.st.push(Anomaly::HeaderNotObject { found: kind::INT });
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.st
            .push(Anomaly::HeaderNotObject { found: kind::FLOAT });
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.st.push(Anomaly::HeaderNotObject { found: kind::NULL });
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.st.push(Anomaly::HeaderNotObject { found: kind::STR });
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.st.push(Anomaly::HeaderNotObject { found: kind::SEQ });
        drain_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "__metadata__" {
                let meta = map.next_value_seed(MetaSeed { st: self.st })?;
                if self.st.metadata_seen {
                    self.st.push(Anomaly::DuplicateKey { key, within: None });
                }
                self.st.metadata_seen = true;
                if let Err(reason) = meta {
                    self.st.push(Anomaly::MetadataInvalid { reason });
                }
            } else {
                let entry = map.next_value_seed(EntrySeed {
                    st: self.st,
                    name: &key,
                })?;
                self.st.add_entry(key, entry);
            }
        }
        Ok(())
    }
}

/// `__metadata__`: null or an object of strings, entries appended to the state.
struct MetaSeed<'s> {
    st: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for MetaSeed<'_> {
    type Value = Result<(), String>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MetaSeed<'_> {
    type Value = Result<(), String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of strings")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err(format!("is a {}, not an object", kind::BOOL)))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err(format!("is a {}, not an object", kind::NEG)))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err(format!("is an {}, not an object", kind::INT)))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err(format!("is a {}, not an object", kind::FLOAT)))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err(format!("is a {}, not an object", kind::STR)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        // Loaders read null as "no metadata".
        Ok(Ok(()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Err(format!("is an {}, not an object", kind::SEQ)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut outcome = Ok(());
        let mut seen: HashMap<String, ()> = HashMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(ValSeed)?;
            let Val::Str(value) = value else {
                if outcome.is_ok() {
                    outcome = Err(format!(
                        "value of {key:?} is {}, not a string",
                        value.kind()
                    ));
                }
                continue;
            };
            if seen.insert(key.clone(), ()).is_some() {
                self.st.push(Anomaly::DuplicateKey {
                    key: key.clone(),
                    within: Some("__metadata__".to_string()),
                });
            }
            self.st.metadata_bytes = self
                .st
                .metadata_bytes
                .saturating_add(key.len() as u64)
                .saturating_add(value.len() as u64);
            self.st
                .metadata
                .get_or_insert_with(Vec::new)
                .push((key, value));
        }
        Ok(outcome)
    }
}

/// A tensor entry, as far as it could be typed.
enum Entry {
    Tensor {
        dtype: String,
        shape: Shape,
        offsets: (u64, u64),
    },
    Invalid(String),
}

/// A shape array: the first dimensions, the count and the checked product.
struct Shape {
    kept: Vec<u64>,
    len: u64,
    product: Option<u64>,
}

/// One tensor entry object.
struct EntrySeed<'s, 'n> {
    st: &'s mut State,
    name: &'n str,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_, '_> {
    type Value = Entry;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Entry, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_, '_> {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tensor entry")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Entry, E> {
        Ok(not_object(kind::BOOL))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Entry, E> {
        Ok(not_object(kind::NEG))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Entry, E> {
        Ok(not_object(kind::INT))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Entry, E> {
        Ok(not_object(kind::FLOAT))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Entry, E> {
        Ok(not_object(kind::NULL))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Entry, E> {
        Ok(not_object(kind::STR))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Entry, A::Error> {
        drain_seq(seq)?;
        Ok(not_object(kind::SEQ))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        let mut dtype: Option<Val> = None;
        let mut shape: Option<Val> = None;
        let mut offsets: Option<Val> = None;
        while let Some(field) = map.next_key::<String>()? {
            let slot = match field.as_str() {
                "dtype" => &mut dtype,
                "shape" => &mut shape,
                "data_offsets" => &mut offsets,
                _ => {
                    map.next_value::<Skip>()?;
                    self.st.push(Anomaly::UnknownField {
                        name: self.name.to_string(),
                        field,
                    });
                    continue;
                }
            };
            let value = map.next_value_seed(ValSeed)?;
            if slot.is_some() {
                self.st.push(Anomaly::DuplicateKey {
                    key: field,
                    within: Some(self.name.to_string()),
                });
            }
            *slot = Some(value);
        }
        let dtype = match dtype {
            Some(Val::Str(s)) => s,
            Some(other) => return Ok(wrong("dtype", "a string", &other)),
            None => return Ok(Entry::Invalid("missing field \"dtype\"".to_string())),
        };
        let shape = match shape {
            Some(Val::Seq(seq)) => match seq.bad {
                Some(bad) => {
                    return Ok(Entry::Invalid(format!(
                        "\"shape\" holds a {bad}, not an unsigned integer"
                    )));
                }
                None => Shape {
                    kept: seq.kept,
                    len: seq.len,
                    product: seq.product,
                },
            },
            Some(other) => return Ok(wrong("shape", "an array", &other)),
            None => return Ok(Entry::Invalid("missing field \"shape\"".to_string())),
        };
        let offsets = match offsets {
            Some(Val::Seq(seq)) => match (seq.bad, seq.kept.as_slice()) {
                (Some(bad), _) => {
                    return Ok(Entry::Invalid(format!(
                        "\"data_offsets\" holds a {bad}, not an unsigned integer"
                    )));
                }
                (None, [begin, end]) if seq.len == 2 => (*begin, *end),
                (None, _) => {
                    return Ok(Entry::Invalid(format!(
                        "\"data_offsets\" has {} elements, not 2",
                        seq.len
                    )));
                }
            },
            Some(other) => return Ok(wrong("data_offsets", "an array", &other)),
            None => {
                return Ok(Entry::Invalid("missing field \"data_offsets\"".to_string()));
            }
        };
        Ok(Entry::Tensor {
            dtype,
            shape,
            offsets,
        })
    }
}

fn not_object(found: &str) -> Entry {
    Entry::Invalid(format!("entry is a {found}, not an object"))
}

fn wrong(field: &str, expected: &str, found: &Val) -> Entry {
    Entry::Invalid(format!("\"{field}\" is {}, not {expected}", found.kind()))
}

/// A field value, keeping only strings and arrays of unsigned integers.
enum Val {
    Str(String),
    Seq(Seq),
    Other(&'static str),
}

impl Val {
    fn kind(&self) -> &'static str {
        match self {
            Val::Str(_) => kind::STR,
            Val::Seq(_) => kind::SEQ,
            Val::Other(kind) => kind,
        }
    }
}

/// An array of what should be unsigned integers.
struct Seq {
    kept: Vec<u64>,
    len: u64,
    /// Checked product of all elements.
    product: Option<u64>,
    /// Kind of the first element that is not an unsigned integer.
    bad: Option<&'static str>,
}

struct ValSeed;

impl<'de> DeserializeSeed<'de> for ValSeed {
    type Value = Val;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValSeed {
    type Value = Val;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Val, E> {
        Ok(Val::Other(kind::BOOL))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Val, E> {
        Ok(Val::Other(if v < 0 { kind::NEG } else { kind::INT }))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Val, E> {
        Ok(Val::Other(kind::INT))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Val, E> {
        Ok(Val::Other(kind::FLOAT))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Val, E> {
        Ok(Val::Other(kind::NULL))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Val, E> {
        Ok(Val::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Val, E> {
        Ok(Val::Str(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Val, A::Error> {
        drain_map(map)?;
        Ok(Val::Other(kind::MAP))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        let mut out = Seq {
            kept: Vec::new(),
            len: 0,
            product: Some(1),
            bad: None,
        };
        while let Some(element) = seq.next_element_seed(UintSeed)? {
            out.len = out.len.saturating_add(1);
            match element {
                Ok(v) => {
                    if out.kept.len() < MAX_SHAPE_DIMS {
                        out.kept.push(v);
                    }
                    out.product = out.product.and_then(|p| p.checked_mul(v));
                }
                Err(kind) => {
                    out.bad.get_or_insert(kind);
                }
            }
        }
        Ok(Val::Seq(out))
    }
}

/// An array element that should be an unsigned integer.
struct UintSeed;

impl<'de> DeserializeSeed<'de> for UintSeed {
    type Value = Result<u64, &'static str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UintSeed {
    type Value = Result<u64, &'static str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an unsigned integer")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err(kind::BOOL))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(u64::try_from(v).map_err(|_| kind::NEG))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Ok(v))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err(kind::FLOAT))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(kind::NULL))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Err(kind::STR))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq)?;
        Ok(Err(kind::SEQ))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map)?;
        Ok(Err(kind::MAP))
    }
}
