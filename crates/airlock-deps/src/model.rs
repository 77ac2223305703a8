//! The normalized data every reader produces: plain, serde-serializable, no behaviour.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Which package registry a name belongs to, so advisories are matched in the right namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ecosystem {
    /// Python packages (PyPI and indexes speaking its protocol).
    PyPI,
    /// Conda packages from conda channels.
    Conda,
    /// Rust crates.
    Crates,
    /// npm packages.
    Npm,
}

/// Which reader produced a manifest, so consumers know what the file can and cannot say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ManifestKind {
    /// pip requirements file (`requirements*.txt`, constraints files).
    RequirementsTxt,
    /// `pyproject.toml` (PEP 621, PEP 735, Poetry and uv tables).
    Pyproject,
    /// Poetry's `poetry.lock`.
    PoetryLock,
    /// uv's `uv.lock`.
    UvLock,
    /// PEP 751 `pylock.toml`.
    PyLock,
    /// Pipenv's `Pipfile.lock`.
    PipfileLock,
    /// conda `environment.yml`.
    CondaEnvironment,
    /// An installed Python environment (`site-packages` with `*.dist-info`).
    InstalledEnvironment,
    /// Cargo's `Cargo.lock`.
    CargoLock,
    /// npm's `package-lock.json` or `npm-shrinkwrap.json`.
    PackageLock,
}

/// Where something was read, so every fact and problem points back at a line a person can open.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// The file (or, for installed environments, the `*.dist-info` folder).
    pub file: PathBuf,
    /// 1-based line, where the format lets us know it.
    pub line: Option<u32>,
}

impl Location {
    /// A location at a known line.
    pub fn at(file: &Path, line: u32) -> Self {
        Location {
            file: file.to_path_buf(),
            line: Some(line),
        }
    }

    /// A location in a file at no particular line.
    pub fn file(file: &Path) -> Self {
        Location {
            file: file.to_path_buf(),
            line: None,
        }
    }
}

/// Where a package comes from, so non-index installs (URL, VCS, path) can be told apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Source {
    /// A package index or registry; `url` is `None` when the file leaves it to the default
    /// (PyPI, crates.io, the npm registry) or to the manifest's `index_urls`.
    Registry {
        /// Index URL, index name, or conda channel as written.
        url: Option<String>,
    },
    /// A direct archive URL (`pkg @ https://…/pkg-1.0.whl`).
    Url {
        /// The URL as written.
        url: String,
    },
    /// A version-control checkout (`git+https://…@rev`).
    Vcs {
        /// Repository URL, with its `git+` style prefix when the format writes one.
        url: String,
        /// Requested branch, tag or revision, if any.
        reference: Option<String>,
        /// Resolved commit, when a lockfile records it.
        commit: Option<String>,
        /// Installed in editable (develop) mode.
        editable: bool,
    },
    /// A local file or directory.
    Path {
        /// The path as written (relative paths are relative to the manifest).
        path: String,
        /// Installed in editable (develop) mode.
        editable: bool,
    },
    /// Another member of the same workspace (uv `workspace = true`).
    Workspace,
}

impl Source {
    /// The default registry, unnamed.
    pub fn default_registry() -> Self {
        Source::Registry { url: None }
    }
}

/// One artifact digest, kept as the file wrote it (converted to hex) for integrity and
/// malicious-artifact matching.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Hash {
    /// Lowercase algorithm name (`sha256`, `sha512`, …).
    pub algorithm: String,
    /// Lowercase hex digest.
    pub hex: String,
    /// Which artifact it belongs to (file name or URL), when the format says.
    pub artifact: Option<String>,
}

/// One file listed in an installed distribution's `RECORD`, kept for the tamper check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordEntry {
    /// Path as written, relative to `site-packages` (may start with `../`).
    pub path: String,
    /// Recorded digest; `None` for `RECORD` itself and generated files.
    pub hash: Option<Hash>,
    /// Recorded size in bytes.
    pub size: Option<u64>,
}

/// What an installed distribution's `*.dist-info` folder says beyond name and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    /// The `*.dist-info` folder.
    pub dist_info: PathBuf,
    /// Content of `INSTALLER` (`pip`, `uv`, …), if present.
    pub installer: Option<String>,
    /// `RECORD` entries in file order; empty when `RECORD` is missing (then a problem says so).
    pub record: Vec<RecordEntry>,
    /// `direct_url.json` (PEP 610) was present: installed from a URL, VCS or directory.
    pub direct_url: bool,
}

/// One declared or locked package, the unit both the bill of materials and the audit count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// Registry the name belongs to.
    pub ecosystem: Ecosystem,
    /// Name as written in the file.
    pub name: String,
    /// Name for comparison: PEP 503 for PyPI, lowercase for conda, as written otherwise.
    pub normalized_name: String,
    /// The exact version when pinned (`==`, `===`) or locked, as written; never guessed from
    /// a range.
    pub version: Option<String>,
    /// The version requirement as declared (`>=5.3`, `^1.2`, `==2.31.0`), when the file
    /// declares one rather than locks one.
    pub requirement: Option<String>,
    /// Environment marker text (`sys_platform == 'win32'`), not evaluated.
    pub marker: Option<String>,
    /// Extras requested (`requests[socks]`).
    pub extras: Vec<String>,
    /// Where the package comes from.
    pub source: Source,
    /// Artifact digests recorded for it.
    pub hashes: Vec<Hash>,
    /// `Some(true)` when the project declares it, `Some(false)` when only pulled in by another
    /// package, `None` when the file does not say (poetry.lock, pylock.toml, Pipfile.lock).
    pub direct: Option<bool>,
    /// Dependency groups, extras or sections it belongs to, as the tool names them; empty for
    /// the main/default set.
    pub groups: Vec<String>,
    /// Only needed for development: PEP 735 groups, Poetry non-main groups, Pipfile
    /// `develop`, npm `dev`.
    pub dev: bool,
    /// Only installed on request: PEP 621 extras, Poetry `optional`, npm `optional`.
    pub optional: bool,
    /// Listed only in a constraints file (`-c`): it restricts versions but installs nothing.
    pub constraint: bool,
    /// The lockfile says the package runs install scripts (npm `hasInstallScript`).
    pub install_script: bool,
    /// Installed-environment details (`RECORD`, `INSTALLER`), for site-packages only.
    pub installed: Option<Installed>,
    /// Where it was declared.
    pub location: Location,
}

impl Dependency {
    /// A dependency with only the always-known fields set; readers fill in the rest.
    pub fn new(ecosystem: Ecosystem, name: &str, location: Location) -> Self {
        Dependency {
            ecosystem,
            name: name.to_owned(),
            normalized_name: crate::names::normalize(ecosystem, name),
            version: None,
            requirement: None,
            marker: None,
            extras: Vec::new(),
            source: Source::default_registry(),
            hashes: Vec::new(),
            direct: None,
            groups: Vec::new(),
            dev: false,
            optional: false,
            constraint: false,
            install_script: false,
            installed: None,
            location,
        }
    }

    /// The version as a PEP 440 version, for PyPI packages whose version parses.
    pub fn pep440_version(&self) -> Option<pep440_rs::Version> {
        if self.ecosystem != Ecosystem::PyPI {
            return None;
        }
        self.version.as_deref()?.parse().ok()
    }
}

/// How an index URL is used, since an extra index next to PyPI is the dependency-confusion
/// setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndexKind {
    /// Replaces the default index (`--index-url`, uv `default = true`, Poetry `primary`).
    Primary,
    /// Searched in addition to the primary (`--extra-index-url`, uv/Poetry secondary indexes).
    Extra,
    /// Only used by packages that name it explicitly (uv `explicit = true`, Poetry `explicit`).
    Explicit,
    /// A flat page or directory of archives (`--find-links`).
    FindLinks,
    /// A conda channel.
    Channel,
}

/// An index, registry or channel a manifest points installs at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexUrl {
    /// URL (or channel name) as written.
    pub url: String,
    /// How it is used.
    pub kind: IndexKind,
    /// Name given to it by the tool (uv, Poetry, Pipenv), if any.
    pub name: Option<String>,
    /// Where it was declared.
    pub location: Location,
}

/// A file pulled in by another (`-r`, `-c`), so consumers see the whole include tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Include {
    /// The path as resolved against the including file.
    pub path: PathBuf,
    /// `true` for `-c`/`--constraint`, `false` for `-r`/`--requirement`.
    pub constraint: bool,
    /// The `-r`/`-c` line.
    pub location: Location,
}

/// Why part of a file could not be used, so nothing is dropped in silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A line or entry that does not parse.
    Malformed,
    /// A requirement with no name we can read (a bare path or URL without `#egg=`).
    Unnamed,
    /// A version string that is not valid PEP 440 (kept as written).
    InvalidVersion,
    /// Syntax the reader knows but does not interpret (URL includes, unknown options, conda
    /// packages with no ecosystem mapping, …).
    Unsupported,
    /// An include that cannot be read or was already being read (cycle).
    Include,
    /// A limit from [`crate::Limits`] was hit; what follows was not read.
    LimitExceeded,
}

/// One problem met while reading, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// What sort of problem.
    pub kind: ProblemKind,
    /// One line for a person.
    pub message: String,
    /// Where.
    pub location: Location,
}

/// The project a manifest describes, when the file names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Project name as written.
    pub name: String,
    /// Project version, when static.
    pub version: Option<String>,
}

/// Everything read from one manifest or lockfile (with the files it includes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The file read (or the `site-packages` folder).
    pub path: PathBuf,
    /// Which reader.
    pub kind: ManifestKind,
    /// The project itself, when named (it is never listed among its own dependencies).
    pub project: Option<Project>,
    /// Packages declared or locked, in file order.
    pub dependencies: Vec<Dependency>,
    /// Indexes, registries and channels configured by the file.
    pub index_urls: Vec<IndexUrl>,
    /// `--no-index` was given: only `--find-links` locations are used.
    pub no_index: bool,
    /// Hosts whose TLS errors pip is told to ignore (`--trusted-host`).
    pub trusted_hosts: Vec<String>,
    /// Files included with `-r`/`-c`.
    pub includes: Vec<Include>,
    /// What could not be read.
    pub problems: Vec<Problem>,
}

impl Manifest {
    /// An empty manifest for `path`.
    pub fn new(path: &Path, kind: ManifestKind) -> Self {
        Manifest {
            path: path.to_path_buf(),
            kind,
            project: None,
            dependencies: Vec::new(),
            index_urls: Vec::new(),
            no_index: false,
            trusted_hosts: Vec::new(),
            includes: Vec::new(),
            problems: Vec::new(),
        }
    }
}
