//! OpenSSF Model Signing (OMS): signatures that `model_signing` 1.1.1 accepts and
//! verification of every signature it makes (`../shared/research/bom-signing.md` §4).
//!
//! A signature is a Sigstore bundle ([`bundle`]) around a DSSE envelope ([`dsse`]) whose
//! payload is an in-toto statement ([`statement`]) listing the model's [`manifest`].

pub mod bundle;
pub mod dsse;
pub mod manifest;
pub mod statement;

/// Why a signature could not be made or does not hold.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The signature file is not a bundle airlock can read.
    #[error("{0}")]
    Malformed(String),
    /// The signed statement is not a valid OMS statement.
    #[error("{0}")]
    Statement(String),
}
pub mod verify;
