//! safetensors files: the header is checked the way the loaders validate it; tensor data
//! is only hashed.

use std::io;

use airlock_core::{Finding, Location, Rule, rules};
use airlock_formats::FormatError;
use airlock_formats::safetensors::{self, Anomaly};

use crate::scanner::{Layer, Scanner, read_error};

pub(crate) fn scan_safetensors(
    scanner: &Scanner,
    stream: &mut Layer<'_>,
    location: &Location,
    out: &mut Vec<Finding>,
) {
    let mut reader = stream.reader();
    let mut report = safetensors::read_header(&mut reader, None, &scanner.limits);
    // The data section's length is counted while it is read for the digest, so archive
    // members (whose declared sizes may lie) are checked the same way as files.
    match io::copy(&mut reader, &mut io::sink()) {
        Ok(data_len) if report.stopped.is_none() => report.check_layout(data_len),
        Ok(_) => {}
        Err(error) => out.push(read_error(location, &error)),
    }
    for anomaly in &report.anomalies {
        out.push(Finding::new(
            rule(anomaly),
            location.at(Some(anomaly.offset()), None),
            anomaly.to_string(),
        ));
    }
    if report.anomalies_dropped > 0
        && let Some(last) = out.last_mut()
    {
        last.evidence = Some(format!(
            "{} further anomalies of this header were not listed",
            report.anomalies_dropped
        ));
    }
    if let Some(stop) = &report.stopped {
        let rule = match stop {
            FormatError::Io { .. } => &rules::SCN501_FILE_UNREADABLE,
            _ => &rules::STF501_SAFETENSORS_HEADER_INVALID,
        };
        out.push(Finding::new(
            rule,
            location.at(Some(stop.offset()), None),
            format!("safetensors header could not be read: {stop}"),
        ));
    }
}

fn rule(anomaly: &Anomaly) -> &'static Rule {
    match anomaly {
        Anomaly::HeaderTooLarge { .. } => &rules::STF901_SAFETENSORS_HEADER_LIMIT,
        Anomaly::BeginAfterEnd { .. }
        | Anomaly::SizeMismatch { .. }
        | Anomaly::Overlap { .. }
        | Anomaly::OutOfRange { .. } => &rules::STF502_SAFETENSORS_OFFSETS_INCONSISTENT,
        Anomaly::UnaccountedBytes { .. } => &rules::STF503_SAFETENSORS_UNACCOUNTED_BYTES,
        Anomaly::DuplicateKey { .. } => &rules::STF504_SAFETENSORS_DUPLICATE_KEY,
        Anomaly::LeadingWhitespace
        | Anomaly::NonstandardPadding { .. }
        | Anomaly::UnknownField { .. } => &rules::STF505_SAFETENSORS_HEADER_NONSTANDARD,
        Anomaly::LargeMetadata { .. } => &rules::STF201_SAFETENSORS_METADATA_LARGE,
        _ => &rules::STF501_SAFETENSORS_HEADER_INVALID,
    }
}
