//! The whole path on the fixture project (`tests/data/discover/project/`): discovery and
//! the dependency manifests assembled into one BOM, written as CycloneDX 1.6, 1.7 and SPDX
//! 3.0.1, each valid against the official schema and equal to its golden file; lineage and
//! completeness as the fixture's cards and code say.

mod common;

use std::path::Path;

use airlock_bom::assemble::{assemble, props};
use airlock_bom::cyclonedx::{self, SpecVersion};
use airlock_bom::discover::{DiscoverOptions, discover};
use airlock_bom::{Bom, Derivation, Relation, Subject, completeness, spdx};
use common::{assert_valid, cyclonedx_validator, shared, spdx_validator};
use serde_json::Value;

fn project_bom() -> Bom {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/discover/project");
    let inventory = discover(&root, &DiscoverOptions::default()).unwrap();
    let deps = airlock_deps::discover(&root);
    let subject = Subject {
        name: "fixture-project".into(),
        version: None,
        description: None,
    };
    let bom = assemble(&root, subject, &inventory, &deps.manifests);
    bom.check().unwrap();
    bom
}

fn cdx(bom: &Bom, spec_version: SpecVersion) -> String {
    let options = cyclonedx::WriteOptions {
        spec_version,
        timestamp: None,
    };
    cyclonedx::write(bom, &options).unwrap()
}

#[test]
fn project_bom_is_schema_valid_and_stable() {
    let bom = project_bom();
    let outputs = [
        ("project.cdx-1.6.json", cdx(&bom, SpecVersion::V1_6), "1.6"),
        ("project.cdx-1.7.json", cdx(&bom, SpecVersion::V1_7), "1.7"),
        (
            "project.spdx3.json",
            spdx::write(&bom, &spdx::WriteOptions::default()).unwrap(),
            "spdx",
        ),
    ];
    assert_eq!(
        outputs[0].1,
        cdx(&project_bom(), SpecVersion::V1_6),
        "deterministic"
    );
    for (name, text, _) in &outputs {
        common::check_golden(name, text);
    }
    let Some(shared) = shared() else { return };
    for (name, text, version) in &outputs {
        let document: Value = serde_json::from_str(text).unwrap();
        let validator = match *version {
            "spdx" => spdx_validator(&shared),
            version => cyclonedx_validator(&shared, version),
        };
        assert_valid(&validator, &document, name);
    }
}

#[test]
fn lineage_references_and_completeness_follow_the_fixture() {
    let bom = project_bom();
    let finetuned = bom
        .components
        .iter()
        .find(|c| c.property(props::PATH) == Some("models/finetuned"))
        .expect("the fine-tuned folder is a model");
    let base = bom
        .components
        .iter()
        .find(|c| c.property(props::PATH) == Some("models/base"))
        .expect("the local base folder is a model");
    let ancestors: Vec<&str> = bom
        .edges(
            &finetuned.bom_ref,
            Relation::DescendantOf(Derivation::FineTune),
        )
        .collect();
    assert!(ancestors.contains(&base.bom_ref.as_str()), "{ancestors:?}");
    let trained: Vec<&str> = bom.edges(&finetuned.bom_ref, Relation::TrainedOn).collect();
    assert!(!trained.is_empty());
    for to in trained {
        assert!(bom.component(to).is_some(), "edge to a component: {to}");
    }

    // Weight files are nested with their SHA-256.
    assert!(
        finetuned
            .components
            .iter()
            .all(|file| !file.hashes.is_empty())
    );
    // A model named in code but absent is a component, marked as not present.
    assert!(bom.components.iter().any(|c| {
        c.property(props::PRESENT) == Some("false") && c.property(props::REFERENCED_IN).is_some()
    }));
    // Hosted services, never with credentials.
    assert!(bom.services.iter().any(|s| s.name == "OpenAI API"));

    let scores = completeness::models(&bom);
    let finetuned_score = scores
        .iter()
        .find(|score| score.bom_ref == finetuned.bom_ref)
        .unwrap();
    for field in [
        "digests",
        "licence",
        "base model",
        "training data",
        "evaluation",
    ] {
        assert!(
            finetuned_score.present.contains(&field),
            "{field}: {finetuned_score:?}"
        );
    }
    assert!(
        finetuned_score.missing.contains(&"source"),
        "a local folder has no hub source"
    );
}

#[test]
fn diff_names_what_changed_between_two_boms() {
    use airlock_bom::diff::{diff, read_any};
    use airlock_bom::{Hash, HashAlg, License};
    let old = project_bom();
    assert!(diff(&old, &old).is_empty());

    // A reader's view of the same BOM, through CycloneDX and back: nothing changed.
    let text = cdx(&old, SpecVersion::V1_6);
    let read = read_any(&text).unwrap();
    assert!(diff(&old, &read).is_empty(), "{:?}", diff(&old, &read));

    let mut new = old.clone();
    let library = new
        .components
        .iter()
        .position(|c| c.kind == airlock_bom::ComponentKind::Library)
        .unwrap();
    let removed = new.components.remove(library);
    let finetuned = new
        .components
        .iter_mut()
        .find(|c| c.property(props::PATH) == Some("models/finetuned"))
        .unwrap();
    finetuned.licenses = vec![License::parse("MIT")];
    finetuned.components[0].hashes = vec![Hash::new(HashAlg::Sha256, &"ab".repeat(32)).unwrap()];
    let finetuned_ref = finetuned.bom_ref.clone();
    new.dependencies
        .retain(|d| !(d.from == finetuned_ref && d.relation == Relation::TrainedOn));

    let changes = diff(&old, &new);
    assert_eq!(changes.removed.len(), 1);
    assert_eq!(changes.removed[0].name, removed.full_name());
    assert!(changes.added.is_empty());
    let [changed] = changes.changed.as_slice() else {
        panic!("{changes:?}")
    };
    assert_eq!(changed.new.name, "finetuned");
    assert_eq!(changed.digests.len(), 1);
    assert_eq!(changed.licences.as_ref().unwrap().1, ["MIT"]);
    assert!(
        changes
            .lineage_removed
            .iter()
            .all(|edge| edge.relation == "trained on")
    );
    assert!(!changes.lineage_removed.is_empty());
}

#[test]
fn merged_boms_keep_each_project_and_every_component_once() {
    use airlock_bom::merge::merge;
    let project = project_bom();
    let mut other = project_bom();
    other.subject.name = "second-service".into();
    let merged = merge(
        Subject {
            name: "platform".into(),
            version: None,
            description: None,
        },
        &[project.clone(), other],
    );
    merged.check().unwrap();
    let applications: Vec<&str> = merged
        .components
        .iter()
        .filter(|c| c.kind == airlock_bom::ComponentKind::Application)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(applications, ["fixture-project", "second-service"]);
    assert_eq!(merged.components.len(), project.components.len() + 2);
    let platform: Vec<&str> = merged
        .edges(&merged.subject.bom_ref(), Relation::DependsOn)
        .collect();
    assert_eq!(
        platform,
        ["project:fixture-project", "project:second-service"]
    );
    let Some(shared) = shared() else { return };
    let document: Value = serde_json::from_str(&cdx(&merged, SpecVersion::V1_6)).unwrap();
    assert_valid(&cyclonedx_validator(&shared, "1.6"), &document, "merged");
}
