//! Fuzzes the 7z reader (sevenz-rust2 behind airlock's caps): no panic, no unbounded
//! allocation, every member's stream readable to its end or to an error.

#![no_main]

use std::io::Cursor;

use airlock_formats::sevenz;
use airlock_formats::{Limits, LimitKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_decompressed_bytes: 64 << 20,
        ..Limits::default()
    };
    let report = sevenz::walk(Cursor::new(data), &limits, &mut |_entry, member| {
        let mut sink = [0u8; 1 << 16];
        while member.read(&mut sink)? > 0 {}
        Ok(())
    });
    if let Some(airlock_formats::FormatError::LimitExceeded { limit, .. }) = &report.stopped {
        assert!(matches!(limit, LimitKind::ArchiveEntries | LimitKind::Decompression));
    }
    for link in &report.links {
        assert!(link.target.len() <= 4096);
    }
});
