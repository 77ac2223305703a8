//! Rules for ONNX models: external-data paths that leave the model's directory, links
//! beside the model, custom operator domains, malformed protobuf and parser caps.
//!
//! ONNX holds no code, but tensors may name another file to read their bytes from
//! (`external_data.location`), and loaders have followed such paths out of the model's
//! directory (research B32); operators in custom domains need a native library.

use super::refs::*;
use super::{Reference, Rule, RuleStatus};
use crate::Severity;

const ONNX_EXTERNAL: Reference = Reference {
    id: "ONNX external data",
    url: "https://onnx.ai/onnx/repo-docs/ExternalData.html",
};

const CVE_2022_25882: Reference = Reference {
    id: "CVE-2022-25882",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2022-25882",
};

const CVE_2024_27318: Reference = Reference {
    id: "CVE-2024-27318",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2024-27318",
};

const CVE_2026_27489: Reference = Reference {
    id: "CVE-2026-27489",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2026-27489",
};

const CVE_2026_34447: Reference = Reference {
    id: "CVE-2026-34447",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2026-34447",
};

const GHSA_CMW6: Reference = Reference {
    id: "GHSA-cmw6-hcpp-c6jp",
    url: "https://github.com/advisories/GHSA-cmw6-hcpp-c6jp",
};

const CWE_22: Reference = Reference {
    id: "CWE-22",
    url: "https://cwe.mitre.org/data/definitions/22.html",
};

const CWE_59: Reference = Reference {
    id: "CWE-59",
    url: "https://cwe.mitre.org/data/definitions/59.html",
};

const ORT_CUSTOM_OPS: Reference = Reference {
    id: "onnxruntime custom operators",
    url: "https://onnxruntime.ai/docs/reference/operators/add-custom-op.html",
};

const ONNX_PROTO: Reference = Reference {
    id: "onnx.proto3",
    url: "https://github.com/onnx/onnx/blob/main/onnx/onnx.proto3",
};

const ONNX_FIX: &str = "Do not load the model. Re-export it from its source framework, or \
re-download it from its publisher and compare digests.";

/// An external-data location that reads outside the model's directory.
pub const ONX101_ONNX_EXTERNAL_DATA_PATH_ESCAPE: Rule = Rule {
    code: "ONX101",
    name: "onnx-external-data-path-escape",
    severity: Severity::High,
    title: "ONNX external data points outside the model's directory",
    finds: "A tensor with `data_location = EXTERNAL` (an initializer, a sparse initializer's values or \
indices, or a tensor attribute, in any graph, nested graph, function or training graph) whose \
`external_data` `location` is absolute (`/x`, `C:\\x`, `\\\\host\\x`), climbs out of the model's \
directory once `.` and `..` components are normalised with `/` and `\\` as separators (`../x`, \
`a/../../b`), or contains a NUL byte.",
    why: "`onnx.load` and onnxruntime read the named file into the tensor: older onnx joined the path \
without checking it (CVE-2022-25882, then the incomplete fix of CVE-2024-27318), and onnxruntime reads \
sparse-tensor paths before validating them. The file's bytes (keys, `/etc/shadow`) then flow through \
the model and out with its outputs. Exporters only ever write a plain file name beside the model.",
    fix: ONNX_FIX,
    references: &[
        CVE_2022_25882,
        CVE_2024_27318,
        CWE_22,
        ATLAS_SUPPLY_CHAIN,
        ONNX_EXTERNAL,
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// An external-data location that is a symlink or hardlink beside the model.
pub const ONX102_ONNX_EXTERNAL_DATA_LINK: Rule = Rule {
    code: "ONX102",
    name: "onnx-external-data-link",
    severity: Severity::High,
    title: "ONNX external data is a symbolic or hard link",
    finds: "When the model is scanned on disk: an external-data `location` that names a symbolic link, or \
a regular file with more than one hard link, in the model's directory (or any symbolic link on the way \
to it).",
    why: "A plain file name passes onnx's path checks, but a symlink or hardlink shipped with the model \
(archives and git preserve them) makes the loader read a file elsewhere on the machine: \
CVE-2026-27489 and CVE-2026-34447 (symlinks) and GHSA-cmw6-hcpp-c6jp (hardlinks).",
    fix: "Replace the link with the real data file from the publisher, or re-export the model; never \
extract model archives that contain links.",
    references: &[
        CVE_2026_27489,
        CVE_2026_34447,
        GHSA_CMW6,
        CWE_59,
        ONNX_EXTERNAL,
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Operators in a domain that needs a user-registered library.
pub const ONX201_ONNX_CUSTOM_OP_DOMAIN: Rule = Rule {
    code: "ONX201",
    name: "onnx-custom-op-domain",
    severity: Severity::Medium,
    title: "ONNX model uses operators from a custom domain",
    finds: "Nodes whose domain is not a standard ONNX domain (`\"\"`, `ai.onnx`, `ai.onnx.ml`, \
`ai.onnx.training`, `ai.onnx.preview.training`) nor one whose kernels ship in onnxruntime \
(`com.microsoft`, `com.microsoft.nchwc`, `com.microsoft.experimental`, `com.microsoft.dml`, \
`com.ms.internal.nhwc`, `org.pytorch.aten`), and that do not call a function defined in the model. One \
finding per domain, with its ops and where they sit.",
    why: "The model cannot run until the user registers a custom-op library (a shared object, native \
code with the process's rights) for that domain; a model that asks for one is asking to run code that \
is not in the file and that this scan cannot see.",
    fix: "Find out which library provides the domain and where it comes from; load only libraries \
built from source you trust, or re-export the model with standard operators.",
    references: &[ORT_CUSTOM_OPS, ATLAS_UNSAFE_ARTIFACT, ONNX_PROTO],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// External data whose file is not beside the model.
pub const ONX202_ONNX_EXTERNAL_DATA_MISSING: Rule = Rule {
    code: "ONX202",
    name: "onnx-external-data-missing",
    severity: Severity::Low,
    title: "ONNX external data file is missing",
    finds: "When the model is scanned on disk: an external-data `location` (that passed ONX101) naming \
nothing, or something other than a regular file, in the model's directory.",
    why: "The model will not load as shipped; the file may be expected from elsewhere, and whatever \
takes its place later was not scanned.",
    fix: "Fetch the data file from the model's publisher and scan the directory again.",
    references: &[ONNX_EXTERNAL],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// The model is not valid protobuf or not a valid ONNX structure.
pub const ONX501_ONNX_MALFORMED: Rule = Rule {
    code: "ONX501",
    name: "onnx-malformed",
    severity: Severity::High,
    title: "ONNX model is malformed",
    finds: "A model whose protobuf wire data is invalid (a bad varint, a field length past the end of \
its enclosing message, a submessage that does not end where its length says, a deprecated group, a \
known field with the wrong wire type), that ends early, or whose external-data entries cannot be \
loaded (no `location`, an `offset` or `length` that is not a non-negative integer).",
    why: "Protobuf parsers differ on invalid input and loaders that trust lengths over-read; a file no \
exporter could have written was crafted or corrupted, and what follows the error was not scanned.",
    fix: ONNX_FIX,
    references: &[CWE_20, ONNX_PROTO],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// External data whose offset and length do not fit its file.
pub const ONX502_ONNX_EXTERNAL_DATA_OUT_OF_RANGE: Rule = Rule {
    code: "ONX502",
    name: "onnx-external-data-out-of-range",
    severity: Severity::Medium,
    title: "ONNX external data offset or length runs past its file",
    finds: "When the model is scanned on disk: an external-data `offset`, or `offset` + `length`, past \
the end of the data file it names.",
    why: "Loaders that map or seek without checking read out of bounds or fail part-way; exporters \
always write ranges inside the file.",
    fix: ONNX_FIX,
    references: &[CWE_20, ONNX_EXTERNAL],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A protobuf cap was hit before the model was read.
pub const ONX901_ONNX_LIMIT: Rule = Rule {
    code: "ONX901",
    name: "onnx-limit",
    severity: Severity::High,
    title: "ONNX model exceeds airlock's caps",
    finds: "A model whose messages nest deeper than `scan.limits.max-proto-depth` (default 100, graphs \
inside If/Loop/Scan attributes count three levels each), that holds more than \
`scan.limits.max-proto-items` messages (default 10 million), or an opset import or external-data \
entry larger than `scan.limits.max-proto-message` (16 MiB). The rest of the model was not analysed.",
    why: "Deep nesting overflows recursive protobuf parsers (a nesting bomb); no real model comes near \
these sizes. The file is not known to be clean.",
    fix: ONNX_FIX,
    references: &[CWE_400, ONNX_PROTO],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
