//! Discovery: which models, datasets, model and dataset references and hosted AI services a
//! project folder holds or names, found offline by reading files, never by running them.
//!
//! [`discover`] walks the folder once. Every file's first bytes are sniffed by content
//! (`airlock_formats::detect`); model folders (a `config.json`, a model card, weights, a
//! Hugging Face cache snapshot or a `local_dir` download) and dataset folders (a dataset card,
//! a cache snapshot, a `datasets` cache entry, Croissant metadata, or plain data files) are
//! described with what their cards, configs and headers say; Python sources, notebooks and
//! config files are read as text for references. The result is plain data, an
//! [`Inventory`]; turning it into a BOM is the writers' job.
//!
//! # Security
//!
//! Every file is hostile. Reads are bounded by [`DiscoverOptions`]; YAML goes through a
//! parser with alias, depth and node budgets ([`card`]); nothing is imported, executed or
//! fetched; secrets seen in code or config are recorded as "a credential is configured",
//! never by value. A file that cannot be read or parsed becomes a [`Problem`], never a
//! silent gap and never an error for the whole run.

pub mod card;
pub mod code;
pub mod datasets;
pub mod models;
pub mod services;
mod walk;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use card::{Considerations, DatasetCard, Metric, ModelCard};
pub use code::{CodeReference, ReferenceKind};
pub use datasets::{
    Croissant, CroissantFile, DataFile, DataFormat, DatasetInfo, DatasetLayout, DiscoveredDataset,
    Split,
};
pub use models::{DiscoveredModel, LocalLink, ModelConfig, ModelLayout, WeightFile, WeightFormat};
pub use services::{Credential, Provider, ServiceReference};

/// Why discovery could not run at all (per-file trouble is a [`Problem`] instead).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoverError {
    /// The root could not be read.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The root.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The root is not a directory.
    #[error("`{}` is not a directory", .0.display())]
    NotADirectory(PathBuf),
}

/// Bounds and switches of one discovery run; each bound says what happens when reached.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// Hash weight and data files (SHA-256) and compute each model folder's OMS subject
    /// digest (default true). Off, only headers are read.
    pub hash: bool,
    /// Directory entries walked (default 1,000,000); past it the walk stops with a problem.
    pub max_entries: u64,
    /// Bytes of a Python source, config or `.env` file scanned for references
    /// (default 4 MiB); larger files are skipped with a problem.
    pub max_source_bytes: u64,
    /// Bytes of a notebook read (default 16 MiB); larger ones are skipped with a problem.
    pub max_notebook_bytes: u64,
    /// Bytes of a `README.md` card read (default 1 MiB); the rest is not read. The YAML
    /// front matter itself is capped at [`card::MAX_FRONT_MATTER`].
    pub max_card_bytes: u64,
    /// Bytes of a JSON metadata file (`config.json`, `dataset_info.json`, Croissant) parsed
    /// (default 16 MiB); larger ones are skipped with a problem.
    pub max_json_bytes: u64,
    /// Bytes of a CSV, TSV or JSONL file read to count rows (default 1 GiB); past it the
    /// row count is left out and the reason recorded.
    pub max_count_bytes: u64,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            hash: true,
            max_entries: 1_000_000,
            max_source_bytes: 4 << 20,
            max_notebook_bytes: 16 << 20,
            max_card_bytes: 1 << 20,
            max_json_bytes: 16 << 20,
            max_count_bytes: 1 << 30,
        }
    }
}

/// A file or folder that could not be (fully) examined, and why; kept so a BOM never
/// presents a partial look as a complete one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    /// Root-relative `/` path.
    pub path: String,
    /// What went wrong, for a person.
    pub reason: String,
}

/// Where the Hugging Face Hub says a model or dataset folder came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HubOrigin {
    /// `model` or `dataset`.
    pub repo_type: String,
    /// `org/name`, when the layout records it (cache folders do, `local_dir` downloads don't).
    pub repo: Option<String>,
    /// Full commit hash the files were downloaded at.
    pub revision: String,
    /// Refs that point at this revision (`main`, `pr/1`), from the cache's `refs/`.
    pub refs: Vec<String>,
    /// `cache` (hub cache layout) or `download metadata` (`local_dir`).
    pub source: &'static str,
    /// Newest download time (Unix seconds) in the `local_dir` metadata, when recorded.
    pub downloaded_at: Option<f64>,
}

/// Everything discovery found under one root; plain data for the BOM writers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    /// Model folders, cache snapshots and loose model files, by path.
    pub models: Vec<DiscoveredModel>,
    /// Dataset folders, cache entries and data files, by path.
    pub datasets: Vec<DiscoveredDataset>,
    /// Models and datasets named in code and config, by file and line.
    pub references: Vec<CodeReference>,
    /// Hosted AI services used by code and config, by file and provider.
    pub services: Vec<ServiceReference>,
    /// What could not be examined, by path.
    pub problems: Vec<Problem>,
}

/// Finds the models, datasets, references and services under `root`.
pub fn discover(root: &Path, options: &DiscoverOptions) -> Result<Inventory, DiscoverError> {
    let metadata = std::fs::metadata(root).map_err(|source| DiscoverError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    if !metadata.is_dir() {
        return Err(DiscoverError::NotADirectory(root.to_path_buf()));
    }
    let mut problems = Vec::new();
    let tree = walk::walk(root, options, &mut problems);
    let models = models::find(root, &tree, options, &mut problems);
    let datasets = datasets::find(root, &tree, &models, options, &mut problems);
    let mut references = Vec::new();
    let mut services = Vec::new();
    let artifact_dirs: Vec<&str> = models
        .iter()
        .filter(|m| m.layout != ModelLayout::LooseFile)
        .map(|m| m.path.as_str())
        .chain(datasets.iter().map(|d| d.path.as_str()))
        .collect();
    code::scan_tree(
        root,
        &tree,
        &artifact_dirs,
        options,
        &mut references,
        &mut services,
        &mut problems,
    );
    references.sort();
    services::merge(&mut services);
    problems.sort();
    problems.dedup();
    Ok(Inventory {
        models,
        datasets,
        references,
        services,
        problems,
    })
}

/// Reads at most `max` bytes of a file; `Ok(None)` when it is larger (nothing is read).
pub(crate) fn read_bounded(path: &Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Ok(None);
    }
    Ok(Some(bytes))
}

/// Reads the first `max` bytes of a file, however large it is.
pub(crate) fn read_prefix(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Cuts text to at most `max` bytes on a character boundary, marking the cut with `…`.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
