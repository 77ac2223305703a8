//! Interoperability with the reference OpenSSF Model Signing client, `model_signing` 1.1.1
//! (PyPI `model-signing`): signatures made by either tool verify with the other, and both tools
//! reach the same verdict on every tampering case.
//!
//! Needs `model_signing`: set `AIRLOCK_MODEL_SIGNING` to its executable (`.ci/run` installs it
//! from `tests/data/oms/requirements.txt` into a venv and sets it). When it is unset every test
//! prints `skipped: ...` to stderr and passes. Signing modes that only the Python API offers
//! (shards, BLAKE2, BLAKE3) run through the venv's `python` beside the executable.
#![cfg(unix)]

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

// -- running the two tools ------------------------------------------------------------------

/// Where `model_signing` and its venv's Python are.
struct Oms {
    cli: PathBuf,
    python: PathBuf,
}

fn oms(test: &str) -> Option<Oms> {
    match std::env::var_os("AIRLOCK_MODEL_SIGNING").filter(|v| !v.is_empty()) {
        Some(cli) => {
            let cli = PathBuf::from(cli);
            let python = cli.with_file_name("python");
            Some(Oms { cli, python })
        }
        None => {
            eprintln!(
                "skipped: {test} needs model_signing 1.1.1 (set AIRLOCK_MODEL_SIGNING to its \
                 executable, as .ci/run does)"
            );
            None
        }
    }
}

/// One finished command, printable in failure messages.
struct Run {
    cmd: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// A line that starts with `prefix` (after leading blanks) and contains `name`.
    fn has_line(&self, prefix: &str, name: &str) -> bool {
        self.text()
            .lines()
            .any(|l| l.trim_start().starts_with(prefix) && l.contains(name))
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ {}\nexit status: {:?}\n--- stdout\n{}--- stderr\n{}---",
            self.cmd, self.code, self.stdout, self.stderr
        )
    }
}

fn run(mut cmd: Command) -> Run {
    let line = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ");
    let line = match cmd.get_current_dir() {
        Some(dir) => format!("(cd {}) {line}", dir.display()),
        None => line,
    };
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {line}: {e}"));
    Run {
        cmd: line,
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `airlock ARGS` in `cwd`; `args` is split on whitespace (every path here is a plain name
/// inside the test's temporary directory). No config file, no passphrase in the environment.
fn airlock_cmd(cwd: &Path, args: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_airlock"));
    cmd.args(args.split_whitespace())
        .current_dir(cwd)
        .env_remove("AIRLOCK_CONFIG")
        .env_remove("AIRLOCK_KEY_PASSPHRASE");
    cmd
}

fn airlock(cwd: &Path, args: &str) -> Run {
    run(airlock_cmd(cwd, args))
}

fn airlock_with_passphrase(cwd: &Path, args: &str, passphrase: &str) -> Run {
    let mut cmd = airlock_cmd(cwd, args);
    cmd.env("AIRLOCK_KEY_PASSPHRASE", passphrase);
    run(cmd)
}

/// `model_signing ARGS` in `cwd`, `args` split on whitespace.
fn model_signing(oms: &Oms, cwd: &Path, args: &str) -> Run {
    let mut cmd = Command::new(&oms.cli);
    cmd.args(args.split_whitespace()).current_dir(cwd);
    run(cmd)
}

#[track_caller]
fn expect_code(run: &Run, code: i32) {
    assert_eq!(run.code, Some(code), "expected exit status {code}\n{run}");
}

#[track_caller]
fn expect_ms_verified(run: &Run) {
    expect_code(run, 0);
    assert!(run.text().contains("Verification succeeded"), "{run}");
}

#[track_caller]
fn expect_ms_signed(run: &Run) {
    expect_code(run, 0);
    assert!(run.text().contains("Signing succeeded"), "{run}");
}

// -- test data ------------------------------------------------------------------------------

/// The signed files of [`write_model`] in manifest order: path components compare one by one,
/// so `a/b` comes before `a.txt` although `/` > `.` byte-wise.
const SIGNED: [&str; 8] = [
    "README.md",
    "a/b",
    "a.txt",
    "config.json",
    "empty.bin",
    "model.safetensors",
    "sub/deeper/weights.bin",
    "sub/tokenizer.json",
];

fn weights() -> Vec<u8> {
    (0..5000u32).map(|i| (i * 31 % 251) as u8).collect()
}

/// `weights()` with one bit flipped.
fn tampered_weights() -> Vec<u8> {
    let mut bytes = weights();
    bytes[1234] ^= 0x01;
    bytes
}

fn content(name: &str) -> Vec<u8> {
    match name {
        "README.md" => b"# tiny model\n".to_vec(),
        "a/b" => b"b\n".to_vec(),
        "a.txt" => b"a".to_vec(),
        "config.json" => br#"{"hidden_size": 4}"#.to_vec(),
        "empty.bin" => Vec::new(),
        "model.safetensors" => weights(),
        "sub/deeper/weights.bin" => b"weights".to_vec(),
        "sub/tokenizer.json" => b"{}".to_vec(),
        ".gitignore" => b"*.tmp\n".to_vec(),
        _ => unreachable!("{name}"),
    }
}

/// A small model folder: nested folders, an empty file, `a.txt` beside folder `a/`, and a
/// `.gitignore` that the default ignore rules of both tools leave out of the manifest.
fn write_model(root: &Path) {
    for name in SIGNED.iter().chain([&".gitignore"]) {
        let path = root.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content(name)).unwrap();
    }
}

/// A temporary directory holding the model folder `m/`.
fn workspace() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write_model(&tmp.path().join("m"));
    tmp
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(airlock_integrity::hash::sha256(bytes))
}

/// OMS subject digest: SHA-256 over the raw resource digests in manifest order.
fn subject_digest(hex_digests: &[String]) -> String {
    let mut raw = Vec::new();
    for d in hex_digests {
        raw.extend(hex::decode(d).unwrap());
    }
    sha256_hex(&raw)
}

/// Copies test certificates (and keys) from airlock-integrity's test data into `dir`.
fn copy_certs(dir: &Path, names: &[&str]) {
    let certs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../airlock-integrity/tests/data/certs");
    for name in names {
        let from = certs.join(name);
        fs::copy(&from, dir.join(name))
            .unwrap_or_else(|e| panic!("test certificate {}: {e}", from.display()));
    }
}

/// `airlock keygen` into `cwd`: returns the private and public key file names.
fn keygen(cwd: &Path, name: &str, curve: &str) -> (String, String) {
    let (private, public) = (format!("{name}.pem"), format!("{name}.pub.pem"));
    let made = airlock(
        cwd,
        &format!("keygen --private-key {private} --public-key {public} --curve {curve}"),
    );
    expect_code(&made, 0);
    (private, public)
}

// -- reading a signature --------------------------------------------------------------------

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64_decode(text: &str) -> Vec<u8> {
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = B64
            .iter()
            .position(|&x| x == c)
            .unwrap_or_else(|| panic!("not base64: {text}"));
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

/// The in-toto Statement inside a signature bundle.
fn statement(bundle: &serde_json::Value) -> serde_json::Value {
    let payload = bundle["dsseEnvelope"]["payload"].as_str().expect("payload");
    serde_json::from_slice(&b64_decode(payload)).expect("payload is JSON")
}

/// (name, algorithm, digest) of each resource, in listed order.
fn resources(statement: &serde_json::Value) -> Vec<(String, String, String)> {
    statement["predicate"]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| {
            let field = |k: &str| {
                r[k].as_str()
                    .unwrap_or_else(|| panic!("{k}: {r}"))
                    .to_owned()
            };
            (field("name"), field("algorithm"), field("digest"))
        })
        .collect()
}

fn subject(statement: &serde_json::Value) -> (String, String) {
    let s = &statement["subject"][0];
    (
        s["name"].as_str().expect("subject name").to_owned(),
        s["digest"]["sha256"]
            .as_str()
            .expect("subject digest")
            .to_owned(),
    )
}

/// The files-mode SHA-256 statement of [`write_model`], whoever signed it.
#[track_caller]
fn check_model_statement(bundle: &serde_json::Value, model_name: &str) {
    let st = statement(bundle);
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1", "{st:#}");
    assert_eq!(st["predicateType"], "https://model_signing/signature/v1.0");
    let listed = resources(&st);
    let names: Vec<&str> = listed.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, SIGNED, "{st:#}");
    for (name, algorithm, digest) in &listed {
        assert_eq!(algorithm, "sha256", "{name}");
        assert_eq!(digest, &sha256_hex(&content(name)), "{name}");
    }
    let digests: Vec<String> = listed.into_iter().map(|r| r.2).collect();
    assert_eq!(
        subject(&st),
        (model_name.to_owned(), subject_digest(&digests))
    );
    let ser = &st["predicate"]["serialization"];
    assert_eq!(ser["method"], "files", "{ser}");
    assert_eq!(ser["hash_type"], "sha256", "{ser}");
}

// -- signing with airlock, verifying with model_signing --------------------------------------

#[test]
fn airlock_keygen_and_sign_verify_with_model_signing_on_every_curve() {
    let Some(oms) = oms("airlock_keygen_and_sign_verify_with_model_signing_on_every_curve") else {
        return;
    };
    let tmp = workspace();
    let dir = tmp.path();
    for curve in ["p256", "p384", "p521"] {
        let (key, public) = keygen(dir, curve, curve);
        let sig = format!("{curve}.sig");
        let signed = airlock(
            dir,
            &format!("sign m --key {key} --signature {sig} --no-progress"),
        );
        expect_code(&signed, 0);
        let bundle = read_json(&dir.join(&sig));
        assert_eq!(
            bundle["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        let material = &bundle["verificationMaterial"];
        // model_signing's key hint: hex SHA-256 of the public key PEM.
        assert_eq!(
            material["publicKey"]["hint"],
            sha256_hex(&fs::read(dir.join(&public)).unwrap()),
            "{curve}: {material}"
        );
        assert_eq!(material["tlogEntries"], serde_json::json!([]), "{curve}");
        assert_eq!(
            bundle["dsseEnvelope"]["payloadType"],
            "application/vnd.in-toto+json"
        );
        check_model_statement(&bundle, "m");

        expect_ms_verified(&model_signing(
            &oms,
            dir,
            &format!("verify key m --signature {sig} --public_key {public}"),
        ));
        let own = airlock(dir, &format!("verify m --signature {sig} --key {public}"));
        expect_code(&own, 0);
    }
}

#[test]
fn keygen_and_sign_defaults_are_model_signings() {
    let Some(oms) = oms("keygen_and_sign_defaults_are_model_signings") else {
        return;
    };
    let tmp = workspace();
    let dir = tmp.path();
    expect_code(&airlock(dir, "keygen"), 0);
    let private = fs::read(dir.join("signing-key.pem")).unwrap();
    assert!(dir.join("signing-key.pub.pem").is_file());
    // An existing key is not overwritten without --force.
    let again = airlock(dir, "keygen");
    assert_ne!(again.code, Some(0), "{again}");
    assert_eq!(fs::read(dir.join("signing-key.pem")).unwrap(), private);
    expect_code(&airlock(dir, "keygen --force"), 0);
    assert_ne!(fs::read(dir.join("signing-key.pem")).unwrap(), private);

    // `sign` writes model.sig in the current directory, as model_signing does.
    expect_code(
        &airlock(dir, "sign m --key signing-key.pem --no-progress"),
        0,
    );
    assert!(dir.join("model.sig").is_file());
    assert!(!dir.join("m/model.sig").exists());
    expect_ms_verified(&model_signing(
        &oms,
        dir,
        "verify key m --signature model.sig --public_key signing-key.pub.pem",
    ));
}

#[test]
fn encrypted_airlock_keys_sign_with_both_tools() {
    let Some(oms) = oms("encrypted_airlock_keys_sign_with_both_tools") else {
        return;
    };
    let tmp = workspace();
    let dir = tmp.path();
    let pass = "correct-horse-battery-staple";
    let made = airlock_with_passphrase(
        dir,
        "keygen --private-key enc.pem --public-key enc.pub.pem --passphrase",
        pass,
    );
    expect_code(&made, 0);
    let pem = fs::read_to_string(dir.join("enc.pem")).unwrap();
    assert!(
        pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{pem}"
    );

    let sign = "sign m --key enc.pem --signature a.sig --no-progress";
    // No passphrase (and no terminal to prompt on), or a wrong one: no signature.
    let without = airlock(dir, sign);
    assert_ne!(without.code, Some(0), "{without}");
    let wrong = airlock_with_passphrase(dir, sign, "wrong");
    assert_ne!(wrong.code, Some(0), "{wrong}");
    assert!(!dir.join("a.sig").exists());

    expect_code(&airlock_with_passphrase(dir, sign, pass), 0);
    expect_ms_verified(&model_signing(
        &oms,
        dir,
        "verify key m --signature a.sig --public_key enc.pub.pem",
    ));

    // model_signing 1.1.1's `sign key --password` cannot open any encrypted key: it hands
    // cryptography a str where bytes are needed. Its Python API takes bytes and opens
    // airlock's encrypted PKCS#8 key.
    let cli = model_signing(
        &oms,
        dir,
        &format!("sign key m --private_key enc.pem --password {pass} --signature cli.sig"),
    );
    expect_code(&cli, 1);
    assert!(cli.text().contains("Cannot convert"), "{cli}");
    let mut api = Command::new(&oms.python);
    api.args(["-c", API_SIGN_ENCRYPTED, "m", "enc.pem", pass, "ms.sig"])
        .current_dir(dir);
    expect_code(&run(api), 0);
    let verified = airlock(dir, "verify m --signature ms.sig --key enc.pub.pem");
    expect_code(&verified, 0);
}

/// Signs model `argv[1]` with encrypted key `argv[2]`, passphrase `argv[3]`, to `argv[4]`.
const API_SIGN_ENCRYPTED: &str = r#"
import sys
from model_signing import signing
model, key, password, sig = sys.argv[1:5]
signing.Config().use_elliptic_key_signer(private_key=key, password=password.encode()).sign(model, sig)
"#;

// -- signing with model_signing, verifying with airlock --------------------------------------

/// A P-384 key in SEC1 form (`BEGIN EC PRIVATE KEY`) and its public key, written by openssl.
fn openssl_sec1_p384(dir: &Path) -> (String, String) {
    for args in [
        "ecparam -name secp384r1 -genkey -noout -out sec1.pem",
        "ec -in sec1.pem -pubout -out sec1.pub.pem",
    ] {
        let mut cmd = Command::new("openssl");
        cmd.args(args.split_whitespace()).current_dir(dir);
        expect_code(&run(cmd), 0);
    }
    let pem = fs::read_to_string(dir.join("sec1.pem")).unwrap();
    assert!(pem.contains("-----BEGIN EC PRIVATE KEY-----"), "{pem}");
    ("sec1.pem".into(), "sec1.pub.pem".into())
}

#[test]
fn model_signing_signatures_verify_with_airlock() {
    let Some(oms) = oms("model_signing_signatures_verify_with_airlock") else {
        return;
    };
    let tmp = workspace();
    let dir = tmp.path();
    let (p256, p256_pub) = keygen(dir, "k", "p256");
    let (sec1, sec1_pub) = openssl_sec1_p384(dir);
    let mut subjects = Vec::new();
    for (key, public, other) in [(&p256, &p256_pub, &sec1_pub), (&sec1, &sec1_pub, &p256_pub)] {
        let sig = format!("{key}.sig");
        expect_ms_signed(&model_signing(
            &oms,
            dir,
            &format!("sign key m --private_key {key} --signature {sig}"),
        ));
        let bundle = read_json(&dir.join(&sig));
        check_model_statement(&bundle, "m");
        subjects.push(subject(&statement(&bundle)));
        let verified = airlock(dir, &format!("verify m --signature {sig} --key {public}"));
        expect_code(&verified, 0);
        let wrong = airlock(dir, &format!("verify m --signature {sig} --key {other}"));
        expect_code(&wrong, 1);
    }
    assert_eq!(subjects[0], subjects[1]);

    // airlock's own signature of the same folder has the same subject digest.
    let own = airlock(
        dir,
        &format!("sign m --key {p256} --signature own.sig --no-progress"),
    );
    expect_code(&own, 0);
    assert_eq!(
        subject(&statement(&read_json(&dir.join("own.sig")))),
        subjects[0]
    );
}

#[test]
fn single_file_models_in_both_directions() {
    let Some(oms) = oms("single_file_models_in_both_directions") else {
        return;
    };
    let tmp = workspace();
    let dir = tmp.path();
    let (key, public) = keygen(dir, "k", "p256");
    let file = "m/model.safetensors";
    expect_ms_signed(&model_signing(
        &oms,
        dir,
        &format!("sign key {file} --private_key {key} --signature ms.sig"),
    ));
    let signed = airlock(
        dir,
        &format!("sign {file} --key {key} --signature al.sig --no-progress"),
    );
    expect_code(&signed, 0);
    for sig in ["ms.sig", "al.sig"] {
        let st = statement(&read_json(&dir.join(sig)));
        // One resource named "."; the subject is the file name.
        let listed = resources(&st);
        assert_eq!(listed.len(), 1, "{sig}: {st:#}");
        assert_eq!(listed[0].0, ".", "{sig}");
        assert_eq!(listed[0].2, sha256_hex(&weights()), "{sig}");
        assert_eq!(subject(&st).0, "model.safetensors", "{sig}");
        expect_ms_verified(&model_signing(
            &oms,
            dir,
            &format!("verify key {file} --signature {sig} --public_key {public}"),
        ));
        let verified = airlock(
            dir,
            &format!("verify {file} --signature {sig} --key {public}"),
        );
        expect_code(&verified, 0);
        // The same signature does not fit another file.
        let other = airlock(
            dir,
            &format!("verify m/config.json --signature {sig} --key {public}"),
        );
        expect_code(&other, 1);
    }
}

#[test]
fn certificate_signatures_in_both_directions() {
    let Some(oms) = oms("certificate_signatures_in_both_directions") else {
        return;
    };
    let tmp = workspace();
    let dir = tmp.path();
    copy_certs(
        dir,
        &[
            "leaf.pem",
            "leaf-key.pem",
            "chain.pem",
            "root-ca.pem",
            "other-root-ca.pem",
            "leaf-other-root.pem",
            "leaf-other-root-key.pem",
        ],
    );
    expect_ms_signed(&model_signing(
        &oms,
        dir,
        "sign certificate m --signature ms.sig --private_key leaf-key.pem \
         --signing_certificate leaf.pem --certificate_chain chain.pem",
    ));
    let signed = airlock(
        dir,
        "sign m --key leaf-key.pem --certificate leaf.pem --certificate-chain chain.pem \
         --signature al.sig --no-progress",
    );
    expect_code(&signed, 0);
    let al = read_json(&dir.join("al.sig"));
    let certs = &al["verificationMaterial"]["x509CertificateChain"]["certificates"];
    assert_eq!(
        certs.as_array().map(Vec::len),
        Some(2),
        "leaf + intermediate: {al:#}"
    );
    check_model_statement(&al, "m");

    for sig in ["ms.sig", "al.sig"] {
        let good = airlock(
            dir,
            &format!("verify m --signature {sig} --certificate-chain root-ca.pem"),
        );
        expect_code(&good, 0);
        let other = airlock(
            dir,
            &format!("verify m --signature {sig} --certificate-chain other-root-ca.pem"),
        );
        expect_code(&other, 1);
    }
    expect_ms_verified(&model_signing(
        &oms,
        dir,
        "verify certificate m --signature al.sig --certificate_chain root-ca.pem",
    ));
    let ms_other = model_signing(
        &oms,
        dir,
        "verify certificate m --signature al.sig --certificate_chain other-root-ca.pem",
    );
    expect_code(&ms_other, 1);

    // A leaf under the unrelated (RSA) root verifies against that root only. (model_signing
    // 1.1.1 cannot sign without --certificate_chain: it fails to load an empty chain.)
    expect_ms_signed(&model_signing(
        &oms,
        dir,
        "sign certificate m --signature other.sig --private_key leaf-other-root-key.pem \
         --signing_certificate leaf-other-root.pem --certificate_chain other-root-ca.pem",
    ));
    let own_root = airlock(
        dir,
        "verify m --signature other.sig --certificate-chain other-root-ca.pem",
    );
    expect_code(&own_root, 0);
    let root = airlock(
        dir,
        "verify m --signature other.sig --certificate-chain root-ca.pem",
    );
    expect_code(&root, 1);
}

/// Signs the model `sys.argv[1]` with key `sys.argv[2]` once per (signature, method,
/// algorithm) triple that follows, through the Python API (the CLI has no such options).
const API_SIGN: &str = r#"
import sys
from model_signing import hashing, signing
model, key = sys.argv[1], sys.argv[2]
for sig, method, algorithm in zip(*[iter(sys.argv[3:])] * 3):
    h = hashing.Config()
    if method == "shards":
        h.use_shard_serialization(hashing_algorithm=algorithm, shard_size=1000)
    else:
        h.use_file_serialization(hashing_algorithm=algorithm)
    signing.Config().use_elliptic_key_signer(private_key=key).set_hashing_config(h).sign(model, sig)
"#;

#[test]
fn api_only_modes_shards_blake2_blake3_verify_with_airlock() {
    let Some(oms) = oms("api_only_modes_shards_blake2_blake3_verify_with_airlock") else {
        return;
    };
    let tmp = workspace();
    let dir = tmp.path();
    let (key, public) = keygen(dir, "k", "p256");
    // (signature, method, algorithm asked for, algorithm recorded for each resource).
    // model_signing's own CLI cannot verify any of these: it re-hashes with files/SHA-256
    // whatever the signature records.
    let modes = [
        (
            "shards-sha256.sig",
            "shards",
            "sha256",
            "sha256-sharded-1000",
        ),
        (
            "shards-blake2.sig",
            "shards",
            "blake2",
            "blake2b-sharded-1000",
        ),
        ("files-blake3.sig", "files", "blake3", "blake3"),
        ("files-blake2.sig", "files", "blake2", "blake2b"),
    ];
    let mut python = Command::new(&oms.python);
    python.args(["-c", API_SIGN, "m", &key]).current_dir(dir);
    for (sig, method, algorithm, _) in modes {
        python.args([sig, method, algorithm]);
    }
    expect_code(&run(python), 0);

    for (sig, method, _, recorded) in modes {
        let st = statement(&read_json(&dir.join(sig)));
        let listed = resources(&st);
        assert!(
            listed.iter().all(|r| r.1 == recorded),
            "{sig}: every resource should be {recorded}: {st:#}"
        );
        assert_eq!(st["predicate"]["serialization"]["method"], method, "{sig}");
        if method == "shards" {
            // 5000 bytes in 1000-byte shards; model_signing leaves empty files out.
            let shards: Vec<&str> = listed
                .iter()
                .map(|r| r.0.as_str())
                .filter(|n| n.starts_with("model.safetensors:"))
                .collect();
            assert_eq!(
                shards,
                [
                    "model.safetensors:0:1000",
                    "model.safetensors:1000:2000",
                    "model.safetensors:2000:3000",
                    "model.safetensors:3000:4000",
                    "model.safetensors:4000:5000"
                ],
                "{sig}"
            );
            assert!(
                !listed.iter().any(|r| r.0.starts_with("empty.bin")),
                "{sig}"
            );
        }
        let verified = airlock(dir, &format!("verify m --signature {sig} --key {public}"));
        expect_code(&verified, 0);
    }

    // airlock re-hashes with the recorded serialization: a flipped bit still shows.
    fs::write(dir.join("m/model.safetensors"), tampered_weights()).unwrap();
    for (sig, ..) in modes {
        let failed = airlock(dir, &format!("verify m --signature {sig} --key {public}"));
        expect_code(&failed, 1);
        assert!(failed.has_line("mismatch", "model.safetensors"), "{failed}");
    }
}

#[test]
fn ignore_paths_are_recorded_and_honoured_by_both_tools() {
    let Some(oms) = oms("ignore_paths_are_recorded_and_honoured_by_both_tools") else {
        return;
    };
    let tmp = workspace();
    let dir = tmp.path();
    let (key, public) = keygen(dir, "k", "p256");
    let signed = airlock(
        dir,
        &format!("sign m --key {key} --signature al.sig --ignore-paths m/README.md --no-progress"),
    );
    expect_code(&signed, 0);
    expect_ms_signed(&model_signing(
        &oms,
        dir,
        &format!("sign key m --private_key {key} --signature ms.sig --ignore-paths m/README.md"),
    ));
    for sig in ["al.sig", "ms.sig"] {
        let st = statement(&read_json(&dir.join(sig)));
        assert!(
            !resources(&st).iter().any(|r| r.0 == "README.md"),
            "{sig}: {st:#}"
        );
        let ignored = &st["predicate"]["serialization"]["ignore_paths"];
        assert!(
            ignored
                .as_array()
                .is_some_and(|a| a.iter().any(|p| p == "README.md")),
            "{sig}: {ignored}"
        );
    }
    // The ignored file changes; both signatures still verify with both tools, no flags.
    fs::write(dir.join("m/README.md"), "changed").unwrap();
    for sig in ["al.sig", "ms.sig"] {
        expect_ms_verified(&model_signing(
            &oms,
            dir,
            &format!("verify key m --signature {sig} --public_key {public}"),
        ));
        let verified = airlock(dir, &format!("verify m --signature {sig} --key {public}"));
        expect_code(&verified, 0);
    }

    // --no-ignore-git-paths: .gitignore is signed, and both verifiers check it when told to.
    let signed = airlock(
        dir,
        &format!("sign m --key {key} --signature git.sig --no-ignore-git-paths --no-progress"),
    );
    expect_code(&signed, 0);
    let st = statement(&read_json(&dir.join("git.sig")));
    assert!(resources(&st).iter().any(|r| r.0 == ".gitignore"), "{st:#}");
    let ms_verify =
        format!("verify key m --signature git.sig --public_key {public} --no-ignore-git-paths");
    let al_verify = format!("verify m --signature git.sig --key {public} --no-ignore-git-paths");
    expect_ms_verified(&model_signing(&oms, dir, &ms_verify));
    expect_code(&airlock(dir, &al_verify), 0);
    fs::write(dir.join("m/.gitignore"), "*.bak\n").unwrap();
    expect_code(&model_signing(&oms, dir, &ms_verify), 1);
    let changed = airlock(dir, &al_verify);
    expect_code(&changed, 1);
    assert!(changed.has_line("mismatch", ".gitignore"), "{changed}");
}

// -- the tamper matrix ----------------------------------------------------------------------

/// What is done to a fresh copy of the model (or its signature) before both tools verify it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Change {
    None,
    FlipByte,
    DeleteFile,
    AddFile,
    AddFileIgnoreUnsigned,
    EditGitignore,
    RenameFile,
    AddSymlink,
    WrongPublicKey,
    EditPayloadKeepSignature,
    CorruptSignatureBytes,
    RemoveKeyHint,
}

/// One row: the change, whether both tools accept the result, what model_signing 1.1.1 says
/// then (every part must appear), and the lines airlock must print as (line prefix, text on
/// that line).
struct Row {
    change: Change,
    verified: bool,
    model_signing_says: &'static [&'static str],
    airlock_lines: &'static [(&'static str, &'static str)],
}

const VERIFIED: (&str, &str) = ("OK", "matches model.sig");
const BAD_SIGNATURE: (&str, &str) = ("FAILED", "the signature does not verify");

const MATRIX: [Row; 12] = [
    Row {
        change: Change::None,
        verified: true,
        model_signing_says: &["Verification succeeded"],
        airlock_lines: &[VERIFIED],
    },
    Row {
        change: Change::FlipByte,
        verified: false,
        // Python's repr of the digests picks its quotes per value: match the parts.
        model_signing_says: &["Hash mismatch for ", "model.safetensors", "Expected"],
        airlock_lines: &[("mismatch", "model.safetensors")],
    },
    Row {
        change: Change::DeleteFile,
        verified: false,
        model_signing_says: &["Missing files in model 'm': sub/tokenizer.json"],
        airlock_lines: &[("missing", "sub/tokenizer.json")],
    },
    Row {
        change: Change::AddFile,
        verified: false,
        model_signing_says: &["Extra files found in model 'm': extra.txt"],
        airlock_lines: &[("extra", "extra.txt")],
    },
    Row {
        change: Change::AddFileIgnoreUnsigned,
        verified: true,
        model_signing_says: &["Verification succeeded"],
        airlock_lines: &[VERIFIED],
    },
    Row {
        change: Change::EditGitignore,
        verified: true,
        model_signing_says: &["Verification succeeded"],
        airlock_lines: &[VERIFIED],
    },
    Row {
        change: Change::RenameFile,
        verified: false,
        model_signing_says: &[
            "Extra files found in model 'm': renamed.txt",
            "Missing files in model 'm': a.txt",
        ],
        airlock_lines: &[("extra", "renamed.txt"), ("missing", "a.txt")],
    },
    // A planted link is tampering, so a failed verification (1), not "could not run" (2).
    Row {
        change: Change::AddSymlink,
        verified: false,
        model_signing_says: &["link.json' because it is a symlink"],
        airlock_lines: &[("", "link.json")],
    },
    Row {
        change: Change::WrongPublicKey,
        verified: false,
        model_signing_says: &["Key mismatch: The public key hash"],
        airlock_lines: &[("FAILED", "key mismatch")],
    },
    Row {
        change: Change::EditPayloadKeepSignature,
        verified: false,
        // cryptography's InvalidSignature carries no message.
        model_signing_says: &["Verification failed with error: \n"],
        airlock_lines: &[BAD_SIGNATURE],
    },
    Row {
        change: Change::CorruptSignatureBytes,
        verified: false,
        model_signing_says: &["Verification failed with error: \n"],
        airlock_lines: &[BAD_SIGNATURE],
    },
    Row {
        change: Change::RemoveKeyHint,
        verified: true,
        model_signing_says: &[
            "older verification material format",
            "Verification succeeded",
        ],
        airlock_lines: &[VERIFIED, ("warning", "does not name its key")],
    },
];

/// Applies `change` in `case` (which holds `m/` and `model.sig`); returns the extra arguments
/// it needs for model_signing and for airlock.
fn apply(change: Change, case: &Path) -> (&'static str, &'static str) {
    let m = case.join("m");
    let sig = case.join("model.sig");
    let edit_bundle = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut bundle = read_json(&sig);
        f(&mut bundle);
        fs::write(&sig, serde_json::to_string(&bundle).unwrap()).unwrap();
    };
    match change {
        Change::None | Change::WrongPublicKey => {}
        Change::FlipByte => fs::write(m.join("model.safetensors"), tampered_weights()).unwrap(),
        Change::DeleteFile => fs::remove_file(m.join("sub/tokenizer.json")).unwrap(),
        Change::AddFile => fs::write(m.join("extra.txt"), "extra").unwrap(),
        Change::AddFileIgnoreUnsigned => {
            fs::write(m.join("extra.txt"), "extra").unwrap();
            return ("--ignore_unsigned_files", "--ignore-unsigned-files");
        }
        Change::EditGitignore => fs::write(m.join(".gitignore"), "*.bak\n").unwrap(),
        Change::RenameFile => fs::rename(m.join("a.txt"), m.join("renamed.txt")).unwrap(),
        Change::AddSymlink => {
            std::os::unix::fs::symlink("sub/tokenizer.json", m.join("link.json")).unwrap()
        }
        Change::EditPayloadKeepSignature => {
            // An attacker swaps the weights and rewrites the manifest consistently (resource
            // and subject digests) but cannot re-sign it: only the signature check catches it.
            let bytes = tampered_weights();
            fs::write(m.join("model.safetensors"), &bytes).unwrap();
            edit_bundle(&|bundle| {
                let mut st = statement(bundle);
                let listed = st["predicate"]["resources"].as_array_mut().unwrap();
                for r in listed.iter_mut() {
                    if r["name"] == "model.safetensors" {
                        r["digest"] = sha256_hex(&bytes).into();
                    }
                }
                let digests: Vec<String> = listed
                    .iter()
                    .map(|r| r["digest"].as_str().unwrap().to_owned())
                    .collect();
                st["subject"][0]["digest"]["sha256"] = subject_digest(&digests).into();
                let payload = serde_json::to_vec_pretty(&st).unwrap();
                bundle["dsseEnvelope"]["payload"] = b64_encode(&payload).into();
            });
        }
        Change::CorruptSignatureBytes => edit_bundle(&|bundle| {
            // The last byte of the DER signature is inside `s`: still well-formed DER.
            let entry = &mut bundle["dsseEnvelope"]["signatures"][0]["sig"];
            let mut der = b64_decode(entry.as_str().unwrap());
            *der.last_mut().unwrap() ^= 0x01;
            *entry = b64_encode(&der).into();
        }),
        Change::RemoveKeyHint => edit_bundle(&|bundle| {
            let key = bundle["verificationMaterial"]["publicKey"]
                .as_object_mut()
                .unwrap();
            assert!(key.remove("hint").is_some(), "no hint to remove");
        }),
    }
    ("", "")
}

/// Signs `m/` with `signer` ("airlock" or "model_signing"), then runs every [`MATRIX`] row
/// through both verifiers, each row on a fresh copy; reports every row that disagrees.
fn tamper_matrix(test: &str, signer: &str) {
    let Some(oms) = oms(test) else {
        return;
    };
    let tmp = workspace();
    let dir = tmp.path();
    let (key, public) = keygen(dir, "k", "p256");
    let (_, other_public) = keygen(dir, "other", "p256");
    let signed = if signer == "airlock" {
        airlock(
            dir,
            &format!("sign m --key {key} --signature model.sig --no-progress"),
        )
    } else {
        model_signing(
            &oms,
            dir,
            &format!("sign key m --private_key {key} --signature model.sig"),
        )
    };
    expect_code(&signed, 0);
    let signature = fs::read(dir.join("model.sig")).unwrap();
    let keys = [&public, &other_public].map(|k| fs::read(dir.join(k)).unwrap());

    let mut failures = Vec::new();
    for row in &MATRIX {
        let case = dir.join(format!("{:?}", row.change));
        write_model(&case.join("m"));
        fs::write(case.join("model.sig"), &signature).unwrap();
        fs::write(case.join("key.pub.pem"), &keys[0]).unwrap();
        fs::write(case.join("other.pub.pem"), &keys[1]).unwrap();
        let key = match row.change {
            Change::WrongPublicKey => "other.pub.pem",
            _ => "key.pub.pem",
        };
        let (ms_extra, al_extra) = apply(row.change, &case);
        let ms = model_signing(
            &oms,
            &case,
            &format!("verify key m --signature model.sig --public_key {key} {ms_extra}"),
        );
        let al = airlock(
            &case,
            &format!("verify m --signature model.sig --key {key} {al_extra}"),
        );

        let code = if row.verified { 0 } else { 1 };
        let mut problems = Vec::new();
        if ms.code != Some(code) {
            problems.push(format!("model_signing exited {:?}, not {code}", ms.code));
        }
        for says in row.model_signing_says {
            if !ms.text().contains(says) {
                problems.push(format!("model_signing did not say {says:?}"));
            }
        }
        if al.code != Some(code) {
            problems.push(format!("airlock exited {:?}, not {code}", al.code));
        }
        for (prefix, name) in row.airlock_lines {
            if !al.has_line(prefix, name) {
                problems.push(format!("airlock printed no line {prefix:?}... {name:?}"));
            }
        }
        if row.change == Change::FlipByte {
            let signed = format!("sha256 {}", sha256_hex(&weights()));
            let actual = format!("sha256 {}", sha256_hex(&tampered_weights()));
            for (prefix, digest) in [("signed", signed), ("actual", actual)] {
                if !al.has_line(prefix, &digest) {
                    problems.push(format!("airlock printed no line {prefix:?}... {digest:?}"));
                }
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "== {:?} (signed by {signer}): {}\n{ms}\n{al}",
                row.change,
                problems.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} tamper cases went wrong:\n\n{}",
        failures.len(),
        MATRIX.len(),
        failures.join("\n\n")
    );
}

#[test]
fn tamper_matrix_signed_by_airlock() {
    tamper_matrix("tamper_matrix_signed_by_airlock", "airlock");
}

#[test]
fn tamper_matrix_signed_by_model_signing() {
    tamper_matrix("tamper_matrix_signed_by_model_signing", "model_signing");
}

// -- airlock's own exit statuses (no model_signing needed) -----------------------------------

#[test]
fn unreadable_inputs_exit_2_and_a_garbage_signature_fails() {
    let tmp = workspace();
    let dir = tmp.path();
    let (key, public) = keygen(dir, "k", "p256");
    let signed = airlock(
        dir,
        &format!("sign m --key {key} --signature ok.sig --no-progress"),
    );
    expect_code(&signed, 0);
    fs::write(dir.join("garbage.sig"), "not a signature").unwrap();
    fs::write(dir.join("garbage.pem"), "not a key").unwrap();
    // airlock cannot run: a key or signature file it cannot read or a key it cannot parse.
    for args in [
        format!("verify m --signature missing.sig --key {public}"),
        "verify m --signature ok.sig --key garbage.pem".to_owned(),
        "verify m --signature ok.sig --key missing.pem".to_owned(),
        "sign m --key missing.pem --signature x.sig".to_owned(),
        "sign m --key garbage.pem --signature x.sig".to_owned(),
    ] {
        expect_code(&airlock(dir, &args), 2);
    }
    assert!(!dir.join("x.sig").exists());
    // A signature file that is not a bundle is a failed verification, like a corrupted one.
    let garbage = airlock(
        dir,
        &format!("verify m --signature garbage.sig --key {public}"),
    );
    expect_code(&garbage, 1);
    assert!(
        garbage.has_line("FAILED", "not a Sigstore bundle"),
        "{garbage}"
    );
}
