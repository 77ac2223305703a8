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
use crate::protobuf::{WireType, sniff_fields, sniff_varint};

/// `MetaInfoDef` fields (TensorFlow `meta_graph.proto`): all length-delimited except
/// field 7, `stripped_default_attrs`, a bool.
const META_INFO_FIELDS: [(u32, WireType); 8] = [
    (1, WireType::Len),
    (2, WireType::Len),
    (3, WireType::Len),
    (4, WireType::Len),
    (5, WireType::Len),
    (6, WireType::Len),
    (7, WireType::Varint),
    (8, WireType::Len),
];

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
    /// An ONNX model (`ModelProto`): `ir_version` first, then model fields, with a
    /// graph or opset import in view.
    Onnx,
    /// A TensorFlow `saved_model.pb`: schema version then a `MetaGraphDef`.
    TfSavedModel,
    /// A TensorFlow `GraphDef` (frozen graph): a first `NodeDef` with a name and an op.
    TfGraphDef,
    /// tf-keras' `keras_metadata.pb` (`SavedMetadata`).
    KerasMetadata,
    /// A TensorFlow `MetaGraphDef` (TF1 `.meta`): a `MetaInfoDef` first, then the graph.
    TfMetaGraph,
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
    if let Some(kind) = sniff_protobuf(prefix) {
        return kind;
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

/// Protobuf has no magic: these checks walk the prefix's wire structure against the
/// fields each message defines (numbers from onnx.proto3, TensorFlow's
/// saved_model/meta_graph/graph/node_def.proto and tf-keras' saved_metadata.proto) and
/// require the values a writer always puts first. Random bytes, text, pickles and
/// tensor data fail within a few bytes.
fn sniff_protobuf(prefix: &[u8]) -> Option<Kind> {
    use WireType::{Len, Varint};
    let first = *prefix.first()?;
    if first == 0x08 {
        if is_saved_model(prefix) {
            return Some(Kind::TfSavedModel);
        }
        const MODEL: &[(u32, WireType)] = &[
            (1, Varint),
            (2, Len),
            (3, Len),
            (4, Len),
            (5, Varint),
            (6, Len),
            (7, Len),
            (8, Len),
            (14, Len),
            (20, Len),
            (25, Len),
            (26, Len),
        ];
        let fields = sniff_fields(prefix, MODEL)?;
        let (_, ir) = fields.first()?;
        let (ir, _) = sniff_varint(ir)?;
        if !(1..=32).contains(&ir) {
            return None;
        }
        let mut seen_body = false;
        for (i, (number, value)) in fields.iter().enumerate() {
            let last = i + 1 == fields.len();
            match number {
                1 if i > 0 => return None,
                2..=4 | 6 if !utf8_prefix(value) => return None,
                6 if last => seen_body = true,
                7 => {
                    const GRAPH: &[(u32, WireType)] = &[
                        (1, Len),
                        (2, Len),
                        (5, Len),
                        (10, Len),
                        (11, Len),
                        (12, Len),
                        (13, Len),
                        (14, Len),
                        (15, Len),
                        (16, Len),
                    ];
                    sniff_fields(value, GRAPH)?;
                    seen_body = true;
                }
                8 => {
                    sniff_fields(value, &[(1, Len), (2, Varint)])?;
                    seen_body = true;
                }
                _ => {}
            }
        }
        return seen_body.then_some(Kind::Onnx);
    }
    if first == 0x0a {
        if is_graph_def(prefix) {
            return Some(Kind::TfGraphDef);
        }
        if is_keras_metadata(prefix) {
            return Some(Kind::KerasMetadata);
        }
        if is_meta_graph(prefix) {
            return Some(Kind::TfMetaGraph);
        }
    }
    None
}

/// Valid UTF-8, allowing a character cut by the end of the prefix.
fn utf8_prefix(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// `saved_model_schema_version` 1, then a `MetaGraphDef` that opens with a `MetaInfoDef`.
fn is_saved_model(prefix: &[u8]) -> bool {
    use WireType::{Len, Varint};
    let Some(fields) = sniff_fields(prefix, &[(1, Varint), (2, Len)]) else {
        return false;
    };
    let [(1, version), (2, meta), ..] = fields.as_slice() else {
        return false;
    };
    if sniff_varint(version).map(|(v, _)| v) != Some(1) {
        return false;
    }
    let meta_fields: Vec<(u32, WireType)> = (1..=7).map(|n| (n, WireType::Len)).collect();
    let Some(inner) = sniff_fields(meta, &meta_fields) else {
        return false;
    };
    match inner.first() {
        Some((1, info)) => sniff_fields(info, &META_INFO_FIELDS).is_some_and(|f| !f.is_empty()),
        Some((2, _)) => true,
        _ => false,
    }
}

/// A first `node` whose `NodeDef` starts with a node name and an op name.
fn is_graph_def(prefix: &[u8]) -> bool {
    use WireType::{Len, Varint};
    let Some(fields) = sniff_fields(
        prefix,
        &[(1, Len), (2, Len), (3, Varint), (4, Len), (5, Len)],
    ) else {
        return false;
    };
    let Some((1, node)) = fields.first() else {
        return false;
    };
    let node_fields: Vec<(u32, WireType)> = (1..=7).map(|n| (n, WireType::Len)).collect();
    let Some(inner) = sniff_fields(node, &node_fields) else {
        return false;
    };
    let name_ok = |b: &[u8]| {
        !b.is_empty()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"_./->-".contains(c))
    };
    match inner.as_slice() {
        [(1, name), (2, op), ..] => {
            name_ok(name)
                && !op.is_empty()
                && op.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        }
        _ => false,
    }
}

/// A `MetaInfoDef` whose stripped op list (or version string) comes first, followed
/// only by `MetaGraphDef` fields.
fn is_meta_graph(prefix: &[u8]) -> bool {
    use WireType::{Len, Varint};
    let meta_fields: Vec<(u32, WireType)> = (1..=7).map(|n| (n, WireType::Len)).collect();
    let Some(fields) = sniff_fields(prefix, &meta_fields) else {
        return false;
    };
    let Some((1, info)) = fields.first() else {
        return false;
    };
    match sniff_fields(info, &META_INFO_FIELDS).as_deref() {
        // stripped_op_list: an OpList of OpDefs, the first opening with an op name.
        Some([(2, ops), ..]) => {
            let op_def = [
                (1, Len),
                (2, Len),
                (3, Len),
                (4, Len),
                (5, Len),
                (6, Len),
                (8, Len),
                (16, Varint),
                (17, Varint),
                (18, Varint),
                (19, Varint),
                (20, Len),
                (21, Varint),
            ];
            match sniff_fields(ops, &[(1, Len)]).as_deref() {
                Some([(1, op), ..]) => matches!(
                    sniff_fields(op, &op_def).as_deref(),
                    Some([(1, name), ..]) if !name.is_empty()
                        && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
                ),
                _ => false,
            }
        }
        Some([(1, version), ..]) => {
            !version.is_empty() && version.iter().all(|c| c.is_ascii_graphic())
        }
        _ => false,
    }
}

/// A first `SavedObject` naming a tf-keras object.
fn is_keras_metadata(prefix: &[u8]) -> bool {
    use WireType::{Len, Varint};
    let Some(fields) = sniff_fields(prefix, &[(1, Len)]) else {
        return false;
    };
    let Some((1, node)) = fields.first() else {
        return false;
    };
    let Some(inner) = sniff_fields(node, &[(2, Varint), (3, Len), (4, Len), (5, Len), (6, Len)])
    else {
        return false;
    };
    inner
        .iter()
        .any(|(n, v)| *n == 4 && v.starts_with(b"_tf_keras"))
}
