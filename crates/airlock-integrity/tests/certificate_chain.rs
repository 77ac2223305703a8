//! X.509 chain checks for OMS `certificate` signatures: upstream's `v1.1.0-certificate`
//! signature made by `model_signing` (`../shared/vectors/model-transparency/`, found through
//! `AIRLOCK_SHARED`) and the committed good and bad certificates in `tests/data/certs/`.

mod common;

use airlock_integrity::signing::certificate::{
    ChainError, MAX_BUNDLE_CERTIFICATES, parse_pem_certificates, verify_chain,
};
use airlock_integrity::signing::keys::{Curve, KeyError, PrivateKey, PublicKey};
use base64::Engine as _;

/// The DER certificates of the named PEM files, in order.
fn certs(names: &[&str]) -> Vec<Vec<u8>> {
    names
        .iter()
        .flat_map(|name| {
            parse_pem_certificates(&common::data_text(&format!("certs/{}", name))).unwrap()
        })
        .collect()
}

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

#[test]
fn upstream_certificate_signature_verifies_end_to_end() {
    let Some(dir) =
        common::shared_dir("vectors/model-transparency", "v1.1.0-certificate/model.sig")
    else {
        return;
    };
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("v1.1.0-certificate/model.sig")).unwrap())
            .unwrap();
    let chain: Vec<Vec<u8>> =
        bundle["verificationMaterial"]["x509CertificateChain"]["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| b64(c["rawBytes"].as_str().unwrap()))
            .collect();
    let read =
        |name: &str| std::fs::read_to_string(dir.join("keys/certificate").join(name)).unwrap();
    let root = parse_pem_certificates(&read("ca-cert.pem")).unwrap();

    let leaf = verify_chain(&chain, &root).unwrap();
    // Upstream's leaf is named like its issuer and is itself CA:TRUE; it still verifies.
    assert_eq!(leaf.subject, "CN=intermediate-ca");
    assert_eq!(
        leaf.path,
        ["CN=intermediate-ca", "CN=intermediate-ca", "CN=root-ca"]
    );
    assert_eq!(leaf.public_key.curve(), Curve::P384);
    assert_eq!(
        leaf.public_key,
        PublicKey::from_pem(&read("signing-key-pub.pem")).unwrap()
    );
    assert_eq!(leaf.sha256_fingerprint.len(), 64);
    assert!(
        leaf.checked_at.starts_with("2025-05-02T"),
        "{}",
        leaf.checked_at
    );

    // The DSSE signature verifies with the certified key over the PAE.
    let envelope = &bundle["dsseEnvelope"];
    let payload = b64(envelope["payload"].as_str().unwrap());
    let payload_type = envelope["payloadType"].as_str().unwrap();
    let mut pae = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    pae.extend_from_slice(&payload);
    let sig = b64(envelope["signatures"][0]["sig"].as_str().unwrap());
    leaf.public_key.verify(&pae, &sig).unwrap();

    // Trusting the intermediate as well changes nothing; trusting an unrelated root fails.
    let both = [
        root.clone(),
        parse_pem_certificates(&read("int-ca-cert.pem")).unwrap(),
    ]
    .concat();
    verify_chain(&chain, &both).unwrap();
    let err = verify_chain(&chain, &certs(&["root-ca.pem"])).unwrap_err();
    assert!(
        matches!(&err, ChainError::IssuerNotFound { issuer, .. } if issuer == "CN=root-ca"),
        "{err}"
    );
    // Without its intermediate the leaf, which names itself as its issuer but is not
    // self-signed, has no issuer.
    let err = verify_chain(&chain[..1], &root).unwrap_err();
    assert!(
        matches!(&err, ChainError::IssuerNotFound { subject, issuer }
            if subject == "CN=intermediate-ca" && issuer == "CN=intermediate-ca"),
        "{err}"
    );
}

#[test]
fn good_leaves_verify() {
    let root = certs(&["root-ca.pem"]);
    let leaf = verify_chain(&certs(&["leaf.pem", "chain.pem"]), &root).unwrap();
    assert_eq!(leaf.subject, "O=Airlock Test,CN=Airlock Test Model Signer");
    assert_eq!(leaf.path.len(), 3);
    assert_eq!(leaf.path[2], "O=Airlock Test,CN=Airlock Test Root CA");
    assert_eq!(leaf.checked_at, "2026-01-01T00:00:00Z");
    let key = PrivateKey::from_pem(
        &common::data_text(&format!("certs/{}", "leaf-key.pem")),
        None,
    )
    .unwrap();
    assert_eq!(leaf.public_key, key.public_key());

    let eku_only = verify_chain(&certs(&["leaf-eku-only.pem", "chain.pem"]), &root).unwrap();
    assert_eq!(eku_only.public_key.curve(), Curve::P384);

    // Long expired, but valid at its own notBefore: model_signing accepts it, and so do we.
    verify_chain(&certs(&["leaf-expired.pem", "chain.pem"]), &root).unwrap();

    // The intermediate may come from the trusted certificates instead of the bundle, and the
    // root may be repeated in the bundle.
    verify_chain(&certs(&["leaf.pem"]), &certs(&["chain.pem", "root-ca.pem"])).unwrap();
    verify_chain(&certs(&["leaf.pem", "chain.pem", "root-ca.pem"]), &root).unwrap();

    // An RSA root with a sha512WithRSAEncryption signature on the leaf.
    verify_chain(
        &certs(&["leaf-other-root.pem"]),
        &certs(&["other-root-ca.pem"]),
    )
    .unwrap();
    // An RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) signature on the leaf.
    verify_chain(&certs(&["leaf-pss.pem"]), &certs(&["other-root-ca.pem"])).unwrap();
    assert!(matches!(
        verify_chain(&certs(&["leaf-pss.pem"]), &certs(&["root-ca.pem"])),
        Err(ChainError::IssuerNotFound { .. })
    ));
}

#[test]
fn bad_leaves_fail_with_the_right_error() {
    let root = certs(&["root-ca.pem"]);

    let err = verify_chain(&certs(&["leaf-no-signing.pem", "chain.pem"]), &root).unwrap_err();
    assert!(
        matches!(&err, ChainError::NotForSigning(s) if s.contains("Key-Agreement Only")),
        "{err}"
    );

    let err = verify_chain(&certs(&["leaf-predates-ca.pem", "chain.pem"]), &root).unwrap_err();
    assert!(
        matches!(&err, ChainError::NotValidAt { subject, at, .. }
            if subject.contains("Intermediate CA") && at == "2024-01-01T00:00:00Z"),
        "{err}"
    );

    let err = verify_chain(&certs(&["leaf-rsa.pem", "chain.pem"]), &root).unwrap_err();
    assert!(
        matches!(&err, ChainError::LeafKey { source: KeyError::UnsupportedKeyType(t), .. } if t == "RSA"),
        "{err}"
    );

    let err = verify_chain(&certs(&["leaf-via-not-a-ca.pem", "not-a-ca.pem"]), &root).unwrap_err();
    assert!(
        matches!(&err, ChainError::NotACa { subject, reason, .. }
            if subject.contains("Not A CA") && reason.contains("CA:FALSE")),
        "{err}"
    );

    let err = verify_chain(&certs(&["leaf-impostor.pem", "chain.pem"]), &root).unwrap_err();
    assert!(
        matches!(&err, ChainError::BadSignature { subject, issuer }
            if subject.contains("Impostor") && issuer.contains("Intermediate CA")),
        "{err}"
    );
    // Trusting the impostor's name is not enough: the impostor itself must be trusted.
    let err = verify_chain(&certs(&["leaf-impostor.pem", "impostor-ca.pem"]), &root).unwrap_err();
    assert!(
        matches!(&err, ChainError::UntrustedRoot(s) if s.contains("Intermediate CA")),
        "{err}"
    );

    let err = verify_chain(&certs(&["leaf-other-root.pem"]), &root).unwrap_err();
    assert!(
        matches!(&err, ChainError::IssuerNotFound { issuer, .. } if issuer.contains("Other Root")),
        "{err}"
    );

    // Critical nameConstraints are not implemented: rejected on the path (model_signing,
    // through OpenSSL, would accept this leaf), ignored on a trusted root that is not used.
    let err = verify_chain(
        &certs(&["leaf-name-constrained.pem"]),
        &certs(&["name-constrained-ca.pem"]),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ChainError::UnhandledCriticalExtension { subject, oid }
            if subject.contains("Name-Constrained") && oid == "nameConstraints"),
        "{err}"
    );
    verify_chain(
        &certs(&["leaf.pem", "chain.pem"]),
        &certs(&["name-constrained-ca.pem", "root-ca.pem"]),
    )
    .unwrap();

    // The root travels in the bundle but is not trusted.
    let err = verify_chain(
        &certs(&["leaf.pem", "chain.pem", "root-ca.pem"]),
        &certs(&["other-root-ca.pem"]),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ChainError::UntrustedRoot(s) if s.contains("Root CA")),
        "{err}"
    );

    // Trusting only the intermediate is not enough either: like OpenSSL without
    // PARTIAL_CHAIN (model_signing), the path must end at a trusted self-signed root.
    let err = verify_chain(&certs(&["leaf.pem"]), &certs(&["chain.pem"])).unwrap_err();
    assert!(
        matches!(&err, ChainError::IssuerNotFound { subject, .. } if subject.contains("Intermediate CA")),
        "{err}"
    );

    let err = verify_chain(
        &certs(&["leaf-loop.pem", "loop-a.pem", "loop-b.pem"]),
        &root,
    )
    .unwrap_err();
    assert!(
        matches!(&err, ChainError::Loop(s) if s.contains("Loop A")),
        "{err}"
    );
}

#[test]
fn parse_pem_certificates_reads_every_block_and_rejects_junk() {
    let both = format!(
        "{}\nsome text\n{}",
        common::data_text(&format!("certs/{}", "leaf.pem")),
        common::data_text(&format!("certs/{}", "chain.pem"))
    );
    assert_eq!(parse_pem_certificates(&both).unwrap().len(), 2);
    assert!(matches!(
        parse_pem_certificates(&common::data_text(&format!("certs/{}", "leaf-key.pem"))),
        Err(ChainError::NoCertificates)
    ));
    assert!(matches!(
        parse_pem_certificates(""),
        Err(ChainError::NoCertificates)
    ));
    let broken = "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        parse_pem_certificates(broken),
        Err(ChainError::Malformed { .. })
    ));
    assert!(matches!(
        parse_pem_certificates("-----BEGIN CERTIFICATE-----\nMAMC\n"),
        Err(ChainError::Pem(_))
    ));
}

#[test]
fn malformed_and_hostile_bundles_are_errors() {
    let root = certs(&["root-ca.pem"]);
    let good = certs(&["leaf.pem", "chain.pem"]);
    assert!(matches!(
        verify_chain(&[], &root),
        Err(ChainError::EmptyChain)
    ));
    assert!(matches!(
        verify_chain(&good, &[]),
        Err(ChainError::NoTrustAnchors)
    ));

    // Every truncation and some bit flips of the leaf: errors, never panics, never success.
    let leaf = &good[0];
    for len in (0..leaf.len()).step_by(7) {
        let chain = [leaf[..len].to_vec(), good[1].clone()];
        assert!(verify_chain(&chain, &root).is_err(), "truncated to {len}");
    }
    for at in (0..leaf.len()).step_by(3) {
        let mut flipped = leaf.clone();
        flipped[at] ^= 0x01;
        let chain = [flipped, good[1].clone()];
        assert!(verify_chain(&chain, &root).is_err(), "bit flipped at {at}");
    }
    assert!(matches!(
        verify_chain(&[b"not DER".to_vec()], &root),
        Err(ChainError::Malformed { .. })
    ));
    assert!(matches!(
        verify_chain(&good, &[vec![0x30, 0x00]]),
        Err(ChainError::Malformed { .. })
    ));

    // Too many certificates, and many copies of one intermediate, stay bounded.
    let many: Vec<Vec<u8>> = std::iter::once(good[0].clone())
        .chain(std::iter::repeat_n(
            good[1].clone(),
            MAX_BUNDLE_CERTIFICATES,
        ))
        .collect();
    assert!(matches!(
        verify_chain(&many, &root),
        Err(ChainError::TooManyCertificates(n)) if n == MAX_BUNDLE_CERTIFICATES + 1
    ));
    verify_chain(&many[..MAX_BUNDLE_CERTIFICATES], &root).unwrap();
    let loops: Vec<Vec<u8>> = certs(&["leaf-loop.pem"])
        .into_iter()
        .chain(std::iter::repeat_n(certs(&["loop-a.pem", "loop-b.pem"]), 7).flatten())
        .collect();
    assert!(verify_chain(&loops, &root).is_err());
}
