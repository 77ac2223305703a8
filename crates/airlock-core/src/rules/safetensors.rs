//! Rules for safetensors files: header framing, tensor layout and metadata.
//!
//! safetensors holds no code; its risks are headers that loaders refuse or that other
//! readers interpret differently, and data bytes that no tensor accounts for, where a
//! second format can hide (research B38).

use super::refs::*;
use super::{Reference, Rule, RuleStatus};
use crate::Severity;

const SAFETENSORS_SPEC: Reference = Reference {
    id: "safetensors format",
    url: "https://github.com/huggingface/safetensors#format",
};

const SAFETENSORS_FIX: &str = "Re-create the file with the `safetensors` library (`save_file`) from a \
trusted copy of the weights, or re-download it and compare digests with the publisher's.";

/// The header cannot be read as a loader would read it.
pub const STF501_SAFETENSORS_HEADER_INVALID: Rule = Rule {
    code: "STF501",
    name: "safetensors-header-invalid",
    severity: Severity::High,
    title: "safetensors header is malformed",
    finds: "A safetensors file whose header length runs past the end of the file or the input ends inside \
the header, whose header is not UTF-8, not valid JSON (including nesting deeper than 128) or not an object, \
whose tensor entries lack `dtype`, `shape` or `data_offsets` or give them the wrong type, that names a dtype \
the `safetensors` library does not know, or whose `__metadata__` is not a map of strings.",
    why: "The `safetensors` loader refuses such a file, so it cannot be what it claims to be; a scanner that \
gives up on it reports nothing, while a more lenient reader may still load part of it.",
    fix: SAFETENSORS_FIX,
    references: &[CWE_20, SAFETENSORS_SPEC],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Tensor offsets disagree with shapes, each other or the file.
pub const STF502_SAFETENSORS_OFFSETS_INCONSISTENT: Rule = Rule {
    code: "STF502",
    name: "safetensors-offsets-inconsistent",
    severity: Severity::High,
    title: "safetensors tensor offsets are inconsistent",
    finds: "A tensor whose `data_offsets` begin after they end, whose byte span differs from its shape times \
its dtype width (or overflows 64 bits, or is not whole bytes), that overlaps another tensor, or that ends \
past the end of the data section.",
    why: "The `safetensors` loader refuses these layouts (`InvalidOffset`, `TensorInvalidInfo`); readers that \
do not check them read the wrong bytes, past the end of a buffer, or the same bytes as two tensors, the \
crafted-header class behind out-of-bounds reads in other weight formats.",
    fix: SAFETENSORS_FIX,
    references: &[CWE_20, SAFETENSORS_SPEC],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Bytes of the data section inside no tensor.
pub const STF503_SAFETENSORS_UNACCOUNTED_BYTES: Rule = Rule {
    code: "STF503",
    name: "safetensors-unaccounted-bytes",
    severity: Severity::High,
    title: "safetensors data section has bytes outside every tensor",
    finds: "Bytes of the data section that no tensor covers: a gap between tensors, bytes before the first, \
or bytes after the last tensor up to the end of the file.",
    why: "The format requires the data section to be fully indexed, to prevent polyglot files, and the \
`safetensors` loader refuses a file that is not (`MetadataIncompleteBuffer`). Unindexed bytes are where a \
second file, such as a pickle or an archive, can be appended for another tool to find.",
    fix: SAFETENSORS_FIX,
    references: &[ATLAS_SUPPLY_CHAIN, CWE_345, SAFETENSORS_SPEC],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A header key appears twice.
pub const STF504_SAFETENSORS_DUPLICATE_KEY: Rule = Rule {
    code: "STF504",
    name: "safetensors-duplicate-key",
    severity: Severity::High,
    title: "safetensors header repeats a key",
    finds: "A tensor name, `__metadata__`, a field of a tensor entry (`dtype`, `shape`, `data_offsets`) or a \
metadata key that appears more than once in the header JSON, compared after decoding escapes.",
    why: "The format forbids duplicate keys, but the `safetensors` loader silently keeps the last tensor of a \
name and the last value of a metadata key, while JSON readers that keep the first see another tensor or \
value. What is checked and what is loaded can then differ.",
    fix: SAFETENSORS_FIX,
    references: &[CWE_345, SAFETENSORS_SPEC],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// The header departs from the spec in ways the loader tolerates.
pub const STF505_SAFETENSORS_HEADER_NONSTANDARD: Rule = Rule {
    code: "STF505",
    name: "safetensors-header-nonstandard",
    severity: Severity::Medium,
    title: "safetensors header departs from the format spec",
    finds: "A header with whitespace before its opening `{`, padded with tabs or line breaks instead of \
spaces, or with fields in a tensor entry other than `dtype`, `shape` and `data_offsets`.",
    why: "The loader accepts these, the spec does not: tools that sniff the `{` at byte 8 do not recognise \
the file, and unknown fields carry data that no loader reads or shows. The `safetensors` library never writes \
any of them.",
    fix: SAFETENSORS_FIX,
    references: &[CWE_20, SAFETENSORS_SPEC],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// `__metadata__` is unusually large.
pub const STF201_SAFETENSORS_METADATA_LARGE: Rule = Rule {
    code: "STF201",
    name: "safetensors-metadata-large",
    severity: Severity::Low,
    title: "safetensors metadata is unusually large",
    finds: "A `__metadata__` map whose keys and values together exceed 1 MiB.",
    why: "Metadata is free-form text that the loader hands to applications unchecked; libraries write a few \
bytes (`{\"format\": \"pt\"}`) and training tools a few KiB. Megabytes of it carry something else: an \
embedded document, encoded data or text aimed at tools that display or parse it.",
    fix: "Look at what the metadata holds; strip it by re-saving the tensors with the metadata you need.",
    references: &[ATLAS_SUPPLY_CHAIN, SAFETENSORS_SPEC],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// The header length is over the loaders' 100 MB cap.
pub const STF901_SAFETENSORS_HEADER_LIMIT: Rule = Rule {
    code: "STF901",
    name: "safetensors-header-limit",
    severity: Severity::High,
    title: "safetensors header length exceeds 100 MB",
    finds: "A safetensors file whose 8-byte header length is more than 100,000,000, the cap the \
`safetensors` library enforces (`MAX_HEADER_SIZE`). airlock does not read such a header.",
    why: "Loaders refuse the file (`HeaderTooLarge`), and readers without the cap allocate whatever the length \
says, up to 2^64 bytes: a denial of service. The header was not analysed, so the file is not known to be \
clean.",
    fix: SAFETENSORS_FIX,
    references: &[CWE_400, SAFETENSORS_SPEC],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
