//! Poetry's `poetry.lock` (lock-version 1.x and 2.x).
//!
//! Read: every `[[package]]` with `name`, `version`, `optional`, `groups` (2.x) or
//! `category` (1.x), `markers`, the file hashes (`files` in 2.x, `[metadata.files]` in 1.x)
//! and `[package.source]` (`legacy` index, `git`, `url`, `file`, `directory`).
//!
//! Not read: `description`, `python-versions`, `[package.dependencies]`, `[package.extras]`,
//! `content-hash`. The lock does not say which packages the project declares: `direct` stays
//! `None` here and [`crate::mark_direct`] fills it from the `pyproject.toml` beside it.
//!
//! Security: parsed with `toml` into fixed structs.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::model::{Dependency, Ecosystem, Location, Manifest, ManifestKind, ProblemKind, Source};
use crate::names::{self, LineIndex, parse_hash};
use crate::{DepsError, Limits, Sink};

#[derive(Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<Package>,
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    files: BTreeMap<String, Vec<File>>,
}

#[derive(Deserialize)]
struct Package {
    name: Spanned<String>,
    version: String,
    #[serde(default)]
    optional: bool,
    category: Option<String>,
    groups: Option<Vec<String>>,
    markers: Option<toml::Value>,
    #[serde(default)]
    files: Vec<File>,
    source: Option<PackageSource>,
    #[serde(default)]
    develop: bool,
}

#[derive(Deserialize)]
struct File {
    file: Option<String>,
    hash: Option<String>,
}

#[derive(Deserialize)]
struct PackageSource {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
    reference: Option<String>,
    resolved_reference: Option<String>,
}

/// Parse a `poetry.lock`.
pub fn parse(path: &Path, text: &str, limits: &Limits) -> Result<Manifest, DepsError> {
    let lock: PoetryLock = toml::from_str(text).map_err(|e| crate::toml_error(path, text, &e))?;
    let lines = LineIndex::new(text);
    let mut sink = Sink::new(path, ManifestKind::PoetryLock, limits);
    let mut legacy_files = lock.metadata.map(|m| m.files).unwrap_or_default();
    let legacy_files: BTreeMap<String, Vec<File>> = std::mem::take(&mut legacy_files)
        .into_iter()
        .map(|(name, files)| (names::normalize_pypi_name(&name), files))
        .collect();

    for package in lock.package {
        let name = package.name.get_ref();
        let location = Location::at(path, lines.line(package.name.span().start));
        let mut dependency = Dependency::new(Ecosystem::PyPI, name, location.clone());
        sink.check_pep440(name, &package.version, &location);
        dependency.version = Some(package.version.clone());
        dependency.optional = package.optional;
        let groups = match (package.groups, package.category) {
            (Some(groups), _) => groups,
            (None, Some(category)) => vec![category],
            (None, None) => Vec::new(),
        };
        dependency.dev = !groups.is_empty() && !groups.iter().any(|g| g == "main");
        dependency.groups = groups.into_iter().filter(|g| g != "main").collect();
        dependency.marker = match package.markers {
            Some(toml::Value::String(marker)) => Some(marker),
            // 2.x writes per-group markers as a table: keep them as `group: marker` text.
            Some(toml::Value::Table(table)) => Some(
                table
                    .iter()
                    .filter_map(|(group, marker)| Some(format!("{group}: {}", marker.as_str()?)))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            _ => None,
        };
        if let Some(source) = package.source {
            dependency.source = poetry_source(source, package.develop);
        }
        let files = if package.files.is_empty() {
            legacy_files
                .get(&dependency.normalized_name)
                .map(Vec::as_slice)
                .unwrap_or_default()
        } else {
            package.files.as_slice()
        };
        for file in files {
            let Some(hash) = &file.hash else { continue };
            match parse_hash(hash, file.file.as_deref()) {
                Some(hash) => dependency.hashes.push(hash),
                None => sink.problem(
                    ProblemKind::Malformed,
                    format!("`{name}` hash `{hash}` is not `algorithm:hex`"),
                    location.clone(),
                ),
            }
        }
        if !sink.dependency(dependency) {
            break;
        }
    }
    Ok(sink.finish())
}

fn poetry_source(source: PackageSource, develop: bool) -> Source {
    let url = source.url.unwrap_or_default();
    match source.kind.as_deref() {
        Some("git") => Source::Vcs {
            url,
            reference: source.reference,
            commit: source.resolved_reference,
            editable: develop,
        },
        Some("directory") | Some("file") => Source::Path {
            path: url,
            editable: develop,
        },
        Some("url") => Source::Url { url },
        // `legacy` (a PEP 503 index) and anything newer: an index named by `reference`.
        _ => Source::Registry {
            url: Some(if url.is_empty() {
                source.reference.unwrap_or_default()
            } else {
                url
            }),
        },
    }
}
