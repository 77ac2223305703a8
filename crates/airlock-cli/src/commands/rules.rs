//! `airlock rules` and `airlock explain`.

use std::io::{self, Write};

use airlock_core::rules::{self, Rule, docs};
use anyhow::{Result, bail};
use serde_json::json;

use crate::Outcome;
use crate::args::{ExplainArgs, ListFormat, RulesArgs};

pub fn list(args: &RulesArgs) -> Result<Outcome> {
    let mut out = io::stdout().lock();
    match args.format {
        ListFormat::Table => {
            for rule in rules::ALL {
                writeln!(
                    out,
                    "{:<7} {:<9} {:<32} {}",
                    rule.code, rule.severity, rule.name, rule.title
                )?;
            }
        }
        ListFormat::Json => {
            let list: Vec<_> = rules::ALL.iter().map(|rule| rule_json(rule)).collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
    }
    Ok(Outcome::Clean)
}

pub fn explain(args: &ExplainArgs) -> Result<Outcome> {
    let Some(rule) = rules::find(&args.rule) else {
        bail!(
            "unknown rule `{}`\n\nhint: `airlock rules` lists every code and name",
            args.rule
        );
    };
    let mut out = io::stdout().lock();
    match args.format {
        ListFormat::Table => write!(out, "{}", docs::markdown(rule))?,
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &rule_json(rule))?;
            writeln!(out)?;
        }
    }
    Ok(Outcome::Clean)
}

fn rule_json(rule: &Rule) -> serde_json::Value {
    let mut value = json!(rule);
    value["url"] = json!(rule.doc_url());
    value
}
