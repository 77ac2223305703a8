//! Just enough HDF5 to read the root group's attributes, in pure Rust.
//!
//! Keras `.h5` models keep their architecture in the root attribute `model_config` (and
//! the compile arguments in `training_config`): JSON that names the layers, Lambda
//! bytecode included (research B29, B30). h5py writes Python `bytes` attributes as
//! fixed-length strings and `str` attributes as variable-length strings in a global heap.
//! This module finds the superblock (versions 0–3, at 0 or after a user block of 512,
//! 1024, 2048... bytes), follows the root group's object header (versions 1 and 2, with
//! continuation blocks) and decodes its attribute messages (versions 1–3): strings in
//! full, other types by class and element count only. Attributes kept in dense storage
//! (a fractal heap, used when a group has more than 8 attributes in `libver="latest"`
//! files) are read from the heap's direct blocks (the root block, or those its root
//! indirect block lists) and counted against the name index's B-tree header; huge
//! objects (over 4 KiB), deeper indirect blocks and filtered heaps are not read, and the
//! report says so.
//!
//! # Security
//!
//! HDF5 is a graph of addresses: every address and length is checked against the file
//! size before it is read, every read is bounded ([`MAX_HEADER_BYTES`],
//! [`crate::Limits::max_keras_config_bytes`] for attribute values and heap collections),
//! continuation chains are capped at [`MAX_CONTINUATIONS`] blocks and a block seen twice
//! stops the chain (a cycle), and header messages are capped at [`MAX_MESSAGES`].
//! Checksums of version 2 structures are verified; a mismatch is reported, not fatal,
//! because the HDF5 library refuses such files while other readers may not.

mod checksum;

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};

pub use checksum::lookup3;

use crate::{FormatError, LimitKind, Limits};

/// The 8-byte HDF5 format signature.
pub const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Most continuation blocks followed in one object header.
pub const MAX_CONTINUATIONS: usize = 256;

/// Most header messages read in one object header.
pub const MAX_MESSAGES: usize = 65_536;

/// Most bytes of one object header block (chunk) read.
pub const MAX_HEADER_BYTES: u64 = 16 << 20;

/// Most elements of one attribute decoded (strings or heap references).
pub const MAX_ATTRIBUTE_ELEMENTS: u64 = 65_536;

/// Most user-block sizes tried when looking for the superblock (512 B up to 256 GiB).
const SUPERBLOCK_PROBES: u32 = 30;

/// Most anomalies kept.
pub const MAX_ANOMALIES: usize = 64;

/// A root attribute's decoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    /// Fixed- or variable-length strings, one per element, as bytes.
    Strings(Vec<Vec<u8>>),
    /// Any other datatype: its HDF5 class number and element count.
    Other {
        /// Datatype class (0 integer, 1 float, 6 compound, 9 variable-length...).
        class: u8,
        /// Number of elements.
        elements: u64,
    },
}

/// One attribute of the root group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Its name, lossily decoded.
    pub name: String,
    /// Its value, or why it could not be read.
    pub value: Result<AttrValue, String>,
}

/// Something wrong that did not stop the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    /// Absolute byte offset of the structure.
    pub offset: u64,
    /// What is wrong, for a person.
    pub what: String,
}

/// What [`read_root_attributes`] learned.
#[derive(Debug, Default)]
pub struct H5Report {
    /// Where the superblock starts (the user block's size).
    pub superblock_offset: u64,
    /// Superblock version (0 to 3), once read.
    pub superblock_version: Option<u8>,
    /// The root group's attributes in header order.
    pub attributes: Vec<Attribute>,
    /// The root group keeps attributes in dense storage that were not all read (huge
    /// objects, child indirect blocks, filtered heaps, or a count that does not match
    /// the name index).
    pub dense_attributes: bool,
    /// Problems that did not stop the reader (checksums, unreadable attributes...).
    pub anomalies: Vec<Anomaly>,
    /// Why reading stopped early, if it did.
    pub stopped: Option<FormatError>,
}

impl H5Report {
    /// The attribute `name` as one string, if it is a string attribute with one element.
    pub fn string_attribute(&self, name: &str) -> Option<&[u8]> {
        self.attributes.iter().find_map(|a| match &a.value {
            Ok(AttrValue::Strings(values)) if a.name == name => values.first().map(Vec::as_slice),
            _ => None,
        })
    }
}

/// Random-access reads bounded by the file's real length.
struct Source<'r, R> {
    reader: &'r mut R,
    len: u64,
    /// When the source is a prefix of a longer layer, reads past it are a limit, not a truncation.
    partial: bool,
    limits: &'r Limits,
}

impl<R: Read + Seek> Source<'_, R> {
    fn read(&mut self, at: u64, n: u64, what: &'static str) -> Result<Vec<u8>, FormatError> {
        let end = at.checked_add(n).ok_or(FormatError::Invalid {
            offset: at.min(self.len),
            reason: format!("{what}: address {at:#x} + {n} bytes overflows"),
        })?;
        if end > self.len {
            if self.partial {
                return Err(FormatError::LimitExceeded {
                    limit: LimitKind::BufferedBytes,
                    value: end,
                    max: self.len,
                    offset: at.min(self.len),
                });
            }
            return Err(FormatError::Truncated {
                offset: at.min(self.len),
                what,
            });
        }
        let size = usize::try_from(n).map_err(|_| FormatError::Invalid {
            offset: at.min(self.len),
            reason: format!("{what}: length {n} does not fit in memory"),
        })?;
        self.reader
            .seek(SeekFrom::Start(at))
            .map_err(|e| FormatError::from_io(at, what, e))?;
        let mut buf = vec![0; size];
        self.reader
            .read_exact(&mut buf)
            .map_err(|e| FormatError::from_io(at, what, e))?;
        Ok(buf)
    }
}

/// A cursor over bytes read from `base`, giving absolute offsets in errors.
struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    what: &'static str,
}

impl<'a> Bytes<'a> {
    fn new(data: &'a [u8], base: u64, what: &'static str) -> Self {
        Bytes {
            data,
            pos: 0,
            base,
            what,
        }
    }

    fn at(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn left(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        let out = self
            .pos
            .checked_add(n)
            .and_then(|end| self.data.get(self.pos..end))
            .ok_or(FormatError::Truncated {
                offset: self.at(),
                what: self.what,
            })?;
        self.pos += n;
        Ok(out)
    }

    fn skip(&mut self, n: usize) -> Result<(), FormatError> {
        self.take(n).map(|_| ())
    }

    fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.uint(1)? as u8)
    }

    fn u16(&mut self) -> Result<u16, FormatError> {
        Ok(self.uint(2)? as u16)
    }

    fn u32(&mut self) -> Result<u32, FormatError> {
        Ok(self.uint(4)? as u32)
    }

    /// A little-endian unsigned integer of 1 to 8 bytes.
    fn uint(&mut self, width: usize) -> Result<u64, FormatError> {
        let bytes = self.take(width.min(8))?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }
}

/// Sizes and base address from the superblock.
#[derive(Clone, Copy)]
struct Geometry {
    offsets: usize,
    lengths: usize,
    base: u64,
}

impl Geometry {
    /// An address field; `None` for the undefined address (all bits set).
    fn addr(&self, bytes: &mut Bytes<'_>) -> Result<Option<u64>, FormatError> {
        let raw = bytes.uint(self.offsets)?;
        let undefined = if self.offsets >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * self.offsets)) - 1
        };
        Ok((raw != undefined).then_some(raw))
    }

    fn length(&self, bytes: &mut Bytes<'_>) -> Result<u64, FormatError> {
        bytes.uint(self.lengths)
    }

    /// An address made absolute (relative to the base address).
    fn absolute(&self, addr: u64, at: u64) -> Result<u64, FormatError> {
        self.base.checked_add(addr).ok_or(FormatError::Invalid {
            offset: at,
            reason: format!("address {addr:#x} overflows past the base address"),
        })
    }
}

/// Reads the root group's attributes of an HDF5 file of `len` bytes.
///
/// `partial` says `reader` holds only a prefix of a longer layer (buffered up to
/// [`Limits::max_buffered_bytes`]): reads past it then stop with a limit.
pub fn read_root_attributes<R: Read + Seek>(
    reader: &mut R,
    len: u64,
    partial: bool,
    limits: &Limits,
) -> H5Report {
    let mut report = H5Report::default();
    let mut source = Source {
        reader,
        len,
        partial,
        limits,
    };
    if let Err(error) = read(&mut source, &mut report) {
        report.stopped = Some(error);
    }
    report
}

fn anomaly(report: &mut H5Report, offset: u64, what: String) {
    if report.anomalies.len() < MAX_ANOMALIES {
        report.anomalies.push(Anomaly { offset, what });
    }
}

fn find_superblock<R: Read + Seek>(source: &mut Source<'_, R>) -> Result<u64, FormatError> {
    let mut at = 0u64;
    for probe in 0..SUPERBLOCK_PROBES {
        if at.saturating_add(8) > source.len {
            break;
        }
        if source.read(at, 8, "signature")? == SIGNATURE {
            return Ok(at);
        }
        at = 512u64 << probe;
    }
    Err(FormatError::Invalid {
        offset: 0,
        reason: "no HDF5 signature at 0 or at a power of two from 512".to_owned(),
    })
}

fn read<R: Read + Seek>(
    source: &mut Source<'_, R>,
    report: &mut H5Report,
) -> Result<(), FormatError> {
    let sb = find_superblock(source)?;
    report.superblock_offset = sb;
    // The largest superblock (v1 with 8-byte fields) is 8+16+4+4·8+40 = 100 bytes.
    let head = source.read(sb, 12.min(source.len - sb), "superblock")?;
    let mut bytes = Bytes::new(&head, sb, "superblock");
    bytes.skip(8)?;
    let version = bytes.u8()?;
    report.superblock_version = Some(version);
    let (geometry, root) = match version {
        0 | 1 => superblock_v0(source, sb, version)?,
        2 | 3 => superblock_v2(source, sb, report)?,
        other => {
            return Err(FormatError::Unsupported {
                offset: sb + 8,
                what: format!("superblock version {other}"),
            });
        }
    };
    let root = geometry.absolute(root, sb)?;
    let messages = read_object_header(source, geometry, root, report)?;
    let mut heaps = Heaps::default();
    for message in messages {
        match message.kind {
            ATTRIBUTE => {
                if message.flags & 0x02 != 0 {
                    anomaly(
                        report,
                        message.offset,
                        "a shared attribute message (stored elsewhere) was not read".to_owned(),
                    );
                    continue;
                }
                match attribute(source, geometry, &message.data, message.offset, &mut heaps) {
                    Ok((attribute, _)) => report.attributes.push(attribute),
                    Err(error @ FormatError::LimitExceeded { .. }) => return Err(error),
                    Err(error) => anomaly(
                        report,
                        error.offset(),
                        format!("attribute message could not be read: {error}"),
                    ),
                }
            }
            ATTRIBUTE_INFO => {
                let mut bytes = Bytes::new(&message.data, message.offset, "attribute info");
                let _version = bytes.u8()?;
                let flags = bytes.u8()?;
                if flags & 0x01 != 0 {
                    bytes.skip(2)?;
                }
                let heap = geometry.addr(&mut bytes)?;
                let index = geometry.addr(&mut bytes)?;
                if let Some(heap) = heap {
                    let heap = geometry.absolute(heap, message.offset)?;
                    let index = index
                        .map(|i| geometry.absolute(i, message.offset))
                        .transpose()?;
                    match dense_attributes(source, geometry, heap, index, &mut heaps) {
                        Ok(Dense {
                            attributes,
                            complete,
                        }) => {
                            report.attributes.extend(attributes);
                            report.dense_attributes |= !complete;
                        }
                        Err(error @ FormatError::LimitExceeded { .. }) => return Err(error),
                        Err(error) => {
                            report.dense_attributes = true;
                            anomaly(
                                report,
                                error.offset(),
                                format!("dense attribute storage could not be read: {error}"),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_sizes(offsets: u8, lengths: u8, at: u64) -> Result<(), FormatError> {
    for (what, size) in [("offsets", offsets), ("lengths", lengths)] {
        if !matches!(size, 2 | 4 | 8) {
            return Err(FormatError::Invalid {
                offset: at,
                reason: format!("size of {what} is {size}, not 2, 4 or 8"),
            });
        }
    }
    Ok(())
}

fn superblock_v0<R: Read + Seek>(
    source: &mut Source<'_, R>,
    sb: u64,
    version: u8,
) -> Result<(Geometry, u64), FormatError> {
    let fixed = if version == 1 { 28 } else { 24 };
    let head = source.read(sb, fixed, "superblock")?;
    let mut bytes = Bytes::new(&head, sb, "superblock");
    bytes.skip(13)?;
    let offsets = bytes.u8()?;
    let lengths = bytes.u8()?;
    check_sizes(offsets, lengths, sb + 13)?;
    let o = u64::from(offsets);
    // base, free-space, end-of-file and driver addresses, then the root symbol table
    // entry: link name offset, object header address.
    let rest = source.read(sb + fixed, 6 * o, "superblock")?;
    let geometry = Geometry {
        offsets: usize::from(offsets),
        lengths: usize::from(lengths),
        base: 0,
    };
    let mut bytes = Bytes::new(&rest, sb + fixed, "superblock");
    let base = geometry.addr(&mut bytes)?.unwrap_or(0);
    let _free = geometry.addr(&mut bytes)?;
    let _eof = geometry.addr(&mut bytes)?;
    let _driver = geometry.addr(&mut bytes)?;
    let _name = geometry.addr(&mut bytes)?;
    let at = bytes.at();
    let root = geometry.addr(&mut bytes)?.ok_or(FormatError::Invalid {
        offset: at,
        reason: "root group object header address is undefined".to_owned(),
    })?;
    Ok((Geometry { base, ..geometry }, root))
}

fn superblock_v2<R: Read + Seek>(
    source: &mut Source<'_, R>,
    sb: u64,
    report: &mut H5Report,
) -> Result<(Geometry, u64), FormatError> {
    let head = source.read(sb, 12, "superblock")?;
    let mut bytes = Bytes::new(&head, sb, "superblock");
    bytes.skip(9)?;
    let offsets = bytes.u8()?;
    let lengths = bytes.u8()?;
    check_sizes(offsets, lengths, sb + 9)?;
    let size = 12 + 4 * u64::from(offsets);
    let all = source.read(sb, size + 4, "superblock")?;
    let geometry = Geometry {
        offsets: usize::from(offsets),
        lengths: usize::from(lengths),
        base: 0,
    };
    let mut bytes = Bytes::new(&all, sb, "superblock");
    bytes.skip(12)?;
    let base = geometry.addr(&mut bytes)?.unwrap_or(0);
    let _extension = geometry.addr(&mut bytes)?;
    let _eof = geometry.addr(&mut bytes)?;
    let at = bytes.at();
    let root = geometry.addr(&mut bytes)?.ok_or(FormatError::Invalid {
        offset: at,
        reason: "root group object header address is undefined".to_owned(),
    })?;
    let stored = bytes.u32()?;
    verify(report, &all, sb, "superblock", stored);
    Ok((Geometry { base, ..geometry }, root))
}

/// Checks a lookup3 checksum over everything in `block` before its last four bytes.
fn verify(report: &mut H5Report, block: &[u8], at: u64, what: &str, stored: u32) {
    let body = block
        .get(..block.len().saturating_sub(4))
        .unwrap_or_default();
    let computed = lookup3(body, 0);
    if computed != stored {
        anomaly(
            report,
            at,
            format!("{what} checksum {stored:#010x} does not match its content ({computed:#010x})"),
        );
    }
}

const CONTINUATION: u16 = 0x10;
const ATTRIBUTE: u16 = 0x0C;
const ATTRIBUTE_INFO: u16 = 0x15;

/// One header message with its absolute offset.
struct Message {
    kind: u16,
    flags: u8,
    offset: u64,
    data: Vec<u8>,
}

fn read_object_header<R: Read + Seek>(
    source: &mut Source<'_, R>,
    geometry: Geometry,
    at: u64,
    report: &mut H5Report,
) -> Result<Vec<Message>, FormatError> {
    let first = source.read(at, 4.min(source.len.saturating_sub(at)), "object header")?;
    if first.as_slice() == b"OHDR" {
        read_header_v2(source, geometry, at, report)
    } else {
        read_header_v1(source, geometry, at, report)
    }
}

/// A continuation message's target block: (absolute address, length).
fn continuation(geometry: Geometry, message: &Message) -> Result<(u64, u64), FormatError> {
    let mut bytes = Bytes::new(&message.data, message.offset, "continuation message");
    let at = bytes.at();
    let addr = geometry.addr(&mut bytes)?.ok_or(FormatError::Invalid {
        offset: at,
        reason: "continuation block address is undefined".to_owned(),
    })?;
    let len = geometry.length(&mut bytes)?;
    Ok((geometry.absolute(addr, at)?, len))
}

/// The blocks of one object header: those seen (for cycles), those left to read, and
/// the bytes they add up to (bounded by [`MAX_HEADER_BYTES`] for the whole header).
#[derive(Default)]
struct Chain {
    seen: HashSet<u64>,
    queue: Vec<(u64, u64)>,
    bytes: u64,
}

impl Chain {
    /// Counts a block's bytes against the header's cap.
    fn count(&mut self, len: u64, from: u64) -> Result<(), FormatError> {
        self.bytes = self.bytes.saturating_add(len);
        if self.bytes > MAX_HEADER_BYTES {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::Hdf5Structure,
                value: self.bytes,
                max: MAX_HEADER_BYTES,
                offset: from,
            });
        }
        Ok(())
    }

    /// Queues a continuation block unless it was seen before or the caps are reached.
    fn push(&mut self, block: (u64, u64), from: u64) -> Result<(), FormatError> {
        if !self.seen.insert(block.0) {
            return Err(FormatError::Invalid {
                offset: from,
                reason: format!(
                    "continuation block at {:#x} is reached twice: the chain has a cycle",
                    block.0
                ),
            });
        }
        if self.seen.len() > MAX_CONTINUATIONS {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::Hdf5Structure,
                value: self.seen.len() as u64,
                max: MAX_CONTINUATIONS as u64,
                offset: from,
            });
        }
        self.count(block.1, from)?;
        self.queue.push(block);
        Ok(())
    }
}

fn push_message(messages: &mut Vec<Message>, message: Message) -> Result<(), FormatError> {
    if messages.len() >= MAX_MESSAGES {
        return Err(FormatError::LimitExceeded {
            limit: LimitKind::Hdf5Structure,
            value: messages.len() as u64 + 1,
            max: MAX_MESSAGES as u64,
            offset: message.offset,
        });
    }
    messages.push(message);
    Ok(())
}

fn read_header_v1<R: Read + Seek>(
    source: &mut Source<'_, R>,
    geometry: Geometry,
    at: u64,
    _report: &mut H5Report,
) -> Result<Vec<Message>, FormatError> {
    let head = source.read(at, 16, "object header")?;
    let mut bytes = Bytes::new(&head, at, "object header");
    let version = bytes.u8()?;
    if version != 1 {
        return Err(FormatError::Invalid {
            offset: at,
            reason: format!("object header version {version}, neither 1 nor an OHDR signature"),
        });
    }
    bytes.skip(1)?;
    let count = usize::from(bytes.u16()?);
    let _refs = bytes.u32()?;
    let size = u64::from(bytes.u32()?);
    if size > MAX_HEADER_BYTES {
        return Err(FormatError::LimitExceeded {
            limit: LimitKind::Hdf5Structure,
            value: size,
            max: MAX_HEADER_BYTES,
            offset: at,
        });
    }
    let mut messages = Vec::new();
    let mut chain = Chain::default();
    chain.push((at + 16, size), at)?;
    let mut read = 0usize;
    while let Some((block_at, block_len)) = chain.queue.pop() {
        let block = source.read(block_at, block_len, "object header block")?;
        let mut bytes = Bytes::new(&block, block_at, "object header message");
        while bytes.left() >= 8 && read < count {
            let offset = bytes.at();
            let kind = bytes.u16()?;
            let size = usize::from(bytes.u16()?);
            let flags = bytes.u8()?;
            bytes.skip(3)?;
            let data = bytes.take(size)?.to_vec();
            read += 1;
            let message = Message {
                kind,
                flags,
                offset: offset + 8,
                data,
            };
            if message.kind == CONTINUATION {
                let target = continuation(geometry, &message)?;
                chain.push(target, offset)?;
            }
            push_message(&mut messages, message)?;
        }
    }
    Ok(messages)
}

fn read_header_v2<R: Read + Seek>(
    source: &mut Source<'_, R>,
    geometry: Geometry,
    at: u64,
    report: &mut H5Report,
) -> Result<Vec<Message>, FormatError> {
    // Signature, version, flags, up to 16 bytes of times, 4 of phase change, 8 of size.
    let probe = source.read(at, 6, "object header")?;
    let mut bytes = Bytes::new(&probe, at, "object header");
    bytes.skip(4)?;
    let version = bytes.u8()?;
    if version != 2 {
        return Err(FormatError::Invalid {
            offset: at + 4,
            reason: format!("OHDR object header version {version}, not 2"),
        });
    }
    let flags = bytes.u8()?;
    let width = 1usize << (flags & 0x03);
    let mut prefix = 6u64;
    if flags & 0x20 != 0 {
        prefix += 16;
    }
    if flags & 0x10 != 0 {
        prefix += 4;
    }
    let size_bytes = source.read(at + prefix, width as u64, "object header")?;
    let chunk = Bytes::new(&size_bytes, at + prefix, "object header").uint(width)?;
    if chunk > MAX_HEADER_BYTES {
        return Err(FormatError::LimitExceeded {
            limit: LimitKind::Hdf5Structure,
            value: chunk,
            max: MAX_HEADER_BYTES,
            offset: at + prefix,
        });
    }
    let header_len = prefix + width as u64;
    let order = flags & 0x04 != 0;
    let whole = source.read(at, header_len + chunk + 4, "object header")?;
    let stored = Bytes::new(&whole, at, "checksum")
        .take(whole.len())
        .ok()
        .and_then(|b| b.get(b.len().saturating_sub(4)..))
        .map(|b| u32::from_le_bytes(<[u8; 4]>::try_from(b).unwrap_or_default()))
        .unwrap_or_default();
    verify(report, &whole, at, "object header", stored);
    let mut messages = Vec::new();
    let mut chain = Chain::default();
    chain.seen.insert(at);
    chain.count(chunk, at)?;
    let body = whole
        .get(header_len as usize..whole.len().saturating_sub(4))
        .unwrap_or_default();
    v2_messages(
        body,
        at + header_len,
        order,
        geometry,
        &mut chain,
        &mut messages,
    )?;
    while let Some((block_at, block_len)) = chain.queue.pop() {
        let block = source.read(block_at, block_len, "continuation block")?;
        if block.get(..4) != Some(b"OCHK") {
            return Err(FormatError::Invalid {
                offset: block_at,
                reason: "continuation block does not start with OCHK".to_owned(),
            });
        }
        let stored = block
            .get(block.len().saturating_sub(4)..)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_le_bytes)
            .unwrap_or_default();
        verify(report, &block, block_at, "continuation block", stored);
        let body = block
            .get(4..block.len().saturating_sub(4))
            .unwrap_or_default();
        v2_messages(
            body,
            block_at + 4,
            order,
            geometry,
            &mut chain,
            &mut messages,
        )?;
    }
    Ok(messages)
}

fn v2_messages(
    body: &[u8],
    base: u64,
    order: bool,
    geometry: Geometry,
    chain: &mut Chain,
    messages: &mut Vec<Message>,
) -> Result<(), FormatError> {
    let header = if order { 6 } else { 4 };
    let mut bytes = Bytes::new(body, base, "object header message");
    // A gap smaller than a message header may end the block.
    while bytes.left() >= header {
        let offset = bytes.at();
        let kind = u16::from(bytes.u8()?);
        let size = usize::from(bytes.u16()?);
        let flags = bytes.u8()?;
        if order {
            bytes.skip(2)?;
        }
        let data = bytes.take(size)?.to_vec();
        let message = Message {
            kind,
            flags,
            offset: offset + header as u64,
            data,
        };
        if message.kind == CONTINUATION {
            let target = continuation(geometry, &message)?;
            chain.push(target, offset)?;
        }
        push_message(messages, message)?;
    }
    Ok(())
}

/// Global heap collections already read, by address.
#[derive(Default)]
struct Heaps {
    collections: HashMap<u64, Collection>,
    /// Bytes of collections read.
    bytes: u64,
    /// Bytes of variable-length strings claimed so far.
    strings: u64,
}

/// One global heap collection with its objects indexed once, so that each lookup is
/// constant time however many strings refer to it.
struct Collection {
    data: Vec<u8>,
    /// Object index → (start, size, absolute offset of its header).
    objects: HashMap<u16, (usize, usize, u64)>,
}

impl Collection {
    fn new(data: Vec<u8>, addr: u64, geometry: Geometry) -> Self {
        let mut objects = HashMap::new();
        let mut bytes = Bytes::new(&data, addr, "global heap object");
        let _ = bytes.skip(8 + geometry.lengths);
        while bytes.left() >= 8 + geometry.lengths {
            let at = bytes.at();
            let (Ok(id), Ok(()), Ok(size)) =
                (bytes.u16(), bytes.skip(6), geometry.length(&mut bytes))
            else {
                break;
            };
            if id == 0 {
                break; // free space: the rest of the collection
            }
            let start = bytes.pos;
            let Ok(size) = usize::try_from(size) else {
                break;
            };
            if bytes.skip(size).is_err() || bytes.skip(size.div_ceil(8) * 8 - size).is_err() {
                break;
            }
            objects.entry(id).or_insert((start, size, at));
        }
        Collection { data, objects }
    }
}

/// Decodes one attribute message; also returns how many bytes it spans, when known
/// (not for shared datatypes), so that packed messages can be read one after another.
fn attribute<R: Read + Seek>(
    source: &mut Source<'_, R>,
    geometry: Geometry,
    data: &[u8],
    offset: u64,
    heaps: &mut Heaps,
) -> Result<(Attribute, Option<usize>), FormatError> {
    let mut bytes = Bytes::new(data, offset, "attribute message");
    let version = bytes.u8()?;
    let flags = bytes.u8()?;
    let name_len = usize::from(bytes.u16()?);
    let type_len = usize::from(bytes.u16()?);
    let space_len = usize::from(bytes.u16()?);
    let pad = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
    match version {
        1 | 2 => {}
        3 => bytes.skip(1)?,
        other => {
            return Err(FormatError::Unsupported {
                offset,
                what: format!("attribute message version {other}"),
            });
        }
    }
    let raw_name = bytes.take(pad(name_len))?;
    let name_bytes = raw_name.get(..name_len).unwrap_or(raw_name);
    let name_bytes = name_bytes.split(|&b| b == 0).next().unwrap_or_default();
    let name = String::from_utf8_lossy(name_bytes).into_owned();
    let datatype_at = bytes.at();
    let datatype = bytes.take(pad(type_len))?;
    let dataspace_at = bytes.at();
    let dataspace = bytes.take(pad(space_len))?;
    if version > 1 && flags & 0x03 != 0 {
        let attribute = Attribute {
            name,
            value: Err("its datatype or dataspace is shared and was not read".to_owned()),
        };
        return Ok((attribute, None));
    }
    let elements = elements(geometry, dataspace, dataspace_at)?;
    let mut types = Bytes::new(datatype, datatype_at, "datatype");
    let class_version = types.u8()?;
    let class = class_version & 0x0F;
    let bits = types.take(3)?;
    let size = u64::from(types.u32()?);
    let value = match class {
        3 => {
            let data = element_data(&mut bytes, elements, size)?;
            let padding = bits.first().copied().unwrap_or_default() & 0x0F;
            Ok(AttrValue::Strings(
                data.chunks(size.max(1) as usize)
                    .map(|s| trim(s, padding))
                    .collect(),
            ))
        }
        9 if bits.first().copied().unwrap_or_default() & 0x0F == 1 => {
            let width = 4 + geometry.offsets as u64 + 4;
            let data = element_data(&mut bytes, elements, width)?;
            let mut values = Vec::new();
            for (i, element) in data.chunks(width as usize).enumerate() {
                let at = bytes.at() - data.len() as u64 + (i as u64) * width;
                let mut e = Bytes::new(element, at, "variable-length string");
                let len = u64::from(e.u32()?);
                let collection = geometry.addr(&mut e)?;
                let index = e.u32()?;
                // Counted over every attribute of the file, not per attribute.
                heaps.strings = heaps.strings.saturating_add(len);
                if heaps.strings > source.limits.max_keras_config_bytes {
                    return Err(FormatError::LimitExceeded {
                        limit: LimitKind::KerasConfigBytes,
                        value: heaps.strings,
                        max: source.limits.max_keras_config_bytes,
                        offset: at,
                    });
                }
                match collection {
                    Some(addr) if len > 0 => {
                        let addr = geometry.absolute(addr, at)?;
                        values.push(heap_object(source, geometry, heaps, addr, index, len, at)?);
                    }
                    _ => values.push(Vec::new()),
                }
            }
            Ok(AttrValue::Strings(values))
        }
        _ => {
            element_data(&mut bytes, elements, size)?;
            Ok(AttrValue::Other { class, elements })
        }
    };
    Ok((Attribute { name, value }, Some(bytes.pos)))
}

fn element_data<'a>(
    bytes: &mut Bytes<'a>,
    elements: u64,
    size: u64,
) -> Result<&'a [u8], FormatError> {
    if elements > MAX_ATTRIBUTE_ELEMENTS {
        return Err(FormatError::LimitExceeded {
            limit: LimitKind::Hdf5Structure,
            value: elements,
            max: MAX_ATTRIBUTE_ELEMENTS,
            offset: bytes.at(),
        });
    }
    let total = elements.checked_mul(size).ok_or(FormatError::Invalid {
        offset: bytes.at(),
        reason: "attribute size overflows".to_owned(),
    })?;
    let total = usize::try_from(total).map_err(|_| FormatError::Invalid {
        offset: bytes.at(),
        reason: "attribute size overflows".to_owned(),
    })?;
    bytes.take(total)
}

/// A fixed-length string element without its padding.
fn trim(s: &[u8], padding: u8) -> Vec<u8> {
    match padding {
        // null-terminated or null-padded
        0 | 1 => s.split(|&b| b == 0).next().unwrap_or_default().to_vec(),
        _ => {
            let end = s.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1);
            s.get(..end).unwrap_or_default().to_vec()
        }
    }
}

/// Number of elements a dataspace message describes.
fn elements(geometry: Geometry, space: &[u8], at: u64) -> Result<u64, FormatError> {
    let mut bytes = Bytes::new(space, at, "dataspace");
    let version = bytes.u8()?;
    let rank = bytes.u8()?;
    let _flags = bytes.u8()?;
    match version {
        1 => bytes.skip(5)?,
        2 => {
            if bytes.u8()? == 2 {
                return Ok(0); // null dataspace
            }
        }
        other => {
            return Err(FormatError::Unsupported {
                offset: at,
                what: format!("dataspace version {other}"),
            });
        }
    }
    let mut count = 1u64;
    for _ in 0..rank {
        let dim = geometry.length(&mut bytes)?;
        count = count.checked_mul(dim).ok_or(FormatError::Invalid {
            offset: at,
            reason: "dataspace element count overflows".to_owned(),
        })?;
    }
    Ok(count)
}

/// One object of a global heap collection.
fn heap_object<R: Read + Seek>(
    source: &mut Source<'_, R>,
    geometry: Geometry,
    heaps: &mut Heaps,
    addr: u64,
    index: u32,
    len: u64,
    from: u64,
) -> Result<Vec<u8>, FormatError> {
    if !heaps.collections.contains_key(&addr) {
        let head = source.read(addr, 8 + geometry.lengths as u64, "global heap collection")?;
        let mut bytes = Bytes::new(&head, addr, "global heap collection");
        if bytes.take(4)? != b"GCOL" {
            return Err(FormatError::Invalid {
                offset: addr,
                reason: format!(
                    "no global heap collection (GCOL) at {addr:#x}, referred to from byte {from}"
                ),
            });
        }
        bytes.skip(4)?;
        let size = geometry.length(&mut bytes)?;
        let cap = source.limits.max_keras_config_bytes.saturating_add(1 << 20);
        if heaps.bytes.saturating_add(size) > cap {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::KerasConfigBytes,
                value: heaps.bytes.saturating_add(size),
                max: cap,
                offset: addr,
            });
        }
        let data = source.read(addr, size, "global heap collection")?;
        heaps.bytes += size;
        heaps
            .collections
            .insert(addr, Collection::new(data, addr, geometry));
    }
    let found = heaps.collections.get(&addr).and_then(|c| {
        let (start, size, at) = *c.objects.get(&u16::try_from(index).ok()?)?;
        Some((c.data.get(start..start + size)?, size, at))
    });
    if let Some((object, size, at)) = found {
        let n = usize::try_from(len).unwrap_or(usize::MAX);
        return object
            .get(..n)
            .map(<[u8]>::to_vec)
            .ok_or(FormatError::Invalid {
                offset: at,
                reason: format!("string of {len} bytes is longer than its heap object ({size})"),
            });
    }
    Err(FormatError::Invalid {
        offset: addr,
        reason: format!(
            "global heap collection at {addr:#x} has no object {index} (referred to from byte {from})"
        ),
    })
}

/// Attributes read from dense storage, and whether they are all of them.
struct Dense {
    attributes: Vec<Attribute>,
    complete: bool,
}

/// Fields of a fractal heap header that locate its direct blocks.
struct FractalHeap {
    checksummed_blocks: bool,
    filtered: bool,
    width: u64,
    start_block: u64,
    max_direct: u64,
    offset_bytes: u64,
    root: Option<u64>,
    rows: u64,
}

fn fractal_heap<R: Read + Seek>(
    source: &mut Source<'_, R>,
    geometry: Geometry,
    at: u64,
) -> Result<FractalHeap, FormatError> {
    let (o, l) = (geometry.offsets, geometry.lengths);
    let size = 4 + 1 + 2 + 2 + 1 + 4 + 10 * l + 2 * o + 2 + 2 * l + 2 + 2 + o + 2;
    let data = source.read(at, size as u64, "fractal heap header")?;
    let mut bytes = Bytes::new(&data, at, "fractal heap header");
    if bytes.take(4)? != b"FRHP" {
        return Err(FormatError::Invalid {
            offset: at,
            reason: "dense attribute storage does not point to a fractal heap (FRHP)".to_owned(),
        });
    }
    bytes.skip(1 + 2)?; // version, heap ID length
    let filter_len = bytes.u16()?;
    let flags = bytes.u8()?;
    bytes.skip(4)?; // maximum managed object size
    bytes.skip(l)?; // next huge object ID
    bytes.skip(o)?; // huge object B-tree
    bytes.skip(l)?; // free space
    bytes.skip(o)?; // free-space manager
    bytes.skip(8 * l)?; // managed, allocated, iterator, managed count, huge size/count, tiny size/count
    let width = u64::from(bytes.u16()?);
    let start_block = geometry.length(&mut bytes)?;
    let max_direct = geometry.length(&mut bytes)?;
    let max_heap_bits = u64::from(bytes.u16()?);
    bytes.skip(2)?; // starting rows
    let root = geometry
        .addr(&mut bytes)?
        .map(|r| geometry.absolute(r, at))
        .transpose()?;
    let rows = u64::from(bytes.u16()?);
    let power = |n: u64| n.is_power_of_two();
    if width == 0
        || !power(width)
        || !power(start_block)
        || !power(max_direct)
        || max_direct < start_block
    {
        return Err(FormatError::Invalid {
            offset: at,
            reason: format!(
                "fractal heap table width {width}, starting block {start_block} or maximum direct block {max_direct} is not a power of two"
            ),
        });
    }
    Ok(FractalHeap {
        checksummed_blocks: flags & 0x02 != 0,
        filtered: filter_len > 0,
        width,
        start_block,
        max_direct,
        offset_bytes: max_heap_bits.div_ceil(8),
        root,
        rows,
    })
}

/// Reads attribute messages packed in the direct blocks of a fractal heap (the root
/// block, or the direct blocks its root indirect block lists), and compares their count
/// with the name index's record count. Deeper indirect blocks and filtered heaps are
/// not read (`complete` is then false).
fn dense_attributes<R: Read + Seek>(
    source: &mut Source<'_, R>,
    geometry: Geometry,
    heap_at: u64,
    index: Option<u64>,
    heaps: &mut Heaps,
) -> Result<Dense, FormatError> {
    let heap = fractal_heap(source, geometry, heap_at)?;
    let mut dense = Dense {
        attributes: Vec::new(),
        complete: true,
    };
    let Some(root) = heap.root else {
        dense.complete = index.is_none();
        return Ok(dense);
    };
    if heap.filtered {
        dense.complete = false;
        return Ok(dense);
    }
    let mut blocks = Vec::new();
    if heap.rows == 0 {
        blocks.push((root, heap.start_block));
    } else {
        let o = geometry.offsets as u64;
        let max_direct_rows = u64::from(heap.max_direct.trailing_zeros())
            .saturating_sub(u64::from(heap.start_block.trailing_zeros()))
            + 2;
        let direct_rows = heap.rows.min(max_direct_rows);
        let entries = heap
            .rows
            .checked_mul(heap.width)
            .filter(|n| *n <= 4096)
            .ok_or(FormatError::LimitExceeded {
                limit: LimitKind::Hdf5Structure,
                value: heap.rows.saturating_mul(heap.width),
                max: 4096,
                offset: heap_at,
            })?;
        let head = 5 + o + heap.offset_bytes;
        let data = source.read(root, head + entries * o, "fractal heap indirect block")?;
        if data.get(..4) != Some(b"FHIB") {
            return Err(FormatError::Invalid {
                offset: root,
                reason: "fractal heap root indirect block does not start with FHIB".to_owned(),
            });
        }
        let mut bytes = Bytes::new(&data, root, "fractal heap indirect block");
        bytes.skip(head as usize)?;
        for row in 0..heap.rows {
            let size = if row == 0 {
                heap.start_block
            } else {
                heap.start_block
                    .checked_shl((row - 1) as u32)
                    .unwrap_or(u64::MAX)
            };
            for _ in 0..heap.width {
                let at = bytes.at();
                let Some(addr) = geometry.addr(&mut bytes)? else {
                    continue;
                };
                if row < direct_rows {
                    blocks.push((geometry.absolute(addr, at)?, size));
                } else {
                    dense.complete = false; // a child indirect block
                }
            }
        }
    }
    let mut total = 0u64;
    for (at, size) in blocks {
        total = total.saturating_add(size);
        if total > source.limits.max_keras_config_bytes {
            // Reported at the heap header: the block's address is not yet checked.
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::KerasConfigBytes,
                value: total,
                max: source.limits.max_keras_config_bytes,
                offset: heap_at,
            });
        }
        let data = source.read(at, size, "fractal heap direct block")?;
        if data.get(..4) != Some(b"FHDB") {
            return Err(FormatError::Invalid {
                offset: at,
                reason: "fractal heap direct block does not start with FHDB".to_owned(),
            });
        }
        let head = 5
            + geometry.offsets as u64
            + heap.offset_bytes
            + if heap.checksummed_blocks { 4 } else { 0 };
        let mut pos = head as usize;
        // Objects are allocated one after another; zeroed free space ends them.
        while let Some(rest) = data.get(pos..) {
            if rest.first().is_none_or(|&v| v == 0) {
                break;
            }
            match attribute(source, geometry, rest, at + pos as u64, heaps)? {
                (attribute, Some(len)) if len > 0 => {
                    dense.attributes.push(attribute);
                    pos += len;
                }
                (attribute, _) => {
                    dense.attributes.push(attribute);
                    dense.complete = false;
                    break;
                }
            }
            if dense.attributes.len() > MAX_MESSAGES {
                return Err(FormatError::LimitExceeded {
                    limit: LimitKind::Hdf5Structure,
                    value: dense.attributes.len() as u64,
                    max: MAX_MESSAGES as u64,
                    offset: at,
                });
            }
        }
    }
    if let Some(index) = index {
        let expected = btree_records(source, geometry, index)?;
        if expected != dense.attributes.len() as u64 {
            dense.complete = false;
        }
    } else {
        dense.complete = false;
    }
    Ok(dense)
}

/// The total record count in a version 2 B-tree header (the dense name index).
fn btree_records<R: Read + Seek>(
    source: &mut Source<'_, R>,
    geometry: Geometry,
    at: u64,
) -> Result<u64, FormatError> {
    let size = 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + geometry.offsets + 2 + geometry.lengths;
    let data = source.read(at, size as u64, "B-tree header")?;
    let mut bytes = Bytes::new(&data, at, "B-tree header");
    if bytes.take(4)? != b"BTHD" {
        return Err(FormatError::Invalid {
            offset: at,
            reason: "dense attribute name index is not a version 2 B-tree (BTHD)".to_owned(),
        });
    }
    bytes.skip(1 + 1 + 4 + 2 + 2 + 1 + 1)?;
    geometry.addr(&mut bytes)?;
    bytes.skip(2)?;
    geometry.length(&mut bytes)
}
