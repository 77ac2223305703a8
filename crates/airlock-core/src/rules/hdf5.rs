//! Rules for HDF5 files (Keras `.h5`): structures airlock could not read.
//!
//! airlock reads only the root group's attributes, where Keras keeps the model config;
//! these rules say when that read was incomplete, so an `.h5` is never called clean
//! without its config having been seen.

use super::refs::*;
use super::{Reference, Rule, RuleStatus};
use crate::Severity;

const HDF5_SPEC: Reference = Reference {
    id: "HDF5 file format specification",
    url: "https://support.hdfgroup.org/documentation/hdf5/latest/_f_m_t3.html",
};

/// Root attributes kept in dense storage that airlock could not all read.
pub const HDF201_HDF5_DENSE_ATTRIBUTES: Rule = Rule {
    code: "HDF201",
    name: "hdf5-dense-attributes",
    severity: Severity::Medium,
    title: "HDF5 root attributes in dense storage were not all read",
    finds: "An HDF5 file whose root group keeps attributes in dense storage (a fractal heap indexed by \
a B-tree, which HDF5 uses for groups with more than 8 attributes when the file was written with \
`libver=\"latest\"`) where airlock read fewer attributes than the index counts: attributes over 4 KiB \
kept as huge objects outside the heap's blocks, heaps large enough to need child indirect blocks, or \
compressed (filtered) heaps.",
    why: "A Keras `model_config` with Lambda bytecode or outside references could be among the \
unread attributes; the file is not known to be clean.",
    fix: "Inspect the attributes with `h5py` (`list(h5py.File(path).attrs)`) without loading the \
model, or re-save the weights alone.",
    references: &[HDF5_SPEC, CWE_20],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Structures that cannot be read.
pub const HDF501_HDF5_MALFORMED: Rule = Rule {
    code: "HDF501",
    name: "hdf5-malformed",
    severity: Severity::High,
    title: "HDF5 structure is malformed",
    finds: "An HDF5 file whose superblock, root object header, continuation blocks, attribute messages \
or global heap collections are truncated, point outside the file, form a cycle, carry unknown \
versions or sizes, or fail their checksums. The message names the structure and byte.",
    why: "The HDF5 library refuses or misreads such files; airlock could not read the root \
attributes where Keras keeps the model config, so the file is not known to be clean, and structures \
pointing outside the file are how parsers are attacked.",
    fix: "Get the file again from its publisher and compare digests.",
    references: &[HDF5_SPEC, CWE_20],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A cap of the HDF5 reader was hit.
pub const HDF901_HDF5_LIMIT: Rule = Rule {
    code: "HDF901",
    name: "hdf5-limit",
    severity: Severity::High,
    title: "HDF5 file exceeds airlock's caps",
    finds: "An HDF5 layer that could not be reopened for random access (inside an archive or a \
compressed stream) and is larger than `max-hdf5-buffer-bytes` (256 MiB by default) where the root \
attributes lie past that prefix, or a root object header with more than 256 continuation blocks, \
65,536 messages or a 16 MiB block, an attribute with more than 65,536 elements, or string values over \
`max-keras-config-bytes`.",
    why: "No real Keras file comes near these structures; the root attributes, and the model config \
among them, were not read, so the file is not known to be clean.",
    fix: "Extract the file and scan it on its own, or raise the limit under `[scan.limits]` if the \
file is trusted.",
    references: &[HDF5_SPEC, CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
