//! ONNX models (`ModelProto`, onnx.proto3): every operator, opset imports and every
//! external-data reference, read in one streaming pass.
//!
//! ONNX holds no code, but two of its features reach outside the file: tensors whose
//! bytes live in another file named by `external_data.location` (read by `onnx.load`
//! and onnxruntime, with path-traversal history: CVE-2022-25882, CVE-2024-27318,
//! symlinks and hardlinks in 2026), and operators in custom domains, which only run
//! once the user registers a native custom-op library. This module reports both as
//! facts; whether they are acceptable is the scan layer's call, and only the scan
//! layer looks at the file system.
//!
//! # Security
//!
//! The model is walked with [`crate::protobuf::Wire`]: tensor bytes (`raw_data`,
//! `float_data`...) are skipped, never buffered; nested graphs (`If`, `Loop`, `Scan`
//! attributes), functions and training graphs are descended into within
//! [`Limits::max_proto_depth`]; retained names are capped at [`NAME_CAP`] bytes and
//! retained records at [`MAX_RECORDS`].

use std::collections::BTreeMap;

use crate::protobuf::{Field, Kept, Wire, WireType};
use crate::{FormatError, Limits};

/// Bytes kept of a name, op type, domain or location.
pub const NAME_CAP: usize = 1024;

/// Characters kept of a place (the path of graphs, nodes and attributes to an item).
pub const PLACE_CAP: usize = 2048;

/// `place` cut to [`PLACE_CAP`] bytes (on a character boundary), `…` marking the cut.
fn capped(mut place: String) -> String {
    if place.len() > PLACE_CAP {
        let mut at = PLACE_CAP;
        while !place.is_char_boundary(at) {
            at -= 1;
        }
        place.truncate(at);
        place.push('…');
    }
    place
}

/// External references and custom-domain nodes kept per model; further ones are counted.
pub const MAX_RECORDS: usize = 10_000;

/// Operator domains defined by the ONNX standard.
pub const STANDARD_DOMAINS: &[&str] = &[
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview.training",
];

/// Operator domains whose kernels ship inside onnxruntime itself (its
/// `core/graph/constants.h`), so running them needs no user-registered library.
pub const RUNTIME_DOMAINS: &[&str] = &[
    "com.microsoft",
    "com.microsoft.nchwc",
    "com.microsoft.experimental",
    "com.microsoft.dml",
    "com.ms.internal.nhwc",
    "org.pytorch.aten",
];

/// Whether nodes of `domain` run without a custom-op library (standard or onnxruntime).
pub fn is_builtin_domain(domain: &str) -> bool {
    STANDARD_DOMAINS.contains(&domain) || RUNTIME_DOMAINS.contains(&domain)
}

/// A tensor whose bytes are declared to live in another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRef {
    /// Where the tensor sits (graph, node, attribute, tensor name).
    pub place: String,
    /// The `location` value, raw bytes (may hold NUL or invalid UTF-8); empty if absent.
    pub location: Kept,
    /// The `offset` value as written, if any.
    pub offset: Option<String>,
    /// The `length` value as written, if any.
    pub length: Option<String>,
    /// Whether `data_location` is `EXTERNAL` (1), which is when loaders read the file.
    pub external: bool,
    /// Whether the tensor is part of a sparse tensor (values or indices).
    pub sparse: bool,
    /// Offset of the tensor message in the model.
    pub offset_in_model: u64,
}

/// A node whose domain is neither standard ONNX nor shipped with onnxruntime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainNode {
    /// The node's domain.
    pub domain: String,
    /// Its op type.
    pub op_type: String,
    /// Where it sits.
    pub place: String,
    /// Offset of the node message in the model.
    pub offset: u64,
}

/// What one pass over an ONNX model found.
#[derive(Debug, Default)]
pub struct OnnxReport {
    /// `ir_version`.
    pub ir_version: Option<u64>,
    /// `producer_name`.
    pub producer: Option<String>,
    /// Opset imports of the model: (domain, version).
    pub opsets: Vec<(String, i64)>,
    /// Every operator seen, anywhere: (domain, op_type) to count.
    pub ops: BTreeMap<(String, String), u64>,
    /// Nodes visited (main graph, nested graphs, functions, training graphs).
    pub nodes: u64,
    /// Nested graphs visited (attribute `g`/`graphs`).
    pub subgraphs: u64,
    /// Model-local functions: (domain, name).
    pub functions: Vec<(String, String)>,
    /// Nodes in domains outside [`is_builtin_domain`] (first [`MAX_RECORDS`]).
    pub custom_nodes: Vec<DomainNode>,
    /// Tensors with an `external_data` entry or `data_location` EXTERNAL (first [`MAX_RECORDS`]).
    pub external: Vec<ExternalRef>,
    /// Records dropped past [`MAX_RECORDS`].
    pub dropped_records: u64,
    /// Why the walk stopped before the end, if it did.
    pub stopped: Option<FormatError>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct OperatorSetId {
    #[prost(string, tag = "1")]
    domain: String,
    #[prost(int64, tag = "2")]
    version: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct StringEntry {
    #[prost(bytes = "vec", tag = "1")]
    key: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// Reads an ONNX `ModelProto` from `reader` (its whole length, to end of stream).
pub fn read_model<R: std::io::Read>(reader: R, limits: &Limits) -> OnnxReport {
    let mut walker = Walker {
        w: Wire::new(reader, limits),
        report: OnnxReport::default(),
    };
    if let Err(error) = walker.model() {
        walker.report.stopped = Some(error);
    }
    walker.report
}

struct Walker<'l, R> {
    w: Wire<'l, R>,
    report: OnnxReport,
}

type Res = Result<(), FormatError>;

fn want(field: Field, wire: WireType) -> Result<(), FormatError> {
    if field.wire == wire {
        Ok(())
    } else {
        Err(FormatError::Invalid {
            offset: field.offset,
            reason: format!(
                "field {} has wire type {:?}, expected {wire:?}",
                field.number, field.wire
            ),
        })
    }
}

impl<R: std::io::Read> Walker<'_, R> {
    fn model(&mut self) -> Res {
        while let Some(f) = self.w.field(None)? {
            match f.number {
                1 => {
                    want(f, WireType::Varint)?;
                    self.report.ir_version = Some(self.w.varint("ir_version")?);
                }
                2 => {
                    want(f, WireType::Len)?;
                    self.report.producer = Some(self.w.keep(None, NAME_CAP)?.text());
                }
                7 => self.graph(f, None, "graph")?,
                8 => {
                    want(f, WireType::Len)?;
                    let op: OperatorSetId = self.w.decode(None, "opset_import")?;
                    self.report.opsets.push((op.domain, op.version));
                }
                20 => self.training_info(f, None)?,
                25 => self.function(f, None)?,
                _ => self.w.skip(f, None)?,
            }
        }
        Ok(())
    }

    fn training_info(&mut self, f: Field, end: Option<u64>) -> Res {
        want(f, WireType::Len)?;
        let to = self.w.enter(end)?;
        while let Some(f) = self.w.field(Some(to))? {
            match f.number {
                1 => self.graph(f, Some(to), "training initialization")?,
                2 => self.graph(f, Some(to), "training algorithm")?,
                _ => self.w.skip(f, Some(to))?,
            }
        }
        self.w.leave(to)
    }

    fn function(&mut self, f: Field, end: Option<u64>) -> Res {
        want(f, WireType::Len)?;
        let to = self.w.enter(end)?;
        let mut name = String::new();
        let mut domain = String::new();
        while let Some(f) = self.w.field(Some(to))? {
            match f.number {
                1 => {
                    want(f, WireType::Len)?;
                    name = self.w.keep(Some(to), NAME_CAP)?.text();
                }
                10 => {
                    want(f, WireType::Len)?;
                    domain = self.w.keep(Some(to), NAME_CAP)?.text();
                }
                7 => {
                    // The domain (field 10) follows the nodes in writers' field order.
                    let place = capped(format!("function {name:?}"));
                    self.node(f, Some(to), &place)?;
                }
                _ => self.w.skip(f, Some(to))?,
            }
        }
        self.report.functions.push((domain, name));
        self.w.leave(to)
    }

    fn graph(&mut self, f: Field, end: Option<u64>, parent: &str) -> Res {
        want(f, WireType::Len)?;
        let to = self.w.enter(end)?;
        let mut place = parent.to_owned();
        while let Some(f) = self.w.field(Some(to))? {
            match f.number {
                1 => self.node(f, Some(to), &place)?,
                2 => {
                    want(f, WireType::Len)?;
                    let name = self.w.keep(Some(to), NAME_CAP)?.text();
                    place = capped(format!("{parent} {name:?}"));
                }
                5 => self.tensor(f, Some(to), &format!("{place} initializer"), false)?,
                15 => self.sparse(f, Some(to), &format!("{place} sparse_initializer"))?,
                _ => self.w.skip(f, Some(to))?,
            }
        }
        self.w.leave(to)
    }

    fn node(&mut self, f: Field, end: Option<u64>, parent: &str) -> Res {
        want(f, WireType::Len)?;
        let offset = f.offset;
        let to = self.w.enter(end)?;
        self.report.nodes += 1;
        let mut name = String::new();
        let mut op_type = String::new();
        let mut domain = String::new();
        while let Some(f) = self.w.field(Some(to))? {
            match f.number {
                3 => {
                    want(f, WireType::Len)?;
                    name = self.w.keep(Some(to), NAME_CAP)?.text();
                }
                4 => {
                    want(f, WireType::Len)?;
                    op_type = self.w.keep(Some(to), NAME_CAP)?.text();
                }
                7 => {
                    want(f, WireType::Len)?;
                    domain = self.w.keep(Some(to), NAME_CAP)?.text();
                }
                5 => {
                    let place = capped(format!("{parent} / node {name:?} ({op_type})"));
                    self.attribute(f, Some(to), &place)?;
                }
                _ => self.w.skip(f, Some(to))?,
            }
        }
        let place = capped(format!("{parent} / node {name:?}"));
        if !is_builtin_domain(&domain) {
            if self.report.custom_nodes.len() < MAX_RECORDS {
                self.report.custom_nodes.push(DomainNode {
                    domain: domain.clone(),
                    op_type: op_type.clone(),
                    place,
                    offset,
                });
            } else {
                self.report.dropped_records += 1;
            }
        }
        let ops = &mut self.report.ops;
        if ops.len() < MAX_RECORDS || ops.contains_key(&(domain.clone(), op_type.clone())) {
            *ops.entry((domain, op_type)).or_default() += 1;
        } else {
            self.report.dropped_records += 1;
        }
        self.w.leave(to)
    }

    fn attribute(&mut self, f: Field, end: Option<u64>, parent: &str) -> Res {
        want(f, WireType::Len)?;
        let to = self.w.enter(end)?;
        let mut name = String::new();
        while let Some(f) = self.w.field(Some(to))? {
            let place = capped(format!("{parent} / attribute {name:?}"));
            match f.number {
                1 => {
                    want(f, WireType::Len)?;
                    name = self.w.keep(Some(to), NAME_CAP)?.text();
                }
                5 | 10 => self.tensor(f, Some(to), &place, false)?,
                6 | 11 => {
                    self.report.subgraphs += 1;
                    self.graph(f, Some(to), &format!("{place} / graph"))?;
                }
                22 | 23 => self.sparse(f, Some(to), &place)?,
                _ => self.w.skip(f, Some(to))?,
            }
        }
        self.w.leave(to)
    }

    fn sparse(&mut self, f: Field, end: Option<u64>, parent: &str) -> Res {
        want(f, WireType::Len)?;
        let to = self.w.enter(end)?;
        while let Some(f) = self.w.field(Some(to))? {
            match f.number {
                1 => self.tensor(f, Some(to), &format!("{parent} sparse values"), true)?,
                2 => self.tensor(f, Some(to), &format!("{parent} sparse indices"), true)?,
                _ => self.w.skip(f, Some(to))?,
            }
        }
        self.w.leave(to)
    }

    fn tensor(&mut self, f: Field, end: Option<u64>, parent: &str, sparse: bool) -> Res {
        want(f, WireType::Len)?;
        let offset_in_model = f.offset;
        let to = self.w.enter(end)?;
        let mut name = String::new();
        let mut entries: Vec<StringEntry> = Vec::new();
        let mut external = false;
        while let Some(f) = self.w.field(Some(to))? {
            match f.number {
                8 => {
                    want(f, WireType::Len)?;
                    name = self.w.keep(Some(to), NAME_CAP)?.text();
                }
                13 => {
                    want(f, WireType::Len)?;
                    let entry: StringEntry = self.w.decode(Some(to), "external_data entry")?;
                    if entries.len() < 64 {
                        entries.push(entry);
                    }
                }
                14 => {
                    want(f, WireType::Varint)?;
                    external = self.w.varint("data_location")? == 1;
                }
                // Tensor bytes (raw_data, float_data, string_data...) and the rest.
                _ => self.w.skip(f, Some(to))?,
            }
        }
        self.w.leave(to)?;
        if !external && entries.is_empty() {
            return Ok(());
        }
        let mut record = ExternalRef {
            place: capped(format!("{parent} tensor {name:?}")),
            location: Kept::default(),
            offset: None,
            length: None,
            external,
            sparse,
            offset_in_model,
        };
        // onnx builds a dict from the entries: the last value of a key wins.
        for entry in entries {
            let value = || String::from_utf8_lossy(&entry.value).into_owned();
            match entry.key.as_slice() {
                b"location" => {
                    let truncated = entry.value.len() > NAME_CAP;
                    let mut bytes = entry.value.clone();
                    bytes.truncate(NAME_CAP);
                    record.location = Kept { bytes, truncated };
                }
                b"offset" => record.offset = Some(value()),
                b"length" => record.length = Some(value()),
                _ => {}
            }
        }
        if self.report.external.len() < MAX_RECORDS {
            self.report.external.push(record);
        } else {
            self.report.dropped_records += 1;
        }
        Ok(())
    }
}

/// What is wrong with an external-data `location` on its face, before any file is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationProblem {
    /// Empty: there is no file to read.
    Empty,
    /// Contains a NUL byte, which truncates the path in C and fails in Python.
    Nul,
    /// An absolute path (`/x`), a Windows drive (`C:\x`, `C:x`) or a UNC path (`\\host\x`).
    Absolute,
    /// After normalising `.` and `..` components (with `/` and `\` as separators), the
    /// path climbs out of the model's directory.
    Climbs,
}

impl std::fmt::Display for LocationProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LocationProblem::Empty => "is empty",
            LocationProblem::Nul => "contains a NUL byte",
            LocationProblem::Absolute => "is an absolute path",
            LocationProblem::Climbs => "climbs out of the model's directory",
        })
    }
}

/// Checks a `location` lexically, as onnx's and onnxruntime's loaders should have.
pub fn check_location(location: &[u8]) -> Option<LocationProblem> {
    if location.is_empty() {
        return Some(LocationProblem::Empty);
    }
    if location.contains(&0) {
        return Some(LocationProblem::Nul);
    }
    let sep = |b: &u8| *b == b'/' || *b == b'\\';
    if location.first().is_some_and(sep)
        || matches!(location, [d, b':', ..] if d.is_ascii_alphabetic())
    {
        return Some(LocationProblem::Absolute);
    }
    let mut depth: i64 = 0;
    for part in location.split(sep) {
        match part {
            b"" | b"." => {}
            b".." => {
                depth -= 1;
                if depth < 0 {
                    return Some(LocationProblem::Climbs);
                }
            }
            _ => depth += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(check_location(b"weights.bin"), None);
        assert_eq!(check_location(b"a/./b/../c.bin"), None);
        assert_eq!(check_location(b"../x"), Some(LocationProblem::Climbs));
        assert_eq!(check_location(b"a/../../b"), Some(LocationProblem::Climbs));
        assert_eq!(
            check_location(b"a\\..\\..\\b"),
            Some(LocationProblem::Climbs)
        );
        assert_eq!(
            check_location(b"/etc/passwd"),
            Some(LocationProblem::Absolute)
        );
        assert_eq!(check_location(b"C:\\x"), Some(LocationProblem::Absolute));
        assert_eq!(
            check_location(b"\\\\host\\x"),
            Some(LocationProblem::Absolute)
        );
        assert_eq!(check_location(b"a\0b"), Some(LocationProblem::Nul));
        assert_eq!(check_location(b""), Some(LocationProblem::Empty));
    }
}
