//! pip requirements files (`requirements*.txt`, constraints files).
//!
//! Follows pip's own reading (`pip/_internal/req/req_file.py`): lines ending in `\` are joined,
//! a `#` at the start or after whitespace starts a comment, the first token starting with `-`
//! starts the options. Read: PEP 508 requirements, `-r`/`--requirement` and
//! `-c`/`--constraint` includes (relative to the including file), `-e`/`--editable`,
//! `--hash`, `--index-url`/`-i`, `--extra-index-url`, `--find-links`/`-f`, `--no-index`,
//! `--trusted-host`, bare URL, VCS and path requirements (named by `#egg=` or the wheel file
//! name), and pip-compile / `uv export` `# via` annotations (an entry required only by other
//! entries of the file is transitive).
//!
//! Security: the text is untrusted. Logical lines are capped at
//! [`Limits::max_line_bytes`], include chains at [`Limits::max_include_depth`] and
//! [`Limits::max_include_files`], and an include already on the stack is a cycle, reported
//! and skipped. URL includes are never fetched and `${VAR}` is never expanded.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::model::{
    Dependency, Ecosystem, Include, IndexKind, IndexUrl, Location, Manifest, ManifestKind,
    ProblemKind, Source,
};
use crate::names::{self, parse_hash, wheel_name_version};
use crate::{Limits, Sink};

/// Parse a requirements file; with `follow_includes`, `-r`/`-c` files are read too.
pub fn parse(path: &Path, text: &str, limits: &Limits, follow_includes: bool) -> Manifest {
    let mut sink = Sink::new(path, ManifestKind::RequirementsTxt, limits);
    let mut reader = Reader::new(path, follow_includes);
    reader.file(&mut sink, path, text, false, 0);
    reader.finish(&mut sink);
    sink.finish()
}

/// State shared across a file and its includes.
pub(crate) struct Reader {
    follow_includes: bool,
    /// Canonical paths of the files being read, for cycle detection.
    stack: Vec<PathBuf>,
    files_read: usize,
    /// For each dependency index, the `# via` items annotated under it.
    via: Vec<(usize, Vec<String>)>,
}

impl Reader {
    pub(crate) fn new(root: &Path, follow_includes: bool) -> Self {
        Reader {
            follow_includes,
            stack: vec![canonical(root)],
            files_read: 1,
            via: Vec::new(),
        }
    }

    /// Read one file's text (the root or an include).
    fn file(&mut self, sink: &mut Sink, file: &Path, text: &str, constraint: bool, depth: usize) {
        let max_line = sink.limits().max_line_bytes;
        let mut logical = String::new();
        let mut first_line = 0u32;
        let mut too_long = false;
        for (index, raw) in text.lines().enumerate() {
            let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let is_comment = raw.trim_start().starts_with('#');
            if logical.is_empty() && !too_long {
                first_line = number;
            }
            let (piece, continues) = match raw.strip_suffix('\\') {
                Some(head) if !is_comment => (head, true),
                _ => (raw, false),
            };
            if is_comment && (!logical.is_empty() || too_long) {
                // pip ends a continuation at a comment line; keep it as its own line.
                let joined = std::mem::take(&mut logical);
                self.logical_line(sink, file, first_line, &joined, constraint, depth, too_long);
                too_long = false;
                first_line = number;
            }
            if logical.len() + piece.len() > max_line {
                too_long = true;
                logical.clear();
            } else if !too_long {
                logical.push_str(piece);
            }
            if !continues {
                let joined = std::mem::take(&mut logical);
                self.logical_line(sink, file, first_line, &joined, constraint, depth, too_long);
                too_long = false;
            }
        }
        if !logical.is_empty() || too_long {
            self.logical_line(
                sink, file, first_line, &logical, constraint, depth, too_long,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn logical_line(
        &mut self,
        sink: &mut Sink,
        file: &Path,
        line: u32,
        text: &str,
        constraint: bool,
        depth: usize,
        too_long: bool,
    ) {
        let location = Location::at(file, line);
        if too_long {
            sink.problem(
                ProblemKind::LimitExceeded,
                format!(
                    "logical line longer than {} bytes; skipped",
                    sink.limits().max_line_bytes
                ),
                location,
            );
            return;
        }
        if let Some(comment) = text.trim_start().strip_prefix('#') {
            self.via_comment(sink, comment);
            return;
        }
        let text = strip_comment(text).trim();
        if text.is_empty() {
            return;
        }
        self.line(sink, file, location, text, constraint, depth);
    }

    /// One logical line without its comment (also used for conda `pip:` entries).
    pub(crate) fn line(
        &mut self,
        sink: &mut Sink,
        file: &Path,
        location: Location,
        text: &str,
        constraint: bool,
        depth: usize,
    ) {
        let (args, options) = split_args_options(text);
        let options = match tokenize(options) {
            Ok(tokens) => tokens,
            Err(message) => {
                sink.problem(ProblemKind::Malformed, message, location);
                return;
            }
        };
        let mut hashes = Vec::new();
        let mut editable: Option<String> = None;
        let mut index = 0;
        while index < options.len() {
            let token = &options[index];
            index += 1;
            let Some((option, inline)) = split_option(token) else {
                sink.problem(
                    ProblemKind::Malformed,
                    format!("unexpected `{token}` after options"),
                    location.clone(),
                );
                continue;
            };
            if FLAGS.contains(&option) {
                if option == "--no-index" {
                    sink.manifest.no_index = true;
                }
                continue;
            }
            if !VALUED.contains(&option) {
                sink.problem(
                    ProblemKind::Unsupported,
                    format!("unknown option `{option}`; ignored"),
                    location.clone(),
                );
                continue;
            }
            let value = match inline {
                Some(value) => value,
                None if index < options.len() => {
                    index += 1;
                    options[index - 1].clone()
                }
                None => {
                    sink.problem(
                        ProblemKind::Malformed,
                        format!("option `{option}` needs a value"),
                        location.clone(),
                    );
                    continue;
                }
            };
            match option {
                // As in pip, `-r` starts a requirements file even inside a constraints file.
                "-r" | "--requirement" => self.include(sink, file, &location, &value, false, depth),
                "-c" | "--constraint" => self.include(sink, file, &location, &value, true, depth),
                "-e" | "--editable" => editable = Some(value),
                "-i" | "--index-url" => index_url(sink, &value, IndexKind::Primary, &location),
                "--extra-index-url" => index_url(sink, &value, IndexKind::Extra, &location),
                "-f" | "--find-links" => index_url(sink, &value, IndexKind::FindLinks, &location),
                "--trusted-host" => sink.manifest.trusted_hosts.push(value),
                "--hash" => match parse_hash(&value, None) {
                    Some(hash) => hashes.push(hash),
                    None => sink.problem(
                        ProblemKind::Malformed,
                        format!("`--hash={value}` is not `algorithm:hex`"),
                        location.clone(),
                    ),
                },
                // Build and install settings: no bearing on which package is installed.
                _ => {}
            }
        }
        let requirement = match (editable, args.trim()) {
            (Some(target), "") => Some((target, true)),
            (None, "") => None,
            (None, args) => Some((args.to_owned(), false)),
            (Some(target), args) => {
                sink.problem(
                    ProblemKind::Malformed,
                    format!("both `-e {target}` and `{args}` on one line"),
                    location.clone(),
                );
                None
            }
        };
        let Some((requirement, editable)) = requirement else {
            if !hashes.is_empty() {
                sink.problem(
                    ProblemKind::Malformed,
                    "`--hash` on a line without a requirement",
                    location,
                );
            }
            return;
        };
        if let Some(mut dependency) = requirement_line(sink, &requirement, editable, &location) {
            dependency.hashes = hashes;
            dependency.constraint = constraint;
            // A constraints file declares nothing: whether the project needs it is unknown here.
            dependency.direct = (!constraint).then_some(true);
            sink.dependency(dependency);
        }
    }

    /// A `# via …` annotation (pip-compile, `uv export`) under the last requirement.
    fn via_comment(&mut self, sink: &Sink, comment: &str) {
        let comment = comment.trim();
        let Some(last) = sink.manifest.dependencies.len().checked_sub(1) else {
            return;
        };
        if let Some(rest) = comment.strip_prefix("via") {
            if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
                return;
            }
            let items = rest.split(',').map(str::trim).filter(|s| !s.is_empty());
            let items: Vec<String> = items.map(str::to_owned).collect();
            self.via.push((last, items));
        } else if let Some((index, items)) = self.via.last_mut()
            && *index == last
            && !comment.is_empty()
        {
            items.push(comment.to_owned());
        }
    }

    /// Mark entries required only by other entries of the file as transitive.
    pub(crate) fn finish(&mut self, sink: &mut Sink) {
        let declared: HashSet<String> = sink
            .manifest
            .dependencies
            .iter()
            .map(|d| d.normalized_name.clone())
            .collect();
        for (index, items) in &self.via {
            let only_packages_here = !items.is_empty()
                && items.iter().all(|item| {
                    !item.starts_with('-') && declared.contains(&names::normalize_pypi_name(item))
                });
            if only_packages_here
                && let Some(dependency) = sink.manifest.dependencies.get_mut(*index)
            {
                dependency.direct = Some(false);
            }
        }
    }

    fn include(
        &mut self,
        sink: &mut Sink,
        file: &Path,
        location: &Location,
        target: &str,
        constraint: bool,
        depth: usize,
    ) {
        if is_url(target) {
            sink.problem(
                ProblemKind::Unsupported,
                format!("include `{target}` is a URL; not fetched"),
                location.clone(),
            );
            return;
        }
        let path = file.parent().unwrap_or(Path::new("")).join(target);
        sink.manifest.includes.push(Include {
            path: path.clone(),
            constraint,
            location: location.clone(),
        });
        if !self.follow_includes {
            return;
        }
        let limits = sink.limits();
        if depth + 1 > limits.max_include_depth {
            sink.problem(
                ProblemKind::LimitExceeded,
                format!(
                    "include `{target}` is deeper than {} levels; not read",
                    limits.max_include_depth
                ),
                location.clone(),
            );
            return;
        }
        if self.files_read >= limits.max_include_files {
            sink.problem(
                ProblemKind::LimitExceeded,
                format!(
                    "more than {} included files; `{target}` not read",
                    limits.max_include_files
                ),
                location.clone(),
            );
            return;
        }
        let key = canonical(&path);
        if self.stack.contains(&key) {
            sink.problem(
                ProblemKind::Include,
                format!("include `{target}` is already being read (cycle); skipped"),
                location.clone(),
            );
            return;
        }
        let bytes = match crate::read_capped(&path, limits) {
            Ok(bytes) => bytes,
            Err(error) => {
                sink.problem(ProblemKind::Include, error.to_string(), location.clone());
                return;
            }
        };
        let text = match crate::text(&path, &bytes) {
            Ok(text) => text,
            Err(error) => {
                sink.problem(ProblemKind::Include, error.to_string(), location.clone());
                return;
            }
        };
        self.files_read += 1;
        self.stack.push(key);
        self.file(sink, &path, text, constraint, depth + 1);
        self.stack.pop();
    }
}

/// Options that take no value.
const FLAGS: &[&str] = &[
    "--no-index",
    "--pre",
    "--prefer-binary",
    "--require-hashes",
    "--no-deps",
];

/// Options that take a value (`--opt=value` or `--opt value`).
const VALUED: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "--hash",
    "--no-binary",
    "--only-binary",
    "--use-feature",
    "--config-settings",
    "-C",
    "--global-option",
];

fn index_url(sink: &mut Sink, url: &str, kind: IndexKind, location: &Location) {
    sink.manifest.index_urls.push(IndexUrl {
        url: url.to_owned(),
        kind,
        name: None,
        location: location.clone(),
    });
}

/// pip's `COMMENT_RE = (^|\s+)#.*$`: `#` starts a comment at the start or after whitespace,
/// so URL fragments such as `#egg=` survive.
fn strip_comment(text: &str) -> &str {
    let mut previous_is_space = true;
    for (index, c) in text.char_indices() {
        if c == '#' && previous_is_space {
            return &text[..index];
        }
        previous_is_space = c.is_whitespace();
    }
    text
}

/// pip's `break_args_options`: the requirement is every token before the first one that
/// starts with `-`.
fn split_args_options(text: &str) -> (&str, &str) {
    let mut offset = 0;
    for token in text.split(' ') {
        if token.starts_with('-') {
            return (&text[..offset], &text[offset..]);
        }
        offset += token.len() + 1;
    }
    (text, "")
}

/// Split options like a POSIX shell would for the simple cases pip sees (`shlex.split`):
/// whitespace separates, single and double quotes group, backslash escapes outside quotes.
fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut in_token = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_token {
                    tokens.push(std::mem::take(&mut current));
                    in_token = false;
                }
            }
            '\'' | '"' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some(other) => current.push(other),
                        None => return Err("unterminated quote in options".to_owned()),
                    }
                }
            }
            '\\' => {
                in_token = true;
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            other => {
                in_token = true;
                current.push(other);
            }
        }
    }
    if in_token {
        tokens.push(current);
    }
    Ok(tokens)
}

/// `--opt=value` → (`--opt`, `value`); `-rfile` → (`-r`, `file`); `--opt` → (`--opt`, None).
fn split_option(token: &str) -> Option<(&str, Option<String>)> {
    if let Some(long) = token.strip_prefix("--") {
        if long.is_empty() {
            return None;
        }
        return Some(match token.split_once('=') {
            Some((option, value)) => (option, Some(value.to_owned())),
            None => (token, None),
        });
    }
    let short = token.strip_prefix('-')?;
    let first = short.chars().next()?;
    let option = &token[..1 + first.len_utf8()];
    let rest = &short[first.len_utf8()..];
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    Some((option, (!rest.is_empty()).then(|| rest.to_owned())))
}

const VCS_PREFIXES: &[&str] = &["git+", "hg+", "svn+", "bzr+"];

/// Has a URL scheme pip accepts (`https://`, `file:`, `git+ssh://`, …).
fn is_url(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once(':') else {
        return false;
    };
    let scheme = scheme.to_ascii_lowercase();
    let base = VCS_PREFIXES
        .iter()
        .find_map(|prefix| scheme.strip_prefix(prefix))
        .unwrap_or(&scheme);
    matches!(base, "http" | "https" | "file" | "ftp" | "ssh" | "git")
        || VCS_PREFIXES.iter().any(|prefix| scheme.starts_with(prefix))
}

fn is_vcs(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    VCS_PREFIXES.iter().any(|prefix| lower.starts_with(prefix))
}

/// pip's `_looks_like_path` plus archive file names.
fn looks_like_path(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    text.contains('/')
        || text.contains('\\')
        || text.starts_with('.')
        || text.starts_with('~')
        || [
            ".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar",
        ]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
}

/// `name @ url` (PEP 508 direct reference), as opposed to a path that contains `@`.
fn is_named_url(text: &str) -> bool {
    text.split_once('@').is_some_and(|(name, _)| {
        let (name, _) = strip_extras(name.trim());
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    })
}

/// Source for a VCS URL: `git+https://host/repo.git@rev#egg=name`.
pub(crate) fn vcs_source(url: &str, editable: bool) -> Source {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let path_start = without_fragment
        .find("://")
        .and_then(|scheme_end| {
            let after = scheme_end + 3;
            without_fragment[after..]
                .find('/')
                .map(|slash| after + slash)
        })
        .unwrap_or(without_fragment.len());
    let (repository, reference) = match without_fragment[path_start..].rfind('@') {
        Some(at) => (
            &without_fragment[..path_start + at],
            Some(without_fragment[path_start + at + 1..].to_owned()),
        ),
        None => (without_fragment, None),
    };
    Source::Vcs {
        url: repository.to_owned(),
        reference: reference.filter(|r| !r.is_empty()),
        commit: None,
        editable,
    }
}

/// `#egg=name` from a URL fragment.
fn egg_name(url: &str) -> Option<String> {
    let (_, fragment) = url.split_once('#')?;
    fragment
        .split('&')
        .find_map(|part| part.strip_prefix("egg="))
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

/// Strip `[extras]` from the end of a path or URL requirement.
fn strip_extras(text: &str) -> (&str, Vec<String>) {
    if let Some(head) = text.strip_suffix(']')
        && let Some(open) = head.rfind('[')
    {
        let extras = head[open + 1..]
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect();
        return (&head[..open], extras);
    }
    (text, Vec::new())
}

/// Turn the requirement part of a line into a dependency, or record why not.
pub(crate) fn requirement_line(
    sink: &mut Sink,
    text: &str,
    editable: bool,
    location: &Location,
) -> Option<Dependency> {
    let marker_split = if is_url(text) { "; " } else { ";" };
    let (head, marker) = match text.split_once(marker_split) {
        Some((head, marker)) if !head.contains('@') || is_url(head.trim()) => {
            (head.trim(), Some(marker.trim().to_owned()))
        }
        _ => (text.trim(), None),
    };
    if is_url(head) || editable || (looks_like_path(head) && !is_named_url(head)) {
        return unnamed_requirement(sink, head, marker, editable, location);
    }
    let requirement = match names::parse_requirement(text) {
        Ok(requirement) => requirement,
        Err(message) => {
            sink.problem(
                ProblemKind::Malformed,
                format!("`{text}` is not a valid requirement: {message}"),
                location.clone(),
            );
            return None;
        }
    };
    Some(from_requirement(sink, requirement, location))
}

/// A parsed PEP 508 requirement as a PyPI dependency (shared with pyproject and conda).
pub(crate) fn from_requirement(
    sink: &mut Sink,
    requirement: names::Requirement,
    location: &Location,
) -> Dependency {
    let mut dependency = Dependency::new(Ecosystem::PyPI, &requirement.name, location.clone());
    dependency.extras = requirement.extras;
    dependency.marker = requirement.marker;
    if let Some(url) = requirement.url {
        dependency.source = url_source(&url, false);
        if let Some((_, version)) = url.rsplit('/').next().and_then(wheel_name_version) {
            dependency.version = Some(version);
        }
    } else {
        dependency.version = requirement.pinned;
        dependency.requirement = requirement.specifier;
    }
    if let Some(version) = dependency.version.clone() {
        sink.check_pep440(&dependency.name, &version, location);
    }
    dependency
}

/// Source for a direct URL: VCS, local file, or archive URL.
fn url_source(url: &str, editable: bool) -> Source {
    if is_vcs(url) {
        vcs_source(url, editable)
    } else if let Some(path) = url.strip_prefix("file://") {
        Source::Path {
            path: path.to_owned(),
            editable,
        }
    } else {
        Source::Url {
            url: url.to_owned(),
        }
    }
}

/// A bare URL, VCS or path requirement, named by `#egg=` or its wheel file name.
fn unnamed_requirement(
    sink: &mut Sink,
    text: &str,
    marker: Option<String>,
    editable: bool,
    location: &Location,
) -> Option<Dependency> {
    let (target, extras) = strip_extras(text);
    let source = if is_url(target) {
        url_source(target, editable)
    } else {
        Source::Path {
            path: target.to_owned(),
            editable,
        }
    };
    let file_name = target.split('#').next().unwrap_or(target);
    let file_name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let wheel = wheel_name_version(file_name);
    let name = egg_name(target).or_else(|| wheel.as_ref().map(|(name, _)| name.clone()));
    let Some(name) = name else {
        sink.problem(
            ProblemKind::Unnamed,
            format!("`{text}` names no package (no `#egg=` and not a wheel file); its contents are unknown"),
            location.clone(),
        );
        return None;
    };
    let mut dependency = Dependency::new(Ecosystem::PyPI, &name, location.clone());
    dependency.extras = extras;
    dependency.marker = marker;
    dependency.source = source;
    if let Some((_, version)) = wheel {
        sink.check_pep440(&name, &version, location);
        dependency.version = Some(version);
    }
    Some(dependency)
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_keep_url_fragments() {
        assert_eq!(strip_comment("a==1 # c"), "a==1 ");
        assert_eq!(
            strip_comment("git+https://h/r#egg=x"),
            "git+https://h/r#egg=x"
        );
        assert_eq!(strip_comment("# all"), "");
    }

    #[test]
    fn options_split_like_pip() {
        assert_eq!(
            split_args_options("a==1 ; python_version<'3' --hash=sha256:00"),
            ("a==1 ; python_version<'3' ", "--hash=sha256:00")
        );
        assert_eq!(split_args_options("-r x.txt"), ("", "-r x.txt"));
        assert_eq!(
            split_option("-rbase.txt"),
            Some(("-r", Some("base.txt".into())))
        );
        assert_eq!(
            split_option("--hash=a:b"),
            Some(("--hash", Some("a:b".into())))
        );
        assert_eq!(split_option("--no-index"), Some(("--no-index", None)));
        assert_eq!(tokenize("-i 'a b' \"c\"").unwrap(), ["-i", "a b", "c"]);
        assert!(tokenize("-i 'a").is_err());
    }

    #[test]
    fn vcs_urls() {
        assert_eq!(
            vcs_source("git+ssh://git@github.com/org/repo.git@v1.2#egg=repo", false),
            Source::Vcs {
                url: "git+ssh://git@github.com/org/repo.git".into(),
                reference: Some("v1.2".into()),
                commit: None,
                editable: false
            }
        );
        assert_eq!(
            vcs_source("git+https://github.com/org/repo", true),
            Source::Vcs {
                url: "git+https://github.com/org/repo".into(),
                reference: None,
                commit: None,
                editable: true
            }
        );
    }
}
