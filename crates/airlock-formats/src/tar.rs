//! Streaming reader for tar archives (POSIX ustar, GNU and pax extensions).
//!
//! Model bundles travel as `.tar`, `.tar.gz` or `.tar.xz`; a scanner that skips them
//! misses every pickle inside (research notes B28). [`walk`] reads an archive in one
//! forward pass and hands each regular member's content to a visitor, so members are
//! scanned by content like any file, without ever being written to disk. Members whose
//! names or link targets would land outside the extraction directory (`/etc/…`,
//! `../../…`) are reported, because `tarfile.extractall` and many scripts still follow
//! them.
//!
//! # Security
//!
//! Every input is hostile. Headers are checked (checksum, octal or base-256 sizes) before
//! anything is trusted; GNU long names and pax records are read only up to
//! [`MAX_EXTENSION_BYTES`]; member data is streamed to the visitor and never buffered;
//! the member count is bounded by [`Limits::max_archive_entries`]. Nothing is extracted.

use std::io::{self, Read};

use crate::paths::escapes;
use crate::zip::display_name;
use crate::{FormatError, LimitKind, Limits};

/// Size of a tar block; headers and padded data come in these.
const BLOCK: usize = 512;

/// Longest GNU long-name or pax extension record read into memory.
pub const MAX_EXTENSION_BYTES: u64 = 1 << 20;

/// Why a member deserves a look even though the archive is well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anomaly {
    /// A symbolic or hard link whose target is absolute or climbs out.
    LinkEscapes {
        /// The member name.
        name: Vec<u8>,
        /// The link target as stored.
        target: Vec<u8>,
        /// Offset of the member's header.
        offset: u64,
    },
    /// A header whose checksum does not match (readers differ: GNU tar refuses it,
    /// some libraries skip the check).
    BadChecksum {
        /// Offset of the header.
        offset: u64,
    },
}

impl Anomaly {
    /// Byte offset of the header concerned.
    pub fn offset(&self) -> u64 {
        match self {
            Anomaly::LinkEscapes { offset, .. } | Anomaly::BadChecksum { offset } => *offset,
        }
    }
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Anomaly::LinkEscapes { name, target, .. } => write!(
                f,
                "link member {} points to {}, outside the extraction directory",
                display_name(name),
                display_name(target)
            ),
            Anomaly::BadChecksum { offset } => {
                write!(f, "header at byte {offset} has a wrong checksum")
            }
        }
    }
}

/// One member as its header (and any GNU/pax extension before it) describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Full name (pax `path`, GNU long name, or ustar prefix + name).
    pub name: Vec<u8>,
    /// Type flag byte (`0` regular, `2` symlink, `5` directory, …).
    pub kind: u8,
    /// Size of the member's data.
    pub size: u64,
    /// Link target for links.
    pub link: Vec<u8>,
    /// Offset of the member's own header.
    pub header_offset: u64,
    /// Offset of its data.
    pub data_offset: u64,
}

/// What one walk learned, and how it stopped.
#[derive(Debug, Default)]
pub struct TarReport {
    /// Members in archive order (regular files, links, directories).
    pub members: Vec<Member>,
    /// Escaping names and links, bad checksums.
    pub anomalies: Vec<Anomaly>,
    /// Bytes consumed.
    pub bytes: u64,
    /// Why the walk ended before the end-of-archive blocks, if it did; everything before
    /// is kept.
    pub stopped: Option<FormatError>,
}

/// Called once per regular member with its header and its content.
pub type Visitor<'a> = dyn FnMut(&Member, &mut dyn Read) -> io::Result<()> + 'a;

/// Walks a tar archive in one forward pass, visiting every regular member's content.
///
/// Never fails: problems are [`TarReport::anomalies`] or [`TarReport::stopped`]. The
/// visitor may read as much of a member as it likes; the walk skips the rest.
pub fn walk<R: Read>(reader: R, limits: &Limits, visit: &mut Visitor<'_>) -> TarReport {
    let mut walker = Walker {
        src: Counted {
            inner: reader,
            pos: 0,
        },
        report: TarReport::default(),
    };
    if let Err(stop) = walker.run(limits, visit) {
        walker.report.stopped = Some(stop);
    }
    walker.report.bytes = walker.src.pos;
    walker.report
}

struct Counted<R> {
    inner: R,
    pos: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// A member's content: ends after its size, and fails (instead of ending quietly) when
/// the archive is cut short, so the layer reading it knows the content is incomplete.
struct Exact<'a, R> {
    inner: &'a mut Counted<R>,
    remaining: u64,
}

impl<R: Read> Read for Exact<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "tar archive ends inside a member",
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

struct Walker<R> {
    src: Counted<R>,
    report: TarReport,
}

/// Extensions that apply to the next header.
#[derive(Default)]
struct Pending {
    name: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    size: Option<u64>,
}

impl<R: Read> Walker<R> {
    fn run(&mut self, limits: &Limits, visit: &mut Visitor<'_>) -> Result<(), FormatError> {
        let mut pending = Pending::default();
        let mut entries: u64 = 0;
        loop {
            let offset = self.src.pos;
            let mut header = [0u8; BLOCK];
            if !self.read_block(&mut header, offset)? {
                // Plain end of input where a header could start: accepted, as tar does.
                return Ok(());
            }
            if header.iter().all(|&b| b == 0) {
                // End-of-archive marker; trailing blocks are not read.
                return Ok(());
            }
            entries += 1;
            if entries > limits.max_archive_entries {
                return Err(FormatError::LimitExceeded {
                    limit: LimitKind::ArchiveEntries,
                    value: entries,
                    max: limits.max_archive_entries,
                    offset,
                });
            }
            if !checksum_ok(&header) {
                if offset == 0 {
                    return Err(FormatError::Invalid {
                        offset,
                        reason: "first header has a wrong checksum: not a tar archive".into(),
                    });
                }
                self.report.anomalies.push(Anomaly::BadChecksum { offset });
            }
            let kind = header.get(156).copied().unwrap_or(0);
            let header_size =
                parse_size(field(&header, 124, 12)).ok_or_else(|| FormatError::Invalid {
                    offset: offset + 124,
                    reason: "size field is neither octal nor base-256".into(),
                })?;
            let size = pending.size.take().unwrap_or(header_size);
            let data_offset = offset + BLOCK as u64;
            match kind {
                b'L' | b'K' | b'x' | b'g' => {
                    let data = self.read_extension(size, data_offset)?;
                    match kind {
                        b'L' => pending.name = Some(trim_nul(&data).to_vec()),
                        b'K' => pending.link = Some(trim_nul(&data).to_vec()),
                        b'x' => apply_pax(&data, &mut pending),
                        // Global pax headers set defaults for every member; the keys that
                        // matter here (path, linkpath, size) are per-member in practice.
                        _ => {}
                    }
                    continue;
                }
                _ => {}
            }
            let name = pending.name.take().unwrap_or_else(|| ustar_name(&header));
            let link = pending
                .link
                .take()
                .unwrap_or_else(|| trim_nul(field(&header, 157, 100)).to_vec());
            let member = Member {
                name,
                kind,
                size,
                link,
                header_offset: offset,
                data_offset,
            };
            if matches!(kind, b'1' | b'2') && link_escapes(&member.name, &member.link, kind) {
                self.report.anomalies.push(Anomaly::LinkEscapes {
                    name: member.name.clone(),
                    target: member.link.clone(),
                    offset,
                });
            }
            // Only regular files carry content a loader would read; links, directories
            // and devices have none (a hard link's header size is ignored by tar).
            let has_data = matches!(kind, b'0' | 0 | b'7');
            let data_len = if has_data || !matches!(kind, b'1' | b'2' | b'5') {
                size
            } else {
                0
            };
            if has_data {
                let mut data = Exact {
                    inner: &mut self.src,
                    remaining: data_len,
                };
                // A visitor error is the layer above's business; the walk goes on.
                let _ = visit(&member, &mut data);
                if let Err(e) = io::copy(&mut data, &mut io::sink()) {
                    self.report.members.push(member);
                    return Err(FormatError::from_io(self.src.pos, "member data", e));
                }
            } else {
                self.skip(data_len)?;
            }
            self.report.members.push(member);
            self.skip(padding(data_len))?;
        }
    }

    /// Reads one block; `false` at a clean end of input before its first byte.
    fn read_block(&mut self, block: &mut [u8; BLOCK], offset: u64) -> Result<bool, FormatError> {
        let mut filled = 0;
        while filled < BLOCK {
            let Some(rest) = block.get_mut(filled..) else {
                break;
            };
            match self.src.read(rest) {
                Ok(0) if filled == 0 => return Ok(false),
                Ok(0) => {
                    return Err(FormatError::Truncated {
                        offset: offset + filled as u64,
                        what: "tar header",
                    });
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(FormatError::from_io(
                        offset + filled as u64,
                        "tar header",
                        e,
                    ));
                }
            }
        }
        Ok(true)
    }

    fn read_extension(&mut self, size: u64, offset: u64) -> Result<Vec<u8>, FormatError> {
        if size > MAX_EXTENSION_BYTES {
            return Err(FormatError::Invalid {
                offset,
                reason: format!(
                    "long-name or pax record of {size} bytes (more than {MAX_EXTENSION_BYTES} are not read)"
                ),
            });
        }
        let mut data = Vec::new();
        (&mut self.src)
            .take(size)
            .read_to_end(&mut data)
            .map_err(|e| FormatError::from_io(offset, "extension record", e))?;
        if (data.len() as u64) < size {
            return Err(FormatError::Truncated {
                offset: self.src.pos,
                what: "extension record",
            });
        }
        self.skip(padding(size))?;
        Ok(data)
    }

    fn skip(&mut self, len: u64) -> Result<(), FormatError> {
        let start = self.src.pos;
        let skipped = io::copy(&mut (&mut self.src).take(len), &mut io::sink())
            .map_err(|e| FormatError::from_io(start, "member data", e))?;
        if skipped < len {
            return Err(FormatError::Truncated {
                offset: self.src.pos,
                what: "member data",
            });
        }
        Ok(())
    }
}

fn field(header: &[u8; BLOCK], start: usize, len: usize) -> &[u8] {
    header.get(start..start + len).unwrap_or(&[])
}

fn trim_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes.get(..end).unwrap_or(bytes)
}

fn padding(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// ustar name: `prefix/name` when the ustar prefix field is used.
fn ustar_name(header: &[u8; BLOCK]) -> Vec<u8> {
    let name = trim_nul(field(header, 0, 100));
    let is_ustar = field(header, 257, 5) == b"ustar";
    let prefix = if is_ustar {
        trim_nul(field(header, 345, 155))
    } else {
        &[]
    };
    if prefix.is_empty() {
        name.to_vec()
    } else {
        [prefix, b"/", name].concat()
    }
}

/// Header checksum: the sum of all bytes with the checksum field read as spaces.
fn checksum_ok(header: &[u8; BLOCK]) -> bool {
    let Some(stored) = parse_octal(field(header, 148, 8)) else {
        return false;
    };
    let sum: u64 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                u64::from(b' ')
            } else {
                u64::from(b)
            }
        })
        .sum();
    stored == sum
}

/// Octal number, space or NUL padded.
fn parse_octal(field: &[u8]) -> Option<u64> {
    let text = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ' || *b == 0)
        .take_while(|b| *b != b' ' && *b != 0);
    let mut value: u64 = 0;
    let mut digits = 0;
    for b in text {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        value = value.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
        digits += 1;
    }
    (digits > 0 || field.iter().all(|b| *b == 0 || *b == b' ')).then_some(value)
}

/// Size field: octal, or GNU base-256 when the top bit of the first byte is set.
fn parse_size(field: &[u8]) -> Option<u64> {
    match field.first() {
        Some(first) if first & 0x80 != 0 => {
            if first & 0x40 != 0 {
                return None; // negative
            }
            let mut value: u64 = u64::from(first & 0x3f);
            for &b in field.get(1..).unwrap_or(&[]) {
                value = value.checked_mul(256)?.checked_add(u64::from(b))?;
            }
            Some(value)
        }
        _ => parse_octal(field),
    }
}

/// pax records: `<len> <key>=<value>\n`, repeated.
fn apply_pax(data: &[u8], pending: &mut Pending) {
    let mut rest = data;
    while !rest.is_empty() {
        let Some(space) = rest.iter().position(|&b| b == b' ') else {
            return;
        };
        let Some(len) = std::str::from_utf8(rest.get(..space).unwrap_or(&[]))
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            return;
        };
        let Some(record) = rest.get(space + 1..len) else {
            return;
        };
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&b| b == b'=') {
            let (key, value) = (
                record.get(..eq).unwrap_or(&[]),
                record.get(eq + 1..).unwrap_or(&[]),
            );
            match key {
                b"path" => pending.name = Some(value.to_vec()),
                b"linkpath" => pending.link = Some(value.to_vec()),
                b"size" => {
                    pending.size = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok());
                }
                _ => {}
            }
        }
        rest = rest.get(len..).unwrap_or(&[]);
    }
}

/// Whether a link target escapes: absolute, or climbing above the archive root from the
/// member's directory (symlinks) or from the root (hard links).
fn link_escapes(name: &[u8], target: &[u8], kind: u8) -> bool {
    if kind == b'2' {
        crate::paths::symlink_escapes(name, target)
    } else {
        // A hard link's target is a member name, relative to the extraction directory.
        escapes(target).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_links() {
        assert!(link_escapes(b"model/link", b"../../etc/passwd", b'2'));
        assert!(!link_escapes(b"model/link", b"../weights.bin", b'2'));
        assert!(link_escapes(b"model/link", b"../weights.bin", b'1'));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size(b"00000001750\0"), Some(1000));
        assert_eq!(parse_size(b"     17 \0"), Some(15));
        assert_eq!(
            parse_size(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
            Some(256)
        );
        assert_eq!(parse_size(b"0000000009\0\0"), None);
        assert_eq!(padding(0), 0);
        assert_eq!(padding(1), 511);
        assert_eq!(padding(512), 0);
    }
}
