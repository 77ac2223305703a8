//! ONNX and TensorFlow readers over the real fixtures: what they list, and where the
//! saver's checkpoint ops are recognised as the saver's.

use airlock_formats::tensorflow::{self, OpClass, TfKind};
use airlock_formats::{Limits, onnx};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(path),
    )
    .unwrap()
}

#[test]
fn onnx_lists_ops_in_nested_graphs_and_functions() {
    let limits = Limits::default();
    let report = onnx::read_model(fixture("onnx/benign/if-loop.onnx").as_slice(), &limits);
    assert!(report.stopped.is_none(), "{:?}", report.stopped);
    assert_eq!(report.subgraphs, 3);
    for op in ["If", "Loop", "Add", "Sub", "Identity"] {
        assert!(
            report.ops.contains_key(&(String::new(), op.to_owned())),
            "{op}"
        );
    }
    assert_eq!(report.opsets, vec![(String::new(), 17)]);
    let report = onnx::read_model(
        fixture("onnx/benign/local-function.onnx").as_slice(),
        &limits,
    );
    assert_eq!(
        report.functions,
        vec![("local.funcs".to_owned(), "Double".to_owned())]
    );
    assert_eq!(report.custom_nodes.len(), 1);
}

#[test]
fn onnx_external_data_is_reported_with_its_place() {
    let limits = Limits::default();
    let report = onnx::read_model(
        fixture("onnx/benign/external-data/model.onnx").as_slice(),
        &limits,
    );
    assert_eq!(report.external.len(), 3);
    assert!(report.external.iter().all(|e| e.external
        && e.location.bytes == b"weights.bin"
        && onnx::check_location(&e.location.bytes).is_none()));
    let report = onnx::read_model(
        fixture("onnx/malicious/B32-nested-if-traversal.onnx").as_slice(),
        &limits,
    );
    let ext = &report.external[0];
    assert!(ext.place.contains("then_branch"), "{}", ext.place);
    assert_eq!(
        onnx::check_location(&ext.location.bytes),
        Some(onnx::LocationProblem::Climbs)
    );
    let report = onnx::read_model(
        fixture("onnx/malicious/B32-sparse-traversal.onnx").as_slice(),
        &limits,
    );
    assert!(report.external[0].sparse);
}

#[test]
fn saved_model_saver_ops_sit_in_the_saver() {
    let limits = Limits::default();
    let report = tensorflow::read_graph(
        fixture("tensorflow/benign/mlp-savedmodel/saved_model.pb").as_slice(),
        TfKind::SavedModel,
        &limits,
    );
    assert!(report.stopped.is_none(), "{:?}", report.stopped);
    assert_eq!(report.schema_version, Some(1));
    for op in ["SaveV2", "RestoreV2", "MergeV2Checkpoints", "MatMul"] {
        assert!(
            report.ops.contains_key(op) || op == "MatMul",
            "{op} not in {:?}",
            report.ops
        );
    }
    assert!(!report.hits.is_empty());
    assert!(
        report
            .hits
            .iter()
            .all(|h| h.class == OpClass::Checkpoint && h.in_saver),
        "{:?}",
        report.hits
    );
    let report = tensorflow::read_graph(
        fixture("tensorflow/malicious/B31-save-outside-saver/saved_model.pb").as_slice(),
        TfKind::SavedModel,
        &limits,
    );
    let outside: Vec<_> = report.hits.iter().filter(|h| !h.in_saver).collect();
    assert_eq!(outside.len(), 1, "{:?}", report.hits);
    assert!(outside[0].place.contains("serve"), "{}", outside[0].place);
}

#[test]
fn keras_metadata_configs_are_exposed() {
    let report = tensorflow::read_keras_metadata(
        fixture("tensorflow/benign/keras_metadata.pb").as_slice(),
        &Limits::default(),
    );
    assert!(report.stopped.is_none());
    assert_eq!(report.keras_configs.len(), 1);
    assert_eq!(report.keras_configs[0].identifier, "_tf_keras_sequential");
    assert!(report.keras_configs[0].metadata.contains("\"Sequential\""));
}

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

#[test]
fn bulk_tensor_bytes_are_streamed_past_not_buffered() {
    use std::io::Read;
    // ModelProto { ir_version 8, graph { initializer { name "big", raw_data: 256 MiB } } },
    // generated as it is read; small messages may be at most 1 KiB, so the tensor bytes
    // can only have been skipped.
    const BIG: u64 = 256 << 20;
    let name = [0x42, 3, b'b', b'i', b'g'];
    let raw = [vec![0x4a], varint(BIG)].concat();
    let tensor_len = (name.len() + raw.len()) as u64 + BIG;
    let tensor = [vec![0x2a], varint(tensor_len)].concat();
    let graph_len = tensor.len() as u64 + tensor_len;
    let prefix = [
        vec![0x08, 8, 0x3a],
        varint(graph_len),
        tensor,
        name.to_vec(),
        raw,
    ]
    .concat();
    let reader = prefix.as_slice().chain(std::io::repeat(0).take(BIG));
    let limits = Limits {
        max_proto_message: 1024,
        ..Limits::default()
    };
    let report = onnx::read_model(reader, &limits);
    assert!(report.stopped.is_none(), "{:?}", report.stopped);
    assert!(report.external.is_empty());
}

fn field(number: u64, payload: &[u8]) -> Vec<u8> {
    [
        varint(number << 3 | 2),
        varint(payload.len() as u64),
        payload.to_vec(),
    ]
    .concat()
}

#[test]
fn attribute_value_before_its_key_still_decides() {
    // NodeDef { name "p", op "PrintV2", attr { value { s "file://…" }, key "output_stream" } }
    let value = field(2, &field(2, b"file:///tmp/airlock-fixture"));
    let entry = [value, field(1, b"output_stream")].concat();
    let node = [field(1, b"p"), field(2, b"PrintV2"), field(5, &entry)].concat();
    let graph = field(1, &node);
    let report = tensorflow::read_graph(graph.as_slice(), TfKind::GraphDef, &Limits::default());
    assert!(report.stopped.is_none(), "{:?}", report.stopped);
    assert_eq!(report.hits.len(), 1);
    assert_eq!(report.hits[0].class, OpClass::FileWrite);
}
