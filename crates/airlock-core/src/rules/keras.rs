//! Rules for Keras model configs (`config.json` of `.keras` archives, `model_config` of
//! `.h5` files): Lambda bytecode, references outside Keras, loader gadgets and paths.
//!
//! A Keras config names the classes and functions the loader resolves and calls. Lambda
//! layers carry marshalled Python bytecode (research B29); `safe_mode` was bypassed by
//! naming arbitrary modules, Keras' own file and download functions, and
//! `enable_unsafe_deserialization` itself, and lookup layers read files named in the
//! config (research B30).

use super::refs::*;
use super::{Reference, Rule, RuleStatus};
use crate::Severity;

const CVE_2024_3660: Reference = Reference {
    id: "CVE-2024-3660",
    url: "https://www.kb.cert.org/vuls/id/253266",
};

const CVE_2025_1550: Reference = Reference {
    id: "CVE-2025-1550",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2025-1550",
};

const CVE_2025_8747: Reference = Reference {
    id: "CVE-2025-8747",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2025-8747",
};

const CVE_2025_9905: Reference = Reference {
    id: "CVE-2025-9905",
    url: "https://github.com/keras-team/keras/security/advisories/GHSA-36rr-ww3j-vrjv",
};

const CVE_2025_9906: Reference = Reference {
    id: "CVE-2025-9906",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2025-9906",
};

const CVE_2025_12058: Reference = Reference {
    id: "CVE-2025-12058",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2025-12058",
};

const CWE_94: Reference = Reference {
    id: "CWE-94",
    url: "https://cwe.mitre.org/data/definitions/94.html",
};

const CWE_73: Reference = Reference {
    id: "CWE-73",
    url: "https://cwe.mitre.org/data/definitions/73.html",
};

const KERAS_SAFE_MODE: Reference = Reference {
    id: "Keras safe_mode",
    url: "https://keras.io/api/models/model_saving_apis/model_saving_and_loading/",
};

const KERAS_FIX: &str = "Do not load the model. Get it again from its publisher and compare digests; \
when you need the architecture, rebuild it in code and load only the weights \
(`model.load_weights`) from a `.weights.h5` or safetensors file. Keep Keras at 3.12 or later and \
never pass `safe_mode=False`.";

/// Lambda layer with marshalled bytecode.
pub const KER101_KERAS_LAMBDA_CODE: Rule = Rule {
    code: "KER101",
    name: "keras-lambda-code",
    severity: Severity::Critical,
    title: "Keras config contains Lambda bytecode",
    finds: "A Lambda at any depth of a Keras config (nested models and wrappers included): Keras 3's \
`{\"class_name\": \"__lambda__\", \"config\": {\"code\": ...}}` or Keras 2's `\"function\"` / \
`\"output_shape\"` with `\"function_type\": \"lambda\"`. The code is base64 of `marshal.dumps` of a \
Python code object; airlock decodes it (CPython 3.0–3.13 layouts, never executed) and lists the \
names, nested functions and string constants it uses. Code that does not decode is reported with its \
size.",
    why: "Loading the model unmarshals and runs the bytecode as the loading user. Keras before 2.13 \
did so unconditionally (CVE-2024-3660); Keras 3 refuses it in `safe_mode` for `.keras` files, but \
`.h5` files were loaded without that check before 3.11.3 (CVE-2025-9905), and configs can switch \
`safe_mode` off (CVE-2025-9906). Bytecode cannot be reviewed like source.",
    fix: KERAS_FIX,
    references: &[
        CVE_2024_3660,
        CVE_2025_9905,
        CWE_94,
        CWE_502,
        ATLAS_UNSAFE_ARTIFACT,
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// Reference to a module outside Keras that runs commands or does I/O.
pub const KER102_KERAS_OUTSIDE_MODULE: Rule = Rule {
    code: "KER102",
    name: "keras-outside-module",
    severity: Severity::Critical,
    title: "Keras config names a module outside Keras that runs code or does I/O",
    finds: "An object whose `module` is not one of Keras' own packages (`keras`, `keras_hub`, \
`keras_cv`, `keras_nlp`, `tf_keras`, `tensorflow.keras`) and whose top-level package runs commands, \
loads code or touches files and the network (`os`, `subprocess`, `sys`, `builtins`, `importlib`, \
`runpy`, `pickle`, `shutil`, `socket`, `urllib`, `requests`, `numpy`, `torch`, `tensorflow`…), or a \
`builtins` function entry naming a dangerous Python builtin (`eval`, `exec`, `open`, `__import__`, \
`getattr`…). Keras writes its own built-in functions as `builtins` plus a Keras name such as `relu`; \
those are not reported.",
    why: "Keras before 3.9 imported the named module and called the named attribute with the config's \
arguments (CVE-2025-1550), so `{\"module\": \"os\", \"class_name\": \"system\"}` runs a command on \
load, `safe_mode` notwithstanding. No Keras model needs these modules in its config.",
    fix: KERAS_FIX,
    references: &[CVE_2025_1550, CWE_502, ATLAS_UNSAFE_ARTIFACT, OWASP_ML06],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// `enable_unsafe_deserialization` named in a config.
pub const KER103_KERAS_UNSAFE_DESERIALIZATION: Rule = Rule {
    code: "KER103",
    name: "keras-unsafe-deserialization",
    severity: Severity::Critical,
    title: "Keras config turns off safe_mode",
    finds: "An object naming `enable_unsafe_deserialization` (`keras.config`, \
`keras.src.saving.serialization_lib`…) as its class, registered name or function.",
    why: "Resolving it during the load switches `safe_mode` off for everything deserialised after it, \
so a Lambda later in the same config runs even though the user loaded with the default \
`safe_mode=True` (CVE-2025-9906, Keras 3.0 to 3.10). A model has no reason to name it.",
    fix: KERAS_FIX,
    references: &[CVE_2025_9906, CWE_502, ATLAS_UNSAFE_ARTIFACT],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A Keras function that downloads, reads, writes or loads.
pub const KER104_KERAS_IO_FUNCTION: Rule = Rule {
    code: "KER104",
    name: "keras-io-function",
    severity: Severity::High,
    title: "Keras config names a Keras function that does file or network I/O",
    finds: "An object in a Keras namespace naming one of Keras' non-modelling functions: `get_file`, \
`load_model`, `load_weights`, `model_from_json`, `save_model`, `save_weights`, `load_img`, \
`save_img`, the `*_dataset_from_directory` readers, `(de)serialize_keras_object`, \
`register_keras_serializable` or `clear_session`.",
    why: "Keras 3.0 to 3.10 resolved any function under `keras.*` in `safe_mode`, so a config could call \
`keras.utils.get_file` to download a file to a chosen path (overwriting files, SSRF) or load another \
model without `safe_mode` (CVE-2025-8747). Keras now rejects these names; a model config never needs \
them.",
    fix: KERAS_FIX,
    references: &[CVE_2025_8747, CWE_502, CWE_73, ATLAS_UNSAFE_ARTIFACT],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A file-valued config key given a path or URL.
pub const KER105_KERAS_EXTERNAL_PATH: Rule = Rule {
    code: "KER105",
    name: "keras-external-path",
    severity: Severity::High,
    title: "Keras config makes the loader read a file or URL outside the model",
    finds: "A `vocabulary` (StringLookup, IntegerLookup, TextVectorization), `vocabulary_file`, \
`vocab_file`, `idf_weights` or `merges` given as a string instead of inline values, or an \
`origin`, `fname` or `filepath` that is a URL or an absolute or climbing path. The message says \
whether it is an absolute path, climbs out with `..`, is a URL (http, https, gs, s3, hdfs, file…) or \
a path relative to wherever the model is loaded.",
    why: "The layer opens the path with TensorFlow's file system on load: a local file such as \
`/etc/passwd` ends up in the model's vocabulary, where outputs can leak it, and a URL makes the \
loading machine fetch it (CVE-2025-12058). A model saved by Keras keeps its vocabulary inline or in \
the archive's assets.",
    fix: "Do not load the model. Get it from its publisher, or rebuild the lookup layer with an inline \
vocabulary that you have reviewed.",
    references: &[CVE_2025_12058, CWE_73, ATLAS_SUPPLY_CHAIN],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A class or function that Keras does not ship.
pub const KER201_KERAS_CUSTOM_OBJECT: Rule = Rule {
    code: "KER201",
    name: "keras-custom-object",
    severity: Severity::Medium,
    title: "Keras config needs custom code to load",
    finds: "An object whose `module` is outside Keras' own packages but not one known to run code or \
do I/O (such as `__main__` or `my_package.layers`), or whose `registered_name` has the \
`package>Name` form of `register_keras_serializable`.",
    why: "Keras loads such a model only with the custom class or function supplied by the caller \
(`custom_objects` or registration), so loading it runs your code, or, with Keras before 3.9, imports \
the named module. Know where that code comes from before loading.",
    fix: "Check that the named module or registered object is yours and reviewed; load with \
`custom_objects` that you control.",
    references: &[CVE_2025_1550, CWE_502, KERAS_SAFE_MODE],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A config that is not JSON or not an object.
pub const KER501_KERAS_CONFIG_MALFORMED: Rule = Rule {
    code: "KER501",
    name: "keras-config-malformed",
    severity: Severity::Medium,
    title: "Keras config is not a JSON object",
    finds: "The `config.json` of a Keras archive (one whose `metadata.json` names a `keras_version`) or \
the `model_config` / `training_config` attribute of an HDF5 file that is not JSON, is JSON nested \
deeper than 128 levels, or is not a JSON object. Nothing in it was analysed.",
    why: "Keras refuses such a model, but other readers of the same file may not; its content is not \
known to be clean.",
    fix: "Get the model again from its publisher.",
    references: &[CWE_20, KERAS_SAFE_MODE],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A config over the size limit.
pub const KER901_KERAS_CONFIG_LIMIT: Rule = Rule {
    code: "KER901",
    name: "keras-config-limit",
    severity: Severity::High,
    title: "Keras config exceeds airlock's size limit",
    finds: "A Keras config larger than `max-keras-config-bytes` (16 MiB by default), or an HDF5 file \
whose root attribute strings, global heap collections or dense attribute storage add up to more \
than that. The config, or the attributes past the limit, were not analysed.",
    why: "Real model configs are kilobytes to a few megabytes. The model is not known to be clean.",
    fix: "Raise `max-keras-config-bytes` under `[scan.limits]` if the file is trusted to be that \
large, and scan again.",
    references: &[CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
