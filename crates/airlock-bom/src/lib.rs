//! The AI bill of materials: which models, datasets, libraries and hosted services a project
//! depends on, with digests, licences and lineage, written as CycloneDX and SPDX 3.
//!
//! [`model`] is airlock's own format-neutral BOM. [`cyclonedx`] writes it as CycloneDX 1.6
//! (default) or 1.7 JSON and reads CycloneDX 1.4–1.7 from other tools; [`spdx`] writes and
//! reads SPDX 3.0.1 JSON-LD with the AI and Dataset profiles. Output is deterministic: the
//! same model gives the same bytes, serial numbers and ids are derived from content, and no
//! timestamp is written unless one is asked for. This crate never touches the network and
//! never invents a licence id: strings that are not SPDX expressions stay names.

#![forbid(unsafe_code)]

pub mod assemble;
pub mod completeness;
mod content_id;
pub mod cyclonedx;
pub mod diff;
pub mod discover;
mod error;
pub mod license;
pub mod merge;
pub mod model;
pub mod spdx;

pub use error::Error;
pub use license::{License, SpdxExpression};
pub use model::{
    Bom, Component, ComponentKind, DataInfo, DataType, Dependency, Derivation,
    EthicalConsideration, ExternalRefKind, ExternalReference, Governance, Hash, HashAlg,
    LearningApproach, Modality, ModelCard, Origin, PerformanceMetric, Property, Relation, Service,
    Subject,
};

/// The name and version airlock writes into `tools` and `createdUsing`.
pub const TOOL_NAME: &str = "airlock";
/// This crate's version, written next to [`TOOL_NAME`].
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
