//! The `[scan]` table of `airlock.toml`: resource limits and extra allowed pickle globals.

use std::path::Path;

use airlock_formats::Limits;
use serde::Deserialize;

use crate::error::ConfigError;

/// Settings for `airlock scan`, read from the `[scan]` table of `airlock.toml`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ScanConfig {
    /// Overrides of the parser resource bounds.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Pickle import policy extensions.
    #[serde(default)]
    pub pickle: PickleConfig,
}

/// `[scan.limits]`: every field optional, defaults from [`Limits::default`].
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[allow(missing_docs)] // Each field mirrors the `Limits` field of the same name.
pub struct LimitsConfig {
    pub max_pickle_bytes: Option<u64>,
    pub max_opcodes: Option<u64>,
    pub max_memo: Option<u64>,
    pub max_stack: Option<u64>,
    pub max_nesting: Option<u64>,
    pub max_archive_entries: Option<u64>,
    pub max_decompressed_bytes: Option<u64>,
    pub max_compression_ratio: Option<u64>,
    pub max_buffered_bytes: Option<u64>,
    pub max_depth: Option<u32>,
    pub max_proto_depth: Option<u32>,
    pub max_proto_message: Option<u64>,
    pub max_proto_items: Option<u64>,
    pub max_keras_config_bytes: Option<u64>,
}

impl LimitsConfig {
    /// The default limits with this table's overrides applied.
    pub fn to_limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            max_pickle_bytes: self.max_pickle_bytes.unwrap_or(d.max_pickle_bytes),
            max_opcodes: self.max_opcodes.unwrap_or(d.max_opcodes),
            max_memo: self.max_memo.unwrap_or(d.max_memo),
            max_stack: self.max_stack.unwrap_or(d.max_stack),
            max_nesting: self.max_nesting.unwrap_or(d.max_nesting),
            max_archive_entries: self.max_archive_entries.unwrap_or(d.max_archive_entries),
            max_decompressed_bytes: self
                .max_decompressed_bytes
                .unwrap_or(d.max_decompressed_bytes),
            max_compression_ratio: self
                .max_compression_ratio
                .unwrap_or(d.max_compression_ratio),
            max_buffered_bytes: self.max_buffered_bytes.unwrap_or(d.max_buffered_bytes),
            max_depth: self.max_depth.unwrap_or(d.max_depth),
            max_proto_depth: self.max_proto_depth.unwrap_or(d.max_proto_depth),
            max_proto_message: self.max_proto_message.unwrap_or(d.max_proto_message),
            max_proto_items: self.max_proto_items.unwrap_or(d.max_proto_items),
            max_keras_config_bytes: self
                .max_keras_config_bytes
                .unwrap_or(d.max_keras_config_bytes),
        }
    }
}

/// `[scan.pickle]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PickleConfig {
    /// Globals the user vouches for, each with a reason.
    #[serde(default)]
    pub allow: Vec<AllowEntry>,
}

/// One user allowlist entry: `{ global = "mypkg.models.Net", reason = "…" }`, or
/// `mypkg.layers.*` for every plain name of one module.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    /// Dotted path of the global, or `module.*`.
    pub global: String,
    /// Why it is safe; required so the allowlist can be audited.
    pub reason: String,
}

impl AllowEntry {
    /// An entry built in code (tests, callers that embed airlock).
    pub fn new(global: &str, reason: &str) -> Self {
        AllowEntry {
            global: global.to_owned(),
            reason: reason.to_owned(),
        }
    }

    /// `(module, name)` as the denylist sees it (`name` is `*` for module entries).
    pub fn split(&self) -> (&str, &str) {
        match self.global.strip_suffix(".*") {
            Some(module) => (module, "*"),
            None => self
                .global
                .rsplit_once('.')
                .unwrap_or((self.global.as_str(), "")),
        }
    }

    /// Whether this entry allows `module` + `name`.
    pub fn matches(&self, module: &str, name: &str) -> bool {
        match self.global.strip_suffix(".*") {
            Some(prefix) => prefix == module && !name.contains('.'),
            None => {
                self.global.len() == module.len() + 1 + name.len()
                    && self.global.starts_with(module)
                    && self.global.as_bytes().get(module.len()) == Some(&b'.')
                    && self.global.ends_with(name)
            }
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |reason| {
            Err(ConfigError::BadAllowEntry {
                global: self.global.clone(),
                reason,
            })
        };
        if self.reason.trim().is_empty() {
            return bad("`reason` must say why the global is safe");
        }
        if !self.global.contains('.') {
            return bad("expected `module.name` or `module.*`");
        }
        if self
            .global
            .split('.')
            .any(|part| part.is_empty() || part.contains(char::is_whitespace))
        {
            return bad("expected dotted identifiers such as `mypkg.models.Net`");
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    scan: ScanConfig,
}

impl ScanConfig {
    /// Reads the `[scan]` table of a config file; other tables belong to other commands.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = fs_err::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|err| ConfigError::Parse {
            path: path.to_owned(),
            message: err.to_string(),
        })?;
        for entry in &file.scan.pickle.allow {
            entry.validate()?;
        }
        Ok(file.scan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_limits_and_allow_entries() {
        let config = ScanConfig::parse(
            r#"
[scan.limits]
max-opcodes = 1000
[scan.pickle]
allow = [
  { global = "mypkg.models.Net", reason = "our model class" },
  { global = "mypkg.layers.*", reason = "our layers" },
]
[deps]
ignored = true
"#,
            Path::new("airlock.toml"),
        )
        .unwrap();
        assert_eq!(config.limits.to_limits().max_opcodes, 1000);
        assert_eq!(
            config.limits.to_limits().max_memo,
            Limits::default().max_memo
        );
        let [net, layers] = config.pickle.allow.as_slice() else {
            panic!()
        };
        assert!(net.matches("mypkg.models", "Net"));
        assert!(net.matches("mypkg", "models.Net"));
        assert!(!net.matches("mypkg.models", "Netx"));
        assert!(layers.matches("mypkg.layers", "Dense"));
        assert!(!layers.matches("mypkg.layers", "Dense.mro"));
        assert!(!layers.matches("mypkg.layers.sub", "Dense"));
    }

    #[test]
    fn rejects_unknown_keys_and_missing_reasons() {
        let err = ScanConfig::parse("[scan]\nmax-opcodes = 3\n", Path::new("a.toml")).unwrap_err();
        assert!(err.to_string().contains("a.toml"), "{err}");
        let err = ScanConfig::parse(
            "[scan.pickle]\nallow = [{ global = \"a.B\", reason = \" \" }]\n",
            Path::new("a.toml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("reason"), "{err}");
        assert!(
            ScanConfig::parse(
                "[scan.pickle]\nallow = [{ global = \"a.B\" }]\n",
                Path::new("a.toml")
            )
            .is_err()
        );
    }
}
