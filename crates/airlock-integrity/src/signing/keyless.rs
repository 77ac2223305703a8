//! Offline verification of keyless Sigstore signatures made by `model_signing sign sigstore`
//! (`../shared/research/bom-signing.md` §4.3, §4.8).
//!
//! A keyless OMS signature is a Sigstore bundle (v0.3) holding a Fulcio signing certificate,
//! a Rekor transparency-log entry with its inclusion proof and promise, optional RFC 3161
//! timestamps, and a DSSE envelope whose payload is the in-toto statement. All checks are
//! done by `sigstore-verify` against a trusted root, with no network access:
//!
//! - the certificate chains to a Fulcio CA in the root, has its SCT, and was valid at every
//!   authenticated signing time (Rekor integrated time, RFC 3161 timestamps);
//! - the Rekor entry is in the log (inclusion proof, signed checkpoint, inclusion promise)
//!   and describes this signature;
//! - the DSSE signature verifies with the certificate's key;
//! - the statement's subject is the digest the caller computed from the local files;
//! - the certificate names the identity and OIDC issuer the caller expects.
//!
//! The trusted root is either a file the user passes or the Sigstore public-good root
//! embedded at build time ([`KeylessTrustRoot`]).

use std::path::Path;

use sha2::{Digest, Sha256};
use sigstore_verify::types::bundle::VerificationMaterialContent;
use sigstore_verify::types::{Bundle, Sha256Hash, SignatureContent};
use sigstore_verify::{Error as SigstoreError, VerificationPolicy, Verifier};

/// Who must have signed: what `model_signing verify sigstore --identity --identity_provider`
/// takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeylessPolicy {
    /// The certificate's subject alternative name (an email address or URI), matched exactly.
    pub identity: String,
    /// The OIDC issuer recorded in the certificate, matched exactly.
    pub issuer: String,
}

/// The Fulcio, Rekor, CT-log and timestamp-authority keys a keyless signature is checked
/// against, prepared once so several signatures can be verified with it.
///
/// [`KeylessTrustRoot::embedded`] is the Sigstore public-good root that `sigstore-trust-root`
/// 0.15.1 ships. It goes stale when Sigstore rotates or adds keys (a new Rekor shard, a new
/// Fulcio CA or timestamp authority): signatures made after such a change then fail to
/// verify. Pass a current `trusted_root.json` instead with [`KeylessTrustRoot::from_file`]:
/// it is the `trusted_root.json` target of Sigstore's TUF repository
/// (<https://tuf-repo-cdn.sigstore.dev>), which any TUF-aware Sigstore client fetches and
/// caches (e.g. `cosign initialize` under `~/.sigstore/root/`); `gh attestation
/// trusted-root` prints it as one JSON object per line, of which one line is the file.
pub struct KeylessTrustRoot {
    verifier: Verifier,
}

impl std::fmt::Debug for KeylessTrustRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeylessTrustRoot").finish_non_exhaustive()
    }
}

impl KeylessTrustRoot {
    /// The Sigstore public-good production root embedded at build time, for use without a
    /// trusted-root file (see the type's documentation on staleness).
    pub fn embedded() -> Result<Self, KeylessError> {
        Self::from_json(
            sigstore_trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT,
            "the embedded Sigstore public-good root",
        )
    }

    /// A `trusted_root.json` file the user passed, in the Sigstore trusted-root format.
    pub fn from_file(path: &Path) -> Result<Self, KeylessError> {
        let json =
            std::fs::read_to_string(path).map_err(|source| KeylessError::TrustRootUnreadable {
                path: path.to_path_buf(),
                source,
            })?;
        Self::from_json(&json, &format!("`{}`", path.display()))
    }

    fn from_json(json: &str, origin: &str) -> Result<Self, KeylessError> {
        let invalid = |reason: String| KeylessError::TrustRootInvalid {
            origin: origin.to_owned(),
            reason,
        };
        let root = sigstore_trust_root::TrustedRoot::from_json(json)
            .map_err(|error| invalid(error.to_string()))?;
        let verifier = Verifier::new(&root).map_err(|error| invalid(error.to_string()))?;
        Ok(Self { verifier })
    }
}

/// What a successful keyless verification established, for the user to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeylessVerified {
    /// The signer's identity from the certificate (equal to the policy's).
    pub identity: String,
    /// The OIDC issuer from the certificate (equal to the policy's).
    pub issuer: String,
    /// When Rekor logged the signature (UTC, RFC 3339); absent for Rekor v2 entries, which
    /// rely on RFC 3161 timestamps instead.
    pub integrated_time: Option<String>,
    /// Every authenticated time the certificate was checked against (Rekor integrated time,
    /// RFC 3161 timestamps), UTC, RFC 3339.
    pub verified_times: Vec<String>,
    /// The Rekor log index of the signature's entry.
    pub log_index: Option<u64>,
    /// Lowercase hex SHA-256 of the signing certificate's DER, to look the certificate up.
    pub certificate_sha256: String,
    /// The verified DSSE payload (the in-toto statement), exactly the signed bytes, so the
    /// caller parses what was verified rather than re-reading the bundle.
    pub payload: Vec<u8>,
}

/// Why a keyless signature was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum KeylessError {
    /// The signature file is not a Sigstore bundle (or not one `model_signing` makes).
    #[error("not a Sigstore bundle: {0}")]
    Malformed(String),
    /// The bundle was signed with a private key (`model_signing sign key`).
    #[error("this signature was made with a key, not with Sigstore keyless signing; use --key")]
    MadeWithKey,
    /// The bundle was signed with a certificate chain (`model_signing sign certificate`).
    #[error(
        "this signature was made with a certificate, not with Sigstore keyless signing; use --certificate-chain"
    )]
    MadeWithCertificate,
    /// The certificate is valid but names someone else.
    #[error("signer identity mismatch: expected {expected}, the certificate names {found}")]
    IdentityMismatch {
        /// The identity the policy requires.
        expected: String,
        /// The identity in the certificate (`none` when it has none).
        found: String,
    },
    /// The certificate is valid but was issued for another OIDC issuer.
    #[error("OIDC issuer mismatch: expected {expected}, the certificate names {found}")]
    IssuerMismatch {
        /// The issuer the policy requires.
        expected: String,
        /// The issuer in the certificate (`none` when it has none).
        found: String,
    },
    /// The signed statement is about other content than the files at hand (its subject
    /// digest is not the one computed from them); reported once the certificate, log entry
    /// and DSSE signature have been checked.
    #[error(
        "the signature does not cover these files: the signed statement's subject digest differs from theirs"
    )]
    SubjectMismatch,
    /// The trusted-root file could not be read.
    #[error("cannot read the trusted root `{}`", path.display())]
    TrustRootUnreadable {
        /// The file passed.
        path: std::path::PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The trusted root is not a usable Sigstore `trusted_root.json`.
    #[error("the trusted root {origin} is not a usable Sigstore trusted_root.json: {reason}")]
    TrustRootInvalid {
        /// Where the root came from (a path, or the embedded root).
        origin: String,
        /// The library's reason.
        reason: String,
    },
    /// A cryptographic or consistency check failed (certificate chain, transparency log,
    /// timestamp, signature, or the subject digest).
    #[error("Sigstore verification failed: {0}")]
    Verification(String),
}

/// Verifies a keyless Sigstore bundle (`model.sig`) offline and binds it to `subject_sha256`,
/// the OMS subject digest the caller computed from the local files.
///
/// Returns the signer and log details and the verified in-toto statement bytes; the caller
/// still compares the statement's per-file digests with the files.
pub fn verify_keyless(
    bundle_json: &str,
    subject_sha256: &[u8; 32],
    root: &KeylessTrustRoot,
    policy: &KeylessPolicy,
) -> Result<KeylessVerified, KeylessError> {
    reject_other_methods(bundle_json)?;
    let bundle = Bundle::from_json(bundle_json)
        .map_err(|error| KeylessError::Malformed(error.to_string()))?;
    // The classification above ran on a generic JSON parse; decide again on the parse that
    // is verified, so the two parsers cannot disagree about what kind of bundle this is.
    match &bundle.verification_material.content {
        VerificationMaterialContent::PublicKey(_) => return Err(KeylessError::MadeWithKey),
        VerificationMaterialContent::X509CertificateChain { .. }
            if bundle.verification_material.tlog_entries.is_empty() =>
        {
            return Err(KeylessError::MadeWithCertificate);
        }
        _ => {}
    }
    let SignatureContent::DsseEnvelope(envelope) = &bundle.content else {
        return Err(KeylessError::Malformed(
            "no DSSE envelope: model_signing signs an in-toto statement in a DSSE envelope"
                .to_owned(),
        ));
    };

    let sigstore_policy = VerificationPolicy::new(policy.identity.as_str(), policy.issuer.as_str());
    let result = root
        .verifier
        .verify(Sha256Hash::new(*subject_sha256), &bundle, &sigstore_policy)
        .map_err(|error| match error {
            SigstoreError::IdentityMismatch { actual, .. } => KeylessError::IdentityMismatch {
                expected: policy.identity.clone(),
                found: actual.map_or_else(|| "none".to_owned(), |san| san.as_str().to_owned()),
            },
            SigstoreError::IssuerMismatch { actual, .. } => KeylessError::IssuerMismatch {
                expected: policy.issuer.clone(),
                found: actual.unwrap_or_else(|| "none".to_owned()),
            },
            SigstoreError::ArtifactMismatch(_) => KeylessError::SubjectMismatch,
            other => KeylessError::Verification(other.to_string()),
        })?;

    // Fail closed should a future library version relax its defaults.
    if !(result.certificate_verified()
        && result.sct_verified()
        && result.tlog_verified()
        && result.identity_policy_checked())
    {
        return Err(KeylessError::Verification(
            "the library skipped a required check (certificate, SCT, transparency log or identity)"
                .to_owned(),
        ));
    }
    let (Some(identity), Some(issuer)) = (result.identity(), result.issuer()) else {
        return Err(KeylessError::Verification(
            "the certificate has no identity or issuer".to_owned(),
        ));
    };
    let certificate = bundle
        .signing_certificate()
        .ok_or_else(|| KeylessError::Malformed("no signing certificate".to_owned()))?;

    Ok(KeylessVerified {
        identity: identity.as_str().to_owned(),
        issuer: issuer.to_owned(),
        integrated_time: result.integrated_time().map(|time| time.to_string()),
        verified_times: result
            .verified_timestamps()
            .iter()
            .map(ToString::to_string)
            .collect(),
        log_index: bundle
            .verification_material
            .tlog_entries
            .first()
            .map(|entry| entry.log_index.get()),
        certificate_sha256: hex::encode(Sha256::digest(certificate.as_bytes())),
        payload: envelope.payload.as_bytes().to_vec(),
    })
}

/// Names the signing method of OMS key and certificate bundles, which `sigstore-verify`
/// would only reject with a generic "unsupported bundle"; the typed parse may not even
/// accept them (OMS certificate bundles are v0.3 with a chain, which the spec forbids).
fn reject_other_methods(bundle_json: &str) -> Result<(), KeylessError> {
    let value: serde_json::Value = serde_json::from_str(bundle_json)
        .map_err(|error| KeylessError::Malformed(format!("not JSON: {error}")))?;
    let material = value
        .get("verificationMaterial")
        .and_then(serde_json::Value::as_object)
        .ok_or_else(|| KeylessError::Malformed("no verificationMaterial object".to_owned()))?;
    if material.contains_key("publicKey") {
        return Err(KeylessError::MadeWithKey);
    }
    let no_log_entries = material
        .get("tlogEntries")
        .and_then(serde_json::Value::as_array)
        .is_none_or(Vec::is_empty);
    if material.contains_key("x509CertificateChain") && no_log_entries {
        return Err(KeylessError::MadeWithCertificate);
    }
    Ok(())
}
