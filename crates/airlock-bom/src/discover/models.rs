//! Models: Hugging Face-style folders, hub cache snapshots, `local_dir` downloads and loose
//! weight files, with what their cards, configs and weight headers say, their SHA-256s and
//! each folder's OpenSSF Model Signing (OMS) subject digest.
//!
//! A folder is a model when it holds a `config.json` naming an architecture or model type,
//! an `adapter_config.json` (PEFT), a `model_index.json` (diffusers), a shard index, a
//! sentence-transformers config, two or more Hub-style weight shards (`-00001-of-00002`),
//! a model card (front matter with model-only keys), or when it is a hub cache snapshot
//! or a `local_dir` download. Weight files (format by content, never by name) belong to the innermost model
//! folder above them; a weight file with none is a model of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufReader;
use std::path::Path;

use airlock_formats::Limits;
use airlock_formats::detect::Kind;
use airlock_formats::{gguf, safetensors};
use airlock_integrity::IntegrityError;
use airlock_integrity::NoProgress;
use airlock_integrity::hash::{FileDigests, HashJob, hash_files};
use airlock_integrity::signing::manifest::{self, DEFAULT_IGNORE_PATHS, Serialization};
use airlock_integrity::tree::normalize_lexically;
use serde::Serialize;
use serde_json::Value;

use super::card::{self, CardKind, ModelCard};
use super::walk::{self, FileEntry, Tree};
use super::{DiscoverOptions, HubOrigin, Problem, shorten};

/// Where `huggingface_hub` keeps `local_dir` download metadata, inside that folder.
pub const LOCAL_DIR_METADATA: &str = ".cache/huggingface/download";
/// Header metadata entries kept per weight file.
const MAX_HEADER_METADATA: usize = 32;

/// How a model was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelLayout {
    /// A folder with a config, a card or weights.
    Folder,
    /// `models--org--name/snapshots/<revision>/` in a hub cache.
    HubCache,
    /// A `huggingface_hub` `local_dir` download (`.cache/huggingface/download/`).
    LocalDirDownload,
    /// A weight file outside any model folder.
    LooseFile,
}

/// A weight file format, told by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightFormat {
    /// safetensors.
    Safetensors,
    /// GGUF (llama.cpp).
    Gguf,
    /// ONNX `ModelProto`.
    Onnx,
    /// A PyTorch zip checkpoint (`torch.save`), pickled inside.
    PytorchZip,
    /// A Keras v3 `.keras` zip.
    Keras,
    /// A bare pickle (protocol 2+): `torch.save` legacy, joblib, scikit-learn.
    Pickle,
    /// HDF5 (Keras `.h5` and others).
    Hdf5,
    /// A TensorFlow `saved_model.pb`.
    TensorflowSavedModel,
    /// A TensorFlow frozen `GraphDef` or `MetaGraphDef`.
    TensorflowGraph,
}

/// The weight format of a sniffed file, if it is one.
pub(crate) fn weight_format(file: &FileEntry) -> Option<WeightFormat> {
    match file.kind {
        Kind::Safetensors => Some(WeightFormat::Safetensors),
        Kind::Gguf => Some(WeightFormat::Gguf),
        Kind::Onnx => Some(WeightFormat::Onnx),
        Kind::Pickle => Some(WeightFormat::Pickle),
        Kind::Hdf5 => Some(WeightFormat::Hdf5),
        Kind::TfSavedModel => Some(WeightFormat::TensorflowSavedModel),
        Kind::TfGraphDef | Kind::TfMetaGraph => Some(WeightFormat::TensorflowGraph),
        Kind::Zip => zip_format(&file.prefix),
        _ => None,
    }
}

/// Tells a PyTorch or Keras zip from other zips by its first member's name.
fn zip_format(prefix: &[u8]) -> Option<WeightFormat> {
    let len = u16::from_le_bytes([*prefix.get(26)?, *prefix.get(27)?]) as usize;
    let name = prefix.get(30..30 + len)?;
    let name = String::from_utf8_lossy(name);
    let base = name.rsplit('/').next().unwrap_or(&name);
    if name.contains('/')
        && matches!(
            base,
            "data.pkl" | ".format_version" | "byteorder" | "version" | ".storage_alignment"
        )
    {
        return Some(WeightFormat::PytorchZip);
    }
    if matches!(&*name, "metadata.json" | "config.json" | "model.weights.h5") {
        return Some(WeightFormat::Keras);
    }
    None
}

/// `config.json` (or `adapter_config.json`) fields a BOM uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModelConfig {
    /// `architectures`.
    pub architectures: Vec<String>,
    /// `model_type`.
    pub model_type: Option<String>,
    /// `_name_or_path`: the Hub id or path it was loaded from.
    pub name_or_path: Option<String>,
    /// `torch_dtype` (or `dtype`).
    pub torch_dtype: Option<String>,
    /// `transformers_version`.
    pub transformers_version: Option<String>,
    /// `adapter_config.json` `peft_type` (`LORA`).
    pub peft_type: Option<String>,
    /// `adapter_config.json` `base_model_name_or_path`.
    pub adapter_base_model: Option<String>,
    /// `model_index.json` `_class_name` (diffusers pipeline).
    pub pipeline_class: Option<String>,
}

/// One weight file and what its header says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeightFile {
    /// Root-relative path.
    pub path: String,
    /// Format, by content.
    pub format: WeightFormat,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex (when hashing is on and the file could be read).
    pub sha256: Option<String>,
    /// Tensors the header lists (safetensors, GGUF).
    pub tensor_count: Option<u64>,
    /// Elements over all tensors, when every tensor's shape is known.
    pub parameter_count: Option<u64>,
    /// Distinct tensor dtypes (`F16`, `BF16`, `Q4_K`).
    pub dtypes: Vec<String>,
    /// safetensors `__metadata__` and GGUF `general.*` strings, capped.
    pub header_metadata: BTreeMap<String, String>,
}

/// A reference from a model to another local folder (a local fine-tune's base).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalLink {
    /// Where it is written: `card.base_model`, `config._name_or_path`,
    /// `adapter_config.base_model_name_or_path`.
    pub field: String,
    /// The value as written.
    pub value: String,
    /// The root-relative folder it resolves to, when that folder exists inside the root.
    pub target: Option<String>,
}

/// One model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscoveredModel {
    /// Root-relative folder, or the file for a loose weight file (`.` for the root).
    pub path: String,
    /// How it was found.
    pub layout: ModelLayout,
    /// Hub origin, when the layout records it.
    pub hub: Option<HubOrigin>,
    /// The model card, when there is one.
    pub card: Option<ModelCard>,
    /// `config.json` / `adapter_config.json` / `model_index.json` facts.
    pub config: Option<ModelConfig>,
    /// Weight files, by path.
    pub weights: Vec<WeightFile>,
    /// OMS subject digest (files, SHA-256, default ignores, links followed), lowercase hex.
    pub oms_sha256: Option<String>,
    /// Links to other local folders, for lineage.
    pub local_links: Vec<LocalLink>,
}

/// A candidate model folder.
struct Root {
    path: String,
    layout: ModelLayout,
    hub: Option<HubOrigin>,
}

/// Finds every model under the walked tree.
pub(crate) fn find(
    root: &Path,
    tree: &Tree,
    options: &DiscoverOptions,
    problems: &mut Vec<Problem>,
) -> Vec<DiscoveredModel> {
    let mut roots: BTreeMap<String, Root> = BTreeMap::new();
    let cached_datasets: Vec<&String> = tree
        .dirs
        .iter()
        .filter(|dir| hub_snapshot(dir).is_some_and(|(kind, _, _)| kind == "dataset"))
        .collect();
    let in_dataset_cache = |rel: &str| cached_datasets.iter().any(|dir| walk::contains(dir, rel));
    for dir in &tree.dirs {
        if let Some((kind, repo, revision)) = hub_snapshot(dir) {
            if kind == "model" {
                let refs = hub_refs(root, dir, &revision);
                roots.insert(
                    dir.clone(),
                    Root {
                        path: dir.clone(),
                        layout: ModelLayout::HubCache,
                        hub: Some(HubOrigin {
                            repo_type: "model".to_owned(),
                            repo: Some(repo),
                            revision,
                            refs,
                            source: "cache",
                            downloaded_at: None,
                        }),
                    },
                );
            }
            continue;
        }
        if in_dataset_cache(dir) {
            continue;
        }
        let abs = root.join(dir);
        if abs.join(LOCAL_DIR_METADATA).is_dir() && !is_dataset_folder(tree, dir, options) {
            let hub = local_dir_origin(root, dir, "model", problems);
            roots.insert(
                dir.clone(),
                Root {
                    path: dir.clone(),
                    layout: ModelLayout::LocalDirDownload,
                    hub,
                },
            );
            continue;
        }
        // A download or a diffusers pipeline is one model; its component folders
        // (`text_encoder/config.json`) are parts of it, not models of their own.
        let inside_unit = roots.values().any(|r| {
            walk::contains(&r.path, dir)
                && (r.layout != ModelLayout::Folder
                    || tree
                        .file(&walk::join(&r.path, "model_index.json"))
                        .is_some())
        });
        if !inside_unit && is_model_folder(tree, dir, options) {
            roots.insert(
                dir.clone(),
                Root {
                    path: dir.clone(),
                    layout: ModelLayout::Folder,
                    hub: None,
                },
            );
        }
    }

    // Weight files to their innermost model folder, or alone.
    let mut by_root: BTreeMap<String, Vec<(&FileEntry, WeightFormat)>> = BTreeMap::new();
    let mut loose: Vec<(&FileEntry, WeightFormat)> = Vec::new();
    for file in &tree.files {
        let Some(format) = weight_format(file) else {
            continue;
        };
        if in_dataset_cache(&file.rel) {
            continue;
        }
        let owner = roots
            .keys()
            .filter(|dir| walk::contains(dir, &file.rel))
            .max_by_key(|dir| dir.len());
        match owner {
            Some(dir) => by_root.entry(dir.clone()).or_default().push((file, format)),
            None => loose.push((file, format)),
        }
    }

    let mut models = Vec::new();
    for (dir, found) in roots {
        let weights = by_root.remove(&dir).unwrap_or_default();
        models.push(describe_folder(
            root, tree, found, &weights, options, problems,
        ));
    }
    let loose_digests: Vec<Option<Result<FileDigests, IntegrityError>>> = if options.hash {
        let jobs: Vec<HashJob> = loose
            .iter()
            .map(|(file, _)| HashJob {
                path: file.path.clone(),
                blake3: false,
                git_sha1: false,
            })
            .collect();
        let sizes: Vec<u64> = loose.iter().map(|(file, _)| file.size).collect();
        hash_files(&jobs, &sizes, &NoProgress)
            .into_iter()
            .map(Some)
            .collect()
    } else {
        loose.iter().map(|_| None).collect()
    };
    for ((file, format), digest) in loose.into_iter().zip(loose_digests) {
        let mut weight = read_weight(file, format, problems);
        let mut oms = None;
        match digest {
            Some(Ok(digests)) => {
                weight.sha256 = Some(hex::encode(digests.sha256));
                // A single-file model: one resource, so the subject is SHA-256 of its digest.
                oms = Some(hex::encode(manifest::subject_digest([digests.sha256])));
            }
            Some(Err(err)) => problems.push(Problem {
                path: file.rel.clone(),
                reason: format!("cannot hash: {err}"),
            }),
            None => {}
        }
        models.push(DiscoveredModel {
            path: file.rel.clone(),
            layout: ModelLayout::LooseFile,
            hub: None,
            card: None,
            config: None,
            weights: vec![weight],
            oms_sha256: oms,
            local_links: Vec::new(),
        });
    }
    models.sort_by(|a, b| manifest::component_cmp(&a.path, &b.path));
    models
}

/// Files that make their folder a model whatever else it holds: PEFT adapters, diffusers
/// pipelines, shard indexes, sentence-transformers models.
const FOLDER_MARKERS: [&str; 5] = [
    "adapter_config.json",
    "model_index.json",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
    "config_sentence_transformers.json",
];

/// Whether a plain folder is a model folder by its config, card, markers or shards.
fn is_model_folder(tree: &Tree, dir: &str, options: &DiscoverOptions) -> bool {
    let names: BTreeSet<&str> = tree.files_in(dir).map(FileEntry::name).collect();
    if FOLDER_MARKERS.iter().any(|marker| names.contains(marker)) {
        return true;
    }
    // Hub-style shards (`model-00001-of-00002.safetensors`) belong together.
    if tree
        .files_in(dir)
        .filter(|f| f.name().contains("-of-") && weight_format(f).is_some())
        .count()
        >= 2
    {
        return true;
    }
    if names.contains("config.json")
        && let Some(config) = read_json(tree, &walk::join(dir, "config.json"), options)
        && (config.get("architectures").is_some() || config.get("model_type").is_some())
    {
        return true;
    }
    if names.contains("README.md")
        && let Some((front, _)) = read_card(tree, &walk::join(dir, "README.md"), options)
    {
        return card::card_kind(&front) == CardKind::Model;
    }
    false
}

/// Whether a `local_dir` download holds a dataset: a dataset card, or data files and no
/// weights.
pub(crate) fn is_dataset_folder(tree: &Tree, dir: &str, options: &DiscoverOptions) -> bool {
    if let Some((front, _)) = read_card(tree, &walk::join(dir, "README.md"), options) {
        match card::card_kind(&front) {
            CardKind::Dataset => return true,
            CardKind::Model => return false,
            CardKind::Unknown => {}
        }
    }
    let inside = || tree.files.iter().filter(|f| walk::contains(dir, &f.rel));
    !inside().any(|f| weight_format(f).is_some())
        && inside().any(|f| super::datasets::data_format(f).is_some())
}

/// Parses a JSON file of the tree, bounded; `None` when absent, too large or not JSON.
pub(crate) fn read_json(tree: &Tree, rel: &str, options: &DiscoverOptions) -> Option<Value> {
    let file = tree.file(rel)?;
    let bytes = super::read_bounded(&file.path, options.max_json_bytes).ok()??;
    serde_json::from_slice(&bytes).ok()
}

/// Reads a card's front matter (parsed) and body; `None` without front matter or when it
/// does not parse.
pub(crate) fn read_card(
    tree: &Tree,
    rel: &str,
    options: &DiscoverOptions,
) -> Option<(Value, String)> {
    let file = tree.file(rel)?;
    let bytes = super::read_prefix(&file.path, options.max_card_bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let (yaml, body) = card::split_front_matter(&text)?;
    let front = card::parse_yaml(yaml).ok()?;
    Some((front, body.to_owned()))
}

/// Like [`read_card`], recording why a card that has front matter could not be read.
fn read_card_reporting(
    tree: &Tree,
    rel: &str,
    options: &DiscoverOptions,
    problems: &mut Vec<Problem>,
) -> Option<(Value, String)> {
    let file = tree.file(rel)?;
    let bytes = match super::read_prefix(&file.path, options.max_card_bytes) {
        Ok(bytes) => bytes,
        Err(err) => {
            problems.push(Problem {
                path: rel.to_owned(),
                reason: format!("cannot read card: {err}"),
            });
            return None;
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let (yaml, body) = card::split_front_matter(&text)?;
    match card::parse_yaml(yaml) {
        Ok(front) => Some((front, body.to_owned())),
        Err(reason) => {
            problems.push(Problem {
                path: rel.to_owned(),
                reason: format!("card front matter not read: {reason}"),
            });
            None
        }
    }
}

fn str_field(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(|s| shorten(s, card::MAX_STRING))
}

/// Describes one model folder.
fn describe_folder(
    root: &Path,
    tree: &Tree,
    found: Root,
    weights: &[(&FileEntry, WeightFormat)],
    options: &DiscoverOptions,
    problems: &mut Vec<Problem>,
) -> DiscoveredModel {
    let dir = found.path.as_str();
    let card = read_card_reporting(tree, &walk::join(dir, "README.md"), options, problems)
        .filter(|(front, _)| card::card_kind(front) != CardKind::Dataset)
        .map(|(front, body)| card::model_card(&front, &body));
    let mut config: Option<ModelConfig> = None;
    for name in ["config.json", "adapter_config.json", "model_index.json"] {
        let rel = walk::join(dir, name);
        if tree.file(&rel).is_none() {
            continue;
        }
        let Some(json) = read_json(tree, &rel, options) else {
            problems.push(Problem {
                path: rel,
                reason: "not read: not JSON, or larger than the JSON limit".to_owned(),
            });
            continue;
        };
        let entry = config.get_or_insert_with(ModelConfig::default);
        match name {
            "config.json" => {
                entry.architectures = json
                    .get("architectures")
                    .and_then(Value::as_array)
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(Value::as_str)
                            .take(card::MAX_LIST)
                            .map(|s| shorten(s, card::MAX_STRING))
                            .collect()
                    })
                    .unwrap_or_default();
                entry.model_type = str_field(&json, "model_type");
                entry.name_or_path = str_field(&json, "_name_or_path");
                entry.torch_dtype =
                    str_field(&json, "torch_dtype").or_else(|| str_field(&json, "dtype"));
                entry.transformers_version = str_field(&json, "transformers_version");
            }
            "adapter_config.json" => {
                entry.peft_type = str_field(&json, "peft_type");
                entry.adapter_base_model = str_field(&json, "base_model_name_or_path");
            }
            _ => entry.pipeline_class = str_field(&json, "_class_name"),
        }
    }

    let mut local_links = Vec::new();
    let mut link = |field: &str, value: &str| {
        if let Some(found) = local_link(root, dir, field, value) {
            local_links.push(found);
        }
    };
    if let Some(card) = &card {
        for base in &card.base_models {
            link("card.base_model", base);
        }
    }
    if let Some(config) = &config {
        if let Some(value) = &config.name_or_path {
            link("config._name_or_path", value);
        }
        if let Some(value) = &config.adapter_base_model {
            link("adapter_config.base_model_name_or_path", value);
        }
    }

    let mut files: Vec<WeightFile> = weights
        .iter()
        .map(|(file, format)| read_weight(file, *format, problems))
        .collect();
    let mut oms_sha256 = None;
    if options.hash {
        let mut serialization = Serialization {
            allow_symlinks: true,
            ..Serialization::default()
        };
        if found.layout == ModelLayout::LocalDirDownload {
            // As `airlock lock` does: download bookkeeping is not part of the model.
            serialization.ignore_paths = DEFAULT_IGNORE_PATHS
                .iter()
                .map(|p| (*p).to_owned())
                .chain([".cache/huggingface".to_owned()])
                .collect();
        }
        match manifest::compute(&root.join(dir), &serialization, None, &NoProgress) {
            Ok(manifest) => {
                oms_sha256 = Some(hex::encode(manifest.subject_sha256()));
                let digests: BTreeMap<&str, &[u8]> = manifest
                    .resources
                    .iter()
                    .map(|r| (r.name.as_str(), r.digest.as_slice()))
                    .collect();
                for file in &mut files {
                    let inner = if dir == "." {
                        file.path.as_str()
                    } else {
                        file.path
                            .strip_prefix(dir)
                            .and_then(|p| p.strip_prefix('/'))
                            .unwrap_or(&file.path)
                    };
                    file.sha256 = digests.get(inner).map(hex::encode);
                }
            }
            Err(err) => problems.push(Problem {
                path: dir.to_owned(),
                reason: format!("no OMS digest: {err}"),
            }),
        }
    }
    DiscoveredModel {
        path: found.path,
        layout: found.layout,
        hub: found.hub,
        card,
        config,
        weights: files,
        oms_sha256,
        local_links,
    }
}

/// A local link when `value` reads as a path or names an existing folder next to the model.
fn local_link(root: &Path, dir: &str, field: &str, value: &str) -> Option<LocalLink> {
    let looks_like_path = value.starts_with('.')
        || value.starts_with('/')
        || value.starts_with('~')
        || value.contains('\\');
    let base = root.join(dir);
    let candidate = normalize_lexically(&base.join(value));
    let root_abs = normalize_lexically(&std::path::absolute(root).unwrap_or_else(|_| root.into()));
    let candidate_abs =
        normalize_lexically(&std::path::absolute(&candidate).unwrap_or(candidate.clone()));
    let exists = candidate.is_dir();
    if !looks_like_path && !exists {
        return None;
    }
    let target = (exists && candidate_abs.starts_with(&root_abs))
        .then(|| walk::relative(&root_abs, &candidate_abs));
    Some(LocalLink {
        field: field.to_owned(),
        value: shorten(value, card::MAX_STRING),
        target,
    })
}

/// Reads what a weight file's header says (safetensors and GGUF); format only otherwise.
fn read_weight(file: &FileEntry, format: WeightFormat, problems: &mut Vec<Problem>) -> WeightFile {
    let mut weight = WeightFile {
        path: file.rel.clone(),
        format,
        size: file.size,
        sha256: None,
        tensor_count: None,
        parameter_count: None,
        dtypes: Vec::new(),
        header_metadata: BTreeMap::new(),
    };
    let limits = Limits::default();
    let open = || std::fs::File::open(&file.path).map(BufReader::new);
    match format {
        WeightFormat::Safetensors => {
            let Ok(mut reader) = open() else {
                problems.push(Problem {
                    path: file.rel.clone(),
                    reason: "cannot open".to_owned(),
                });
                return weight;
            };
            let report = safetensors::read_header(&mut reader, Some(file.size), &limits);
            let live: Vec<&safetensors::Tensor> =
                report.tensors.iter().filter(|t| !t.shadowed).collect();
            if report.data_start.is_some() {
                weight.tensor_count = Some(live.len() as u64);
                weight.parameter_count = live
                    .iter()
                    .try_fold(0u64, |sum, t| sum.checked_add(t.numel?));
                let dtypes: BTreeSet<&str> = live.iter().map(|t| t.dtype.as_str()).collect();
                weight.dtypes = dtypes.into_iter().map(|d| shorten(d, 32)).collect();
            }
            for (key, value) in report.metadata.iter().flatten().take(MAX_HEADER_METADATA) {
                weight
                    .header_metadata
                    .insert(shorten(key, 128), shorten(value, card::MAX_STRING));
            }
            if !report.loader_accepts() {
                problems.push(Problem {
                    path: file.rel.clone(),
                    reason: "safetensors header is malformed (a loader would refuse it); run `airlock scan`".to_owned(),
                });
            }
        }
        WeightFormat::Gguf => {
            let Ok(mut reader) = open() else {
                problems.push(Problem {
                    path: file.rel.clone(),
                    reason: "cannot open".to_owned(),
                });
                return weight;
            };
            let report = gguf::read_header(&mut reader, Some(file.size), &limits);
            weight.tensor_count = report.tensor_count;
            if report.tensor_count == Some(report.tensors.len() as u64) {
                weight.parameter_count = report.tensors.iter().try_fold(0u64, |sum, t| {
                    let n = t.dims.iter().try_fold(1u64, |n, d| n.checked_mul(*d))?;
                    sum.checked_add(n)
                });
            }
            let dtypes: BTreeSet<String> = report
                .tensors
                .iter()
                .map(|t| {
                    gguf::ggml_type(t.ggml_type).map_or_else(
                        || format!("type {}", t.ggml_type),
                        |(name, ..)| name.to_owned(),
                    )
                })
                .collect();
            weight.dtypes = dtypes.into_iter().collect();
            for kv in report
                .kvs
                .iter()
                .filter(|kv| kv.key.starts_with("general."))
                .take(MAX_HEADER_METADATA)
            {
                let value = match &kv.value {
                    gguf::KvValue::Str(s) => shorten(s, card::MAX_STRING),
                    gguf::KvValue::Uint(n) => n.to_string(),
                    gguf::KvValue::Int(n) => n.to_string(),
                    gguf::KvValue::Float(n) => n.to_string(),
                    gguf::KvValue::Bool(b) => b.to_string(),
                    _ => continue,
                };
                weight.header_metadata.insert(shorten(&kv.key, 128), value);
            }
            if !report.loader_accepts() {
                problems.push(Problem {
                    path: file.rel.clone(),
                    reason: "GGUF header is malformed or truncated; run `airlock scan`".to_owned(),
                });
            }
        }
        _ => {}
    }
    weight
}

/// `(repo type, repo id, revision)` of `…/models--org--name/snapshots/<revision>`.
pub(crate) fn hub_snapshot(dir: &str) -> Option<(&'static str, String, String)> {
    let mut parts = dir.rsplit('/');
    let revision = parts.next()?;
    if parts.next()? != "snapshots" {
        return None;
    }
    let repo_dir = parts.next()?;
    let (kind, id) = if let Some(id) = repo_dir.strip_prefix("models--") {
        ("model", id)
    } else if let Some(id) = repo_dir.strip_prefix("datasets--") {
        ("dataset", id)
    } else {
        return None;
    };
    if id.is_empty() || revision.is_empty() {
        return None;
    }
    Some((kind, id.replace("--", "/"), revision.to_owned()))
}

/// The refs (`main`, `pr/1`) of a cache repo that point at `revision`.
pub(crate) fn hub_refs(root: &Path, snapshot: &str, revision: &str) -> Vec<String> {
    let repo = walk::parent(walk::parent(snapshot));
    let refs_dir = root.join(repo).join("refs");
    let mut refs = Vec::new();
    for entry in walkdir::WalkDir::new(&refs_dir)
        .max_depth(3)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .take(1024)
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(bytes) = super::read_prefix(entry.path(), 256) else {
            continue;
        };
        if String::from_utf8_lossy(&bytes).trim() == revision {
            refs.push(walk::relative(&refs_dir, entry.path()));
        }
    }
    refs
}

/// The revision a `local_dir` download was fetched at, from its metadata files (commit,
/// etag, timestamp, one per line). Several revisions name none, and are a problem.
pub(crate) fn local_dir_origin(
    root: &Path,
    dir: &str,
    repo_type: &str,
    problems: &mut Vec<Problem>,
) -> Option<HubOrigin> {
    let metadata_dir = root.join(dir).join(LOCAL_DIR_METADATA);
    let mut revisions = BTreeSet::new();
    let mut newest: Option<f64> = None;
    for entry in walkdir::WalkDir::new(&metadata_dir)
        .follow_links(false)
        .into_iter()
        .flatten()
        .take(100_000)
    {
        if !entry.file_type().is_file()
            || entry.path().extension().is_none_or(|ext| ext != "metadata")
        {
            continue;
        }
        let Ok(bytes) = super::read_prefix(entry.path(), 4096) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let mut lines = text.lines().map(str::trim);
        let (Some(commit), Some(_etag), Some(time)) = (lines.next(), lines.next(), lines.next())
        else {
            continue;
        };
        let Ok(time) = time.parse::<f64>() else {
            continue;
        };
        if commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            revisions.insert(commit.to_ascii_lowercase());
            newest = Some(newest.map_or(time, |n: f64| n.max(time)));
        }
    }
    match revisions.len() {
        0 => None,
        1 => Some(HubOrigin {
            repo_type: repo_type.to_owned(),
            repo: None,
            revision: revisions.into_iter().next()?,
            refs: Vec::new(),
            source: "download metadata",
            downloaded_at: newest,
        }),
        n => {
            problems.push(Problem {
                path: dir.to_owned(),
                reason: format!("files were downloaded at {n} different revisions; none recorded"),
            });
            None
        }
    }
}
