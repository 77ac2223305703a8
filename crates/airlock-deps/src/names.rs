//! Small shared helpers: name normalization, PEP 508 requirement splitting, digests and line
//! numbers.

use std::str::FromStr;

use crate::model::{Ecosystem, Hash};

/// PEP 503 normalization: runs of `-`, `_`, `.` become one `-`, and the name is lowercased
/// (`Foo_Bar` and `foo.bar` are the same PyPI project as `foo-bar`).
pub fn normalize_pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// The comparison form of a name in its ecosystem.
pub fn normalize(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::PyPI => normalize_pypi_name(name),
        Ecosystem::Conda => name.to_lowercase(),
        Ecosystem::Crates | Ecosystem::Npm => name.to_owned(),
    }
}

/// `true` when `version` is a valid PEP 440 version.
pub fn is_pep440(version: &str) -> bool {
    pep440_rs::Version::from_str(version).is_ok()
}

/// A PEP 508 requirement split into the parts the model keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Name as written.
    pub name: String,
    /// Extras, as written.
    pub extras: Vec<String>,
    /// Version specifiers (normalized spelling by `pep508_rs`), if any.
    pub specifier: Option<String>,
    /// The exact version when the specifier is a single `==V` (no wildcard) or `===V`.
    pub pinned: Option<String>,
    /// Direct URL (`name @ url`), if any.
    pub url: Option<String>,
    /// Marker text as written, if any.
    pub marker: Option<String>,
}

/// Split a requirement into the part `pep508_rs` parses and the marker text we keep verbatim.
///
/// Markers are deliberately not handed to `pep508_rs`: its marker algebra interns every
/// expression in a process-wide table that never shrinks, and nested parentheses recurse.
/// PEP 508 puts the marker after the first `;`, except in URL requirements, where the `;`
/// must follow whitespace because URLs may contain `;`.
fn split_marker(text: &str) -> (&str, Option<&str>) {
    let is_url_form = text
        .split(';')
        .next()
        .is_some_and(|head| head.contains('@'));
    let mut previous = ' ';
    for (index, c) in text.char_indices() {
        if c == ';' && (!is_url_form || previous.is_whitespace()) {
            let marker = text[index + 1..].trim();
            return (text[..index].trim_end(), Some(marker));
        }
        previous = c;
    }
    (text, None)
}

/// Parse one PEP 508 requirement string (`requests[socks]>=2.31 ; python_version < "3.11"`).
pub fn parse_requirement(text: &str) -> Result<Requirement, String> {
    let (head, marker) = split_marker(text.trim());
    if let Some(marker) = marker
        && marker.is_empty()
    {
        return Err("empty environment marker after `;`".to_owned());
    }
    // `===` (arbitrary equality) compares strings and admits non-PEP 440 versions, which
    // `pep508_rs` refuses: parse the name part alone and keep the string.
    if let Some((left, arbitrary)) = head.split_once("===") {
        let arbitrary = arbitrary.trim();
        if arbitrary.is_empty() || arbitrary.contains([',', ' ', '=', '<', '>', '!', '~']) {
            return Err(format!(
                "`==={arbitrary}` is not a single arbitrary-equality version"
            ));
        }
        let mut requirement = parse_requirement(left)?;
        if requirement.specifier.is_some() || requirement.url.is_some() {
            return Err("`===` combined with other specifiers".to_owned());
        }
        requirement.specifier = Some(format!("==={arbitrary}"));
        requirement.pinned = Some(arbitrary.to_owned());
        requirement.marker = marker.map(str::to_owned);
        return Ok(requirement);
    }
    check_name_ends(head)?;
    let parsed = pep508_rs::Requirement::<url::Url>::from_str(head).map_err(|e| {
        // The error renders the input with a caret line; the first line is the message.
        e.message.to_string()
    })?;
    let name = original_name(head, parsed.name.as_ref());
    let extras = parsed.extras.iter().map(ToString::to_string).collect();
    let (specifier, pinned, url) = match &parsed.version_or_url {
        None => (None, None, None),
        Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
            let pinned = match specifiers.iter().collect::<Vec<_>>().as_slice() {
                [single] => exact_pin(single).map(|normalized| written_pin(head, normalized)),
                _ => None,
            };
            let text = specifiers.to_string();
            ((!text.is_empty()).then_some(text), pinned, None)
        }
        Some(pep508_rs::VersionOrUrl::Url(url)) => (None, None, Some(url.to_string())),
    };
    Ok(Requirement {
        name,
        extras,
        specifier,
        pinned,
        url,
        marker: marker.map(str::to_owned),
    })
}

/// Refuse a name or extra ending in `-`, `_` or `.` before `pep508_rs` sees it: its parser
/// accepts such a name when another character follows (`foo.:`, `a[b-]`) and then panics on
/// its own `expect` (pep508_rs 0.9.2, `lib.rs` 477 and 658; found by the `deps_manifest`
/// fuzz target).
fn check_name_ends(head: &str) -> Result<(), String> {
    fn leading(text: &str) -> (&str, &str) {
        let text = text.trim_start();
        let end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(text.len());
        text.split_at(end)
    }
    let bad_end = |name: &str| name.ends_with(['-', '_', '.']);
    let (name, rest) = leading(head);
    if bad_end(name) {
        return Err(format!(
            "package name `{name}` must end with a letter or digit"
        ));
    }
    if let Some(extras) = rest.trim_start().strip_prefix('[') {
        let inside = extras.split(']').next().unwrap_or(extras);
        for extra in inside.split(',') {
            let (extra, _) = leading(extra);
            if bad_end(extra) {
                return Err(format!("extra `{extra}` must end with a letter or digit"));
            }
        }
    }
    Ok(())
}

/// The pinned version as the user wrote it (`==1.0-1`, not `1.0.post1`), when the text after
/// `==` is that same version; otherwise the normalized spelling.
fn written_pin(head: &str, normalized: String) -> String {
    let Some((_, after)) = head.split_once("==") else {
        return normalized;
    };
    let written = after
        .trim_start()
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .next()
        .unwrap_or_default();
    match (
        pep440_rs::Version::from_str(written),
        pep440_rs::Version::from_str(&normalized),
    ) {
        (Ok(a), Ok(b)) if a == b => written.to_owned(),
        _ => normalized,
    }
}

/// The exact version a specifier pins, if it pins one.
fn exact_pin(specifier: &pep440_rs::VersionSpecifier) -> Option<String> {
    match specifier.operator() {
        pep440_rs::Operator::Equal | pep440_rs::Operator::ExactEqual => {
            Some(specifier.version().to_string())
        }
        _ => None,
    }
}

/// The name as the user wrote it: the leading run of name characters in `text`, when it
/// normalizes to what the parser read; otherwise the parser's (normalized) name.
fn original_name(text: &str, parsed: &str) -> String {
    let written: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if normalize_pypi_name(&written) == normalize_pypi_name(parsed) {
        written
    } else {
        parsed.to_owned()
    }
}

/// Parse `alg:hex` or `alg=hex` (pip `--hash`, Poetry and uv `hash`).
pub fn parse_hash(text: &str, artifact: Option<&str>) -> Option<Hash> {
    let (algorithm, value) = text.split_once([':', '='])?;
    hex_hash(algorithm, value, artifact)
}

/// A digest already split into algorithm and hex value; `None` if the value is not hex.
pub fn hex_hash(algorithm: &str, value: &str, artifact: Option<&str>) -> Option<Hash> {
    let algorithm = algorithm.trim().to_ascii_lowercase();
    let value = value.trim();
    if algorithm.is_empty()
        || !algorithm
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        || value.is_empty()
        || !value.len().is_multiple_of(2)
        || !value.chars().all(|c| c.is_ascii_hexdigit())
    {
        return None;
    }
    Some(Hash {
        algorithm,
        hex: value.to_ascii_lowercase(),
        artifact: artifact.map(str::to_owned),
    })
}

/// A digest in base64 (standard or URL-safe, padded or not) turned into hex.
pub fn base64_hash(algorithm: &str, value: &str, artifact: Option<&str>) -> Option<Hash> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let trimmed = value.trim().trim_end_matches('=');
    let bytes = URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| STANDARD.decode(value.trim()))
        .ok()?;
    if bytes.is_empty() {
        return None;
    }
    Some(Hash {
        algorithm: algorithm.trim().to_ascii_lowercase(),
        hex: hex::encode(bytes),
        artifact: artifact.map(str::to_owned),
    })
}

/// Name and version from a wheel file name (`torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl`).
pub fn wheel_name_version(file_name: &str) -> Option<(String, String)> {
    let stem = file_name.strip_suffix(".whl")?;
    let mut parts = stem.split('-');
    let name = parts.next()?;
    let version = parts.next()?;
    // name, version, [build], python, abi, platform
    let rest = parts.count();
    if name.is_empty() || !(3..=4).contains(&rest) {
        return None;
    }
    Some((name.to_owned(), version.to_owned()))
}

/// Byte offsets of line starts, to turn parser spans into 1-based line numbers.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based line containing byte `offset`.
    pub fn line(&self, offset: usize) -> u32 {
        let line = match self.starts.binary_search(&offset) {
            Ok(index) => index + 1,
            Err(index) => index,
        };
        u32::try_from(line).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalize_pypi_name("Foo_Bar"), "foo-bar");
        assert_eq!(normalize_pypi_name("ruamel.yaml"), "ruamel-yaml");
        assert_eq!(normalize_pypi_name("zope__.-interface"), "zope-interface");
        assert_eq!(normalize_pypi_name("Jinja2"), "jinja2");
    }

    #[test]
    fn markers_split_outside_urls() {
        let r = parse_requirement("colorama==0.4.6 ; sys_platform == 'win32'").unwrap();
        assert_eq!(r.pinned.as_deref(), Some("0.4.6"));
        assert_eq!(r.marker.as_deref(), Some("sys_platform == 'win32'"));
        let r =
            parse_requirement("pkg @ https://h/x;y/pkg-1.0.tar.gz ; python_version<'3'").unwrap();
        assert_eq!(r.url.as_deref(), Some("https://h/x;y/pkg-1.0.tar.gz"));
        assert_eq!(r.marker.as_deref(), Some("python_version<'3'"));
    }

    #[test]
    fn pins_and_ranges() {
        let r = parse_requirement("Foo_Bar[x,y]>=1,<2").unwrap();
        assert_eq!(r.name, "Foo_Bar");
        assert_eq!(r.extras, ["x", "y"]);
        assert_eq!(r.pinned, None);
        assert_eq!(r.specifier.as_deref(), Some(">=1, <2"));
        assert_eq!(parse_requirement("a==2.*").unwrap().pinned, None);
        assert_eq!(
            parse_requirement("torch==2.5.1+cu124")
                .unwrap()
                .pinned
                .as_deref(),
            Some("2.5.1+cu124")
        );
        assert_eq!(
            parse_requirement("a===1.0-custom")
                .unwrap()
                .pinned
                .as_deref(),
            Some("1.0-custom")
        );
        assert_eq!(parse_requirement("pytest").unwrap().specifier, None);
        assert!(parse_requirement("not a requirement!").is_err());
        // pep508_rs 0.9.2 panics on these; they must come back as errors.
        assert!(parse_requirement("Metadata-Versio.: 1.1").is_err());
        assert!(parse_requirement("a[b-]").is_err());
        assert!(parse_requirement("a [ ok , b_ ]").is_err());
        assert!(parse_requirement("a[b.c]==1.0.*").is_ok());
    }

    #[test]
    fn hashes() {
        let h = parse_hash("SHA256:ABCD", None).unwrap();
        assert_eq!((h.algorithm.as_str(), h.hex.as_str()), ("sha256", "abcd"));
        assert!(parse_hash("sha256:xyz", None).is_none());
        assert!(parse_hash("sha256", None).is_none());
        let h = base64_hash("sha256", "AAEC_w", None).unwrap();
        assert_eq!(h.hex, "000102ff");
    }

    #[test]
    fn wheel_names() {
        assert_eq!(
            wheel_name_version("torch-2.5.1+cu124-cp311-cp311-linux_x86_64.whl"),
            Some(("torch".into(), "2.5.1+cu124".into()))
        );
        assert_eq!(wheel_name_version("pkg-1.0.tar.gz"), None);
    }

    #[test]
    fn line_index() {
        let index = LineIndex::new("a\nbc\n\nd");
        assert_eq!(index.line(0), 1);
        assert_eq!(index.line(2), 2);
        assert_eq!(index.line(3), 2);
        assert_eq!(index.line(5), 3);
        assert_eq!(index.line(6), 4);
    }
}
