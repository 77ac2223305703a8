//! Fuzzes everything airlock reads from a signature file before trusting it: the Sigstore
//! bundle, its DSSE envelope, the in-toto statement, the X.509 chain (validated against a
//! fixed test root), and PEM keys and certificates.

#![no_main]

use std::sync::OnceLock;

use airlock_integrity::signing::bundle::Bundle;
use airlock_integrity::signing::certificate::{parse_pem_certificates, verify_chain};
use airlock_integrity::signing::keys::{PrivateKey, PublicKey};
use airlock_integrity::signing::statement::parse_payload;
use airlock_integrity::signing::verify::{Trust, check_signature};
use libfuzzer_sys::fuzz_target;

fn anchors() -> &'static Vec<Vec<u8>> {
    static ANCHORS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    ANCHORS.get_or_init(|| {
        parse_pem_certificates(include_str!(
            "../../crates/airlock-integrity/tests/data/certs/root-ca.pem"
        ))
        .expect("test root parses")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = Bundle::parse(data) {
        if let Ok(content) = bundle.signed_content() {
            let _ = parse_payload(&content.payload);
        }
        if let Ok(Some(chain)) = bundle.certificate_chain() {
            let _ = verify_chain(&chain, anchors());
        }
        let _ = check_signature(data, &Trust::CertificateAnchors(anchors().clone()));
    }
    let _ = parse_payload(data);
    let text = String::from_utf8_lossy(data);
    let _ = PublicKey::from_pem(&text);
    let _ = PrivateKey::from_pem(&text, None);
    let _ = parse_pem_certificates(&text);
    let _ = verify_chain(&[data.to_vec()], anchors());
});
