//! uv's `uv.lock`.
//!
//! Read: every `[[package]]` with `name`, `version`, `source` (`registry`, `git`, `url`,
//! `path`, `directory`, `editable`, `virtual`), the `sdist` and `wheels` hashes (with their
//! URL or file name), and the dependency graph: workspace members (the `[manifest]` members,
//! or the `virtual`/`editable` package at `.`) are the project and are not listed; packages
//! they depend on are direct; packages reached only through members' `dev-dependencies` are
//! dev; only through `optional-dependencies`, optional.
//!
//! Not read: `upload-time`, `size`, `resolution-markers`, `[package.metadata]` (the
//! declared requirements are in `pyproject.toml`). A name locked at several versions (forked
//! resolution) is listed once per version; graph flags are computed per name.
//!
//! Security: parsed with `toml` into fixed structs.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::manifest::requirements::vcs_source;
use crate::model::{
    Dependency, Ecosystem, Hash, Location, Manifest, ManifestKind, ProblemKind, Project, Source,
};
use crate::names::{self, LineIndex, parse_hash};
use crate::{DepsError, Limits, Sink};

#[derive(Deserialize)]
struct UvLock {
    #[serde(default)]
    package: Vec<Package>,
    manifest: Option<LockManifest>,
}

#[derive(Deserialize)]
struct LockManifest {
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Deserialize)]
struct Package {
    name: Spanned<String>,
    version: Option<String>,
    source: Option<BTreeMap<String, toml::Value>>,
    sdist: Option<Artifact>,
    #[serde(default)]
    wheels: Vec<Artifact>,
    #[serde(default)]
    dependencies: Vec<Edge>,
    #[serde(rename = "optional-dependencies", default)]
    optional_dependencies: BTreeMap<String, Vec<Edge>>,
    #[serde(rename = "dev-dependencies", default)]
    dev_dependencies: BTreeMap<String, Vec<Edge>>,
}

#[derive(Deserialize)]
struct Artifact {
    url: Option<String>,
    path: Option<String>,
    filename: Option<String>,
    hash: Option<String>,
}

#[derive(Deserialize)]
struct Edge {
    name: String,
    marker: Option<String>,
}

/// Parse a `uv.lock`.
pub fn parse(path: &Path, text: &str, limits: &Limits) -> Result<Manifest, DepsError> {
    let lock: UvLock = toml::from_str(text).map_err(|e| crate::toml_error(path, text, &e))?;
    let lines = LineIndex::new(text);
    let mut sink = Sink::new(path, ManifestKind::UvLock, limits);

    let members: HashSet<String> = match &lock.manifest {
        Some(manifest) if !manifest.members.is_empty() => manifest
            .members
            .iter()
            .map(|m| names::normalize_pypi_name(m))
            .collect(),
        _ => lock
            .package
            .iter()
            .filter(|p| is_local_root(p.source.as_ref()))
            .map(|p| names::normalize_pypi_name(p.name.get_ref()))
            .collect(),
    };
    let by_name: BTreeMap<String, &Package> = lock
        .package
        .iter()
        .map(|p| (names::normalize_pypi_name(p.name.get_ref()), p))
        .collect();

    // Direct edges from members, by kind.
    let mut direct: BTreeMap<String, (Vec<String>, Option<String>)> = BTreeMap::new();
    let mut main_roots = Vec::new();
    let mut dev_roots = Vec::new();
    let mut optional_roots = Vec::new();
    for member in members.iter().filter_map(|m| by_name.get(m)) {
        for edge in &member.dependencies {
            let name = names::normalize_pypi_name(&edge.name);
            direct.entry(name.clone()).or_default().1 = edge.marker.clone();
            main_roots.push(name);
        }
        for (extra, edges) in &member.optional_dependencies {
            for edge in edges {
                let name = names::normalize_pypi_name(&edge.name);
                direct
                    .entry(name.clone())
                    .or_default()
                    .0
                    .push(extra.clone());
                optional_roots.push(name);
            }
        }
        for (group, edges) in &member.dev_dependencies {
            for edge in edges {
                let name = names::normalize_pypi_name(&edge.name);
                direct
                    .entry(name.clone())
                    .or_default()
                    .0
                    .push(group.clone());
                dev_roots.push(name);
            }
        }
    }
    let main = reachable(&by_name, &members, main_roots);
    let optional = reachable(&by_name, &members, optional_roots);
    let dev = reachable(&by_name, &members, dev_roots);

    for package in &lock.package {
        let normalized = names::normalize_pypi_name(package.name.get_ref());
        let location = Location::at(path, lines.line(package.name.span().start));
        if members.contains(&normalized) {
            if sink.manifest.project.is_none() && is_local_root(package.source.as_ref()) {
                sink.manifest.project = Some(Project {
                    name: package.name.get_ref().clone(),
                    version: package.version.clone(),
                });
            }
            continue;
        }
        let mut dependency =
            Dependency::new(Ecosystem::PyPI, package.name.get_ref(), location.clone());
        if let Some(version) = &package.version {
            sink.check_pep440(package.name.get_ref(), version, &location);
            dependency.version = Some(version.clone());
        }
        dependency.source = match &package.source {
            Some(source) => uv_source(source),
            None => {
                sink.problem(
                    ProblemKind::Malformed,
                    format!("package `{}` has no source", package.name.get_ref()),
                    location.clone(),
                );
                Source::default_registry()
            }
        };
        if !members.is_empty() {
            dependency.direct = Some(direct.contains_key(&normalized));
            if let Some((groups, marker)) = direct.get(&normalized) {
                dependency.groups = groups.clone();
                dependency.groups.dedup();
                dependency.marker = marker.clone();
            }
            let in_main = main.contains(&normalized);
            dependency.dev =
                !in_main && !optional.contains(&normalized) && dev.contains(&normalized);
            dependency.optional = !in_main && optional.contains(&normalized);
        }
        for artifact in package.sdist.iter().chain(&package.wheels) {
            if let Some(hash) = artifact_hash(&mut sink, artifact, &location) {
                dependency.hashes.push(hash);
            }
        }
        if !sink.dependency(dependency) {
            break;
        }
    }
    Ok(sink.finish())
}

/// The project itself: `virtual` or `editable` at `.`.
fn is_local_root(source: Option<&BTreeMap<String, toml::Value>>) -> bool {
    source.is_some_and(|s| {
        ["virtual", "editable"]
            .iter()
            .any(|key| s.get(*key).and_then(toml::Value::as_str) == Some("."))
    })
}

/// Names reachable from `roots` through `dependencies` and `optional-dependencies` edges.
fn reachable(
    by_name: &BTreeMap<String, &Package>,
    members: &HashSet<String>,
    roots: Vec<String>,
) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut queue: VecDeque<String> = roots.into();
    while let Some(name) = queue.pop_front() {
        if members.contains(&name) || !seen.insert(name.clone()) {
            continue;
        }
        if let Some(package) = by_name.get(&name) {
            let edges = package
                .dependencies
                .iter()
                .chain(package.optional_dependencies.values().flatten());
            queue.extend(edges.map(|edge| names::normalize_pypi_name(&edge.name)));
        }
    }
    seen
}

fn uv_source(source: &BTreeMap<String, toml::Value>) -> Source {
    let text = |key: &str| {
        source
            .get(key)
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
    };
    if let Some(registry) = text("registry") {
        Source::Registry {
            url: Some(registry),
        }
    } else if let Some(git) = text("git") {
        // uv writes `git = "https://host/repo?rev=x#<commit>"`.
        let (url, commit) = match git.split_once('#') {
            Some((url, commit)) => (url.to_owned(), Some(commit.to_owned())),
            None => (git.clone(), None),
        };
        let (url, reference) = match url.split_once('?') {
            Some((base, query)) => (
                base.to_owned(),
                query.split('&').find_map(|kv| {
                    let (_, value) = kv.split_once('=')?;
                    Some(value.to_owned())
                }),
            ),
            None => (url, None),
        };
        match vcs_source(&url, false) {
            Source::Vcs { url, .. } => Source::Vcs {
                url,
                reference,
                commit,
                editable: false,
            },
            other => other,
        }
    } else if let Some(url) = text("url") {
        Source::Url { url }
    } else if let Some(path) = text("editable") {
        Source::Path {
            path,
            editable: true,
        }
    } else if let Some(path) = text("path")
        .or_else(|| text("directory"))
        .or_else(|| text("virtual"))
    {
        Source::Path {
            path,
            editable: false,
        }
    } else {
        Source::default_registry()
    }
}

fn artifact_hash(sink: &mut Sink, artifact: &Artifact, location: &Location) -> Option<Hash> {
    let hash = artifact.hash.as_deref()?;
    let name = artifact
        .url
        .as_deref()
        .or(artifact.filename.as_deref())
        .or(artifact.path.as_deref());
    let parsed = parse_hash(hash, name);
    if parsed.is_none() {
        sink.problem(
            ProblemKind::Malformed,
            format!("hash `{hash}` is not `algorithm:hex`"),
            location.clone(),
        );
    }
    parsed
}
