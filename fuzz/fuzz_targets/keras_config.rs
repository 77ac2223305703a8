//! Fuzzes the Keras config analysis and the marshal decoder: no panic, bounded hits, and
//! the raw bytes as marshal data too, so the decoder is fuzzed directly.

#![no_main]

use airlock_formats::{Limits, keras, marshal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let report = keras::analyze_config(data, &limits);
    assert!(report.hits.len() <= keras::MAX_HITS);
    let _ = keras::keras_version(data, &limits);
    if let Ok(summary) = marshal::summarize(data) {
        assert!(summary.names.len() <= marshal::MAX_KEPT);
        assert!(summary.strings.len() <= marshal::MAX_KEPT);
        assert!(summary.code_objects >= 1);
    }
});
