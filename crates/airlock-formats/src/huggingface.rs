//! Hugging Face model folders: the code a `config.json` asks `transformers` to run.
//!
//! `AutoModel.from_pretrained(..., trust_remote_code=True)` imports the Python modules that
//! the config's `auto_map` names (`"AutoModel": "modeling_x.MyModel"`) from the model
//! folder, or from another repository when the reference reads `org/repo--module.Class`
//! (research B39). Tokenizer and processor configs carry the same key, and
//! `custom_pipelines` names pipeline implementations the same way.
//!
//! # Security
//!
//! The JSON is parsed with `serde_json` from at most [`MAX_CONFIG_BYTES`]; Python files are
//! only read as text, never imported, at most [`MAX_SOURCE_BYTES`] each.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::FormatError;

/// Largest config file parsed; real configs are a few KiB.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Largest Python source read for its imports.
pub const MAX_SOURCE_BYTES: u64 = 4 << 20;

/// One class a config tells a loader to import.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CodeRef {
    /// The config key that names it (`auto_map.AutoModel`, `custom_pipelines.x.impl`).
    pub key: String,
    /// Repository holding the code when it is not this folder (`org/repo`).
    pub repo: Option<String>,
    /// Module path inside the repository (`modeling_x`, `sub.modeling_x`).
    pub module: String,
    /// Class name.
    pub class: String,
}

impl CodeRef {
    /// The file the module is loaded from, relative to the repository root.
    pub fn file(&self) -> String {
        format!("{}.py", self.module.replace('.', "/"))
    }
}

/// Every code reference in a config, in key order.
pub fn code_refs(json: &[u8]) -> Result<Vec<CodeRef>, FormatError> {
    let value: Value = serde_json::from_slice(json).map_err(|e| FormatError::Invalid {
        offset: 0,
        reason: format!("not JSON: {e}"),
    })?;
    let mut refs = BTreeSet::new();
    if let Some(map) = value.get("auto_map").and_then(Value::as_object) {
        for (class_key, target) in map {
            // Tokenizers map to a pair: [slow class, fast class], either may be null.
            let targets: Vec<&str> = match target {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for target in targets {
                refs.extend(parse_ref(&format!("auto_map.{class_key}"), target));
            }
        }
    }
    if let Some(pipelines) = value.get("custom_pipelines").and_then(Value::as_object) {
        for (task, spec) in pipelines {
            for (field, target) in spec.as_object().into_iter().flatten() {
                if let Some(target) = target.as_str()
                    && field == "impl"
                {
                    refs.extend(parse_ref(&format!("custom_pipelines.{task}.impl"), target));
                }
            }
        }
    }
    Ok(refs.into_iter().collect())
}

/// `[org/repo--]module.path.Class` as `transformers`' `get_class_from_dynamic_module` reads it.
fn parse_ref(key: &str, target: &str) -> Option<CodeRef> {
    let (repo, rest) = match target.split_once("--") {
        Some((repo, rest)) => (Some(repo.to_owned()), rest),
        None => (None, target),
    };
    let (module, class) = rest.rsplit_once('.')?;
    if module.is_empty() || class.is_empty() {
        return None;
    }
    Some(CodeRef {
        key: key.to_owned(),
        repo,
        module: module.to_owned(),
        class: class.to_owned(),
    })
}

/// Top-level module names a Python source imports (`import a.b` gives `a.b`; relative
/// imports keep their dots), plus names reached through `__import__`/`import_module`
/// with a literal argument. Comments and string literals are skipped.
pub fn python_imports(source: &[u8]) -> BTreeSet<String> {
    let text = String::from_utf8_lossy(source);
    let code = strip_strings_and_comments(&text);
    let mut found = BTreeSet::new();
    for statement in code.split(['\n', ';']) {
        let words: Vec<&str> = statement
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
            .filter(|w| !w.is_empty())
            .collect();
        match words.as_slice() {
            ["import", names @ ..] => {
                let mut skip_alias = false;
                for name in names {
                    if skip_alias {
                        skip_alias = false;
                    } else if *name == "as" {
                        skip_alias = true;
                    } else if *name != "\\" {
                        found.insert((*name).to_owned());
                    }
                }
            }
            ["from", module, "import", ..] => {
                found.insert((*module).to_owned());
            }
            _ => {}
        }
    }
    for call in ["__import__(", "import_module("] {
        for (at, _) in text.match_indices(call) {
            let rest = text.get(at + call.len()..).unwrap_or_default().trim_start();
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            if let Some(name) = rest.get(1..).and_then(|r| r.split(quote).next())
                && !name.is_empty()
                && name.len() < 200
            {
                found.insert(name.to_owned());
            }
        }
    }
    found
}

/// The source with comments removed and string literals blanked, so that words inside
/// them are not read as statements; backslash continuations and brackets joined into
/// one logical line.
fn strip_strings_and_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut depth = 0u32;
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' | '\'' => {
                let triple = chars.peek() == Some(&c) && {
                    let mut look = chars.clone();
                    look.next();
                    look.next() == Some(c)
                };
                if triple {
                    chars.next();
                    chars.next();
                }
                let mut run = 0;
                while let Some(n) = chars.next() {
                    if n == '\\' {
                        chars.next();
                        run = 0;
                        continue;
                    }
                    if n == c {
                        run += 1;
                        if !triple || run == 3 {
                            break;
                        }
                    } else {
                        run = 0;
                        if n == '\n' && !triple {
                            break;
                        }
                    }
                }
                out.push_str("''");
            }
            '(' | '[' | '{' => {
                depth += 1;
                out.push(c);
            }
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                out.push(c);
            }
            '\\' if chars.peek() == Some(&'\n') => {
                chars.next();
                out.push(' ');
            }
            '\n' if depth > 0 => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_map_forms() {
        let refs = code_refs(
            br#"{"auto_map": {
                "AutoConfig": "configuration_x.XConfig",
                "AutoModel": "other/repo--modeling_x.XModel",
                "AutoTokenizer": ["tokenization_x.XTokenizer", null]
            }, "custom_pipelines": {"t": {"impl": "pipe.P", "pt": ["AutoModel"]}}}"#,
        )
        .unwrap();
        let got: Vec<(String, Option<String>, String)> = refs
            .iter()
            .map(|r| (r.key.clone(), r.repo.clone(), r.file()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "auto_map.AutoConfig".into(),
                    None,
                    "configuration_x.py".into()
                ),
                (
                    "auto_map.AutoModel".into(),
                    Some("other/repo".into()),
                    "modeling_x.py".into()
                ),
                (
                    "auto_map.AutoTokenizer".into(),
                    None,
                    "tokenization_x.py".into()
                ),
                ("custom_pipelines.t.impl".into(), None, "pipe.py".into()),
            ]
        );
        assert!(code_refs(b"{\"model_type\": \"bert\"}").unwrap().is_empty());
        assert!(code_refs(b"not json").is_err());
    }

    #[test]
    fn imports_skip_strings_and_comments() {
        let src = br#"
import os, sys as system
from subprocess import (
    Popen,
    run,
)
from . import utils
# import socket
doc = """
import requests
"""
x = __import__("ctypes"); import json
mod = importlib.import_module('urllib.request')
s = "from shutil import rmtree"
"#;
        let got: Vec<String> = python_imports(src).into_iter().collect();
        assert_eq!(
            got,
            [
                ".",
                "ctypes",
                "json",
                "os",
                "subprocess",
                "sys",
                "urllib.request"
            ]
        );
    }
}
