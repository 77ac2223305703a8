//! Compressed stream layers (gzip, zlib, xz, lzma, bzip2, lz4) with size bounds.
//!
//! joblib wraps whole pickles in one of these layers and picks the decoder from the
//! first bytes of the file, whatever its name; scanners that do not unwrap them miss the
//! pickle inside (research B26). [`detect`] recognises exactly the prefixes joblib's
//! `compressor.py` and `numpy_pickle_utils.py` recognise, and [`decoder`] streams the
//! decoded bytes through the same bounds as every other layer.
//!
//! # Security
//!
//! Decoding never allocates by a size the stream claims: every decoder works in fixed
//! buffers (the xz and lzma dictionaries are capped at [`MAX_DICTIONARY_BYTES`] before they
//! are allocated). Output is bounded by [`Limits::max_decompressed_bytes`] and, once
//! 16 MiB have been produced, by [`Limits::max_compression_ratio`]; crossing either fails
//! the read with an [`io::Error`] that carries [`FormatError::LimitExceeded`] (see
//! [`limit_error`]), so a caller can tell "stopped by a bound" from "corrupt". A stream
//! that ends early or holds invalid data fails with an ordinary `InvalidData` or
//! `UnexpectedEof` error, never with a silent short read.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::rc::Rc;

use flate2::{Decompress, FlushDecompress, Status};

use crate::{FormatError, LimitKind, Limits};

/// Output size after which the compression ratio is checked.
pub const RATIO_CHECK_AFTER: u64 = 16 << 20;

/// Largest xz/lzma dictionary (decoder memory) airlock allocates: 256 MiB.
///
/// `xz -9` uses 64 MiB; a larger claim only serves to make the scanner allocate, and
/// is refused with [`FormatError::LimitExceeded`] ([`LimitKind::Decompression`]).
pub const MAX_DICTIONARY_BYTES: u64 = 256 << 20;

/// First four bytes of a Zstandard frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Bytes of joblib's legacy `ZF` header: `ZF`, then the hex length padded to 19 bytes.
const ZFILE_HEADER_LEN: usize = 2 + 19;

/// A compression format that wraps a whole stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// gzip (RFC 1952), multi-member.
    Gzip,
    /// zlib (RFC 1950), multi-stream as joblib reads it; also joblib's legacy `ZF` files.
    Zlib,
    /// xz container (LZMA2), multi-stream.
    Xz,
    /// Legacy `.lzma` ("lzma-alone") stream.
    Lzma,
    /// bzip2, multi-stream.
    Bzip2,
    /// LZ4 frame format, multi-frame.
    Lz4,
    /// Zstandard, multi-frame, skippable frames skipped.
    Zstd,
}

impl Codec {
    /// Lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zlib => "zlib",
            Codec::Xz => "xz",
            Codec::Lzma => "lzma",
            Codec::Bzip2 => "bzip2",
            Codec::Lz4 => "lz4",
            Codec::Zstd => "zstd",
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Recognises a compressed layer from the first bytes of a stream (pass at least 32).
///
/// The prefixes are joblib's (`compressor.py`), tightened where a loose prefix would
/// match ordinary text: zlib needs a valid `CMF`/`FLG` pair and a prefix that inflates
/// without error, gzip needs method 8 and no reserved flag bits, bzip2 needs the block
/// or end-of-stream magic after `BZh[1-9]`, lzma-alone needs properties `0x5d` and a
/// dictionary of at most 1.5 GiB. joblib's pre-0.10 `ZF` files are reported as
/// [`Codec::Zlib`]; [`decoder`] skips their header.
pub fn detect(prefix: &[u8]) -> Option<Codec> {
    if prefix.starts_with(&[0x1f, 0x8b]) {
        // Method 8 (deflate) is the only one gzip defines; bits 5-7 of FLG are reserved.
        return match (prefix.get(2), prefix.get(3)) {
            (Some(8), Some(flg)) if flg & 0xe0 == 0 => Some(Codec::Gzip),
            (Some(8), None) => Some(Codec::Gzip),
            _ => None,
        };
    }
    if prefix.starts_with(b"\xfd7zXZ\x00") {
        return Some(Codec::Xz);
    }
    if prefix.starts_with(b"\x04\x22\x4d\x18") {
        return Some(Codec::Lz4);
    }
    if prefix.starts_with(&ZSTD_MAGIC) {
        // Frame header descriptor: bit 3 is reserved and must be zero.
        return match prefix.get(4) {
            Some(descriptor) if descriptor & 0x08 != 0 => None,
            _ => Some(Codec::Zstd),
        };
    }
    if prefix.starts_with(b"BZh") {
        let level_ok = matches!(prefix.get(3), Some(b'1'..=b'9'));
        let magic = prefix.get(4..10);
        let magic_ok = matches!(
            magic,
            Some(b"\x31\x41\x59\x26\x53\x59") | Some(b"\x17\x72\x45\x38\x50\x90")
        );
        return (level_ok && magic_ok).then_some(Codec::Bzip2);
    }
    if prefix.starts_with(&[0x5d, 0x00, 0x00]) {
        return lzma_alone_header_ok(prefix).then_some(Codec::Lzma);
    }
    if prefix.starts_with(b"ZF0x") && zfile_header_ok(prefix) {
        return Some(Codec::Zlib);
    }
    if prefix.first() == Some(&0x78) && zlib_prefix_ok(prefix) {
        return Some(Codec::Zlib);
    }
    None
}

/// lzma-alone: properties 0x5d (lc=3, lp=0, pb=2, what every encoder writes), a
/// dictionary no larger than xz allows (1.5 GiB), and a size that is "unknown" or sane.
fn lzma_alone_header_ok(prefix: &[u8]) -> bool {
    let Some(dict) = prefix.get(1..5).and_then(|b| <[u8; 4]>::try_from(b).ok()) else {
        return false;
    };
    let dict = u32::from_le_bytes(dict);
    if dict == 0 || dict > 0x6000_0000 {
        return false;
    }
    match prefix.get(5..13).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
        Some(size) => {
            let size = u64::from_le_bytes(size);
            size == u64::MAX || size < (1 << 48)
        }
        None => true,
    }
}

/// joblib < 0.10 `ZF` header: `ZF`, `0x` + hex digits, space padding.
fn zfile_header_ok(prefix: &[u8]) -> bool {
    let Some(field) = prefix.get(2..ZFILE_HEADER_LEN) else {
        return false;
    };
    let digits = field.get(2..).unwrap_or_default();
    let hex_len = digits.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    hex_len > 0
        && digits
            .get(hex_len..)
            .unwrap_or_default()
            .iter()
            .all(|&b| b == b' ' || b == b'L')
}

/// zlib: CM = 8, window <= 32 KiB, no preset dictionary, FCHECK valid, and the bytes
/// after the header inflate without error as far as the prefix goes.
fn zlib_prefix_ok(prefix: &[u8]) -> bool {
    let (Some(&cmf), Some(&flg)) = (prefix.first(), prefix.get(1)) else {
        return false;
    };
    if cmf & 0x0f != 8 || cmf >> 4 > 7 || flg & 0x20 != 0 {
        return false;
    }
    if (u16::from(cmf) * 256 + u16::from(flg)) % 31 != 0 {
        return false;
    }
    let mut inflater = Decompress::new(true);
    let mut out = [0u8; 4096];
    let mut input = prefix;
    for _ in 0..64 {
        let before_in = inflater.total_in();
        let before_out = inflater.total_out();
        match inflater.decompress(input, &mut out, FlushDecompress::None) {
            Err(_) => return false,
            Ok(Status::StreamEnd) => return true,
            Ok(_) => {}
        }
        let used = usize::try_from(inflater.total_in() - before_in).unwrap_or(usize::MAX);
        input = input.get(used..).unwrap_or_default();
        if input.is_empty() || (used == 0 && inflater.total_out() == before_out) {
            return true;
        }
    }
    true
}

/// Wraps `reader` in a streaming decoder for `codec` that enforces the decompression limits.
///
/// Read errors: [`limit_error`] returns `Some` for a bound that was reached; anything
/// else is corruption (`InvalidData`, `InvalidInput`, `UnexpectedEof`) or an error of
/// `reader` itself. Errors are sticky: every read after one fails the same way.
pub fn decoder<'a, R: Read + 'a>(codec: Codec, reader: R, limits: &Limits) -> Box<dyn Read + 'a> {
    let consumed = Rc::new(Cell::new(0u64));
    let boxed: Box<dyn Read + 'a> = Box::new(reader);
    let counted = Counting {
        inner: boxed,
        count: Rc::clone(&consumed),
        eof: false,
        lz4: (codec == Codec::Lz4).then(Lz4Shadow::new),
    };
    let inner: Inner<'a> = match codec {
        Codec::Gzip => Inner::Plain(Box::new(flate2::read::MultiGzDecoder::new(counted))),
        Codec::Zlib => Inner::Plain(Box::new(MultiZlib::new(BufReader::new(counted)))),
        Codec::Xz => Inner::Plain(Box::new(XzLayer::new(counted))),
        Codec::Lzma => Inner::Lzma(Some(counted)),
        Codec::Bzip2 => Inner::Plain(Box::new(bzip2::read::MultiBzDecoder::new(counted))),
        Codec::Lz4 => Inner::Lz4(lz4_flex::frame::FrameDecoder::new(counted)),
        Codec::Zstd => Inner::Plain(Box::new(MultiZstd::new(BufReader::new(counted)))),
    };
    Box::new(Bounded {
        inner,
        consumed,
        produced: 0,
        max_bytes: limits.max_decompressed_bytes,
        max_ratio: limits.max_compression_ratio,
        failed: None,
    })
}

/// The [`FormatError::LimitExceeded`] carried by `err`, if a bound (rather than
/// corruption) caused it.
///
/// Looks through nested `io::Error`s and error sources, so it also finds a limit hit in
/// an inner layer that a visitor wrapped in its own error.
pub fn limit_error(err: &io::Error) -> Option<&FormatError> {
    carried_error(err).filter(|e| matches!(e, FormatError::LimitExceeded { .. }))
}

/// The [`FormatError`] carried by `err`, if a parser of this crate produced it.
///
/// Like [`limit_error`], but also returns truncation and invalid-data errors raised by
/// the zip walker's member readers, which say where in the member they happened.
pub fn carried_error(err: &io::Error) -> Option<&FormatError> {
    let mut current: &(dyn std::error::Error + 'static) = err.get_ref()?;
    for _ in 0..32 {
        if let Some(found) = current.downcast_ref::<FormatError>() {
            if let FormatError::Io { source, .. } = found
                && let Some(inner) = carried_error(source)
            {
                return Some(inner);
            }
            return Some(found);
        }
        if let Some(io_err) = current.downcast_ref::<io::Error>() {
            current = io_err.get_ref()?;
            continue;
        }
        current = current.source()?;
    }
    None
}

/// Wraps a [`FormatError`] in an [`io::Error`] of the matching kind.
pub(crate) fn into_io(err: FormatError) -> io::Error {
    let kind = match &err {
        FormatError::Truncated { .. } => io::ErrorKind::UnexpectedEof,
        FormatError::Invalid { .. } => io::ErrorKind::InvalidData,
        FormatError::Io { source, .. } => source.kind(),
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, err)
}

/// A copy of `err` (an `Io` source is copied by kind and message).
pub(crate) fn duplicate(err: &FormatError) -> FormatError {
    match err {
        FormatError::Truncated { offset, what } => FormatError::Truncated {
            offset: *offset,
            what,
        },
        FormatError::Invalid { offset, reason } => FormatError::Invalid {
            offset: *offset,
            reason: reason.clone(),
        },
        FormatError::LimitExceeded {
            limit,
            value,
            max,
            offset,
        } => FormatError::LimitExceeded {
            limit: *limit,
            value: *value,
            max: *max,
            offset: *offset,
        },
        FormatError::Unsupported { offset, what } => FormatError::Unsupported {
            offset: *offset,
            what: what.clone(),
        },
        FormatError::Io { offset, source } => FormatError::Io {
            offset: *offset,
            source: io::Error::new(source.kind(), source.to_string()),
        },
    }
}

/// Counts the compressed bytes handed to a decoder.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
    eof: bool,
    /// For LZ4: follows the frame structure of the bytes read, because `lz4_flex`
    /// takes an end of input between blocks for a clean end.
    lz4: Option<Lz4Shadow>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?.min(buf.len());
        if n == 0 && !buf.is_empty() {
            self.eof = true;
            if let Some(shadow) = &self.lz4
                && shadow.inside_frame()
            {
                // Not `UnexpectedEof`: `lz4_flex` would turn that into a clean end.
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    FormatError::Truncated {
                        offset: self.count.get(),
                        what: "lz4 frame",
                    },
                ));
            }
        }
        self.count.set(self.count.get().saturating_add(n as u64));
        if let Some(shadow) = &mut self.lz4 {
            shadow.feed(buf.get(..n).unwrap_or_default());
        }
        Ok(n)
    }
}

/// Where in the LZ4 frame format the bytes read so far end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lz4State {
    /// Between frames: reading a magic number.
    Magic,
    /// Reading the frame descriptor (FLG, BD, optional size and dictionary id, HC).
    Descriptor,
    /// Reading a block size (or the end mark).
    BlockSize,
    /// Skipping block data, block checksum, content checksum or a skippable frame.
    Skip,
    /// Reading a skippable frame's size.
    SkippableSize,
    /// A format this shadow does not follow (legacy frames): no judgement.
    Unknown,
}

/// Follows LZ4 frame structure byte by byte.
struct Lz4Shadow {
    state: Lz4State,
    acc: [u8; 8],
    have: usize,
    want: usize,
    skip: u64,
    after_skip: Lz4State,
    flg: u8,
}

impl Lz4Shadow {
    fn new() -> Self {
        Lz4Shadow {
            state: Lz4State::Magic,
            acc: [0; 8],
            have: 0,
            want: 4,
            skip: 0,
            after_skip: Lz4State::Magic,
            flg: 0,
        }
    }

    fn inside_frame(&self) -> bool {
        match self.state {
            Lz4State::Unknown => false,
            Lz4State::Magic => self.have > 0,
            _ => true,
        }
    }

    fn start(&mut self, state: Lz4State, want: usize) {
        self.state = state;
        self.have = 0;
        self.want = want;
    }

    fn skip_then(&mut self, n: u64, then: Lz4State) {
        if n == 0 {
            self.start_state(then);
        } else {
            self.state = Lz4State::Skip;
            self.skip = n;
            self.after_skip = then;
        }
    }

    fn start_state(&mut self, state: Lz4State) {
        match state {
            Lz4State::BlockSize => self.start(Lz4State::BlockSize, 4),
            _ => self.start(Lz4State::Magic, 4),
        }
    }

    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.state {
                Lz4State::Unknown => return,
                Lz4State::Skip => {
                    let take = usize::try_from(self.skip)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    self.skip -= take as u64;
                    bytes = bytes.get(take..).unwrap_or_default();
                    if self.skip == 0 {
                        self.start_state(self.after_skip);
                    }
                }
                _ => {
                    let Some((&b, rest)) = bytes.split_first() else {
                        return;
                    };
                    bytes = rest;
                    if let Some(slot) = self.acc.get_mut(self.have) {
                        *slot = b;
                    }
                    self.have += 1;
                    if self.have == 2 && self.state == Lz4State::Descriptor {
                        // FLG known: content size (bit 3) and dictionary id (bit 0).
                        self.flg = self.acc[0];
                        self.want = 3
                            + if self.flg & 0x08 != 0 { 8 } else { 0 }
                            + if self.flg & 0x01 != 0 { 4 } else { 0 };
                    }
                    if self.have >= self.want {
                        self.complete();
                    }
                }
            }
        }
    }

    fn complete(&mut self) {
        let word = u32::from_le_bytes([self.acc[0], self.acc[1], self.acc[2], self.acc[3]]);
        match self.state {
            Lz4State::Magic => match word {
                0x184d_2204 => self.start(Lz4State::Descriptor, 2),
                0x184d_2a50..=0x184d_2a5f => self.start(Lz4State::SkippableSize, 4),
                _ => self.state = Lz4State::Unknown,
            },
            Lz4State::SkippableSize => self.skip_then(u64::from(word), Lz4State::Magic),
            Lz4State::Descriptor => self.start(Lz4State::BlockSize, 4),
            Lz4State::BlockSize => {
                if word == 0 {
                    let checksum = if self.flg & 0x04 != 0 { 4 } else { 0 };
                    self.skip_then(checksum, Lz4State::Magic);
                } else {
                    let block_checksum = if self.flg & 0x10 != 0 { 4 } else { 0 };
                    self.skip_then(
                        u64::from(word & 0x7fff_ffff) + block_checksum,
                        Lz4State::BlockSize,
                    );
                }
            }
            Lz4State::Skip | Lz4State::Unknown => {}
        }
    }
}

/// The codec-specific decoder under [`Bounded`].
enum Inner<'a> {
    /// A decoder that reports truncation and corruption itself.
    Plain(Box<dyn Read + 'a>),
    /// lzma-alone, built on the first read (its header is read eagerly).
    Lzma(Option<Counting<Box<dyn Read + 'a>>>),
    /// lzma-alone once its header has been read.
    LzmaReady(Box<dyn Read + 'a>),
    /// LZ4 frames; `lz4_flex` reads "magic, then end of input" as a clean end.
    Lz4(lz4_flex::frame::FrameDecoder<Counting<Box<dyn Read + 'a>>>),
}

impl<'a> Inner<'a> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Inner::Plain(r) | Inner::LzmaReady(r) => r.read(buf),
            Inner::Lzma(slot) => {
                let Some(counted) = slot.take() else {
                    return Err(io::Error::other("lzma decoder used after failure"));
                };
                let ready = open_lzma_alone(counted)?;
                *self = Inner::LzmaReady(ready);
                self.read(buf)
            }
            Inner::Lz4(dec) => loop {
                // `lz4_flex` returns 0 at the end of every frame; the next read starts
                // the next frame, as Python's `LZ4FrameFile` does.
                let n = dec.read(buf).map_err(|e| match carried_error(&e) {
                    Some(FormatError::Truncated { .. }) => {
                        io::Error::new(io::ErrorKind::UnexpectedEof, e.to_string())
                    }
                    _ => e,
                })?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                let input = dec.get_ref();
                if !input.eof {
                    continue;
                }
                if input.count.get() == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "lz4 stream is empty",
                    ));
                }
                return Ok(0);
            },
        }
    }
}

/// Reads the 13-byte lzma-alone header, checks the dictionary against
/// [`MAX_DICTIONARY_BYTES`], then builds the decoder.
fn open_lzma_alone<'a>(
    mut counted: Counting<Box<dyn Read + 'a>>,
) -> io::Result<Box<dyn Read + 'a>> {
    let mut header = [0u8; 13];
    counted.read_exact(&mut header)?;
    let props = header[0];
    let dict = u32::from_le_bytes([header[1], header[2], header[3], header[4]]);
    let size = u64::from_le_bytes([
        header[5], header[6], header[7], header[8], header[9], header[10], header[11], header[12],
    ]);
    if props >= 9 * 5 * 5 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "lzma properties byte is invalid",
        ));
    }
    if u64::from(dict) > MAX_DICTIONARY_BYTES {
        return Err(into_io(FormatError::LimitExceeded {
            limit: LimitKind::Decompression,
            value: u64::from(dict),
            max: MAX_DICTIONARY_BYTES,
            offset: 1,
        }));
    }
    let reader = lzma_rust2::LzmaReader::new_with_props(counted, size, props, dict, None)?;
    Ok(Box::new(reader))
}

/// xz with the decoder memory capped; a refusal becomes a limit error.
struct XzLayer<R: Read> {
    inner: lzma_rust2::XzReader<R>,
}

impl<R: Read> XzLayer<R> {
    fn new(reader: R) -> Self {
        let kib = u32::try_from(MAX_DICTIONARY_BYTES / 1024 + 1024).unwrap_or(u32::MAX);
        XzLayer {
            inner: lzma_rust2::XzReader::new_mem_limit(reader, true, kib),
        }
    }
}

impl<R: Read> Read for XzLayer<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::OutOfMemory {
                // The decoder does not say how much it wanted; report the cap crossed.
                into_io(FormatError::LimitExceeded {
                    limit: LimitKind::Decompression,
                    value: MAX_DICTIONARY_BYTES + 1,
                    max: MAX_DICTIONARY_BYTES,
                    offset: 0,
                })
            } else {
                e
            }
        })
    }
}

/// Zstandard frames back to back until the input ends, as `zstd -d` reads a file:
/// skippable frames are skipped, any other bytes between frames are corruption, and
/// the window (decoder memory) is capped at [`MAX_DICTIONARY_BYTES`].
struct MultiZstd<R: BufRead> {
    inner: R,
    decoder: ruzstd::decoding::FrameDecoder,
    in_frame: bool,
    frames: u64,
}

impl<R: BufRead> MultiZstd<R> {
    fn new(inner: R) -> Self {
        let mut decoder = ruzstd::decoding::FrameDecoder::new();
        decoder.set_max_window_size(MAX_DICTIONARY_BYTES);
        MultiZstd {
            inner,
            decoder,
            in_frame: false,
            frames: 0,
        }
    }

    /// Positions on the next data frame; `false` at a clean end of input.
    fn next_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.inner.fill_buf()?.is_empty() {
                if self.frames == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "zstd stream is empty",
                    ));
                }
                return Ok(false);
            }
            let mut magic = [0u8; 4];
            self.inner.read_exact(&mut magic)?;
            let magic = u32::from_le_bytes(magic);
            if magic & 0xffff_fff0 == 0x184d_2a50 {
                let mut len = [0u8; 4];
                self.inner.read_exact(&mut len)?;
                let len = u64::from(u32::from_le_bytes(len));
                let skipped = io::copy(&mut (&mut self.inner).take(len), &mut io::sink())?;
                if skipped < len {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "zstd skippable frame is truncated",
                    ));
                }
                continue;
            }
            if magic != u32::from_le_bytes(ZSTD_MAGIC) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bytes after zstd frame {} are not a frame", self.frames),
                ));
            }
            let header = Cursor::new(ZSTD_MAGIC).chain(&mut self.inner);
            self.decoder.reset(header).map_err(zstd_error)?;
            self.frames += 1;
            self.in_frame = true;
            return Ok(true);
        }
    }
}

/// A window larger than the cap is a limit, anything else corruption.
fn zstd_error(err: ruzstd::decoding::errors::FrameDecoderError) -> io::Error {
    match err {
        ruzstd::decoding::errors::FrameDecoderError::WindowSizeTooBig { requested, max } => {
            into_io(FormatError::LimitExceeded {
                limit: LimitKind::Decompression,
                value: requested,
                max,
                offset: 0,
            })
        }
        other => io::Error::new(io::ErrorKind::InvalidData, other),
    }
}

impl<R: BufRead> Read for MultiZstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame && !self.next_frame()? {
                return Ok(0);
            }
            while self.decoder.can_collect() == 0 && !self.decoder.is_finished() {
                self.decoder
                    .decode_blocks(
                        &mut self.inner,
                        ruzstd::decoding::BlockDecodingStrategy::UptoBlocks(1),
                    )
                    .map_err(zstd_error)?;
            }
            let n = self.decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if self.decoder.is_finished() {
                if let (Some(stored), Some(computed)) = (
                    self.decoder.get_checksum_from_data(),
                    self.decoder.get_calculated_checksum(),
                ) && stored != computed
                {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("zstd frame {} fails its checksum", self.frames),
                    ));
                }
                self.in_frame = false;
            }
        }
    }
}

/// zlib as joblib's `BinaryZlibFile` reads it: streams back to back until the input
/// ends, and a legacy `ZF` header skipped first.
struct MultiZlib<R: BufRead> {
    inner: R,
    inflater: Decompress,
    started: bool,
    in_stream: bool,
    streams: u64,
}

impl<R: BufRead> MultiZlib<R> {
    fn new(inner: R) -> Self {
        MultiZlib {
            inner,
            inflater: Decompress::new(true),
            started: false,
            in_stream: false,
            streams: 0,
        }
    }

    /// Skips joblib's `ZF` header when present (`ZF`, 19 bytes of length, optional space).
    fn skip_zfile_header(&mut self) -> io::Result<()> {
        let head = self.inner.fill_buf()?;
        if !head.starts_with(b"ZF") {
            return Ok(());
        }
        let mut header = [0u8; ZFILE_HEADER_LEN];
        self.inner.read_exact(&mut header)?;
        if self.inner.fill_buf()?.first() == Some(&b' ') {
            self.inner.consume(1);
        }
        Ok(())
    }
}

impl<R: BufRead> Read for MultiZlib<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.started {
            self.started = true;
            self.skip_zfile_header()?;
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let input = self.inner.fill_buf()?;
            let eof = input.is_empty();
            if eof && !self.in_stream {
                if self.streams == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "zlib stream is empty",
                    ));
                }
                return Ok(0);
            }
            self.in_stream = true;
            let before_in = self.inflater.total_in();
            let before_out = self.inflater.total_out();
            let flush = if eof {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let status = self
                .inflater
                .decompress(input, buf, flush)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            let used = usize::try_from(self.inflater.total_in() - before_in).unwrap_or(0);
            let made = usize::try_from(self.inflater.total_out() - before_out).unwrap_or(0);
            self.inner.consume(used);
            if status == Status::StreamEnd {
                // joblib starts a fresh decompressor on whatever follows.
                self.inflater.reset(true);
                self.in_stream = false;
                self.streams += 1;
            }
            if made > 0 {
                return Ok(made);
            }
            if status == Status::StreamEnd {
                continue;
            }
            if eof {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "zlib stream ends before its end marker",
                ));
            }
            if used == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "zlib stream makes no progress",
                ));
            }
        }
    }
}

/// Counts decoded bytes and enforces the size and ratio bounds.
struct Bounded<'a> {
    inner: Inner<'a>,
    consumed: Rc<Cell<u64>>,
    produced: u64,
    max_bytes: u64,
    max_ratio: u64,
    failed: Option<(io::ErrorKind, Option<FormatError>, String)>,
}

impl Bounded<'_> {
    fn fail(&mut self, err: io::Error) -> io::Error {
        let carried = carried_error(&err).map(duplicate);
        self.failed = Some((err.kind(), carried, err.to_string()));
        err
    }
}

impl Read for Bounded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, carried, message)) = &self.failed {
            return Err(match carried {
                Some(e) => into_io(duplicate(e)),
                None => io::Error::new(*kind, message.clone()),
            });
        }
        let n = match self.inner.read(buf) {
            Ok(n) => n.min(buf.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            // lzma-rust2 reports corrupt data as `Other`; callers expect `InvalidData`.
            Err(e) if e.kind() == io::ErrorKind::Other && carried_error(&e).is_none() => {
                let err = io::Error::new(io::ErrorKind::InvalidData, e.to_string());
                return Err(self.fail(err));
            }
            Err(e) => return Err(self.fail(e)),
        };
        let produced = self.produced.saturating_add(n as u64);
        let consumed = self.consumed.get();
        if produced > self.max_bytes {
            let err = into_io(FormatError::LimitExceeded {
                limit: LimitKind::Decompression,
                value: produced,
                max: self.max_bytes,
                offset: consumed,
            });
            return Err(self.fail(err));
        }
        if produced >= RATIO_CHECK_AFTER {
            let ratio = produced / consumed.max(1);
            if ratio > self.max_ratio {
                let err = into_io(FormatError::LimitExceeded {
                    limit: LimitKind::Decompression,
                    value: ratio,
                    max: self.max_ratio,
                    offset: consumed,
                });
                return Err(self.fail(err));
            }
        }
        self.produced = produced;
        Ok(n)
    }
}
