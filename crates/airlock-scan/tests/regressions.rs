//! Inputs that once broke a property, kept so they never break it again.

use airlock_scan::{ScanConfig, Scanner};

/// Found by the `scan` fuzz target: a central directory record claiming a local header
/// past the end of the file. The finding must point at a byte that exists.
#[test]
fn finding_offsets_stay_inside_the_file() {
    let bytes = include_bytes!("data/zip-member-claimed-past-eof.zip");
    let scanner = Scanner::new(&ScanConfig::default()).unwrap();
    let findings = scanner.scan_bytes("crafted.zip", bytes);
    assert!(!findings.is_empty());
    for finding in findings {
        if finding.location.members.is_empty()
            && let Some(offset) = finding.location.offset
        {
            assert!(offset <= bytes.len() as u64, "{finding:?}");
        }
    }
}
