//! The HDF5 reader against files written by h5py/Keras (the fixtures) and crafted ones.

use std::io::Cursor;
use std::path::Path;

use airlock_formats::hdf5::{self, AttrValue, H5Report};
use airlock_formats::{FormatError, Limits};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(path),
    )
    .unwrap()
}

fn read(data: &[u8]) -> H5Report {
    hdf5::read_root_attributes(
        &mut Cursor::new(data),
        data.len() as u64,
        false,
        &Limits::default(),
    )
}

#[test]
fn legacy_keras_file_gives_its_config() {
    let report = read(&fixture("keras/benign/legacy-sequential.h5"));
    assert!(report.stopped.is_none(), "{:?}", report.stopped);
    assert!(report.anomalies.is_empty(), "{:?}", report.anomalies);
    assert_eq!(report.superblock_version, Some(0));
    let config = report.string_attribute("model_config").unwrap();
    assert!(config.starts_with(b"{\"class_name\": \"Sequential\""));
    assert_eq!(report.string_attribute("backend"), Some(&b"torch"[..]));
}

#[test]
fn weights_file_has_no_config() {
    let report = read(&fixture("keras/benign/weights-only.weights.h5"));
    assert!(report.stopped.is_none() && report.anomalies.is_empty());
    assert!(report.string_attribute("model_config").is_none());
}

#[test]
fn dense_attributes_are_read_from_the_fractal_heap() {
    let report = read(&fixture("keras/benign/h5py-dense-attributes.h5"));
    assert_eq!(report.superblock_version, Some(3));
    assert!(!report.dense_attributes);
    assert!(report.stopped.is_none() && report.anomalies.is_empty());
    assert_eq!(report.attributes.len(), 12);
    let report = read(&fixture(
        "keras/malicious/B30-outside-module-dense-attributes.h5",
    ));
    assert!(!report.dense_attributes);
    assert!(report.string_attribute("model_config").is_some());
}

#[test]
fn huge_dense_attributes_are_flagged() {
    let report = read(&fixture("keras/benign/h5py-dense-huge-attribute.h5"));
    assert!(report.dense_attributes);
    assert!(report.stopped.is_none() && report.anomalies.is_empty());
    assert_eq!(report.attributes.len(), 12);
}

#[test]
fn checksum_mismatch_is_an_anomaly() {
    let report = read(&fixture("keras/malformed/checksum-mismatch.h5"));
    assert!(report.stopped.is_none());
    assert!(report.anomalies.iter().any(|a| a.what.contains("checksum")));
    // The attribute is still read, under its changed name.
    assert!(
        report
            .attributes
            .iter()
            .any(|a| a.name == "Model_config" && matches!(a.value, Ok(AttrValue::Strings(_))))
    );
}

/// Superblock 0 whose root object header (v1) continues into its own first block.
fn self_continuation() -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(b"\x89HDF\r\n\x1a\n");
    f.extend([0, 0, 0, 0, 0, 8, 8, 0]);
    f.extend(4u16.to_le_bytes());
    f.extend(16u16.to_le_bytes());
    f.extend(0u32.to_le_bytes());
    f.extend(0u64.to_le_bytes()); // base
    f.extend(u64::MAX.to_le_bytes()); // free space
    f.extend(136u64.to_le_bytes()); // end of file
    f.extend(u64::MAX.to_le_bytes()); // driver
    f.extend(0u64.to_le_bytes()); // link name
    f.extend(96u64.to_le_bytes()); // root object header
    f.extend([0u8; 24]);
    assert_eq!(f.len(), 96);
    f.extend([1, 0]);
    f.extend(2u16.to_le_bytes());
    f.extend(1u32.to_le_bytes());
    f.extend(24u32.to_le_bytes());
    f.extend([0u8; 4]);
    f.extend(0x10u16.to_le_bytes());
    f.extend(16u16.to_le_bytes());
    f.extend([0u8; 4]);
    f.extend(112u64.to_le_bytes());
    f.extend(24u64.to_le_bytes());
    f
}

#[test]
fn continuation_cycles_stop() {
    let report = read(&self_continuation());
    match report.stopped {
        Some(FormatError::Invalid { reason, .. }) => assert!(reason.contains("cycle"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_prefix_and_byte_flip_is_handled() {
    let data = fixture("keras/malicious/B29-lambda.h5");
    for len in (0..data.len()).step_by(7) {
        let _ = read(&data[..len]);
    }
    let mut copy = data.clone();
    for at in (0..data.len().min(4096)).step_by(3) {
        copy[at] ^= 0xff;
        let report = read(&copy);
        if let Some(stop) = &report.stopped {
            assert!(stop.offset() <= data.len() as u64);
        }
        copy[at] ^= 0xff;
    }
}

#[test]
fn partial_buffers_stop_with_a_limit() {
    let data = fixture("keras/benign/legacy-sequential.h5");
    let prefix = &data[..200];
    let report =
        hdf5::read_root_attributes(&mut Cursor::new(prefix), 200, true, &Limits::default());
    assert!(
        matches!(report.stopped, Some(FormatError::LimitExceeded { .. })),
        "{:?}",
        report.stopped
    );
}

/// Found by the `hdf5` fuzz target: a continuation address whose end overflows u64, and
/// a fractal heap whose root indirect block (past the end) claims too many entries, were
/// reported at those addresses, past the end of the input.
#[test]
fn stops_are_reported_inside_the_input() {
    for name in [
        "overflowing-block-address.h5",
        "heap-entries-past-the-end.h5",
    ] {
        let data = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/hdf5")
                .join(name),
        )
        .unwrap();
        let report = read(&data);
        let stop = report.stopped.expect("stops");
        assert!(stop.offset() <= data.len() as u64, "{name}: {stop:?}");
    }
}
