//! Keras model configs (`config.json` of a `.keras` archive, `model_config` of an `.h5`):
//! what loading them would run, import or read.
//!
//! A Keras config is JSON that names classes and functions for the loader to find and
//! call. Four things in it act on load (research B29, B30):
//!
//! - **Lambda layers**: `{"class_name": "__lambda__", "config": {"code": ...}}` (Keras 3)
//!   or `"function": [code, defaults, closure], "function_type": "lambda"` (Keras 2),
//!   where `code` is `base64(marshal(code object))` that the loader runs
//!   (CVE-2024-3660). The code is decoded by [`crate::marshal`] to list what it uses.
//! - **References outside Keras**: `"module"` / `"registered_name"` entries naming a
//!   module that is not one of Keras' own packages. Keras before 3.9 imported any such
//!   module (CVE-2025-1550); `builtins`, `os`, `subprocess` and their kin there are
//!   attacks, other modules are custom objects that need the user's code.
//! - **Keras functions that are not modelling**: `get_file` and the file and model
//!   loaders (CVE-2025-8747) and `enable_unsafe_deserialization`, which turns
//!   `safe_mode` off for the rest of the load (CVE-2025-9906).
//! - **Paths and URLs** given as a lookup layer's `vocabulary` (or a similar file-valued
//!   key), which the loader reads (CVE-2025-12058).
//!
//! # Security
//!
//! Only parses: the config is read with serde_json (its recursion limit of 128 applies)
//! after a size check against [`Limits::max_keras_config_bytes`]; the walk is bounded
//! by the same depth and keeps at most [`MAX_HITS`] hits.

use base64::Engine;
use serde_json::Value;
use thiserror::Error;

use crate::Limits;
use crate::marshal::{self, CodeSummary, MarshalError};

/// Most hits kept per config; a config with more is reported as truncated.
pub const MAX_HITS: usize = 1000;

/// Deepest JSON nesting walked (serde_json refuses deeper documents anyway).
pub const MAX_WALK_DEPTH: usize = 128;

/// Packages whose classes Keras itself may import on load (keras 3.9+ imports no other).
pub const KERAS_PACKAGES: &[&str] = &[
    "keras",
    "keras_hub",
    "keras_cv",
    "keras_nlp",
    "tf_keras",
    "tensorflow.keras",
    "tensorflow.python.keras",
];

/// Modules whose functions run commands, load code, or touch files and the network.
pub const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "posixpath",
    "ntpath",
    "subprocess",
    "builtins",
    "__builtin__",
    "sys",
    "shutil",
    "socket",
    "importlib",
    "runpy",
    "pty",
    "ctypes",
    "code",
    "codeop",
    "pickle",
    "_pickle",
    "marshal",
    "shelve",
    "dill",
    "cloudpickle",
    "joblib",
    "webbrowser",
    "urllib",
    "urllib2",
    "urllib3",
    "http",
    "httplib",
    "requests",
    "ftplib",
    "smtplib",
    "telnetlib",
    "asyncio",
    "multiprocessing",
    "tempfile",
    "pathlib",
    "io",
    "_io",
    "glob",
    "signal",
    "platform",
    "pdb",
    "timeit",
    "trace",
    "profile",
    "cProfile",
    "commands",
    "popen2",
    "operator",
    "functools",
    "numpy",
    "torch",
    "tensorflow",
];

/// Python builtins that run code or touch files; harmless with Keras' `builtins` lookup
/// (which resolves names such as `relu` in Keras' own modules), dangerous on Keras < 3.9.
pub const DANGEROUS_BUILTINS: &[&str] = &[
    "eval",
    "exec",
    "compile",
    "open",
    "__import__",
    "getattr",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "vars",
    "breakpoint",
    "input",
    "exit",
    "quit",
    "help",
    "memoryview",
    "system",
    "popen",
];

/// Keras functions that do I/O or load other models (Keras' own `NON_MODELING_APIS`).
pub const KERAS_IO_FUNCTIONS: &[&str] = &[
    "get_file",
    "load_model",
    "load_weights",
    "model_from_json",
    "model_from_yaml",
    "model_from_config",
    "save_model",
    "save_weights",
    "load_img",
    "save_img",
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "audio_dataset_from_directory",
    "deserialize_keras_object",
    "serialize_keras_object",
    "register_keras_serializable",
    "clear_session",
];

/// Config keys whose string value the loader opens as a file or URL.
pub const FILE_KEYS: &[&str] = &[
    "vocabulary",
    "vocabulary_file",
    "vocab_file",
    "idf_weights",
    "merges",
    "filepath",
    "file_path",
    "fname",
    "origin",
];

/// Why a config could not be analysed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Larger than [`Limits::max_keras_config_bytes`].
    #[error("config is {len} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Its size.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// Not JSON (or JSON nested deeper than serde_json's recursion limit).
    #[error("config is not JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("config is JSON but not an object")]
    NotAnObject,
}

/// Which Keras layout a Lambda was stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LambdaLayout {
    /// `{"class_name": "__lambda__", "config": {"code": ...}}`.
    Keras3,
    /// `"function": [code, defaults, closure]` with `"function_type": "lambda"`.
    Keras2,
}

/// What was found at one place in a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HitKind {
    /// Marshalled Python bytecode that the loader runs.
    Lambda {
        /// Which layout stored it.
        layout: LambdaLayout,
        /// Decoded byte count of the marshal data (0 when the base64 does not decode).
        code_len: usize,
        /// What the code refers to, or why it could not be decoded.
        code: Result<CodeSummary, String>,
    },
    /// A module outside Keras known to run commands, load code or do I/O, or a
    /// dangerous Python builtin.
    OutsideModule {
        /// The module named.
        module: String,
        /// The class or function named.
        name: String,
    },
    /// `enable_unsafe_deserialization`: turns `safe_mode` off for what follows.
    UnsafeDeserialization {
        /// The module named.
        module: String,
    },
    /// A Keras function that downloads, reads or writes files or loads models.
    IoFunction {
        /// The module named.
        module: String,
        /// The function named.
        name: String,
    },
    /// A file-valued key given a path or URL instead of inline data.
    ExternalPath {
        /// The key (`vocabulary`...).
        key: String,
        /// The value, as written.
        value: String,
        /// How it reaches outside the model: "an absolute path", "a path that climbs out",
        /// "a URL" or "a relative path".
        reach: &'static str,
    },
    /// A class or function that Keras does not ship: loading needs the user's code.
    CustomObject {
        /// The module named, if any.
        module: Option<String>,
        /// The class or registered name.
        name: String,
    },
}

/// One thing found, with where it is in the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// JSON path, such as `config.layers[2].config.function`.
    pub path: String,
    /// What was found.
    pub kind: HitKind,
}

/// What [`analyze_config`] learned about one config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KerasReport {
    /// The top-level `class_name`, when present (`Sequential`, `Functional`...).
    pub class_name: Option<String>,
    /// Everything found, in document order.
    pub hits: Vec<Hit>,
    /// More than [`MAX_HITS`] hits existed.
    pub truncated: bool,
    /// Why the analysis could not run, if it could not.
    pub error: Option<ConfigError>,
}

impl KerasReport {
    /// Whether the config looks like a Keras model config (an object with a `class_name`).
    pub fn is_keras(&self) -> bool {
        self.class_name.is_some()
    }
}

/// Parses a Keras config's JSON and reports what loading it would run, import or read.
pub fn analyze_config(json: &[u8], limits: &Limits) -> KerasReport {
    let mut report = KerasReport::default();
    if json.len() as u64 > limits.max_keras_config_bytes {
        report.error = Some(ConfigError::TooLarge {
            len: json.len() as u64,
            limit: limits.max_keras_config_bytes,
        });
        return report;
    }
    let value: Value = match serde_json::from_slice(json) {
        Ok(value) => value,
        Err(error) => {
            report.error = Some(ConfigError::NotJson(error.to_string()));
            return report;
        }
    };
    analyze_value(&value, &mut report);
    report
}

/// The `keras_version` a `.keras` archive's `metadata.json` names, if it parses.
pub fn keras_version(metadata: &[u8], limits: &Limits) -> Option<String> {
    if metadata.len() as u64 > limits.max_keras_config_bytes {
        return None;
    }
    let value: Value = serde_json::from_slice(metadata).ok()?;
    value.get("keras_version")?.as_str().map(str::to_owned)
}

/// Analyses an already parsed config (for callers that found it inside other JSON).
pub fn analyze_value(value: &Value, report: &mut KerasReport) {
    let Value::Object(top) = value else {
        report.error = Some(ConfigError::NotAnObject);
        return;
    };
    report.class_name = top
        .get("class_name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut path = Vec::new();
    walk(value, &mut path, 0, report);
}

fn push(report: &mut KerasReport, path: &[String], kind: HitKind) {
    if report.hits.len() >= MAX_HITS {
        report.truncated = true;
        return;
    }
    report.hits.push(Hit {
        path: join(path),
        kind,
    });
}

fn join(path: &[String]) -> String {
    let mut out = String::new();
    for segment in path {
        if !segment.starts_with('[') && !out.is_empty() {
            out.push('.');
        }
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push_str("<root>");
    }
    out
}

fn walk(value: &Value, path: &mut Vec<String>, depth: usize, report: &mut KerasReport) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            check_object(map, path, report);
            for (key, child) in map {
                path.push(key.clone());
                walk(child, path, depth + 1, report);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                walk(child, path, depth + 1, report);
                path.pop();
            }
        }
        _ => {}
    }
}

fn check_object(
    map: &serde_json::Map<String, Value>,
    path: &mut Vec<String>,
    report: &mut KerasReport,
) {
    let class_name = map.get("class_name").and_then(Value::as_str);
    // Keras 3 lambda.
    if class_name == Some("__lambda__") {
        let code = map
            .get("config")
            .and_then(|c| c.get("code"))
            .and_then(Value::as_str);
        push(report, path, lambda(LambdaLayout::Keras3, code));
    }
    // Keras 2 lambda (the function, and an output_shape given as a lambda).
    for (key, kind_key) in [
        ("function", "function_type"),
        ("output_shape", "output_shape_type"),
    ] {
        if map.get(kind_key).and_then(Value::as_str) == Some("lambda")
            && let Some(stored) = map.get(key)
        {
            let code = match stored {
                Value::String(s) => Some(s.as_str()),
                Value::Array(items) => items.first().and_then(Value::as_str),
                _ => None,
            };
            path.push(key.to_owned());
            push(report, path, lambda(LambdaLayout::Keras2, code));
            path.pop();
        }
    }
    // A Keras 2 lambda's `module` is where the lambda was written; the lambda says it all.
    if map.get("function_type").and_then(Value::as_str) != Some("lambda") {
        check_reference(map, class_name, path, report);
    }
    for key in FILE_KEYS {
        if let Some(Value::String(s)) = map.get(*key)
            && let Some(reach) = reach(key, s)
        {
            path.push((*key).to_owned());
            push(
                report,
                path,
                HitKind::ExternalPath {
                    key: (*key).to_owned(),
                    value: s.clone(),
                    reach,
                },
            );
            path.pop();
        }
    }
}

/// `module` / `class_name` / `registered_name` / function-name entries.
fn check_reference(
    map: &serde_json::Map<String, Value>,
    class_name: Option<&str>,
    path: &[String],
    report: &mut KerasReport,
) {
    let module = map.get("module").and_then(Value::as_str);
    let registered = map.get("registered_name").and_then(Value::as_str);
    let function_name = map.get("config").and_then(Value::as_str);
    // Keras 2 Lambda/function configs carry a `module` for the function's own module
    // next to `function_type`; that is covered by the lambda check or the names below.
    let keras2_function = map.get("function_type").and_then(Value::as_str) == Some("function");
    // A function entry (`"class_name": "function"`) names the function in `config`.
    let class_name = class_name.filter(|c| *c != "function");
    let names: Vec<&str> = [function_name, class_name, registered]
        .into_iter()
        .flatten()
        .chain(
            keras2_function
                .then(|| map.get("function").and_then(Value::as_str))
                .flatten(),
        )
        .map(|n| n.rsplit(['>', '.']).next().unwrap_or(n))
        .collect();
    let Some(module) = module else {
        // Keras 2 configs name registered custom objects without a module.
        if let Some(registered) = registered
            && registered.contains('>')
        {
            push(
                report,
                path,
                HitKind::CustomObject {
                    module: None,
                    name: registered.to_owned(),
                },
            );
        }
        return;
    };
    if module.is_empty() {
        return;
    }
    if names.contains(&"enable_unsafe_deserialization") {
        push(
            report,
            path,
            HitKind::UnsafeDeserialization {
                module: module.to_owned(),
            },
        );
        return;
    }
    let in_keras = KERAS_PACKAGES
        .iter()
        .any(|p| module == *p || module.strip_prefix(p).is_some_and(|r| r.starts_with('.')));
    if in_keras {
        if let Some(name) = names.iter().find(|n| KERAS_IO_FUNCTIONS.contains(n)) {
            push(
                report,
                path,
                HitKind::IoFunction {
                    module: module.to_owned(),
                    name: (*name).to_owned(),
                },
            );
        } else if let Some(registered) = registered
            && registered.contains('>')
        {
            push(
                report,
                path,
                HitKind::CustomObject {
                    module: Some(module.to_owned()),
                    name: registered.to_owned(),
                },
            );
        }
        return;
    }
    let root = module.split('.').next().unwrap_or(module);
    let name = names.first().copied().unwrap_or_default().to_owned();
    if module == "builtins" {
        // Keras writes built-in functions such as `relu` as `builtins` + name and looks
        // them up in its own modules; only a real Python builtin is an attack.
        if let Some(bad) = names.iter().find(|n| DANGEROUS_BUILTINS.contains(n)) {
            push(
                report,
                path,
                HitKind::OutsideModule {
                    module: module.to_owned(),
                    name: (*bad).to_owned(),
                },
            );
        }
        return;
    }
    if DANGEROUS_MODULES.contains(&root) || names.iter().any(|n| DANGEROUS_BUILTINS.contains(n)) {
        push(
            report,
            path,
            HitKind::OutsideModule {
                module: module.to_owned(),
                name,
            },
        );
        return;
    }
    push(
        report,
        path,
        HitKind::CustomObject {
            module: Some(module.to_owned()),
            name: registered.map(str::to_owned).unwrap_or(name),
        },
    );
}

fn lambda(layout: LambdaLayout, code: Option<&str>) -> HitKind {
    let Some(code) = code else {
        return HitKind::Lambda {
            layout,
            code_len: 0,
            code: Err("no code string".to_owned()),
        };
    };
    // Keras 2 wrote base64 with line breaks (codecs' base64); drop all whitespace.
    let compact: String = code.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
        Ok(raw) => HitKind::Lambda {
            layout,
            code_len: raw.len(),
            code: marshal::summarize(&raw).map_err(|e: MarshalError| e.to_string()),
        },
        Err(error) => HitKind::Lambda {
            layout,
            code_len: 0,
            code: Err(format!("code is not base64: {error}")),
        },
    }
}

/// Whether a file-valued string reaches outside the model, and how.
fn reach(key: &str, value: &str) -> Option<&'static str> {
    let lower = value.to_ascii_lowercase();
    if [
        "http://", "https://", "ftp://", "gs://", "s3://", "hdfs://", "file:", "//",
    ]
    .iter()
    .any(|s| lower.starts_with(s))
        || lower.contains("://")
    {
        return Some("a URL");
    }
    if value.starts_with('/')
        || value.starts_with('\\')
        || value.starts_with('~')
        || value.as_bytes().get(1..3) == Some(b":\\")
        || value.as_bytes().get(1..3) == Some(b":/")
    {
        return Some("an absolute path");
    }
    if value.split(['/', '\\']).any(|s| s == "..") {
        return Some("a path that climbs out");
    }
    // `origin`/`fname` only matter as URLs/paths; a vocabulary given as any string is a file.
    if matches!(
        key,
        "vocabulary" | "vocabulary_file" | "vocab_file" | "idf_weights" | "merges"
    ) && !value.is_empty()
    {
        return Some("a relative path");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(json: &str) -> Vec<HitKind> {
        let report = analyze_config(json.as_bytes(), &Limits::default());
        assert!(report.error.is_none(), "{:?}", report.error);
        report.hits.into_iter().map(|h| h.kind).collect()
    }

    #[test]
    fn benign_keras3_config_is_clean() {
        let json = r#"{"module": "keras", "class_name": "Sequential", "config": {"name": "s",
          "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
          "layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"units": 2, "activation": "relu"}, "registered_name": null}]},
          "compile_config": {"loss": {"module": "builtins", "class_name": "function", "config": "mse", "registered_name": "function"}}}"#;
        assert_eq!(kinds(json), vec![]);
    }

    #[test]
    fn finds_outside_modules_and_gadgets() {
        let json = r#"{"class_name": "Functional", "config": {"layers": [
          {"module": "os", "class_name": "system", "config": {}},
          {"module": "builtins", "class_name": "function", "config": "eval"},
          {"module": "keras.utils", "class_name": "get_file", "config": {"origin": "http://x/y"}},
          {"module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization"},
          {"module": "my_pkg.layers", "class_name": "Mine", "registered_name": "my_pkg>Mine"},
          {"module": "keras.layers", "class_name": "StringLookup", "config": {"vocabulary": "/etc/passwd"}}
        ]}}"#;
        let found = kinds(json);
        assert!(matches!(&found[0], HitKind::OutsideModule { module, .. } if module == "os"));
        assert!(matches!(&found[1], HitKind::OutsideModule { name, .. } if name == "eval"));
        assert!(matches!(&found[2], HitKind::IoFunction { name, .. } if name == "get_file"));
        assert!(matches!(
            &found[3],
            HitKind::ExternalPath { reach: "a URL", .. }
        ));
        assert!(matches!(&found[4], HitKind::UnsafeDeserialization { .. }));
        assert!(matches!(&found[5], HitKind::CustomObject { .. }));
        assert!(matches!(
            &found[6],
            HitKind::ExternalPath {
                reach: "an absolute path",
                ..
            }
        ));
        assert_eq!(found.len(), 7);
    }

    #[test]
    fn finds_lambdas_in_both_layouts() {
        let json = r#"{"class_name": "Sequential", "config": {"layers": [
          {"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMOAAAAdABkAYMBoAFkAqEBUwApA07aAm9z+gdlY2hvIGhpKQLaCl9faW1wb3J0X1/aBnN5c3RlbSkB2gF4qQByBgAAANoIPHN0cmluZz7aCDxsYW1iZGE+AwAAAPMAAAAA"}}}},
          {"class_name": "Lambda", "config": {"function": ["4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMOAAAAdABkAYMBoAFkAqEB\nUwApA07aAm9z+gdlY2hvIGhpKQLaCl9faW1wb3J0X1/aBnN5c3RlbSkB2gF4qQByBgAAANoIPHN0\ncmluZz7aCDxsYW1iZGE+AwAAAPMAAAAA\n", null, null], "function_type": "lambda", "module": "__main__"}}
        ]}}"#;
        let report = analyze_config(json.as_bytes(), &Limits::default());
        assert_eq!(report.hits.len(), 2, "{:?}", report.hits);
        assert_eq!(report.hits[0].path, "config.layers[0].config.function");
        assert_eq!(report.hits[1].path, "config.layers[1].config.function");
        for hit in &report.hits {
            let HitKind::Lambda {
                code: Ok(summary), ..
            } = &hit.kind
            else {
                panic!("{hit:?}");
            };
            assert!(summary.names.contains("system"));
        }
    }

    #[test]
    fn errors_are_reported() {
        let limits = Limits::default();
        assert!(matches!(
            analyze_config(b"{", &limits).error,
            Some(ConfigError::NotJson(_))
        ));
        assert_eq!(
            analyze_config(b"[]", &limits).error,
            Some(ConfigError::NotAnObject)
        );
        let deep = "[".repeat(10_000);
        assert!(analyze_config(deep.as_bytes(), &limits).error.is_some());
    }
}
