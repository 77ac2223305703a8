//! Buffered, offset-tracking reader under the pickle decoder.
//!
//! The decoder pulls opcodes out of one large buffer instead of calling `read_exact`
//! per byte, which is what makes tens of millions of opcodes per second possible.
//!
//! # Security
//!
//! Lengths claimed by the stream never size an allocation: the buffer grows only as data
//! actually arrives, and never past [`BIG_ARG`] plus one chunk. Arguments larger than
//! that are read through (never seeked, so a hashing reader underneath sees every byte)
//! after peeking their first bytes. Every consumption is checked against
//! [`crate::Limits::max_pickle_bytes`].

use std::io::{self, Read};

use crate::{FormatError, LimitKind};

/// Result type of the decoder.
pub(crate) type Res<T> = Result<T, FormatError>;

/// Bytes requested from the reader at a time.
const CHUNK: usize = 256 * 1024;

/// Byte/str arguments longer than this are streamed through instead of buffered.
pub(crate) const BIG_ARG: u64 = 1 << 20;

/// Text-opcode lines longer than this are read through, keeping only a prefix.
const LINE_MAX: usize = 1 << 20;

/// How much of an over-long line is kept.
const LINE_KEEP: usize = 1024;

/// A newline-terminated argument of a text opcode, without its `\n`.
pub(crate) enum Line<'a> {
    /// The whole line.
    Short(&'a [u8]),
    /// A line longer than `LINE_MAX`: its first bytes and its full length.
    Long { prefix: &'a [u8], len: u64 },
}

/// Buffered reader that knows the stream offset of every byte it hands out.
pub(crate) struct Source<'r> {
    reader: &'r mut dyn Read,
    /// `buf[pos..end]` is read but not consumed; `buf[end..]` is free space.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// `max_pickle_bytes`: no byte at or beyond this offset is consumed.
    limit: u64,
    /// Prefix of the last over-long line.
    scratch: Vec<u8>,
}

impl<'r> Source<'r> {
    /// Wraps `reader`; `initial` is the first buffer size (small for short inputs).
    pub(crate) fn new(reader: &'r mut dyn Read, limit: u64, initial: usize) -> Self {
        Source {
            reader,
            buf: vec![0; initial.clamp(64, CHUNK)],
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            limit,
            scratch: Vec::new(),
        }
    }

    /// Stream offset of the next unconsumed byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Stream offset just past the last byte read from the reader.
    fn filled(&self) -> u64 {
        self.base + self.end as u64
    }

    #[inline]
    fn avail(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }

    /// Error for consuming `n` bytes from the current offset past the byte limit.
    pub(crate) fn check_limit(&self, n: u64) -> Res<()> {
        let want = self.offset().saturating_add(n);
        if want > self.limit {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::PickleBytes,
                value: want,
                max: self.limit,
                offset: self.offset(),
            });
        }
        Ok(())
    }

    /// Consumes everything that is left and reports truncation at the end of input.
    pub(crate) fn truncated(&mut self, what: &'static str) -> FormatError {
        self.pos = self.end;
        FormatError::Truncated {
            offset: self.filled(),
            what,
        }
    }

    /// Reads until at least `want` unconsumed bytes are buffered or the input ends.
    /// Returns whether `want` bytes are available.
    pub(crate) fn fill(&mut self, want: usize) -> Res<bool> {
        while self.avail() < want {
            if self.eof {
                return Ok(false);
            }
            if self.end >= self.buf.len() {
                if self.pos > 0 {
                    self.buf.copy_within(self.pos..self.end, 0);
                    self.base += self.pos as u64;
                    self.end -= self.pos;
                    self.pos = 0;
                }
                // Grow while the buffer is full of unconsumed data (an argument longer
                // than it) or still smaller than CHUNK (read-ahead for long streams), by
                // what the next read can bring, never by a claimed length.
                if self.end >= self.buf.len() || self.buf.len() < CHUNK {
                    let grow = self.buf.len().clamp(64, CHUNK);
                    self.buf.resize(self.buf.len() + grow, 0);
                }
            }
            let Some(space) = self.buf.get_mut(self.end..) else {
                return Ok(false);
            };
            let n = loop {
                match self.reader.read(space) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(source) => {
                        return Err(FormatError::Io {
                            offset: self.base + self.end as u64,
                            source,
                        });
                    }
                }
            };
            if n == 0 {
                self.eof = true;
            } else {
                self.end = (self.end + n).min(self.buf.len());
            }
        }
        Ok(true)
    }

    /// Whether the input has ended at the current offset.
    pub(crate) fn at_eof(&mut self) -> Res<bool> {
        Ok(!self.fill(1)?)
    }

    /// Next byte, or `None` at the end of input.
    #[inline]
    pub(crate) fn next_byte(&mut self) -> Res<Option<u8>> {
        if self.pos < self.end
            && let Some(&b) = self.buf.get(self.pos)
        {
            if self.offset() >= self.limit {
                self.check_limit(1)?;
            }
            self.pos += 1;
            return Ok(Some(b));
        }
        if !self.fill(1)? {
            return Ok(None);
        }
        self.check_limit(1)?;
        let b = self.buf.get(self.pos).copied();
        self.pos += 1;
        Ok(b)
    }

    /// Next `N` bytes (a fixed-size argument).
    #[inline]
    pub(crate) fn array<const N: usize>(&mut self, what: &'static str) -> Res<[u8; N]> {
        if self.avail() < N && !self.fill(N)? {
            self.check_limit(self.avail() as u64)?;
            return Err(self.truncated(what));
        }
        self.check_limit(N as u64)?;
        let mut out = [0u8; N];
        if let Some(s) = self.buf.get(self.pos..self.pos + N) {
            out.copy_from_slice(s);
        }
        self.pos += N;
        Ok(out)
    }

    /// Bytes that may still be consumed under the byte limit.
    pub(crate) fn allowance(&self) -> u64 {
        self.limit.saturating_sub(self.offset())
    }

    /// Next `n` bytes, `n <= BIG_ARG`, as one slice.
    pub(crate) fn bytes(&mut self, n: usize, what: &'static str) -> Res<&[u8]> {
        if self.avail() < n && !self.fill(n)? {
            return Err(self.truncated(what));
        }
        self.check_limit(n as u64)?;
        let start = self.pos;
        self.pos += n;
        Ok(self.buf.get(start..start + n).unwrap_or(&[]))
    }

    /// Up to `n` unconsumed bytes, fewer only at the end of input; consumes nothing.
    pub(crate) fn peek(&mut self, n: usize) -> Res<&[u8]> {
        self.fill(n)?;
        let k = self.avail().min(n);
        Ok(self.buf.get(self.pos..self.pos + k).unwrap_or(&[]))
    }

    /// Reads through `n` bytes without keeping them. A length beyond the byte limit is
    /// read through up to the limit first, so that an input that ends sooner is reported
    /// as truncated rather than as too large.
    pub(crate) fn skip(&mut self, n: u64, what: &'static str) -> Res<()> {
        let allowed = self.allowance();
        if n > allowed {
            let start = self.offset();
            self.skip_within_limit(allowed, what)?;
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::PickleBytes,
                value: start.saturating_add(n),
                max: self.limit,
                offset: start,
            });
        }
        self.skip_within_limit(n, what)
    }

    fn skip_within_limit(&mut self, mut n: u64, what: &'static str) -> Res<()> {
        loop {
            let take = (self.avail() as u64).min(n) as usize;
            self.pos += take;
            n -= take as u64;
            if n == 0 {
                return Ok(());
            }
            // Buffer drained: start over at its beginning so it does not grow.
            self.base += self.pos as u64;
            self.pos = 0;
            self.end = 0;
            if !self.fill(1)? {
                return Err(self.truncated(what));
            }
        }
    }

    /// Reads a `\n`-terminated line (the `\n` is consumed, not returned).
    pub(crate) fn line(&mut self, what: &'static str) -> Res<Line<'_>> {
        let mut scanned = 0usize;
        loop {
            let window = self.buf.get(self.pos + scanned..self.end).unwrap_or(&[]);
            if let Some(i) = window.iter().position(|&b| b == b'\n') {
                let len = scanned + i;
                self.check_limit(len as u64 + 1)?;
                let start = self.pos;
                self.pos += len + 1;
                return Ok(Line::Short(self.buf.get(start..start + len).unwrap_or(&[])));
            }
            scanned = self.avail();
            if scanned >= LINE_MAX {
                return self.long_line(what);
            }
            if !self.fill(scanned + 1)? {
                self.check_limit(self.avail() as u64)?;
                return Err(self.truncated(what));
            }
        }
    }

    /// Continues `line` for a line longer than `LINE_MAX`: keeps a prefix, reads through.
    fn long_line(&mut self, what: &'static str) -> Res<Line<'_>> {
        self.scratch.clear();
        let keep = self.avail().min(LINE_KEEP);
        self.scratch
            .extend_from_slice(self.buf.get(self.pos..self.pos + keep).unwrap_or(&[]));
        let mut len: u64 = 0;
        loop {
            let window = self.buf.get(self.pos..self.end).unwrap_or(&[]);
            let found = window.iter().position(|&b| b == b'\n');
            let take = found.map_or(window.len(), |i| i + 1);
            self.check_limit(take as u64)?;
            self.pos += take;
            if let Some(i) = found {
                len += i as u64;
                return Ok(Line::Long {
                    prefix: &self.scratch,
                    len,
                });
            }
            len += take as u64;
            self.base += self.pos as u64;
            self.pos = 0;
            self.end = 0;
            if !self.fill(1)? {
                return Err(self.truncated(what));
            }
        }
    }
}

/// `Read` over the next `remaining` bytes of a [`Source`], for streaming an argument into
/// a nested analysis. Whatever the nested analysis leaves unread must be skipped after.
pub(crate) struct ArgReader<'s, 'r> {
    pub(crate) src: &'s mut Source<'r>,
    pub(crate) remaining: u64,
}

impl Read for ArgReader<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || out.is_empty() {
            return Ok(0);
        }
        if self.src.avail() == 0 && !self.src.fill(1).map_err(io::Error::other)? {
            return Ok(0);
        }
        let n = (self.src.avail() as u64)
            .min(self.remaining)
            .min(out.len() as u64) as usize;
        let from = self.src.buf.get(self.src.pos..self.src.pos + n);
        if let (Some(dst), Some(from)) = (out.get_mut(..n), from) {
            dst.copy_from_slice(from);
        }
        self.src.pos += n;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reader that hands out one byte per call, to exercise refills.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), out.first_mut()) {
                (Some((b, rest)), Some(o)) => {
                    *o = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn lines_bytes_and_skips_across_refills() {
        let data = b"abc\ndef\nXYZ0123456789";
        let mut r = Trickle(data);
        let mut s = Source::new(&mut r, u64::MAX, 64);
        assert!(matches!(s.line("l").unwrap(), Line::Short(b"abc")));
        assert!(matches!(s.line("l").unwrap(), Line::Short(b"def")));
        assert_eq!(s.bytes(3, "b").unwrap(), b"XYZ");
        s.skip(5, "s").unwrap();
        assert_eq!(s.offset(), 16);
        assert_eq!(s.array::<2>("a").unwrap(), *b"56");
        assert!(matches!(
            s.skip(10, "s"),
            Err(FormatError::Truncated { offset: 21, .. })
        ));
    }

    #[test]
    fn long_line_keeps_prefix() {
        let mut data = vec![b'a'; LINE_MAX + 10];
        data.push(b'\n');
        data.push(b'.');
        let mut r: &[u8] = &data;
        let mut s = Source::new(&mut r, u64::MAX, 64);
        match s.line("l").unwrap() {
            Line::Long { prefix, len } => {
                assert_eq!(prefix.len(), LINE_KEEP);
                assert_eq!(len, LINE_MAX as u64 + 10);
            }
            Line::Short(_) => panic!("expected a long line"),
        }
        assert_eq!(s.next_byte().unwrap(), Some(b'.'));
    }

    #[test]
    fn limit_is_enforced() {
        let mut r: &[u8] = b"0123456789";
        let mut s = Source::new(&mut r, 4, 64);
        assert!(s.bytes(4, "b").is_ok());
        assert!(matches!(
            s.next_byte(),
            Err(FormatError::LimitExceeded {
                limit: LimitKind::PickleBytes,
                ..
            })
        ));
    }
}
