//! Rules for archives other than zip (tar, 7z) and for what any archive's member names do.

use super::refs::*;
use super::{Reference, Rule, RuleStatus};
use crate::Severity;

const CWE_22: Reference = Reference {
    id: "CWE-22",
    url: "https://cwe.mitre.org/data/definitions/22.html",
};

/// A member name or link target that lands outside the extraction directory.
pub const ARC101_ARCHIVE_PATH_TRAVERSAL: Rule = Rule {
    code: "ARC101",
    name: "archive-path-traversal",
    severity: Severity::High,
    title: "Archive member would be extracted outside its directory",
    finds: "A zip, tar or 7z member whose name is absolute (`/etc/…`, `C:\\\\…`) or climbs out with `..`, or a \
tar or 7z symbolic link (or tar hard link) whose target does.",
    why: "Unpacking a model bundle with `tarfile.extractall`, `unzip` or a hand-written loop writes such a \
member wherever the name points: over a shell profile, a Python package on the path, an SSH key. Model files \
never need such names (zip-slip, CVE-2007-4559 and its many descendants).",
    fix: "Do not unpack the archive. If you must, use an extractor that refuses escaping names (Python 3.12+ \
`tarfile` with `filter=\"data\"`).",
    references: &[
        ATLAS_SUPPLY_CHAIN,
        CWE_22,
        Reference {
            id: "CVE-2007-4559",
            url: "https://nvd.nist.gov/vuln/detail/CVE-2007-4559",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A tar structure that cannot be read to the end.
pub const TAR504_TAR_MALFORMED: Rule = Rule {
    code: "TAR504",
    name: "tar-malformed",
    severity: Severity::High,
    title: "Tar structure is malformed",
    finds: "A tar archive with a header whose checksum or size field is invalid, an extension record that is \
too long, or data cut short.",
    why: "Members after the break were not scanned, and tar readers differ in how far they read a broken \
archive (GNU tar stops at a bad checksum, some libraries skip the check).",
    fix: "Re-create the archive from a trusted copy.",
    references: &[ATLAS_SUPPLY_CHAIN, CWE_20],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// More members than the scan allows.
pub const TAR901_TAR_ENTRY_LIMIT: Rule = Rule {
    code: "TAR901",
    name: "tar-entry-limit",
    severity: Severity::High,
    title: "Tar has more members than the scan allows",
    finds: "A tar archive with more members than `scan.limits.max-archive-entries` (default 100,000).",
    why: "Member floods exhaust scanners; members past the limit were not scanned.",
    fix: "Raise `scan.limits.max-archive-entries` in `airlock.toml` if the archive is legitimately this large.",
    references: &[CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A 7z structure that cannot be read to the end.
pub const SVZ504_SEVENZ_MALFORMED: Rule = Rule {
    code: "SVZ504",
    name: "sevenz-malformed",
    severity: Severity::High,
    title: "7z archive is malformed",
    finds: "A 7z archive whose signature header, index or a compressed block does not decode, or whose \
members fail their CRC.",
    why: "Members in the broken part were not scanned. The nullifAI models (2025) were deliberately broken \
archives: loaders and scanners disagree on how much of a damaged archive they read.",
    fix: "Re-create the archive from a trusted copy, or unpack it with 7-Zip and scan the result.",
    references: &[ATLAS_SUPPLY_CHAIN, NULLIFAI, CWE_20],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// More 7z members than the scan allows.
pub const SVZ901_SEVENZ_ENTRY_LIMIT: Rule = Rule {
    code: "SVZ901",
    name: "sevenz-entry-limit",
    severity: Severity::High,
    title: "7z archive has more members than the scan allows",
    finds: "A 7z archive whose index lists more members than `scan.limits.max-archive-entries` (default \
100,000).",
    why: "Member floods exhaust scanners; the archive's members were not scanned.",
    fix: "Raise `scan.limits.max-archive-entries` in `airlock.toml` if the archive is legitimately this large.",
    references: &[CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
