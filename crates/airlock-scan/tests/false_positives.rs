//! Benign data that merely starts like something else must stay clean. Tensor storages
//! in a checkpoint are arbitrary bytes: some start with a PROTO opcode (`\x80\x02`) or a
//! zlib header (`\x78\x9c`) by chance, and a scanner that trusts a two-byte magic there
//! raises false alarms on real models.

use std::io::{Cursor, Write};

use airlock_scan::{ScanConfig, Scanner};
use zip::write::SimpleFileOptions;

/// Deterministic pseudo-random bytes standing in for float data.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn checkpoint(storages: &[Vec<u8>]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    // A real state-dict pickle: OrderedDict() as protocol 2.
    writer.start_file("archive/data.pkl", stored).unwrap();
    writer
        .write_all(b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01.")
        .unwrap();
    for (i, data) in storages.iter().enumerate() {
        writer
            .start_file(format!("archive/data/{i}"), stored)
            .unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn tensor_data_that_starts_like_a_pickle_or_zlib_is_clean() {
    let mut storages = Vec::new();
    for (i, magic) in [
        &b"\x80\x02"[..],
        b"\x80\x04\x95",
        b"\x80\x05K",
        b"\x78\x9c",
        b"\x78\x01",
        b"\x5d\x00\x00\x80\x00",
    ]
    .iter()
    .enumerate()
    {
        for seed in 0..40u64 {
            let mut data = magic.to_vec();
            data.extend(noise(seed * 7 + i as u64, 4096));
            storages.push(data);
        }
    }
    let scanner = Scanner::new(&ScanConfig::default()).unwrap();
    let findings = scanner.scan_bytes("model.pt", &checkpoint(&storages));
    let listed: Vec<String> = findings
        .iter()
        .map(|f| format!("{} {} {}", f.rule.code, f.location, f.message))
        .collect();
    assert!(
        listed.is_empty(),
        "false alarms on tensor data:\n{}",
        listed.join("\n")
    );
}

#[test]
fn a_real_pickle_payload_in_a_member_is_still_found() {
    // Same layout, but one storage is a protocol-2 payload followed by garbage (B8).
    let mut payload = b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00echo\x85R".to_vec();
    payload.extend(noise(3, 512));
    let scanner = Scanner::new(&ScanConfig::default()).unwrap();
    let findings = scanner.scan_bytes("model.pt", &checkpoint(&[noise(1, 1024), payload]));
    let codes: Vec<&str> = findings.iter().map(|f| f.rule.code).collect();
    assert!(codes.contains(&"PKL101"), "{codes:?}");
    assert!(codes.contains(&"PKL501"), "{codes:?}");
}
