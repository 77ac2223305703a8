//! Hugging Face model folders and the hub cache layout (research B39).

use std::path::{Path, PathBuf};

use airlock_scan::{NoProgress, ScanConfig, Scanner};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

/// `models--org--name/snapshots/<rev>/<file>` are links into `blobs/<sha256>`: findings
/// are reported once, under the snapshot name, and the remote-code check reads the
/// modules beside the linked config.
#[cfg(unix)]
#[test]
fn hub_cache_is_scanned_once_under_snapshot_names() {
    use std::os::unix::fs::symlink;

    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("models--acme--classifier");
    let blobs = repo.join("blobs");
    let snapshot = repo.join("snapshots/0123456789abcdef0123456789abcdef01234567");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(
        repo.join("refs/main"),
        "0123456789abcdef0123456789abcdef01234567",
    )
    .unwrap();
    let files = [
        (
            "pytorch_model.bin",
            "pickle/malicious/B2-raw-pickle-named.bin",
            "aa",
        ),
        (
            "config.json",
            "huggingface/malicious/B39-auto-map/config.json",
            "bb",
        ),
        (
            "modeling_airlock.py",
            "huggingface/malicious/B39-auto-map/modeling_airlock.py",
            "cc",
        ),
    ];
    for (name, source, blob) in files {
        std::fs::copy(fixture(source), blobs.join(blob)).unwrap();
        symlink(Path::new("../../blobs").join(blob), snapshot.join(name)).unwrap();
    }
    let scanner = Scanner::new(&ScanConfig::default()).unwrap();
    let report = scanner.scan_paths(std::slice::from_ref(&repo), &NoProgress);
    let scanned: Vec<String> = report
        .files
        .iter()
        .map(|f| f.path.to_string())
        .map(|p| p.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        scanned,
        [
            "main",
            "config.json",
            "modeling_airlock.py",
            "pytorch_model.bin"
        ],
        "blobs reached through snapshot links must not be scanned twice"
    );
    let codes: Vec<(&str, String)> = report
        .files
        .iter()
        .flat_map(|f| {
            f.findings
                .iter()
                .map(move |x| (x.rule.code, f.path.to_string()))
        })
        .collect();
    assert!(
        codes.iter().any(|(c, p)| *c == "PKL101"
            && p.ends_with("snapshots/0123456789abcdef0123456789abcdef01234567/pytorch_model.bin")),
        "{codes:?}"
    );
    let remote = report
        .files
        .iter()
        .flat_map(|f| &f.findings)
        .find(|f| f.rule.code == "HFM101" && f.message.contains("modeling_airlock.py"))
        .expect("auto_map finding");
    assert!(
        remote
            .evidence
            .as_deref()
            .unwrap_or("")
            .contains("subprocess (process)"),
        "{remote:?}"
    );
}

/// An orphan blob (no snapshot links to it) is still scanned, under its blob name.
#[cfg(unix)]
#[test]
fn orphan_blobs_are_scanned() {
    let tmp = tempfile::tempdir().unwrap();
    let blobs = tmp.path().join("models--acme--x/blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::copy(
        fixture("pickle/malicious/B2-raw-pickle-named.bin"),
        blobs.join("dd"),
    )
    .unwrap();
    let scanner = Scanner::new(&ScanConfig::default()).unwrap();
    let report = scanner.scan_paths(&[tmp.path().to_path_buf()], &NoProgress);
    assert_eq!(report.files.len(), 1);
    assert!(
        report.files[0]
            .findings
            .iter()
            .any(|f| f.rule.code == "PKL101")
    );
}
