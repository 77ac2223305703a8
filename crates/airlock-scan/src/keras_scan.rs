//! Keras models: `.keras` archives (`config.json` next to `metadata.json`) and HDF5
//! `.h5` files (the root attribute `model_config`), their configs graded by the KER
//! rules; HDF5 structure problems by the HDF rules.

use std::io::{self, Cursor, Read, Seek};

use airlock_core::{ByteName, Finding, Location, rules};
use airlock_formats::hdf5::{self, AttrValue, H5Report};
use airlock_formats::keras::{self, ConfigError, HitKind, KerasReport, LambdaLayout};
use airlock_formats::{FormatError, LimitKind};

use crate::scanner::{Layer, Scanner, read_error};
use crate::zip_scan;
use crate::zip_scan::Parent;

/// Root attributes of an `.h5` that hold Keras configs.
const CONFIG_ATTRIBUTES: &[&str] = &["model_config", "training_config"];

/// Where a config came from, which decides the extra `.h5` note.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    Archive,
    Hdf5,
    /// A config outside any Keras container (`keras_metadata.pb`, a `config.json` on disk).
    Standalone,
}

/// Grades a Keras config that sits outside a `.keras` archive or an `.h5` file: a tf-keras
/// `keras_metadata.pb` object (`claimed`: the container says it is Keras) or a
/// `config.json` on disk (Keras-Hub presets ship one), analysed only if it looks like a
/// Keras config.
pub(crate) fn scan_config(
    scanner: &Scanner,
    json: &[u8],
    source: &str,
    location: &Location,
    claimed: bool,
    out: &mut Vec<Finding>,
) {
    let analysis = keras::analyze_config(json, &scanner.limits);
    if claimed || analysis.is_keras() {
        config_findings(
            &analysis,
            source,
            Container::Standalone,
            location,
            claimed,
            out,
        );
    }
}

/// Scans an HDF5 layer: a whole file is read again with random access; a nested layer is
/// buffered up to `max_buffered_bytes` and read as a prefix past that.
pub(crate) fn scan_hdf5(
    scanner: &Scanner,
    stream: &mut Layer<'_>,
    location: &Location,
    out: &mut Vec<Finding>,
) {
    if let Some(whole) = stream.whole_file() {
        let opened = whole.and_then(|mut source| {
            let len = source.seek(io::SeekFrom::End(0))?;
            Ok((source, len))
        });
        match opened {
            Ok((mut source, len)) => {
                let report = hdf5::read_root_attributes(&mut source, len, false, &scanner.limits);
                hdf5_findings(scanner, &report, location, out);
            }
            Err(error) => out.push(read_error(location, &error)),
        }
        return;
    }
    let cap = scanner.limits.max_buffered_bytes;
    let mut buffer = Vec::new();
    let mut reader = stream.reader();
    if let Err(error) = (&mut reader).take(cap).read_to_end(&mut buffer) {
        out.push(read_error(location, &error));
        return;
    }
    // One byte more says whether the layer goes on past the buffer.
    let mut probe = [0u8; 1];
    let partial = match reader.read(&mut probe) {
        Ok(n) => n > 0,
        Err(error) => {
            out.push(read_error(location, &error));
            return;
        }
    };
    let len = buffer.len() as u64;
    let report =
        hdf5::read_root_attributes(&mut Cursor::new(buffer), len, partial, &scanner.limits);
    hdf5_findings(scanner, &report, location, out);
}

fn hdf5_findings(
    scanner: &Scanner,
    report: &H5Report,
    location: &Location,
    out: &mut Vec<Finding>,
) {
    for anomaly in &report.anomalies {
        out.push(Finding::new(
            &rules::HDF501_HDF5_MALFORMED,
            location.at(Some(anomaly.offset), None),
            anomaly.what.clone(),
        ));
    }
    if let Some(stop) = &report.stopped {
        let (rule, what) = match stop {
            FormatError::LimitExceeded {
                limit: LimitKind::KerasConfigBytes,
                ..
            } => (
                &rules::KER901_KERAS_CONFIG_LIMIT,
                "HDF5 root attributes were not all read",
            ),
            FormatError::LimitExceeded { .. } => (
                &rules::HDF901_HDF5_LIMIT,
                "HDF5 root attributes were not all read",
            ),
            FormatError::Io { .. } => (&rules::SCN501_FILE_UNREADABLE, "HDF5 read failed"),
            _ => (&rules::HDF501_HDF5_MALFORMED, "HDF5 structure is malformed"),
        };
        out.push(Finding::new(
            rule,
            location.at(Some(stop.offset()), None),
            format!("{what}: {stop}"),
        ));
    }
    if report.dense_attributes {
        out.push(Finding::new(
            &rules::HDF201_HDF5_DENSE_ATTRIBUTES,
            location.clone(),
            "the root group keeps attributes in dense storage (fractal heap) that were not all read",
        ));
    }
    for attribute in &report.attributes {
        if !CONFIG_ATTRIBUTES.contains(&attribute.name.as_str()) {
            continue;
        }
        match &attribute.value {
            Ok(AttrValue::Strings(values)) => {
                for value in values {
                    let analysis = keras::analyze_config(value, &scanner.limits);
                    config_findings(
                        &analysis,
                        &attribute.name,
                        Container::Hdf5,
                        location,
                        true,
                        out,
                    );
                }
            }
            Ok(AttrValue::Other { class, .. }) => out.push(Finding::new(
                &rules::KER501_KERAS_CONFIG_MALFORMED,
                location.clone(),
                format!(
                    "root attribute `{}` is of HDF5 class {class}, not a string",
                    attribute.name
                ),
            )),
            Err(reason) => out.push(Finding::new(
                &rules::HDF501_HDF5_MALFORMED,
                location.clone(),
                format!(
                    "root attribute `{}` could not be read: {reason}",
                    attribute.name
                ),
            )),
        }
    }
}

/// The Keras members of one zip archive seen by the forward walk.
#[derive(Default)]
pub(crate) struct Archive {
    keras_version: Option<String>,
    config: Option<Buffered>,
}

struct Buffered {
    bytes: Vec<u8>,
    /// The member was longer than `max_keras_config_bytes`.
    over: Option<u64>,
    /// Reading it failed; the walk reports why.
    failed: bool,
}

impl Archive {
    /// Whether a member is one this module reads before the generic scan.
    pub(crate) fn wants(name: &[u8]) -> bool {
        name == b"config.json" || name == b"metadata.json"
    }

    /// Buffers a root `config.json` or `metadata.json`, then hands the member to the
    /// generic member scan unchanged.
    pub(crate) fn member(
        &mut self,
        parent: Parent<'_>,
        name: &[u8],
        data: &mut dyn Read,
        out: &mut Vec<Finding>,
    ) {
        let scanner = parent.scanner;
        let cap = scanner.limits.max_keras_config_bytes;
        let mut bytes = Vec::new();
        let failed = (&mut *data).take(cap).read_to_end(&mut bytes).is_err();
        let mut probe = [0u8; 1];
        let over = match failed {
            false => match data.read(&mut probe) {
                Ok(n) if n > 0 => Some(cap),
                _ => None,
            },
            true => None,
        };
        let mut rest = Cursor::new(&bytes[..])
            .chain(Cursor::new(if over.is_some() {
                &probe[..]
            } else {
                &[][..]
            }))
            .chain(data);
        zip_scan::scan_member(parent, name, &mut rest, out);
        if name == b"metadata.json" {
            if !failed && over.is_none() {
                self.keras_version = keras::keras_version(&bytes, &scanner.limits);
            }
        } else {
            self.config = Some(Buffered {
                bytes,
                over,
                failed,
            });
        }
    }

    /// Analyses the archive's `config.json` once the walk is over (the archive is a
    /// Keras archive if `metadata.json` names a Keras version or the config has a
    /// top-level `class_name`).
    pub(crate) fn finish(self, scanner: &Scanner, location: &Location, out: &mut Vec<Finding>) {
        let Some(config) = self.config else {
            return;
        };
        if config.failed {
            return;
        }
        let keras_archive = self.keras_version.is_some();
        let member = location.member(ByteName::from("config.json"));
        if let Some(cap) = config.over {
            if keras_archive {
                out.push(Finding::new(
                    &rules::KER901_KERAS_CONFIG_LIMIT,
                    member,
                    format!("Keras config.json is larger than {cap} bytes; it was not analysed"),
                ));
            }
            return;
        }
        let analysis = keras::analyze_config(&config.bytes, &scanner.limits);
        if !keras_archive && !analysis.is_keras() {
            return;
        }
        let location = location.member(ByteName::from("config.json"));
        config_findings(
            &analysis,
            "config.json",
            Container::Archive,
            &location,
            keras_archive,
            out,
        );
    }
}

/// Findings for one analysed config. `claimed` says the container says it is Keras, so
/// that a config that does not parse is worth reporting.
fn config_findings(
    report: &KerasReport,
    source: &str,
    container: Container,
    location: &Location,
    claimed: bool,
    out: &mut Vec<Finding>,
) {
    let h5_note = match container {
        Container::Hdf5 => {
            "; Keras before 3.11.3 ignores safe_mode for .h5 files (CVE-2025-9905), so this runs on load"
        }
        Container::Archive | Container::Standalone => "",
    };
    if let Some(error) = &report.error {
        let rule = match error {
            ConfigError::TooLarge { .. } => &rules::KER901_KERAS_CONFIG_LIMIT,
            _ => &rules::KER501_KERAS_CONFIG_MALFORMED,
        };
        if claimed || matches!(error, ConfigError::TooLarge { .. }) {
            out.push(Finding::new(
                rule,
                location.clone(),
                format!("Keras `{source}` was not analysed: {error}"),
            ));
        }
        return;
    }
    for hit in &report.hits {
        let at = &hit.path;
        let finding = match &hit.kind {
            HitKind::Lambda {
                layout,
                code_len,
                code,
            } => {
                let layout = match layout {
                    LambdaLayout::Keras3 => "Keras 3 `__lambda__`",
                    LambdaLayout::Keras2 => "Keras 2 `function_type: lambda`",
                };
                let evidence = match code {
                    Ok(summary) => format!(
                        "CPython {} code: {} code object(s) {:?}; names {:?}; strings {:?}{}",
                        summary.layout,
                        summary.code_objects,
                        summary.functions,
                        summary.names,
                        summary.strings,
                        if summary.truncated {
                            " (truncated)"
                        } else {
                            ""
                        }
                    ),
                    Err(reason) => format!("bytecode not decoded: {reason}"),
                };
                Finding::new(
                    &rules::KER101_KERAS_LAMBDA_CODE,
                    location.clone(),
                    format!(
                        "`{source}` at `{at}` holds a Lambda ({layout}) with {code_len} bytes of marshalled Python bytecode{h5_note}"
                    ),
                )
                .with_evidence(evidence)
            }
            HitKind::OutsideModule { module, name } => Finding::new(
                &rules::KER102_KERAS_OUTSIDE_MODULE,
                location.clone(),
                format!(
                    "`{source}` at `{at}` names `{name}` from `{module}`, outside Keras{h5_note}"
                ),
            ),
            HitKind::UnsafeDeserialization { module } => Finding::new(
                &rules::KER103_KERAS_UNSAFE_DESERIALIZATION,
                location.clone(),
                format!(
                    "`{source}` at `{at}` calls `{module}` `enable_unsafe_deserialization`, turning safe_mode off for the rest of the load{h5_note}"
                ),
            ),
            HitKind::IoFunction { module, name } => Finding::new(
                &rules::KER104_KERAS_IO_FUNCTION,
                location.clone(),
                format!(
                    "`{source}` at `{at}` names the Keras I/O function `{name}` (`{module}`){h5_note}"
                ),
            ),
            HitKind::ExternalPath { key, value, reach } => Finding::new(
                &rules::KER105_KERAS_EXTERNAL_PATH,
                location.clone(),
                format!("`{source}` at `{at}` gives `{key}` as {reach} that the loader reads"),
            )
            .with_evidence(format!("{value:?}")),
            HitKind::CustomObject { module, name } => Finding::new(
                &rules::KER201_KERAS_CUSTOM_OBJECT,
                location.clone(),
                match module {
                    Some(module) => format!(
                        "`{source}` at `{at}` needs the custom object `{name}` from `{module}`"
                    ),
                    None => format!("`{source}` at `{at}` needs the custom object `{name}`"),
                },
            ),
        };
        out.push(finding);
    }
    if report.truncated {
        out.push(Finding::new(
            &rules::KER901_KERAS_CONFIG_LIMIT,
            location.clone(),
            format!(
                "`{source}` has more than {} findings; the rest were not reported",
                keras::MAX_HITS
            ),
        ));
    }
}
