//! Command-line arguments. The doc comments here are the `--help` text.

use std::path::PathBuf;

use airlock_core::Severity;
use clap::{Parser, Subcommand, ValueEnum};

use crate::env_vars;

/// Check AI models, datasets and libraries before you trust them.
///
/// airlock never executes, imports or extracts what it inspects.
#[derive(Debug, Parser)]
#[command(name = "airlock", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The airlock commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan model files and directories for hostile content, without executing them.
    ///
    /// Formats are detected by content, never by file name: raw and stacked pickles,
    /// PyTorch checkpoints (zip, legacy and TorchScript), joblib files (plain or
    /// compressed), NumPy .npy/.npz, and zip and tar archives nested in each other.
    ///
    /// Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 when airlock
    /// itself could not run.
    Scan(ScanArgs),
    /// List every rule airlock can report.
    Rules(RulesArgs),
    /// Explain one rule: what it finds, why it matters, what to do.
    Explain(ExplainArgs),
    /// Pin the size and digests of every artifact under a directory in `airlock.lock`.
    ///
    /// Every regular file (and link to one) is listed with its size and SHA-256 (and
    /// BLAKE3 with --blake3), except the lockfile itself, .git/.hg/.svn directories and
    /// Hugging Face cache bookkeeping (blobs/, .no_exist/, .locks/). Each model directory
    /// gets the OpenSSF Model Signing subject digest a `model_signing` signature would
    /// carry, and, inside a Hugging Face cache, its repo id and revision. In a Hugging Face
    /// cache, every snapshot file is also checked against the blob name it links to; on a
    /// mismatch nothing is written. The format is described in docs/lockfile.md.
    ///
    /// Exit status: 0 when the lock was written, 1 when a Hugging Face cache blob does not
    /// match its name, 2 when airlock itself could not run.
    Lock(LockArgs),
    /// Check a directory against its `airlock.lock`: modified, missing, added and renamed
    /// files, changed model digests, and Hugging Face cache blobs that do not match their
    /// names.
    ///
    /// Exit status: 0 when everything matches (or --update rewrote the lock), 1 on any
    /// difference, 2 when airlock itself could not run (no lock, unreadable file).
    Verify(VerifyArgs),
}

/// Arguments of `airlock lock`.
#[derive(Debug, clap::Args)]
pub struct LockArgs {
    /// Directory to lock.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// Also record BLAKE3 digests (computed in parallel within each file).
    #[arg(long)]
    pub blake3: bool,

    /// Where to write the lockfile (default: PATH/airlock.lock).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Do not draw a progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long, env = env_vars::AIRLOCK_NO_PROGRESS)]
    pub no_progress: bool,
}

/// Arguments of `airlock verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Directory to check.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// Lockfile to check against (default: PATH/airlock.lock).
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,

    /// Accept the tree as it is now: report the differences, then rewrite the lockfile
    /// (keeping BLAKE3 digests if it had them). Not done when a Hugging Face cache blob
    /// does not match its name.
    #[arg(long)]
    pub update: bool,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// Do not draw a progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long, env = env_vars::AIRLOCK_NO_PROGRESS)]
    pub no_progress: bool,
}

/// Arguments of `airlock scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and directories to scan (directories recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,

    /// Exit with status 1 when a finding is at least this severe.
    #[arg(long, value_name = "SEVERITY", default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,

    /// Config file with a `[scan]` table (default: `airlock.toml` in the current
    /// directory, if present).
    #[arg(long, value_name = "FILE", env = env_vars::AIRLOCK_CONFIG)]
    pub config: Option<PathBuf>,

    /// Do not draw a progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long, env = env_vars::AIRLOCK_NO_PROGRESS)]
    pub no_progress: bool,
}

/// Arguments of `airlock rules`.
#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// Arguments of `airlock explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Rule code (`PKL101`) or name (`pickle-exec-global`).
    #[arg(value_name = "RULE")]
    pub rule: String,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// How `scan` writes its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Human-readable text.
    Table,
    /// One JSON document, described in docs/json-format.md.
    Json,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
}

/// How `rules`, `explain` and `verify` write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Human-readable text.
    Table,
    /// JSON.
    Json,
}

fn parse_severity(value: &str) -> Result<Severity, String> {
    value
        .parse()
        .map_err(|err: airlock_core::ParseSeverityError| err.to_string())
}
