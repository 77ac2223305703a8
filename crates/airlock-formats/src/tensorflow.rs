//! TensorFlow graphs: `saved_model.pb` (SavedModel → MetaGraphDef → GraphDef and its
//! function library), frozen `GraphDef` files, and tf-keras' `keras_metadata.pb`.
//!
//! A TensorFlow graph holds no Python, but its ops run with the serving process's
//! rights: `ReadFile`, `WriteFile`, dataset readers and `ImmutableConst` touch
//! arbitrary files, `PyFunc` calls back into Python, `PrintV2` and debug ops write to
//! files or URLs (research B31). This module lists every op of every graph and function
//! body, classifies the ones that reach outside the tensor world ([`classify`]) and
//! tells which of them belong to the saver: every SavedModel saves and restores its
//! variables with `SaveV2`, `RestoreV2` and `MergeV2Checkpoints`, reached from the
//! `saver_def` tensors, which is normal and must not alarm.
//!
//! # Security
//!
//! Walked with [`crate::protobuf::Wire`]: `Const` tensors and every other bulk field
//! are skipped unbuffered; only attribute values up to [`SMALL_ATTR`] bytes and the
//! `saver_def` are decoded. Retained names are capped at [`NAME_CAP`] bytes, inputs
//! per node at [`MAX_INPUTS`], records at [`MAX_RECORDS`].

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use crate::protobuf::{Field, Wire, WireType};
use crate::{FormatError, Limits};

/// Bytes kept of a node, op or function name.
pub const NAME_CAP: usize = 1024;

/// Inputs kept per graph node (for the saver slice).
pub const MAX_INPUTS: usize = 4096;

/// Bytes of node names, inputs and call targets kept per meta graph for the saver
/// slice (64 MiB). Past it nodes are still scanned, but a checkpoint op the slice can no
/// longer reach is reported as outside the saver: the error is a false alarm, never a
/// miss.
pub const MAX_RETAINED: usize = 64 << 20;

/// Flagged ops and Keras configs kept per file; further ones are counted.
pub const MAX_RECORDS: usize = 10_000;

/// Largest attribute value decoded; larger ones (constant tensors) are skipped.
pub const SMALL_ATTR: u64 = 64 * 1024;

/// Stands for an attribute value too large to decode ([`SMALL_ATTR`]); [`classify`]
/// takes it as the worst case for the attributes it looks at.
pub const UNREAD: &str = "\u{0}unread attribute over 64 KiB";

/// What an op does outside of computing on tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpClass {
    /// Calls a Python function of the loading process (`PyFunc`...).
    PythonCallback,
    /// Reads a file named by a tensor or attribute.
    FileRead,
    /// Writes or creates a file.
    FileWrite,
    /// Connects to a network address.
    Network,
    /// Checkpoint I/O (`SaveV2`, `RestoreV2`, `MergeV2Checkpoints`...), normal in the saver.
    Checkpoint,
    /// An op neither registered in TensorFlow ([`is_registered`]) nor defined in the
    /// graph's function library: it needs a custom-op library (native code).
    CustomOp,
}

/// Whether `op` is registered in TensorFlow itself (see [`crate::tensorflow_ops`]).
pub fn is_registered(op: &str) -> bool {
    crate::tensorflow_ops::REGISTERED_OPS
        .binary_search(&op)
        .is_ok()
}

/// Classifies an op by name and the string attributes that decide it; `None` for ops
/// that only compute on tensors. Returns the class and why, for a person.
pub fn classify(op: &str, attrs: &[(String, String)]) -> Option<(OpClass, &'static str)> {
    use OpClass::*;
    let attr = |key: &'static str| {
        attrs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    Some(match op {
        "PyFunc" | "PyFuncStateless" | "EagerPyFunc" => (
            PythonCallback,
            "calls a Python function registered by the loading process (tf.py_function, tf.numpy_function)",
        ),
        "ReadFile" => (FileRead, "reads a whole file into a tensor"),
        "MatchingFiles" | "MatchingFilesDataset" | "ExperimentalMatchingFilesDataset" => {
            (FileRead, "lists files matching a glob pattern")
        }
        "WholeFileReader"
        | "WholeFileReaderV2"
        | "TextLineReader"
        | "TextLineReaderV2"
        | "FixedLengthRecordReader"
        | "FixedLengthRecordReaderV2"
        | "TFRecordReader"
        | "TFRecordReaderV2"
        | "LMDBReader" => (FileRead, "queue-based reader of files"),
        "TextLineDataset"
        | "TFRecordDataset"
        | "TFRecordDatasetV2"
        | "FixedLengthRecordDataset"
        | "FixedLengthRecordDatasetV2"
        | "LMDBDataset"
        | "ExperimentalLMDBDataset"
        | "CSVDataset"
        | "CSVDatasetV2"
        | "ExperimentalCSVDataset"
        | "SqlDataset"
        | "ExperimentalSqlDataset"
        | "LoadDataset"
        | "SnapshotDatasetReader"
        | "SnapshotNestedDatasetReader"
        | "SnapshotChunkDataset"
        | "ListSnapshotChunksDataset"
        | "RecordInput" => (FileRead, "dataset that reads files"),
        "ImmutableConst" => (
            FileRead,
            "memory-maps a file region named by `memory_region_name` into a tensor",
        ),
        "LoadAndRemapMatrix" | "GenerateVocabRemapping" => (
            FileRead,
            "reads a checkpoint or vocabulary file named by a tensor",
        ),
        "DecodeProtoV2" | "EncodeProto"
            if attr("descriptor_source")
                .any(|s| !s.is_empty() && s != "local://" && !s.starts_with("bytes://")) =>
        {
            (
                FileRead,
                "reads a protobuf descriptor file named by `descriptor_source`",
            )
        }
        "WriteFile" => (FileWrite, "writes a tensor's bytes to a file"),
        "SaveDataset"
        | "SaveDatasetV2"
        | "SnapshotDataset"
        | "SnapshotDatasetV2"
        | "ExperimentalSnapshotDataset"
        | "DatasetToTFRecord"
        | "ExperimentalDatasetToTFRecord" => (FileWrite, "dataset that writes files"),
        "CalibrationStatisticsSaver" | "DumpTensor" => {
            (FileWrite, "writes tensors or statistics to a file")
        }
        "FileSystemSetConfiguration" => (
            FileWrite,
            "changes the process's file-system configuration (schemes, credentials)",
        ),
        "CreateSummaryFileWriter" | "CreateSummaryDbWriter" => {
            (FileWrite, "creates a summary writer on a file or database")
        }
        "PrintV2" if attr("output_stream").any(|s| s.starts_with("file://") || s == UNREAD) => {
            (FileWrite, "prints to a file named by `output_stream`")
        }
        "DebugIdentity"
        | "DebugIdentityV2"
        | "DebugIdentityV3"
        | "DebugNanCount"
        | "DebugNumericSummary"
        | "DebugNumericSummaryV2"
            if attr("debug_urls").any(|s| s.starts_with("file://") || s == UNREAD) =>
        {
            (FileWrite, "dumps tensors to the files in `debug_urls`")
        }
        "DebugIdentity"
        | "DebugIdentityV2"
        | "DebugIdentityV3"
        | "DebugNanCount"
        | "DebugNumericSummary"
        | "DebugNumericSummaryV2"
            if attr("debug_urls").any(|s| !s.is_empty()) =>
        {
            (Network, "streams tensors to the addresses in `debug_urls`")
        }
        "Rpc" | "TryRpc" | "RpcClient" | "RpcCall" | "RpcServer" | "RpcServerStart"
        | "RpcServerRegister" => (Network, "makes or serves remote procedure calls"),
        "DataServiceDataset"
        | "DataServiceDatasetV2"
        | "DataServiceDatasetV3"
        | "DataServiceDatasetV4"
        | "RegisterDataset"
        | "RegisterDatasetV2"
        | "DistributedSave" => (Network, "connects to a tf.data service address"),
        "RemoteCall" => (
            Network,
            "runs a function on another (remote) device or task",
        ),
        "Save" | "SaveV2" | "SaveSlices" => (Checkpoint, "writes tensors to checkpoint files"),
        "Restore" | "RestoreV2" | "RestoreSlice" | "DTensorRestoreV2" => {
            (Checkpoint, "reads tensors from checkpoint files")
        }
        "MergeV2Checkpoints" => (
            Checkpoint,
            "merges checkpoint files and deletes the originals",
        ),
        _ => return None,
    })
}

/// One op that [`classify`] flagged, with where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpHit {
    /// The op name.
    pub op: String,
    /// What it does.
    pub class: OpClass,
    /// Why, for a person.
    pub reason: &'static str,
    /// Meta graph index, graph or function name, node name.
    pub place: String,
    /// The deciding string attributes (`output_stream`, `debug_urls`...), if any.
    pub detail: Option<String>,
    /// Whether the node belongs to the saver (reached from the `saver_def` tensors).
    pub in_saver: bool,
    /// Offset of the node in the file.
    pub offset: u64,
}

/// Which message a TensorFlow file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TfKind {
    /// `saved_model.pb`.
    SavedModel,
    /// A bare `GraphDef` (frozen graph).
    GraphDef,
    /// A bare `MetaGraphDef` (TF1 `.meta` checkpoint graph).
    MetaGraph,
}

/// What one pass over a SavedModel or GraphDef found.
#[derive(Debug, Default)]
pub struct TfReport {
    /// `saved_model_schema_version`, for SavedModels.
    pub schema_version: Option<u64>,
    /// Meta graphs read.
    pub meta_graphs: u64,
    /// Every op seen, in graphs and function bodies, with its count.
    pub ops: BTreeMap<String, u64>,
    /// Nodes visited.
    pub nodes: u64,
    /// Function definitions visited.
    pub functions: u64,
    /// Flagged ops (first [`MAX_RECORDS`]).
    pub hits: Vec<OpHit>,
    /// Records dropped past the caps.
    pub dropped_records: u64,
    /// Why the walk stopped before the end, if it did.
    pub stopped: Option<FormatError>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SaverDef {
    #[prost(string, tag = "1")]
    filename_tensor_name: String,
    #[prost(string, tag = "2")]
    save_tensor_name: String,
    #[prost(string, tag = "3")]
    restore_op_name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct NameAttrList {
    #[prost(string, tag = "1")]
    name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ListValue {
    #[prost(bytes = "vec", repeated, tag = "2")]
    s: Vec<Vec<u8>>,
    #[prost(message, repeated, tag = "9")]
    func: Vec<NameAttrList>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct AttrValue {
    #[prost(message, optional, tag = "1")]
    list: Option<ListValue>,
    #[prost(bytes = "vec", optional, tag = "2")]
    s: Option<Vec<u8>>,
    #[prost(message, optional, tag = "10")]
    func: Option<NameAttrList>,
}

/// Reads a `saved_model.pb`, a `GraphDef` or a `MetaGraphDef` from `reader`, to the end
/// of the stream.
pub fn read_graph<R: std::io::Read>(reader: R, kind: TfKind, limits: &Limits) -> TfReport {
    let mut walker = Walker {
        w: Wire::new(reader, limits),
        report: TfReport::default(),
        meta: Meta::default(),
    };
    let result = match kind {
        TfKind::SavedModel => walker.saved_model(),
        TfKind::GraphDef => walker.graph_def_body(None),
        TfKind::MetaGraph => {
            walker.report.meta_graphs = 1;
            walker.meta_graph(None)
        }
    };
    if result.is_ok() && kind != TfKind::SavedModel {
        walker.finish_meta();
    }
    if let Err(error) = result {
        walker.finish_meta();
        walker.report.stopped = Some(error);
    }
    walker.report
}

/// Per meta graph state for the saver slice.
#[derive(Default)]
struct Meta {
    prefix: String,
    /// Graph node name → (inputs, functions it calls).
    graph: HashMap<String, (Vec<String>, Vec<String>)>,
    /// Function name → functions its nodes call.
    calls: HashMap<String, Vec<String>>,
    saver: Option<SaverDef>,
    /// Bytes held in `graph` and `calls`, bounded by [`MAX_RETAINED`].
    retained: usize,
    /// Hits with the node or function they sit in: (hit, graph node or None, function).
    pending: Vec<(OpHit, Option<String>, Option<String>)>,
    /// First place of each op TensorFlow does not register, decided against the
    /// function library once it has been read.
    unregistered: BTreeMap<String, (String, u64)>,
}

struct Walker<'l, R> {
    w: Wire<'l, R>,
    report: TfReport,
    meta: Meta,
}

type Res = Result<(), FormatError>;

fn want(field: Field, wire: WireType) -> Res {
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

/// `name:0`, `^name`, `name:output:0` → `name`.
fn node_of(input: &str) -> &str {
    let input = input.strip_prefix('^').unwrap_or(input);
    input.split(':').next().unwrap_or(input)
}

impl<R: std::io::Read> Walker<'_, R> {
    fn saved_model(&mut self) -> Res {
        while let Some(f) = self.w.field(None)? {
            match f.number {
                1 => {
                    want(f, WireType::Varint)?;
                    self.report.schema_version = Some(self.w.varint("schema version")?);
                }
                2 => {
                    want(f, WireType::Len)?;
                    self.meta = Meta {
                        prefix: format!("meta graph {}", self.report.meta_graphs),
                        ..Meta::default()
                    };
                    self.report.meta_graphs += 1;
                    let to = self.w.enter(None)?;
                    self.meta_graph(Some(to))?;
                    self.w.leave(to)?;
                    self.finish_meta();
                }
                _ => self.w.skip(f, None)?,
            }
        }
        Ok(())
    }

    fn meta_graph(&mut self, to: Option<u64>) -> Res {
        while let Some(f) = self.w.field(to)? {
            match f.number {
                2 => {
                    want(f, WireType::Len)?;
                    let end = self.w.enter(to)?;
                    self.graph_def_body(Some(end))?;
                    self.w.leave(end)?;
                }
                3 => {
                    want(f, WireType::Len)?;
                    self.meta.saver = Some(self.w.decode(to, "saver_def")?);
                }
                _ => self.w.skip(f, to)?,
            }
        }
        Ok(())
    }

    fn graph_def_body(&mut self, end: Option<u64>) -> Res {
        while let Some(f) = self.w.field(end)? {
            match f.number {
                1 => self.node_def(f, end, None)?,
                2 => {
                    want(f, WireType::Len)?;
                    let to = self.w.enter(end)?;
                    while let Some(f) = self.w.field(Some(to))? {
                        match f.number {
                            1 => self.function_def(f, Some(to))?,
                            _ => self.w.skip(f, Some(to))?,
                        }
                    }
                    self.w.leave(to)?;
                }
                _ => self.w.skip(f, end)?,
            }
        }
        Ok(())
    }

    fn function_def(&mut self, f: Field, end: Option<u64>) -> Res {
        want(f, WireType::Len)?;
        let to = self.w.enter(end)?;
        self.report.functions += 1;
        let mut name = String::new();
        while let Some(f) = self.w.field(Some(to))? {
            match f.number {
                1 => {
                    // OpDef signature: only its name (field 1) is needed.
                    want(f, WireType::Len)?;
                    let sig = self.w.enter(Some(to))?;
                    while let Some(f) = self.w.field(Some(sig))? {
                        if f.number == 1 && f.wire == WireType::Len {
                            name = self.w.keep(Some(sig), NAME_CAP)?.text();
                        } else {
                            self.w.skip(f, Some(sig))?;
                        }
                    }
                    self.w.leave(sig)?;
                }
                3 => {
                    let function = name.clone();
                    self.node_def(f, Some(to), Some(function))?;
                }
                _ => self.w.skip(f, Some(to))?,
            }
        }
        self.meta.calls.entry(name).or_default();
        self.w.leave(to)
    }

    fn node_def(&mut self, f: Field, end: Option<u64>, function: Option<String>) -> Res {
        want(f, WireType::Len)?;
        let offset = f.offset;
        let to = self.w.enter(end)?;
        self.report.nodes += 1;
        let mut name = String::new();
        let mut op = String::new();
        let mut inputs = Vec::new();
        let mut calls = Vec::new();
        let mut strings: Vec<(String, String)> = Vec::new();
        while let Some(f) = self.w.field(Some(to))? {
            match f.number {
                1 => {
                    want(f, WireType::Len)?;
                    name = self.w.keep(Some(to), NAME_CAP)?.text();
                }
                2 => {
                    want(f, WireType::Len)?;
                    op = self.w.keep(Some(to), NAME_CAP)?.text();
                }
                3 => {
                    want(f, WireType::Len)?;
                    let input = self.w.keep(Some(to), NAME_CAP)?.text();
                    if function.is_none() && inputs.len() < MAX_INPUTS {
                        inputs.push(node_of(&input).to_owned());
                    }
                }
                5 => {
                    want(f, WireType::Len)?;
                    let entry = self.w.enter(Some(to))?;
                    // Map entries may hold the value before the key: join them after.
                    let mut key = String::new();
                    let mut values = Vec::new();
                    while let Some(f) = self.w.field(Some(entry))? {
                        match (f.number, f.wire) {
                            (1, WireType::Len) => key = self.w.keep(Some(entry), NAME_CAP)?.text(),
                            (2, WireType::Len) => {
                                self.attr_value(Some(entry), &mut values, &mut calls)?
                            }
                            _ => self.w.skip(f, Some(entry))?,
                        }
                    }
                    self.w.leave(entry)?;
                    strings.extend(values.into_iter().map(|v| (key.clone(), v)));
                }
                _ => self.w.skip(f, Some(to))?,
            }
        }
        self.w.leave(to)?;
        // A node whose op is a library function calls it.
        calls.push(op.clone());
        let ops = &mut self.report.ops;
        if ops.len() < MAX_RECORDS || ops.contains_key(&op) {
            *ops.entry(op.clone()).or_default() += 1;
        } else {
            self.report.dropped_records += 1;
        }
        let place = || match &function {
            Some(fname) => format!("{} function {fname:?} node {name:?}", self.meta.prefix),
            None => format!("{} graph node {name:?}", self.meta.prefix),
        };
        if !is_registered(&op)
            && !self.meta.unregistered.contains_key(&op)
            && self.meta.unregistered.len() < MAX_RECORDS
        {
            let at = place().trim_start().to_owned();
            self.meta.unregistered.insert(op.clone(), (at, offset));
        }
        if let Some((class, reason)) = classify(&op, &strings) {
            let place = place();
            let detail = strings
                .iter()
                .filter(|(k, _)| {
                    matches!(
                        k.as_str(),
                        "output_stream" | "debug_urls" | "memory_region_name" | "descriptor_source"
                    )
                })
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect::<Vec<_>>();
            let hit = OpHit {
                op: op.clone(),
                class,
                reason,
                place: place.trim_start().to_owned(),
                detail: (!detail.is_empty()).then(|| detail.join(", ")),
                in_saver: false,
                offset,
            };
            if self.meta.pending.len() < MAX_RECORDS {
                let node = function.is_none().then(|| name.clone());
                self.meta.pending.push((hit, node, function.clone()));
            } else {
                self.report.dropped_records += 1;
            }
        }
        let size = name.len()
            + inputs.iter().map(String::len).sum::<usize>()
            + calls.iter().map(String::len).sum::<usize>();
        if self.meta.retained.saturating_add(size) > MAX_RETAINED {
            self.report.dropped_records += 1;
            return Ok(());
        }
        self.meta.retained += size;
        match function {
            Some(fname) => self.meta.calls.entry(fname).or_default().extend(calls),
            None => {
                self.meta.graph.insert(name, (inputs, calls));
            }
        }
        Ok(())
    }

    fn attr_value(
        &mut self,
        end: Option<u64>,
        strings: &mut Vec<String>,
        calls: &mut Vec<String>,
    ) -> Res {
        let to = self.w.len(end)?;
        let len = to - self.w.pos();
        if len > SMALL_ATTR {
            // A constant tensor or a large list, skipped unread; ops decided by a string
            // attribute treat an unread one as the worst case.
            strings.push(UNREAD.to_owned());
            return self.w.skip_to(to, None);
        }
        let at = self.w.pos();
        let data = self.w.raw(len)?;
        let value: AttrValue =
            prost::Message::decode(data.as_slice()).map_err(|e| FormatError::Invalid {
                offset: at,
                reason: format!("attribute value: {e}"),
            })?;
        let text = |b: &[u8]| String::from_utf8_lossy(b.get(..NAME_CAP).unwrap_or(b)).into_owned();
        if let Some(s) = &value.s {
            strings.push(text(s));
        }
        if let Some(func) = &value.func {
            calls.push(func.name.clone());
        }
        if let Some(list) = &value.list {
            strings.extend(list.s.iter().take(64).map(|s| text(s)));
            calls.extend(list.func.iter().take(MAX_INPUTS).map(|f| f.name.clone()));
        }
        Ok(())
    }

    /// Resolves which pending hits sit in the saver and moves them to the report.
    fn finish_meta(&mut self) {
        let meta = std::mem::take(&mut self.meta);
        let mut saver_nodes: HashSet<&str> = HashSet::new();
        let mut saver_funcs: HashSet<&str> = HashSet::new();
        if let Some(saver) = &meta.saver {
            let mut queue: VecDeque<&str> = [&saver.save_tensor_name, &saver.restore_op_name]
                .into_iter()
                .map(|s| node_of(s))
                .filter(|s| !s.is_empty())
                .collect();
            let mut fqueue: VecDeque<&str> = VecDeque::new();
            while let Some(n) = queue.pop_front() {
                if saver_nodes.len() >= meta.graph.len() || !saver_nodes.insert(n) {
                    continue;
                }
                if let Some((inputs, calls)) = meta.graph.get(n) {
                    queue.extend(inputs.iter().map(String::as_str));
                    fqueue.extend(calls.iter().map(String::as_str));
                }
            }
            while let Some(f) = fqueue.pop_front() {
                if let Some(calls) = meta.calls.get(f)
                    && saver_funcs.insert(f)
                {
                    fqueue.extend(calls.iter().map(String::as_str));
                }
            }
        }
        for (op, (place, offset)) in &meta.unregistered {
            if meta.calls.contains_key(op) || self.report.hits.len() >= MAX_RECORDS {
                continue;
            }
            self.report.hits.push(OpHit {
                op: op.clone(),
                class: OpClass::CustomOp,
                reason: "is not a TensorFlow op nor a function of the graph: it needs a custom-op library",
                place: place.clone(),
                detail: None,
                in_saver: false,
                offset: *offset,
            });
        }
        for (mut hit, node, function) in meta.pending {
            hit.in_saver = node.as_deref().is_some_and(|n| saver_nodes.contains(n))
                || function.as_deref().is_some_and(|f| saver_funcs.contains(f));
            if self.report.hits.len() < MAX_RECORDS {
                self.report.hits.push(hit);
            } else {
                self.report.dropped_records += 1;
            }
        }
    }
}

/// One node's entry in tf-keras' `keras_metadata.pb`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct KerasConfig {
    /// `node_id` in the SavedModel's object graph.
    #[prost(int32, tag = "2")]
    pub node_id: i32,
    /// Path of the object from the root (`root.layer-1`).
    #[prost(string, tag = "3")]
    pub node_path: String,
    /// Kind of Keras object (`_tf_keras_layer`, `_tf_keras_model`...).
    #[prost(string, tag = "4")]
    pub identifier: String,
    /// The object's config, a JSON string (not analysed here).
    #[prost(string, tag = "5")]
    pub metadata: String,
}

/// What a pass over `keras_metadata.pb` (tf-keras `SavedMetadata`) found.
#[derive(Debug, Default)]
pub struct KerasMetadataReport {
    /// Each node's metadata, in file order: at most [`MAX_RECORDS`] nodes and
    /// [`MAX_RETAINED`] bytes in all, each node within [`Limits::max_proto_message`].
    pub keras_configs: Vec<KerasConfig>,
    /// Nodes dropped past [`MAX_RECORDS`] or [`MAX_RETAINED`] (the caller decides
    /// whether an incomplete list is acceptable).
    pub dropped_records: u64,
    /// Why the walk stopped before the end, if it did.
    pub stopped: Option<FormatError>,
}

/// Reads tf-keras' `SavedMetadata` (`keras_metadata.pb`) from `reader`.
pub fn read_keras_metadata<R: std::io::Read>(reader: R, limits: &Limits) -> KerasMetadataReport {
    let mut w = Wire::new(reader, limits);
    let mut report = KerasMetadataReport::default();
    let mut kept = 0usize;
    let result = (|| -> Res {
        while let Some(f) = w.field(None)? {
            if f.number == 1 {
                want(f, WireType::Len)?;
                let node: KerasConfig = w.decode(None, "SavedObject")?;
                kept = kept.saturating_add(node.metadata.len() + node.node_path.len());
                if report.keras_configs.len() < MAX_RECORDS && kept <= MAX_RETAINED {
                    report.keras_configs.push(node);
                } else {
                    report.dropped_records += 1;
                }
            } else {
                w.skip(f, None)?;
            }
        }
        Ok(())
    })();
    if let Err(error) = result {
        report.stopped = Some(error);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_decides_on_attributes() {
        assert_eq!(classify("MatMul", &[]), None);
        assert_eq!(
            classify("PrintV2", &[("output_stream".into(), "stderr".into())]),
            None
        );
        assert!(matches!(
            classify(
                "PrintV2",
                &[("output_stream".into(), "file:///tmp/x".into())]
            ),
            Some((OpClass::FileWrite, _))
        ));
        assert!(matches!(
            classify(
                "DebugIdentityV2",
                &[("debug_urls".into(), "grpc://h:1".into())]
            ),
            Some((OpClass::Network, _))
        ));
        assert_eq!(node_of("^a/b:0"), "a/b");
        assert!(matches!(
            classify("PrintV2", &[("output_stream".into(), UNREAD.into())]),
            Some((OpClass::FileWrite, _))
        ));
        assert!(is_registered("MatMul") && !is_registered("AirlockFixtureOp"));
        assert!(crate::tensorflow_ops::REGISTERED_OPS.is_sorted());
        assert_eq!(node_of("x:output:0"), "x");
    }
}
