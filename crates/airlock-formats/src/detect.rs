//! Format detection by content (magic bytes and structure), never by file name.
//!
//! Loaders decide how to read a file from its bytes (`torch.load` checks for a zip,
//! joblib for a compression prefix), while scanners that route by extension miss a
//! pickle renamed `.bin` or a model zip renamed `.xyz` (research B1–B3, B10). Every
//! file and every archive member goes through [`sniff`] first.
//!
//! # Security
//!
//! [`sniff`] only compares bytes of the prefix it is given; it allocates nothing and
//! cannot fail. A positive answer is a claim to verify with the format's parser, not a
//! proof: a hostile file can start like anything. Protocol 0 and 1 pickles have no
//! magic; the scan layer tries the pickle parser on [`Kind::Unknown`] content.

use crate::compress::{self, Codec};

/// How many leading bytes [`sniff`] looks at; pass at least this many when available.
pub const SNIFF_LEN: usize = 4096;

/// Largest safetensors header length accepted (the `safetensors` crate's own cap).
pub const SAFETENSORS_MAX_HEADER: u64 = 100_000_000;

/// What a stream looks like from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A zip archive: local file header, or an empty archive's end record (PyTorch
    /// checkpoints, `.npz`, TorchScript, Keras v3).
    Zip,
    /// A NumPy `.npy` array.
    Npy,
    /// A compressed layer around something else (joblib `compress=`, `.gz`, `.xz`...).
    Compressed(Codec),
    /// A pickle of protocol 2 or later (`PROTO` opcode first; versions 0 to 5 accepted).
    Pickle,
    /// A 7z archive.
    SevenZip,
    /// A POSIX or GNU tar archive.
    Tar,
    /// A GGUF model (llama.cpp).
    Gguf,
    /// An HDF5 file (Keras `.h5`), superblock at 0, 512, 1024 or 2048.
    Hdf5,
    /// A safetensors file: little-endian u64 header length, then a JSON object.
    Safetensors,
    /// None of the above (text, JSON, protocol 0/1 pickles, raw tensors...).
    Unknown,
}

/// Identifies the format of a stream from up to its first [`SNIFF_LEN`] bytes.
///
/// Never looks at a name. A shorter prefix gives a less certain answer, never a panic.
pub fn sniff(prefix: &[u8]) -> Kind {
    let prefix = prefix.get(..SNIFF_LEN).unwrap_or(prefix);
    if prefix.starts_with(b"PK\x03\x04") || prefix.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    if prefix.starts_with(b"\x93NUMPY") {
        return Kind::Npy;
    }
    if prefix.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return Kind::SevenZip;
    }
    if is_gguf(prefix) {
        return Kind::Gguf;
    }
    if is_hdf5(prefix) {
        return Kind::Hdf5;
    }
    if let [0x80, version, ..] = prefix
        && *version <= 5
    {
        return Kind::Pickle;
    }
    if prefix.get(257..262) == Some(b"ustar") {
        return Kind::Tar;
    }
    if is_safetensors(prefix) {
        return Kind::Safetensors;
    }
    if let Some(codec) = compress::detect(prefix) {
        return Kind::Compressed(codec);
    }
    Kind::Unknown
}

/// `GGUF` then a little-endian u32 version (1 to 3 exist; up to 255 accepted).
fn is_gguf(prefix: &[u8]) -> bool {
    if !prefix.starts_with(b"GGUF") {
        return false;
    }
    match prefix.get(4..8).and_then(|v| <[u8; 4]>::try_from(v).ok()) {
        Some(v) => (1..=255).contains(&u32::from_le_bytes(v)),
        None => true,
    }
}

/// HDF5 superblock signature, at 0 or after a user block of 512, 1024 or 2048 bytes,
/// followed by a superblock version the format defines (0 to 3) and, for versions 0 and
/// 1, sizes of offsets and lengths of 2, 4 or 8 bytes (when those bytes are present).
fn is_hdf5(prefix: &[u8]) -> bool {
    const SIG: &[u8; 8] = b"\x89HDF\r\n\x1a\n";
    [0usize, 512, 1024, 2048].iter().any(|&at| {
        if prefix.get(at..at + SIG.len()) != Some(&SIG[..]) {
            return false;
        }
        let field = |i: usize| prefix.get(at + SIG.len() + i).copied();
        let sizes_ok = |a: Option<u8>, b: Option<u8>| {
            [a, b]
                .iter()
                .all(|s| s.is_none_or(|s| matches!(s, 2 | 4 | 8)))
        };
        match field(0) {
            None => true,
            Some(0 | 1) => sizes_ok(field(5), field(6)),
            Some(2 | 3) => sizes_ok(field(1), field(2)),
            Some(_) => false,
        }
    })
}

/// u64 header length in range, `{` at byte 8, and a key or `}` after it.
fn is_safetensors(prefix: &[u8]) -> bool {
    let Some(len) = prefix.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
        return false;
    };
    let n = u64::from_le_bytes(len);
    // Loaders accept JSON whitespace before the `{`. Headers claiming more than the
    // loaders' cap are still recognised, so the parser can report the claim.
    let brace = prefix
        .get(8..)
        .unwrap_or_default()
        .iter()
        .take(64)
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .map(|i| i + 8);
    if n < 2 || brace.and_then(|i| prefix.get(i)) != Some(&b'{') {
        return false;
    }
    let header_end = usize::try_from(n).map_or(prefix.len(), |n| n.saturating_add(8));
    let header = prefix
        .get(brace.unwrap_or(8) + 1..header_end.min(prefix.len()))
        .unwrap_or_default();
    match header.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'"') | Some(b'}') => true,
        Some(_) => false,
        None => true,
    }
}
