//! The Sigstore bundle (v0.3, protobuf JSON) that carries an OMS signature: a DSSE
//! envelope plus the material to check it with (a public-key hint, an X.509 chain, or a
//! Fulcio certificate with transparency-log entries).
//!
//! Only the fields OMS uses are typed; unknown fields are ignored when reading, as
//! protobuf JSON parsers do. Both protobuf JSON spellings (`camelCase` and the original
//! `snake_case` field names) are accepted.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::SignatureError;
use super::dsse::IN_TOTO_PAYLOAD_TYPE;

/// The media type `model_signing` 1.x writes.
pub const MEDIA_TYPE_V0_3: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// A bundle as read from or written to a `model.sig` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// Bundle format version.
    #[serde(alias = "media_type")]
    pub media_type: String,
    /// What the signature is checked with.
    #[serde(alias = "verification_material")]
    pub verification_material: VerificationMaterial,
    /// The signed statement.
    #[serde(alias = "dsse_envelope")]
    pub dsse_envelope: Option<Envelope>,
}

/// The verification material of a bundle; exactly one of the key forms is set.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMaterial {
    /// A key the verifier already has, named by a hint.
    #[serde(alias = "public_key", skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyIdentifier>,
    /// Leaf certificate first, then intermediates (OMS `sign certificate`).
    #[serde(
        alias = "x509_certificate_chain",
        skip_serializing_if = "Option::is_none"
    )]
    pub x509_certificate_chain: Option<CertificateChain>,
    /// A single leaf certificate (Sigstore keyless, Fulcio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Certificate>,
    /// Transparency-log entries, kept as JSON for the keyless verifier.
    #[serde(alias = "tlog_entries", default, deserialize_with = "null_as_default")]
    pub tlog_entries: Vec<serde_json::Value>,
    /// RFC 3161 timestamps, kept as JSON for the keyless verifier.
    #[serde(
        alias = "timestamp_verification_data",
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp_verification_data: Option<serde_json::Value>,
}

/// Names the public key that signed: OMS puts the hex SHA-256 of its PEM here.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PublicKeyIdentifier {
    /// Absent in signatures made before model_signing 1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// An X.509 chain as carried in a bundle.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CertificateChain {
    /// DER certificates, leaf first.
    #[serde(default, deserialize_with = "null_as_default")]
    pub certificates: Vec<Certificate>,
}

/// One DER certificate, base64 in JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    /// Base64 of the DER bytes.
    #[serde(alias = "raw_bytes")]
    pub raw_bytes: String,
}

/// A DSSE envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Base64 of the exact signed statement bytes.
    pub payload: String,
    /// What the payload is (`application/vnd.in-toto+json`).
    #[serde(alias = "payload_type")]
    pub payload_type: String,
    /// OMS writes exactly one.
    #[serde(default, deserialize_with = "null_as_default")]
    pub signatures: Vec<EnvelopeSignature>,
}

/// One DSSE signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Base64 of the ASN.1 DER ECDSA signature over the PAE.
    pub sig: String,
    /// Empty in OMS signatures (`null` in those of model_signing 1.0).
    #[serde(default, deserialize_with = "null_as_default")]
    pub keyid: String,
}

impl Bundle {
    /// A key-signed bundle exactly as `model_signing sign key` writes one.
    pub fn with_key_hint(payload: &[u8], signature: &[u8], hint: String) -> Self {
        Self::new(
            VerificationMaterial {
                public_key: Some(PublicKeyIdentifier { hint: Some(hint) }),
                ..VerificationMaterial::default()
            },
            payload,
            signature,
        )
    }

    /// A certificate-signed bundle exactly as `model_signing sign certificate` writes one.
    pub fn with_certificate_chain(payload: &[u8], signature: &[u8], chain: &[Vec<u8>]) -> Self {
        let certificates = chain
            .iter()
            .map(|der| Certificate {
                raw_bytes: STANDARD.encode(der),
            })
            .collect();
        Self::new(
            VerificationMaterial {
                x509_certificate_chain: Some(CertificateChain { certificates }),
                ..VerificationMaterial::default()
            },
            payload,
            signature,
        )
    }

    fn new(verification_material: VerificationMaterial, payload: &[u8], signature: &[u8]) -> Self {
        Bundle {
            media_type: MEDIA_TYPE_V0_3.to_owned(),
            verification_material,
            dsse_envelope: Some(Envelope {
                payload: STANDARD.encode(payload),
                payload_type: IN_TOTO_PAYLOAD_TYPE.to_owned(),
                signatures: vec![EnvelopeSignature {
                    sig: STANDARD.encode(signature),
                    keyid: String::new(),
                }],
            }),
        }
    }

    /// Parses a signature file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, SignatureError> {
        serde_json::from_slice(bytes)
            .map_err(|err| SignatureError::Malformed(format!("not a Sigstore bundle: {err}")))
    }

    /// One line of JSON, as model_signing writes it.
    pub fn to_json(&self) -> String {
        // Serializing these plain structs cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The envelope's payload, payload type and single signature, decoded.
    pub fn signed_content(&self) -> Result<SignedContent, SignatureError> {
        let envelope = self
            .dsse_envelope
            .as_ref()
            .ok_or_else(|| SignatureError::Malformed("the bundle has no DSSE envelope".into()))?;
        let [signature] = envelope.signatures.as_slice() else {
            return Err(SignatureError::Malformed(format!(
                "the DSSE envelope has {} signatures; OMS signatures have exactly one",
                envelope.signatures.len()
            )));
        };
        Ok(SignedContent {
            payload: decode("dsseEnvelope.payload", &envelope.payload)?,
            payload_type: envelope.payload_type.clone(),
            signature: decode("dsseEnvelope.signatures[0].sig", &signature.sig)?,
        })
    }

    /// The DER certificates of an `x509CertificateChain`, leaf first.
    pub fn certificate_chain(&self) -> Result<Option<Vec<Vec<u8>>>, SignatureError> {
        let Some(chain) = &self.verification_material.x509_certificate_chain else {
            return Ok(None);
        };
        chain
            .certificates
            .iter()
            .map(|certificate| decode("x509CertificateChain", &certificate.raw_bytes))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// What a DSSE envelope signs, decoded from base64.
#[derive(Debug, Clone)]
pub struct SignedContent {
    /// The exact statement bytes.
    pub payload: Vec<u8>,
    /// The declared payload type.
    pub payload_type: String,
    /// The raw signature bytes.
    pub signature: Vec<u8>,
}

/// Protobuf JSON writers may spell an unset field as `null`.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn decode(field: &str, text: &str) -> Result<Vec<u8>, SignatureError> {
    STANDARD
        .decode(text.trim())
        .map_err(|err| SignatureError::Malformed(format!("{field} is not base64: {err}")))
}
