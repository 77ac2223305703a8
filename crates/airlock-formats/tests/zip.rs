//! Zip walker: loader-faithful reading of hostile archives (research B1, B4-B6, B10, B28).

use std::io::{Cursor, Read, Write};

use airlock_formats::compress;
use airlock_formats::zip::{self as azip, Anomaly, AnomalyClass, Member, ZipReport};
use airlock_formats::{FormatError, LimitKind, Limits};
use base64::Engine as _;

/// `torch.save(OrderedDict of 4 tensors)` by PyTorch (from fixtures/torch/benign/state-dict.pt,
/// whose `.data/serialization_id` the fixture generator made deterministic; its descriptor CRC is
/// fixed here too): stored members, flags 0x0808, `PK\x07\x08` data descriptors, `FB` padding to
/// 64 bytes.
const TORCH_STATE_DICT_B64: &str = concat!(
    "UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAATAA8Ac3RhdGUtZGljdC9kYXRhLnBrbEZCCwBaWlpaWlpaWlpaWoACY2NvbGxl",
    "Y3Rpb25zCk9yZGVyZWREaWN0CnEAKVJxAShYCAAAADAud2VpZ2h0cQJjdG9yY2guX3V0aWxzCl9yZWJ1aWxkX3RlbnNvcl92",
    "MgpxAygoWAcAAABzdG9yYWdlcQRjdG9yY2gKRmxvYXRTdG9yYWdlCnEFWAEAAAAwcQZYAwAAAGNwdXEHSyB0cQhRSwBLBEsI",
    "hnEJSwhLAYZxColoAClScQt0cQxScQ1YBgAAADAuYmlhc3EOaAMoKGgEaAVYAQAAADFxD2gHSwR0cRBRSwBLBIVxEUsBhXES",
    "iWgAKVJxE3RxFFJxFVgIAAAAMi53ZWlnaHRxFmgDKChoBGgFWAEAAAAycRdoB0sIdHEYUUsASwJLBIZxGUsESwGGcRqJaAAp",
    "UnEbdHEcUnEdWAYAAAAyLmJpYXNxHmgDKChoBGgFWAEAAAAzcR9oB0sCdHEgUUsASwKFcSFLAYVxIoloAClScSN0cSRScSV1",
    "fXEmWAkAAABfbWV0YWRhdGFxJ2gAKVJxKChYAAAAAHEpfXEqWAcAAAB2ZXJzaW9ucStLAXNYAQAAADBxLH1xLWgrSwFzWAEA",
    "AAAxcS59cS9oK0sBc1gBAAAAMnEwfXExaCtLAXN1c2IuUEsHCIIwvzjZAQAA2QEAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAA",
    "AAAAGgAfAHN0YXRlLWRpY3QvLmZvcm1hdF92ZXJzaW9uRkIbAFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWjFQSwcIt+/c",
    "gwEAAAABAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAdADQAc3RhdGUtZGljdC8uc3RvcmFnZV9hbGlnbm1lbnRGQjAA",
    "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaNjRQSwcIP3dx6QIAAAACAAAAUEsDBAAA",
    "CAgAAAAAAAAAAAAAAAAAAAAAAAAUADwAc3RhdGUtZGljdC9ieXRlb3JkZXJGQjgAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa",
    "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpsaXR0bGVQSwcIhT3jGQYAAAAGAAAAUEsDBAAACAgAAAAAAAAAAAAA",
    "AAAAAAAAAAARADsAc3RhdGUtZGljdC9kYXRhLzBGQjcAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa",
    "WlpaWlpaWlpaWlpaWlpaWiJ5LbucNkI+sfyUvh04hb7WcAu+qyrCPVeK5btAh48+3oMAvZeZvz1d09q9G1SOvcLvrL6QxW++",
    "nz0VvkyUVjxrIA8+QDtZPt5wdb6Gpx2+p38DPvdQlj7nA5W9enWHPh5rab01PBk9oeijPiDtp77F6mO+rE+3vWYfDb6eZpw+",
    "UEsHCBqwoJyAAAAAgAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAEQBBAHN0YXRlLWRpY3QvZGF0YS8xRkI9AFpaWlpa",
    "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlqFqmq+hqgmvlPvfL4giam+",
    "UEsHCCXvcI4QAAAAEAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAEQAxAHN0YXRlLWRpY3QvZGF0YS8yRkItAFpaWlpa",
    "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWgRwlb6eDtw+vHZkPgAneD5Aatc8Oj+DvsA+rT2eBu++",
    "UEsHCM1R+tEgAAAAIAAAAFBLAwQAAAgIAAAAAAAAAAAAAAAAAAAAAAAAEQAhAHN0YXRlLWRpY3QvZGF0YS8zRkIdAFpaWlpa",
    "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaGvq4vsb5g75QSwcI9hx9xAgAAAAIAAAAUEsDBAAACAgAAAAAAAAAAAAAAAAAAAAA",
    "AAASADgAc3RhdGUtZGljdC92ZXJzaW9uRkI0AFpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa",
    "WlpaWlpaWlozClBLBwjRnmdVAgAAAAIAAABQSwMEAAAICAAAAAAAAHSwQmwAAAAAAAAAACEALwBzdGF0ZS1kaWN0Ly5kYXRh",
    "L3NlcmlhbGl6YXRpb25faWRGQisAWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWjcyMDM4Mjgy",
    "NjA2Nzk0Mzk2MzI3Mjc1NjMzNTI0OTYwMTA3NjUxODhQSwcIdLBCbCgAAAAoAAAAUEsBAgAAAAAICAAAAAAAAIIwvzjZAQAA",
    "2QEAABMAAAAAAAAAAAAAAAAAAAAAAHN0YXRlLWRpY3QvZGF0YS5wa2xQSwECAAAAAAgIAAAAAAAAt+/cgwEAAAABAAAAGgAA",
    "AAAAAAAAAAAAAAApAgAAc3RhdGUtZGljdC8uZm9ybWF0X3ZlcnNpb25QSwECAAAAAAgIAAAAAAAAP3dx6QIAAAACAAAAHQAA",
    "AAAAAAAAAAAAAACRAgAAc3RhdGUtZGljdC8uc3RvcmFnZV9hbGlnbm1lbnRQSwECAAAAAAgIAAAAAAAAhT3jGQYAAAAGAAAA",
    "FAAAAAAAAAAAAAAAAAASAwAAc3RhdGUtZGljdC9ieXRlb3JkZXJQSwECAAAAAAgIAAAAAAAAGrCgnIAAAACAAAAAEQAAAAAA",
    "AAAAAAAAAACWAwAAc3RhdGUtZGljdC9kYXRhLzBQSwECAAAAAAgIAAAAAAAAJe9wjhAAAAAQAAAAEQAAAAAAAAAAAAAAAACQ",
    "BAAAc3RhdGUtZGljdC9kYXRhLzFQSwECAAAAAAgIAAAAAAAAzVH60SAAAAAgAAAAEQAAAAAAAAAAAAAAAAAgBQAAc3RhdGUt",
    "ZGljdC9kYXRhLzJQSwECAAAAAAgIAAAAAAAA9hx9xAgAAAAIAAAAEQAAAAAAAAAAAAAAAACwBQAAc3RhdGUtZGljdC9kYXRh",
    "LzNQSwECAAAAAAgIAAAAAAAA0Z5nVQIAAAACAAAAEgAAAAAAAAAAAAAAAAAYBgAAc3RhdGUtZGljdC92ZXJzaW9uUEsBAgAA",
    "AAAICAAAAAAAAHSwQmwoAAAAKAAAACEAAAAAAAAAAAAAAAAAkgYAAHN0YXRlLWRpY3QvLmRhdGEvc2VyaWFsaXphdGlvbl9p",
    "ZFBLBgYsAAAAAAAAAB4DLQAAAAAAAAAAAAoAAAAAAAAACgAAAAAAAAChAgAAAAAAADgHAAAAAAAAUEsGBwAAAADZCQAAAAAA",
    "AAEAAABQSwUGAAAAAAoACgChAgAAOAcAAAAA",
);

fn torch_state_dict() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(TORCH_STATE_DICT_B64)
        .unwrap()
}

fn crc(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// One member of a hand-built archive; `c_*` override the central directory record.
#[derive(Clone, Default)]
struct E {
    name: Vec<u8>,
    content: Vec<u8>,
    deflate: bool,
    method: Option<u16>,
    flags: u16,
    extra: Vec<u8>,
    /// Data descriptor: (with signature, 64-bit sizes). Sets flag bit 3 and zeroes
    /// the local header's CRC and sizes.
    dd: Option<(bool, bool)>,
    local_crc: Option<u32>,
    local_csize: Option<u32>,
    dd_crc: Option<u32>,
    c_name: Option<Vec<u8>>,
    c_flags: Option<u16>,
    c_crc: Option<u32>,
    c_method: Option<u16>,
    c_csize: Option<u64>,
    c_usize: Option<u64>,
    c_lho: Option<u64>,
    no_central: bool,
    /// Raw bytes written before the local header.
    prefix: Vec<u8>,
}

fn e(name: &str, content: &[u8]) -> E {
    E {
        name: name.as_bytes().to_vec(),
        content: content.to_vec(),
        ..E::default()
    }
}

impl E {
    fn data(&self) -> Vec<u8> {
        if self.deflate {
            deflate(&self.content)
        } else {
            self.content.clone()
        }
    }
    fn method(&self) -> u16 {
        self.method.unwrap_or(if self.deflate { 8 } else { 0 })
    }
    fn flags(&self) -> u16 {
        self.flags | if self.dd.is_some() { 8 } else { 0 }
    }
    fn local(&self) -> Vec<u8> {
        let data = self.data();
        let real_crc = crc(&self.content);
        let mut out = Vec::new();
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&self.flags().to_le_bytes());
        out.extend_from_slice(&self.method().to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        let (c, cs, us) = if self.dd.is_some() {
            (self.local_crc.unwrap_or(0), 0u32, 0u32)
        } else {
            (
                self.local_crc.unwrap_or(real_crc),
                self.local_csize.unwrap_or(data.len() as u32),
                self.content.len() as u32,
            )
        };
        out.extend_from_slice(&c.to_le_bytes());
        out.extend_from_slice(&cs.to_le_bytes());
        out.extend_from_slice(&us.to_le_bytes());
        out.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&(self.extra.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.name);
        out.extend_from_slice(&self.extra);
        out.extend_from_slice(&data);
        if let Some((sig, wide)) = self.dd {
            if sig {
                out.extend_from_slice(b"PK\x07\x08");
            }
            out.extend_from_slice(&self.dd_crc.unwrap_or(real_crc).to_le_bytes());
            if wide {
                out.extend_from_slice(&(data.len() as u64).to_le_bytes());
                out.extend_from_slice(&(self.content.len() as u64).to_le_bytes());
            } else {
                out.extend_from_slice(&(data.len() as u32).to_le_bytes());
                out.extend_from_slice(&(self.content.len() as u32).to_le_bytes());
            }
        }
        out
    }
    fn central(&self, lho: u64) -> Vec<u8> {
        let data = self.data();
        let mut out = Vec::new();
        out.extend_from_slice(b"PK\x01\x02");
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&self.c_flags.unwrap_or(self.flags()).to_le_bytes());
        out.extend_from_slice(&self.c_method.unwrap_or(self.method()).to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&self.c_crc.unwrap_or(crc(&self.content)).to_le_bytes());
        out.extend_from_slice(&(self.c_csize.unwrap_or(data.len() as u64) as u32).to_le_bytes());
        out.extend_from_slice(
            &(self.c_usize.unwrap_or(self.content.len() as u64) as u32).to_le_bytes(),
        );
        let name = self.c_name.clone().unwrap_or_else(|| self.name.clone());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&(self.c_lho.unwrap_or(lho) as u32).to_le_bytes());
        out.extend_from_slice(&name);
        out
    }
}

struct Built {
    bytes: Vec<u8>,
    lhos: Vec<u64>,
    data_offsets: Vec<u64>,
}

/// Writes local records, `before_cd`, the central directory (plus `extra_central`
/// records, as (member, local header offset)), and the end record.
fn build_with(entries: &[E], before_cd: &[u8], extra_central: &[(E, u64)]) -> Built {
    let mut bytes = Vec::new();
    let mut lhos = Vec::new();
    let mut data_offsets = Vec::new();
    for m in entries {
        bytes.extend_from_slice(&m.prefix);
        lhos.push(bytes.len() as u64);
        data_offsets.push((bytes.len() + 30 + m.name.len() + m.extra.len()) as u64);
        bytes.extend_from_slice(&m.local());
    }
    bytes.extend_from_slice(before_cd);
    let cd_offset = bytes.len();
    let mut count = 0u16;
    for (m, lho) in entries.iter().zip(&lhos) {
        if !m.no_central {
            bytes.extend_from_slice(&m.central(*lho));
            count += 1;
        }
    }
    for (m, lho) in extra_central {
        bytes.extend_from_slice(&m.central(*lho));
        count += 1;
    }
    let cd_size = bytes.len() - cd_offset;
    bytes.extend_from_slice(&eocd(count, cd_size as u32, cd_offset as u32));
    Built {
        bytes,
        lhos,
        data_offsets,
    }
}

fn build(entries: &[E]) -> Vec<u8> {
    build_with(entries, &[], &[]).bytes
}

fn eocd(entries: u16, cd_size: u32, cd_offset: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&entries.to_le_bytes());
    out.extend_from_slice(&entries.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// Walks `data`, reading every member fully; returns the report and (name, content) pairs.
/// (name, content) of every member visited, in order.
type Seen = Vec<(Vec<u8>, Vec<u8>)>;

fn walk_all(data: &[u8], limits: &Limits) -> (ZipReport, Seen) {
    let mut seen = Vec::new();
    let report = azip::walk(data, limits, &mut |m: &Member, r: &mut dyn Read| {
        let mut buf = Vec::new();
        let res = r.read_to_end(&mut buf);
        seen.push((m.name.clone(), buf));
        res.map(|_| ())
    });
    (report, seen)
}

fn walk_default(data: &[u8]) -> (ZipReport, Seen) {
    walk_all(data, &Limits::default())
}

fn assert_clean(report: &ZipReport) {
    assert!(
        report.anomalies.is_empty(),
        "anomalies: {:#?}",
        report.anomalies
    );
    assert!(report.stopped.is_none(), "stopped: {:?}", report.stopped);
    assert!(
        report.unvisited.is_empty(),
        "unvisited: {:?}",
        report.unvisited
    );
    assert!(report.end_record_found);
    for m in &report.members {
        assert!(
            m.visited && m.error.is_none() && m.visit_error.is_none(),
            "{m:?}"
        );
    }
}

fn names(seen: &[(Vec<u8>, Vec<u8>)]) -> Vec<String> {
    seen.iter()
        .map(|(n, _)| String::from_utf8_lossy(n).into_owned())
        .collect()
}

fn zip_crate_archive(members: &[(&str, &[u8], ::zip::CompressionMethod)]) -> Vec<u8> {
    let mut w = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data, method) in members {
        let opts = ::zip::write::SimpleFileOptions::default().compression_method(*method);
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

// ---------------------------------------------------------------- ordinary archives

#[test]
fn stored_and_deflated_members_written_by_the_zip_crate() {
    let big: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let data = zip_crate_archive(&[
        ("a.txt", b"hello stored", ::zip::CompressionMethod::Stored),
        ("b.bin", &big, ::zip::CompressionMethod::Deflated),
        ("empty", b"", ::zip::CompressionMethod::Deflated),
    ]);
    let (report, seen) = walk_default(&data);
    assert_clean(&report);
    assert_eq!(names(&seen), ["a.txt", "b.bin", "empty"]);
    assert_eq!(seen[0].1, b"hello stored");
    assert_eq!(seen[1].1, big);
    assert_eq!(seen[2].1, b"");
    assert_eq!(report.members[1].crc32, Some(crc(&big)));
    assert_eq!(report.members[1].member.method, 8);
    assert_eq!(report.bytes, data.len() as u64);
    assert_eq!(report.central_records, 3);
}

#[test]
fn real_pytorch_checkpoint_reads_clean_with_its_data_descriptors() {
    let data = torch_state_dict();
    let (report, seen) = walk_default(&data);
    assert_clean(&report);
    let names = names(&seen);
    assert_eq!(names[0], "state-dict/data.pkl");
    assert!(names.contains(&"state-dict/data/0".to_string()));
    assert!(names.contains(&"state-dict/version".to_string()));
    assert_eq!(
        &seen[0].1[..2],
        b"\x80\x02",
        "data.pkl is a protocol 2 pickle"
    );
    for m in &report.members {
        assert_eq!(m.member.flags, 0x0808);
        assert_eq!(
            m.member.data_offset % 64,
            0,
            "PyTorch aligns data to 64 bytes"
        );
        let d = m.descriptor.expect("PyTorch writes data descriptors");
        assert!(d.signature && !d.zip64);
        assert_eq!(Some(d.crc32), m.crc32);
    }
}

#[test]
fn pytorch_style_archive_with_padding_extra_field() {
    // archive/data.pkl, archive/data/0, archive/version as PyTorch lays them out.
    let mut entries = Vec::new();
    let mut offset = 0usize;
    for (name, content) in [
        ("archive/data.pkl", &b"\x80\x02}q\x00."[..]),
        ("archive/data/0", &[7u8; 100][..]),
        ("archive/version", &b"3\n"[..]),
    ] {
        let header = 30 + name.len() + 4;
        let pad = (64 - (offset + header) % 64) % 64;
        let mut extra = b"FB".to_vec();
        extra.extend_from_slice(&(pad as u16).to_le_bytes());
        extra.extend(std::iter::repeat_n(b'Z', pad));
        let mut m = e(name, content);
        m.extra = extra;
        m.flags = 0x0800;
        m.dd = Some((true, false));
        offset += m.local().len();
        entries.push(m);
    }
    let data = build(&entries);
    let (report, seen) = walk_default(&data);
    assert_clean(&report);
    assert_eq!(
        names(&seen),
        ["archive/data.pkl", "archive/data/0", "archive/version"]
    );
    assert_eq!(seen[1].1, [7u8; 100]);
    for m in &report.members {
        assert_eq!(m.member.data_offset % 64, 0);
    }
}

#[test]
fn read_member_at_rereads_a_member_by_its_local_header_offset() {
    let data = torch_state_dict();
    let (report, seen) = walk_default(&data);
    let second = &report.members[1].member;
    let mut got = Vec::new();
    let read = azip::read_member_at(
        Cursor::new(&data),
        second.local_header_offset,
        &Limits::default(),
        &mut |m: &Member, r: &mut dyn Read| {
            assert_eq!(m.name, second.name);
            r.read_to_end(&mut got).map(|_| ())
        },
    )
    .unwrap();
    assert_eq!(got, seen[1].1);
    assert!(read.anomalies.is_empty(), "{:?}", read.anomalies);
    assert_eq!(read.summary.crc32, report.members[1].crc32);
    let err = azip::read_member_at(
        Cursor::new(&data),
        3,
        &Limits::default(),
        &mut |_, _| Ok(()),
    )
    .unwrap_err();
    assert!(
        matches!(err, FormatError::Invalid { offset: 3, .. }),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- B4, B5, B6

#[test]
fn b5_local_name_differs_from_central_name() {
    let mut evil = e("archive/data.pkl", b"\x80\x02cos\nsystem\n.");
    evil.c_name = Some(b"archive/data/0".to_vec());
    let data = build(&[evil]);
    let (report, seen) = walk_default(&data);
    // The content was read (under the local name), and the disagreement reported.
    assert_eq!(seen[0].1, b"\x80\x02cos\nsystem\n.");
    let [
        Anomaly::HeaderMismatch {
            name,
            field,
            local,
            central,
            offset,
            ..
        },
    ] = report.anomalies.as_slice()
    else {
        panic!("{:#?}", report.anomalies)
    };
    assert_eq!(*field, "name");
    assert_eq!(name, b"archive/data/0");
    assert_eq!(local, "\"archive/data.pkl\"");
    assert_eq!(central, "\"archive/data/0\"");
    assert_eq!(*offset, 0);
    assert_eq!(report.anomalies[0].class(), AnomalyClass::Disagreement);
    assert!(
        report.unvisited.is_empty(),
        "same bytes, nothing to re-read"
    );
    assert!(report.anomalies[0].to_string().contains("archive/data.pkl"));
}

#[test]
fn b4_encryption_flag_on_a_stored_member_is_read_as_plain() {
    let mut evil = e("archive/data.pkl", b"\x80\x02cos\nsystem\n.");
    evil.flags = 1;
    let data = build(&[evil, e("archive/version", b"3\n")]);
    let (report, seen) = walk_default(&data);
    assert_eq!(seen[0].1, b"\x80\x02cos\nsystem\n.");
    assert!(report.members[0].member.encryption_flag());
    let [
        Anomaly::FlagTrick {
            flags,
            offset,
            detail,
            ..
        },
    ] = report.anomalies.as_slice()
    else {
        panic!("{:#?}", report.anomalies)
    };
    assert_eq!((*flags, *offset), (1, 0));
    assert!(detail.contains("encryption"));
    assert_eq!(report.anomalies[0].class(), AnomalyClass::Flags);
    assert!(report.stopped.is_none());
}

#[test]
fn flags_differing_between_local_and_central_are_reported() {
    let mut m = e("a", b"x");
    m.c_flags = Some(0x0041);
    let (report, _) = walk_default(&build(&[m]));
    assert!(report.anomalies.iter().any(|a| matches!(
        a,
        Anomaly::HeaderMismatch { field: "flags", .. }
    ) && a.class() == AnomalyClass::Flags));
    assert!(
        report
            .anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::FlagTrick { flags: 0x0041, .. }))
    );
}

#[test]
fn b6_crc_mismatch_is_reported_and_the_member_still_read() {
    let mut evil = e("archive/data.pkl", b"\x80\x02cos\nsystem\n.");
    evil.local_crc = Some(0xdead_beef);
    evil.c_crc = Some(0xdead_beef);
    let data = build(&[evil]);
    let (report, seen) = walk_default(&data);
    assert_eq!(seen[0].1, b"\x80\x02cos\nsystem\n.");
    let actual = crc(b"\x80\x02cos\nsystem\n.");
    assert_eq!(
        report.anomalies,
        [Anomaly::CrcMismatch {
            name: b"archive/data.pkl".to_vec(),
            declared: 0xdead_beef,
            actual,
            offset: 0,
            source: "local header",
        }]
    );
    assert_eq!(report.anomalies[0].class(), AnomalyClass::Crc);
}

#[test]
fn crc_differing_only_in_the_central_directory_is_reported_twice_over() {
    let mut m = e("a", b"abc");
    m.c_crc = Some(1);
    let (report, _) = walk_default(&build(&[m]));
    assert!(
        report
            .anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::HeaderMismatch { field: "crc32", .. }))
    );
    assert!(report.anomalies.iter().any(|a| matches!(
        a,
        Anomaly::CrcMismatch {
            declared: 1,
            source: "central directory",
            ..
        }
    )));
}

// ---------------------------------------------------------------- hidden and extra members

#[test]
fn member_hidden_inside_another_member_is_listed_unvisited_and_readable() {
    let hidden = e("archive/data.pkl", b"\x80\x02cposix\nsystem\n.");
    let hidden_bytes = hidden.local();
    let mut cover_content = b"harmless tensor bytes ".to_vec();
    let k = cover_content.len() as u64;
    cover_content.extend_from_slice(&hidden_bytes);
    cover_content.extend_from_slice(b" more tensor bytes");
    let cover = e("archive/data/0", &cover_content);
    // First pass to learn the cover's data offset, then point a central record inside.
    let probe = build_with(std::slice::from_ref(&cover), &[], &[]);
    let lho = probe.data_offsets[0] + k;
    let built = build_with(&[cover], &[], &[(hidden.clone(), lho)]);
    let (report, seen) = walk_default(&built.bytes);
    assert_eq!(names(&seen), ["archive/data/0"]);
    assert!(report.anomalies.iter().any(|a| matches!(a,
        Anomaly::MissingLocal { local_header_offset, .. } if *local_header_offset == lho)));
    assert_eq!(report.unvisited.len(), 1);
    let m = &report.unvisited[0];
    assert_eq!(
        (m.name.as_slice(), m.local_header_offset),
        (&b"archive/data.pkl"[..], lho)
    );
    assert!(m.central_offset.is_some());

    let mut got = Vec::new();
    let read = azip::read_member(
        Cursor::new(&built.bytes),
        m,
        &Limits::default(),
        &mut |mm, r| {
            assert_eq!(mm.data_offset, lho + 30 + 16);
            r.read_to_end(&mut got).map(|_| ())
        },
    )
    .unwrap();
    assert_eq!(got, b"\x80\x02cposix\nsystem\n.");
    assert!(read.anomalies.is_empty(), "{:?}", read.anomalies);
    assert_eq!(read.summary.crc32, Some(crc(&got)));
}

#[test]
fn garbage_between_members_is_unaccounted_and_the_walk_resyncs() {
    let mut second = e("b", b"second");
    second.prefix = b"hidden data between records".to_vec();
    let built = build_with(&[e("a", b"first"), second], b"XYZ", &[]);
    let (report, seen) = walk_default(&built.bytes);
    assert_eq!(names(&seen), ["a", "b"]);
    let gaps: Vec<(u64, u64)> = report
        .anomalies
        .iter()
        .filter_map(|a| match a {
            Anomaly::UnaccountedBytes { offset, len } => Some((*offset, *len)),
            _ => None,
        })
        .collect();
    let first_gap = built.lhos[1] - 27;
    assert_eq!(gaps, [(first_gap, 27), (built.lhos[1] + 30 + 1 + 6, 3)]);
    assert!(
        report
            .anomalies
            .iter()
            .all(|a| a.class() == AnomalyClass::Structure)
    );
    assert!(report.stopped.is_none());
}

#[test]
fn prepended_bytes_are_unaccounted() {
    let mut m = e("a", b"x");
    m.prefix = b"#!/bin/sh\nexit 0\n".to_vec();
    let (report, seen) = walk_default(&build(&[m]));
    assert_eq!(names(&seen), ["a"]);
    assert!(matches!(
        report.anomalies[0],
        Anomaly::UnaccountedBytes { offset: 0, len: 17 }
    ));
}

#[test]
fn local_member_missing_from_central_directory() {
    let mut ghost = e("ghost.pkl", b"\x80\x02N.");
    ghost.no_central = true;
    let (report, seen) = walk_default(&build(&[e("a", b"1"), ghost]));
    assert_eq!(names(&seen), ["a", "ghost.pkl"]);
    assert!(report.anomalies.iter().any(|a| matches!(a,
        Anomaly::MissingFromCentral { name, .. } if name == b"ghost.pkl")));
}

#[test]
fn duplicate_names_in_both_directories() {
    let built = build_with(&[e("data.pkl", b"1"), e("data.pkl", b"2")], &[], &[]);
    let (report, _) = walk_default(&built.bytes);
    let cd_offset = built.lhos[1] + 30 + 8 + 1;
    let mut dups: Vec<(bool, u64, u64)> = report
        .anomalies
        .iter()
        .filter_map(|a| match a {
            Anomaly::Duplicate {
                central,
                offset,
                first_offset,
                ..
            } => Some((*central, *first_offset, *offset)),
            _ => None,
        })
        .collect();
    dups.sort();
    assert_eq!(
        dups,
        [
            (false, 0, built.lhos[1]),
            (true, cd_offset, cd_offset + 46 + 8)
        ],
        "{:#?}",
        report.anomalies
    );
}

#[test]
fn method_mismatch_sends_the_member_to_a_central_reread() {
    let mut m = e("data.pkl", b"\x80\x02N.");
    m.c_method = Some(8);
    let data = build(&[m]);
    let (report, _) = walk_default(&data);
    assert!(report.anomalies.iter().any(|a| matches!(
        a,
        Anomaly::HeaderMismatch {
            field: "method",
            ..
        }
    )));
    assert_eq!(report.unvisited.len(), 1);
    assert_eq!(report.unvisited[0].method, 8);
    let read = azip::read_member(
        Cursor::new(&data),
        &report.unvisited[0],
        &Limits::default(),
        &mut |_, r| {
            let mut v = Vec::new();
            r.read_to_end(&mut v).map(|_| ())
        },
    )
    .unwrap();
    // Stored bytes do not inflate: PyTorch would fail too, and so does the re-read.
    assert!(read.summary.error.is_some());
}

#[test]
fn stored_size_mismatch_sends_the_member_to_a_central_reread() {
    let mut m = e("data.pkl", b"\x80\x02N.");
    m.c_csize = Some(6);
    m.c_usize = Some(6);
    let mut tail = e("z", b"..");
    tail.prefix = Vec::new();
    let data = build(&[m, tail]);
    let (report, _) = walk_default(&data);
    assert_eq!(report.unvisited.len(), 1);
    let mut got = Vec::new();
    azip::read_member(
        Cursor::new(&data),
        &report.unvisited[0],
        &Limits::default(),
        &mut |_, r| r.read_to_end(&mut got).map(|_| ()),
    )
    .unwrap();
    assert_eq!(got, b"\x80\x02N.PK", "miniz reads the central size");
}

#[test]
fn two_central_directories_for_two_readers() {
    // The end record points at a decoy directory (miniz reads it); the directory
    // Python's zipfile finds right before the end record is another one.
    let a = e("a", b"benign");
    let local_a = a.local();
    let mut bytes = local_a.clone();
    let decoy_offset = bytes.len();
    bytes.extend_from_slice(&a.central(0));
    let decoy_len = bytes.len() - decoy_offset;
    let mut b = e("b", b"other");
    b.c_name = Some(b"b".to_vec());
    let real_offset = bytes.len();
    bytes.extend_from_slice(&b.central(0));
    let real_len = bytes.len() - real_offset;
    assert_eq!(decoy_len, real_len);
    bytes.extend_from_slice(&eocd(1, real_len as u32, decoy_offset as u32));
    let (report, _) = walk_default(&bytes);
    assert!(
        report
            .anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::DirectoryMismatch { .. })),
        "{:#?}",
        report.anomalies
    );
    assert!(report.stopped.is_none());
}

#[test]
fn entries_count_disagreeing_with_end_record() {
    let mut data = build(&[e("a", b"1"), e("b", b"2")]);
    let n = data.len();
    data[n - 12] = 1; // entries total
    data[n - 14] = 1; // entries on this disk
    let (report, _) = walk_default(&data);
    assert!(report.anomalies.iter().any(|a| matches!(a,
        Anomaly::DirectoryMismatch { detail, .. } if detail.contains("counts 1 entries"))));
}

// ---------------------------------------------------------------- data descriptors

#[test]
fn data_descriptor_layouts_all_read_clean() {
    for deflate in [false, true] {
        for sig in [false, true] {
            for wide in [false, true] {
                let mut a = e("a.pkl", b"\x80\x02}q\x00.");
                a.deflate = deflate;
                a.dd = Some((sig, wide));
                let mut b = e("b", &[0u8; 0]);
                b.deflate = deflate;
                b.dd = Some((sig, wide));
                let mut c = e("c", b"last member");
                c.deflate = deflate;
                c.dd = Some((sig, wide));
                let data = build(&[a, b, c]);
                let (report, seen) = walk_default(&data);
                let case = format!("deflate={deflate} sig={sig} zip64={wide}");
                assert_clean(&report);
                assert_eq!(names(&seen), ["a.pkl", "b", "c"], "{case}");
                assert_eq!(seen[0].1, b"\x80\x02}q\x00.", "{case}");
                assert_eq!(seen[2].1, b"last member", "{case}");
                for m in &report.members {
                    let d = m.descriptor.unwrap();
                    assert_eq!((d.signature, d.zip64), (sig, wide), "{case}");
                }
            }
        }
    }
}

#[test]
fn data_descriptor_with_wrong_crc() {
    let mut a = e("a", b"abc");
    a.dd = Some((true, false));
    a.dd_crc = Some(7);
    a.c_crc = Some(7);
    let (report, seen) = walk_default(&build(&[a]));
    assert_eq!(seen[0].1, b"abc");
    assert_eq!(report.anomalies.len(), 1, "{:#?}", report.anomalies);
    assert!(matches!(
        report.anomalies[0],
        Anomaly::CrcMismatch {
            declared: 7,
            source: "data descriptor",
            ..
        }
    ));
}

#[test]
fn stored_content_holding_a_fake_descriptor_is_reread_from_the_central_directory() {
    // Content that contains a descriptor matching its own prefix length ends early in a
    // streaming read; the central directory still names the full size.
    let mut content = b"0123".to_vec();
    content.extend_from_slice(b"PK\x07\x08");
    content.extend_from_slice(&crc(b"0123").to_le_bytes());
    content.extend_from_slice(&4u32.to_le_bytes());
    content.extend_from_slice(&4u32.to_le_bytes());
    content.extend_from_slice(b"\x80\x02cos\nsystem\n.");
    let mut a = e("archive/data.pkl", &content);
    a.dd = Some((true, false));
    let data = build(&[a]);
    let (report, seen) = walk_default(&data);
    assert_eq!(seen[0].1, b"0123");
    assert_eq!(report.unvisited.len(), 1);
    let mut got = Vec::new();
    azip::read_member(
        Cursor::new(&data),
        &report.unvisited[0],
        &Limits::default(),
        &mut |_, r| r.read_to_end(&mut got).map(|_| ()),
    )
    .unwrap();
    assert_eq!(got, content);
}

#[test]
fn missing_descriptor_after_deflate_member() {
    let mut a = e("a", b"abc");
    a.deflate = true;
    a.dd = Some((true, false));
    let mut bytes = a.local();
    bytes.truncate(bytes.len() - 16);
    let lho_b = bytes.len();
    let b = e("b", b"x");
    bytes.extend_from_slice(&b.local());
    let cd = bytes.len();
    bytes.extend_from_slice(&a.central(0));
    bytes.extend_from_slice(&b.central(lho_b as u64));
    let size = bytes.len() - cd;
    bytes.extend_from_slice(&eocd(2, size as u32, cd as u32));
    let (report, seen) = walk_default(&bytes);
    assert_eq!(names(&seen), ["a", "b"]);
    assert!(
        report
            .anomalies
            .iter()
            .any(|x| matches!(x, Anomaly::Inconsistent { .. }))
    );
}

// ---------------------------------------------------------------- nesting, names

#[test]
fn zip_in_zip_through_the_member_reader() {
    let inner = build(&[e("inner/data.pkl", b"\x80\x02cos\nsystem\n.")]);
    let mut stored = e("outer/stored.zip", &inner);
    stored.flags = 0;
    let mut deflated = e("outer/deflated.zip", &inner);
    deflated.deflate = true;
    deflated.dd = Some((true, false));
    let outer = build(&[stored, deflated]);
    let mut inner_seen = Vec::new();
    let report = azip::walk(&outer[..], &Limits::default(), &mut |_m, r| {
        let inner_report = azip::walk(r, &Limits::default(), &mut |im, ir| {
            let mut v = Vec::new();
            ir.read_to_end(&mut v)?;
            inner_seen.push((im.name.clone(), v));
            Ok(())
        });
        assert!(inner_report.stopped.is_none(), "{:?}", inner_report.stopped);
        Ok(())
    });
    assert_clean(&report);
    assert_eq!(inner_seen.len(), 2);
    for (name, content) in inner_seen {
        assert_eq!(name, b"inner/data.pkl");
        assert_eq!(content, b"\x80\x02cos\nsystem\n.");
    }
}

#[test]
fn non_utf8_names_are_kept_raw() {
    let mut m = e("", b"x");
    m.name = b"archive/\xff\xfe.pkl".to_vec();
    let (report, seen) = walk_default(&build(&[m.clone()]));
    assert_clean(&report);
    assert_eq!(seen[0].0, b"archive/\xff\xfe.pkl");
    m.flags = 0x0800;
    let (report, _) = walk_default(&build(&[m]));
    let [a @ Anomaly::Inconsistent { name, .. }] = report.anomalies.as_slice() else {
        panic!("{:#?}", report.anomalies)
    };
    assert_eq!(name, b"archive/\xff\xfe.pkl");
    assert!(a.to_string().contains("b\"archive/\\xff\\xfe.pkl\""), "{a}");
}

// ---------------------------------------------------------------- errors and limits

#[test]
fn truncated_archive_keeps_earlier_members() {
    let built = build_with(
        &[e("a", b"first"), e("b", b"second"), e("c", &[9u8; 200])],
        &[],
        &[],
    );
    let cut = built.data_offsets[2] as usize + 100;
    let (report, seen) = walk_default(&built.bytes[..cut]);
    assert_eq!(names(&seen), ["a", "b", "c"]);
    assert_eq!(seen[2].1.len(), 100, "the visitor got what was there");
    assert!(report.members[0].crc32.is_some() && report.members[1].crc32.is_some());
    assert!(matches!(
        report.members[2].error,
        Some(FormatError::Truncated { .. })
    ));
    assert!(
        matches!(report.stopped, Some(FormatError::Truncated { offset, .. }) if offset == cut as u64)
    );
    assert!(!report.end_record_found);
}

#[test]
fn entry_limit_stops_the_walk() {
    let entries: Vec<E> = (0..5).map(|i| e(&format!("m{i}"), b"x")).collect();
    let limits = Limits {
        max_archive_entries: 3,
        ..Limits::default()
    };
    let (report, seen) = walk_all(&build(&entries), &limits);
    assert_eq!(seen.len(), 3);
    assert!(matches!(
        report.stopped,
        Some(FormatError::LimitExceeded {
            limit: LimitKind::ArchiveEntries,
            value: 4,
            max: 3,
            ..
        })
    ));
}

#[test]
fn decompression_limit_stops_the_member_not_the_walk() {
    let mut big = e("big", &vec![0u8; 1 << 20]);
    big.deflate = true;
    let limits = Limits {
        max_decompressed_bytes: 100_000,
        ..Limits::default()
    };
    let mut errors = Vec::new();
    let report = azip::walk(
        &build(&[big, e("after", b"ok")])[..],
        &limits,
        &mut |_, r| {
            let mut v = Vec::new();
            if let Err(err) = r.read_to_end(&mut v) {
                errors.push(compress::limit_error(&err).map(|e| e.to_string()));
                return Err(err);
            }
            Ok(())
        },
    );
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .as_deref()
            .unwrap()
            .contains("max-decompressed-bytes")
    );
    assert!(matches!(
        report.members[0].error,
        Some(FormatError::LimitExceeded {
            limit: LimitKind::Decompression,
            max: 100_000,
            ..
        })
    ));
    assert!(
        report.members[0].visit_error.is_none(),
        "the decoding error is not doubled"
    );
    assert!(report.members[1].crc32.is_some());
    assert!(report.stopped.is_none());
    assert!(report.anomalies.is_empty(), "{:#?}", report.anomalies);
}

#[test]
fn zip_bomb_ratio_is_caught_even_without_sizes() {
    let mut bomb = e("bomb", &vec![0u8; 40 << 20]);
    bomb.deflate = true;
    bomb.dd = Some((true, false));
    let limits = Limits {
        max_compression_ratio: 100,
        ..Limits::default()
    };
    let (report, seen) = walk_all(&build(&[bomb, e("after", b"ok")]), &limits);
    assert!(matches!(
        report.members[0].error,
        Some(FormatError::LimitExceeded {
            limit: LimitKind::Decompression,
            max: 100,
            ..
        })
    ));
    assert!(seen[0].1.len() < (17 << 20));
    // The end of a data-descriptor member is unknown after the limit: the walk skips
    // to the next record and still reads the member after it.
    assert_eq!(seen[1].1, b"ok");
    assert!(report.stopped.is_none());
}

#[test]
fn unsupported_methods_are_reported_and_skipped() {
    let mut bz = e("x.bz2member", b"not really bzip2");
    bz.method = Some(12);
    let mut bz_dd = bz.clone();
    bz_dd.name = b"y".to_vec();
    bz_dd.dd = Some((true, false));
    let (report, seen) = walk_default(&build(&[bz, bz_dd, e("after", b"ok")]));
    assert_eq!(names(&seen), ["after"]);
    let methods: Vec<u16> = report
        .anomalies
        .iter()
        .filter_map(|a| match a {
            Anomaly::UnsupportedMethod { method, .. } => Some(*method),
            _ => None,
        })
        .collect();
    assert_eq!(methods, [12, 12]);
    assert!(
        report
            .anomalies
            .iter()
            .all(|a| a.class() == AnomalyClass::Unsupported)
    );
    assert!(!report.members[0].visited);
    assert!(report.unvisited.is_empty());
}

#[test]
fn visitor_errors_are_recorded_and_the_walk_goes_on() {
    let data = build(&[e("a", b"1"), e("b", b"2")]);
    let mut calls = 0;
    let report = azip::walk(&data[..], &Limits::default(), &mut |_, _| {
        calls += 1;
        Err(std::io::Error::other("visitor gave up"))
    });
    assert_eq!(calls, 2);
    assert!(
        report
            .members
            .iter()
            .all(|m| m.visit_error.is_some() && m.crc32.is_some())
    );
    assert!(report.anomalies.is_empty());
}

#[test]
fn corrupt_deflate_member_is_reported_and_the_walk_goes_on() {
    let mut a = e("a", b"hello hello hello hello");
    a.deflate = true;
    let mut data = build(&[a, e("b", b"ok")]);
    data[30 + 1] = 0xff; // first deflate byte: block type 3 (invalid)
    let (report, seen) = walk_default(&data);
    assert!(matches!(
        report.members[0].error,
        Some(FormatError::Invalid { .. })
    ));
    assert_eq!(seen.last().unwrap().1, b"ok");
}

#[test]
fn not_a_zip_never_panics() {
    for input in [
        &b""[..],
        b"PK",
        b"hello world, this is text\n",
        b"{\"json\": true}",
        &[0u8; 100_000],
    ] {
        let (report, seen) = walk_default(input);
        assert!(seen.is_empty());
        assert!(matches!(
            report.stopped,
            Some(FormatError::Truncated { .. })
        ));
        assert_eq!(report.bytes, input.len() as u64);
    }
}

// ---------------------------------------------------------------- robustness

fn check_offsets(data: &[u8], limits: &Limits) {
    let len = data.len() as u64;
    let report = azip::walk(data, limits, &mut |m, r| {
        assert!(m.local_header_offset <= len && m.data_offset <= len);
        let mut sink = Vec::new();
        let _ = r.take(1 << 22).read_to_end(&mut sink);
        Ok(())
    });
    assert!(report.bytes <= len);
    for a in &report.anomalies {
        assert!(a.offset() <= len, "{a:?} beyond {len}");
        if let Anomaly::UnaccountedBytes { offset, len: n } = a {
            assert!(offset + n <= len);
        }
        let _ = a.to_string();
    }
    for m in &report.members {
        assert!(m.member.data_offset <= len);
    }
    let mut again = report.unvisited.clone();
    if let Ok(recovery) = azip::recover(Cursor::new(data), &report, limits) {
        for a in &recovery.anomalies {
            assert!(a.offset() <= len, "{a:?} beyond {len}");
        }
        again.extend(recovery.unvisited);
    }
    for m in again.iter().take(16) {
        let _ = azip::read_member(Cursor::new(data), m, limits, &mut |_, r| {
            let mut sink = Vec::new();
            r.take(1 << 22).read_to_end(&mut sink).map(|_| ())
        });
    }
}

fn fixtures() -> Vec<Vec<u8>> {
    let mut evil = e("archive/data.pkl", b"\x80\x02cos\nsystem\n.");
    evil.c_name = Some(b"other".to_vec());
    evil.flags = 1;
    let mut dd_stored = e("s", b"stored with descriptor");
    dd_stored.dd = Some((false, false));
    let mut dd_deflate = e("d", b"deflated with descriptor, deflated with descriptor");
    dd_deflate.deflate = true;
    dd_deflate.dd = Some((true, true));
    let inner = build(&[e("inner", b"x")]);
    let mut nested = e("nested.zip", &inner);
    nested.deflate = true;
    vec![
        torch_state_dict(),
        build(&[evil]),
        build(&[dd_stored, dd_deflate]),
        build(&[nested]),
        zip_crate_archive(&[
            (
                "a",
                b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                ::zip::CompressionMethod::Deflated,
            ),
            ("b", b"b", ::zip::CompressionMethod::Stored),
        ]),
    ]
}

#[test]
fn every_fixture_truncated_and_bit_flipped_never_panics() {
    let limits = Limits {
        max_archive_entries: 64,
        max_decompressed_bytes: 1 << 20,
        ..Limits::default()
    };
    for data in fixtures() {
        for cut in 0..data.len() {
            check_offsets(&data[..cut], &limits);
        }
        for i in 0..data.len() {
            let mut flipped = data.clone();
            flipped[i] ^= 1 << (i % 8);
            check_offsets(&flipped, &limits);
            flipped[i] = 0xff;
            check_offsets(&flipped, &limits);
        }
    }
}

#[test]
fn zip64_records_as_large_pytorch_checkpoints_write_them() {
    // Local and central headers with saturated sizes and a zip64 extra field, a 64-bit
    // data descriptor, then zip64 end record, locator and a saturated end record.
    let content = b"\x80\x02}q\x00.".to_vec();
    let n = content.len() as u64;
    let mut zip64_local = vec![1, 0, 16, 0];
    zip64_local.extend_from_slice(&n.to_le_bytes());
    zip64_local.extend_from_slice(&n.to_le_bytes());
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"PK\x03\x04\x2d\x00\x08\x08\x00\x00\x00\x00\x00\x00");
    bytes.extend_from_slice(&[0; 4]);
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&(16u16).to_le_bytes());
    bytes.extend_from_slice(&(zip64_local.len() as u16).to_le_bytes());
    bytes.extend_from_slice(b"archive/data.pkl");
    bytes.extend_from_slice(&zip64_local);
    bytes.extend_from_slice(&content);
    bytes.extend_from_slice(b"PK\x07\x08");
    bytes.extend_from_slice(&crc(&content).to_le_bytes());
    bytes.extend_from_slice(&n.to_le_bytes());
    bytes.extend_from_slice(&n.to_le_bytes());
    let cd_offset = bytes.len() as u64;
    let mut zip64_central = vec![1, 0, 24, 0];
    zip64_central.extend_from_slice(&n.to_le_bytes());
    zip64_central.extend_from_slice(&n.to_le_bytes());
    zip64_central.extend_from_slice(&0u64.to_le_bytes());
    bytes.extend_from_slice(b"PK\x01\x02\x2d\x00\x2d\x00\x08\x08\x00\x00\x00\x00\x00\x00");
    bytes.extend_from_slice(&crc(&content).to_le_bytes());
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&(16u16).to_le_bytes());
    bytes.extend_from_slice(&(zip64_central.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&[0; 10]);
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(b"archive/data.pkl");
    bytes.extend_from_slice(&zip64_central);
    let cd_size = bytes.len() as u64 - cd_offset;
    let zip64_end = bytes.len() as u64;
    bytes.extend_from_slice(b"PK\x06\x06");
    bytes.extend_from_slice(&44u64.to_le_bytes());
    bytes.extend_from_slice(&[0x2d, 0, 0x2d, 0]);
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(&1u64.to_le_bytes());
    bytes.extend_from_slice(&1u64.to_le_bytes());
    bytes.extend_from_slice(&cd_size.to_le_bytes());
    bytes.extend_from_slice(&cd_offset.to_le_bytes());
    bytes.extend_from_slice(b"PK\x06\x07\x00\x00\x00\x00");
    bytes.extend_from_slice(&zip64_end.to_le_bytes());
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend_from_slice(&eocd(u16::MAX, u32::MAX, u32::MAX));
    let (report, seen) = walk_default(&bytes);
    assert_clean(&report);
    assert_eq!(seen[0].1, content);
    let d = report.members[0].descriptor.unwrap();
    assert!(d.zip64 && d.signature);
    assert_eq!(
        report.members[0].member.compressed_size, n,
        "zip64 extra read"
    );
}

#[test]
fn local_size_that_swallows_later_members_is_recovered_from_the_central_directory() {
    // A streaming reader trusts the local size and reads the rest of the file as the
    // first member; PyTorch reads the central directory and loads the second member.
    let mut cover = e("archive/version", b"3\n");
    cover.local_csize = Some(0x7fff_ffff);
    let evil = e("archive/data.pkl", b"\x80\x02cposix\nsystem\n.");
    let built = build_with(&[cover, evil], &[], &[]);
    let (report, seen) = walk_default(&built.bytes);
    assert_eq!(names(&seen), ["archive/version"]);
    assert!(matches!(
        report.stopped,
        Some(FormatError::Truncated { .. })
    ));
    assert!(
        report.unvisited.is_empty(),
        "no central directory was reached"
    );

    let recovery = azip::recover(Cursor::new(&built.bytes), &report, &Limits::default()).unwrap();
    let lhos: Vec<u64> = recovery
        .unvisited
        .iter()
        .map(|m| m.local_header_offset)
        .collect();
    assert_eq!(lhos, built.lhos, "both members, as PyTorch reads them");
    assert!(recovery.anomalies.iter().any(|a| matches!(
        a,
        Anomaly::HeaderMismatch {
            field: "compressed size",
            ..
        }
    )));
    assert!(
        recovery
            .anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::MissingLocal { .. }))
    );
    let mut got = Vec::new();
    azip::read_member(
        Cursor::new(&built.bytes),
        &recovery.unvisited[1],
        &Limits::default(),
        &mut |_, r| r.read_to_end(&mut got).map(|_| ()),
    )
    .unwrap();
    assert_eq!(got, b"\x80\x02cposix\nsystem\n.");

    // No end record at all: nothing to recover, and an error says so.
    let cut = &built.bytes[..built.bytes.len() - 22];
    assert!(azip::recover(Cursor::new(cut), &report, &Limits::default()).is_err());
}
