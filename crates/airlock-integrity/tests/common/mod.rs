//! Helpers shared by the integration tests: where the shared vectors are, and the
//! committed test data.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `$AIRLOCK_SHARED/<sub>` (default `../shared` beside the workspace) when it holds
/// `marker`; otherwise says the test is skipped and returns `None`.
pub fn shared_dir(sub: &str, marker: &str) -> Option<PathBuf> {
    let shared = std::env::var_os("AIRLOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join(sub);
    if dir.join(marker).is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} has no {marker}; set AIRLOCK_SHARED to the shared data directory",
            dir.display()
        );
        None
    }
}

/// The text of a committed file under `tests/data/`.
pub fn data_text(relative: &str) -> String {
    read_text(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(relative),
    )
}

/// A file's text, or a panic naming the file.
pub fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}
