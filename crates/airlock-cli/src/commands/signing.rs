//! `airlock keygen`, `airlock sign` and `airlock verify --signature`: OpenSSF Model
//! Signing with keys, certificates and (verify only) Sigstore keyless bundles.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use airlock_integrity::IntegrityError;
use airlock_integrity::signing::SignatureError;
use airlock_integrity::signing::certificate::parse_pem_certificates;
use airlock_integrity::signing::keys::{Curve, KeyError, PrivateKey, PublicKey};
use airlock_integrity::signing::manifest::{
    self, DEFAULT_IGNORE_PATHS, HashAlgorithm, Manifest, Method, Serialization,
};
use airlock_integrity::signing::sign::sign as sign_manifest;
use airlock_integrity::signing::verify::{
    ManifestDiff, ResourceDigest, Trust, VerifyOptions, check_model, check_signature,
};
use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::Outcome;
use crate::args::{
    CurveChoice, HashChoice, KeygenArgs, ListFormat, ModelPathOptions, SignArgs, VerifyArgs,
};
use crate::commands::files;
use crate::commands::progress::Bar;
use crate::env_vars::AIRLOCK_KEY_PASSPHRASE;

/// Signature files larger than this are refused unread: a bundle lists one line per file
/// or shard, so even a model of a million files stays far below it.
const MAX_SIGNATURE_BYTES: u64 = 256 << 20;

pub fn keygen(args: &KeygenArgs) -> Result<Outcome> {
    for path in [&args.private_key, &args.public_key] {
        if !args.force && path.exists() {
            bail!("`{}` exists; pass --force to overwrite it", path.display());
        }
    }
    let curve = match args.curve {
        CurveChoice::P256 => Curve::P256,
        CurveChoice::P384 => Curve::P384,
        CurveChoice::P521 => Curve::P521,
    };
    let passphrase = if args.passphrase {
        Some(new_passphrase()?)
    } else {
        None
    };
    let key = PrivateKey::generate(curve);
    let pem = key.to_pkcs8_pem(passphrase.as_deref().map(str::as_bytes))?;
    write_private(&args.private_key, pem.as_bytes())?;
    let public = key.public_key();
    std::fs::write(&args.public_key, public.to_pem())
        .with_context(|| format!("cannot write `{}`", args.public_key.display()))?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "wrote {} ({curve} private key{}, mode 0600) and {}",
        args.private_key.display(),
        if passphrase.is_some() {
            ", encrypted"
        } else {
            ""
        },
        args.public_key.display()
    )?;
    writeln!(
        out,
        "key hint (sha256 of the public key PEM): {}",
        public.hint()
    )?;
    Ok(Outcome::Clean)
}

pub fn sign(args: &SignArgs) -> Result<Outcome> {
    let key = load_private_key(&args.key)?;
    let chain = match &args.certificate {
        None => None,
        Some(leaf) => {
            let mut chain = read_certificates(leaf)?;
            chain.truncate(1);
            for extra in &args.certificate_chain {
                chain.extend(read_certificates(extra)?);
            }
            Some(chain)
        }
    };
    let mut ignore_paths = resolve_ignore_paths(&args.path, &args.model, &args.signature)?;
    if !args.model.no_ignore_git_paths {
        ignore_paths.extend(DEFAULT_IGNORE_PATHS.iter().map(|path| (*path).to_owned()));
    }
    ignore_paths.sort();
    ignore_paths.dedup();
    let serialization = Serialization {
        method: match args.shard_size {
            Some(shard_size) => Method::Shards { shard_size },
            None => Method::Files,
        },
        hash: match args.hash {
            HashChoice::Sha256 => HashAlgorithm::Sha256,
            HashChoice::Blake2b => HashAlgorithm::Blake2b,
            HashChoice::Blake3 => HashAlgorithm::Blake3,
        },
        allow_symlinks: args.model.allow_symlinks,
        ignore_paths,
    };
    let progress = Bar::new(!args.no_progress && io::stderr().is_terminal(), "hashing");
    let manifest = manifest::compute(&args.path, &serialization, None, &progress);
    progress.finish();
    let manifest = manifest?;
    let bundle = sign_manifest(&manifest, &key, chain.as_deref())?;
    files::write_atomically(&args.signature, bundle.to_json().as_bytes())?;
    writeln!(
        io::stdout().lock(),
        "signed {}: {} with {}, subject sha256 {} -> {}",
        manifest.model_name,
        resource_count(&manifest),
        match &chain {
            Some(_) => "a certificate".to_owned(),
            None => format!("key {}", key.public_key().hint()),
        },
        hex::encode(manifest.subject_sha256()),
        args.signature.display()
    )?;
    Ok(Outcome::Clean)
}

/// `airlock verify PATH --signature SIG ...`.
pub fn verify(args: &VerifyArgs, signature: &Path) -> Result<Outcome> {
    let trust = trust(args)?;
    let bytes = read_bounded(signature)?;
    let mut out = io::stdout().lock();
    let check = match check_signature(&bytes, &trust) {
        Ok(check) => check,
        Err(error) => {
            return report_rejection(&mut out, args.format, &args.path, signature, &error);
        }
    };
    let mut err = io::stderr().lock();
    for warning in &check.warnings {
        writeln!(err, "warning: {warning}")?;
    }
    let options = VerifyOptions {
        ignore_paths: resolve_ignore_paths(&args.path, &args.model, signature)?,
        ignore_git_paths: !args.model.no_ignore_git_paths,
        allow_symlinks: args.model.allow_symlinks,
        ignore_unsigned_files: args.ignore_unsigned_files,
    };
    let progress = Bar::new(!args.no_progress && io::stderr().is_terminal(), "hashing");
    let model = check_model(&args.path, &check.statement.manifest, &options, &progress);
    progress.finish();
    let model = match model {
        Ok(model) => model,
        // Something in the model that OMS refuses (a planted link, a device file): the
        // model does not verify, as model_signing also concludes.
        Err(error @ IntegrityError::Unsupported { .. }) => {
            let error = SignatureError::Malformed(format!("the model cannot be verified: {error}"));
            return report_rejection(&mut out, args.format, &args.path, signature, &error);
        }
        Err(error) => return Err(error.into()),
    };
    let verified = model.diff.is_clean();
    match args.format {
        ListFormat::Table => {
            write_diff(&mut out, &model.diff)?;
            let signed = &check.statement.manifest;
            if verified {
                writeln!(
                    out,
                    "OK: {} matches {} ({}, {}), signed by {}",
                    args.path.display(),
                    signature.display(),
                    resource_count(signed),
                    signed.serialization.resource_algorithm(),
                    check.signer
                )?;
            } else {
                writeln!(
                    out,
                    "FAILED: {} does not match {} (signed by {}): {}",
                    args.path.display(),
                    signature.display(),
                    check.signer,
                    summary(&model.diff)
                )?;
            }
        }
        ListFormat::Json => {
            let report = json!({
                "version": 1,
                "path": args.path,
                "signature": signature,
                "verified": verified,
                "signature_valid": true,
                "signer": check.signer,
                "predicate_type": check.statement.predicate_type,
                "model_name": check.statement.manifest.model_name,
                "subject_sha256": hex::encode(check.statement.manifest.subject_sha256()),
                "resources": check.statement.manifest.resources.len(),
                "mismatched": model.diff.mismatched,
                "missing": model.diff.missing,
                "extra": model.diff.extra,
                "warnings": check.warnings,
            });
            let text = serde_json::to_string_pretty(&report)?;
            writeln!(out, "{text}")?;
        }
    }
    out.flush()?;
    Ok(if verified {
        Outcome::Clean
    } else {
        Outcome::Failed
    })
}

fn report_rejection(
    out: &mut dyn Write,
    format: ListFormat,
    path: &Path,
    signature: &Path,
    error: &SignatureError,
) -> Result<Outcome> {
    match format {
        ListFormat::Table => writeln!(out, "FAILED: {}: {error}", signature.display())?,
        ListFormat::Json => {
            let report = json!({
                "version": 1,
                "path": path,
                "signature": signature,
                "verified": false,
                "signature_valid": false,
                "error": error.to_string(),
            });
            let text = serde_json::to_string_pretty(&report)?;
            writeln!(out, "{text}")?;
        }
    }
    out.flush()?;
    Ok(Outcome::Failed)
}

fn trust(args: &VerifyArgs) -> Result<Trust> {
    if let Some(key) = &args.key {
        let pem = read_text(key)?;
        let key = PublicKey::from_pem(&pem).with_context(|| format!("in `{}`", key.display()))?;
        return Ok(Trust::Key(key));
    }
    if !args.certificate_chain.is_empty() {
        let mut anchors = Vec::new();
        for path in &args.certificate_chain {
            anchors.extend(read_certificates(path)?);
        }
        return Ok(Trust::CertificateAnchors(anchors));
    }
    if let (Some(identity), Some(issuer)) = (&args.identity, &args.issuer) {
        return keyless_trust(identity, issuer, args.trusted_root.as_deref());
    }
    bail!(
        "say what to trust: --key PUB.pem, --certificate-chain CA.pem, or --identity ID --issuer URL"
    )
}

#[cfg(feature = "sigstore")]
fn keyless_trust(identity: &str, issuer: &str, trusted_root: Option<&Path>) -> Result<Trust> {
    use airlock_integrity::signing::keyless::{KeylessPolicy, KeylessTrustRoot};
    let root = match trusted_root {
        Some(path) => KeylessTrustRoot::from_file(path)?,
        None => KeylessTrustRoot::embedded()?,
    };
    Ok(Trust::Keyless {
        root,
        policy: KeylessPolicy {
            identity: identity.to_owned(),
            issuer: issuer.to_owned(),
        },
    })
}

#[cfg(not(feature = "sigstore"))]
fn keyless_trust(_identity: &str, _issuer: &str, _trusted_root: Option<&Path>) -> Result<Trust> {
    bail!(
        "this airlock was built without the `sigstore` feature; keyless signatures cannot be verified"
    )
}

/// "1 file", "3 shards".
fn resource_count(manifest: &Manifest) -> String {
    let count = manifest.resources.len();
    let unit = match manifest.serialization.method {
        Method::Files => "file",
        Method::Shards { .. } => "shard",
    };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

fn write_diff(out: &mut dyn Write, diff: &ManifestDiff) -> io::Result<()> {
    let digest = |out: &mut dyn Write, side: &str, resource: &ResourceDigest| {
        writeln!(
            out,
            "          {side}  {} {}",
            resource.algorithm, resource.digest
        )
    };
    for mismatch in &diff.mismatched {
        writeln!(out, "mismatch  {}", mismatch.expected.name)?;
        digest(out, "signed", &mismatch.expected)?;
        digest(out, "actual", &mismatch.actual)?;
    }
    for missing in &diff.missing {
        writeln!(out, "missing   {}", missing.name)?;
        digest(out, "signed", missing)?;
    }
    for extra in &diff.extra {
        writeln!(out, "extra     {}", extra.name)?;
        digest(out, "actual", extra)?;
    }
    Ok(())
}

fn summary(diff: &ManifestDiff) -> String {
    [
        (diff.mismatched.len(), "mismatched"),
        (diff.missing.len(), "missing"),
        (diff.extra.len(), "extra (not signed)"),
    ]
    .iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, what)| format!("{count} {what}"))
    .collect::<Vec<_>>()
    .join(", ")
}

/// Model-relative ignore paths from the command line, as model_signing resolves them:
/// each path (relative to the current directory, or absolute) that lies inside the model
/// is kept relative to it, others are dropped. The signature file is always included.
fn resolve_ignore_paths(
    model: &Path,
    options: &ModelPathOptions,
    signature: &Path,
) -> Result<Vec<String>> {
    if !model.is_dir() {
        return Ok(Vec::new());
    }
    let root = std::fs::canonicalize(model)
        .with_context(|| format!("cannot read `{}`", model.display()))?;
    let mut relative = Vec::new();
    for path in options
        .ignore_paths
        .iter()
        .map(PathBuf::as_path)
        .chain([signature])
    {
        let resolved = resolve_lexically(path)?;
        if let Ok(inside) = resolved.strip_prefix(&root) {
            let name = inside
                .to_str()
                .with_context(|| format!("`{}` is not UTF-8", path.display()))?;
            relative.push(manifest::normalize_relative(
                &name.replace(std::path::MAIN_SEPARATOR, "/"),
            ));
        }
    }
    Ok(relative)
}

/// Canonicalizes as far as the path exists (Python's non-strict `resolve`).
fn resolve_lexically(path: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(path)
        .with_context(|| format!("cannot resolve `{}`", path.display()))?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = std::fs::canonicalize(existing) {
            let mut resolved = canonical;
            resolved.extend(rest.iter().rev());
            return Ok(resolved);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return Ok(absolute),
        }
    }
}

fn load_private_key(path: &Path) -> Result<PrivateKey> {
    let pem = read_text(path)?;
    let context = || format!("in `{}`", path.display());
    match PrivateKey::from_pem(&pem, None) {
        Err(KeyError::NeedsPassphrase) => {
            let passphrase = existing_passphrase(path)?;
            Ok(PrivateKey::from_pem(&pem, Some(passphrase.as_bytes())).with_context(context)?)
        }
        other => Ok(other.with_context(context)?),
    }
}

fn existing_passphrase(path: &Path) -> Result<String> {
    if let Ok(passphrase) = std::env::var(AIRLOCK_KEY_PASSPHRASE) {
        return Ok(passphrase);
    }
    if !io::stdin().is_terminal() {
        bail!(
            "`{}` is encrypted: set {AIRLOCK_KEY_PASSPHRASE}",
            path.display()
        );
    }
    Ok(rpassword::prompt_password(format!(
        "passphrase for {}: ",
        path.display()
    ))?)
}

fn new_passphrase() -> Result<String> {
    if let Ok(passphrase) = std::env::var(AIRLOCK_KEY_PASSPHRASE) {
        if passphrase.is_empty() {
            bail!("{AIRLOCK_KEY_PASSPHRASE} is empty");
        }
        return Ok(passphrase);
    }
    if !io::stdin().is_terminal() {
        bail!("--passphrase needs {AIRLOCK_KEY_PASSPHRASE} or a terminal to ask on");
    }
    let first = rpassword::prompt_password("new passphrase: ")?;
    let second = rpassword::prompt_password("again: ")?;
    if first != second {
        bail!("the passphrases differ");
    }
    if first.is_empty() {
        bail!("an empty passphrase does not protect the key; leave out --passphrase instead");
    }
    Ok(first)
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = read_bounded(path)?;
    String::from_utf8(bytes)
        .with_context(|| format!("`{}` is not text (PEM or JSON expected)", path.display()))
}

fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?
        .len();
    if size > MAX_SIGNATURE_BYTES {
        bail!(
            "`{}` is {size} bytes; airlock reads signatures, keys and certificates up to {MAX_SIGNATURE_BYTES}",
            path.display()
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
}

fn read_certificates(path: &Path) -> Result<Vec<Vec<u8>>> {
    let pem = read_text(path)?;
    parse_pem_certificates(&pem).with_context(|| format!("in `{}`", path.display()))
}

/// Creates the private key file readable by its owner only, before any byte is written.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An existing file (--force) keeps its old mode through open(); narrow it first.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot restrict `{}`", path.display()))?;
        }
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}
