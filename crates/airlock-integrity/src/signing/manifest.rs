//! The OpenSSF Model Signing (OMS, `model_signing` 1.1.1) manifest of a model: which files
//! it covers, under which names and digests, and the subject digest that names the whole
//! model in a signature, the lockfile and the AIBOM.
//!
//! Rules (`../shared/research/bom-signing.md` §4.4, checked against model_signing's
//! `_serialization/*.py`): every regular file under the model directory is a resource
//! named by its POSIX path relative to the directory (a single-file model's one resource
//! is named `.`); ignored paths cover their whole subtree; symbolic links are an error
//! unless allowed, and then a link to a file is hashed through and a link to a directory
//! is not descended (as Python's `glob("**/*")` does); resources are ordered by path
//! *components* (`a/b` before `a.txt`), shards by (path, start, end); the subject digest
//! is SHA-256 over the concatenated raw resource digests in that order, whatever the
//! resource algorithm.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::IntegrityError;
use crate::hash::{Progress, in_parallel, read_chunks};

/// The paths `model_signing` ignores at the model root by default (`ignore_git_paths`).
pub const DEFAULT_IGNORE_PATHS: [&str; 4] = [".git", ".gitignore", ".gitattributes", ".github"];

/// Orders `/`-separated relative paths as Python's `PurePosixPath` does (component by
/// component), which is the order OMS lists resources in.
pub fn component_cmp(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

/// Whether `model_signing` leaves this model-relative path out of the manifest by default.
pub fn is_default_ignored(relative: &str) -> bool {
    is_ignored(relative, &DEFAULT_IGNORE_PATHS)
}

/// Whether a model-relative path lies under one of the model-relative ignore paths.
pub fn is_ignored(relative: &str, ignore_paths: &[impl AsRef<str>]) -> bool {
    ignore_paths.iter().any(|ignored| {
        let ignored = normalize_relative(ignored.as_ref());
        ignored.is_empty() || path_starts_with(relative, &ignored)
    })
}

fn path_starts_with(path: &str, prefix: &str) -> bool {
    let mut parts = path.split('/');
    prefix.split('/').all(|part| parts.next() == Some(part))
}

/// `./a//b/` → `a/b`, so ignore paths written by hand compare by components.
pub fn normalize_relative(path: &str) -> String {
    path.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// The subject digest over raw resource digests already in OMS order.
pub fn subject_digest(digests: impl IntoIterator<Item = impl AsRef<[u8]>>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for digest in digests {
        hasher.update(digest.as_ref());
    }
    hasher.finalize().into()
}

/// The content hashes OMS resources may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgorithm {
    /// SHA-256, the default and the only one `model_signing verify` (CLI) checks.
    Sha256,
    /// BLAKE2b-512 (`hashlib.blake2b()`), recorded as `blake2b`.
    Blake2b,
    /// BLAKE3, parallel within a file.
    Blake3,
}

impl HashAlgorithm {
    /// The name a signature records.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Blake2b => "blake2b",
            HashAlgorithm::Blake3 => "blake3",
        }
    }

    /// Reads a recorded name; `blake2` is what model_signing's API calls BLAKE2b.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(HashAlgorithm::Sha256),
            "blake2b" | "blake2" => Some(HashAlgorithm::Blake2b),
            "blake3" => Some(HashAlgorithm::Blake3),
            _ => None,
        }
    }

    fn digest(
        self,
        path: &Path,
        range: Option<Range<u64>>,
        progress: &dyn Progress,
    ) -> Result<Vec<u8>, IntegrityError> {
        Ok(match self {
            HashAlgorithm::Sha256 => {
                let mut hasher = Sha256::new();
                read_chunks(path, range, progress, |chunk| hasher.update(chunk))?;
                hasher.finalize().to_vec()
            }
            HashAlgorithm::Blake2b => {
                let mut hasher = blake2::Blake2b512::new();
                read_chunks(path, range, progress, |chunk| hasher.update(chunk))?;
                hasher.finalize().to_vec()
            }
            HashAlgorithm::Blake3 => {
                let mut hasher = blake3::Hasher::new();
                read_chunks(path, range, progress, |chunk| {
                    hasher.update_rayon(chunk);
                })?;
                hasher.finalize().as_bytes().to_vec()
            }
        })
    }
}

/// How files become resources: whole files, or fixed-size byte ranges of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// One resource per file.
    Files,
    /// One resource per `shard_size` bytes of each non-empty file, named `path:start:end`.
    Shards {
        /// Bytes per shard (the last one of a file may be shorter).
        shard_size: u64,
    },
}

/// How a model was (or is to be) serialized; a signature records it so a verifier can
/// hash the model the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serialization {
    /// Files or shards.
    pub method: Method,
    /// The content hash of each resource.
    pub hash: HashAlgorithm,
    /// Whether symbolic links are followed instead of refused.
    pub allow_symlinks: bool,
    /// Model-relative paths left out (each covers its subtree).
    pub ignore_paths: Vec<String>,
}

impl Default for Serialization {
    fn default() -> Self {
        Serialization {
            method: Method::Files,
            hash: HashAlgorithm::Sha256,
            allow_symlinks: false,
            ignore_paths: DEFAULT_IGNORE_PATHS
                .iter()
                .map(|path| (*path).to_owned())
                .collect(),
        }
    }
}

impl Serialization {
    /// The `algorithm` each resource records: `sha256`, or `sha256-sharded-<size>`.
    pub fn resource_algorithm(&self) -> String {
        match self.method {
            Method::Files => self.hash.name().to_owned(),
            Method::Shards { shard_size } => format!("{}-sharded-{shard_size}", self.hash.name()),
        }
    }
}

/// One signed unit: a file or a shard of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// `path` (files) or `path:start:end` (shards), POSIX, relative to the model.
    pub name: String,
    /// What produced the digest (see [`Serialization::resource_algorithm`]).
    pub algorithm: String,
    /// The raw digest.
    pub digest: Vec<u8>,
}

impl Resource {
    /// The file this resource is (part of): the name without a shard's `:start:end`.
    pub fn file(&self, method: Method) -> &str {
        match method {
            Method::Files => &self.name,
            Method::Shards { .. } => self.name.rsplitn(3, ':').nth(2).unwrap_or(&self.name),
        }
    }
}

/// Everything a signature states about a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Subject name: the model directory's (or file's) own name; informative only.
    pub model_name: String,
    /// How the resources were produced.
    pub serialization: Serialization,
    /// Resources in OMS order.
    pub resources: Vec<Resource>,
}

impl Manifest {
    /// The in-toto subject digest: SHA-256 over the raw resource digests in order.
    pub fn subject_sha256(&self) -> [u8; 32] {
        subject_digest(
            self.resources
                .iter()
                .map(|resource| resource.digest.as_slice()),
        )
    }
}

/// Hashes a model as `model_signing sign` would with `serialization`. With `only`, files
/// whose model-relative name is not in it are skipped (`--ignore-unsigned-files`).
pub fn compute(
    model: &Path,
    serialization: &Serialization,
    only: Option<&BTreeSet<String>>,
    progress: &dyn Progress,
) -> Result<Manifest, IntegrityError> {
    let files = model_files(model, serialization)?
        .into_iter()
        .filter(|(name, _, _)| only.is_none_or(|only| only.contains(name)))
        .collect::<Vec<_>>();
    let algorithm = serialization.resource_algorithm();
    let mut jobs: Vec<(String, PathBuf, Option<Range<u64>>)> = Vec::new();
    for (name, path, size) in files {
        match serialization.method {
            Method::Files => jobs.push((name, path, None)),
            Method::Shards { shard_size } => {
                let mut start = 0;
                while start < size {
                    let end = size.min(start.saturating_add(shard_size));
                    jobs.push((
                        format!("{name}:{start}:{end}"),
                        path.clone(),
                        Some(start..end),
                    ));
                    start = end;
                }
            }
        }
    }
    let sizes: Vec<u64> = jobs
        .iter()
        .map(|(_, path, range)| match range {
            Some(range) => range.end - range.start,
            None => std::fs::metadata(path).map_or(0, |meta| meta.len()),
        })
        .collect();
    let digests = in_parallel(&jobs, &sizes, progress, |(_, path, range)| {
        serialization.hash.digest(path, range.clone(), progress)
    });
    let mut resources = Vec::with_capacity(jobs.len());
    for ((name, _, _), digest) in jobs.into_iter().zip(digests) {
        resources.push(Resource {
            name,
            algorithm: algorithm.clone(),
            digest: digest?,
        });
    }
    if serialization.method == Method::Files {
        resources.sort_by(|a, b| component_cmp(&a.name, &b.name));
    } else {
        resources.sort_by(|a, b| shard_key(&a.name).cmp(&shard_key(&b.name)));
    }
    Ok(Manifest {
        model_name: model_name(model)?,
        serialization: serialization.clone(),
        resources,
    })
}

/// Orders shard names by (path components, start, end), numerically.
fn shard_key(name: &str) -> (Vec<&str>, u64, u64) {
    let mut parts = name.rsplitn(3, ':');
    let end = parts.next().and_then(|end| end.parse().ok()).unwrap_or(0);
    let start = parts
        .next()
        .and_then(|start| start.parse().ok())
        .unwrap_or(0);
    let path = parts.next().unwrap_or("");
    (path.split('/').collect(), start, end)
}

/// The subject name `model_signing` gives a model path.
fn model_name(model: &Path) -> Result<String, IntegrityError> {
    if let Some(name) = model.file_name() {
        return Ok(name.to_string_lossy().into_owned());
    }
    let resolved = std::fs::canonicalize(model).map_err(|source| IntegrityError::Io {
        path: model.to_path_buf(),
        source,
    })?;
    Ok(resolved
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default())
}

/// The files of a model: (model-relative name, path to read, size), ignores applied.
fn model_files(
    model: &Path,
    serialization: &Serialization,
) -> Result<Vec<(String, PathBuf, u64)>, IntegrityError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IntegrityError::Io { path, source }
    };
    let top = std::fs::symlink_metadata(model).map_err(io_err(model))?;
    if top.file_type().is_symlink() && !serialization.allow_symlinks {
        return Err(refused_symlink(model));
    }
    let target = std::fs::metadata(model).map_err(io_err(model))?;
    if target.is_file() {
        return Ok(vec![(".".to_owned(), model.to_path_buf(), target.len())]);
    }
    if !target.is_dir() {
        return Err(IntegrityError::Unsupported {
            path: model.to_path_buf(),
            what: "neither a file nor a directory",
        });
    }
    let mut files = Vec::new();
    let mut walker = walkdir::WalkDir::new(model)
        .follow_links(false)
        .min_depth(1)
        .into_iter();
    while let Some(entry) = walker.next() {
        let entry = entry.map_err(|err| IntegrityError::walk(model, err))?;
        let relative = crate::tree::relative_name(model, entry.path())?;
        if is_ignored(&relative, &serialization.ignore_paths) {
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        if kind.is_symlink() {
            if !serialization.allow_symlinks {
                return Err(refused_symlink(entry.path()));
            }
            match std::fs::metadata(entry.path()) {
                Ok(meta) if meta.is_file() => {
                    files.push((relative, entry.path().to_path_buf(), meta.len()))
                }
                Ok(meta) if meta.is_dir() => {}
                _ => {
                    return Err(IntegrityError::Unsupported {
                        path: entry.path().to_path_buf(),
                        what: "a symbolic link to nothing readable",
                    });
                }
            }
            continue;
        }
        if !kind.is_file() {
            return Err(IntegrityError::Unsupported {
                path: entry.path().to_path_buf(),
                what: "not a regular file (a socket, pipe or device)",
            });
        }
        let size = entry
            .metadata()
            .map_err(|err| IntegrityError::walk(model, err))?
            .len();
        files.push((relative, entry.path().to_path_buf(), size));
    }
    Ok(files)
}

fn refused_symlink(path: &Path) -> IntegrityError {
    IntegrityError::Unsupported {
        path: path.to_path_buf(),
        what: "a symbolic link (model_signing refuses them unless symlinks are allowed)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoProgress;
    use crate::hash::sha256;

    #[test]
    fn component_order_differs_from_byte_order() {
        let mut names = vec!["a.txt", "a/b", "README.md", "sub/x", "sub-y"];
        names.sort_by(|a, b| component_cmp(a, b));
        assert_eq!(names, ["README.md", "a/b", "a.txt", "sub/x", "sub-y"]);
        assert!("a.txt" < "a/b", "byte order would put a.txt first");
    }

    #[test]
    fn only_root_level_git_paths_are_ignored() {
        assert!(is_default_ignored(".git/config"));
        assert!(is_default_ignored(".gitignore"));
        assert!(!is_default_ignored("sub/.gitignore"));
        assert!(!is_default_ignored(".gitignored"));
        assert!(is_ignored("sub/ignore-me/x", &["./sub/ignore-me/"]));
    }

    #[test]
    fn shards_cover_each_file_in_order_and_skip_empty_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big"), vec![7u8; 25]).unwrap();
        std::fs::write(dir.path().join("empty"), b"").unwrap();
        std::fs::write(dir.path().join("we:ird"), b"abc").unwrap();
        let serialization = Serialization {
            method: Method::Shards { shard_size: 10 },
            ..Serialization::default()
        };
        let manifest = compute(dir.path(), &serialization, None, &NoProgress).unwrap();
        let names: Vec<&str> = manifest.resources.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["big:0:10", "big:10:20", "big:20:25", "we:ird:0:3"]);
        assert_eq!(manifest.resources[2].digest, sha256(&[7u8; 5]).to_vec());
        assert_eq!(manifest.resources[0].algorithm, "sha256-sharded-10");
        assert_eq!(manifest.resources[3].file(serialization.method), "we:ird");
    }

    #[test]
    fn single_file_model_is_named_dot() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("model.bin");
        std::fs::write(&file, b"weights").unwrap();
        let manifest = compute(&file, &Serialization::default(), None, &NoProgress).unwrap();
        assert_eq!(manifest.model_name, "model.bin");
        assert_eq!(manifest.resources.len(), 1);
        assert_eq!(manifest.resources[0].name, ".");
        assert_eq!(manifest.resources[0].digest, sha256(b"weights").to_vec());
    }

    #[test]
    fn blake_digests_have_their_own_lengths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"abc").unwrap();
        for (hash, expected) in [
            (
                HashAlgorithm::Blake3,
                blake3::hash(b"abc").as_bytes().to_vec(),
            ),
            (
                HashAlgorithm::Blake2b,
                blake2::Blake2b512::digest(b"abc").to_vec(),
            ),
        ] {
            let serialization = Serialization {
                hash,
                ..Serialization::default()
            };
            let manifest = compute(dir.path(), &serialization, None, &NoProgress).unwrap();
            assert_eq!(manifest.resources[0].digest, expected);
            assert_eq!(manifest.resources[0].algorithm, hash.name());
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_refused_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("real"), b"x").unwrap();
        std::os::unix::fs::symlink("real", dir.path().join("link")).unwrap();
        let err = compute(dir.path(), &Serialization::default(), None, &NoProgress).unwrap_err();
        assert!(err.to_string().contains("link"), "{err}");
        let allowed = Serialization {
            allow_symlinks: true,
            ..Serialization::default()
        };
        let manifest = compute(dir.path(), &allowed, None, &NoProgress).unwrap();
        assert_eq!(manifest.resources.len(), 2);
        assert_eq!(manifest.resources[0].digest, manifest.resources[1].digest);
    }
}
