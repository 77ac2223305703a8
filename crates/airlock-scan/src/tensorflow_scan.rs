//! TensorFlow graphs: ops that reach outside the tensor world, checkpoint I/O outside
//! the saver; tf-keras metadata parsed for its framing only.

use airlock_core::{Finding, Location, Rule, rules};
use airlock_formats::FormatError;
use airlock_formats::tensorflow::{self, OpClass, TfKind};

use crate::keras_scan;
use crate::scanner::{Layer, Scanner};

pub(crate) fn scan_graph(
    scanner: &Scanner,
    kind: TfKind,
    stream: &mut Layer<'_>,
    location: &Location,
    out: &mut Vec<Finding>,
) {
    let report = tensorflow::read_graph(stream.reader(), kind, &scanner.limits);
    for hit in &report.hits {
        let rule = match hit.class {
            OpClass::PythonCallback => &rules::TFG101_TENSORFLOW_PYTHON_CALLBACK,
            OpClass::FileRead => &rules::TFG102_TENSORFLOW_FILE_READ,
            OpClass::FileWrite => &rules::TFG103_TENSORFLOW_FILE_WRITE,
            OpClass::Network => &rules::TFG104_TENSORFLOW_NETWORK,
            OpClass::Checkpoint if hit.in_saver => continue,
            OpClass::Checkpoint => &rules::TFG201_TENSORFLOW_CHECKPOINT_OP_OUTSIDE_SAVER,
            OpClass::CustomOp => &rules::TFG202_TENSORFLOW_CUSTOM_OP,
        };
        let mut finding = Finding::new(
            rule,
            location.at(Some(hit.offset), None),
            format!("`{}` at {}: {}", hit.op, hit.place, hit.reason),
        );
        if let Some(detail) = &hit.detail {
            finding = finding.with_evidence(detail.clone());
        }
        out.push(finding);
    }
    stopped(report.stopped.as_ref(), "TensorFlow graph", location, out);
}

pub(crate) fn scan_keras_metadata(
    scanner: &Scanner,
    stream: &mut Layer<'_>,
    location: &Location,
    out: &mut Vec<Finding>,
) {
    let report = tensorflow::read_keras_metadata(stream.reader(), &scanner.limits);
    for object in &report.keras_configs {
        let source = format!("keras_metadata.pb object {}", object.node_path);
        keras_scan::scan_config(
            scanner,
            object.metadata.as_bytes(),
            &source,
            location,
            true,
            out,
        );
    }
    stopped(report.stopped.as_ref(), "Keras metadata", location, out);
}

fn stopped(stop: Option<&FormatError>, what: &str, location: &Location, out: &mut Vec<Finding>) {
    let Some(stop) = stop else { return };
    let rule: &'static Rule = match stop {
        FormatError::LimitExceeded { .. } => &rules::TFG901_TENSORFLOW_LIMIT,
        FormatError::Io { .. } => &rules::SCN501_FILE_UNREADABLE,
        _ => &rules::TFG501_TENSORFLOW_MALFORMED,
    };
    out.push(Finding::new(
        rule,
        location.at(Some(stop.offset()), None),
        format!("{what} could not be read to the end: {stop}"),
    ));
}
