//! Zip containers: every member scanned by content, every disagreement between the zip's
//! two directories reported, members hidden from the forward walk read in a second pass.

use std::io::{self, BufReader};
use std::path::Path;

use airlock_core::{ByteName, Finding, Location, rules};
use airlock_formats::zip::{self, Anomaly, Member};

use crate::findings::{is_stop_rule, stop_finding};
use crate::hashing::ErrorTap;
use crate::scanner::{Layer, Scanner};

/// A member that only the central directory names, to be read with a second, seeking pass.
pub(crate) struct HiddenMember {
    member: Member,
}

pub(crate) fn scan_zip(
    scanner: &Scanner,
    stream: &mut Layer<'_>,
    location: &Location,
    depth: u32,
    out: &mut Vec<Finding>,
    reread: &mut Vec<HiddenMember>,
) {
    if !scanner.enter(depth, location, out) {
        return;
    }
    let mut reader = stream.reader();
    let report = zip::walk(&mut reader, &scanner.limits, &mut |member, data| {
        scan_member(scanner, member, data, location, depth, out);
        Ok(())
    });
    for anomaly in &report.anomalies {
        out.push(anomaly_finding(anomaly, location));
    }
    if let Some(stop) = &report.stopped {
        out.push(stop_finding(stop, location, 0, "zip"));
    }
    for member in report.unvisited {
        if location.members.is_empty() {
            reread.push(HiddenMember { member });
        } else {
            // Nested archives arrive as streams that cannot seek back.
            out.push(Finding::new(
                &rules::ZIP501_ZIP_HEADER_MISMATCH,
                location.at(Some(member.local_header_offset), None),
                format!(
                    "member `{}` is named only by the central directory and was not reached by the forward walk; its content was not scanned",
                    ByteName::new(member.name.clone())
                ),
            ));
        }
    }
}

fn scan_member(
    scanner: &Scanner,
    member: &Member,
    data: &mut dyn io::Read,
    location: &Location,
    depth: u32,
    out: &mut Vec<Finding>,
) {
    let member_location = location.member(ByteName::new(member.name.clone()));
    let mut tap = ErrorTap::new(data);
    let mut inner = Vec::new();
    {
        let mut layer = Layer::new(&mut tap);
        scanner.scan_layer(&mut layer, &member_location, depth + 1, &mut inner, &mut Vec::new());
    }
    if let Some(error) = tap.take_error() {
        // The walker reports why the member's data broke; keep the layer above from
        // reporting the same break again as a malformed pickle.
        inner.retain(|finding| !is_stop_rule(finding.rule));
        if airlock_formats::compress::limit_error(&error).is_some() {
            out.push(crate::scanner::layer_error(&member_location, "zip member", &error));
        }
    }
    out.extend(inner);
}

/// Second pass over a top-level zip for members the forward walk could not reach.
pub(crate) fn rescan_hidden_members(
    scanner: &Scanner,
    path: &Path,
    location: &Location,
    hidden: Vec<HiddenMember>,
    out: &mut Vec<Finding>,
) {
    for HiddenMember { member } in hidden {
        let file = match fs_err::File::open(path) {
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
        let result = zip::read_member_at(
            BufReader::new(file),
            member.local_header_offset,
            &scanner.limits,
            &mut |found, data| {
                scan_member(scanner, found, data, location, 1, out);
                Ok(())
            },
        );
        if let Err(error) = result {
            out.push(stop_finding(&error, location, 0, "zip"));
        }
    }
}

fn anomaly_finding(anomaly: &Anomaly, location: &Location) -> Finding {
    let rule = match anomaly {
        Anomaly::CrcMismatch { .. } => &rules::ZIP502_ZIP_CRC_MISMATCH,
        Anomaly::FlagTrick { .. } => &rules::ZIP503_ZIP_FLAG_TRICK,
        Anomaly::UnsupportedMethod { .. } => &rules::ZIP505_ZIP_UNSUPPORTED_METHOD,
        _ => &rules::ZIP501_ZIP_HEADER_MISMATCH,
    };
    Finding::new(rule, location.at(Some(anomaly.offset()), None), anomaly.to_string())
}
