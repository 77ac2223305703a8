//! The OpenSSF Model Signing (OMS, `model_signing` 1.1.1) "files" manifest and subject
//! digest, so a lockfile, an AIBOM and a signature name a model by the same digest.
//!
//! Rules (`../shared/research/bom-signing.md` §4.4): every regular file under the model
//! directory is a resource named by its POSIX path relative to the directory; `.git`,
//! `.gitattributes`, `.github` and `.gitignore` at the model root are ignored; resources
//! are ordered by path *components* (`a/b` before `a.txt`); the subject digest is SHA-256
//! over the concatenated raw 32-byte SHA-256 digests of the resources in that order.

use std::cmp::Ordering;
use std::path::Path;

use crate::IntegrityError;
use crate::hash::{HashJob, NoProgress, hash_files, sha256};

/// The paths `model_signing` ignores at the model root by default (`ignore_git_paths`).
pub const DEFAULT_IGNORE_PATHS: [&str; 4] = [".git", ".gitignore", ".gitattributes", ".github"];

/// Orders `/`-separated relative paths as Python's `PurePosixPath` does (component by
/// component), which is the order OMS lists resources in.
pub fn component_cmp(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

/// Whether `model_signing` leaves this model-relative path out of the manifest by default.
pub fn is_default_ignored(relative: &str) -> bool {
    let first = relative.split('/').next().unwrap_or(relative);
    DEFAULT_IGNORE_PATHS.contains(&first)
}

/// The subject digest over resources already in OMS order.
pub fn subject_digest<'a>(digests: impl IntoIterator<Item = &'a [u8; 32]>) -> [u8; 32] {
    let mut concatenated = Vec::new();
    for digest in digests {
        concatenated.extend_from_slice(digest);
    }
    sha256(&concatenated)
}

/// An OMS files-mode manifest of one model directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OmsManifest {
    /// Subject name: the directory's own name.
    pub name: String,
    /// Resources in OMS order: relative POSIX name and SHA-256.
    pub resources: Vec<(String, [u8; 32])>,
    /// SHA-256 over the concatenated resource digests.
    pub subject_sha256: [u8; 32],
}

/// Computes the manifest `model_signing sign` would sign for `dir` with default options
/// (files mode, SHA-256, default ignores, symbolic links refused as `model_signing` does).
pub fn model_manifest(dir: &Path) -> Result<OmsManifest, IntegrityError> {
    let mut names = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .min_depth(1)
        .into_iter()
        .filter_entry(|entry| {
            entry.depth() != 1
                || !DEFAULT_IGNORE_PATHS.contains(&entry.file_name().to_string_lossy().as_ref())
        });
    for entry in walker {
        let entry = entry.map_err(|err| IntegrityError::walk(dir, err))?;
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        if kind.is_symlink() {
            return Err(IntegrityError::Unsupported {
                path: entry.path().to_path_buf(),
                what: "a symbolic link (model_signing refuses them by default)",
            });
        }
        if !kind.is_file() {
            return Err(IntegrityError::Unsupported {
                path: entry.path().to_path_buf(),
                what: "not a regular file",
            });
        }
        let relative = crate::tree::relative_name(dir, entry.path())?;
        names.push((relative, entry.path().to_path_buf()));
    }
    names.sort_by(|a, b| component_cmp(&a.0, &b.0));
    let jobs: Vec<HashJob> = names
        .iter()
        .map(|(_, path)| HashJob {
            path: path.clone(),
            blake3: false,
            git_sha1: false,
        })
        .collect();
    let sizes = vec![0; jobs.len()];
    let mut resources = Vec::with_capacity(names.len());
    for ((name, _), result) in names
        .into_iter()
        .zip(hash_files(&jobs, &sizes, &NoProgress))
    {
        resources.push((name, result?.sha256));
    }
    let subject_sha256 = subject_digest(resources.iter().map(|(_, digest)| digest));
    let absolute = std::path::absolute(dir).map_err(|source| IntegrityError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let name = absolute
        .components()
        .next_back()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(OmsManifest {
        name,
        resources,
        subject_sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
