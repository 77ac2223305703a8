//! What a scan returns: per-file digests and findings, in a stable order.

use airlock_core::{ByteName, Finding, Severity};
use serde::Serialize;

/// Everything one `airlock scan` run learned.
#[derive(Debug, Serialize)]
pub struct ScanReport {
    /// One entry per regular file scanned, sorted by path.
    pub files: Vec<FileReport>,
    /// Version of the built-in pickle allowlist that decided "clean".
    pub allowlist_version: String,
    /// Version of the built-in pickle denylist that graded dangerous imports.
    pub denylist_version: String,
}

/// One scanned file.
#[derive(Debug, Serialize)]
pub struct FileReport {
    /// The file as given or found in a directory walk.
    pub path: ByteName,
    /// Bytes read.
    pub size: u64,
    /// SHA-256 of the bytes read, lower-case hex; absent when the file could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Format detected from the content (`zip`, `pickle`, `npy`, `gzip`, …, or `unknown`).
    pub format: &'static str,
    /// Findings in this file, sorted by location and rule.
    pub findings: Vec<Finding>,
}

impl ScanReport {
    /// All findings of all files, in report order.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|file| file.findings.iter())
    }

    /// The most severe finding, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings().map(|finding| finding.severity).max()
    }

    /// Number of findings per severity, most severe first (matching [`Severity::ALL`]).
    pub fn counts(&self) -> [usize; 5] {
        let mut counts = [0; 5];
        for finding in self.findings() {
            if let Some(slot) = Severity::ALL
                .iter()
                .position(|sev| *sev == finding.severity)
                .and_then(|index| counts.get_mut(index))
            {
                *slot += 1;
            }
        }
        counts
    }

    /// Total bytes read.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|file| file.size).sum()
    }
}
