//! Writing the files commands produce (lockfiles, signatures) without leaving half of one.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes beside the target and renames, so a crash never leaves half a file behind.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut temporary = PathBuf::from(path);
    temporary.as_mut_os_string().push(".tmp");
    std::fs::write(&temporary, bytes)
        .with_context(|| format!("cannot write `{}`", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}
