//! Rules for GGUF files: chat-template injection, malformed headers and header caps.
//!
//! GGUF holds no code, but its `tokenizer.chat_template` is a Jinja2 template that
//! runtimes render, some of them outside a sandbox (research B33), and its counts,
//! lengths and dimensions have overflowed loaders (research B34).

use super::refs::*;
use super::{Reference, Rule, RuleStatus};
use crate::Severity;

const GGUF_SPEC: Reference = Reference {
    id: "GGUF format",
    url: "https://github.com/ggml-org/ggml/blob/master/docs/gguf.md",
};

const CVE_2024_34359: Reference = Reference {
    id: "CVE-2024-34359",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2024-34359",
};

const CVE_2025_53630: Reference = Reference {
    id: "CVE-2025-53630",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2025-53630",
};

const CWE_1336: Reference = Reference {
    id: "CWE-1336",
    url: "https://cwe.mitre.org/data/definitions/1336.html",
};

const GGUF_FIX: &str = "Do not load the file. Re-download the model from its publisher and compare \
digests, or re-convert it from trusted weights with llama.cpp's `convert_hf_to_gguf.py`.";

/// A chat template reaches for Python internals.
pub const GGF101_GGUF_CHAT_TEMPLATE_INJECTION: Rule = Rule {
    code: "GGF101",
    name: "gguf-chat-template-injection",
    severity: Severity::Critical,
    title: "GGUF chat template contains a sandbox-escape pattern",
    finds: "A `tokenizer.chat_template` (or `tokenizer.chat_template.<name>`) whose Jinja2 syntax \
accesses a dunder attribute or item (`__class__`, `__globals__`, `__subclasses__`, `__init__`, \
`__builtins__`, `__mro__`…, also through `[\"__x__\"]` or the `attr` filter), uses the globals \
`cycler`, `joiner` or `lipsum`, or names `os`, `popen`, `system`, `subprocess`, `eval`, `exec` or \
`__import__` as an attribute or subscript. The template is parsed, never rendered; when it does not \
parse, the raw text is searched for the same words.",
    why: "Runtimes render the chat template with Jinja2 on every request; llama-cpp-python \
(CVE-2024-34359) and SGLang (CVE-2026-5760) did so without a sandbox, so such a template runs \
commands as the serving process. Real chat templates only loop over messages and concatenate strings; \
none needs Python internals.",
    fix: "Do not serve the model with this template. Replace the template with the publisher's \
(from `tokenizer_config.json`) using `gguf-new-metadata.py`, and render templates only in a \
`jinja2.sandbox.ImmutableSandboxedEnvironment`.",
    references: &[CVE_2024_34359, CWE_1336, ATLAS_SUPPLY_CHAIN, GGUF_SPEC],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A chat template that the static check could not parse.
pub const GGF201_GGUF_CHAT_TEMPLATE_UNPARSED: Rule = Rule {
    code: "GGF201",
    name: "gguf-chat-template-unparsed",
    severity: Severity::Medium,
    title: "GGUF chat template could not be parsed",
    finds: "A chat template that minijinja's parser rejects, that exceeds 1 MiB, or one of whose tags \
holds more than 2048 tokens. Only a text search for escape patterns was done.",
    why: "Jinja2 accepts some syntax minijinja does not (extension tags such as `{% generation %}`), \
so the template may still render; its structure was not checked, so it is not known to be safe.",
    fix: "Read the template; compare it with the publisher's `tokenizer_config.json`.",
    references: &[CWE_1336, GGUF_SPEC],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// The header is one a loader would reject or overflow on.
pub const GGF501_GGUF_MALFORMED: Rule = Rule {
    code: "GGF501",
    name: "gguf-malformed",
    severity: Severity::High,
    title: "GGUF header is malformed",
    finds: "A GGUF file whose magic or version (not 2 or 3) is wrong; whose tensor or key/value counts, \
string lengths or array lengths cannot fit in the file; with duplicate keys or tensor names, unknown \
value or ggml types, nested arrays, a `general.alignment` that is not a u32 power of two, tensor names \
of 64 bytes or more, more than 4 dimensions, element counts or byte sizes over 2^63, a first dimension \
not a multiple of the block size, tensor offsets that are misaligned, out of sequence or past the end \
of the file, non-UTF-8 keys or names, nonzero padding, or that ends inside the header.",
    why: "ggml's loader refuses these files; loaders that do not check them allocate or read what the \
counts say: the heap overflows and integer overflows of CVE-2025-53630 and CVE-2026-27940 and the \
out-of-bounds read of CVE-2026-7482. Offsets out of sequence also leave bytes that no tensor covers, \
where other content can hide.",
    fix: GGUF_FIX,
    references: &[CVE_2025_53630, CWE_20, GGUF_SPEC],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A header cap was hit before the header was read.
pub const GGF901_GGUF_HEADER_LIMIT: Rule = Rule {
    code: "GGF901",
    name: "gguf-header-limit",
    severity: Severity::High,
    title: "GGUF header exceeds airlock's caps",
    finds: "A GGUF header with more than 1,000,000 tensors, 65,536 key/value pairs or 64 Mi array \
elements, arrays nested deeper than the depth limit, a key or tensor name over 1 MiB, or a string value \
(a chat template included) over 64 MiB. The rest of the header, or that string, was not analysed.",
    why: "No real model comes near these sizes; a reader without caps allocates what they say. The file \
is not known to be clean.",
    fix: GGUF_FIX,
    references: &[CWE_400, GGUF_SPEC],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
