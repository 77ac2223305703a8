//! Every rule in the registry must be produced by something real: a fixture of
//! `fixtures/manifest.toml`, or one of the crafted cases below (limits set low, inputs
//! that cannot be committed as files). A rule nothing triggers would be a check that is
//! listed but not implemented.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use airlock_core::rules;
use airlock_scan::config::LimitsConfig;
use airlock_scan::{NoProgress, ScanConfig, Scanner};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path)
}

fn scanner_with(limits: LimitsConfig) -> Scanner {
    Scanner::new(&ScanConfig {
        limits,
        ..ScanConfig::default()
    })
    .unwrap()
}

fn codes(scanner: &Scanner, path: &Path) -> BTreeSet<&'static str> {
    scanner
        .scan_file(path, &NoProgress)
        .findings
        .iter()
        .map(|f| f.rule.code)
        .collect()
}

fn codes_of_bytes(scanner: &Scanner, bytes: &[u8]) -> BTreeSet<&'static str> {
    scanner
        .scan_bytes("crafted", bytes)
        .iter()
        .map(|f| f.rule.code)
        .collect()
}

/// Each crafted case: the rule it must produce, and the codes it produced.
fn crafted_cases() -> Vec<(&'static str, BTreeSet<&'static str>)> {
    let dict = fixture("pickle/benign/dict-protocol-4.pkl");
    let mut cases = vec![
        (
            "PKL901",
            codes(
                &scanner_with(LimitsConfig {
                    max_opcodes: Some(3),
                    ..Default::default()
                }),
                &dict,
            ),
        ),
        (
            "PKL902",
            codes(
                &scanner_with(LimitsConfig {
                    max_memo: Some(1),
                    ..Default::default()
                }),
                &dict,
            ),
        ),
        (
            "PKL903",
            codes(
                &scanner_with(LimitsConfig {
                    max_stack: Some(2),
                    ..Default::default()
                }),
                &dict,
            ),
        ),
        (
            "PKL905",
            codes(
                &scanner_with(LimitsConfig {
                    max_pickle_bytes: Some(8),
                    ..Default::default()
                }),
                &dict,
            ),
        ),
        (
            "ZIP901",
            codes(
                &scanner_with(LimitsConfig {
                    max_archive_entries: Some(2),
                    ..Default::default()
                }),
                &fixture("torch/benign/state-dict.pt"),
            ),
        ),
        (
            "SCN901",
            codes(
                &scanner_with(LimitsConfig {
                    max_decompressed_bytes: Some(64),
                    ..Default::default()
                }),
                &fixture("joblib/benign/B26-pipeline-gzip.joblib"),
            ),
        ),
        (
            "SCN902",
            codes(
                &scanner_with(LimitsConfig {
                    max_depth: Some(1),
                    ..Default::default()
                }),
                &fixture("zip/malicious/B28-zip-in-zip.zip"),
            ),
        ),
    ];
    // Open MARKs nested past the bound: PROTO 2, 20 × MARK, STOP.
    let mut marks = vec![0x80, 2];
    marks.extend([b'('; 20]);
    marks.push(b'.');
    cases.push((
        "PKL904",
        codes_of_bytes(
            &scanner_with(LimitsConfig {
                max_nesting: Some(4),
                ..Default::default()
            }),
            &marks,
        ),
    ));
    cases.push((
        "SVZ901",
        codes(
            &scanner_with(LimitsConfig {
                max_archive_entries: Some(1),
                ..Default::default()
            }),
            &fixture("7z/benign/torch-state-dict.7z"),
        ),
    ));
    // A 7z nested in a zip is read into memory: past the buffer bound it is not scanned.
    cases.push((
        "SCN901",
        codes(
            &scanner_with(LimitsConfig {
                max_buffered_bytes: Some(100),
                ..Default::default()
            }),
            &fixture("7z/malicious/B28-7z-in-zip.zip"),
        ),
    ));
    cases.push((
        "TAR901",
        codes(
            &scanner_with(LimitsConfig {
                max_archive_entries: Some(1),
                ..Default::default()
            }),
            &fixture("tar/benign/torch-state-dict.tar"),
        ),
    ));
    // A safetensors header carrying over 1 MiB of metadata.
    let header = format!(
        r#"{{"__metadata__":{{"notes":"{}"}},"w":{{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}}}"#,
        "x".repeat(1_100_000)
    );
    let mut large_metadata = (header.len() as u64).to_le_bytes().to_vec();
    large_metadata.extend_from_slice(header.as_bytes());
    large_metadata.extend_from_slice(&[1, 2, 3, 4]);
    cases.push((
        "STF201",
        codes_of_bytes(&scanner_with(LimitsConfig::default()), &large_metadata),
    ));
    // A GGUF metadata array nested deeper than the scan allows.
    let mut nested = b"GGUF".to_vec();
    nested.extend(3u32.to_le_bytes());
    nested.extend(0u64.to_le_bytes());
    nested.extend(1u64.to_le_bytes());
    nested.extend(1u64.to_le_bytes());
    nested.push(b'a');
    nested.extend(9u32.to_le_bytes()); // value type: array
    for _ in 0..10 {
        nested.extend(9u32.to_le_bytes()); // of arrays
        nested.extend(1u64.to_le_bytes());
    }
    nested.extend(4u32.to_le_bytes()); // of one u32
    nested.extend(1u64.to_le_bytes());
    nested.extend(7u32.to_le_bytes());
    cases.push((
        "GGF901",
        codes_of_bytes(
            &scanner_with(LimitsConfig {
                max_depth: Some(2),
                ..Default::default()
            }),
            &nested,
        ),
    ));
    // A SavedModel read with protobuf nesting capped below its depth.
    cases.push((
        "TFG901",
        codes(
            &scanner_with(LimitsConfig {
                max_proto_depth: Some(3),
                ..Default::default()
            }),
            &fixture("tensorflow/benign/mlp-savedmodel/saved_model.pb"),
        ),
    ));
    cases.push((
        "ONX901",
        codes(
            &scanner_with(LimitsConfig {
                max_proto_items: Some(3),
                ..Default::default()
            }),
            &fixture("onnx/benign/mlp.onnx"),
        ),
    ));
    // Hardlinks cannot be committed: an ONNX model whose external data file has a
    // second link elsewhere (GHSA-cmw6-hcpp-c6jp), built in a temporary directory.
    #[cfg(unix)]
    {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model.onnx");
        std::fs::copy(fixture("onnx/benign/external-data/model.onnx"), &model).unwrap();
        let outside = dir.path().join("outside-secret.bin");
        std::fs::write(&outside, vec![0u8; 4096]).unwrap();
        std::fs::hard_link(&outside, dir.path().join("weights.bin")).unwrap();
        cases.push((
            "ONX102",
            codes(&scanner_with(LimitsConfig::default()), &model),
        ));
    }
    // A Keras config over the size limit; an HDF5 member (model.weights.h5 inside a
    // .keras archive) larger than the buffer it may be read into.
    let keras_archive = fixture("keras/benign/sequential.keras");
    cases.push((
        "KER901",
        codes(
            &scanner_with(LimitsConfig {
                max_keras_config_bytes: Some(64),
                ..Default::default()
            }),
            &keras_archive,
        ),
    ));
    cases.push((
        "HDF901",
        codes(
            &scanner_with(LimitsConfig {
                max_buffered_bytes: Some(64),
                ..Default::default()
            }),
            &keras_archive,
        ),
    ));
    // A directory handed to scan_file opens but cannot be read.
    let dir = tempfile::tempdir().unwrap();
    cases.push((
        "SCN501",
        codes(&scanner_with(LimitsConfig::default()), dir.path()),
    ));
    // A gzip layer cut short.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(&dict).unwrap()).unwrap();
    let gz = gz.finish().unwrap();
    cases.push((
        "SCN502",
        codes_of_bytes(&scanner_with(LimitsConfig::default()), &gz[..gz.len() - 12]),
    ));
    cases
}

#[test]
fn crafted_cases_produce_their_rule() {
    for (code, got) in crafted_cases() {
        assert!(got.contains(code), "{code} not produced; got {got:?}");
    }
}

#[test]
fn every_registered_rule_is_produced_by_something() {
    #[derive(serde::Deserialize)]
    struct Manifest {
        fixture: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        path: String,
    }
    let manifest: Manifest =
        toml::from_str(&std::fs::read_to_string(fixture("manifest.toml")).unwrap()).unwrap();
    let scanner = scanner_with(LimitsConfig::default());
    let mut produced: BTreeSet<&str> = BTreeSet::new();
    for entry in manifest.fixture {
        produced.extend(codes(&scanner, &fixture(&entry.path)));
    }
    for (_, got) in crafted_cases() {
        produced.extend(got);
    }
    let missing: Vec<&str> = rules::ALL
        .iter()
        .map(|rule| rule.code)
        .filter(|code| !produced.contains(code))
        .collect();
    assert!(
        missing.is_empty(),
        "rules no fixture or crafted case produces: {missing:?}"
    );
}
