//! The default-deny import policy for pickles: which globals are known safe, which are
//! known dangerous, and everything else.
//!
//! The built-in lists are data (`data/allowlist.toml`, `data/denylist.toml`), versioned and
//! with a reason per entry, so a reviewer can audit them without reading code. Users add
//! their own safe names in `airlock.toml`; they cannot allow a denylisted name.

use std::collections::HashMap;
use std::sync::OnceLock;

use airlock_core::Rule;
use airlock_core::rules;
use serde::Deserialize;

use crate::config::AllowEntry;
use crate::error::ConfigError;

const BUILTIN_ALLOWLIST: &str = include_str!("../data/allowlist.toml");
const BUILTIN_DENYLIST: &str = include_str!("../data/denylist.toml");

/// Why a denylisted global is dangerous; each category is reported under its own rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Runs code or spawns processes.
    Exec,
    /// Imports or resolves arbitrary names.
    Resolver,
    /// Touches files or the network.
    FileNetwork,
    /// Builds code objects from data.
    CodeObject,
    /// Deserialises a second payload.
    NestedLoader,
    /// Reaches into a model scanner.
    ScannerTamper,
}

impl Category {
    /// The rule a global of this category is reported under.
    pub fn rule(self) -> &'static Rule {
        match self {
            Category::Exec => &rules::PKL101_PICKLE_EXEC_GLOBAL,
            Category::Resolver => &rules::PKL102_PICKLE_RESOLVER_GLOBAL,
            Category::FileNetwork => &rules::PKL103_PICKLE_FILE_NETWORK_GLOBAL,
            Category::CodeObject => &rules::PKL104_PICKLE_CODE_OBJECT_GLOBAL,
            Category::NestedLoader => &rules::PKL105_PICKLE_NESTED_LOADER_GLOBAL,
            Category::ScannerTamper => &rules::PKL106_PICKLE_SCANNER_TAMPER_GLOBAL,
        }
    }
}

/// What the policy says about one imported global.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// On the allowlist.
    Allowed,
    /// On the denylist; `matched` is the dangerous path that was recognised.
    Denied {
        /// Why it is dangerous.
        category: Category,
        /// The denylist entry that matched, as `module.name` or `module.*`.
        matched: String,
        /// The entry's reason.
        reason: String,
    },
    /// The name walks through a dunder attribute (`__builtins__`, `__globals__`, …).
    DunderPath {
        /// The dunder component.
        attribute: String,
    },
    /// Neither list names it.
    Unknown,
}

#[derive(Debug, Deserialize)]
struct AllowFile {
    version: String,
    allow: HashMap<String, HashMap<String, String>>,
    #[serde(rename = "allow-prefix", default)]
    allow_prefix: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct DenyFile {
    version: String,
    deny: HashMap<Category, HashMap<String, HashMap<String, String>>>,
}

#[derive(Debug, Default)]
struct DenyModule {
    wildcard: Option<(Category, String)>,
    names: HashMap<String, (Category, String)>,
}

/// The compiled allow- and denylists.
#[derive(Debug)]
pub struct ImportPolicy {
    allowlist_version: String,
    denylist_version: String,
    allow: HashMap<String, HashMap<String, String>>,
    allow_prefixes: Vec<String>,
    user_allow: Vec<AllowEntry>,
    deny: HashMap<String, DenyModule>,
}

/// Python 2 module names that Python 3's unpickler maps to their new homes
/// (`_compat_pickle.IMPORT_MAPPING`, the entries that matter for safety).
const PY2_MODULES: &[(&str, &str)] = &[
    ("__builtin__", "builtins"),
    ("copy_reg", "copyreg"),
    ("cPickle", "pickle"),
    ("exceptions", "builtins"),
    ("urllib2", "urllib.request"),
    ("httplib", "http.client"),
    ("commands", "subprocess"),
    ("Tkinter", "tkinter"),
    ("thread", "_thread"),
    ("posixpath", "posixpath"),
];

impl ImportPolicy {
    /// The built-in lists, parsed once per process.
    pub fn builtin() -> &'static ImportPolicy {
        static POLICY: OnceLock<ImportPolicy> = OnceLock::new();
        POLICY.get_or_init(|| {
            // The built-in data files are covered by tests; failing here is a build defect.
            #[allow(clippy::expect_used)]
            ImportPolicy::new(Vec::new()).expect("built-in pickle allow/denylists must parse")
        })
    }

    /// The built-in lists extended with the user's allow entries.
    pub fn new(user_allow: Vec<AllowEntry>) -> Result<Self, ConfigError> {
        let allow: AllowFile =
            toml::from_str(BUILTIN_ALLOWLIST).map_err(|err| ConfigError::BuiltinList {
                file: "allowlist.toml",
                message: err.to_string(),
            })?;
        let deny_file: DenyFile =
            toml::from_str(BUILTIN_DENYLIST).map_err(|err| ConfigError::BuiltinList {
                file: "denylist.toml",
                message: err.to_string(),
            })?;
        let mut deny: HashMap<String, DenyModule> = HashMap::new();
        for (category, modules) in deny_file.deny {
            for (module, names) in modules {
                let entry = deny.entry(module).or_default();
                for (name, reason) in names {
                    if name == "*" {
                        entry.wildcard = Some((category, reason));
                    } else {
                        entry.names.insert(name, (category, reason));
                    }
                }
            }
        }
        let mut policy = ImportPolicy {
            allowlist_version: allow.version,
            denylist_version: deny_file.version,
            allow: allow.allow,
            allow_prefixes: allow.allow_prefix.into_keys().collect(),
            user_allow: Vec::new(),
            deny,
        };
        for entry in &user_allow {
            let (module, name) = entry.split();
            if let Verdict::Denied { matched, .. } = policy.deny_verdict(module, name) {
                return Err(ConfigError::AllowDenied {
                    global: entry.global.clone(),
                    matched,
                });
            }
        }
        policy.user_allow = user_allow;
        Ok(policy)
    }

    /// Version strings of the built-in allow- and denylists, for reports.
    pub fn versions(&self) -> (&str, &str) {
        (&self.allowlist_version, &self.denylist_version)
    }

    /// Classifies `module` + `name` as a pickle GLOBAL would import them.
    ///
    /// `name` may be a dotted attribute path (protocol 4 resolves `posixpath` + `os.system`
    /// to `posixpath.os.system`, which is `os.system`); every module-like step of the path
    /// is checked against the denylist.
    pub fn classify(&self, module: &str, name: &str) -> Verdict {
        let (module, name) = canonical_global(module, name);
        if self.is_allowed(module, name) {
            return Verdict::Allowed;
        }
        let denied = self.deny_verdict(module, name);
        if denied != Verdict::Unknown {
            return denied;
        }
        if let Some(attribute) = name.split('.').find(|part| is_dunder(part)) {
            return Verdict::DunderPath {
                attribute: attribute.to_owned(),
            };
        }
        if !name.contains('.') && self.is_allowed_by_wildcard(module) {
            return Verdict::Allowed;
        }
        Verdict::Unknown
    }

    fn is_allowed(&self, module: &str, name: &str) -> bool {
        if self
            .allow
            .get(module)
            .is_some_and(|names| names.contains_key(name))
        {
            return true;
        }
        if !name.contains('.')
            && self.allow_prefixes.iter().any(|prefix| {
                module == prefix
                    || module
                        .strip_prefix(prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        {
            return true;
        }
        self.user_allow
            .iter()
            .any(|entry| entry.matches(module, name))
    }

    fn is_allowed_by_wildcard(&self, module: &str) -> bool {
        self.allow
            .get(module)
            .is_some_and(|names| names.contains_key("*"))
    }

    fn deny_verdict(&self, module: &str, name: &str) -> Verdict {
        let module_len = module.split('.').count();
        let full: Vec<&str> = module.split('.').chain(name.split('.')).collect();
        // Every prefix of the path that ends inside the name is something the unpickler
        // reaches by attribute access, so each is tried as a module with the next component
        // as the attribute: `posixpath` + `os.system` reaches the `os` module. Runs that
        // start inside the real module path are not tried (`scipy.signal` is not the
        // standard `signal` module); runs that start in the name are (`mypkg` +
        // `subprocess.Popen`).
        for end in module_len..=full.len() {
            let starts = std::iter::once(0).chain(module_len..end);
            for start in starts {
                let Some(path) = full.get(start..end) else {
                    continue;
                };
                if path.is_empty() {
                    continue;
                }
                if let Some(verdict) = self.deny_lookup(&path.join("."), full.get(end).copied()) {
                    return verdict;
                }
                // Modules re-export what they import under private aliases (`argparse`
                // does `import os as _os`), so `_os.system` inside the name is `os.system`.
                if start >= module_len
                    && let Some(first) = path.first()
                    && first.starts_with('_')
                {
                    let mut unaliased: Vec<&str> = path.to_vec();
                    unaliased[0] = first.trim_start_matches('_');
                    if let Some(verdict) =
                        self.deny_lookup(&unaliased.join("."), full.get(end).copied())
                    {
                        return verdict;
                    }
                }
            }
        }
        Verdict::Unknown
    }

    /// Denylist hit for a module path and the attribute taken from it, if any.
    fn deny_lookup(&self, module: &str, attribute: Option<&str>) -> Option<Verdict> {
        let module = canonical_module(module);
        if let Some(entry) = self.deny.get(module)
            && let Some(attribute) = attribute
            && let Some((category, reason)) = entry.names.get(attribute)
        {
            return Some(Verdict::Denied {
                category: *category,
                matched: format!("{module}.{attribute}"),
                reason: reason.clone(),
            });
        }
        // Wildcards cover the module and all its submodules.
        let mut prefix = module;
        loop {
            if let Some((category, reason)) =
                self.deny.get(prefix).and_then(|e| e.wildcard.as_ref())
            {
                return Some(Verdict::Denied {
                    category: *category,
                    matched: format!("{prefix}.*"),
                    reason: reason.clone(),
                });
            }
            match prefix.rsplit_once('.') {
                Some((parent, _)) => prefix = parent,
                None => return None,
            }
        }
    }
}

/// A `(module, name)` pair.
type Global = (&'static str, &'static str);

/// Python 2 names that Python 3's unpickler renames (`_compat_pickle.NAME_MAPPING`).
const PY2_NAMES: &[(Global, Global)] = &[
    (("__builtin__", "xrange"), ("builtins", "range")),
    (("__builtin__", "unicode"), ("builtins", "str")),
    (("__builtin__", "basestring"), ("builtins", "str")),
    (("__builtin__", "long"), ("builtins", "int")),
    (("__builtin__", "unichr"), ("builtins", "chr")),
    (("__builtin__", "raw_input"), ("builtins", "input")),
    (("__builtin__", "reduce"), ("functools", "reduce")),
    (("__builtin__", "intern"), ("sys", "intern")),
    (("itertools", "izip"), ("builtins", "zip")),
    (("itertools", "imap"), ("builtins", "map")),
    (("itertools", "ifilter"), ("builtins", "filter")),
];

/// The module and name Python 3 actually imports for a global as written.
fn canonical_global<'a>(module: &'a str, name: &'a str) -> (&'a str, &'a str) {
    PY2_NAMES
        .iter()
        .find(|((m, n), _)| *m == module && *n == name)
        .map_or((canonical_module(module), name), |(_, new)| *new)
}

fn canonical_module(module: &str) -> &str {
    PY2_MODULES
        .iter()
        .find(|(old, _)| *old == module)
        .map_or(module, |(_, new)| new)
}

fn is_dunder(part: &str) -> bool {
    part.len() > 4 && part.starts_with("__") && part.ends_with("__")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(module: &str, name: &str) -> Verdict {
        ImportPolicy::builtin().classify(module, name)
    }

    fn category(module: &str, name: &str) -> Option<Category> {
        match classify(module, name) {
            Verdict::Denied { category, .. } => Some(category),
            _ => None,
        }
    }

    #[test]
    fn torch_numpy_and_collections_are_allowed() {
        for (module, name) in [
            ("torch._utils", "_rebuild_tensor_v2"),
            ("torch", "FloatStorage"),
            ("collections", "OrderedDict"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "dtype"),
            ("numpy.dtypes", "Float64DType"),
            ("__builtin__", "set"),
            ("copy_reg", "_reconstructor"),
            ("__torch__.my_model", "Net"),
            ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        ] {
            assert_eq!(classify(module, name), Verdict::Allowed, "{module}.{name}");
        }
    }

    #[test]
    fn exec_sinks_and_submodules_are_denied() {
        assert_eq!(category("os", "system"), Some(Category::Exec));
        assert_eq!(category("posix", "system"), Some(Category::Exec));
        assert_eq!(category("subprocess", "Popen"), Some(Category::Exec));
        assert_eq!(category("builtins", "exec"), Some(Category::Exec));
        assert_eq!(category("__builtin__", "eval"), Some(Category::Exec));
        assert_eq!(
            category("asyncio.unix_events", "_UnixSubprocessTransport"),
            Some(Category::Exec)
        );
        assert_eq!(
            category("code", "InteractiveInterpreter.runcode"),
            Some(Category::Exec)
        );
        assert_eq!(
            category("torch.utils.collect_env", "run"),
            Some(Category::Exec)
        );
        assert_eq!(category("torch", "compile"), Some(Category::Exec));
    }

    #[test]
    fn dotted_attribute_paths_reach_denied_modules() {
        // B16: posixpath + "os.system" resolves to os.system.
        let verdict = classify("posixpath", "os.system");
        assert!(
            matches!(&verdict, Verdict::Denied { category: Category::Exec, matched, .. } if matched == "os.*"),
            "{verdict:?}"
        );
        assert_eq!(category("mypkg", "subprocess.Popen"), Some(Category::Exec));
        assert_eq!(
            category("torch", "serialization.load"),
            Some(Category::NestedLoader)
        );
        assert_eq!(category("posixpath", "os"), Some(Category::Exec));
        // Private aliases: argparse does `import os as _os`.
        assert_eq!(category("argparse", "_os.system"), Some(Category::Exec));
        // A dunder that is itself a denylisted name is graded by the denylist.
        assert_eq!(category("builtins", "__import__"), Some(Category::Resolver));
        assert_eq!(classify("__builtin__", "xrange"), Verdict::Allowed);
        // A module path is not re-read as another module: scipy.signal is not `signal`.
        assert_eq!(
            classify("scipy.signal._arraytools", "axis_slice"),
            Verdict::Unknown
        );
    }

    #[test]
    fn dunder_paths_are_reported() {
        assert_eq!(
            classify("numpy", "__builtins__.eval"),
            Verdict::DunderPath {
                attribute: "__builtins__".into()
            }
        );
        // Names that merely start with underscores are ordinary names.
        assert_eq!(
            classify("numpy.random._pickle", "__randomstate_ctor"),
            Verdict::Allowed
        );
    }

    #[test]
    fn each_category_has_entries() {
        assert_eq!(
            category("pkgutil", "resolve_name"),
            Some(Category::Resolver)
        );
        assert_eq!(category("builtins", "getattr"), Some(Category::Resolver));
        assert_eq!(category("_io", "FileIO"), Some(Category::FileNetwork));
        assert_eq!(category("types", "CodeType"), Some(Category::CodeObject));
        assert_eq!(category("pickle", "loads"), Some(Category::NestedLoader));
        assert_eq!(
            category("torch.serialization", "load"),
            Some(Category::NestedLoader)
        );
        assert_eq!(
            category("picklescan.scanner", "scan_file_path"),
            Some(Category::ScannerTamper)
        );
    }

    #[test]
    fn wildcards_do_not_cover_dotted_names_and_unknowns_stay_unknown() {
        assert_eq!(
            classify("numpy.dtypes", "Float64DType.mro"),
            Verdict::Unknown
        );
        assert_eq!(classify("mypkg.models", "Net"), Verdict::Unknown);
        assert_eq!(classify("__main__", "MyModel"), Verdict::Unknown);
    }

    #[test]
    fn user_entries_extend_but_never_override() {
        let policy =
            ImportPolicy::new(vec![AllowEntry::new("mypkg.models.Net", "our model")]).unwrap();
        assert_eq!(policy.classify("mypkg.models", "Net"), Verdict::Allowed);
        assert_eq!(policy.classify("mypkg.models", "Other"), Verdict::Unknown);
        let err = ImportPolicy::new(vec![AllowEntry::new("os.system", "please")]).unwrap_err();
        assert!(err.to_string().contains("os.system"), "{err}");
    }
}
