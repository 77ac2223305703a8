//! `docs/rules/` must match the registry. Regenerate with
//! `AIRLOCK_UPDATE_DOCS=1 cargo test -p airlock-core --test rule_docs`.

use std::path::PathBuf;

use airlock_core::rules::{self, docs};

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules")
}

#[test]
fn rule_pages_match_the_registry() {
    let dir = docs_dir();
    let mut expected: Vec<(String, String)> = rules::ALL
        .iter()
        .map(|rule| (format!("{}.md", rule.code), docs::markdown(rule)))
        .collect();
    expected.push(("README.md".to_owned(), docs::index()));

    if std::env::var_os("AIRLOCK_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        for (name, text) in &expected {
            std::fs::write(dir.join(name), text).unwrap();
        }
        return;
    }

    let mut stale = Vec::new();
    for (name, text) in &expected {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(found) if &found == text => {}
            _ => stale.push(name.clone()),
        }
    }
    let mut extra: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| !expected.iter().any(|(n, _)| n == name))
                .collect()
        })
        .unwrap_or_default();
    stale.append(&mut extra);
    assert!(
        stale.is_empty(),
        "docs/rules is out of date ({stale:?}); run `AIRLOCK_UPDATE_DOCS=1 cargo test -p airlock-core --test rule_docs`"
    );
}
