//! `airlock keygen`, `airlock sign` and `airlock verify --signature` end to end: exit
//! statuses, what is printed, key files. (Interop with `model_signing` is in
//! `oms_interop.rs`; the format itself is tested in `airlock-integrity`.)

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn airlock_in(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("AIRLOCK_CONFIG")
        .env_remove("AIRLOCK_KEY_PASSPHRASE");
    for (name, value) in envs {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn model(root: &Path) {
    fs::create_dir_all(root.join("m/sub")).unwrap();
    fs::write(root.join("m/weights.bin"), vec![3u8; 4096]).unwrap();
    fs::write(root.join("m/config.json"), "{}").unwrap();
    fs::write(root.join("m/sub/tokenizer.json"), "{\"v\": 1}").unwrap();
}

#[test]
fn keygen_sign_verify_and_each_exit_status() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    model(dir);
    let made = airlock_in(dir, &["keygen"], &[]);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join("signing-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let private = fs::read_to_string(dir.join("signing-key.pem")).unwrap();
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(
        !text(&made).contains("PRIVATE"),
        "the private key is never printed"
    );
    let again = airlock_in(dir, &["keygen"], &[]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "refuses to overwrite: {}",
        text(&again)
    );

    let signed = airlock_in(dir, &["sign", "m", "--key", "signing-key.pem"], &[]);
    assert_eq!(signed.status.code(), Some(0), "{}", text(&signed));
    assert!(dir.join("model.sig").is_file());
    let verify = [
        "verify",
        "m",
        "--signature",
        "model.sig",
        "--key",
        "signing-key.pub.pem",
    ];
    let ok = airlock_in(dir, &verify, &[]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(
        text(&ok).contains("OK: m matches model.sig (3 files, sha256)"),
        "{}",
        text(&ok)
    );

    fs::write(dir.join("m/weights.bin"), vec![4u8; 4096]).unwrap();
    fs::write(dir.join("m/new.txt"), "n").unwrap();
    fs::remove_file(dir.join("m/sub/tokenizer.json")).unwrap();
    let failed = airlock_in(dir, &verify, &[]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    let out = text(&failed);
    for line in [
        "mismatch  weights.bin",
        "missing   sub/tokenizer.json",
        "extra     new.txt",
    ] {
        assert!(out.contains(line), "{line} in {out}");
    }
    assert!(out.contains("1 mismatched, 1 missing, 1 extra"), "{out}");

    let json = airlock_in(dir, &[&verify[..], &["--format", "json"]].concat(), &[]);
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["verified"], false);
    assert_eq!(report["signature_valid"], true);
    assert_eq!(report["mismatched"][0]["expected"]["name"], "weights.bin");
    assert_eq!(report["missing"][0]["name"], "sub/tokenizer.json");

    let unreadable = airlock_in(
        dir,
        &[
            "verify",
            "m",
            "--signature",
            "model.sig",
            "--key",
            "absent.pem",
        ],
        &[],
    );
    assert_eq!(unreadable.status.code(), Some(2), "{}", text(&unreadable));
    let no_trust = airlock_in(dir, &["verify", "m", "--signature", "model.sig"], &[]);
    assert_eq!(no_trust.status.code(), Some(2), "{}", text(&no_trust));
}

#[test]
fn signature_inside_the_model_and_ignore_paths_are_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    model(dir);
    fs::write(dir.join("m/notes.log"), "x").unwrap();
    assert_eq!(
        airlock_in(dir, &["keygen", "--curve", "p384"], &[])
            .status
            .code(),
        Some(0)
    );
    let signed = airlock_in(
        &dir.join("m"),
        &[
            "sign",
            ".",
            "--key",
            "../signing-key.pem",
            "--ignore-paths",
            "notes.log",
        ],
        &[],
    );
    assert_eq!(signed.status.code(), Some(0), "{}", text(&signed));
    assert!(text(&signed).contains("3 files"), "{}", text(&signed));
    let payload = fs::read_to_string(dir.join("m/model.sig")).unwrap();
    assert!(payload.contains("\"publicKey\":{\"hint\""));

    // The recorded ignore list (notes.log, model.sig) applies when verifying elsewhere.
    fs::write(dir.join("m/notes.log"), "changed").unwrap();
    let ok = airlock_in(
        dir,
        &[
            "verify",
            "m",
            "--signature",
            "m/model.sig",
            "--key",
            "signing-key.pub.pem",
        ],
        &[],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
}

#[test]
fn encrypted_keys_need_their_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    model(dir);
    let pass = [("AIRLOCK_KEY_PASSPHRASE", "correct horse")];
    let made = airlock_in(dir, &["keygen", "--passphrase"], &pass);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    let pem = fs::read_to_string(dir.join("signing-key.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    let sign = ["sign", "m", "--key", "signing-key.pem"];
    let missing = airlock_in(dir, &sign, &[]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(
        text(&missing).contains("AIRLOCK_KEY_PASSPHRASE"),
        "{}",
        text(&missing)
    );
    let wrong = airlock_in(dir, &sign, &[("AIRLOCK_KEY_PASSPHRASE", "wrong")]);
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong));
    assert!(
        text(&wrong).contains("wrong passphrase"),
        "{}",
        text(&wrong)
    );
    let signed = airlock_in(dir, &sign, &pass);
    assert_eq!(signed.status.code(), Some(0), "{}", text(&signed));
}

#[test]
fn a_signature_of_another_kind_or_corrupted_fails_with_status_1() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    model(dir);
    assert_eq!(airlock_in(dir, &["keygen"], &[]).status.code(), Some(0));
    let signed = airlock_in(
        dir,
        &[
            "sign",
            "m",
            "--key",
            "signing-key.pem",
            "--shard-size",
            "1000",
        ],
        &[],
    );
    assert_eq!(signed.status.code(), Some(0), "{}", text(&signed));
    let verify = [
        "verify",
        "m",
        "--signature",
        "model.sig",
        "--key",
        "signing-key.pub.pem",
    ];
    let ok = airlock_in(dir, &verify, &[]);
    assert!(
        text(&ok).contains("(7 shards, sha256-sharded-1000)"),
        "{}",
        text(&ok)
    );

    fs::write(dir.join("model.sig"), "{\"mediaType\": \"x\"").unwrap();
    let corrupted = airlock_in(dir, &verify, &[]);
    assert_eq!(corrupted.status.code(), Some(1), "{}", text(&corrupted));
    assert!(
        text(&corrupted).contains("not a Sigstore bundle"),
        "{}",
        text(&corrupted)
    );
}
