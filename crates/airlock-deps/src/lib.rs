//! Static readers of dependency manifests and lockfiles, producing one normalized list of
//! declared and locked packages for the AI bill of materials (`airlock bom`) and the
//! dependency audit (`airlock deps`).
//!
//! Formats read (one module each under [`manifest`]):
//!
//! | file | reader | ecosystem |
//! |---|---|---|
//! | `requirements*.txt`, `constraints*.txt`, `*.txt`/`*.in` under `requirements/` | [`manifest::requirements`] | PyPI |
//! | `pyproject.toml` (PEP 621, PEP 735, Poetry, uv) | [`manifest::pyproject`] | PyPI |
//! | `poetry.lock` (lock-version 1.x and 2.x) | [`manifest::poetry_lock`] | PyPI |
//! | `uv.lock` | [`manifest::uv_lock`] | PyPI |
//! | `pylock.toml`, `pylock.*.toml` (PEP 751) | [`manifest::pylock`] | PyPI |
//! | `Pipfile.lock` | [`manifest::pipfile_lock`] | PyPI |
//! | `environment.yml` / `environment.yaml` (conda) | [`manifest::conda`] | Conda + PyPI (`pip:`) |
//! | `site-packages` (`*.dist-info`) | [`manifest::installed`] | PyPI |
//! | `Cargo.lock` | [`manifest::cargo_lock`] | Crates |
//! | `package-lock.json`, `npm-shrinkwrap.json` (lockfileVersion 1–3) | [`manifest::package_lock`] | Npm |
//!
//! What this crate must never do: install, resolve, download, execute or import anything.
//! Every file is untrusted input: reads are capped by [`Limits`], nothing panics, and a part
//! that cannot be read becomes a [`Problem`] in the [`Manifest`] rather than disappearing.
//! Versions are kept exactly as written (local labels, epochs, pre/post/dev releases) and
//! checked with `pep440_rs`; an unpinned requirement has no version, never a guessed one.
//! `docs/manifests.md` lists what is read from each format and what is deliberately not.

#![forbid(unsafe_code)]

mod discover;
mod error;
pub mod manifest;
mod model;
mod names;

use std::io::Read as _;
use std::path::Path;

pub use discover::{
    DiscoverOptions, Discovery, discover, discover_with, manifest_kind, mark_direct,
};
pub use error::DepsError;
pub use model::{
    Dependency, Ecosystem, Hash, Include, IndexKind, IndexUrl, Installed, Location, Manifest,
    ManifestKind, Problem, ProblemKind, Project, RecordEntry, Source,
};
pub use names::{normalize, normalize_pypi_name};

/// Bounds on the work done for one manifest, so hostile files cost little.
///
/// Each limit, when hit, stops that part of the reading and leaves a
/// [`ProblemKind::LimitExceeded`] problem (or, for the file size, a [`DepsError::TooLarge`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, in bytes. Default 64 MiB (large `package-lock.json` files reach
    /// tens of MiB).
    pub max_file_bytes: u64,
    /// Longest logical requirements line after joining `\` continuations. Default 1 MiB.
    pub max_line_bytes: usize,
    /// Deepest chain of `-r`/`-c` includes. Default 16.
    pub max_include_depth: usize,
    /// Most files read through includes for one manifest. Default 256.
    pub max_include_files: usize,
    /// Most dependencies kept per manifest. Default 500,000.
    pub max_dependencies: usize,
    /// Most problems kept per manifest; one last problem says more were dropped. Default 10,000.
    pub max_problems: usize,
    /// Most `*.dist-info` folders read from one installed environment. Default 100,000.
    pub max_distributions: usize,
    /// Most `RECORD` entries kept per distribution. Default 1,000,000.
    pub max_record_entries: usize,
    /// Deepest nesting of npm lockfile v1 `dependencies` trees. Default 64.
    pub max_nesting: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 << 20,
            max_line_bytes: 1 << 20,
            max_include_depth: 16,
            max_include_files: 256,
            max_dependencies: 500_000,
            max_problems: 10_000,
            max_distributions: 100_000,
            max_record_entries: 1_000_000,
            max_nesting: 64,
        }
    }
}

/// Read and parse one manifest, choosing the reader by file name (see [`manifest_kind`]).
/// A `site-packages` folder is read as an installed environment.
pub fn parse_file(path: &Path) -> Result<Manifest, DepsError> {
    parse_file_with(path, &Limits::default())
}

/// [`parse_file`] with explicit limits.
pub fn parse_file_with(path: &Path, limits: &Limits) -> Result<Manifest, DepsError> {
    if path.is_dir() {
        return manifest::installed::read(path, limits);
    }
    let kind = manifest_kind(path).ok_or_else(|| DepsError::Unrecognized {
        path: path.to_path_buf(),
    })?;
    parse_file_as(path, kind, limits)
}

/// Read and parse `path` with the reader for `kind`, whatever its name.
pub fn parse_file_as(
    path: &Path,
    kind: ManifestKind,
    limits: &Limits,
) -> Result<Manifest, DepsError> {
    if kind == ManifestKind::InstalledEnvironment {
        return manifest::installed::read(path, limits);
    }
    let bytes = read_capped(path, limits)?;
    parse_with_includes(kind, path, &bytes, limits, true)
}

/// Parse bytes already in memory as `kind`; `path` is only used to name locations.
/// Includes (`-r`, `-c`) are recorded but not followed, so nothing else is read.
pub fn parse_bytes(
    kind: ManifestKind,
    path: &Path,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Manifest, DepsError> {
    if kind == ManifestKind::InstalledEnvironment {
        return Err(DepsError::Unrecognized {
            path: path.to_path_buf(),
        });
    }
    parse_with_includes(kind, path, bytes, limits, false)
}

fn parse_with_includes(
    kind: ManifestKind,
    path: &Path,
    bytes: &[u8],
    limits: &Limits,
    follow_includes: bool,
) -> Result<Manifest, DepsError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(DepsError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    let text = text(path, bytes)?;
    use manifest::*;
    match kind {
        ManifestKind::RequirementsTxt => {
            Ok(requirements::parse(path, text, limits, follow_includes))
        }
        ManifestKind::Pyproject => pyproject::parse(path, text, limits),
        ManifestKind::PoetryLock => poetry_lock::parse(path, text, limits),
        ManifestKind::UvLock => uv_lock::parse(path, text, limits),
        ManifestKind::PyLock => pylock::parse(path, text, limits),
        ManifestKind::PipfileLock => pipfile_lock::parse(path, text, limits),
        ManifestKind::CondaEnvironment => conda::parse(path, text, limits, follow_includes),
        ManifestKind::CargoLock => cargo_lock::parse(path, text, limits),
        ManifestKind::PackageLock => package_lock::parse(path, text, limits),
        ManifestKind::InstalledEnvironment => Err(DepsError::Unrecognized {
            path: path.to_path_buf(),
        }),
    }
}

/// Read a whole file, refusing it before allocation when it is over the size limit.
pub(crate) fn read_capped(path: &Path, limits: &Limits) -> Result<Vec<u8>, DepsError> {
    let io = |source| DepsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let too_large = |size| DepsError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit: limits.max_file_bytes,
    };
    if size > limits.max_file_bytes {
        return Err(too_large(size));
    }
    let mut bytes = Vec::new();
    // The file may grow between the check and the read: never read past the limit.
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Bytes as UTF-8 text without a leading byte-order mark.
pub(crate) fn text<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, DepsError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| DepsError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.valid_up_to(),
    })
}

/// Collects a manifest while enforcing the per-manifest limits.
pub(crate) struct Sink<'l> {
    pub(crate) manifest: Manifest,
    limits: &'l Limits,
    dependencies_full: bool,
    problems_full: bool,
}

impl<'l> Sink<'l> {
    pub(crate) fn new(path: &Path, kind: ManifestKind, limits: &'l Limits) -> Self {
        Sink {
            manifest: Manifest::new(path, kind),
            limits,
            dependencies_full: false,
            problems_full: false,
        }
    }

    pub(crate) fn limits(&self) -> &'l Limits {
        self.limits
    }

    /// Keep a dependency; `false` once the limit is reached (the caller should stop).
    pub(crate) fn dependency(&mut self, dependency: Dependency) -> bool {
        if self.manifest.dependencies.len() >= self.limits.max_dependencies {
            if !self.dependencies_full {
                self.dependencies_full = true;
                let location = dependency.location.clone();
                self.problem(
                    ProblemKind::LimitExceeded,
                    format!(
                        "more than {} dependencies; the rest were not read",
                        self.limits.max_dependencies
                    ),
                    location,
                );
            }
            return false;
        }
        self.manifest.dependencies.push(dependency);
        true
    }

    /// Record a problem, up to the limit.
    pub(crate) fn problem(
        &mut self,
        kind: ProblemKind,
        message: impl Into<String>,
        location: Location,
    ) {
        if self.manifest.problems.len() + 1 >= self.limits.max_problems {
            if !self.problems_full {
                self.problems_full = true;
                self.manifest.problems.push(Problem {
                    kind: ProblemKind::LimitExceeded,
                    message: format!(
                        "more than {} problems; the rest were dropped",
                        self.limits.max_problems
                    ),
                    location,
                });
            }
            return;
        }
        self.manifest.problems.push(Problem {
            kind,
            message: message.into(),
            location,
        });
    }

    /// Record a version that is not PEP 440, for PyPI packages.
    pub(crate) fn check_pep440(&mut self, name: &str, version: &str, location: &Location) {
        if !names::is_pep440(version) {
            self.problem(
                ProblemKind::InvalidVersion,
                format!(
                    "`{name}` version `{version}` is not a valid PEP 440 version; kept as written"
                ),
                location.clone(),
            );
        }
    }

    pub(crate) fn finish(self) -> Manifest {
        self.manifest
    }
}

/// Turn a `toml` error into a [`DepsError::Syntax`] with its line.
pub(crate) fn toml_error(path: &Path, text: &str, error: &toml::de::Error) -> DepsError {
    let line = error
        .span()
        .map(|span| names::LineIndex::new(text).line(span.start));
    DepsError::Syntax {
        path: path.to_path_buf(),
        line,
        message: error.message().to_owned(),
    }
}

/// Turn a `serde_json` error into a [`DepsError::Syntax`] with its line.
pub(crate) fn json_error(path: &Path, error: &serde_json::Error) -> DepsError {
    DepsError::Syntax {
        path: path.to_path_buf(),
        line: u32::try_from(error.line()).ok().filter(|&l| l > 0),
        message: error.to_string(),
    }
}
