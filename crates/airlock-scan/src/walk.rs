//! Expands the paths given on the command line into the regular files to scan.

use std::collections::HashSet;
use std::path::PathBuf;

use walkdir::WalkDir;

/// Files to scan, their total size (for progress), and entries that could not be listed.
pub(crate) struct Walked {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) bytes: u64,
    pub(crate) errors: Vec<(PathBuf, String)>,
}

/// Walks every path: files as given, directories recursively in name order. Symbolic
/// links to files are scanned (their content is what a loader would read); links to
/// directories are not followed, so a link cycle cannot trap the walk. A file reached
/// both directly and through a link is scanned once, under the link's name: the
/// Hugging Face cache names files in `snapshots/<rev>/` by links into `blobs/`, and the
/// snapshot name is the one a loader and a reader know.
pub(crate) fn collect(paths: &[PathBuf]) -> Walked {
    let mut walked = Walked {
        files: Vec::new(),
        bytes: 0,
        errors: Vec::new(),
    };
    let mut link_targets = HashSet::new();
    let mut direct = Vec::new();
    for root in paths {
        for entry in WalkDir::new(root)
            .follow_root_links(true)
            .sort_by_file_name()
        {
            match entry {
                Ok(entry) => {
                    let path = entry.path();
                    let metadata = if entry.path_is_symlink() {
                        fs_err::metadata(path).map_err(|e| e.to_string())
                    } else {
                        entry.metadata().map_err(|e| e.to_string())
                    };
                    match metadata {
                        Ok(metadata) if metadata.is_file() => {
                            if entry.path_is_symlink() {
                                link_targets.extend(fs_err::canonicalize(path).ok());
                            } else {
                                direct.push((walked.files.len(), metadata.len()));
                            }
                            walked.bytes += metadata.len();
                            walked.files.push(path.to_path_buf());
                        }
                        Ok(_) => {}
                        Err(error) => walked.errors.push((path.to_path_buf(), error)),
                    }
                }
                Err(error) => {
                    let path = error
                        .path()
                        .map(|p| p.to_path_buf())
                        .unwrap_or_else(|| root.clone());
                    walked.errors.push((path, error.to_string()));
                }
            }
        }
    }
    if !link_targets.is_empty() {
        let mut reached_by_link = HashSet::new();
        for (index, len) in direct {
            let Some(path) = walked.files.get(index) else {
                continue;
            };
            if fs_err::canonicalize(path).is_ok_and(|real| link_targets.contains(&real)) {
                reached_by_link.insert(index);
                walked.bytes -= len;
            }
        }
        let mut index = 0;
        walked.files.retain(|_| {
            index += 1;
            !reached_by_link.contains(&(index - 1))
        });
    }
    walked
}
