//! Rules for NumPy `.npy` arrays (alone or inside `.npz`).

use super::refs::*;
use super::{Reference, Rule, RuleStatus};
use crate::Severity;

const CVE_2019_6446: Reference = Reference {
    id: "CVE-2019-6446",
    url: "https://nvd.nist.gov/vuln/detail/CVE-2019-6446",
};

/// An array of Python objects, stored as a pickle.
pub const NPY201_NUMPY_OBJECT_ARRAY: Rule = Rule {
    code: "NPY201",
    name: "numpy-object-array",
    severity: Severity::Low,
    title: "NumPy array holds Python objects as a pickle",
    finds: "A `.npy` array (alone or inside an `.npz`) with an object dtype, whose data is a pickle stream. \
airlock analyses that pickle like any other and reports its findings separately.",
    why: "Loading it needs `np.load(..., allow_pickle=True)`, which runs whatever the pickle names (the \
default was unsafe before NumPy 1.16.3, CVE-2019-6446). Numeric arrays never need this.",
    fix: "Prefer numeric dtypes. If the objects are needed, confirm the pickle has no findings before loading \
with `allow_pickle=True`.",
    references: &[ATLAS_UNSAFE_ARTIFACT, CWE_502, CVE_2019_6446],
    status: RuleStatus::Stable,
    since: "0.1.0",
};

/// The `.npy` header cannot be parsed.
pub const NPY501_NUMPY_MALFORMED: Rule = Rule {
    code: "NPY501",
    name: "numpy-malformed",
    severity: Severity::High,
    title: "NumPy array header is malformed",
    finds: "A file that starts with the `\\x93NUMPY` magic but whose version, header length or header \
dictionary (`descr`, `fortran_order`, `shape`) is invalid, or whose data is shorter than the header says.",
    why: "The array's dtype decides whether its data is a pickle, so an unreadable header leaves the data \
unchecked.",
    fix: "Re-create the array with `np.save` from a trusted copy.",
    references: &[CWE_20],
    status: RuleStatus::Stable,
    since: "0.1.0",
};
