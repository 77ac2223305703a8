//! 7z archives: every member decoded and handed to the caller as a stream.
//!
//! The nullifAI models (research B7) wrapped their pickles in 7z so that scanners which
//! only open zips saw nothing. 7z keeps its index at the end of the file, so reading it
//! needs random access ([`Read`] + [`Seek`]).
//!
//! # Security
//!
//! Header parsing and decoding are done by `sevenz-rust2`, with its memory limit set to
//! [`MAX_DICTIONARY_BYTES`] for header buffers and for each decoder's dictionary or
//! model, so a header that claims a 4 GiB dictionary fails before allocating. Members
//! are visited one block at a time: a corrupt or encrypted block is reported and the
//! next block is still read. Each member's output is capped by
//! [`Limits::max_decompressed_bytes`]; a solid block compresses many members together, so
//! a member has no ratio of its own: the caller bounds what all members add up to (the
//! scan layer charges every file's nested bytes to one budget). Nothing is written to
//! disk.

use std::collections::HashSet;
use std::io::{self, Read, Seek};

use sevenz_rust2::{Archive, ArchiveEntry, BlockDecoder, EncoderMethod, Password};

use crate::compress::{MAX_DICTIONARY_BYTES, into_io};
use crate::{FormatError, LimitKind, Limits};

/// Bytes of a symbolic link's target that are read (PATH_MAX on Linux).
const MAX_LINK_TARGET: u64 = 4096;

/// `FILE_ATTRIBUTE_UNIX_EXTENSION`: the high 16 bits of the attributes hold `st_mode`.
const UNIX_EXTENSION: u32 = 0x8000;

/// One member as the visitor sees it.
#[derive(Debug)]
pub struct Entry<'a> {
    /// Name as stored (7z stores UTF-16; `sevenz-rust2` decodes it).
    pub name: &'a str,
    /// Declared uncompressed size.
    pub size: u64,
}

/// A member stored as a symbolic link (p7zip and 7-Zip's `-snl` keep the Unix mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Name of the link member.
    pub name: String,
    /// Where it points (read from the member's data, at most 4 KiB).
    pub target: Vec<u8>,
}

/// What a walk found, and why it stopped if it did.
#[derive(Debug, Default)]
pub struct Report {
    /// Every member name, in archive order.
    pub names: Vec<String>,
    /// Members stored as symbolic links (not handed to the visitor).
    pub links: Vec<Link>,
    /// Members in AES-encrypted blocks, which cannot be read without the password.
    pub encrypted: Vec<String>,
    /// Blocks that failed to decode; the walk went on with the next block.
    pub broken_blocks: Vec<FormatError>,
    /// Why the walk ended before the last member, if it did.
    pub stopped: Option<FormatError>,
}

/// Reads a 7z archive and calls `visit` with every member that holds data, in order.
///
/// Errors returned by `visit` end that member's block like corrupt data would; they are
/// recorded in [`Report::broken_blocks`].
pub fn walk<R: Read + Seek>(
    mut source: R,
    limits: &Limits,
    visit: &mut dyn FnMut(&Entry<'_>, &mut dyn Read) -> io::Result<()>,
) -> Report {
    let mut report = Report::default();
    let memory_kb = usize::try_from(MAX_DICTIONARY_BYTES / 1024).unwrap_or(usize::MAX);
    let password = Password::empty();
    let archive = match Archive::read_with_memory_limit(&mut source, &password, memory_kb) {
        Ok(archive) => archive,
        Err(error) => {
            report.stopped = Some(convert(error, "archive header"));
            return report;
        }
    };
    let entries = archive.files.len() as u64;
    if entries > limits.max_archive_entries {
        report.stopped = Some(FormatError::LimitExceeded {
            limit: LimitKind::ArchiveEntries,
            value: entries,
            max: limits.max_archive_entries,
            offset: 0,
        });
        return report;
    }
    report.names = archive.files.iter().map(|f| f.name.clone()).collect();
    let encrypted_blocks: HashSet<usize> = archive
        .blocks
        .iter()
        .enumerate()
        .filter(|(_, block)| {
            block
                .coders
                .iter()
                .any(|coder| coder.encoder_method_id() == EncoderMethod::ID_AES256_SHA256)
        })
        .map(|(index, _)| index)
        .collect();
    for (file_index, file) in archive.files.iter().enumerate() {
        let block = archive.stream_map.file_block_index.get(file_index).copied();
        if let Some(Some(block)) = block
            && encrypted_blocks.contains(&block)
        {
            report.encrypted.push(file.name.clone());
        }
    }
    for block_index in 0..archive.blocks.len() {
        if encrypted_blocks.contains(&block_index) {
            continue;
        }
        let decoder = BlockDecoder::new_with_memory_limit(
            1,
            memory_kb,
            block_index,
            &archive,
            &password,
            &mut source,
        );
        let mut visit_entry = |entry: &ArchiveEntry, data: &mut dyn Read| {
            if entry.is_directory || !entry.has_stream {
                return Ok(true);
            }
            if is_symlink(entry) {
                let mut target = Vec::new();
                data.take(MAX_LINK_TARGET).read_to_end(&mut target)?;
                report.links.push(Link {
                    name: entry.name.clone(),
                    target,
                });
                return Ok(true);
            }
            let member = Entry {
                name: &entry.name,
                size: entry.size,
            };
            let mut capped = Capped {
                inner: data,
                produced: 0,
                max: limits.max_decompressed_bytes,
            };
            visit(&member, &mut capped)?;
            Ok(true)
        };
        if let Err(error) = decoder.for_each_entries(&mut visit_entry) {
            match convert(error, "compressed block") {
                limit @ FormatError::LimitExceeded { .. } => {
                    report.stopped = Some(limit);
                    break;
                }
                broken => report.broken_blocks.push(broken),
            }
        }
    }
    report
}

/// A member's decoded data, cut off with a limit error past `max` bytes.
struct Capped<'a> {
    inner: &'a mut dyn Read,
    produced: u64,
    max: u64,
}

impl Read for Capped<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced = self.produced.saturating_add(n as u64);
        if self.produced > self.max {
            return Err(into_io(FormatError::LimitExceeded {
                limit: LimitKind::Decompression,
                value: self.produced,
                max: self.max,
                offset: 0,
            }));
        }
        Ok(n)
    }
}

/// Whether the member's Unix mode (kept in the high attribute bits) says symbolic link.
fn is_symlink(entry: &ArchiveEntry) -> bool {
    let attributes = entry.windows_attributes;
    entry.has_windows_attributes
        && attributes & UNIX_EXTENSION != 0
        && (attributes >> 16) & 0o170_000 == 0o120_000
}

/// Maps a `sevenz-rust2` error to how airlock reports a stop.
fn convert(error: sevenz_rust2::Error, what: &'static str) -> FormatError {
    use sevenz_rust2::Error as E;
    match error {
        E::MaxMemLimited { max_kb, actaul_kb } => FormatError::LimitExceeded {
            limit: LimitKind::Decompression,
            value: (actaul_kb as u64).saturating_mul(1024),
            max: (max_kb as u64).saturating_mul(1024),
            offset: 0,
        },
        E::PasswordRequired | E::MaybeBadPassword(_) => FormatError::Unsupported {
            offset: 0,
            what: format!("{what} is encrypted"),
        },
        E::UnsupportedCompressionMethod(method) => FormatError::Unsupported {
            offset: 0,
            what: format!("{what} uses compression method {method}"),
        },
        E::Unsupported(reason) => FormatError::Unsupported {
            offset: 0,
            what: format!("{what}: {reason}"),
        },
        E::Io(source, _) | E::FileOpen(source, _) => {
            match crate::compress::carried_error(&source) {
                Some(inner) => crate::compress::duplicate(inner),
                None if source.kind() == io::ErrorKind::UnexpectedEof => {
                    FormatError::Truncated { offset: 0, what }
                }
                None => FormatError::Invalid {
                    offset: 0,
                    reason: format!("{what}: {source}"),
                },
            }
        }
        E::ChecksumVerificationFailed => FormatError::Invalid {
            offset: 0,
            reason: format!("{what}: a member does not match its CRC"),
        },
        E::NextHeaderCrcMismatch => FormatError::Invalid {
            offset: 0,
            reason: format!("{what}: the index does not match its CRC"),
        },
        E::Other(reason) => FormatError::Invalid {
            offset: 0,
            reason: format!("{what}: {reason}"),
        },
        other => FormatError::Invalid {
            offset: 0,
            reason: format!("{what}: {other:?}"),
        },
    }
}
