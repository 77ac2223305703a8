//! Report writers, one per output format. Stdout carries only the report.

pub mod json;
pub mod sarif;
pub mod table;

use std::time::Duration;

use airlock_core::Severity;
use airlock_scan::ScanReport;

/// Run facts the writers need besides the report.
pub struct RenderContext {
    /// Threshold for a failing exit status.
    pub fail_on: Severity,
    /// Wall time of the scan.
    pub elapsed: Duration,
}

impl RenderContext {
    /// Whether the report fails the threshold.
    pub fn failed(&self, report: &ScanReport) -> bool {
        report.max_severity().is_some_and(|max| max >= self.fail_on)
    }
}
