//! Turns what the pickle VM learned into findings, graded by the import policy.

use std::collections::HashMap;

use airlock_core::{ByteName, Finding, Location, Rule, rules};
use airlock_formats::pickle::{Callee, Encoding, Pos, StreamAnalysis};
use airlock_formats::{FormatError, LimitKind, paths};

use crate::budget;
use crate::imports::{ImportPolicy, Verdict};

/// Rules that say "this layer stopped parsing early"; dropped when the layer below already
/// failed, so one break is reported once.
pub(crate) fn is_stop_rule(rule: &Rule) -> bool {
    [
        rules::PKL501_PICKLE_MALFORMED.code,
        rules::NPY501_NUMPY_MALFORMED.code,
        rules::ZIP504_ZIP_MALFORMED.code,
        rules::SCN501_FILE_UNREADABLE.code,
        rules::ONX501_ONNX_MALFORMED.code,
        rules::TFG501_TENSORFLOW_MALFORMED.code,
    ]
    .contains(&rule.code)
}

/// Opcodes that call a container method (`extend`, `__setitem__`, `add`) on their target.
fn is_container_opcode(opcode: &str) -> bool {
    matches!(
        opcode,
        "APPEND" | "APPENDS" | "SETITEM" | "SETITEMS" | "ADDITEMS"
    )
}

/// Findings for one analysed pickle stream. `base` is the stream's offset inside the
/// layer `location` names (non-zero for the pickle after a `.npy` header).
pub(crate) fn pickle(
    policy: &ImportPolicy,
    analysis: &StreamAnalysis,
    location: &Location,
    base: u64,
    out: &mut Vec<Finding>,
) {
    let at = |pos: &Pos| location.at(Some(base + pos.offset), Some(pos.opcode_index));

    // The first call of each imported global, to show what it would be called with.
    let mut calls: HashMap<(&str, &str), String> = HashMap::new();
    for call in &analysis.calls {
        match &call.callee {
            Callee::Global { module, name } if is_container_opcode(call.opcode) => out.push(
                // APPEND(S)/SETITEM(S)/ADDITEMS on an imported global mutate shared state
                // (`sys.modules['x'] = …`), just as BUILD does.
                Finding::new(
                    &rules::PKL111_PICKLE_BUILD_ON_GLOBAL,
                    at(&call.at),
                    format!("{} mutates the imported `{module}.{name}`", call.opcode),
                )
                .with_evidence(format!("arguments {}", call.args)),
            ),
            Callee::Global { module, name } => {
                let discarded = if call.discarded {
                    ", result discarded"
                } else {
                    ""
                };
                calls
                    .entry((module.as_str(), name.as_str()))
                    .or_insert_with(|| {
                        format!(
                            "{module}.{name}{} via {}{discarded}",
                            call.args, call.opcode
                        )
                    });
            }
            Callee::Computed(description) => out.push(
                Finding::new(
                    &rules::PKL110_PICKLE_COMPUTED_CALLABLE,
                    at(&call.at),
                    format!(
                        "{} calls a callable computed at load time: {description}",
                        call.opcode
                    ),
                )
                .with_evidence(format!("arguments {}", call.args)),
            ),
        }
    }

    for import in &analysis.imports {
        let global = format!("{}.{}", import.module, import.name);
        let times = if import.count > 1 {
            format!(" ({} times)", import.count)
        } else {
            String::new()
        };
        if import.computed {
            out.push(Finding::new(
                &rules::PKL110_PICKLE_COMPUTED_CALLABLE,
                at(&import.at),
                format!(
                    "{} imports a name computed at load time: {global}",
                    import.opcode
                ),
            ));
            continue;
        }
        let call = calls.get(&(import.module.as_str(), import.name.as_str()));
        let finding = match policy.classify(&import.module, &import.name) {
            Verdict::Allowed => continue,
            Verdict::Denied {
                category,
                matched,
                reason,
            } => {
                let mut evidence = format!("denylist entry `{matched}`: {reason}");
                if let Some(call) = call {
                    evidence = format!("{call}; {evidence}");
                }
                Finding::new(
                    category.rule(),
                    at(&import.at),
                    format!("imports `{global}`{times}"),
                )
                .with_evidence(evidence)
            }
            Verdict::DunderPath { attribute } => Finding::new(
                &rules::PKL107_PICKLE_DUNDER_ATTRIBUTE,
                at(&import.at),
                format!("imports `{global}`, walking through `{attribute}`"),
            ),
            Verdict::Unknown => {
                let finding = Finding::new(
                    &rules::PKL201_PICKLE_UNKNOWN_GLOBAL,
                    at(&import.at),
                    format!("imports `{global}`{times}, which is not on the allowlist"),
                );
                match call {
                    Some(call) => finding.with_evidence(call.clone()),
                    None => finding,
                }
            }
        };
        out.push(finding);
    }

    for build in &analysis.builds_on_globals {
        out.push(
            Finding::new(
                &rules::PKL111_PICKLE_BUILD_ON_GLOBAL,
                at(&build.at),
                format!(
                    "BUILD sets attributes on the imported `{}.{}`",
                    build.module, build.name
                ),
            )
            .with_evidence(format!("state {}", build.state)),
        );
    }

    for extension in &analysis.extensions {
        out.push(Finding::new(
            &rules::PKL202_PICKLE_EXTENSION_CODE,
            at(&extension.at),
            format!(
                "imports whatever global is registered as extension code {}",
                extension.code
            ),
        ));
    }

    for embedded in &analysis.embedded {
        let encoding = match embedded.encoding {
            Encoding::Raw => "raw",
            Encoding::Base64 => "base64",
            Encoding::Hex => "hex",
        };
        out.push(Finding::new(
            &rules::PKL112_PICKLE_EMBEDDED_PICKLE,
            at(&embedded.at),
            format!("a constant holds a {encoding} pickle stream; its findings follow"),
        ));
        let inner = location.member(ByteName::from(
            format!(
                "<embedded {encoding} pickle @{}>",
                base + embedded.at.offset
            )
            .as_str(),
        ));
        pickle(policy, &embedded.analysis, &inner, 0, out);
    }

    if let Some(stop) = &analysis.stopped {
        out.extend(stop_finding(stop, location, base, &PICKLE_STOP));
    }
}

/// Which rules a parser's early stop maps to, per format.
pub(crate) struct StopRules {
    /// Name of the format in messages.
    pub(crate) label: &'static str,
    /// Rule for malformed input.
    pub(crate) malformed: &'static Rule,
    /// Rule for too many archive members.
    pub(crate) entry_limit: &'static Rule,
}

/// Stops of the pickle VM.
pub(crate) const PICKLE_STOP: StopRules = StopRules {
    label: "pickle",
    malformed: &rules::PKL501_PICKLE_MALFORMED,
    entry_limit: &rules::ZIP901_ZIP_ENTRY_LIMIT,
};

/// Stops of the zip walker.
pub(crate) const ZIP_STOP: StopRules = StopRules {
    label: "zip",
    malformed: &rules::ZIP504_ZIP_MALFORMED,
    entry_limit: &rules::ZIP901_ZIP_ENTRY_LIMIT,
};

/// Stops of the tar walker.
pub(crate) const TAR_STOP: StopRules = StopRules {
    label: "tar",
    malformed: &rules::TAR504_TAR_MALFORMED,
    entry_limit: &rules::TAR901_TAR_ENTRY_LIMIT,
};

/// Stops of the 7z reader.
pub(crate) const SEVENZ_STOP: StopRules = StopRules {
    label: "7z",
    malformed: &rules::SVZ504_SEVENZ_MALFORMED,
    entry_limit: &rules::SVZ901_SEVENZ_ENTRY_LIMIT,
};

/// The finding for a parser that stopped early: a limit rule, an I/O failure, or malformed.
/// None when the file's expansion budget stopped it (reported once for the whole file).
pub(crate) fn stop_finding(
    stop: &FormatError,
    location: &Location,
    base: u64,
    rules: &StopRules,
) -> Option<Finding> {
    if budget::is_exhausted_stop(stop) {
        return None;
    }
    let at = location.at(Some(base + stop.offset()), None);
    if let Some(rule) = limit_rule(stop, rules.entry_limit) {
        return Some(Finding::new(
            rule,
            at,
            format!("{} analysis stopped early: {stop}", rules.label),
        ));
    }
    let rule = match stop {
        FormatError::Io { .. } => &rules::SCN501_FILE_UNREADABLE,
        _ => rules.malformed,
    };
    Some(Finding::new(
        rule,
        at,
        format!("{} stream is malformed: {stop}", rules.label),
    ))
}

/// The rule for a resource bound, if the stop was one.
fn limit_rule(error: &FormatError, entry_limit: &'static Rule) -> Option<&'static Rule> {
    let FormatError::LimitExceeded { limit, .. } = error else {
        return None;
    };
    Some(match limit {
        LimitKind::Opcodes => &rules::PKL901_PICKLE_OPCODE_LIMIT,
        LimitKind::Memo => &rules::PKL902_PICKLE_MEMO_LIMIT,
        LimitKind::Stack => &rules::PKL903_PICKLE_STACK_LIMIT,
        LimitKind::Nesting => &rules::PKL904_PICKLE_NESTING_LIMIT,
        LimitKind::PickleBytes => &rules::PKL905_PICKLE_SIZE_LIMIT,
        LimitKind::ArchiveEntries => entry_limit,
        LimitKind::Decompression | LimitKind::BufferedBytes => &rules::SCN901_DECOMPRESSION_LIMIT,
        // Container depth, and any bound added to the parsers later.
        _ => &rules::SCN902_CONTAINER_DEPTH_LIMIT,
    })
}

/// ARC101 for an archive member whose name would extract outside the target directory
/// (zip-slip, tar traversal); `offset` is its header's.
pub(crate) fn escaping_name(
    name: &[u8],
    offset: Option<u64>,
    location: &Location,
    out: &mut Vec<Finding>,
) {
    if let Some(reason) = paths::escapes(name) {
        out.push(Finding::new(
            &rules::ARC101_ARCHIVE_PATH_TRAVERSAL,
            location.at(offset, None),
            format!(
                "member `{}` {reason}: extracting it writes outside the target directory",
                ByteName::new(name)
            ),
        ));
    }
}
