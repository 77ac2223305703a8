//! npm's `package-lock.json` and `npm-shrinkwrap.json` (lockfileVersion 1, 2 and 3).
//!
//! Read: for versions 2 and 3 the `packages` map (keyed by `node_modules/…` path) with
//! `name` (npm aliases), `version`, `resolved`, `integrity` (SRI, turned into hex), `dev`,
//! `optional`, `devOptional`, `hasInstallScript`; the root entry `""` gives the project and
//! the direct dependencies. Version 1 files: the nested `dependencies` tree, bounded by
//! [`Limits::max_nesting`].
//!
//! Not read: `engines`, `bin`, `license`, `funding`, `requires`. Entries outside
//! `node_modules` (workspace folders) and `link` entries are local code and not listed. JSON
//! carries no positions we keep: locations name the file only.
//!
//! Security: parsed with `serde_json` (recursion-limited) into fixed structs.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use crate::model::{
    Dependency, Ecosystem, Location, Manifest, ManifestKind, ProblemKind, Project, Source,
};
use crate::names::base64_hash;
use crate::{DepsError, Limits, Sink};

#[derive(Deserialize)]
struct PackageLock {
    name: Option<String>,
    version: Option<String>,
    packages: Option<BTreeMap<String, Entry>>,
    #[serde(default)]
    dependencies: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize, Default)]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(rename = "devOptional", default)]
    dev_optional: bool,
    #[serde(default)]
    link: bool,
    #[serde(rename = "hasInstallScript", default)]
    has_install_script: bool,
    #[serde(default)]
    dependencies: BTreeMap<String, String>,
    #[serde(rename = "devDependencies", default)]
    dev_dependencies: BTreeMap<String, String>,
    #[serde(rename = "optionalDependencies", default)]
    optional_dependencies: BTreeMap<String, String>,
    #[serde(rename = "peerDependencies", default)]
    peer_dependencies: BTreeMap<String, String>,
}

/// Version 1 nested entry.
#[derive(Deserialize)]
struct LegacyEntry {
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    dependencies: BTreeMap<String, serde_json::Value>,
}

/// Parse a `package-lock.json`.
pub fn parse(path: &Path, text: &str, limits: &Limits) -> Result<Manifest, DepsError> {
    let lock: PackageLock = serde_json::from_str(text).map_err(|e| crate::json_error(path, &e))?;
    let mut sink = Sink::new(path, ManifestKind::PackageLock, limits);
    let location = Location::file(path);
    if let Some(name) = lock.name.clone() {
        sink.manifest.project = Some(Project {
            name,
            version: lock.version.clone(),
        });
    }
    if let Some(packages) = lock.packages {
        let root = packages.get("").map(|root| {
            root.dependencies
                .keys()
                .chain(root.dev_dependencies.keys())
                .chain(root.optional_dependencies.keys())
                .chain(root.peer_dependencies.keys())
                .cloned()
                .collect::<HashSet<String>>()
        });
        for (key, entry) in &packages {
            let Some(position) = key.rfind("node_modules/") else {
                continue;
            };
            if entry.link {
                continue;
            }
            let installed_as = &key[position + "node_modules/".len()..];
            let name = entry.name.as_deref().unwrap_or(installed_as);
            let mut dependency = Dependency::new(Ecosystem::Npm, name, location.clone());
            dependency.version = entry.version.clone();
            dependency.dev = entry.dev || entry.dev_optional;
            dependency.optional = entry.optional || entry.dev_optional;
            dependency.install_script = entry.has_install_script;
            if let Some(root) = &root {
                dependency.direct = Some(position == 0 && root.contains(installed_as));
            }
            fill(
                &mut sink,
                &mut dependency,
                entry.resolved.as_deref(),
                entry.integrity.as_deref(),
            );
            if !sink.dependency(dependency) {
                break;
            }
        }
    } else {
        legacy(&mut sink, &lock.dependencies, &location, 0);
    }
    Ok(sink.finish())
}

/// Walk a version 1 `dependencies` tree.
fn legacy(
    sink: &mut Sink,
    dependencies: &BTreeMap<String, serde_json::Value>,
    location: &Location,
    depth: usize,
) -> bool {
    if depth >= sink.limits().max_nesting {
        sink.problem(
            ProblemKind::LimitExceeded,
            format!(
                "dependencies nested deeper than {} levels; not read",
                sink.limits().max_nesting
            ),
            location.clone(),
        );
        return true;
    }
    for (name, value) in dependencies {
        let entry: LegacyEntry = match serde_json::from_value(value.clone()) {
            Ok(entry) => entry,
            Err(error) => {
                sink.problem(
                    ProblemKind::Malformed,
                    format!("`{name}`: {error}"),
                    location.clone(),
                );
                continue;
            }
        };
        let mut dependency = Dependency::new(Ecosystem::Npm, name, location.clone());
        dependency.version = entry.version.clone();
        dependency.dev = entry.dev;
        dependency.optional = entry.optional;
        fill(
            sink,
            &mut dependency,
            entry.resolved.as_deref(),
            entry.integrity.as_deref(),
        );
        if !sink.dependency(dependency) {
            return false;
        }
        if !legacy(sink, &entry.dependencies, location, depth + 1) {
            return false;
        }
    }
    true
}

/// Source from `resolved`, hashes from `integrity`.
fn fill(
    sink: &mut Sink,
    dependency: &mut Dependency,
    resolved: Option<&str>,
    integrity: Option<&str>,
) {
    if let Some(resolved) = resolved {
        dependency.source = npm_source(resolved);
    }
    for sri in integrity.unwrap_or_default().split_whitespace() {
        let hash = sri
            .split_once('-')
            .and_then(|(algorithm, value)| base64_hash(algorithm, value, resolved));
        match hash {
            Some(hash) => dependency.hashes.push(hash),
            None => sink.problem(
                ProblemKind::Malformed,
                format!(
                    "`{}` integrity `{sri}` is not `algorithm-base64`",
                    dependency.name
                ),
                dependency.location.clone(),
            ),
        }
    }
}

fn npm_source(resolved: &str) -> Source {
    let lower = resolved.to_ascii_lowercase();
    if lower.starts_with("git+") || lower.starts_with("git://") || lower.starts_with("github:") {
        let (url, commit) = match resolved.split_once('#') {
            Some((url, commit)) => (url, Some(commit.to_owned())),
            None => (resolved, None),
        };
        Source::Vcs {
            url: url.to_owned(),
            reference: None,
            commit,
            editable: false,
        }
    } else if let Some(path) = resolved.strip_prefix("file:") {
        Source::Path {
            path: path.to_owned(),
            editable: false,
        }
    } else if (lower.starts_with("https://") || lower.starts_with("http://"))
        && resolved.contains("/-/")
    {
        // Registry tarball layout `<registry>/<name>/-/<name>-<version>.tgz`.
        let registry = resolved.split("/-/").next().unwrap_or(resolved);
        let registry = registry.rsplit_once('/').map_or(registry, |(base, _)| base);
        let registry = if registry.ends_with("/@") || registry.contains("/@") {
            registry
                .rsplit_once("/@")
                .map_or(registry, |(base, _)| base)
        } else {
            registry
        };
        Source::Registry {
            url: Some(registry.to_owned()),
        }
    } else {
        Source::Url {
            url: resolved.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_from_tarball_url() {
        assert_eq!(
            npm_source("https://registry.npmjs.org/@babel/core/-/core-7.24.0.tgz"),
            Source::Registry {
                url: Some("https://registry.npmjs.org".into())
            }
        );
        assert_eq!(
            npm_source("https://registry.npmjs.org/chalk/-/chalk-5.3.0.tgz"),
            Source::Registry {
                url: Some("https://registry.npmjs.org".into())
            }
        );
        assert!(matches!(
            npm_source("https://example.com/x.tgz"),
            Source::Url { .. }
        ));
    }
}
