//! The JSON report, documented field by field in `docs/json-format.md`.

use std::io::{self, Write};

use airlock_core::{Finding, Location, Severity};
use airlock_scan::{FileReport, ScanReport};
use serde::Serialize;

use super::RenderContext;

/// Bumped when a field changes meaning or disappears; additions keep the version.
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    allowlist_version: &'a str,
    denylist_version: &'a str,
    summary: Summary,
    files: Vec<File<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    bytes: u64,
    elapsed_seconds: f64,
    findings: Counts,
    max_severity: Option<Severity>,
    fail_on: Severity,
    failed: bool,
}

#[derive(Serialize)]
struct Counts {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

#[derive(Serialize)]
struct File<'a> {
    #[serde(flatten)]
    file: FileMeta<'a>,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct FileMeta<'a> {
    path: &'a airlock_core::ByteName,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<&'a str>,
    format: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    name: &'static str,
    title: &'static str,
    severity: Severity,
    location: &'a Location,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a str>,
    url: String,
}

pub fn write(out: &mut dyn Write, report: &ScanReport, context: &RenderContext) -> io::Result<()> {
    let [critical, high, medium, low, info] = report.counts();
    let document = Document {
        version: FORMAT_VERSION,
        tool: Tool {
            name: "airlock",
            version: env!("CARGO_PKG_VERSION"),
        },
        allowlist_version: &report.allowlist_version,
        denylist_version: &report.denylist_version,
        summary: Summary {
            files: report.files.len(),
            bytes: report.bytes(),
            elapsed_seconds: context.elapsed.as_secs_f64(),
            findings: Counts {
                critical,
                high,
                medium,
                low,
                info,
            },
            max_severity: report.max_severity(),
            fail_on: context.fail_on,
            failed: context.failed(report),
        },
        files: report.files.iter().map(file).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

fn file(file: &FileReport) -> File<'_> {
    File {
        file: FileMeta {
            path: &file.path,
            size: file.size,
            sha256: file.sha256.as_deref(),
            format: file.format,
        },
        findings: file.findings.iter().map(finding).collect(),
    }
}

fn finding(finding: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        rule: finding.rule.code,
        name: finding.rule.name,
        title: finding.rule.title,
        severity: finding.severity,
        location: &finding.location,
        message: &finding.message,
        evidence: finding.evidence.as_deref(),
        url: finding.rule.doc_url(),
    }
}
