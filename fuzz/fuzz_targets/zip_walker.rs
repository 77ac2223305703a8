//! Fuzzes the zip walker: any input, no panic, every reported offset inside the input.

#![no_main]

use std::io::Cursor;

use airlock_formats::Limits;
use airlock_formats::zip::{self, Anomaly};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_archive_entries: 1_000,
        max_decompressed_bytes: 1 << 24,
        ..Limits::default()
    };
    let len = data.len() as u64;
    let mut scratch = vec![0u8; 8192];
    let report = zip::walk(data, &limits, &mut |member, reader| {
        assert!(member.local_header_offset <= len);
        assert!(member.data_offset <= len);
        // Read each member fully, in odd-sized pieces.
        loop {
            match reader.read(&mut scratch[..1021]) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
    });
    assert!(report.bytes <= len);
    for member in &report.members {
        assert!(member.member.local_header_offset <= len);
        assert!(member.member.data_offset <= len);
        assert!(member.member.data_offset + member.compressed_read <= len);
    }
    for anomaly in &report.anomalies {
        assert!(anomaly.offset() <= len, "{anomaly:?}");
        if let Anomaly::UnaccountedBytes { offset, len: n } = anomaly {
            assert!(offset + n <= len);
        }
        let _ = anomaly.to_string();
    }
    if let Some(stop) = &report.stopped {
        assert!(stop.offset() <= len, "{stop:?}");
    }
    // The seekable recovery and re-read paths must be as robust as the walk.
    let mut again = report.unvisited.clone();
    if let Ok(recovery) = zip::recover(Cursor::new(data), &report, &limits) {
        for anomaly in &recovery.anomalies {
            assert!(anomaly.offset() <= len, "{anomaly:?}");
        }
        again.extend(recovery.unvisited);
    }
    for member in again.iter().take(16) {
        let _ = zip::read_member(Cursor::new(data), member, &limits, &mut |_, reader| {
            std::io::copy(reader, &mut std::io::sink()).map(|_| ())
        });
    }
});
