//! Fuzzes the GGUF header parser and the chat-template check: no panic, no stack
//! overflow, offsets inside the input, sized and streamed reads agree on a full header.

#![no_main]

use airlock_formats::Limits;
use airlock_formats::gguf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let len = data.len() as u64;
    let mut reader = data;
    let sized = gguf::read_header(&mut reader, Some(len), &limits);
    if let Some(start) = sized.data_start {
        assert!(start <= len);
        assert_eq!(start, len - reader.len() as u64);
    }
    for anomaly in &sized.anomalies {
        let _ = anomaly.to_string();
    }
    assert!(sized.anomalies.len() <= gguf::MAX_ANOMALIES);
    if let Some(stop) = &sized.stopped {
        assert!(stop.offset() <= len, "{stop:?}");
    }
    let mut reader = data;
    let streamed = gguf::read_header(&mut reader, None, &limits);
    if sized.stopped.is_none() && streamed.stopped.is_none() && sized.data_start.is_some() {
        assert_eq!(sized.tensors, streamed.tensors);
        assert_eq!(sized.kvs.len(), streamed.kvs.len());
    }
    // The raw bytes as a template too, so the minijinja path is fuzzed directly.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = gguf::template::check(text);
    }
});
