//! Recognising a pickle from its first bytes, for files and constants without a
//! PROTO opcode to go by.
//!
//! Protocol 2+ pickles start with `\x80` and a protocol number. Protocol 0 and 1 pickles
//! have no magic at all, and their opcodes are printable ASCII, so plain text can look
//! like one. The prefix is therefore run through the real VM (stack, MARKs, memo): text,
//! JSON, source code and binary formats fail within a few opcodes (an unknown opcode
//! byte, a stack underflow, a missing MARK), while a pickle either reaches STOP or runs
//! cleanly for [`CLEAN_OPCODES`] opcodes.
//!
//! # Security
//!
//! Work is bounded by the 4 KiB prefix and [`CLEAN_OPCODES`]; nothing is recursed into.

use super::opcode::{self, GLOBAL, INST, MARK, PROTO};
use super::text::is_dotted_identifier;
use super::vm::{Engine, Mode};
use crate::{FormatError, LimitKind, Limits};

/// Longest prefix examined.
const PREFIX: usize = 4096;
/// Opcodes that must decode cleanly for a prefix without STOP to count as a pickle.
const CLEAN_OPCODES: u64 = 8;

/// Magic numbers of formats that are never pickles, although their first byte is an
/// opcode (`P` PERSID, `G` BINFLOAT, `B` BINBYTES, `\x93` STACK_GLOBAL).
const NOT_PICKLE: &[&[u8]] = &[
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"PK\x07\x08",
    b"GGUF",
    b"BZh",
    b"\x93NUMPY",
];

/// See [`super::looks_like_pickle`].
pub(crate) fn looks_like_pickle(prefix: &[u8]) -> bool {
    let prefix = prefix.get(..prefix.len().min(PREFIX)).unwrap_or(prefix);
    match prefix {
        [PROTO, p, next, ..] => *p <= opcode::HIGHEST_PROTOCOL && opcode::is_opcode(*next),
        [PROTO, ..] | [] => false,
        _ if NOT_PICKLE.iter().any(|m| prefix.starts_with(m)) => false,
        _ => starts_with_named_global(prefix) || runs_cleanly(prefix),
    }
}

/// `GLOBAL`, `MARK GLOBAL` or `MARK INST` with identifier-like module and name lines.
fn starts_with_named_global(prefix: &[u8]) -> bool {
    let rest = match prefix {
        [GLOBAL, rest @ ..] | [MARK, GLOBAL | INST, rest @ ..] => rest,
        _ => return false,
    };
    let mut lines = rest.split(|&b| b == b'\n');
    match (lines.next(), lines.next(), lines.next()) {
        // A third element exists only if the name line was terminated.
        (Some(module), Some(name), Some(_)) => {
            is_dotted_identifier(module) && is_dotted_identifier(name)
        }
        _ => false,
    }
}

/// See [`super::looks_like_pickle_in_data`].
pub(crate) fn looks_like_pickle_in_data(prefix: &[u8]) -> bool {
    let prefix = prefix.get(..prefix.len().min(PREFIX)).unwrap_or(prefix);
    match prefix {
        [PROTO, ..] => {
            looks_like_pickle(prefix) && (runs_cleanly(prefix) || imports_before_break(prefix))
        }
        _ => looks_like_pickle(prefix),
    }
}

/// Whether the VM, before the prefix stops parsing, imports a global whose module and
/// name are dotted identifiers.
fn imports_before_break(prefix: &[u8]) -> bool {
    let limits = Limits {
        max_opcodes: 64,
        ..Limits::default()
    };
    let mut reader = prefix;
    let mut engine = Engine::new(&mut reader, &limits, 0, Mode::Sniff, prefix.len() + 1);
    let _ = engine.run_pickle();
    engine.cx.a.imports.iter().any(|import| {
        !import.computed
            && is_dotted_identifier(import.module.as_bytes())
            && is_dotted_identifier(import.name.as_bytes())
    })
}

/// Whether the VM reaches STOP, or decodes `CLEAN_OPCODES` opcodes without error. After
/// a STOP the rest of the prefix must be blank or start another pickle, so that text such
/// as `N.B. …` (NONE, STOP, garbage) is not taken for one.
fn runs_cleanly(prefix: &[u8]) -> bool {
    let limits = Limits {
        max_opcodes: CLEAN_OPCODES,
        ..Limits::default()
    };
    let mut rest = prefix;
    // Each round consumes at least one byte, so this ends.
    loop {
        let mut reader = rest;
        let mut engine = Engine::new(&mut reader, &limits, 0, Mode::Sniff, rest.len() + 1);
        match engine.run_pickle() {
            Ok(_) => {
                let used = usize::try_from(engine.consumed()).unwrap_or(usize::MAX);
                rest = rest.get(used..).unwrap_or(&[]);
                if rest.trim_ascii().is_empty() {
                    return true;
                }
                match rest {
                    [PROTO, ..] => return looks_like_pickle(rest),
                    _ if starts_with_named_global(rest) => return true,
                    _ => {}
                }
            }
            Err(FormatError::LimitExceeded {
                limit: LimitKind::Opcodes,
                ..
            }) => return true,
            Err(_) => return false,
        }
    }
}
