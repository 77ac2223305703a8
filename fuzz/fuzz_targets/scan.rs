//! Fuzzes the whole scan pipeline over in-memory bytes: content detection, every
//! container and compression layer, NumPy headers and the pickle VM together. Any input
//! must be scanned without panicking, and every finding must point inside its file.

#![no_main]

use std::sync::OnceLock;

use airlock_scan::{ScanConfig, Scanner};
use libfuzzer_sys::fuzz_target;

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new(&ScanConfig::default()).expect("default config"))
}

fuzz_target!(|data: &[u8]| {
    for finding in scanner().scan_bytes("fuzz", data) {
        if finding.location.members.is_empty()
            && let Some(offset) = finding.location.offset
        {
            assert!(offset <= data.len() as u64, "{finding:?}");
        }
    }
});
