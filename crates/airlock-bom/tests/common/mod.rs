//! Helpers shared by the integration tests: the shared schemas, their validators, and golden files.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("AIRLOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("schemas/cyclonedx/bom-1.6.schema.json").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} has no schemas/cyclonedx; set AIRLOCK_SHARED to the shared data directory",
            dir.display()
        );
        None
    }
}

pub fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn cyclonedx_validator(shared: &Path, version: &str) -> jsonschema::Validator {
    let dir = shared.join("schemas/cyclonedx");
    let mut options = jsonschema::options().should_validate_formats(true);
    let mut names = vec!["spdx.schema.json", "jsf-0.82.schema.json"];
    if version == "1.7" {
        names.push("cryptography-defs.schema.json");
    }
    for name in names {
        let resource = jsonschema::Resource::from_contents(json_file(&dir.join(name))).unwrap();
        options = options.with_resource(format!("http://cyclonedx.org/schema/{name}"), resource);
    }
    options
        .build(&json_file(&dir.join(format!("bom-{version}.schema.json"))))
        .unwrap()
}

pub fn spdx_validator(shared: &Path) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&json_file(
            &shared.join("schemas/spdx3/spdx-json-schema.json"),
        ))
        .unwrap()
}

pub fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    // `is_valid` stops at the first success of each `anyOf`; the SPDX schema's `AnyClass`
    // has hundreds, so collect the errors only when there are some.
    if validator.is_valid(doc) {
        return;
    }
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .take(20)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} schema errors:\n{}",
        errors.join("\n")
    );
}

/// Compares `text` with `tests/golden/<name>`; `AIRLOCK_BLESS=1` rewrites the file instead.
pub fn check_golden(name: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("AIRLOCK_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        eprintln!("blessed {}", path.display());
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        golden == text,
        "{} differs from the writer's output; rerun with AIRLOCK_BLESS=1 and review the diff",
        path.display()
    );
}
