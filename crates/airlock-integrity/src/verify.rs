//! Comparing a tree as it is now with its lockfile.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::lockfile::{LockedFile, LockedModel, Lockfile};
use crate::signing::manifest::component_cmp;

/// A file whose content changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Modified {
    /// Relative `/` path.
    pub path: String,
    /// Size in the lock.
    pub expected_size: u64,
    /// Size now.
    pub actual_size: u64,
    /// SHA-256 in the lock.
    pub expected_sha256: String,
    /// SHA-256 now.
    pub actual_sha256: String,
}

/// A file whose content is unchanged but whose path is new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Renamed {
    /// Path in the lock.
    pub from: String,
    /// Path now.
    pub to: String,
    /// The shared SHA-256.
    pub sha256: String,
}

/// A model directory whose OMS digest or origin differs from the lock, or that appeared
/// or disappeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelChange {
    /// Directory relative to the root (`.` for the root).
    pub path: String,
    /// OMS subject digest in the lock (`None`: not in the lock).
    pub expected_oms_sha256: Option<String>,
    /// OMS subject digest now (`None`: no longer a model directory).
    pub actual_oms_sha256: Option<String>,
}

/// Every difference between a lock and the tree, each list in path-component order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// Same path, different content.
    pub modified: Vec<Modified>,
    /// In the lock, not in the tree (and not renamed).
    pub missing: Vec<LockedFile>,
    /// In the tree, not in the lock (and not a rename).
    pub added: Vec<LockedFile>,
    /// Content found again under another path.
    pub renamed: Vec<Renamed>,
    /// Model directories whose digest, origin or existence changed.
    pub models: Vec<ModelChange>,
}

impl Diff {
    /// Whether the tree matches the lock.
    pub fn is_clean(&self) -> bool {
        self.modified.is_empty()
            && self.missing.is_empty()
            && self.added.is_empty()
            && self.renamed.is_empty()
            && self.models.is_empty()
    }
}

/// Compares `locked` (what the lockfile says) with `current` (a fresh snapshot of the tree).
/// A missing file and an added file with the same size and SHA-256 pair up as a rename.
pub fn diff(locked: &Lockfile, current: &Lockfile) -> Diff {
    let now: BTreeMap<&str, &LockedFile> = current
        .files
        .iter()
        .map(|file| (file.path.as_str(), file))
        .collect();
    let before: BTreeMap<&str, &LockedFile> = locked
        .files
        .iter()
        .map(|file| (file.path.as_str(), file))
        .collect();
    let mut result = Diff::default();
    let mut missing = Vec::new();
    for file in &locked.files {
        match now.get(file.path.as_str()) {
            None => missing.push(file),
            Some(actual) => {
                let blake3_differs = matches!(
                    (&file.blake3, &actual.blake3),
                    (Some(a), Some(b)) if a != b
                );
                if file.sha256 != actual.sha256 || file.size != actual.size || blake3_differs {
                    result.modified.push(Modified {
                        path: file.path.clone(),
                        expected_size: file.size,
                        actual_size: actual.size,
                        expected_sha256: file.sha256.clone(),
                        actual_sha256: actual.sha256.clone(),
                    });
                }
            }
        }
    }
    let mut added: Vec<&LockedFile> = current
        .files
        .iter()
        .filter(|file| !before.contains_key(file.path.as_str()))
        .collect();
    for gone in missing {
        let partner = added
            .iter()
            .position(|new| new.sha256 == gone.sha256 && new.size == gone.size);
        match partner {
            Some(index) => {
                let new = added.remove(index);
                result.renamed.push(Renamed {
                    from: gone.path.clone(),
                    to: new.path.clone(),
                    sha256: gone.sha256.clone(),
                });
            }
            None => result.missing.push(gone.clone()),
        }
    }
    result.added = added.into_iter().cloned().collect();
    result.models = model_changes(&locked.models, &current.models);
    result
}

fn model_changes(locked: &[LockedModel], current: &[LockedModel]) -> Vec<ModelChange> {
    let now: BTreeMap<&str, &LockedModel> = current
        .iter()
        .map(|model| (model.path.as_str(), model))
        .collect();
    let before: BTreeMap<&str, &LockedModel> = locked
        .iter()
        .map(|model| (model.path.as_str(), model))
        .collect();
    let mut changes = Vec::new();
    for model in locked {
        match now.get(model.path.as_str()) {
            Some(actual) if *actual == model => {}
            actual => changes.push(ModelChange {
                path: model.path.clone(),
                expected_oms_sha256: Some(model.oms_sha256.clone()),
                actual_oms_sha256: actual.map(|actual| actual.oms_sha256.clone()),
            }),
        }
    }
    for model in current {
        if !before.contains_key(model.path.as_str()) {
            changes.push(ModelChange {
                path: model.path.clone(),
                expected_oms_sha256: None,
                actual_oms_sha256: Some(model.oms_sha256.clone()),
            });
        }
    }
    changes.sort_by(|a, b| component_cmp(&a.path, &b.path));
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, byte: u8, size: u64) -> LockedFile {
        LockedFile {
            path: path.into(),
            size,
            sha256: hex::encode([byte; 32]),
            blake3: None,
        }
    }

    fn lock(files: Vec<LockedFile>, model: u8) -> Lockfile {
        Lockfile {
            models: vec![LockedModel {
                path: ".".into(),
                oms_sha256: hex::encode([model; 32]),
                origin: None,
            }],
            files,
        }
    }

    #[test]
    fn identical_trees_are_clean() {
        let locked = lock(vec![file("a", 1, 1), file("b", 2, 2)], 9);
        assert!(diff(&locked, &locked.clone()).is_clean());
    }

    #[test]
    fn finds_modified_missing_added_and_renamed() {
        let locked = lock(
            vec![
                file("keep", 1, 1),
                file("change", 2, 2),
                file("gone", 3, 3),
                file("old-name", 4, 4),
            ],
            9,
        );
        let current = lock(
            vec![
                file("keep", 1, 1),
                file("change", 5, 2),
                file("new", 6, 6),
                file("sub/new-name", 4, 4),
            ],
            8,
        );
        let result = diff(&locked, &current);
        assert_eq!(result.modified.len(), 1);
        assert_eq!(result.modified[0].path, "change");
        assert_eq!(result.modified[0].expected_sha256, hex::encode([2; 32]));
        assert_eq!(result.modified[0].actual_sha256, hex::encode([5; 32]));
        assert_eq!(result.missing, [file("gone", 3, 3)]);
        assert_eq!(result.added, [file("new", 6, 6)]);
        assert_eq!(
            result.renamed,
            [Renamed {
                from: "old-name".into(),
                to: "sub/new-name".into(),
                sha256: hex::encode([4; 32]),
            }]
        );
        assert_eq!(result.models.len(), 1);
        assert_eq!(
            result.models[0].actual_oms_sha256,
            Some(hex::encode([8; 32]))
        );
        assert!(!result.is_clean());
    }

    #[test]
    fn same_digest_different_size_is_not_a_rename() {
        let locked = lock(vec![file("x", 1, 1)], 9);
        let current = lock(vec![file("y", 1, 2)], 9);
        let result = diff(&locked, &current);
        assert!(result.renamed.is_empty());
        assert_eq!(result.missing.len(), 1);
        assert_eq!(result.added.len(), 1);
    }

    #[test]
    fn blake3_change_alone_counts_as_modified() {
        let mut before = file("x", 1, 1);
        before.blake3 = Some(hex::encode([7; 32]));
        let mut after = before.clone();
        after.blake3 = Some(hex::encode([8; 32]));
        let result = diff(&lock(vec![before], 9), &lock(vec![after], 9));
        assert_eq!(result.modified.len(), 1);
    }
}
