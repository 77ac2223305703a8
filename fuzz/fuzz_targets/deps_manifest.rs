//! Every `airlock-deps` reader on the same bytes: no panic, bounded work, and every manifest
//! is plain data (it serializes, and names are normalized the way the model promises).

#![no_main]

use std::path::Path;

use airlock_deps::manifest::installed;
use airlock_deps::{Ecosystem, Limits, ManifestKind, normalize};
use libfuzzer_sys::fuzz_target;

const KINDS: &[ManifestKind] = &[
    ManifestKind::RequirementsTxt,
    ManifestKind::Pyproject,
    ManifestKind::PoetryLock,
    ManifestKind::UvLock,
    ManifestKind::PyLock,
    ManifestKind::PipfileLock,
    ManifestKind::CondaEnvironment,
    ManifestKind::CargoLock,
    ManifestKind::PackageLock,
];

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_file_bytes: 1 << 20,
        ..Limits::default()
    };
    for &kind in KINDS {
        let Ok(manifest) = airlock_deps::parse_bytes(kind, Path::new("fuzz"), data, &limits) else {
            continue;
        };
        assert_eq!(manifest.kind, kind);
        assert!(manifest.dependencies.len() <= limits.max_dependencies);
        assert!(manifest.problems.len() <= limits.max_problems);
        for dependency in &manifest.dependencies {
            assert_eq!(
                dependency.normalized_name,
                normalize(dependency.ecosystem, &dependency.name)
            );
            if dependency.ecosystem == Ecosystem::PyPI {
                assert!(!dependency.normalized_name.contains(['_', '.']));
            }
        }
        serde_json::to_string(&manifest).expect("manifests are plain data");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let (entries, _) = installed::parse_record(Path::new("RECORD"), text, &limits);
        assert!(entries.len() <= limits.max_record_entries);
        let _ = installed::name_version(text);
    }
});
