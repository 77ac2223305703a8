//! 7z containers: every member scanned by content; escaping names and links, encrypted
//! blocks and blocks that do not decode reported.

use airlock_core::{ByteName, Finding, Location, rules};
use airlock_formats::FormatError;
use airlock_formats::paths::symlink_escapes;
use airlock_formats::sevenz;

use crate::findings::{SEVENZ_STOP, escaping_name, stop_finding};
use crate::scanner::{Layer, Scanner, layer_error};
use crate::zip_scan::{Parent, scan_member};

pub(crate) fn scan_sevenz(
    scanner: &Scanner,
    stream: &mut Layer<'_>,
    location: &Location,
    depth: u32,
    out: &mut Vec<Finding>,
) {
    if !scanner.enter(depth, location, out) {
        return;
    }
    let source = match stream.random_access(scanner.limits.max_buffered_bytes) {
        Ok(source) => source,
        Err(error) => {
            out.push(layer_error(location, "7z", &error));
            return;
        }
    };
    let budget = stream.budget.clone();
    let report = sevenz::walk(source, &scanner.limits, &mut |entry, data| {
        let parent = Parent {
            scanner,
            location,
            depth,
            budget: &budget,
        };
        scan_member(parent, entry.name.as_bytes(), data, out);
        budget.check()
    });
    for name in &report.names {
        escaping_name(name.as_bytes(), None, location, out);
    }
    for link in &report.links {
        if symlink_escapes(link.name.as_bytes(), &link.target) {
            out.push(Finding::new(
                &rules::ARC101_ARCHIVE_PATH_TRAVERSAL,
                location.clone(),
                format!(
                    "link member {} points to {}, outside the extraction directory",
                    ByteName::from(link.name.as_str()),
                    ByteName::new(link.target.clone())
                ),
            ));
        }
    }
    if !report.encrypted.is_empty() {
        out.push(Finding::new(
            &rules::SCN201_CONTAINER_NOT_SCANNED,
            location.clone(),
            format!(
                "{} member(s) are AES-encrypted and were not scanned, first `{}`",
                report.encrypted.len(),
                ByteName::from(report.encrypted.first().map_or("", String::as_str))
            ),
        ));
    }
    // 7z errors carry no byte offset: the reader knows the block, not the position.
    for broken in report.broken_blocks.iter().chain(&report.stopped) {
        out.extend(match broken {
            FormatError::Unsupported { what, .. } => Some(Finding::new(
                &rules::SCN201_CONTAINER_NOT_SCANNED,
                location.clone(),
                format!("7z members were not scanned: {what}"),
            )),
            FormatError::Invalid { reason, .. } => Some(Finding::new(
                &rules::SVZ504_SEVENZ_MALFORMED,
                location.clone(),
                format!("7z {reason}; members after the break were not scanned"),
            )),
            FormatError::Truncated { what, .. } => Some(Finding::new(
                &rules::SVZ504_SEVENZ_MALFORMED,
                location.clone(),
                format!("7z {what} is truncated; members after the break were not scanned"),
            )),
            _ => stop_finding(broken, location, 0, &SEVENZ_STOP),
        });
    }
}
