//! Finding manifests under a project folder and choosing readers by file name.
//!
//! The walk skips `.git` and other VCS folders, `node_modules`, `__pycache__`, tool caches
//! (`.tox`, `.nox`, `.mypy_cache`, `.pytest_cache`, `.ruff_cache`), Cargo `target` folders
//! (recognised by their `CACHEDIR.TAG`) and virtual environments (folders holding
//! `pyvenv.cfg` or `conda-meta`). Installed environments are only read when
//! [`DiscoverOptions::installed`] is set: then every `site-packages` / `dist-packages` folder
//! met, inside virtual environments too, is read as one [`ManifestKind::InstalledEnvironment`].
//! Symbolic links are not followed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{Location, Manifest, ManifestKind, Problem, ProblemKind};
use crate::{Limits, parse_file_as};

/// The reader a file name calls for, or `None` for files this crate does not read.
pub fn manifest_kind(path: &Path) -> Option<ManifestKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let in_requirements_dir = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|parent| parent.eq_ignore_ascii_case("requirements"));
    Some(match lower.as_str() {
        "pyproject.toml" => ManifestKind::Pyproject,
        "poetry.lock" => ManifestKind::PoetryLock,
        "uv.lock" => ManifestKind::UvLock,
        "pipfile.lock" => ManifestKind::PipfileLock,
        "cargo.lock" => ManifestKind::CargoLock,
        "package-lock.json" | "npm-shrinkwrap.json" => ManifestKind::PackageLock,
        "environment.yml" | "environment.yaml" => ManifestKind::CondaEnvironment,
        _ if lower == "pylock.toml"
            || (lower.starts_with("pylock.") && lower.ends_with(".toml")) =>
        {
            ManifestKind::PyLock
        }
        _ if (lower.ends_with(".txt") || lower.ends_with(".in"))
            && (lower.contains("requirements")
                || lower.starts_with("constraints")
                || in_requirements_dir) =>
        {
            ManifestKind::RequirementsTxt
        }
        _ => return None,
    })
}

/// How [`discover_with`] walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverOptions {
    /// Also read installed environments (`site-packages`), including those inside virtual
    /// environments. Default `false`: a project's declared dependencies only.
    pub installed: bool,
    /// Deepest folder level walked below the root. Default 12.
    pub max_depth: usize,
    /// Most manifests read; the walk stops after that with a problem. Default 10,000.
    pub max_manifests: usize,
    /// Limits for each file.
    pub limits: Limits,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            installed: false,
            max_depth: 12,
            max_manifests: 10_000,
            limits: Limits::default(),
        }
    }
}

/// What a walk found: one manifest per file (a file that could not be read at all is a
/// manifest with no dependencies and one problem), plus problems of the walk itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    /// Manifests in path order.
    pub manifests: Vec<Manifest>,
    /// Folders that could not be listed, limits reached.
    pub problems: Vec<Problem>,
}

/// Find and read every manifest under `dir` with default options.
pub fn discover(dir: &Path) -> Discovery {
    discover_with(dir, &DiscoverOptions::default())
}

/// Find and read every manifest under `dir`.
pub fn discover_with(dir: &Path, options: &DiscoverOptions) -> Discovery {
    let mut discovery = Discovery::default();
    let mut found: Vec<(PathBuf, ManifestKind)> = Vec::new();
    let mut walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .max_depth(options.max_depth)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error.path().unwrap_or(dir).to_path_buf();
                discovery.problems.push(Problem {
                    kind: ProblemKind::Include,
                    message: error.to_string(),
                    location: Location::file(&path),
                });
                continue;
            }
        };
        let path = entry.path();
        if entry.file_type().is_dir() {
            if entry.depth() == 0 {
                continue;
            }
            let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
            if options.installed && (name == "site-packages" || name == "dist-packages") {
                found.push((path.to_path_buf(), ManifestKind::InstalledEnvironment));
                walker.skip_current_dir();
            } else if skipped_dir(&name, path, options.installed) {
                walker.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_file()
            && let Some(kind) = manifest_kind(path)
        {
            found.push((path.to_path_buf(), kind));
        }
        if found.len() > options.max_manifests {
            break;
        }
    }
    if found.len() > options.max_manifests {
        found.truncate(options.max_manifests);
        discovery.problems.push(Problem {
            kind: ProblemKind::LimitExceeded,
            message: format!(
                "more than {} manifests; the rest were not read",
                options.max_manifests
            ),
            location: Location::file(dir),
        });
    }
    for (path, kind) in found {
        let manifest = parse_file_as(&path, kind, &options.limits).unwrap_or_else(|error| {
            let mut manifest = Manifest::new(&path, kind);
            manifest.problems.push(Problem {
                kind: ProblemKind::Malformed,
                message: error.to_string(),
                location: Location::file(&path),
            });
            manifest
        });
        discovery.manifests.push(manifest);
    }
    link_locks_to_declarations(&mut discovery.manifests);
    discovery
}

/// Folders never walked (virtual environments are walked only to find installed packages).
fn skipped_dir(name: &str, path: &Path, installed: bool) -> bool {
    const SKIPPED: &[&str] = &[
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    ];
    if SKIPPED.contains(&name) {
        return true;
    }
    if path.join("CACHEDIR.TAG").is_file() {
        return true;
    }
    let environment = path.join("pyvenv.cfg").is_file() || path.join("conda-meta").is_dir();
    environment && !installed
}

/// Fill `direct` in a lock whose format does not record it (`poetry.lock`), from the
/// manifest that declares the project's dependencies (`pyproject.toml`).
pub fn mark_direct(lock: &mut Manifest, declared: &Manifest) {
    let names: HashSet<&str> = declared
        .dependencies
        .iter()
        .filter(|d| !d.constraint)
        .map(|d| d.normalized_name.as_str())
        .collect();
    for dependency in &mut lock.dependencies {
        if dependency.direct.is_none() {
            dependency.direct = Some(names.contains(dependency.normalized_name.as_str()));
        }
    }
}

/// `poetry.lock` next to a `pyproject.toml`: mark the declared packages direct.
fn link_locks_to_declarations(manifests: &mut [Manifest]) {
    let pyprojects: Vec<(PathBuf, Manifest)> = manifests
        .iter()
        .filter(|m| m.kind == ManifestKind::Pyproject)
        .map(|m| {
            (
                m.path.parent().map(Path::to_path_buf).unwrap_or_default(),
                m.clone(),
            )
        })
        .collect();
    for manifest in manifests
        .iter_mut()
        .filter(|m| m.kind == ManifestKind::PoetryLock)
    {
        let folder = manifest
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        if let Some((_, declared)) = pyprojects.iter().find(|(dir, _)| *dir == folder) {
            mark_direct(manifest, declared);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name() {
        let kind = |p: &str| manifest_kind(Path::new(p));
        assert_eq!(
            kind("requirements.txt"),
            Some(ManifestKind::RequirementsTxt)
        );
        assert_eq!(
            kind("dev-requirements.txt"),
            Some(ManifestKind::RequirementsTxt)
        );
        assert_eq!(
            kind("requirements/base.txt"),
            Some(ManifestKind::RequirementsTxt)
        );
        assert_eq!(kind("constraints.txt"), Some(ManifestKind::RequirementsTxt));
        assert_eq!(kind("requirements.in"), Some(ManifestKind::RequirementsTxt));
        assert_eq!(kind("pylock.toml"), Some(ManifestKind::PyLock));
        assert_eq!(kind("pylock.dev.toml"), Some(ManifestKind::PyLock));
        assert_eq!(kind("Pipfile.lock"), Some(ManifestKind::PipfileLock));
        assert_eq!(
            kind("environment.yaml"),
            Some(ManifestKind::CondaEnvironment)
        );
        assert_eq!(kind("npm-shrinkwrap.json"), Some(ManifestKind::PackageLock));
        assert_eq!(kind("notes.txt"), None);
        assert_eq!(kind("Pipfile"), None);
    }
}
