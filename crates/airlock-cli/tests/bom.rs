//! `airlock bom` end to end on the fixture project of `airlock-bom`'s tests: formats,
//! summary, lineage graph and exit status. (Schema validity and golden output are tested
//! in `crates/airlock-bom/tests/project.rs`.)

use std::path::Path;
use std::process::{Command, Output};

fn project() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../airlock-bom/tests/data/discover/project"
    ))
}

fn airlock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .env_remove("AIRLOCK_CONFIG")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn writes_each_format_and_the_summary() {
    let dir = project().to_str().unwrap();
    let cdx = airlock(&["bom", dir]);
    assert_eq!(
        cdx.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cdx.stderr)
    );
    let document: serde_json::Value = serde_json::from_slice(&cdx.stdout).unwrap();
    assert_eq!(document["bomFormat"], "CycloneDX");
    assert_eq!(document["specVersion"], "1.6");
    assert_eq!(
        document["metadata"]["component"]["name"],
        "review-classifier"
    );
    let v17 = airlock(&["bom", dir, "--spec-version", "1.7"]);
    let document: serde_json::Value = serde_json::from_slice(&v17.stdout).unwrap();
    assert_eq!(document["specVersion"], "1.7");
    let spdx = airlock(&["bom", dir, "--format", "spdx"]);
    let document: serde_json::Value = serde_json::from_slice(&spdx.stdout).unwrap();
    assert!(
        document["@graph"]
            .as_array()
            .is_some_and(|graph| !graph.is_empty())
    );

    let table = airlock(&["bom", dir, "--format", "table"]);
    let text = stdout(&table);
    assert!(
        text.starts_with("review-classifier: 3 models (+4 named, not present)"),
        "{text}"
    );
    assert!(
        text.contains("model finetuned  models/finetuned  completeness 6/9"),
        "{text}"
    );
    assert!(
        text.contains("service OpenAI API  models: gpt-4o-mini"),
        "{text}"
    );
    let warnings = String::from_utf8_lossy(&table.stderr);
    assert!(
        warnings.contains("warning: model base has no source or digests recorded"),
        "{warnings}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bom.json");
    let written = airlock(&["bom", dir, "-o", file.to_str().unwrap()]);
    assert_eq!(written.status.code(), Some(0));
    assert!(stdout(&written).contains("completeness"));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        cdx.stdout.strip_suffix(b"\n").unwrap()
    );
}

#[test]
fn graph_shows_lineage_and_training_data() {
    let graph = airlock(&["bom", project().to_str().unwrap(), "--graph"]);
    let text = stdout(&graph);
    assert!(
        text.contains("finetuned  (models/finetuned)\n├── fine-tune: base  (models/base)"),
        "{text}"
    );
    assert!(
        text.contains("trained on: stanfordnlp/imdb  (not present)"),
        "{text}"
    );
    let missing = airlock(&["bom", "/nonexistent/project"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn diff_compares_documents_of_either_format() {
    let golden = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../airlock-bom/tests/golden"
    ));
    let arg = |name: &str| golden.join(name).to_str().unwrap().to_owned();
    // The same BOM as CycloneDX and as SPDX describes the same components and lineage.
    let same = airlock(&[
        "bom",
        "diff",
        &arg("project.cdx-1.6.json"),
        &arg("project.spdx3.json"),
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));
    assert_eq!(stdout(&same), "no differences\n");

    let other = airlock(&[
        "bom",
        "diff",
        &arg("sample.cdx-1.6.json"),
        &arg("project.cdx-1.6.json"),
        "--format",
        "json",
    ]);
    assert_eq!(other.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&other.stdout).unwrap();
    let added = report["added"].as_array().unwrap();
    assert!(
        added
            .iter()
            .any(|c| c["kind"] == "library" && c["name"] == "openai"),
        "{report}"
    );

    let unreadable = airlock(&[
        "bom",
        "diff",
        &arg("project.cdx-1.6.json"),
        "/nonexistent.json",
    ]);
    assert_eq!(unreadable.status.code(), Some(2));
}

#[test]
fn merge_writes_one_document_of_several() {
    let golden = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../airlock-bom/tests/golden"
    ));
    let arg = |name: &str| golden.join(name).to_str().unwrap().to_owned();
    let merged = airlock(&[
        "bom",
        "merge",
        &arg("sample.cdx-1.6.json"),
        &arg("project.spdx3.json"),
        "--name",
        "platform",
    ]);
    assert_eq!(
        merged.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let document: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(document["metadata"]["component"]["name"], "platform");
    let applications = document["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "application")
        .count();
    assert_eq!(applications, 2);
}
