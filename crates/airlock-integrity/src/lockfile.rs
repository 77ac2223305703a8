//! `airlock.lock`: a TOML file written in one fixed layout (docs/lockfile.md), so that the
//! same tree always gives the same bytes and a change shows as a small line diff.
//!
//! ```toml
//! # airlock.lock: pinned digests, written by `airlock lock` (format: docs/lockfile.md)
//! version = 1
//!
//! [[model]]
//! path = "."
//! oms_sha256 = "569f…"
//!
//! [[file]]
//! path = "a/b"
//! size = 2
//! sha256 = "0263…"
//! ```

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::IntegrityError;
use crate::signing::manifest::component_cmp;

/// The only format version this build reads and writes.
pub const VERSION: u32 = 1;
/// Default lockfile name, written at the root of the locked directory.
pub const FILE_NAME: &str = "airlock.lock";
const HEADER: &str =
    "# airlock.lock: pinned digests, written by `airlock lock` (format: docs/lockfile.md)\n";

/// Where a model came from, when the Hugging Face cache layout or the download metadata of
/// a `local_dir` download says so.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    /// `model`, `dataset` or `space` (known from a cache path only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo_type: Option<String>,
    /// Hub repository id, `org/name` (known from a cache path only; `local_dir` download
    /// metadata does not record it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The commit the files were downloaded at.
    pub revision: String,
}

impl std::fmt::Display for Origin {
    /// `model org/name@<commit>`, or `@<commit>` when only the revision is known.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(repo_type) = &self.repo_type {
            write!(f, "{repo_type} ")?;
        }
        if let Some(repo) = &self.repo {
            write!(f, "{repo}")?;
        }
        write!(f, "@{}", self.revision)
    }
}

/// One model directory and the digest OMS signatures give it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LockedModel {
    /// Directory relative to the lock root, `/`-separated; `.` for the root.
    pub path: String,
    /// OMS subject digest (files mode, SHA-256), lowercase hex.
    pub oms_sha256: String,
    /// Hugging Face origin, when known.
    #[serde(default, rename = "hf", skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// One artifact.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LockedFile {
    /// Path relative to the lock root, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// BLAKE3 of the content, lowercase hex, when locked with `--blake3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
}

/// The whole lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lockfile {
    /// Model directories, in path-component order.
    pub models: Vec<LockedModel>,
    /// Artifacts, in path-component order.
    pub files: Vec<LockedFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    version: u32,
    #[serde(default)]
    model: Vec<LockedModel>,
    #[serde(default)]
    file: Vec<LockedFile>,
}

impl Lockfile {
    /// Whether any file carries a BLAKE3 digest (verification then computes it too).
    pub fn has_blake3(&self) -> bool {
        self.files.iter().any(|file| file.blake3.is_some())
    }

    /// Parses and validates a lockfile: known version, lowercase hex digests, relative
    /// `/` paths without `.`/`..` parts, each path once.
    pub fn parse(text: &str) -> Result<Self, IntegrityError> {
        let raw: Raw =
            toml::from_str(text).map_err(|err| IntegrityError::Lockfile(err.to_string()))?;
        if raw.version != VERSION {
            return Err(IntegrityError::Lockfile(format!(
                "version {} is not supported (this airlock reads version {VERSION})",
                raw.version
            )));
        }
        let mut lock = Lockfile {
            models: raw.model,
            files: raw.file,
        };
        for model in &lock.models {
            if model.path != "." {
                check_path(&model.path)?;
            }
            check_hex("oms_sha256", &model.oms_sha256, 64)?;
        }
        for file in &lock.files {
            check_path(&file.path)?;
            check_hex("sha256", &file.sha256, 64)?;
            if let Some(blake3) = &file.blake3 {
                check_hex("blake3", blake3, 64)?;
            }
        }
        lock.models.sort_by(|a, b| component_cmp(&a.path, &b.path));
        lock.files.sort_by(|a, b| component_cmp(&a.path, &b.path));
        for pair in lock.files.windows(2) {
            if pair[0].path == pair[1].path {
                return Err(IntegrityError::Lockfile(format!(
                    "`{}` is listed twice",
                    pair[0].path
                )));
            }
        }
        Ok(lock)
    }

    /// Writes the canonical text: header comment, version, models, then files, each table
    /// with its keys in a fixed order, entries sorted by path components.
    pub fn to_text(&self) -> String {
        let mut models: Vec<&LockedModel> = self.models.iter().collect();
        models.sort_by(|a, b| component_cmp(&a.path, &b.path));
        let mut files: Vec<&LockedFile> = self.files.iter().collect();
        files.sort_by(|a, b| component_cmp(&a.path, &b.path));
        let mut out = String::new();
        out.push_str(HEADER);
        let _ = writeln!(out, "version = {VERSION}");
        for model in models {
            let _ = writeln!(out, "\n[[model]]");
            let _ = writeln!(out, "path = {}", quote(&model.path));
            let _ = writeln!(out, "oms_sha256 = {}", quote(&model.oms_sha256));
            if let Some(origin) = &model.origin {
                let mut fields = Vec::new();
                if let Some(repo_type) = &origin.repo_type {
                    fields.push(format!("repo_type = {}", quote(repo_type)));
                }
                if let Some(repo) = &origin.repo {
                    fields.push(format!("repo = {}", quote(repo)));
                }
                fields.push(format!("revision = {}", quote(&origin.revision)));
                let _ = writeln!(out, "hf = {{ {} }}", fields.join(", "));
            }
        }
        for file in files {
            let _ = writeln!(out, "\n[[file]]");
            let _ = writeln!(out, "path = {}", quote(&file.path));
            let _ = writeln!(out, "size = {}", file.size);
            let _ = writeln!(out, "sha256 = {}", quote(&file.sha256));
            if let Some(blake3) = &file.blake3 {
                let _ = writeln!(out, "blake3 = {}", quote(blake3));
            }
        }
        out
    }
}

/// A TOML basic string: `"` and `\` escaped, control characters as `\uXXXX`.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ch if ch.is_control() => {
                let _ = write!(out, "\\u{:04X}", ch as u32);
            }
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

fn check_hex(field: &str, value: &str, len: usize) -> Result<(), IntegrityError> {
    if value.len() == len
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(IntegrityError::Lockfile(format!(
            "`{field}` must be {len} lowercase hex digits, found `{value}`"
        )))
    }
}

fn check_path(path: &str) -> Result<(), IntegrityError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        return Err(IntegrityError::Lockfile(format!(
            "`{path}` is not a relative `/`-separated path"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(byte: u8) -> String {
        hex::encode([byte; 32])
    }

    fn sample() -> Lockfile {
        Lockfile {
            models: vec![LockedModel {
                path: "models--org--m/snapshots/abc".into(),
                oms_sha256: digest(1),
                origin: Some(Origin {
                    repo_type: Some("model".into()),
                    repo: Some("org/m".into()),
                    revision: "abc".into(),
                }),
            }],
            files: vec![
                LockedFile {
                    path: "a.txt".into(),
                    size: 1,
                    sha256: digest(2),
                    blake3: Some(digest(3)),
                },
                LockedFile {
                    path: "a/b".into(),
                    size: 0,
                    sha256: digest(0xab),
                    blake3: None,
                },
                LockedFile {
                    path: "we\"ird\\na\u{1}me ü.bin".into(),
                    size: u64::MAX,
                    sha256: digest(5),
                    blake3: None,
                },
            ],
        }
    }

    #[test]
    fn round_trips_exactly() {
        let text = sample().to_text();
        let parsed = Lockfile::parse(&text).unwrap();
        assert_eq!(parsed.to_text(), text);
        let mut sorted = sample();
        sorted.files.swap(0, 1);
        assert_eq!(parsed, sorted, "parsing sorts by path components");
    }

    #[test]
    fn writes_in_component_order_with_fixed_layout() {
        let text = sample().to_text();
        let a_b = text.find("\"a/b\"").unwrap();
        let a_txt = text.find("\"a.txt\"").unwrap();
        assert!(a_b < a_txt, "{text}");
        assert!(text.starts_with(HEADER));
        assert!(
            text.contains(
                "\n[[model]]\npath = \"models--org--m/snapshots/abc\"\noms_sha256 = \"0101"
            )
        );
        assert!(
            text.contains("hf = { repo_type = \"model\", repo = \"org/m\", revision = \"abc\" }\n")
        );
        assert!(text.contains("\n[[file]]\npath = \"a/b\"\nsize = 0\nsha256 = \"abab"));
    }

    #[test]
    fn rejects_bad_content() {
        let good = sample().to_text();
        for (from, to, message) in [
            ("version = 1", "version = 2", "version 2"),
            ("\"a/b\"", "\"../b\"", "not a relative"),
            ("\"a/b\"", "\"/b\"", "not a relative"),
            ("\"a/b\"", "\"a.txt\"", "listed twice"),
            (&digest(0xab), &digest(0xab).to_uppercase(), "lowercase hex"),
            ("size = 0", "size = 0\ncolour = 1", "unknown field"),
        ] {
            let text = good.replacen(from, to, 1);
            let err = Lockfile::parse(&text)
                .map(|_| format!("accepted {from} -> {to}"))
                .unwrap_or_else(|err| err.to_string());
            assert!(err.contains(message), "{from} -> {to}: {err}");
        }
    }
}
