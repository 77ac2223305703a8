//! GGUF files: header framing checked against the file, chat templates parsed (never
//! rendered) for sandbox escapes; tensor data is only hashed.

use std::io;

use airlock_core::{Finding, Location, rules};
use airlock_formats::FormatError;
use airlock_formats::gguf::template::Via;
use airlock_formats::gguf::{self, Anomaly};

use crate::scanner::{Layer, Scanner, read_error};

pub(crate) fn scan_gguf(
    scanner: &Scanner,
    stream: &mut Layer<'_>,
    location: &Location,
    out: &mut Vec<Finding>,
) {
    let len = stream.len;
    let mut reader = stream.reader();
    let report = gguf::read_header(&mut reader, len, &scanner.limits);
    if let Err(error) = io::copy(&mut reader, &mut io::sink()) {
        out.push(read_error(location, &error));
    }
    for template in &report.chat_templates {
        let digest = hex::encode(template.sha256);
        for hit in &template.check.hits {
            let how = match hit.via {
                Via::Ast => "",
                Via::Text => " (found in the raw text, which may be literal output)",
            };
            out.push(
                Finding::new(
                    &rules::GGF101_GGUF_CHAT_TEMPLATE_INJECTION,
                    location.clone(),
                    format!("`{}` reaches `{}`{how}", template.key, hit.name),
                )
                .with_evidence(format!("template offset {}, sha256 {digest}", hit.offset)),
            );
        }
        if let Some(reason) = &template.check.unparsed {
            out.push(
                Finding::new(
                    &rules::GGF201_GGUF_CHAT_TEMPLATE_UNPARSED,
                    location.clone(),
                    format!(
                        "`{}` could not be parsed as a Jinja template: {reason}",
                        template.key
                    ),
                )
                .with_evidence(format!("sha256 {digest}")),
            );
        }
    }
    for anomaly in &report.anomalies {
        let rule = match anomaly {
            Anomaly::OversizedString { .. } => &rules::GGF901_GGUF_HEADER_LIMIT,
            _ => &rules::GGF501_GGUF_MALFORMED,
        };
        out.push(Finding::new(rule, location.clone(), anomaly.to_string()));
    }
    if let Some(stop) = &report.stopped {
        let rule = match stop {
            FormatError::LimitExceeded { .. } => &rules::GGF901_GGUF_HEADER_LIMIT,
            FormatError::Io { .. } => &rules::SCN501_FILE_UNREADABLE,
            _ => &rules::GGF501_GGUF_MALFORMED,
        };
        out.push(Finding::new(
            rule,
            location.at(Some(stop.offset()), None),
            format!("GGUF header could not be read to the end: {stop}"),
        ));
    }
}
