//! `airlock lock` and `airlock verify`.

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use airlock_integrity::lockfile::{self, Lockfile};
use airlock_integrity::tree::{BlobMismatch, Skipped};
use airlock_integrity::{Diff, Snapshot, SnapshotOptions, diff, snapshot};
use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::Outcome;
use crate::args::{ListFormat, LockArgs, VerifyArgs};
use crate::commands::files;
use crate::commands::progress::Bar;

pub fn lock(args: &LockArgs) -> Result<Outcome> {
    let lock_path = args
        .output
        .clone()
        .unwrap_or_else(|| args.path.join(lockfile::FILE_NAME));
    let snapshot = take_snapshot(&args.path, &lock_path, args.blake3, args.no_progress)?;
    warn_skipped(&snapshot.skipped);
    let mut out = io::stdout().lock();
    if !snapshot.cache_mismatches.is_empty() {
        write_cache_mismatches(&mut out, &snapshot.cache_mismatches)?;
        writeln!(
            out,
            "FAILED: {} Hugging Face cache file(s) do not match their blob names; {} not written",
            snapshot.cache_mismatches.len(),
            lock_path.display()
        )?;
        return Ok(Outcome::Failed);
    }
    files::write_atomically(&lock_path, snapshot.lock.to_text().as_bytes())?;
    let bytes: u64 = snapshot.lock.files.iter().map(|file| file.size).sum();
    writeln!(
        out,
        "wrote {}: {} files, {} bytes, {} model director{}",
        lock_path.display(),
        snapshot.lock.files.len(),
        bytes,
        snapshot.lock.models.len(),
        if snapshot.lock.models.len() == 1 {
            "y"
        } else {
            "ies"
        }
    )?;
    for model in &snapshot.lock.models {
        let origin = model
            .origin
            .as_ref()
            .map(|origin| format!("  ({origin})"))
            .unwrap_or_default();
        writeln!(
            out,
            "  model {}  oms sha256 {}{origin}",
            model.path, model.oms_sha256
        )?;
    }
    out.flush()?;
    Ok(Outcome::Clean)
}

pub fn verify(args: &VerifyArgs) -> Result<Outcome> {
    if let Some(signature) = &args.signature {
        return crate::commands::signing::verify(args, signature);
    }
    if !args.model.ignore_paths.is_empty()
        || args.model.allow_symlinks
        || args.model.no_ignore_git_paths
    {
        bail!(
            "--ignore-paths, --allow-symlinks and --no-ignore-git-paths apply to signatures: add --signature FILE"
        );
    }
    let lock_path = args
        .lock
        .clone()
        .unwrap_or_else(|| args.path.join(lockfile::FILE_NAME));
    let text = std::fs::read_to_string(&lock_path).with_context(|| {
        format!(
            "cannot read the lockfile `{}` (`airlock lock {}` writes one)",
            lock_path.display(),
            args.path.display()
        )
    })?;
    let locked = Lockfile::parse(&text).with_context(|| format!("in `{}`", lock_path.display()))?;
    let snapshot = take_snapshot(
        &args.path,
        &lock_path,
        locked.has_blake3(),
        args.no_progress,
    )?;
    let differences = diff(&locked, &snapshot.lock);
    let failed = !differences.is_clean() || !snapshot.cache_mismatches.is_empty();
    let updated = args.update && snapshot.cache_mismatches.is_empty() && !differences.is_clean();
    if updated {
        files::write_atomically(&lock_path, snapshot.lock.to_text().as_bytes())?;
    }

    let mut out = io::stdout().lock();
    match args.format {
        ListFormat::Table => {
            warn_skipped(&snapshot.skipped);
            write_table(&mut out, &differences, &snapshot)?;
            write_cache_mismatches(&mut out, &snapshot.cache_mismatches)?;
            if !failed {
                writeln!(
                    out,
                    "OK: {} files match {}",
                    snapshot.lock.files.len(),
                    lock_path.display()
                )?;
            } else if updated {
                writeln!(
                    out,
                    "UPDATED: {} now records the tree as it is",
                    lock_path.display()
                )?;
            } else {
                writeln!(out, "FAILED: {}", summary(&differences, &snapshot))?;
            }
        }
        ListFormat::Json => {
            let report = json!({
                "version": 1,
                "path": args.path,
                "lock": lock_path,
                "clean": !failed,
                "updated": updated,
                "files": snapshot.lock.files.len(),
                "modified": differences.modified,
                "missing": differences.missing,
                "added": differences.added,
                "renamed": differences.renamed,
                "models": differences.models,
                "hf_cache_mismatches": snapshot.cache_mismatches,
                "skipped": snapshot.skipped,
            });
            // Rendered first, so that a closed stdout surfaces as the io::Error main expects.
            let text = serde_json::to_string_pretty(&report)?;
            writeln!(out, "{text}")?;
        }
    }
    out.flush()?;
    Ok(if failed && !updated {
        Outcome::Failed
    } else {
        Outcome::Clean
    })
}

fn take_snapshot(
    path: &Path,
    lock_path: &Path,
    blake3: bool,
    no_progress: bool,
) -> Result<Snapshot> {
    if !path.is_dir() {
        bail!("`{}` is not a directory that can be read", path.display());
    }
    let options = SnapshotOptions {
        blake3,
        exclude: vec![lock_path.to_path_buf()],
    };
    let progress = Bar::new(!no_progress && io::stderr().is_terminal(), "hashing");
    let result = snapshot(path, &options, &progress);
    progress.finish();
    Ok(result?)
}

fn warn_skipped(skipped: &[Skipped]) {
    let mut err = io::stderr().lock();
    for entry in skipped {
        let _ = writeln!(
            err,
            "warning: not locked: {} ({})",
            entry.path, entry.reason
        );
    }
}

fn write_table(out: &mut dyn Write, differences: &Diff, snapshot: &Snapshot) -> io::Result<()> {
    let digest = |out: &mut dyn Write, side: &str, sha256: &str, size: u64| {
        writeln!(out, "          {side}  sha256 {sha256}  {size} bytes")
    };
    for file in &differences.modified {
        writeln!(out, "modified  {}", file.path)?;
        digest(out, "locked", &file.expected_sha256, file.expected_size)?;
        digest(out, "actual", &file.actual_sha256, file.actual_size)?;
    }
    for file in &differences.missing {
        writeln!(out, "missing   {}", file.path)?;
        digest(out, "locked", &file.sha256, file.size)?;
    }
    for file in &differences.added {
        writeln!(out, "added     {}", file.path)?;
        digest(out, "actual", &file.sha256, file.size)?;
    }
    for rename in &differences.renamed {
        writeln!(out, "renamed   {} -> {}", rename.from, rename.to)?;
        writeln!(out, "          sha256 {}", rename.sha256)?;
    }
    for model in &differences.models {
        let show = |digest: &Option<String>| digest.clone().unwrap_or_else(|| "(none)".into());
        writeln!(out, "model     {}", model.path)?;
        writeln!(
            out,
            "          locked  oms sha256 {}",
            show(&model.expected_oms_sha256)
        )?;
        let actual = snapshot
            .lock
            .models
            .iter()
            .find(|current| current.path == model.path)
            .and_then(|current| current.origin.as_ref())
            .map(|origin| format!("  ({origin})"))
            .unwrap_or_default();
        writeln!(
            out,
            "          actual  oms sha256 {}{actual}",
            show(&model.actual_oms_sha256)
        )?;
    }
    Ok(())
}

fn write_cache_mismatches(out: &mut dyn Write, mismatches: &[BlobMismatch]) -> io::Result<()> {
    for mismatch in mismatches {
        let (label, promised) = match mismatch.recorded_in {
            "download metadata" => ("hf-download", "etag  "),
            _ => ("hf-cache  ", "blob  "),
        };
        writeln!(out, "{label}{}", mismatch.path)?;
        writeln!(
            out,
            "          {promised}  {} {}",
            mismatch.algorithm, mismatch.blob
        )?;
        writeln!(
            out,
            "          actual  {} {}",
            mismatch.algorithm, mismatch.actual
        )?;
    }
    Ok(())
}

fn summary(differences: &Diff, snapshot: &Snapshot) -> String {
    let counts = [
        (differences.modified.len(), "modified"),
        (differences.missing.len(), "missing"),
        (differences.added.len(), "added"),
        (differences.renamed.len(), "renamed"),
        (differences.models.len(), "model digest(s) changed"),
        (
            snapshot.cache_mismatches.len(),
            "Hugging Face cache mismatch(es)",
        ),
    ];
    counts
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, what)| format!("{count} {what}"))
        .collect::<Vec<_>>()
        .join(", ")
}
