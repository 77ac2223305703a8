//! Python pickle streams: opcode decoder and symbolic VM.
//!
//! Loading a pickle runs a small stack machine whose instructions import any global by
//! name and call it. This module runs that machine *symbolically*: it decodes every
//! opcode of protocols 0–5, keeps a model of the stack, MARK stack and memo, and records
//! what loading would import ([`Import`]), call ([`Call`]), mutate ([`BuildOnGlobal`]),
//! fetch through the copyreg registry ([`ExtensionRef`]) and unpickle from inside
//! constants ([`Embedded`]). It decides nothing: airlock-scan turns these facts into
//! findings. Name-based scanners that pattern-match opcode sequences are bypassed by
//! memo indirection, computed callables, BUILD on globals, discarded results and stacked
//! pickles (research notes §3, B8–B25); a VM sees through all of them.
//!
//! Beyond plain pickles, [`analyze`] knows two layouts where non-pickle bytes sit inside
//! the stream: the PyTorch legacy format (five stacked pickles, then raw storages) and
//! joblib's inline NumPy arrays (see `joblib.rs`).
//!
//! # Security
//!
//! The input is hostile and is never executed, imported or evaluated. Work and memory
//! are bounded: every opcode is O(1) apart from copying its own argument, values are
//! 16-byte records with bounded retained detail, argument lengths never size an
//! allocation, arguments over 1 MiB are streamed through, and every count is checked
//! against [`Limits`]. The VM follows CPython's C unpickler so that what it reports is
//! what `pickle.load` would do; where the two could differ it errs towards reporting
//! more. Anything found before a malformation or a limit is kept in the result.

mod embedded;
mod joblib;
mod opcode;
mod sniff;
mod source;
mod text;
mod value;
mod vm;

use crate::{FormatError, Limits};

/// Analyses a pickle stream: every stacked pickle until EOF (or the end of a PyTorch
/// legacy file's five pickles), reading `reader` through once.
///
/// The reader is read ahead in chunks; [`StreamAnalysis::bytes`] says where the analysed
/// data ended. Never panics; a malformation, limit or I/O error ends up in
/// [`StreamAnalysis::stopped`] with all findings before it kept.
pub fn analyze<R: std::io::Read>(mut reader: R, limits: &Limits) -> StreamAnalysis {
    vm::analyze_dyn(&mut reader, limits, 0)
}

/// For content detection of files without a PROTO magic: does this prefix (<= 4 KiB)
/// plausibly start a pickle (protocol 0/1 text pickles included)?
///
/// True for `\x80` + protocol 0..=5 + an opcode; otherwise the prefix must run cleanly
/// through the VM (reach STOP, or decode 8 opcodes without error) or start with a GLOBAL
/// (or MARK + GLOBAL/INST) whose module and name are dotted identifiers. Rejects text,
/// JSON, source code and the usual binary model formats.
pub fn looks_like_pickle(prefix: &[u8]) -> bool {
    sniff::looks_like_pickle(prefix)
}

/// [`looks_like_pickle`] for bytes where arbitrary binary data is normal, such as the
/// members of a checkpoint that hold raw tensor storages.
///
/// A PROTO opcode is two bytes, which random float data starts with about once in 10,000
/// storages (measured on random float32 and random bytes); here the prefix must also
/// decode cleanly for a few opcodes, reach STOP, or import a named global before it
/// breaks (a payload followed by garbage, B8).
pub fn looks_like_pickle_in_data(prefix: &[u8]) -> bool {
    sniff::looks_like_pickle_in_data(prefix)
}

/// Everything the VM learned about one stream, and how it stopped.
#[derive(Debug, Default)]
pub struct StreamAnalysis {
    /// One per pickle analysed (stacked pickles and joblib object-array pickles), in
    /// the order they ended; the last may be incomplete.
    pub pickles: Vec<PickleSummary>,
    /// Distinct `(module, name, computed)` imports, first occurrence and count.
    pub imports: Vec<Import>,
    /// Calls: one per global callee and opcode, one per computed call (up to 1,000).
    pub calls: Vec<Call>,
    /// BUILD applied to an imported global rather than a created object (up to 1,000).
    pub builds_on_globals: Vec<BuildOnGlobal>,
    /// EXT1/EXT2/EXT4 opcodes (up to 1,000).
    pub extensions: Vec<ExtensionRef>,
    /// Pickles found inside bytes/str constants, analysed recursively.
    pub embedded: Vec<Embedded>,
    /// Records counted but not listed because a list reached its cap.
    pub omitted: Omitted,
    /// Total opcodes decoded.
    pub opcodes: u64,
    /// Bytes of the stream analysed: where analysis ended (for a PyTorch legacy file,
    /// the end of the fifth pickle). The reader may have been read further ahead.
    pub bytes: u64,
    /// The stream was recognised as the PyTorch legacy stacked format.
    pub torch_legacy: bool,
    /// `None` = parsed cleanly to EOF (or to the end of the torch-legacy pickles).
    pub stopped: Option<FormatError>,
}

/// Counts of records beyond the per-list caps, so that evidence lists stay bounded
/// without hiding that more occurred.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Omitted {
    /// Computed calls after the first 1,000.
    pub computed_calls: u64,
    /// BUILD-on-global records after the first 1,000.
    pub builds_on_globals: u64,
    /// Extension references after the first 1,000.
    pub extensions: u64,
}

/// Where in the stream something happened, for evidence a person can find.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    /// Offset of the opcode byte from stream start.
    pub offset: u64,
    /// Index of the opcode, counted across stacked pickles.
    pub opcode_index: u64,
}

/// Extent of one pickle in the stream, so stacked pickles can be told apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PickleSummary {
    /// Offset of its first opcode.
    pub start: u64,
    /// Offset just past its STOP (or where analysis stopped inside it).
    pub end: u64,
    /// Argument of its first PROTO opcode; `None` for protocol 0/1 streams.
    pub protocol: Option<u8>,
    /// Opcodes decoded in it.
    pub opcodes: u64,
    /// It reached STOP.
    pub complete: bool,
}

/// A global the stream imports: the basis of allow/deny policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// Module as written (for computed imports, a description of the operand).
    pub module: String,
    /// Attribute name as written, dots included (protocol 4 `os.system` in `posixpath`).
    pub name: String,
    /// `"GLOBAL"`, `"STACK_GLOBAL"` or `"INST"` (of the first occurrence).
    pub opcode: &'static str,
    /// STACK_GLOBAL operands were not literal strings: the name is only known at load time.
    pub computed: bool,
    /// First occurrence.
    pub at: Pos,
    /// Occurrences.
    pub count: u64,
}

/// A call loading would make: shows what runs and with which arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// What is called.
    pub callee: Callee,
    /// `"REDUCE"`, `"OBJ"`, `"NEWOBJ"`, `"NEWOBJ_EX"` or `"INST"`; also `"APPEND"`,
    /// `"APPENDS"`, `"SETITEM"`, `"SETITEMS"` or `"ADDITEMS"` when those opcodes call
    /// a method (`extend`, `__setitem__`, `add`) of an imported global.
    pub opcode: &'static str,
    /// Arguments rendered compactly (≤ 200 characters), e.g. `('echo pwned',)`.
    pub args: String,
    /// The result was immediately discarded by POP/POP_MARK (for deduplicated calls: at
    /// any occurrence), i.e. the call exists only for its side effect (B21).
    pub discarded: bool,
    /// First occurrence.
    pub at: Pos,
    /// Occurrences (global callees are deduplicated per opcode).
    pub count: u64,
}

/// The callable of a [`Call`], separating names policy can judge from computed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callee {
    /// An imported global, called directly or after a trip through the memo.
    Global {
        /// Module as written.
        module: String,
        /// Name as written.
        name: String,
    },
    /// Anything else, described for a person, e.g. `"result of
    /// builtins.getattr(<global builtins.str>, 'join')"`.
    Computed(String),
}

/// BUILD on an imported global: `setattr` on shared interpreter state (B18).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOnGlobal {
    /// Module of the global.
    pub module: String,
    /// Name of the global.
    pub name: String,
    /// The state applied, rendered (≤ 200 characters).
    pub state: String,
    /// Where the BUILD is.
    pub at: Pos,
}

/// An EXT1/EXT2/EXT4 opcode: imports a global the file does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionRef {
    /// The copyreg extension code.
    pub code: u32,
    /// Where the opcode is.
    pub at: Pos,
}

/// How an embedded pickle was encoded inside its constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The constant's bytes are the pickle.
    Raw,
    /// Base64 (standard alphabet) of the pickle.
    Base64,
    /// Hexadecimal digits of the pickle.
    Hex,
}

/// A pickle inside a constant of this stream, analysed on its own (PKL112).
#[derive(Debug)]
pub struct Embedded {
    /// The opcode carrying the constant (for joblib array data: the wrapper's BUILD).
    pub at: Pos,
    /// How the pickle was encoded.
    pub encoding: Encoding,
    /// Analysis of the decoded pickle; its offsets count from the decoded start.
    pub analysis: Box<StreamAnalysis>,
}
