//! Hosted AI services a project calls: OpenAI, Anthropic, Azure OpenAI, AWS Bedrock, Google
//! Vertex AI and Gemini, Hugging Face Inference, Cohere, Mistral, and any custom
//! `base_url`/`api_base` endpoint, with the model names used. Recorded, never called.
//!
//! Evidence is a client constructor (`OpenAI(`, `boto3.client("bedrock-runtime")`), `openai.`
//! module use, an endpoint URL in a string literal or config value, or a credential name.
//! Secrets are never recorded: an API key literal becomes "a literal credential is
//! configured", an environment variable or config key is recorded by name only, and URLs
//! lose their query string and user info before they are kept.

use std::collections::BTreeMap;

use serde::Serialize;

use super::code::{Arg, Call, CodeReference, ReferenceKind, Tok, Token};
use super::shorten;

/// Bytes kept of an endpoint or model name.
const MAX_VALUE: usize = 256;

/// A hosted AI service provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// OpenAI API.
    OpenAi,
    /// Anthropic API.
    Anthropic,
    /// Azure OpenAI Service.
    AzureOpenAi,
    /// AWS Bedrock.
    AwsBedrock,
    /// Google Vertex AI.
    GoogleVertexAi,
    /// Google Gemini API (AI Studio).
    GoogleGemini,
    /// Hugging Face Inference API, Providers or Inference Endpoints.
    HuggingFaceInference,
    /// Cohere.
    Cohere,
    /// Mistral AI.
    Mistral,
    /// An endpoint that none of the above hosts (self-hosted or OpenAI-compatible).
    CustomEndpoint,
}

/// How a credential for a service is configured (never its value).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case", tag = "via", content = "name")]
pub enum Credential {
    /// Read from this environment variable.
    EnvVar(String),
    /// Set under this key of a config or `.env` file.
    ConfigKey(String),
    /// A literal key in code or config; its value is withheld.
    Literal,
}

/// One service a file uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceReference {
    /// Root-relative file.
    pub file: String,
    /// The provider.
    pub provider: Provider,
    /// Lines of the evidence, ascending (within cells for notebooks).
    pub lines: Vec<u32>,
    /// Notebook cells of the evidence.
    pub cells: Vec<u32>,
    /// What was seen (`OpenAI(`, `base_url`, `endpoint URL`).
    pub evidence: Vec<String>,
    /// Endpoint URLs, without query strings or user info.
    pub endpoints: Vec<String>,
    /// Model, deployment or model-id names used.
    pub models: Vec<String>,
    /// How credentials are configured.
    pub credentials: Vec<Credential>,
}

/// Which config syntax a file uses (read line by line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    /// `KEY=value`.
    Env,
    /// `key: value`.
    Yaml,
    /// `"key": "value"`.
    Json,
    /// `key = "value"`.
    Toml,
}

/// Client constructors and the provider each stands for.
const CONSTRUCTORS: &[(&str, Provider)] = &[
    ("OpenAI", Provider::OpenAi),
    ("AsyncOpenAI", Provider::OpenAi),
    ("ChatOpenAI", Provider::OpenAi),
    ("OpenAIEmbeddings", Provider::OpenAi),
    ("AzureOpenAI", Provider::AzureOpenAi),
    ("AsyncAzureOpenAI", Provider::AzureOpenAi),
    ("AzureChatOpenAI", Provider::AzureOpenAi),
    ("AzureOpenAIEmbeddings", Provider::AzureOpenAi),
    ("Anthropic", Provider::Anthropic),
    ("AsyncAnthropic", Provider::Anthropic),
    ("ChatAnthropic", Provider::Anthropic),
    ("AnthropicBedrock", Provider::AwsBedrock),
    ("ChatBedrock", Provider::AwsBedrock),
    ("ChatBedrockConverse", Provider::AwsBedrock),
    ("BedrockLLM", Provider::AwsBedrock),
    ("AnthropicVertex", Provider::GoogleVertexAi),
    ("ChatVertexAI", Provider::GoogleVertexAi),
    ("ChatGoogleGenerativeAI", Provider::GoogleGemini),
    ("GenerativeModel", Provider::GoogleGemini),
    ("InferenceClient", Provider::HuggingFaceInference),
    ("AsyncInferenceClient", Provider::HuggingFaceInference),
    ("HuggingFaceEndpoint", Provider::HuggingFaceInference),
    ("ChatCohere", Provider::Cohere),
    ("Mistral", Provider::Mistral),
    ("MistralClient", Provider::Mistral),
    ("MistralAsyncClient", Provider::Mistral),
    ("ChatMistralAI", Provider::Mistral),
];

/// Keyword arguments and config keys that carry an endpoint.
const ENDPOINT_KEYS: [&str; 8] = [
    "base_url",
    "api_base",
    "openai_api_base",
    "azure_endpoint",
    "endpoint_url",
    "endpoint",
    "api_endpoint",
    "inference_endpoint",
];

/// Keyword arguments that carry a model name on service calls.
const MODEL_KEYS: [&str; 7] = [
    "model",
    "model_name",
    "modelId",
    "model_id",
    "deployment_name",
    "azure_deployment",
    "engine",
];

/// Environment variable names and the provider each configures.
const ENV_VARS: &[(&str, Provider)] = &[
    ("AZURE_OPENAI", Provider::AzureOpenAi),
    ("OPENAI", Provider::OpenAi),
    ("ANTHROPIC", Provider::Anthropic),
    ("COHERE", Provider::Cohere),
    ("CO_API_KEY", Provider::Cohere),
    ("MISTRAL", Provider::Mistral),
    ("GEMINI", Provider::GoogleGemini),
    ("GOOGLE_API_KEY", Provider::GoogleGemini),
    ("VERTEX", Provider::GoogleVertexAi),
    ("HF_TOKEN", Provider::HuggingFaceInference),
    ("HUGGING_FACE_HUB_TOKEN", Provider::HuggingFaceInference),
    ("HUGGINGFACEHUB_API_TOKEN", Provider::HuggingFaceInference),
    ("HF_API_TOKEN", Provider::HuggingFaceInference),
    ("BEDROCK", Provider::AwsBedrock),
];

/// The provider an endpoint URL's host belongs to, if any.
pub fn provider_of_url(url: &str) -> Option<Provider> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let is = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    if is("openai.azure.com") || is("cognitiveservices.azure.com") {
        Some(Provider::AzureOpenAi)
    } else if is("api.openai.com") {
        Some(Provider::OpenAi)
    } else if is("api.anthropic.com") {
        Some(Provider::Anthropic)
    } else if host.starts_with("bedrock") && is("amazonaws.com") {
        Some(Provider::AwsBedrock)
    } else if is("aiplatform.googleapis.com") {
        Some(Provider::GoogleVertexAi)
    } else if is("generativelanguage.googleapis.com") {
        Some(Provider::GoogleGemini)
    } else if is("api-inference.huggingface.co")
        || is("router.huggingface.co")
        || is("endpoints.huggingface.cloud")
    {
        Some(Provider::HuggingFaceInference)
    } else if is("api.cohere.ai") || is("api.cohere.com") {
        Some(Provider::Cohere)
    } else if is("api.mistral.ai") {
        Some(Provider::Mistral)
    } else {
        None
    }
}

/// Drops a URL's query, fragment and user info, which may carry secrets; other text is
/// returned unchanged.
pub fn redact_url(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else {
        return value.to_owned();
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        // Not a URL after all; still never keep what a query or fragment could hold.
        return value
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned();
    }
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let authority = authority.rsplit('@').next().unwrap_or_default();
    if path.is_empty() {
        format!("{scheme}://{authority}")
    } else {
        format!("{scheme}://{authority}/{path}")
    }
}

/// The first `http://` or `https://` URL in a text (up to whitespace, a quote or an angle
/// bracket), so an endpoint is recorded without the text around it.
pub fn extract_url(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    let start = match (lower.find("https://"), lower.find("http://")) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let rest = text.get(start..)?;
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
        .unwrap_or(rest.len());
    rest.get(..end)
}

/// Whether a literal looks like an API key of a known shape, and whose.
pub fn key_like(value: &str) -> Option<Option<Provider>> {
    let token = |s: &str, min: usize| {
        s.len() >= min
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if let Some(rest) = value.strip_prefix("sk-ant-") {
        return token(rest, 20).then_some(Some(Provider::Anthropic));
    }
    if let Some(rest) = value.strip_prefix("sk-") {
        return token(rest, 20).then_some(Some(Provider::OpenAi));
    }
    if let Some(rest) = value.strip_prefix("hf_") {
        return token(rest, 30).then_some(Some(Provider::HuggingFaceInference));
    }
    if let Some(rest) = value.strip_prefix("AIza") {
        return token(rest, 30).then_some(Some(Provider::GoogleGemini));
    }
    if let Some(rest) = value.strip_prefix("AKIA") {
        return (rest.len() == 16
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
        .then_some(None);
    }
    None
}

/// Whether a value may be recorded: anything but a key-like literal (checked on every
/// name, model, evidence and reference before it is kept).
pub fn is_safe(value: &str) -> bool {
    key_like(value).is_none()
}

/// The provider a credential or setting name points to (`OPENAI_API_KEY`).
fn provider_of_name(name: &str) -> Option<Provider> {
    let upper = name.to_ascii_uppercase();
    ENV_VARS
        .iter()
        .find(|(prefix, _)| upper.starts_with(prefix))
        .map(|(_, provider)| *provider)
}

/// Whether a name reads as a secret setting.
fn secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "api_key",
        "apikey",
        "token",
        "secret",
        "password",
        "access_key",
    ]
    .iter()
    .any(|s| lower.contains(s))
}

/// The provider a hosted model name suggests.
fn provider_of_model(model: &str) -> Option<Provider> {
    let m = model.to_ascii_lowercase();
    if m.starts_with("anthropic.")
        || m.starts_with("amazon.")
        || m.starts_with("meta.llama")
        || m.starts_with("us.")
        || m.starts_with("eu.")
    {
        Some(Provider::AwsBedrock)
    } else if m.starts_with("gpt-")
        || m.starts_with("o1")
        || m.starts_with("o3")
        || m.starts_with("o4")
        || m.starts_with("text-embedding-")
        || m.starts_with("dall-e")
        || m.starts_with("whisper")
    {
        Some(Provider::OpenAi)
    } else if m.starts_with("claude") {
        Some(Provider::Anthropic)
    } else if m.starts_with("gemini") {
        Some(Provider::GoogleGemini)
    } else if m.starts_with("command") || m.starts_with("embed-") || m.starts_with("rerank-") {
        Some(Provider::Cohere)
    } else if m.starts_with("mistral") || m.starts_with("mixtral") || m.starts_with("codestral") {
        Some(Provider::Mistral)
    } else {
        None
    }
}

/// One piece of evidence: provider, line, what was seen, endpoint, credential.
type Sighting = (Provider, u32, String, Option<String>, Option<Credential>);

/// Evidence gathered in one file before it is grouped by provider.
#[derive(Default)]
struct Sightings {
    /// Everything seen, in order.
    seen: Vec<Sighting>,
    /// (line, model name, provider named by a config key) not yet tied to a provider.
    models: Vec<(u32, String, Option<Provider>)>,
}

impl Sightings {
    fn see(&mut self, provider: Provider, line: u32, evidence: &str) {
        self.seen
            .push((provider, line, evidence.to_owned(), None, None));
    }

    fn endpoint(&mut self, provider: Provider, line: u32, evidence: &str, url: &str) {
        self.seen.push((
            provider,
            line,
            evidence.to_owned(),
            Some(shorten(&redact_url(url), MAX_VALUE)),
            None,
        ));
    }

    fn credential(&mut self, provider: Provider, line: u32, evidence: &str, how: Credential) {
        self.seen
            .push((provider, line, evidence.to_owned(), None, Some(how)));
    }

    /// Groups by provider; models go to the provider their name suggests when that
    /// provider is in the file, else to the provider seen last before them (or first).
    fn finish(self, file: &str, cell: Option<u32>, out: &mut Vec<ServiceReference>) {
        if self.seen.is_empty() {
            return;
        }
        let mut by_provider: BTreeMap<Provider, ServiceReference> = BTreeMap::new();
        for (provider, line, evidence, endpoint, credential) in &self.seen {
            let entry = by_provider
                .entry(*provider)
                .or_insert_with(|| ServiceReference {
                    file: file.to_owned(),
                    provider: *provider,
                    lines: Vec::new(),
                    cells: cell.into_iter().collect(),
                    evidence: Vec::new(),
                    endpoints: Vec::new(),
                    models: Vec::new(),
                    credentials: Vec::new(),
                });
            entry.lines.push(*line);
            if is_safe(evidence) {
                entry.evidence.push(evidence.clone());
            }
            entry.endpoints.extend(endpoint.clone());
            entry
                .credentials
                .extend(credential.clone().map(|how| match how {
                    Credential::EnvVar(name) | Credential::ConfigKey(name) if !is_safe(&name) => {
                        Credential::Literal
                    }
                    other => other,
                }));
        }
        for (line, model, named) in self.models.into_iter().filter(|(_, m, _)| is_safe(m)) {
            let suggested = named
                .or_else(|| provider_of_model(&model))
                .filter(|p| by_provider.contains_key(p));
            let nearest = self
                .seen
                .iter()
                .filter(|(_, l, ..)| *l <= line)
                .max_by_key(|(_, l, ..)| *l)
                .or_else(|| self.seen.first())
                .map(|(p, ..)| *p);
            if let Some(provider) = suggested.or(nearest)
                && let Some(entry) = by_provider.get_mut(&provider)
            {
                entry.models.push(shorten(&model, MAX_VALUE));
                entry.lines.push(line);
            }
        }
        out.extend(by_provider.into_values());
    }
}

/// Methods whose `model=` names a hosted model.
const API_METHODS: [&str; 16] = [
    "create",
    "stream",
    "parse",
    "generate_content",
    "invoke_model",
    "invoke_model_with_response_stream",
    "converse",
    "converse_stream",
    "chat",
    "chat_completion",
    "text_generation",
    "embed",
    "complete",
    "rerank",
    "feature_extraction",
    "generate",
];

/// Finds services in Python tokens and calls.
pub(crate) fn scan_python(
    file: &str,
    cell: Option<u32>,
    source: &str,
    tokens: &[Token],
    calls: &[Call],
    out: &mut Vec<ServiceReference>,
) {
    let mut seen = Sightings::default();
    let vertex_file = source.contains("vertexai");
    for call in calls {
        let last = call.last();
        let mut provider = CONSTRUCTORS
            .iter()
            .find(|(name, _)| *name == last)
            .map(|(_, p)| *p);
        if provider == Some(Provider::GoogleGemini) && last == "GenerativeModel" && vertex_file {
            provider = Some(Provider::GoogleVertexAi);
        }
        let name = call.name.as_str();
        if provider.is_none() {
            let vertex_flag = call
                .keywords
                .iter()
                .any(|(k, v)| k == "vertexai" && *v == Arg::Other(Some("True".to_owned())));
            provider = if name.ends_with("genai.Client") {
                Some(if vertex_flag {
                    Provider::GoogleVertexAi
                } else {
                    Provider::GoogleGemini
                })
            } else if name.ends_with("genai.configure") {
                Some(Provider::GoogleGemini)
            } else if name.starts_with("vertexai.") || name.ends_with("aiplatform.init") {
                Some(Provider::GoogleVertexAi)
            } else if name.contains("cohere.")
                && (last == "Client" || last == "ClientV2" || last == "AsyncClient")
            {
                Some(Provider::Cohere)
            } else if last == "client"
                && call
                    .pos(0)
                    .or_else(|| call.kw("service_name"))
                    .is_some_and(|s| s.starts_with("bedrock"))
            {
                Some(Provider::AwsBedrock)
            } else {
                None
            };
        }
        if let Some(provider) = provider {
            seen.see(provider, call.line, &format!("{name}("));
            let positional_model =
                last == "GenerativeModel" || provider == Provider::HuggingFaceInference;
            if positional_model && let Some(model) = call.pos(0) {
                seen.models.push((call.line, model.to_owned(), None));
            }
        }
        for (key, value) in &call.keywords {
            let Some(value) = value.as_str() else {
                continue;
            };
            if ENDPOINT_KEYS.contains(&key.as_str())
                && let Some(url) = extract_url(value)
            {
                // A client pointed elsewhere talks to that host, not to its vendor.
                let chosen = provider_of_url(url).unwrap_or(Provider::CustomEndpoint);
                let evidence = match provider {
                    Some(_) => format!("{key} of {name}("),
                    None => key.clone(),
                };
                seen.endpoint(chosen, call.line, &evidence, url);
            } else if MODEL_KEYS.contains(&key.as_str())
                && (provider.is_some() || API_METHODS.contains(&last))
            {
                seen.models.push((call.line, value.to_owned(), None));
            } else if let Some(owner) = provider
                && secret_name(key)
                && !value.is_empty()
            {
                // Only on a service client: `password=` on an archive call is not an API key
                // (a key-shaped literal anywhere is caught by the literal scan below).
                seen.credential(owner, call.line, key, Credential::Literal);
            }
        }
    }
    for (i, token) in tokens.iter().enumerate() {
        match &token.tok {
            Tok::Name(name) if name == "openai" => {
                let before = i.checked_sub(1).and_then(|j| tokens.get(j)).map(|t| &t.tok);
                let after = tokens.get(i + 1).map(|t| &t.tok);
                let imported = matches!(before, Some(Tok::Name(k)) if k == "import" || k == "from");
                if after == Some(&Tok::Op(b'.')) && !imported && before != Some(&Tok::Op(b'.')) {
                    seen.see(Provider::OpenAi, token.line, "openai module");
                    // `openai.api_base = "…"` and `openai.api_key = "…"`.
                    if let (Some(Tok::Name(attr)), Some(Tok::Op(b'=')), Some(Tok::Str(value, _))) = (
                        tokens.get(i + 2).map(|t| &t.tok),
                        tokens.get(i + 3).map(|t| &t.tok),
                        tokens.get(i + 4).map(|t| &t.tok),
                    ) {
                        if ENDPOINT_KEYS.contains(&attr.as_str()) {
                            let provider = provider_of_url(value).unwrap_or(Provider::OpenAi);
                            seen.endpoint(provider, token.line, attr, value);
                        } else if secret_name(attr) {
                            seen.credential(
                                Provider::OpenAi,
                                token.line,
                                attr,
                                Credential::Literal,
                            );
                        }
                    }
                }
            }
            Tok::Str(value, _) => {
                if let Some(url) = extract_url(value)
                    && let Some(provider) = provider_of_url(url)
                {
                    seen.endpoint(provider, token.line, "endpoint URL", url);
                } else if let Some(provider) = provider_of_name(value)
                    && secret_name(value)
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                {
                    seen.credential(
                        provider,
                        token.line,
                        "environment variable",
                        Credential::EnvVar(value.clone()),
                    );
                } else if let Some(owner) = key_like(value) {
                    seen.credential(
                        owner.unwrap_or(Provider::CustomEndpoint),
                        token.line,
                        "key-like literal",
                        Credential::Literal,
                    );
                }
            }
            _ => {}
        }
    }
    seen.finish(file, cell, out);
}

/// Splits a config line into a key and a value (quotes, list dashes, `export` and trailing
/// commas removed).
fn key_value(kind: ConfigKind, line: &str) -> Option<(String, String)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
        return None;
    }
    let line = line.strip_prefix("export ").unwrap_or(line);
    let line = line.strip_prefix("- ").unwrap_or(line);
    let sep = match kind {
        ConfigKind::Env | ConfigKind::Toml => '=',
        ConfigKind::Yaml => ':',
        ConfigKind::Json => ':',
    };
    let (key, value) = if kind == ConfigKind::Json {
        // `"key": value` – the separator after the closing quote of the key.
        let rest = line.strip_prefix('"')?;
        let end = rest.find('"')?;
        let key = &rest[..end];
        let after = rest[end + 1..].trim_start().strip_prefix(':')?;
        (key, after)
    } else {
        line.split_once(sep)?
    };
    let key = key.trim().trim_matches(['"', '\'']).to_owned();
    let mut value = value.trim().trim_end_matches(',').trim();
    if kind == ConfigKind::Yaml || kind == ConfigKind::Toml || kind == ConfigKind::Env {
        // Trailing comments, outside quotes.
        if !value.starts_with(['"', '\''])
            && let Some((before, _)) = value.split_once(" #")
        {
            value = before.trim();
        }
    }
    let value = value.trim_matches(['"', '\'']).to_owned();
    if key.is_empty() || key.contains(' ') {
        return None;
    }
    Some((key, value))
}

/// Whether a value reads as a Hub repo id (`org/name`).
fn hub_id(value: &str) -> bool {
    let mut parts = value.split('/');
    let (Some(org), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let ok = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    ok(org) && ok(name)
}

/// Config keys that name a Hub model or dataset.
const MODEL_REF_KEYS: [&str; 6] = [
    "model_name_or_path",
    "pretrained_model_name_or_path",
    "base_model",
    "tokenizer_name",
    "model_id",
    "model_name",
];
const DATASET_REF_KEYS: [&str; 4] = ["dataset_name", "dataset", "dataset_id", "datasets"];

/// Scans a config or `.env` file line by line.
pub fn scan_config(
    file: &str,
    kind: ConfigKind,
    text: &str,
    references: &mut Vec<CodeReference>,
    out: &mut Vec<ServiceReference>,
) {
    let mut seen = Sightings::default();
    for (index, line) in text.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let Some((key, value)) = key_value(kind, line) else {
            continue;
        };
        let lower = key.to_ascii_lowercase();
        if secret_name(&key) {
            let set = !value.is_empty() && !value.starts_with("${") && !value.starts_with('$');
            let provider = provider_of_name(&key).or_else(|| key_like(&value).flatten());
            if set && let Some(provider) = provider {
                seen.credential(provider, number, &key, Credential::ConfigKey(key.clone()));
            } else if set && key_like(&value).is_some() {
                seen.credential(
                    Provider::CustomEndpoint,
                    number,
                    &key,
                    Credential::ConfigKey(key.clone()),
                );
            }
            continue;
        }
        if let Some(url) = extract_url(&value) {
            let by_host = provider_of_url(url);
            let endpoint_key = ENDPOINT_KEYS.iter().any(|k| lower.ends_with(k))
                || lower.ends_with("base_url")
                || lower.ends_with("api_base");
            match (by_host, endpoint_key) {
                (Some(provider), _) => seen.endpoint(provider, number, &key, url),
                // `OPENAI_BASE_URL=http://localhost:8000/v1`: whatever the key's vendor, the
                // traffic goes to that host.
                (None, true) => seen.endpoint(Provider::CustomEndpoint, number, &key, url),
                (None, false) => {}
            }
            continue;
        }
        if MODEL_REF_KEYS.contains(&lower.as_str()) && hub_id(&value) {
            references.push(CodeReference {
                file: file.to_owned(),
                line: number,
                cell: None,
                kind: ReferenceKind::Model,
                call: key.clone(),
                target: shorten(&value, MAX_VALUE),
                revision: None,
                detail: None,
                local: false,
                trust_remote_code: false,
            });
            continue;
        }
        if DATASET_REF_KEYS.contains(&lower.as_str()) && hub_id(&value) {
            references.push(CodeReference {
                file: file.to_owned(),
                line: number,
                cell: None,
                kind: ReferenceKind::Dataset,
                call: key.clone(),
                target: shorten(&value, MAX_VALUE),
                revision: None,
                detail: None,
                local: false,
                trust_remote_code: false,
            });
            continue;
        }
        if (lower == "model"
            || lower.ends_with("_model")
            || lower.ends_with("model_name")
            || lower.ends_with("deployment")
            || lower.ends_with("deployment_name"))
            && !value.is_empty()
        {
            let named = provider_of_name(&key);
            if let Some(provider) = named.or_else(|| provider_of_model(&value)) {
                seen.see(provider, number, &key);
            }
            seen.models.push((number, value, named));
        }
    }
    seen.finish(file, None, out);
}

/// Merges references of the same file and provider found in different notebook cells,
/// and sorts by file and provider.
pub(crate) fn merge(services: &mut Vec<ServiceReference>) {
    let mut merged: BTreeMap<(String, Provider), ServiceReference> = BTreeMap::new();
    for service in services.drain(..) {
        match merged.entry((service.file.clone(), service.provider)) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(service);
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                let entry = slot.get_mut();
                entry.lines.extend(service.lines);
                entry.cells.extend(service.cells);
                entry.evidence.extend(service.evidence);
                entry.endpoints.extend(service.endpoints);
                entry.models.extend(service.models);
                entry.credentials.extend(service.credentials);
            }
        }
    }
    for mut service in merged.into_values() {
        service.lines.sort_unstable();
        service.lines.dedup();
        service.cells.sort_unstable();
        service.cells.dedup();
        service.evidence.sort();
        service.evidence.dedup();
        service.endpoints.sort();
        service.endpoints.dedup();
        service.models.sort();
        service.models.dedup();
        service.credentials.sort();
        service.credentials.dedup();
        services.push(service);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_secrets_and_hosts_name_providers() {
        assert_eq!(
            redact_url("https://user:pw@x.openai.azure.com/path?key=AIzaSECRET"),
            "https://x.openai.azure.com/path"
        );
        assert_eq!(
            provider_of_url("https://abc.us-east-1.aws.endpoints.huggingface.cloud"),
            Some(Provider::HuggingFaceInference)
        );
        assert_eq!(provider_of_url("https://evil-openai.com.example"), None);
        // Found by fuzzing: junk before the URL, and a `?` in what looks like a scheme.
        assert_eq!(
            extract_url("x=1 ENDPOINT=https://contoso.openai.azure.com/a?k=v'"),
            Some("https://contoso.openai.azure.com/a?k=v")
        );
        assert_eq!(redact_url("junk htt?s://host/?k=v"), "junk htt");
        assert_eq!(
            key_like("sk-ant-abcdefghijklmnopqrstuvwxyz"),
            Some(Some(Provider::Anthropic))
        );
        assert_eq!(key_like("sk-short"), None);
    }
}
