//! Fuzzes the HDF5 root-attribute reader: no panic, no unbounded allocation, stop offsets
//! inside the input, and every string attribute analysed as a Keras config.

#![no_main]

use std::io::Cursor;

use airlock_formats::{Limits, hdf5, keras};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let len = data.len() as u64;
    for partial in [false, true] {
        let report = hdf5::read_root_attributes(&mut Cursor::new(data), len, partial, &limits);
        if let Some(stop) = &report.stopped {
            assert!(stop.offset() <= len, "{stop:?}");
            let _ = stop.to_string();
        }
        assert!(report.anomalies.len() <= hdf5::MAX_ANOMALIES);
        for attribute in &report.attributes {
            if let Ok(hdf5::AttrValue::Strings(values)) = &attribute.value {
                for value in values {
                    let _ = keras::analyze_config(value, &limits);
                }
            }
        }
    }
});
