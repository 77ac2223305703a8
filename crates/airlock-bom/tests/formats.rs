//! The writers against the official schemas (from `AIRLOCK_SHARED`), the readers against the
//! shared examples and a real cyclonedx-py BOM, and round trips.

mod common;

use common::{assert_valid, cyclonedx_validator, json_file, shared, spdx_validator};

use airlock_bom::cyclonedx::{self, SpecVersion};
use airlock_bom::spdx;
use airlock_bom::{
    Bom, Component, ComponentKind, DataInfo, Derivation, EthicalConsideration, ExternalRefKind,
    ExternalReference, Governance, Hash, HashAlg, LearningApproach, License, Modality, ModelCard,
    Origin, PerformanceMetric, Property, Relation, Service, Subject,
};
use serde_json::Value;

// ---------------------------------------------------------------- fixtures

const BASE_REV: &str = "86b5e0934494bd15c9632b12f734a8a67f723594";
const IMDB_REV: &str = "e6281661ce1c48d982bc483cf8a173c1bbeb5d31";

fn sha256(seed: u8) -> Hash {
    Hash::new(HashAlg::Sha256, &format!("{seed:02x}").repeat(32)).unwrap()
}

fn file(parent: &str, path: &str, seed: u8) -> Component {
    Component::file(parent, path, vec![sha256(seed)])
}

fn library(name: &str, version: &str, license: &str) -> Component {
    let mut c = Component::new(ComponentKind::Library, name);
    c.version = Some(version.into());
    c.purl = Some(format!("pkg:pypi/{name}@{version}"));
    c.licenses = vec![License::parse(license)];
    c.with_derived_ref()
}

/// A project with a BERT fine-tuned from a Hugging Face cache model on IMDB, two libraries
/// and an OpenAI service.
fn sample() -> Bom {
    let mut bom = Bom {
        subject: Subject {
            name: "review-triage".into(),
            version: Some("1.2.0".into()),
            description: Some("Routes movie reviews by sentiment".into()),
        },
        ..Bom::default()
    };

    // The base model, from the Hugging Face cache at a pinned revision.
    let mut base = Component::new(ComponentKind::MachineLearningModel, "bert-base-uncased");
    base.group = Some("google-bert".into());
    base.version = Some(BASE_REV.into());
    base.purl = Some(format!(
        "pkg:huggingface/google-bert/bert-base-uncased@{BASE_REV}"
    ));
    base = base.with_derived_ref();
    base.supplier = Some("Google".into());
    base.release_time = Some("2018-10-31T00:00:00Z".into());
    base.licenses = vec![License::parse("apache-2.0")];
    base.origin = Some(Origin {
        repo_id: "google-bert/bert-base-uncased".into(),
        revision: Some(BASE_REV.into()),
        repo_type: Some("model".into()),
        hub: None,
    });
    base.model_card = Some(ModelCard {
        approach: Some(LearningApproach::SelfSupervised),
        task: Some("fill-mask".into()),
        architecture_family: Some("bert".into()),
        model_architecture: Some("BertForMaskedLM".into()),
        datasets: vec!["bookcorpus".into(), "wikipedia".into()],
        ..ModelCard::default()
    });
    base.components = vec![
        file(&base.bom_ref, "config.json", 1),
        file(&base.bom_ref, "model.safetensors", 2),
    ];

    // The fine-tuned model in the project folder.
    let mut tuned = Component::new(ComponentKind::MachineLearningModel, "models/sentiment-bert");
    tuned.description = Some("BERT fine-tuned for review sentiment".into());
    tuned.supplier = Some("Acme AI".into());
    tuned.authors = vec!["Ada Example".into()];
    tuned.licenses = vec![License::parse("Apache-2.0")];
    tuned.properties = vec![Property::new("airlock:param_count", "109483778")];
    tuned.external_references = vec![ExternalReference {
        kind: ExternalRefKind::Attestation,
        url: "models/sentiment-bert/model.sig".into(),
        comment: Some("OpenSSF model signing v1.0".into()),
        hashes: vec![sha256(9)],
    }];
    tuned.model_card = Some(ModelCard {
        approach: Some(LearningApproach::Supervised),
        task: Some("text-classification".into()),
        architecture_family: Some("bert".into()),
        model_architecture: Some("BertForSequenceClassification".into()),
        inputs: vec!["text".into()],
        outputs: vec!["label".into()],
        performance_metrics: vec![PerformanceMetric {
            metric_type: "accuracy".into(),
            value: "0.91".into(),
            dataset: Some("stanfordnlp/imdb".into()),
            slice: Some("test".into()),
            confidence_interval: Some(("0.90".into(), "0.92".into())),
        }],
        users: vec!["support staff".into()],
        use_cases: vec!["sentiment of English movie reviews".into()],
        technical_limitations: vec!["English only".into()],
        ethical_considerations: vec![EthicalConsideration {
            name: "bias toward review vocabulary".into(),
            mitigation: Some("human review of negatives".into()),
        }],
        properties: vec![Property::new("airlock:card:co2_eq_emissions", "149200")],
        ..ModelCard::default()
    });
    tuned.components = vec![
        file(&tuned.bom_ref, "config.json", 3),
        file(&tuned.bom_ref, "model.safetensors", 4),
        file(&tuned.bom_ref, "tokenizer.json", 5),
    ];

    // The dataset.
    let mut imdb = Component::new(ComponentKind::Data, "imdb");
    imdb.group = Some("stanfordnlp".into());
    imdb.version = Some(IMDB_REV.into());
    imdb = imdb.with_derived_ref();
    imdb.licenses = vec![License::parse("other")];
    imdb.origin = Some(Origin {
        repo_id: "stanfordnlp/imdb".into(),
        revision: Some(IMDB_REV.into()),
        repo_type: Some("dataset".into()),
        hub: None,
    });
    imdb.data = Some(DataInfo {
        modalities: vec![Modality::Text],
        classification: Some("public".into()),
        row_count: Some(50_000),
        size_bytes: Some(84_125_825),
        governance: Governance {
            owners: vec!["Stanford NLP".into()],
            ..Governance::default()
        },
        ..DataInfo::dataset()
    });

    let transformers = library("transformers", "4.46.0", "Apache-2.0");
    let torch = library("torch", "2.5.1", "BSD-3-Clause");
    let tokenizers = library("tokenizers", "0.20.3", "MIT OR Apache-2.0");
    let odd = library("legacy-utils", "0.1.0", "BSD");

    let mut openai = Service::new(Some("OpenAI"), "chat-completions");
    openai.endpoints = vec!["https://api.openai.com/v1/chat/completions".into()];
    openai.authenticated = Some(true);
    openai.crosses_trust_boundary = Some(true);
    openai.models = vec!["gpt-4o".into()];
    openai.referenced_in = vec!["src/triage.py".into()];

    let project = bom.subject.bom_ref();
    for to in [
        &tuned.bom_ref,
        &transformers.bom_ref,
        &openai.bom_ref,
        &odd.bom_ref,
    ] {
        bom.add_edge(&project, Relation::DependsOn, to);
    }
    bom.add_edge(&transformers.bom_ref, Relation::DependsOn, &torch.bom_ref);
    bom.add_edge(
        &transformers.bom_ref,
        Relation::DependsOn,
        &tokenizers.bom_ref,
    );
    bom.add_edge(
        &tuned.bom_ref,
        Relation::DescendantOf(Derivation::FineTune),
        &base.bom_ref,
    );
    bom.add_edge(&tuned.bom_ref, Relation::TrainedOn, &imdb.bom_ref);
    bom.add_edge(&tuned.bom_ref, Relation::TestedOn, &imdb.bom_ref);

    bom.components = vec![tuned, base, imdb, transformers, torch, tokenizers, odd];
    bom.services = vec![openai];
    bom
}

// ---------------------------------------------------------------- validators

fn write_cdx(bom: &Bom, version: SpecVersion) -> String {
    cyclonedx::write(
        bom,
        &cyclonedx::WriteOptions {
            spec_version: version,
            timestamp: None,
        },
    )
    .unwrap()
}

fn write_spdx(bom: &Bom) -> String {
    spdx::write(bom, &spdx::WriteOptions::default()).unwrap()
}

// ---------------------------------------------------------------- schema validation

#[test]
fn cyclonedx_1_6_output_is_schema_valid() {
    let Some(shared) = shared() else { return };
    let doc: Value = serde_json::from_str(&write_cdx(&sample(), SpecVersion::V1_6)).unwrap();
    assert_eq!(doc["specVersion"], "1.6");
    assert_valid(&cyclonedx_validator(&shared, "1.6"), &doc, "CycloneDX 1.6");
}

#[test]
fn cyclonedx_1_7_output_is_schema_valid() {
    let Some(shared) = shared() else { return };
    let doc: Value = serde_json::from_str(&write_cdx(&sample(), SpecVersion::V1_7)).unwrap();
    assert_eq!(doc["specVersion"], "1.7");
    assert_valid(&cyclonedx_validator(&shared, "1.7"), &doc, "CycloneDX 1.7");
}

#[test]
fn schema_validation_catches_a_broken_document() {
    let Some(shared) = shared() else { return };
    let mut doc: Value = serde_json::from_str(&write_cdx(&sample(), SpecVersion::V1_6)).unwrap();
    doc["components"][0]["modelCard"]["modelParameters"]["approach"]["type"] = "guesswork".into();
    assert!(!cyclonedx_validator(&shared, "1.6").is_valid(&doc));
    // A one-element graph keeps this fast: the SPDX schema tries every class on each element.
    let doc: Value = serde_json::from_str(&write_spdx(&sample())).unwrap();
    let mut element = doc["@graph"][2].clone();
    assert!(
        spdx_validator(&shared)
            .is_valid(&serde_json::json!({"@context": spdx::CONTEXT, "@graph": [element.clone()]}))
    );
    element["type"] = "ai_NotAClass".into();
    let broken = serde_json::json!({"@context": spdx::CONTEXT, "@graph": [element]});
    assert!(!spdx_validator(&shared).is_valid(&broken));
}

#[test]
fn spdx_output_is_schema_valid() {
    let Some(shared) = shared() else { return };
    let doc: Value = serde_json::from_str(&write_spdx(&sample())).unwrap();
    assert_eq!(doc["@context"], spdx::CONTEXT);
    assert_valid(&spdx_validator(&shared), &doc, "SPDX 3.0.1");
}

#[test]
fn cyclonedx_1_6_output_has_no_1_7_fields() {
    let text = write_cdx(&sample(), SpecVersion::V1_6);
    let doc: Value = serde_json::from_str(&text).unwrap();
    fn keys(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    out.push(k.clone());
                    keys(v, out);
                }
            }
            Value::Array(list) => list.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    keys(&doc, &mut all);
    for only_1_7 in [
        "isExternal",
        "versionRange",
        "patentAssertions",
        "citations",
        "distributionConstraints",
    ] {
        assert!(
            !all.iter().any(|k| k == only_1_7),
            "{only_1_7} in 1.6 output"
        );
    }
    assert!(all.iter().any(|k| k == "modelCard"));
    // Same content as 1.7 apart from the version markers and so the serial number.
    let v17: Value = serde_json::from_str(&write_cdx(&sample(), SpecVersion::V1_7)).unwrap();
    let strip = |mut v: Value| {
        for key in ["$schema", "specVersion", "serialNumber"] {
            v.as_object_mut().unwrap().remove(key);
        }
        v
    };
    assert_eq!(strip(doc), strip(v17));
}

// ---------------------------------------------------------------- content

#[test]
fn cyclonedx_carries_the_ml_bom() {
    let doc: Value = serde_json::from_str(&write_cdx(&sample(), SpecVersion::V1_6)).unwrap();
    let components = doc["components"].as_array().unwrap();
    let tuned = components
        .iter()
        .find(|c| c["name"] == "models/sentiment-bert")
        .unwrap();
    assert_eq!(tuned["type"], "machine-learning-model");
    let params = &tuned["modelCard"]["modelParameters"];
    assert_eq!(params["task"], "text-classification");
    assert_eq!(
        params["datasets"][0]["ref"],
        format!("data:stanfordnlp/imdb@{IMDB_REV}")
    );
    assert_eq!(
        tuned["modelCard"]["quantitativeAnalysis"]["performanceMetrics"][0]["slice"],
        "stanfordnlp/imdb/test"
    );
    let ancestor = &tuned["pedigree"]["ancestors"][0];
    assert_eq!(
        ancestor["purl"],
        format!("pkg:huggingface/google-bert/bert-base-uncased@{BASE_REV}")
    );
    assert!(ancestor.get("bom-ref").is_none(), "bom-refs stay unique");
    let files = tuned["components"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    assert!(
        files
            .iter()
            .all(|f| f["type"] == "file" && f["hashes"][0]["alg"] == "SHA-256")
    );

    let data = components.iter().find(|c| c["type"] == "data").unwrap();
    assert_eq!(data["data"][0]["type"], "dataset");
    assert_eq!(
        data["data"][0]["governance"]["owners"][0]["organization"]["name"],
        "Stanford NLP"
    );
    assert_eq!(data["licenses"][0]["license"]["name"], "other");

    let tokenizers = components
        .iter()
        .find(|c| c["name"] == "tokenizers")
        .unwrap();
    assert_eq!(tokenizers["licenses"][0]["expression"], "MIT OR Apache-2.0");

    let service = &doc["services"][0];
    assert_eq!(service["provider"]["name"], "OpenAI");
    assert_eq!(service["x-trust-boundary"], true);
    assert_eq!(
        doc["metadata"]["component"]["bom-ref"],
        "project:review-triage@1.2.0"
    );
    assert_eq!(doc["metadata"]["tools"]["components"][0]["name"], "airlock");
    assert!(doc["metadata"].get("timestamp").is_none());
}

#[test]
fn spdx_uses_ai_and_dataset_profiles() {
    let bom = sample();
    let doc: Value = serde_json::from_str(&write_spdx(&bom)).unwrap();
    let graph = doc["@graph"].as_array().unwrap();
    let by_name = |name: &str| graph.iter().find(|e| e["name"] == name).unwrap();
    // The base model has everything the AI profile asks for; the fine-tune has no release
    // time or download location, so it is a plain package with purpose `model`.
    let base = by_name("google-bert/bert-base-uncased");
    assert_eq!(base["type"], "ai_AIPackage");
    assert_eq!(base["releaseTime"], "2018-10-31T00:00:00Z");
    assert_eq!(
        base["software_downloadLocation"],
        "https://huggingface.co/google-bert/bert-base-uncased"
    );
    let tuned = by_name("models/sentiment-bert");
    assert_eq!(tuned["type"], "software_Package");
    assert_eq!(tuned["software_primaryPurpose"], "model");
    let gaps = spdx::profile_gaps(&bom);
    assert!(gaps.iter().any(
        |g| g.bom_ref == "machine-learning-model:models/sentiment-bert"
            && g.property == "releaseTime"
    ));
    assert!(!gaps.iter().any(|g| g.bom_ref.contains("bert-base-uncased")));

    let imdb = by_name("stanfordnlp/imdb");
    assert_eq!(imdb["type"], "dataset_DatasetPackage");
    assert_eq!(imdb["dataset_datasetType"], serde_json::json!(["text"]));
    assert_eq!(imdb["dataset_datasetSize"], 84_125_825);

    let rel = |kind: &str| {
        graph
            .iter()
            .filter(|e| e["type"] == "Relationship" && e["relationshipType"] == kind)
            .collect::<Vec<_>>()
    };
    let trained = rel("trainedOn");
    assert_eq!(trained.len(), 1);
    assert_eq!(trained[0]["from"], tuned["spdxId"]);
    assert_eq!(trained[0]["to"][0], imdb["spdxId"]);
    let descendant = rel("descendantOf");
    assert_eq!(descendant[0]["to"][0], base["spdxId"]);
    assert_eq!(descendant[0]["comment"], "fine-tune");
    assert_eq!(rel("testedOn").len(), 1);
    assert_eq!(rel("contains").len(), 2);

    let files: Vec<_> = graph
        .iter()
        .filter(|e| e["type"] == "software_File")
        .collect();
    assert_eq!(files.len(), 5);
    assert!(
        files
            .iter()
            .all(|f| f["verifiedUsing"][0]["algorithm"] == "sha256")
    );

    let exprs: Vec<&str> = graph
        .iter()
        .filter(|e| e["type"] == "simplelicensing_LicenseExpression")
        .map(|e| e["simplelicensing_licenseExpression"].as_str().unwrap())
        .collect();
    assert!(exprs.contains(&"Apache-2.0"));
    assert!(exprs.contains(&"MIT OR Apache-2.0"));
    assert!(exprs.contains(&"LicenseRef-airlock-other"));
    assert!(exprs.contains(&"LicenseRef-airlock-BSD"));
    // Every id is unique and under one document namespace.
    let ids: Vec<&str> = graph.iter().filter_map(|e| e["spdxId"].as_str()).collect();
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len());
    let document = graph.iter().find(|e| e["type"] == "SpdxDocument").unwrap();
    let ns = document["spdxId"]
        .as_str()
        .unwrap()
        .strip_suffix("/document")
        .unwrap();
    assert!(ns.starts_with(spdx::NAMESPACE_BASE));
    assert!(ids.iter().all(|id| id.starts_with(&format!("{ns}/"))));
}

#[test]
fn invalid_licences_are_names_never_ids() {
    let Some(shared) = shared() else { return };
    let enum_ids: Vec<String> = serde_json::from_value(
        json_file(&shared.join("schemas/cyclonedx/spdx.schema.json"))["enum"].clone(),
    )
    .unwrap();
    let mut bom = Bom::default();
    bom.subject.name = "licences".into();
    for (i, text) in [
        "unknown",
        "CC BY-SA 4.0",
        "llama2",
        "apache 2.0",
        "mit",
        "GPL-2.0+",
        "LicenseRef-x",
        "",
        "Llama 3 Community Licence ©",
    ]
    .iter()
    .enumerate()
    {
        let mut c = Component::new(ComponentKind::Library, format!("lib{i}"));
        c.licenses = vec![License::parse(text)];
        bom.components.push(c);
    }
    let doc: Value = serde_json::from_str(&write_cdx(&bom, SpecVersion::V1_6)).unwrap();
    assert_valid(&cyclonedx_validator(&shared, "1.6"), &doc, "CycloneDX 1.6");
    let mut ids = Vec::new();
    let mut names = Vec::new();
    for c in doc["components"].as_array().unwrap() {
        let l = &c["licenses"][0]["license"];
        if let Some(id) = l["id"].as_str() {
            ids.push(id.to_owned());
        }
        if let Some(name) = l["name"].as_str() {
            names.push(name.to_owned());
        }
    }
    ids.sort();
    assert_eq!(ids, ["GPL-2.0+", "MIT"]);
    assert!(ids.iter().all(|id| enum_ids.contains(id)));
    names.sort();
    assert_eq!(
        names,
        [
            "",
            "CC BY-SA 4.0",
            "LicenseRef-x",
            "Llama 3 Community Licence ©",
            "apache 2.0",
            "llama2",
            "unknown"
        ]
    );
    // The embedded list is the schema's list.
    let embedded: Vec<&str> = airlock_bom::license::SPDX_LICENSE_IDS.lines().collect();
    assert_eq!(
        embedded,
        enum_ids.iter().map(String::as_str).collect::<Vec<_>>()
    );
    // In SPDX every licence is an expression: valid ones as they are, names as LicenseRefs.
    let doc: Value = serde_json::from_str(&write_spdx(&bom)).unwrap();
    let mut refs = Vec::new();
    for e in doc["@graph"].as_array().unwrap() {
        if e["type"] != "simplelicensing_LicenseExpression" {
            continue;
        }
        let text = e["simplelicensing_licenseExpression"].as_str().unwrap();
        match text.strip_prefix("LicenseRef-airlock-") {
            Some(slug) => {
                assert!(
                    slug.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                );
                refs.push(e["name"].as_str().unwrap().to_owned());
            }
            None => assert!(airlock_bom::SpdxExpression::parse(text).is_some(), "{text}"),
        }
    }
    refs.sort();
    assert_eq!(refs, names);
}

// ---------------------------------------------------------------- determinism and round trips

#[test]
fn output_is_deterministic_and_serial_follows_content() {
    let a = write_cdx(&sample(), SpecVersion::V1_6);
    let mut shuffled = sample();
    shuffled.components.reverse();
    shuffled.dependencies.reverse();
    assert_eq!(a, write_cdx(&shuffled, SpecVersion::V1_6));
    assert_eq!(write_spdx(&sample()), write_spdx(&shuffled));

    let serial = |text: &str| -> String {
        serde_json::from_str::<Value>(text).unwrap()["serialNumber"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut changed = sample();
    changed.subject.description = Some("Routes reviews".into());
    assert_ne!(serial(&a), serial(&write_cdx(&changed, SpecVersion::V1_6)));
    // A timestamp does not change the serial number.
    let stamped = cyclonedx::write(
        &sample(),
        &cyclonedx::WriteOptions {
            spec_version: SpecVersion::V1_6,
            timestamp: Some("2026-11-26T00:00:00Z".into()),
        },
    )
    .unwrap();
    assert_eq!(serial(&a), serial(&stamped));
    assert!(stamped.contains("\"timestamp\": \"2026-11-26T00:00:00Z\""));
    let s = serial(&a);
    assert_eq!(&s[23..24], "5", "UUID version 5: {s}");
}

#[test]
fn cyclonedx_round_trip_is_identical() {
    for version in [SpecVersion::V1_6, SpecVersion::V1_7] {
        let first = write_cdx(&sample(), version);
        let read = cyclonedx::read(&first).unwrap();
        assert_eq!(first, write_cdx(&read, version));
    }
}

#[test]
fn cyclonedx_read_recovers_the_model() {
    let mut expected = sample();
    expected.normalize();
    let mut read = cyclonedx::read(&write_cdx(&sample(), SpecVersion::V1_6)).unwrap();
    // The one lossy field: CycloneDX has a single slice string for dataset and split.
    for c in &mut expected.components {
        if let Some(card) = &mut c.model_card {
            for m in &mut card.performance_metrics {
                m.slice = m.combined_slice();
                m.dataset = None;
            }
        }
    }
    read.normalize();
    assert_eq!(read, expected);
}

#[test]
fn spdx_round_trip_is_identical() {
    let first = write_spdx(&sample());
    let read = spdx::read(&first).unwrap();
    assert_eq!(first, write_spdx(&read));
    // And the refs, edges and digests survive.
    assert!(read.dependencies.iter().any(|d| d.relation
        == Relation::DescendantOf(Derivation::FineTune)
        && d.to.iter().any(|t| t.contains("bert-base-uncased"))));
    let base = read
        .component(&format!(
            "pkg:huggingface/google-bert/bert-base-uncased@{BASE_REV}"
        ))
        .unwrap();
    assert_eq!(base.components.len(), 2);
    assert_eq!(base.licenses, vec![License::parse("Apache-2.0")]);
    assert_eq!(read.services[0].endpoints.len(), 1);
}

// ---------------------------------------------------------------- readers on other tools' output

#[test]
fn shared_cyclonedx_example_reads() {
    let Some(shared) = shared() else { return };
    let text =
        std::fs::read_to_string(shared.join("examples/bom/cdx-1.6-mlbom-example.json")).unwrap();
    let bom = cyclonedx::read(&text).unwrap();
    assert_eq!(bom.subject.name, "demo-rag-app");
    let model_ref = "pkg:huggingface/acme/tiny-bert@5f3c1e0b7d9a8c6e4f2a1b3c5d7e9f0a1b2c3d4e";
    let model = bom.component(model_ref).unwrap();
    assert_eq!(model.licenses, vec![License::parse("Apache-2.0")]);
    assert_eq!(model.hashes.len(), 2);
    let card = model.model_card.as_ref().unwrap();
    assert_eq!(card.task.as_deref(), Some("text-classification"));
    assert_eq!(
        card.performance_metrics[0]
            .confidence_interval
            .as_ref()
            .unwrap()
            .0,
        "0.90"
    );
    assert_eq!(
        bom.edges(model_ref, Relation::TrainedOn)
            .collect::<Vec<_>>(),
        ["dataset-imdb"]
    );
    // The pedigree's base model is not a component of the example; it becomes one.
    let base: Vec<&str> = bom
        .edges(model_ref, Relation::DescendantOf(Derivation::Unknown))
        .collect();
    assert_eq!(
        base,
        ["pkg:huggingface/google-bert/bert-base-uncased@86b5e0934494bd15c9632b12f734a8a67f723594"]
    );
    assert!(bom.component(base[0]).is_some());
    let project = bom.subject.bom_ref();
    assert_eq!(bom.edges(&project, Relation::DependsOn).count(), 3);
    assert_eq!(bom.services[0].endpoints.len(), 1);
    let data = bom
        .component("dataset-imdb")
        .unwrap()
        .data
        .as_ref()
        .unwrap();
    assert_eq!(data.governance.owners, ["Stanford NLP"]);
    bom.check().unwrap();
    // What was read writes out valid again.
    let doc: Value = serde_json::from_str(&write_cdx(&bom, SpecVersion::V1_6)).unwrap();
    assert_valid(&cyclonedx_validator(&shared, "1.6"), &doc, "CycloneDX 1.6");
}

#[test]
fn shared_spdx_example_reads() {
    let Some(shared) = shared() else { return };
    let text =
        std::fs::read_to_string(shared.join("examples/bom/spdx-3.0.1-ai-example.json")).unwrap();
    let bom = spdx::read(&text).unwrap();
    let model_ref = "https://example.org/airlock/model/tiny-bert";
    let model = bom.component(model_ref).unwrap();
    assert_eq!(model.kind, ComponentKind::MachineLearningModel);
    assert_eq!(model.group.as_deref(), Some("acme"));
    assert_eq!(model.supplier.as_deref(), Some("Acme AI"));
    assert_eq!(model.hashes[0].alg, HashAlg::Sha256);
    let card = model.model_card.as_ref().unwrap();
    assert_eq!(card.technical_limitations, ["English only"]);
    assert_eq!(card.performance_metrics[0].metric_type, "accuracy");
    let data = bom
        .component("https://example.org/airlock/dataset/imdb")
        .unwrap();
    assert_eq!(data.data.as_ref().unwrap().modalities, [Modality::Text]);
    assert_eq!(
        bom.edges(model_ref, Relation::TrainedOn)
            .collect::<Vec<_>>(),
        ["https://example.org/airlock/dataset/imdb"]
    );
    let doc: Value = serde_json::from_str(&write_spdx(&bom)).unwrap();
    assert_valid(&spdx_validator(&shared), &doc, "SPDX 3.0.1");
}

#[test]
fn cyclonedx_py_output_reads() {
    // `cyclonedx-py environment --sv 1.6` (cyclonedx-bom 7.5.0) on a venv, committed as is.
    let text = include_str!("data/cyclonedx-py-environment-1.6.json");
    let bom = cyclonedx::read(text).unwrap();
    bom.check().unwrap();
    let lib = bom
        .components
        .iter()
        .find(|c| c.name == "cyclonedx-python-lib")
        .unwrap();
    assert_eq!(lib.kind, ComponentKind::Library);
    assert!(
        lib.purl
            .as_deref()
            .unwrap()
            .starts_with("pkg:pypi/cyclonedx-python-lib@")
    );
    assert!(!lib.licenses.is_empty());
    assert!(bom.dependencies.iter().any(|d| d.from == lib.bom_ref));
    let again = write_cdx(&bom, SpecVersion::V1_6);
    assert_eq!(
        again,
        write_cdx(&cyclonedx::read(&again).unwrap(), SpecVersion::V1_6)
    );
}

#[test]
fn reader_tolerates_old_and_odd_documents() {
    // 1.4 shape: legacy tools array, author string, no bom-refs, an unknown field, an
    // unknown hash algorithm, a duplicate ref and an edge to nowhere.
    let text = r#"{
      "bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1,
      "metadata": {"tools": [{"vendor": "x", "name": "y"}], "component": {"type": "application", "name": "old", "bom-ref": "root"}},
      "components": [
        {"type": "library", "name": "a", "version": "1", "author": "Someone", "x-extra": {"k": 1},
         "hashes": [{"alg": "SHA-256", "content": "AB"}, {"alg": "WHIRLPOOL", "content": "00"}],
         "licenses": [{"license": {"id": "mit"}}, {"license": {"name": "Custom"}}]},
        {"type": "library", "name": "b", "bom-ref": "dup"},
        {"type": "library", "name": "c", "bom-ref": "dup"},
        {"type": "quantum-thing", "name": "d"}
      ],
      "dependencies": [{"ref": "root", "dependsOn": ["library:a@1", "dup", "missing"]}]
    }"#;
    let bom = cyclonedx::read(text).unwrap();
    bom.check().unwrap();
    assert_eq!(bom.subject.name, "old");
    let a = bom.component("library:a@1").unwrap();
    assert_eq!(a.authors, ["Someone"]);
    assert!(
        a.hashes.is_empty(),
        "malformed and unknown digests are dropped"
    );
    assert_eq!(
        a.licenses,
        vec![License::parse("MIT"), License::Named("Custom".into())]
    );
    assert!(bom.component("dup").is_some() && bom.component("dup#2").is_some());
    assert_eq!(
        bom.edges("project:old", Relation::DependsOn)
            .collect::<Vec<_>>(),
        ["dup", "library:a@1"]
    );
    assert!(matches!(
        cyclonedx::read(r#"{"bomFormat": "CycloneDX", "specVersion": "1.2"}"#),
        Err(airlock_bom::Error::UnsupportedVersion { .. })
    ));
    assert!(cyclonedx::read(r#"{"bomFormat": "SPDX"}"#).is_err());
    assert!(spdx::read(r#"{"@graph": []}"#).is_err());
}

// ---------------------------------------------------------------- model checks

#[test]
fn writers_refuse_inconsistent_models() {
    let mut dangling = sample();
    dangling.add_edge(
        "project:review-triage@1.2.0",
        Relation::DependsOn,
        "pkg:pypi/ghost@1",
    );
    assert!(matches!(
        cyclonedx::write(&dangling, &Default::default()),
        Err(airlock_bom::Error::DanglingRef(r)) if r == "pkg:pypi/ghost@1"
    ));
    assert!(spdx::write(&dangling, &Default::default()).is_err());

    let mut duplicate = sample();
    duplicate
        .components
        .push(library("torch", "2.5.1", "BSD-3-Clause"));
    assert!(matches!(
        cyclonedx::write(&duplicate, &Default::default()),
        Err(airlock_bom::Error::DuplicateRef(_))
    ));

    let mut bad_hash = sample();
    bad_hash.components[0].hashes.push(Hash {
        alg: HashAlg::Sha256,
        value: "abc".into(),
    });
    assert!(matches!(
        spdx::write(&bad_hash, &Default::default()),
        Err(airlock_bom::Error::InvalidHash { .. })
    ));
    assert!(Hash::new(HashAlg::Blake3, &"A".repeat(64)).is_ok());
    assert!(Hash::new(HashAlg::Sha1, &"a".repeat(64)).is_err());
}

// ---------------------------------------------------------------- golden files

/// The sample's three documents are committed under `tests/golden/` so that reviewers see
/// output changes and `tests/check_golden.py` can run the Python validators on them.
/// `AIRLOCK_BLESS=1 cargo test -p airlock-bom --test formats golden` rewrites them.
#[test]
fn golden_outputs_match() {
    let outputs = [
        (
            "sample.cdx-1.6.json",
            write_cdx(&sample(), SpecVersion::V1_6),
        ),
        (
            "sample.cdx-1.7.json",
            write_cdx(&sample(), SpecVersion::V1_7),
        ),
        ("sample.spdx3.json", write_spdx(&sample())),
    ];
    for (name, text) in outputs {
        common::check_golden(name, &text);
    }
}

// ---------------------------------------------------------------- hostile input

/// Truncated and bit-flipped documents give an error or a BOM that passes `Bom::check`,
/// never a panic.
#[test]
fn readers_survive_truncation_and_bit_flips() {
    let inputs = [
        (write_cdx(&sample(), SpecVersion::V1_6), true),
        (
            include_str!("data/cyclonedx-py-environment-1.6.json").to_owned(),
            true,
        ),
        (write_spdx(&sample()), false),
    ];
    for (text, is_cdx) in inputs {
        let read = |bytes: &[u8]| {
            let Ok(text) = std::str::from_utf8(bytes) else {
                return;
            };
            let result = if is_cdx {
                cyclonedx::read(text)
            } else {
                spdx::read(text)
            };
            if let Ok(bom) = result {
                bom.check().unwrap();
            }
        };
        let bytes = text.as_bytes();
        for cut in (0..bytes.len()).step_by(97) {
            read(&bytes[..cut]);
        }
        for at in (0..bytes.len()).step_by(101) {
            let mut flipped = bytes.to_vec();
            flipped[at] ^= 0x20;
            read(&flipped);
        }
    }
}
