//! One expansion budget per file: bombs spread over members and levels stop once, with
//! one SCN901 for the file, while ordinary archives stay far below it.

use std::io::Write;

use airlock_scan::config::LimitsConfig;
use airlock_scan::{ScanConfig, Scanner};

fn scanner(ratio: u64) -> Scanner {
    Scanner::new(&ScanConfig {
        limits: LimitsConfig {
            max_compression_ratio: Some(ratio),
            ..LimitsConfig::default()
        },
        ..ScanConfig::default()
    })
    .unwrap()
}

/// A zip of `members` deflated members of `each` zero bytes (each under the 16 MiB after
/// which a single member's ratio is checked).
fn zip_of_zeros(members: usize, each: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let zeros = vec![0u8; each];
    for i in 0..members {
        zip.start_file(format!("part{i}.bin"), options).unwrap();
        zip.write_all(&zeros).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn members_that_each_pass_still_exhaust_the_file_budget() {
    let bomb = zip_of_zeros(4, 10 << 20);
    let findings = scanner(50).scan_bytes("bomb.zip", &bomb);
    let expansion: Vec<_> = findings
        .iter()
        .filter(|f| f.rule.code == "SCN901")
        .collect();
    assert_eq!(expansion.len(), 1, "{findings:#?}");
    assert!(expansion[0].location.members.is_empty(), "{expansion:?}");
    assert!(expansion[0].message.contains("expand"), "{expansion:?}");
    // Under the 16 MiB floor nothing is counted against the ratio.
    let small = zip_of_zeros(3, 5 << 20);
    assert!(scanner(50).scan_bytes("small.zip", &small).is_empty());
}

#[test]
fn nested_layers_share_one_budget() {
    let inner = zip_of_zeros(2, 10 << 20);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&inner).unwrap();
    let outer = gz.finish().unwrap();
    let findings = scanner(50).scan_bytes("nested.zip.gz", &outer);
    let codes: Vec<&str> = findings.iter().map(|f| f.rule.code).collect();
    assert_eq!(codes, ["SCN901"], "{findings:#?}");
}
