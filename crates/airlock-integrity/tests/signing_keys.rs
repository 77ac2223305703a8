//! OMS key handling against `model_signing` 1.1.1's own signature (`../shared/vectors/oms-keyed/`,
//! found through `AIRLOCK_SHARED`), the committed key-format fixtures (`tests/data/keys/`), and,
//! when Python `cryptography` and `openssl` are installed, their reading of the keys we write.

mod common;

use std::path::Path;
use std::process::Command;

use airlock_integrity::signing::keys::{Curve, KeyError, PrivateKey, PublicKey};
use base64::Engine as _;

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn model_signing_vector_hint_and_signature() {
    let Some(dir) = common::shared_dir("vectors/oms-keyed", "model.sig") else {
        return;
    };
    let bundle: serde_json::Value = serde_json::from_str(&read(&dir, "model.sig")).unwrap();
    let hint = bundle["verificationMaterial"]["publicKey"]["hint"]
        .as_str()
        .unwrap();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(
            bundle["dsseEnvelope"]["signatures"][0]["sig"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let pae = std::fs::read(dir.join("dsse-pae.bin")).unwrap();

    let public_pem = read(&dir, "public-key.pem");
    let public = PublicKey::from_pem(&public_pem).unwrap();
    assert_eq!(public.curve(), Curve::P256);
    assert_eq!(public.to_pem(), public_pem, "byte-identical PEM");
    assert_eq!(public.hint(), hint);
    public.verify(&pae, &sig).unwrap();

    let mut tampered = pae.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(matches!(
        public.verify(&tampered, &sig),
        Err(KeyError::BadSignature(Curve::P256))
    ));
    assert!(matches!(
        public.verify(&pae, &sig[..sig.len() - 1]),
        Err(KeyError::BadSignature(_))
    ));

    let private = PrivateKey::from_pem(&read(&dir, "test-private-key.pem"), None).unwrap();
    assert_eq!(private.public_key(), public);
    let our_sig = private.sign(&pae);
    public.verify(&pae, &our_sig).unwrap();
}

#[test]
fn certtool_dump_before_the_public_key_is_ignored() {
    let Some(dir) = common::shared_dir(
        "vectors/model-transparency/keys/certificate",
        "signing-key-pub.pem",
    ) else {
        return;
    };
    let text = read(&dir, "signing-key-pub.pem");
    assert!(
        !text.starts_with("-----BEGIN"),
        "the vector starts with a text dump"
    );
    let key = PublicKey::from_pem(&text).unwrap();
    assert_eq!(key.curve(), Curve::P384);
}

#[test]
fn generate_sign_verify_and_pem_round_trip_on_every_curve() {
    for curve in Curve::ALL {
        let key = PrivateKey::generate(curve);
        assert_eq!(key.curve(), curve);
        let public = key.public_key();
        assert_eq!(public.curve(), curve);
        let message = format!("DSSEv1 {curve}");
        let sig = key.sign(message.as_bytes());
        assert_eq!(sig[0], 0x30, "{curve}: DER SEQUENCE");
        public.verify(message.as_bytes(), &sig).unwrap();
        assert!(public.verify(b"another message", &sig).is_err());
        assert!(
            PrivateKey::generate(curve)
                .public_key()
                .verify(message.as_bytes(), &sig)
                .is_err()
        );

        let pem = key.to_pkcs8_pem(None).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let again = PrivateKey::from_pem(&pem, None).unwrap();
        assert_eq!(again.public_key(), public);

        let public_pem = public.to_pem();
        assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(public_pem.ends_with("-----END PUBLIC KEY-----\n"));
        assert!(public_pem.lines().all(|line| line.len() <= 64));
        assert_eq!(PublicKey::from_pem(&public_pem).unwrap(), public);
        assert_eq!(
            PublicKey::from_spki_der(&public.to_spki_der()).unwrap(),
            public
        );
        assert_eq!(public.hint().len(), 64);
    }
}

#[test]
fn signature_hash_follows_the_curve() {
    // P-384 and P-521 signatures are over SHA-384 and SHA-512 of the message: check through a
    // prehash verifier so a mix-up with SHA-256 cannot pass.
    use ecdsa::signature::hazmat::PrehashVerifier;
    use p384::pkcs8::DecodePublicKey;
    use sha2::Digest;
    let key = PrivateKey::generate(Curve::P384);
    let sig = key.sign(b"payload");
    let vk =
        p384::ecdsa::VerifyingKey::from_public_key_der(&key.public_key().to_spki_der()).unwrap();
    let sig = p384::ecdsa::Signature::from_der(&sig).unwrap();
    vk.verify_prehash(&sha2::Sha384::digest(b"payload"), &sig)
        .unwrap();
    assert!(
        vk.verify_prehash(&sha2::Sha256::digest(b"payload"), &sig)
            .is_err()
    );
}

#[test]
fn encrypted_pem_round_trip_and_passphrase_errors() {
    let key = PrivateKey::generate(Curve::P256);
    let pem = key.to_pkcs8_pem(Some(b"correct horse")).unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
    let again = PrivateKey::from_pem(&pem, Some(b"correct horse")).unwrap();
    assert_eq!(again.public_key(), key.public_key());

    let err = PrivateKey::from_pem(&pem, Some(b"wrong horse")).unwrap_err();
    assert!(matches!(err, KeyError::WrongPassphrase), "{err}");
    let err = PrivateKey::from_pem(&pem, None).unwrap_err();
    assert!(matches!(err, KeyError::NeedsPassphrase), "{err}");
    assert!(err.to_string().contains("passphrase"));

    let plain = key.to_pkcs8_pem(None).unwrap();
    let err = PrivateKey::from_pem(&plain, Some(b"x")).unwrap_err();
    assert!(matches!(err, KeyError::NotEncrypted), "{err}");
}

#[test]
fn keys_written_by_openssl_and_cryptography_load() {
    let sec1 = PrivateKey::from_pem(
        &common::data_text(&format!("keys/{}", "sec1-p384-with-params.pem")),
        None,
    )
    .unwrap();
    assert_eq!(sec1.curve(), Curve::P384);

    let p521 = PrivateKey::from_pem(
        &common::data_text(&format!("keys/{}", "openssl-encrypted-p521.pem")),
        Some(b"test"),
    )
    .unwrap();
    assert_eq!(p521.curve(), Curve::P521);
    let sig = p521.sign(b"m");
    p521.public_key().verify(b"m", &sig).unwrap();

    let p256 = PrivateKey::from_pem(
        &common::data_text(&format!("keys/{}", "cryptography-encrypted-p256.pem")),
        Some(b"test"),
    )
    .unwrap();
    let public_pem = common::data_text(&format!("keys/{}", "cryptography-encrypted-p256-pub.pem"));
    assert_eq!(p256.public_key().to_pem(), public_pem);
    assert!(matches!(
        PrivateKey::from_pem(
            &common::data_text(&format!("keys/{}", "cryptography-encrypted-p256.pem")),
            Some(b"tset")
        ),
        Err(KeyError::WrongPassphrase)
    ));
}

#[test]
fn a_key_after_a_certificate_in_one_file_loads() {
    let certs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/certs");
    let read = |name: &str| std::fs::read_to_string(certs.join(name)).unwrap();
    let combined = format!("{}{}", read("leaf.pem"), read("leaf-key.pem"));
    let key = PrivateKey::from_pem(&combined, None).unwrap();
    assert_eq!(key.curve(), Curve::P256);
}

#[test]
fn keys_oms_cannot_use_are_named() {
    for (file, want) in [
        ("secp256k1.pem", "secp256k1"),
        ("secp256k1-pub.pem", "secp256k1"),
    ] {
        let text = common::data_text(&format!("keys/{}", file));
        let err = if file.contains("pub") {
            PublicKey::from_pem(&text).unwrap_err()
        } else {
            PrivateKey::from_pem(&text, None).unwrap_err()
        };
        assert!(
            matches!(&err, KeyError::UnsupportedCurve(name) if name == want),
            "{err}"
        );
        assert!(err.to_string().contains("secp256k1"));
    }
    for (file, want) in [
        ("ed25519.pem", "Ed25519"),
        ("ed25519-pub.pem", "Ed25519"),
        ("rsa.pem", "RSA"),
        ("rsa-pub.pem", "RSA"),
    ] {
        let text = common::data_text(&format!("keys/{}", file));
        let err = if file.contains("pub") {
            PublicKey::from_pem(&text).unwrap_err()
        } else {
            PrivateKey::from_pem(&text, None).unwrap_err()
        };
        assert!(
            matches!(&err, KeyError::UnsupportedKeyType(name) if name == want),
            "{file}: {err}"
        );
        assert!(err.to_string().contains("P-256/P-384/P-521"), "{err}");
    }
    let err = PrivateKey::from_pem(
        &common::data_text(&format!("keys/{}", "legacy-encrypted.pem")),
        Some(b"test"),
    )
    .unwrap_err();
    assert!(matches!(err, KeyError::UnsupportedEncryption(_)), "{err}");
}

#[test]
fn malformed_input_is_an_error() {
    let public = PrivateKey::generate(Curve::P256).public_key().to_pem();
    for text in [
        "",
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n",
        "-----BEGIN PUBLIC KEY-----\n****\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nMAMCAQA=\n-----END PUBLIC KEY-----\n",
        &public
            .replace("BEGIN PUBLIC KEY", "BEGIN CERTIFICATE")
            .replace("END PUBLIC KEY", "END CERTIFICATE"),
        &public[..public.len() / 2],
    ] {
        assert!(PublicKey::from_pem(text).is_err(), "{text:?}");
        assert!(PrivateKey::from_pem(text, None).is_err(), "{text:?}");
    }
    // A public key given where a private key is expected.
    assert!(matches!(
        PrivateKey::from_pem(&public, None),
        Err(KeyError::NotPem { .. })
    ));
    assert!(PublicKey::from_spki_der(&[0x30, 0x80]).is_err());
    // A point that is not on the curve.
    let mut der = PrivateKey::generate(Curve::P256).public_key().to_spki_der();
    let last = der.len() - 1;
    der[last] ^= 1;
    assert!(matches!(
        PublicKey::from_spki_der(&der),
        Err(KeyError::Malformed { .. })
    ));
}

fn python_has_cryptography() -> bool {
    Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Our encrypted PEM loads in Python `cryptography` (what `model_signing --password` uses) and
/// in `openssl pkey`; `cryptography` and we verify each other's signatures with the curve's hash.
#[test]
fn python_cryptography_and_openssl_read_our_keys() {
    if !python_has_cryptography() {
        eprintln!("skipped: python3 with `cryptography` is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for curve in Curve::ALL {
        let key = PrivateKey::generate(curve);
        let key_path = dir.path().join(format!("{curve}.pem"));
        std::fs::write(
            &key_path,
            key.to_pkcs8_pem(Some(b"s3cret")).unwrap().as_bytes(),
        )
        .unwrap();
        let sig_path = dir.path().join(format!("{curve}.sig"));
        std::fs::write(&sig_path, key.sign(b"DSSEv1 payload")).unwrap();
        let script = r#"
import sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), b"s3cret")
h = {256: hashes.SHA256(), 384: hashes.SHA384(), 521: hashes.SHA512()}[key.curve.key_size]
key.public_key().verify(open(sys.argv[2], "rb").read(), b"DSSEv1 payload", ec.ECDSA(h))
sys.stdout.write(key.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())
# Signatures by cryptography (random nonces, so high and low S values both occur).
for _ in range(8):
    print(key.sign(b"from python", ec.ECDSA(h)).hex())
"#;
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&key_path)
            .arg(&sig_path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{curve}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let end = stdout.find("-----END PUBLIC KEY-----\n").unwrap() + 25;
        let (pem, signatures) = stdout.split_at(end);
        assert_eq!(pem, key.public_key().to_pem());
        assert_eq!(signatures.lines().count(), 8);
        for sig in signatures.lines() {
            let sig = hex::decode(sig).unwrap();
            key.public_key().verify(b"from python", &sig).unwrap();
        }

        match Command::new("openssl")
            .args(["pkey", "-pubout", "-passin", "pass:s3cret", "-in"])
            .arg(&key_path)
            .output()
        {
            Ok(out) => {
                assert!(
                    out.status.success(),
                    "{curve}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert_eq!(
                    String::from_utf8(out.stdout).unwrap(),
                    key.public_key().to_pem()
                );
            }
            Err(_) => eprintln!("skipped: openssl is not installed"),
        }
    }
}
