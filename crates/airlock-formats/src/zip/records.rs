//! Fixed zip records: signatures, local and central headers, end records.

use std::io::Read;

use super::source::{Source, le16, le32, le64};
use crate::FormatError;

/// `PK\x03\x04`: local file header.
pub(crate) const LOCAL: u32 = 0x0403_4b50;
/// `PK\x01\x02`: central directory file header.
pub(crate) const CENTRAL: u32 = 0x0201_4b50;
/// `PK\x05\x06`: end of central directory record.
pub(crate) const END: u32 = 0x0605_4b50;
/// `PK\x06\x06`: zip64 end of central directory record.
pub(crate) const ZIP64_END: u32 = 0x0606_4b50;
/// `PK\x06\x07`: zip64 end of central directory locator.
pub(crate) const ZIP64_LOCATOR: u32 = 0x0706_4b50;
/// `PK\x07\x08`: optional data descriptor signature.
pub(crate) const DESCRIPTOR: u32 = 0x0807_4b50;
/// `PK\x05\x05`: central directory digital signature.
pub(crate) const DIGITAL_SIGNATURE: u32 = 0x0505_4b50;
/// `PK\x06\x08`: archive extra data record (central directory encryption).
pub(crate) const ARCHIVE_EXTRA: u32 = 0x0806_4b50;

/// Saturated 32-bit field: the real value is in the zip64 extra field.
const MAX32: u32 = u32::MAX;

/// Whether `b` starts with the signature of a record that may follow member data.
pub(crate) fn is_record_signature(b: &[u8]) -> bool {
    b.len() >= 4
        && matches!(
            le32(b, 0),
            LOCAL | CENTRAL | END | ZIP64_END | ZIP64_LOCATOR | DIGITAL_SIGNATURE | ARCHIVE_EXTRA
        )
}

/// A parsed local file header.
#[derive(Debug, Clone)]
pub(crate) struct LocalHeader {
    pub offset: u64,
    pub flags: u16,
    pub method: u16,
    pub crc: u32,
    pub csize: u64,
    pub usize: u64,
    pub name: Vec<u8>,
    /// A zip64 extra field was present (data descriptors then use 64-bit sizes).
    pub zip64: bool,
    pub data_offset: u64,
}

/// A parsed central directory record.
#[derive(Debug, Clone)]
pub(crate) struct CentralRecord {
    pub offset: u64,
    pub flags: u16,
    pub method: u16,
    pub crc: u32,
    pub csize: u64,
    pub usize: u64,
    pub lho: u64,
    pub name: Vec<u8>,
}

/// A parsed end of central directory record (zip64 values not yet applied).
#[derive(Debug, Clone)]
pub(crate) struct EndRecord {
    pub offset: u64,
    pub disk: u16,
    pub cd_disk: u16,
    pub entries_disk: u16,
    pub entries: u16,
    pub cd_size: u32,
    pub cd_offset: u32,
    pub comment_len: u16,
}

/// A parsed zip64 end of central directory record.
#[derive(Debug, Clone)]
pub(crate) struct Zip64End {
    pub offset: u64,
    pub record_size: u64,
    pub entries: u64,
    pub cd_size: u64,
    pub cd_offset: u64,
}

/// A parsed zip64 end of central directory locator.
#[derive(Debug, Clone)]
pub(crate) struct Zip64Locator {
    pub offset: u64,
    pub end_offset: u64,
}

fn truncated<R: Read>(src: &Source<R>, what: &'static str) -> FormatError {
    FormatError::Truncated {
        offset: src.pos() + src.available().len() as u64,
        what,
    }
}

fn io_err<R: Read>(src: &Source<R>, what: &'static str, e: std::io::Error) -> FormatError {
    FormatError::from_io(src.pos(), what, e)
}

fn read_fixed<R: Read, const N: usize>(
    src: &mut Source<R>,
    what: &'static str,
) -> Result<[u8; N], FormatError> {
    match src.read_array::<N>() {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(truncated(src, what)),
        Err(e) => Err(io_err(src, what, e)),
    }
}

fn read_bytes<R: Read>(
    src: &mut Source<R>,
    n: usize,
    what: &'static str,
) -> Result<Vec<u8>, FormatError> {
    match src.read_vec(n) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(_)) => Err(truncated(src, what)),
        Err(e) => Err(io_err(src, what, e)),
    }
}

/// Values of the zip64 extended information extra field (id 1), read the way Python's
/// `zipfile._decodeExtra` reads them: one u64 per saturated field, in order.
#[derive(Debug, Default)]
struct Zip64Extra {
    present: bool,
    usize: Option<u64>,
    csize: Option<u64>,
    lho: Option<u64>,
}

fn parse_zip64(extra: &[u8], usize_sat: bool, csize_sat: bool, lho_sat: bool) -> Zip64Extra {
    let mut out = Zip64Extra::default();
    let mut at = 0usize;
    while at + 4 <= extra.len() {
        let id = le16(extra, at);
        let size = usize::from(le16(extra, at + 2));
        let data = extra
            .get(at + 4..(at + 4 + size).min(extra.len()))
            .unwrap_or_default();
        if id == 1 && !out.present {
            out.present = true;
            let mut field = 0usize;
            let mut next = || {
                let v = data.get(field..field + 8).map(|_| le64(data, field));
                field += 8;
                v
            };
            if usize_sat {
                out.usize = next();
            }
            if csize_sat {
                out.csize = next();
            }
            if lho_sat {
                out.lho = next();
            }
        }
        at += 4 + size;
    }
    out
}

/// Reads a local file header; the source is at its signature.
pub(crate) fn read_local<R: Read>(src: &mut Source<R>) -> Result<LocalHeader, FormatError> {
    let offset = src.pos();
    let h: [u8; 30] = read_fixed(src, "local file header")?;
    let name_len = usize::from(le16(&h, 26));
    let extra_len = usize::from(le16(&h, 28));
    let name = read_bytes(src, name_len, "local file name")?;
    let extra = read_bytes(src, extra_len, "local extra field")?;
    let csize32 = le32(&h, 18);
    let usize32 = le32(&h, 22);
    let z = parse_zip64(&extra, usize32 == MAX32, csize32 == MAX32, false);
    Ok(LocalHeader {
        offset,
        flags: le16(&h, 6),
        method: le16(&h, 8),
        crc: le32(&h, 14),
        csize: z.csize.unwrap_or(u64::from(csize32)),
        usize: z.usize.unwrap_or(u64::from(usize32)),
        name,
        zip64: z.present,
        data_offset: src.pos(),
    })
}

/// Reads a central directory record; the source is at its signature.
pub(crate) fn read_central<R: Read>(src: &mut Source<R>) -> Result<CentralRecord, FormatError> {
    let offset = src.pos();
    let h: [u8; 46] = read_fixed(src, "central directory record")?;
    let name_len = usize::from(le16(&h, 28));
    let extra_len = usize::from(le16(&h, 30));
    let comment_len = u64::from(le16(&h, 32));
    let name = read_bytes(src, name_len, "central directory file name")?;
    let extra = read_bytes(src, extra_len, "central directory extra field")?;
    match src.skip(comment_len) {
        Ok(n) if n == comment_len => {}
        Ok(_) => return Err(truncated(src, "central directory file comment")),
        Err(e) => return Err(io_err(src, "central directory file comment", e)),
    }
    let csize32 = le32(&h, 20);
    let usize32 = le32(&h, 24);
    let lho32 = le32(&h, 42);
    let z = parse_zip64(&extra, usize32 == MAX32, csize32 == MAX32, lho32 == MAX32);
    Ok(CentralRecord {
        offset,
        flags: le16(&h, 8),
        method: le16(&h, 10),
        crc: le32(&h, 16),
        csize: z.csize.unwrap_or(u64::from(csize32)),
        usize: z.usize.unwrap_or(u64::from(usize32)),
        lho: z.lho.unwrap_or(u64::from(lho32)),
        name,
    })
}

/// Reads the fixed part of an end of central directory record (not its comment).
pub(crate) fn read_end<R: Read>(src: &mut Source<R>) -> Result<EndRecord, FormatError> {
    let offset = src.pos();
    let h: [u8; 22] = read_fixed(src, "end of central directory record")?;
    Ok(EndRecord {
        offset,
        disk: le16(&h, 4),
        cd_disk: le16(&h, 6),
        entries_disk: le16(&h, 8),
        entries: le16(&h, 10),
        cd_size: le32(&h, 12),
        cd_offset: le32(&h, 16),
        comment_len: le16(&h, 20),
    })
}

/// Reads the fixed 56 bytes of a zip64 end record (its extensible data is left as is).
pub(crate) fn read_zip64_end<R: Read>(src: &mut Source<R>) -> Result<Zip64End, FormatError> {
    let offset = src.pos();
    let h: [u8; 56] = read_fixed(src, "zip64 end of central directory record")?;
    Ok(Zip64End {
        offset,
        record_size: le64(&h, 4),
        entries: le64(&h, 32),
        cd_size: le64(&h, 40),
        cd_offset: le64(&h, 48),
    })
}

/// Reads a zip64 end locator.
pub(crate) fn read_zip64_locator<R: Read>(
    src: &mut Source<R>,
) -> Result<Zip64Locator, FormatError> {
    let offset = src.pos();
    let h: [u8; 20] = read_fixed(src, "zip64 end of central directory locator")?;
    Ok(Zip64Locator {
        offset,
        end_offset: le64(&h, 8),
    })
}

/// Reads a digital signature record (u16 length, so bounded) and discards it.
pub(crate) fn skip_digital_signature<R: Read>(src: &mut Source<R>) -> Result<u64, FormatError> {
    let h: [u8; 6] = read_fixed(src, "digital signature record")?;
    let len = u64::from(le16(&h, 4));
    match src.skip(len) {
        Ok(n) if n == len => Ok(len + 6),
        Ok(_) => Err(truncated(src, "digital signature data")),
        Err(e) => Err(io_err(src, "digital signature data", e)),
    }
}
