//! ECDSA keys for OMS `key` and `certificate` signatures: PEM in and out, the OMS
//! `publicKey.hint`, and the exact signature encoding `model_signing` 1.1.1 uses (ASN.1 DER
//! ECDSA over SHA-256/384/512 for P-256/384/521).

use std::fmt;
use std::str::FromStr;

use ecdsa::signature::{Signer, Verifier};
use p256::elliptic_curve::zeroize::Zeroizing;
use pkcs8::der::asn1::{ObjectIdentifier, OctetStringRef};
use pkcs8::der::{Decode, Reader, SliceReader, TagNumber, asn1::ContextSpecific};
use pkcs8::pkcs5::pbes2;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding, PrivateKeyInfo};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// PBKDF2-HMAC-SHA256 iterations for encrypted keys we write (OWASP 2023 guidance).
const PBKDF2_ITERATIONS: u32 = 600_000;

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// Names for key algorithms and curves OMS does not sign with, so errors can say what was found.
const UNSUPPORTED_OIDS: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.1", "RSA"),
    ("1.2.840.113549.1.1.10", "RSA-PSS"),
    ("1.2.840.10040.4.1", "DSA"),
    ("1.3.101.110", "X25519"),
    ("1.3.101.111", "X448"),
    ("1.3.101.112", "Ed25519"),
    ("1.3.101.113", "Ed448"),
    ("1.3.132.0.10", "secp256k1"),
    ("1.3.132.0.33", "secp224r1"),
    ("1.2.840.10045.3.1.1", "secp192r1"),
    ("1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1"),
    ("1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1"),
    ("1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1"),
    ("1.2.156.10197.1.301", "SM2"),
];

fn oid_name(oid: &ObjectIdentifier) -> String {
    let dotted = oid.to_string();
    UNSUPPORTED_OIDS
        .iter()
        .find(|(known, _)| *known == dotted)
        .map_or(dotted, |(_, name)| (*name).to_owned())
}

/// Why a key could not be read, written or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key is encrypted and no passphrase was supplied.
    #[error("the private key is encrypted; a passphrase is needed")]
    NeedsPassphrase,
    /// Decryption failed: the passphrase is wrong (or the encrypted data is damaged).
    #[error("wrong passphrase for the encrypted private key")]
    WrongPassphrase,
    /// A passphrase was supplied for a key that is stored unencrypted.
    #[error("a passphrase was given but the private key is not encrypted")]
    NotEncrypted,
    /// An EC key on a curve OMS does not sign with.
    #[error("unsupported curve {0}: OMS signs with ECDSA P-256/P-384/P-521 keys only")]
    UnsupportedCurve(String),
    /// A key that is not an EC key at all.
    #[error("unsupported key type {0}: OMS signs with ECDSA P-256/P-384/P-521 keys only")]
    UnsupportedKeyType(String),
    /// An encryption scheme for private keys that is not PBES2 with PBKDF2/scrypt and AES-CBC.
    #[error(
        "unsupported private key encryption ({0}); re-encrypt with `openssl pkcs8 -topk8 -v2 aes-256-cbc`"
    )]
    UnsupportedEncryption(String),
    /// The text holds no PEM block of the expected kind.
    #[error("not a PEM {expected}: no `-----BEGIN {expected}-----` block found")]
    NotPem {
        /// The PEM label(s) looked for.
        expected: &'static str,
    },
    /// A PEM block or the DER inside it is malformed.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not verify with this public key over this message.
    #[error("the signature does not verify with this {0} public key")]
    BadSignature(Curve),
}

fn malformed(what: &'static str, reason: impl fmt::Display) -> KeyError {
    KeyError::Malformed {
        what,
        reason: reason.to_string(),
    }
}

/// The elliptic curves OMS (`model_signing` 1.1.1) signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256 (secp256r1, prime256v1); signatures hash with SHA-256.
    P256,
    /// NIST P-384 (secp384r1); signatures hash with SHA-384.
    P384,
    /// NIST P-521 (secp521r1); signatures hash with SHA-512.
    P521,
}

impl Curve {
    /// Every supported curve, for listing in help texts and looping in tests.
    pub const ALL: [Curve; 3] = [Curve::P256, Curve::P384, Curve::P521];

    fn from_oid(oid: &ObjectIdentifier) -> Result<Self, KeyError> {
        match *oid {
            OID_P256 => Ok(Curve::P256),
            OID_P384 => Ok(Curve::P384),
            OID_P521 => Ok(Curve::P521),
            _ => Err(KeyError::UnsupportedCurve(oid_name(oid))),
        }
    }
}

impl fmt::Display for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        })
    }
}

impl FromStr for Curve {
    type Err = String;

    /// Accepts `P-256`, `p256`, `secp256r1`, `prime256v1` and the like, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "p256" | "secp256r1" | "prime256v1" => Ok(Curve::P256),
            "p384" | "secp384r1" => Ok(Curve::P384),
            "p521" | "secp521r1" => Ok(Curve::P521),
            _ => Err(format!(
                "unknown curve `{s}` (expected one of p256, p384, p521)"
            )),
        }
    }
}

/// One `-----BEGIN LABEL-----` … `-----END LABEL-----` block found in a text.
pub(crate) struct PemBlock {
    /// The label, e.g. `CERTIFICATE`.
    pub(crate) label: String,
    /// The decoded body.
    pub(crate) der: Zeroizing<Vec<u8>>,
    /// Whether the block carries RFC 1421 headers (`Proc-Type: 4,ENCRYPTED` and the like).
    pub(crate) has_headers: bool,
}

/// Every PEM block in `text`, in order; text outside the blocks (such as the dump `certtool`
/// prints before a key) is ignored. Base64 line width and CRLF line ends are tolerated.
pub(crate) fn pem_blocks(text: &str) -> Result<Vec<PemBlock>, String> {
    use base64::Engine as _;
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = Zeroizing::new(String::new());
        let mut has_headers = false;
        let mut closed = false;
        for line in lines.by_ref() {
            if line == end {
                closed = true;
                break;
            }
            if line.contains(':') {
                has_headers = true;
            } else {
                body.push_str(line);
            }
        }
        if !closed {
            return Err(format!("`-----BEGIN {label}-----` has no matching `{end}`"));
        }
        let der = if has_headers {
            Zeroizing::new(Vec::new())
        } else {
            Zeroizing::new(
                base64::engine::general_purpose::STANDARD
                    .decode(body.as_bytes())
                    .map_err(|e| format!("bad base64 in the {label} block: {e}"))?,
            )
        };
        blocks.push(PemBlock {
            label: label.to_owned(),
            der,
            has_headers,
        });
    }
    Ok(blocks)
}

#[derive(Clone)]
enum SigningKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

/// An OMS signing key: ECDSA on P-256, P-384 or P-521.
#[derive(Clone)]
pub struct PrivateKey(SigningKey);

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("curve", &self.curve())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Reads a PEM private key as `model_signing` accepts it: PKCS#8 `PRIVATE KEY`, SEC1
    /// `EC PRIVATE KEY` (an `EC PARAMETERS` block before it is skipped) or PBES2
    /// `ENCRYPTED PRIVATE KEY`; text around the block is ignored.
    pub fn from_pem(pem: &str, passphrase: Option<&[u8]>) -> Result<Self, KeyError> {
        const EXPECTED: &str = "PRIVATE KEY";
        // The first private key block: skips `EC PARAMETERS` and certificates in the same file.
        let blocks = pem_blocks(pem).map_err(|e| malformed("PEM private key", e))?;
        let block = blocks
            .iter()
            .find(|b| b.label.ends_with("PRIVATE KEY"))
            .ok_or(KeyError::NotPem { expected: EXPECTED })?;
        if block.has_headers {
            return Err(KeyError::UnsupportedEncryption(
                "legacy OpenSSL PEM encryption with Proc-Type/DEK-Info headers".to_owned(),
            ));
        }
        match block.label.as_str() {
            "PRIVATE KEY" => {
                if passphrase.is_some() {
                    return Err(KeyError::NotEncrypted);
                }
                Self::from_pkcs8_der(&block.der)
            }
            "EC PRIVATE KEY" => {
                if passphrase.is_some() {
                    return Err(KeyError::NotEncrypted);
                }
                Self::from_sec1_der(&block.der)
            }
            "ENCRYPTED PRIVATE KEY" => {
                let passphrase = passphrase.ok_or(KeyError::NeedsPassphrase)?;
                let encrypted = pkcs8::EncryptedPrivateKeyInfo::from_der(&block.der)
                    .map_err(|e| malformed("encrypted PKCS#8 private key", e))?;
                let decrypted = encrypted.decrypt(passphrase).map_err(|e| match e {
                    // pkcs5 0.7 reports a bad CBC padding on decryption as `EncryptFailed`.
                    pkcs8::Error::EncryptedPrivateKey(
                        pkcs8::pkcs5::Error::DecryptFailed | pkcs8::pkcs5::Error::EncryptFailed,
                    ) => KeyError::WrongPassphrase,
                    pkcs8::Error::EncryptedPrivateKey(other) => {
                        KeyError::UnsupportedEncryption(other.to_string())
                    }
                    other => malformed("encrypted PKCS#8 private key", other),
                })?;
                // A wrong passphrase passes the CBC padding check about once in 256 tries;
                // the garbage then fails to parse as a PrivateKeyInfo.
                match Self::from_pkcs8_der(decrypted.as_bytes()) {
                    Err(KeyError::Malformed { .. }) => Err(KeyError::WrongPassphrase),
                    other => other,
                }
            }
            "RSA PRIVATE KEY" => Err(KeyError::UnsupportedKeyType("RSA".to_owned())),
            "DSA PRIVATE KEY" => Err(KeyError::UnsupportedKeyType("DSA".to_owned())),
            "OPENSSH PRIVATE KEY" => Err(KeyError::UnsupportedKeyType(
                "OpenSSH-format key (convert with `ssh-keygen -p -m PKCS8`)".to_owned(),
            )),
            other => Err(KeyError::UnsupportedKeyType(format!("`{other}` PEM block"))),
        }
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = PrivateKeyInfo::from_der(der).map_err(|e| malformed("PKCS#8 private key", e))?;
        if info.algorithm.oid != OID_EC_PUBLIC_KEY {
            return Err(KeyError::UnsupportedKeyType(oid_name(&info.algorithm.oid)));
        }
        let curve_oid = info.algorithm.parameters_oid().map_err(|_| {
            KeyError::UnsupportedCurve("missing or explicit (unnamed) curve parameters".into())
        })?;
        let bad = |e: pkcs8::Error| malformed("PKCS#8 EC private key", e);
        Ok(PrivateKey(match Curve::from_oid(&curve_oid)? {
            Curve::P256 => {
                SigningKey::P256(p256::SecretKey::from_pkcs8_der(der).map_err(bad)?.into())
            }
            Curve::P384 => {
                SigningKey::P384(p384::SecretKey::from_pkcs8_der(der).map_err(bad)?.into())
            }
            Curve::P521 => {
                let secret = p521::SecretKey::from_pkcs8_der(der).map_err(bad)?;
                SigningKey::P521(
                    p521::ecdsa::SigningKey::from_bytes(&secret.to_bytes())
                        .map_err(|e| malformed("PKCS#8 EC private key", e))?,
                )
            }
        }))
    }

    /// SEC1 `ECPrivateKey`: the curve comes from its `[0] parameters` field.
    fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        let bad = |e: pkcs8::der::Error| malformed("SEC1 EC private key", e);
        let mut reader = SliceReader::new(der).map_err(bad)?;
        let curve_oid = reader
            .sequence(|seq| {
                let _version: u8 = seq.decode()?;
                let _key: OctetStringRef<'_> = seq.decode()?;
                let params = ContextSpecific::<ObjectIdentifier>::decode_explicit(
                    seq,
                    TagNumber::N0,
                )?;
                // The optional `[1] publicKey` is checked by the curve crates below.
                seq.read_slice(seq.remaining_len())?;
                Ok(params.map(|p| p.value))
            })
            .map_err(|_| {
                // An explicit-parameters key fails to decode the OID; say so if that is it.
                malformed(
                    "SEC1 EC private key",
                    "not an ECPrivateKey with a named curve (explicit curve parameters are not supported)",
                )
            })?;
        let curve_oid = curve_oid
            .ok_or_else(|| malformed("SEC1 EC private key", "the curve is not named in the key"))?;
        let bad = |e: p256::elliptic_curve::Error| malformed("SEC1 EC private key", e);
        Ok(PrivateKey(match Curve::from_oid(&curve_oid)? {
            Curve::P256 => {
                SigningKey::P256(p256::SecretKey::from_sec1_der(der).map_err(bad)?.into())
            }
            Curve::P384 => {
                SigningKey::P384(p384::SecretKey::from_sec1_der(der).map_err(bad)?.into())
            }
            Curve::P521 => {
                let secret = p521::SecretKey::from_sec1_der(der).map_err(bad)?;
                SigningKey::P521(
                    p521::ecdsa::SigningKey::from_bytes(&secret.to_bytes())
                        .map_err(|e| malformed("SEC1 EC private key", e))?,
                )
            }
        }))
    }

    /// A fresh key from the operating system's random number generator.
    pub fn generate(curve: Curve) -> Self {
        PrivateKey(match curve {
            Curve::P256 => SigningKey::P256(p256::ecdsa::SigningKey::random(&mut OsRng)),
            Curve::P384 => SigningKey::P384(p384::ecdsa::SigningKey::random(&mut OsRng)),
            Curve::P521 => SigningKey::P521(p521::ecdsa::SigningKey::random(&mut OsRng)),
        })
    }

    /// PKCS#8 PEM for storing the key; with a passphrase, `ENCRYPTED PRIVATE KEY` using
    /// PBES2 (PBKDF2-HMAC-SHA256, 600,000 iterations, 16-byte salt, AES-256-CBC), which
    /// OpenSSL and Python `cryptography` read.
    pub fn to_pkcs8_pem(&self, passphrase: Option<&[u8]>) -> Result<Zeroizing<String>, KeyError> {
        let der = match &self.0 {
            SigningKey::P256(key) => key.to_pkcs8_der(),
            SigningKey::P384(key) => key.to_pkcs8_der(),
            SigningKey::P521(key) => p521::SecretKey::from_bytes(&key.to_bytes())
                .map_err(|e| malformed("P-521 private key", e))?
                .to_pkcs8_der(),
        }
        .map_err(|e| malformed("private key encoding", e))?;
        let Some(passphrase) = passphrase else {
            return der
                .to_pem("PRIVATE KEY", LineEnding::LF)
                .map_err(|e| malformed("private key encoding", e));
        };
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        OsRng.fill_bytes(&mut iv);
        let params = pbes2::Parameters::pbkdf2_sha256_aes256cbc(PBKDF2_ITERATIONS, &salt, &iv)
            .map_err(|e| malformed("key encryption parameters", e))?;
        let info = PrivateKeyInfo::from_der(der.as_bytes())
            .map_err(|e| malformed("private key encoding", e))?;
        info.encrypt_with_params(params, passphrase)
            .and_then(|doc| Ok(doc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)?))
            .map_err(|e| malformed("private key encryption", e))
    }

    /// The matching public key (what goes into `--public_key` files and the hint).
    pub fn public_key(&self) -> PublicKey {
        PublicKey(match &self.0 {
            SigningKey::P256(key) => VerifyingKey::P256(*key.verifying_key()),
            SigningKey::P384(key) => VerifyingKey::P384(*key.verifying_key()),
            SigningKey::P521(key) => VerifyingKey::P521(key.into()),
        })
    }

    /// The key's curve, which also fixes the signature hash.
    pub fn curve(&self) -> Curve {
        match self.0 {
            SigningKey::P256(_) => Curve::P256,
            SigningKey::P384(_) => Curve::P384,
            SigningKey::P521(_) => Curve::P521,
        }
    }

    /// ASN.1 DER ECDSA signature of `message` (the DSSE PAE), hashed with SHA-256/384/512 by
    /// curve, as `model_signing` signs.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.0 {
            SigningKey::P256(key) => Signer::<p256::ecdsa::Signature>::sign(key, message)
                .to_der()
                .as_bytes()
                .to_vec(),
            SigningKey::P384(key) => Signer::<p384::ecdsa::Signature>::sign(key, message)
                .to_der()
                .as_bytes()
                .to_vec(),
            SigningKey::P521(key) => Signer::<p521::ecdsa::Signature>::sign(key, message)
                .to_der()
                .as_bytes()
                .to_vec(),
        }
    }
}

#[derive(Clone)]
enum VerifyingKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

/// An OMS verification key: ECDSA on P-256, P-384 or P-521.
#[derive(Clone)]
pub struct PublicKey(VerifyingKey);

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("curve", &self.curve())
            .field("hint", &self.hint())
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.to_spki_der() == other.to_spki_der()
    }
}

impl Eq for PublicKey {}

impl PublicKey {
    /// Reads the first SubjectPublicKeyInfo `PUBLIC KEY` PEM block in `pem`; text before and
    /// after it (such as a `certtool` dump) is ignored.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let blocks = pem_blocks(pem).map_err(|e| malformed("PEM public key", e))?;
        let block = blocks
            .iter()
            .find(|b| b.label == "PUBLIC KEY")
            .ok_or(KeyError::NotPem {
                expected: "PUBLIC KEY",
            })?;
        Self::from_spki_der(&block.der)
    }

    /// Reads a DER SubjectPublicKeyInfo, such as the key inside an X.509 certificate.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let spki = spki::SubjectPublicKeyInfoRef::try_from(der)
            .map_err(|e| malformed("SubjectPublicKeyInfo", e))?;
        if spki.algorithm.oid != OID_EC_PUBLIC_KEY {
            return Err(KeyError::UnsupportedKeyType(oid_name(&spki.algorithm.oid)));
        }
        let curve_oid = spki.algorithm.parameters_oid().map_err(|_| {
            KeyError::UnsupportedCurve("missing or explicit (unnamed) curve parameters".into())
        })?;
        let point = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| malformed("EC public key", "the key BIT STRING has unused bits"))?;
        let bad = |e: ecdsa::Error| malformed("EC public key", e);
        Ok(PublicKey(match Curve::from_oid(&curve_oid)? {
            Curve::P256 => {
                VerifyingKey::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?)
            }
            Curve::P384 => {
                VerifyingKey::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?)
            }
            Curve::P521 => {
                VerifyingKey::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?)
            }
        }))
    }

    /// DER SubjectPublicKeyInfo with an uncompressed point, as OpenSSL and `cryptography` write.
    pub fn to_spki_der(&self) -> Vec<u8> {
        let encoded = match &self.0 {
            VerifyingKey::P256(key) => key.to_public_key_der(),
            VerifyingKey::P384(key) => key.to_public_key_der(),
            VerifyingKey::P521(key) => {
                p521::PublicKey::from_sec1_bytes(key.to_encoded_point(false).as_bytes())
                    .expect("a P-521 verifying key is a valid public key")
                    .to_public_key_der()
            }
        };
        encoded
            .expect("encoding a valid EC public key cannot fail")
            .into_vec()
    }

    /// PEM exactly as Python `cryptography` and `openssl pkey -pubout` write it (64-column
    /// base64, LF, trailing newline): the bytes the OMS hint hashes.
    pub fn to_pem(&self) -> String {
        pkcs8::der::pem::encode_string("PUBLIC KEY", LineEnding::LF, &self.to_spki_der())
            .expect("PEM-encoding a short DER value cannot fail")
    }

    /// The OMS `publicKey.hint`: lowercase hex SHA-256 of [`PublicKey::to_pem`].
    pub fn hint(&self) -> String {
        hex::encode(Sha256::digest(self.to_pem().as_bytes()))
    }

    /// The key's curve, which also fixes the signature hash.
    pub fn curve(&self) -> Curve {
        match self.0 {
            VerifyingKey::P256(_) => Curve::P256,
            VerifyingKey::P384(_) => Curve::P384,
            VerifyingKey::P521(_) => Curve::P521,
        }
    }

    /// Checks an ASN.1 DER ECDSA signature over `message`, hashed with SHA-256/384/512 by
    /// curve, as `model_signing` verifies.
    pub fn verify(&self, message: &[u8], der_signature: &[u8]) -> Result<(), KeyError> {
        let bad = |_| KeyError::BadSignature(self.curve());
        match &self.0 {
            VerifyingKey::P256(key) => {
                let sig = p256::ecdsa::Signature::from_der(der_signature).map_err(bad)?;
                key.verify(message, &sig).map_err(bad)
            }
            VerifyingKey::P384(key) => {
                let sig = p384::ecdsa::Signature::from_der(der_signature).map_err(bad)?;
                key.verify(message, &sig).map_err(bad)
            }
            VerifyingKey::P521(key) => {
                let sig = p521::ecdsa::Signature::from_der(der_signature).map_err(bad)?;
                key.verify(message, &sig).map_err(bad)
            }
        }
    }

    /// Checks a DER ECDSA signature over the SHA-256 of `message` whatever the curve: what
    /// model_signing 0.2 certificate signatures used, and 1.1.1 still accepts.
    pub fn verify_sha256(&self, message: &[u8], der_signature: &[u8]) -> Result<(), KeyError> {
        use ecdsa::signature::hazmat::PrehashVerifier;
        let bad = |_| KeyError::BadSignature(self.curve());
        let digest = Sha256::digest(message);
        match &self.0 {
            VerifyingKey::P256(key) => {
                let sig = p256::ecdsa::Signature::from_der(der_signature).map_err(bad)?;
                key.verify_prehash(&digest, &sig).map_err(bad)
            }
            VerifyingKey::P384(key) => {
                let sig = p384::ecdsa::Signature::from_der(der_signature).map_err(bad)?;
                key.verify_prehash(&digest, &sig).map_err(bad)
            }
            VerifyingKey::P521(key) => {
                let sig = p521::ecdsa::Signature::from_der(der_signature).map_err(bad)?;
                key.verify_prehash(&digest, &sig).map_err(bad)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_names_round_trip() {
        for curve in Curve::ALL {
            assert_eq!(curve.to_string().parse::<Curve>(), Ok(curve));
        }
        assert_eq!("p384".parse::<Curve>(), Ok(Curve::P384));
        assert_eq!("prime256v1".parse::<Curve>(), Ok(Curve::P256));
        assert!("secp256k1".parse::<Curve>().is_err());
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = PrivateKey::generate(Curve::P256);
        let secret_hex = match &key.0 {
            SigningKey::P256(k) => hex::encode(k.to_bytes()),
            _ => unreachable!(),
        };
        let debug = format!("{key:?}");
        assert_eq!(debug, "PrivateKey { curve: P256, .. }");
        assert!(!debug.contains(&secret_hex));
    }

    #[test]
    fn pem_blocks_skip_surrounding_text_and_accept_crlf() {
        let text = "dump: 1\r\n-----BEGIN X-----\r\nAAEC\r\nAw==\r\n-----END X-----\r\ntrailer";
        let blocks = pem_blocks(text).unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].label, "X");
        assert_eq!(blocks[0].der.as_slice(), &[0, 1, 2, 3]);
        assert!(pem_blocks("-----BEGIN X-----\nAAAA\n").is_err());
        assert!(pem_blocks("-----BEGIN X-----\n!!!!\n-----END X-----\n").is_err());
    }
}
