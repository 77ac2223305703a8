//! CycloneDX 1.6 and 1.7 JSON: writer for airlock's [`Bom`], reader for 1.4–1.7 from any tool.
//!
//! The `cyclonedx-bom` crate (0.8.1) stops at 1.5 and lacks the ML-BOM fields, so the subset
//! airlock emits is hand-written serde types. The ML-BOM part (`modelCard`, `data`) is the same
//! in 1.6 and 1.7; the writer emits no field that exists only in 1.7, so one output validates
//! against both schemas and only `specVersion` and `$schema` change.
//!
//! Where CycloneDX has no field, airlock uses namespaced properties (`airlock:...`, listed in
//! `docs/bom.md`) so that [`read()`] gets back everything [`write()`] put in: writing what was read
//! gives the same bytes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::license::License;
use crate::model::{
    Bom, Component, ComponentKind, DataInfo, DataType, Derivation, EthicalConsideration,
    ExternalRefKind, ExternalReference, Governance, Hash, HashAlg, LearningApproach, Modality,
    ModelCard, Origin, PerformanceMetric, Property, Relation, Service, Subject,
};

/// The CycloneDX version to write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SpecVersion {
    /// ECMA-424 1st edition; what most consumers read today.
    #[default]
    V1_6,
    /// 1.7; same ML-BOM content, newer consumers.
    V1_7,
}

impl SpecVersion {
    /// `"1.6"` or `"1.7"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_6 => "1.6",
            Self::V1_7 => "1.7",
        }
    }
}

/// Choices for [`write()`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Spec version (1.6 by default).
    pub spec_version: SpecVersion,
    /// `metadata.timestamp` (RFC 3339); off by default so output depends only on content.
    pub timestamp: Option<String>,
}

/// Property names airlock uses where CycloneDX has no field.
pub mod props {
    /// Hub repo id of a component's origin.
    pub const ORIGIN_REPO: &str = "airlock:origin:repo_id";
    /// Commit the files came from.
    pub const ORIGIN_REVISION: &str = "airlock:origin:revision";
    /// `model`, `dataset` or `space`.
    pub const ORIGIN_REPO_TYPE: &str = "airlock:origin:repo_type";
    /// Hub URL when not huggingface.co.
    pub const ORIGIN_HUB: &str = "airlock:origin:hub";
    /// Release time of a component.
    pub const RELEASE_TIME: &str = "airlock:release_time";
    /// On a pedigree ancestor: the `bom-ref` of the component it is.
    pub const ANCESTOR_REF: &str = "airlock:bom-ref";
    /// On a pedigree ancestor: how the model was derived from it.
    pub const DERIVATION: &str = "airlock:derivation";
    /// In a model card: a dataset component the model was evaluated on.
    pub const TESTED_ON: &str = "airlock:tested-on";
    /// In data contents: rows or records.
    pub const ROW_COUNT: &str = "airlock:data:row_count";
    /// In data contents: size in bytes.
    pub const SIZE_BYTES: &str = "airlock:data:size_bytes";
    /// In data contents: SPDX dataset type (text, image...).
    pub const MODALITY: &str = "airlock:data:modality";
    /// On a service: a model name requested from it.
    pub const SERVICE_MODEL: &str = "airlock:service:model";
    /// On a service: a project file that mentions it.
    pub const SERVICE_REFERENCED_IN: &str = "airlock:service:referenced_in";
}

// ---------------------------------------------------------------- serde types

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxBom {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    schema: Option<String>,
    #[serde(rename = "bomFormat", default)]
    bom_format: String,
    #[serde(rename = "specVersion", default)]
    spec_version: String,
    #[serde(
        rename = "serialNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    serial_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<CdxMetadata>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    components: Vec<CdxComponent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    services: Vec<CdxService>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<CdxDependency>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    /// Object form (1.5+) on write; legacy array form accepted and ignored on read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tools: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    component: Option<CdxComponent>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxComponent {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(rename = "bom-ref", default, skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    supplier: Option<CdxOrg>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    authors: Vec<CdxContact>,
    /// 1.4–1.5 single author string, read only.
    #[serde(default, skip_serializing)]
    author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<CdxHash>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<CdxLicenseChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pedigree: Option<CdxPedigree>,
    #[serde(
        rename = "externalReferences",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    external_references: Vec<CdxExternalReference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    components: Vec<CdxComponent>,
    #[serde(rename = "modelCard", default, skip_serializing_if = "Option::is_none")]
    model_card: Option<CdxModelCard>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    data: Vec<CdxComponentData>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    properties: Vec<CdxProperty>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxOrg {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxHash {
    #[serde(default)]
    alg: String,
    #[serde(default)]
    content: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxLicenseChoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    license: Option<CdxLicense>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expression: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxLicense {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxPedigree {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ancestors: Vec<CdxComponent>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxExternalReference {
    #[serde(default)]
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<CdxHash>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxProperty {
    #[serde(default)]
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CdxModelCard {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model_parameters: Option<CdxModelParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quantitative_analysis: Option<CdxQuantitativeAnalysis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    considerations: Option<CdxConsiderations>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    properties: Vec<CdxProperty>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CdxModelParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    approach: Option<CdxApproach>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    task: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    architecture_family: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model_architecture: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    datasets: Vec<CdxDatasetChoice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    inputs: Vec<CdxFormat>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    outputs: Vec<CdxFormat>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxApproach {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
}

/// `{ref}` or an inline `componentData` (of which airlock writes `type` and `name`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxDatasetChoice {
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxFormat {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CdxQuantitativeAnalysis {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    performance_metrics: Vec<CdxPerformanceMetric>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxPerformanceMetric {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    slice: Option<String>,
    #[serde(
        rename = "confidenceInterval",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    confidence_interval: Option<CdxConfidenceInterval>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CdxConfidenceInterval {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lower_bound: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    upper_bound: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CdxConsiderations {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    users: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    use_cases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    technical_limitations: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    performance_tradeoffs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ethical_considerations: Vec<CdxEthical>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CdxEthical {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mitigation_strategy: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxComponentData {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contents: Option<CdxContents>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    classification: Option<String>,
    #[serde(
        rename = "sensitiveData",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    sensitive_data: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    governance: Option<CdxGovernance>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxContents {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    properties: Vec<CdxProperty>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxGovernance {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    custodians: Vec<CdxParty>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    stewards: Vec<CdxParty>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    owners: Vec<CdxParty>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxParty {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    organization: Option<CdxOrg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact: Option<CdxContact>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CdxService {
    #[serde(rename = "bom-ref", default, skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider: Option<CdxOrg>,
    #[serde(default)]
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    endpoints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authenticated: Option<bool>,
    #[serde(
        rename = "x-trust-boundary",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    trust_boundary: Option<bool>,
    #[serde(
        rename = "externalReferences",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    external_references: Vec<CdxExternalReference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    properties: Vec<CdxProperty>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CdxDependency {
    #[serde(rename = "ref", default)]
    reference: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
}

// ---------------------------------------------------------------- writer

/// Writes `bom` as pretty CycloneDX JSON with a trailing newline.
///
/// The model is normalised and checked first ([`Bom::check`]). `serialNumber` is a UUIDv5 of
/// the document written without serial number and timestamp, so the same content always has
/// the same serial number.
pub fn write(bom: &Bom, options: &WriteOptions) -> Result<String, Error> {
    let mut bom = bom.clone();
    bom.normalize();
    bom.check()?;
    let mut doc = to_document(&bom, options.spec_version);
    let canonical = serde_json::to_vec(&doc)?;
    doc.serial_number = Some(format!(
        "urn:uuid:{}",
        crate::content_id::uuid_v5(&canonical)
    ));
    if let (Some(ts), Some(meta)) = (&options.timestamp, doc.metadata.as_mut()) {
        meta.timestamp = Some(ts.clone());
    }
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}

fn to_document(bom: &Bom, version: SpecVersion) -> CdxBom {
    let subject = &bom.subject;
    let tools = serde_json::json!({
        "components": [{
            "type": "application",
            "name": crate::TOOL_NAME,
            "version": crate::TOOL_VERSION,
        }]
    });
    let metadata = CdxMetadata {
        timestamp: None,
        tools: Some(tools),
        component: Some(CdxComponent {
            kind: "application".into(),
            bom_ref: Some(subject.bom_ref()),
            name: subject.name.clone(),
            version: subject.version.clone(),
            description: subject.description.clone(),
            ..CdxComponent::default()
        }),
    };
    let components = bom.components.iter().map(|c| component(bom, c)).collect();
    let services = bom.services.iter().map(service).collect();
    let mut deps: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for dep in &bom.dependencies {
        deps.entry(&dep.from)
            .or_default()
            .extend(dep.to.iter().map(String::as_str));
    }
    let dependencies = deps
        .into_iter()
        .map(|(from, to)| CdxDependency {
            reference: from.to_owned(),
            depends_on: to.into_iter().map(str::to_owned).collect(),
        })
        .collect();
    CdxBom {
        schema: Some(format!(
            "http://cyclonedx.org/schema/bom-{}.schema.json",
            version.as_str()
        )),
        bom_format: "CycloneDX".into(),
        spec_version: version.as_str().into(),
        serial_number: None,
        version: Some(1),
        metadata: Some(metadata),
        components,
        services,
        dependencies,
    }
}

fn hashes(list: &[Hash]) -> Vec<CdxHash> {
    list.iter()
        .map(|h| CdxHash {
            alg: h.alg.cyclonedx_name().into(),
            content: h.value.clone(),
        })
        .collect()
}

fn properties(list: &[Property]) -> Vec<CdxProperty> {
    list.iter()
        .map(|p| CdxProperty {
            name: p.name.clone(),
            value: p.value.clone(),
        })
        .collect()
}

fn prop(name: &str, value: impl Into<String>) -> CdxProperty {
    CdxProperty {
        name: name.into(),
        value: Some(value.into()),
    }
}

fn external_references(list: &[ExternalReference]) -> Vec<CdxExternalReference> {
    list.iter()
        .map(|r| CdxExternalReference {
            url: r.url.clone(),
            comment: r.comment.clone(),
            kind: r.kind.cyclonedx_name().into(),
            hashes: hashes(&r.hashes),
        })
        .collect()
}

/// CycloneDX allows either licences and names, or exactly one expression, never both.
fn licenses(list: &[License]) -> Vec<CdxLicenseChoice> {
    if let [License::Spdx(expr)] = list
        && !expr.is_single_id()
    {
        return vec![CdxLicenseChoice {
            license: None,
            expression: Some(expr.as_str().into()),
        }];
    }
    list.iter()
        .map(|l| {
            let license = match l {
                License::Spdx(expr) if expr.is_single_id() => CdxLicense {
                    id: Some(expr.as_str().into()),
                    name: None,
                },
                // A compound expression next to other licences can only be a name here.
                License::Spdx(expr) => CdxLicense {
                    id: None,
                    name: Some(expr.as_str().into()),
                },
                License::Named(name) => CdxLicense {
                    id: None,
                    name: Some(name.clone()),
                },
            };
            CdxLicenseChoice {
                license: Some(license),
                expression: None,
            }
        })
        .collect()
}

fn component(bom: &Bom, c: &Component) -> CdxComponent {
    let mut props = properties(&c.properties);
    if let Some(origin) = &c.origin {
        props.push(prop(props::ORIGIN_REPO, &origin.repo_id));
        if let Some(rev) = &origin.revision {
            props.push(prop(props::ORIGIN_REVISION, rev));
        }
        if let Some(t) = &origin.repo_type {
            props.push(prop(props::ORIGIN_REPO_TYPE, t));
        }
        if let Some(hub) = &origin.hub {
            props.push(prop(props::ORIGIN_HUB, hub));
        }
    }
    if let Some(time) = &c.release_time {
        props.push(prop(props::RELEASE_TIME, time));
    }
    let ancestors: Vec<CdxComponent> = bom
        .dependencies
        .iter()
        .filter(|d| d.from == c.bom_ref)
        .filter_map(|d| match d.relation {
            Relation::DescendantOf(how) => Some((how, &d.to)),
            _ => None,
        })
        .flat_map(|(how, to)| to.iter().map(move |t| (how, t)))
        .map(|(how, target)| ancestor(bom, how, target))
        .collect();
    CdxComponent {
        kind: c.kind.as_str().into(),
        bom_ref: Some(c.bom_ref.clone()),
        supplier: c.supplier.as_ref().map(|s| CdxOrg {
            name: Some(s.clone()),
        }),
        authors: c
            .authors
            .iter()
            .map(|a| CdxContact {
                name: Some(a.clone()),
                email: None,
            })
            .collect(),
        author: None,
        group: c.group.clone(),
        name: c.name.clone(),
        version: c.version.clone(),
        description: c.description.clone(),
        hashes: hashes(&c.hashes),
        licenses: licenses(&c.licenses),
        purl: c.purl.clone(),
        pedigree: (!ancestors.is_empty()).then_some(CdxPedigree { ancestors }),
        external_references: external_references(&c.external_references),
        components: c.components.iter().map(|n| component(bom, n)).collect(),
        model_card: model_card(bom, c),
        data: c
            .data
            .as_ref()
            .map(|d| vec![data(c, d)])
            .unwrap_or_default(),
        properties: props,
    }
}

/// The pedigree copy of a base model: identity only, no `bom-ref` (refs are unique per BOM).
fn ancestor(bom: &Bom, how: Derivation, target: &str) -> CdxComponent {
    let mut out = CdxComponent {
        kind: ComponentKind::MachineLearningModel.as_str().into(),
        name: target.into(),
        ..CdxComponent::default()
    };
    if let Some(base) = bom.component(target) {
        out.kind = base.kind.as_str().into();
        out.group = base.group.clone();
        out.name = base.name.clone();
        out.version = base.version.clone();
        out.purl = base.purl.clone();
    }
    out.properties = vec![
        prop(props::ANCESTOR_REF, target),
        prop(props::DERIVATION, how.as_str()),
    ];
    out
}

fn model_card(bom: &Bom, c: &Component) -> Option<CdxModelCard> {
    if c.kind != ComponentKind::MachineLearningModel {
        return None;
    }
    let trained: Vec<&str> = bom.edges(&c.bom_ref, Relation::TrainedOn).collect();
    let tested: Vec<&str> = bom.edges(&c.bom_ref, Relation::TestedOn).collect();
    let empty = ModelCard::default();
    let card = c.model_card.as_ref().unwrap_or(&empty);
    if card.is_empty() && trained.is_empty() && tested.is_empty() {
        return None;
    }
    let mut datasets: Vec<CdxDatasetChoice> = trained
        .iter()
        .map(|r| CdxDatasetChoice {
            reference: Some((*r).to_owned()),
            ..CdxDatasetChoice::default()
        })
        .collect();
    datasets.extend(card.datasets.iter().map(|name| CdxDatasetChoice {
        reference: None,
        kind: Some(DataType::Dataset.as_str().into()),
        name: Some(name.clone()),
    }));
    let formats = |list: &[String]| {
        list.iter()
            .map(|f| CdxFormat {
                format: Some(f.clone()),
            })
            .collect::<Vec<_>>()
    };
    let parameters = CdxModelParameters {
        approach: card.approach.map(|a| CdxApproach {
            kind: Some(a.as_str().into()),
        }),
        task: card.task.clone(),
        architecture_family: card.architecture_family.clone(),
        model_architecture: card.model_architecture.clone(),
        datasets,
        inputs: formats(&card.inputs),
        outputs: formats(&card.outputs),
    };
    let has_parameters = parameters.approach.is_some()
        || parameters.task.is_some()
        || parameters.architecture_family.is_some()
        || parameters.model_architecture.is_some()
        || !parameters.datasets.is_empty()
        || !parameters.inputs.is_empty()
        || !parameters.outputs.is_empty();
    let metrics: Vec<CdxPerformanceMetric> = card
        .performance_metrics
        .iter()
        .map(|m| CdxPerformanceMetric {
            kind: Some(m.metric_type.clone()),
            value: Some(m.value.clone()),
            slice: m.combined_slice(),
            confidence_interval: m.confidence_interval.as_ref().map(|(lo, hi)| {
                CdxConfidenceInterval {
                    lower_bound: Some(lo.clone()),
                    upper_bound: Some(hi.clone()),
                }
            }),
        })
        .collect();
    let considerations = CdxConsiderations {
        users: card.users.clone(),
        use_cases: card.use_cases.clone(),
        technical_limitations: card.technical_limitations.clone(),
        performance_tradeoffs: card.performance_tradeoffs.clone(),
        ethical_considerations: card
            .ethical_considerations
            .iter()
            .map(|e| CdxEthical {
                name: Some(e.name.clone()),
                mitigation_strategy: e.mitigation.clone(),
            })
            .collect(),
    };
    let has_considerations = !(considerations.users.is_empty()
        && considerations.use_cases.is_empty()
        && considerations.technical_limitations.is_empty()
        && considerations.performance_tradeoffs.is_empty()
        && considerations.ethical_considerations.is_empty());
    let mut card_props = properties(&card.properties);
    card_props.extend(tested.iter().map(|r| prop(props::TESTED_ON, *r)));
    Some(CdxModelCard {
        model_parameters: has_parameters.then_some(parameters),
        quantitative_analysis: (!metrics.is_empty()).then_some(CdxQuantitativeAnalysis {
            performance_metrics: metrics,
        }),
        considerations: has_considerations.then_some(considerations),
        properties: card_props,
    })
}

fn data(c: &Component, d: &DataInfo) -> CdxComponentData {
    let mut content_props = Vec::new();
    if let Some(rows) = d.row_count {
        content_props.push(prop(props::ROW_COUNT, rows.to_string()));
    }
    if let Some(size) = d.size_bytes {
        content_props.push(prop(props::SIZE_BYTES, size.to_string()));
    }
    content_props.extend(
        d.modalities
            .iter()
            .map(|m| prop(props::MODALITY, m.as_str())),
    );
    let contents = (d.contents_url.is_some() || !content_props.is_empty()).then(|| CdxContents {
        url: d.contents_url.clone(),
        properties: content_props,
    });
    let parties = |list: &[String]| {
        list.iter()
            .map(|o| CdxParty {
                organization: Some(CdxOrg {
                    name: Some(o.clone()),
                }),
                contact: None,
            })
            .collect::<Vec<_>>()
    };
    CdxComponentData {
        kind: d.data_type.as_str().into(),
        name: Some(c.name.clone()),
        contents,
        classification: d.classification.clone(),
        sensitive_data: d.sensitive_data.clone(),
        governance: (!d.governance.is_empty()).then(|| CdxGovernance {
            custodians: parties(&d.governance.custodians),
            stewards: parties(&d.governance.stewards),
            owners: parties(&d.governance.owners),
        }),
    }
}

fn service(s: &Service) -> CdxService {
    let mut props = properties(&s.properties);
    props.extend(s.models.iter().map(|m| prop(props::SERVICE_MODEL, m)));
    props.extend(
        s.referenced_in
            .iter()
            .map(|f| prop(props::SERVICE_REFERENCED_IN, f)),
    );
    CdxService {
        bom_ref: Some(s.bom_ref.clone()),
        provider: s.provider.as_ref().map(|p| CdxOrg {
            name: Some(p.clone()),
        }),
        name: s.name.clone(),
        description: s.description.clone(),
        endpoints: s.endpoints.clone(),
        authenticated: s.authenticated,
        trust_boundary: s.crosses_trust_boundary,
        external_references: external_references(&s.external_references),
        properties: props,
    }
}

// ---------------------------------------------------------------- reader

/// Reads CycloneDX 1.4–1.7 JSON into the model, ignoring fields airlock does not use.
///
/// Components without a `bom-ref` get one derived from their purl or name; a `bom-ref` seen
/// twice gets a `#2`, `#3`... suffix; dependency edges naming refs that are not in the
/// document are dropped, so the result always passes [`Bom::check`].
pub fn read(text: &str) -> Result<Bom, Error> {
    let doc: CdxBom = serde_json::from_str(text)?;
    if doc.bom_format != "CycloneDX" {
        return Err(Error::NotADocument {
            format: "CycloneDX",
            reason: format!("bomFormat is `{}`", doc.bom_format),
        });
    }
    if !matches!(doc.spec_version.as_str(), "1.4" | "1.5" | "1.6" | "1.7") {
        return Err(Error::UnsupportedVersion {
            format: "CycloneDX",
            version: doc.spec_version,
        });
    }
    let mut reader = Reader::default();
    let mut bom = Bom::default();
    let subject_ref = match doc.metadata.as_ref().and_then(|m| m.component.as_ref()) {
        Some(c) => {
            bom.subject = Subject {
                name: c.name.clone(),
                version: c.version.clone(),
                description: c.description.clone(),
            };
            c.bom_ref.clone()
        }
        None => None,
    };
    let subject_new_ref = bom.subject.bom_ref();
    if let Some(old) = subject_ref {
        reader.renames.insert(old, subject_new_ref.clone());
    }
    reader.seen.insert(subject_new_ref);
    let mut pending = Vec::new();
    for c in &doc.components {
        bom.components.push(reader.component(c, &mut pending));
    }
    for s in &doc.services {
        bom.services.push(reader.service(s));
    }
    // Typed edges from model cards and pedigrees; their targets are resolved now that every
    // component is known.
    let mut typed: BTreeSet<(String, String)> = BTreeSet::new();
    for (from, relation, target) in pending {
        let to = match target {
            Target::Ref(r) => reader.resolve(&r),
            Target::Ancestor(a) => Some(match reader.resolve_ancestor(&bom, &a) {
                Some(r) => r,
                // A base model the document names only in a pedigree joins the components,
                // so the lineage survives.
                None => {
                    let c = reader.ancestor_component(&a);
                    let r = c.bom_ref.clone();
                    bom.components.push(c);
                    r
                }
            }),
        };
        if let Some(to) = to {
            typed.insert((from.clone(), to.clone()));
            bom.add_edge(&from, relation, &to);
        }
    }
    for dep in &doc.dependencies {
        let Some(from) = reader.resolve(&dep.reference) else {
            continue;
        };
        for to in &dep.depends_on {
            if let Some(to) = reader.resolve(to)
                && !typed.contains(&(from.clone(), to.clone()))
            {
                bom.add_edge(&from, Relation::DependsOn, &to);
            }
        }
    }
    bom.normalize();
    Ok(bom)
}

enum Target {
    Ref(String),
    Ancestor(AncestorId),
}

struct AncestorId {
    kind: String,
    bom_ref: Option<String>,
    purl: Option<String>,
    group: Option<String>,
    name: String,
    version: Option<String>,
}

#[derive(Default)]
struct Reader {
    /// Document ref → model ref (differ when the document had none or a duplicate).
    renames: BTreeMap<String, String>,
    seen: BTreeSet<String>,
}

impl Reader {
    fn resolve(&self, r: &str) -> Option<String> {
        if let Some(new) = self.renames.get(r) {
            return Some(new.clone());
        }
        self.seen.contains(r).then(|| r.to_owned())
    }

    fn resolve_ancestor(&self, bom: &Bom, a: &AncestorId) -> Option<String> {
        if let Some(r) = a.bom_ref.as_deref().and_then(|r| self.resolve(r)) {
            return Some(r);
        }
        fn find(list: &[Component], a: &AncestorId) -> Option<String> {
            list.iter().find_map(|c| {
                let same = match (&a.purl, &c.purl) {
                    (Some(x), Some(y)) => x == y,
                    _ => c.name == a.name && c.group == a.group && c.version == a.version,
                };
                if same {
                    Some(c.bom_ref.clone())
                } else {
                    find(&c.components, a)
                }
            })
        }
        find(&bom.components, a)
    }

    fn ancestor_component(&mut self, a: &AncestorId) -> Component {
        let kind = ComponentKind::parse(&a.kind).unwrap_or(ComponentKind::MachineLearningModel);
        let derived = Component::derive_ref(
            kind,
            a.group.as_deref(),
            &a.name,
            a.version.as_deref(),
            a.purl.as_deref(),
        );
        let mut c = Component::new(kind, a.name.clone());
        c.bom_ref = self.unique_ref(None, derived);
        c.group = a.group.clone();
        c.version = a.version.clone();
        c.purl = a.purl.clone();
        c
    }

    fn unique_ref(&mut self, doc_ref: Option<&str>, derived: String) -> String {
        let base = doc_ref.map(str::to_owned).unwrap_or(derived);
        let mut candidate = base.clone();
        let mut n = 1;
        while self.seen.contains(&candidate) {
            n += 1;
            candidate = format!("{base}#{n}");
        }
        // A duplicate gets a new ref but no rename: edges keep naming the first one.
        self.seen.insert(candidate.clone());
        candidate
    }

    fn component(
        &mut self,
        c: &CdxComponent,
        pending: &mut Vec<(String, Relation, Target)>,
    ) -> Component {
        let kind = ComponentKind::parse(&c.kind).unwrap_or(ComponentKind::Library);
        let derived = Component::derive_ref(
            kind,
            c.group.as_deref(),
            &c.name,
            c.version.as_deref(),
            c.purl.as_deref(),
        );
        let bom_ref = self.unique_ref(c.bom_ref.as_deref(), derived);
        let mut out = Component::new(kind, c.name.clone());
        out.bom_ref = bom_ref.clone();
        out.version = c.version.clone();
        out.group = c.group.clone();
        out.purl = c.purl.clone();
        out.description = c.description.clone();
        out.licenses = read_licenses(&c.licenses);
        out.hashes = read_hashes(&c.hashes);
        out.supplier = c.supplier.as_ref().and_then(|s| s.name.clone());
        out.authors = c
            .authors
            .iter()
            .filter_map(|a| a.name.clone().or_else(|| a.email.clone()))
            .chain(c.author.clone())
            .collect();
        out.external_references = read_external_references(&c.external_references);
        let mut origin = Origin {
            repo_id: String::new(),
            revision: None,
            repo_type: None,
            hub: None,
        };
        for p in &c.properties {
            let value = p.value.clone();
            match p.name.as_str() {
                props::ORIGIN_REPO => origin.repo_id = value.unwrap_or_default(),
                props::ORIGIN_REVISION => origin.revision = value,
                props::ORIGIN_REPO_TYPE => origin.repo_type = value,
                props::ORIGIN_HUB => origin.hub = value,
                props::RELEASE_TIME => out.release_time = value,
                _ => out.properties.push(Property {
                    name: p.name.clone(),
                    value,
                }),
            }
        }
        if !origin.repo_id.is_empty() {
            out.origin = Some(origin);
        }
        if let Some(pedigree) = &c.pedigree {
            for a in &pedigree.ancestors {
                let mut how = Derivation::Unknown;
                let mut ancestor_ref = None;
                for p in &a.properties {
                    match (p.name.as_str(), &p.value) {
                        (props::DERIVATION, Some(v)) => {
                            how = Derivation::parse(v).unwrap_or(Derivation::Unknown)
                        }
                        (props::ANCESTOR_REF, Some(v)) => ancestor_ref = Some(v.clone()),
                        _ => {}
                    }
                }
                pending.push((
                    bom_ref.clone(),
                    Relation::DescendantOf(how),
                    Target::Ancestor(AncestorId {
                        kind: a.kind.clone(),
                        bom_ref: ancestor_ref.or_else(|| a.bom_ref.clone()),
                        purl: a.purl.clone(),
                        group: a.group.clone(),
                        name: a.name.clone(),
                        version: a.version.clone(),
                    }),
                ));
            }
        }
        if let Some(card) = &c.model_card {
            let model_card = read_model_card(card, &bom_ref, pending);
            if !model_card.is_empty() {
                out.model_card = Some(model_card);
            }
        }
        if let Some(d) = c.data.first() {
            out.data = Some(read_data(d));
        }
        out.components = c
            .components
            .iter()
            .map(|n| self.component(n, pending))
            .collect();
        out
    }

    fn service(&mut self, s: &CdxService) -> Service {
        let provider = s.provider.as_ref().and_then(|p| p.name.clone());
        let derived = Service::derive_ref(provider.as_deref(), &s.name);
        let mut out = Service::new(provider.as_deref(), s.name.clone());
        out.bom_ref = self.unique_ref(s.bom_ref.as_deref(), derived);
        out.description = s.description.clone();
        out.endpoints = s.endpoints.clone();
        out.authenticated = s.authenticated;
        out.crosses_trust_boundary = s.trust_boundary;
        out.external_references = read_external_references(&s.external_references);
        for p in &s.properties {
            match (p.name.as_str(), &p.value) {
                (props::SERVICE_MODEL, Some(v)) => out.models.push(v.clone()),
                (props::SERVICE_REFERENCED_IN, Some(v)) => out.referenced_in.push(v.clone()),
                _ => out.properties.push(Property {
                    name: p.name.clone(),
                    value: p.value.clone(),
                }),
            }
        }
        out
    }
}

fn read_licenses(list: &[CdxLicenseChoice]) -> Vec<License> {
    list.iter()
        .filter_map(|choice| {
            if let Some(expr) = &choice.expression {
                return Some(License::parse(expr));
            }
            let license = choice.license.as_ref()?;
            match (&license.id, &license.name) {
                (Some(id), _) => Some(License::parse(id)),
                (None, Some(name)) => Some(License::Named(name.clone())),
                (None, None) => None,
            }
        })
        .collect()
}

/// Keeps digests of known algorithms with well-formed values; drops the rest.
fn read_hashes(list: &[CdxHash]) -> Vec<Hash> {
    list.iter()
        .filter_map(|h| Hash::new(HashAlg::parse(&h.alg)?, &h.content).ok())
        .collect()
}

fn read_external_references(list: &[CdxExternalReference]) -> Vec<ExternalReference> {
    list.iter()
        .map(|r| ExternalReference {
            kind: ExternalRefKind::from_cyclonedx(&r.kind),
            url: r.url.clone(),
            comment: r.comment.clone(),
            hashes: read_hashes(&r.hashes),
        })
        .collect()
}

fn read_model_card(
    card: &CdxModelCard,
    bom_ref: &str,
    pending: &mut Vec<(String, Relation, Target)>,
) -> ModelCard {
    let mut out = ModelCard::default();
    if let Some(p) = &card.model_parameters {
        out.approach = p
            .approach
            .as_ref()
            .and_then(|a| a.kind.as_deref())
            .and_then(LearningApproach::parse);
        out.task = p.task.clone();
        out.architecture_family = p.architecture_family.clone();
        out.model_architecture = p.model_architecture.clone();
        for d in &p.datasets {
            match (&d.reference, &d.name) {
                (Some(r), _) => pending.push((
                    bom_ref.to_owned(),
                    Relation::TrainedOn,
                    Target::Ref(r.clone()),
                )),
                (None, Some(name)) => out.datasets.push(name.clone()),
                (None, None) => {}
            }
        }
        out.inputs = p.inputs.iter().filter_map(|f| f.format.clone()).collect();
        out.outputs = p.outputs.iter().filter_map(|f| f.format.clone()).collect();
    }
    if let Some(q) = &card.quantitative_analysis {
        out.performance_metrics =
            q.performance_metrics
                .iter()
                .filter_map(|m| {
                    Some(PerformanceMetric {
                        metric_type: m.kind.clone()?,
                        value: m.value.clone()?,
                        dataset: None,
                        slice: m.slice.clone(),
                        confidence_interval: m.confidence_interval.as_ref().and_then(|ci| {
                            Some((ci.lower_bound.clone()?, ci.upper_bound.clone()?))
                        }),
                    })
                })
                .collect();
    }
    if let Some(c) = &card.considerations {
        out.users = c.users.clone();
        out.use_cases = c.use_cases.clone();
        out.technical_limitations = c.technical_limitations.clone();
        out.performance_tradeoffs = c.performance_tradeoffs.clone();
        out.ethical_considerations = c
            .ethical_considerations
            .iter()
            .filter_map(|e| {
                Some(EthicalConsideration {
                    name: e.name.clone()?,
                    mitigation: e.mitigation_strategy.clone(),
                })
            })
            .collect();
    }
    for p in &card.properties {
        match (p.name.as_str(), &p.value) {
            (props::TESTED_ON, Some(r)) => pending.push((
                bom_ref.to_owned(),
                Relation::TestedOn,
                Target::Ref(r.clone()),
            )),
            _ => out.properties.push(Property {
                name: p.name.clone(),
                value: p.value.clone(),
            }),
        }
    }
    out
}

fn read_data(d: &CdxComponentData) -> DataInfo {
    let mut out = DataInfo::dataset();
    out.data_type = DataType::parse(&d.kind).unwrap_or(DataType::Other);
    out.classification = d.classification.clone();
    out.sensitive_data = d.sensitive_data.clone();
    if let Some(contents) = &d.contents {
        out.contents_url = contents.url.clone();
        for p in &contents.properties {
            let Some(value) = &p.value else { continue };
            match p.name.as_str() {
                props::ROW_COUNT => out.row_count = value.parse().ok(),
                props::SIZE_BYTES => out.size_bytes = value.parse().ok(),
                props::MODALITY => out.modalities.extend(Modality::parse(value)),
                _ => {}
            }
        }
    }
    if let Some(g) = &d.governance {
        let names = |list: &[CdxParty]| {
            list.iter()
                .filter_map(|p| {
                    p.organization
                        .as_ref()
                        .and_then(|o| o.name.clone())
                        .or_else(|| p.contact.as_ref().and_then(|c| c.name.clone()))
                })
                .collect::<Vec<_>>()
        };
        out.governance = Governance {
            owners: names(&g.owners),
            stewards: names(&g.stewards),
            custodians: names(&g.custodians),
        };
    }
    out
}
