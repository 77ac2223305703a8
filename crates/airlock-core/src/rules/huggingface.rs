//! Rules for Hugging Face model folders: code that `trust_remote_code=True` would run.
//!
//! A `config.json` (or tokenizer/processor config) whose `auto_map` names Python classes
//! makes `transformers` import the `.py` files shipped beside the weights, or files from
//! another repository (research B39). Weights can be clean while the folder runs code.

use super::refs::*;
use super::{Reference, Rule, RuleStatus};
use crate::Severity;

const HF_CUSTOM_MODELS: Reference = Reference {
    id: "transformers custom models",
    url: "https://huggingface.co/docs/transformers/custom_models",
};

const CWE_94: Reference = Reference {
    id: "CWE-94",
    url: "https://cwe.mitre.org/data/definitions/94.html",
};

/// A config that makes `transformers` import Python modules from the model folder.
pub const HFM101_HF_REMOTE_CODE: Rule = Rule {
    code: "HFM101",
    name: "hf-remote-code",
    severity: Severity::High,
    title: "Model config runs Python code shipped with the model",
    finds: "A `config.json`, `tokenizer_config.json` or other Hugging Face config whose `auto_map` (or \
`custom_pipelines`) names classes in `.py` modules of the model folder. The finding lists the modules, whether \
they are present, and the modules they import (process, network and code-loading imports marked).",
    why: "Loading the model with `trust_remote_code=True` imports those modules: whatever they contain runs \
with the loader's rights, however clean the weights are. A module missing from the folder is fetched from the \
Hub at load time, at whatever revision the loader asks for.",
    fix: "Read the listed modules before loading, pin the repository revision, or use an architecture that \
`transformers` ships so that `trust_remote_code` can stay off.",
    references: &[HF_CUSTOM_MODELS, ATLAS_SUPPLY_CHAIN, OWASP_LLM03, CWE_94],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A config that makes `transformers` import code from another repository.
pub const HFM102_HF_REMOTE_CODE_OTHER_REPO: Rule = Rule {
    code: "HFM102",
    name: "hf-remote-code-other-repo",
    severity: Severity::Critical,
    title: "Model config runs Python code from another repository",
    finds: "An `auto_map` entry of the form `org/repo--module.Class`: the class is imported from a different \
Hugging Face repository than the one being loaded.",
    why: "That code is not part of the folder you reviewed or pinned: whoever controls the other repository \
decides what runs when this model loads with `trust_remote_code=True`, and can change it at any time.",
    fix: "Do not load the model with `trust_remote_code=True`; vendor and review the referenced code, or \
choose a model that does not need it.",
    references: &[HF_CUSTOM_MODELS, ATLAS_SUPPLY_CHAIN, OWASP_LLM03, CWE_94],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
