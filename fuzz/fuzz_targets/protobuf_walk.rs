//! Fuzzes the streaming protobuf walker through the ONNX, TensorFlow and Keras-metadata
//! readers and the protobuf sniffers: no panic, no stack overflow, stop offsets inside
//! the input, records within their caps.

#![no_main]

use airlock_formats::tensorflow::{self, TfKind};
use airlock_formats::{Limits, detect, onnx};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let len = data.len() as u64;
    let _ = detect::sniff(data);
    let model = onnx::read_model(data, &limits);
    if let Some(stop) = &model.stopped {
        assert!(stop.offset() <= len, "{stop:?}");
    }
    assert!(model.external.len() <= onnx::MAX_RECORDS);
    assert!(model.custom_nodes.len() <= onnx::MAX_RECORDS);
    for ext in &model.external {
        assert!(ext.offset_in_model < len);
        let _ = onnx::check_location(&ext.location.bytes);
    }
    for kind in [TfKind::SavedModel, TfKind::GraphDef, TfKind::MetaGraph] {
        let graph = tensorflow::read_graph(data, kind, &limits);
        if let Some(stop) = &graph.stopped {
            assert!(stop.offset() <= len, "{stop:?}");
        }
        assert!(graph.hits.len() <= tensorflow::MAX_RECORDS);
        for hit in &graph.hits {
            assert!(hit.offset < len);
        }
    }
    let keras = tensorflow::read_keras_metadata(data, &limits);
    if let Some(stop) = &keras.stopped {
        assert!(stop.offset() <= len, "{stop:?}");
    }
});
