//! The rule registry: every check airlock can report, with a stable code and its docs.
//!
//! Each family lives in its own file as `pub const` items; [`ALL`] lists them in code
//! order. Codes are a family prefix and three digits whose hundreds digit carries the
//! kind: 1xx dangerous content, 2xx unknown or unusual content, 5xx malformed input or
//! readers that would disagree, 9xx a resource limit hit before the analysis finished.
//! A code is never reused; a retired rule keeps its entry with [`RuleStatus::Removed`].

mod archive;
mod container;
pub mod docs;
mod gguf;
mod hdf5;
mod huggingface;
mod keras;
mod numpy;
mod onnx;
mod pickle;
mod safetensors;
mod tensorflow;
mod zip;

use serde::Serialize;

use crate::Severity;

pub use archive::*;
pub use container::*;
pub use gguf::*;
pub use hdf5::*;
pub use huggingface::*;
pub use keras::*;
pub use numpy::*;
pub use onnx::*;
pub use pickle::*;
pub use safetensors::*;
pub use tensorflow::*;
pub use zip::*;

/// A check with the text a person needs to understand and act on its findings.
#[derive(Debug, Serialize)]
pub struct Rule {
    /// Stable code such as `PKL101`, never reused.
    pub code: &'static str,
    /// Kebab-case name of the pattern found (never of the fix).
    pub name: &'static str,
    /// Default severity; configuration may regrade it.
    pub severity: Severity,
    /// One-line summary.
    pub title: &'static str,
    /// What the rule finds, in a paragraph.
    pub finds: &'static str,
    /// Why that is dangerous.
    pub why: &'static str,
    /// What to do about a finding.
    pub fix: &'static str,
    /// CVEs, MITRE ATLAS techniques, OWASP entries, CWEs and write-ups.
    pub references: &'static [Reference],
    /// Whether the rule is in force.
    pub status: RuleStatus,
    /// airlock version that introduced the rule.
    pub since: &'static str,
}

/// Lifecycle of a rule code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// Reported by current versions.
    Stable,
    /// No longer reported; the code stays reserved.
    Removed,
}

/// A pointer to outside documentation that backs a rule.
#[derive(Debug, Serialize)]
pub struct Reference {
    /// Identifier as auditors write it (`CVE-2025-1716`, `AML.T0011.000`, `CWE-502`).
    pub id: &'static str,
    /// Where to read it.
    pub url: &'static str,
}

impl Rule {
    /// Link to this rule's page in the repository docs.
    pub fn doc_url(&self) -> String {
        format!("{DOCS_BASE_URL}/{}.md", self.code)
    }
}

/// Base of the generated rule pages (`docs/rules/<CODE>.md`).
pub const DOCS_BASE_URL: &str = "https://github.com/airlock-dev/airlock/blob/main/docs/rules";

/// Every rule airlock knows, sorted by code.
pub static ALL: &[&Rule] = &[
    &ARC101_ARCHIVE_PATH_TRAVERSAL,
    &GGF101_GGUF_CHAT_TEMPLATE_INJECTION,
    &GGF201_GGUF_CHAT_TEMPLATE_UNPARSED,
    &GGF501_GGUF_MALFORMED,
    &GGF901_GGUF_HEADER_LIMIT,
    &HDF201_HDF5_DENSE_ATTRIBUTES,
    &HDF501_HDF5_MALFORMED,
    &HDF901_HDF5_LIMIT,
    &HFM101_HF_REMOTE_CODE,
    &HFM102_HF_REMOTE_CODE_OTHER_REPO,
    &KER101_KERAS_LAMBDA_CODE,
    &KER102_KERAS_OUTSIDE_MODULE,
    &KER103_KERAS_UNSAFE_DESERIALIZATION,
    &KER104_KERAS_IO_FUNCTION,
    &KER105_KERAS_EXTERNAL_PATH,
    &KER201_KERAS_CUSTOM_OBJECT,
    &KER501_KERAS_CONFIG_MALFORMED,
    &KER901_KERAS_CONFIG_LIMIT,
    &NPY201_NUMPY_OBJECT_ARRAY,
    &NPY501_NUMPY_MALFORMED,
    &ONX101_ONNX_EXTERNAL_DATA_PATH_ESCAPE,
    &ONX102_ONNX_EXTERNAL_DATA_LINK,
    &ONX201_ONNX_CUSTOM_OP_DOMAIN,
    &ONX202_ONNX_EXTERNAL_DATA_MISSING,
    &ONX501_ONNX_MALFORMED,
    &ONX502_ONNX_EXTERNAL_DATA_OUT_OF_RANGE,
    &ONX901_ONNX_LIMIT,
    &PKL101_PICKLE_EXEC_GLOBAL,
    &PKL102_PICKLE_RESOLVER_GLOBAL,
    &PKL103_PICKLE_FILE_NETWORK_GLOBAL,
    &PKL104_PICKLE_CODE_OBJECT_GLOBAL,
    &PKL105_PICKLE_NESTED_LOADER_GLOBAL,
    &PKL106_PICKLE_SCANNER_TAMPER_GLOBAL,
    &PKL107_PICKLE_DUNDER_ATTRIBUTE,
    &PKL110_PICKLE_COMPUTED_CALLABLE,
    &PKL111_PICKLE_BUILD_ON_GLOBAL,
    &PKL112_PICKLE_EMBEDDED_PICKLE,
    &PKL201_PICKLE_UNKNOWN_GLOBAL,
    &PKL202_PICKLE_EXTENSION_CODE,
    &PKL501_PICKLE_MALFORMED,
    &PKL901_PICKLE_OPCODE_LIMIT,
    &PKL902_PICKLE_MEMO_LIMIT,
    &PKL903_PICKLE_STACK_LIMIT,
    &PKL904_PICKLE_NESTING_LIMIT,
    &PKL905_PICKLE_SIZE_LIMIT,
    &SCN201_CONTAINER_NOT_SCANNED,
    &SCN501_FILE_UNREADABLE,
    &SCN502_COMPRESSED_STREAM_MALFORMED,
    &SCN901_DECOMPRESSION_LIMIT,
    &SCN902_CONTAINER_DEPTH_LIMIT,
    &STF201_SAFETENSORS_METADATA_LARGE,
    &STF501_SAFETENSORS_HEADER_INVALID,
    &STF502_SAFETENSORS_OFFSETS_INCONSISTENT,
    &STF503_SAFETENSORS_UNACCOUNTED_BYTES,
    &STF504_SAFETENSORS_DUPLICATE_KEY,
    &STF505_SAFETENSORS_HEADER_NONSTANDARD,
    &STF901_SAFETENSORS_HEADER_LIMIT,
    &SVZ504_SEVENZ_MALFORMED,
    &SVZ901_SEVENZ_ENTRY_LIMIT,
    &TAR504_TAR_MALFORMED,
    &TAR901_TAR_ENTRY_LIMIT,
    &TFG101_TENSORFLOW_PYTHON_CALLBACK,
    &TFG102_TENSORFLOW_FILE_READ,
    &TFG103_TENSORFLOW_FILE_WRITE,
    &TFG104_TENSORFLOW_NETWORK,
    &TFG201_TENSORFLOW_CHECKPOINT_OP_OUTSIDE_SAVER,
    &TFG202_TENSORFLOW_CUSTOM_OP,
    &TFG501_TENSORFLOW_MALFORMED,
    &TFG901_TENSORFLOW_LIMIT,
    &ZIP501_ZIP_HEADER_MISMATCH,
    &ZIP502_ZIP_CRC_MISMATCH,
    &ZIP503_ZIP_FLAG_TRICK,
    &ZIP504_ZIP_MALFORMED,
    &ZIP505_ZIP_UNSUPPORTED_METHOD,
    &ZIP901_ZIP_ENTRY_LIMIT,
];

/// Looks a rule up by code (case-insensitive) or by kebab-case name.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|rule| rule.code.eq_ignore_ascii_case(code_or_name) || rule.name == code_or_name)
}

pub(crate) mod refs {
    //! References shared by several rules.
    use super::Reference;

    pub const ATLAS_SUPPLY_CHAIN: Reference = Reference {
        id: "AML.T0010",
        url: "https://atlas.mitre.org/techniques/AML.T0010",
    };
    pub const ATLAS_UNSAFE_ARTIFACT: Reference = Reference {
        id: "AML.T0011.000",
        url: "https://atlas.mitre.org/techniques/AML.T0011.000",
    };
    pub const OWASP_LLM03: Reference = Reference {
        id: "OWASP LLM03:2025",
        url: "https://genai.owasp.org/llmrisk/llm032025-supply-chain/",
    };
    pub const OWASP_ML06: Reference = Reference {
        id: "OWASP ML06:2023",
        url: "https://owasp.org/www-project-machine-learning-security-top-10/docs/ML06_2023-AI_Supply_Chain_Attacks",
    };
    pub const CWE_502: Reference = Reference {
        id: "CWE-502",
        url: "https://cwe.mitre.org/data/definitions/502.html",
    };
    pub const CWE_400: Reference = Reference {
        id: "CWE-400",
        url: "https://cwe.mitre.org/data/definitions/400.html",
    };
    pub const CWE_345: Reference = Reference {
        id: "CWE-345",
        url: "https://cwe.mitre.org/data/definitions/345.html",
    };
    pub const CWE_20: Reference = Reference {
        id: "CWE-20",
        url: "https://cwe.mitre.org/data/definitions/20.html",
    };
    pub const CWE_409: Reference = Reference {
        id: "CWE-409",
        url: "https://cwe.mitre.org/data/definitions/409.html",
    };
    pub const PYTHON_PICKLE_WARNING: Reference = Reference {
        id: "Python pickle docs",
        url: "https://docs.python.org/3/library/pickle.html#restricting-globals",
    };
    pub const NULLIFAI: Reference = Reference {
        id: "nullifAI (ReversingLabs, 2025)",
        url: "https://www.reversinglabs.com/blog/rl-identifies-malware-ml-model-hosted-on-hugging-face",
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        let codes: Vec<&str> = ALL.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(
            codes, sorted,
            "ALL must be sorted by code without duplicates"
        );
        for rule in ALL {
            let (prefix, digits) = rule.code.split_at(3);
            assert!(
                prefix.chars().all(|c| c.is_ascii_uppercase()),
                "{}",
                rule.code
            );
            assert!(
                digits.len() == 3 && digits.chars().all(|c| c.is_ascii_digit()),
                "{}",
                rule.code
            );
            assert!(
                rule.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{} name must be kebab-case",
                rule.code
            );
            for banned in ["avoid-", "use-", "do-not-"] {
                assert!(
                    !rule.name.starts_with(banned),
                    "{} is named for a fix",
                    rule.code
                );
            }
            assert!(
                !rule.title.ends_with('.'),
                "{} title ends with a period",
                rule.code
            );
            assert!(
                !rule.references.is_empty(),
                "{} has no references",
                rule.code
            );
        }
    }

    #[test]
    fn names_are_unique_and_lookup_works() {
        let mut names: Vec<&str> = ALL.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert_eq!(find("pkl101").map(|r| r.code), Some("PKL101"));
        assert_eq!(
            find("pickle-unknown-global").map(|r| r.code),
            Some("PKL201")
        );
        assert!(find("XXX999").is_none());
    }
}
