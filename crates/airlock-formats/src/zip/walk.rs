//! The forward walk, the member reader it shares with seekable re-reads, and the
//! comparison of local headers with the central directory.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};

use super::body::{Body, Mode, read_descriptor_after};
use super::records::{
    ARCHIVE_EXTRA, CENTRAL, CentralRecord, DIGITAL_SIGNATURE, END, EndRecord, LOCAL, LocalHeader,
    ZIP64_END, ZIP64_LOCATOR, Zip64End, Zip64Locator, is_record_signature, read_central, read_end,
    read_local, read_zip64_end, read_zip64_locator, skip_digital_signature,
};
use super::source::{BUF_LEN, Source, le32};
use super::{
    Anomaly, FLAG_DATA_DESCRIPTOR, FLAG_UTF8, MAX_NAME_BYTES_PER_ENTRY, METHOD_DEFLATE,
    METHOD_STORED, Member, MemberRead, MemberSummary, Visitor, ZipReport,
};
use crate::compress::duplicate;
use crate::{FormatError, LimitKind, Limits};

/// Flag bits that make some reader refuse, or read differently, what PyTorch reads.
const SUSPICIOUS_FLAGS: u16 = !(0x0002 | 0x0004 | FLAG_DATA_DESCRIPTOR | FLAG_UTF8);

/// Fixed sizes of the zip64 end record and locator, which Python's `zipfile` assumes
/// sit right before the end record.
const ZIP64_END_LEN: u64 = 56;
const ZIP64_LOCATOR_LEN: u64 = 20;

/// How to read one member's data.
struct Plan {
    /// What the visitor is told.
    member: Member,
    method: u16,
    /// A data descriptor ends the data (flag bit 3 in a local header).
    descriptor: bool,
    /// Local header had a zip64 extra field.
    zip64: bool,
    /// Stored bytes to read when there is no descriptor.
    stored_len: u64,
    /// Compressed bytes when there is no descriptor.
    compressed_len: u64,
    /// Where the member's recorded values come from.
    source: &'static str,
    /// Compare recorded sizes with the data (not for central-directory re-reads, which
    /// read the larger stored size on purpose).
    check_sizes: bool,
}

impl Plan {
    fn local(h: &LocalHeader) -> Self {
        Plan {
            member: member_from_local(h),
            method: h.method,
            descriptor: h.flags & FLAG_DATA_DESCRIPTOR != 0,
            zip64: h.zip64,
            stored_len: h.csize,
            compressed_len: h.csize,
            source: "local header",
            check_sizes: true,
        }
    }

    fn central(h: &LocalHeader, m: &Member) -> Self {
        let mut member = m.clone();
        member.data_offset = h.data_offset;
        Plan {
            member,
            method: m.method,
            descriptor: false,
            zip64: h.zip64,
            stored_len: m.compressed_size.max(m.uncompressed_size),
            compressed_len: m.compressed_size,
            source: "central directory",
            check_sizes: false,
        }
    }
}

fn member_from_local(h: &LocalHeader) -> Member {
    Member {
        name: h.name.clone(),
        local_header_offset: h.offset,
        data_offset: h.data_offset,
        method: h.method,
        flags: h.flags,
        declared_crc32: h.crc,
        compressed_size: h.csize,
        uncompressed_size: h.usize,
        central_offset: None,
    }
}

fn member_from_central(rec: &CentralRecord, lho: u64) -> Member {
    Member {
        name: rec.name.clone(),
        local_header_offset: lho,
        data_offset: lho,
        method: rec.method,
        flags: rec.flags,
        declared_crc32: rec.crc,
        compressed_size: rec.csize,
        uncompressed_size: rec.usize,
        central_offset: Some(rec.offset),
    }
}

/// What reading one member's data produced.
struct Step {
    summary: MemberSummary,
    anomalies: Vec<Anomaly>,
    /// The walk cannot go on (end of input, read error).
    stop: Option<FormatError>,
}

/// Describes suspicious flag bits, or `None` when there are none.
fn flag_detail(flags: u16) -> Option<String> {
    let bits = flags & SUSPICIOUS_FLAGS;
    if bits == 0 {
        return None;
    }
    let mut parts = Vec::new();
    if bits & 0x0001 != 0 {
        parts.push(
            "encryption (bit 0): Python's zipfile asks for a password, PyTorch reads the data \
             as plain (so does airlock)"
                .to_string(),
        );
    }
    if bits & 0x0020 != 0 {
        parts.push("patch data (bit 5): Python's zipfile refuses the member".to_string());
    }
    if bits & 0x0040 != 0 {
        parts.push("strong encryption (bit 6): Python's zipfile refuses the member".to_string());
    }
    if bits & 0x2000 != 0 {
        parts.push("masked local header (bit 13): miniz refuses the archive".to_string());
    }
    let reserved = bits & !(0x0001 | 0x0020 | 0x0040 | 0x2000);
    if reserved != 0 {
        parts.push(format!("reserved bits {reserved:#06x} set"));
    }
    Some(parts.join("; "))
}

/// Flag and name checks that apply to any header.
fn header_checks(name: &[u8], flags: u16, offset: u64, out: &mut Vec<Anomaly>) {
    if let Some(detail) = flag_detail(flags) {
        out.push(Anomaly::FlagTrick {
            name: name.to_vec(),
            flags,
            offset,
            detail,
        });
    }
    if flags & FLAG_UTF8 != 0 && std::str::from_utf8(name).is_err() {
        out.push(Anomaly::Inconsistent {
            name: name.to_vec(),
            offset,
            detail: "the UTF-8 flag is set but the name is not UTF-8 (Python's zipfile fails \
                     to decode it)"
                .to_string(),
        });
    }
}

/// Reads one member's data according to `plan`: visits it, drains it, checks it.
fn read_data<R: Read>(
    src: &mut Source<R>,
    plan: &Plan,
    limits: &Limits,
    visit: &mut Visitor<'_>,
    scratch: &mut [u8],
) -> Step {
    let m = &plan.member;
    let mut summary = MemberSummary {
        member: m.clone(),
        visited: false,
        compressed_read: 0,
        decoded_size: 0,
        crc32: None,
        descriptor: None,
        error: None,
        visit_error: None,
    };
    let mut anomalies = Vec::new();
    let mode = match (plan.method, plan.descriptor) {
        (METHOD_STORED, false) => Some(Mode::Stored {
            len: plan.stored_len,
        }),
        (METHOD_STORED, true) => Some(Mode::Scan { check_usize: true }),
        (METHOD_DEFLATE, false) => Some(Mode::Deflate {
            len: Some(plan.compressed_len),
        }),
        (METHOD_DEFLATE, true) => Some(Mode::Deflate { len: None }),
        _ => None,
    };
    let Some(mode) = mode else {
        anomalies.push(Anomaly::UnsupportedMethod {
            name: m.name.clone(),
            method: plan.method,
            offset: m.local_header_offset,
        });
        let stop = if plan.descriptor {
            let mut body = Body::new(src, Mode::Scan { check_usize: false }, limits);
            body.drain(scratch);
            let out = body.finish();
            summary.compressed_read = out.consumed;
            summary.descriptor = out.descriptor;
            out.error
        } else {
            skip_exact(src, plan.compressed_len, &mut summary.compressed_read).err()
        };
        summary.error = stop.as_ref().map(duplicate);
        return Step {
            summary,
            anomalies,
            stop,
        };
    };

    let mut body = Body::new(src, mode, limits);
    let visited = visit(m, &mut body);
    body.drain(scratch);
    let out = body.finish();
    summary.visited = true;
    summary.compressed_read = out.consumed;
    summary.decoded_size = out.produced;
    summary.descriptor = out.descriptor;
    if out.complete {
        summary.crc32 = Some(out.crc);
    }
    if let Err(e) = visited
        && out.error.is_none()
    {
        summary.visit_error = Some(e);
    }

    if let Some(err) = out.error {
        let stop = match (&err, mode) {
            (FormatError::Truncated { .. } | FormatError::Io { .. }, _) => Some(duplicate(&err)),
            // A bound on a member of known length: skip to its end and go on.
            (FormatError::LimitExceeded { .. }, Mode::Deflate { len: Some(len) }) => {
                let rest = len.saturating_sub(out.consumed);
                let mut skipped = 0;
                let stop = skip_exact(src, rest, &mut skipped).err();
                summary.compressed_read += skipped;
                stop
            }
            // Corrupt data, or a bound where the end is unknown: the walk goes on from
            // here and reports what follows as unaccounted bytes until the next record.
            _ => None,
        };
        summary.error = Some(err);
        return Step {
            summary,
            anomalies,
            stop,
        };
    }

    if plan.descriptor && plan.method == METHOD_DEFLATE {
        match read_descriptor_after(src, out.consumed, out.produced, plan.zip64) {
            Ok(Some(d)) => summary.descriptor = Some(d),
            Ok(None) => anomalies.push(Anomaly::Inconsistent {
                name: m.name.clone(),
                offset: m.local_header_offset,
                detail: "flag bit 3 promises a data descriptor after the data, and none follows"
                    .to_string(),
            }),
            Err(e) => {
                return Step {
                    summary,
                    anomalies,
                    stop: Some(e),
                };
            }
        }
    }

    check_content(
        plan,
        &summary,
        out.crc,
        out.consumed,
        out.produced,
        &mut anomalies,
    );
    Step {
        summary,
        anomalies,
        stop: None,
    }
}

/// Compares the content read with the CRC and sizes the headers record.
fn check_content(
    plan: &Plan,
    summary: &MemberSummary,
    crc: u32,
    consumed: u64,
    produced: u64,
    out: &mut Vec<Anomaly>,
) {
    let m = &plan.member;
    let crc_anomaly = |declared: u32, source: &'static str| Anomaly::CrcMismatch {
        name: m.name.clone(),
        declared,
        actual: crc,
        offset: m.local_header_offset,
        source,
    };
    let size_anomaly = |field: &'static str, declared: u64, actual: u64, source: &'static str| {
        Anomaly::SizeMismatch {
            name: m.name.clone(),
            field,
            declared,
            actual,
            offset: m.local_header_offset,
            source,
        }
    };
    if plan.descriptor {
        // Local values are zero by the spec; compare them only when a writer filled them.
        if m.declared_crc32 != 0 && m.declared_crc32 != crc {
            out.push(crc_anomaly(m.declared_crc32, "local header"));
        }
        if m.compressed_size != 0 && m.compressed_size != consumed {
            out.push(size_anomaly(
                "compressed size",
                m.compressed_size,
                consumed,
                "local header",
            ));
        }
        if m.uncompressed_size != 0 && m.uncompressed_size != produced {
            out.push(size_anomaly(
                "uncompressed size",
                m.uncompressed_size,
                produced,
                "local header",
            ));
        }
        if let Some(d) = summary.descriptor {
            if d.crc32 != crc {
                out.push(crc_anomaly(d.crc32, "data descriptor"));
            }
            if d.compressed_size != consumed {
                out.push(size_anomaly(
                    "compressed size",
                    d.compressed_size,
                    consumed,
                    "data descriptor",
                ));
            }
            if d.uncompressed_size != produced {
                out.push(size_anomaly(
                    "uncompressed size",
                    d.uncompressed_size,
                    produced,
                    "data descriptor",
                ));
            }
        }
        return;
    }
    if m.declared_crc32 != crc {
        out.push(crc_anomaly(m.declared_crc32, plan.source));
    }
    if plan.check_sizes {
        if m.compressed_size != consumed {
            out.push(size_anomaly(
                "compressed size",
                m.compressed_size,
                consumed,
                plan.source,
            ));
        }
        if m.uncompressed_size != produced {
            out.push(size_anomaly(
                "uncompressed size",
                m.uncompressed_size,
                produced,
                plan.source,
            ));
        }
    }
}

/// Skips exactly `n` bytes, counting them into `skipped`.
fn skip_exact<R: Read>(src: &mut Source<R>, n: u64, skipped: &mut u64) -> Result<(), FormatError> {
    match src.skip(n) {
        Ok(k) => {
            *skipped += k;
            if k < n {
                Err(FormatError::Truncated {
                    offset: src.pos(),
                    what: "member data",
                })
            } else {
                Ok(())
            }
        }
        Err(e) => Err(FormatError::from_io(src.pos(), "member data", e)),
    }
}

/// Reads the member at `offset` of a seekable reader (see `read_member_at`, `read_member`).
pub(crate) fn read_at<R: Read + Seek>(
    mut reader: R,
    offset: u64,
    central: Option<&Member>,
    limits: &Limits,
    visit: &mut Visitor<'_>,
) -> Result<MemberRead, FormatError> {
    reader
        .seek(SeekFrom::Start(offset))
        .map_err(|e| FormatError::Io { offset, source: e })?;
    let mut src = Source::new(reader, offset);
    src.fill(4)
        .map_err(|e| FormatError::from_io(offset, "local file header", e))?;
    let head = src.available();
    if head.len() < 4 {
        return Err(FormatError::Truncated {
            offset: offset + head.len() as u64,
            what: "local file header",
        });
    }
    if le32(head, 0) != LOCAL {
        return Err(FormatError::Invalid {
            offset,
            reason: "no local file header signature at this offset".to_string(),
        });
    }
    let h = read_local(&mut src)?;
    let plan = match central {
        Some(m) => Plan::central(&h, m),
        None => Plan::local(&h),
    };
    let mut anomalies = Vec::new();
    header_checks(&plan.member.name, plan.member.flags, offset, &mut anomalies);
    let mut scratch = vec![0u8; 16 * 1024];
    let step = read_data(&mut src, &plan, limits, visit, &mut scratch);
    anomalies.extend(step.anomalies);
    Ok(MemberRead {
        summary: step.summary,
        anomalies,
    })
}

/// State of one forward walk.
pub(crate) struct Walker<'a, 'v, R> {
    src: Source<R>,
    limits: &'a Limits,
    visit: &'a mut Visitor<'v>,
    members: Vec<MemberSummary>,
    anomalies: Vec<Anomaly>,
    centrals: Vec<CentralRecord>,
    ends: Vec<EndRecord>,
    zip64_ends: Vec<Zip64End>,
    locators: Vec<Zip64Locator>,
    gap_start: Option<u64>,
    name_bytes: u64,
    scratch: Vec<u8>,
}

impl<'a, 'v, R: Read> Walker<'a, 'v, R> {
    pub(crate) fn new(reader: R, limits: &'a Limits, visit: &'a mut Visitor<'v>) -> Self {
        Walker {
            src: Source::new(reader, 0),
            limits,
            visit,
            members: Vec::new(),
            anomalies: Vec::new(),
            centrals: Vec::new(),
            ends: Vec::new(),
            zip64_ends: Vec::new(),
            locators: Vec::new(),
            gap_start: None,
            name_bytes: 0,
            scratch: vec![0u8; 16 * 1024],
        }
    }

    /// Walks to the end of input (or a stop) and compares with the central directory.
    pub(crate) fn run(mut self) -> ZipReport {
        let stopped = self.records().err();
        self.end_gap();
        let mut unvisited = Vec::new();
        if !self.ends.is_empty() {
            unvisited = self.reconcile();
        }
        ZipReport {
            members: self.members,
            anomalies: self.anomalies,
            unvisited,
            bytes: self.src.pos(),
            central_records: self.centrals.len() as u64,
            end_record_found: !self.ends.is_empty(),
            stopped,
        }
    }

    fn io(&self, what: &'static str, e: std::io::Error) -> FormatError {
        FormatError::from_io(self.src.pos(), what, e)
    }

    /// Reads records until the input ends.
    fn records(&mut self) -> Result<(), FormatError> {
        loop {
            let pos = self.src.pos();
            self.src
                .fill(4)
                .map_err(|e| FormatError::from_io(pos, "zip record", e))?;
            let head = self.src.available();
            if head.is_empty() {
                break;
            }
            let sig = if head.len() >= 4 { le32(head, 0) } else { 0 };
            match sig {
                LOCAL => {
                    self.end_gap();
                    self.local()?;
                }
                CENTRAL => {
                    self.end_gap();
                    self.central()?;
                }
                END => {
                    self.end_gap();
                    self.end()?;
                }
                ZIP64_END => {
                    self.end_gap();
                    let z = read_zip64_end(&mut self.src)?;
                    if z.record_size != ZIP64_END_LEN - 12 {
                        self.anomalies.push(Anomaly::Malformed {
                            offset: z.offset,
                            detail: format!(
                                "zip64 end record claims {} bytes after its size field; its \
                                 extensible data is not read",
                                z.record_size
                            ),
                        });
                    }
                    self.zip64_ends.push(z);
                }
                ZIP64_LOCATOR => {
                    self.end_gap();
                    let l = read_zip64_locator(&mut self.src)?;
                    self.locators.push(l);
                }
                DIGITAL_SIGNATURE => {
                    self.end_gap();
                    skip_digital_signature(&mut self.src)?;
                }
                ARCHIVE_EXTRA => {
                    self.end_gap();
                    self.anomalies.push(Anomaly::Malformed {
                        offset: self.src.pos(),
                        detail: "archive extra data record (central directory encryption), \
                                 which no model loader reads"
                            .to_string(),
                    });
                    self.resync()?;
                }
                _ => self.resync()?,
            }
        }
        if self.ends.is_empty() {
            return Err(FormatError::Truncated {
                offset: self.src.pos(),
                what: "end of central directory record",
            });
        }
        Ok(())
    }

    /// Skips bytes that start no record, up to the next record signature.
    fn resync(&mut self) -> Result<(), FormatError> {
        if self.gap_start.is_none() {
            self.gap_start = Some(self.src.pos());
        }
        let pos = self.src.pos();
        self.src
            .fill(BUF_LEN)
            .map_err(|e| FormatError::from_io(pos, "zip record", e))?;
        let w = self.src.available();
        let eof = self.src.at_eof();
        let mut cut = w.len();
        for i in memchr::memchr_iter(b'P', w.get(1..).unwrap_or_default()).map(|i| i + 1) {
            match w.get(i..i + 4) {
                Some(sig) if is_record_signature(sig) && le32(sig, 0) != ARCHIVE_EXTRA => {
                    cut = i;
                    break;
                }
                Some(_) => {}
                None if !eof => {
                    cut = i;
                    break;
                }
                None => {}
            }
        }
        self.src.consume(cut.max(1));
        Ok(())
    }

    fn end_gap(&mut self) {
        if let Some(start) = self.gap_start.take() {
            let len = self.src.pos().saturating_sub(start);
            if len > 0 {
                self.anomalies
                    .push(Anomaly::UnaccountedBytes { offset: start, len });
            }
        }
    }

    fn charge_name(&mut self, len: usize, offset: u64) -> Result<(), FormatError> {
        let max = self
            .limits
            .max_archive_entries
            .saturating_mul(MAX_NAME_BYTES_PER_ENTRY);
        self.name_bytes = self.name_bytes.saturating_add(len as u64);
        if self.name_bytes > max {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::ArchiveEntries,
                value: self.name_bytes,
                max,
                offset,
            });
        }
        Ok(())
    }

    fn local(&mut self) -> Result<(), FormatError> {
        let offset = self.src.pos();
        entry_limit(self.members.len(), self.limits, offset)?;
        let h = read_local(&mut self.src)?;
        self.charge_name(h.name.len(), offset)?;
        header_checks(&h.name, h.flags, offset, &mut self.anomalies);
        let plan = Plan::local(&h);
        let step = read_data(
            &mut self.src,
            &plan,
            self.limits,
            &mut *self.visit,
            &mut self.scratch,
        );
        self.members.push(step.summary);
        self.anomalies.extend(step.anomalies);
        match step.stop {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn central(&mut self) -> Result<(), FormatError> {
        let offset = self.src.pos();
        entry_limit(self.centrals.len(), self.limits, offset)?;
        let rec = read_central(&mut self.src)?;
        self.charge_name(rec.name.len(), offset)?;
        self.centrals.push(rec);
        Ok(())
    }

    fn end(&mut self) -> Result<(), FormatError> {
        let e = read_end(&mut self.src)?;
        let comment = u64::from(e.comment_len);
        let offset = e.offset;
        self.ends.push(e);
        let skipped = self
            .src
            .skip(comment)
            .map_err(|err| self.io("end record comment", err))?;
        if skipped < comment {
            // miniz and Python's zipfile both accept this; it is odd, not fatal.
            self.anomalies.push(Anomaly::Malformed {
                offset,
                detail: format!(
                    "end record comment of {comment} bytes runs past the end of input \
                     ({skipped} present)"
                ),
            });
        }
        Ok(())
    }

    /// Compares local headers with the central directory the last end record describes
    /// (as PyTorch's miniz and as Python's `zipfile` locate it) and returns the members
    /// to read again.
    fn reconcile(&mut self) -> Vec<Member> {
        let mut out = Vec::new();
        let Some(end) = self.ends.last().cloned() else {
            return Vec::new();
        };
        if self.ends.len() > 1 {
            self.anomalies.push(Anomaly::DirectoryMismatch {
                offset: end.offset,
                detail: format!(
                    "{} end of central directory records; loaders search from the end and use \
                     the last one, streaming readers may stop at the first",
                    self.ends.len()
                ),
            });
        }
        if end.disk != 0 || end.cd_disk != 0 || end.entries_disk != end.entries {
            self.anomalies.push(Anomaly::Malformed {
                offset: end.offset,
                detail: format!(
                    "multi-disk fields set (disk {}, directory disk {}, {} of {} entries on \
                     this disk)",
                    end.disk, end.cd_disk, end.entries_disk, end.entries
                ),
            });
        }

        // Zip64: miniz follows the locator's pointer, Python reads the 56 bytes before it.
        let locator = self
            .locators
            .iter()
            .rev()
            .find(|l| l.offset + ZIP64_LOCATOR_LEN == end.offset)
            .cloned();
        let mut zip64 = None;
        if let Some(loc) = &locator {
            let by_pointer = self.zip64_ends.iter().find(|z| z.offset == loc.end_offset);
            let before = self
                .zip64_ends
                .iter()
                .find(|z| z.offset + ZIP64_END_LEN == loc.offset);
            match (by_pointer, before) {
                (Some(a), Some(b)) if a.offset != b.offset => {
                    self.anomalies.push(Anomaly::DirectoryMismatch {
                        offset: end.offset,
                        detail: format!(
                            "zip64 locator points at the zip64 end record at byte {}, but the \
                             one Python's zipfile reads is at byte {}",
                            a.offset, b.offset
                        ),
                    });
                }
                (None, None) => self.anomalies.push(Anomaly::Malformed {
                    offset: loc.offset,
                    detail: format!(
                        "zip64 locator points at byte {}, where there is no zip64 end record",
                        loc.end_offset
                    ),
                }),
                _ => {}
            }
            zip64 = by_pointer.or(before).cloned();
        } else if end.entries == u16::MAX || end.cd_size == u32::MAX || end.cd_offset == u32::MAX {
            self.anomalies.push(Anomaly::Malformed {
                offset: end.offset,
                detail: "end record fields are saturated but no zip64 locator precedes it"
                    .to_string(),
            });
        }
        let (entries, cd_size, cd_offset) = match &zip64 {
            Some(z) => (z.entries, z.cd_size, z.cd_offset),
            None => (
                u64::from(end.entries),
                u64::from(end.cd_size),
                u64::from(end.cd_offset),
            ),
        };

        // View A: miniz reads `cd_size` bytes at `cd_offset`. View B: Python's zipfile
        // reads the `cd_size` bytes right before the (zip64) end record and shifts local
        // header offsets by the difference ("concat").
        let py_end = if zip64.is_some() {
            end.offset.saturating_sub(ZIP64_END_LEN + ZIP64_LOCATOR_LEN)
        } else {
            end.offset
        };
        // miniz refuses a directory that runs past the end of the archive; Python's
        // zipfile refuses a negative shift. A view no loader accepts is dropped.
        let archive_len = self
            .src
            .at_eof()
            .then(|| self.src.pos() + self.src.available().len() as u64);
        let mut views: Vec<(u64, i128)> = Vec::new();
        if archive_len.is_none_or(|len| cd_offset.saturating_add(cd_size) <= len) {
            views.push((cd_offset, 0));
        }
        match py_end.checked_sub(cd_size) {
            Some(py_start) if py_start > cd_offset => {
                views.push((py_start, i128::from(py_start) - i128::from(cd_offset)));
                if views.len() == 2 {
                    self.anomalies.push(Anomaly::DirectoryMismatch {
                        offset: end.offset,
                        detail: format!(
                            "the end record places the central directory at byte {cd_offset}, \
                             but its {cd_size} bytes end right before the end record only if it \
                             starts at byte {py_start}: PyTorch (miniz) and Python's zipfile \
                             read different directories"
                        ),
                    });
                }
            }
            _ => {}
        }
        let Some(&(primary, _)) = views.first() else {
            self.anomalies.push(Anomaly::Malformed {
                offset: end.offset,
                detail: format!(
                    "the end record places a central directory of {cd_size} bytes at byte \
                     {cd_offset}, outside the archive: PyTorch and Python's zipfile refuse it"
                ),
            });
            return out;
        };
        if primary != cd_offset {
            self.anomalies.push(Anomaly::DirectoryMismatch {
                offset: end.offset,
                detail: format!(
                    "the end record places the central directory at byte {cd_offset}, outside \
                     the archive; Python's zipfile finds it at byte {primary}, right before the \
                     end record, and shifts every local header offset by the difference"
                ),
            });
        }
        let in_view = |rec: &CentralRecord, start: u64| {
            rec.offset >= start && rec.offset < start.saturating_add(cd_size)
        };
        let in_primary = self.centrals.iter().filter(|r| in_view(r, primary)).count() as u64;
        if in_primary != entries {
            self.anomalies.push(Anomaly::DirectoryMismatch {
                offset: end.offset,
                detail: format!(
                    "the end record counts {entries} entries, the directory at byte {primary} \
                     holds {in_primary} records (miniz reads the count, Python's zipfile reads \
                     to the directory's size)"
                ),
            });
        }
        if entries > 0 && !self.centrals.iter().any(|r| r.offset == primary) {
            self.anomalies.push(Anomaly::DirectoryMismatch {
                offset: end.offset,
                detail: format!(
                    "no central directory record at byte {primary}, where the directory starts"
                ),
            });
        }

        let by_lho: HashMap<u64, usize> = self
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.member.local_header_offset, i))
            .collect();
        let mut referenced = vec![false; self.members.len()];
        let mut seen: HashSet<(u64, u64)> = HashSet::new();
        let mut counted_records: HashSet<u64> = HashSet::new();
        let mut central_names: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut reread: HashSet<(u64, u16, u64, u64)> = HashSet::new();
        let mut anomalies = Vec::new();

        for rec in &self.centrals {
            let views_of_rec: Vec<i128> = views
                .iter()
                .filter(|(start, _)| in_view(rec, *start))
                .map(|&(_, shift)| shift)
                .collect();
            if views_of_rec.is_empty() {
                anomalies.push(Anomaly::OutsideDirectory {
                    name: rec.name.clone(),
                    offset: rec.offset,
                });
                continue;
            }
            if counted_records.insert(rec.offset) {
                if let Some(&first) = central_names.get(&rec.name) {
                    anomalies.push(Anomaly::Duplicate {
                        name: rec.name.clone(),
                        offset: rec.offset,
                        first_offset: first,
                        central: true,
                    });
                } else {
                    central_names.insert(rec.name.clone(), rec.offset);
                }
                if rec.method == METHOD_STORED && rec.csize != rec.usize {
                    anomalies.push(Anomaly::Inconsistent {
                        name: rec.name.clone(),
                        offset: rec.offset,
                        detail: format!(
                            "stored member with compressed size {} and uncompressed size {} \
                             (miniz refuses the archive; Python's zipfile reads the compressed \
                             size)",
                            rec.csize, rec.usize
                        ),
                    });
                }
            }
            for shift in views_of_rec {
                let Ok(lho) = u64::try_from(i128::from(rec.lho) + shift) else {
                    continue;
                };
                if !seen.insert((rec.offset, lho)) {
                    continue;
                }
                let member = member_from_central(rec, lho);
                let Some(&i) = by_lho.get(&lho) else {
                    anomalies.push(Anomaly::MissingLocal {
                        name: rec.name.clone(),
                        offset: rec.offset,
                        local_header_offset: lho,
                    });
                    header_checks(&rec.name, rec.flags, rec.offset, &mut anomalies);
                    if reread.insert((lho, rec.method, rec.csize, rec.usize)) {
                        out.push(member);
                    }
                    continue;
                };
                if let Some(flag) = referenced.get_mut(i) {
                    *flag = true;
                }
                let Some(local) = self.members.get(i) else {
                    continue;
                };
                if compare(rec, lho, local, &mut anomalies)
                    && reread.insert((lho, rec.method, rec.csize, rec.usize))
                {
                    out.push(member);
                }
            }
        }

        for (m, used) in self.members.iter().zip(&referenced) {
            if !used {
                anomalies.push(Anomaly::MissingFromCentral {
                    name: m.member.name.clone(),
                    offset: m.member.local_header_offset,
                });
            }
        }
        let mut local_names: HashMap<&[u8], u64> = HashMap::new();
        for m in &self.members {
            let name = m.member.name.as_slice();
            match local_names.get(name) {
                Some(&first) => anomalies.push(Anomaly::Duplicate {
                    name: name.to_vec(),
                    offset: m.member.local_header_offset,
                    first_offset: first,
                    central: false,
                }),
                None => {
                    local_names.insert(name, m.member.local_header_offset);
                }
            }
        }
        self.anomalies.extend(anomalies);
        out
    }
}

/// Compares one central record with the local member at its offset; returns whether
/// the content PyTorch reads for it differs from what the visitor saw.
fn compare(rec: &CentralRecord, lho: u64, local: &MemberSummary, out: &mut Vec<Anomaly>) -> bool {
    let m = &local.member;
    let dd = m.has_data_descriptor();
    let mismatch = |field: &'static str, l: String, c: String| Anomaly::HeaderMismatch {
        name: rec.name.clone(),
        field,
        local: l,
        central: c,
        offset: lho,
        central_offset: rec.offset,
    };
    if rec.name != m.name {
        out.push(mismatch(
            "name",
            super::display_name(&m.name),
            super::display_name(&rec.name),
        ));
    }
    if rec.method != m.method {
        out.push(mismatch(
            "method",
            m.method.to_string(),
            rec.method.to_string(),
        ));
    }
    if rec.flags != m.flags {
        out.push(mismatch(
            "flags",
            format!("{:#06x}", m.flags),
            format!("{:#06x}", rec.flags),
        ));
        if rec.flags & SUSPICIOUS_FLAGS & !m.flags != 0 {
            header_checks(&rec.name, rec.flags, rec.offset, out);
        }
    }
    // The local side's recorded values: the descriptor's when the data has one.
    let (l_crc, l_csize, l_usize, from) = match (dd, local.descriptor) {
        (true, Some(d)) => (
            d.crc32,
            d.compressed_size,
            d.uncompressed_size,
            " (data descriptor)",
        ),
        (true, None) => (
            m.declared_crc32,
            local.compressed_read,
            local.decoded_size,
            " (as read)",
        ),
        (false, _) => (m.declared_crc32, m.compressed_size, m.uncompressed_size, ""),
    };
    if rec.crc != l_crc {
        out.push(mismatch(
            "crc32",
            format!("{l_crc:#010x}{from}"),
            format!("{:#010x}", rec.crc),
        ));
        if let Some(actual) = local.crc32
            && actual != rec.crc
        {
            out.push(Anomaly::CrcMismatch {
                name: rec.name.clone(),
                declared: rec.crc,
                actual,
                offset: lho,
                source: "central directory",
            });
        }
    }
    if rec.csize != l_csize {
        out.push(mismatch(
            "compressed size",
            format!("{l_csize}{from}"),
            rec.csize.to_string(),
        ));
    }
    if rec.usize != l_usize {
        out.push(mismatch(
            "uncompressed size",
            format!("{l_usize}{from}"),
            rec.usize.to_string(),
        ));
    }
    let decodable = matches!(rec.method, METHOD_STORED | METHOD_DEFLATE);
    let different_method = rec.method != m.method || !local.visited;
    let different_stored = rec.method == METHOD_STORED
        && (rec.usize != local.decoded_size
            || rec.csize != local.decoded_size
            || local.crc32.is_none());
    decodable && (different_method || different_stored)
}

/// Reads the central directory the way miniz finds it (last end record in the final
/// 64 KiB, zip64 locator right before it) and compares it with a walk's members.
pub(crate) fn recover<R: Read + Seek>(
    mut reader: R,
    report: &ZipReport,
    limits: &Limits,
) -> Result<super::Recovery, FormatError> {
    let len = reader.seek(SeekFrom::End(0)).map_err(|e| FormatError::Io {
        offset: 0,
        source: e,
    })?;
    let tail_len = len.min(0xffff + 22 + ZIP64_END_LEN + ZIP64_LOCATOR_LEN);
    let tail_start = len - tail_len;
    reader
        .seek(SeekFrom::Start(tail_start))
        .map_err(|e| FormatError::Io {
            offset: tail_start,
            source: e,
        })?;
    let mut tail = Vec::new();
    (&mut reader)
        .take(tail_len)
        .read_to_end(&mut tail)
        .map_err(|e| FormatError::from_io(tail_start, "end of central directory record", e))?;
    let found = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail.get(i..i + 4) == Some(b"PK\x05\x06"));
    let Some(at) = found else {
        return Err(FormatError::Invalid {
            offset: len,
            reason: "no end of central directory record in the last 64 KiB".to_string(),
        });
    };
    let end_offset = tail_start + at as u64;
    let field16 = |o: usize| u64::from(super::source::le16(&tail, at + o));
    let field32 = |o: usize| u64::from(le32(&tail, at + o));
    let (mut entries, mut cd_size, mut cd_offset) = (field16(10), field32(12), field32(16));
    if at >= ZIP64_LOCATOR_LEN as usize
        && le32(&tail, at - ZIP64_LOCATOR_LEN as usize) == ZIP64_LOCATOR
    {
        let z_at = super::source::le64(&tail, at - ZIP64_LOCATOR_LEN as usize + 8);
        reader
            .seek(SeekFrom::Start(z_at))
            .map_err(|e| FormatError::Io {
                offset: z_at,
                source: e,
            })?;
        let mut src = Source::new(&mut reader, z_at);
        src.fill(4)
            .map_err(|e| FormatError::from_io(z_at, "zip64 end of central directory record", e))?;
        if le32(src.available(), 0) == ZIP64_END {
            let z = read_zip64_end(&mut src)?;
            (entries, cd_size, cd_offset) = (z.entries, z.cd_size, z.cd_offset);
        }
    }
    if cd_offset.saturating_add(cd_size) > len {
        return Err(FormatError::Invalid {
            offset: end_offset,
            reason: format!(
                "central directory of {cd_size} bytes at byte {cd_offset} runs past the end of \
                 the file"
            ),
        });
    }
    reader
        .seek(SeekFrom::Start(cd_offset))
        .map_err(|e| FormatError::Io {
            offset: cd_offset,
            source: e,
        })?;
    let mut src = Source::new(&mut reader, cd_offset);
    let mut records = Vec::new();
    // miniz reads `entries` records, Python's zipfile reads to the directory's size: both.
    while (records.len() as u64) < entries || src.pos() < cd_offset + cd_size {
        if records.len() as u64 >= limits.max_archive_entries {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::ArchiveEntries,
                value: records.len() as u64 + 1,
                max: limits.max_archive_entries,
                offset: src.pos(),
            });
        }
        let pos = src.pos();
        src.fill(4)
            .map_err(|e| FormatError::from_io(pos, "central directory record", e))?;
        if le32(src.available(), 0) != CENTRAL {
            break;
        }
        records.push(read_central(&mut src)?);
    }

    let mut recovery = super::Recovery::default();
    let by_lho: HashMap<u64, &MemberSummary> = report
        .members
        .iter()
        .map(|m| (m.member.local_header_offset, m))
        .collect();
    let already: HashSet<(u64, u16, u64, u64)> = report
        .unvisited
        .iter()
        .map(|m| {
            (
                m.local_header_offset,
                m.method,
                m.compressed_size,
                m.uncompressed_size,
            )
        })
        .collect();
    for rec in &records {
        let key = (rec.lho, rec.method, rec.csize, rec.usize);
        let reread = match by_lho.get(&rec.lho) {
            Some(local) => compare(rec, rec.lho, local, &mut recovery.anomalies),
            None => {
                recovery.anomalies.push(Anomaly::MissingLocal {
                    name: rec.name.clone(),
                    offset: rec.offset,
                    local_header_offset: rec.lho,
                });
                true
            }
        };
        if reread && !already.contains(&key) {
            recovery.unvisited.push(member_from_central(rec, rec.lho));
        }
    }
    Ok(recovery)
}

/// Refuses one more record once `count` records have reached the entry limit.
fn entry_limit(count: usize, limits: &Limits, offset: u64) -> Result<(), FormatError> {
    let count = count as u64;
    if count >= limits.max_archive_entries {
        return Err(FormatError::LimitExceeded {
            limit: LimitKind::ArchiveEntries,
            value: count + 1,
            max: limits.max_archive_entries,
            offset,
        });
    }
    Ok(())
}
