//! Discovery over a small realistic project (`tests/data/discover/project`), copied into a
//! temporary folder to which each test adds what git cannot hold: a Hugging Face cache with
//! two revisions linked from `snapshots/`, and a `local_dir` download.

use std::fs;
use std::path::{Path, PathBuf};

use airlock_bom::discover::{self, DiscoverOptions, Inventory};

const REV_OLD: &str = "1111111111111111111111111111111111111111";
const REV_NEW: &str = "2222222222222222222222222222222222222222";
const LOCAL_REV: &str = "3333333333333333333333333333333333333333";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/discover/project")
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(airlock_integrity::hash::sha256(bytes))
}

/// The fixture plus a hub cache (`hub/models--org--tiny`, two snapshots sharing one blob,
/// `refs/main` at the newer one; `hub/datasets--org--reviews`) and a `local_dir` download.
#[cfg(unix)]
fn project() -> tempfile::TempDir {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(&fixture(), root);

    let repo = root.join("hub/models--org--tiny");
    fs::create_dir_all(repo.join("blobs")).unwrap();
    fs::create_dir_all(repo.join("refs")).unwrap();
    fs::write(repo.join("refs/main"), REV_NEW).unwrap();
    let weights = fs::read(root.join("models/finetuned/model.safetensors")).unwrap();
    let weights_blob = sha256_hex(&weights);
    fs::write(repo.join("blobs").join(&weights_blob), &weights).unwrap();
    let config_old = br#"{"architectures": ["TinyModel"], "model_type": "tiny"}"#;
    let config_new = br#"{"architectures": ["TinyModelV2"], "model_type": "tiny"}"#;
    for (rev, config) in [(REV_OLD, &config_old[..]), (REV_NEW, &config_new[..])] {
        let snapshot = repo.join("snapshots").join(rev);
        fs::create_dir_all(&snapshot).unwrap();
        let config_blob = sha256_hex(config);
        fs::write(repo.join("blobs").join(&config_blob), config).unwrap();
        symlink(
            format!("../../blobs/{config_blob}"),
            snapshot.join("config.json"),
        )
        .unwrap();
        symlink(
            format!("../../blobs/{weights_blob}"),
            snapshot.join("model.safetensors"),
        )
        .unwrap();
    }

    let data_repo = root.join("hub/datasets--org--reviews");
    let data_snapshot = data_repo.join("snapshots").join(REV_OLD);
    fs::create_dir_all(&data_snapshot).unwrap();
    fs::create_dir_all(data_repo.join("blobs")).unwrap();
    fs::create_dir_all(data_repo.join("refs")).unwrap();
    fs::write(data_repo.join("refs/main"), REV_OLD).unwrap();
    let rows = b"{\"text\": \"x\"}\n{\"text\": \"y\"}\n";
    let rows_blob = sha256_hex(rows);
    fs::write(data_repo.join("blobs").join(&rows_blob), rows).unwrap();
    symlink(
        format!("../../blobs/{rows_blob}"),
        data_snapshot.join("train.jsonl"),
    )
    .unwrap();

    let local = root.join("downloads/gguf-model");
    let metadata = local.join(".cache/huggingface/download");
    fs::create_dir_all(&metadata).unwrap();
    fs::write(local.join("model.gguf"), gguf()).unwrap();
    fs::write(
        metadata.join("model.gguf.metadata"),
        format!("{LOCAL_REV}\n\"{}\"\n1732600000.5\n", sha256_hex(&gguf())),
    )
    .unwrap();
    dir
}

/// A GGUF v3 file: `general.architecture = llama`, `general.name = tiny`, one F16 tensor
/// of 4 x 2 and one Q8_0 tensor of 32 elements.
fn gguf() -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend((s.len() as u64).to_le_bytes());
        out.extend(s.as_bytes());
    }
    let mut out = b"GGUF".to_vec();
    out.extend(3u32.to_le_bytes());
    out.extend(2u64.to_le_bytes()); // tensors
    out.extend(2u64.to_le_bytes()); // key/values
    for (key, value) in [("general.architecture", "llama"), ("general.name", "tiny")] {
        string(&mut out, key);
        out.extend(8u32.to_le_bytes());
        string(&mut out, value);
    }
    // name, n_dims, dims, type, offset
    string(&mut out, "tok_embd.weight");
    out.extend(2u32.to_le_bytes());
    out.extend(4u64.to_le_bytes());
    out.extend(2u64.to_le_bytes());
    out.extend(1u32.to_le_bytes()); // F16
    out.extend(0u64.to_le_bytes());
    string(&mut out, "output.weight");
    out.extend(1u32.to_le_bytes());
    out.extend(32u64.to_le_bytes());
    out.extend(8u32.to_le_bytes()); // Q8_0: 32 elements in 34 bytes
    out.extend(32u64.to_le_bytes());
    while !out.len().is_multiple_of(32) {
        out.push(0);
    }
    out.extend([0u8; 16]); // F16 4x2
    out.extend([0u8; 16]); // padding to 32
    out.extend([0u8; 34]); // Q8_0 block
    out
}

fn run(root: &Path) -> Inventory {
    discover::discover(root, &DiscoverOptions::default()).unwrap()
}

/// The OMS digest `airlock lock` gives the model at `path` (relative to `root`).
fn lock_digest(root: &Path, path: &str) -> String {
    let snapshot = airlock_integrity::snapshot(
        root,
        &airlock_integrity::SnapshotOptions::default(),
        &airlock_integrity::NoProgress,
    )
    .unwrap();
    snapshot
        .lock
        .models
        .iter()
        .find(|m| m.path == path)
        .unwrap_or_else(|| panic!("no locked model at {path}: {:?}", snapshot.lock.models))
        .oms_sha256
        .clone()
}

#[cfg(unix)]
#[test]
fn model_folder_reads_card_config_weights_and_local_lineage() {
    let dir = project();
    let root = dir.path();
    let inventory = run(root);
    let model = inventory
        .models
        .iter()
        .find(|m| m.path == "models/finetuned")
        .unwrap();
    assert_eq!(model.layout, discover::ModelLayout::Folder);
    assert_eq!(model.hub, None);
    let card = model.card.as_ref().unwrap();
    assert_eq!(card.license.as_deref(), Some("apache-2.0"));
    assert_eq!(
        card.base_models,
        ["../base", "google-bert/bert-base-uncased"]
    );
    assert_eq!(card.base_model_relation.as_deref(), Some("finetune"));
    assert_eq!(card.datasets, ["stanfordnlp/imdb"]);
    assert_eq!(card.pipeline_tag.as_deref(), Some("text-classification"));
    assert_eq!(card.languages, ["en"]);
    assert_eq!(card.library_name.as_deref(), Some("transformers"));
    assert_eq!(card.tags, ["sentiment", "generated_from_trainer"]);
    let metrics: Vec<(&str, &str, &str, &str, &str)> = card
        .metrics
        .iter()
        .map(|m| {
            (
                m.task.as_deref().unwrap(),
                m.dataset.as_deref().unwrap(),
                m.split.as_deref().unwrap(),
                m.metric.as_str(),
                m.value.as_str(),
            )
        })
        .collect();
    assert_eq!(
        metrics,
        [
            (
                "text-classification",
                "stanfordnlp/imdb",
                "test",
                "accuracy",
                "0.934"
            ),
            (
                "text-classification",
                "stanfordnlp/imdb",
                "test",
                "f1",
                "0.93"
            ),
        ]
    );
    assert_eq!(
        card.considerations,
        discover::Considerations {
            intended_uses: Some("Classifies English movie reviews as positive or negative.".into()),
            out_of_scope: None,
            limitations: None,
            bias_risks: Some("Trained on movie reviews only; it may misread sarcasm.".into()),
        }
    );
    let config = model.config.as_ref().unwrap();
    assert_eq!(config.architectures, ["BertForSequenceClassification"]);
    assert_eq!(config.model_type.as_deref(), Some("bert"));
    assert_eq!(config.name_or_path.as_deref(), Some("../base"));
    assert_eq!(config.torch_dtype.as_deref(), Some("float32"));
    assert_eq!(config.transformers_version.as_deref(), Some("4.46.0"));

    let weights = fs::read(root.join("models/finetuned/model.safetensors")).unwrap();
    assert_eq!(
        model.weights,
        [discover::WeightFile {
            path: "models/finetuned/model.safetensors".into(),
            format: discover::WeightFormat::Safetensors,
            size: weights.len() as u64,
            sha256: Some(sha256_hex(&weights)),
            tensor_count: Some(2),
            parameter_count: Some(9),
            dtypes: vec!["F16".into(), "F32".into()],
            header_metadata: [("format".to_owned(), "pt".to_owned())].into(),
        }]
    );
    // The same digest `airlock lock` computes for the folder on its own.
    assert_eq!(
        model.oms_sha256.as_deref(),
        Some(lock_digest(&root.join("models/finetuned"), ".").as_str())
    );
    let links: Vec<(&str, &str, Option<&str>)> = model
        .local_links
        .iter()
        .map(|l| (l.field.as_str(), l.value.as_str(), l.target.as_deref()))
        .collect();
    assert_eq!(
        links,
        [
            ("card.base_model", "../base", Some("models/base")),
            ("config._name_or_path", "../base", Some("models/base")),
        ]
    );
    // The base is a model of its own (config only), so the lead can connect the two.
    let base = inventory
        .models
        .iter()
        .find(|m| m.path == "models/base")
        .unwrap();
    assert_eq!(base.config.as_ref().unwrap().architectures, ["BertModel"]);
    assert!(base.weights.is_empty() && base.local_links.is_empty());
}

#[cfg(unix)]
#[test]
fn hub_cache_gives_one_model_per_revision_with_its_refs() {
    let dir = project();
    let root = dir.path();
    let inventory = run(root);
    let cached: Vec<_> = inventory
        .models
        .iter()
        .filter(|m| m.layout == discover::ModelLayout::HubCache)
        .collect();
    let summary: Vec<(&str, &str, &str, Vec<String>, &str)> = cached
        .iter()
        .map(|m| {
            let hub = m.hub.as_ref().unwrap();
            (
                hub.repo.as_deref().unwrap(),
                hub.revision.as_str(),
                hub.source,
                hub.refs.clone(),
                m.config.as_ref().unwrap().architectures[0].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("org/tiny", REV_OLD, "cache", vec![], "TinyModel"),
            (
                "org/tiny",
                REV_NEW,
                "cache",
                vec!["main".to_owned()],
                "TinyModelV2"
            ),
        ]
    );
    let weights = fs::read(root.join("models/finetuned/model.safetensors")).unwrap();
    for model in &cached {
        assert_eq!(model.weights.len(), 1);
        assert_eq!(model.weights[0].sha256, Some(sha256_hex(&weights)));
        assert_eq!(model.weights[0].parameter_count, Some(9));
        // Links followed: the digest `airlock lock` records for the snapshot.
        assert_eq!(
            model.oms_sha256.as_deref(),
            Some(lock_digest(root, &model.path).as_str())
        );
    }
    assert_ne!(cached[0].oms_sha256, cached[1].oms_sha256);

    let dataset = inventory
        .datasets
        .iter()
        .find(|d| d.layout == discover::DatasetLayout::HubCache)
        .unwrap();
    let hub = dataset.hub.as_ref().unwrap();
    assert_eq!(
        (
            hub.repo_type.as_str(),
            hub.repo.as_deref(),
            hub.revision.as_str(),
            hub.refs.clone()
        ),
        (
            "dataset",
            Some("org/reviews"),
            REV_OLD,
            vec!["main".to_owned()]
        )
    );
    assert_eq!(dataset.files.len(), 1);
    assert_eq!(dataset.files[0].rows, Some(2));
}

#[cfg(unix)]
#[test]
fn local_dir_download_gives_revision_and_gguf_header() {
    let dir = project();
    let root = dir.path();
    let inventory = run(root);
    let model = inventory
        .models
        .iter()
        .find(|m| m.path == "downloads/gguf-model")
        .unwrap();
    assert_eq!(model.layout, discover::ModelLayout::LocalDirDownload);
    assert_eq!(
        model.hub,
        Some(discover::HubOrigin {
            repo_type: "model".into(),
            repo: None,
            revision: LOCAL_REV.into(),
            refs: vec![],
            source: "download metadata",
            downloaded_at: Some(1732600000.5),
        })
    );
    assert_eq!(
        model.weights,
        [discover::WeightFile {
            path: "downloads/gguf-model/model.gguf".into(),
            format: discover::WeightFormat::Gguf,
            size: gguf().len() as u64,
            sha256: Some(sha256_hex(&gguf())),
            tensor_count: Some(2),
            parameter_count: Some(4 * 2 + 32),
            dtypes: vec!["F16".into(), "Q8_0".into()],
            header_metadata: [
                ("general.architecture".to_owned(), "llama".to_owned()),
                ("general.name".to_owned(), "tiny".to_owned()),
            ]
            .into(),
        }]
    );
    // Download bookkeeping is left out, as `airlock lock` does.
    assert_eq!(
        model.oms_sha256.as_deref(),
        Some(lock_digest(root, "downloads/gguf-model").as_str())
    );
}

#[cfg(unix)]
#[test]
fn loose_pickle_is_a_model_of_its_own_found_by_content() {
    let dir = project();
    let root = dir.path();
    // A pickle renamed to look like text is still a model; text named `.bin` is not.
    fs::copy(
        root.join("loose/classifier.bin"),
        root.join("loose/notes.txt"),
    )
    .unwrap();
    fs::write(root.join("loose/readme.bin"), "plain text").unwrap();
    let inventory = run(root);
    let loose: Vec<(&str, discover::WeightFormat)> = inventory
        .models
        .iter()
        .filter(|m| m.layout == discover::ModelLayout::LooseFile)
        .map(|m| (m.path.as_str(), m.weights[0].format))
        .collect();
    assert_eq!(
        loose,
        [
            ("loose/classifier.bin", discover::WeightFormat::Pickle),
            ("loose/notes.txt", discover::WeightFormat::Pickle),
        ]
    );
    let content = fs::read(root.join("loose/classifier.bin")).unwrap();
    let digest = airlock_integrity::hash::sha256(&content);
    let model = &inventory
        .models
        .iter()
        .find(|m| m.path == "loose/classifier.bin")
        .unwrap();
    // A single-file model: OMS hashes the digest of its one resource.
    assert_eq!(
        model.oms_sha256,
        Some(hex::encode(airlock_integrity::hash::sha256(&digest)))
    );
}

#[cfg(unix)]
#[test]
fn datasets_from_cards_files_croissant_and_the_datasets_cache() {
    let dir = project();
    let root = dir.path();
    let inventory = run(root);
    let found: Vec<(&str, discover::DatasetLayout)> = inventory
        .datasets
        .iter()
        .map(|d| (d.path.as_str(), d.layout))
        .collect();
    assert_eq!(
        found,
        [
            (
                "cache/datasets/imdb/plain_text/1.0.0/0123abcd",
                discover::DatasetLayout::DatasetsCache
            ),
            ("data/croissant", discover::DatasetLayout::Croissant),
            ("data/reviews", discover::DatasetLayout::Folder),
            (
                "hub/datasets--org--reviews/snapshots/1111111111111111111111111111111111111111",
                discover::DatasetLayout::HubCache
            ),
        ]
    );
    let reviews = &inventory.datasets[2];
    assert_eq!(
        reviews.card,
        Some(discover::DatasetCard {
            license: Some("cc-by-4.0".into()),
            pretty_name: Some("Reviews".into()),
            task_categories: vec!["text-classification".into()],
            size_categories: vec!["n<1K".into()],
            source_datasets: vec!["original".into()],
            languages: vec!["en".into()],
            configs: vec!["default".into()],
        })
    );
    let csv = fs::read(root.join("data/reviews/train.csv")).unwrap();
    let jsonl = fs::read(root.join("data/reviews/extra.jsonl")).unwrap();
    assert_eq!(
        reviews.files,
        [
            discover::DataFile {
                path: "data/reviews/extra.jsonl".into(),
                format: discover::DataFormat::Jsonl,
                size: jsonl.len() as u64,
                sha256: Some(sha256_hex(&jsonl)),
                rows: Some(2),
                rows_note: None,
            },
            // Four lines of data, one of them inside quotes: three rows under the header.
            discover::DataFile {
                path: "data/reviews/train.csv".into(),
                format: discover::DataFormat::Csv,
                size: csv.len() as u64,
                sha256: Some(sha256_hex(&csv)),
                rows: Some(3),
                rows_note: None,
            },
        ]
    );
    let croissant = inventory.datasets[1].croissant.as_ref().unwrap();
    assert_eq!(croissant.name.as_deref(), Some("tiny-croissant"));
    assert_eq!(
        croissant.licenses,
        ["https://creativecommons.org/licenses/by/4.0/"]
    );
    assert_eq!(croissant.url.as_deref(), Some("https://example.org/tiny"));
    assert_eq!(
        croissant.distribution,
        [discover::CroissantFile {
            name: Some("rows.csv".into()),
            content_url: Some("https://example.org/tiny/rows.csv".into()),
            encoding_format: Some("text/csv".into()),
            sha256: Some("48a7c257f3c90b2a3e529ddd2cca8f4f1bd8e49ed244ef53927649504ac55354".into()),
        }]
    );
    let info = inventory.datasets[0].info.as_ref().unwrap();
    assert_eq!(
        (
            info.name.as_deref(),
            info.config.as_deref(),
            info.version.as_deref()
        ),
        (Some("imdb"), Some("plain_text"), Some("1.0.0"))
    );
    let splits: Vec<(&str, Option<u64>)> = info
        .splits
        .iter()
        .map(|s| (s.name.as_str(), s.num_examples))
        .collect();
    assert_eq!(splits, [("test", Some(25000)), ("train", Some(25000))]);
}

#[cfg(unix)]
#[test]
fn code_and_config_references_with_file_and_line() {
    let dir = project();
    let inventory = run(dir.path());
    let found: Vec<String> = inventory
        .references
        .iter()
        .map(|r| {
            format!(
                "{}:{}{} {:?} {} {} rev={} detail={} local={}{}",
                r.file,
                r.line,
                r.cell.map(|c| format!("[cell {c}]")).unwrap_or_default(),
                r.kind,
                r.call,
                r.target,
                r.revision.as_deref().unwrap_or("-"),
                r.detail.as_deref().unwrap_or("-"),
                r.local,
                if r.trust_remote_code {
                    " trust_remote_code"
                } else {
                    ""
                },
            )
        })
        .collect();
    // Not found: the commented-out call, the call inside a string literal, the f-string
    // target, the markdown cell, and code under node_modules/ and .venv/ (whose CSV is
    // not a dataset either, see `datasets_from_cards_files_croissant_and_the_datasets_cache`).
    assert_eq!(
        found,
        [
            "config/app.yaml:6 Model model_name_or_path google-bert/bert-base-uncased rev=- detail=- local=false",
            "config/app.yaml:7 Dataset dataset_name stanfordnlp/imdb rev=- detail=- local=false",
            "notebooks/explore.ipynb:2[cell 1] Model pipeline distilbert/distilbert-base-uncased-finetuned-sst-2-english rev=- detail=- local=false",
            "src/train.py:9 Model AutoTokenizer.from_pretrained google-bert/bert-base-uncased rev=86b5e0934494bd15c9632b12f734a8a67f723594 detail=- local=false",
            "src/train.py:10 Model AutoModelForSequenceClassification.from_pretrained ./models/finetuned rev=- detail=- local=true trust_remote_code",
            "src/train.py:15 Dataset load_dataset stanfordnlp/imdb rev=- detail=plain_text local=false",
            "src/train.py:16 Dataset load_dataset data/reviews/train.csv rev=- detail=csv local=true",
            "src/train.py:17 Model hf_hub_download org/tiny rev=main detail=model.safetensors local=false",
        ]
    );
}

#[cfg(unix)]
#[test]
fn hosted_services_with_models_endpoints_and_no_secret_values() {
    let dir = project();
    let inventory = run(dir.path());
    let found: Vec<String> = inventory
        .services
        .iter()
        .map(|s| {
            format!(
                "{} {:?} lines={:?} cells={:?} endpoints={:?} models={:?} credentials={:?}",
                s.file, s.provider, s.lines, s.cells, s.endpoints, s.models, s.credentials
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            r#"config/.env Anthropic lines=[1] cells=[] endpoints=[] models=[] credentials=[ConfigKey("ANTHROPIC_API_KEY")]"#,
            r#"config/.env AzureOpenAi lines=[2, 3] cells=[] endpoints=["https://contoso.openai.azure.com"] models=["gpt-4o-prod"] credentials=[]"#,
            r#"config/.env CustomEndpoint lines=[4] cells=[] endpoints=["http://localhost:8000/v1"] models=[] credentials=[]"#,
            r#"config/app.yaml OpenAi lines=[3, 4] cells=[] endpoints=[] models=["gpt-4o-mini"] credentials=[ConfigKey("openai_api_key")]"#,
            r#"config/app.yaml CustomEndpoint lines=[2] cells=[] endpoints=["https://llm.internal.example/v1"] models=[] credentials=[]"#,
            r#"notebooks/explore.ipynb HuggingFaceInference lines=[2, 3] cells=[2] endpoints=["https://abc123.us-east-1.aws.endpoints.huggingface.cloud"] models=["meta-llama/Llama-3.1-8B-Instruct"] credentials=[]"#,
            // Line 25's `password=` on an archive call is not a service credential.
            r#"src/train.py OpenAi lines=[20, 21, 26] cells=[] endpoints=[] models=["gpt-4o-mini"] credentials=[EnvVar("OPENAI_API_KEY"), Literal]"#,
            r#"src/train.py CustomEndpoint lines=[26] cells=[] endpoints=["http://localhost:8000/v1"] models=[] credentials=[]"#,
        ]
    );
    let json = serde_json::to_string(&inventory).unwrap();
    for secret in [
        "sk-proj-abcdefghijklmnopqrstuvwxyz0123",
        "sk-abcdefghijklmnopqrstuvwxyz012345",
        "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
        "token=abc",
    ] {
        assert!(!json.contains(secret), "{secret} leaked");
    }
}

#[cfg(unix)]
#[test]
fn hostile_and_broken_inputs_become_problems() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("laughs")).unwrap();
    let mut yaml = String::from("---\npipeline_tag: x\na: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for i in 0..9 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("b{}", i - 1)
        };
        yaml.push_str(&format!(
            "b{i}: &b{i} [{}]\n",
            vec![format!("*{prev}"); 10].join(",")
        ));
    }
    yaml.push_str("---\n");
    fs::write(root.join("laughs/README.md"), &yaml).unwrap();
    fs::write(root.join("laughs/config.json"), r#"{"model_type": "x"}"#).unwrap();
    // A safetensors header claiming more than the file holds.
    let mut cut = 4096u64.to_le_bytes().to_vec();
    cut.extend(br#"{"w": {"dtype": "F32""#);
    fs::write(root.join("cut.safetensors"), &cut).unwrap();
    fs::write(root.join("broken.ipynb"), "{not json").unwrap();
    fs::write(root.join("big.py"), "x = 1\n".repeat(100)).unwrap();
    symlink("nowhere", root.join("dangling.bin")).unwrap();
    let options = DiscoverOptions {
        max_source_bytes: 100,
        ..DiscoverOptions::default()
    };
    let inventory = discover::discover(root, &options).unwrap();
    let problems: Vec<(&str, &str)> = inventory
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.reason.split(':').next().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            ("big.py", "not scanned for references"),
            ("broken.ipynb", "notebook not read"),
            (
                "cut.safetensors",
                "safetensors header is malformed (a loader would refuse it); run `airlock scan`"
            ),
            ("dangling.bin", "dangling symbolic link"),
            ("laughs/README.md", "card front matter not read"),
        ]
    );
    // The folder is still a model (its config says so), just without a card.
    let laughs = inventory
        .models
        .iter()
        .find(|m| m.path == "laughs")
        .unwrap();
    assert!(laughs.card.is_none());
    assert!(matches!(
        discover::discover(&root.join("big.py"), &options),
        Err(discover::DiscoverError::NotADirectory(_))
    ));
}

#[test]
fn diffusers_pipeline_components_are_parts_of_one_model() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sd");
    fs::create_dir_all(root.join("text_encoder")).unwrap();
    fs::write(
        root.join("model_index.json"),
        r#"{"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.30.0"}"#,
    )
    .unwrap();
    fs::write(
        root.join("text_encoder/config.json"),
        r#"{"architectures": ["CLIPTextModel"], "model_type": "clip_text_model"}"#,
    )
    .unwrap();
    let weights = fs::read(fixture().join("models/finetuned/model.safetensors")).unwrap();
    fs::write(root.join("text_encoder/model.safetensors"), &weights).unwrap();
    let inventory = run(dir.path());
    assert_eq!(inventory.models.len(), 1);
    let model = &inventory.models[0];
    assert_eq!(model.path, "sd");
    assert_eq!(
        model.config.as_ref().unwrap().pipeline_class.as_deref(),
        Some("StableDiffusionPipeline")
    );
    let weights: Vec<&str> = model.weights.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(weights, ["sd/text_encoder/model.safetensors"]);
}

#[test]
fn hub_style_shards_make_one_model_folder_without_a_config() {
    let dir = tempfile::tempdir().unwrap();
    let shards = dir.path().join("shards");
    fs::create_dir_all(&shards).unwrap();
    let weights = fs::read(fixture().join("models/finetuned/model.safetensors")).unwrap();
    for name in [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ] {
        fs::write(shards.join(name), &weights).unwrap();
    }
    // A single weight file with no folder markers stays a model of its own.
    fs::write(dir.path().join("single.safetensors"), &weights).unwrap();
    let inventory = run(dir.path());
    let found: Vec<(&str, discover::ModelLayout, usize)> = inventory
        .models
        .iter()
        .map(|m| (m.path.as_str(), m.layout, m.weights.len()))
        .collect();
    assert_eq!(
        found,
        [
            ("shards", discover::ModelLayout::Folder, 2),
            ("single.safetensors", discover::ModelLayout::LooseFile, 1),
        ]
    );
}

#[cfg(unix)]
#[test]
fn without_hashing_headers_are_still_read() {
    let dir = project();
    let options = DiscoverOptions {
        hash: false,
        ..DiscoverOptions::default()
    };
    let inventory = discover::discover(dir.path(), &options).unwrap();
    for model in &inventory.models {
        assert_eq!(model.oms_sha256, None, "{}", model.path);
        assert!(model.weights.iter().all(|w| w.sha256.is_none()));
    }
    let finetuned = inventory
        .models
        .iter()
        .find(|m| m.path == "models/finetuned")
        .unwrap();
    assert_eq!(finetuned.weights[0].tensor_count, Some(2));
    assert!(
        inventory
            .datasets
            .iter()
            .flat_map(|d| &d.files)
            .all(|f| f.sha256.is_none())
    );
}
