//! Making an OMS signature: statement → DSSE PAE → ECDSA → Sigstore bundle, byte-for-byte
//! the shape `model_signing sign key` / `sign certificate` 1.1.1 writes.

use super::SignatureError;
use super::bundle::Bundle;
use super::dsse::{IN_TOTO_PAYLOAD_TYPE, pae};
use super::keys::{PrivateKey, PublicKey};
use super::manifest::Manifest;
use super::statement::to_payload;

/// Signs `manifest` with `key`. With a certificate chain (leaf first, DER), the bundle
/// carries the chain; otherwise it names the key by its hint.
pub fn sign(
    manifest: &Manifest,
    key: &PrivateKey,
    certificate_chain: Option<&[Vec<u8>]>,
) -> Result<Bundle, SignatureError> {
    let payload = to_payload(manifest);
    let signature = key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, &payload));
    Ok(match certificate_chain {
        None => Bundle::with_key_hint(&payload, &signature, key.public_key().hint()),
        Some(chain) => {
            let leaf = chain.first().ok_or_else(|| {
                SignatureError::Malformed("the certificate file holds no certificate".into())
            })?;
            if leaf_public_key(leaf)? != key.public_key() {
                return Err(SignatureError::Malformed(
                    "the certificate is not for this private key".into(),
                ));
            }
            Bundle::with_certificate_chain(&payload, &signature, chain)
        }
    })
}

/// The public key a DER certificate certifies.
fn leaf_public_key(der: &[u8]) -> Result<PublicKey, SignatureError> {
    use x509_cert::der::{Decode, Encode};
    let certificate = x509_cert::Certificate::from_der(der).map_err(|err| {
        SignatureError::Malformed(format!("the signing certificate is not DER X.509: {err}"))
    })?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|err| {
            SignatureError::Malformed(format!("the signing certificate's key: {err}"))
        })?;
    Ok(PublicKey::from_spki_der(&spki)?)
}
