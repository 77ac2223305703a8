//! Table-driven verdicts over `fixtures/manifest.toml`: every fixture must produce exactly
//! the rule codes the manifest expects (so a false alarm on a benign file fails as surely
//! as a missed payload), and no fixture, truncated or bit-flipped, may panic the scanner.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use airlock_scan::{NoProgress, ScanConfig, Scanner};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Manifest {
    fixture: Vec<Fixture>,
}

#[derive(Debug, Deserialize)]
struct Fixture {
    path: String,
    expect: Vec<String>,
    technique: String,
    #[serde(default)]
    note: String,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(fixtures_dir().join("manifest.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

fn scanner() -> Scanner {
    Scanner::new(&ScanConfig::default()).unwrap()
}

#[test]
fn every_fixture_gets_exactly_its_expected_rules() {
    let scanner = scanner();
    let mut failures = Vec::new();
    let manifest = manifest();
    assert!(
        manifest.fixture.len() > 50,
        "the fixture set looks incomplete"
    );
    for fixture in &manifest.fixture {
        let path = fixtures_dir().join(&fixture.path);
        let report = scanner.scan_file(&path, &NoProgress);
        let bytes = std::fs::read(&path).unwrap();
        let expected_digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        assert_eq!(
            report.sha256.as_deref(),
            Some(expected_digest.as_str()),
            "{}",
            fixture.path
        );
        assert_eq!(report.size, bytes.len() as u64, "{}", fixture.path);
        let got: BTreeSet<&str> = report.findings.iter().map(|f| f.rule.code).collect();
        let want: BTreeSet<&str> = fixture.expect.iter().map(String::as_str).collect();
        // Scanning the same bytes from memory (tests, fuzzing, embedding) must agree.
        let from_memory: BTreeSet<&str> = scanner
            .scan_bytes(&fixture.path, &bytes)
            .iter()
            .map(|f| f.rule.code)
            .collect();
        // Checks of the files beside an ONNX model (its external data) need the disk.
        let on_disk_only = ["ONX102", "ONX202", "ONX502"];
        let comparable: BTreeSet<&str> = got
            .iter()
            .copied()
            .filter(|code| !on_disk_only.contains(code))
            .collect();
        assert_eq!(
            from_memory, comparable,
            "{}: scan_bytes and scan_file disagree",
            fixture.path
        );
        if got != want {
            let detail: Vec<String> = report
                .findings
                .iter()
                .map(|f| format!("    {} {} {}", f.rule.code, f.location, f.message))
                .collect();
            failures.push(format!(
                "{} [{}] {}\n  want {want:?}\n  got  {got:?}\n{}",
                fixture.path,
                fixture.technique,
                fixture.note,
                detail.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixtures disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_file_is_in_the_manifest() {
    let listed: BTreeSet<PathBuf> = manifest()
        .fixture
        .iter()
        .map(|f| PathBuf::from(&f.path))
        .collect();
    let mut unlisted = Vec::new();
    for entry in walkdir::WalkDir::new(fixtures_dir()) {
        let entry = entry.unwrap();
        let relative = entry
            .path()
            .strip_prefix(fixtures_dir())
            .unwrap()
            .to_path_buf();
        if entry.file_type().is_file()
            && !relative.starts_with("generate")
            && relative != Path::new("manifest.toml")
            && !listed.contains(&relative)
        {
            unlisted.push(relative);
        }
    }
    assert!(
        unlisted.is_empty(),
        "fixtures without a manifest entry: {unlisted:?}"
    );
}

/// A tiny deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn truncated_and_bit_flipped_fixtures_never_panic() {
    let scanner = scanner();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for fixture in manifest().fixture {
        let bytes = std::fs::read(fixtures_dir().join(&fixture.path)).unwrap();
        let len = bytes.len();
        // Every cut for small files, 96 spread-out cuts for larger ones.
        let cuts: Vec<usize> = if len <= 512 {
            (0..len).collect()
        } else {
            (0..96).map(|i| i * len / 96).chain([len - 1]).collect()
        };
        for cut in cuts {
            scanner.scan_bytes(&fixture.path, &bytes[..cut]);
        }
        for _ in 0..48 {
            let mut flipped = bytes.clone();
            if flipped.is_empty() {
                break;
            }
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() % len as u64) as usize;
                flipped[at] ^= 1 << (rng.next() % 8);
            }
            scanner.scan_bytes(&fixture.path, &flipped);
        }
    }
}
