//! Licences: SPDX expressions when they are valid, plain names otherwise.
//!
//! Model cards say `license: apache-2.0`, `other`, `llama2` or `CC BY-SA 4.0`. Emitting those
//! as SPDX ids makes a BOM schema-invalid (aibom-generator #7), so [`License::parse`] keeps a
//! string as [`License::Spdx`] only when every id in it is on the SPDX licence list that
//! CycloneDX's `spdx.schema.json` enumerates (embedded here, list 3.28.0), and canonicalises
//! the case (`apache-2.0` → `Apache-2.0`). Everything else is [`License::Named`].

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The SPDX licence and exception ids of CycloneDX's `spdx.schema.json` (`$comment` v1.1-3.28.0).
pub const SPDX_LICENSE_IDS: &str = include_str!("spdx-license-ids.txt");

fn ids() -> &'static [&'static str] {
    static IDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    IDS.get_or_init(|| SPDX_LICENSE_IDS.lines().filter(|l| !l.is_empty()).collect())
}

/// The canonical spelling of an SPDX licence or exception id, matched without regard to case.
pub fn canonical_id(id: &str) -> Option<&'static str> {
    ids()
        .iter()
        .copied()
        .find(|known| known.eq_ignore_ascii_case(id))
}

/// A licence as a BOM states it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum License {
    /// A valid SPDX licence expression (a single id is the simplest one).
    Spdx(SpdxExpression),
    /// Anything else, kept as written.
    Named(String),
}

impl License {
    /// Sorts a licence string into [`License::Spdx`] or [`License::Named`].
    pub fn parse(text: &str) -> License {
        match SpdxExpression::parse(text) {
            Some(expr) => License::Spdx(expr),
            None => License::Named(text.trim().to_owned()),
        }
    }
}

impl fmt::Display for License {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            License::Spdx(expr) => f.write_str(expr.as_str()),
            License::Named(name) => f.write_str(name),
        }
    }
}

/// A licence expression whose every id is on the SPDX list; only [`SpdxExpression::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SpdxExpression(String);

impl SpdxExpression {
    /// Parses and canonicalises an expression; `None` unless it is valid and every id is listed.
    ///
    /// Grammar (SPDX annex D): `or := and ("OR" and)*`, `and := with ("AND" with)*`,
    /// `with := simple ("WITH" id)?`, `simple := id "+"? | "(" or ")"`. Operators are
    /// case-sensitive as the spec says; ids are not. `LicenseRef-` and `DocumentRef-` are
    /// refused: they need a licence text the BOM does not carry.
    pub fn parse(text: &str) -> Option<SpdxExpression> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens: &tokens,
            pos: 0,
            out: String::new(),
        };
        parser.or()?;
        if parser.pos != tokens.len() {
            return None;
        }
        Some(SpdxExpression(parser.out))
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is one listed id (CycloneDX `license.id`), not a compound expression.
    pub fn is_single_id(&self) -> bool {
        canonical_id(&self.0) == Some(self.0.as_str())
    }
}

impl TryFrom<String> for SpdxExpression {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        SpdxExpression::parse(&value).ok_or_else(|| format!("not a valid SPDX expression: {value}"))
    }
}

impl From<SpdxExpression> for String {
    fn from(value: SpdxExpression) -> String {
        value.0
    }
}

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Open,
    Close,
    Word(&'a str),
}

fn tokenize(text: &str) -> Option<Vec<Token<'_>>> {
    let mut tokens = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('(') {
            tokens.push(Token::Open);
            rest = after;
        } else if let Some(after) = rest.strip_prefix(')') {
            tokens.push(Token::Close);
            rest = after;
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .unwrap_or(rest.len());
            let (word, after) = rest.split_at(end);
            tokens.push(Token::Word(word));
            rest = after;
        }
        rest = rest.trim_start();
    }
    (!tokens.is_empty()).then_some(tokens)
}

struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    pos: usize,
    out: String,
}

impl Parser<'_, '_> {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if *w == word)
    }

    fn or(&mut self) -> Option<()> {
        self.and()?;
        while self.peek_word("OR") {
            self.pos += 1;
            self.out.push_str(" OR ");
            self.and()?;
        }
        Some(())
    }

    fn and(&mut self) -> Option<()> {
        self.with()?;
        while self.peek_word("AND") {
            self.pos += 1;
            self.out.push_str(" AND ");
            self.with()?;
        }
        Some(())
    }

    fn with(&mut self) -> Option<()> {
        self.simple()?;
        if self.peek_word("WITH") {
            self.pos += 1;
            let Some(Token::Word(exception)) = self.tokens.get(self.pos) else {
                return None;
            };
            self.pos += 1;
            self.out.push_str(" WITH ");
            self.out.push_str(canonical_id(exception)?);
        }
        Some(())
    }

    fn simple(&mut self) -> Option<()> {
        match self.tokens.get(self.pos)? {
            Token::Open => {
                self.pos += 1;
                self.out.push('(');
                self.or()?;
                if self.tokens.get(self.pos) != Some(&Token::Close) {
                    return None;
                }
                self.pos += 1;
                self.out.push(')');
                Some(())
            }
            Token::Close => None,
            Token::Word(word) => {
                if matches!(*word, "AND" | "OR" | "WITH") {
                    return None;
                }
                self.pos += 1;
                if let Some(id) = canonical_id(word) {
                    self.out.push_str(id);
                } else {
                    let base = word.strip_suffix('+')?;
                    self.out.push_str(canonical_id(base)?);
                    self.out.push('+');
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_expressions() {
        assert_eq!(
            License::parse("apache-2.0"),
            License::Spdx(SpdxExpression("Apache-2.0".into()))
        );
        let expr = SpdxExpression::parse(
            "(mit OR apache-2.0) AND gpl-2.0-only WITH classpath-exception-2.0",
        )
        .unwrap();
        assert_eq!(
            expr.as_str(),
            "(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0"
        );
        assert!(!expr.is_single_id());
        assert!(SpdxExpression::parse("MIT").unwrap().is_single_id());
        assert_eq!(
            SpdxExpression::parse("LGPL-2.1+").unwrap().as_str(),
            "LGPL-2.1+"
        );
        assert!(!SpdxExpression::parse("Apache-2.0+").unwrap().is_single_id());
    }

    #[test]
    fn invalid_become_names() {
        for bad in [
            "other",
            "unknown",
            "llama2",
            "CC BY-SA 4.0",
            "MIT or Apache-2.0",
            "MIT AND",
            "(MIT",
            "MIT)",
            "LicenseRef-custom",
            "",
            "MIT WITH",
            "AND",
        ] {
            assert_eq!(
                License::parse(bad),
                License::Named(bad.trim().to_owned()),
                "{bad}"
            );
        }
    }

    #[test]
    fn serde_refuses_invalid_expression() {
        assert!(serde_json::from_str::<SpdxExpression>("\"not-a-licence\"").is_err());
        assert!(serde_json::from_str::<SpdxExpression>("\"mit\"").is_ok());
    }
}
