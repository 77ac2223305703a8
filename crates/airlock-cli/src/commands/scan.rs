//! `airlock scan`.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use airlock_scan::{ScanConfig, Scanner};
use anyhow::{Context, Result, bail};

use crate::Outcome;
use crate::args::{ReportFormat, ScanArgs};
use crate::commands::progress::Bar;
use crate::render::{self, RenderContext};

/// Default config file looked up in the current directory.
const DEFAULT_CONFIG: &str = "airlock.toml";

pub fn run(args: &ScanArgs) -> Result<Outcome> {
    for path in &args.paths {
        if std::fs::symlink_metadata(path).is_err() {
            bail!("`{}` does not exist or cannot be accessed", path.display());
        }
    }
    let config = match &args.config {
        Some(path) => ScanConfig::load(path)?,
        None if Path::new(DEFAULT_CONFIG).is_file() => ScanConfig::load(Path::new(DEFAULT_CONFIG))?,
        None => ScanConfig::default(),
    };
    let scanner = Scanner::new(&config).context("invalid `[scan]` configuration")?;

    let progress = Bar::new(!args.no_progress && io::stderr().is_terminal(), "scanning");
    let started = Instant::now();
    let report = scanner.scan_paths(&args.paths, &progress);
    progress.finish();

    let context = RenderContext {
        fail_on: args.fail_on,
        elapsed: started.elapsed(),
    };
    let mut out = io::stdout().lock();
    match args.format {
        ReportFormat::Table => render::table::write(&mut out, &report, &context)?,
        ReportFormat::Json => render::json::write(&mut out, &report, &context)?,
        ReportFormat::Sarif => render::sarif::write(&mut out, &report)?,
    }
    out.flush()?;
    Ok(if context.failed(&report) {
        Outcome::Failed
    } else {
        Outcome::Clean
    })
}
