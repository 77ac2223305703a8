//! Fuzzes discovery's text readers on the same bytes: the card front matter split and YAML
//! parse (budgets on aliases, depth and size), the model and dataset card readers and the
//! prose sections, the Python tokenizer and reference scanner, the config-file scanner for
//! every syntax, and the notebook reader. Besides no panic, hang or OOM: kept values stay
//! within their caps, lines within the input, and no recorded string is a key-like secret.

#![no_main]

use std::path::Path;

use airlock_bom::discover::card;
use airlock_bom::discover::code;
use airlock_bom::discover::services::{self, ConfigKind};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// `shorten` adds a three-byte ellipsis to a value cut at its cap.
const ELLIPSIS: usize = '…'.len_utf8();

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    // Cards.
    let fronts = [
        card::split_front_matter(&text).map(|(yaml, _)| yaml.to_owned()),
        Some(text.to_string()),
    ];
    for yaml in fronts.into_iter().flatten() {
        if let Ok(front) = card::parse_yaml(&yaml) {
            assert!(yaml.len() <= card::MAX_FRONT_MATTER);
            let _ = card::card_kind(&front);
            let model = card::model_card(&front, &text);
            for list in [&model.base_models, &model.datasets, &model.languages, &model.tags] {
                assert!(list.len() <= card::MAX_LIST);
                assert!(list.iter().all(|s| s.len() <= card::MAX_STRING + ELLIPSIS));
            }
            assert!(model.metrics.len() <= card::MAX_LIST);
            let dataset = card::dataset_card(&front);
            assert!(dataset.configs.len() <= card::MAX_LIST);
        }
    }
    let considerations = card::considerations(&text);
    for section in [
        &considerations.intended_uses,
        &considerations.out_of_scope,
        &considerations.limitations,
        &considerations.bias_risks,
    ]
    .into_iter()
    .flatten()
    {
        assert!(section.len() <= card::MAX_SECTION + ELLIPSIS);
    }

    // Code and config.
    let root = Path::new("/nonexistent/airlock-fuzz");
    let mut references = Vec::new();
    let mut found = Vec::new();
    code::scan_python(root, "f.py", None, &text, &mut references, &mut found);
    let lines = u32::try_from(text.split('\n').count()).unwrap_or(u32::MAX);
    for reference in &references {
        assert!(reference.line >= 1 && reference.line <= lines, "{reference:?}");
    }
    for kind in [ConfigKind::Env, ConfigKind::Yaml, ConfigKind::Json, ConfigKind::Toml] {
        services::scan_config("c", kind, &text, &mut references, &mut found);
    }
    if let Ok(cells) = code::notebook_cells(data) {
        for (index, source) in cells {
            code::scan_python(root, "n.ipynb", Some(index), &source, &mut references, &mut found);
        }
    }
    for service in &found {
        assert!(service.endpoints.iter().all(|e| !e.contains('?')), "{service:?}");
        assert!(!service.lines.is_empty());
    }
    let mut recorded = Vec::new();
    strings(&serde_json::to_value(&references).unwrap(), &mut recorded);
    strings(&serde_json::to_value(&found).unwrap(), &mut recorded);
    for value in recorded {
        assert!(services::is_safe(&value), "secret recorded: {value}");
    }
});
