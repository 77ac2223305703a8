//! The `airlock` binary end to end: exit statuses, output formats, SARIF schema validity.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn airlock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .current_dir(repo())
        .env_remove("AIRLOCK_CONFIG")
        .output()
        .unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("AIRLOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"));
    if dir.join("schemas").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} has no schemas/; set AIRLOCK_SHARED to the shared data directory",
            dir.display()
        );
        None
    }
}

fn stdout_json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "stdout is not JSON ({err}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

const BENIGN: &str = "fixtures/torch/benign";
/// Every fixture family (not `fixtures/` itself, which may hold the generator's venv).
const ALL_FIXTURES: [&str; 13] = [
    "fixtures/pickle",
    "fixtures/torch",
    "fixtures/zip",
    "fixtures/joblib",
    "fixtures/numpy",
    "fixtures/tar",
    "fixtures/7z",
    "fixtures/huggingface",
    "fixtures/safetensors",
    "fixtures/gguf",
    "fixtures/onnx",
    "fixtures/tensorflow",
    "fixtures/keras",
];
const MALICIOUS: &str = "fixtures/pickle/malicious";

#[test]
fn exit_status_follows_the_threshold() {
    let clean = airlock(&["scan", BENIGN]);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
    let dirty = airlock(&["scan", MALICIOUS]);
    assert_eq!(dirty.status.code(), Some(1));
    let text = String::from_utf8_lossy(&dirty.stdout);
    assert!(text.contains("CRITICAL PKL101"), "{text}");
    assert!(text.contains("FAILED"), "{text}");
}

#[test]
fn operational_errors_exit_2() {
    let missing = airlock(&["scan", "no/such/path"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/path"));
    let bad_flag = airlock(&["scan", BENIGN, "--fail-on", "severe"]);
    assert_eq!(bad_flag.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("airlock.toml");
    std::fs::write(
        &config,
        "[scan.pickle]\nallow = [{ global = \"os.system\", reason = \"x\" }]\n",
    )
    .unwrap();
    let denied = airlock(&["scan", BENIGN, "--config", config.to_str().unwrap()]);
    assert_eq!(denied.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&denied.stderr).contains("os.system"));
}

#[test]
fn json_report_has_digests_and_findings() {
    let output = airlock(&["scan", MALICIOUS, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report = stdout_json(&output);
    assert_eq!(report["version"], 1);
    assert_eq!(report["summary"]["failed"], true);
    let files = report["files"].as_array().unwrap();
    assert!(!files.is_empty());
    for file in files {
        assert_eq!(file["sha256"].as_str().unwrap().len(), 64, "{file}");
    }
    let finding = files
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap())
        .find(|f| f["rule"] == "PKL101")
        .expect("a PKL101 finding");
    assert_eq!(finding["severity"], "critical");
    assert!(finding["url"].as_str().unwrap().ends_with("PKL101.md"));
    assert!(finding["location"]["offset"].is_u64());
}

#[test]
fn fail_on_sets_the_threshold() {
    // Malformed pickles are high, not critical.
    let malformed = "fixtures/pickle/malformed";
    assert_eq!(airlock(&["scan", malformed]).status.code(), Some(1));
    assert_eq!(
        airlock(&["scan", malformed, "--fail-on", "critical"])
            .status
            .code(),
        Some(0)
    );
    // An unknown import is medium: it passes the default threshold, fails `--fail-on medium`.
    let unknown = "fixtures/pickle/benign/unknown-global-custom-class.pkl";
    assert_eq!(airlock(&["scan", unknown]).status.code(), Some(0));
    assert_eq!(
        airlock(&["scan", unknown, "--fail-on", "medium"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let Some(shared) = shared() else { return };
    let schema_path = shared.join("schemas/sarif/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut args = vec!["scan", "--format", "sarif"];
    args.extend(ALL_FIXTURES);
    let output = airlock(&args);
    assert_eq!(output.status.code(), Some(1));
    let sarif = stdout_json(&output);
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "PKL101" && r["level"] == "error")
    );
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
}

#[test]
fn rules_and_explain_read_the_registry() {
    let list = airlock(&["rules"]);
    assert_eq!(list.status.code(), Some(0));
    let text = String::from_utf8_lossy(&list.stdout);
    for rule in airlock_core::rules::ALL {
        assert!(
            text.contains(rule.code),
            "{} missing from `airlock rules`",
            rule.code
        );
    }
    let json = stdout_json(&airlock(&["rules", "--format", "json"]));
    assert_eq!(
        json.as_array().unwrap().len(),
        airlock_core::rules::ALL.len()
    );

    let explain = airlock(&["explain", "pkl101"]);
    assert_eq!(explain.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&explain.stdout).contains("## Why it is dangerous"));
    let by_name = stdout_json(&airlock(&[
        "explain",
        "pickle-exec-global",
        "--format",
        "json",
    ]));
    assert_eq!(by_name["code"], "PKL101");
    let unknown = airlock(&["explain", "XYZ123"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn user_allowlist_turns_an_unknown_import_clean() {
    let dir = tempfile::tempdir().unwrap();
    // protocol 2: GLOBAL mypkg.models Net, EMPTY_TUPLE, REDUCE, STOP
    let pickle = b"\x80\x02cmypkg.models\nNet\n)R.";
    let file = dir.path().join("model.bin");
    std::fs::write(&file, pickle).unwrap();
    let before = stdout_json(&airlock(&[
        "scan",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(before["files"][0]["findings"][0]["rule"], "PKL201");
    let config = dir.path().join("airlock.toml");
    std::fs::write(
        &config,
        "[scan.pickle]\nallow = [{ global = \"mypkg.models.Net\", reason = \"our model\" }]\n",
    )
    .unwrap();
    let after = stdout_json(&airlock(&[
        "scan",
        file.to_str().unwrap(),
        "--format",
        "json",
        "--config",
        config.to_str().unwrap(),
    ]));
    assert_eq!(after["files"][0]["findings"].as_array().unwrap().len(), 0);
}
