//! Checking a model on disk against the manifest a signature states: hashed the way the
//! signer recorded, compared resource by resource, with every difference named.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use super::manifest::{
    self, DEFAULT_IGNORE_PATHS, Manifest, Resource, Serialization, component_cmp,
};
use crate::{IntegrityError, Progress};

/// What the verifier adds to the serialization the signature records.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// More model-relative paths to leave out.
    pub ignore_paths: Vec<String>,
    /// Leave out `.git`, `.gitignore`, `.gitattributes` and `.github` (model_signing's default).
    pub ignore_git_paths: bool,
    /// Follow symbolic links even if the signer did not.
    pub allow_symlinks: bool,
    /// Hash only the files the signature lists, so files added since do not fail.
    pub ignore_unsigned_files: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            ignore_paths: Vec::new(),
            ignore_git_paths: true,
            allow_symlinks: false,
            ignore_unsigned_files: false,
        }
    }
}

/// A resource as reported to the user: name, algorithm and hex digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceDigest {
    /// File (or `file:start:end` shard) name relative to the model.
    pub name: String,
    /// The algorithm label (`sha256`, `sha256-sharded-<size>`, `blake3`...).
    pub algorithm: String,
    /// Lowercase hex.
    pub digest: String,
}

impl From<&Resource> for ResourceDigest {
    fn from(resource: &Resource) -> Self {
        ResourceDigest {
            name: resource.name.clone(),
            algorithm: resource.algorithm.clone(),
            digest: hex::encode(&resource.digest),
        }
    }
}

/// A resource whose content changed since signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// As signed.
    pub expected: ResourceDigest,
    /// As on disk.
    pub actual: ResourceDigest,
}

/// Every way a model differs from its signed manifest; empty when it verifies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ManifestDiff {
    /// Signed and present, different content.
    pub mismatched: Vec<Mismatch>,
    /// Signed, no longer present.
    pub missing: Vec<ResourceDigest>,
    /// Present, not signed.
    pub extra: Vec<ResourceDigest>,
}

impl ManifestDiff {
    /// Whether the model matches the signature.
    pub fn is_clean(&self) -> bool {
        self.mismatched.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// The model hashed as signed, and how it differs.
#[derive(Debug, Clone)]
pub struct ModelCheck {
    /// The manifest of the model as it is now.
    pub actual: Manifest,
    /// The differences from the signed manifest.
    pub diff: ManifestDiff,
}

/// Hashes `model` with the serialization `signed` records (plus `options`) and compares.
/// Resources compare by name and (algorithm, digest); the model name is informative and
/// not compared, as in model_signing.
pub fn check_model(
    model: &Path,
    signed: &Manifest,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<ModelCheck, IntegrityError> {
    let mut serialization: Serialization = signed.serialization.clone();
    serialization.allow_symlinks |= options.allow_symlinks;
    serialization
        .ignore_paths
        .extend(options.ignore_paths.iter().cloned());
    if options.ignore_git_paths {
        serialization
            .ignore_paths
            .extend(DEFAULT_IGNORE_PATHS.iter().map(|path| (*path).to_owned()));
    }
    let only: Option<BTreeSet<String>> = options.ignore_unsigned_files.then(|| {
        signed
            .resources
            .iter()
            .map(|resource| resource.file(signed.serialization.method).to_owned())
            .collect()
    });
    let actual = manifest::compute(model, &serialization, only.as_ref(), progress)?;
    let diff = compare(signed, &actual);
    Ok(ModelCheck { actual, diff })
}

/// The differences between two manifests, in OMS order within each list.
pub fn compare(expected: &Manifest, actual: &Manifest) -> ManifestDiff {
    let mut signed: BTreeMap<&str, &Resource> = expected
        .resources
        .iter()
        .map(|resource| (resource.name.as_str(), resource))
        .collect();
    let mut diff = ManifestDiff::default();
    for resource in &actual.resources {
        match signed.remove(resource.name.as_str()) {
            None => diff.extra.push(resource.into()),
            Some(expected) => {
                if expected.algorithm != resource.algorithm || expected.digest != resource.digest {
                    diff.mismatched.push(Mismatch {
                        expected: expected.into(),
                        actual: resource.into(),
                    });
                }
            }
        }
    }
    diff.missing = signed.into_values().map(ResourceDigest::from).collect();
    diff.missing.sort_by(|a, b| component_cmp(&a.name, &b.name));
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoProgress;

    fn write(dir: &Path, name: &str, content: &[u8]) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    #[test]
    fn names_each_modified_missing_and_extra_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.txt", b"a");
        write(dir.path(), "sub/b", b"b");
        write(dir.path(), "gone", b"g");
        write(dir.path(), ".gitignore", b"x");
        let signed =
            manifest::compute(dir.path(), &Serialization::default(), None, &NoProgress).unwrap();
        assert_eq!(signed.resources.len(), 3);

        write(dir.path(), "a.txt", b"A");
        std::fs::remove_file(dir.path().join("gone")).unwrap();
        write(dir.path(), "new", b"n");
        write(dir.path(), ".gitignore", b"edited");
        let check =
            check_model(dir.path(), &signed, &VerifyOptions::default(), &NoProgress).unwrap();
        assert_eq!(check.diff.mismatched.len(), 1);
        assert_eq!(check.diff.mismatched[0].expected.name, "a.txt");
        assert_eq!(
            check.diff.mismatched[0].actual.digest,
            hex::encode(crate::hash::sha256(b"A"))
        );
        assert_eq!(check.diff.missing[0].name, "gone");
        assert_eq!(check.diff.extra[0].name, "new");

        let unsigned_ok = VerifyOptions {
            ignore_unsigned_files: true,
            ..VerifyOptions::default()
        };
        let check = check_model(dir.path(), &signed, &unsigned_ok, &NoProgress).unwrap();
        assert!(check.diff.extra.is_empty());
        assert_eq!(check.diff.missing.len(), 1);
    }

    #[test]
    fn recorded_and_extra_ignore_paths_apply() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "keep", b"k");
        write(dir.path(), "skip/x", b"x");
        let mut serialization = Serialization::default();
        serialization.ignore_paths.push("skip".into());
        let signed = manifest::compute(dir.path(), &serialization, None, &NoProgress).unwrap();
        write(dir.path(), "skip/y", b"y");
        write(dir.path(), "log/z", b"z");
        let options = VerifyOptions {
            ignore_paths: vec!["log".into()],
            ..VerifyOptions::default()
        };
        let check = check_model(dir.path(), &signed, &options, &NoProgress).unwrap();
        assert!(check.diff.is_clean(), "{:?}", check.diff);
    }
}
