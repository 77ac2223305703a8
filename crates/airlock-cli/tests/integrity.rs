//! `airlock lock` and `airlock verify` end to end, on temporary copies of small trees.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn airlock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .env_remove("AIRLOCK_CONFIG")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A small model folder: nested files, an empty file, `a.txt` beside folder `a/`.
fn model(root: &Path) {
    fs::create_dir_all(root.join("a")).unwrap();
    fs::create_dir_all(root.join("sub/deeper")).unwrap();
    fs::write(root.join("a/b"), "b\n").unwrap();
    fs::write(root.join("a.txt"), "a").unwrap();
    fs::write(root.join("empty.bin"), "").unwrap();
    fs::write(root.join("model.safetensors"), vec![7u8; 5000]).unwrap();
    fs::write(root.join("sub/deeper/weights.bin"), "weights").unwrap();
    fs::write(root.join("sub/tokenizer.json"), "{}").unwrap();
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(airlock_integrity::hash::sha256(bytes))
}

fn lock_and_check(root: &Path) -> String {
    let dir = root.to_str().unwrap();
    let locked = airlock(&["lock", dir]);
    assert_eq!(locked.status.code(), Some(0), "{}", text(&locked));
    let clean = airlock(&["verify", dir]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
    assert!(
        text(&clean).contains("OK: 6 files match"),
        "{}",
        text(&clean)
    );
    dir.to_owned()
}

#[test]
fn lock_then_verify_is_clean_and_the_lock_is_stable() {
    let tmp = tempfile::tempdir().unwrap();
    model(tmp.path());
    let dir = lock_and_check(tmp.path());
    let first = fs::read_to_string(tmp.path().join("airlock.lock")).unwrap();
    assert!(first.contains("path = \"a/b\""));
    assert!(first.find("\"a/b\"").unwrap() < first.find("\"a.txt\"").unwrap());
    let again = airlock(&["lock", &dir]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        fs::read_to_string(tmp.path().join("airlock.lock")).unwrap(),
        first
    );
}

#[test]
fn a_flipped_byte_fails_naming_the_file_with_both_digests() {
    let tmp = tempfile::tempdir().unwrap();
    model(tmp.path());
    let dir = lock_and_check(tmp.path());
    let mut bytes = vec![7u8; 5000];
    bytes[1234] ^= 1;
    fs::write(tmp.path().join("model.safetensors"), &bytes).unwrap();
    let output = airlock(&["verify", &dir]);
    assert_eq!(output.status.code(), Some(1));
    let report = text(&output);
    assert!(report.contains("modified  model.safetensors"), "{report}");
    assert!(report.contains(&sha256_hex(&[7u8; 5000])), "{report}");
    assert!(report.contains(&sha256_hex(&bytes)), "{report}");
    assert!(report.contains("FAILED: 1 modified"), "{report}");

    let json: serde_json::Value =
        serde_json::from_slice(&airlock(&["verify", &dir, "--format", "json"]).stdout).unwrap();
    assert_eq!(json["clean"], false);
    assert_eq!(json["modified"][0]["path"], "model.safetensors");
    assert_eq!(
        json["modified"][0]["expected_sha256"],
        sha256_hex(&[7u8; 5000])
    );
    assert_eq!(json["modified"][0]["actual_sha256"], sha256_hex(&bytes));
}

#[test]
fn deleted_added_and_renamed_files_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    model(root);
    let dir = lock_and_check(root);
    fs::remove_file(root.join("sub/tokenizer.json")).unwrap();
    fs::write(root.join("extra.txt"), "new").unwrap();
    fs::rename(root.join("a.txt"), root.join("renamed.txt")).unwrap();
    let output = airlock(&["verify", &dir, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["missing"][0]["path"], "sub/tokenizer.json");
    assert_eq!(json["added"][0]["path"], "extra.txt");
    assert_eq!(json["renamed"][0]["from"], "a.txt");
    assert_eq!(json["renamed"][0]["to"], "renamed.txt");
    assert_eq!(json["modified"].as_array().unwrap().len(), 0);
    assert_eq!(json["models"][0]["path"], ".");

    // --update accepts the tree deliberately; the next verify is clean.
    let updated = airlock(&["verify", &dir, "--update"]);
    assert_eq!(updated.status.code(), Some(0), "{}", text(&updated));
    assert!(text(&updated).contains("UPDATED"));
    assert_eq!(airlock(&["verify", &dir]).status.code(), Some(0));
}

#[test]
fn output_and_lock_options_blake3_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("m");
    model(&root);
    let lock = tmp.path().join("elsewhere.lock");
    let (dir, lock) = (root.to_str().unwrap(), lock.to_str().unwrap());
    let locked = airlock(&["lock", dir, "--blake3", "--output", lock]);
    assert_eq!(locked.status.code(), Some(0), "{}", text(&locked));
    assert!(!root.join("airlock.lock").exists());
    let content = fs::read_to_string(lock).unwrap();
    assert!(content.contains("blake3 = \""), "{content}");
    assert_eq!(
        airlock(&["verify", dir, "--lock", lock]).status.code(),
        Some(0)
    );
    fs::write(root.join("a.txt"), "b").unwrap();
    assert_eq!(
        airlock(&["verify", dir, "--lock", lock]).status.code(),
        Some(1)
    );

    // No lock, a broken lock, a missing directory: airlock could not run.
    let no_lock = airlock(&["verify", dir]);
    assert_eq!(no_lock.status.code(), Some(2));
    assert!(
        text(&no_lock).contains("airlock lock"),
        "{}",
        text(&no_lock)
    );
    fs::write(root.join("airlock.lock"), "version = 99\n").unwrap();
    let bad = airlock(&["verify", dir]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("version 99"), "{}", text(&bad));
    assert_eq!(airlock(&["lock", "no/such/dir"]).status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn a_tampered_hugging_face_blob_fails_lock_and_verify() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("models--org--tiny");
    let snapshot = repo.join("snapshots/0123456789abcdef0123456789abcdef01234567");
    fs::create_dir_all(repo.join("blobs")).unwrap();
    fs::create_dir_all(&snapshot).unwrap();
    let blob = sha256_hex(b"weights");
    fs::write(repo.join("blobs").join(&blob), "weights").unwrap();
    symlink(
        format!("../../blobs/{blob}"),
        snapshot.join("model.safetensors"),
    )
    .unwrap();
    let dir = tmp.path().to_str().unwrap();

    let locked = airlock(&["lock", dir]);
    assert_eq!(locked.status.code(), Some(0), "{}", text(&locked));
    assert!(
        text(&locked).contains("model org/tiny@0123456789abcdef"),
        "{}",
        text(&locked)
    );
    let content = fs::read_to_string(tmp.path().join("airlock.lock")).unwrap();
    assert!(content.contains("hf = { repo_type = \"model\", repo = \"org/tiny\""));
    assert!(!content.contains("blobs/"), "{content}");

    fs::write(repo.join("blobs").join(&blob), "weightz").unwrap();
    let verify = airlock(&["verify", dir]);
    assert_eq!(verify.status.code(), Some(1));
    let report = text(&verify);
    assert!(report.contains("hf-cache"), "{report}");
    assert!(report.contains(&sha256_hex(b"weightz")), "{report}");
    // Nothing is written over a tampered cache, even with --update or `lock`.
    assert_eq!(airlock(&["verify", dir, "--update"]).status.code(), Some(1));
    assert_eq!(airlock(&["lock", dir]).status.code(), Some(1));
    assert_eq!(
        fs::read_to_string(tmp.path().join("airlock.lock")).unwrap(),
        content
    );
}
