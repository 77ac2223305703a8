//! SPDX 3.0.1 JSON-LD with the AI and Dataset profiles: writer and reader.
//!
//! No Rust crate writes SPDX 3, so the graph is built by hand. Element ids are IRIs under a
//! document namespace `https://airlock.invalid/spdx/<uuid>` (`.invalid` is reserved, so the
//! ids never resolve to a site airlock does not own). The UUID is a UUIDv5 of the document
//! written with a placeholder namespace, so the same content always gets the same ids. Each
//! element's last path segment is its percent-encoded `bom_ref`, which is how [`read()`] gets
//! the refs back.
//!
//! The AI profile asks of every `ai_AIPackage` a `releaseTime`, `suppliedBy`,
//! `software_downloadLocation`, `software_packageVersion` and `software_primaryPurpose`, but
//! neither the JSON schema nor the SHACL shapes enforce it. [`ai_package_gaps`] checks it, and
//! a model that misses any of them is written as a `software_Package` with primary purpose
//! `model` instead. Datasets are always `dataset_DatasetPackage` (their
//! `dataset_datasetType` is `noAssertion` when unknown); [`profile_gaps`] lists what the
//! Dataset profile would also want.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::license::License;
use crate::model::{
    Bom, Component, ComponentKind, DataInfo, DataType, Derivation, ExternalRefKind,
    ExternalReference, Hash, HashAlg, LearningApproach, Modality, ModelCard, Origin,
    PerformanceMetric, Relation, Service, Subject,
};

/// The JSON-LD context every SPDX 3.0.1 document names.
pub const CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";
/// Base of airlock's element ids.
pub const NAMESPACE_BASE: &str = "https://airlock.invalid/spdx/";
/// SPDX licence list version the embedded ids come from.
pub const LICENSE_LIST_VERSION: &str = "3.28.0";
const PLACEHOLDER_NS: &str = "https://airlock.invalid/spdx/pending";
const CREATION_INFO: &str = "_:creationinfo";
const NAMED_LICENSE_PREFIX: &str = "LicenseRef-airlock-";
const TRAINING_DATASET_PREFIX: &str = "dataset: ";

/// Choices for [`write()`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// `CreationInfo.created` (`YYYY-MM-DDThh:mm:ssZ`). SPDX requires one; the default is the
    /// Unix epoch so output depends only on content. Callers pass the real time (or
    /// `SOURCE_DATE_EPOCH`) when they want it.
    pub created: String,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            created: "1970-01-01T00:00:00Z".into(),
        }
    }
}

/// Whether `s` is an SPDX `DateTime` (`YYYY-MM-DDThh:mm:ssZ`, UTC, no fraction).
pub fn is_spdx_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// A field a profile wants that a component lacks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProfileGap {
    /// The component.
    pub bom_ref: String,
    /// `ai_AIPackage` or `dataset_DatasetPackage`.
    pub class: &'static str,
    /// The SPDX property missing.
    pub property: &'static str,
}

/// The AI-profile properties a model lacks; empty means it can be an `ai_AIPackage`.
pub fn ai_package_gaps(c: &Component) -> Vec<&'static str> {
    let mut gaps = Vec::new();
    if !c.release_time.as_deref().is_some_and(is_spdx_datetime) {
        gaps.push("releaseTime");
    }
    if c.supplier.is_none() {
        gaps.push("suppliedBy");
    }
    if download_location(c).is_none() {
        gaps.push("software_downloadLocation");
    }
    if c.version.is_none() {
        gaps.push("software_packageVersion");
    }
    gaps
}

fn dataset_gaps(c: &Component) -> Vec<&'static str> {
    let mut gaps = vec!["builtTime"];
    if !c.release_time.as_deref().is_some_and(is_spdx_datetime) {
        gaps.push("releaseTime");
    }
    if c.supplier.is_none() {
        gaps.push("originatedBy");
    }
    if download_location(c).is_none() {
        gaps.push("software_downloadLocation");
    }
    if c.data.as_ref().is_none_or(|d| d.modalities.is_empty()) {
        gaps.push("dataset_datasetType");
    }
    gaps
}

/// Every profile requirement the BOM's models and datasets miss (the schema checks none).
pub fn profile_gaps(bom: &Bom) -> Vec<ProfileGap> {
    let mut out = Vec::new();
    visit(&bom.components, &mut |c| {
        let (class, gaps) = match c.kind {
            ComponentKind::MachineLearningModel => ("ai_AIPackage", ai_package_gaps(c)),
            ComponentKind::Data => ("dataset_DatasetPackage", dataset_gaps(c)),
            _ => return,
        };
        out.extend(gaps.into_iter().map(|property| ProfileGap {
            bom_ref: c.bom_ref.clone(),
            class,
            property,
        }));
    });
    out.sort();
    out
}

fn visit<'a>(list: &'a [Component], f: &mut impl FnMut(&'a Component)) {
    for c in list {
        f(c);
        visit(&c.components, f);
    }
}

fn download_location(c: &Component) -> Option<String> {
    if let Some(r) = c
        .external_references
        .iter()
        .find(|r| r.kind == ExternalRefKind::Distribution)
    {
        return Some(r.url.clone());
    }
    let origin = c.origin.as_ref()?;
    let hub = origin
        .hub
        .as_deref()
        .unwrap_or("https://huggingface.co")
        .trim_end_matches('/');
    let prefix = match origin.repo_type.as_deref() {
        Some("dataset") => "datasets/",
        Some("space") => "spaces/",
        _ => "",
    };
    Some(format!("{hub}/{prefix}{}", origin.repo_id))
}

// ---------------------------------------------------------------- ids

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

struct Ids {
    ns: String,
}

impl Ids {
    fn of(&self, segment: &str, key: &str) -> String {
        format!("{}/{segment}/{}", self.ns, encode(key))
    }
    fn fixed(&self, name: &str) -> String {
        format!("{}/{name}", self.ns)
    }
}

fn element_segment(c: &Component) -> &'static str {
    if c.kind == ComponentKind::File {
        "file"
    } else {
        "package"
    }
}

fn relation_name(r: Relation) -> &'static str {
    match r {
        Relation::DependsOn => "dependsOn",
        Relation::DescendantOf(_) => "descendantOf",
        Relation::TrainedOn => "trainedOn",
        Relation::TestedOn => "testedOn",
    }
}

fn purpose(kind: ComponentKind) -> &'static str {
    match kind {
        ComponentKind::Application => "application",
        ComponentKind::Framework => "framework",
        ComponentKind::Library => "library",
        ComponentKind::Container => "container",
        ComponentKind::Platform => "platform",
        ComponentKind::OperatingSystem => "operatingSystem",
        ComponentKind::Device => "device",
        ComponentKind::DeviceDriver => "deviceDriver",
        ComponentKind::Firmware => "firmware",
        ComponentKind::File => "file",
        ComponentKind::MachineLearningModel => "model",
        ComponentKind::Data => "data",
        ComponentKind::CryptographicAsset => "other",
    }
}

fn kind_of_purpose(p: &str) -> ComponentKind {
    match p {
        "application" | "executable" => ComponentKind::Application,
        "framework" => ComponentKind::Framework,
        "container" => ComponentKind::Container,
        "platform" => ComponentKind::Platform,
        "operatingSystem" => ComponentKind::OperatingSystem,
        "device" => ComponentKind::Device,
        "deviceDriver" => ComponentKind::DeviceDriver,
        "firmware" => ComponentKind::Firmware,
        "file" => ComponentKind::File,
        "model" => ComponentKind::MachineLearningModel,
        "data" => ComponentKind::Data,
        _ => ComponentKind::Library,
    }
}

fn ref_type(kind: ExternalRefKind) -> &'static str {
    match kind {
        ExternalRefKind::Vcs => "vcs",
        ExternalRefKind::IssueTracker => "issueTracker",
        ExternalRefKind::Website => "altWebPage",
        ExternalRefKind::Documentation | ExternalRefKind::ModelCard => "documentation",
        ExternalRefKind::Distribution | ExternalRefKind::DistributionIntake => {
            "altDownloadLocation"
        }
        ExternalRefKind::License => "license",
        ExternalRefKind::Attestation => "secureSoftwareAttestation",
        ExternalRefKind::BuildMeta => "buildMeta",
        ExternalRefKind::ReleaseNotes => "releaseNotes",
        ExternalRefKind::SecurityContact => "securityOther",
        ExternalRefKind::Support => "support",
        ExternalRefKind::Configuration | ExternalRefKind::Other => "other",
    }
}

fn kind_of_ref_type(t: &str) -> ExternalRefKind {
    match t {
        "vcs" => ExternalRefKind::Vcs,
        "issueTracker" => ExternalRefKind::IssueTracker,
        "altWebPage" => ExternalRefKind::Website,
        "documentation" => ExternalRefKind::Documentation,
        "altDownloadLocation" => ExternalRefKind::Distribution,
        "license" => ExternalRefKind::License,
        "secureSoftwareAttestation" => ExternalRefKind::Attestation,
        "buildMeta" => ExternalRefKind::BuildMeta,
        "releaseNotes" => ExternalRefKind::ReleaseNotes,
        "securityOther" => ExternalRefKind::SecurityContact,
        "support" => ExternalRefKind::Support,
        _ => ExternalRefKind::Other,
    }
}

// ---------------------------------------------------------------- writer

/// Writes `bom` as pretty SPDX 3.0.1 JSON-LD with a trailing newline.
pub fn write(bom: &Bom, options: &WriteOptions) -> Result<String, Error> {
    let mut bom = bom.clone();
    bom.normalize();
    bom.check()?;
    let placeholder = graph(&bom, options, PLACEHOLDER_NS);
    let uuid = crate::content_id::uuid_v5(&serde_json::to_vec(&placeholder)?);
    let doc = graph(&bom, options, &format!("{NAMESPACE_BASE}{uuid}"));
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}

#[derive(Default)]
struct Graph {
    elements: BTreeMap<String, Value>,
}

impl Graph {
    fn add(&mut self, id: String, mut element: Map<String, Value>) {
        element.insert("spdxId".into(), Value::String(id.clone()));
        element.insert("creationInfo".into(), CREATION_INFO.into());
        self.elements.insert(id, Value::Object(element));
    }
}

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn set(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        map.insert(key.into(), v.into());
    }
}

fn set_list(map: &mut Map<String, Value>, key: &str, list: Vec<Value>) {
    if !list.is_empty() {
        map.insert(key.into(), Value::Array(list));
    }
}

fn hash_values(list: &[Hash]) -> Vec<Value> {
    list.iter()
        .map(|h| json!({"type": "Hash", "algorithm": h.alg.spdx_name(), "hashValue": h.value}))
        .collect()
}

fn external_refs(list: &[ExternalReference]) -> Vec<Value> {
    list.iter()
        .map(|r| {
            let mut m = obj(json!({
                "type": "ExternalRef",
                "externalRefType": ref_type(r.kind),
                "locator": [r.url],
            }));
            set(&mut m, "comment", r.comment.clone());
            Value::Object(m)
        })
        .collect()
}

fn origin_info(o: &Origin) -> String {
    let mut parts = vec![format!("repo_id={}", o.repo_id)];
    if let Some(v) = &o.revision {
        parts.push(format!("revision={v}"));
    }
    if let Some(v) = &o.repo_type {
        parts.push(format!("repo_type={v}"));
    }
    if let Some(v) = &o.hub {
        parts.push(format!("hub={v}"));
    }
    parts.join("; ")
}

fn parse_origin(s: &str) -> Option<Origin> {
    let mut origin = Origin {
        repo_id: String::new(),
        revision: None,
        repo_type: None,
        hub: None,
    };
    for part in s.split("; ") {
        let (k, v) = part.split_once('=')?;
        match k {
            "repo_id" => origin.repo_id = v.into(),
            "revision" => origin.revision = Some(v.into()),
            "repo_type" => origin.repo_type = Some(v.into()),
            "hub" => origin.hub = Some(v.into()),
            _ => return None,
        }
    }
    (!origin.repo_id.is_empty()).then_some(origin)
}

fn license_text(l: &License) -> String {
    match l {
        License::Spdx(expr) => expr.as_str().to_owned(),
        License::Named(name) => {
            let slug: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            if slug.is_empty() {
                // An idstring needs one character; an empty name still gets an expression.
                format!("{NAMED_LICENSE_PREFIX}empty")
            } else {
                format!("{NAMED_LICENSE_PREFIX}{slug}")
            }
        }
    }
}

fn metric_key(m: &PerformanceMetric) -> String {
    match m.combined_slice() {
        Some(slice) => format!("{} [{slice}]", m.metric_type),
        None => m.metric_type.clone(),
    }
}

fn graph(bom: &Bom, options: &WriteOptions, ns: &str) -> Value {
    let ids = Ids { ns: ns.to_owned() };
    let mut g = Graph::default();
    let agent = ids.fixed("agent/airlock");
    let tool = ids.fixed("tool/airlock");
    g.add(
        agent.clone(),
        obj(json!({"type": "SoftwareAgent", "name": crate::TOOL_NAME})),
    );
    g.add(
        tool.clone(),
        obj(json!({"type": "Tool", "name": format!("{} {}", crate::TOOL_NAME, crate::TOOL_VERSION)})),
    );

    let subject_id = ids.fixed("project");
    let mut subject = obj(json!({
        "type": "software_Package",
        "name": bom.subject.name,
        "software_primaryPurpose": "application",
    }));
    set(
        &mut subject,
        "software_packageVersion",
        bom.subject.version.clone(),
    );
    set(&mut subject, "description", bom.subject.description.clone());
    g.add(subject_id.clone(), subject);

    // Refs of everything, so relationships can name elements.
    let mut element_of: BTreeMap<String, String> = BTreeMap::new();
    element_of.insert(bom.subject.bom_ref(), subject_id.clone());
    visit(&bom.components, &mut |c| {
        element_of.insert(c.bom_ref.clone(), ids.of(element_segment(c), &c.bom_ref));
    });
    for s in &bom.services {
        element_of.insert(s.bom_ref.clone(), ids.of("service", &s.bom_ref));
    }

    let mut relationships: Vec<(String, Map<String, Value>)> = Vec::new();
    let mut licenses: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut agents: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut org = |name: &str, kind: &str| -> String {
        let segment = if kind == "Person" {
            "person"
        } else {
            "organization"
        };
        let id = ids.of(segment, name);
        agents
            .entry(id.clone())
            .or_insert_with(|| obj(json!({"type": kind, "name": name})));
        id
    };

    let mut stack: Vec<&Component> = bom.components.iter().rev().collect();
    while let Some(c) = stack.pop() {
        let id = element_of[&c.bom_ref].clone();
        let mut e = Map::new();
        let class = match c.kind {
            ComponentKind::File => "software_File",
            ComponentKind::Data => "dataset_DatasetPackage",
            ComponentKind::MachineLearningModel if ai_package_gaps(c).is_empty() => "ai_AIPackage",
            _ => "software_Package",
        };
        e.insert("type".into(), class.into());
        let name = if c.kind == ComponentKind::File {
            c.name.clone()
        } else {
            c.full_name()
        };
        e.insert("name".into(), name.into());
        set(&mut e, "description", c.description.clone());
        set(&mut e, "software_primaryPurpose", Some(purpose(c.kind)));
        if class != "software_File" {
            set(&mut e, "software_packageVersion", c.version.clone());
            set(&mut e, "software_packageUrl", c.purl.clone());
            set(&mut e, "software_downloadLocation", download_location(c));
            set(
                &mut e,
                "software_sourceInfo",
                c.origin.as_ref().map(origin_info),
            );
        }
        if let Some(supplier) = &c.supplier {
            e.insert("suppliedBy".into(), org(supplier, "Organization").into());
        }
        let authors: Vec<Value> = c.authors.iter().map(|a| org(a, "Person").into()).collect();
        set_list(&mut e, "originatedBy", authors);
        set(
            &mut e,
            "releaseTime",
            c.release_time.clone().filter(|t| is_spdx_datetime(t)),
        );
        set_list(&mut e, "verifiedUsing", hash_values(&c.hashes));
        // Distribution references are the download location already.
        let refs: Vec<ExternalReference> = c
            .external_references
            .iter()
            .filter(|r| {
                !(r.kind == ExternalRefKind::Distribution
                    && Some(&r.url) == download_location(c).as_ref())
            })
            .cloned()
            .collect();
        set_list(&mut e, "externalRef", external_refs(&refs));
        if class == "ai_AIPackage" {
            ai_fields(&mut e, c.model_card.as_ref());
        }
        if let (ComponentKind::Data, Some(d)) = (c.kind, &c.data) {
            dataset_fields(&mut e, d);
        } else if c.kind == ComponentKind::Data {
            e.insert("dataset_datasetType".into(), json!(["noAssertion"]));
        }
        g.add(id.clone(), e);

        if !c.licenses.is_empty() {
            let mut to = Vec::new();
            for l in &c.licenses {
                let text = license_text(l);
                let lid = ids.of("license", &text);
                licenses.entry(lid.clone()).or_insert_with(|| {
                    let mut m = obj(json!({
                        "type": "simplelicensing_LicenseExpression",
                        "simplelicensing_licenseExpression": text,
                    }));
                    match l {
                        License::Spdx(_) => {
                            m.insert(
                                "simplelicensing_licenseListVersion".into(),
                                LICENSE_LIST_VERSION.into(),
                            );
                        }
                        License::Named(name) => {
                            m.insert("name".into(), name.clone().into());
                        }
                    }
                    m
                });
                to.push(lid);
            }
            to.sort();
            to.dedup();
            relationships.push(relationship(
                &ids,
                &c.bom_ref,
                "hasDeclaredLicense",
                None,
                &id,
                to,
            ));
        }
        if !c.components.is_empty() {
            let to = c
                .components
                .iter()
                .map(|n| element_of[&n.bom_ref].clone())
                .collect();
            relationships.push(relationship(&ids, &c.bom_ref, "contains", None, &id, to));
        }
        stack.extend(c.components.iter().rev());
    }

    for s in &bom.services {
        g.add(ids.of("service", &s.bom_ref), service_element(s, &mut org));
    }

    for dep in &bom.dependencies {
        let how = match dep.relation {
            Relation::DescendantOf(how) => Some(how),
            _ => None,
        };
        let to = dep.to.iter().map(|t| element_of[t].clone()).collect();
        relationships.push(relationship(
            &ids,
            &dep.from,
            relation_name(dep.relation),
            how,
            &element_of[&dep.from],
            to,
        ));
    }
    for (id, e) in relationships {
        g.add(id, e);
    }
    for (id, e) in licenses.into_iter().chain(agents) {
        g.add(id, e);
    }

    let sbom_id = ids.fixed("sbom");
    let document_id = ids.fixed("document");
    let mut all: Vec<Value> = g.elements.keys().cloned().map(Value::String).collect();
    g.add(
        sbom_id.clone(),
        obj(json!({
            "type": "software_Sbom",
            "software_sbomType": ["analyzed"],
            "rootElement": [subject_id],
            "element": all.clone(),
        })),
    );
    all.push(Value::String(sbom_id.clone()));
    all.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    let mut document = obj(json!({
        "type": "SpdxDocument",
        "name": format!("AI bill of materials of {}", bom.subject.name),
        "profileConformance": ["core", "software", "simpleLicensing", "ai", "dataset"],
        "rootElement": [sbom_id],
        "element": all,
    }));
    document.insert("spdxId".into(), document_id.clone().into());
    document.insert("creationInfo".into(), CREATION_INFO.into());

    let mut graph = vec![json!({
        "type": "CreationInfo",
        "@id": CREATION_INFO,
        "specVersion": "3.0.1",
        "created": options.created,
        "createdBy": [agent],
        "createdUsing": [tool],
    })];
    graph.push(Value::Object(document));
    graph.extend(g.elements.into_values());
    json!({"@context": CONTEXT, "@graph": graph})
}

fn relationship(
    ids: &Ids,
    from_ref: &str,
    kind: &str,
    how: Option<Derivation>,
    from: &str,
    to: Vec<String>,
) -> (String, Map<String, Value>) {
    let mut key = format!("{from_ref} {kind}");
    if let Some(how) = how {
        key.push(' ');
        key.push_str(how.as_str());
    }
    let mut m = obj(json!({
        "type": "Relationship",
        "from": from,
        "relationshipType": kind,
        "to": to,
    }));
    if let Some(how) = how {
        m.insert("comment".into(), how.as_str().into());
    }
    (ids.of("relationship", &key), m)
}

fn ai_fields(e: &mut Map<String, Value>, card: Option<&ModelCard>) {
    let Some(card) = card else { return };
    let strings = |list: Vec<&String>| -> Vec<Value> {
        list.into_iter().map(|s| Value::String(s.clone())).collect()
    };
    set_list(e, "ai_domain", strings(card.task.iter().collect()));
    // SPDX's type of model covers both the learning approach and the architecture.
    let mut types: Vec<Value> = card.approach.iter().map(|a| a.as_str().into()).collect();
    types.extend(strings(
        card.model_architecture
            .iter()
            .chain(&card.architecture_family)
            .collect(),
    ));
    set_list(e, "ai_typeOfModel", types);
    if !card.datasets.is_empty() {
        let lines: Vec<String> = card
            .datasets
            .iter()
            .map(|d| format!("{TRAINING_DATASET_PREFIX}{d}"))
            .collect();
        e.insert(
            "ai_informationAboutTraining".into(),
            lines.join("\n").into(),
        );
    }
    let metrics = card
        .performance_metrics
        .iter()
        .map(|m| json!({"type": "DictionaryEntry", "key": metric_key(m), "value": m.value}))
        .collect();
    set_list(e, "ai_metric", metrics);
    if !card.technical_limitations.is_empty() {
        e.insert(
            "ai_limitation".into(),
            card.technical_limitations.join("\n").into(),
        );
    }
    if !card.use_cases.is_empty() {
        e.insert(
            "ai_informationAboutApplication".into(),
            card.use_cases.join("\n").into(),
        );
    }
}

fn dataset_fields(e: &mut Map<String, Value>, d: &DataInfo) {
    let types: Vec<Value> = if d.modalities.is_empty() {
        vec!["noAssertion".into()]
    } else {
        d.modalities.iter().map(|m| m.as_str().into()).collect()
    };
    e.insert("dataset_datasetType".into(), Value::Array(types));
    set(e, "dataset_datasetSize", d.size_bytes);
    if let Some(url) = &d.contents_url
        && !e.contains_key("software_downloadLocation")
    {
        e.insert("software_downloadLocation".into(), url.clone().into());
    }
    if let Some(rows) = d.row_count {
        e.insert("comment".into(), format!("rows: {rows}").into());
    }
}

fn service_element(s: &Service, org: &mut impl FnMut(&str, &str) -> String) -> Map<String, Value> {
    let mut e = obj(json!({
        "type": "software_Package",
        "name": s.name,
        "software_primaryPurpose": "other",
        "summary": "hosted service",
    }));
    set(&mut e, "description", s.description.clone());
    if let Some(provider) = &s.provider {
        e.insert("suppliedBy".into(), org(provider, "Organization").into());
    }
    let mut refs = external_refs(&s.external_references);
    refs.extend(s.endpoints.iter().map(|url| {
        json!({"type": "ExternalRef", "externalRefType": "other", "locator": [url], "comment": "endpoint"})
    }));
    set_list(&mut e, "externalRef", refs);
    e
}

// ---------------------------------------------------------------- reader

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn strings_of(v: &Value, key: &str) -> Vec<String> {
    match v.get(key) {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn id_of(v: &Value) -> Option<&str> {
    str_of(v, "spdxId").or_else(|| str_of(v, "@id"))
}

/// Reads SPDX 3.0.x JSON-LD into the model.
///
/// Elements written by airlock get their `bom_ref` back from their id; elements of other
/// tools use their `spdxId` as `bom_ref`. Packages, AI packages, dataset packages and files
/// become components, `contains` nests them, and `dependsOn`, `descendantOf`, `trainedOn` and
/// `testedOn` become edges. Other relationship types and classes are ignored.
pub fn read(text: &str) -> Result<Bom, Error> {
    let doc: Value = serde_json::from_str(text)?;
    let not_doc = |reason: &str| Error::NotADocument {
        format: "SPDX 3",
        reason: reason.into(),
    };
    let graph = doc
        .get("@graph")
        .and_then(Value::as_array)
        .ok_or_else(|| not_doc("no @graph"))?;
    if let Some(version) = graph
        .iter()
        .find(|e| str_of(e, "type") == Some("CreationInfo"))
        .and_then(|e| str_of(e, "specVersion"))
        && !version.starts_with("3.0.")
    {
        return Err(Error::UnsupportedVersion {
            format: "SPDX 3",
            version: version.into(),
        });
    }
    let by_id: BTreeMap<&str, &Value> = graph.iter().filter_map(|e| Some((id_of(e)?, e))).collect();
    let document = graph
        .iter()
        .find(|e| str_of(e, "type") == Some("SpdxDocument"))
        .ok_or_else(|| not_doc("no SpdxDocument"))?;
    let ns = id_of(document)
        .and_then(|id| id.strip_suffix("/document"))
        .filter(|ns| ns.starts_with(NAMESPACE_BASE))
        .map(str::to_owned);

    let subject_id = ns.as_ref().map(|ns| format!("{ns}/project"));
    let mut bom = Bom::default();
    match subject_id.as_deref().and_then(|id| by_id.get(id)) {
        Some(subject) => {
            bom.subject = Subject {
                name: str_of(subject, "name").unwrap_or_default().into(),
                version: str_of(subject, "software_packageVersion").map(str::to_owned),
                description: str_of(subject, "description").map(str::to_owned),
            }
        }
        None => bom.subject.name = str_of(document, "name").unwrap_or_default().into(),
    }

    let to_ref = |id: &str| -> String {
        if Some(id) == subject_id.as_deref() {
            return bom_subject_ref_placeholder();
        }
        if let Some(ns) = &ns
            && let Some(rest) = id.strip_prefix(ns.as_str())
            && let Some((_, key)) = rest.trim_start_matches('/').split_once('/')
            && let Some(decoded) = decode(key)
        {
            return decoded;
        }
        id.to_owned()
    };
    let name_of = |id: &str| -> Option<String> {
        by_id
            .get(id)
            .and_then(|e| str_of(e, "name"))
            .map(str::to_owned)
    };

    // Licences and nesting first: they are relationships naming elements.
    let mut licenses_of: BTreeMap<&str, Vec<License>> = BTreeMap::new();
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut parent_of: BTreeMap<&str, &str> = BTreeMap::new();
    let mut edges = Vec::new();
    for e in graph {
        if str_of(e, "type") != Some("Relationship") {
            continue;
        }
        let (Some(from), Some(kind)) = (str_of(e, "from"), str_of(e, "relationshipType")) else {
            continue;
        };
        let to: Vec<&str> = match e.get("to") {
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => Vec::new(),
        };
        match kind {
            "hasDeclaredLicense" | "hasConcludedLicense" => {
                for t in to {
                    if let Some(l) = by_id.get(t).and_then(|l| read_license(l)) {
                        licenses_of.entry(from).or_default().push(l);
                    }
                }
            }
            "contains" | "hasDataFile" => {
                for t in to {
                    if parent_of.contains_key(t) || t == from {
                        continue;
                    }
                    parent_of.insert(t, from);
                    children.entry(from).or_default().push(t);
                }
            }
            "dependsOn" => edges.push((from, Relation::DependsOn, to)),
            "trainedOn" => edges.push((from, Relation::TrainedOn, to)),
            "testedOn" => edges.push((from, Relation::TestedOn, to)),
            "descendantOf" => {
                let how = str_of(e, "comment")
                    .and_then(Derivation::parse)
                    .unwrap_or(Derivation::Unknown);
                edges.push((from, Relation::DescendantOf(how), to));
            }
            "ancestorOf" => {
                for t in to {
                    edges.push((t, Relation::DescendantOf(Derivation::Unknown), vec![from]));
                }
            }
            _ => {}
        }
    }

    let is_component = |e: &Value| {
        matches!(
            str_of(e, "type"),
            Some("software_Package" | "ai_AIPackage" | "dataset_DatasetPackage" | "software_File")
        ) && id_of(e) != subject_id.as_deref()
    };
    let is_service = |e: &Value| {
        str_of(e, "type") == Some("software_Package")
            && str_of(e, "summary") == Some("hosted service")
    };
    let ctx = ReadCtx {
        by_id: &by_id,
        licenses_of: &licenses_of,
        children: &children,
        to_ref: &to_ref,
        name_of: &name_of,
    };
    let mut known: BTreeSet<String> = BTreeSet::new();
    known.insert(bom_subject_ref_placeholder());
    for e in graph {
        let Some(id) = id_of(e) else { continue };
        if !is_component(e) || parent_of.contains_key(id) {
            continue;
        }
        if is_service(e) {
            let s = read_service(e, &ctx, id);
            known.insert(s.bom_ref.clone());
            bom.services.push(s);
        } else if let Some(c) = read_component(e, &ctx, id, 0) {
            visit(std::slice::from_ref(&c), &mut |c| {
                known.insert(c.bom_ref.clone());
            });
            bom.components.push(c);
        }
    }
    let subject_ref = bom.subject.bom_ref();
    let fix = |r: String| {
        if r == bom_subject_ref_placeholder() {
            subject_ref.clone()
        } else {
            r
        }
    };
    for (from, relation, to) in edges {
        let from = to_ref(from);
        if !known.contains(&from) {
            continue;
        }
        for t in to {
            let t = to_ref(t);
            if known.contains(&t) {
                bom.add_edge(&fix(from.clone()), relation, &fix(t));
            }
        }
    }
    bom.normalize();
    Ok(bom)
}

/// Stands for the subject until its name, and so its ref, is known.
fn bom_subject_ref_placeholder() -> String {
    "\u{0}subject".into()
}

struct ReadCtx<'a> {
    by_id: &'a BTreeMap<&'a str, &'a Value>,
    licenses_of: &'a BTreeMap<&'a str, Vec<License>>,
    children: &'a BTreeMap<&'a str, Vec<&'a str>>,
    to_ref: &'a dyn Fn(&str) -> String,
    name_of: &'a dyn Fn(&str) -> Option<String>,
}

fn read_license(l: &Value) -> Option<License> {
    let text = str_of(l, "simplelicensing_licenseExpression")?;
    if text.starts_with(NAMED_LICENSE_PREFIX)
        && let Some(name) = str_of(l, "name")
    {
        return Some(License::Named(name.into()));
    }
    Some(License::parse(text))
}

fn read_hashes(e: &Value) -> Vec<Hash> {
    match e.get("verifiedUsing") {
        Some(Value::Array(list)) => list
            .iter()
            .filter(|h| str_of(h, "type") == Some("Hash"))
            .filter_map(|h| {
                Hash::new(
                    HashAlg::parse(str_of(h, "algorithm")?)?,
                    str_of(h, "hashValue")?,
                )
                .ok()
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn read_external_refs(e: &Value) -> (Vec<ExternalReference>, Vec<String>) {
    let mut refs = Vec::new();
    let mut endpoints = Vec::new();
    if let Some(Value::Array(list)) = e.get("externalRef") {
        for r in list {
            let kind = kind_of_ref_type(str_of(r, "externalRefType").unwrap_or("other"));
            let comment = str_of(r, "comment").map(str::to_owned);
            for url in strings_of(r, "locator") {
                if kind == ExternalRefKind::Other && comment.as_deref() == Some("endpoint") {
                    endpoints.push(url);
                } else {
                    refs.push(ExternalReference {
                        kind,
                        url,
                        comment: comment.clone(),
                        hashes: Vec::new(),
                    });
                }
            }
        }
    }
    (refs, endpoints)
}

fn read_service(e: &Value, ctx: &ReadCtx<'_>, id: &str) -> Service {
    let name = str_of(e, "name").unwrap_or_default();
    let provider = str_of(e, "suppliedBy").and_then(|p| (ctx.name_of)(p));
    let mut s = Service::new(provider.as_deref(), name);
    s.bom_ref = (ctx.to_ref)(id);
    s.description = str_of(e, "description").map(str::to_owned);
    let (refs, endpoints) = read_external_refs(e);
    s.external_references = refs;
    s.endpoints = endpoints;
    s
}

/// Nesting deeper than this is ignored (a cycle of `contains` in a hostile document).
const MAX_DEPTH: usize = 32;

fn read_component(e: &Value, ctx: &ReadCtx<'_>, id: &str, depth: usize) -> Option<Component> {
    if depth > MAX_DEPTH {
        return None;
    }
    let class = str_of(e, "type")?;
    let kind = match class {
        "ai_AIPackage" => ComponentKind::MachineLearningModel,
        "dataset_DatasetPackage" => ComponentKind::Data,
        "software_File" => ComponentKind::File,
        _ => kind_of_purpose(str_of(e, "software_primaryPurpose").unwrap_or("library")),
    };
    let full = str_of(e, "name").unwrap_or_default();
    let (group, name) = match (kind, full.split_once('/')) {
        (ComponentKind::File, _) | (_, None) => (None, full.to_owned()),
        (_, Some((g, n))) => (Some(g.to_owned()), n.to_owned()),
    };
    let mut c = Component::new(kind, name);
    c.bom_ref = (ctx.to_ref)(id);
    c.group = group;
    c.version = str_of(e, "software_packageVersion").map(str::to_owned);
    c.purl = str_of(e, "software_packageUrl").map(str::to_owned);
    c.description = str_of(e, "description").map(str::to_owned);
    c.supplier = str_of(e, "suppliedBy").and_then(|p| (ctx.name_of)(p));
    c.authors = strings_of(e, "originatedBy")
        .iter()
        .filter_map(|p| (ctx.name_of)(p))
        .collect();
    c.release_time = str_of(e, "releaseTime").map(str::to_owned);
    c.hashes = read_hashes(e);
    c.origin = str_of(e, "software_sourceInfo").and_then(parse_origin);
    c.licenses = ctx.licenses_of.get(id).cloned().unwrap_or_default();
    let (mut refs, _) = read_external_refs(e);
    if let Some(location) = str_of(e, "software_downloadLocation") {
        let derived = download_location(&c);
        if derived.as_deref() != Some(location) {
            refs.push(ExternalReference {
                kind: ExternalRefKind::Distribution,
                url: location.to_owned(),
                comment: None,
                hashes: Vec::new(),
            });
        }
    }
    c.external_references = refs;
    if class == "ai_AIPackage" {
        let card = read_ai_fields(e);
        if !card.is_empty() {
            c.model_card = Some(card);
        }
    }
    if kind == ComponentKind::Data {
        c.data = Some(read_dataset_fields(e));
    }
    for child in ctx.children.get(id).into_iter().flatten() {
        if let Some(child_element) = ctx.by_id.get(child)
            && let Some(n) = read_component(child_element, ctx, child, depth + 1)
        {
            c.components.push(n);
        }
    }
    Some(c)
}

fn read_ai_fields(e: &Value) -> ModelCard {
    let mut card = ModelCard {
        task: strings_of(e, "ai_domain").into_iter().next(),
        ..ModelCard::default()
    };
    let mut types = strings_of(e, "ai_typeOfModel").into_iter().peekable();
    card.approach = types.peek().and_then(|t| LearningApproach::parse(t));
    if card.approach.is_some() {
        types.next();
    }
    card.model_architecture = types.next();
    card.architecture_family = types.next();
    if let Some(text) = str_of(e, "ai_informationAboutTraining") {
        card.datasets = text
            .lines()
            .filter_map(|l| l.strip_prefix(TRAINING_DATASET_PREFIX))
            .map(str::to_owned)
            .collect();
    }
    if let Some(Value::Array(list)) = e.get("ai_metric") {
        for m in list {
            let (Some(key), Some(value)) = (str_of(m, "key"), str_of(m, "value")) else {
                continue;
            };
            let (metric_type, slice) = match key.strip_suffix(']').and_then(|k| k.split_once(" ["))
            {
                Some((t, s)) => (t.to_owned(), Some(s.to_owned())),
                None => (key.to_owned(), None),
            };
            card.performance_metrics.push(PerformanceMetric {
                metric_type,
                value: value.into(),
                dataset: None,
                slice,
                confidence_interval: None,
            });
        }
    }
    if let Some(text) = str_of(e, "ai_limitation") {
        card.technical_limitations = text.lines().map(str::to_owned).collect();
    }
    if let Some(text) = str_of(e, "ai_informationAboutApplication") {
        card.use_cases = text.lines().map(str::to_owned).collect();
    }
    card
}

fn read_dataset_fields(e: &Value) -> DataInfo {
    let mut d = DataInfo::dataset();
    d.data_type = DataType::Dataset;
    d.modalities = strings_of(e, "dataset_datasetType")
        .iter()
        .filter_map(|t| Modality::parse(t))
        .collect();
    d.size_bytes = e.get("dataset_datasetSize").and_then(Value::as_u64);
    d.row_count = str_of(e, "comment")
        .and_then(|s| s.strip_prefix("rows: "))
        .and_then(|s| s.parse().ok());
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_encode_and_decode() {
        let r = "pkg:huggingface/org/name@abc#sub dir/ü.json";
        let encoded = encode(r);
        assert!(
            encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b))
        );
        assert_eq!(decode(&encoded).as_deref(), Some(r));
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%4"), None);
    }

    #[test]
    fn datetimes() {
        assert!(is_spdx_datetime("2026-11-25T00:00:00Z"));
        for bad in [
            "2026-11-25",
            "2026-11-25T00:00:00+01:00",
            "2026-11-25T00:00:00.5Z",
            "",
        ] {
            assert!(!is_spdx_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn origin_info_round_trips() {
        let origin = Origin {
            repo_id: "org/name".into(),
            revision: Some("abc".into()),
            repo_type: Some("dataset".into()),
            hub: Some("https://hub.example".into()),
        };
        assert_eq!(parse_origin(&origin_info(&origin)), Some(origin));
        assert_eq!(parse_origin("free text"), None);
    }
}
