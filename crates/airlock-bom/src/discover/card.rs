//! Model and dataset cards: the YAML front matter of a Hugging Face `README.md` (licence,
//! lineage, datasets, task, evaluation results) and the card's prose on intended use,
//! limitations and risks.
//!
//! # Security
//!
//! YAML is parsed with `serde-saphyr`, chosen because it is maintained, panic-free by
//! design, pure Rust, and enforces budgets while parsing: alias expansions, anchors, depth,
//! nodes and events are capped before the document is built (a billion-laughs card is
//! refused after [`MAX_REPLAYED_EVENTS`] replayed events, not expanded). `serde_yaml` is
//! unmaintained and has no such budgets; `serde_yml` carries a soundness advisory;
//! `yaml-rust2` builds the whole tree before a caller could bound it. The front matter is
//! capped at [`MAX_FRONT_MATTER`] bytes before parsing; only plain values are kept, each
//! list capped at [`MAX_LIST`] items and each string at [`MAX_STRING`] bytes.

use serde::Serialize;
use serde_json::Value;

use super::shorten;

/// Largest front matter parsed (real cards are a few KiB; model-index tables reach ~100 KiB).
pub const MAX_FRONT_MATTER: usize = 256 << 10;
/// Items kept of one list (languages, tags, datasets, metrics…).
pub const MAX_LIST: usize = 256;
/// Bytes kept of one string value.
pub const MAX_STRING: usize = 512;
/// Bytes kept of one prose section (intended uses, limitations…).
pub const MAX_SECTION: usize = 1000;
/// Events an alias may replay in total before the YAML is refused.
pub const MAX_REPLAYED_EVENTS: usize = 10_000;
/// Nesting of YAML collections accepted.
pub const MAX_YAML_DEPTH: usize = 32;

/// Splits a card into its YAML front matter (between `---` lines at the very top) and
/// the Markdown body. `None` when the card has no front matter.
pub fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed == "---" || trimmed == "..." {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return Some((yaml, body));
        }
        offset += line.len();
    }
    None
}

/// Parses front matter YAML into a JSON value under the budgets above.
pub fn parse_yaml(yaml: &str) -> Result<Value, String> {
    if yaml.len() > MAX_FRONT_MATTER {
        return Err(format!(
            "front matter is {} bytes, over the {MAX_FRONT_MATTER}-byte cap",
            yaml.len()
        ));
    }
    if yaml.trim().is_empty() {
        return Ok(Value::Null);
    }
    let mut options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_YAML_DEPTH,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_nodes: 100_000,
            max_events: 200_000,
            max_documents: 1,
            max_total_scalar_bytes: MAX_FRONT_MATTER,
        },
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::LastWins,
        with_snippet: false,
    };
    options.alias_limits.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    options.alias_limits.max_replay_stack_depth = 8;
    serde_saphyr::from_str_with_options::<Value>(yaml, options)
        .map_err(|err| shorten(&err.to_string(), MAX_STRING))
}

/// What a model card's front matter and prose say.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelCard {
    /// `license` (an SPDX id or a Hub licence name such as `other`).
    pub license: Option<String>,
    /// `license_name` (for `license: other`).
    pub license_name: Option<String>,
    /// `license_link`.
    pub license_link: Option<String>,
    /// `base_model`: Hub ids or local paths (string or list).
    pub base_models: Vec<String>,
    /// `base_model_relation`: `finetune`, `adapter`, `merge` or `quantized`.
    pub base_model_relation: Option<String>,
    /// `datasets` trained or evaluated on.
    pub datasets: Vec<String>,
    /// `pipeline_tag` (the task).
    pub pipeline_tag: Option<String>,
    /// `language`.
    pub languages: Vec<String>,
    /// `library_name`.
    pub library_name: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `model-index` results.
    pub metrics: Vec<Metric>,
    /// Prose sections on use, limits and risks.
    pub considerations: Considerations,
}

/// One `model-index` result: a metric value on a task and dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metric {
    /// `task.type` (`text-classification`).
    pub task: Option<String>,
    /// `dataset.type` or, failing that, `dataset.name`.
    pub dataset: Option<String>,
    /// `dataset.split`.
    pub split: Option<String>,
    /// `metrics[].type` (`accuracy`).
    pub metric: String,
    /// `metrics[].value`, as written.
    pub value: String,
}

/// Short excerpts of a card's prose sections, for a BOM's considerations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Considerations {
    /// "Intended uses", "Uses", "Direct use", "Downstream use".
    pub intended_uses: Option<String>,
    /// "Out-of-scope use".
    pub out_of_scope: Option<String>,
    /// "Limitations".
    pub limitations: Option<String>,
    /// "Bias, risks and limitations", "Risks", "Ethical considerations".
    pub bias_risks: Option<String>,
}

/// What a dataset card's front matter says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DatasetCard {
    /// `license`.
    pub license: Option<String>,
    /// `pretty_name`.
    pub pretty_name: Option<String>,
    /// `task_categories`.
    pub task_categories: Vec<String>,
    /// `size_categories` (`1K<n<10K`).
    pub size_categories: Vec<String>,
    /// `source_datasets`.
    pub source_datasets: Vec<String>,
    /// `language`.
    pub languages: Vec<String>,
    /// `configs[].config_name`.
    pub configs: Vec<String>,
}

/// Keys only a model card carries.
const MODEL_KEYS: [&str; 6] = [
    "base_model",
    "pipeline_tag",
    "library_name",
    "model-index",
    "base_model_relation",
    "model_name",
];
/// Keys only a dataset card carries.
const DATASET_KEYS: [&str; 6] = [
    "task_categories",
    "size_categories",
    "source_datasets",
    "configs",
    "dataset_info",
    "pretty_name",
];

/// Which kind of card a front matter is, from the keys only one kind uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardKind {
    /// Model-only keys and no dataset-only keys.
    Model,
    /// Dataset-only keys and no model-only keys.
    Dataset,
    /// Neither or both.
    Unknown,
}

/// Tells a model card from a dataset card by its keys.
pub fn card_kind(front: &Value) -> CardKind {
    let has = |keys: &[&str]| keys.iter().any(|k| front.get(*k).is_some());
    match (has(&MODEL_KEYS), has(&DATASET_KEYS)) {
        (true, false) => CardKind::Model,
        (false, true) => CardKind::Dataset,
        _ => CardKind::Unknown,
    }
}

/// A scalar as text (strings, numbers, booleans), capped.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(shorten(s.trim(), MAX_STRING)),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn field(front: &Value, key: &str) -> Option<String> {
    front.get(key).and_then(scalar).filter(|s| !s.is_empty())
}

/// A string or a list of strings, capped.
fn list(front: &Value, key: &str) -> Vec<String> {
    match front.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(scalar)
            .filter(|s| !s.is_empty())
            .take(MAX_LIST)
            .collect(),
        Some(value) => scalar(value)
            .filter(|s| !s.is_empty())
            .into_iter()
            .collect(),
        None => Vec::new(),
    }
}

/// Reads a model card: front matter fields plus prose considerations from `body`.
pub fn model_card(front: &Value, body: &str) -> ModelCard {
    ModelCard {
        license: field(front, "license"),
        license_name: field(front, "license_name"),
        license_link: field(front, "license_link"),
        base_models: list(front, "base_model"),
        base_model_relation: field(front, "base_model_relation"),
        datasets: list(front, "datasets"),
        pipeline_tag: field(front, "pipeline_tag"),
        languages: list(front, "language"),
        library_name: field(front, "library_name"),
        tags: list(front, "tags"),
        metrics: metrics(front),
        considerations: considerations(body),
    }
}

/// Reads a dataset card's front matter.
pub fn dataset_card(front: &Value) -> DatasetCard {
    let configs = match front.get("configs") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|c| c.get("config_name").and_then(scalar))
            .take(MAX_LIST)
            .collect(),
        _ => Vec::new(),
    };
    DatasetCard {
        license: list(front, "license").into_iter().next(),
        pretty_name: field(front, "pretty_name"),
        task_categories: list(front, "task_categories"),
        size_categories: list(front, "size_categories"),
        source_datasets: list(front, "source_datasets"),
        languages: list(front, "language"),
        configs,
    }
}

/// `model-index[].results[].metrics[]`, flattened.
fn metrics(front: &Value) -> Vec<Metric> {
    let mut out = Vec::new();
    let Some(Value::Array(models)) = front.get("model-index") else {
        return out;
    };
    for model in models {
        let Some(Value::Array(results)) = model.get("results") else {
            continue;
        };
        for result in results {
            let task = result
                .get("task")
                .and_then(|t| t.get("type"))
                .and_then(scalar);
            let dataset = result.get("dataset");
            let dataset_name = dataset.and_then(|d| {
                d.get("type")
                    .and_then(scalar)
                    .or_else(|| d.get("name").and_then(scalar))
            });
            let split = dataset.and_then(|d| d.get("split")).and_then(scalar);
            let Some(Value::Array(metrics)) = result.get("metrics") else {
                continue;
            };
            for metric in metrics {
                if out.len() >= MAX_LIST {
                    return out;
                }
                let (Some(kind), Some(value)) = (
                    metric.get("type").and_then(scalar),
                    metric.get("value").and_then(scalar),
                ) else {
                    continue;
                };
                out.push(Metric {
                    task: task.clone(),
                    dataset: dataset_name.clone(),
                    split: split.clone(),
                    metric: kind,
                    value,
                });
            }
        }
    }
    out
}

/// Which consideration a heading introduces, if any.
fn section_of(heading: &str) -> Option<usize> {
    let h = heading.to_ascii_lowercase();
    if h.contains("out-of-scope") || h.contains("out of scope") {
        Some(1)
    } else if h.contains("intended use")
        || h == "uses"
        || h.contains("direct use")
        || h.contains("downstream use")
        || h.contains("how to use")
    {
        // Before limitations: the Hub template's "Intended uses & limitations" is about use.
        Some(0)
    } else if h.contains("bias") || h.contains("risk") || h.contains("ethical") {
        Some(3)
    } else if h.contains("limitation") {
        Some(2)
    } else {
        None
    }
}

/// Collects the first occurrence of each considered section: text up to the next heading
/// of the same or a higher level, without HTML comments and template placeholders,
/// whitespace collapsed, capped at [`MAX_SECTION`] bytes.
pub fn considerations(body: &str) -> Considerations {
    let mut found: [Option<String>; 4] = Default::default();
    let mut current: Option<(usize, usize, String)> = None;
    let mut in_comment = false;
    let mut in_fence = false;
    let finish = |found: &mut [Option<String>; 4], current: Option<(usize, usize, String)>| {
        if let Some((slot, _, text)) = current {
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !text.is_empty()
                && let Some(entry) = found.get_mut(slot)
                && entry.is_none()
            {
                *entry = Some(shorten(&text, MAX_SECTION));
            }
        }
    };
    for line in body.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
        }
        let level = trimmed.bytes().take_while(|b| *b == b'#').count();
        if !in_fence && (1..=6).contains(&level) && trimmed.as_bytes().get(level) == Some(&b' ') {
            let heading = trimmed[level..].trim();
            if current.as_ref().is_some_and(|(_, l, _)| level <= *l)
                || section_of(heading).is_some()
            {
                finish(&mut found, current.take());
            }
            if let Some(slot) = section_of(heading) {
                current = Some((slot, level, String::new()));
            }
            continue;
        }
        let Some((_, _, text)) = current.as_mut() else {
            continue;
        };
        let mut rest = trimmed;
        let mut kept = String::new();
        loop {
            if in_comment {
                match rest.find("-->") {
                    Some(end) => {
                        in_comment = false;
                        rest = &rest[end + 3..];
                    }
                    None => break,
                }
            } else {
                match rest.find("<!--") {
                    Some(start) => {
                        kept.push_str(&rest[..start]);
                        in_comment = true;
                        rest = &rest[start + 4..];
                    }
                    None => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        let kept = kept.replace("[More Information Needed]", "");
        if text.len() < MAX_SECTION * 2 {
            text.push(' ');
            text.push_str(&kept);
        }
    }
    finish(&mut found, current);
    let [intended_uses, out_of_scope, limitations, bias_risks] = found;
    Considerations {
        intended_uses,
        out_of_scope,
        limitations,
        bias_risks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_needs_both_fences() {
        assert_eq!(
            split_front_matter("---\na: 1\n---\nbody"),
            Some(("a: 1\n", "body"))
        );
        assert_eq!(split_front_matter("---\na: 1\n"), None);
        assert_eq!(split_front_matter("# title\n---\na: 1\n---\n"), None);
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut yaml = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        for i in 0..9 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("b{}", i - 1)
            };
            let refs = vec![format!("*{prev}"); 10].join(",");
            yaml.push_str(&format!("b{i}: &b{i} [{refs}]\n"));
        }
        assert!(parse_yaml(&yaml).is_err());
        assert!(parse_yaml(&"[".repeat(10_000)).is_err());
    }

    #[test]
    fn nested_sections_stay_inside_their_parent() {
        let body = "## Uses\nDirect text.\n### Direct Use\nMore.\n## Training\nNo.\n## Bias, Risks, and Limitations\n<!-- hint -->Biased.\n";
        let c = considerations(body);
        assert_eq!(c.intended_uses.as_deref(), Some("Direct text."));
        assert_eq!(c.bias_risks.as_deref(), Some("Biased."));
    }
}
