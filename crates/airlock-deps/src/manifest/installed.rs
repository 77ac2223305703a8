//! An installed Python environment: a `site-packages` (or `dist-packages`) folder.
//!
//! Read, for each `*.dist-info` folder: `METADATA` `Name` and `Version` headers, `RECORD`
//! (every path with its hash and size, kept for the later tamper check; RECORD hashes are
//! URL-safe base64 and are turned into hex), `INSTALLER`, and `direct_url.json` (PEP 610:
//! a URL, VCS or local-directory install, with `dir_info.editable`). Legacy `*.egg-info`
//! folders give `PKG-INFO` name and version only.
//!
//! Not read: `Requires-Dist` and the rest of `METADATA`, `entry_points.txt`, `.pth` files and
//! the package files themselves (the tamper and `.pth` checks belong to the audit).
//!
//! Security: only the folder's direct children are listed (no recursion), counts are capped by
//! [`Limits::max_distributions`] and [`Limits::max_record_entries`], every file by
//! [`Limits::max_file_bytes`]; symlinked `*.dist-info` folders are read like others but
//! nothing outside them is opened.

use std::path::Path;

use serde::Deserialize;

use crate::manifest::requirements::vcs_source;
use crate::model::{
    Dependency, Ecosystem, Installed, Location, Manifest, ManifestKind, ProblemKind, RecordEntry,
    Source,
};
use crate::names::base64_hash;
use crate::{DepsError, Limits, Sink};

/// Read an installed environment folder.
pub fn read(dir: &Path, limits: &Limits) -> Result<Manifest, DepsError> {
    let io = |source| DepsError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".dist-info") || name.ends_with(".egg-info") {
            folders.push(entry.path());
        }
        if folders.len() > limits.max_distributions {
            break;
        }
    }
    folders.sort();
    let mut sink = Sink::new(dir, ManifestKind::InstalledEnvironment, limits);
    if folders.len() > limits.max_distributions {
        folders.truncate(limits.max_distributions);
        sink.problem(
            ProblemKind::LimitExceeded,
            format!(
                "more than {} distributions; the rest were not read",
                limits.max_distributions
            ),
            Location::file(dir),
        );
    }
    for folder in folders {
        if let Some(dependency) = distribution(&mut sink, &folder)
            && !sink.dependency(dependency)
        {
            break;
        }
    }
    Ok(sink.finish())
}

fn distribution(sink: &mut Sink, folder: &Path) -> Option<Dependency> {
    let limits = sink.limits();
    let location = Location::file(folder);
    let egg = folder.extension().is_some_and(|e| e == "egg-info");
    let metadata_path = folder.join(if egg { "PKG-INFO" } else { "METADATA" });
    let metadata = match read_text(&metadata_path, limits) {
        Ok(text) => text,
        Err(error) => {
            sink.problem(ProblemKind::Malformed, error.to_string(), location);
            return None;
        }
    };
    let (name, version) = name_version(&metadata);
    let Some(name) = name else {
        sink.problem(
            ProblemKind::Malformed,
            "metadata has no `Name` header",
            Location::file(&metadata_path),
        );
        return None;
    };
    let mut dependency = Dependency::new(Ecosystem::PyPI, &name, location.clone());
    if let Some(version) = &version {
        sink.check_pep440(&name, version, &location);
    }
    dependency.version = version;
    if egg {
        return Some(dependency);
    }
    let installer = read_text(&folder.join("INSTALLER"), limits)
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    let record_path = folder.join("RECORD");
    let record = match read_text(&record_path, limits) {
        Ok(text) => record_entries(sink, &record_path, &text),
        Err(error) => {
            sink.problem(ProblemKind::Malformed, error.to_string(), location.clone());
            Vec::new()
        }
    };
    let direct_url_path = folder.join("direct_url.json");
    let direct_url = direct_url_path.is_file();
    if direct_url {
        match read_text(&direct_url_path, limits).and_then(|text| {
            serde_json::from_str::<DirectUrl>(&text)
                .map_err(|e| crate::json_error(&direct_url_path, &e))
        }) {
            Ok(url) => dependency.source = url.source(),
            Err(error) => sink.problem(
                ProblemKind::Malformed,
                error.to_string(),
                Location::file(&direct_url_path),
            ),
        }
    }
    dependency.installed = Some(Installed {
        dist_info: folder.to_path_buf(),
        installer,
        record,
        direct_url,
    });
    Some(dependency)
}

fn read_text(path: &Path, limits: &Limits) -> Result<String, DepsError> {
    let bytes = crate::read_capped(path, limits)?;
    crate::text(path, &bytes).map(str::to_owned)
}

/// `Name` and `Version` from the header block of `METADATA` / `PKG-INFO` (core metadata,
/// RFC 822 style); the body after the first blank line is never read.
pub fn name_version(metadata: &str) -> (Option<String>, Option<String>) {
    let mut name = None;
    let mut version = None;
    for line in metadata.lines() {
        if line.trim().is_empty() {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            let value = value.trim().to_owned();
            if key.eq_ignore_ascii_case("name") && name.is_none() {
                name = Some(value);
            } else if key.eq_ignore_ascii_case("version") && version.is_none() {
                version = Some(value);
            }
        }
    }
    (
        name.filter(|n| !n.is_empty()),
        version.filter(|v| !v.is_empty()),
    )
}

/// Parse the text of a `RECORD` file (also found in wheels), for the tamper check: entries in
/// file order, and the problems met. `path` only names locations.
pub fn parse_record(
    path: &Path,
    text: &str,
    limits: &Limits,
) -> (Vec<RecordEntry>, Vec<crate::Problem>) {
    let mut sink = Sink::new(path, ManifestKind::InstalledEnvironment, limits);
    let entries = record_entries(&mut sink, path, text);
    (entries, sink.finish().problems)
}

fn record_entries(sink: &mut Sink, path: &Path, text: &str) -> Vec<RecordEntry> {
    let mut entries = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    for (index, row) in reader.records().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if entries.len() >= sink.limits().max_record_entries {
            sink.problem(
                ProblemKind::LimitExceeded,
                format!(
                    "more than {} RECORD entries; the rest were not read",
                    sink.limits().max_record_entries
                ),
                Location::at(path, line),
            );
            break;
        }
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                sink.problem(
                    ProblemKind::Malformed,
                    format!("RECORD: {error}"),
                    Location::at(path, line),
                );
                continue;
            }
        };
        let file = row.get(0).unwrap_or_default();
        if file.is_empty() {
            sink.problem(
                ProblemKind::Malformed,
                "RECORD row without a path",
                Location::at(path, line),
            );
            continue;
        }
        let hash_text = row.get(1).unwrap_or_default();
        let hash = if hash_text.is_empty() {
            None
        } else {
            let parsed = hash_text
                .split_once('=')
                .and_then(|(algorithm, value)| base64_hash(algorithm, value, Some(file)));
            if parsed.is_none() {
                sink.problem(
                    ProblemKind::Malformed,
                    format!("RECORD hash `{hash_text}` for `{file}` is not `algorithm=base64`"),
                    Location::at(path, line),
                );
            }
            parsed
        };
        let size_text = row.get(2).unwrap_or_default();
        let size = size_text.parse().ok();
        if size.is_none() && !size_text.is_empty() {
            sink.problem(
                ProblemKind::Malformed,
                format!("RECORD size `{size_text}` for `{file}` is not a number"),
                Location::at(path, line),
            );
        }
        entries.push(RecordEntry {
            path: file.to_owned(),
            hash,
            size,
        });
    }
    entries
}

/// PEP 610 `direct_url.json`.
#[derive(Deserialize)]
struct DirectUrl {
    url: String,
    vcs_info: Option<VcsInfo>,
    dir_info: Option<DirInfo>,
}

#[derive(Deserialize)]
struct VcsInfo {
    vcs: String,
    requested_revision: Option<String>,
    commit_id: Option<String>,
}

#[derive(Deserialize)]
struct DirInfo {
    #[serde(default)]
    editable: bool,
}

impl DirectUrl {
    fn source(self) -> Source {
        if let Some(vcs) = self.vcs_info {
            let prefixed = format!("{}+{}", vcs.vcs, self.url);
            return match vcs_source(&prefixed, false) {
                Source::Vcs { url, .. } => Source::Vcs {
                    url,
                    reference: vcs.requested_revision,
                    commit: vcs.commit_id,
                    editable: false,
                },
                other => other,
            };
        }
        if let Some(dir) = self.dir_info {
            let path = self
                .url
                .strip_prefix("file://")
                .unwrap_or(&self.url)
                .to_owned();
            return Source::Path {
                path,
                editable: dir.editable,
            };
        }
        match self.url.strip_prefix("file://") {
            Some(path) => Source::Path {
                path: path.to_owned(),
                editable: false,
            },
            None => Source::Url { url: self.url },
        }
    }
}
