//! Datasets: dataset cards, hub cache snapshots, `local_dir` downloads, `datasets` cache
//! entries (`dataset_info.json`), Croissant metadata, and CSV, TSV, JSONL, Parquet and Arrow
//! files, with row counts where they are cheap.
//!
//! Row counts: CSV and TSV are counted with `csv-core` (quoted newlines are one record, the
//! first record is taken as the header and not counted), JSONL by non-blank lines, both
//! streaming in fixed buffers and only up to [`DiscoverOptions::max_count_bytes`].
//! Parquet and Arrow row counts are not read: they sit in a Thrift (Parquet footer) or
//! FlatBuffers (Arrow) structure that would need a decoder of its own or the large
//! `parquet`/`arrow` crates; `dataset_info.json` split sizes stand in where present.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use airlock_formats::detect::Kind;
use airlock_integrity::NoProgress;
use airlock_integrity::hash::{HashJob, hash_files};
use airlock_integrity::signing::manifest::component_cmp;
use serde::Serialize;
use serde_json::Value;

use super::card::{self, CardKind, DatasetCard};
use super::models::{self, DiscoveredModel, LOCAL_DIR_METADATA};
use super::walk::{self, FileEntry, Tree};
use super::{DiscoverOptions, HubOrigin, Problem, shorten};

/// How a dataset was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetLayout {
    /// A folder with a dataset card.
    Folder,
    /// `datasets--org--name/snapshots/<revision>/` in a hub cache.
    HubCache,
    /// A `huggingface_hub` `local_dir` download of a dataset.
    LocalDirDownload,
    /// A `datasets` library cache entry or `save_to_disk` folder (`dataset_info.json`).
    DatasetsCache,
    /// A folder with Croissant metadata.
    Croissant,
    /// Data files in a folder that nothing else describes.
    Files,
}

/// A data file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataFormat {
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// JSON Lines.
    Jsonl,
    /// Apache Parquet (`PAR1` magic).
    Parquet,
    /// Apache Arrow IPC file (`ARROW1`) or stream (as the `datasets` cache writes).
    Arrow,
}

/// One data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataFile {
    /// Root-relative path.
    pub path: String,
    /// Format (by content where the format has a signature, else by name and a text check).
    pub format: DataFormat,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex, when hashing is on.
    pub sha256: Option<String>,
    /// Data rows (CSV/TSV without the header line, JSONL non-blank lines).
    pub rows: Option<u64>,
    /// Why `rows` is absent.
    pub rows_note: Option<String>,
}

/// One split from `dataset_info.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Split {
    /// `train`, `test`…
    pub name: String,
    /// `num_examples`.
    pub num_examples: Option<u64>,
    /// `num_bytes`.
    pub num_bytes: Option<u64>,
}

/// What a `dataset_info.json` says (the `datasets` library's cache and `save_to_disk`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DatasetInfo {
    /// `dataset_name`, or the cache path's name component.
    pub name: Option<String>,
    /// `config_name`, or the cache path's config component.
    pub config: Option<String>,
    /// `version.version_str`, or the cache path's version component.
    pub version: Option<String>,
    /// `license`.
    pub license: Option<String>,
    /// `homepage`.
    pub homepage: Option<String>,
    /// `splits`.
    pub splits: Vec<Split>,
}

/// One file of a Croissant `distribution`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CroissantFile {
    /// `name` (or `@id`).
    pub name: Option<String>,
    /// `contentUrl`.
    pub content_url: Option<String>,
    /// `encodingFormat`.
    pub encoding_format: Option<String>,
    /// `sha256`.
    pub sha256: Option<String>,
}

/// What Croissant (ML Commons) JSON-LD metadata says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Croissant {
    /// Root-relative path of the metadata file.
    pub file: String,
    /// `name`.
    pub name: Option<String>,
    /// `license` (string or list).
    pub licenses: Vec<String>,
    /// `url`.
    pub url: Option<String>,
    /// `distribution` entries.
    pub distribution: Vec<CroissantFile>,
}

/// One dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscoveredDataset {
    /// Root-relative folder.
    pub path: String,
    /// How it was found.
    pub layout: DatasetLayout,
    /// Hub origin, when the layout records it.
    pub hub: Option<HubOrigin>,
    /// The dataset card, when there is one.
    pub card: Option<DatasetCard>,
    /// `dataset_info.json` facts.
    pub info: Option<DatasetInfo>,
    /// Croissant metadata.
    pub croissant: Option<Croissant>,
    /// Data files, by path.
    pub files: Vec<DataFile>,
}

/// The data format of a sniffed file, if it is a data file.
pub(crate) fn data_format(file: &FileEntry) -> Option<DataFormat> {
    let prefix = &file.prefix;
    if prefix.starts_with(b"PAR1") {
        return Some(DataFormat::Parquet);
    }
    if prefix.starts_with(b"ARROW1") {
        return Some(DataFormat::Arrow);
    }
    if file.kind != Kind::Unknown {
        return None;
    }
    let ext = file.extension();
    // Arrow streams start with a continuation marker and a metadata length; no magic.
    if ext == "arrow" && prefix.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
        return Some(DataFormat::Arrow);
    }
    let text = !prefix.contains(&0) && utf8_prefix(prefix);
    match ext.as_str() {
        "csv" if text => Some(DataFormat::Csv),
        "tsv" if text => Some(DataFormat::Tsv),
        "jsonl" | "ndjson"
            if text && prefix.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') =>
        {
            Some(DataFormat::Jsonl)
        }
        _ => None,
    }
}

fn utf8_prefix(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// Finds every dataset under the walked tree; folders already known as models are left out.
pub(crate) fn find(
    root: &Path,
    tree: &Tree,
    models: &[DiscoveredModel],
    options: &DiscoverOptions,
    problems: &mut Vec<Problem>,
) -> Vec<DiscoveredDataset> {
    let model_dirs: Vec<&str> = models
        .iter()
        .filter(|m| m.layout != models::ModelLayout::LooseFile)
        .map(|m| m.path.as_str())
        .collect();
    let mut roots: BTreeMap<String, DiscoveredDataset> = BTreeMap::new();
    let new = |path: &str, layout| DiscoveredDataset {
        path: path.to_owned(),
        layout,
        hub: None,
        card: None,
        info: None,
        croissant: None,
        files: Vec::new(),
    };
    for dir in &tree.dirs {
        if let Some((kind, repo, revision)) = models::hub_snapshot(dir) {
            if kind == "dataset" {
                let mut found = new(dir, DatasetLayout::HubCache);
                found.hub = Some(HubOrigin {
                    repo_type: "dataset".to_owned(),
                    refs: models::hub_refs(root, dir, &revision),
                    repo: Some(repo),
                    revision,
                    source: "cache",
                    downloaded_at: None,
                });
                roots.insert(dir.clone(), found);
            }
            continue;
        }
        if model_dirs.contains(&dir.as_str()) {
            continue;
        }
        if root.join(dir).join(LOCAL_DIR_METADATA).is_dir()
            && models::is_dataset_folder(tree, dir, options)
        {
            let mut found = new(dir, DatasetLayout::LocalDirDownload);
            found.hub = models::local_dir_origin(root, dir, "dataset", problems);
            roots.insert(dir.clone(), found);
            continue;
        }
        if let Some((front, _)) = models::read_card(tree, &walk::join(dir, "README.md"), options)
            && card::card_kind(&front) == CardKind::Dataset
        {
            roots.insert(dir.clone(), new(dir, DatasetLayout::Folder));
            continue;
        }
        if tree.file(&walk::join(dir, "dataset_info.json")).is_some() {
            roots.insert(dir.clone(), new(dir, DatasetLayout::DatasetsCache));
            continue;
        }
        if tree.files_in(dir).any(|f| croissant_name(f.name()))
            && tree
                .files_in(dir)
                .filter(|f| croissant_name(f.name()))
                .any(|f| read_croissant(f, options).is_some())
        {
            roots.insert(dir.clone(), new(dir, DatasetLayout::Croissant));
        }
    }

    // Describe each root: card, dataset_info.json, Croissant.
    for (dir, found) in roots.iter_mut() {
        if let Some((front, _)) = models::read_card(tree, &walk::join(dir, "README.md"), options)
            && card::card_kind(&front) != CardKind::Model
        {
            found.card = Some(card::dataset_card(&front));
        }
        let info_rel = walk::join(dir, "dataset_info.json");
        if tree.file(&info_rel).is_some() {
            match models::read_json(tree, &info_rel, options) {
                Some(json) => found.info = Some(dataset_info(dir, &json)),
                None => problems.push(Problem {
                    path: info_rel,
                    reason: "not read: not JSON, or larger than the JSON limit".to_owned(),
                }),
            }
        }
        found.croissant = tree
            .files_in(dir)
            .filter(|f| croissant_name(f.name()))
            .find_map(|f| read_croissant(f, options));
    }

    // Data files to their innermost dataset, or grouped by folder.
    let mut files: Vec<(&FileEntry, DataFormat)> = tree
        .files
        .iter()
        // Installed packages ship test data; that is not the project's.
        .filter(|f| !f.in_library)
        .filter_map(|f| data_format(f).map(|format| (f, format)))
        .collect();
    files.sort_by(|a, b| component_cmp(&a.0.rel, &b.0.rel));
    let digests: Vec<Option<String>> = if options.hash {
        let jobs: Vec<HashJob> = files
            .iter()
            .map(|(f, _)| HashJob {
                path: f.path.clone(),
                blake3: false,
                git_sha1: false,
            })
            .collect();
        let sizes: Vec<u64> = files.iter().map(|(f, _)| f.size).collect();
        hash_files(&jobs, &sizes, &NoProgress)
            .into_iter()
            .zip(&files)
            .map(|(result, (f, _))| match result {
                Ok(d) => Some(hex::encode(d.sha256)),
                Err(err) => {
                    problems.push(Problem {
                        path: f.rel.clone(),
                        reason: format!("cannot hash: {err}"),
                    });
                    None
                }
            })
            .collect()
    } else {
        vec![None; files.len()]
    };
    for ((file, format), sha256) in files.into_iter().zip(digests) {
        let (rows, rows_note) = count_rows(file, format, options, problems);
        let data = DataFile {
            path: file.rel.clone(),
            format,
            size: file.size,
            sha256,
            rows,
            rows_note,
        };
        let owner = roots
            .keys()
            .filter(|dir| walk::contains(dir, &file.rel))
            .max_by_key(|dir| dir.len())
            .cloned();
        let key = owner.unwrap_or_else(|| file.dir().to_owned());
        roots
            .entry(key.clone())
            .or_insert_with(|| new(&key, DatasetLayout::Files))
            .files
            .push(data);
    }
    let mut out: Vec<DiscoveredDataset> = roots.into_values().collect();
    out.sort_by(|a, b| component_cmp(&a.path, &b.path));
    out
}

fn croissant_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "metadata.json" || (lower.contains("croissant") && lower.ends_with(".json"))
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(shorten(s, card::MAX_STRING)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads Croissant metadata: JSON-LD with an `@context` whose `@type` names a Dataset.
fn read_croissant(file: &FileEntry, options: &DiscoverOptions) -> Option<Croissant> {
    let bytes = super::read_bounded(&file.path, options.max_json_bytes).ok()??;
    let json: Value = serde_json::from_slice(&bytes).ok()?;
    json.get("@context")?;
    let is_dataset = match json.get("@type")? {
        Value::String(t) => t.ends_with("Dataset"),
        Value::Array(items) => items
            .iter()
            .any(|t| t.as_str().is_some_and(|t| t.ends_with("Dataset"))),
        _ => false,
    };
    if !is_dataset {
        return None;
    }
    let licenses = match json.get("license") {
        Some(Value::Array(items)) => items.iter().filter_map(text).take(card::MAX_LIST).collect(),
        Some(value) => text(value).into_iter().collect(),
        None => Vec::new(),
    };
    let distribution = json
        .get("distribution")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .take(card::MAX_LIST)
                .map(|d| CroissantFile {
                    name: d
                        .get("name")
                        .and_then(text)
                        .or_else(|| d.get("@id").and_then(text)),
                    content_url: d.get("contentUrl").and_then(text),
                    encoding_format: d.get("encodingFormat").and_then(text),
                    sha256: d.get("sha256").and_then(text),
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Croissant {
        file: file.rel.clone(),
        name: json.get("name").and_then(text),
        licenses,
        url: json.get("url").and_then(text),
        distribution,
    })
}

/// Reads `dataset_info.json`; name, config and version fall back to the `datasets` cache
/// path `<name>/<config>/<version>/<hash>/`.
fn dataset_info(dir: &str, json: &Value) -> DatasetInfo {
    let parts: Vec<&str> = dir.rsplit('/').collect();
    let from_path = match parts.as_slice() {
        [_hash, version, config, name, ..]
            if version.split('.').count() == 3
                && version.split('.').all(|p| p.parse::<u64>().is_ok()) =>
        {
            Some((name.to_string(), config.to_string(), version.to_string()))
        }
        _ => None,
    };
    let splits = match json.get("splits") {
        Some(Value::Object(map)) => map
            .iter()
            .take(card::MAX_LIST)
            .map(|(name, s)| split(name, s))
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .take(card::MAX_LIST)
            .map(|s| split(&s.get("name").and_then(text).unwrap_or_default(), s))
            .collect(),
        _ => Vec::new(),
    };
    DatasetInfo {
        name: json
            .get("dataset_name")
            .and_then(text)
            .or_else(|| json.get("builder_name").and_then(text))
            .or_else(|| from_path.as_ref().map(|p| p.0.clone())),
        config: json
            .get("config_name")
            .and_then(text)
            .or_else(|| from_path.as_ref().map(|p| p.1.clone())),
        version: json
            .get("version")
            .and_then(|v| v.get("version_str"))
            .and_then(text)
            .or_else(|| from_path.as_ref().map(|p| p.2.clone())),
        license: json.get("license").and_then(text).filter(|s| !s.is_empty()),
        homepage: json
            .get("homepage")
            .and_then(text)
            .filter(|s| !s.is_empty()),
        splits,
    }
}

fn split(name: &str, value: &Value) -> Split {
    Split {
        name: shorten(name, card::MAX_STRING),
        num_examples: value.get("num_examples").and_then(Value::as_u64),
        num_bytes: value.get("num_bytes").and_then(Value::as_u64),
    }
}

/// Counts rows where cheap; otherwise says why not.
fn count_rows(
    file: &FileEntry,
    format: DataFormat,
    options: &DiscoverOptions,
    problems: &mut Vec<Problem>,
) -> (Option<u64>, Option<String>) {
    let delimiter = match format {
        DataFormat::Csv => Some(b','),
        DataFormat::Tsv => Some(b'\t'),
        DataFormat::Jsonl => None,
        DataFormat::Parquet | DataFormat::Arrow => {
            return (
                None,
                Some("row count not read: the footer needs a Thrift/FlatBuffers decoder airlock does not carry".to_owned()),
            );
        }
    };
    if file.size > options.max_count_bytes {
        return (
            None,
            Some(format!(
                "row count not read: larger than {} bytes",
                options.max_count_bytes
            )),
        );
    }
    let reader = match std::fs::File::open(&file.path) {
        Ok(f) => f.take(options.max_count_bytes),
        Err(err) => {
            problems.push(Problem {
                path: file.rel.clone(),
                reason: format!("cannot read: {err}"),
            });
            return (None, Some("file could not be read".to_owned()));
        }
    };
    let counted = match delimiter {
        Some(delimiter) => count_csv(reader, delimiter).map(|records| records.saturating_sub(1)),
        None => count_lines(reader),
    };
    match counted {
        Ok(rows) => (Some(rows), None),
        Err(err) => {
            problems.push(Problem {
                path: file.rel.clone(),
                reason: format!("cannot read: {err}"),
            });
            (None, Some("file could not be read".to_owned()))
        }
    }
}

/// Counts CSV records (header included) in a fixed buffer; quoted newlines stay inside
/// their record, blank lines are not records.
pub fn count_csv(mut reader: impl Read, delimiter: u8) -> std::io::Result<u64> {
    use csv_core::ReadRecordResult;
    let mut parser = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut buffer = vec![0u8; 64 << 10];
    let mut output = vec![0u8; 64 << 10];
    let mut ends = [0usize; 1024];
    let mut records = 0u64;
    loop {
        let read = loop {
            match reader.read(&mut buffer) {
                Ok(n) => break n,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        };
        let mut input = buffer.get(..read).unwrap_or_default();
        loop {
            let (result, consumed, _, _) = parser.read_record(input, &mut output, &mut ends);
            input = input.get(consumed..).unwrap_or_default();
            match result {
                ReadRecordResult::InputEmpty => break,
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::Record => records += 1,
                ReadRecordResult::End => return Ok(records),
            }
        }
        if read == 0 {
            // End of input: `read_record` on empty input flushes the last record, then End.
            loop {
                let (result, ..) = parser.read_record(&[], &mut output, &mut ends);
                match result {
                    ReadRecordResult::Record => records += 1,
                    ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                    ReadRecordResult::InputEmpty | ReadRecordResult::End => return Ok(records),
                }
            }
        }
    }
}

/// Counts non-blank lines in a fixed buffer.
pub fn count_lines(mut reader: impl Read) -> std::io::Result<u64> {
    let mut buffer = vec![0u8; 64 << 10];
    let mut lines = 0u64;
    let mut content = false;
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        for &byte in buffer.get(..read).unwrap_or_default() {
            if byte == b'\n' {
                if content {
                    lines += 1;
                }
                content = false;
            } else if !byte.is_ascii_whitespace() {
                content = true;
            }
        }
    }
    if content {
        lines += 1;
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_newlines_are_one_record() {
        let csv = b"a,b\n1,\"two\nlines\"\n\n3,4";
        assert_eq!(count_csv(&csv[..], b',').unwrap(), 3);
        assert_eq!(count_lines(&b"{}\n\n  \n{}\n{}"[..]).unwrap(), 3);
    }
}
