//! The reader a visitor gets for one member's decoded content, and data descriptors.

use std::io::{self, Read};

use flate2::{Decompress, FlushDecompress, Status};

use super::DataDescriptor;
use super::records::{DESCRIPTOR, is_record_signature};
use super::source::{Source, le32, le64};
use crate::compress::{RATIO_CHECK_AFTER, duplicate, into_io};
use crate::{FormatError, LimitKind, Limits};

/// Bytes a data descriptor check may need past its start (zip64 form without
/// signature, then the next record's signature).
const LOOKAHEAD: usize = 24;

/// How a member's data is delimited and decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    /// Stored; exactly `len` bytes.
    Stored { len: u64 },
    /// Deflate; at most `len` compressed bytes when known, otherwise until the stream ends.
    Deflate { len: Option<u64> },
    /// Length unknown and not self-delimiting (stored or undecodable data with a data
    /// descriptor): the data ends at the first data descriptor whose sizes equal the
    /// number of bytes before it. `check_usize` also requires the uncompressed size to
    /// match (stored data).
    Scan { check_usize: bool },
}

/// What reading a member's data found.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Compressed bytes consumed (data only, not the descriptor).
    pub consumed: u64,
    /// Decoded bytes produced.
    pub produced: u64,
    /// CRC-32 of the decoded bytes produced.
    pub crc: u32,
    /// The data was read to its end without error.
    pub complete: bool,
    /// Why reading stopped early.
    pub error: Option<FormatError>,
    /// The descriptor that ended a [`Mode::Scan`] member (already consumed).
    pub descriptor: Option<DataDescriptor>,
}

/// A `Read` over one member's decoded content, bounded by its mode and the limits.
pub(crate) struct Body<'s, R> {
    src: &'s mut Source<R>,
    mode: Mode,
    inflater: Option<Box<Decompress>>,
    data_offset: u64,
    consumed: u64,
    produced: u64,
    crc: crc32fast::Hasher,
    done: bool,
    error: Option<FormatError>,
    /// [`Mode::Scan`]: content length where the descriptor starts, the descriptor, its length.
    scan_end: Option<(u64, DataDescriptor, usize)>,
    /// [`Mode::Scan`]: content length before which no descriptor can start.
    ruled_out: u64,
    max_bytes: u64,
    max_ratio: u64,
}

impl<'s, R: Read> Body<'s, R> {
    /// Starts reading member data at the source's position.
    pub(crate) fn new(src: &'s mut Source<R>, mode: Mode, limits: &Limits) -> Self {
        let data_offset = src.pos();
        let inflater =
            matches!(mode, Mode::Deflate { .. }).then(|| Box::new(Decompress::new(false)));
        Body {
            src,
            mode,
            inflater,
            data_offset,
            consumed: 0,
            produced: 0,
            crc: crc32fast::Hasher::new(),
            done: false,
            error: None,
            scan_end: None,
            ruled_out: 0,
            max_bytes: limits.max_decompressed_bytes,
            max_ratio: limits.max_compression_ratio,
        }
    }

    /// Reads whatever the visitor left, so that the CRC covers the whole content.
    pub(crate) fn drain(&mut self, scratch: &mut [u8]) {
        while !self.done && self.error.is_none() {
            match self.read(scratch) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    }

    /// Ends reading: consumes a found descriptor and reports what happened.
    pub(crate) fn finish(self) -> Outcome {
        let mut descriptor = None;
        if self.done
            && let Some((_, found, len)) = self.scan_end
        {
            self.src.consume(len);
            descriptor = Some(found);
        }
        Outcome {
            consumed: self.consumed,
            produced: self.produced,
            crc: self.crc.finalize(),
            complete: self.done && self.error.is_none(),
            error: self.error,
            descriptor,
        }
    }

    /// Accounts for `n` decoded bytes at the start of `buf`.
    fn emit(&mut self, buf: &[u8], bounded: bool) -> Result<(), FormatError> {
        self.crc.update(buf);
        self.produced = self.produced.saturating_add(buf.len() as u64);
        if !bounded {
            return Ok(());
        }
        let offset = self.data_offset + self.consumed;
        if self.produced > self.max_bytes {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::Decompression,
                value: self.produced,
                max: self.max_bytes,
                offset,
            });
        }
        if self.produced >= RATIO_CHECK_AFTER {
            let ratio = self.produced / self.consumed.max(1);
            if ratio > self.max_ratio {
                return Err(FormatError::LimitExceeded {
                    limit: LimitKind::Decompression,
                    value: ratio,
                    max: self.max_ratio,
                    offset,
                });
            }
        }
        Ok(())
    }

    /// Copies up to `limit` raw bytes from the source into `buf`.
    fn copy_raw(&mut self, buf: &mut [u8], limit: u64) -> Result<usize, FormatError> {
        let pos = self.src.pos();
        self.src
            .fill(1)
            .map_err(|e| FormatError::from_io(pos, "member data", e))?;
        let avail = self.src.available();
        if avail.is_empty() {
            return Err(FormatError::Truncated {
                offset: self.src.pos(),
                what: "member data",
            });
        }
        let n = avail
            .len()
            .min(buf.len())
            .min(usize::try_from(limit).unwrap_or(usize::MAX));
        let (Some(dst), Some(from)) = (buf.get_mut(..n), avail.get(..n)) else {
            return Ok(0);
        };
        dst.copy_from_slice(from);
        self.src.consume(n);
        self.consumed += n as u64;
        let copied = buf.get(..n).unwrap_or_default();
        self.emit(copied, false)?;
        Ok(n)
    }

    fn read_stored(&mut self, buf: &mut [u8], len: u64) -> Result<usize, FormatError> {
        let remaining = len.saturating_sub(self.consumed);
        if remaining == 0 {
            self.done = true;
            return Ok(0);
        }
        self.copy_raw(buf, remaining)
    }

    fn read_deflate(&mut self, buf: &mut [u8], len: Option<u64>) -> Result<usize, FormatError> {
        loop {
            let remaining = len.map(|l| l.saturating_sub(self.consumed));
            let Some(inflater) = self.inflater.as_mut() else {
                return Ok(0);
            };
            let avail: &[u8] = if remaining == Some(0) {
                &[]
            } else {
                let pos = self.src.pos();
                self.src
                    .fill(1)
                    .map_err(|e| FormatError::from_io(pos, "member data", e))?;
                self.src.available()
            };
            let cap = remaining.map_or(avail.len(), |r| {
                avail.len().min(usize::try_from(r).unwrap_or(usize::MAX))
            });
            let input = avail.get(..cap).unwrap_or_default();
            let at_end = input.is_empty();
            let flush = if at_end {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let before_in = inflater.total_in();
            let before_out = inflater.total_out();
            let status = inflater.decompress(input, buf, flush);
            let used = usize::try_from(inflater.total_in() - before_in).unwrap_or(0);
            let made = usize::try_from(inflater.total_out() - before_out).unwrap_or(0);
            self.src.consume(used);
            self.consumed += used as u64;
            let status = status.map_err(|e| FormatError::Invalid {
                offset: self.data_offset + self.consumed,
                reason: format!("deflate data is corrupt: {e}"),
            })?;
            let produced = buf.get(..made).unwrap_or_default();
            self.emit(produced, true)?;
            if status == Status::StreamEnd {
                self.done = true;
                return Ok(made);
            }
            if made > 0 {
                return Ok(made);
            }
            if at_end {
                return Err(match (remaining, len) {
                    (Some(0), Some(l)) => FormatError::Invalid {
                        offset: self.data_offset + self.consumed,
                        reason: format!(
                            "deflate stream does not end within its compressed size of {l} bytes"
                        ),
                    },
                    _ => FormatError::Truncated {
                        offset: self.src.pos(),
                        what: "deflate data",
                    },
                });
            }
            if used == 0 {
                return Err(FormatError::Invalid {
                    offset: self.data_offset + self.consumed,
                    reason: "deflate stream makes no progress".to_string(),
                });
            }
        }
    }

    fn read_scan(&mut self, buf: &mut [u8], check_usize: bool) -> Result<usize, FormatError> {
        if let Some((end, _, _)) = self.scan_end {
            let remaining = end.saturating_sub(self.consumed);
            if remaining == 0 {
                self.done = true;
                return Ok(0);
            }
            return self.copy_raw(buf, remaining);
        }
        if self.consumed < self.ruled_out {
            // Already scanned: release without looking again.
            let known = self.ruled_out - self.consumed;
            return self.copy_raw(buf, known);
        }
        let pos = self.src.pos();
        self.src
            .fill(LOOKAHEAD + 1)
            .map_err(|e| FormatError::from_io(pos, "member data", e))?;
        let window = self.src.available();
        let eof = self.src.at_eof();
        let window_len = window.len();
        let (found, safe) = find_descriptor(window, self.consumed, check_usize, eof, pos);
        let release = match found {
            Some((k, descriptor, len)) => {
                self.scan_end = Some((self.consumed + k as u64, descriptor, len));
                if k == 0 {
                    self.done = true;
                    return Ok(0);
                }
                k
            }
            None if safe == 0 => {
                return Err(FormatError::Truncated {
                    offset: self.src.pos() + window_len as u64,
                    what: "data descriptor of a member without sizes",
                });
            }
            None => safe,
        };
        self.ruled_out = self.consumed + release as u64;
        self.copy_raw(buf, release as u64)
    }
}

impl<R: Read> Read for Body<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.error {
            return Err(into_io(duplicate(e)));
        }
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let result = match self.mode {
            Mode::Stored { len } => self.read_stored(buf, len),
            Mode::Deflate { len } => self.read_deflate(buf, len),
            Mode::Scan { check_usize } => self.read_scan(buf, check_usize),
        };
        result.map_err(|e| {
            let io = into_io(duplicate(&e));
            self.error = Some(e);
            io
        })
    }
}

/// Finds the earliest data descriptor in `window` (which starts `base` content bytes
/// into the member, at stream offset `at`) whose sizes equal the content before it.
///
/// Returns the descriptor (window index, value, length) and how many leading bytes are
/// certainly content (every candidate start before them has been ruled out).
fn find_descriptor(
    window: &[u8],
    base: u64,
    check_usize: bool,
    eof: bool,
    at: u64,
) -> (Option<(usize, DataDescriptor, usize)>, usize) {
    let limit = if eof {
        window.len()
    } else {
        window.len().saturating_sub(LOOKAHEAD)
    };
    // Every layout has a `PK` signature at its start or 12 or 20 bytes in (the next
    // record's signature): only those places are checked. Searching for the pair, not
    // for `P` alone, makes candidates 256 times rarer in tensor data (a 1 GiB torch.save
    // checkpoint went from 790 MB/s to the speed of hashing it).
    let mut best: Option<(usize, DataDescriptor, usize)> = None;
    for j in memchr::memmem::find_iter(window, b"PK") {
        if best.as_ref().is_some_and(|b| j >= b.0 + 20) || j >= limit + 20 {
            break;
        }
        for k in [j.checked_sub(20), j.checked_sub(12), Some(j)]
            .into_iter()
            .flatten()
        {
            if k >= limit || best.as_ref().is_some_and(|b| k >= b.0) {
                continue;
            }
            let Some(w) = window.get(k..) else { continue };
            if let Some((d, len)) = descriptor_at(w, base + k as u64, check_usize, at + k as u64) {
                best = Some((k, d, len));
            }
        }
    }
    match best {
        Some(found) => {
            let k = found.0;
            (Some(found), k)
        }
        None => (None, limit),
    }
}

/// Checks for a descriptor at the start of `w` whose sizes are `n` (content length).
fn descriptor_at(
    w: &[u8],
    n: u64,
    check_usize: bool,
    offset: u64,
) -> Option<(DataDescriptor, usize)> {
    let make = |crc: u32, csize: u64, usize_: u64, signature: bool, zip64: bool| DataDescriptor {
        offset,
        crc32: crc,
        compressed_size: csize,
        uncompressed_size: usize_,
        signature,
        zip64,
    };
    let follows_record = |at: usize| w.get(at..).is_some_and(is_record_signature);
    if w.len() >= 16 && le32(w, 0) == DESCRIPTOR {
        let ok32 = u64::from(le32(w, 8)) == n && (!check_usize || u64::from(le32(w, 12)) == n);
        let ok64 = w.len() >= 24 && le64(w, 8) == n && (!check_usize || le64(w, 16) == n);
        // A 64-bit descriptor of an empty member also reads as a 32-bit one: decide by
        // which length a record follows.
        if ok64 && (!ok32 || (follows_record(24) && !follows_record(16))) {
            return Some((make(le32(w, 4), le64(w, 8), le64(w, 16), true, true), 24));
        }
        if ok32 {
            return Some((
                make(
                    le32(w, 4),
                    u64::from(le32(w, 8)),
                    u64::from(le32(w, 12)),
                    true,
                    false,
                ),
                16,
            ));
        }
    }
    if w.len() >= 16
        && follows_record(12)
        && u64::from(le32(w, 4)) == n
        && (!check_usize || u64::from(le32(w, 8)) == n)
    {
        return Some((
            make(
                le32(w, 0),
                u64::from(le32(w, 4)),
                u64::from(le32(w, 8)),
                false,
                false,
            ),
            12,
        ));
    }
    if w.len() >= 24 && follows_record(20) && le64(w, 4) == n && (!check_usize || le64(w, 12) == n)
    {
        return Some((make(le32(w, 0), le64(w, 4), le64(w, 12), false, true), 20));
    }
    None
}

/// Reads the data descriptor after a self-delimiting (deflate) member whose actual
/// sizes are known. Of the four layouts (with or without signature, 32- or 64-bit
/// sizes) it takes one whose sizes match, preferring one a record signature follows;
/// failing that, one a record follows, else the layout `zip64_hint` suggests. Returns
/// `None`, consuming nothing, at the end of input or when a record signature (not a
/// descriptor) comes next.
pub(crate) fn read_descriptor_after<R: Read>(
    src: &mut Source<R>,
    csize: u64,
    usize_: u64,
    zip64_hint: bool,
) -> Result<Option<DataDescriptor>, FormatError> {
    let offset = src.pos();
    src.fill(28)
        .map_err(|e| FormatError::from_io(offset, "data descriptor", e))?;
    let w = src.available();
    let eof = src.at_eof();
    let has_sig = w.len() >= 4 && le32(w, 0) == DESCRIPTOR;
    if !has_sig && is_record_signature(w) {
        return Ok(None);
    }
    let sig = if has_sig { 4 } else { 0 };
    // Layouts: (offset of the CRC, 64-bit sizes, total length).
    let layouts = [(sig, false, sig + 12), (sig, true, sig + 20)];
    let fitting: Vec<(usize, bool, usize)> =
        layouts.iter().copied().filter(|l| w.len() >= l.2).collect();
    let sizes = |(c, wide, _): (usize, bool, usize)| {
        if wide {
            (le64(w, c + 4), le64(w, c + 12))
        } else {
            (u64::from(le32(w, c + 4)), u64::from(le32(w, c + 8)))
        }
    };
    let followed = |(_, _, len): (usize, bool, usize)| {
        w.get(len..).is_some_and(is_record_signature) || (eof && w.len() == len)
    };
    let exact: Vec<(usize, bool, usize)> = fitting
        .iter()
        .copied()
        .filter(|&l| sizes(l) == (csize, usize_))
        .collect();
    let hinted = fitting.iter().copied().find(|l| l.1 == zip64_hint);
    let chosen = exact
        .iter()
        .copied()
        .find(|&l| followed(l))
        .or_else(|| exact.first().copied())
        .or_else(|| fitting.iter().copied().find(|&l| followed(l)))
        .or(hinted)
        .or_else(|| fitting.first().copied());
    let Some(layout) = chosen else {
        return Ok(None);
    };
    let (c, wide, len) = layout;
    let (cs, us) = sizes(layout);
    let descriptor = DataDescriptor {
        offset,
        crc32: le32(w, c),
        compressed_size: cs,
        uncompressed_size: us,
        signature: has_sig,
        zip64: wide,
    };
    src.consume(len);
    Ok(Some(descriptor))
}
