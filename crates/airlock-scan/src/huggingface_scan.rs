//! Hugging Face configs: the Python code `trust_remote_code=True` would import, and what
//! that code imports in turn. Loaders find these files by name, so this check does too.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use airlock_core::{Finding, Location, rules};
use airlock_formats::huggingface::{self, CodeRef, MAX_CONFIG_BYTES, MAX_SOURCE_BYTES};

/// Imports worth a reader's attention in model code, by what they give access to.
const NOTABLE_IMPORTS: &[(&str, &str)] = &[
    ("os", "process"),
    ("subprocess", "process"),
    ("pty", "process"),
    ("posix", "process"),
    ("multiprocessing", "process"),
    ("shutil", "file"),
    ("socket", "network"),
    ("urllib", "network"),
    ("requests", "network"),
    ("http", "network"),
    ("httpx", "network"),
    ("aiohttp", "network"),
    ("ftplib", "network"),
    ("smtplib", "network"),
    ("paramiko", "network"),
    ("ctypes", "native code"),
    ("cffi", "native code"),
    ("importlib", "code loading"),
    ("runpy", "code loading"),
    ("marshal", "code loading"),
    ("pickle", "code loading"),
    ("dill", "code loading"),
    ("cloudpickle", "code loading"),
    ("builtins", "code loading"),
    ("base64", "encoding"),
];

/// Whether a file name is one that `transformers` reads an `auto_map` from.
pub(crate) fn is_config_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with("config.json"))
}

/// A config file's bytes, if it is small enough to be a config (a failed read was
/// already reported by the scan of the file).
pub(crate) fn read_config(path: &Path) -> Option<Vec<u8>> {
    let mut json = Vec::new();
    let read =
        fs_err::File::open(path).and_then(|f| f.take(MAX_CONFIG_BYTES).read_to_end(&mut json));
    (read.is_ok() && (json.len() as u64) < MAX_CONFIG_BYTES).then_some(json)
}

/// Reports the code a config names; `folder` is where its modules would be, if on disk.
pub(crate) fn scan_config(
    json: &[u8],
    folder: Option<&Path>,
    location: &Location,
    out: &mut Vec<Finding>,
) {
    // A config that is not JSON is not one a loader reads: nothing to report.
    let Ok(refs) = huggingface::code_refs(json) else {
        return;
    };
    let mut by_source: BTreeMap<(Option<String>, String), Vec<&CodeRef>> = BTreeMap::new();
    for code_ref in &refs {
        by_source
            .entry((code_ref.repo.clone(), code_ref.file()))
            .or_default()
            .push(code_ref);
    }
    for ((repo, file), refs) in by_source {
        let uses = refs
            .iter()
            .map(|r| format!("`{}` → `{}`", r.key, r.class))
            .collect::<Vec<_>>()
            .join(", ");
        let finding = match repo {
            Some(repo) => Finding::new(
                &rules::HFM102_HF_REMOTE_CODE_OTHER_REPO,
                location.clone(),
                format!(
                    "{uses}: loading with trust_remote_code=True imports `{file}` from another repository, `{repo}`"
                ),
            ),
            None => Finding::new(
                &rules::HFM101_HF_REMOTE_CODE,
                location.clone(),
                format!("{uses}: loading with trust_remote_code=True imports `{file}`"),
            )
            .with_evidence(describe_module(folder, &file)),
        };
        out.push(finding);
    }
}

/// Whether the module is in the folder, and what it imports.
fn describe_module(folder: Option<&Path>, file: &str) -> String {
    let Some(folder) = folder else {
        return format!("{file} is not available to check");
    };
    let mut source = Vec::new();
    let read = fs_err::File::open(folder.join(file))
        .and_then(|f| f.take(MAX_SOURCE_BYTES).read_to_end(&mut source));
    if read.is_err() {
        return format!(
            "{file} is not in the folder: transformers fetches it from the Hub when loading"
        );
    }
    let imports = huggingface::python_imports(&source);
    if imports.is_empty() {
        return format!("{file} imports nothing");
    }
    let listed = imports
        .iter()
        .map(|module| {
            let top = module.split('.').next().unwrap_or(module);
            match NOTABLE_IMPORTS.iter().find(|(name, _)| *name == top) {
                Some((_, what)) => format!("{module} ({what})"),
                None => module.clone(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("{file} imports {listed}")
}
