//! The AI bill of materials: which models, datasets, libraries and hosted services a project
//! depends on, with digests, licences and lineage, written as CycloneDX and SPDX 3.

#![forbid(unsafe_code)]

pub mod discover;
