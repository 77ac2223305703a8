//! `pyproject.toml`: what the project declares.
//!
//! Read: PEP 621 `[project]` `name`, `version`, `dependencies` and `optional-dependencies`;
//! PEP 735 `[dependency-groups]`; Poetry `[tool.poetry]` `dependencies`,
//! `dev-dependencies`, `group.<name>.dependencies` (constraints such as `^1.2` and `~1.2`
//! kept as text; a bare version is Poetry's exact pin) and `[[tool.poetry.source]]`; uv
//! `[tool.uv.sources]` (applied to the matching dependencies), `[[tool.uv.index]]`,
//! `index-url`, `extra-index-url` and `dev-dependencies`.
//!
//! Not read: build-system requirements, `include-group` expansion (each group's own entries
//! are listed under that group), uv override/constraint dependencies, Poetry `python`.
//!
//! Security: parsed with `toml` into fixed structs; requirement strings go through
//! `pep508_rs` with markers kept as text (see `names::parse_requirement`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::manifest::requirements::from_requirement;
use crate::model::{
    Dependency, Ecosystem, IndexKind, IndexUrl, Location, Manifest, ManifestKind, ProblemKind,
    Project, Source,
};
use crate::names::{self, LineIndex};
use crate::{DepsError, Limits, Sink};

#[derive(Deserialize)]
struct Pyproject {
    project: Option<ProjectTable>,
    #[serde(rename = "dependency-groups")]
    dependency_groups: Option<BTreeMap<String, Vec<Spanned<toml::Value>>>>,
    tool: Option<Tool>,
}

#[derive(Deserialize)]
struct ProjectTable {
    name: Option<String>,
    version: Option<String>,
    dependencies: Option<Vec<Spanned<String>>>,
    #[serde(rename = "optional-dependencies")]
    optional_dependencies: Option<BTreeMap<String, Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
struct Tool {
    poetry: Option<Poetry>,
    uv: Option<Uv>,
}

#[derive(Deserialize)]
struct Poetry {
    name: Option<String>,
    version: Option<String>,
    dependencies: Option<BTreeMap<String, Spanned<toml::Value>>>,
    #[serde(rename = "dev-dependencies")]
    dev_dependencies: Option<BTreeMap<String, Spanned<toml::Value>>>,
    group: Option<BTreeMap<String, PoetryGroup>>,
    source: Option<Vec<Spanned<PoetrySource>>>,
}

#[derive(Deserialize)]
struct PoetryGroup {
    dependencies: Option<BTreeMap<String, Spanned<toml::Value>>>,
}

#[derive(Deserialize)]
struct PoetrySource {
    name: Option<String>,
    url: Option<String>,
    priority: Option<String>,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    secondary: bool,
}

#[derive(Deserialize)]
struct Uv {
    sources: Option<BTreeMap<String, toml::Value>>,
    index: Option<Vec<Spanned<UvIndex>>>,
    #[serde(rename = "index-url")]
    index_url: Option<Spanned<String>>,
    #[serde(rename = "extra-index-url")]
    extra_index_url: Option<Vec<Spanned<String>>>,
    #[serde(rename = "dev-dependencies")]
    dev_dependencies: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
struct UvIndex {
    name: Option<String>,
    url: Option<String>,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    explicit: bool,
}

/// Parse a `pyproject.toml`.
pub fn parse(path: &Path, text: &str, limits: &Limits) -> Result<Manifest, DepsError> {
    let document: Pyproject =
        toml::from_str(text).map_err(|e| crate::toml_error(path, text, &e))?;
    let lines = LineIndex::new(text);
    let at = |offset: usize| Location::at(path, lines.line(offset));
    let mut sink = Sink::new(path, ManifestKind::Pyproject, limits);
    let tool = document.tool;
    let (poetry, uv) = match tool {
        Some(tool) => (tool.poetry, tool.uv),
        None => (None, None),
    };

    if let Some(project) = document.project {
        if let Some(name) = project.name {
            sink.manifest.project = Some(Project {
                name,
                version: project.version,
            });
        }
        for requirement in project.dependencies.unwrap_or_default() {
            pep508(&mut sink, &requirement, &at, &[], false, false);
        }
        for (extra, requirements) in project.optional_dependencies.unwrap_or_default() {
            for requirement in requirements {
                pep508(
                    &mut sink,
                    &requirement,
                    &at,
                    std::slice::from_ref(&extra),
                    false,
                    true,
                );
            }
        }
    }
    for (group, entries) in document.dependency_groups.unwrap_or_default() {
        for entry in entries {
            match entry.get_ref() {
                toml::Value::String(text) => {
                    let spanned = Spanned::new(entry.span(), text.clone());
                    pep508(&mut sink, &spanned, &at, std::slice::from_ref(&group), true, false);
                }
                toml::Value::Table(table) if table.contains_key("include-group") => {}
                _ => sink.problem(
                    ProblemKind::Malformed,
                    format!("dependency group `{group}` entry is neither a requirement nor an include-group"),
                    at(entry.span().start),
                ),
            }
        }
    }

    if let Some(poetry) = poetry {
        if sink.manifest.project.is_none()
            && let Some(name) = poetry.name
        {
            sink.manifest.project = Some(Project {
                name,
                version: poetry.version,
            });
        }
        for (name, value) in poetry.dependencies.unwrap_or_default() {
            poetry_dependency(&mut sink, &name, &value, &at, None);
        }
        for (name, value) in poetry.dev_dependencies.unwrap_or_default() {
            poetry_dependency(&mut sink, &name, &value, &at, Some("dev"));
        }
        for (group, table) in poetry.group.unwrap_or_default() {
            for (name, value) in table.dependencies.unwrap_or_default() {
                poetry_dependency(&mut sink, &name, &value, &at, Some(&group));
            }
        }
        for source in poetry.source.unwrap_or_default() {
            let location = at(source.span().start);
            let source = source.into_inner();
            let Some(url) = source.url else { continue };
            let kind = match source.priority.as_deref() {
                Some("primary") | Some("default") => IndexKind::Primary,
                Some("explicit") => IndexKind::Explicit,
                Some(_) => IndexKind::Extra,
                None if source.default => IndexKind::Primary,
                None if source.secondary => IndexKind::Extra,
                None => IndexKind::Primary,
            };
            sink.manifest.index_urls.push(IndexUrl {
                url,
                kind,
                name: source.name,
                location,
            });
        }
    }

    if let Some(uv) = uv {
        for requirement in uv.dev_dependencies.unwrap_or_default() {
            pep508(
                &mut sink,
                &requirement,
                &at,
                &["dev".to_owned()],
                true,
                false,
            );
        }
        let mut index_names = BTreeMap::new();
        for index in uv.index.unwrap_or_default() {
            let location = at(index.span().start);
            let index = index.into_inner();
            let Some(url) = index.url else { continue };
            if let Some(name) = &index.name {
                index_names.insert(name.clone(), url.clone());
            }
            let kind = if index.explicit {
                IndexKind::Explicit
            } else if index.default {
                IndexKind::Primary
            } else {
                IndexKind::Extra
            };
            sink.manifest.index_urls.push(IndexUrl {
                url,
                kind,
                name: index.name,
                location,
            });
        }
        if let Some(url) = uv.index_url {
            let location = at(url.span().start);
            sink.manifest.index_urls.push(IndexUrl {
                url: url.into_inner(),
                kind: IndexKind::Primary,
                name: None,
                location,
            });
        }
        for url in uv.extra_index_url.unwrap_or_default() {
            let location = at(url.span().start);
            sink.manifest.index_urls.push(IndexUrl {
                url: url.into_inner(),
                kind: IndexKind::Extra,
                name: None,
                location,
            });
        }
        let sources: HashMap<String, Source> = uv
            .sources
            .unwrap_or_default()
            .iter()
            .filter_map(|(name, value)| {
                Some((
                    names::normalize_pypi_name(name),
                    uv_source(value, &index_names)?,
                ))
            })
            .collect();
        for dependency in &mut sink.manifest.dependencies {
            if let Some(source) = sources.get(&dependency.normalized_name) {
                dependency.source = source.clone();
            }
        }
    }
    sink.manifest.dependencies.sort_by_key(|d| d.location.line);
    Ok(sink.finish())
}

fn pep508(
    sink: &mut Sink,
    requirement: &Spanned<String>,
    at: &dyn Fn(usize) -> Location,
    groups: &[String],
    dev: bool,
    optional: bool,
) {
    let location = at(requirement.span().start);
    match names::parse_requirement(requirement.get_ref()) {
        Ok(parsed) => {
            let mut dependency = from_requirement(sink, parsed, &location);
            dependency.direct = Some(true);
            dependency.groups = groups.to_vec();
            dependency.dev = dev;
            dependency.optional = optional;
            sink.dependency(dependency);
        }
        Err(message) => sink.problem(
            ProblemKind::Malformed,
            format!(
                "`{}` is not a valid requirement: {message}",
                requirement.get_ref()
            ),
            location,
        ),
    }
}

/// A Poetry dependency: a constraint string, a table, or a list of tables (one per marker).
fn poetry_dependency(
    sink: &mut Sink,
    name: &str,
    value: &Spanned<toml::Value>,
    at: &dyn Fn(usize) -> Location,
    group: Option<&str>,
) {
    if name.eq_ignore_ascii_case("python") {
        return;
    }
    let location = at(value.span().start);
    let entries: Vec<&toml::Value> = match value.get_ref() {
        toml::Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for entry in entries {
        let mut dependency = Dependency::new(Ecosystem::PyPI, name, location.clone());
        dependency.direct = Some(true);
        if let Some(group) = group.filter(|g| *g != "main") {
            dependency.groups = vec![group.to_owned()];
            dependency.dev = true;
        }
        match entry {
            toml::Value::String(constraint) => {
                set_poetry_constraint(sink, &mut dependency, constraint)
            }
            toml::Value::Table(table) => {
                let text = |key: &str| {
                    table
                        .get(key)
                        .and_then(toml::Value::as_str)
                        .map(str::to_owned)
                };
                if let Some(constraint) = text("version") {
                    set_poetry_constraint(sink, &mut dependency, &constraint);
                }
                dependency.optional = table
                    .get("optional")
                    .and_then(toml::Value::as_bool)
                    .unwrap_or(false);
                dependency.marker = text("markers");
                if let Some(extras) = table.get("extras").and_then(toml::Value::as_array) {
                    dependency.extras = extras
                        .iter()
                        .filter_map(|e| e.as_str().map(str::to_owned))
                        .collect();
                }
                let develop = table
                    .get("develop")
                    .and_then(toml::Value::as_bool)
                    .unwrap_or(false);
                if let Some(git) = text("git") {
                    dependency.source = Source::Vcs {
                        url: git,
                        reference: text("rev")
                            .or_else(|| text("tag"))
                            .or_else(|| text("branch")),
                        commit: None,
                        editable: develop,
                    };
                } else if let Some(path) = text("path") {
                    dependency.source = Source::Path {
                        path,
                        editable: develop,
                    };
                } else if let Some(url) = text("url") {
                    dependency.source = Source::Url { url };
                } else if let Some(source) = text("source") {
                    dependency.source = Source::Registry { url: Some(source) };
                }
            }
            _ => {
                sink.problem(
                    ProblemKind::Malformed,
                    format!("Poetry dependency `{name}` is neither a constraint nor a table"),
                    location.clone(),
                );
                continue;
            }
        }
        if !sink.dependency(dependency) {
            return;
        }
    }
}

/// Keep a Poetry constraint as text; a bare version or `==V` is an exact pin.
fn set_poetry_constraint(sink: &mut Sink, dependency: &mut Dependency, constraint: &str) {
    let constraint = constraint.trim();
    dependency.requirement = Some(constraint.to_owned());
    let exact = constraint.strip_prefix("==").map(str::trim).or_else(|| {
        constraint
            .starts_with(|c: char| c.is_ascii_digit())
            .then_some(constraint)
    });
    if let Some(version) = exact
        && !version.contains([',', '*', ' ', '|'])
    {
        sink.check_pep440(&dependency.name, version, &dependency.location);
        dependency.version = Some(version.to_owned());
    }
}

/// The source a `[tool.uv.sources]` entry names, if any.
fn uv_source(value: &toml::Value, index_names: &BTreeMap<String, String>) -> Option<Source> {
    let table = match value {
        toml::Value::Table(table) => table,
        // Several sources split by marker: the first stands for all (each is a non-index
        // source or a named index, which is what consumers need to know).
        toml::Value::Array(items) => items.first().and_then(toml::Value::as_table)?,
        _ => return None,
    };
    let text = |key: &str| {
        table
            .get(key)
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
    };
    let editable = table
        .get("editable")
        .and_then(toml::Value::as_bool)
        .unwrap_or(false);
    let source = if let Some(git) = text("git") {
        Source::Vcs {
            url: git,
            reference: text("rev")
                .or_else(|| text("tag"))
                .or_else(|| text("branch")),
            commit: None,
            editable: false,
        }
    } else if let Some(path) = text("path") {
        Source::Path { path, editable }
    } else if let Some(url) = text("url") {
        Source::Url { url }
    } else if let Some(index) = text("index") {
        Source::Registry {
            url: Some(index_names.get(&index).cloned().unwrap_or(index)),
        }
    } else if table.get("workspace").and_then(toml::Value::as_bool) == Some(true) {
        Source::Workspace
    } else {
        return None;
    };
    Some(source)
}
