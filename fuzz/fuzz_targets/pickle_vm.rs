//! Fuzzes the pickle decoder and symbolic VM: any input must be analysed without
//! panicking, within bounds, with a self-consistent result.

#![no_main]

use airlock_formats::Limits;
use airlock_formats::pickle::{StreamAnalysis, analyze, looks_like_pickle};
use libfuzzer_sys::fuzz_target;

fn check(a: &StreamAnalysis, len: Option<u64>) {
    if let Some(len) = len {
        assert!(a.bytes <= len, "bytes {} > input {len}", a.bytes);
        if let Some(e) = &a.stopped {
            assert!(e.offset() <= len, "{e:?}");
        }
    }
    for p in &a.pickles {
        assert!(p.start <= p.end && p.end <= a.bytes, "{p:?}");
    }
    // Every decoded opcode belongs to exactly one pickle.
    assert_eq!(a.pickles.iter().map(|p| p.opcodes).sum::<u64>(), a.opcodes);
    if a.stopped.is_none() {
        assert!(a.pickles.last().is_some_and(|p| p.complete));
    }
    for i in a.imports.iter().chain(std::iter::empty()) {
        assert!(i.count >= 1 && i.at.offset < a.bytes.max(1));
    }
    for c in &a.calls {
        assert!(c.count >= 1 && c.args.chars().count() <= 201);
    }
    for e in &a.embedded {
        // Embedded offsets count within the decoded constant, whose length is unknown here.
        check(&e.analysis, None);
    }
}

fuzz_target!(|data: &[u8]| {
    let a = analyze(data, &Limits::default());
    check(&a, Some(data.len() as u64));
    let _ = looks_like_pickle(&data[..data.len().min(4096)]);
});
