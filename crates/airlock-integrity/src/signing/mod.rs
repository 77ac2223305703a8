//! OpenSSF Model Signing (OMS): signatures that `model_signing` 1.1.1 accepts and
//! verification of every signature it makes (`../shared/research/bom-signing.md` §4).

pub mod certificate;
pub mod keys;
