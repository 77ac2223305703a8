//! Which files under a directory are artifacts, which directories are models, and what a
//! Hugging Face cache says about them; then hashing all of it into a [`Lockfile`].
//!
//! Artifacts are every regular file, and every symbolic link to a regular file (hashed by
//! content, listed at the link's path), except: the lockfile itself; version-control
//! metadata (`.git`, `.hg`, `.svn` directories anywhere); and the bookkeeping of a Hugging
//! Face cache (`blobs/` and `.no_exist/` of a `models--org--name` directory, whose content
//! the `snapshots/` links already name, and `.locks/` beside such directories). Links to
//! directories are not followed and dangling links are skipped; both are reported.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::IntegrityError;
use crate::hash::{HashJob, Progress, hash_files};
use crate::lockfile::{LockedFile, LockedModel, Lockfile, Origin};
use crate::signing::manifest::{component_cmp, is_default_ignored, subject_digest};

/// Version-control directories that are never artifacts.
const VCS_DIRS: [&str; 3] = [".git", ".hg", ".svn"];
/// Hugging Face cache repository folder prefixes and the repo type each stands for.
const HF_REPO_PREFIXES: [(&str, &str); 3] = [
    ("models--", "model"),
    ("datasets--", "dataset"),
    ("spaces--", "space"),
];

/// A path under the root that was not locked, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Relative `/` path.
    pub path: String,
    /// Why it is not an artifact.
    pub reason: &'static str,
}

/// A Hugging Face download whose content does not match the digest the Hub gave for it: a
/// cache snapshot file against the blob name it links to, or a `local_dir` download against
/// the etag in its download metadata.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BlobMismatch {
    /// Relative `/` path of the downloaded file.
    pub path: String,
    /// Where the promised digest comes from: `blob name` or `download metadata`.
    pub recorded_in: &'static str,
    /// The digest the Hub promised (the blob's file name, or the download's etag).
    pub blob: String,
    /// `sha256` (LFS files) or `git-sha1` (small files stored in git).
    pub algorithm: &'static str,
    /// The digest of the content actually there.
    pub actual: String,
}

/// What hashing a tree found: the lock it would write, plus the problems a lock cannot hold.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The lockfile content for the tree as it is now.
    pub lock: Lockfile,
    /// Hugging Face cache files that do not match their blob names.
    pub cache_mismatches: Vec<BlobMismatch>,
    /// Paths left out, with the reason.
    pub skipped: Vec<Skipped>,
}

/// Options of [`snapshot`].
#[derive(Debug, Clone, Default)]
pub struct SnapshotOptions {
    /// Also record BLAKE3 digests.
    pub blake3: bool,
    /// Files never to list (the lockfile being written or read).
    pub exclude: Vec<PathBuf>,
}

struct Candidate {
    relative: String,
    path: PathBuf,
    size: u64,
    /// The digest the Hub promised for this file, when it is a Hugging Face download.
    promise: Option<Promise>,
}

/// A digest the Hugging Face Hub gave for a downloaded file, and where it was recorded.
struct Promise {
    digest: String,
    recorded_in: &'static str,
}

/// Where `huggingface_hub` keeps the metadata of `local_dir` downloads, inside that dir.
const LOCAL_DIR_DOWNLOADS: &str = ".cache/huggingface/download";

/// Walks `root`, hashes every artifact in parallel and computes each model's OMS digest.
pub fn snapshot(
    root: &Path,
    options: &SnapshotOptions,
    progress: &dyn Progress,
) -> Result<Snapshot, IntegrityError> {
    let metadata = std::fs::metadata(root).map_err(|source| IntegrityError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    if !metadata.is_dir() {
        return Err(IntegrityError::NotADirectory(root.to_path_buf()));
    }
    let excluded: Vec<PathBuf> = options
        .exclude
        .iter()
        .filter_map(|path| std::path::absolute(path).ok())
        .map(|path| normalize_lexically(&path))
        .collect();
    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    let mut snapshots = BTreeSet::new();
    let mut local_dirs = BTreeSet::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !(entry.file_type().is_dir() && is_bookkeeping_dir(entry.path())));
    for entry in walker {
        let entry = entry.map_err(|err| IntegrityError::walk(root, err))?;
        let relative = relative_name(root, entry.path())?;
        let kind = entry.file_type();
        if kind.is_dir() {
            if entry.file_name() == ".cache"
                && entry
                    .path()
                    .join(LOCAL_DIR_DOWNLOADS.trim_start_matches(".cache/"))
                    .is_dir()
            {
                let parent = relative.rsplit_once('/').map_or(".", |(parent, _)| parent);
                local_dirs.insert(parent.to_owned());
            }
            if let Some(parent) = entry.path().parent()
                && parent.file_name().is_some_and(|name| name == "snapshots")
                && parent.parent().is_some_and(|repo| hf_repo(repo).is_some())
            {
                snapshots.insert(relative);
            }
            continue;
        }
        let absolute = std::path::absolute(entry.path())
            .map(|path| normalize_lexically(&path))
            .unwrap_or_else(|_| entry.path().to_path_buf());
        if excluded.contains(&absolute) {
            continue;
        }
        let size = if kind.is_symlink() {
            match std::fs::metadata(entry.path()) {
                Ok(target) if target.is_file() => target.len(),
                Ok(target) if target.is_dir() => {
                    skipped.push(Skipped {
                        path: relative,
                        reason: "symbolic link to a directory (not followed)",
                    });
                    continue;
                }
                Ok(_) => {
                    skipped.push(Skipped {
                        path: relative,
                        reason: "symbolic link to something that is not a regular file",
                    });
                    continue;
                }
                Err(_) => {
                    skipped.push(Skipped {
                        path: relative,
                        reason: "dangling symbolic link",
                    });
                    continue;
                }
            }
        } else if kind.is_file() {
            entry
                .metadata()
                .map_err(|err| IntegrityError::walk(root, err))?
                .len()
        } else {
            skipped.push(Skipped {
                path: relative,
                reason: "not a regular file",
            });
            continue;
        };
        let promise = if kind.is_symlink() {
            blob_name(entry.path()).map(|digest| Promise {
                digest,
                recorded_in: "blob name",
            })
        } else {
            None
        };
        candidates.push(Candidate {
            relative,
            path: entry.path().to_path_buf(),
            size,
            promise,
        });
    }
    candidates.sort_by(|a, b| component_cmp(&a.relative, &b.relative));
    let download_revisions = apply_download_metadata(root, &local_dirs, &mut candidates);

    let jobs: Vec<HashJob> = candidates
        .iter()
        .map(|candidate| HashJob {
            path: candidate.path.clone(),
            blake3: options.blake3,
            git_sha1: candidate
                .promise
                .as_ref()
                .is_some_and(|promise| is_hex(&promise.digest, 40)),
        })
        .collect();
    let sizes: Vec<u64> = candidates.iter().map(|candidate| candidate.size).collect();
    let results = hash_files(&jobs, &sizes, progress);

    let mut files = Vec::with_capacity(candidates.len());
    let mut digests = Vec::with_capacity(candidates.len());
    let mut cache_mismatches = Vec::new();
    for (candidate, result) in candidates.into_iter().zip(results) {
        let hashed = result?;
        if let Some(promise) = &candidate.promise {
            let blob = &promise.digest;
            let actual = if is_hex(blob, 64) {
                Some(("sha256", hex::encode(hashed.sha256)))
            } else {
                hashed
                    .git_sha1
                    .map(|digest| ("git-sha1", hex::encode(digest)))
            };
            if let Some((algorithm, actual)) = actual
                && !actual.eq_ignore_ascii_case(blob)
            {
                cache_mismatches.push(BlobMismatch {
                    path: candidate.relative.clone(),
                    recorded_in: promise.recorded_in,
                    blob: blob.clone(),
                    algorithm,
                    actual,
                });
            }
        }
        digests.push(hashed.sha256);
        files.push(LockedFile {
            path: candidate.relative,
            size: hashed.size,
            sha256: hex::encode(hashed.sha256),
            blake3: hashed.blake3.map(hex::encode),
        });
    }

    let mut model_dirs: Vec<(String, Option<Origin>)> = snapshots
        .into_iter()
        .map(|relative| {
            let origin = origin_of(&root.join(&relative));
            (relative, origin)
        })
        .collect();
    for (dir, revisions) in download_revisions {
        // One revision for the whole download; a mix of revisions names none.
        let origin = match revisions.len() {
            1 => revisions.into_iter().next().map(|revision| Origin {
                repo_type: None,
                repo: None,
                revision,
            }),
            _ => None,
        };
        model_dirs.push((dir, origin));
    }
    if model_dirs.is_empty() {
        let origin = std::path::absolute(root)
            .ok()
            .and_then(|path| origin_of(&path));
        model_dirs.push((".".to_owned(), origin));
    }
    let mut models = Vec::with_capacity(model_dirs.len());
    for (path, origin) in model_dirs {
        let in_model: Vec<&[u8; 32]> = files
            .iter()
            .zip(&digests)
            .filter_map(|(file, digest)| {
                let inner = model_relative(&path, &file.path)?;
                (!is_default_ignored(inner)).then_some(digest)
            })
            .collect();
        models.push(LockedModel {
            path,
            oms_sha256: hex::encode(subject_digest(in_model)),
            origin,
        });
    }
    models.sort_by(|a, b| component_cmp(&a.path, &b.path));
    Ok(Snapshot {
        lock: Lockfile { models, files },
        cache_mismatches,
        skipped,
    })
}

/// The file's path inside a model directory (`.` is the lock root), or `None` outside it.
/// Files inside a model keep the model's own (OMS) order, since the prefix is shared.
fn model_relative<'a>(model: &str, file: &'a str) -> Option<&'a str> {
    if model == "." {
        return Some(file);
    }
    file.strip_prefix(model)?.strip_prefix('/')
}

/// `root`-relative `/`-separated name of `path`; names must be UTF-8 to be written down.
pub(crate) fn relative_name(root: &Path, path: &Path) -> Result<String, IntegrityError> {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(
                part.to_str()
                    .ok_or_else(|| IntegrityError::NonUtf8Name(path.to_path_buf()))?,
            ),
            _ => return Err(IntegrityError::NonUtf8Name(path.to_path_buf())),
        }
    }
    Ok(parts.join("/"))
}

/// Directories that hold no artifacts of their own: VCS metadata and Hugging Face cache
/// bookkeeping.
fn is_bookkeeping_dir(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    if VCS_DIRS.contains(&name) {
        return true;
    }
    let parent = path.parent();
    match name {
        "blobs" | ".no_exist" => parent.is_some_and(|repo| hf_repo(repo).is_some()),
        "huggingface" => {
            parent.is_some_and(|dir| dir.file_name().is_some_and(|name| name == ".cache"))
        }
        ".locks" => parent
            .and_then(|dir| std::fs::read_dir(dir).ok())
            .is_some_and(|entries| {
                entries
                    .flatten()
                    .any(|entry| entry.path().is_dir() && hf_repo(&entry.path()).is_some())
            }),
        _ => false,
    }
}

/// Repo type and id of a Hugging Face cache repository folder (`models--org--name`).
fn hf_repo(dir: &Path) -> Option<(&'static str, String)> {
    let name = dir.file_name()?.to_str()?;
    HF_REPO_PREFIXES.iter().find_map(|(prefix, kind)| {
        let id = name.strip_prefix(prefix)?;
        (!id.is_empty()).then(|| (*kind, id.replace("--", "/")))
    })
}

/// Origin of a snapshot directory `…/models--org--name/snapshots/<revision>`.
fn origin_of(snapshot_dir: &Path) -> Option<Origin> {
    let revision = snapshot_dir.file_name()?.to_str()?;
    let snapshots = snapshot_dir.parent()?;
    if snapshots.file_name()? != "snapshots" {
        return None;
    }
    let (repo_type, repo) = hf_repo(snapshots.parent()?)?;
    Some(Origin {
        repo_type: Some(repo_type.to_owned()),
        repo: Some(repo),
        revision: revision.to_owned(),
    })
}

/// Attaches the etag of each `local_dir` download (`<dir>/.cache/huggingface/download/
/// <file>.metadata`: commit, etag, timestamp, one per line, as `huggingface_hub` writes
/// them) to its file, and returns the revisions each download directory was fetched at.
fn apply_download_metadata(
    root: &Path,
    local_dirs: &BTreeSet<String>,
    candidates: &mut [Candidate],
) -> BTreeMap<String, BTreeSet<String>> {
    let mut revisions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for candidate in candidates
        .iter_mut()
        .filter(|candidate| candidate.promise.is_none())
    {
        // The innermost download directory holding this file.
        let Some((dir, inner)) = local_dirs
            .iter()
            .rev()
            .find_map(|dir| Some((dir, model_relative(dir, &candidate.relative)?)))
        else {
            continue;
        };
        let metadata = root
            .join(dir)
            .join(LOCAL_DIR_DOWNLOADS)
            .join(format!("{inner}.metadata"));
        let Some((commit, etag)) = read_download_metadata(&metadata) else {
            continue;
        };
        revisions.entry(dir.clone()).or_default().insert(commit);
        if is_hex(&etag, 64) || is_hex(&etag, 40) {
            candidate.promise = Some(Promise {
                digest: etag.to_ascii_lowercase(),
                recorded_in: "download metadata",
            });
        }
    }
    revisions
}

/// The commit and etag of one download metadata file (a few hundred bytes; anything larger
/// or not in the three-line layout is not `huggingface_hub`'s and is ignored).
fn read_download_metadata(path: &Path) -> Option<(String, String)> {
    let file = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(file, 4096), &mut text).ok()?;
    let mut lines = text.lines().map(str::trim);
    let commit = lines.next()?;
    let etag = lines.next()?.trim_start_matches("W/").trim_matches('"');
    lines.next()?.parse::<f64>().ok()?;
    is_hex(commit, 40).then(|| (commit.to_ascii_lowercase(), etag.to_owned()))
}

/// The blob a snapshot link points at, when it points into its own repo's `blobs/`.
fn blob_name(link: &Path) -> Option<String> {
    let target = std::fs::read_link(link).ok()?;
    let resolved = normalize_lexically(&link.parent()?.join(target));
    let blobs = resolved.parent()?;
    if blobs.file_name()? != "blobs" {
        return None;
    }
    let repo = blobs.parent()?;
    hf_repo(repo)?;
    // The link must live in the same repo's snapshots/.
    let link_absolute = normalize_lexically(&std::path::absolute(link).ok()?);
    let repo_absolute = normalize_lexically(&std::path::absolute(repo).ok()?);
    if !link_absolute.starts_with(repo_absolute.join("snapshots")) {
        return None;
    }
    let name = resolved.file_name()?.to_str()?.to_owned();
    (is_hex(&name, 64) || is_hex(&name, 40)).then_some(name)
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// Resolves `.` and `..` without touching the file system, for relative links and paths
/// that may not exist.
pub fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::NoProgress;
    use std::fs;

    fn snap(root: &Path) -> Snapshot {
        snapshot(root, &SnapshotOptions::default(), &NoProgress).unwrap()
    }

    #[test]
    fn lists_artifacts_in_component_order_without_vcs_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("a")).unwrap();
        fs::create_dir_all(root.join(".git/objects")).unwrap();
        fs::write(root.join("a/b"), "b").unwrap();
        fs::write(root.join("a.txt"), "x").unwrap();
        fs::write(root.join(".git/objects/x"), "git").unwrap();
        fs::write(root.join(".gitignore"), "*.tmp").unwrap();
        fs::write(root.join("airlock.lock"), "old").unwrap();
        let options = SnapshotOptions {
            blake3: false,
            exclude: vec![root.join("airlock.lock")],
        };
        let snapshot = snapshot(root, &options, &NoProgress).unwrap();
        let paths: Vec<&str> = snapshot
            .lock
            .files
            .iter()
            .map(|file| file.path.as_str())
            .collect();
        assert_eq!(paths, [".gitignore", "a/b", "a.txt"]);
        // The model digest leaves .gitignore out, as model_signing does.
        let expected = subject_digest([&crate::hash::sha256(b"b"), &crate::hash::sha256(b"x")]);
        assert_eq!(snapshot.lock.models.len(), 1);
        assert_eq!(snapshot.lock.models[0].path, ".");
        assert_eq!(snapshot.lock.models[0].oms_sha256, hex::encode(expected));
    }

    #[cfg(unix)]
    #[test]
    fn hugging_face_cache_blobs_are_checked_against_their_names() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("models--org--tiny");
        let rev = "0123456789abcdef0123456789abcdef01234567";
        let snapshot_dir = repo.join("snapshots").join(rev);
        fs::create_dir_all(repo.join("blobs")).unwrap();
        fs::create_dir_all(snapshot_dir.join("sub")).unwrap();
        fs::create_dir_all(repo.join("refs")).unwrap();
        fs::write(repo.join("refs/main"), rev).unwrap();

        let weights = b"weights";
        let lfs_name = hex::encode(crate::hash::sha256(weights));
        fs::write(repo.join("blobs").join(&lfs_name), weights).unwrap();
        symlink(
            format!("../../blobs/{lfs_name}"),
            snapshot_dir.join("model.bin"),
        )
        .unwrap();

        // `printf 'hello\n' | git hash-object --stdin`
        let git_name = "ce013625030ba8dba906f756967f9e9ca394464a";
        fs::write(repo.join("blobs").join(git_name), "hello\n").unwrap();
        symlink(
            format!("../../../blobs/{git_name}"),
            snapshot_dir.join("sub/config.json"),
        )
        .unwrap();

        let clean = snap(dir.path());
        assert!(
            clean.cache_mismatches.is_empty(),
            "{:?}",
            clean.cache_mismatches
        );
        let paths: Vec<&str> = clean.lock.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "models--org--tiny/refs/main",
                &format!("models--org--tiny/snapshots/{rev}/model.bin"),
                &format!("models--org--tiny/snapshots/{rev}/sub/config.json"),
            ]
        );
        assert_eq!(clean.lock.models.len(), 1);
        let model = &clean.lock.models[0];
        assert_eq!(model.path, format!("models--org--tiny/snapshots/{rev}"));
        let origin = model.origin.as_ref().unwrap();
        assert_eq!(
            (
                origin.repo_type.as_deref().unwrap_or_default(),
                origin.repo.as_deref().unwrap_or_default(),
                origin.revision.as_str()
            ),
            ("model", "org/tiny", rev)
        );
        let expected = subject_digest([
            &crate::hash::sha256(weights),
            &crate::hash::sha256(b"hello\n"),
        ]);
        assert_eq!(model.oms_sha256, hex::encode(expected));

        // Locking the snapshot directory itself still finds the origin.
        let inner = snap(&snapshot_dir);
        assert_eq!(inner.lock.models[0].path, ".");
        assert_eq!(
            inner.lock.models[0]
                .origin
                .as_ref()
                .unwrap()
                .repo
                .as_deref(),
            Some("org/tiny")
        );
        assert_eq!(inner.lock.models[0].oms_sha256, hex::encode(expected));

        // Tamper with both blobs.
        fs::write(repo.join("blobs").join(&lfs_name), b"weightz").unwrap();
        fs::write(repo.join("blobs").join(git_name), "hellO\n").unwrap();
        let tampered = snap(dir.path());
        let found: Vec<(&str, &str)> = tampered
            .cache_mismatches
            .iter()
            .map(|m| (m.path.rsplit('/').next().unwrap(), m.algorithm))
            .collect();
        assert_eq!(
            found,
            [("model.bin", "sha256"), ("config.json", "git-sha1")]
        );
        assert_eq!(
            tampered.cache_mismatches[0].actual,
            hex::encode(crate::hash::sha256(b"weightz"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn dangling_and_directory_links_are_skipped_and_reported() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("d")).unwrap();
        fs::write(dir.path().join("d/f"), "f").unwrap();
        symlink("d", dir.path().join("dirlink")).unwrap();
        symlink("nowhere", dir.path().join("dangling")).unwrap();
        symlink("d/f", dir.path().join("filelink")).unwrap();
        let snapshot = snap(dir.path());
        let paths: Vec<&str> = snapshot
            .lock
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(paths, ["d/f", "filelink"]);
        let skipped: Vec<&str> = snapshot.skipped.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(skipped, ["dangling", "dirlink"]);
    }

    #[test]
    fn local_dir_downloads_are_checked_against_their_etags() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("bert");
        let downloads = local.join(LOCAL_DIR_DOWNLOADS);
        fs::create_dir_all(downloads.join("onnx")).unwrap();
        fs::create_dir_all(local.join("onnx")).unwrap();
        let commit = "0123456789abcdef0123456789abcdef01234567";
        let weights = b"weights";
        fs::write(local.join("onnx/model.onnx"), weights).unwrap();
        fs::write(local.join("config.json"), "hello\n").unwrap();
        fs::write(local.join("notes.txt"), "not downloaded").unwrap();
        // As huggingface_hub writes them: commit, etag (sha256 for LFS files, git blob
        // SHA-1 otherwise, possibly quoted), timestamp.
        let lfs_etag = hex::encode(crate::hash::sha256(weights));
        fs::write(
            downloads.join("onnx/model.onnx.metadata"),
            format!("{commit}\n\"{lfs_etag}\"\n1732600000.5\n"),
        )
        .unwrap();
        fs::write(
            downloads.join("config.json.metadata"),
            format!("{commit}\nce013625030ba8dba906f756967f9e9ca394464a\n1732600000.5\n"),
        )
        .unwrap();

        let clean = snap(dir.path());
        assert!(
            clean.cache_mismatches.is_empty(),
            "{:?}",
            clean.cache_mismatches
        );
        let paths: Vec<&str> = clean.lock.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["bert/config.json", "bert/notes.txt", "bert/onnx/model.onnx"]
        );
        let model = &clean.lock.models[0];
        assert_eq!(model.path, "bert");
        let origin = model.origin.as_ref().unwrap();
        assert_eq!(
            (origin.repo.as_deref(), origin.revision.as_str()),
            (None, commit)
        );

        fs::write(local.join("onnx/model.onnx"), b"weightz").unwrap();
        fs::write(local.join("config.json"), "hellO\n").unwrap();
        let tampered = snap(dir.path());
        let found: Vec<(&str, &str, &str)> = tampered
            .cache_mismatches
            .iter()
            .map(|m| (m.path.as_str(), m.algorithm, m.recorded_in))
            .collect();
        assert_eq!(
            found,
            [
                ("bert/config.json", "git-sha1", "download metadata"),
                ("bert/onnx/model.onnx", "sha256", "download metadata"),
            ]
        );
        assert_eq!(tampered.cache_mismatches[1].blob, lfs_etag);
    }
}
