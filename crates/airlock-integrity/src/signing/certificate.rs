//! X.509 chains for OMS `certificate` signatures: the bundle carries the signing certificate
//! (leaf first) and maybe intermediates; the verifier trusts the certificates it was given.
//!
//! [`verify_chain`] follows what `model_signing` 1.1.1 (`_signing/sign_certificate.py`) does
//! with OpenSSL's `X509_verify_cert` and default flags, then its own key-usage check:
//!
//! - The path runs from the leaf through bundle certificates and/or trusted certificates and
//!   must end at a **self-issued trusted certificate** (a root). A trusted certificate that is
//!   not self-issued acts as an intermediate, as in OpenSSL without `X509_V_FLAG_PARTIAL_CHAIN`;
//!   a self-signed root that is only in the bundle is not trusted. The trusted root's own
//!   signature is not checked (OpenSSL's default too).
//! - Every issuer: its subject equals the child's issuer name, it verifies the child's
//!   signature, basicConstraints CA:TRUE, keyCertSign when keyUsage is present, and
//!   pathLenConstraint holds. The inner and outer signature algorithms must agree.
//! - **Time**: every certificate on the path must be valid at the leaf's notBefore, not
//!   now. `model_signing` sets the OpenSSL store time to that instant, so a leaf that has
//!   since expired still verifies; so does it here. There is no revocation checking.
//! - Leaf: keyUsage digitalSignature, or else extendedKeyUsage codeSigning (exactly
//!   `model_signing`'s check, done after the chain). Its key must be an OMS ECDSA key.
//!   A leaf with CA:TRUE is accepted (upstream's own test leaf is one).
//!
//! Deliberate differences from OpenSSL (all stricter):
//! - names are compared as DER bytes, not with OpenSSL's case- and space-folding;
//! - an issuer needs basicConstraints CA:TRUE: OpenSSL also takes a v1 self-signed root or
//!   a keyCertSign-only certificate as a CA;
//! - unknown critical extensions are rejected as OpenSSL does, but name constraints and
//!   policy constraints are not implemented, so certificates marking them critical are
//!   rejected; duplicate extensions are rejected;
//! - signature algorithms: RSA PKCS#1 v1.5, RSASSA-PSS (MGF1 over the same hash) and ECDSA
//!   (P-256/P-384/P-521), each with SHA-256/384/512 only (no SHA-1, DSA or EdDSA);
//! - at most [`MAX_PATH_LEN`] certificates on a path and [`MAX_BUNDLE_CERTIFICATES`] in a
//!   bundle (OpenSSL allows 100 levels).

use std::collections::HashSet;
use std::fmt;

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Reader, SliceReader};
use ecdsa::signature::Verifier as _;
use ecdsa::signature::hazmat::PrehashVerifier;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};

use super::keys::{KeyError, PublicKey, pem_blocks};

/// Longest accepted path, leaf and root included.
pub const MAX_PATH_LEN: usize = 8;
/// Most certificates accepted in one signature bundle.
pub const MAX_BUNDLE_CERTIFICATES: usize = 16;
/// Candidate issuers tried in one path search before giving up (hostile bundles can repeat
/// one name and key many times).
const MAX_STEPS: usize = 256;

mod oid {
    use der::asn1::ObjectIdentifier as Oid;

    pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
    pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
    pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
    pub const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
    pub const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
    pub const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
    pub const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
    pub const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
    pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
    pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
    pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
    pub const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
    pub const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
    pub const P521: Oid = Oid::new_unwrap("1.3.132.0.35");

    pub const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
    pub const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
    pub const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
    pub const SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
    pub const CERTIFICATE_POLICIES: Oid = Oid::new_unwrap("2.5.29.32");
    pub const CODE_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.3");
}

/// Extensions whose meaning is understood (or harmless to ignore) when marked critical.
const HANDLED_CRITICAL: &[ObjectIdentifier] = &[
    oid::BASIC_CONSTRAINTS,
    oid::KEY_USAGE,
    oid::EXT_KEY_USAGE,
    oid::SUBJECT_ALT_NAME,
    oid::CERTIFICATE_POLICIES,
];

/// Why a certificate chain was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// PEM text with no `CERTIFICATE` block.
    #[error("no `-----BEGIN CERTIFICATE-----` block found")]
    NoCertificates,
    /// A PEM block could not be decoded.
    #[error("malformed PEM: {0}")]
    Pem(String),
    /// Bytes that are not a DER X.509 certificate.
    #[error("{which} is not a valid X.509 certificate: {reason}")]
    Malformed {
        /// Which certificate, e.g. "bundle certificate 2" or "trusted certificate 1".
        which: String,
        /// The decoder's complaint.
        reason: String,
    },
    /// The signature bundle lists no certificates.
    #[error("the signature carries no certificates")]
    EmptyChain,
    /// No trusted certificates were supplied.
    #[error("no trusted certificates were given to verify the chain against")]
    NoTrustAnchors,
    /// A hostile or broken bundle with too many certificates.
    #[error(
        "the signature carries {0} certificates; at most {MAX_BUNDLE_CERTIFICATES} are accepted"
    )]
    TooManyCertificates(usize),
    /// No supplied certificate has the name of a certificate's issuer.
    #[error(
        "no issuer found for `{subject}`: neither the signature nor the trusted certificates contain `{issuer}`"
    )]
    IssuerNotFound {
        /// The certificate whose issuer is missing.
        subject: String,
        /// The issuer name it asks for.
        issuer: String,
    },
    /// A certificate's signature does not verify with its candidate issuer's key.
    #[error("the signature on `{subject}` does not verify with the key of `{issuer}`")]
    BadSignature {
        /// The certificate whose signature failed.
        subject: String,
        /// The issuer whose key was tried.
        issuer: String,
    },
    /// A signature or issuer key algorithm this verifier does not implement.
    #[error("`{subject}` is signed with {algorithm}, which is not supported")]
    UnsupportedAlgorithm {
        /// The certificate whose signature cannot be checked.
        subject: String,
        /// The algorithm (name or OID).
        algorithm: String,
    },
    /// A certificate issued another one but is not a CA.
    #[error("`{subject}` issued `{child}` but is not a CA ({reason})")]
    NotACa {
        /// The would-be issuer.
        subject: String,
        /// The certificate it issued.
        child: String,
        /// Which constraint failed.
        reason: &'static str,
    },
    /// A certificate lies outside its validity period at the leaf's notBefore.
    #[error(
        "`{subject}` is not valid at {at} (the signing certificate's notBefore): valid from {not_before} to {not_after}"
    )]
    NotValidAt {
        /// The certificate.
        subject: String,
        /// The instant checked (leaf notBefore).
        at: String,
        /// Its notBefore.
        not_before: String,
        /// Its notAfter.
        not_after: String,
    },
    /// The path ends at a self-signed certificate that is not trusted.
    #[error(
        "the chain ends at `{0}`, which is self-issued (a root) but not among the trusted certificates"
    )]
    UntrustedRoot(String),
    /// Certificates that certify each other without reaching a root.
    #[error("the chain loops back to `{0}` without reaching a trusted root")]
    Loop(String),
    /// The path would be longer than [`MAX_PATH_LEN`] or the search too long.
    #[error(
        "no chain of at most {MAX_PATH_LEN} certificates reaches a trusted root (search stopped at `{0}`)"
    )]
    TooLong(String),
    /// A critical extension this verifier does not process.
    #[error("`{subject}` has a critical extension this verifier does not process ({oid})")]
    UnhandledCriticalExtension {
        /// The certificate.
        subject: String,
        /// The extension OID.
        oid: String,
    },
    /// A malformed or repeated extension.
    #[error("`{subject}` has an invalid {oid} extension: {reason}")]
    BadExtension {
        /// The certificate.
        subject: String,
        /// The extension OID.
        oid: String,
        /// What is wrong.
        reason: String,
    },
    /// The signing certificate may not sign (model_signing's key-usage rule).
    #[error(
        "signing certificate `{0}` cannot be used for signing: it needs keyUsage digitalSignature or extendedKeyUsage codeSigning"
    )]
    NotForSigning(String),
    /// The signing certificate's key is not one OMS signs with.
    #[error("signing certificate `{subject}` has an unusable key: {source}")]
    LeafKey {
        /// The leaf's subject.
        subject: String,
        /// Why the key is rejected.
        #[source]
        source: KeyError,
    },
}

/// The signing certificate of a chain that verified, and what to report about it.
#[derive(Clone, Debug)]
pub struct VerifiedLeaf {
    /// The leaf's public key; the DSSE signature must verify with it.
    pub public_key: PublicKey,
    /// The leaf's subject, attributes in encoded order (`O=…,CN=…`).
    pub subject: String,
    /// Lowercase hex SHA-256 of the leaf's DER (what `--log_fingerprints` prints, without colons).
    pub sha256_fingerprint: String,
    /// The leaf's notBefore (RFC 3339), the instant the whole chain was checked at.
    pub checked_at: String,
    /// Subjects on the verified path, leaf first, trusted root last.
    pub path: Vec<String>,
    /// Lowercase hex SHA-256 of the trusted root's DER.
    pub root_sha256_fingerprint: String,
}

/// Every `CERTIFICATE` block in PEM text, as DER, checked to parse: the leaf and chain files of
/// `sign certificate` and the trusted certificates of `verify certificate`.
pub fn parse_pem_certificates(pem: &str) -> Result<Vec<Vec<u8>>, ChainError> {
    let blocks = pem_blocks(pem).map_err(ChainError::Pem)?;
    let ders: Vec<Vec<u8>> = blocks
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| b.der.to_vec())
        .collect();
    if ders.is_empty() {
        return Err(ChainError::NoCertificates);
    }
    for (i, der) in ders.iter().enumerate() {
        parse(der, || format!("PEM certificate {}", i + 1))?;
    }
    Ok(ders)
}

/// A decoded certificate with the facts path building needs.
struct Cert {
    cert: Certificate,
    der: Vec<u8>,
    tbs: Vec<u8>,
    subject: String,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
    trusted: bool,
    /// Extension problems only matter once the certificate is on a path (a bundle of trusted
    /// roots may hold certificates this verifier cannot process).
    ext: Result<Extensions, ExtensionProblem>,
}

enum ExtensionProblem {
    Unhandled { oid: String },
    Invalid { oid: String, reason: String },
}

#[derive(Default)]
struct Extensions {
    basic_constraints: Option<BasicConstraints>,
    key_usage: Option<KeyUsage>,
    ext_key_usage: Option<ExtendedKeyUsage>,
}

fn parse(der: &[u8], which: impl Fn() -> String) -> Result<Certificate, ChainError> {
    Certificate::from_der(der).map_err(|e| ChainError::Malformed {
        which: which(),
        reason: e.to_string(),
    })
}

impl Cert {
    fn new(der: &[u8], trusted: bool, which: impl Fn() -> String) -> Result<Self, ChainError> {
        let cert = parse(der, &which)?;
        let malformed = |e: der::Error| ChainError::Malformed {
            which: which(),
            reason: e.to_string(),
        };
        // The signed bytes exactly as they arrived (not re-encoded).
        let tbs = SliceReader::new(der)
            .and_then(|mut r| {
                r.sequence(|seq| {
                    let tbs = seq.tlv_bytes()?.to_vec();
                    seq.read_slice(seq.remaining_len())?;
                    Ok(tbs)
                })
            })
            .map_err(malformed)?;
        let tbs_cert = &cert.tbs_certificate;
        let subject = tbs_cert.subject.to_string();
        let subject_der = tbs_cert.subject.to_der().map_err(malformed)?;
        let issuer_der = tbs_cert.issuer.to_der().map_err(malformed)?;
        let ext = Extensions::read(&cert);
        Ok(Cert {
            der: der.to_vec(),
            tbs,
            subject,
            subject_der,
            issuer_der,
            trusted,
            ext,
            cert,
        })
    }

    fn extensions(&self) -> Result<&Extensions, ChainError> {
        self.ext.as_ref().map_err(|problem| match problem {
            ExtensionProblem::Unhandled { oid } => ChainError::UnhandledCriticalExtension {
                subject: self.subject.clone(),
                oid: oid.clone(),
            },
            ExtensionProblem::Invalid { oid, reason } => ChainError::BadExtension {
                subject: self.subject.clone(),
                oid: oid.clone(),
                reason: reason.clone(),
            },
        })
    }

    fn self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    /// Self-issued and signed by its own key: a root. (Upstream's test leaf is self-issued,
    /// named like the intermediate that signed it, and is not a root.)
    fn self_signed(&self) -> bool {
        self.self_issued() && self.verify_signature_on(self).is_ok()
    }

    fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(&self.der))
    }

    fn valid_at(&self, at: std::time::Duration) -> Result<(), ChainError> {
        let validity = &self.cert.tbs_certificate.validity;
        if validity.not_before.to_unix_duration() <= at
            && at <= validity.not_after.to_unix_duration()
        {
            Ok(())
        } else {
            Err(ChainError::NotValidAt {
                subject: self.subject.clone(),
                at: rfc3339(at),
                not_before: validity.not_before.to_string(),
                not_after: validity.not_after.to_string(),
            })
        }
    }

    /// Whether this certificate may issue `child`, given `below` non-self-issued
    /// intermediates between it and the leaf.
    fn may_issue(&self, child: &Cert, below: usize) -> Result<(), ChainError> {
        let not_a_ca = |reason| ChainError::NotACa {
            subject: self.subject.clone(),
            child: child.subject.clone(),
            reason,
        };
        let ext = self.extensions()?;
        let bc = ext
            .basic_constraints
            .as_ref()
            .ok_or_else(|| not_a_ca("no basicConstraints extension"))?;
        if !bc.ca {
            return Err(not_a_ca("basicConstraints CA:FALSE"));
        }
        if ext.key_usage.as_ref().is_some_and(|ku| !ku.key_cert_sign()) {
            return Err(not_a_ca("keyUsage lacks keyCertSign"));
        }
        if bc
            .path_len_constraint
            .is_some_and(|max| below > usize::from(max))
        {
            return Err(not_a_ca("pathLenConstraint exceeded"));
        }
        Ok(())
    }

    /// Checks that this certificate's key made `child`'s signature.
    fn verify_signature_on(&self, child: &Cert) -> Result<(), ChainError> {
        let unsupported = |algorithm: String| ChainError::UnsupportedAlgorithm {
            subject: child.subject.clone(),
            algorithm,
        };
        let bad = || ChainError::BadSignature {
            subject: child.subject.clone(),
            issuer: self.subject.clone(),
        };
        let alg = &child.cert.signature_algorithm;
        if *alg != child.cert.tbs_certificate.signature {
            return Err(ChainError::Malformed {
                which: format!("`{}`", child.subject),
                reason: "the signature algorithm inside and outside the signed part differ"
                    .to_owned(),
            });
        }
        let signature = child.cert.signature.as_bytes().ok_or_else(bad)?;
        let key_der = (self.cert.tbs_certificate.subject_public_key_info)
            .to_der()
            .map_err(|_| bad())?;
        let spki =
            spki::SubjectPublicKeyInfoRef::try_from(key_der.as_slice()).map_err(|_| bad())?;
        let msg = child.tbs.as_slice();
        match alg.oid {
            oid::SHA256_WITH_RSA
            | oid::SHA384_WITH_RSA
            | oid::SHA512_WITH_RSA
            | oid::RSASSA_PSS => {
                use rsa::pkcs8::DecodePublicKey as _;
                use rsa::{pkcs1v15, pss};
                if spki.algorithm.oid != oid::RSA_ENCRYPTION {
                    return Err(bad());
                }
                let key = rsa::RsaPublicKey::from_public_key_der(&key_der)
                    .map_err(|e| unsupported(format!("an RSA key it cannot use ({e})")))?;
                if alg.oid == oid::RSASSA_PSS {
                    let (hash, salt_len) = pss_parameters(alg)
                        .map_err(|reason| unsupported(format!("RSASSA-PSS {reason}")))?;
                    let sig = pss::Signature::try_from(signature).map_err(|_| bad())?;
                    match hash {
                        oid::SHA256 => {
                            pss::VerifyingKey::<Sha256>::new_with_salt_len(key, salt_len)
                                .verify(msg, &sig)
                        }
                        oid::SHA384 => {
                            pss::VerifyingKey::<Sha384>::new_with_salt_len(key, salt_len)
                                .verify(msg, &sig)
                        }
                        _ => pss::VerifyingKey::<Sha512>::new_with_salt_len(key, salt_len)
                            .verify(msg, &sig),
                    }
                } else {
                    let sig = pkcs1v15::Signature::try_from(signature).map_err(|_| bad())?;
                    match alg.oid {
                        oid::SHA256_WITH_RSA => {
                            pkcs1v15::VerifyingKey::<Sha256>::new(key).verify(msg, &sig)
                        }
                        oid::SHA384_WITH_RSA => {
                            pkcs1v15::VerifyingKey::<Sha384>::new(key).verify(msg, &sig)
                        }
                        _ => pkcs1v15::VerifyingKey::<Sha512>::new(key).verify(msg, &sig),
                    }
                }
                .map_err(|_| bad())
            }
            oid::ECDSA_SHA256 | oid::ECDSA_SHA384 | oid::ECDSA_SHA512 => {
                if spki.algorithm.oid != oid::EC_PUBLIC_KEY {
                    return Err(bad());
                }
                let prehash = match alg.oid {
                    oid::ECDSA_SHA256 => Sha256::digest(msg).to_vec(),
                    oid::ECDSA_SHA384 => Sha384::digest(msg).to_vec(),
                    _ => Sha512::digest(msg).to_vec(),
                };
                let point = spki.subject_public_key.raw_bytes();
                let curve = spki
                    .algorithm
                    .parameters_oid()
                    .map_err(|_| unsupported("ECDSA with explicit curve parameters".to_owned()))?;
                match curve {
                    oid::P256 => verify_ecdsa::<p256::ecdsa::VerifyingKey, p256::ecdsa::Signature>(
                        p256::ecdsa::VerifyingKey::from_sec1_bytes(point),
                        p256::ecdsa::Signature::from_der(signature),
                        &prehash,
                    ),
                    oid::P384 => verify_ecdsa::<p384::ecdsa::VerifyingKey, p384::ecdsa::Signature>(
                        p384::ecdsa::VerifyingKey::from_sec1_bytes(point),
                        p384::ecdsa::Signature::from_der(signature),
                        &prehash,
                    ),
                    oid::P521 => verify_ecdsa::<p521::ecdsa::VerifyingKey, p521::ecdsa::Signature>(
                        p521::ecdsa::VerifyingKey::from_sec1_bytes(point),
                        p521::ecdsa::Signature::from_der(signature),
                        &prehash,
                    ),
                    other => return Err(unsupported(format!("ECDSA on curve {other}"))),
                }
                .then_some(())
                .ok_or_else(bad)
            }
            other => Err(unsupported(signature_algorithm_name(&other))),
        }
    }
}

/// The hash and salt length of RSASSA-PSS parameters, if they are ones this verifier accepts:
/// SHA-256/384/512 with MGF1 over the same hash and the standard trailer.
fn pss_parameters(
    alg: &spki::AlgorithmIdentifierOwned,
) -> Result<(ObjectIdentifier, usize), String> {
    use rsa::pkcs1::{RsaPssParams, TrailerField};
    let params: RsaPssParams<'_> = alg
        .parameters
        .as_ref()
        .ok_or("without parameters")?
        .decode_as()
        .map_err(|e| format!("with malformed parameters ({e})"))?;
    let hash = params.hash.oid;
    if ![oid::SHA256, oid::SHA384, oid::SHA512].contains(&hash) {
        return Err(format!("with hash {hash}"));
    }
    if params.mask_gen.oid != oid::MGF1 || params.mask_gen.parameters.map(|p| p.oid) != Some(hash) {
        return Err("with a mask other than MGF1 over the signature's hash".to_owned());
    }
    if params.trailer_field != TrailerField::BC {
        return Err("with a non-standard trailer field".to_owned());
    }
    Ok((hash, usize::from(params.salt_len)))
}

fn verify_ecdsa<K: PrehashVerifier<S>, S>(
    key: Result<K, ecdsa::Error>,
    signature: Result<S, ecdsa::Error>,
    prehash: &[u8],
) -> bool {
    match (key, signature) {
        (Ok(key), Ok(signature)) => key.verify_prehash(prehash, &signature).is_ok(),
        _ => false,
    }
}

fn signature_algorithm_name(oid: &ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption".to_owned(),
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1".to_owned(),
        "1.3.101.112" => "Ed25519".to_owned(),
        "1.3.101.113" => "Ed448".to_owned(),
        dotted => format!("signature algorithm {dotted}"),
    }
}

impl Extensions {
    fn read(cert: &Certificate) -> Result<Self, ExtensionProblem> {
        let mut ext = Extensions::default();
        let mut seen = HashSet::new();
        for e in cert.tbs_certificate.extensions.iter().flatten() {
            let bad = |reason: String| ExtensionProblem::Invalid {
                oid: extension_name(&e.extn_id),
                reason,
            };
            if !seen.insert(e.extn_id) {
                return Err(bad("it appears more than once".to_owned()));
            }
            let value = e.extn_value.as_bytes();
            match e.extn_id {
                oid::BASIC_CONSTRAINTS => {
                    ext.basic_constraints =
                        Some(BasicConstraints::from_der(value).map_err(|e| bad(e.to_string()))?);
                }
                oid::KEY_USAGE => {
                    ext.key_usage =
                        Some(KeyUsage::from_der(value).map_err(|e| bad(e.to_string()))?);
                }
                oid::EXT_KEY_USAGE => {
                    ext.ext_key_usage =
                        Some(ExtendedKeyUsage::from_der(value).map_err(|e| bad(e.to_string()))?);
                }
                other if e.critical && !HANDLED_CRITICAL.contains(&other) => {
                    return Err(ExtensionProblem::Unhandled {
                        oid: extension_name(&other),
                    });
                }
                _ => {}
            }
        }
        Ok(ext)
    }
}

fn extension_name(oid: &ObjectIdentifier) -> String {
    let name = match *oid {
        oid::BASIC_CONSTRAINTS => "basicConstraints",
        oid::KEY_USAGE => "keyUsage",
        oid::EXT_KEY_USAGE => "extendedKeyUsage",
        oid::SUBJECT_ALT_NAME => "subjectAltName",
        oid::CERTIFICATE_POLICIES => "certificatePolicies",
        _ => match oid.to_string().as_str() {
            "2.5.29.30" => "nameConstraints",
            "2.5.29.36" => "policyConstraints",
            "2.5.29.33" => "policyMappings",
            "2.5.29.54" => "inhibitAnyPolicy",
            dotted => return dotted.to_owned(),
        },
    };
    name.to_owned()
}

/// RFC 3339 UTC for a duration since the Unix epoch.
fn rfc3339(since_epoch: std::time::Duration) -> String {
    match der::DateTime::from_unix_duration(since_epoch) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minutes(),
            t.seconds()
        ),
        Err(_) => format!("{}s after 1970", since_epoch.as_secs()),
    }
}

impl fmt::Debug for Cert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.subject)
    }
}

/// Depth-first path search state: the certificates, the instant, the work budget and the
/// error from the attempt that got furthest.
struct Search<'a> {
    certs: &'a [Cert],
    at: std::time::Duration,
    steps: usize,
    best_error: Option<(usize, ChainError)>,
}

impl Search<'_> {
    fn fail(&mut self, depth: usize, error: ChainError) {
        if self.best_error.as_ref().is_none_or(|(d, _)| depth > *d) {
            self.best_error = Some((depth, error));
        }
    }

    /// Extends `path` (indices into `certs`, leaf first) to a trusted root; true on success.
    fn extend(&mut self, path: &mut Vec<usize>) -> bool {
        let depth = path.len();
        let child = &self.certs[*path.last().expect("the path starts at the leaf")];
        if depth >= MAX_PATH_LEN {
            self.fail(depth, ChainError::TooLong(child.subject.clone()));
            return false;
        }
        // Non-self-issued intermediates between a new issuer and the leaf.
        let below = path[1..]
            .iter()
            .filter(|&&i| !self.certs[i].self_issued())
            .count();
        let named: Vec<usize> = (0..self.certs.len())
            .filter(|&i| self.certs[i].subject_der == child.issuer_der)
            .collect();
        // Trusted certificates first, so a path ends as early as it can.
        let mut candidates: Vec<usize> = named
            .iter()
            .copied()
            .filter(|i| !path.contains(i))
            .collect();
        candidates.sort_by_key(|&i| !self.certs[i].trusted);
        if candidates.is_empty() && !named.is_empty() && !child.self_issued() {
            let issuer = child.cert.tbs_certificate.issuer.to_string();
            self.fail(depth, ChainError::Loop(issuer));
            return false;
        }
        let found_name = !candidates.is_empty();
        for i in candidates {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                self.fail(usize::MAX, ChainError::TooLong(child.subject.clone()));
                return false;
            }
            let issuer = &self.certs[i];
            let checked = issuer
                .verify_signature_on(child)
                .and_then(|()| issuer.may_issue(child, below))
                .and_then(|()| issuer.valid_at(self.at));
            if let Err(e) = checked {
                self.fail(depth, e);
                continue;
            }
            path.push(i);
            // A trusted root ends the path; its own signature is not checked (it may well be
            // an old SHA-1 self-signature), as in OpenSSL.
            if issuer.trusted && issuer.self_issued() {
                return true;
            }
            if issuer.self_signed() {
                self.fail(depth + 1, ChainError::UntrustedRoot(issuer.subject.clone()));
            } else if self.extend(path) {
                return true;
            }
            path.pop();
        }
        if !found_name {
            let error = if child.self_signed() {
                ChainError::UntrustedRoot(child.subject.clone())
            } else {
                ChainError::IssuerNotFound {
                    subject: child.subject.clone(),
                    issuer: child.cert.tbs_certificate.issuer.to_string(),
                }
            };
            self.fail(depth, error);
        }
        false
    }
}

/// Verifies an OMS signing certificate chain: `chain` is the bundle's certificates (DER, leaf
/// first, untrusted), `anchors` the certificates the user trusts. Returns the leaf's key.
/// See the module documentation for the exact rules and how they match `model_signing`.
pub fn verify_chain(chain: &[Vec<u8>], anchors: &[Vec<u8>]) -> Result<VerifiedLeaf, ChainError> {
    if chain.is_empty() {
        return Err(ChainError::EmptyChain);
    }
    if chain.len() > MAX_BUNDLE_CERTIFICATES {
        return Err(ChainError::TooManyCertificates(chain.len()));
    }
    if anchors.is_empty() {
        return Err(ChainError::NoTrustAnchors);
    }
    let mut certs = Vec::with_capacity(chain.len() + anchors.len());
    for (i, der) in chain.iter().enumerate() {
        certs.push(Cert::new(der, false, || {
            if i == 0 {
                "the signing certificate".to_owned()
            } else {
                format!("bundle certificate {}", i + 1)
            }
        })?);
    }
    for (i, der) in anchors.iter().enumerate() {
        certs.push(Cert::new(der, true, || {
            format!("trusted certificate {}", i + 1)
        })?);
    }

    let leaf = &certs[0];
    let at = leaf
        .cert
        .tbs_certificate
        .validity
        .not_before
        .to_unix_duration();
    leaf.valid_at(at)?;
    let leaf_ext = leaf.extensions()?;
    let mut search = Search {
        certs: &certs,
        at,
        steps: 0,
        best_error: None,
    };
    let mut path = vec![0];
    if !search.extend(&mut path) {
        let (_, error) = search
            .best_error
            .expect("a failed search records why it failed");
        return Err(error);
    }

    let can_sign = leaf_ext
        .key_usage
        .as_ref()
        .is_some_and(|ku| ku.digital_signature())
        || leaf_ext
            .ext_key_usage
            .as_ref()
            .is_some_and(|eku| eku.0.contains(&oid::CODE_SIGNING));
    if !can_sign {
        return Err(ChainError::NotForSigning(leaf.subject.clone()));
    }
    let spki = leaf
        .cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| ChainError::Malformed {
            which: "the signing certificate".to_owned(),
            reason: e.to_string(),
        })?;
    let public_key = PublicKey::from_spki_der(&spki).map_err(|source| ChainError::LeafKey {
        subject: leaf.subject.clone(),
        source,
    })?;
    let root = &certs[*path.last().expect("a verified path ends at a root")];
    Ok(VerifiedLeaf {
        public_key,
        subject: leaf.subject.clone(),
        sha256_fingerprint: leaf.fingerprint(),
        checked_at: rfc3339(at),
        path: path.iter().map(|&i| certs[i].subject.clone()).collect(),
        root_sha256_fingerprint: root.fingerprint(),
    })
}
