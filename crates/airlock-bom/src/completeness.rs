//! How complete each model's record is: the fields an auditor expects (where it came from,
//! at which revision, its digests, licence, base model, training data, evaluation, intended
//! use, limitations), present or missing. Works on any [`Bom`], read or assembled.

use serde::Serialize;

use crate::assemble::props;
use crate::model::{Bom, Component, ComponentKind, Relation};

/// The fields checked, in the order they are reported.
pub const FIELDS: [&str; 9] = [
    "source",
    "revision",
    "digests",
    "licence",
    "base model",
    "training data",
    "evaluation",
    "intended use",
    "limitations",
];

/// One model's record: which expected fields it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelCompleteness {
    /// The model's `bom_ref`.
    pub bom_ref: String,
    /// `org/name` or folder name.
    pub name: String,
    /// Fields present, in [`FIELDS`] order.
    pub present: Vec<&'static str>,
    /// Fields missing, in [`FIELDS`] order.
    pub missing: Vec<&'static str>,
}

impl ModelCompleteness {
    /// Present fields out of all checked, e.g. `7/9`.
    pub fn score(&self) -> String {
        format!("{}/{}", self.present.len(), FIELDS.len())
    }

    /// Source and digests are what exposure and integrity questions need first.
    pub fn lacks_source_or_digests(&self) -> bool {
        self.missing.contains(&"source") || self.missing.contains(&"digests")
    }
}

/// The completeness of every model present in the project (named-only models are left out:
/// their record is whatever the naming side says).
pub fn models(bom: &Bom) -> Vec<ModelCompleteness> {
    bom.components
        .iter()
        .filter(|c| c.kind == ComponentKind::MachineLearningModel)
        .filter(|c| c.property(props::PRESENT) != Some("false"))
        .map(|component| assess(bom, component))
        .collect()
}

fn assess(bom: &Bom, model: &Component) -> ModelCompleteness {
    let card = model.model_card.as_ref();
    let descends = bom
        .dependencies
        .iter()
        .any(|d| d.from == model.bom_ref && matches!(d.relation, Relation::DescendantOf(_)));
    let trained = bom
        .edges(&model.bom_ref, Relation::TrainedOn)
        .next()
        .is_some()
        || card.is_some_and(|card| !card.datasets.is_empty());
    let hashed_files =
        !model.components.is_empty() && model.components.iter().all(|file| !file.hashes.is_empty());
    let checks = [
        model.origin.is_some() || model.purl.is_some(),
        model.version.is_some(),
        !model.hashes.is_empty() || hashed_files,
        !model.licenses.is_empty(),
        descends,
        trained,
        card.is_some_and(|card| !card.performance_metrics.is_empty()),
        card.is_some_and(|card| !card.use_cases.is_empty()),
        card.is_some_and(|card| !card.technical_limitations.is_empty()),
    ];
    let (mut present, mut missing) = (Vec::new(), Vec::new());
    for (field, ok) in FIELDS.into_iter().zip(checks) {
        if ok {
            present.push(field);
        } else {
            missing.push(field);
        }
    }
    ModelCompleteness {
        bom_ref: model.bom_ref.clone(),
        name: model.full_name(),
        present,
        missing,
    }
}
