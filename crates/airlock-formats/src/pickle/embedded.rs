//! Pickles hidden inside bytes or str constants of another pickle (PKL112, B25).
//!
//! A payload can travel as data and be unpickled at load time by a call the outer
//! stream makes (`pickle.loads(base64.b64decode(...))`, `torch.load(BytesIO(...))`).
//! A constant whose content is a pickle, raw, base64 or hex, is analysed as a stream
//! of its own, so its imports are visible.
//!
//! # Security
//!
//! Detection reads at most a 4 KiB prefix. Decoding is streaming (base64 and hex are
//! decoded on the fly), bounded to [`MAX_ENCODED_INPUT`] bytes of encoded input, and
//! each level counts against [`crate::Limits::max_depth`].

use std::io::{self, Read};

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine as _};

use super::opcode::{HIGHEST_PROTOCOL, PROTO};
use super::sniff::looks_like_pickle;
use super::vm::analyze_dyn;
use super::{Encoding, StreamAnalysis};
use crate::{FormatError, Limits};

/// Encoded bytes decoded for one embedded pickle.
pub(crate) const MAX_ENCODED_INPUT: u64 = 64 << 20;
/// Prefix examined to decide whether a constant is a pickle.
const PREFIX: usize = 4096;

/// Base64 as Python's `base64.b64encode` writes it, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Where a candidate came from, which decides how strong the evidence must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detected {
    /// A bytes/str constant.
    Constant,
    /// joblib array data that a plain unpickler would read as opcodes.
    RawRegion,
}

/// Whether decoded bytes start a binary pickle: PROTO 2..=5 and a plausible prefix.
fn is_binary_pickle(decoded: &[u8]) -> bool {
    matches!(decoded, [PROTO, p, ..] if (2..=HIGHEST_PROTOCOL).contains(p))
        && looks_like_pickle(decoded)
}

/// Whether `data` (a constant or its first bytes) is a pickle, and in which encoding.
pub(crate) fn detect(data: &[u8]) -> Option<Encoding> {
    let prefix = data.get(..data.len().min(PREFIX)).unwrap_or(data);
    match prefix {
        [PROTO, ..] => is_binary_pickle(prefix).then_some(Encoding::Raw),
        [b'g', b'A', ..] => {
            let n = prefix.len() - prefix.len() % 4;
            let decoded = BASE64.decode(prefix.get(..n)?).ok()?;
            is_binary_pickle(&decoded).then_some(Encoding::Base64)
        }
        [b'8', b'0', b'0', b'2'..=b'5', ..] => {
            let n = prefix.len() - prefix.len() % 2;
            let decoded = decode_hex(prefix.get(..n)?)?;
            is_binary_pickle(&decoded).then_some(Encoding::Hex)
        }
        _ => None,
    }
}

/// The latin-1 bytes of a UTF-8 str that starts like a pickle written as a latin-1 str
/// (U+0080, then U+0002..U+0005), if all its code points are below U+0100.
pub(crate) fn latin1_candidate(utf8: &[u8]) -> Option<Vec<u8>> {
    if !matches!(utf8, [0xC2, 0x80, 2..=5, ..]) {
        return None;
    }
    std::str::from_utf8(utf8)
        .ok()?
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn decode_hex(s: &[u8]) -> Option<Vec<u8>> {
    s.chunks(2)
        .map(|p| match p {
            [h, l] => Some(hex_val(*h)? << 4 | hex_val(*l)?),
            _ => None,
        })
        .collect()
}

/// Analyses `reader` as an embedded pickle in encoding `enc` at nesting `depth`.
pub(crate) fn analyze_encoded(
    reader: &mut dyn Read,
    enc: Encoding,
    limits: &Limits,
    depth: u32,
) -> StreamAnalysis {
    match enc {
        // Raw content is bounded by the constant's own length.
        Encoding::Raw => analyze_dyn(reader, limits, depth),
        Encoding::Base64 => {
            let mut bounded = reader.take(MAX_ENCODED_INPUT);
            let mut r = base64::read::DecoderReader::new(&mut bounded, &BASE64);
            analyze_dyn(&mut r, limits, depth)
        }
        Encoding::Hex => {
            let mut bounded = reader.take(MAX_ENCODED_INPUT);
            let mut r = HexReader {
                inner: &mut bounded,
                buf: vec![0; 8192],
            };
            analyze_dyn(&mut r, limits, depth)
        }
    }
}

/// Whether an embedded analysis says enough to be reported. A constant is reported when
/// a pickle in it completed or anything was found; joblib array data only when it would
/// import or call something, since arbitrary numbers often decode as a few opcodes.
pub(crate) fn worth_reporting(a: &StreamAnalysis, how: Detected) -> bool {
    let found = !a.imports.is_empty()
        || !a.calls.is_empty()
        || !a.extensions.is_empty()
        || !a.builds_on_globals.is_empty()
        || !a.embedded.is_empty();
    let limited = matches!(
        a.stopped,
        Some(FormatError::LimitExceeded { .. } | FormatError::Unsupported { .. })
    );
    match how {
        Detected::Constant => found || limited || a.pickles.iter().any(|p| p.complete),
        Detected::RawRegion => found || limited,
    }
}

/// Decodes hex digits on the fly.
struct HexReader<'a> {
    inner: &'a mut dyn Read,
    buf: Vec<u8>,
}

impl Read for HexReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let want = out.len().saturating_mul(2).min(self.buf.len());
        if want == 0 {
            return Ok(0);
        }
        let Some(buf) = self.buf.get_mut(..want) else {
            return Ok(0);
        };
        let mut got = 0;
        // Read an even number of digits (the inner reader may return odd counts).
        while got < 2 {
            let Some(dst) = buf.get_mut(got..) else { break };
            let n = self.inner.read(dst)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        if got % 2 == 1 {
            let Some(dst) = buf.get_mut(got..got + 1) else {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "odd hex length"));
            };
            if self.inner.read(dst)? == 0 {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "odd hex length"));
            }
            got += 1;
        }
        let digits = buf.get(..got).unwrap_or(&[]);
        let mut n = 0;
        for (pair, dst) in digits.chunks(2).zip(out.iter_mut()) {
            match pair {
                [h, l] => match (hex_val(*h), hex_val(*l)) {
                    (Some(h), Some(l)) => *dst = h << 4 | l,
                    _ => return Err(io::Error::new(io::ErrorKind::InvalidData, "invalid hex")),
                },
                _ => break,
            }
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_encodings() {
        let p = b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00N.";
        assert_eq!(detect(p), Some(Encoding::Raw));
        let b64 = BASE64.encode(p);
        assert_eq!(detect(b64.as_bytes()), Some(Encoding::Base64));
        let hex: String = p.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(detect(hex.as_bytes()), Some(Encoding::Hex));
        assert_eq!(detect(b"gAbcdefg"), None);
        assert_eq!(detect(b"8002zz"), None);
        assert_eq!(detect(b"\x80\x07N."), None);
    }

    #[test]
    fn hex_reader_decodes() {
        let mut src: &[u8] = b"80024e2e";
        let mut r = HexReader {
            inner: &mut src,
            buf: vec![0; 8192],
        };
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"\x80\x02N.");
    }
}
