//! The vocabulary every airlock check speaks: [`Finding`]s graded by [`Severity`] and
//! identified by a stable [`Rule`] code from one registry.
//!
//! Every check, whatever it inspects, reports through these types so that one policy,
//! one report writer and one inventory serve them all. This crate does no I/O and knows
//! no file format.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::print_stdout, clippy::print_stderr))]

mod finding;
mod name;
pub mod rules;
mod severity;

pub use finding::{Finding, Location};
pub use name::ByteName;
pub use rules::{Reference, Rule, RuleStatus};
pub use severity::{ParseSeverityError, Severity};
