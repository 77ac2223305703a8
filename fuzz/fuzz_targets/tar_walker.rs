//! Fuzzes the tar walker: any input must be walked without panicking, every member's
//! content read to its end, and every offset reported inside the input.

#![no_main]


use airlock_formats::Limits;
use airlock_formats::tar;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let report = tar::walk(data, &limits, &mut |member, content| {
        assert!(member.data_offset <= data.len() as u64);
        let mut sink = Vec::new();
        let _ = content.read_to_end(&mut sink);
        Ok(())
    });
    assert!(report.bytes <= data.len() as u64);
    for anomaly in &report.anomalies {
        assert!(anomaly.offset() <= data.len() as u64, "{anomaly:?}");
    }
    if let Some(stop) = &report.stopped {
        assert!(stop.offset() <= data.len() as u64 + 512, "{stop:?}");
    }
});
