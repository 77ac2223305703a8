//! Several bills of materials as one: each input project becomes an application component
//! of the merged subject, components and services are kept once per `bom-ref` (the first
//! document that has one wins), and every edge is kept.

use std::collections::BTreeSet;

use crate::model::{Bom, Component, ComponentKind, Relation, Subject};

/// Merges `boms` under `subject`; the result is normalized.
pub fn merge(subject: Subject, boms: &[Bom]) -> Bom {
    let mut merged = Bom {
        subject,
        ..Bom::default()
    };
    let top = merged.subject.bom_ref();
    let mut components = BTreeSet::new();
    let mut services = BTreeSet::new();
    for bom in boms {
        let project_ref = bom.subject.bom_ref();
        if components.insert(project_ref.clone()) {
            let mut project = Component::new(ComponentKind::Application, &bom.subject.name);
            project.version = bom.subject.version.clone();
            project.description = bom.subject.description.clone();
            project.bom_ref = project_ref.clone();
            merged.components.push(project);
        }
        merged.add_edge(&top, Relation::DependsOn, &project_ref);
        for component in &bom.components {
            if components.insert(component.bom_ref.clone()) {
                merged.components.push(component.clone());
            }
        }
        for service in &bom.services {
            if services.insert(service.bom_ref.clone()) {
                merged.services.push(service.clone());
            }
        }
        merged.dependencies.extend(bom.dependencies.iter().cloned());
    }
    merged.normalize();
    merged
}
