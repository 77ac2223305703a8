//! Rules for TensorFlow graphs (`saved_model.pb`, frozen `GraphDef`, `keras_metadata.pb`):
//! ops that call Python, touch files or the network, checkpoint I/O outside the saver,
//! malformed protobuf and parser caps.
//!
//! A graph holds no Python, but its ops run with the serving process's rights as soon
//! as a signature is called (research B31).

use super::refs::*;
use super::{Reference, Rule, RuleStatus};
use crate::Severity;

const TF_SECURITY: Reference = Reference {
    id: "TensorFlow security model",
    url: "https://github.com/tensorflow/tensorflow/blob/master/SECURITY.md",
};

const TF_RAW_OPS: Reference = Reference {
    id: "tf.raw_ops",
    url: "https://www.tensorflow.org/api_docs/python/tf/raw_ops",
};

const MODELAUDIT_TF: Reference = Reference {
    id: "ModelAudit suspicious TensorFlow ops",
    url: "https://github.com/promptfoo/modelaudit/blob/main/modelaudit/detectors/suspicious_symbols.py",
};

const CWE_73: Reference = Reference {
    id: "CWE-73",
    url: "https://cwe.mitre.org/data/definitions/73.html",
};

const TF_FIX: &str = "Do not serve or call the model. Rebuild it from its training code, or \
re-download it from its publisher and compare digests; inspect it with `saved_model_cli show --all`.";

/// Ops that call back into Python.
pub const TFG101_TENSORFLOW_PYTHON_CALLBACK: Rule = Rule {
    code: "TFG101",
    name: "tensorflow-python-callback",
    severity: Severity::High,
    title: "TensorFlow graph calls back into Python",
    finds: "A `PyFunc`, `PyFuncStateless` or `EagerPyFunc` node (what `tf.py_function` and \
`tf.numpy_function` write) in a graph or function body.",
    why: "The op runs a Python callable of the hosting process by token: the graph cannot run until \
the host registers that callable, so the model depends on code that is not in the file, and a loader \
that re-creates callables from companion files runs arbitrary Python.",
    fix: TF_FIX,
    references: &[
        TF_SECURITY,
        MODELAUDIT_TF,
        ATLAS_UNSAFE_ARTIFACT,
        TF_RAW_OPS,
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Ops that read files.
pub const TFG102_TENSORFLOW_FILE_READ: Rule = Rule {
    code: "TFG102",
    name: "tensorflow-file-read",
    severity: Severity::High,
    title: "TensorFlow graph reads files",
    finds: "`ReadFile`, `MatchingFiles`, the queue readers (`WholeFileReader`, `TextLineReader`, \
`TFRecordReader`, `FixedLengthRecordReader`, `LMDBReader`, V1 and V2), the file datasets \
(`TextLineDataset`, `TFRecordDataset`, `FixedLengthRecordDataset`, `CSVDataset`, `LMDBDataset`, \
`SqlDataset`, `LoadDataset`, `MatchingFilesDataset`, `RecordInput`, the snapshot readers), \
`ImmutableConst` (maps a file region), \
`LoadAndRemapMatrix`, `GenerateVocabRemapping`, and `DecodeProtoV2`/`EncodeProto` with a \
`descriptor_source` file, in a graph or function body.",
    why: "Calling the model reads whatever file the graph names (`~/.ssh/id_rsa`, cloud credentials) \
and can return its bytes in the output: exfiltration through an inference API. Models for inference \
have no reason to read files outside their own assets.",
    fix: TF_FIX,
    references: &[TF_SECURITY, MODELAUDIT_TF, CWE_73, ATLAS_UNSAFE_ARTIFACT],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Ops that write files.
pub const TFG103_TENSORFLOW_FILE_WRITE: Rule = Rule {
    code: "TFG103",
    name: "tensorflow-file-write",
    severity: Severity::High,
    title: "TensorFlow graph writes files",
    finds: "`WriteFile`, the dataset writers (`SaveDataset`, `SnapshotDataset`, `DatasetToTFRecord`), \
`CalibrationStatisticsSaver`, `DumpTensor`, `FileSystemSetConfiguration`, summary writers on \
files or databases (`CreateSummaryFileWriter`, `CreateSummaryDbWriter`), `PrintV2` whose \
`output_stream` is a `file://` URL, and debug ops (`DebugIdentity`, `DebugIdentityV2`, \
`DebugNumericSummary`...) whose `debug_urls` name `file://` paths, in a graph or function body.",
    why: "Calling the model creates or overwrites files with the server's rights: shell start-up \
files, `authorized_keys`, Python packages on the path, which turns a model call into code execution.",
    fix: TF_FIX,
    references: &[TF_SECURITY, MODELAUDIT_TF, CWE_73, ATLAS_UNSAFE_ARTIFACT],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Ops that talk to the network.
pub const TFG104_TENSORFLOW_NETWORK: Rule = Rule {
    code: "TFG104",
    name: "tensorflow-network",
    severity: Severity::High,
    title: "TensorFlow graph connects to the network",
    finds: "Debug ops whose `debug_urls` name a non-file URL (`grpc://`), the RPC ops (`Rpc`, \
`TryRpc`, `RpcClient`, `RpcCall`, `RpcServer`...), tf.data service ops (`DataServiceDataset`, \
`RegisterDataset`, `DistributedSave`) and `RemoteCall`, in a graph or function body.",
    why: "Calling the model sends tensors (inputs, weights) to, or takes orders from, an address the \
model's author chose.",
    fix: TF_FIX,
    references: &[TF_SECURITY, MODELAUDIT_TF, ATLAS_UNSAFE_ARTIFACT],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Checkpoint ops that are not part of the saver.
pub const TFG201_TENSORFLOW_CHECKPOINT_OP_OUTSIDE_SAVER: Rule = Rule {
    code: "TFG201",
    name: "tensorflow-checkpoint-op-outside-saver",
    severity: Severity::Medium,
    title: "TensorFlow checkpoint I/O outside the saver",
    finds: "`SaveV2`, `Save`, `SaveSlices`, `RestoreV2`, `Restore`, `RestoreSlice`, `DTensorRestoreV2` or \
`MergeV2Checkpoints` in a node or function that the meta graph's `saver_def` (its save tensor and \
restore op, followed through inputs and called functions) does not reach, or in a graph without a \
`saver_def`. The same ops inside the saver are normal in every SavedModel and not reported.",
    why: "Outside the saver these ops read and write checkpoint files at paths the graph chooses \
(`MergeV2Checkpoints` also deletes its inputs) whenever a signature is called.",
    fix: "Check which signature reaches the op; re-export the model if it is not a training \
checkpoint you expect.",
    references: &[TF_SECURITY, CWE_73, TF_RAW_OPS],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Ops that need a custom-op library.
pub const TFG202_TENSORFLOW_CUSTOM_OP: Rule = Rule {
    code: "TFG202",
    name: "tensorflow-custom-op",
    severity: Severity::Medium,
    title: "TensorFlow graph uses an op TensorFlow does not define",
    finds: "A node whose op is neither registered in TensorFlow (the 1,908 ops of tensorflow-cpu 2.21, listed in `airlock-formats/src/tensorflow_ops.rs`) nor a function of the meta graph's function library. One finding per op, at its first node. Ops added by later TensorFlow versions are reported too until the list is regenerated.",
    why: "The graph cannot run until the user loads a custom-op library with `tf.load_op_library`: native code with the process's rights, not in the model and not seen by this scan.",
    fix: "Find out which library provides the op and where it comes from; load only libraries built from source you trust.",
    references: &[TF_SECURITY, ATLAS_UNSAFE_ARTIFACT, TF_RAW_OPS],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// The file is not valid protobuf or not a valid graph structure.
pub const TFG501_TENSORFLOW_MALFORMED: Rule = Rule {
    code: "TFG501",
    name: "tensorflow-malformed",
    severity: Severity::High,
    title: "TensorFlow protobuf is malformed",
    finds: "A `saved_model.pb`, `GraphDef` or `keras_metadata.pb` whose protobuf wire data is invalid \
(a bad varint, a field length past the end of its enclosing message, a submessage that does not end \
where its length says, a deprecated group, a known field with the wrong wire type, an attribute that \
does not decode) or that ends early.",
    why: "Protobuf parsers differ on invalid input; a file no TensorFlow version could have written \
was crafted or corrupted, and what follows the error was not scanned.",
    fix: TF_FIX,
    references: &[CWE_20, TF_SECURITY],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A protobuf cap was hit before the graph was read.
pub const TFG901_TENSORFLOW_LIMIT: Rule = Rule {
    code: "TFG901",
    name: "tensorflow-limit",
    severity: Severity::High,
    title: "TensorFlow protobuf exceeds airlock's caps",
    finds: "A graph whose messages nest deeper than `scan.limits.max-proto-depth` (default 100), that \
holds more than `scan.limits.max-proto-items` messages (default 10 million), or a `saver_def` or \
Keras metadata entry larger than `scan.limits.max-proto-message` (16 MiB). The rest was not analysed.",
    why: "Deep nesting overflows recursive protobuf parsers; no real model comes near these sizes. \
The file is not known to be clean.",
    fix: TF_FIX,
    references: &[CWE_400, TF_SECURITY],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
