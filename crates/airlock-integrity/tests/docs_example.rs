//! The example in docs/lockfile.md is exactly what the writer produces for it.

use airlock_integrity::Lockfile;

#[test]
fn documented_example_round_trips() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/lockfile.md"),
    )
    .unwrap();
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let example = &doc[start..start + doc[start..].find("```").unwrap()];
    let lock = Lockfile::parse(example).unwrap();
    assert_eq!(lock.files.len(), 3);
    assert!(lock.has_blake3());
    assert_eq!(lock.to_text(), example);
}
