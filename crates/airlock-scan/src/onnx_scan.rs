//! ONNX models: external-data paths checked lexically, and against the model's
//! directory when the model is a file on disk; custom operator domains; malformed wire data.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};

use airlock_core::{Finding, Location, rules};
use airlock_formats::FormatError;
use airlock_formats::onnx::{self, ExternalRef};

use crate::scanner::{Layer, Scanner};

pub(crate) fn scan_onnx(
    scanner: &Scanner,
    stream: &mut Layer<'_>,
    location: &Location,
    out: &mut Vec<Finding>,
) {
    let disk = stream.file();
    let report = onnx::read_model(stream.reader(), &scanner.limits);
    custom_domains(&report, location, out);
    let dir = disk.and_then(Path::parent);
    let mut seen = HashSet::new();
    for ext in report.external.iter().filter(|e| e.external) {
        external(ext, dir, location, &mut seen, out);
    }
    if let Some(stop) = &report.stopped {
        let rule = match stop {
            FormatError::LimitExceeded { .. } => &rules::ONX901_ONNX_LIMIT,
            FormatError::Io { .. } => &rules::SCN501_FILE_UNREADABLE,
            _ => &rules::ONX501_ONNX_MALFORMED,
        };
        out.push(Finding::new(
            rule,
            location.at(Some(stop.offset()), None),
            format!("ONNX model could not be read to the end: {stop}"),
        ));
    }
}

/// One ONX201 per custom domain, with its ops and up to 8 places.
fn custom_domains(report: &onnx::OnnxReport, location: &Location, out: &mut Vec<Finding>) {
    let functions: HashSet<(&str, &str)> = report
        .functions
        .iter()
        .map(|(d, n)| (d.as_str(), n.as_str()))
        .collect();
    let mut by_domain: BTreeMap<&str, (BTreeSet<&str>, Vec<&str>, u64)> = BTreeMap::new();
    for node in &report.custom_nodes {
        if functions.contains(&(node.domain.as_str(), node.op_type.as_str())) {
            continue;
        }
        let entry = by_domain
            .entry(node.domain.as_str())
            .or_insert_with(|| (BTreeSet::new(), Vec::new(), node.offset));
        entry.0.insert(node.op_type.as_str());
        entry.1.push(node.place.as_str());
    }
    for (domain, (ops, places, offset)) in by_domain {
        let ops: Vec<&str> = ops.into_iter().collect();
        let shown: Vec<&str> = places.iter().take(8).copied().collect();
        let more = places.len().saturating_sub(shown.len());
        let mut evidence = shown.join("; ");
        if more > 0 {
            evidence.push_str(&format!("; and {more} more"));
        }
        out.push(
            Finding::new(
                &rules::ONX201_ONNX_CUSTOM_OP_DOMAIN,
                location.at(Some(offset), None),
                format!(
                    "{} node(s) in custom domain {domain:?} need a user-registered op library: {}",
                    places.len(),
                    ops.join(", ")
                ),
            )
            .with_evidence(evidence),
        );
    }
}

fn external(
    ext: &ExternalRef,
    dir: Option<&Path>,
    location: &Location,
    seen: &mut HashSet<(&'static str, Vec<u8>)>,
    out: &mut Vec<Finding>,
) {
    let at = location.at(Some(ext.offset_in_model), None);
    let shown = ext.location.text();
    let kind = if ext.sparse {
        "sparse tensor external data"
    } else {
        "external data"
    };
    if ext.location.bytes.is_empty() {
        out.push(Finding::new(
            &rules::ONX501_ONNX_MALFORMED,
            at,
            format!("{}: {kind} has no `location`", ext.place),
        ));
        return;
    }
    if let Some(problem) = onnx::check_location(&ext.location.bytes) {
        out.push(
            Finding::new(
                &rules::ONX101_ONNX_EXTERNAL_DATA_PATH_ESCAPE,
                at,
                format!("{}: {kind} location {shown:?} {problem}", ext.place),
            )
            .with_evidence(format!("location {shown:?}")),
        );
        return;
    }
    let parse = |what: &str, value: &Option<String>| -> Result<Option<u64>, String> {
        match value {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("{what} {v:?} is not a non-negative integer")),
        }
    };
    let (offset, length) = match (parse("offset", &ext.offset), parse("length", &ext.length)) {
        (Ok(o), Ok(l)) => (o, l),
        (Err(e), _) | (_, Err(e)) => {
            out.push(Finding::new(
                &rules::ONX501_ONNX_MALFORMED,
                at,
                format!("{}: {kind} {e}", ext.place),
            ));
            return;
        }
    };
    let Some(dir) = dir else { return };
    let Some(target) = lexical_join(dir, &ext.location.bytes) else {
        return;
    };
    let key = |rule: &'static str| (rule, ext.location.bytes.clone());
    // A symlink anywhere from the model's directory down to the file.
    let mut walk = dir.to_path_buf();
    let relative = target.strip_prefix(dir).unwrap_or(&target).to_path_buf();
    for part in relative.components() {
        walk.push(part);
        if let Ok(meta) = std::fs::symlink_metadata(&walk)
            && meta.file_type().is_symlink()
        {
            if seen.insert(key(rules::ONX102_ONNX_EXTERNAL_DATA_LINK.code)) {
                let pointee = std::fs::read_link(&walk)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                out.push(
                    Finding::new(
                        &rules::ONX102_ONNX_EXTERNAL_DATA_LINK,
                        at,
                        format!(
                            "{}: {kind} location {shown:?} goes through a symbolic link",
                            ext.place
                        ),
                    )
                    .with_evidence(format!("{} -> {pointee}", walk.display())),
                );
            }
            return;
        }
    }
    let meta = match std::fs::metadata(&target) {
        Ok(meta) if meta.is_file() => meta,
        _ => {
            if seen.insert(key(rules::ONX202_ONNX_EXTERNAL_DATA_MISSING.code)) {
                out.push(Finding::new(
                    &rules::ONX202_ONNX_EXTERNAL_DATA_MISSING,
                    at,
                    format!(
                        "{}: {kind} file {shown:?} is not a regular file beside the model",
                        ext.place
                    ),
                ));
            }
            return;
        }
    };
    if links(&meta) > 1 && seen.insert(key(rules::ONX102_ONNX_EXTERNAL_DATA_LINK.code)) {
        out.push(Finding::new(
            &rules::ONX102_ONNX_EXTERNAL_DATA_LINK,
            at.clone(),
            format!(
                "{}: {kind} file {shown:?} has {} hard links: it may be another file on this machine",
                ext.place,
                links(&meta)
            ),
        ));
    }
    let size = meta.len();
    let offset = offset.unwrap_or(0);
    let end = length.map(|l| offset.checked_add(l));
    let past =
        offset > size || matches!(end, Some(None)) || matches!(end, Some(Some(e)) if e > size);
    if past {
        out.push(Finding::new(
            &rules::ONX502_ONNX_EXTERNAL_DATA_OUT_OF_RANGE,
            at,
            format!(
                "{}: {kind} range offset {offset} length {} runs past {shown:?} ({size} bytes)",
                ext.place,
                length.map_or("(rest)".to_owned(), |l| l.to_string())
            ),
        ));
    }
}

/// `dir` joined with a location that [`onnx::check_location`] accepted, `.`/`..` resolved.
fn lexical_join(dir: &Path, location: &[u8]) -> Option<PathBuf> {
    let text = std::str::from_utf8(location).ok()?;
    let mut out = dir.to_path_buf();
    let mut depth = 0usize;
    for part in text.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if depth == 0 {
                    return None;
                }
                out.pop();
                depth -= 1;
            }
            name => {
                if Path::new(name)
                    .components()
                    .any(|c| !matches!(c, Component::Normal(_)))
                {
                    return None;
                }
                out.push(name);
                depth += 1;
            }
        }
    }
    Some(out)
}

#[cfg(unix)]
fn links(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(meta)
}

#[cfg(not(unix))]
fn links(_meta: &std::fs::Metadata) -> u64 {
    1
}
