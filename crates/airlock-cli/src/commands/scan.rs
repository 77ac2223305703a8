//! `airlock scan`.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use airlock_scan::{Progress, ScanConfig, Scanner};
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Outcome;
use crate::args::{ReportFormat, ScanArgs};
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

    let progress = Bar::new(!args.no_progress && io::stderr().is_terminal());
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

/// A byte-count progress bar on stderr, or nothing.
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new(enabled: bool) -> Self {
        if !enabled {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} scanning {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        Bar(Some(bar))
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn start(&self, files: u64, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(bytes);
            bar.set_message(format!("{files} files"));
        }
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(bytes);
        }
    }
}
