//! Tar containers: every regular member scanned by content; escaping names and links
//! reported.

use airlock_core::{Finding, Location, rules};
use airlock_formats::tar::{self, Anomaly};

use crate::findings::{TAR_STOP, escaping_name, stop_finding};
use crate::scanner::{Layer, Scanner};
use crate::zip_scan::{Parent, scan_member};

pub(crate) fn scan_tar(
    scanner: &Scanner,
    stream: &mut Layer<'_>,
    location: &Location,
    depth: u32,
    out: &mut Vec<Finding>,
) {
    if !scanner.enter(depth, location, out) {
        return;
    }
    let budget = stream.budget.clone();
    let mut reader = stream.reader();
    let report = tar::walk(&mut reader, &scanner.limits, &mut |member, data| {
        let parent = Parent {
            scanner,
            location,
            depth,
            budget: &budget,
        };
        scan_member(parent, &member.name, data, out);
        budget.check()
    });
    for member in &report.members {
        escaping_name(&member.name, Some(member.header_offset), location, out);
    }
    for anomaly in &report.anomalies {
        let rule = match anomaly {
            Anomaly::BadChecksum { .. } => &rules::TAR504_TAR_MALFORMED,
            _ => &rules::ARC101_ARCHIVE_PATH_TRAVERSAL,
        };
        out.push(Finding::new(
            rule,
            location.at(Some(anomaly.offset()), None),
            anomaly.to_string(),
        ));
    }
    if let Some(stop) = &report.stopped {
        out.extend(stop_finding(stop, location, 0, &TAR_STOP));
    }
}
