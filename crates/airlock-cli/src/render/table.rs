//! Human-readable report: one block per finding, then a summary line.

use std::io::{self, Write};

use airlock_core::Severity;
use airlock_scan::ScanReport;

use super::RenderContext;

pub fn write(out: &mut dyn Write, report: &ScanReport, context: &RenderContext) -> io::Result<()> {
    for finding in report.findings() {
        writeln!(
            out,
            "{:<8} {} {}",
            finding.severity.as_str().to_uppercase(),
            finding.rule.code,
            finding.location
        )?;
        writeln!(out, "  {}", finding.message)?;
        if let Some(evidence) = &finding.evidence {
            writeln!(out, "  evidence: {evidence}")?;
        }
        writeln!(
            out,
            "  rule: {} ({})",
            finding.rule.name,
            finding.rule.doc_url()
        )?;
        writeln!(out)?;
    }
    let counts = report.counts();
    let mut parts: Vec<String> = Severity::ALL
        .iter()
        .zip(counts)
        .filter(|(_, count)| *count > 0)
        .map(|(sev, count)| format!("{count} {sev}"))
        .collect();
    if parts.is_empty() {
        parts.push("no findings".to_owned());
    }
    let verdict = if context.failed(report) {
        format!("FAILED: findings at or above {}", context.fail_on)
    } else {
        format!("passed: nothing at or above {}", context.fail_on)
    };
    writeln!(
        out,
        "scanned {} files ({}) in {:.2}s: {}. {verdict}",
        report.files.len(),
        human_bytes(report.bytes()),
        context.elapsed.as_secs_f64(),
        parts.join(", ")
    )
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
