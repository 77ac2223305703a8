//! SHA-256 of a file computed from the same bytes the parsers read.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// Hashes everything read through it and reports progress, so one read serves both the
/// parsers and the digest.
pub(crate) struct HashingReader<'p, R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    on_read: &'p (dyn Fn(u64) + Sync),
}

impl<'p, R: Read> HashingReader<'p, R> {
    pub(crate) fn new(inner: R, on_read: &'p (dyn Fn(u64) + Sync)) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
            on_read,
        }
    }

    /// The digest and count of the bytes read so far; the caller reads to the end first.
    pub(crate) fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or_default();
        self.hasher.update(chunk);
        self.bytes += n as u64;
        (self.on_read)(n as u64);
        Ok(n)
    }
}

/// Remembers the first error a layer below reported, so the layer's own failure (a corrupt
/// gzip stream, a broken zip member) is reported once, under its own rule, instead of as a
/// malformation of whatever was being parsed on top of it.
pub(crate) struct ErrorTap<R> {
    inner: R,
    error: Option<io::Error>,
}

impl<R: Read> ErrorTap<R> {
    pub(crate) fn new(inner: R) -> Self {
        ErrorTap { inner, error: None }
    }

    pub(crate) fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }
}

impl<R: Read> Read for ErrorTap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => Ok(n),
            Err(err) => {
                let copy = io::Error::new(err.kind(), err.to_string());
                if self.error.is_none() {
                    self.error = Some(err);
                }
                Err(copy)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_covers_every_byte_read() {
        let data = b"hello world".repeat(1000);
        let seen = std::sync::atomic::AtomicU64::new(0);
        let count = |n| {
            seen.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        };
        let mut reader = HashingReader::new(&data[..], &count);
        let mut head = [0u8; 5];
        reader.read_exact(&mut head).unwrap();
        // Read through a buffer that is dropped with bytes still in it: they were hashed.
        let mut buffered = io::BufReader::with_capacity(64, &mut reader);
        io::copy(&mut (&mut buffered).take(1000), &mut io::sink()).unwrap();
        io::copy(&mut buffered, &mut io::sink()).unwrap();
        drop(buffered);
        let (digest, bytes) = reader.finish();
        assert_eq!(bytes, data.len() as u64);
        assert_eq!(digest, hex::encode(Sha256::digest(&data)));
        assert_eq!(
            seen.load(std::sync::atomic::Ordering::Relaxed),
            data.len() as u64
        );
    }
}
