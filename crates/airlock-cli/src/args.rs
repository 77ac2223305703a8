//! Command-line arguments. The doc comments here are the `--help` text.

use std::path::PathBuf;

use airlock_core::Severity;
use clap::{Parser, Subcommand, ValueEnum};

use crate::env_vars;

/// Check AI models, datasets and libraries before you trust them.
///
/// airlock never executes, imports or extracts what it inspects.
#[derive(Debug, Parser)]
#[command(name = "airlock", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The airlock commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan model files and directories for hostile content, without executing them.
    ///
    /// Formats are detected by content, never by file name: raw and stacked pickles,
    /// PyTorch checkpoints (zip, legacy and TorchScript), joblib files (plain or
    /// compressed), NumPy .npy/.npz, and zip and tar archives nested in each other.
    ///
    /// Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 when airlock
    /// itself could not run.
    Scan(ScanArgs),
    /// List every rule airlock can report.
    Rules(RulesArgs),
    /// Explain one rule: what it finds, why it matters, what to do.
    Explain(ExplainArgs),
    /// Pin the size and digests of every artifact under a directory in `airlock.lock`.
    ///
    /// Every regular file (and link to one) is listed with its size and SHA-256 (and
    /// BLAKE3 with --blake3), except the lockfile itself, .git/.hg/.svn directories and
    /// Hugging Face cache bookkeeping (blobs/, .no_exist/, .locks/). Each model directory
    /// gets the OpenSSF Model Signing subject digest a `model_signing` signature would
    /// carry, and, inside a Hugging Face cache, its repo id and revision. In a Hugging Face
    /// cache, every snapshot file is also checked against the blob name it links to; on a
    /// mismatch nothing is written. The format is described in docs/lockfile.md.
    ///
    /// Exit status: 0 when the lock was written, 1 when a Hugging Face cache blob does not
    /// match its name, 2 when airlock itself could not run.
    Lock(LockArgs),
    /// Check a directory against its `airlock.lock`, or a model against an OpenSSF Model
    /// Signing signature.
    ///
    /// Without --signature: modified, missing, added and renamed files, changed model
    /// digests, and Hugging Face cache blobs that do not match their names, against the
    /// lockfile.
    ///
    /// With --signature: checks the signature (made by `airlock sign` or any
    /// `model_signing` 1.x: key, certificate or Sigstore keyless; files or shards; SHA-256,
    /// BLAKE2b or BLAKE3), then re-hashes the model the way the signature records and
    /// names every mismatched, missing and extra file with both digests. Trust comes from
    /// exactly one of --key, --certificate-chain, or --identity with --issuer (keyless,
    /// checked offline against --trusted-root or the Sigstore public-good root built into
    /// airlock).
    ///
    /// Exit status: 0 when everything matches (or --update rewrote the lock), 1 on any
    /// difference or a signature that does not hold, 2 when airlock itself could not run
    /// (no lock, unreadable key or file).
    Verify(VerifyArgs),
    /// Write the AI bill of materials of a project: its models, datasets, libraries and
    /// hosted AI services, with digests, licences and lineage.
    ///
    /// Found offline, never executing anything: Hugging Face model and dataset folders and
    /// cards, the Hugging Face cache (repo and revision per snapshot), loose model and data
    /// files (format by content), Python/Rust/npm manifests and lockfiles, and models,
    /// datasets and AI services named in code and config. CycloneDX 1.6 JSON by default
    /// (1.7 with --spec-version), SPDX 3.0.1 JSON-LD with --format spdx, or a summary with
    /// each model's completeness with --format table. docs/bom.md maps every field.
    ///
    /// A model that lacks its source or its digests is named in a warning on stderr.
    ///
    /// Exit status: 0 when the BOM was written, 2 when airlock could not run.
    Bom(BomArgs),
    /// Sign a model directory or file as OpenSSF Model Signing (`model_signing` 1.1.1
    /// verifies the result).
    ///
    /// Writes a Sigstore bundle (v0.3) whose DSSE envelope signs an in-toto statement listing
    /// every file with its digest, and the model's subject digest (the one `airlock lock`
    /// records). The signature file is left out of the manifest when it lies inside the
    /// model, as are .git, .gitignore, .gitattributes and .github at the model root.
    ///
    /// Exit status: 0 when the signature was written, 2 when airlock could not sign.
    Sign(SignArgs),
    /// Create an ECDSA key pair for `airlock sign` (PKCS#8 PEM, private key readable by its
    /// owner only).
    ///
    /// With --passphrase the private key is encrypted (PBES2: PBKDF2-SHA256, AES-256-CBC),
    /// with the passphrase from $AIRLOCK_KEY_PASSPHRASE or asked on the terminal.
    Keygen(KeygenArgs),
}

/// Options shared by `sign` and `verify --signature`: which files make up the model.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelPathOptions {
    /// Leave this path out of the model (relative to the current directory, or absolute;
    /// a directory leaves out its whole subtree). Repeatable.
    #[arg(long = "ignore-paths", value_name = "PATH")]
    pub ignore_paths: Vec<PathBuf>,

    /// Include .git, .gitignore, .gitattributes and .github at the model root.
    #[arg(long)]
    pub no_ignore_git_paths: bool,

    /// Follow symbolic links to files instead of refusing them.
    #[arg(long)]
    pub allow_symlinks: bool,
}

/// Arguments of `airlock sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// Model directory or single model file to sign.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// ECDSA private key (PEM: PKCS#8, encrypted PKCS#8 or SEC1; P-256, P-384 or P-521).
    #[arg(long, value_name = "KEY.pem")]
    pub key: PathBuf,

    /// Where to write the signature.
    #[arg(long, value_name = "FILE", default_value = "model.sig")]
    pub signature: PathBuf,

    /// Sign as this certificate's holder (PEM leaf certificate for --key); the bundle
    /// then carries the certificate chain instead of a key hint.
    #[arg(long, value_name = "CERT.pem")]
    pub certificate: Option<PathBuf>,

    /// Intermediate certificates (PEM) to put in the bundle after the leaf. Repeatable.
    #[arg(long, value_name = "CHAIN.pem", requires = "certificate")]
    pub certificate_chain: Vec<PathBuf>,

    /// Content hash of each resource. Only sha256 is checked by `model_signing verify`'s
    /// command line (its API and airlock check all three).
    #[arg(long, value_enum, default_value_t = HashChoice::Sha256)]
    pub hash: HashChoice,

    /// Sign fixed-size byte ranges of each file instead of whole files (model_signing's
    /// shard serialization; its command line cannot verify these).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub shard_size: Option<u64>,

    #[command(flatten)]
    pub model: ModelPathOptions,

    /// Do not draw a progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long, env = env_vars::AIRLOCK_NO_PROGRESS)]
    pub no_progress: bool,
}

/// The resource hashes `airlock sign` can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HashChoice {
    /// SHA-256 (what every OMS verifier checks).
    Sha256,
    /// BLAKE2b-512.
    Blake2b,
    /// BLAKE3.
    Blake3,
}

/// Arguments of `airlock bom`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BomArgs {
    /// Compare two BOMs instead of writing one.
    #[command(subcommand)]
    pub action: Option<BomAction>,

    /// Project directory.
    #[arg(value_name = "PATH", required = true)]
    pub path: Option<PathBuf>,

    /// Document format (or a summary table).
    #[arg(long, value_enum, default_value_t = BomFormat::Cyclonedx)]
    pub format: BomFormat,

    /// CycloneDX version.
    #[arg(long, value_enum, default_value_t = CycloneDxVersion::V1_6)]
    pub spec_version: CycloneDxVersion,

    /// Write the document here and print the summary table on stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print the lineage tree (base models, training data) instead of a document.
    #[arg(long, conflicts_with = "output")]
    pub graph: bool,

    /// Do not hash model and data files (faster; the BOM then has no file digests).
    #[arg(long)]
    pub no_hash: bool,

    /// Project name (default: the name its pyproject.toml gives, else the folder name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// What `airlock bom` can do besides writing a BOM.
#[derive(Debug, Subcommand)]
pub enum BomAction {
    /// Compare two BOMs (CycloneDX 1.4-1.7 or SPDX 3 JSON, from airlock or other tools):
    /// components added, removed and changed (version, digests, licences), and lineage
    /// edges added and removed. Components are matched by kind and name, not by bom-ref.
    ///
    /// Exit status: 0 when they describe the same things, 1 when anything differs, 2 when a
    /// document cannot be read.
    Diff(BomDiffArgs),
    /// Merge BOMs (CycloneDX or SPDX, from airlock or other tools) into one: each input
    /// project becomes an application component of the merged one, components and services
    /// are kept once, and every dependency and lineage edge is kept.
    Merge(BomMergeArgs),
}

/// Arguments of `airlock bom merge`.
#[derive(Debug, clap::Args)]
pub struct BomMergeArgs {
    /// The BOMs to merge.
    #[arg(value_name = "BOM", required = true, num_args = 2..)]
    pub inputs: Vec<PathBuf>,

    /// Name of the merged subject (a product, a team, a deployment).
    #[arg(long, value_name = "NAME", default_value = "merged")]
    pub name: String,

    /// Document format (table is not available for merges).
    #[arg(long, value_enum, default_value_t = BomFormat::Cyclonedx)]
    pub format: BomFormat,

    /// CycloneDX version.
    #[arg(long, value_enum, default_value_t = CycloneDxVersion::V1_6)]
    pub spec_version: CycloneDxVersion,

    /// Write the merged document here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `airlock bom diff`.
#[derive(Debug, clap::Args)]
pub struct BomDiffArgs {
    /// The earlier BOM.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The later BOM.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// What `airlock bom` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BomFormat {
    /// CycloneDX JSON.
    Cyclonedx,
    /// SPDX 3.0.1 JSON-LD (AI and Dataset profiles).
    Spdx,
    /// A human-readable summary with each model's completeness.
    Table,
}

/// CycloneDX versions airlock writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CycloneDxVersion {
    /// CycloneDX 1.6 (ECMA-424 1st edition).
    #[value(name = "1.6")]
    V1_6,
    /// CycloneDX 1.7.
    #[value(name = "1.7")]
    V1_7,
}

/// Arguments of `airlock keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the private key (mode 0600).
    #[arg(long, value_name = "FILE", default_value = "signing-key.pem")]
    pub private_key: PathBuf,

    /// Where to write the public key.
    #[arg(long, value_name = "FILE", default_value = "signing-key.pub.pem")]
    pub public_key: PathBuf,

    /// Curve of the key.
    #[arg(long, value_enum, default_value_t = CurveChoice::P256)]
    pub curve: CurveChoice,

    /// Encrypt the private key with a passphrase ($AIRLOCK_KEY_PASSPHRASE, or asked on the
    /// terminal).
    #[arg(long)]
    pub passphrase: bool,

    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,
}

/// The curves OMS signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CurveChoice {
    /// NIST P-256 with SHA-256.
    P256,
    /// NIST P-384 with SHA-384.
    P384,
    /// NIST P-521 with SHA-512.
    P521,
}

/// Arguments of `airlock lock`.
#[derive(Debug, clap::Args)]
pub struct LockArgs {
    /// Directory to lock.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// Also record BLAKE3 digests (computed in parallel within each file).
    #[arg(long)]
    pub blake3: bool,

    /// Where to write the lockfile (default: PATH/airlock.lock).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Do not draw a progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long, env = env_vars::AIRLOCK_NO_PROGRESS)]
    pub no_progress: bool,
}

/// Arguments of `airlock verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Directory to check.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// Lockfile to check against (default: PATH/airlock.lock).
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,

    /// Accept the tree as it is now: report the differences, then rewrite the lockfile
    /// (keeping BLAKE3 digests if it had them). Not done when a Hugging Face cache blob
    /// does not match its name.
    #[arg(long)]
    pub update: bool,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// Do not draw a progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long, env = env_vars::AIRLOCK_NO_PROGRESS)]
    pub no_progress: bool,

    /// Verify against this OpenSSF Model Signing signature instead of the lockfile; PATH
    /// may then be a single file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["lock", "update"])]
    pub signature: Option<PathBuf>,

    /// Public key (PEM) the signature must be made with.
    #[arg(long, value_name = "PUB.pem", requires = "signature", conflicts_with_all = ["certificate_chain", "identity"])]
    pub key: Option<PathBuf>,

    /// Trusted CA certificates (PEM); the signing certificate must chain to one of them.
    /// Repeatable. Validity is checked at the leaf's notBefore, as model_signing does.
    #[arg(
        long,
        value_name = "CA.pem",
        requires = "signature",
        conflicts_with = "identity"
    )]
    pub certificate_chain: Vec<PathBuf>,

    /// Keyless: the signer identity (e-mail or URI in the Fulcio certificate).
    #[arg(long, value_name = "ID", requires_all = ["signature", "issuer"])]
    pub identity: Option<String>,

    /// Keyless: the OIDC issuer that vouched for --identity.
    #[arg(long, value_name = "URL", requires = "identity")]
    pub issuer: Option<String>,

    /// Keyless: a Sigstore trusted_root.json (default: the public-good root built into this
    /// airlock, which does not refresh itself).
    #[arg(long, value_name = "FILE", requires = "identity")]
    pub trusted_root: Option<PathBuf>,

    /// Signature mode: check only the files the signature lists (new files are not an error).
    #[arg(long, requires = "signature")]
    pub ignore_unsigned_files: bool,

    #[command(flatten)]
    pub model: ModelPathOptions,
}

/// Arguments of `airlock scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files and directories to scan (directories recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,

    /// Exit with status 1 when a finding is at least this severe.
    #[arg(long, value_name = "SEVERITY", default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,

    /// Config file with a `[scan]` table (default: `airlock.toml` in the current
    /// directory, if present).
    #[arg(long, value_name = "FILE", env = env_vars::AIRLOCK_CONFIG)]
    pub config: Option<PathBuf>,

    /// Do not draw a progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long, env = env_vars::AIRLOCK_NO_PROGRESS)]
    pub no_progress: bool,
}

/// Arguments of `airlock rules`.
#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// Arguments of `airlock explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Rule code (`PKL101`) or name (`pickle-exec-global`).
    #[arg(value_name = "RULE")]
    pub rule: String,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// How `scan` writes its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Human-readable text.
    Table,
    /// One JSON document, described in docs/json-format.md.
    Json,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
}

/// How `rules`, `explain` and `verify` write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Human-readable text.
    Table,
    /// JSON.
    Json,
}

fn parse_severity(value: &str) -> Result<Severity, String> {
    value
        .parse()
        .map_err(|err: airlock_core::ParseSeverityError| err.to_string())
}
