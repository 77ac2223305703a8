//! OMS signatures end to end through the library: every upstream `model_signing` vector
//! verifies (`../shared/vectors/`, found through `AIRLOCK_SHARED`), and signatures airlock
//! makes verify, in every serialization, and fail on each tampering with the reason named.
//! (`crates/airlock-cli/tests/oms_interop.rs` runs the same matrix against the real
//! `model_signing`.)

mod common;

use std::path::{Path, PathBuf};

use airlock_integrity::NoProgress;
use airlock_integrity::signing::SignatureError;
use airlock_integrity::signing::certificate::parse_pem_certificates;
use airlock_integrity::signing::keys::{Curve, PrivateKey, PublicKey};
use airlock_integrity::signing::manifest::{self, HashAlgorithm, Method, Serialization};
use airlock_integrity::signing::sign::sign;
use airlock_integrity::signing::verify::{
    ManifestDiff, Trust, VerifyOptions, check_model, check_signature,
};

fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/certs")
}

/// Checks the signature, then the files; returns the differences.
fn verify(model: &Path, signature: &[u8], trust: &Trust, options: &VerifyOptions) -> ManifestDiff {
    let check = check_signature(signature, trust).unwrap();
    check_model(model, &check.statement.manifest, options, &NoProgress)
        .unwrap()
        .diff
}

fn ignoring(paths: &[&str]) -> VerifyOptions {
    VerifyOptions {
        ignore_paths: paths.iter().map(|path| (*path).to_owned()).collect(),
        ..VerifyOptions::default()
    }
}

#[test]
fn every_upstream_key_and_certificate_vector_verifies() {
    let Some(dir) = common::shared_dir(
        "vectors/model-transparency",
        "v1.1.0-elliptic-key/model.sig",
    ) else {
        return;
    };
    let key = Trust::Key(
        PublicKey::from_pem(&common::read_text(
            &dir.join("keys/certificate/signing-key-pub.pem"),
        ))
        .unwrap(),
    );
    let root = Trust::CertificateAnchors(
        parse_pem_certificates(&common::read_text(
            &dir.join("keys/certificate/ca-cert.pem"),
        ))
        .unwrap(),
    );
    let cases: [(&str, &str, &Trust, VerifyOptions); 5] = [
        ("v1.1.0-elliptic-key", "", &key, ignoring(&["ignore-me"])),
        (
            "v1.0.0-elliptic-key",
            "signme-1",
            &key,
            VerifyOptions::default(),
        ),
        (
            "v0.3.1-elliptic-key",
            "signme-1",
            &key,
            VerifyOptions::default(),
        ),
        ("v1.1.0-certificate", "", &root, ignoring(&["ignore-me"])),
        // model_signing leaves out the signature file when it lies in the model; 1.1
        // signatures also record it in their ignore list, 0.2 ones do not.
        ("v0.2.0-certificate", "", &root, ignoring(&["model.sig"])),
    ];
    for (name, model, trust, options) in cases {
        let vector = dir.join(name);
        let signature = std::fs::read(vector.join("model.sig")).unwrap();
        let model = if model.is_empty() {
            vector.clone()
        } else {
            vector.join(model)
        };
        let diff = verify(&model, &signature, trust, &options);
        assert!(diff.is_clean(), "{name}: {diff:?}");
    }
}

#[test]
fn upstream_vectors_fail_under_the_wrong_trust() {
    let Some(dir) = common::shared_dir(
        "vectors/model-transparency",
        "v1.1.0-elliptic-key/model.sig",
    ) else {
        return;
    };
    let signature = std::fs::read(dir.join("v1.1.0-elliptic-key/model.sig")).unwrap();
    let other = Trust::Key(PrivateKey::generate(Curve::P384).public_key());
    let err = check_signature(&signature, &other).unwrap_err();
    assert!(matches!(err, SignatureError::KeyMismatch { .. }), "{err}");

    let signature = std::fs::read(dir.join("v1.1.0-certificate/model.sig")).unwrap();
    let other_root = Trust::CertificateAnchors(
        parse_pem_certificates(&common::read_text(&certs().join("root-ca.pem"))).unwrap(),
    );
    let err = check_signature(&signature, &other_root).unwrap_err();
    assert!(matches!(err, SignatureError::Chain(_)), "{err}");
    let key = Trust::Key(PrivateKey::generate(Curve::P256).public_key());
    let err = check_signature(&signature, &key).unwrap_err();
    assert!(matches!(err, SignatureError::WrongTrust(_)), "{err}");
}

fn model_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in [
        ("model.safetensors", &b"weights weights weights"[..]),
        ("a/b", b"ab"),
        ("a.txt", b"a"),
        ("empty.bin", b""),
        ("sub/deeper/tokenizer.json", b"{}"),
        (".gitignore", b"*.pyc"),
    ] {
        let path = dir.path().join("m").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn signed(model: &Path, key: &PrivateKey, serialization: &Serialization) -> Vec<u8> {
    let manifest = manifest::compute(model, serialization, None, &NoProgress).unwrap();
    sign(&manifest, key, None).unwrap().to_json().into_bytes()
}

#[test]
fn airlock_signatures_verify_in_every_serialization_and_curve() {
    let serializations = [
        Serialization::default(),
        Serialization {
            hash: HashAlgorithm::Blake3,
            ..Serialization::default()
        },
        Serialization {
            hash: HashAlgorithm::Blake2b,
            ..Serialization::default()
        },
        Serialization {
            method: Method::Shards { shard_size: 5 },
            ..Serialization::default()
        },
    ];
    let dir = model_dir();
    let model = dir.path().join("m");
    for curve in Curve::ALL {
        let key = PrivateKey::generate(curve);
        let trust = Trust::Key(key.public_key());
        for serialization in &serializations {
            let signature = signed(&model, &key, serialization);
            let diff = verify(&model, &signature, &trust, &VerifyOptions::default());
            assert!(diff.is_clean(), "{curve} {serialization:?}: {diff:?}");
        }
    }
}

#[test]
fn certificate_signatures_carry_the_chain_and_verify_to_the_root() {
    let dir = model_dir();
    let model = dir.path().join("m");
    let key =
        PrivateKey::from_pem(&common::read_text(&certs().join("leaf-key.pem")), None).unwrap();
    let mut chain = parse_pem_certificates(&common::read_text(&certs().join("leaf.pem"))).unwrap();
    chain.extend(parse_pem_certificates(&common::read_text(&certs().join("chain.pem"))).unwrap());
    let manifest = manifest::compute(&model, &Serialization::default(), None, &NoProgress).unwrap();
    let signature = sign(&manifest, &key, Some(&chain))
        .unwrap()
        .to_json()
        .into_bytes();
    let root = Trust::CertificateAnchors(
        parse_pem_certificates(&common::read_text(&certs().join("root-ca.pem"))).unwrap(),
    );
    assert!(verify(&model, &signature, &root, &VerifyOptions::default()).is_clean());

    let wrong_key = PrivateKey::generate(Curve::P256);
    let err = sign(&manifest, &wrong_key, Some(&chain)).unwrap_err();
    assert!(
        err.to_string().contains("not for this private key"),
        "{err}"
    );
}

/// The tamper matrix of `../shared/research/bom-signing.md` §4.6, each case with the
/// reason airlock must give.
#[test]
fn each_tampering_fails_with_its_reason() {
    let key = PrivateKey::generate(Curve::P256);
    let trust = Trust::Key(key.public_key());
    let fresh = || {
        let dir = model_dir();
        let model = dir.path().join("m");
        let signature = signed(&model, &key, &Serialization::default());
        (dir, model, signature)
    };

    let (_dir, model, signature) = fresh();
    let mut bytes = std::fs::read(model.join("model.safetensors")).unwrap();
    bytes[3] ^= 1;
    std::fs::write(model.join("model.safetensors"), bytes).unwrap();
    let diff = verify(&model, &signature, &trust, &VerifyOptions::default());
    assert_eq!(diff.mismatched.len(), 1);
    assert_eq!(diff.mismatched[0].expected.name, "model.safetensors");
    assert_ne!(
        diff.mismatched[0].expected.digest,
        diff.mismatched[0].actual.digest
    );

    let (_dir, model, signature) = fresh();
    std::fs::remove_file(model.join("sub/deeper/tokenizer.json")).unwrap();
    let diff = verify(&model, &signature, &trust, &VerifyOptions::default());
    assert_eq!(
        diff.missing
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["sub/deeper/tokenizer.json"]
    );

    let (_dir, model, signature) = fresh();
    std::fs::write(model.join("extra.txt"), b"x").unwrap();
    let diff = verify(&model, &signature, &trust, &VerifyOptions::default());
    assert_eq!(diff.extra[0].name, "extra.txt");
    let unsigned_ok = VerifyOptions {
        ignore_unsigned_files: true,
        ..VerifyOptions::default()
    };
    assert!(verify(&model, &signature, &trust, &unsigned_ok).is_clean());

    let (_dir, model, signature) = fresh();
    std::fs::write(model.join(".gitignore"), b"edited").unwrap();
    assert!(verify(&model, &signature, &trust, &VerifyOptions::default()).is_clean());

    let (_dir, model, signature) = fresh();
    std::fs::rename(model.join("a.txt"), model.join("renamed.txt")).unwrap();
    let diff = verify(&model, &signature, &trust, &VerifyOptions::default());
    assert_eq!(
        (diff.missing[0].name.as_str(), diff.extra[0].name.as_str()),
        ("a.txt", "renamed.txt")
    );

    #[cfg(unix)]
    {
        let (_dir, model, signature) = fresh();
        std::os::unix::fs::symlink("a.txt", model.join("link")).unwrap();
        let check = check_signature(&signature, &trust).unwrap();
        let err = check_model(
            &model,
            &check.statement.manifest,
            &VerifyOptions::default(),
            &NoProgress,
        )
        .unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }

    let (_dir, _model, signature) = fresh();
    let wrong = Trust::Key(PrivateKey::generate(Curve::P256).public_key());
    assert!(matches!(
        check_signature(&signature, &wrong),
        Err(SignatureError::KeyMismatch { .. })
    ));

    let mut bundle: serde_json::Value = serde_json::from_slice(&signature).unwrap();
    let edited = edit_payload(&bundle);
    bundle["dsseEnvelope"]["payload"] = serde_json::json!(edited);
    let err = check_signature(bundle.to_string().as_bytes(), &trust).unwrap_err();
    assert!(matches!(err, SignatureError::BadSignature), "{err}");

    let mut bundle: serde_json::Value = serde_json::from_slice(&signature).unwrap();
    let sig = bundle["dsseEnvelope"]["signatures"][0]["sig"]
        .as_str()
        .unwrap()
        .to_owned();
    let corrupted = format!(
        "{}{}",
        if sig.starts_with('A') { "B" } else { "A" },
        &sig[1..]
    );
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = serde_json::json!(corrupted);
    let err = check_signature(bundle.to_string().as_bytes(), &trust).unwrap_err();
    assert!(matches!(err, SignatureError::BadSignature), "{err}");

    let mut bundle: serde_json::Value = serde_json::from_slice(&signature).unwrap();
    bundle["verificationMaterial"]["publicKey"] = serde_json::json!({});
    let check = check_signature(bundle.to_string().as_bytes(), &trust).unwrap();
    assert_eq!(check.warnings.len(), 1);

    for garbage in [
        &b""[..],
        b"{}",
        b"[1]",
        b"{\"mediaType\": 3}",
        &signature[..signature.len() / 2],
    ] {
        assert!(check_signature(garbage, &trust).is_err());
    }
}

/// Replaces one resource digest in the signed payload (keeping the statement consistent
/// would need the key, which is the point).
fn edit_payload(bundle: &serde_json::Value) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let payload = STANDARD
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let text = String::from_utf8(payload)
        .unwrap()
        .replace("\"a.txt\"", "\"b.txt\"");
    STANDARD.encode(text)
}

/// Keyless bundles go through the same `check_signature` as key and certificate ones.
#[cfg(feature = "sigstore")]
#[test]
fn keyless_vector_verifies_through_check_signature() {
    use airlock_integrity::signing::keyless::{KeylessPolicy, KeylessTrustRoot};
    let Some(dir) = common::shared_dir("vectors/model-transparency", "v1.1.0-sigstore/model.sig")
    else {
        return;
    };
    let vector = dir.join("v1.1.0-sigstore");
    let signature = std::fs::read(vector.join("model.sig")).unwrap();
    let trust = |identity: &str| Trust::Keyless {
        root: KeylessTrustRoot::embedded().unwrap(),
        policy: KeylessPolicy {
            identity: identity.to_owned(),
            issuer: "https://sigstore.verify.ibm.com/oauth2".to_owned(),
        },
    };
    let check = check_signature(&signature, &trust("stefanb@us.ibm.com")).unwrap();
    assert!(
        check.signer.starts_with("stefanb@us.ibm.com"),
        "{}",
        check.signer
    );
    let diff = check_model(
        &vector,
        &check.statement.manifest,
        &ignoring(&["ignore-me", "model.sig"]),
        &NoProgress,
    )
    .unwrap()
    .diff;
    assert!(diff.is_clean(), "{diff:?}");
    let err = check_signature(&signature, &trust("mallory@example.com")).unwrap_err();
    assert!(matches!(err, SignatureError::Keyless(_)), "{err}");
}
