//! OpenSSF Model Signing (OMS): signatures that `model_signing` 1.1.1 accepts and
//! verification of every signature it makes (`../shared/research/bom-signing.md` §4).
//!
//! A signature is a Sigstore bundle ([`bundle`]) around a DSSE envelope ([`dsse`]) whose
//! payload is an in-toto statement ([`statement`]) listing the model's [`manifest`]. It is
//! made with an ECDSA key ([`keys`]), optionally vouched for by an X.509 chain
//! ([`certificate`]), or by Sigstore keyless signing ([`keyless`], feature `sigstore`).

pub mod bundle;
pub mod certificate;
pub mod dsse;
#[cfg(feature = "sigstore")]
pub mod keyless;
pub mod keys;
pub mod manifest;
pub mod sign;
pub mod statement;
pub mod verify;

/// Why a signature could not be made, or does not hold.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The signature file is not a bundle airlock can read.
    #[error("{0}")]
    Malformed(String),
    /// The signed statement is not a valid OMS statement.
    #[error("{0}")]
    Statement(String),
    /// The signature is of a kind the given trust cannot check.
    #[error("{0}")]
    WrongTrust(&'static str),
    /// The signature names a different key than the one given.
    #[error(
        "key mismatch: the signature was made with key {signed}, the given public key is {given} (hex SHA-256 of the PEM)"
    )]
    KeyMismatch {
        /// The hint in the signature.
        signed: String,
        /// The hint of the given key.
        given: String,
    },
    /// The DSSE signature does not verify: the payload or the signature bytes were altered,
    /// or another key signed.
    #[error(
        "the signature does not verify: the signed statement or the signature was altered, or another key made it"
    )]
    BadSignature,
    /// A key could not be used.
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    /// The certificate chain does not hold.
    #[error(transparent)]
    Chain(#[from] certificate::ChainError),
    /// The keyless bundle does not hold.
    #[cfg(feature = "sigstore")]
    #[error(transparent)]
    Keyless(#[from] keyless::KeylessError),
}
