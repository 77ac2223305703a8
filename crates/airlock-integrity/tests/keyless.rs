//! Offline verification of the upstream keyless `model_signing` vector
//! (`../shared/vectors/model-transparency/v1.1.0-sigstore/`, found through `AIRLOCK_SHARED`).

#![cfg(feature = "sigstore")]

mod common;

use std::path::{Path, PathBuf};

use airlock_integrity::NoProgress;
use airlock_integrity::signing::keyless::{
    KeylessError, KeylessPolicy, KeylessTrustRoot, verify_keyless,
};
use airlock_integrity::signing::manifest::{self, Serialization};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

const IDENTITY: &str = "stefanb@us.ibm.com";
const ISSUER: &str = "https://sigstore.verify.ibm.com/oauth2";

/// The shared vectors folder, when it holds the keyless vector.
fn vectors() -> Option<PathBuf> {
    common::shared_dir("vectors", "model-transparency/v1.1.0-sigstore/model.sig")
}

fn policy() -> KeylessPolicy {
    KeylessPolicy {
        identity: IDENTITY.to_owned(),
        issuer: ISSUER.to_owned(),
    }
}

/// The keyless bundle and its decoded DSSE payload.
fn sigstore_bundle(vectors: &Path) -> (String, serde_json::Value, Vec<u8>) {
    let json =
        std::fs::read_to_string(vectors.join("model-transparency/v1.1.0-sigstore/model.sig"))
            .unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let payload = STANDARD
        .decode(value["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    (json, value, payload)
}

fn subject_of(payload: &[u8]) -> [u8; 32] {
    let statement: serde_json::Value = serde_json::from_slice(payload).unwrap();
    hex::decode(
        statement["subject"][0]["digest"]["sha256"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
    .try_into()
    .unwrap()
}

#[test]
fn upstream_keyless_bundle_verifies_offline() {
    let Some(vectors) = vectors() else { return };
    let (json, value, payload) = sigstore_bundle(&vectors);
    let root = KeylessTrustRoot::embedded().unwrap();

    let verified = verify_keyless(&json, &subject_of(&payload), &root, &policy()).unwrap();
    assert_eq!(verified.identity, IDENTITY);
    assert_eq!(verified.issuer, ISSUER);
    assert_eq!(
        verified.integrated_time.as_deref(),
        Some("2025-10-10T02:12:20Z")
    );
    assert!(
        verified
            .verified_times
            .contains(&"2025-10-10T02:12:20Z".to_owned())
    );
    let entry = &value["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(
        verified.log_index.map(|index| index.to_string()).as_deref(),
        entry["logIndex"].as_str()
    );
    let certificate = STANDARD
        .decode(
            value["verificationMaterial"]["certificate"]["rawBytes"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    assert_eq!(
        verified.certificate_sha256,
        hex::encode(Sha256::digest(&certificate))
    );
    assert_eq!(verified.payload, payload);
}

#[test]
fn subject_digest_of_the_local_files_verifies() {
    let Some(vectors) = vectors() else { return };
    let (json, _, _) = sigstore_bundle(&vectors);
    // Upstream signs the directory ignoring `ignore-me`, leaving signme-1 and signme-2.
    let dir = vectors.join("model-transparency/v1.1.0-sigstore");
    let mut serialization = Serialization::default();
    // As `model_signing verify` does: the ignored path, and the signature inside the model.
    serialization
        .ignore_paths
        .extend(["ignore-me".into(), "model.sig".into()]);
    let manifest = manifest::compute(&dir, &serialization, None, &NoProgress).unwrap();
    assert_eq!(manifest.resources.len(), 2);
    let subject = manifest.subject_sha256();
    let root = KeylessTrustRoot::embedded().unwrap();
    verify_keyless(&json, &subject, &root, &policy()).unwrap();
}

#[test]
fn wrong_identity_fails_naming_both() {
    let Some(vectors) = vectors() else { return };
    let (json, _, payload) = sigstore_bundle(&vectors);
    let root = KeylessTrustRoot::embedded().unwrap();
    let policy = KeylessPolicy {
        identity: "mallory@example.com".to_owned(),
        issuer: ISSUER.to_owned(),
    };
    let error = verify_keyless(&json, &subject_of(&payload), &root, &policy).unwrap_err();
    assert!(
        matches!(&error, KeylessError::IdentityMismatch { expected, found }
            if expected == "mallory@example.com" && found == IDENTITY),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("mallory@example.com") && message.contains(IDENTITY),
        "{message}"
    );
}

#[test]
fn wrong_issuer_fails_naming_both() {
    let Some(vectors) = vectors() else { return };
    let (json, _, payload) = sigstore_bundle(&vectors);
    let root = KeylessTrustRoot::embedded().unwrap();
    let policy = KeylessPolicy {
        identity: IDENTITY.to_owned(),
        issuer: "https://accounts.google.com".to_owned(),
    };
    let error = verify_keyless(&json, &subject_of(&payload), &root, &policy).unwrap_err();
    assert!(
        matches!(&error, KeylessError::IssuerMismatch { expected, found }
            if expected == "https://accounts.google.com" && found == ISSUER),
        "{error:?}"
    );
}

#[test]
fn different_subject_digest_fails() {
    let Some(vectors) = vectors() else { return };
    let (json, _, payload) = sigstore_bundle(&vectors);
    let root = KeylessTrustRoot::embedded().unwrap();
    let mut subject = subject_of(&payload);
    subject[31] ^= 1;
    let error = verify_keyless(&json, &subject, &root, &policy()).unwrap_err();
    assert!(matches!(error, KeylessError::SubjectMismatch), "{error:?}");
}

#[test]
fn edited_payload_fails() {
    let Some(vectors) = vectors() else { return };
    let (_, mut value, payload) = sigstore_bundle(&vectors);
    let root = KeylessTrustRoot::embedded().unwrap();
    // Claim a different digest for signme-1, keeping the subject the same.
    let text = String::from_utf8(payload.clone()).unwrap();
    let edited = text.replacen(
        "f6310066c7320497ea554260c32c43660bff648cb2a61194832cc086077085e1",
        "0000000000000000000000000000000000000000000000000000000000000000",
        1,
    );
    assert_ne!(edited, text, "the vector lists signme-1's digest");
    value["dsseEnvelope"]["payload"] = STANDARD.encode(edited.as_bytes()).into();
    let json = serde_json::to_string(&value).unwrap();
    let error = verify_keyless(&json, &subject_of(&payload), &root, &policy()).unwrap_err();
    assert!(matches!(error, KeylessError::Verification(_)), "{error:?}");
}

#[test]
fn key_and_certificate_bundles_name_their_method() {
    let Some(vectors) = vectors() else { return };
    let root = KeylessTrustRoot::embedded().unwrap();
    let any_subject = [0u8; 32];

    let key_bundle = std::fs::read_to_string(vectors.join("oms-keyed/model.sig")).unwrap();
    let error = verify_keyless(&key_bundle, &any_subject, &root, &policy()).unwrap_err();
    assert!(matches!(error, KeylessError::MadeWithKey), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("made with a key") && message.contains("--key"),
        "{message}"
    );

    let certificate_bundle =
        std::fs::read_to_string(vectors.join("model-transparency/v1.1.0-certificate/model.sig"))
            .unwrap();
    let error = verify_keyless(&certificate_bundle, &any_subject, &root, &policy()).unwrap_err();
    assert!(
        matches!(error, KeylessError::MadeWithCertificate),
        "{error:?}"
    );
    assert!(error.to_string().contains("--certificate-chain"), "{error}");
}

#[test]
fn trusted_root_from_a_file() {
    let Some(vectors) = vectors() else { return };
    let (json, _, payload) = sigstore_bundle(&vectors);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trusted_root.json");
    std::fs::write(&path, sigstore_trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT).unwrap();
    let root = KeylessTrustRoot::from_file(&path).unwrap();
    let verified = verify_keyless(&json, &subject_of(&payload), &root, &policy()).unwrap();
    assert_eq!(verified.identity, IDENTITY);

    // A root without the Fulcio CA that issued the certificate does not verify it.
    let mut other: serde_json::Value =
        serde_json::from_str(sigstore_trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT).unwrap();
    other["certificateAuthorities"] = serde_json::json!([]);
    std::fs::write(&path, serde_json::to_string(&other).unwrap()).unwrap();
    let root = KeylessTrustRoot::from_file(&path).unwrap();
    let error = verify_keyless(&json, &subject_of(&payload), &root, &policy()).unwrap_err();
    assert!(matches!(error, KeylessError::Verification(_)), "{error:?}");
}

#[test]
fn unusable_trusted_roots_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let error = KeylessTrustRoot::from_file(&missing).unwrap_err();
    assert!(
        matches!(error, KeylessError::TrustRootUnreadable { .. }),
        "{error:?}"
    );

    for content in ["", "{}", "[]", "{\"mediaType\": 1}", "not json"] {
        let path = dir.path().join("bad.json");
        std::fs::write(&path, content).unwrap();
        let error = KeylessTrustRoot::from_file(&path).unwrap_err();
        assert!(
            matches!(error, KeylessError::TrustRootInvalid { .. }),
            "{content:?}: {error:?}"
        );
    }
}

#[test]
fn malformed_bundles_are_errors() {
    let root = KeylessTrustRoot::embedded().unwrap();
    for bundle in [
        "",
        "null",
        "[]",
        "{}",
        "not json",
        "{\"verificationMaterial\": 1}",
        "{\"verificationMaterial\": {}}",
        "{\"mediaType\": \"application/vnd.dev.sigstore.bundle.v0.3+json\", \"verificationMaterial\": {\"certificate\": {\"rawBytes\": \"AAAA\"}, \"tlogEntries\": []}, \"dsseEnvelope\": {\"payload\": \"\", \"payloadType\": \"application/vnd.in-toto+json\", \"signatures\": []}}",
    ] {
        let error = verify_keyless(bundle, &[0; 32], &root, &policy()).unwrap_err();
        assert!(
            matches!(
                error,
                KeylessError::Malformed(_) | KeylessError::Verification(_)
            ),
            "{bundle:?}: {error:?}"
        );
    }
}

/// Truncations and single-character edits of the real bundle give results, never panics,
/// and an edit of the signed payload, the certificate or the log entry is never accepted.
#[test]
fn mutated_bundles_do_not_panic() {
    let Some(vectors) = vectors() else { return };
    let (json, _, payload) = sigstore_bundle(&vectors);
    let subject = subject_of(&payload);
    let root = KeylessTrustRoot::embedded().unwrap();

    for end in (0..json.len()).step_by(101) {
        assert!(verify_keyless(&json[..end], &subject, &root, &policy()).is_err());
    }

    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let protected = [
        value["dsseEnvelope"]["payload"].as_str().unwrap(),
        value["dsseEnvelope"]["signatures"][0]["sig"]
            .as_str()
            .unwrap(),
        value["verificationMaterial"]["certificate"]["rawBytes"]
            .as_str()
            .unwrap(),
        value["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]
            .as_str()
            .unwrap(),
    ];
    let protected: Vec<std::ops::Range<usize>> = protected
        .iter()
        .map(|field| {
            let start = json.find(field).unwrap();
            start..start + field.len()
        })
        .collect();

    let bytes = json.as_bytes();
    let mut accepted_outside = 0;
    for index in (0..bytes.len()).step_by(7) {
        let replacement = match bytes[index] {
            b'A'..=b'Y' | b'a'..=b'y' | b'0'..=b'8' => bytes[index] + 1,
            b'Z' => b'a',
            b'z' => b'0',
            b'9' => b'A',
            _ => continue,
        };
        let mut mutated = bytes.to_vec();
        mutated[index] = replacement;
        let mutated = String::from_utf8(mutated).unwrap();
        if verify_keyless(&mutated, &subject, &root, &policy()).is_ok() {
            // Base64 padding bits or unsigned fields (e.g. certificates inside a timestamp
            // token) can change without changing what was signed.
            let signed = protected
                .iter()
                .any(|range| range.start + 4 <= index && index + 4 < range.end);
            assert!(
                !signed,
                "edit at byte {index} of a signed field was accepted"
            );
            accepted_outside += 1;
        }
    }
    eprintln!("edits outside signed fields that still verified: {accepted_outside}");
}
