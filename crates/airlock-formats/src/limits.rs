//! The one place where every resource bound of every parser is set.

/// Resource bounds for parsing one file, shared by every parser in this crate.
///
/// Each bound is checked before the work or allocation it guards. Reaching one stops the
/// analysis of that stream with [`crate::FormatError::LimitExceeded`], which airlock-scan
/// reports under its own 9xx rule: the file is then "not known to be clean", never
/// "clean". Defaults let real checkpoints of tens of gigabytes and pickles of hundreds of
/// millions of opcodes through while keeping memory bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Bytes one pickle stream may span (default 16 GiB). Bulk bytes arguments are
    /// skipped by length, so this bounds time, not memory.
    pub max_pickle_bytes: u64,
    /// Opcodes per pickle stream, stacked pickles counted together (default 200 million).
    pub max_opcodes: u64,
    /// Memo entries per pickle (default 10 million).
    pub max_memo: u64,
    /// Values on the pickle stack at once (default 4 million).
    pub max_stack: u64,
    /// Open MARKs at once (default 10,000); embedded pickles may nest at most
    /// [`Limits::max_depth`] levels.
    pub max_nesting: u64,
    /// Members per archive (default 100,000).
    pub max_archive_entries: u64,
    /// Bytes one compressed layer or archive member may inflate to (default 64 GiB).
    pub max_decompressed_bytes: u64,
    /// Inflated size divided by compressed size, checked once 16 MiB have been produced
    /// (default 1000).
    pub max_compression_ratio: u64,
    /// Bytes of a nested layer read into memory when its format needs random access (a 7z
    /// inside another archive, `model.weights.h5` inside a `.keras` archive); files on
    /// disk are reopened instead (default 1 GiB).
    pub max_buffered_bytes: u64,
    /// Containers, compressed layers and embedded pickles nested inside each other
    /// (default 8).
    pub max_depth: u32,
    /// Protobuf messages nested inside each other in ONNX and TensorFlow files
    /// (default 100, protobuf's own recursion limit).
    pub max_proto_depth: u32,
    /// Bytes of one small protobuf message buffered whole for decoding (default 16 MiB);
    /// bulk tensor fields are skipped, never buffered.
    pub max_proto_message: u64,
    /// Protobuf messages visited in one ONNX or TensorFlow file (default 10 million).
    pub max_proto_items: u64,
    /// Bytes of one Keras config (`config.json`, an `.h5` `model_config`) analysed
    /// (default 16 MiB; parsed JSON takes several times its size in memory).
    pub max_keras_config_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pickle_bytes: 16 << 30,
            max_opcodes: 200_000_000,
            max_memo: 10_000_000,
            max_stack: 4_000_000,
            max_nesting: 10_000,
            max_archive_entries: 100_000,
            max_decompressed_bytes: 64 << 30,
            max_compression_ratio: 1000,
            max_buffered_bytes: 1 << 30,
            max_depth: 8,
            max_proto_depth: 100,
            max_proto_message: 16 << 20,
            max_proto_items: 10_000_000,
            max_keras_config_bytes: 16 << 20,
        }
    }
}
