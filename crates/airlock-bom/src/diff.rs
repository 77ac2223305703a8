//! What changed between two bills of materials, whichever tool wrote them: components
//! added, removed or changed (version, digests, licences), and lineage edges added or
//! removed.
//!
//! Components are matched by kind and name (`group/name`), not by `bom-ref`: refs are each
//! tool's own. When a name appears at several versions, equal versions pair first; one
//! leftover on each side is a version change; other leftovers are additions and removals.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Bom, Component, ComponentKind, Relation};
use crate::{Error, cyclonedx, spdx};

/// A component as the diff names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Named {
    /// CycloneDX component type.
    pub kind: &'static str,
    /// `group/name`.
    pub name: String,
    /// Version (a commit for hub models).
    pub version: Option<String>,
}

/// One digest that differs: of the component itself or of a nested file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestChange {
    /// `.` for the component itself, else the nested file's name.
    pub file: String,
    /// `ALG:hex` digests before (empty when the file is new).
    pub old: Vec<String>,
    /// `ALG:hex` digests after (empty when the file is gone).
    pub new: Vec<String>,
}

/// A component present in both with some difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    /// The component before.
    pub old: Named,
    /// The component after.
    pub new: Named,
    /// Files (or the component) whose digests differ.
    pub digests: Vec<DigestChange>,
    /// Licences before and after, when they differ.
    pub licences: Option<(Vec<String>, Vec<String>)>,
}

/// A lineage or training-data edge, by component names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edge {
    /// The derived model.
    pub from: String,
    /// `fine-tune`, `adapter`, `merge`, `quantisation`, `unknown`, `trained on`, `tested on`.
    pub relation: String,
    /// The base model or dataset.
    pub to: String,
}

/// Everything that differs between two BOMs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BomDiff {
    /// Only in the new BOM.
    pub added: Vec<Named>,
    /// Only in the old BOM.
    pub removed: Vec<Named>,
    /// In both, different.
    pub changed: Vec<Changed>,
    /// Lineage edges only in the new BOM.
    pub lineage_added: Vec<Edge>,
    /// Lineage edges only in the old BOM.
    pub lineage_removed: Vec<Edge>,
}

impl BomDiff {
    /// Whether the two BOMs describe the same components and lineage.
    pub fn is_empty(&self) -> bool {
        *self == BomDiff::default()
    }
}

/// Reads a CycloneDX (1.4–1.7) or SPDX 3 JSON document, told apart by content.
pub fn read_any(text: &str) -> Result<Bom, Error> {
    let looks_like_spdx = text.contains("\"@context\"") && !text.contains("\"bomFormat\"");
    if looks_like_spdx {
        spdx::read(text)
    } else {
        cyclonedx::read(text)
    }
}

/// The differences from `old` to `new`.
pub fn diff(old: &Bom, new: &Bom) -> BomDiff {
    let mut result = BomDiff::default();
    let old_by_name = by_name(old);
    let new_by_name = by_name(new);
    let names: BTreeSet<&(ComponentKind, String)> =
        old_by_name.keys().chain(new_by_name.keys()).collect();
    for name in names {
        let mut before: Vec<&Component> = old_by_name.get(name).cloned().unwrap_or_default();
        let mut after: Vec<&Component> = new_by_name.get(name).cloned().unwrap_or_default();
        // Equal versions pair first.
        before.retain(|old_component| {
            match after
                .iter()
                .position(|new_component| new_component.version == old_component.version)
            {
                Some(index) => {
                    let new_component = after.remove(index);
                    result.changed.extend(compare(old_component, new_component));
                    false
                }
                None => true,
            }
        });
        if let ([old_component], [new_component]) = (before.as_slice(), after.as_slice()) {
            result.changed.extend(compare(old_component, new_component));
            continue;
        }
        result.removed.extend(before.into_iter().map(named));
        result.added.extend(after.into_iter().map(named));
    }
    let old_edges = edges(old);
    let new_edges = edges(new);
    result.lineage_added = new_edges.difference(&old_edges).cloned().collect();
    result.lineage_removed = old_edges.difference(&new_edges).cloned().collect();
    result.added.sort();
    result.removed.sort();
    result
}

fn by_name(bom: &Bom) -> BTreeMap<(ComponentKind, String), Vec<&Component>> {
    let mut map: BTreeMap<(ComponentKind, String), Vec<&Component>> = BTreeMap::new();
    for component in &bom.components {
        map.entry((component.kind, component.full_name()))
            .or_default()
            .push(component);
    }
    map
}

fn named(component: &Component) -> Named {
    Named {
        kind: component.kind.as_str(),
        name: component.full_name(),
        version: component.version.clone(),
    }
}

/// The differences between two matched components, if any.
fn compare(old: &Component, new: &Component) -> Option<Changed> {
    let digests = digest_changes(old, new);
    let old_licences: Vec<String> = old.licenses.iter().map(ToString::to_string).collect();
    let new_licences: Vec<String> = new.licenses.iter().map(ToString::to_string).collect();
    let licences = (old_licences != new_licences).then_some((old_licences, new_licences));
    let version_changed = old.version != new.version;
    (version_changed || licences.is_some() || !digests.is_empty()).then(|| Changed {
        old: named(old),
        new: named(new),
        digests,
        licences,
    })
}

/// Digests of the component and of each nested file, by file name, that differ.
fn digest_changes(old: &Component, new: &Component) -> Vec<DigestChange> {
    let files = |component: &Component| -> BTreeMap<String, Vec<String>> {
        let mut map = BTreeMap::new();
        if !component.hashes.is_empty() {
            map.insert(".".to_owned(), hashes(component));
        }
        for file in component
            .components
            .iter()
            .filter(|c| c.kind == ComponentKind::File)
        {
            map.insert(file.name.clone(), hashes(file));
        }
        map
    };
    let before = files(old);
    let after = files(new);
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let old = before.get(name).cloned().unwrap_or_default();
            let new = after.get(name).cloned().unwrap_or_default();
            (old != new).then(|| DigestChange {
                file: name.clone(),
                old,
                new,
            })
        })
        .collect()
}

fn hashes(component: &Component) -> Vec<String> {
    let mut out: Vec<String> = component
        .hashes
        .iter()
        .map(|hash| format!("{}:{}", hash.alg.cyclonedx_name(), hash.value))
        .collect();
    out.sort();
    out
}

/// Lineage and training-data edges, by the names of their ends.
fn edges(bom: &Bom) -> BTreeSet<Edge> {
    let name_of = |bom_ref: &str| {
        bom.component(bom_ref)
            .map(|component| match &component.version {
                Some(version) => format!("{}@{version}", component.full_name()),
                None => component.full_name(),
            })
            .unwrap_or_else(|| bom_ref.to_owned())
    };
    let mut out = BTreeSet::new();
    for dependency in &bom.dependencies {
        let relation = match dependency.relation {
            Relation::DescendantOf(derivation) => derivation.as_str(),
            Relation::TrainedOn => "trained on",
            Relation::TestedOn => "tested on",
            Relation::DependsOn => continue,
        };
        for to in &dependency.to {
            out.insert(Edge {
                from: name_of(&dependency.from),
                relation: relation.to_owned(),
                to: name_of(to),
            });
        }
    }
    out
}
