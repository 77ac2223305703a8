//! The OMS subject digest against a signature made by `model_signing` 1.1.1
//! (`../shared/vectors/oms-keyed/`, found through `AIRLOCK_SHARED`).

use std::path::{Path, PathBuf};

use airlock_integrity::signing::manifest::{self, Serialization};
use airlock_integrity::{NoProgress, SnapshotOptions, snapshot};

fn vector() -> Option<PathBuf> {
    let shared = std::env::var_os("AIRLOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("vectors/oms-keyed");
    if dir.join("statement.json").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} has no statement.json; set AIRLOCK_SHARED to the shared data directory",
            dir.display()
        );
        None
    }
}

#[test]
fn subject_digest_matches_model_signing() {
    let Some(dir) = vector() else { return };
    let statement: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("statement.json")).unwrap()).unwrap();
    let expected_subject = statement["subject"][0]["digest"]["sha256"]
        .as_str()
        .unwrap();
    let expected: Vec<(String, String)> = statement["predicate"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|resource| {
            (
                resource["name"].as_str().unwrap().to_owned(),
                resource["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect();

    let manifest = manifest::compute(
        &dir.join("model"),
        &Serialization::default(),
        None,
        &NoProgress,
    )
    .unwrap();
    let actual: Vec<(String, String)> = manifest
        .resources
        .iter()
        .map(|resource| (resource.name.clone(), hex::encode(&resource.digest)))
        .collect();
    assert_eq!(actual, expected, "same resources in the same order");
    assert_eq!(hex::encode(manifest.subject_sha256()), expected_subject);
    assert_eq!(
        manifest.model_name,
        statement["subject"][0]["name"].as_str().unwrap()
    );

    // The lockfile names the model by the same digest, although it also lists .gitignore.
    let snapshot = snapshot(&dir.join("model"), &SnapshotOptions::default(), &NoProgress).unwrap();
    assert_eq!(snapshot.lock.models[0].oms_sha256, expected_subject);
    assert!(
        snapshot
            .lock
            .files
            .iter()
            .any(|file| file.path == ".gitignore")
    );
}
