//! SARIF 2.1.0 for code-scanning tools (GitHub code scanning, Azure DevOps, VS Code).
//!
//! Every rule of the registry is listed in `tool.driver.rules` so result `ruleIndex`
//! values are stable between runs. Severities map to SARIF levels (critical and high →
//! `error`, medium → `warning`, low and info → `note`) and to the numeric
//! `security-severity` property GitHub uses to rank alerts. A finding inside an archive
//! points at the archive file; the member chain is in a logical location and in the
//! result's properties.

use std::io::{self, Write};

use airlock_core::{Finding, Rule, Severity, rules};
use airlock_scan::ScanReport;
use serde_json::{Value, json};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/airlock-dev/airlock";

pub fn write(out: &mut dyn Write, report: &ScanReport) -> io::Result<()> {
    let artifacts: Vec<Value> = report
        .files
        .iter()
        .map(|file| {
            let mut artifact = json!({
                "location": { "uri": uri(&file.path.to_string()) },
                "length": file.size,
            });
            if let Some(sha256) = &file.sha256 {
                artifact["hashes"] = json!({ "sha-256": sha256 });
            }
            artifact
        })
        .collect();
    let results: Vec<Value> = report
        .files
        .iter()
        .enumerate()
        .flat_map(|(index, file)| {
            file.findings
                .iter()
                .map(move |finding| result(finding, index))
        })
        .collect();
    let document = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "airlock",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": rules::ALL.iter().map(|rule| descriptor(rule)).collect::<Vec<_>>(),
                }
            },
            "artifacts": artifacts,
            "results": results,
            "columnKind": "unicodeCodePoints",
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

fn descriptor(rule: &Rule) -> Value {
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": rule.finds },
        "help": {
            "text": format!("{}\n\n{}", rule.why, rule.fix),
            "markdown": rules::docs::markdown(rule),
        },
        "helpUri": rule.doc_url(),
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": {
            "tags": ["security", "supply-chain"],
            "security-severity": security_severity(rule.severity),
            "precision": "high",
        },
    })
}

fn result(finding: &Finding, artifact_index: usize) -> Value {
    let location = &finding.location;
    let mut physical = json!({
        "artifactLocation": { "uri": uri(&location.path.to_string()), "index": artifact_index },
    });
    // A byte offset addresses the file itself only when the finding is not inside a member.
    if location.members.is_empty()
        && let Some(offset) = location.offset
    {
        physical["region"] = json!({ "byteOffset": offset });
    }
    let mut sarif_location = json!({ "physicalLocation": physical });
    if !location.members.is_empty() {
        let members: Vec<String> = location.members.iter().map(|m| m.to_string()).collect();
        sarif_location["logicalLocations"] = json!([{
            "fullyQualifiedName": format!("{}!{}", location.path, members.join("!")),
            "kind": "member",
        }]);
    }
    let mut message = finding.message.clone();
    if let Some(evidence) = &finding.evidence {
        message.push_str(&format!(" ({evidence})"));
    }
    let rule_index = rules::ALL
        .iter()
        .position(|rule| rule.code == finding.rule.code);
    let mut properties = json!({ "severity": finding.severity.as_str() });
    if !location.members.is_empty() {
        properties["members"] = json!(location.members);
    }
    if let Some(offset) = location.offset {
        properties["offset"] = json!(offset);
    }
    if let Some(index) = location.opcode_index {
        properties["opcodeIndex"] = json!(index);
    }
    json!({
        "ruleId": finding.rule.code,
        "ruleIndex": rule_index,
        "level": level(finding.severity),
        "message": { "text": message },
        "locations": [sarif_location],
        "properties": properties,
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's scale: 9.0+ critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// A relative URI reference for a path: `/` kept, everything outside RFC 3986's
/// unreserved set percent-encoded.
fn uri(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("models/my model.pkl"), "models/my%20model.pkl");
        assert_eq!(uri("a/b\\xff"), "a/b%5Cxff");
    }
}
