//! The rule pages under `docs/rules/`, generated from the registry so they cannot drift.

use std::fmt::Write as _;

use super::{ALL, Rule, RuleStatus};

/// The Markdown page for one rule, as committed in `docs/rules/<CODE>.md`.
pub fn markdown(rule: &Rule) -> String {
    let mut page = String::new();
    let _ = writeln!(page, "# {} {}: {}\n", rule.code, rule.name, rule.title);
    let status = match rule.status {
        RuleStatus::Stable => "stable",
        RuleStatus::Removed => "removed",
    };
    let _ = writeln!(
        page,
        "Default severity: **{}** · status: {status} · since {}\n",
        rule.severity, rule.since
    );
    let _ = writeln!(page, "## What it finds\n\n{}\n", rule.finds);
    let _ = writeln!(page, "## Why it is dangerous\n\n{}\n", rule.why);
    let _ = writeln!(page, "## What to do\n\n{}\n", rule.fix);
    let _ = writeln!(page, "## References\n");
    for reference in rule.references {
        let _ = writeln!(page, "- [{}]({})", reference.id, reference.url);
    }
    page
}

/// The index page `docs/rules/README.md`.
pub fn index() -> String {
    let mut page = String::from(
        "# Rules\n\nGenerated from the registry in `crates/airlock-core/src/rules/` by \
         `AIRLOCK_UPDATE_DOCS=1 cargo test -p airlock-core --test rule_docs`; do not edit by hand.\n\n\
         Codes: a family prefix and three digits. 1xx dangerous content, 2xx unknown or unusual \
         content, 5xx malformed input or readers that would disagree, 9xx a resource limit hit \
         before the analysis finished.\n\n| Code | Name | Severity | Title |\n| --- | --- | --- | --- |\n",
    );
    for rule in ALL {
        let _ = writeln!(
            page,
            "| [{code}]({code}.md) | `{}` | {} | {} |",
            rule.name,
            rule.severity,
            rule.title,
            code = rule.code
        );
    }
    page
}
