//! Errors that stop a scan from starting. Problems with scanned files are findings, never errors.

use std::path::PathBuf;

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("could not read `{path}`")]
    Read {
        /// The config file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not valid TOML or has unknown keys or bad values.
    #[error("invalid config `{path}`: {message}")]
    Parse {
        /// The config file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A built-in list does not parse (a defect in airlock itself).
    #[error("built-in list `{file}` is invalid: {message}")]
    BuiltinList {
        /// Which data file.
        file: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A user allow entry names a global the denylist grades as dangerous.
    #[error("`{global}` cannot be allowed: it matches the denylist entry `{matched}`")]
    AllowDenied {
        /// The entry as written.
        global: String,
        /// The denylist entry it matches.
        matched: String,
    },
    /// A user allow entry is malformed.
    #[error("allow entry `{global}` is invalid: {reason}")]
    BadAllowEntry {
        /// The entry as written.
        global: String,
        /// What is wrong.
        reason: &'static str,
    },
}
