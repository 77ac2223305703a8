//! The OMS subject digest against a signature made by `model_signing` 1.1.1
//! (`../shared/vectors/oms-keyed/`, found through `AIRLOCK_SHARED`).

mod common;

use airlock_integrity::signing::manifest::{self, Serialization};
use airlock_integrity::{NoProgress, SnapshotOptions, snapshot};

#[test]
fn subject_digest_matches_model_signing() {
    let Some(dir) = common::shared_dir("vectors/oms-keyed", "statement.json") else {
        return;
    };
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
