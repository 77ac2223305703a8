//! From what discovery found to a bill of materials: one component per model, dataset and
//! library (files nested with their digests), one service per provider, and the edges
//! between them — the project's dependencies, each model's lineage (`base_model`) and
//! training data (`datasets`).
//!
//! A model or dataset named somewhere (a card's `base_model`, a `from_pretrained` call) but
//! not present on disk becomes a component of its own, marked `airlock:present = false`, so
//! lineage and exposure questions reach it; one that is present is linked, not duplicated.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use airlock_deps::{Ecosystem, Manifest};

use crate::discover::{
    CodeReference, DiscoveredDataset, DiscoveredModel, HubOrigin, Inventory, Provider,
    ReferenceKind, ServiceReference,
};
use crate::license::License;
use crate::model::{
    Bom, Component, ComponentKind, DataInfo, Derivation, EthicalConsideration, ExternalRefKind,
    ExternalReference, Hash, HashAlg, ModelCard, Origin, PerformanceMetric, Property, Relation,
    Service, Subject,
};

/// Property names airlock adds to components (CycloneDX `properties`, kept in round trips).
pub mod props {
    /// Root-relative path of a model or dataset folder or file.
    pub const PATH: &str = "airlock:path";
    /// How it was found (`folder`, `hub-cache`, `local-dir-download`, `loose-file`...).
    pub const LAYOUT: &str = "airlock:layout";
    /// OMS subject digest of a model folder (what `airlock sign` signs, `airlock lock` pins).
    pub const OMS_SHA256: &str = "airlock:oms-sha256";
    /// `false` for models and datasets named but not present under the project.
    pub const PRESENT: &str = "airlock:present";
    /// `file:line` where code or config names the component.
    pub const REFERENCED_IN: &str = "airlock:referenced-in";
    /// Weight or data format, by content.
    pub const FORMAT: &str = "airlock:format";
    /// Tensors a weight file's header lists.
    pub const TENSOR_COUNT: &str = "airlock:tensor-count";
    /// Parameters over all weight files of a model.
    pub const PARAMETER_COUNT: &str = "airlock:parameter-count";
    /// Tensor dtypes of a weight file.
    pub const DTYPES: &str = "airlock:dtypes";
    /// Data rows of a data file.
    pub const ROWS: &str = "airlock:rows";
    /// The library the model card says loads the model (`transformers`, `diffusers`...).
    pub const LIBRARY: &str = "airlock:library";
    /// The requirement as declared when no version is pinned (`torch>=2`).
    pub const REQUIREMENT: &str = "airlock:requirement";
    /// Manifests that declare or lock a library.
    pub const DECLARED_IN: &str = "airlock:declared-in";
}

/// Builds the bill of materials of `subject` from discovery and the dependency manifests
/// found under `root` (manifest paths are recorded relative to it).
pub fn assemble(
    root: &Path,
    subject: Subject,
    inventory: &Inventory,
    manifests: &[Manifest],
) -> Bom {
    let mut builder = Builder {
        bom: Bom {
            subject,
            ..Bom::default()
        },
        hub: BTreeMap::new(),
        paths: BTreeMap::new(),
    };
    for model in &inventory.models {
        builder.add_model(model);
    }
    for dataset in &inventory.datasets {
        builder.add_dataset(dataset);
    }
    for model in &inventory.models {
        builder.link_model(model, inventory);
    }
    for reference in &inventory.references {
        builder.add_reference(reference);
    }
    for service in services(&inventory.services) {
        let project = builder.bom.subject.bom_ref();
        builder
            .bom
            .add_edge(&project, Relation::DependsOn, &service.bom_ref);
        builder.bom.services.push(service);
    }
    builder.add_libraries(root, manifests);
    builder.bom.normalize();
    builder.bom
}

struct Builder {
    bom: Bom,
    /// (kind, `org/name`) → refs of components for that hub repo (one per revision).
    hub: BTreeMap<(ReferenceKind, String), Vec<String>>,
    /// Root-relative folder → ref of the model or dataset found there.
    paths: BTreeMap<String, String>,
}

impl Builder {
    fn project(&self) -> String {
        self.bom.subject.bom_ref()
    }

    fn add_model(&mut self, model: &DiscoveredModel) {
        let mut component = hub_component(
            ComponentKind::MachineLearningModel,
            model.hub.as_ref(),
            &model.path,
        );
        component.properties.extend([
            Property::new(props::PATH, &model.path),
            Property::new(props::LAYOUT, kebab(&model.layout)),
        ]);
        if let Some(oms) = &model.oms_sha256 {
            component
                .properties
                .push(Property::new(props::OMS_SHA256, oms));
        }
        let parameters: Option<u64> = model
            .weights
            .iter()
            .map(|weight| weight.parameter_count)
            .sum();
        if let Some(parameters) = parameters.filter(|_| !model.weights.is_empty()) {
            component.properties.push(Property::new(
                props::PARAMETER_COUNT,
                parameters.to_string(),
            ));
        }
        let mut card = ModelCard::default();
        if let Some(config) = &model.config {
            card.architecture_family = config.model_type.clone();
            card.model_architecture = config.architectures.first().cloned();
        }
        if let Some(found) = &model.card {
            component.licenses.extend(licence(
                found.license.as_deref(),
                found.license_name.as_deref(),
            ));
            card.task = found.pipeline_tag.clone();
            card.datasets = found.datasets.clone();
            card.performance_metrics = found
                .metrics
                .iter()
                .map(|metric| PerformanceMetric {
                    metric_type: metric.metric.clone(),
                    value: metric.value.clone(),
                    dataset: metric.dataset.clone(),
                    slice: metric.split.clone(),
                    confidence_interval: None,
                })
                .collect();
            let considerations = &found.considerations;
            card.use_cases.extend(considerations.intended_uses.clone());
            card.technical_limitations
                .extend(considerations.limitations.clone());
            card.technical_limitations.extend(
                considerations
                    .out_of_scope
                    .as_ref()
                    .map(|text| format!("Out of scope: {text}")),
            );
            card.ethical_considerations
                .extend(
                    considerations
                        .bias_risks
                        .iter()
                        .map(|text| EthicalConsideration {
                            name: text.clone(),
                            mitigation: None,
                        }),
                );
            if let Some(library) = &found.library_name {
                component
                    .properties
                    .push(Property::new(props::LIBRARY, library));
            }
        }
        if !card.is_empty() {
            component.model_card = Some(card);
        }
        for weight in &model.weights {
            let hashes = weight.sha256.iter().filter_map(|hex| sha256(hex)).collect();
            let mut file = Component::file(&component.bom_ref, &weight.path, hashes);
            file.properties
                .push(Property::new(props::FORMAT, kebab(&weight.format)));
            if let Some(count) = weight.tensor_count {
                file.properties
                    .push(Property::new(props::TENSOR_COUNT, count.to_string()));
            }
            if !weight.dtypes.is_empty() {
                file.properties
                    .push(Property::new(props::DTYPES, weight.dtypes.join(",")));
            }
            component.components.push(file);
        }
        self.register(
            ReferenceKind::Model,
            model.hub.as_ref(),
            &model.path,
            &component.bom_ref,
        );
        let project = self.project();
        self.bom
            .add_edge(&project, Relation::DependsOn, &component.bom_ref);
        self.bom.components.push(component);
    }

    fn add_dataset(&mut self, dataset: &DiscoveredDataset) {
        let mut component = hub_component(ComponentKind::Data, dataset.hub.as_ref(), &dataset.path);
        component.properties.extend([
            Property::new(props::PATH, &dataset.path),
            Property::new(props::LAYOUT, kebab(&dataset.layout)),
        ]);
        let mut data = DataInfo::dataset();
        if let Some(card) = &dataset.card {
            component
                .licenses
                .extend(licence(card.license.as_deref(), None));
            component.description = card.pretty_name.clone();
        }
        if let Some(croissant) = &dataset.croissant {
            component
                .licenses
                .extend(croissant.licenses.iter().map(|text| License::parse(text)));
            data.contents_url = croissant.url.clone();
        }
        if let Some(info) = &dataset.info {
            component
                .licenses
                .extend(licence(info.license.as_deref(), None));
            data.contents_url = data.contents_url.or_else(|| info.homepage.clone());
            let examples: Option<u64> = info.splits.iter().map(|split| split.num_examples).sum();
            data.row_count = examples.filter(|_| !info.splits.is_empty());
        }
        let file_rows: Option<u64> = dataset.files.iter().map(|file| file.rows).sum();
        if data.row_count.is_none() && !dataset.files.is_empty() {
            data.row_count = file_rows;
        }
        if !dataset.files.is_empty() {
            data.size_bytes = Some(dataset.files.iter().map(|file| file.size).sum());
        }
        for file in &dataset.files {
            let hashes = file.sha256.iter().filter_map(|hex| sha256(hex)).collect();
            let mut nested = Component::file(&component.bom_ref, &file.path, hashes);
            nested
                .properties
                .push(Property::new(props::FORMAT, kebab(&file.format)));
            if let Some(rows) = file.rows {
                nested
                    .properties
                    .push(Property::new(props::ROWS, rows.to_string()));
            }
            component.components.push(nested);
        }
        component.data = Some(data);
        self.register(
            ReferenceKind::Dataset,
            dataset.hub.as_ref(),
            &dataset.path,
            &component.bom_ref,
        );
        let project = self.project();
        self.bom
            .add_edge(&project, Relation::DependsOn, &component.bom_ref);
        self.bom.components.push(component);
    }

    fn register(
        &mut self,
        kind: ReferenceKind,
        hub: Option<&HubOrigin>,
        path: &str,
        bom_ref: &str,
    ) {
        if let Some(repo) = hub.and_then(|hub| hub.repo.as_ref()) {
            self.hub
                .entry((kind, repo.clone()))
                .or_default()
                .push(bom_ref.to_owned());
        }
        self.paths.insert(path.to_owned(), bom_ref.to_owned());
    }

    /// Lineage and training data of one model, once every model and dataset is known.
    fn link_model(&mut self, model: &DiscoveredModel, inventory: &Inventory) {
        let Some(from) = self.paths.get(&model.path).cloned() else {
            return;
        };
        let card = model.card.as_ref();
        let adapter = model
            .config
            .as_ref()
            .is_some_and(|config| config.peft_type.is_some());
        let derivation = card
            .and_then(|card| card.base_model_relation.as_deref())
            .and_then(Derivation::parse)
            .unwrap_or(if adapter {
                Derivation::Adapter
            } else {
                Derivation::Unknown
            });
        let mut bases: Vec<String> = Vec::new();
        for link in &model.local_links {
            if let Some(target) = link
                .target
                .as_ref()
                .and_then(|target| self.paths.get(target))
            {
                bases.push(target.clone());
            }
        }
        for base in card
            .map(|card| card.base_models.as_slice())
            .unwrap_or_default()
        {
            let local = model
                .local_links
                .iter()
                .any(|link| &link.value == base && link.target.is_some());
            if !local {
                bases.push(self.named(ReferenceKind::Model, base, None));
            }
        }
        for base in bases {
            if base != from {
                self.bom
                    .add_edge(&from, Relation::DescendantOf(derivation), &base);
            }
        }
        for dataset in card
            .map(|card| card.datasets.as_slice())
            .unwrap_or_default()
        {
            let to = match inventory
                .datasets
                .iter()
                .find(|found| found.path == *dataset)
                .and_then(|found| self.paths.get(&found.path))
            {
                Some(local) => local.clone(),
                None => self.named(ReferenceKind::Dataset, dataset, None),
            };
            self.bom.add_edge(&from, Relation::TrainedOn, &to);
        }
    }

    /// A model or dataset named in code or config: linked to what is present, or added.
    fn add_reference(&mut self, reference: &CodeReference) {
        if reference.kind == ReferenceKind::Space {
            return;
        }
        let target = reference
            .target
            .trim_start_matches("./")
            .trim_end_matches('/');
        let to = if reference.local {
            match self.paths.get(target) {
                Some(found) => found.clone(),
                None => return,
            }
        } else {
            self.named(reference.kind, target, reference.revision.as_deref())
        };
        let location = format!("{}:{}", reference.file, reference.line);
        if let Some(component) = self.component_mut(&to) {
            component
                .properties
                .push(Property::new(props::REFERENCED_IN, location));
        }
        let project = self.project();
        self.bom.add_edge(&project, Relation::DependsOn, &to);
    }

    /// The component for a hub id named somewhere: the present one when exactly one
    /// matches (or the one at the named revision), else a component for the name itself.
    fn named(&mut self, kind: ReferenceKind, id: &str, revision: Option<&str>) -> String {
        let present = self
            .hub
            .get(&(kind, id.to_owned()))
            .cloned()
            .unwrap_or_default();
        let at_revision: Vec<&String> = present
            .iter()
            .filter(|bom_ref| {
                revision.is_none_or(|revision| {
                    self.bom
                        .component(bom_ref)
                        .and_then(|c| c.version.as_deref())
                        .is_some_and(|version| version.starts_with(revision))
                })
            })
            .collect();
        if let [only] = at_revision.as_slice() {
            return (*only).clone();
        }
        let component_kind = match kind {
            ReferenceKind::Dataset => ComponentKind::Data,
            _ => ComponentKind::MachineLearningModel,
        };
        let origin = HubOrigin {
            repo_type: if kind == ReferenceKind::Dataset {
                "dataset".into()
            } else {
                "model".into()
            },
            repo: Some(id.to_owned()),
            revision: revision.unwrap_or_default().to_owned(),
            refs: Vec::new(),
            source: "reference",
            downloaded_at: None,
        };
        let mut component = hub_component(component_kind, Some(&origin), id);
        if let Some(found) = self
            .bom
            .components
            .iter()
            .find(|c| c.bom_ref == component.bom_ref)
        {
            return found.bom_ref.clone();
        }
        component
            .properties
            .push(Property::new(props::PRESENT, "false"));
        if component_kind == ComponentKind::Data {
            component.data = Some(DataInfo::dataset());
        }
        let bom_ref = component.bom_ref.clone();
        self.bom.components.push(component);
        bom_ref
    }

    fn component_mut(&mut self, bom_ref: &str) -> Option<&mut Component> {
        self.bom
            .components
            .iter_mut()
            .find(|c| c.bom_ref == bom_ref)
    }

    /// One library component per ecosystem, name and version over every manifest; the
    /// project depends on those it declares directly.
    fn add_libraries(&mut self, root: &Path, manifests: &[Manifest]) {
        let key = |dependency: &airlock_deps::Dependency| {
            (dependency.ecosystem, dependency.normalized_name.clone())
        };
        let pinned: BTreeSet<(Ecosystem, String)> = manifests
            .iter()
            .flat_map(|manifest| &manifest.dependencies)
            .filter(|dependency| dependency.version.is_some())
            .map(key)
            .collect();
        let mut libraries: BTreeMap<String, Component> = BTreeMap::new();
        let mut refs: BTreeMap<(Ecosystem, String), BTreeSet<String>> = BTreeMap::new();
        let mut direct: BTreeSet<(Ecosystem, String)> = BTreeSet::new();
        for manifest in manifests {
            let declared_in = manifest
                .path
                .strip_prefix(root)
                .unwrap_or(&manifest.path)
                .to_string_lossy()
                .replace(std::path::MAIN_SEPARATOR, "/");
            for dependency in manifest.dependencies.iter().filter(|d| !d.constraint) {
                if dependency.direct != Some(false) && is_declaration(manifest, dependency.direct) {
                    direct.insert(key(dependency));
                }
                // An unpinned declaration is covered by the locked version when there is one.
                if dependency.version.is_none() && pinned.contains(&key(dependency)) {
                    continue;
                }
                let purl = purl(
                    dependency.ecosystem,
                    &dependency.normalized_name,
                    dependency.version.as_deref(),
                );
                let component = libraries.entry(purl.clone()).or_insert_with(|| {
                    let mut library =
                        Component::new(ComponentKind::Library, &dependency.normalized_name);
                    library.version = dependency.version.clone();
                    library.purl = Some(purl.clone());
                    if dependency.version.is_none()
                        && let Some(requirement) = &dependency.requirement
                    {
                        library
                            .properties
                            .push(Property::new(props::REQUIREMENT, requirement));
                    }
                    library.with_derived_ref()
                });
                component
                    .properties
                    .push(Property::new(props::DECLARED_IN, &declared_in));
                refs.entry(key(dependency))
                    .or_default()
                    .insert(component.bom_ref.clone());
            }
        }
        let project = self.project();
        for to in direct.iter().filter_map(|key| refs.get(key)).flatten() {
            self.bom.add_edge(&project, Relation::DependsOn, to);
        }
        self.bom.components.extend(libraries.into_values());
    }
}

/// Whether a manifest's entry is one the project itself asks for (not a transitive lock entry).
fn is_declaration(manifest: &Manifest, direct: Option<bool>) -> bool {
    use airlock_deps::ManifestKind;
    direct == Some(true)
        || matches!(
            manifest.kind,
            ManifestKind::RequirementsTxt
                | ManifestKind::Pyproject
                | ManifestKind::CondaEnvironment
        )
}

/// `pkg:pypi/name@version` and its cargo, npm and conda equivalents.
fn purl(ecosystem: Ecosystem, name: &str, version: Option<&str>) -> String {
    let kind = match ecosystem {
        Ecosystem::PyPI => "pypi",
        Ecosystem::Conda => "conda",
        Ecosystem::Crates => "cargo",
        Ecosystem::Npm => "npm",
    };
    let name = match (ecosystem, name.strip_prefix('@')) {
        // npm scopes are the purl namespace, with the `@` percent-encoded.
        (Ecosystem::Npm, Some(scoped)) => format!("%40{scoped}"),
        _ => name.to_owned(),
    };
    match version {
        Some(version) => format!("pkg:{kind}/{name}@{}", version.replace('+', "%2B")),
        None => format!("pkg:{kind}/{name}"),
    }
}

/// A model or dataset component named after its hub repo (`pkg:huggingface/org/name@rev`
/// for models) or, without one, after its folder.
fn hub_component(kind: ComponentKind, hub: Option<&HubOrigin>, path: &str) -> Component {
    let repo = hub.and_then(|hub| hub.repo.as_deref());
    let revision = hub
        .map(|hub| hub.revision.as_str())
        .filter(|revision| !revision.is_empty());
    let (group, name) = match repo.and_then(|repo| repo.split_once('/')) {
        Some((org, name)) => (Some(org.to_owned()), name.to_owned()),
        None => (
            None,
            repo.map(str::to_owned).unwrap_or_else(|| folder_name(path)),
        ),
    };
    let mut component = Component::new(kind, &name);
    component.group = group;
    component.version = revision.map(str::to_owned);
    if let Some(repo) = repo {
        let site = match kind {
            ComponentKind::Data => format!("https://huggingface.co/datasets/{repo}"),
            _ => format!("https://huggingface.co/{repo}"),
        };
        if kind == ComponentKind::MachineLearningModel {
            component.purl = Some(match revision {
                Some(revision) => {
                    format!("pkg:huggingface/{repo}@{}", revision.to_ascii_lowercase())
                }
                None => format!("pkg:huggingface/{repo}"),
            });
        }
        component.external_references.push(ExternalReference {
            kind: ExternalRefKind::Website,
            url: site,
            comment: None,
            hashes: Vec::new(),
        });
        component.origin = Some(Origin {
            repo_id: repo.to_owned(),
            revision: revision.map(str::to_owned),
            repo_type: hub.map(|hub| hub.repo_type.clone()),
            hub: None,
        });
    }
    if repo.is_none() {
        // Two local folders with the same name stay apart: the path is the identity.
        component.bom_ref = format!("{}:{path}", kind.as_str());
        return component;
    }
    component.with_derived_ref()
}

fn folder_name(path: &str) -> String {
    path.rsplit('/')
        .next()
        .filter(|name| !name.is_empty() && *name != ".")
        .unwrap_or(path)
        .to_owned()
}

/// The licence a card declares: an SPDX expression, or the `license_name` of `other`.
fn licence(license: Option<&str>, name: Option<&str>) -> Option<License> {
    match (license, name) {
        (Some("other"), Some(name)) | (None, Some(name)) => Some(License::Named(name.to_owned())),
        (Some(text), _) if !text.trim().is_empty() => Some(License::parse(text)),
        _ => None,
    }
}

fn sha256(hex: &str) -> Option<Hash> {
    Hash::new(HashAlg::Sha256, hex).ok()
}

/// The kebab-case name serde gives an enum value.
fn kebab(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// One service per provider, with every endpoint, model and file that uses it.
fn services(references: &[ServiceReference]) -> Vec<Service> {
    let mut by_provider: BTreeMap<Provider, Service> = BTreeMap::new();
    for reference in references {
        let (organisation, name) = provider_names(reference.provider);
        let service = by_provider
            .entry(reference.provider)
            .or_insert_with(|| Service::new(Some(organisation), name));
        service
            .endpoints
            .extend(reference.endpoints.iter().cloned());
        service.models.extend(reference.models.iter().cloned());
        service.referenced_in.push(reference.file.clone());
        if !reference.credentials.is_empty() {
            service.authenticated = Some(true);
        }
        service.crosses_trust_boundary = Some(true);
    }
    by_provider.into_values().collect()
}

/// (organisation, service name) of a provider.
fn provider_names(provider: Provider) -> (&'static str, &'static str) {
    match provider {
        Provider::OpenAi => ("OpenAI", "OpenAI API"),
        Provider::Anthropic => ("Anthropic", "Anthropic API"),
        Provider::AzureOpenAi => ("Microsoft", "Azure OpenAI Service"),
        Provider::AwsBedrock => ("Amazon Web Services", "Amazon Bedrock"),
        Provider::GoogleVertexAi => ("Google", "Vertex AI"),
        Provider::GoogleGemini => ("Google", "Gemini API"),
        Provider::HuggingFaceInference => ("Hugging Face", "Hugging Face Inference"),
        Provider::Cohere => ("Cohere", "Cohere API"),
        Provider::Mistral => ("Mistral AI", "Mistral API"),
        Provider::CustomEndpoint => ("unknown", "custom AI endpoint"),
    }
}
