//! Errors of the BOM writers and readers.

/// Everything that can go wrong writing or reading a BOM.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two components or services share a `bom_ref`, so edges would be ambiguous.
    #[error("duplicate bom-ref `{0}`")]
    DuplicateRef(String),
    /// A component has an empty `bom_ref`.
    #[error("component `{name}` has an empty bom-ref")]
    EmptyRef {
        /// The component's name.
        name: String,
    },
    /// A dependency edge names a ref that is neither the subject, a component nor a service.
    #[error("dependency edge names unknown bom-ref `{0}`")]
    DanglingRef(String),
    /// A digest is not hex of the length its algorithm gives.
    #[error("{alg} digest `{value}` is not lowercase hex of the right length")]
    InvalidHash {
        /// Algorithm name (CycloneDX spelling).
        alg: &'static str,
        /// The offending value.
        value: String,
    },
    /// The input is not JSON.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The input is JSON but not a document of the expected format.
    #[error("not a {format} document: {reason}")]
    NotADocument {
        /// `CycloneDX` or `SPDX 3`.
        format: &'static str,
        /// What is missing or wrong.
        reason: String,
    },
    /// The document is of a version this reader does not handle.
    #[error("unsupported {format} version `{version}`")]
    UnsupportedVersion {
        /// `CycloneDX` or `SPDX 3`.
        format: &'static str,
        /// The version found.
        version: String,
    },
}
