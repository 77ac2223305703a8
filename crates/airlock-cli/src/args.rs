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

/// How `rules` and `explain` write.
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
