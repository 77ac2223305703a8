//! conda `environment.yml` / `environment.yaml`.
//!
//! Read: `channels` (as [`IndexKind::Channel`] indexes) and `dependencies`: each conda
//! MatchSpec string becomes a [`Ecosystem::Conda`] dependency (`channel::name`, `name=1.2`,
//! `name==1.2`, `name>=1.2`, `name=1.2=build`; only `==V` and `=V=build` are exact pins,
//! since conda's `=1.2` means `1.2.*`), and the nested `- pip:` list is read line by line as a
//! requirements file ([`Ecosystem::PyPI`]), `-r` includes and index options included.
//!
//! Not read: `prefix`, `variables`, conda selectors in comments. Non-string entries are
//! problems.
//!
//! Security: YAML is read with `serde-saphyr`, a pure-Rust, panic-free parser, with a
//! [`serde_saphyr::Budget`] that caps aliases, anchors, alias replay, nesting depth, events and
//! scalar bytes, so alias bombs and deep nesting stop early. Every scalar is kept as a
//! string: an unquoted `1.10` is never read as the float `1.1`.

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::manifest::requirements::Reader;
use crate::model::{
    Dependency, Ecosystem, IndexKind, IndexUrl, Location, Manifest, ManifestKind, ProblemKind,
    Project, Source,
};
use crate::{DepsError, Limits, Sink};

#[derive(Deserialize)]
struct Environment {
    name: Option<String>,
    #[serde(default)]
    channels: Vec<Spanned<String>>,
    #[serde(default)]
    dependencies: Vec<Spanned<Entry>>,
}

/// One `dependencies` entry: a MatchSpec string, a `pip:` list, or something else.
///
/// Deserialized by hand rather than `#[serde(untagged)]`: untagged enums buffer scalars, which
/// turns an unquoted `1.10` into the float `1.1` and drops positions.
enum Entry {
    Spec(String),
    Pip(Vec<Spanned<String>>),
    Other,
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> serde::de::Visitor<'de> for EntryVisitor {
            type Value = Entry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a package spec or a `pip:` list")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Entry, E> {
                Ok(Entry::Spec(value.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entry, A::Error> {
                let mut entry = Entry::Other;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "pip" && matches!(entry, Entry::Other) {
                        entry = Entry::Pip(map.next_value()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        entry = Entry::Other;
                    }
                }
                Ok(entry)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Entry, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Entry::Other)
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Entry, E> {
                Ok(Entry::Other)
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Entry, E> {
                Ok(Entry::Other)
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Entry, E> {
                Ok(Entry::Other)
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Entry, E> {
                Ok(Entry::Other)
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Entry, E> {
                Ok(Entry::Other)
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_depth = 32;
    budget.max_events = 2_000_000;
    budget.max_nodes = 1_000_000;
    budget.max_documents = 1;
    budget.max_inclusion_depth = 0;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = 100_000;
    options.alias_limits.max_replay_stack_depth = 16;
    options.alias_limits.max_alias_expansions_per_anchor = 100;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    options
}

/// Parse an `environment.yml`; with `follow_includes`, `-r` files in the `pip:` list are read.
pub fn parse(
    path: &Path,
    text: &str,
    limits: &Limits,
    follow_includes: bool,
) -> Result<Manifest, DepsError> {
    let environment: Environment =
        serde_saphyr::from_str_with_options(text, options()).map_err(|e| DepsError::Syntax {
            path: path.to_path_buf(),
            line: e.location().and_then(|l| u32::try_from(l.line()).ok()),
            message: e.to_string().lines().next().unwrap_or_default().to_owned(),
        })?;
    let mut sink = Sink::new(path, ManifestKind::CondaEnvironment, limits);
    let at = |location: &serde_saphyr::Location| {
        Location::at(path, u32::try_from(location.line()).unwrap_or(0))
    };
    if let Some(name) = environment.name {
        sink.manifest.project = Some(Project {
            name,
            version: None,
        });
    }
    for channel in &environment.channels {
        sink.manifest.index_urls.push(IndexUrl {
            url: channel.value.clone(),
            kind: IndexKind::Channel,
            name: None,
            location: at(&channel.referenced),
        });
    }
    let mut reader = Reader::new(path, follow_includes);
    for entry in &environment.dependencies {
        let location = at(&entry.referenced);
        match &entry.value {
            Entry::Spec(spec) => {
                if let Some(dependency) = match_spec(&mut sink, spec, &location)
                    && !sink.dependency(dependency)
                {
                    break;
                }
            }
            Entry::Pip(pip) => {
                for line in pip {
                    reader.line(
                        &mut sink,
                        path,
                        at(&line.referenced),
                        line.value.trim(),
                        false,
                        0,
                    );
                }
            }
            Entry::Other => sink.problem(
                ProblemKind::Malformed,
                "dependency entry is neither a package spec nor a `pip:` list",
                location,
            ),
        }
    }
    reader.finish(&mut sink);
    Ok(sink.finish())
}

/// One conda MatchSpec (`channel::name[version[=build]]`, `name op version`).
fn match_spec(sink: &mut Sink, spec: &str, location: &Location) -> Option<Dependency> {
    let spec = spec.split('#').next().unwrap_or_default().trim();
    let (channel, rest) = match spec.split_once("::") {
        Some((channel, rest)) => (Some(channel.trim()), rest.trim()),
        None => (None, spec),
    };
    let name_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(rest.len());
    let (name, constraint) = rest.split_at(name_end);
    let constraint = constraint.trim();
    if name.is_empty() || constraint.starts_with('[') {
        sink.problem(
            ProblemKind::Unsupported,
            format!("conda spec `{spec}` is not in a form this reader understands"),
            location.clone(),
        );
        return None;
    }
    let mut dependency = Dependency::new(Ecosystem::Conda, name, location.clone());
    dependency.direct = Some(true);
    if let Some(channel) = channel {
        dependency.source = Source::Registry {
            url: Some(channel.to_owned()),
        };
    }
    if !constraint.is_empty() {
        dependency.requirement = Some(constraint.to_owned());
        let exact = if let Some(version) = constraint.strip_prefix("==") {
            Some(version.trim())
        } else if let Some(rest) = constraint.strip_prefix('=')
            && let Some((version, _build)) = rest.split_once('=')
        {
            Some(version.trim())
        } else {
            None
        };
        dependency.version = exact
            .filter(|v| !v.is_empty() && !v.contains(['*', ',', '|', '<', '>', ' ']))
            .map(str::to_owned);
    }
    Some(dependency)
}
