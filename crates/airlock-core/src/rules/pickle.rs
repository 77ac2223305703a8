//! Rules for Python pickle streams and everything built on them (PyTorch, joblib,
//! NumPy object arrays).

use super::refs::*;
use super::{Reference, Rule, RuleStatus};
use crate::Severity;

const DANGEROUS_GLOBAL_FIX: &str = "Do not load this file. If it came from a model hub, report the \
repository. If you produced it yourself, re-export the weights to safetensors, or load it with \
`torch.load(..., weights_only=True)` after confirming airlock reports no critical findings.";

/// A global that runs code or spawns a process when the pickle is loaded.
pub const PKL101_PICKLE_EXEC_GLOBAL: Rule = Rule {
    code: "PKL101",
    name: "pickle-exec-global",
    severity: Severity::Critical,
    title: "Pickle imports a callable that executes code or spawns processes",
    finds: "A GLOBAL, STACK_GLOBAL or INST opcode (or a dotted attribute path reached through one) that \
names a function on airlock's denylist of code-execution sinks: `os.system`, `subprocess.*`, \
`builtins.exec`/`eval`/`compile`, `runpy`, `pip.main`, `cProfile.run`, `timeit`, `pty`, \
`code.InteractiveInterpreter.runcode`, `torch.utils.collect_env.run` and the rest of the list in \
`crates/airlock-scan/data/denylist.toml`.",
    why: "Unpickling calls whatever the stream names. A model file that imports one of these runs the \
attacker's command with the privileges of whoever loads the model: this is how the malicious models found \
on public hubs (nullifAI and others) deliver their payload.",
    fix: DANGEROUS_GLOBAL_FIX,
    references: &[
        ATLAS_UNSAFE_ARTIFACT,
        ATLAS_SUPPLY_CHAIN,
        OWASP_ML06,
        OWASP_LLM03,
        CWE_502,
        NULLIFAI,
        Reference {
            id: "CVE-2025-1716",
            url: "https://nvd.nist.gov/vuln/detail/CVE-2025-1716",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A global that imports or resolves arbitrary names, turning any string into a callable.
pub const PKL102_PICKLE_RESOLVER_GLOBAL: Rule = Rule {
    code: "PKL102",
    name: "pickle-resolver-global",
    severity: Severity::Critical,
    title: "Pickle imports a callable that resolves arbitrary names",
    finds: "Imports of universal resolvers: `builtins.getattr`/`__import__`, `importlib.import_module`, \
`pkgutil.resolve_name`, `operator.attrgetter`/`methodcaller`/`itemgetter`, `functools.partial`, \
`copyreg` extension registration and similar.",
    why: "A resolver lets the stream reach any function by building its name from strings at load time, so a \
denylist of names can never be complete once one is allowed (`pkgutil.resolve_name(\"os:system\")`). \
These are the universal bypass gadgets of picklescan GHSA-vvpj-8cmc-gx39 and modelscan #331.",
    fix: DANGEROUS_GLOBAL_FIX,
    references: &[
        ATLAS_UNSAFE_ARTIFACT,
        CWE_502,
        Reference {
            id: "GHSA-vvpj-8cmc-gx39",
            url: "https://github.com/advisories/GHSA-vvpj-8cmc-gx39",
        },
        Reference {
            id: "picklescan#66",
            url: "https://github.com/mmaitre314/picklescan/issues/66",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A global that opens files or network connections.
pub const PKL103_PICKLE_FILE_NETWORK_GLOBAL: Rule = Rule {
    code: "PKL103",
    name: "pickle-file-network-global",
    severity: Severity::Critical,
    title: "Pickle imports a file-system or network primitive",
    finds: "Imports of file and network primitives: `builtins.open`, `_io.FileIO`, `logging.FileHandler`, \
`shutil`, `socket`, `ssl`, `urllib.request`, `http.client`, `requests`, `aiohttp`, `webbrowser` and similar.",
    why: "Without running a shell, a pickle can still overwrite files (planting a payload for later), read \
secrets, or exfiltrate them over the network (`ssl.get_server_certificate` leaks data through DNS).",
    fix: DANGEROUS_GLOBAL_FIX,
    references: &[
        ATLAS_UNSAFE_ARTIFACT,
        CWE_502,
        Reference {
            id: "GHSA-9726-w42j-3qjr",
            url: "https://github.com/advisories/GHSA-9726-w42j-3qjr",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A global that builds code objects or functions from data.
pub const PKL104_PICKLE_CODE_OBJECT_GLOBAL: Rule = Rule {
    code: "PKL104",
    name: "pickle-code-object-global",
    severity: Severity::Critical,
    title: "Pickle constructs code objects or functions from bytes",
    finds: "Imports that turn data into executable code: `types.CodeType`, `types.FunctionType`, \
`marshal.loads`, `cloudpickle` function reconstruction, `dill` internals.",
    why: "A function rebuilt from marshalled bytecode can do anything, and its behaviour is invisible to a \
scanner that only reads names. Serialisers such as dill and cloudpickle legitimately do this, which is \
exactly why their output must never be loaded from an untrusted source.",
    fix: DANGEROUS_GLOBAL_FIX,
    references: &[
        ATLAS_UNSAFE_ARTIFACT,
        CWE_502,
        Reference {
            id: "GHSA-9m3x-qqw2-h32h",
            url: "https://github.com/advisories/GHSA-9m3x-qqw2-h32h",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A global that deserialises a second payload the scanner never sees.
pub const PKL105_PICKLE_NESTED_LOADER_GLOBAL: Rule = Rule {
    code: "PKL105",
    name: "pickle-nested-loader-global",
    severity: Severity::Critical,
    title: "Pickle calls another deserialiser",
    finds: "Imports of loaders that unpickle a further payload: `pickle.loads`, `_pickle`, `torch.load`, \
`torch.serialization.load`, `torch.storage._load_from_bytes`, `numpy.load`, `joblib.load`, `dill.loads`, \
`base64`/`codecs` decoders used to unwrap an inner payload.",
    why: "The inner payload is decoded only at load time, so its imports are hidden from scanners that read \
the outer stream alone (modelscan #267). airlock also decodes embedded pickles it can see (PKL112).",
    fix: DANGEROUS_GLOBAL_FIX,
    references: &[
        ATLAS_UNSAFE_ARTIFACT,
        CWE_502,
        Reference {
            id: "modelscan#267",
            url: "https://github.com/protectai/modelscan/issues/267",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A global that reaches into a model scanner to disable or patch it.
pub const PKL106_PICKLE_SCANNER_TAMPER_GLOBAL: Rule = Rule {
    code: "PKL106",
    name: "pickle-scanner-tamper-global",
    severity: Severity::Critical,
    title: "Pickle imports a model scanner",
    finds: "Imports of model-scanning tools (`picklescan`, `modelscan`, `fickling`, `modelaudit`) from \
inside a model file.",
    why: "No model needs its scanner at load time. A pickle that imports one is trying to patch or disable \
it for the files loaded after it.",
    fix: DANGEROUS_GLOBAL_FIX,
    references: &[
        ATLAS_UNSAFE_ARTIFACT,
        CWE_502,
        Reference {
            id: "fickling#249",
            url: "https://github.com/trailofbits/fickling/pull/249",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// An import path that walks through dunder attributes.
pub const PKL107_PICKLE_DUNDER_ATTRIBUTE: Rule = Rule {
    code: "PKL107",
    name: "pickle-dunder-attribute",
    severity: Severity::Critical,
    title: "Pickle import walks through a dunder attribute",
    finds: "A dotted global name (protocol 4+ `STACK_GLOBAL`, or a name set with BUILD) that passes through \
`__builtins__`, `__globals__`, `__class__`, `__subclasses__`, `__dict__` or another dunder attribute, such as \
`numpy.__builtins__.eval`.",
    why: "Dunder attributes lead from any harmless module to the interpreter's builtins, so an allowlisted \
module name is no protection once the attribute path is followed (modelscan #330).",
    fix: DANGEROUS_GLOBAL_FIX,
    references: &[
        ATLAS_UNSAFE_ARTIFACT,
        CWE_502,
        Reference {
            id: "modelscan#330",
            url: "https://github.com/protectai/modelscan/issues/330",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A call whose callable was computed at load time rather than imported by name.
pub const PKL110_PICKLE_COMPUTED_CALLABLE: Rule = Rule {
    code: "PKL110",
    name: "pickle-computed-callable",
    severity: Severity::High,
    title: "Pickle calls a callable computed at load time",
    finds: "REDUCE, OBJ, NEWOBJ, NEWOBJ_EX or INST applied to something that is not a plainly imported \
name: the result of another call, a value fetched from the memo after being replaced, an attribute \
obtained at load time.",
    why: "When the callable is computed, no list of names can say what will run: `getattr(module, \
\"sys\" + \"tem\")(...)` calls `os.system` without the name ever appearing. Legitimate model files call \
only imported constructors.",
    fix: "Do not load the file. Inspect the evidence to see how the callable is built.",
    references: &[
        ATLAS_UNSAFE_ARTIFACT,
        CWE_502,
        Reference {
            id: "modelscan#331",
            url: "https://github.com/protectai/modelscan/issues/331",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// BUILD applied to an imported class, function or module instead of an instance.
pub const PKL111_PICKLE_BUILD_ON_GLOBAL: Rule = Rule {
    code: "PKL111",
    name: "pickle-build-on-global",
    severity: Severity::High,
    title: "Pickle mutates an imported object",
    finds: "A BUILD opcode whose target is an imported global (a class, function or module) rather than \
an object the pickle created; likewise APPEND(S), SETITEM(S) or ADDITEMS applied to an imported global, \
which call its `extend`, `__setitem__` or `add` (`sys.modules[\"os\"] = …`).",
    why: "BUILD on a global calls `setattr` on shared interpreter state: it can replace a function of an \
allowlisted module with a dangerous one, or plant names that later imports resolve (modelscan #85, #330). \
That is also how Sleepy Pickle style payloads tamper with a model in memory.",
    fix: "Do not load the file.",
    references: &[
        ATLAS_UNSAFE_ARTIFACT,
        CWE_502,
        Reference {
            id: "modelscan#85",
            url: "https://github.com/protectai/modelscan/issues/85",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A bytes or string constant that is itself a pickle (raw, base64 or hex).
pub const PKL112_PICKLE_EMBEDDED_PICKLE: Rule = Rule {
    code: "PKL112",
    name: "pickle-embedded-pickle",
    severity: Severity::Medium,
    title: "Pickle carries another pickle inside a constant",
    finds: "A bytes or string constant whose content is a pickle stream, raw or base64/hex encoded. airlock \
analyses the inner stream and reports its findings with the member chain `…!<embedded@offset>`.",
    why: "Model files have no reason to carry serialised pickles as data; an inner payload is how attackers \
hide imports from scanners that read only the outer stream.",
    fix: "Review the inner stream's findings. Treat the file as hostile if any are high or critical.",
    references: &[ATLAS_UNSAFE_ARTIFACT, CWE_502],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// An import that is neither known safe nor known dangerous.
pub const PKL201_PICKLE_UNKNOWN_GLOBAL: Rule = Rule {
    code: "PKL201",
    name: "pickle-unknown-global",
    severity: Severity::Medium,
    title: "Pickle imports a global outside the allowlist",
    finds: "An import that the allowlist of legitimate PyTorch, NumPy, scikit-learn, joblib and standard \
library reconstructors does not name, and that the denylist does not grade.",
    why: "airlock denies by default: loading the file imports and calls this name, and whether that is safe \
depends on code airlock has not vetted. Denylists miss new gadgets every month; the allowlist does not.",
    fix: "If the name is a legitimate class of your own code base or a library you trust, add it to \
`[scan.pickle] allow` in `airlock.toml` with a `reason`. Otherwise treat the file as suspicious.",
    references: &[ATLAS_UNSAFE_ARTIFACT, CWE_502, PYTHON_PICKLE_WARNING],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// An EXT1/EXT2/EXT4 opcode that names a global by a registry number.
pub const PKL202_PICKLE_EXTENSION_CODE: Rule = Rule {
    code: "PKL202",
    name: "pickle-extension-code",
    severity: Severity::High,
    title: "Pickle imports a global through the copyreg extension registry",
    finds: "EXT1, EXT2 or EXT4 opcodes, which import whatever global the loading process registered under a \
number with `copyreg.add_extension`.",
    why: "The imported name is not in the file, so no scanner can say what it is. Stock Python registers no \
extension codes, so legitimate model files never use these opcodes.",
    fix: "Do not load the file unless you know which extension registry the producer relied on.",
    references: &[ATLAS_UNSAFE_ARTIFACT, CWE_502, PYTHON_PICKLE_WARNING],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A pickle stream that does not parse to the end.
pub const PKL501_PICKLE_MALFORMED: Rule = Rule {
    code: "PKL501",
    name: "pickle-malformed",
    severity: Severity::High,
    title: "Pickle stream is malformed",
    finds: "An invalid opcode, a truncated argument, a stack underflow, a missing MARK, an undefined memo \
key or garbage after the last STOP. Everything found before the break is still reported.",
    why: "Python executes opcodes as it reads them, so a payload placed before deliberately broken bytes runs \
even though loading then fails; the nullifAI models used exactly this to slip past picklescan. A file that \
is merely corrupt cannot be trusted either.",
    fix: "Treat the file as hostile until its origin explains the corruption; re-download it from a source \
you trust and compare digests.",
    references: &[ATLAS_UNSAFE_ARTIFACT, NULLIFAI, CWE_20],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

const LIMIT_FIX: &str = "Raise the limit in `airlock.toml` (`[scan.limits]`) if the file is legitimately \
this large, and re-scan; until then the file is not known to be clean.";

/// The opcode budget ran out before the stream ended.
pub const PKL901_PICKLE_OPCODE_LIMIT: Rule = Rule {
    code: "PKL901",
    name: "pickle-opcode-limit",
    severity: Severity::High,
    title: "Pickle has more opcodes than the scan allows",
    finds: "A stream whose opcode count exceeds `scan.limits.max-opcodes` (default 200 million).",
    why: "Analysis stopped at the limit, so the rest of the stream was not checked. Opcode floods are also \
used to exhaust scanners.",
    fix: LIMIT_FIX,
    references: &[CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// The memo grew past its bound.
pub const PKL902_PICKLE_MEMO_LIMIT: Rule = Rule {
    code: "PKL902",
    name: "pickle-memo-limit",
    severity: Severity::High,
    title: "Pickle memo has more entries than the scan allows",
    finds: "A stream that stores more than `scan.limits.max-memo` (default 10 million) memo entries.",
    why: "The memo is how pickles share and amplify values (\"billion laughs\"). Analysis stopped at the limit.",
    fix: LIMIT_FIX,
    references: &[CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// The VM stack grew past its bound.
pub const PKL903_PICKLE_STACK_LIMIT: Rule = Rule {
    code: "PKL903",
    name: "pickle-stack-limit",
    severity: Severity::High,
    title: "Pickle stack is deeper than the scan allows",
    finds: "A stream that pushes more than `scan.limits.max-stack` (default 4 million) values at once.",
    why: "Analysis stopped at the limit, so the rest of the stream was not checked.",
    fix: LIMIT_FIX,
    references: &[CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// MARKs, containers or embedded pickles nest deeper than allowed.
pub const PKL904_PICKLE_NESTING_LIMIT: Rule = Rule {
    code: "PKL904",
    name: "pickle-nesting-limit",
    severity: Severity::High,
    title: "Pickle nests deeper than the scan allows",
    finds: "More open MARKs than `scan.limits.max-nesting` (default 10,000), or embedded pickles nested \
deeper than 8 levels.",
    why: "Deep nesting crashes recursive loaders and scanners; analysis stopped at the limit.",
    fix: LIMIT_FIX,
    references: &[CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// The pickle stream is longer than allowed.
pub const PKL905_PICKLE_SIZE_LIMIT: Rule = Rule {
    code: "PKL905",
    name: "pickle-size-limit",
    severity: Severity::High,
    title: "Pickle stream is larger than the scan allows",
    finds: "A pickle stream longer than `scan.limits.max-pickle-bytes` (default 16 GiB).",
    why: "Analysis stopped at the limit, so the rest of the stream was not checked.",
    fix: LIMIT_FIX,
    references: &[CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
