//! Checking a model on disk against the manifest a signature states: hashed the way the
//! signer recorded, compared resource by resource, with every difference named.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use super::SignatureError;
use super::bundle::Bundle;
use super::certificate::verify_chain;
use super::dsse::{IN_TOTO_PAYLOAD_TYPE, pae, pae_v0_2};
use super::keys::{KeyError, PublicKey};
use super::manifest::{
    self, DEFAULT_IGNORE_PATHS, Manifest, Resource, Serialization, component_cmp,
};
use super::statement::{SignedStatement, parse_payload};
use crate::{IntegrityError, Progress};

/// What a signature must be traced back to.
pub enum Trust {
    /// The signer's public key (`model_signing sign key`).
    Key(PublicKey),
    /// DER certificates the signing certificate must chain to (`sign certificate`).
    CertificateAnchors(Vec<Vec<u8>>),
    /// A Sigstore keyless signer, checked offline (`sign sigstore`).
    #[cfg(feature = "sigstore")]
    Keyless {
        /// Fulcio, Rekor and timestamp authorities to trust.
        root: super::keyless::KeylessTrustRoot,
        /// The identity and issuer the certificate must name.
        policy: super::keyless::KeylessPolicy,
    },
}

/// A signature that holds: what it states and who made it.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// The signed statement.
    pub statement: SignedStatement,
    /// Who signed, in words (key hint, certificate subject, or keyless identity).
    pub signer: String,
    /// Things the user should know although the signature holds.
    pub warnings: Vec<String>,
}

/// Checks a signature file's bundle against `trust` and reads the statement it signs. Any
/// `Err` means the signature does not hold (or cannot be read); the files are not looked at.
pub fn check_signature(signature: &[u8], trust: &Trust) -> Result<SignatureCheck, SignatureError> {
    let bundle = Bundle::parse(signature)?;
    let content = bundle.signed_content()?;
    let mut warnings = Vec::new();
    // Keyless verification needs the stated subject digest up front; the others parse the
    // statement only once its signature holds.
    #[cfg_attr(not(feature = "sigstore"), allow(unused_mut))]
    let mut stated = None;
    let signer = match trust {
        Trust::Key(key) => {
            let material = &bundle.verification_material;
            if material.x509_certificate_chain.is_some() || material.certificate.is_some() {
                return Err(SignatureError::WrongTrust(
                    "this signature was made with a certificate; verify it with --certificate-chain (or --identity/--issuer for keyless)",
                ));
            }
            match material.public_key.as_ref().and_then(|key| key.hint.as_deref()) {
                Some(hint) if hint != key.hint() => {
                    return Err(SignatureError::KeyMismatch {
                        signed: hint.to_owned(),
                        given: key.hint(),
                    });
                }
                Some(_) => {}
                None => warnings.push(
                    "the signature does not name its key (made before model_signing 1.1); checked with the given key only"
                        .to_owned(),
                ),
            }
            verify_dsse(key, &content.payload, &content.signature, false)?;
            format!("key {}", key.hint())
        }
        Trust::CertificateAnchors(anchors) => {
            let chain = bundle.certificate_chain()?.ok_or(SignatureError::WrongTrust(
                "this signature carries no certificate chain; verify it with --key (or --identity/--issuer for keyless)",
            ))?;
            let leaf = verify_chain(&chain, anchors)?;
            verify_dsse(&leaf.public_key, &content.payload, &content.signature, true)?;
            format!(
                "certificate {} (sha256 {})",
                leaf.subject, leaf.sha256_fingerprint
            )
        }
        #[cfg(feature = "sigstore")]
        Trust::Keyless { root, policy } => {
            // The subject digest comes from the statement; keyless verification binds the
            // signature to it, and the files are compared with the statement afterwards.
            let statement = stated.insert(parse_payload(&content.payload)?);
            let json = std::str::from_utf8(signature)
                .map_err(|_| SignatureError::Malformed("the signature file is not UTF-8".into()))?;
            let verified = super::keyless::verify_keyless(
                json,
                &statement.manifest.subject_sha256(),
                root,
                policy,
            )?;
            if verified.payload != content.payload {
                return Err(SignatureError::Malformed(
                    "the keyless verifier and airlock read different payloads from the bundle"
                        .into(),
                ));
            }
            let when = verified
                .integrated_time
                .as_deref()
                .map(|time| format!(", logged {time}"))
                .unwrap_or_default();
            format!(
                "{} (issuer {}{when}, certificate sha256 {})",
                verified.identity, verified.issuer, verified.certificate_sha256
            )
        }
    };
    if content.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(SignatureError::Statement(format!(
            "the envelope carries `{}`, not {IN_TOTO_PAYLOAD_TYPE}",
            content.payload_type
        )));
    }
    let statement = match stated {
        Some(statement) => statement,
        None => parse_payload(&content.payload)?,
    };
    Ok(SignatureCheck {
        statement,
        signer,
        warnings,
    })
}

/// Verifies the DSSE signature as model_signing does, falling back to its 0.2 PAE (which
/// certificate signatures of that era also hashed with SHA-256 whatever the curve).
fn verify_dsse(
    key: &PublicKey,
    payload: &[u8],
    signature: &[u8],
    legacy_sha256: bool,
) -> Result<(), SignatureError> {
    if key
        .verify(&pae(IN_TOTO_PAYLOAD_TYPE, payload), signature)
        .is_ok()
    {
        return Ok(());
    }
    let legacy = pae_v0_2(payload);
    let result = if legacy_sha256 {
        key.verify_sha256(&legacy, signature)
    } else {
        key.verify(&legacy, signature)
    };
    result.map_err(|err| match err {
        KeyError::BadSignature(_) => SignatureError::BadSignature,
        other => SignatureError::Key(other),
    })
}

/// What the verifier adds to the serialization the signature records.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// More model-relative paths to leave out.
    pub ignore_paths: Vec<String>,
    /// Leave out `.git`, `.gitignore`, `.gitattributes` and `.github` (model_signing's default).
    pub ignore_git_paths: bool,
    /// Follow symbolic links even if the signer did not.
    pub allow_symlinks: bool,
    /// Hash only the files the signature lists, so files added since do not fail.
    pub ignore_unsigned_files: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            ignore_paths: Vec::new(),
            ignore_git_paths: true,
            allow_symlinks: false,
            ignore_unsigned_files: false,
        }
    }
}

/// A resource as reported to the user: name, algorithm and hex digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceDigest {
    /// File (or `file:start:end` shard) name relative to the model.
    pub name: String,
    /// The algorithm label (`sha256`, `sha256-sharded-<size>`, `blake3`...).
    pub algorithm: String,
    /// Lowercase hex.
    pub digest: String,
}

impl From<&Resource> for ResourceDigest {
    fn from(resource: &Resource) -> Self {
        ResourceDigest {
            name: resource.name.clone(),
            algorithm: resource.algorithm.clone(),
            digest: hex::encode(&resource.digest),
        }
    }
}

/// A resource whose content changed since signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// As signed.
    pub expected: ResourceDigest,
    /// As on disk.
    pub actual: ResourceDigest,
}

/// Every way a model differs from its signed manifest; empty when it verifies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ManifestDiff {
    /// Signed and present, different content.
    pub mismatched: Vec<Mismatch>,
    /// Signed, no longer present.
    pub missing: Vec<ResourceDigest>,
    /// Present, not signed.
    pub extra: Vec<ResourceDigest>,
}

impl ManifestDiff {
    /// Whether the model matches the signature.
    pub fn is_clean(&self) -> bool {
        self.mismatched.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// The model hashed as signed, and how it differs.
#[derive(Debug, Clone)]
pub struct ModelCheck {
    /// The manifest of the model as it is now.
    pub actual: Manifest,
    /// The differences from the signed manifest.
    pub diff: ManifestDiff,
}

/// Hashes `model` with the serialization `signed` records (plus `options`) and compares.
/// Resources compare by name and (algorithm, digest); the model name is informative and
/// not compared, as in model_signing.
pub fn check_model(
    model: &Path,
    signed: &Manifest,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<ModelCheck, IntegrityError> {
    let mut serialization: Serialization = signed.serialization.clone();
    serialization.allow_symlinks |= options.allow_symlinks;
    serialization
        .ignore_paths
        .extend(options.ignore_paths.iter().cloned());
    if options.ignore_git_paths {
        serialization
            .ignore_paths
            .extend(DEFAULT_IGNORE_PATHS.iter().map(|path| (*path).to_owned()));
    }
    let only: Option<BTreeSet<String>> = options.ignore_unsigned_files.then(|| {
        signed
            .resources
            .iter()
            .map(|resource| resource.file(signed.serialization.method).to_owned())
            .collect()
    });
    let actual = manifest::compute(model, &serialization, only.as_ref(), progress)?;
    let diff = compare(signed, &actual);
    Ok(ModelCheck { actual, diff })
}

/// The differences between two manifests, in OMS order within each list.
pub fn compare(expected: &Manifest, actual: &Manifest) -> ManifestDiff {
    let mut signed: BTreeMap<&str, &Resource> = expected
        .resources
        .iter()
        .map(|resource| (resource.name.as_str(), resource))
        .collect();
    let mut diff = ManifestDiff::default();
    for resource in &actual.resources {
        match signed.remove(resource.name.as_str()) {
            None => diff.extra.push(resource.into()),
            Some(expected) => {
                if expected.algorithm != resource.algorithm || expected.digest != resource.digest {
                    diff.mismatched.push(Mismatch {
                        expected: expected.into(),
                        actual: resource.into(),
                    });
                }
            }
        }
    }
    diff.missing = signed.into_values().map(ResourceDigest::from).collect();
    diff.missing.sort_by(|a, b| component_cmp(&a.name, &b.name));
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoProgress;

    fn write(dir: &Path, name: &str, content: &[u8]) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    #[test]
    fn names_each_modified_missing_and_extra_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.txt", b"a");
        write(dir.path(), "sub/b", b"b");
        write(dir.path(), "gone", b"g");
        write(dir.path(), ".gitignore", b"x");
        let signed =
            manifest::compute(dir.path(), &Serialization::default(), None, &NoProgress).unwrap();
        assert_eq!(signed.resources.len(), 3);

        write(dir.path(), "a.txt", b"A");
        std::fs::remove_file(dir.path().join("gone")).unwrap();
        write(dir.path(), "new", b"n");
        write(dir.path(), ".gitignore", b"edited");
        let check =
            check_model(dir.path(), &signed, &VerifyOptions::default(), &NoProgress).unwrap();
        assert_eq!(check.diff.mismatched.len(), 1);
        assert_eq!(check.diff.mismatched[0].expected.name, "a.txt");
        assert_eq!(
            check.diff.mismatched[0].actual.digest,
            hex::encode(crate::hash::sha256(b"A"))
        );
        assert_eq!(check.diff.missing[0].name, "gone");
        assert_eq!(check.diff.extra[0].name, "new");

        let unsigned_ok = VerifyOptions {
            ignore_unsigned_files: true,
            ..VerifyOptions::default()
        };
        let check = check_model(dir.path(), &signed, &unsigned_ok, &NoProgress).unwrap();
        assert!(check.diff.extra.is_empty());
        assert_eq!(check.diff.missing.len(), 1);
    }

    #[test]
    fn recorded_and_extra_ignore_paths_apply() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "keep", b"k");
        write(dir.path(), "skip/x", b"x");
        let mut serialization = Serialization::default();
        serialization.ignore_paths.push("skip".into());
        let signed = manifest::compute(dir.path(), &serialization, None, &NoProgress).unwrap();
        write(dir.path(), "skip/y", b"y");
        write(dir.path(), "log/z", b"z");
        let options = VerifyOptions {
            ignore_paths: vec!["log".into()],
            ..VerifyOptions::default()
        };
        let check = check_model(dir.path(), &signed, &options, &NoProgress).unwrap();
        assert!(check.diff.is_clean(), "{:?}", check.diff);
    }
}
