//! Cargo's `Cargo.lock` (versions 1 to 4).
//!
//! Read: every `[[package]]` with `name`, `version`, `source` (`registry+`, `sparse+`,
//! `git+…#commit`) and `checksum` (or, in version 1 files, the `[metadata]`
//! `"checksum name version (source)"` keys). Packages without `source` are workspace members
//! or path dependencies: local code, not listed. Packages they depend on are direct.
//!
//! Not read: `[patch]` unused entries. Own serde structs rather than the `cargo-lock` crate:
//! a dozen lines, one `toml` version in the tree, and a bad entry costs one problem instead
//! of the whole file.
//!
//! Security: parsed with `toml` into fixed structs.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::model::{Dependency, Ecosystem, Location, Manifest, ManifestKind, ProblemKind, Source};
use crate::names::{LineIndex, hex_hash};
use crate::{DepsError, Limits, Sink};

#[derive(Deserialize)]
struct CargoLock {
    #[serde(default)]
    package: Vec<Package>,
    #[serde(default)]
    metadata: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct Package {
    name: Spanned<String>,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// Parse a `Cargo.lock`.
pub fn parse(path: &Path, text: &str, limits: &Limits) -> Result<Manifest, DepsError> {
    let lock: CargoLock = toml::from_str(text).map_err(|e| crate::toml_error(path, text, &e))?;
    let lines = LineIndex::new(text);
    let mut sink = Sink::new(path, ManifestKind::CargoLock, limits);
    // A dependency entry is `name`, `name version` or `name version (source)`.
    let direct: HashSet<(String, Option<String>)> = lock
        .package
        .iter()
        .filter(|p| p.source.is_none())
        .flat_map(|p| &p.dependencies)
        .map(|entry| {
            let mut parts = entry.split(' ');
            let name = parts.next().unwrap_or_default().to_owned();
            (name, parts.next().map(str::to_owned))
        })
        .collect();
    for package in &lock.package {
        let Some(source) = &package.source else {
            continue;
        };
        let name = package.name.get_ref();
        let location = Location::at(path, lines.line(package.name.span().start));
        let mut dependency = Dependency::new(Ecosystem::Crates, name, location.clone());
        dependency.version = Some(package.version.clone());
        dependency.direct = Some(
            direct.contains(&(name.clone(), Some(package.version.clone())))
                || direct.contains(&(name.clone(), None)),
        );
        dependency.source = cargo_source(source);
        let legacy_key = format!("checksum {name} {} ({source})", package.version);
        let checksum = package.checksum.clone().or_else(|| {
            lock.metadata
                .get(&legacy_key)
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
        });
        if let Some(checksum) = checksum.filter(|c| c != "<none>") {
            match hex_hash("sha256", &checksum, None) {
                Some(hash) => dependency.hashes.push(hash),
                None => sink.problem(
                    ProblemKind::Malformed,
                    format!("`{name}` checksum `{checksum}` is not hex"),
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

fn cargo_source(source: &str) -> Source {
    if let Some(git) = source.strip_prefix("git+") {
        let (url, commit) = match git.split_once('#') {
            Some((url, commit)) => (url, Some(commit.to_owned())),
            None => (git, None),
        };
        let (url, reference) = match url.split_once('?') {
            Some((base, query)) => (base, query.split_once('=').map(|(_, v)| v.to_owned())),
            None => (url, None),
        };
        Source::Vcs {
            url: format!("git+{url}"),
            reference,
            commit,
            editable: false,
        }
    } else {
        Source::Registry {
            url: Some(source.to_owned()),
        }
    }
}
