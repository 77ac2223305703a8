//! GGUF headers: bounded key/value and tensor-info walk, layout checks, chat templates.
//!
//! A GGUF file (v2/v3, little-endian) is the magic `GGUF`, a u32 version, a u64 tensor
//! count and a u64 key/value count, then the key/value pairs (a string key, a u32 value
//! type and the value), then one info per tensor (name, u32 `n_dims`, `n_dims` u64
//! dimensions, u32 ggml type, u64 offset relative to the data section), then zero
//! padding up to `general.alignment` (default 32), then the data section. Strings are a
//! u64 length and that many bytes. The format holds no code, but
//! `tokenizer.chat_template` is a Jinja2 template that several runtimes rendered outside
//! a sandbox (research B33, [`template`]), and loaders have overflowed on crafted counts,
//! lengths and dimensions (research B34: CVE-2025-53630, CVE-2026-27940).
//!
//! The checks mirror ggml's `gguf_init_from_file_impl` (`ggml/src/gguf.cpp`): version 2
//! or 3, no duplicate keys or tensor names, no nested arrays, known value and ggml
//! types, `general.alignment` a u32 power of two, tensor names under 64 bytes, at most
//! [`MAX_DIMS`] dimensions, element counts within `i64`, the first dimension a multiple
//! of the type's block size, and each tensor at exactly the running, aligned offset the
//! loader expects. Each departure is an [`Anomaly`]; where the walk cannot go on (an
//! unknown value type has no size) it ends there without a stop.
//!
//! # Security
//!
//! Input is hostile. [`read_header`] reads through `std::io::Read` only and never the
//! data section. Every count and length is checked against a cap ([`MAX_TENSORS`],
//! [`MAX_KV`], [`MAX_ARRAY_LEN`], [`MAX_KEY_LEN`], [`MAX_STRING_LEN`], [`MAX_DIMS`], array
//! nesting bounded by [`Limits::max_depth`]) and, when the file size is known, against the
//! bytes left, before anything is read or allocated. Only keys, short scalar values,
//! tensor names (first [`MAX_KEPT_NAME`] bytes) and chat templates are kept; other
//! strings and arrays are skipped by length; at most [`MAX_TENSORS_KEPT`] tensor infos
//! are stored while all are checked. Sizes use checked arithmetic; nothing panics.
//! Chat templates are parsed, never rendered (see [`template`]).

pub mod template;

use std::collections::HashSet;
use std::fmt;
use std::io::Read;

use sha2::{Digest, Sha256};

use crate::{FormatError, LimitKind, Limits};

/// The four magic bytes at offset 0.
pub const MAGIC: &[u8; 4] = b"GGUF";

/// Tensors per file (default 1 million); real models hold a few thousand.
pub const MAX_TENSORS: u64 = 1_000_000;

/// Key/value pairs per file; real models hold a few dozen.
pub const MAX_KV: u64 = 65_536;

/// Elements per array value; vocabularies and merge lists hold a few hundred thousand.
pub const MAX_ARRAY_LEN: u64 = 64 << 20;

/// Bytes per key or tensor name read; a longer one is skipped and reported.
pub const MAX_KEY_LEN: u64 = 1 << 20;

/// Bytes per string value read or skipped (64 MiB); a longer one is reported.
pub const MAX_STRING_LEN: u64 = 64 << 20;

/// Dimensions per tensor (ggml's `GGML_MAX_DIMS`).
pub const MAX_DIMS: u32 = 4;

/// Longest tensor name ggml accepts is one less than this (`GGML_MAX_NAME`).
pub const GGML_MAX_NAME: u64 = 64;

/// Bytes of a tensor name kept in [`Tensor::name`].
pub const MAX_KEPT_NAME: usize = 256;

/// Bytes of a string value kept in [`KvValue::Str`]; longer ones become [`KvValue::LongStr`].
pub const MAX_KEPT_STRING: u64 = 1024;

/// Tensor infos stored in [`GgufReport::tensors`]; all are checked.
pub const MAX_TENSORS_KEPT: usize = 65_536;

/// Anomalies kept in a report; the rest are counted in [`GgufReport::anomalies_dropped`].
pub const MAX_ANOMALIES: usize = 1024;

/// The alignment ggml uses when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// The key naming the default chat template; `tokenizer.chat_template.<name>` are variants.
pub const CHAT_TEMPLATE_KEY: &str = "tokenizer.chat_template";

/// ggml tensor types ggml and the `gguf` Python package 0.19 know: (id, name, block
/// elements, block bytes).
pub const GGML_TYPES: &[(u32, &str, u64, u64)] = &[
    (0, "F32", 1, 4),
    (1, "F16", 1, 2),
    (2, "Q4_0", 32, 18),
    (3, "Q4_1", 32, 20),
    (6, "Q5_0", 32, 22),
    (7, "Q5_1", 32, 24),
    (8, "Q8_0", 32, 34),
    (9, "Q8_1", 32, 40),
    (10, "Q2_K", 256, 84),
    (11, "Q3_K", 256, 110),
    (12, "Q4_K", 256, 144),
    (13, "Q5_K", 256, 176),
    (14, "Q6_K", 256, 210),
    (15, "Q8_K", 256, 292),
    (16, "IQ2_XXS", 256, 66),
    (17, "IQ2_XS", 256, 74),
    (18, "IQ3_XXS", 256, 98),
    (19, "IQ1_S", 256, 50),
    (20, "IQ4_NL", 32, 18),
    (21, "IQ3_S", 256, 110),
    (22, "IQ2_S", 256, 82),
    (23, "IQ4_XS", 256, 136),
    (24, "I8", 1, 1),
    (25, "I16", 1, 2),
    (26, "I32", 1, 4),
    (27, "I64", 1, 8),
    (28, "F64", 1, 8),
    (29, "IQ1_M", 256, 56),
    (30, "BF16", 1, 2),
    (34, "TQ1_0", 256, 54),
    (35, "TQ2_0", 256, 66),
    (39, "MXFP4", 32, 17),
    (40, "NVFP4", 64, 36),
    (41, "Q1_0", 128, 18),
];

/// Block size and block bytes of a ggml type id, if known.
pub fn ggml_type(id: u32) -> Option<(&'static str, u64, u64)> {
    GGML_TYPES
        .iter()
        .find(|(t, ..)| *t == id)
        .map(|&(_, name, blck, size)| (name, blck, size))
}

/// GGUF value type ids.
mod ty {
    pub const U8: u32 = 0;
    pub const I8: u32 = 1;
    pub const U16: u32 = 2;
    pub const I16: u32 = 3;
    pub const U32: u32 = 4;
    pub const I32: u32 = 5;
    pub const F32: u32 = 6;
    pub const BOOL: u32 = 7;
    pub const STRING: u32 = 8;
    pub const ARRAY: u32 = 9;
    pub const U64: u32 = 10;
    pub const I64: u32 = 11;
    pub const F64: u32 = 12;
}

/// Byte width of a fixed-size value type.
fn fixed_size(t: u32) -> Option<u64> {
    match t {
        ty::U8 | ty::I8 | ty::BOOL => Some(1),
        ty::U16 | ty::I16 => Some(2),
        ty::U32 | ty::I32 | ty::F32 => Some(4),
        ty::U64 | ty::I64 | ty::F64 => Some(8),
        _ => None,
    }
}

/// A value kept from a key/value pair.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum KvValue {
    /// Any unsigned integer type.
    Uint(u64),
    /// Any signed integer type.
    Int(i64),
    /// f32 or f64.
    Float(f64),
    /// A bool byte (nonzero is true).
    Bool(bool),
    /// A string of at most [`MAX_KEPT_STRING`] bytes (lossy UTF-8).
    Str(String),
    /// A longer string, skipped (chat templates are in [`GgufReport::chat_templates`]).
    LongStr {
        /// Its length in bytes.
        len: u64,
    },
    /// An array, skipped.
    Array {
        /// Element type id.
        elem_type: u32,
        /// Element count.
        len: u64,
    },
}

/// One key/value pair as far as it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Kv {
    /// The key (lossy UTF-8; empty when over [`MAX_KEY_LEN`] and skipped).
    pub key: String,
    /// The value type id.
    pub value_type: u32,
    /// What was kept of the value.
    pub value: KvValue,
}

/// One tensor info.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tensor {
    /// The first [`MAX_KEPT_NAME`] bytes of the name (lossy UTF-8).
    pub name: String,
    /// Dimensions as written.
    pub dims: Vec<u64>,
    /// ggml type id.
    pub ggml_type: u32,
    /// Offset relative to the data section.
    pub offset: u64,
    /// Bytes of data, when the type is known and nothing overflows.
    pub nbytes: Option<u64>,
}

/// A chat template found in the key/value pairs.
#[derive(Debug, Clone)]
pub struct ChatTemplate {
    /// `tokenizer.chat_template` or a `tokenizer.chat_template.<name>` variant.
    pub key: String,
    /// The template text (lossy UTF-8).
    pub text: String,
    /// SHA-256 of the raw bytes, for allow-lists of known templates.
    pub sha256: [u8; 32],
    /// What the static check found.
    pub check: template::TemplateCheck,
}

/// Something a loader would refuse or overflow on, or where readers could disagree.
///
/// Offsets are absolute in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anomaly {
    /// The file does not start with `GGUF`.
    BadMagic {
        /// The first four bytes.
        found: [u8; 4],
    },
    /// A version other than 2 or 3 (v1 used 32-bit counts; a byte-swapped value means
    /// a big-endian file); the rest is not read.
    UnsupportedVersion {
        /// The version field.
        version: u32,
    },
    /// A count, length or size cannot fit in the bytes left in the file: what an
    /// unchecked loader would allocate or read past (the CVE-2025-53630 class).
    BeyondFile {
        /// Where the field is.
        offset: u64,
        /// What was being read.
        what: &'static str,
        /// The claimed count or length.
        claimed: u64,
        /// Bytes left after the field.
        available: u64,
    },
    /// A string over [`MAX_KEY_LEN`] (keys, names) or [`MAX_STRING_LEN`] (values), skipped
    /// unread; no loader writes such a string.
    OversizedString {
        /// Where its length field is.
        offset: u64,
        /// What it is.
        what: &'static str,
        /// Its length.
        len: u64,
    },
    /// A key or tensor name that is not UTF-8.
    NotUtf8 {
        /// Where the string's bytes start.
        offset: u64,
        /// What it is.
        what: &'static str,
    },
    /// A key seen before; ggml refuses the file, other readers keep one or the other.
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// A value or array element type id ggml does not know; the walk ends there.
    UnknownValueType {
        /// The key.
        key: String,
        /// The type id.
        value_type: u32,
    },
    /// An array of arrays, which ggml refuses.
    NestedArray {
        /// The key.
        key: String,
    },
    /// A well-known key with a value type ggml does not expect (a wrong-typed
    /// `general.alignment` makes ggml abort on an assertion).
    WrongType {
        /// The key.
        key: String,
        /// The type id found.
        value_type: u32,
    },
    /// `general.alignment` is zero or not a power of two.
    BadAlignment {
        /// The value.
        alignment: u64,
    },
    /// A tensor name of [`GGML_MAX_NAME`] bytes or more (ggml refuses it).
    NameTooLong {
        /// The tensor index.
        index: u64,
        /// The length.
        len: u64,
    },
    /// A tensor name seen before.
    DuplicateTensor {
        /// The name.
        name: String,
    },
    /// More than [`MAX_DIMS`] dimensions; the walk ends there.
    TooManyDims {
        /// The tensor name.
        name: String,
        /// `n_dims` as written.
        n_dims: u32,
    },
    /// A dimension over `i64::MAX` (negative to ggml), or an element count or byte size
    /// over `i64::MAX`: the integer overflows of CVE-2025-53630 / CVE-2026-27940.
    SizeOverflow {
        /// The tensor name.
        name: String,
    },
    /// A ggml type id ggml does not know.
    UnknownGgmlType {
        /// The tensor name.
        name: String,
        /// The type id.
        ggml_type: u32,
    },
    /// The first dimension is not a multiple of the type's block size.
    BlockMisaligned {
        /// The tensor name.
        name: String,
        /// The first dimension.
        ne0: u64,
        /// The block size.
        block: u64,
    },
    /// A tensor offset that is not a multiple of the alignment.
    OffsetMisaligned {
        /// The tensor name.
        name: String,
        /// The offset.
        offset: u64,
        /// The alignment.
        alignment: u64,
    },
    /// A tensor not at the running aligned offset ggml expects: a gap (hidden bytes),
    /// an overlap or a reordering, which ggml refuses and other readers follow.
    OffsetUnexpected {
        /// The tensor name.
        name: String,
        /// The offset written.
        offset: u64,
        /// The offset ggml expects.
        expected: u64,
    },
    /// A tensor whose bytes end past the end of the file.
    TensorBeyondFile {
        /// The tensor name.
        name: String,
        /// End relative to the data section.
        end: u64,
        /// Length of the data section.
        data_len: u64,
    },
    /// Nonzero bytes in the padding before the data section.
    NonzeroPadding {
        /// The first such byte.
        offset: u64,
    },
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anomaly::BadMagic { found } => write!(f, "magic is {found:02x?}, not \"GGUF\""),
            Anomaly::UnsupportedVersion { version } => {
                write!(f, "GGUF version {version} is not 2 or 3")
            }
            Anomaly::BeyondFile {
                what,
                claimed,
                available,
                ..
            } => write!(
                f,
                "{what} {claimed} cannot fit in the {available} bytes left in the file"
            ),
            Anomaly::OversizedString { what, len, .. } => {
                write!(f, "{what} of {len} bytes is over airlock's cap; skipped")
            }
            Anomaly::NotUtf8 { what, .. } => write!(f, "{what} is not UTF-8"),
            Anomaly::DuplicateKey { key } => write!(f, "key {key:?} appears more than once"),
            Anomaly::UnknownValueType { key, value_type } => {
                write!(f, "key {key:?} has unknown value type {value_type}")
            }
            Anomaly::NestedArray { key } => write!(f, "key {key:?} holds an array of arrays"),
            Anomaly::WrongType { key, value_type } => {
                write!(f, "key {key:?} has unexpected value type {value_type}")
            }
            Anomaly::BadAlignment { alignment } => {
                write!(f, "general.alignment {alignment} is not a power of two")
            }
            Anomaly::NameTooLong { index, len } => {
                write!(f, "tensor #{index} has a {len}-byte name (ggml allows 63)")
            }
            Anomaly::DuplicateTensor { name } => {
                write!(f, "tensor {name:?} appears more than once")
            }
            Anomaly::TooManyDims { name, n_dims } => {
                write!(f, "tensor {name:?} has {n_dims} dimensions (ggml allows 4)")
            }
            Anomaly::SizeOverflow { name } => {
                write!(
                    f,
                    "tensor {name:?} dimensions overflow a signed 64-bit size"
                )
            }
            Anomaly::UnknownGgmlType { name, ggml_type } => {
                write!(f, "tensor {name:?} has unknown ggml type {ggml_type}")
            }
            Anomaly::BlockMisaligned { name, ne0, block } => write!(
                f,
                "tensor {name:?} first dimension {ne0} is not a multiple of block size {block}"
            ),
            Anomaly::OffsetMisaligned {
                name,
                offset,
                alignment,
            } => write!(
                f,
                "tensor {name:?} offset {offset} is not aligned to {alignment}"
            ),
            Anomaly::OffsetUnexpected {
                name,
                offset,
                expected,
            } => write!(
                f,
                "tensor {name:?} is at offset {offset}, ggml expects {expected}"
            ),
            Anomaly::TensorBeyondFile {
                name,
                end,
                data_len,
            } => write!(
                f,
                "tensor {name:?} ends at {end}, past the {data_len}-byte data section"
            ),
            Anomaly::NonzeroPadding { .. } => {
                f.write_str("padding before the data section is not zero")
            }
        }
    }
}

/// What a GGUF header says, what is wrong with it, and how reading stopped.
#[derive(Debug, Default)]
pub struct GgufReport {
    /// The version field, once read.
    pub version: Option<u32>,
    /// The declared tensor count.
    pub tensor_count: Option<u64>,
    /// The declared key/value count.
    pub kv_count: Option<u64>,
    /// Key/value pairs read, in file order.
    pub kvs: Vec<Kv>,
    /// Tensor infos read, the first [`MAX_TENSORS_KEPT`].
    pub tensors: Vec<Tensor>,
    /// Chat templates (`tokenizer.chat_template` and its `.<name>` variants).
    pub chat_templates: Vec<ChatTemplate>,
    /// The alignment in effect.
    pub alignment: u64,
    /// Where the data section starts, once the whole header was read.
    pub data_start: Option<u64>,
    /// Length of the data section, when the file size is known.
    pub data_len: Option<u64>,
    /// What loaders would refuse or overflow on, at most [`MAX_ANOMALIES`].
    pub anomalies: Vec<Anomaly>,
    /// Anomalies found beyond [`MAX_ANOMALIES`].
    pub anomalies_dropped: u64,
    /// Why reading stopped early: truncation, a read error or a cap
    /// ([`LimitKind::ArchiveEntries`] for counts and array lengths, [`LimitKind::Depth`]
    /// for array nesting). Malformations are anomalies, not stops.
    pub stopped: Option<FormatError>,
}

impl GgufReport {
    fn push(&mut self, anomaly: Anomaly) {
        if self.anomalies.len() < MAX_ANOMALIES {
            self.anomalies.push(anomaly);
        } else {
            self.anomalies_dropped = self.anomalies_dropped.saturating_add(1);
        }
    }

    /// Whether the whole header was read and nothing was found that ggml refuses.
    pub fn loader_accepts(&self) -> bool {
        self.stopped.is_none()
            && self.anomalies_dropped == 0
            && self.data_start.is_some()
            && self
                .anomalies
                .iter()
                .all(|a| matches!(a, Anomaly::NonzeroPadding { .. }))
    }
}

/// Why the walk ended early.
enum Halt {
    /// Set `stopped`.
    Stop(FormatError),
    /// An anomaly was pushed after which the layout is unknown.
    Done,
}

impl From<FormatError> for Halt {
    fn from(e: FormatError) -> Self {
        Halt::Stop(e)
    }
}

/// A counting reader that knows the file size when the caller does.
struct Src<'r, R> {
    r: &'r mut R,
    pos: u64,
    total: Option<u64>,
}

impl<R: Read> Src<'_, R> {
    fn left(&self) -> Option<u64> {
        self.total.map(|t| t.saturating_sub(self.pos))
    }

    fn exact(&mut self, buf: &mut [u8], what: &'static str) -> Result<(), FormatError> {
        let mut filled = 0usize;
        while filled < buf.len() {
            let slot = buf.get_mut(filled..).unwrap_or_default();
            match self.r.read(slot) {
                Ok(0) => {
                    return Err(FormatError::Truncated {
                        offset: self.pos,
                        what,
                    });
                }
                Ok(got) => {
                    let got = got.min(slot.len());
                    filled += got;
                    self.pos = self.pos.saturating_add(got as u64);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FormatError::from_io(self.pos, what, e)),
            }
        }
        Ok(())
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, FormatError> {
        let mut b = [0u8; 4];
        self.exact(&mut b, what)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, FormatError> {
        let mut b = [0u8; 8];
        self.exact(&mut b, what)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Reads `n` bytes (`n` already bounded by a cap), growing only with bytes read.
    fn bytes(&mut self, n: u64, what: &'static str) -> Result<Vec<u8>, FormatError> {
        let mut out = Vec::new();
        match self.r.by_ref().take(n).read_to_end(&mut out) {
            Ok(got) => {
                self.pos = self.pos.saturating_add(got as u64);
                if (got as u64) < n {
                    return Err(FormatError::Truncated {
                        offset: self.pos,
                        what,
                    });
                }
                Ok(out)
            }
            Err(e) => Err(FormatError::from_io(
                self.pos.saturating_add(out.len() as u64),
                what,
                e,
            )),
        }
    }

    /// Skips `n` bytes; returns the offset of the first nonzero one if asked.
    fn skip(
        &mut self,
        n: u64,
        what: &'static str,
        find_nonzero: bool,
    ) -> Result<Option<u64>, FormatError> {
        let mut buf = [0u8; 8192];
        let mut left = n;
        let mut nonzero = None;
        while left > 0 {
            let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
            let slot = buf.get_mut(..want).unwrap_or_default();
            match self.r.read(slot) {
                Ok(0) => {
                    return Err(FormatError::Truncated {
                        offset: self.pos,
                        what,
                    });
                }
                Ok(got) => {
                    let got = got.min(want);
                    if find_nonzero
                        && nonzero.is_none()
                        && let Some(i) = slot
                            .get(..got)
                            .unwrap_or_default()
                            .iter()
                            .position(|&b| b != 0)
                    {
                        nonzero = Some(self.pos.saturating_add(i as u64));
                    }
                    self.pos = self.pos.saturating_add(got as u64);
                    left -= got as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FormatError::from_io(self.pos, what, e)),
            }
        }
        Ok(nonzero)
    }
}

/// A string as read: its bytes when under the cap, else its length.
enum Str {
    Bytes { at: u64, bytes: Vec<u8> },
    Skipped { len: u64 },
}

/// Reads a GGUF header from `reader`, leaving it at the first data byte when the header
/// is well formed.
///
/// `total_len` is the size of the whole stream when known: every count and length is
/// checked against the bytes left, and tensor extents against the data section. `limits`
/// bounds array nesting ([`Limits::max_depth`]); other caps are this module's constants.
pub fn read_header<R: Read>(reader: &mut R, total_len: Option<u64>, limits: &Limits) -> GgufReport {
    let mut report = GgufReport {
        alignment: DEFAULT_ALIGNMENT,
        ..GgufReport::default()
    };
    let mut src = Src {
        r: reader,
        pos: 0,
        total: total_len,
    };
    if let Err(Halt::Stop(e)) = walk(&mut src, &mut report, limits) {
        report.stopped = Some(e);
    }
    report
}

fn beyond(
    report: &mut GgufReport,
    src_left: Option<u64>,
    offset: u64,
    what: &'static str,
    claimed: u64,
    need: Option<u64>,
) -> Result<(), Halt> {
    if let Some(available) = src_left
        && need.is_none_or(|n| n > available)
    {
        report.push(Anomaly::BeyondFile {
            offset,
            what,
            claimed,
            available,
        });
        return Err(Halt::Done);
    }
    Ok(())
}

fn read_str<R: Read>(
    src: &mut Src<'_, R>,
    report: &mut GgufReport,
    cap: u64,
    what: &'static str,
) -> Result<Str, Halt> {
    let at = src.pos;
    let len = src.u64(what)?;
    beyond(report, src.left(), at, what, len, Some(len))?;
    if len > cap {
        if len > MAX_STRING_LEN || what != "string value" {
            report.push(Anomaly::OversizedString {
                offset: at,
                what,
                len,
            });
        }
        src.skip(len, what, false)?;
        return Ok(Str::Skipped { len });
    }
    let start = src.pos;
    let bytes = src.bytes(len, what)?;
    Ok(Str::Bytes { at: start, bytes })
}

fn lossy(bytes: &[u8], max: usize) -> String {
    let cut = bytes.get(..max).unwrap_or(bytes);
    String::from_utf8_lossy(cut).into_owned()
}

fn walk<R: Read>(
    src: &mut Src<'_, R>,
    report: &mut GgufReport,
    limits: &Limits,
) -> Result<(), Halt> {
    let mut magic = [0u8; 4];
    src.exact(&mut magic, "gguf magic")?;
    if &magic != MAGIC {
        report.push(Anomaly::BadMagic { found: magic });
        return Err(Halt::Done);
    }
    let version = src.u32("gguf version")?;
    report.version = Some(version);
    if version != 2 && version != 3 {
        report.push(Anomaly::UnsupportedVersion { version });
        return Err(Halt::Done);
    }
    let at = src.pos;
    let n_tensors = src.u64("gguf tensor count")?;
    report.tensor_count = Some(n_tensors);
    let n_kv = src.u64("gguf kv count")?;
    report.kv_count = Some(n_kv);
    // Smallest kv: key length, empty key, type, one byte; smallest tensor info: name
    // length, empty name, n_dims 0, type, offset.
    let need = n_kv
        .checked_mul(13)
        .and_then(|k| n_tensors.checked_mul(24).and_then(|t| t.checked_add(k)));
    beyond(
        report,
        src.left(),
        at,
        "tensor and kv counts",
        n_tensors.max(n_kv),
        need,
    )?;
    for (count, max, at) in [(n_tensors, MAX_TENSORS, at), (n_kv, MAX_KV, at + 8)] {
        if count > max {
            return Err(Halt::Stop(FormatError::LimitExceeded {
                limit: LimitKind::ArchiveEntries,
                value: count,
                max,
                offset: at,
            }));
        }
    }

    let mut keys: HashSet<[u8; 32]> = HashSet::new();
    for _ in 0..n_kv {
        let key_str = read_str(src, report, MAX_KEY_LEN, "key")?;
        let key = match &key_str {
            Str::Bytes { at, bytes } => {
                if std::str::from_utf8(bytes).is_err() {
                    report.push(Anomaly::NotUtf8 {
                        offset: *at,
                        what: "key",
                    });
                }
                let key = lossy(bytes, bytes.len());
                if !keys.insert(Sha256::digest(bytes).into()) {
                    report.push(Anomaly::DuplicateKey {
                        key: lossy(bytes, 256),
                    });
                }
                key
            }
            Str::Skipped { .. } => String::new(),
        };
        let value_type = src.u32("value type")?;
        let is_template = key == CHAT_TEMPLATE_KEY
            || key
                .strip_prefix(CHAT_TEMPLATE_KEY)
                .is_some_and(|rest| rest.starts_with('.'));
        if is_template && value_type == ty::STRING {
            let value = read_str(src, report, MAX_STRING_LEN, "chat template")?;
            if let Str::Bytes { bytes, .. } = value {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let check = template::check(&text);
                report.chat_templates.push(ChatTemplate {
                    key: key.clone(),
                    sha256: Sha256::digest(&bytes).into(),
                    text,
                    check,
                });
            }
            report.kvs.push(Kv {
                key,
                value_type,
                value: KvValue::LongStr { len: 0 },
            });
            if let Some(Kv {
                value: KvValue::LongStr { len },
                ..
            }) = report.kvs.last_mut()
            {
                *len = report
                    .chat_templates
                    .last()
                    .map_or(0, |t| t.text.len() as u64);
            }
            continue;
        }
        if is_template {
            report.push(Anomaly::WrongType {
                key: key.clone(),
                value_type,
            });
        }
        let value = read_value(src, report, value_type, &key, 0, limits)?;
        if key == "general.alignment" {
            match (&value, value_type) {
                (KvValue::Uint(a), ty::U32) => {
                    if *a == 0 || !a.is_power_of_two() {
                        report.push(Anomaly::BadAlignment { alignment: *a });
                    } else {
                        report.alignment = *a;
                    }
                }
                _ => report.push(Anomaly::WrongType {
                    key: key.clone(),
                    value_type,
                }),
            }
        }
        if report.kvs.len() < MAX_KV as usize {
            report.kvs.push(Kv {
                key: if key.len() > 1024 {
                    lossy(key.as_bytes(), 1024)
                } else {
                    key
                },
                value_type,
                value,
            });
        }
    }

    let alignment = report.alignment;
    let mut names: HashSet<[u8; 32]> = HashSet::new();
    let mut expected: Option<u64> = Some(0);
    let mut extents: Vec<(String, u64)> = Vec::new();
    for index in 0..n_tensors {
        let name_str = read_str(src, report, MAX_KEY_LEN, "tensor name")?;
        let name = match &name_str {
            Str::Bytes { at, bytes } => {
                if std::str::from_utf8(bytes).is_err() {
                    report.push(Anomaly::NotUtf8 {
                        offset: *at,
                        what: "tensor name",
                    });
                }
                if bytes.len() as u64 >= GGML_MAX_NAME {
                    report.push(Anomaly::NameTooLong {
                        index,
                        len: bytes.len() as u64,
                    });
                }
                let name = lossy(bytes, MAX_KEPT_NAME);
                if !names.insert(Sha256::digest(bytes).into()) {
                    report.push(Anomaly::DuplicateTensor { name: name.clone() });
                }
                name
            }
            Str::Skipped { len } => {
                report.push(Anomaly::NameTooLong { index, len: *len });
                String::new()
            }
        };
        let n_dims = src.u32("tensor n_dims")?;
        if n_dims > MAX_DIMS {
            report.push(Anomaly::TooManyDims { name, n_dims });
            return Err(Halt::Done);
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        let mut numel: Option<u64> = Some(1);
        for _ in 0..n_dims {
            let d = src.u64("tensor dimension")?;
            dims.push(d);
            numel = numel
                .and_then(|n| n.checked_mul(d))
                .filter(|n| *n <= i64::MAX as u64);
            if d > i64::MAX as u64 {
                numel = None;
            }
        }
        let ggml = src.u32("tensor type")?;
        let offset = src.u64("tensor offset")?;
        if numel.is_none() {
            report.push(Anomaly::SizeOverflow { name: name.clone() });
        }
        let nbytes = match ggml_type(ggml) {
            None => {
                report.push(Anomaly::UnknownGgmlType {
                    name: name.clone(),
                    ggml_type: ggml,
                });
                None
            }
            Some((_, blck, size)) => {
                let ne0 = dims.first().copied().unwrap_or(1);
                if ne0 % blck != 0 {
                    report.push(Anomaly::BlockMisaligned {
                        name: name.clone(),
                        ne0,
                        block: blck,
                    });
                }
                let nbytes = numel
                    .map(|n| n / blck)
                    .and_then(|blocks| blocks.checked_mul(size))
                    .filter(|b| *b <= i64::MAX as u64);
                if nbytes.is_none() && numel.is_some() {
                    report.push(Anomaly::SizeOverflow { name: name.clone() });
                }
                nbytes
            }
        };
        if offset % alignment != 0 {
            report.push(Anomaly::OffsetMisaligned {
                name: name.clone(),
                offset,
                alignment,
            });
        }
        match expected {
            Some(want) if want != offset => {
                report.push(Anomaly::OffsetUnexpected {
                    name: name.clone(),
                    offset,
                    expected: want,
                });
            }
            _ => {}
        }
        // ggml keeps summing from what it expected; after an unknown size it has refused.
        expected = expected
            .zip(nbytes)
            .and_then(|(e, n)| pad(n, alignment).and_then(|p| e.checked_add(p)));
        if let Some(end) = nbytes.and_then(|n| offset.checked_add(n)) {
            if extents.len() < MAX_TENSORS_KEPT {
                extents.push((name.clone(), end));
            }
        } else if nbytes.is_some() {
            report.push(Anomaly::SizeOverflow { name: name.clone() });
        }
        if report.tensors.len() < MAX_TENSORS_KEPT {
            report.tensors.push(Tensor {
                name,
                dims,
                ggml_type: ggml,
                offset,
                nbytes,
            });
        }
    }

    let header_end = src.pos;
    let Some(data_start) = pad(header_end, alignment) else {
        report.push(Anomaly::BadAlignment { alignment });
        return Err(Halt::Done);
    };
    let padding = data_start - header_end;
    if let Some(nonzero) = src.skip(padding, "gguf padding", true)? {
        report.push(Anomaly::NonzeroPadding { offset: nonzero });
    }
    report.data_start = Some(data_start);
    if let Some(total) = src.total {
        let data_len = total.saturating_sub(data_start);
        report.data_len = Some(data_len);
        for (name, end) in extents {
            if end > data_len {
                report.push(Anomaly::TensorBeyondFile {
                    name,
                    end,
                    data_len,
                });
            }
        }
    }
    Ok(())
}

/// Rounds `n` up to a multiple of `align` (a power of two).
fn pad(n: u64, align: u64) -> Option<u64> {
    let mask = align.checked_sub(1)?;
    n.checked_add(mask).map(|v| v & !mask)
}

fn read_value<R: Read>(
    src: &mut Src<'_, R>,
    report: &mut GgufReport,
    value_type: u32,
    key: &str,
    depth: u32,
    limits: &Limits,
) -> Result<KvValue, Halt> {
    let mut b8 = [0u8; 8];
    let value = match value_type {
        ty::U8 | ty::I8 | ty::BOOL => {
            let mut b = [0u8; 1];
            src.exact(&mut b, "value")?;
            let v = u8::from_le_bytes(b);
            match value_type {
                ty::U8 => KvValue::Uint(u64::from(v)),
                ty::I8 => KvValue::Int(i64::from(v as i8)),
                _ => KvValue::Bool(v != 0),
            }
        }
        ty::U16 | ty::I16 => {
            let mut b = [0u8; 2];
            src.exact(&mut b, "value")?;
            if value_type == ty::U16 {
                KvValue::Uint(u64::from(u16::from_le_bytes(b)))
            } else {
                KvValue::Int(i64::from(i16::from_le_bytes(b)))
            }
        }
        ty::U32 | ty::I32 | ty::F32 => {
            let mut b = [0u8; 4];
            src.exact(&mut b, "value")?;
            match value_type {
                ty::U32 => KvValue::Uint(u64::from(u32::from_le_bytes(b))),
                ty::I32 => KvValue::Int(i64::from(i32::from_le_bytes(b))),
                _ => KvValue::Float(f64::from(f32::from_le_bytes(b))),
            }
        }
        ty::U64 | ty::I64 | ty::F64 => {
            src.exact(&mut b8, "value")?;
            match value_type {
                ty::U64 => KvValue::Uint(u64::from_le_bytes(b8)),
                ty::I64 => KvValue::Int(i64::from_le_bytes(b8)),
                _ => KvValue::Float(f64::from_le_bytes(b8)),
            }
        }
        ty::STRING => match read_str(src, report, MAX_KEPT_STRING, "string value")? {
            Str::Bytes { bytes, .. } => KvValue::Str(lossy(&bytes, bytes.len())),
            Str::Skipped { len } => KvValue::LongStr { len },
        },
        ty::ARRAY => {
            let elem_type = src.u32("array element type")?;
            let at = src.pos;
            let len = src.u64("array length")?;
            if elem_type == ty::ARRAY {
                if depth == 0 {
                    report.push(Anomaly::NestedArray {
                        key: key.to_string(),
                    });
                }
                if depth.saturating_add(1) >= limits.max_depth {
                    return Err(Halt::Stop(FormatError::LimitExceeded {
                        limit: LimitKind::Depth,
                        value: u64::from(depth) + 1,
                        max: u64::from(limits.max_depth),
                        offset: at,
                    }));
                }
            }
            let min = match elem_type {
                ty::STRING => Some(8),
                ty::ARRAY => Some(12),
                t => fixed_size(t),
            };
            let Some(min) = min else {
                report.push(Anomaly::UnknownValueType {
                    key: key.to_string(),
                    value_type: elem_type,
                });
                return Err(Halt::Done);
            };
            beyond(
                report,
                src.left(),
                at,
                "array length",
                len,
                len.checked_mul(min),
            )?;
            if len > MAX_ARRAY_LEN {
                return Err(Halt::Stop(FormatError::LimitExceeded {
                    limit: LimitKind::ArchiveEntries,
                    value: len,
                    max: MAX_ARRAY_LEN,
                    offset: at,
                }));
            }
            match fixed_size(elem_type) {
                Some(size) => {
                    src.skip(len.saturating_mul(size), "array", false)?;
                }
                None => {
                    for _ in 0..len {
                        if elem_type == ty::STRING {
                            read_str(src, report, 0, "string value")?;
                        } else {
                            read_value(src, report, elem_type, key, depth + 1, limits)?;
                        }
                    }
                }
            }
            KvValue::Array { elem_type, len }
        }
        other => {
            report.push(Anomaly::UnknownValueType {
                key: key.to_string(),
                value_type: other,
            });
            return Err(Halt::Done);
        }
    };
    Ok(value)
}
