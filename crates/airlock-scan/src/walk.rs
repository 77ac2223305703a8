//! Expands the paths given on the command line into the regular files to scan.

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
/// directories are not followed, so a link cycle cannot trap the walk.
pub(crate) fn collect(paths: &[PathBuf]) -> Walked {
    let mut walked = Walked {
        files: Vec::new(),
        bytes: 0,
        errors: Vec::new(),
    };
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
    walked
}
