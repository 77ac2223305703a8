//! Every reader against small fixtures shaped like what the real tools write
//! (`tests/data/`), plus the shared uv project (`../shared/fixtures/lockfiles/uv-basic/`, found
//! through `AIRLOCK_SHARED`) whose four files must agree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use airlock_deps::{
    Dependency, DiscoverOptions, Ecosystem, IndexKind, Limits, Manifest, ManifestKind, ProblemKind,
    Source, discover, discover_with, parse_bytes, parse_file,
};

fn data(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative)
}

fn read(relative: &str) -> Manifest {
    parse_file(&data(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn dep<'m>(manifest: &'m Manifest, normalized: &str) -> &'m Dependency {
    manifest
        .dependencies
        .iter()
        .find(|d| d.normalized_name == normalized)
        .unwrap_or_else(|| panic!("{normalized} missing from {}", manifest.path.display()))
}

fn has(manifest: &Manifest, normalized: &str) -> bool {
    manifest
        .dependencies
        .iter()
        .any(|d| d.normalized_name == normalized)
}

fn problems(manifest: &Manifest, kind: ProblemKind) -> Vec<String> {
    manifest
        .problems
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| p.message.clone())
        .collect()
}

fn vcs(source: &Source) -> (&str, Option<&str>, Option<&str>, bool) {
    match source {
        Source::Vcs {
            url,
            reference,
            commit,
            editable,
        } => (url, reference.as_deref(), commit.as_deref(), *editable),
        other => panic!("not a VCS source: {other:?}"),
    }
}

// ---------------------------------------------------------------- requirements.txt

#[test]
fn requirements_options_and_indexes() {
    let m = read("requirements/requirements.txt");
    assert_eq!(m.kind, ManifestKind::RequirementsTxt);
    let indexes: Vec<(&str, IndexKind)> = m
        .index_urls
        .iter()
        .map(|i| (i.url.as_str(), i.kind))
        .collect();
    assert_eq!(
        indexes,
        [
            ("https://pypi.org/simple", IndexKind::Primary),
            ("https://download.pytorch.org/whl/cu124", IndexKind::Extra),
            ("./wheels", IndexKind::FindLinks),
        ]
    );
    assert_eq!(m.trusted_hosts, ["download.pytorch.org"]);
    assert!(!m.no_index);
    assert_eq!(m.index_urls[1].location.line, Some(3));
}

#[test]
fn requirements_hashes_across_continuations_and_local_labels() {
    let m = read("requirements/requirements.txt");
    let torch = dep(&m, "torch");
    assert_eq!(torch.version.as_deref(), Some("2.5.1+cu124"));
    assert_eq!(torch.hashes.len(), 2);
    assert_eq!(torch.hashes[1].algorithm, "sha256");
    assert!(torch.hashes[1].hex.starts_with("1b8aa2a3"));
    assert_eq!(torch.location.line, Some(10));
    let version = torch.pep440_version().unwrap();
    assert_eq!(version.local().len(), 1, "local label kept");
    assert_eq!(version.to_string(), "2.5.1+cu124");
}

#[test]
fn requirements_names_extras_markers_and_ranges() {
    let m = read("requirements/requirements.txt");
    let foo = dep(&m, "foo-bar");
    assert_eq!(foo.name, "Foo_Bar", "name kept as written");
    assert_eq!(foo.extras, ["socks", "security"]);
    assert_eq!(foo.version, None, "a range is not a pin");
    assert_eq!(foo.requirement.as_deref(), Some(">=1.2, <2.0"));
    assert_eq!(foo.marker.as_deref(), Some("python_version < \"3.12\""));
    let numpy = dep(&m, "numpy");
    assert_eq!(
        (numpy.version.as_ref(), numpy.requirement.as_ref()),
        (None, None)
    );
    assert_eq!(numpy.source, Source::Registry { url: None });
    assert_eq!(numpy.direct, Some(true));
    let colorama = dep(&m, "colorama");
    assert_eq!(colorama.marker.as_deref(), Some("sys_platform == 'win32'"));
}

#[test]
fn requirements_pep440_epochs_and_dev_releases_kept_exactly() {
    let m = read("requirements/requirements.txt");
    let epochal = dep(&m, "epochal");
    assert_eq!(epochal.version.as_deref(), Some("1!0.1"));
    let version = epochal.pep440_version().unwrap();
    assert_eq!(version.epoch(), 1);
    assert!(version > "99.0".parse().unwrap(), "epochs dominate");
    let packaging = dep(&m, "packaging");
    assert_eq!(packaging.version.as_deref(), Some("26.4.post1.dev3"));
    let version = packaging.pep440_version().unwrap();
    assert!(version.is_post() && version.is_dev());
}

#[test]
fn requirements_url_vcs_editable_and_path_requirements() {
    let m = read("requirements/requirements.txt");
    let wheel = dep(&m, "my-wheel");
    assert_eq!(
        wheel.source,
        Source::Url {
            url: "https://files.example.com/pkgs/my_wheel-0.3.0-py3-none-any.whl".into()
        }
    );
    assert_eq!(
        wheel.version.as_deref(),
        Some("0.3.0"),
        "wheel file name pins"
    );
    let transformers = dep(&m, "transformers");
    assert_eq!(
        vcs(&transformers.source),
        (
            "git+https://github.com/huggingface/transformers.git",
            Some("v4.46.0"),
            None,
            false
        )
    );
    assert_eq!(transformers.version, None);
    let tools = dep(&m, "internal-tools");
    assert_eq!(
        vcs(&tools.source),
        (
            "git+ssh://git@github.com/org/internal-tools.git",
            Some("3f1c0a2"),
            None,
            true
        )
    );
    let pkgtool = dep(&m, "pkgtool");
    assert_eq!(
        pkgtool.source,
        Source::Path {
            path: "./dist/pkgtool-1.4-py3-none-any.whl".into(),
            editable: false
        }
    );
    let unnamed = problems(&m, ProblemKind::Unnamed);
    assert_eq!(unnamed.len(), 2, "{unnamed:?}");
    assert!(unnamed[0].contains("./libs/local-helper"));
    assert!(unnamed[1].contains("mystery.tar.gz"));
}

#[test]
fn requirements_bad_lines_are_problems_not_silence() {
    let m = read("requirements/requirements.txt");
    let malformed = problems(&m, ProblemKind::Malformed);
    assert!(
        malformed
            .iter()
            .any(|p| p.contains("this is not a requirement!"))
    );
    assert!(malformed.iter().any(|p| p.contains("sha256:nothex")));
    assert!(
        problems(&m, ProblemKind::Unsupported)
            .iter()
            .any(|p| p.contains("--weird-option"))
    );
    // The requirement with the bad hash is still listed, without the hash.
    assert!(dep(&m, "requests").hashes.is_empty());
}

#[test]
fn requirements_includes_constraints_and_cycles() {
    let m = read("requirements/requirements.txt");
    let pyyaml = dep(&m, "pyyaml");
    assert_eq!(pyyaml.name, "PyYAML");
    assert_eq!(pyyaml.version.as_deref(), Some("6.0.2"));
    assert_eq!(pyyaml.hashes.len(), 1);
    assert!(pyyaml.location.file.ends_with("requirements/base.txt"));
    assert_eq!(pyyaml.location.line, Some(2));
    let jinja = dep(&m, "jinja2");
    assert!(jinja.location.file.ends_with("nested/deeper.txt"));
    let idna = dep(&m, "idna");
    assert!(idna.constraint, "from a -c file");
    assert_eq!(idna.direct, None, "a constraints file declares nothing");
    assert_eq!(idna.version.as_deref(), Some("3.10"));
    assert!(dep(&m, "urllib3").constraint);
    assert!(!pyyaml.constraint);
    assert!(
        !dep(&m, "tqdm").constraint,
        "as in pip, `-r` inside a constraints file names requirements"
    );
    assert_eq!(m.includes.len(), 6, "{:?}", m.includes);
    let cycles = problems(&m, ProblemKind::Include);
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert!(cycles[0].contains("cycle"));
}

#[test]
fn requirements_include_depth_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    for level in 0..30 {
        std::fs::write(
            dir.path().join(format!("r{level}.txt")),
            format!("pkg{level}==1.0\n-r r{}.txt\n", level + 1),
        )
        .unwrap();
    }
    let limits = Limits {
        max_include_depth: 5,
        ..Limits::default()
    };
    let m = airlock_deps::parse_file_as(
        &dir.path().join("r0.txt"),
        ManifestKind::RequirementsTxt,
        &limits,
    )
    .unwrap();
    assert_eq!(m.dependencies.len(), 6);
    assert_eq!(problems(&m, ProblemKind::LimitExceeded).len(), 1);
}

#[test]
fn requirements_line_length_is_bounded() {
    let limits = Limits {
        max_line_bytes: 64,
        ..Limits::default()
    };
    let long = format!("a==1 \\\n{}\nb==2\n", "--hash=sha256:00 \\\n".repeat(10));
    let m = parse_bytes(
        ManifestKind::RequirementsTxt,
        Path::new("r.txt"),
        long.as_bytes(),
        &limits,
    )
    .unwrap();
    assert!(!has(&m, "a"));
    assert!(has(&m, "b"));
    assert_eq!(problems(&m, ProblemKind::LimitExceeded).len(), 1);
}

#[test]
fn requirements_parse_bytes_records_includes_without_reading_them() {
    let m = parse_bytes(
        ManifestKind::RequirementsTxt,
        &data("requirements/requirements.txt"),
        &std::fs::read(data("requirements/requirements.txt")).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(m.includes.len(), 2);
    assert!(!has(&m, "pyyaml"));
}

#[test]
fn requirements_via_annotations_mark_transitive_entries() {
    let text = "\
attrs==24.2.0
    # via
    #   -r requirements.in
    #   jsonschema
jsonschema==4.23.0
    # via -r requirements.in
referencing==0.35.1
    # via jsonschema
myproject-dep==1.0
    # via my-project
";
    let m = parse_bytes(
        ManifestKind::RequirementsTxt,
        Path::new("requirements.txt"),
        text.as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(dep(&m, "attrs").direct, Some(true));
    assert_eq!(dep(&m, "jsonschema").direct, Some(true));
    assert_eq!(dep(&m, "referencing").direct, Some(false));
    assert_eq!(
        dep(&m, "myproject-dep").direct,
        Some(true),
        "required by the project itself"
    );
}

// ---------------------------------------------------------------- pyproject.toml

#[test]
fn pyproject_pep621_groups_and_uv_tables() {
    let m = read("pyproject-uv/pyproject.toml");
    let project = m.project.as_ref().unwrap();
    assert_eq!(
        (project.name.as_str(), project.version.as_deref()),
        ("rag-service", Some("1.2.0"))
    );
    let transformers = dep(&m, "transformers");
    assert_eq!(transformers.name, "Transformers");
    assert_eq!(transformers.version.as_deref(), Some("4.46.0"));
    assert_eq!(transformers.location.line, Some(7));
    let torch = dep(&m, "torch");
    assert_eq!(torch.version.as_deref(), Some("2.5.1+cu124"));
    assert_eq!(torch.marker.as_deref(), Some("sys_platform == 'linux'"));
    assert_eq!(
        torch.source,
        Source::Registry {
            url: Some("https://download.pytorch.org/whl/cu124".into())
        }
    );
    assert_eq!(
        vcs(&dep(&m, "internal-sdk").source),
        (
            "https://github.com/acme/internal-sdk",
            Some("v2.0.1"),
            None,
            false
        )
    );
    assert_eq!(dep(&m, "shared-utils").source, Source::Workspace);
    assert_eq!(dep(&m, "ruamel-yaml").name, "ruamel.yaml");
    let fastapi = dep(&m, "fastapi");
    assert_eq!(
        (fastapi.version.as_deref(), fastapi.requirement.as_deref()),
        (None, Some(">=0.115"))
    );
    let bnb = dep(&m, "bitsandbytes");
    assert!(bnb.optional && !bnb.dev);
    assert_eq!(bnb.groups, ["gpu"]);
    let pytest = dep(&m, "pytest");
    assert!(pytest.dev);
    assert_eq!(pytest.groups, ["dev"]);
    let ruff = dep(&m, "ruff");
    assert_eq!(
        (ruff.groups.as_slice(), ruff.version.as_deref()),
        (&["lint".to_owned()][..], Some("0.7.1"))
    );
    assert_eq!(m.dependencies.len(), 9);
    assert!(m.dependencies.iter().all(|d| d.direct == Some(true)));
    let indexes: Vec<(&str, IndexKind, Option<&str>)> = m
        .index_urls
        .iter()
        .map(|i| (i.url.as_str(), i.kind, i.name.as_deref()))
        .collect();
    assert_eq!(
        indexes,
        [
            (
                "https://download.pytorch.org/whl/cu124",
                IndexKind::Explicit,
                Some("pytorch-cu124")
            ),
            (
                "https://pypi.acme.internal/simple",
                IndexKind::Extra,
                Some("acme")
            ),
        ]
    );
    assert!(m.problems.is_empty(), "{:?}", m.problems);
}

#[test]
fn pyproject_poetry_constraints_kept_as_text() {
    let m = read("poetry/pyproject.toml");
    assert_eq!(m.project.as_ref().unwrap().name, "poetry-demo");
    assert!(!has(&m, "python"), "the interpreter is not a package");
    let requests = dep(&m, "requests");
    assert_eq!(
        (requests.requirement.as_deref(), requests.version.as_deref()),
        (Some("^2.31"), None)
    );
    let numpy = dep(&m, "numpy");
    assert_eq!(
        numpy.version.as_deref(),
        Some("1.26.4"),
        "bare version is Poetry's exact pin"
    );
    let torch = dep(&m, "torch");
    assert_eq!(torch.version.as_deref(), Some("2.3.1+cpu"));
    assert_eq!(
        torch.source,
        Source::Registry {
            url: Some("pytorch".into())
        }
    );
    let pydantic = dep(&m, "pydantic");
    assert_eq!(
        (pydantic.requirement.as_deref(), pydantic.extras.as_slice()),
        (Some("~2.7"), &["email".to_owned()][..])
    );
    let tqdm = dep(&m, "tqdm");
    assert!(tqdm.optional);
    assert_eq!(tqdm.marker.as_deref(), Some("sys_platform != 'win32'"));
    assert_eq!(
        vcs(&dep(&m, "ml-utils").source),
        (
            "https://github.com/example/ml-utils.git",
            Some("v0.4.0"),
            None,
            false
        )
    );
    assert_eq!(
        dep(&m, "local-lib").source,
        Source::Path {
            path: "../local-lib".into(),
            editable: true
        }
    );
    let pandas: Vec<_> = m
        .dependencies
        .iter()
        .filter(|d| d.name == "pandas")
        .collect();
    assert_eq!(pandas.len(), 2, "one entry per constraint");
    let pytest = dep(&m, "pytest");
    assert!(pytest.dev);
    assert_eq!(pytest.groups, ["dev"]);
    assert_eq!(dep(&m, "mkdocs").groups, ["docs"]);
    assert_eq!(m.index_urls[0].kind, IndexKind::Explicit);
    assert_eq!(m.index_urls[0].name.as_deref(), Some("pytorch"));
}

// ---------------------------------------------------------------- poetry.lock

#[test]
fn poetry_lock_v2() {
    let m = read("poetry/poetry.lock");
    assert_eq!(m.dependencies.len(), 7);
    let certifi = dep(&m, "certifi");
    assert_eq!(certifi.version.as_deref(), Some("2024.8.30"));
    assert_eq!(certifi.hashes.len(), 2);
    assert_eq!(
        certifi.hashes[0].artifact.as_deref(),
        Some("certifi-2024.8.30-py3-none-any.whl")
    );
    assert_eq!(certifi.location.line, Some(4));
    assert_eq!(certifi.direct, None, "the lock alone does not say");
    let pytest = dep(&m, "pytest");
    assert!(pytest.dev);
    assert_eq!(pytest.groups, ["dev"]);
    let torch = dep(&m, "torch");
    assert_eq!(torch.version.as_deref(), Some("2.3.1+cpu"));
    assert_eq!(
        torch.source,
        Source::Registry {
            url: Some("https://download.pytorch.org/whl/cpu".into())
        }
    );
    let ml = dep(&m, "ml-utils");
    assert_eq!(
        vcs(&ml.source),
        (
            "https://github.com/example/ml-utils.git",
            Some("v0.4.0"),
            Some("9fceb02d0ae598e95dc970b74767f19372d61af8"),
            false
        )
    );
    let tqdm = dep(&m, "tqdm");
    assert!(tqdm.optional);
    assert_eq!(tqdm.marker.as_deref(), Some("sys_platform != \"win32\""));
}

#[test]
fn poetry_lock_v1_metadata_files() {
    let m = read("poetry-v1/poetry.lock");
    let click = dep(&m, "click");
    assert_eq!(click.hashes.len(), 2);
    assert!(!click.dev);
    let black = dep(&m, "black");
    assert!(black.dev);
    assert_eq!(black.hashes.len(), 1);
}

#[test]
fn poetry_lock_direct_from_pyproject_beside_it() {
    let discovery = discover(&data("poetry"));
    assert!(discovery.problems.is_empty());
    let lock = discovery
        .manifests
        .iter()
        .find(|m| m.kind == ManifestKind::PoetryLock)
        .unwrap();
    assert_eq!(dep(lock, "requests").direct, Some(true));
    assert_eq!(dep(lock, "certifi").direct, Some(false));
    assert_eq!(dep(lock, "pytest").direct, Some(true));
    assert_eq!(dep(lock, "iniconfig").direct, Some(false));
}

// ---------------------------------------------------------------- uv.lock

#[test]
fn uv_lock_workspace_graph_and_sources() {
    let m = read("uv-lock/uv.lock");
    let project = m.project.as_ref().unwrap();
    assert_eq!(project.name, "demo");
    assert!(
        !has(&m, "demo") && !has(&m, "demo-lib"),
        "workspace members are the project"
    );
    let anyio = dep(&m, "anyio");
    assert_eq!(anyio.version.as_deref(), Some("4.6.2.post1"));
    assert_eq!(anyio.direct, Some(true));
    assert_eq!(anyio.hashes.len(), 2);
    assert!(
        anyio.hashes[0]
            .artifact
            .as_deref()
            .unwrap()
            .ends_with("anyio-4.6.2.post1.tar.gz")
    );
    assert_eq!(
        anyio.source,
        Source::Registry {
            url: Some("https://pypi.org/simple".into())
        }
    );
    let idna = dep(&m, "idna");
    assert_eq!(idna.direct, Some(false));
    assert!(!idna.dev, "also reached from main dependencies");
    let pytest = dep(&m, "pytest");
    assert!(pytest.dev && pytest.direct == Some(true));
    assert_eq!(pytest.groups, ["dev"]);
    let mkdocs = dep(&m, "mkdocs");
    assert!(mkdocs.optional && !mkdocs.dev);
    let tokenizers = dep(&m, "tokenizers");
    assert_eq!(
        tokenizers.marker.as_deref(),
        Some("sys_platform == 'linux'")
    );
    assert_eq!(
        vcs(&tokenizers.source),
        (
            "https://github.com/huggingface/tokenizers",
            Some("v0.20.1"),
            Some("c9a8c86d3d0fe2ed2e6e67ae4c2bcc6b6b1c6a46"),
            false
        )
    );
}

// ---------------------------------------------------------------- pylock.toml

#[test]
fn pylock_sources_and_hashes() {
    let m = read("pylock/pylock.toml");
    let attrs = dep(&m, "attrs");
    assert_eq!(
        attrs.source,
        Source::Registry {
            url: Some("https://pypi.org/simple".into())
        }
    );
    assert_eq!(attrs.hashes.len(), 1);
    assert_eq!(attrs.direct, None);
    let numpy = dep(&m, "numpy");
    assert_eq!(numpy.marker.as_deref(), Some("python_version >= '3.11'"));
    assert_eq!(
        numpy.hashes[0].hex,
        "aa08e04e08aaf974d4458def539dece0d28146d866a39da5639596f4921fd761"
    );
    assert_eq!(
        vcs(&dep(&m, "peft").source),
        (
            "https://github.com/huggingface/peft.git",
            Some("v0.13.2"),
            Some("b4ddc0e2d5aa8f9d8d4a1e2bbd6c2d18b4e6f0c1"),
            false
        )
    );
    let own = dep(&m, "my-project");
    assert_eq!(own.version, None);
    assert_eq!(
        own.source,
        Source::Path {
            path: ".".into(),
            editable: true
        }
    );
    let weird = dep(&m, "weird");
    assert_eq!(
        weird.version.as_deref(),
        Some("0.7.10p1"),
        "kept as written"
    );
    assert_eq!(weird.pep440_version(), None);
    assert_eq!(problems(&m, ProblemKind::InvalidVersion).len(), 1);
    assert_eq!(
        problems(&m, ProblemKind::Malformed).len(),
        1,
        "bad hash ZZZ"
    );
}

// ---------------------------------------------------------------- Pipfile.lock

#[test]
fn pipfile_lock_sections_indexes_and_hashes() {
    let m = read("pipenv/Pipfile.lock");
    assert_eq!(m.index_urls.len(), 2);
    assert_eq!(m.index_urls[1].kind, IndexKind::Extra);
    let auth = dep(&m, "company-auth");
    assert_eq!(
        auth.source,
        Source::Registry {
            url: Some("https://pypi.internal.example/simple".into())
        }
    );
    let requests = dep(&m, "requests");
    assert_eq!(requests.version.as_deref(), Some("2.32.3"));
    assert_eq!(requests.extras, ["socks"]);
    assert_eq!(dep(&m, "certifi").hashes.len(), 2);
    let toolkit = dep(&m, "toolkit");
    assert_eq!(
        vcs(&toolkit.source),
        (
            "https://github.com/example/toolkit.git",
            Some("0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"),
            None,
            true
        )
    );
    assert_eq!(toolkit.version, None);
    let pytest = dep(&m, "pytest");
    assert!(pytest.dev);
    assert!(!dep(&m, "certifi").dev);
}

// ---------------------------------------------------------------- environment.yml

#[test]
fn conda_environment_with_pip_section() {
    let m = read("conda/environment.yml");
    assert_eq!(m.project.as_ref().unwrap().name, "llm-train");
    let channels: Vec<&str> = m
        .index_urls
        .iter()
        .filter(|i| i.kind == IndexKind::Channel)
        .map(|i| i.url.as_str())
        .collect();
    assert_eq!(channels, ["pytorch", "nvidia", "conda-forge"]);
    let python = m.dependencies.iter().find(|d| d.name == "python").unwrap();
    assert_eq!(python.ecosystem, Ecosystem::Conda);
    assert_eq!(
        (python.requirement.as_deref(), python.version.as_deref()),
        (Some("=3.11"), None)
    );
    let numpy = m.dependencies.iter().find(|d| d.name == "numpy").unwrap();
    assert_eq!(numpy.version.as_deref(), Some("1.26.4"));
    let pytorch = m.dependencies.iter().find(|d| d.name == "pytorch").unwrap();
    assert_eq!(pytorch.version.as_deref(), Some("2.3.1"));
    assert_eq!(
        pytorch.source,
        Source::Registry {
            url: Some("pytorch".into())
        }
    );
    assert_eq!(pytorch.location.line, Some(9));
    let transformers = dep(&m, "transformers");
    assert_eq!(transformers.ecosystem, Ecosystem::PyPI);
    assert_eq!(transformers.version.as_deref(), Some("4.46.0"));
    assert_eq!(transformers.location.line, Some(15));
    assert_eq!(
        dep(&m, "datasets").version.as_deref(),
        Some("3.1.0"),
        "pip -r followed"
    );
    assert!(m.index_urls.iter().any(|i| i.kind == IndexKind::Extra));
}

#[test]
fn conda_yaml_versions_stay_strings_and_aliases_are_bounded() {
    // Unquoted, `1.10` is a float to YAML; it must reach the requirements reader as written
    // (where it happens to be a valid PEP 508 project name) and never as `1.1`.
    let yaml = "dependencies:\n  - pip:\n    - 1.10\n";
    let m = parse_bytes(
        ManifestKind::CondaEnvironment,
        Path::new("environment.yml"),
        yaml.as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(m.dependencies[0].name, "1.10");
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 0..12 {
        let previous = if level == 0 {
            "a".to_owned()
        } else {
            format!("l{}", level - 1)
        };
        bomb.push_str(&format!("l{level}: &l{level} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
    }
    bomb.push_str("dependencies: [*l11]\n");
    let error = parse_bytes(
        ManifestKind::CondaEnvironment,
        Path::new("environment.yml"),
        bomb.as_bytes(),
        &Limits::default(),
    );
    assert!(error.is_err(), "alias bomb must be refused");
}

// ---------------------------------------------------------------- site-packages

#[test]
fn installed_environment_dist_info() {
    let m = read("site-packages");
    assert_eq!(m.kind, ManifestKind::InstalledEnvironment);
    let requests = dep(&m, "requests");
    assert_eq!(
        requests.version.as_deref(),
        Some("2.31.0"),
        "header, not body"
    );
    let installed = requests.installed.as_ref().unwrap();
    assert_eq!(installed.installer.as_deref(), Some("pip"));
    assert!(!installed.direct_url);
    assert_eq!(installed.record.len(), 7);
    let version_file = &installed.record[3];
    assert_eq!(version_file.path, "requests/__version__.py");
    assert_eq!(
        version_file.hash.as_ref().unwrap().hex,
        "10cfb0ed1232d97240c602cbdd104ace40f599b7deaf26485bc2da8a2a7fa845"
    );
    assert_eq!(version_file.size, Some(23));
    assert_eq!(
        installed.record[4].path, "requests/odd,name.py",
        "CSV quoting"
    );
    assert_eq!(
        installed.record[2].hash, None,
        "RECORD lists itself without a hash"
    );
    assert_eq!(installed.record[6].path, "../../../bin/requests-cli");
    assert_eq!(installed.record[6].hash, None);
    let mylib = dep(&m, "mylib");
    assert_eq!(mylib.name, "MyLib");
    assert!(mylib.installed.as_ref().unwrap().direct_url);
    assert_eq!(
        mylib.source,
        Source::Path {
            path: "/home/dev/src/mylib".into(),
            editable: true
        }
    );
    assert_eq!(dep(&m, "six").version.as_deref(), Some("1.16.0"));
    assert!(!has(&m, "broken"));
    let malformed = problems(&m, ProblemKind::Malformed);
    assert_eq!(malformed.len(), 2, "{malformed:?}");
    assert!(malformed.iter().any(|p| p.contains("broken-1.0.dist-info")));
    assert!(malformed.iter().any(|p| p.contains("not base64!")));
}

// ---------------------------------------------------------------- Cargo.lock

#[test]
fn cargo_lock_v4_and_v1() {
    let m = read("cargo/Cargo.lock");
    assert!(!m.dependencies.iter().any(|d| d.name == "airlock-demo"));
    let serde = m.dependencies.iter().find(|d| d.name == "serde").unwrap();
    assert_eq!(serde.ecosystem, Ecosystem::Crates);
    assert_eq!(serde.direct, Some(true));
    assert_eq!(
        serde.hashes[0].hex,
        "6513c1ad0b11a9376da888e3e0baa0077f1aed55c17f50e7b2397136129fb88f"
    );
    assert_eq!(serde.location.line, Some(14));
    let derive = m
        .dependencies
        .iter()
        .find(|d| d.name == "serde_derive")
        .unwrap();
    assert_eq!(derive.direct, Some(false));
    assert_eq!(
        derive.normalized_name, "serde_derive",
        "crate names are not PEP 503 normalized"
    );
    let tokenizers = m
        .dependencies
        .iter()
        .find(|d| d.name == "tokenizers")
        .unwrap();
    assert_eq!(
        vcs(&tokenizers.source),
        (
            "git+https://github.com/huggingface/tokenizers",
            Some("v0.20.1"),
            Some("c9a8c86d3d0fe2ed2e6e67ae4c2bcc6b6b1c6a46"),
            false
        )
    );
    let legacy = read("cargo-v1/Cargo.lock");
    let libc = &legacy.dependencies[0];
    assert_eq!((libc.name.as_str(), libc.direct), ("libc", Some(true)));
    assert_eq!(
        libc.hashes[0].hex,
        "6fd41f331ac7c5b8ac259b8bf82c75c0fb2e469bbf37d2becbba9a6a2221965b"
    );
}

// ---------------------------------------------------------------- package-lock.json

#[test]
fn package_lock_v3() {
    let m = read("npm/package-lock.json");
    assert_eq!(m.project.as_ref().unwrap().name, "web-ui");
    assert_eq!(
        m.dependencies.len(),
        4,
        "link and workspace folders are local code"
    );
    let babel = dep(&m, "@babel/core");
    assert_eq!(
        (babel.version.as_deref(), babel.direct),
        (Some("7.24.0"), Some(true))
    );
    assert_eq!(babel.hashes[0].algorithm, "sha512");
    assert_eq!(babel.hashes[0].hex.len(), 128);
    assert!(babel.hashes[0].hex.starts_with("7d07e4"));
    assert_eq!(
        babel.source,
        Source::Registry {
            url: Some("https://registry.npmjs.org".into())
        }
    );
    let esbuild = dep(&m, "esbuild");
    assert!(esbuild.dev && esbuild.install_script && esbuild.direct == Some(true));
    let nested = dep(&m, "ansi-regex");
    assert_eq!(nested.direct, Some(false));
}

#[test]
fn package_lock_v1_tree() {
    let m = read("npm-v1/package-lock.json");
    let names: Vec<&str> = m.dependencies.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["debug", "ms", "left-pad"]);
    assert_eq!(dep(&m, "left-pad").hashes[0].algorithm, "sha1");
    assert!(dep(&m, "ms").dev);
}

// ---------------------------------------------------------------- discovery

#[test]
fn discover_walks_and_skips() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("requirements.txt"), "requests==2.31.0\n").unwrap();
    std::fs::create_dir_all(root.join("node_modules/x")).unwrap();
    std::fs::write(root.join("node_modules/x/package-lock.json"), "{}").unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/requirements.txt"), "evil==1\n").unwrap();
    let venv = root.join(".venv");
    std::fs::create_dir_all(venv.join("lib/python3.11/site-packages/pkg-1.0.dist-info")).unwrap();
    std::fs::write(venv.join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
    std::fs::write(
        venv.join("lib/python3.11/site-packages/pkg-1.0.dist-info/METADATA"),
        "Name: pkg\nVersion: 1.0\n",
    )
    .unwrap();
    std::fs::write(venv.join("requirements.txt"), "hidden==1\n").unwrap();
    std::fs::write(root.join("uv.lock"), "this is = = not toml").unwrap();

    let found = discover(root);
    let kinds: Vec<ManifestKind> = found.manifests.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, [ManifestKind::RequirementsTxt, ManifestKind::UvLock]);
    let broken = &found.manifests[1];
    assert!(broken.dependencies.is_empty());
    assert_eq!(
        broken.problems.len(),
        1,
        "an unreadable file is reported, not dropped"
    );

    let with_installed = discover_with(
        root,
        &DiscoverOptions {
            installed: true,
            ..DiscoverOptions::default()
        },
    );
    let installed: Vec<&Manifest> = with_installed
        .manifests
        .iter()
        .filter(|m| m.kind == ManifestKind::InstalledEnvironment)
        .collect();
    assert_eq!(installed.len(), 1);
    assert_eq!(installed[0].dependencies[0].name, "pkg");
}

#[test]
fn oversized_files_are_refused_before_reading() {
    let limits = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    let error = airlock_deps::parse_file_with(&data("cargo/Cargo.lock"), &limits).unwrap_err();
    assert!(
        matches!(error, airlock_deps::DepsError::TooLarge { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("Cargo.lock"));
}

#[test]
fn syntax_errors_name_file_and_line() {
    let error = parse_bytes(
        ManifestKind::UvLock,
        Path::new("x/uv.lock"),
        b"version = 1\n[[package]\n",
        &Limits::default(),
    )
    .unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("x/uv.lock:2:"), "{text}");
}

#[test]
fn manifests_serialize_as_plain_data() {
    let m = read("uv-lock/uv.lock");
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["kind"], "uv-lock");
    assert_eq!(json["dependencies"][0]["source"]["type"], "registry");
    let back: Manifest = serde_json::from_value(json).unwrap();
    assert_eq!(back, m);
}

// ---------------------------------------------------------------- shared uv project

fn shared_uv_basic() -> Option<PathBuf> {
    let shared = std::env::var_os("AIRLOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("fixtures/lockfiles/uv-basic");
    if dir.join("uv.lock").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} has no uv.lock; set AIRLOCK_SHARED to the shared data directory",
            dir.display()
        );
        None
    }
}

fn versions(manifest: &Manifest) -> BTreeMap<String, String> {
    manifest
        .dependencies
        .iter()
        .map(|d| {
            (
                d.normalized_name.clone(),
                d.version.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn shared_uv_basic_formats_agree() {
    let Some(dir) = shared_uv_basic() else { return };
    let uv = parse_file(&dir.join("uv.lock")).unwrap();
    let pylock = parse_file(&dir.join("pylock.toml")).unwrap();
    let requirements = airlock_deps::parse_file_as(
        &dir.join("requirements-hashed.txt"),
        ManifestKind::RequirementsTxt,
        &Limits::default(),
    )
    .unwrap();
    let pyproject = parse_file(&dir.join("pyproject.toml")).unwrap();
    for manifest in [&uv, &pylock, &requirements, &pyproject] {
        assert!(
            manifest.problems.is_empty(),
            "{}: {:?}",
            manifest.path.display(),
            manifest.problems
        );
    }
    let locked = versions(&uv);
    assert_eq!(
        locked.len(),
        17,
        "18 packages in the lock, one of them the project"
    );
    assert_eq!(versions(&pylock), locked);
    assert_eq!(versions(&requirements), locked);
    assert_eq!(locked["requests"], "2.31.0");
    assert_eq!(locked["jinja2"], "3.1.2");
    assert_eq!(locked["certifi"], "2026.10.19.post1");
    assert_eq!(uv.project.as_ref().unwrap().name, "airlock-fixture");

    // Every declared requirement is locked at a version it admits.
    assert_eq!(pyproject.dependencies.len(), 4);
    for declared in &pyproject.dependencies {
        let version = &locked[&declared.normalized_name];
        if let Some(requirement) = &declared.requirement {
            let specifiers: pep440_rs::VersionSpecifiers = requirement.parse().unwrap();
            assert!(
                specifiers.contains(&version.parse().unwrap()),
                "{} {version} !~ {requirement}",
                declared.name
            );
        }
    }
    let direct = |m: &Manifest| -> Vec<String> {
        let mut names: Vec<String> = m
            .dependencies
            .iter()
            .filter(|d| d.direct == Some(true))
            .map(|d| d.normalized_name.clone())
            .collect();
        names.sort();
        names
    };
    assert_eq!(direct(&uv), ["jinja2", "pytest", "pyyaml", "requests"]);
    assert_eq!(
        direct(&requirements),
        direct(&uv),
        "`# via` annotations agree with the lock graph"
    );
    assert!(dep(&uv, "pytest").dev && dep(&uv, "iniconfig").dev && !dep(&uv, "idna").dev);

    // Same artifacts: every hash in the requirements export is in the lock.
    for exported in &requirements.dependencies {
        let hashes: Vec<&str> = dep(&uv, &exported.normalized_name)
            .hashes
            .iter()
            .map(|h| h.hex.as_str())
            .collect();
        assert!(!exported.hashes.is_empty());
        for hash in &exported.hashes {
            assert!(
                hashes.contains(&hash.hex.as_str()),
                "{} {}",
                exported.name,
                hash.hex
            );
        }
        let pylock_hashes = dep(&pylock, &exported.normalized_name).hashes.len();
        assert_eq!(pylock_hashes, hashes.len(), "{}", exported.name);
    }
    let markers = |m: &Manifest, name: &str| dep(m, name).marker.clone();
    assert_eq!(
        markers(&requirements, "colorama").as_deref(),
        Some("sys_platform == 'win32'")
    );
    assert_eq!(
        markers(&pylock, "colorama"),
        markers(&requirements, "colorama")
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 50_000;
    let toml = format!(
        "version = 1\nx = {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let json = format!(
        "{{\"packages\": {}{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let yaml = format!("dependencies: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    let cases = [
        (ManifestKind::UvLock, toml.clone()),
        (ManifestKind::Pyproject, toml.clone()),
        (ManifestKind::CargoLock, toml),
        (ManifestKind::PackageLock, json.clone()),
        (
            ManifestKind::PipfileLock,
            json.replace("packages", "default"),
        ),
        (ManifestKind::CondaEnvironment, yaml),
    ];
    for (kind, text) in cases {
        let result = parse_bytes(kind, Path::new("deep"), text.as_bytes(), &Limits::default());
        assert!(result.is_err(), "{kind:?}");
    }
}

#[test]
fn truncated_and_bit_flipped_fixtures_never_panic() {
    let fixtures = [
        (
            "requirements/requirements.txt",
            ManifestKind::RequirementsTxt,
        ),
        ("pyproject-uv/pyproject.toml", ManifestKind::Pyproject),
        ("poetry/pyproject.toml", ManifestKind::Pyproject),
        ("poetry/poetry.lock", ManifestKind::PoetryLock),
        ("uv-lock/uv.lock", ManifestKind::UvLock),
        ("pylock/pylock.toml", ManifestKind::PyLock),
        ("pipenv/Pipfile.lock", ManifestKind::PipfileLock),
        ("conda/environment.yml", ManifestKind::CondaEnvironment),
        ("cargo/Cargo.lock", ManifestKind::CargoLock),
        ("npm/package-lock.json", ManifestKind::PackageLock),
    ];
    let limits = Limits::default();
    let mut parsed = 0;
    for (relative, kind) in fixtures {
        let bytes = std::fs::read(data(relative)).unwrap();
        let path = Path::new(relative);
        for end in (0..bytes.len()).step_by(7) {
            parsed += usize::from(parse_bytes(kind, path, &bytes[..end], &limits).is_ok());
        }
        for position in (0..bytes.len()).step_by(13) {
            for bit in [0x01u8, 0x20, 0x80] {
                let mut flipped = bytes.clone();
                flipped[position] ^= bit;
                parsed += usize::from(parse_bytes(kind, path, &flipped, &limits).is_ok());
            }
        }
    }
    assert!(
        parsed > 0,
        "some damaged inputs still parse (with problems)"
    );
}

/// Inputs the `deps_manifest` fuzz target once crashed on, fed to every reader.
#[test]
fn fuzz_regressions() {
    let kinds = [
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
    let mut files: Vec<PathBuf> = std::fs::read_dir(data("regressions"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for kind in kinds {
            let _ = parse_bytes(kind, &file, &bytes, &Limits::default());
        }
    }
    // pep508-name-ending-in-dot: pep508_rs 0.9.2 panics on a name ending in `.` followed by
    // another character; it is a malformed line here.
    let m = parse_bytes(
        ManifestKind::RequirementsTxt,
        Path::new("r.txt"),
        b"Metadata-Versio.: 1.1\nok==1\n",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(problems(&m, ProblemKind::Malformed).len(), 1);
    assert!(has(&m, "ok"));
}

/// deps.md §2.3: spellings PEP 440 treats as one version are kept as written, and
/// `pep440_version` compares them equal; lexicographic order is never used.
#[test]
fn pep440_spellings_kept_as_written_and_compared_normalized() {
    let text = "a==1.0\nb==v1.0\nc==1.0-1\nd==1.0c1\ne==1.0.0-ALPHA.1\nf==1.10\ng==1.9\n";
    let m = parse_bytes(
        ManifestKind::RequirementsTxt,
        Path::new("requirements.txt"),
        text.as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    let version = |name: &str| dep(&m, name).version.clone().unwrap();
    let parsed = |name: &str| dep(&m, name).pep440_version().unwrap();
    assert_eq!(version("b"), "v1.0");
    assert_eq!(version("c"), "1.0-1");
    assert_eq!(version("d"), "1.0c1");
    assert_eq!(parsed("a"), parsed("b"));
    assert_eq!(parsed("c"), "1.0.post1".parse().unwrap());
    assert_eq!(parsed("d"), "1.0rc1".parse().unwrap());
    assert_eq!(parsed("e"), "1.0.0a1".parse().unwrap());
    assert!(parsed("f") > parsed("g"), "1.10 > 1.9, unlike strings");
    let order: Vec<pep440_rs::Version> =
        ["2.0.0.dev1", "2.0.0a1", "2.0.0rc1", "2.0.0", "2.0.0.post1"]
            .iter()
            .map(|v| v.parse().unwrap())
            .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));
    let local: pep440_rs::Version = "2.5.1+cu124".parse().unwrap();
    assert!(local < "2.6.0".parse().unwrap());
}
