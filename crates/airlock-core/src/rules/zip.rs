//! Rules for zip containers (PyTorch checkpoints, NumPy `.npz`, TorchScript, nested zips).

use super::refs::*;
use super::{Reference, Rule, RuleStatus};
use crate::Severity;

const ZIP_TAMPER_FIX: &str = "Do not trust the archive. Re-download it from a source you trust and \
compare digests; a zip written by PyTorch, NumPy or Python's `zipfile` never has this defect.";

const SONATYPE_PICKLESCAN: Reference = Reference {
    id: "CVE-2025-1944",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2025-1944",
};

/// Local file header and central directory describe a member differently.
pub const ZIP501_ZIP_HEADER_MISMATCH: Rule = Rule {
    code: "ZIP501",
    name: "zip-header-mismatch",
    severity: Severity::High,
    title: "Zip local header and central directory disagree",
    finds: "A member whose local file header and central-directory entry differ in name, sizes, compression \
method or offset, or that appears in one and not the other, or twice.",
    why: "Different readers trust different copies: PyTorch finds members through the central directory but \
reads the data after the local header, Python's `zipfile` refuses the mismatch, scanners skip it. An \
attacker hides the payload in the copy the scanner does not read (picklescan CVE-2025-1944). airlock reads \
both and scans every member either one names.",
    fix: ZIP_TAMPER_FIX,
    references: &[ATLAS_SUPPLY_CHAIN, CWE_345, SONATYPE_PICKLESCAN],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A member's data does not match its recorded CRC-32.
pub const ZIP502_ZIP_CRC_MISMATCH: Rule = Rule {
    code: "ZIP502",
    name: "zip-crc-mismatch",
    severity: Severity::High,
    title: "Zip member does not match its CRC-32",
    finds: "A member whose decoded content has a different CRC-32 from the one its headers record.",
    why: "PyTorch ignores CRCs, Python's `zipfile` raises on them, so a mismatch makes scanners built on \
`zipfile` give up while `torch.load` still runs the member (picklescan CVE-2025-10156). It also means the \
bytes changed after the archive was written.",
    fix: ZIP_TAMPER_FIX,
    references: &[
        ATLAS_SUPPLY_CHAIN,
        CWE_345,
        Reference {
            id: "CVE-2025-10156",
            url: "https://nvd.nist.gov/vuln/detail/CVE-2025-10156",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// General-purpose flag bits that make some readers refuse a member others read.
pub const ZIP503_ZIP_FLAG_TRICK: Rule = Rule {
    code: "ZIP503",
    name: "zip-flag-trick",
    severity: Severity::High,
    title: "Zip member sets flag bits that readers disagree on",
    finds: "A member with the encryption bit (or strong-encryption, masked-header or reserved bits) set in \
its general-purpose flags while its data is not actually encrypted, or with different flags in the local \
and central headers.",
    why: "Python's `zipfile` refuses a member marked encrypted; PyTorch ignores the flag and loads it. Setting \
the bit hid pickles from picklescan (CVE-2025-1945).",
    fix: ZIP_TAMPER_FIX,
    references: &[
        ATLAS_SUPPLY_CHAIN,
        CWE_345,
        Reference {
            id: "CVE-2025-1945",
            url: "https://nvd.nist.gov/vuln/detail/CVE-2025-1945",
        },
    ],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// The zip structure cannot be read to the end.
pub const ZIP504_ZIP_MALFORMED: Rule = Rule {
    code: "ZIP504",
    name: "zip-malformed",
    severity: Severity::High,
    title: "Zip structure is malformed",
    finds: "A truncated or corrupt zip: a header cut short, a bad signature where a record should start, an \
end-of-central-directory record that points outside the file, a deflate stream that does not decode.",
    why: "Members after the break could not be scanned, and loaders differ in how far they read a broken \
archive.",
    fix: ZIP_TAMPER_FIX,
    references: &[ATLAS_SUPPLY_CHAIN, CWE_20],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// A member uses a compression method airlock cannot decode, so it was not scanned.
pub const ZIP505_ZIP_UNSUPPORTED_METHOD: Rule = Rule {
    code: "ZIP505",
    name: "zip-unsupported-method",
    severity: Severity::High,
    title: "Zip member uses a compression method airlock does not decode",
    finds: "A member compressed with a method other than stored (0) or deflate (8), or really encrypted.",
    why: "Its content was not scanned, so the archive is not known to be clean. Model formats only use \
stored or deflated members.",
    fix: "Re-pack the archive with stored or deflated members, or inspect the member by other means.",
    references: &[ATLAS_SUPPLY_CHAIN, CWE_20],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// More members than the scan allows.
pub const ZIP901_ZIP_ENTRY_LIMIT: Rule = Rule {
    code: "ZIP901",
    name: "zip-entry-limit",
    severity: Severity::High,
    title: "Zip has more members than the scan allows",
    finds: "An archive with more members than `scan.limits.max-archive-entries` (default 100,000).",
    why: "Member floods exhaust scanners; members past the limit were not scanned.",
    fix: "Raise `scan.limits.max-archive-entries` in `airlock.toml` if the archive is legitimately this large.",
    references: &[CWE_400],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
