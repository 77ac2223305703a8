//! airlock's own bill of materials: plain data, independent of CycloneDX and SPDX.
//!
//! Discovery fills a [`Bom`]; the writers in [`crate::cyclonedx`] and [`crate::spdx`] turn it
//! into documents and the readers turn documents back into it. Every list is kept in a fixed
//! order by [`Bom::normalize`], so the same project always gives the same bytes, and every
//! `bom_ref` is derived from content (a purl, a path, a repo id), never drawn at random.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::license::License;

/// A whole bill of materials: the project and everything it is made of or talks to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bom {
    /// The project the BOM describes (CycloneDX `metadata.component`, SPDX root package).
    pub subject: Subject,
    /// Models, datasets, libraries and files, each with nested parts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// Hosted services the project calls (OpenAI, Anthropic, an inference endpoint...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
    /// Typed edges between `bom_ref`s (the subject, components and services).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
}

/// The project a BOM is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Project name (folder name or the name in its manifest).
    pub name: String,
    /// Project version, when the project declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Free text describing the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Subject {
    /// The stable reference of the project, used as `from` in its dependency edges.
    pub fn bom_ref(&self) -> String {
        match &self.version {
            Some(version) => format!("project:{}@{}", self.name, version),
            None => format!("project:{}", self.name),
        }
    }
}

/// What kind of thing a component is; the CycloneDX 1.6 `component.type` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentKind {
    /// A program (also what the project itself is).
    Application,
    /// A framework such as PyTorch, when told apart from a library.
    Framework,
    /// A software library (PyPI, crates.io, npm...).
    Library,
    /// A container image.
    Container,
    /// A runtime platform.
    Platform,
    /// An operating system.
    OperatingSystem,
    /// A hardware device.
    Device,
    /// A device driver.
    DeviceDriver,
    /// Firmware.
    Firmware,
    /// A single file, usually nested inside a model or dataset.
    File,
    /// Trained weights: a model repository, a GGUF file, a checkpoint.
    MachineLearningModel,
    /// A dataset or other data.
    Data,
    /// A cryptographic asset.
    CryptographicAsset,
}

impl ComponentKind {
    /// All kinds, in CycloneDX order.
    pub const ALL: [ComponentKind; 13] = [
        Self::Application,
        Self::Framework,
        Self::Library,
        Self::Container,
        Self::Platform,
        Self::OperatingSystem,
        Self::Device,
        Self::DeviceDriver,
        Self::Firmware,
        Self::File,
        Self::MachineLearningModel,
        Self::Data,
        Self::CryptographicAsset,
    ];

    /// The CycloneDX `component.type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Application => "application",
            Self::Framework => "framework",
            Self::Library => "library",
            Self::Container => "container",
            Self::Platform => "platform",
            Self::OperatingSystem => "operating-system",
            Self::Device => "device",
            Self::DeviceDriver => "device-driver",
            Self::Firmware => "firmware",
            Self::File => "file",
            Self::MachineLearningModel => "machine-learning-model",
            Self::Data => "data",
            Self::CryptographicAsset => "cryptographic-asset",
        }
    }

    /// Parses a CycloneDX `component.type` string.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == s)
    }
}

/// A model, dataset, library, file or anything else the project is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// Stable reference: the purl when there is one, else a path or repo id; see [`Component::derive_ref`].
    pub bom_ref: String,
    /// What the component is.
    pub kind: ComponentKind,
    /// Name (for a Hugging Face repo, the part after the `/`; for a file, its relative path).
    pub name: String,
    /// Version; for a Hugging Face repo, the full commit hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Group or namespace (Hugging Face organisation, Maven group...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Declared licences; SPDX expressions only when valid, names otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<License>,
    /// Digests of the component itself (a single file, or an archive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
    /// The organisation that supplies the component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// People who made it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// When it was released (RFC 3339, `YYYY-MM-DDThh:mm:ssZ`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_time: Option<String>,
    /// Links to where it lives, its card, its signature...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    /// Namespaced facts no standard field carries (`airlock:...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
    /// What the model card says (models only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_card: Option<ModelCard>,
    /// What is known about a dataset (data only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataInfo>,
    /// Parts: the files of a model or dataset directory, each with its digests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// Where it came from: hub repo and revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

impl Component {
    /// A component with only the required fields; `bom_ref` is derived from kind and name.
    pub fn new(kind: ComponentKind, name: impl Into<String>) -> Self {
        let name = name.into();
        Component {
            bom_ref: Self::derive_ref(kind, None, &name, None, None),
            kind,
            name,
            version: None,
            group: None,
            purl: None,
            description: None,
            licenses: Vec::new(),
            hashes: Vec::new(),
            supplier: None,
            authors: Vec::new(),
            release_time: None,
            external_references: Vec::new(),
            properties: Vec::new(),
            model_card: None,
            data: None,
            components: Vec::new(),
            origin: None,
        }
    }

    /// A file nested in `parent`: its ref is `<parent ref>#<path>` (a purl subpath when the
    /// parent's ref is a purl), so the same file name in two models never shares a ref.
    pub fn file(parent_ref: &str, path: impl Into<String>, hashes: Vec<Hash>) -> Self {
        let path = path.into();
        let mut file = Component::new(ComponentKind::File, path.clone());
        file.bom_ref = format!("{parent_ref}#{path}");
        file.hashes = hashes;
        file
    }

    /// A stable reference from content: the purl if any, else `kind:group/name@version`.
    ///
    /// A file's name is its path relative to the project, so two files never share a ref.
    pub fn derive_ref(
        kind: ComponentKind,
        group: Option<&str>,
        name: &str,
        version: Option<&str>,
        purl: Option<&str>,
    ) -> String {
        if let Some(purl) = purl {
            return purl.to_owned();
        }
        let mut out = format!("{}:", kind.as_str());
        if let Some(group) = group {
            out.push_str(group);
            out.push('/');
        }
        out.push_str(name);
        if let Some(version) = version {
            out.push('@');
            out.push_str(version);
        }
        out
    }

    /// Recomputes `bom_ref` from the current fields (call after setting purl or version).
    pub fn with_derived_ref(mut self) -> Self {
        self.bom_ref = Self::derive_ref(
            self.kind,
            self.group.as_deref(),
            &self.name,
            self.version.as_deref(),
            self.purl.as_deref(),
        );
        self
    }

    /// `group/name`, the way hubs and registries print it.
    pub fn full_name(&self) -> String {
        match &self.group {
            Some(group) => format!("{group}/{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The value of the first property with this name.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.as_deref())
    }

    fn normalize(&mut self) {
        self.licenses.sort();
        self.licenses.dedup();
        self.hashes.sort();
        self.hashes.dedup();
        self.authors.sort();
        self.authors.dedup();
        self.external_references.sort();
        self.external_references.dedup();
        self.properties.sort();
        self.properties.dedup();
        if let Some(card) = &mut self.model_card {
            card.normalize();
        }
        if let Some(data) = &mut self.data {
            data.normalize();
        }
        for child in &mut self.components {
            child.normalize();
        }
        self.components.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));
    }
}

/// Where a component came from on a model hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// Repo id, `org/name`.
    pub repo_id: String,
    /// Commit hash of the revision the files were taken from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// `model`, `dataset` or `space`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo_type: Option<String>,
    /// Hub base URL when it is not huggingface.co.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub: Option<String>,
}

/// Hash algorithms both formats can carry (CycloneDX `hash-alg`, SPDX `HashAlgorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HashAlg {
    /// MD5 (legacy; only carried through from other tools).
    #[serde(rename = "MD5")]
    Md5,
    /// SHA-1 (git blob ids in the Hugging Face cache).
    #[serde(rename = "SHA-1")]
    Sha1,
    /// SHA-256, airlock's default.
    #[serde(rename = "SHA-256")]
    Sha256,
    /// SHA-384.
    #[serde(rename = "SHA-384")]
    Sha384,
    /// SHA-512.
    #[serde(rename = "SHA-512")]
    Sha512,
    /// SHA3-256.
    #[serde(rename = "SHA3-256")]
    Sha3_256,
    /// SHA3-384.
    #[serde(rename = "SHA3-384")]
    Sha3_384,
    /// SHA3-512.
    #[serde(rename = "SHA3-512")]
    Sha3_512,
    /// BLAKE2b-256.
    #[serde(rename = "BLAKE2b-256")]
    Blake2b256,
    /// BLAKE2b-384.
    #[serde(rename = "BLAKE2b-384")]
    Blake2b384,
    /// BLAKE2b-512.
    #[serde(rename = "BLAKE2b-512")]
    Blake2b512,
    /// BLAKE3, airlock's fast fingerprint.
    #[serde(rename = "BLAKE3")]
    Blake3,
}

impl HashAlg {
    /// All algorithms.
    pub const ALL: [HashAlg; 12] = [
        Self::Md5,
        Self::Sha1,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
        Self::Sha3_256,
        Self::Sha3_384,
        Self::Sha3_512,
        Self::Blake2b256,
        Self::Blake2b384,
        Self::Blake2b512,
        Self::Blake3,
    ];

    /// CycloneDX spelling (`SHA-256`).
    pub fn cyclonedx_name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
            Self::Sha3_256 => "SHA3-256",
            Self::Sha3_384 => "SHA3-384",
            Self::Sha3_512 => "SHA3-512",
            Self::Blake2b256 => "BLAKE2b-256",
            Self::Blake2b384 => "BLAKE2b-384",
            Self::Blake2b512 => "BLAKE2b-512",
            Self::Blake3 => "BLAKE3",
        }
    }

    /// SPDX 3 spelling (`sha256`).
    pub fn spdx_name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
            Self::Sha3_256 => "sha3_256",
            Self::Sha3_384 => "sha3_384",
            Self::Sha3_512 => "sha3_512",
            Self::Blake2b256 => "blake2b256",
            Self::Blake2b384 => "blake2b384",
            Self::Blake2b512 => "blake2b512",
            Self::Blake3 => "blake3",
        }
    }

    /// Length of the hex digest, which CycloneDX's pattern checks.
    pub fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha1 => 40,
            Self::Sha256 | Self::Sha3_256 | Self::Blake2b256 | Self::Blake3 => 64,
            Self::Sha384 | Self::Sha3_384 | Self::Blake2b384 => 96,
            Self::Sha512 | Self::Sha3_512 | Self::Blake2b512 => 128,
        }
    }

    /// Parses either spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.cyclonedx_name() == s || alg.spdx_name() == s)
    }
}

/// One digest: algorithm and lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hash {
    /// Algorithm.
    pub alg: HashAlg,
    /// Lowercase hex digest.
    pub value: String,
}

impl Hash {
    /// Checks the hex length for the algorithm and lowercases it.
    pub fn new(alg: HashAlg, hex: &str) -> Result<Self, Error> {
        if hex.len() != alg.hex_len() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::InvalidHash {
                alg: alg.cyclonedx_name(),
                value: hex.to_owned(),
            });
        }
        Ok(Hash {
            alg,
            value: hex.to_ascii_lowercase(),
        })
    }

    /// Whether the value has the right length and is lowercase hex.
    pub fn is_valid(&self) -> bool {
        self.value.len() == self.alg.hex_len()
            && self
                .value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }
}

/// What an external reference points at; a subset of CycloneDX's list that SPDX can also say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExternalRefKind {
    /// Source repository.
    Vcs,
    /// Issue tracker.
    IssueTracker,
    /// Home page.
    Website,
    /// Documentation.
    Documentation,
    /// Where to download it.
    Distribution,
    /// Where it was downloaded from into this project.
    DistributionIntake,
    /// Licence text.
    License,
    /// Model card.
    ModelCard,
    /// A signature or attestation (an OMS `model.sig`).
    Attestation,
    /// Build metadata.
    BuildMeta,
    /// Configuration.
    Configuration,
    /// Release notes.
    ReleaseNotes,
    /// Security contact.
    SecurityContact,
    /// Support.
    Support,
    /// Anything else.
    Other,
}

impl ExternalRefKind {
    /// All kinds.
    pub const ALL: [ExternalRefKind; 15] = [
        Self::Vcs,
        Self::IssueTracker,
        Self::Website,
        Self::Documentation,
        Self::Distribution,
        Self::DistributionIntake,
        Self::License,
        Self::ModelCard,
        Self::Attestation,
        Self::BuildMeta,
        Self::Configuration,
        Self::ReleaseNotes,
        Self::SecurityContact,
        Self::Support,
        Self::Other,
    ];

    /// CycloneDX `externalReference.type`.
    pub fn cyclonedx_name(self) -> &'static str {
        match self {
            Self::Vcs => "vcs",
            Self::IssueTracker => "issue-tracker",
            Self::Website => "website",
            Self::Documentation => "documentation",
            Self::Distribution => "distribution",
            Self::DistributionIntake => "distribution-intake",
            Self::License => "license",
            Self::ModelCard => "model-card",
            Self::Attestation => "attestation",
            Self::BuildMeta => "build-meta",
            Self::Configuration => "configuration",
            Self::ReleaseNotes => "release-notes",
            Self::SecurityContact => "security-contact",
            Self::Support => "support",
            Self::Other => "other",
        }
    }

    /// Parses a CycloneDX type; unknown types become [`ExternalRefKind::Other`].
    pub fn from_cyclonedx(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|kind| kind.cyclonedx_name() == s)
            .unwrap_or(Self::Other)
    }
}

/// A link from a component or service to something outside the BOM.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ExternalReference {
    /// What the link is.
    pub kind: ExternalRefKind,
    /// The URL (or a path relative to the project for local attestations).
    pub url: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Digests of what the URL points at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
}

/// A name/value fact; names are namespaced (`airlock:param_count`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Property {
    /// Namespaced name.
    pub name: String,
    /// Value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Property {
    /// A property with a value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Property {
            name: name.into(),
            value: Some(value.into()),
        }
    }
}

/// The CycloneDX learning approaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LearningApproach {
    /// Supervised.
    Supervised,
    /// Unsupervised.
    Unsupervised,
    /// Reinforcement learning.
    ReinforcementLearning,
    /// Semi-supervised.
    SemiSupervised,
    /// Self-supervised.
    SelfSupervised,
}

impl LearningApproach {
    /// All approaches.
    pub const ALL: [LearningApproach; 5] = [
        Self::Supervised,
        Self::Unsupervised,
        Self::ReinforcementLearning,
        Self::SemiSupervised,
        Self::SelfSupervised,
    ];

    /// CycloneDX spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Supervised => "supervised",
            Self::Unsupervised => "unsupervised",
            Self::ReinforcementLearning => "reinforcement-learning",
            Self::SemiSupervised => "semi-supervised",
            Self::SelfSupervised => "self-supervised",
        }
    }

    /// Parses the CycloneDX spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// What a model card says, in the shape CycloneDX's `modelCard` has.
///
/// Datasets that are components of the BOM are [`Relation::TrainedOn`] edges, not names here;
/// `datasets` keeps only the names the card gives that match no component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelCard {
    /// Learning approach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approach: Option<LearningApproach>,
    /// Task (Hugging Face `pipeline_tag`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Architecture family (`model_type` from `config.json`, e.g. `bert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture_family: Option<String>,
    /// Architecture (`architectures[0]`, e.g. `BertForSequenceClassification`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_architecture: Option<String>,
    /// Training dataset names that match no component.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<String>,
    /// Input formats (`text`, `image`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
    /// Output formats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
    /// Evaluation results (`model-index`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performance_metrics: Vec<PerformanceMetric>,
    /// Intended users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Intended uses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub use_cases: Vec<String>,
    /// Known limitations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub technical_limitations: Vec<String>,
    /// Trade-offs between performance and other qualities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performance_tradeoffs: Vec<String>,
    /// Ethical risks and how they are handled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ethical_considerations: Vec<EthicalConsideration>,
    /// Facts from the card no field carries (`co2_eq_emissions`, parameter count...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

impl ModelCard {
    fn normalize(&mut self) {
        for list in [
            &mut self.datasets,
            &mut self.inputs,
            &mut self.outputs,
            &mut self.users,
            &mut self.use_cases,
            &mut self.technical_limitations,
            &mut self.performance_tradeoffs,
        ] {
            list.sort();
            list.dedup();
        }
        self.performance_metrics.sort();
        self.performance_metrics.dedup();
        self.ethical_considerations.sort();
        self.ethical_considerations.dedup();
        self.properties.sort();
        self.properties.dedup();
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        *self == ModelCard::default()
    }
}

/// One evaluation result.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PerformanceMetric {
    /// Metric (`accuracy`, `f1`).
    pub metric_type: String,
    /// Value as the card prints it.
    pub value: String,
    /// Dataset evaluated on, as the card names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Split or subgroup (`test`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slice: Option<String>,
    /// Lower and upper bound of the confidence interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_interval: Option<(String, String)>,
}

impl PerformanceMetric {
    /// The single slice string CycloneDX and SPDX carry: `dataset/slice`, either, or none.
    pub fn combined_slice(&self) -> Option<String> {
        match (&self.dataset, &self.slice) {
            (Some(dataset), Some(slice)) => Some(format!("{dataset}/{slice}")),
            (Some(one), None) | (None, Some(one)) => Some(one.clone()),
            (None, None) => None,
        }
    }
}

/// An ethical risk named by the card.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EthicalConsideration {
    /// The risk.
    pub name: String,
    /// How it is mitigated, when the card says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigation: Option<String>,
}

/// CycloneDX `componentData.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataType {
    /// A dataset.
    Dataset,
    /// Source code.
    SourceCode,
    /// Configuration.
    Configuration,
    /// A definition (schema...).
    Definition,
    /// Anything else.
    Other,
}

impl DataType {
    /// All types.
    pub const ALL: [DataType; 5] = [
        Self::Dataset,
        Self::SourceCode,
        Self::Configuration,
        Self::Definition,
        Self::Other,
    ];

    /// CycloneDX spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dataset => "dataset",
            Self::SourceCode => "source-code",
            Self::Configuration => "configuration",
            Self::Definition => "definition",
            Self::Other => "other",
        }
    }

    /// Parses the CycloneDX spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// SPDX `dataset_datasetType`: what the records are; SPDX requires at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Modality {
    /// Audio.
    Audio,
    /// Categorical.
    Categorical,
    /// Graph.
    Graph,
    /// Images.
    Image,
    /// Numbers.
    Numeric,
    /// Other.
    Other,
    /// Sensor readings.
    Sensor,
    /// Tables.
    Structured,
    /// Syntactic (code, parse trees).
    Syntactic,
    /// Text.
    Text,
    /// Time series.
    Timeseries,
    /// Timestamps.
    Timestamp,
    /// Video.
    Video,
}

impl Modality {
    /// All modalities.
    pub const ALL: [Modality; 13] = [
        Self::Audio,
        Self::Categorical,
        Self::Graph,
        Self::Image,
        Self::Numeric,
        Self::Other,
        Self::Sensor,
        Self::Structured,
        Self::Syntactic,
        Self::Text,
        Self::Timeseries,
        Self::Timestamp,
        Self::Video,
    ];

    /// SPDX spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Audio => "audio",
            Self::Categorical => "categorical",
            Self::Graph => "graph",
            Self::Image => "image",
            Self::Numeric => "numeric",
            Self::Other => "other",
            Self::Sensor => "sensor",
            Self::Structured => "structured",
            Self::Syntactic => "syntactic",
            Self::Text => "text",
            Self::Timeseries => "timeseries",
            Self::Timestamp => "timestamp",
            Self::Video => "video",
        }
    }

    /// Parses the SPDX spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// What is known about a dataset (CycloneDX `componentData`, SPDX DatasetPackage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataInfo {
    /// Kind of data.
    pub data_type: DataType,
    /// What the records are (text, image...); empty when unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modalities: Vec<Modality>,
    /// Where the contents can be fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents_url: Option<String>,
    /// Classification (`public`, `confidential`, `PII`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    /// Kinds of sensitive data present.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_data: Vec<String>,
    /// Number of rows or records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_count: Option<u64>,
    /// Size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// Who owns, stewards and keeps it.
    #[serde(default, skip_serializing_if = "Governance::is_empty")]
    pub governance: Governance,
}

impl DataInfo {
    /// A dataset with nothing else known.
    pub fn dataset() -> Self {
        DataInfo {
            data_type: DataType::Dataset,
            modalities: Vec::new(),
            contents_url: None,
            classification: None,
            sensitive_data: Vec::new(),
            row_count: None,
            size_bytes: None,
            governance: Governance::default(),
        }
    }

    fn normalize(&mut self) {
        self.modalities.sort();
        self.modalities.dedup();
        self.sensitive_data.sort();
        self.sensitive_data.dedup();
        for list in [
            &mut self.governance.owners,
            &mut self.governance.stewards,
            &mut self.governance.custodians,
        ] {
            list.sort();
            list.dedup();
        }
    }
}

/// Organisations responsible for a dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Governance {
    /// Owners.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Stewards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stewards: Vec<String>,
    /// Custodians.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custodians: Vec<String>,
}

impl Governance {
    /// Whether nobody is named.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty() && self.stewards.is_empty() && self.custodians.is_empty()
    }
}

/// A hosted service the project calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Stable reference, see [`Service::derive_ref`].
    pub bom_ref: String,
    /// Name (`chat-completions`).
    pub name: String,
    /// Who runs it (`OpenAI`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// URLs called.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// Whether calls carry credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticated: Option<bool>,
    /// Whether calls leave the project's trust boundary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crosses_trust_boundary: Option<bool>,
    /// Model names requested from it (`gpt-4o`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// Project files that mention it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referenced_in: Vec<String>,
    /// Links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    /// Other facts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

impl Service {
    /// A service with only a name; its ref derives from provider and name.
    pub fn new(provider: Option<&str>, name: impl Into<String>) -> Self {
        let name = name.into();
        Service {
            bom_ref: Self::derive_ref(provider, &name),
            name,
            provider: provider.map(str::to_owned),
            description: None,
            endpoints: Vec::new(),
            authenticated: None,
            crosses_trust_boundary: None,
            models: Vec::new(),
            referenced_in: Vec::new(),
            external_references: Vec::new(),
            properties: Vec::new(),
        }
    }

    /// `service:provider/name`.
    pub fn derive_ref(provider: Option<&str>, name: &str) -> String {
        match provider {
            Some(provider) => format!("service:{provider}/{name}"),
            None => format!("service:{name}"),
        }
    }

    fn normalize(&mut self) {
        for list in [
            &mut self.endpoints,
            &mut self.models,
            &mut self.referenced_in,
        ] {
            list.sort();
            list.dedup();
        }
        self.external_references.sort();
        self.external_references.dedup();
        self.properties.sort();
        self.properties.dedup();
    }
}

/// How a derived model was made from its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Derivation {
    /// Full fine-tune.
    FineTune,
    /// Adapter (LoRA, PEFT).
    Adapter,
    /// Merge of several models.
    Merge,
    /// Quantised copy.
    Quantisation,
    /// Derived, but how is not known.
    Unknown,
}

impl Derivation {
    /// All derivations.
    pub const ALL: [Derivation; 5] = [
        Self::FineTune,
        Self::Adapter,
        Self::Merge,
        Self::Quantisation,
        Self::Unknown,
    ];

    /// Spelling in properties (`fine-tune`); matches Hugging Face `base_model_relation`
    /// except `finetune`, `quantized`, which [`Derivation::parse`] also accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FineTune => "fine-tune",
            Self::Adapter => "adapter",
            Self::Merge => "merge",
            Self::Quantisation => "quantisation",
            Self::Unknown => "unknown",
        }
    }

    /// Parses airlock's and Hugging Face's spellings.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "finetune" => Some(Self::FineTune),
            "quantized" | "quantization" => Some(Self::Quantisation),
            _ => Self::ALL.into_iter().find(|d| d.as_str() == s),
        }
    }
}

/// The kind of a dependency edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Relation {
    /// Needs it to run.
    DependsOn,
    /// Was made from it (base model).
    DescendantOf(Derivation),
    /// Was trained on it.
    TrainedOn,
    /// Was evaluated on it.
    TestedOn,
}

/// Edges of one kind from one ref.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Dependency {
    /// The dependent: the subject, a component or a service.
    pub from: String,
    /// Edge kind.
    pub relation: Relation,
    /// The refs depended on.
    pub to: BTreeSet<String>,
}

impl Bom {
    /// Adds one edge, merging with existing edges of the same source and kind.
    pub fn add_edge(&mut self, from: &str, relation: Relation, to: &str) {
        if let Some(dep) = self
            .dependencies
            .iter_mut()
            .find(|d| d.from == from && d.relation == relation)
        {
            dep.to.insert(to.to_owned());
        } else {
            self.dependencies.push(Dependency {
                from: from.to_owned(),
                relation,
                to: BTreeSet::from([to.to_owned()]),
            });
        }
    }

    /// Puts every list in its canonical order and merges duplicate edges.
    pub fn normalize(&mut self) {
        for component in &mut self.components {
            component.normalize();
        }
        self.components.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));
        for service in &mut self.services {
            service.normalize();
        }
        self.services.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));
        let mut merged: BTreeMap<(String, Relation), BTreeSet<String>> = BTreeMap::new();
        for dep in self.dependencies.drain(..) {
            merged
                .entry((dep.from, dep.relation))
                .or_default()
                .extend(dep.to);
        }
        self.dependencies = merged
            .into_iter()
            .filter(|(_, to)| !to.is_empty())
            .map(|((from, relation), to)| Dependency { from, relation, to })
            .collect();
    }

    /// Finds a top-level or nested component by ref.
    pub fn component(&self, bom_ref: &str) -> Option<&Component> {
        fn find<'a>(list: &'a [Component], bom_ref: &str) -> Option<&'a Component> {
            list.iter().find_map(|c| {
                if c.bom_ref == bom_ref {
                    Some(c)
                } else {
                    find(&c.components, bom_ref)
                }
            })
        }
        find(&self.components, bom_ref)
    }

    /// Finds a service by ref.
    pub fn service(&self, bom_ref: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.bom_ref == bom_ref)
    }

    /// Edges of one kind from one ref.
    pub fn edges(&self, from: &str, relation: Relation) -> impl Iterator<Item = &str> {
        self.dependencies
            .iter()
            .filter(move |d| d.from == from && d.relation == relation)
            .flat_map(|d| d.to.iter().map(String::as_str))
    }

    /// Checks what both writers rely on: unique refs, edges that resolve, well-formed digests.
    pub fn check(&self) -> Result<(), Error> {
        let mut refs = BTreeSet::new();
        refs.insert(self.subject.bom_ref());
        fn walk(list: &[Component], refs: &mut BTreeSet<String>) -> Result<(), Error> {
            for c in list {
                if c.bom_ref.is_empty() {
                    return Err(Error::EmptyRef {
                        name: c.name.clone(),
                    });
                }
                if !refs.insert(c.bom_ref.clone()) {
                    return Err(Error::DuplicateRef(c.bom_ref.clone()));
                }
                let ref_hashes = c.external_references.iter().flat_map(|r| &r.hashes);
                if let Some(bad) = c.hashes.iter().chain(ref_hashes).find(|h| !h.is_valid()) {
                    return Err(Error::InvalidHash {
                        alg: bad.alg.cyclonedx_name(),
                        value: bad.value.clone(),
                    });
                }
                walk(&c.components, refs)?;
            }
            Ok(())
        }
        walk(&self.components, &mut refs)?;
        for s in &self.services {
            if !refs.insert(s.bom_ref.clone()) {
                return Err(Error::DuplicateRef(s.bom_ref.clone()));
            }
        }
        for dep in &self.dependencies {
            for r in std::iter::once(&dep.from).chain(&dep.to) {
                if !refs.contains(r) {
                    return Err(Error::DanglingRef(r.clone()));
                }
            }
        }
        Ok(())
    }
}
