//! A streaming reader of the protobuf wire format, shared by the ONNX and TensorFlow parsers.
//!
//! ONNX and TensorFlow files are single protobuf messages of up to 2 GiB, most of it
//! tensor bytes (`raw_data`, `tensor_content`). Decoding them whole (as `prost` or the
//! loaders do) holds the file in memory; this walker instead reads one field header at a
//! time from a [`Read`], lets the caller descend into the messages it cares about, skips
//! bulk fields by reading past them, and buffers only small messages (bounded by
//! [`Limits::max_proto_message`]) for `prost` to decode.
//!
//! # Security
//!
//! Every length is checked against the enclosing message before anything is read or
//! allocated; nesting is bounded by [`Limits::max_proto_depth`] and the number of
//! messages visited by [`Limits::max_proto_items`]. Malformed wire data becomes a
//! [`FormatError`] with the byte offset. Groups (wire types 3 and 4, deprecated since
//! proto2) are refused as invalid: no ONNX or TensorFlow writer emits them.

use std::io::{self, Read};

use crate::{FormatError, LimitKind, Limits};

/// The wire type of a field, the low three bits of its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireType {
    /// A base-128 varint.
    Varint,
    /// Eight little-endian bytes.
    Fixed64,
    /// A varint length, then that many bytes (strings, bytes, messages, packed arrays).
    Len,
    /// Four little-endian bytes.
    Fixed32,
}

/// One field header read from the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The field number.
    pub number: u32,
    /// How its value is encoded.
    pub wire: WireType,
    /// Offset of the tag in the stream.
    pub offset: u64,
}

/// Bytes kept from a string field, with whether the field was longer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Kept {
    /// The first bytes of the field (all of it unless `truncated`).
    pub bytes: Vec<u8>,
    /// Whether bytes past the cap were skipped.
    pub truncated: bool,
}

impl Kept {
    /// The kept bytes as text, invalid UTF-8 replaced, `…` appended when truncated.
    pub fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.bytes).into_owned();
        if self.truncated {
            text.push('…');
        }
        text
    }
}

/// A protobuf reader over a byte stream that knows its position.
pub struct Wire<'l, R> {
    inner: R,
    pos: u64,
    limits: &'l Limits,
    items: u64,
    depth: u32,
}

impl<'l, R: Read> Wire<'l, R> {
    /// Starts reading a stream at byte 0.
    pub fn new(inner: R, limits: &'l Limits) -> Self {
        Wire {
            inner,
            pos: 0,
            limits,
            items: 0,
            depth: 0,
        }
    }

    /// Bytes consumed so far.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Messages entered so far.
    pub fn items(&self) -> u64 {
        self.items
    }

    fn byte(&mut self, what: &'static str) -> Result<Option<u8>, FormatError> {
        let mut b = [0u8; 1];
        loop {
            match self.inner.read(&mut b) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    self.pos += 1;
                    return Ok(Some(b[0]));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FormatError::from_io(self.pos, what, e)),
            }
        }
    }

    /// Reads a varint; `Ok(None)` only when the stream ends before its first byte.
    fn varint_or_eof(&mut self, what: &'static str) -> Result<Option<u64>, FormatError> {
        let start = self.pos;
        let mut value: u64 = 0;
        for i in 0..10u32 {
            let Some(b) = self.byte(what)? else {
                if i == 0 {
                    return Ok(None);
                }
                return Err(FormatError::Truncated {
                    offset: self.pos,
                    what,
                });
            };
            if i == 9 && b > 1 {
                return Err(invalid(start, format!("{what}: varint overflows 64 bits")));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(Some(value));
            }
        }
        Err(invalid(
            start,
            format!("{what}: varint longer than 10 bytes"),
        ))
    }

    /// Reads a varint that must be there.
    pub fn varint(&mut self, what: &'static str) -> Result<u64, FormatError> {
        match self.varint_or_eof(what)? {
            Some(v) => Ok(v),
            None => Err(FormatError::Truncated {
                offset: self.pos,
                what,
            }),
        }
    }

    /// Reads the next field header of the message that ends at `end`.
    ///
    /// Returns `None` at `end`, or at the end of the stream when `end` is `None` (the
    /// top-level message, whose end is the end of the stream).
    pub fn field(&mut self, end: Option<u64>) -> Result<Option<Field>, FormatError> {
        if let Some(end) = end
            && self.pos >= end
        {
            return Ok(None);
        }
        let offset = self.pos;
        let tag = match self.varint_or_eof("field tag")? {
            Some(tag) => tag,
            None if end.is_none() => return Ok(None),
            None => {
                return Err(FormatError::Truncated {
                    offset,
                    what: "field tag",
                });
            }
        };
        let number = tag >> 3;
        if number == 0 || number > (1 << 29) - 1 {
            return Err(invalid(offset, format!("field number {number} is invalid")));
        }
        let wire = match tag & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            5 => WireType::Fixed32,
            3 | 4 => {
                return Err(invalid(
                    offset,
                    format!("field {number} uses the deprecated group encoding"),
                ));
            }
            other => return Err(invalid(offset, format!("wire type {other} does not exist"))),
        };
        Ok(Some(Field {
            number: number as u32,
            wire,
            offset,
        }))
    }

    /// Reads a length prefix and returns the offset where the field's bytes end,
    /// checked against the enclosing message's `end`.
    pub fn len(&mut self, end: Option<u64>) -> Result<u64, FormatError> {
        let at = self.pos;
        let len = self.varint("field length")?;
        let field_end = self
            .pos
            .checked_add(len)
            .ok_or_else(|| invalid(at, format!("field length {len} overflows")))?;
        if let Some(end) = end
            && field_end > end
        {
            return Err(invalid(
                at,
                format!(
                    "field length {len} runs {} bytes past the end of its enclosing message",
                    field_end - end
                ),
            ));
        }
        Ok(field_end)
    }

    /// Skips the value of `field` (after its tag), reading past it without buffering.
    pub fn skip(&mut self, field: Field, end: Option<u64>) -> Result<(), FormatError> {
        match field.wire {
            WireType::Varint => self.varint("varint field").map(drop),
            WireType::Fixed64 => self.skip_to(self.pos + 8, end),
            WireType::Fixed32 => self.skip_to(self.pos + 4, end),
            WireType::Len => {
                let to = self.len(end)?;
                self.skip_to(to, None)
            }
        }
    }

    /// Reads and discards bytes up to offset `to`.
    pub fn skip_to(&mut self, to: u64, end: Option<u64>) -> Result<(), FormatError> {
        if let Some(end) = end
            && to > end
        {
            return Err(invalid(
                self.pos,
                "fixed-width field runs past the end of its enclosing message".into(),
            ));
        }
        let want = to.saturating_sub(self.pos);
        let got = io::copy(&mut (&mut self.inner).take(want), &mut io::sink())
            .map_err(|e| FormatError::from_io(self.pos, "field bytes", e))?;
        self.pos += got;
        if got < want {
            return Err(FormatError::Truncated {
                offset: self.pos,
                what: "field bytes",
            });
        }
        Ok(())
    }

    /// Reads a length-delimited field, keeping at most `cap` bytes and skipping the rest.
    pub fn keep(&mut self, end: Option<u64>, cap: usize) -> Result<Kept, FormatError> {
        let to = self.len(end)?;
        let len = to - self.pos;
        let take = len.min(cap as u64);
        let bytes = self.raw(take)?;
        self.skip_to(to, None)?;
        Ok(Kept {
            bytes,
            truncated: take < len,
        })
    }

    /// Reads a length-delimited field that must fit in [`Limits::max_proto_message`]
    /// whole, for `prost` to decode.
    pub fn message_bytes(&mut self, end: Option<u64>) -> Result<Vec<u8>, FormatError> {
        let at = self.pos;
        let to = self.len(end)?;
        let len = to - self.pos;
        if len > self.limits.max_proto_message {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::ProtoMessage,
                value: len,
                max: self.limits.max_proto_message,
                offset: at,
            });
        }
        self.count_item(at)?;
        self.raw(len)
    }

    /// Reads and decodes a small message with `prost`.
    pub fn decode<M: prost::Message + Default>(
        &mut self,
        end: Option<u64>,
        what: &'static str,
    ) -> Result<M, FormatError> {
        let at = self.pos;
        let bytes = self.message_bytes(end)?;
        M::decode(bytes.as_slice()).map_err(|e| invalid(at, format!("{what}: {e}")))
    }

    /// Reads exactly `n` bytes; callers bound `n` first.
    pub fn raw(&mut self, n: u64) -> Result<Vec<u8>, FormatError> {
        let mut out = Vec::new();
        let got = (&mut self.inner)
            .take(n)
            .read_to_end(&mut out)
            .map_err(|e| FormatError::from_io(self.pos, "field bytes", e))?;
        self.pos += got as u64;
        if (got as u64) < n {
            return Err(FormatError::Truncated {
                offset: self.pos,
                what: "field bytes",
            });
        }
        Ok(out)
    }

    /// Enters a length-delimited submessage: returns where it ends. Pair with [`Wire::leave`].
    pub fn enter(&mut self, end: Option<u64>) -> Result<u64, FormatError> {
        let at = self.pos;
        if self.depth >= self.limits.max_proto_depth {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::ProtoDepth,
                value: u64::from(self.depth) + 1,
                max: u64::from(self.limits.max_proto_depth),
                offset: at,
            });
        }
        let to = self.len(end)?;
        self.count_item(at)?;
        self.depth += 1;
        Ok(to)
    }

    /// Leaves a submessage entered with [`Wire::enter`]; checks it ended where it said.
    pub fn leave(&mut self, to: u64) -> Result<(), FormatError> {
        self.depth = self.depth.saturating_sub(1);
        if self.pos != to {
            return Err(invalid(
                self.pos,
                format!("submessage ends at byte {} instead of {to}", self.pos),
            ));
        }
        Ok(())
    }

    fn count_item(&mut self, at: u64) -> Result<(), FormatError> {
        self.items += 1;
        if self.items > self.limits.max_proto_items {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::ProtoItems,
                value: self.items,
                max: self.limits.max_proto_items,
                offset: at,
            });
        }
        Ok(())
    }
}

fn invalid(offset: u64, reason: String) -> FormatError {
    FormatError::Invalid { offset, reason }
}

/// Structural check of a message prefix for format detection: every field header is
/// well formed, its number is in `known` with the listed wire type, and lengths fit
/// the message (a length may run past the prefix, which is then cut there).
///
/// Returns the fields seen as (number, the value's bytes inside the prefix; a varint's
/// own bytes), or `None` when the prefix is not such a message.
pub fn sniff_fields<'p>(
    prefix: &'p [u8],
    known: &[(u32, WireType)],
) -> Option<Vec<(u32, &'p [u8])>> {
    let mut fields = Vec::new();
    let mut at = 0usize;
    while at < prefix.len() {
        let rest = prefix.get(at..).unwrap_or_default();
        let (tag, n) = match sniff_varint(rest) {
            Some(v) => v,
            // A tag cut by the end of the prefix.
            None if rest.len() < 5 => return Some(fields),
            None => return None,
        };
        at += n;
        let number = u32::try_from(tag >> 3).ok()?;
        let wire = match tag & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::Len,
            5 => WireType::Fixed32,
            _ => return None,
        };
        if !known.contains(&(number, wire)) {
            return None;
        }
        let rest = prefix.get(at..).unwrap_or_default();
        let len = match wire {
            WireType::Varint => match sniff_varint(rest) {
                Some((_, n)) => n,
                None if rest.len() < 10 => rest.len(),
                None => return None,
            },
            WireType::Fixed64 => 8,
            WireType::Fixed32 => 4,
            WireType::Len => {
                let (len, n) = match sniff_varint(rest) {
                    Some(v) => v,
                    None if rest.len() < 10 => return Some(fields),
                    None => return None,
                };
                at += n;
                usize::try_from(len).unwrap_or(usize::MAX)
            }
        };
        let value_start = at.min(prefix.len());
        let value_end = at.saturating_add(len).min(prefix.len());
        let value = prefix.get(value_start..value_end).unwrap_or_default();
        fields.push((number, value));
        at = at.saturating_add(len);
    }
    Some(fields)
}

/// Decodes a varint at the start of `bytes`: (value, bytes used).
pub fn sniff_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, b) in bytes.iter().take(10).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i as u32);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_and_skips() {
        // field 1 varint 150, field 2 bytes "abc", field 3 fixed32
        let data = [
            0x08, 0x96, 0x01, 0x12, 3, b'a', b'b', b'c', 0x1d, 1, 2, 3, 4,
        ];
        let limits = Limits::default();
        let mut w = Wire::new(&data[..], &limits);
        let f = w.field(None).unwrap().unwrap();
        assert_eq!((f.number, f.wire), (1, WireType::Varint));
        assert_eq!(w.varint("x").unwrap(), 150);
        let f = w.field(None).unwrap().unwrap();
        assert_eq!(f.number, 2);
        let kept = w.keep(None, 2).unwrap();
        assert_eq!(kept.bytes, b"ab");
        assert!(kept.truncated);
        let f = w.field(None).unwrap().unwrap();
        w.skip(f, None).unwrap();
        assert!(w.field(None).unwrap().is_none());
    }

    #[test]
    fn length_past_parent_and_bad_varint() {
        let limits = Limits::default();
        let data = [0x0a, 5, 0x12, 10, b'a'];
        let mut w = Wire::new(&data[..], &limits);
        w.field(None).unwrap().unwrap();
        let end = w.enter(None).unwrap();
        w.field(Some(end)).unwrap().unwrap();
        assert!(matches!(w.len(Some(end)), Err(FormatError::Invalid { .. })));
        let data = [
            0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ];
        let mut w = Wire::new(&data[..], &limits);
        w.field(None).unwrap().unwrap();
        assert!(matches!(w.varint("x"), Err(FormatError::Invalid { .. })));
    }

    #[test]
    fn depth_is_bounded() {
        let limits = Limits {
            max_proto_depth: 3,
            ..Limits::default()
        };
        let data = [0x0a, 6, 0x0a, 4, 0x0a, 2, 0x0a, 0];
        let mut w = Wire::new(&data[..], &limits);
        let mut end = None;
        let mut result = Ok(0);
        for _ in 0..4 {
            w.field(end).unwrap().unwrap();
            result = w.enter(end);
            match result {
                Ok(e) => end = Some(e),
                Err(_) => break,
            }
        }
        assert!(matches!(result, Err(FormatError::LimitExceeded { .. })));
    }
}
