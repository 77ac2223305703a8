use std::fmt;

use serde::Serialize;

use crate::{ByteName, Rule, Severity};

/// Where a finding sits, precisely enough for a person to go and look.
///
/// `members` is the chain of containers walked to reach the data, outermost first: a
/// pickle inside `model.bin` (a zip) inside `bundle.tar` has the path of the tar file and
/// the members `["model.bin", "archive/data.pkl"]`. Offsets count bytes from the start of
/// the innermost member's decoded content.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// The file on disk that was scanned.
    pub path: ByteName,
    /// Archive members (and decoded layers) from outermost to innermost.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<ByteName>,
    /// Byte offset inside the innermost member, when the check knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Index of the pickle opcode (0-based, counted across stacked pickles), when relevant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opcode_index: Option<u64>,
}

impl Location {
    /// A location covering a whole file.
    pub fn file(path: ByteName) -> Self {
        Location {
            path,
            members: Vec::new(),
            offset: None,
            opcode_index: None,
        }
    }

    /// The same location moved into a nested member.
    pub fn member(&self, name: ByteName) -> Self {
        let mut members = self.members.clone();
        members.push(name);
        Location {
            path: self.path.clone(),
            members,
            offset: None,
            opcode_index: None,
        }
    }

    /// The same container with a byte offset (and opcode index) inside it.
    pub fn at(&self, offset: Option<u64>, opcode_index: Option<u64>) -> Self {
        Location {
            offset,
            opcode_index,
            ..self.clone()
        }
    }
}

impl fmt::Display for Location {
    /// `path!member!member@offset#opcode`, the form used in terminal output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        for member in &self.members {
            write!(f, "!{member}")?;
        }
        if let Some(offset) = self.offset {
            write!(f, "@{offset}")?;
        }
        if let Some(index) = self.opcode_index {
            write!(f, "#op{index}")?;
        }
        Ok(())
    }
}

/// One thing a check found, with the rule that explains it and the evidence to act on.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule this finding instantiates; serialised as its code.
    #[serde(rename = "rule", serialize_with = "serialize_rule_code")]
    pub rule: &'static Rule,
    /// Severity after configuration; starts as the rule's default.
    pub severity: Severity,
    /// Where it was found.
    pub location: Location,
    /// One sentence saying what was found.
    pub message: String,
    /// The concrete bytes, names or values that triggered the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

fn serialize_rule_code<S: serde::Serializer>(
    rule: &&'static Rule,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.code)
}

impl Finding {
    /// A finding at the rule's default severity.
    pub fn new(rule: &'static Rule, location: Location, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            location,
            message: message.into(),
            evidence: None,
        }
    }

    /// Attaches the evidence that triggered the rule.
    pub fn with_evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = Some(evidence.into());
        self
    }

    /// Stable order for reports: by location, then rule code.
    pub fn sort_key(&self) -> (&Location, &'static str) {
        (&self.location, self.rule.code)
    }
}
