//! A forward-only buffered reader that knows its stream offset.

use std::io::{self, Read};

/// Size of the one buffer a walk uses (also the largest lookahead it can ask for).
pub(crate) const BUF_LEN: usize = 64 * 1024;

/// Forward-only reader with a fixed buffer, lookahead and a byte offset.
pub(crate) struct Source<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[start]`.
    pos: u64,
    eof: bool,
}

impl<R: Read> Source<R> {
    /// Wraps `inner`, whose next byte is at stream offset `base`.
    pub(crate) fn new(inner: R, base: u64) -> Self {
        Source {
            inner,
            buf: vec![0; BUF_LEN],
            start: 0,
            end: 0,
            pos: base,
            eof: false,
        }
    }

    /// Stream offset of the next unconsumed byte.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// The buffered, unconsumed bytes.
    pub(crate) fn available(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Whether the input has ended (nothing beyond [`Source::available`]).
    pub(crate) fn at_eof(&self) -> bool {
        self.eof
    }

    /// Buffers at least `want` bytes (at most [`BUF_LEN`]) unless the input ends first;
    /// [`Source::available`] then shows everything buffered.
    pub(crate) fn fill(&mut self, want: usize) -> io::Result<()> {
        let want = want.min(BUF_LEN);
        if self.end - self.start < want && !self.eof {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            while self.end < want && !self.eof {
                let slot = self.buf.get_mut(self.end..).unwrap_or_default();
                let room = slot.len();
                match self.inner.read(slot) {
                    Ok(0) => self.eof = true,
                    Ok(n) => self.end += n.min(room),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// Marks `n` buffered bytes as read (clamped to what is buffered).
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.pos += n as u64;
    }

    /// Reads exactly `N` bytes, or `None` if the input ends first (nothing consumed then).
    pub(crate) fn read_array<const N: usize>(&mut self) -> io::Result<Option<[u8; N]>> {
        self.fill(N)?;
        let got = self.available();
        let Some(bytes) = got.get(..N).and_then(|b| <[u8; N]>::try_from(b).ok()) else {
            return Ok(None);
        };
        self.consume(N);
        Ok(Some(bytes))
    }

    /// Reads exactly `n` bytes into a new vector (`n` is at most 65,535 where used), or
    /// returns how many were available when the input ended.
    pub(crate) fn read_vec(&mut self, n: usize) -> io::Result<Result<Vec<u8>, usize>> {
        let mut out = Vec::with_capacity(n.min(BUF_LEN));
        while out.len() < n {
            let need = n - out.len();
            self.fill(need)?;
            let got = self.available();
            if got.is_empty() {
                return Ok(Err(out.len()));
            }
            let take = got.len().min(need);
            out.extend_from_slice(got.get(..take).unwrap_or_default());
            self.consume(take);
        }
        Ok(Ok(out))
    }

    /// Skips up to `n` bytes; returns how many were skipped (fewer only at the end).
    pub(crate) fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            self.fill(1)?;
            let got = self.available().len();
            if got == 0 {
                break;
            }
            let take = usize::try_from(left).unwrap_or(usize::MAX).min(got);
            self.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }
}

/// Reads a little-endian u16 at `at`, or 0 past the end (callers check lengths first).
pub(crate) fn le16(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .and_then(|s| <[u8; 2]>::try_from(s).ok())
        .map_or(0, u16::from_le_bytes)
}

/// Reads a little-endian u32 at `at`, or 0 past the end.
pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map_or(0, u32::from_le_bytes)
}

/// Reads a little-endian u64 at `at`, or 0 past the end.
pub(crate) fn le64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
        .map_or(0, u64::from_le_bytes)
}
