//! The one walk over the project: every file with its size and content kind, every folder,
//! without version-control metadata, `node_modules`, Hugging Face cache bookkeeping
//! (`blobs/`, `.no_exist/`, `.locks/`: the `snapshots/` links name the same content) or
//! `local_dir` download metadata (read on purpose by [`super::models`]).

use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

use airlock_formats::detect::{Kind, SNIFF_LEN, sniff};

use super::{DiscoverOptions, Problem};

/// Folders never entered.
const SKIPPED_DIRS: [&str; 6] = [
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
];
/// Folders whose code is installed libraries, not the project's: walked for artifacts,
/// never scanned for references.
const LIBRARY_DIRS: [&str; 7] = [
    ".venv",
    "venv",
    "site-packages",
    "dist-packages",
    ".tox",
    ".nox",
    ".eggs",
];

/// Bytes of a file's start kept after sniffing, for the zip and data-file checks.
pub(crate) const KEPT_PREFIX: usize = 512;
/// Extensions whose files keep their prefix for the data-file checks.
const DATA_EXTENSIONS: [&str; 6] = ["csv", "tsv", "jsonl", "ndjson", "arrow", "parquet"];

/// One regular file (or link to one).
#[derive(Debug, Clone)]
pub(crate) struct FileEntry {
    /// Root-relative `/` path.
    pub rel: String,
    /// Path to open.
    pub path: PathBuf,
    /// Size in bytes (of the link target for links).
    pub size: u64,
    /// What its first bytes look like.
    pub kind: Kind,
    /// The first [`KEPT_PREFIX`] bytes, kept only for zips and likely data files (the
    /// checks that need more than [`Kind`]); empty otherwise, so memory stays flat.
    pub prefix: Vec<u8>,
    /// Inside a virtualenv or installed-packages folder.
    pub in_library: bool,
}

impl FileEntry {
    /// The file name.
    pub fn name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }

    /// The root-relative folder holding it (`.` for the root).
    pub fn dir(&self) -> &str {
        self.rel.rsplit_once('/').map_or(".", |(dir, _)| dir)
    }

    /// Lower-case extension, without the dot.
    pub fn extension(&self) -> String {
        self.name()
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

/// Everything walked.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    /// Files in path order.
    pub files: Vec<FileEntry>,
    /// Root-relative folders (`.` included).
    pub dirs: BTreeSet<String>,
    /// File index by root-relative path.
    by_path: HashMap<String, usize>,
    /// File indexes by root-relative folder.
    by_dir: HashMap<String, Vec<usize>>,
}

impl Tree {
    /// The files directly inside `dir`.
    pub fn files_in<'a>(&'a self, dir: &str) -> impl Iterator<Item = &'a FileEntry> + 'a {
        self.by_dir
            .get(dir)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.files.get(i))
    }

    /// The file at a root-relative path.
    pub fn file(&self, rel: &str) -> Option<&FileEntry> {
        self.by_path.get(rel).and_then(|&i| self.files.get(i))
    }

    fn index(&mut self) {
        for (i, file) in self.files.iter().enumerate() {
            self.by_path.insert(file.rel.clone(), i);
            self.by_dir
                .entry(file.dir().to_owned())
                .or_default()
                .push(i);
        }
    }
}

/// Whether `dir` (root-relative) is `inner` or one of its ancestors.
pub(crate) fn contains(dir: &str, inner: &str) -> bool {
    dir == "." || inner == dir || inner.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// The parent of a root-relative path (`.` for top-level entries and the root).
pub(crate) fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or(".", |(dir, _)| dir)
}

/// Joins a root-relative folder and a name.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir == "." {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Root-relative `/` name of `path` (lossy for names that are not UTF-8).
pub(crate) fn relative(root: &Path, path: &Path) -> String {
    let inner = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = inner
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

fn skipped_dir(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if SKIPPED_DIRS.contains(&name) {
        return true;
    }
    let parent_name = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match name {
        "blobs" | ".no_exist" => is_hub_repo_dir(parent_name),
        "download" => {
            parent_name == "huggingface"
                && path
                    .parent()
                    .and_then(Path::parent)
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == ".cache")
        }
        ".locks" => path.parent().is_some_and(|dir| {
            std::fs::read_dir(dir).is_ok_and(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_str().is_some_and(is_hub_repo_dir))
            })
        }),
        _ => false,
    }
}

/// `models--org--name` or `datasets--org--name`.
pub(crate) fn is_hub_repo_dir(name: &str) -> bool {
    ["models--", "datasets--", "spaces--"]
        .iter()
        .any(|prefix| name.strip_prefix(prefix).is_some_and(|id| !id.is_empty()))
}

/// Walks `root`, sniffing each file's first bytes.
pub(crate) fn walk(root: &Path, options: &DiscoverOptions, problems: &mut Vec<Problem>) -> Tree {
    let mut tree = Tree::default();
    tree.dirs.insert(".".to_owned());
    let mut seen = 0u64;
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !(entry.file_type().is_dir() && skipped_dir(entry.path())));
    for entry in walker {
        seen += 1;
        if seen > options.max_entries {
            problems.push(Problem {
                path: ".".to_owned(),
                reason: format!(
                    "walk stopped after {} entries (limit); the rest is not inventoried",
                    options.max_entries
                ),
            });
            break;
        }
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().map_or(".".to_owned(), |p| relative(root, p));
                problems.push(Problem {
                    path,
                    reason: format!("cannot read: {err}"),
                });
                continue;
            }
        };
        let rel = relative(root, entry.path());
        let kind = entry.file_type();
        if kind.is_dir() {
            tree.dirs.insert(rel);
            continue;
        }
        let size = if kind.is_symlink() {
            match std::fs::metadata(entry.path()) {
                Ok(target) if target.is_file() => target.len(),
                Ok(target) if target.is_dir() => {
                    problems.push(Problem {
                        path: rel,
                        reason: "symbolic link to a folder, not followed".to_owned(),
                    });
                    continue;
                }
                Ok(_) => continue,
                Err(_) => {
                    problems.push(Problem {
                        path: rel,
                        reason: "dangling symbolic link".to_owned(),
                    });
                    continue;
                }
            }
        } else if kind.is_file() {
            match entry.metadata() {
                Ok(meta) => meta.len(),
                Err(err) => {
                    problems.push(Problem {
                        path: rel,
                        reason: format!("cannot read metadata: {err}"),
                    });
                    continue;
                }
            }
        } else {
            continue;
        };
        let prefix = match super::read_prefix(entry.path(), SNIFF_LEN as u64) {
            Ok(prefix) => prefix,
            Err(err) => {
                problems.push(Problem {
                    path: rel,
                    reason: format!("cannot read: {err}"),
                });
                continue;
            }
        };
        let sniffed = sniff(&prefix);
        let ext = rel
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_ascii_lowercase())
            .unwrap_or_default();
        let keep = sniffed == Kind::Zip || DATA_EXTENSIONS.contains(&ext.as_str());
        let prefix = if keep {
            prefix.get(..KEPT_PREFIX).unwrap_or(&prefix).to_vec()
        } else {
            Vec::new()
        };
        let in_library = rel.split('/').any(|part| LIBRARY_DIRS.contains(&part));
        tree.files.push(FileEntry {
            kind: sniffed,
            prefix,
            rel,
            path: entry.path().to_path_buf(),
            size,
            in_library,
        });
    }
    tree.index();
    tree
}
