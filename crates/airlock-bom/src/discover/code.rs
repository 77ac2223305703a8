//! References in code: the models and datasets Python sources and notebooks load
//! (`from_pretrained`, `pipeline`, `hf_hub_download`, `snapshot_download`, `load_dataset`,
//! `SentenceTransformer`, `timm.create_model("hf-hub:…")`, `torch.hub.load`), found by a
//! small Python tokenizer, never by running anything.
//!
//! The tokenizer skips comments, reads string literals with their prefixes, escapes and
//! triple quotes, and tracks lines. Calls are matched by their dotted name and their
//! arguments read at the top level of the call: string literals (implicitly concatenated),
//! or names bound to a string literal anywhere in the file (`MODEL_ID = "org/name"`).
//! f-strings and computed values are not resolved and not recorded.
//!
//! # Security
//!
//! Sources are read up to [`DiscoverOptions::max_source_bytes`], notebooks up to
//! [`DiscoverOptions::max_notebook_bytes`]; the argument list of one call is read for at
//! most [`MAX_CALL_TOKENS`] tokens.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::services::{self, ServiceReference};
use super::walk::Tree;
use super::{DiscoverOptions, Problem, shorten};

/// Tokens of one call's argument list read before the call is cut short.
pub const MAX_CALL_TOKENS: usize = 256;
/// Bytes kept of a recorded target or argument.
const MAX_VALUE: usize = 256;

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceKind {
    /// A model (Hub repo id, local path, URL or GitHub repo for `torch.hub`).
    Model,
    /// A dataset.
    Dataset,
    /// A Space (`repo_type="space"`).
    Space,
}

/// A model or dataset named in code or config.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CodeReference {
    /// Root-relative file.
    pub file: String,
    /// 1-based line (within the cell for notebooks).
    pub line: u32,
    /// 0-based notebook cell index, for `.ipynb` files.
    pub cell: Option<u32>,
    /// Model, dataset or space.
    pub kind: ReferenceKind,
    /// The call (`AutoModel.from_pretrained`) or config key (`model_name_or_path`).
    pub call: String,
    /// The repo id, path or URL as written.
    pub target: String,
    /// `revision=`, when given as a literal.
    pub revision: Option<String>,
    /// The second thing named: `filename` (`hf_hub_download`), config `name`
    /// (`load_dataset`), entry point (`torch.hub.load`).
    pub detail: Option<String>,
    /// The target reads as a local path, or exists as one under the root.
    pub local: bool,
    /// The call passes `trust_remote_code=True`: the loader will run Python code from the
    /// repository.
    pub trust_remote_code: bool,
}

/// One lexical token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An identifier or keyword.
    Name(String),
    /// A string literal: its (roughly decoded) value and whether it is an f-string.
    Str(String, bool),
    /// A single punctuation byte.
    Op(u8),
    /// A number or anything else.
    Other,
}

/// A token and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub line: u32,
}

/// Tokenizes Python source: comments skipped, strings decoded, never fails.
pub(crate) fn tokenize(source: &str) -> Vec<Token> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut line = 1u32;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'#' => {
                while bytes.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
            }
            b'"' | b'\'' => {
                let start_line = line;
                let (value, next) = read_string(bytes, i, false, &mut line);
                tokens.push(Token {
                    tok: Tok::Str(value, false),
                    line: start_line,
                });
                i = next;
            }
            c if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|&c| c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80)
                {
                    i += 1;
                }
                let word = &source[start..i];
                let prefix = word.to_ascii_lowercase();
                let is_prefix = matches!(
                    prefix.as_str(),
                    "r" | "u" | "b" | "f" | "br" | "rb" | "fr" | "rf" | "t" | "tr" | "rt"
                );
                if is_prefix && matches!(bytes.get(i), Some(b'"' | b'\'')) {
                    let start_line = line;
                    let raw = prefix.contains('r');
                    let (value, next) = read_string(bytes, i, raw, &mut line);
                    tokens.push(Token {
                        tok: Tok::Str(value, prefix.contains('f') || prefix.contains('t')),
                        line: start_line,
                    });
                    i = next;
                } else {
                    tokens.push(Token {
                        tok: Tok::Name(word.to_owned()),
                        line,
                    });
                }
            }
            c if c.is_ascii_digit() => {
                while bytes
                    .get(i)
                    .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_')
                {
                    i += 1;
                }
                tokens.push(Token {
                    tok: Tok::Other,
                    line,
                });
            }
            c if c.is_ascii_whitespace() => i += 1,
            c if c.is_ascii_punctuation() => {
                tokens.push(Token {
                    tok: Tok::Op(c),
                    line,
                });
                i += 1;
            }
            _ => i += 1,
        }
    }
    tokens
}

/// Reads a string literal starting at the quote at `start`; returns its value and the
/// index after it. An unterminated single-quoted string ends at the line's end.
fn read_string(bytes: &[u8], start: usize, raw: bool, line: &mut u32) -> (String, usize) {
    let quote = bytes.get(start).copied().unwrap_or(b'"');
    let triple = bytes.get(start + 1) == Some(&quote) && bytes.get(start + 2) == Some(&quote);
    let mut i = start + if triple { 3 } else { 1 };
    let mut value = Vec::new();
    while let Some(&c) = bytes.get(i) {
        if c == b'\\' {
            let next = bytes.get(i + 1).copied();
            if next == Some(b'\n') {
                *line += 1;
            }
            if raw {
                value.push(c);
                value.extend(next);
            } else {
                match next {
                    Some(b'n') => value.push(b'\n'),
                    Some(b't') => value.push(b'\t'),
                    Some(b'\n') | None => {}
                    Some(other) => value.push(other),
                }
            }
            i += 2;
            continue;
        }
        if c == quote {
            if !triple {
                return (String::from_utf8_lossy(&value).into_owned(), i + 1);
            }
            if bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote) {
                return (String::from_utf8_lossy(&value).into_owned(), i + 3);
            }
        }
        if c == b'\n' {
            if !triple {
                return (String::from_utf8_lossy(&value).into_owned(), i);
            }
            *line += 1;
        }
        value.push(c);
        i += 1;
    }
    (String::from_utf8_lossy(&value).into_owned(), i)
}

/// An argument as far as static reading can tell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// A string literal (or a name bound to one).
    Str(String),
    /// Anything else (a bare name is kept for `True`/`False` checks).
    Other(Option<String>),
}

impl Arg {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Arg::Str(s) => Some(s),
            Arg::Other(_) => None,
        }
    }
}

/// One call site.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// Dotted name (`transformers.AutoModel.from_pretrained`).
    pub name: String,
    /// Line of the name.
    pub line: u32,
    /// Positional arguments.
    pub positional: Vec<Arg>,
    /// Keyword arguments.
    pub keywords: Vec<(String, Arg)>,
}

impl Call {
    /// The last component of the name.
    pub fn last(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }

    /// A keyword argument's string value.
    pub fn kw(&self, key: &str) -> Option<&str> {
        self.keywords
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_str())
    }

    /// A positional argument's string value.
    pub fn pos(&self, index: usize) -> Option<&str> {
        self.positional.get(index).and_then(Arg::as_str)
    }
}

/// Names bound to a plain string literal (`NAME = "value"`), last binding wins.
fn string_bindings(tokens: &[Token]) -> HashMap<&str, &str> {
    let mut out = HashMap::new();
    for window in tokens.windows(4) {
        if let [
            Token {
                tok: Tok::Name(name),
                ..
            },
            Token {
                tok: Tok::Op(b'='), ..
            },
            Token {
                tok: Tok::Str(value, false),
                ..
            },
            next,
        ] = window
            && !matches!(next.tok, Tok::Op(b'+' | b'.' | b'%' | b'[' | b'*'))
        {
            out.insert(name.as_str(), value.as_str());
        }
    }
    out
}

/// Every call in the token stream whose argument list could be read.
pub(crate) fn calls(tokens: &[Token]) -> Vec<Call> {
    let bindings = string_bindings(tokens);
    let mut out = Vec::new();
    for (i, window) in tokens.windows(2).enumerate() {
        let [name_token, open] = window else { continue };
        let (Tok::Name(name), Tok::Op(b'(')) = (&name_token.tok, &open.tok) else {
            continue;
        };
        // A definition, not a call.
        if i > 0
            && matches!(tokens.get(i - 1).map(|t| &t.tok), Some(Tok::Name(k)) if k == "def" || k == "class")
        {
            continue;
        }
        let mut parts = vec![name.as_str()];
        let mut j = i;
        while j >= 2 {
            match (&tokens[j - 1].tok, &tokens[j - 2].tok) {
                (Tok::Op(b'.'), Tok::Name(part)) => {
                    parts.push(part);
                    j -= 2;
                }
                _ => break,
            }
        }
        parts.reverse();
        let mut call = Call {
            name: parts.join("."),
            line: name_token.line,
            positional: Vec::new(),
            keywords: Vec::new(),
        };
        let args = tokens.get(i + 2..).unwrap_or_default();
        let mut depth = 0usize;
        let mut current: Vec<&Token> = Vec::new();
        for token in args.iter().take(MAX_CALL_TOKENS) {
            match token.tok {
                Tok::Op(b'(' | b'[' | b'{') => depth += 1,
                Tok::Op(b')' | b']' | b'}') if depth > 0 => depth -= 1,
                Tok::Op(b')') => {
                    push_arg(&mut call, &current, &bindings);
                    current.clear();
                    break;
                }
                Tok::Op(b',') if depth == 0 => {
                    push_arg(&mut call, &current, &bindings);
                    current.clear();
                    continue;
                }
                _ => {}
            }
            current.push(token);
        }
        push_arg(&mut call, &current, &bindings);
        out.push(call);
    }
    out
}

fn push_arg(call: &mut Call, tokens: &[&Token], bindings: &HashMap<&str, &str>) {
    if tokens.is_empty() {
        return;
    }
    let (keyword, value) = match tokens {
        [
            Token {
                tok: Tok::Name(k), ..
            },
            Token {
                tok: Tok::Op(b'='), ..
            },
            rest @ ..,
        ] if !matches!(rest.first().map(|t| &t.tok), Some(Tok::Op(b'='))) => {
            (Some(k.clone()), rest)
        }
        _ => (None, tokens),
    };
    let arg = value_of(value, bindings);
    match keyword {
        Some(k) => call.keywords.push((k, arg)),
        None => call.positional.push(arg),
    }
}

fn value_of(tokens: &[&Token], bindings: &HashMap<&str, &str>) -> Arg {
    if !tokens.is_empty() && tokens.iter().all(|t| matches!(t.tok, Tok::Str(_, false))) {
        let mut value = String::new();
        for token in tokens {
            if let Tok::Str(s, _) = &token.tok {
                value.push_str(s);
            }
        }
        return Arg::Str(value);
    }
    if let [
        Token {
            tok: Tok::Name(name),
            ..
        },
    ] = tokens
    {
        return match bindings.get(name.as_str()) {
            Some(value) => Arg::Str((*value).to_owned()),
            None => Arg::Other(Some(name.clone())),
        };
    }
    Arg::Other(None)
}

/// Builders of `load_dataset` that read local or URL files named by `data_files`.
const PACKAGED_BUILDERS: [&str; 12] = [
    "csv",
    "json",
    "parquet",
    "arrow",
    "text",
    "imagefolder",
    "audiofolder",
    "videofolder",
    "webdataset",
    "pandas",
    "sql",
    "xml",
];

/// The model or dataset reference a call makes, if it is one we know.
fn reference(call: &Call) -> Option<(ReferenceKind, String, Option<String>, Option<String>)> {
    let last = call.last();
    let name = call.name.as_str();
    let revision = call.kw("revision").map(str::to_owned);
    let repo_kind = |call: &Call| match call.kw("repo_type") {
        Some("dataset") => ReferenceKind::Dataset,
        Some("space") => ReferenceKind::Space,
        _ => ReferenceKind::Model,
    };
    match last {
        "from_pretrained" => {
            let class = name.rsplit('.').nth(1).unwrap_or_default();
            let target = if class.starts_with("Peft") {
                call.pos(1).or_else(|| call.kw("model_id"))
            } else {
                call.pos(0)
                    .or_else(|| call.kw("pretrained_model_name_or_path"))
                    .or_else(|| call.kw("model_id"))
            }?;
            Some((ReferenceKind::Model, target.to_owned(), revision, None))
        }
        "pipeline" if name == "pipeline" || name.ends_with("transformers.pipeline") => {
            let target = call.kw("model").or_else(|| call.pos(1))?;
            Some((ReferenceKind::Model, target.to_owned(), revision, None))
        }
        "hf_hub_download" | "hf_hub_url" | "try_to_load_from_cache" => {
            let target = call.kw("repo_id").or_else(|| call.pos(0))?;
            let filename = call.kw("filename").or_else(|| call.pos(1));
            Some((
                repo_kind(call),
                target.to_owned(),
                revision,
                filename.map(str::to_owned),
            ))
        }
        "snapshot_download" => {
            let target = call.kw("repo_id").or_else(|| call.pos(0))?;
            Some((repo_kind(call), target.to_owned(), revision, None))
        }
        "load_dataset" | "load_dataset_builder" => {
            let path = call.kw("path").or_else(|| call.pos(0))?;
            let config = call.kw("name").or_else(|| call.pos(1)).map(str::to_owned);
            if PACKAGED_BUILDERS.contains(&path) {
                let files = call.kw("data_files").or_else(|| call.kw("data_dir"))?;
                return Some((
                    ReferenceKind::Dataset,
                    files.to_owned(),
                    revision,
                    Some(path.to_owned()),
                ));
            }
            Some((ReferenceKind::Dataset, path.to_owned(), revision, config))
        }
        "SentenceTransformer" | "CrossEncoder" | "SparseEncoder" => {
            let target = call
                .pos(0)
                .or_else(|| call.kw("model_name_or_path"))
                .or_else(|| call.kw("model_name"))?;
            Some((ReferenceKind::Model, target.to_owned(), revision, None))
        }
        "create_model" => {
            let target = call.pos(0).or_else(|| call.kw("model_name"))?;
            let hub = target
                .strip_prefix("hf-hub:")
                .or_else(|| target.strip_prefix("hf_hub:"));
            match hub {
                Some(id) => Some((ReferenceKind::Model, id.to_owned(), revision, None)),
                None if name.ends_with("timm.create_model") => {
                    Some((ReferenceKind::Model, target.to_owned(), revision, None))
                }
                None => None,
            }
        }
        "load" if name.ends_with("hub.load") => {
            let target = call.pos(0).or_else(|| call.kw("repo_or_dir"))?;
            let entry = call.pos(1).or_else(|| call.kw("model")).map(str::to_owned);
            Some((ReferenceKind::Model, target.to_owned(), None, entry))
        }
        "load_state_dict_from_url" | "download_url_to_file" => {
            let target = call.pos(0).or_else(|| call.kw("url"))?;
            Some((ReferenceKind::Model, target.to_owned(), None, None))
        }
        _ => None,
    }
}

/// Whether a target reads as a local path or exists as one.
fn is_local(root: &Path, file_dir: &str, target: &str) -> bool {
    if target.contains("://") {
        return false;
    }
    target.starts_with('.')
        || target.starts_with('/')
        || target.starts_with('~')
        || target.contains('\\')
        || root.join(target).exists()
        || root.join(file_dir).join(target).exists()
}

/// Scans one Python source (or notebook cell) for references and services.
pub fn scan_python(
    root: &Path,
    file: &str,
    cell: Option<u32>,
    source: &str,
    references: &mut Vec<CodeReference>,
    services: &mut Vec<ServiceReference>,
) {
    let tokens = tokenize(source);
    let calls = calls(&tokens);
    let file_dir = super::walk::parent(file);
    for call in &calls {
        let Some((kind, target, revision, detail)) = reference(call) else {
            continue;
        };
        // A key pasted where a name belongs is a secret, not a reference.
        if target.is_empty() || !services::is_safe(&target) {
            continue;
        }
        references.push(CodeReference {
            file: file.to_owned(),
            line: call.line,
            cell,
            kind,
            call: shorten(&call.name, MAX_VALUE),
            local: is_local(root, file_dir, &target),
            trust_remote_code: call
                .keywords
                .iter()
                .any(|(k, v)| k == "trust_remote_code" && *v == Arg::Other(Some("True".into()))),
            target: shorten(&services::redact_url(&target), MAX_VALUE),
            revision: revision
                .filter(|r| services::is_safe(r))
                .map(|r| shorten(&r, MAX_VALUE)),
            detail: detail
                .filter(|d| services::is_safe(d))
                .map(|d| shorten(&d, MAX_VALUE)),
        });
    }
    services::scan_python(file, cell, source, &tokens, &calls, services);
}

/// Code cells of a notebook: (cell index, source).
pub fn notebook_cells(json: &[u8]) -> Result<Vec<(u32, String)>, String> {
    let value: Value = serde_json::from_slice(json).map_err(|e| format!("not JSON: {e}"))?;
    let cells = value
        .get("cells")
        .and_then(Value::as_array)
        .ok_or("no `cells` list")?;
    let mut out = Vec::new();
    for (index, cell) in cells.iter().enumerate() {
        if cell.get("cell_type").and_then(Value::as_str) != Some("code") {
            continue;
        }
        let source = match cell.get("source") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(lines)) => lines.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        out.push((u32::try_from(index).unwrap_or(u32::MAX), source));
    }
    Ok(out)
}

/// Config file kinds scanned for references and services.
fn config_kind(name: &str) -> Option<services::ConfigKind> {
    let lower = name.to_ascii_lowercase();
    if lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env") {
        return Some(services::ConfigKind::Env);
    }
    match lower.rsplit_once('.').map(|(_, ext)| ext) {
        Some("yaml" | "yml") => Some(services::ConfigKind::Yaml),
        Some("json") => Some(services::ConfigKind::Json),
        Some("toml") => Some(services::ConfigKind::Toml),
        _ => None,
    }
}

/// JSON files that are model or dataset artifacts rather than configuration.
const ARTIFACT_JSON: [&str; 12] = [
    "tokenizer.json",
    "vocab.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "generation_config.json",
    "preprocessor_config.json",
    "added_tokens.json",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
    "dataset_info.json",
    "state.json",
    "trainer_state.json",
];

/// Scans every Python file, notebook and config file outside installed libraries; JSON
/// files inside model and dataset folders (`artifact_dirs`) are artifacts, not config.
pub(crate) fn scan_tree(
    root: &Path,
    tree: &Tree,
    artifact_dirs: &[&str],
    options: &DiscoverOptions,
    references: &mut Vec<CodeReference>,
    services: &mut Vec<ServiceReference>,
    problems: &mut Vec<Problem>,
) {
    for file in tree.files.iter().filter(|f| !f.in_library) {
        let name = file.name();
        let ext = file.extension();
        let config = config_kind(name);
        if ext != "py" && ext != "ipynb" && config.is_none() {
            continue;
        }
        // JSON inside a model or dataset folder is part of the artifact (configs are
        // read by `models`, data by `datasets`), not project configuration.
        if ext == "json"
            && (ARTIFACT_JSON.contains(&name)
                || artifact_dirs
                    .iter()
                    .any(|dir| *dir != "." && super::walk::contains(dir, &file.rel)))
        {
            continue;
        }
        let limit = if ext == "ipynb" {
            options.max_notebook_bytes
        } else {
            options.max_source_bytes
        };
        let bytes = match super::read_bounded(&file.path, limit) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                problems.push(Problem {
                    path: file.rel.clone(),
                    reason: format!("not scanned for references: larger than {limit} bytes"),
                });
                continue;
            }
            Err(err) => {
                problems.push(Problem {
                    path: file.rel.clone(),
                    reason: format!("cannot read: {err}"),
                });
                continue;
            }
        };
        if ext == "ipynb" {
            match notebook_cells(&bytes) {
                Ok(cells) => {
                    for (index, source) in cells {
                        scan_python(root, &file.rel, Some(index), &source, references, services);
                    }
                }
                Err(reason) => problems.push(Problem {
                    path: file.rel.clone(),
                    reason: format!("notebook not read: {reason}"),
                }),
            }
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        match config {
            Some(kind) => services::scan_config(&file.rel, kind, &text, references, services),
            None => scan_python(root, &file.rel, None, &text, references, services),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_strings_are_told_apart() {
        let tokens = tokenize("x = 'a#b'  # from_pretrained('no')\ny = \"\"\"multi\nline\"\"\"\nz");
        let strings: Vec<&Tok> = tokens
            .iter()
            .filter(|t| matches!(t.tok, Tok::Str(..)))
            .map(|t| &t.tok)
            .collect();
        assert_eq!(
            strings,
            [
                &Tok::Str("a#b".into(), false),
                &Tok::Str("multi\nline".into(), false)
            ]
        );
        assert_eq!(tokens.last().unwrap().line, 4);
    }

    #[test]
    fn calls_read_keywords_bindings_and_concatenation() {
        let tokens = tokenize("M = 'org/m'\nf.from_pretrained(M, revision='r' 'ev', x=g(1, 2))\n");
        let calls = calls(&tokens);
        let call = calls
            .iter()
            .find(|c| c.last() == "from_pretrained")
            .unwrap();
        assert_eq!(call.name, "f.from_pretrained");
        assert_eq!(call.pos(0), Some("org/m"));
        assert_eq!(call.kw("revision"), Some("rev"));
        assert_eq!(call.line, 2);
    }
}
