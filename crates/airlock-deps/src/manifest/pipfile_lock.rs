//! Pipenv's `Pipfile.lock` (JSON).
//!
//! Read: `_meta.sources` (named indexes), and every entry of `default` and `develop` with
//! its `version` (`==x`), `hashes`, `index`, `markers`, `extras`, and `git`/`ref`,
//! `path`/`file`/`editable` for non-index packages.
//!
//! Not read: `_meta.hash`, `_meta.requires`. JSON carries no positions we keep: locations
//! name the file only. The lock does not say which packages the `Pipfile` declares:
//! `direct` stays `None`.
//!
//! Security: parsed with `serde_json` (recursion-limited) into fixed structs.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::model::{
    Dependency, Ecosystem, IndexKind, IndexUrl, Location, Manifest, ManifestKind, ProblemKind,
    Source,
};
use crate::names::parse_hash;
use crate::{DepsError, Limits, Sink};

#[derive(Deserialize)]
struct PipfileLock {
    #[serde(rename = "_meta")]
    meta: Option<Meta>,
    #[serde(default)]
    default: BTreeMap<String, Entry>,
    #[serde(default)]
    develop: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    sources: Vec<IndexSource>,
}

#[derive(Deserialize)]
struct IndexSource {
    name: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct Entry {
    version: Option<String>,
    #[serde(default)]
    hashes: Vec<String>,
    index: Option<String>,
    markers: Option<String>,
    #[serde(default)]
    extras: Vec<String>,
    git: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    path: Option<String>,
    file: Option<String>,
    #[serde(default)]
    editable: bool,
}

/// Parse a `Pipfile.lock`.
pub fn parse(path: &Path, text: &str, limits: &Limits) -> Result<Manifest, DepsError> {
    let lock: PipfileLock = serde_json::from_str(text).map_err(|e| crate::json_error(path, &e))?;
    let mut sink = Sink::new(path, ManifestKind::PipfileLock, limits);
    let location = Location::file(path);
    let mut index_urls = BTreeMap::new();
    for (position, source) in lock
        .meta
        .map(|m| m.sources)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let Some(url) = source.url else { continue };
        if let Some(name) = &source.name {
            index_urls.insert(name.clone(), url.clone());
        }
        sink.manifest.index_urls.push(IndexUrl {
            url,
            kind: if position == 0 {
                IndexKind::Primary
            } else {
                IndexKind::Extra
            },
            name: source.name,
            location: location.clone(),
        });
    }
    let sections = [
        ("default", lock.default, false),
        ("develop", lock.develop, true),
    ];
    for (section, entries, dev) in sections {
        for (name, entry) in entries {
            let mut dependency = Dependency::new(Ecosystem::PyPI, &name, location.clone());
            dependency.dev = dev;
            if dev {
                dependency.groups = vec![section.to_owned()];
            }
            if let Some(version) = &entry.version {
                let exact = version
                    .strip_prefix("===")
                    .or_else(|| version.strip_prefix("=="));
                match exact {
                    Some(exact) => {
                        sink.check_pep440(&name, exact, &location);
                        dependency.version = Some(exact.to_owned());
                    }
                    None => dependency.requirement = Some(version.clone()),
                }
            }
            dependency.marker = entry.markers;
            dependency.extras = entry.extras;
            dependency.source = if let Some(git) = entry.git {
                Source::Vcs {
                    url: git,
                    reference: entry.reference,
                    commit: None,
                    editable: entry.editable,
                }
            } else if let Some(path) = entry.path.or(entry.file.filter(|f| !f.contains("://"))) {
                Source::Path {
                    path,
                    editable: entry.editable,
                }
            } else if let Some(index) = entry.index {
                Source::Registry {
                    url: Some(index_urls.get(&index).cloned().unwrap_or(index)),
                }
            } else {
                Source::default_registry()
            };
            for hash in &entry.hashes {
                match parse_hash(hash, None) {
                    Some(hash) => dependency.hashes.push(hash),
                    None => sink.problem(
                        ProblemKind::Malformed,
                        format!("`{name}` hash `{hash}` is not `algorithm:hex`"),
                        location.clone(),
                    ),
                }
            }
            if !sink.dependency(dependency) {
                return Ok(sink.finish());
            }
        }
    }
    Ok(sink.finish())
}
