//! PEP 751 `pylock.toml` (and `pylock.<name>.toml`).
//!
//! Read: every `[[packages]]` with `name`, `version`, `marker`, `index`, `vcs`,
//! `directory`, `archive`, `sdist` and `wheels` with their `hashes` tables.
//!
//! Not read: `environments`, `requires-python`, `extras`, `dependency-groups`,
//! `attestation-identities`, `tool`, `upload-time`, `size`. PEP 751 does not record which
//! packages the project declares: `direct` stays `None`.
//!
//! Security: parsed with `toml` into fixed structs.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::model::{Dependency, Ecosystem, Location, Manifest, ManifestKind, ProblemKind, Source};
use crate::names::{LineIndex, hex_hash};
use crate::{DepsError, Limits, Sink};

#[derive(Deserialize)]
struct PyLock {
    #[serde(default)]
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: Spanned<String>,
    version: Option<String>,
    marker: Option<String>,
    index: Option<String>,
    vcs: Option<Vcs>,
    directory: Option<Directory>,
    archive: Option<Artifact>,
    sdist: Option<Artifact>,
    #[serde(default)]
    wheels: Vec<Artifact>,
}

#[derive(Deserialize)]
struct Vcs {
    url: Option<String>,
    path: Option<String>,
    #[serde(rename = "requested-revision")]
    requested_revision: Option<String>,
    #[serde(rename = "commit-id")]
    commit_id: Option<String>,
}

#[derive(Deserialize)]
struct Directory {
    path: String,
    #[serde(default)]
    editable: bool,
}

#[derive(Deserialize)]
struct Artifact {
    name: Option<String>,
    url: Option<String>,
    path: Option<String>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

/// Parse a `pylock.toml`.
pub fn parse(path: &Path, text: &str, limits: &Limits) -> Result<Manifest, DepsError> {
    let lock: PyLock = toml::from_str(text).map_err(|e| crate::toml_error(path, text, &e))?;
    let lines = LineIndex::new(text);
    let mut sink = Sink::new(path, ManifestKind::PyLock, limits);
    for package in lock.packages {
        let name = package.name.get_ref();
        let location = Location::at(path, lines.line(package.name.span().start));
        let mut dependency = Dependency::new(Ecosystem::PyPI, name, location.clone());
        if let Some(version) = &package.version {
            sink.check_pep440(name, version, &location);
        }
        dependency.version = package.version;
        dependency.marker = package.marker;
        dependency.source = if let Some(vcs) = package.vcs {
            Source::Vcs {
                url: vcs.url.or(vcs.path).unwrap_or_default(),
                reference: vcs.requested_revision,
                commit: vcs.commit_id,
                editable: false,
            }
        } else if let Some(directory) = package.directory {
            Source::Path {
                path: directory.path,
                editable: directory.editable,
            }
        } else if let Some(archive) = &package.archive {
            match (&archive.url, &archive.path) {
                (Some(url), _) => Source::Url { url: url.clone() },
                (None, Some(path)) => Source::Path {
                    path: path.clone(),
                    editable: false,
                },
                (None, None) => Source::default_registry(),
            }
        } else {
            Source::Registry { url: package.index }
        };
        let artifacts = package
            .archive
            .iter()
            .chain(&package.sdist)
            .chain(&package.wheels);
        for artifact in artifacts {
            let artifact_name = artifact
                .url
                .as_deref()
                .or(artifact.path.as_deref())
                .or(artifact.name.as_deref());
            for (algorithm, value) in &artifact.hashes {
                match hex_hash(algorithm, value, artifact_name) {
                    Some(hash) => dependency.hashes.push(hash),
                    None => sink.problem(
                        ProblemKind::Malformed,
                        format!("`{name}` {algorithm} hash `{value}` is not hex"),
                        location.clone(),
                    ),
                }
            }
        }
        if !sink.dependency(dependency) {
            break;
        }
    }
    Ok(sink.finish())
}
