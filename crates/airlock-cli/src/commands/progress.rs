//! The byte-count progress bar on stderr that long commands draw.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A byte-count progress bar on stderr, or nothing.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar labelled with what is being done (`scanning`, `hashing`), drawn only when enabled.
    pub fn new(enabled: bool, verb: &str) -> Self {
        if !enabled {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let template = format!(
            "{{spinner}} {verb} {{msg}} [{{bar:30}}] {{bytes}}/{{total_bytes}} {{bytes_per_sec}} eta {{eta}}"
        );
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        Bar(Some(bar))
    }

    /// Removes the bar before the report is written.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }

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

impl airlock_scan::Progress for Bar {
    fn start(&self, files: u64, bytes: u64) {
        Bar::start(self, files, bytes);
    }

    fn advance(&self, bytes: u64) {
        Bar::advance(self, bytes);
    }
}

impl airlock_integrity::Progress for Bar {
    fn start(&self, files: u64, bytes: u64) {
        Bar::start(self, files, bytes);
    }

    fn advance(&self, bytes: u64) {
        Bar::advance(self, bytes);
    }
}
