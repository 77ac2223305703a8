//! Fuzzes the safetensors header parser: no panic, offsets inside the input, and the
//! streaming path (size unknown, then `check_layout`) agrees with the sized one.

#![no_main]

use airlock_formats::Limits;
use airlock_formats::safetensors::{self, Anomaly};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let len = data.len() as u64;
    let mut reader = data;
    let sized = safetensors::read_header(&mut reader, Some(len), &limits);
    if let Some(start) = sized.data_start {
        assert!(start <= len);
        assert_eq!(start, len - reader.len() as u64);
        assert_eq!(sized.data_len, Some(len - start));
    }
    for anomaly in &sized.anomalies {
        let _ = anomaly.to_string();
        assert!(anomaly.offset() <= len.max(8), "{anomaly:?}");
        if let Anomaly::UnaccountedBytes { offset, len: n } = anomaly {
            assert!(offset + n <= len, "{anomaly:?}");
        }
    }
    assert!(sized.anomalies.len() <= safetensors::MAX_ANOMALIES);
    if let Some(stop) = &sized.stopped {
        assert!(stop.offset() <= len, "{stop:?}");
    }

    let mut reader = data;
    let mut streamed = safetensors::read_header(&mut reader, None, &limits);
    streamed.check_layout(reader.len() as u64);
    if sized.stopped.is_none() && streamed.stopped.is_none() {
        assert_eq!(sized.anomalies, streamed.anomalies);
        assert_eq!(sized.tensors, streamed.tensors);
    }
});
