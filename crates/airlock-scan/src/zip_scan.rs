//! Zip containers: every member scanned by content, every disagreement between readers
//! reported, and members the forward walk could not reach read in a second, seeking pass
//! the way PyTorch would read them.

use std::io::{self, Read, Seek};

use airlock_core::{ByteName, Finding, Location, rules};
use airlock_formats::zip::{self, Anomaly, AnomalyClass, Member, MemberSummary, ZipReport};

use crate::budget::Budget;
use crate::findings::{ZIP_STOP, escaping_name, is_stop_rule, stop_finding};
use crate::hashing::ErrorTap;
use crate::keras_scan;
use crate::scanner::{Layer, Origin, Scanner};

/// Work left for the seeking pass over a top-level zip.
pub(crate) struct Revisit {
    report: ZipReport,
}

pub(crate) fn scan_zip(
    scanner: &Scanner,
    stream: &mut Layer<'_>,
    location: &Location,
    depth: u32,
    out: &mut Vec<Finding>,
    revisit: &mut Vec<Revisit>,
) {
    if !scanner.enter(depth, location, out) {
        return;
    }
    let budget = stream.budget.clone();
    let mut reader = stream.reader();
    let parent = Parent {
        scanner,
        location,
        depth,
        budget: &budget,
    };
    let mut keras = keras_scan::Archive::default();
    let mut report = zip::walk(&mut reader, &scanner.limits, &mut |member, data| {
        if keras_scan::Archive::wants(&member.name) {
            keras.member(parent, &member.name, data, out);
        } else {
            scan_member(parent, &member.name, data, out);
        }
        budget.check()
    });
    keras.finish(scanner, location, out);
    report_walk(&report, location, out);
    let needs_second_pass = needs_recovery(&report) || !report.unvisited.is_empty();
    if !needs_second_pass {
        return;
    }
    if location.members.is_empty() {
        // A file on disk: come back with a seekable reader once this pass is done.
        report.members.shrink_to_fit();
        revisit.push(Revisit { report });
    } else {
        // Nested archives arrive as streams that cannot seek back.
        for member in &report.unvisited {
            out.push(unreachable_member(member, location));
        }
    }
}

/// The forward walk stopped before the end record: only the central directory, read
/// from the end as miniz does, can say which members PyTorch would still load.
fn needs_recovery(report: &ZipReport) -> bool {
    report.stopped.is_some() && !report.end_record_found
}

fn report_walk(report: &ZipReport, location: &Location, out: &mut Vec<Finding>) {
    for summary in &report.members {
        let member = &summary.member;
        escaping_name(
            &member.name,
            Some(member.local_header_offset),
            location,
            out,
        );
        member_errors(summary, location, out);
    }
    for anomaly in &report.anomalies {
        out.push(anomaly_finding(anomaly, location));
    }
    if let Some(stop) = &report.stopped {
        out.extend(stop_finding(stop, location, 0, &ZIP_STOP));
    }
}

/// A member whose data broke while decoding: ZIP504, or the limit's rule.
fn member_errors(summary: &MemberSummary, location: &Location, out: &mut Vec<Finding>) {
    if let Some(error) = &summary.error {
        let member_location = location.member(ByteName::new(summary.member.name.clone()));
        out.extend(stop_finding(error, &member_location, 0, &ZIP_STOP));
    }
}

/// An archive being walked: what each of its members is scanned under.
#[derive(Clone, Copy)]
pub(crate) struct Parent<'a> {
    pub(crate) scanner: &'a Scanner,
    /// Where the archive is.
    pub(crate) location: &'a Location,
    /// The archive's nesting depth; members are one deeper.
    pub(crate) depth: u32,
    /// The file's expansion budget, charged with every member byte.
    pub(crate) budget: &'a Budget,
}

/// Scans one archive member's content as a layer of its own, one level deeper.
pub(crate) fn scan_member(
    parent: Parent<'_>,
    name: &[u8],
    data: &mut dyn io::Read,
    out: &mut Vec<Finding>,
) {
    let Parent {
        scanner,
        location,
        depth,
        budget,
    } = parent;
    let member_location = location.member(ByteName::new(name));
    let mut charged = budget.charge(data);
    let mut tap = ErrorTap::new(&mut charged);
    let mut inner = Vec::new();
    {
        let mut layer = Layer::new(&mut tap, Origin::ArchiveMember, budget.clone());
        scanner.scan_layer(
            &mut layer,
            &member_location,
            depth + 1,
            &mut inner,
            &mut Vec::new(),
        );
    }
    if tap.take_error().is_some() {
        // The walk reports why the member's data broke (its summary's error); keep the
        // parser on top from reporting the same break again as its own malformation.
        inner.retain(|finding| !is_stop_rule(finding.rule));
    }
    // Read the rest here rather than leave it to the walk, so that every byte the member
    // expands into is charged to the file's budget; errors past the parser are the walk's
    // to report.
    let _ = io::copy(&mut tap, &mut io::sink());
    out.extend(inner);
}

/// Second pass over a top-level zip: the central directory as PyTorch's miniz finds it
/// (when the forward walk stopped early), then every member the walk did not visit.
///
/// `open` gives a fresh seekable reader over the same bytes (the file reopened, or the
/// caller's buffer).
pub(crate) fn revisit<R: Read + Seek>(
    scanner: &Scanner,
    open: &dyn Fn() -> io::Result<R>,
    location: &Location,
    work: Vec<Revisit>,
    budget: &Budget,
    out: &mut Vec<Finding>,
) {
    for Revisit { report } in work {
        let mut unvisited = report.unvisited.clone();
        if needs_recovery(&report) {
            // No readable central directory: PyTorch cannot open the file either, and
            // the walk's stop is already reported.
            if let Ok(recovery) = open().map_err(|e| e.to_string()).and_then(|file| {
                zip::recover(file, &report, &scanner.limits).map_err(|e| e.to_string())
            }) {
                for anomaly in &recovery.anomalies {
                    out.push(anomaly_finding(anomaly, location));
                }
                unvisited.extend(recovery.unvisited);
            }
        }
        for member in unvisited {
            let file = match open() {
                Ok(file) => file,
                Err(error) => {
                    out.push(Finding::new(
                        &rules::SCN501_FILE_UNREADABLE,
                        location.clone(),
                        format!("could not reopen to read hidden members: {error}"),
                    ));
                    return;
                }
            };
            let read = zip::read_member(file, &member, &scanner.limits, &mut |found, data| {
                let parent = Parent {
                    scanner,
                    location,
                    depth: 0,
                    budget,
                };
                scan_member(parent, &found.name, data, out);
                budget.check()
            });
            match read {
                Ok(read) => {
                    let found = &read.summary.member;
                    escaping_name(&found.name, Some(found.local_header_offset), location, out);
                    member_errors(&read.summary, location, out);
                    for anomaly in &read.anomalies {
                        out.push(anomaly_finding(anomaly, location));
                    }
                }
                Err(_) => out.push(unreachable_member(&member, location)),
            }
        }
    }
}

fn unreachable_member(member: &Member, location: &Location) -> Finding {
    // Point at the central directory record that names it: the local header offset it
    // claims may lie anywhere, even past the end of the file.
    Finding::new(
        &rules::ZIP501_ZIP_HEADER_MISMATCH,
        location.at(member.central_offset, None),
        format!(
            "member `{}` is named only by the central directory and its data (local header claimed at byte {}) could not be reached; it was not scanned",
            ByteName::new(member.name.clone()),
            member.local_header_offset
        ),
    )
}

fn anomaly_finding(anomaly: &Anomaly, location: &Location) -> Finding {
    let rule = match anomaly.class() {
        AnomalyClass::Crc => &rules::ZIP502_ZIP_CRC_MISMATCH,
        AnomalyClass::Flags => &rules::ZIP503_ZIP_FLAG_TRICK,
        AnomalyClass::Structure => &rules::ZIP504_ZIP_MALFORMED,
        AnomalyClass::Unsupported => &rules::ZIP505_ZIP_UNSUPPORTED_METHOD,
        _ => &rules::ZIP501_ZIP_HEADER_MISMATCH,
    };
    Finding::new(
        rule,
        location.at(Some(anomaly.offset()), None),
        anomaly.to_string(),
    )
}
