//! safetensors headers: benign files written by the real library, crafted framing abuse
//! (research B38), and every sample truncated and bit-flipped without a panic.

use airlock_formats::detect::{self, Kind};
use airlock_formats::safetensors::{self, Anomaly, MAX_HEADER_SIZE, SafetensorsReport};
use airlock_formats::{FormatError, Limits};

// Written by safetensors 0.8.0 (numpy 2.4.6) with tests/data/safetensors/make.py.
const NUMPY_DTYPES: &[u8] = include_bytes!("data/safetensors/numpy_dtypes.safetensors");
const LOW_PRECISION: &[u8] = include_bytes!("data/safetensors/low_precision.safetensors");
const METADATA_ONLY: &[u8] = include_bytes!("data/safetensors/metadata_only.safetensors");
const PLAIN: &[u8] = include_bytes!("data/safetensors/plain.safetensors");

const BENIGN: &[&[u8]] = &[NUMPY_DTYPES, LOW_PRECISION, METADATA_ONLY, PLAIN];

/// Parses a whole in-memory file, telling the parser its size.
fn scan(data: &[u8]) -> SafetensorsReport {
    let mut reader = data;
    safetensors::read_header(&mut reader, Some(data.len() as u64), &Limits::default())
}

/// Parses without the size, then gives the data length as a draining caller would.
fn scan_streaming(data: &[u8]) -> SafetensorsReport {
    let mut reader = data;
    let mut report = safetensors::read_header(&mut reader, None, &Limits::default());
    let consumed = (data.len() - reader.len()) as u64;
    assert_eq!(Some(consumed), report.data_start.or(Some(consumed)));
    report.check_layout(reader.len() as u64);
    report
}

/// A file with the given header text and data bytes.
fn file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn entry(name: &str, dtype: &str, shape: &str, begin: u64, end: u64) -> String {
    format!(r#""{name}":{{"dtype":"{dtype}","shape":{shape},"data_offsets":[{begin},{end}]}}"#)
}

#[test]
fn benign_files_from_the_library_are_clean() {
    for (i, sample) in BENIGN.iter().enumerate() {
        assert_eq!(detect::sniff(sample), Kind::Safetensors, "sample {i}");
        for report in [scan(sample), scan_streaming(sample)] {
            assert!(
                report.anomalies.is_empty(),
                "sample {i}: {:?}",
                report.anomalies
            );
            assert!(report.stopped.is_none(), "sample {i}: {:?}", report.stopped);
            assert!(report.loader_accepts());
            let start = report.data_start.unwrap();
            assert_eq!(start + report.data_len.unwrap(), sample.len() as u64);
        }
    }
}

#[test]
fn numpy_dtypes_facts() {
    let report = scan(NUMPY_DTYPES);
    let names: Vec<&str> = report.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "i64", "f64", "empty", "f32", "scalar", "f16", "i8", "u8", "bool"
        ]
    );
    let f32 = report.tensors.iter().find(|t| t.name == "f32").unwrap();
    assert_eq!(
        (f32.dtype.as_str(), f32.shape.as_slice()),
        ("F32", &[2, 3][..])
    );
    assert_eq!((f32.begin, f32.end, f32.numel), (40, 64, Some(6)));
    let empty = report.tensors.iter().find(|t| t.name == "empty").unwrap();
    assert_eq!((empty.numel, empty.begin, empty.end), (Some(0), 40, 40));
    let scalar = report.tensors.iter().find(|t| t.name == "scalar").unwrap();
    assert_eq!((scalar.ndim, scalar.numel), (0, Some(1)));
    assert_eq!(
        report.metadata,
        Some(vec![("format".to_string(), "pt".to_string())])
    );
    assert_eq!(report.metadata_bytes, 8);
}

#[test]
fn low_precision_dtypes_are_known() {
    let report = scan(LOW_PRECISION);
    let mut dtypes: Vec<&str> = report.tensors.iter().map(|t| t.dtype.as_str()).collect();
    dtypes.sort_unstable();
    assert_eq!(
        dtypes,
        [
            "BF16",
            "BF16",
            "F4",
            "F8_E4M3",
            "F8_E4M3FNUZ",
            "F8_E5M2",
            "F8_E5M2FNUZ",
            "F8_E8M0"
        ]
    );
    let f4 = report.tensors.iter().find(|t| t.name == "f4").unwrap();
    assert_eq!((f4.numel, f4.end - f4.begin), (Some(6), 3));
}

#[test]
fn metadata_only_and_unicode() {
    let report = scan(METADATA_ONLY);
    assert!(report.tensors.is_empty());
    assert_eq!(report.data_len, Some(0));
    let meta = report.metadata.unwrap();
    assert_eq!(meta[1], ("b".to_string(), "é".to_string()));
}

#[test]
fn reader_is_left_at_the_data() {
    let mut reader = PLAIN;
    let report = safetensors::read_header(&mut reader, None, &Limits::default());
    assert_eq!(
        (PLAIN.len() - reader.len()) as u64,
        report.data_start.unwrap()
    );
    assert_eq!(reader.len(), 65536);
    assert_eq!(report.data_len, None, "layout waits for the data length");
}

#[test]
fn header_over_the_cap_is_not_read() {
    for declared in [MAX_HEADER_SIZE + 1, u64::MAX, u64::MAX - 7] {
        let mut data = declared.to_le_bytes().to_vec();
        data.extend_from_slice(b"{}");
        for report in [scan(&data), scan_streaming(&data)] {
            assert_eq!(report.anomalies, [Anomaly::HeaderTooLarge { declared }]);
            assert_eq!(report.data_start, None);
            assert!(!report.loader_accepts());
        }
    }
    // Exactly at the cap is allowed (and here runs past the file).
    let mut data = MAX_HEADER_SIZE.to_le_bytes().to_vec();
    data.extend_from_slice(b"{}");
    assert_eq!(
        scan(&data).anomalies,
        [Anomaly::HeaderBeyondFile {
            declared: MAX_HEADER_SIZE,
            available: 2
        }]
    );
}

#[test]
fn header_length_past_the_file() {
    let mut data = file("{}", b"");
    data[0] = 200;
    let report = scan(&data);
    assert_eq!(
        report.anomalies,
        [Anomaly::HeaderBeyondFile {
            declared: 200,
            available: 2
        }]
    );
    // Without the size, reading finds the truncation.
    let report = scan_streaming(&data);
    assert!(matches!(
        report.stopped,
        Some(FormatError::Truncated { offset: 10, .. })
    ));
    // Shorter than the length field.
    let report = scan(&data[..5]);
    assert!(matches!(
        report.stopped,
        Some(FormatError::Truncated { offset: 5, .. })
    ));
    assert!(!report.loader_accepts());
}

#[test]
fn out_of_range_offsets() {
    let header = format!("{{{}}}", entry("w", "U8", "[8]", 0, 8));
    let report = scan(&file(&header, &[0; 4]));
    assert_eq!(
        report.anomalies,
        [Anomaly::OutOfRange {
            name: "w".into(),
            end: 8,
            data_len: 4
        }]
    );
    // Offsets near u64::MAX: shape size overflow and out of range, no panic.
    let huge = u64::MAX;
    let header = format!(
        "{{{}}}",
        entry("w", "F64", &format!("[{huge},{huge}]"), huge - 1, huge)
    );
    let report = scan(&file(&header, &[]));
    assert!(report.anomalies.contains(&Anomaly::SizeMismatch {
        name: "w".into(),
        expected: None,
        actual: 1
    }));
    assert!(
        report
            .anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::OutOfRange { .. }))
    );
    assert!(
        !report
            .anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::UnaccountedBytes { .. }))
    );
}

#[test]
fn overlap_and_gap() {
    let overlap = format!(
        "{{{},{}}}",
        entry("a", "U8", "[4]", 0, 4),
        entry("b", "U8", "[4]", 2, 6)
    );
    let data = file(&overlap, &[0; 6]);
    let start = 8 + overlap.len() as u64;
    assert_eq!(
        scan(&data).anomalies,
        [Anomaly::Overlap {
            name: "b".into(),
            other: "a".into(),
            offset: start + 2
        }]
    );

    // A hole between tensors and bytes after the last: a polyglot's hiding place.
    let gap = format!(
        "{{{},{}}}",
        entry("b", "U8", "[2]", 6, 8),
        entry("a", "U8", "[2]", 0, 2)
    );
    let data = file(&gap, b"aaPAYLbbTAIL");
    let start = 8 + gap.len() as u64;
    let report = scan(&data);
    assert_eq!(
        report.anomalies,
        [
            Anomaly::UnaccountedBytes {
                offset: start + 2,
                len: 4
            },
            Anomaly::UnaccountedBytes {
                offset: start + 8,
                len: 4
            },
        ]
    );
    assert!(!report.loader_accepts());
    assert_eq!(scan_streaming(&data).anomalies, report.anomalies);

    // Bytes before the first tensor.
    let late = format!("{{{}}}", entry("a", "U8", "[2]", 3, 5));
    assert_eq!(
        scan(&file(&late, b"xxxaa")).anomalies,
        [Anomaly::UnaccountedBytes {
            offset: 8 + late.len() as u64,
            len: 3
        }]
    );

    // An empty tensor inside another is refused by the loader too.
    let inside = format!(
        "{{{},{}}}",
        entry("a", "U8", "[2]", 0, 2),
        entry("e", "U8", "[0]", 1, 1)
    );
    assert!(matches!(
        scan(&file(&inside, b"aa")).anomalies.as_slice(),
        [Anomaly::Overlap { .. }]
    ));
    // Empty tensors sharing an offset are fine.
    let shared = format!(
        "{{{},{}}}",
        entry("a", "U8", "[0]", 0, 0),
        entry("b", "F32", "[3,0]", 0, 0)
    );
    assert!(scan(&file(&shared, b"")).anomalies.is_empty());
}

#[test]
fn shape_size_and_order_mismatches() {
    let wrong = format!("{{{}}}", entry("w", "F32", "[2,2]", 0, 12));
    assert_eq!(
        scan(&file(&wrong, &[0; 12])).anomalies,
        [Anomaly::SizeMismatch {
            name: "w".into(),
            expected: Some(16),
            actual: 12
        }]
    );
    // F4 with an odd element count is not whole bytes.
    let odd = format!("{{{}}}", entry("w", "F4", "[3]", 0, 2));
    assert_eq!(
        scan(&file(&odd, &[0; 2])).anomalies,
        [Anomaly::SizeMismatch {
            name: "w".into(),
            expected: None,
            actual: 2
        }]
    );
    let backwards = format!("{{{}}}", entry("w", "U8", "[2]", 4, 2));
    let report = scan(&file(&backwards, &[0; 4]));
    assert_eq!(
        report.anomalies[0],
        Anomaly::BeginAfterEnd {
            name: "w".into(),
            begin: 4,
            end: 2
        }
    );
    // The reversed tensor covers nothing.
    assert!(matches!(
        report.anomalies[1],
        Anomaly::UnaccountedBytes { len: 4, .. }
    ));
}

#[test]
fn invalid_json_utf8_and_shapes() {
    let report = scan(&file(r#"{"a": {"dtype": "U8",}"#, b""));
    match report.anomalies.as_slice() {
        [Anomaly::HeaderNotJson { offset, .. }] => assert!(*offset >= 8 && *offset <= 30),
        other => panic!("{other:?}"),
    }
    assert!(!report.loader_accepts());

    let mut bad = file(r#"{"a\xff": 1}"#, b"");
    let at = bad.iter().position(|&b| b == b'\\').unwrap();
    bad.splice(at..at + 4, [0xff, b' ', b' ', b' ']);
    assert_eq!(
        scan(&bad).anomalies,
        [Anomaly::HeaderNotUtf8 { offset: 11 }]
    );

    assert_eq!(
        scan(&file("[1, 2]", b"")).anomalies,
        [Anomaly::HeaderNotObject { found: "array" }]
    );
    let report = scan(&file(
        r#"{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]},"b":7,"c":{"dtype":"u8","shape":[1],"data_offsets":[0,1]},"d":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]},"e":{"shape":[1]}}"#,
        b"x",
    ));
    let names: Vec<String> = report
        .anomalies
        .iter()
        .filter_map(|a| match a {
            Anomaly::EntryInvalid { name, .. } | Anomaly::UnknownDtype { name, .. } => {
                Some(name.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    assert!(!report.loader_accepts());

    // Nesting past serde_json's recursion limit is an error, not a stack overflow.
    let deep = format!(r#"{{"a":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
    let report = scan(&file(&deep, b""));
    assert!(
        matches!(report.anomalies.as_slice(), [Anomaly::HeaderNotJson { .. }]),
        "{:?}",
        report.anomalies
    );
}

#[test]
fn duplicate_keys() {
    // The loader keeps the last "a"; a first-wins reader would see a 1-byte tensor.
    let header = format!(
        "{{{},{}}}",
        entry("a", "U8", "[1]", 0, 1),
        entry("a", "U8", "[2]", 0, 2)
    );
    let report = scan(&file(&header, b"xy"));
    assert_eq!(
        report.anomalies,
        [Anomaly::DuplicateKey {
            key: "a".into(),
            within: None
        }]
    );
    assert!(report.tensors[0].shadowed && !report.tensors[1].shadowed);
    // Escapes decode before comparing.
    let header = format!(
        r#"{{{},"\u0061":{{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}}}"#,
        entry("a", "U8", "[1]", 0, 1)
    );
    assert!(matches!(
        scan(&file(&header, b"x")).anomalies.as_slice(),
        [Anomaly::DuplicateKey { within: None, .. }]
    ));
    // A repeated field inside an entry, and a repeated metadata key.
    let report = scan(&file(
        r#"{"__metadata__":{"k":"1","k":"2"},"a":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}"#,
        b"x",
    ));
    assert!(report.anomalies.contains(&Anomaly::DuplicateKey {
        key: "k".into(),
        within: Some("__metadata__".into())
    }));
    assert!(report.anomalies.contains(&Anomaly::DuplicateKey {
        key: "dtype".into(),
        within: Some("a".into())
    }));
    assert!(!report.loader_accepts());
    let report = scan(&file(r#"{"__metadata__":{},"__metadata__":{}}"#, b""));
    assert!(!report.loader_accepts());
}

#[test]
fn metadata_shapes_and_size() {
    let report = scan(&file(r#"{"__metadata__":null}"#, b""));
    assert!(report.anomalies.is_empty());
    assert_eq!(report.metadata, None);
    for (meta, found) in [
        (r#"{"a":1}"#, "integer"),
        (r#"[]"#, "array"),
        (r#""x""#, "string"),
    ] {
        let report = scan(&file(&format!(r#"{{"__metadata__":{meta}}}"#), b""));
        match report.anomalies.as_slice() {
            [Anomaly::MetadataInvalid { reason }] => assert!(reason.contains(found), "{reason}"),
            other => panic!("{meta}: {other:?}"),
        }
    }
    let big = "x".repeat(safetensors::LARGE_METADATA as usize);
    let report = scan(&file(
        &format!(r#"{{"__metadata__":{{"k":"{big}"}}}}"#),
        b"",
    ));
    assert_eq!(
        report.anomalies,
        [Anomaly::LargeMetadata {
            bytes: safetensors::LARGE_METADATA + 1
        }]
    );
    assert!(report.loader_accepts());
}

#[test]
fn padding_whitespace_and_unknown_fields() {
    let body = format!("{{{}}}", entry("a", "U8", "[1]", 0, 1));
    // Trailing spaces are what the library writes: fine.
    assert!(
        scan(&file(&format!("{body}      "), b"x"))
            .anomalies
            .is_empty()
    );
    let tabbed = format!("{body}  \t\n");
    assert_eq!(
        scan(&file(&tabbed, b"x")).anomalies,
        [Anomaly::NonstandardPadding {
            offset: 8 + body.len() as u64 + 2
        }]
    );
    // Leading whitespace: the loader accepts, a byte-8 sniffer does not.
    let data = file(&format!(" \n{body}"), b"x");
    let report = scan(&data);
    assert_eq!(report.anomalies, [Anomaly::LeadingWhitespace]);
    assert!(report.loader_accepts());
    // NUL padding is trailing garbage to serde_json.
    assert!(matches!(
        scan(&file(&format!("{body}\0"), b"x")).anomalies.as_slice(),
        [Anomaly::HeaderNotJson { .. }]
    ));
    let extra = r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"payload":{"x":[1,2]}}}"#;
    let report = scan(&file(extra, b"x"));
    assert_eq!(
        report.anomalies,
        [Anomaly::UnknownField {
            name: "a".into(),
            field: "payload".into()
        }]
    );
    assert!(report.loader_accepts());
}

#[test]
fn facts_before_a_break_survive() {
    let header = format!(
        "{{{},{}, oops",
        entry("a", "U8", "[1]", 0, 1),
        entry("b", "U8", "[1]", 1, 2)
    );
    let report = scan(&file(&header, b"xy"));
    assert_eq!(report.tensors.len(), 2);
    assert!(matches!(
        report.anomalies.as_slice(),
        [Anomaly::HeaderNotJson { .. }]
    ));
}

#[test]
fn anomalies_are_capped() {
    let entries: Vec<String> = (0..3000)
        .map(|i| entry(&format!("t{i}"), "U8", "[1]", i * 2, i * 2 + 1))
        .collect();
    let header = format!("{{{}}}", entries.join(","));
    let report = scan(&file(&header, &vec![0; 6000]));
    assert_eq!(report.anomalies.len(), safetensors::MAX_ANOMALIES);
    assert_eq!(
        report.anomalies_dropped,
        3000 - safetensors::MAX_ANOMALIES as u64
    );
    assert!(!report.loader_accepts());
}

fn crafted() -> Vec<Vec<u8>> {
    let a = entry("a", "U8", "[2]", 0, 2);
    let b = entry("b", "F32", "[1]", 2, 6);
    let mut too_big = (MAX_HEADER_SIZE + 1).to_le_bytes().to_vec();
    too_big.extend_from_slice(b"{}");
    vec![
        file(&format!("{{{a},{b}}}"), b"aabbbb"),
        file(&format!(r#"{{"__metadata__":{{"k":"v"}},{a}}}"#), b"aa"),
        file(&format!("{{{a},{a}}}"), b"aa"),
        file(
            &format!("{{{a},{}}}", entry("b", "U8", "[2]", 1, 3)),
            b"aaa",
        ),
        file(&format!("{{{a}}}"), b"aaGAP"),
        file("[]", b""),
        too_big,
    ]
}

#[test]
fn every_sample_truncated_and_bit_flipped_never_panics() {
    let mut samples: Vec<Vec<u8>> = BENIGN.iter().map(|s| s.to_vec()).collect();
    samples.extend(crafted());
    for sample in &samples {
        // The header plus a little data is where all the parsing happens.
        let interesting = sample.len().min(2048);
        for cut in 0..=sample.len() {
            if cut > interesting && cut % 997 != 0 && cut != sample.len() {
                continue;
            }
            let part = &sample[..cut];
            check_invariants(part, &scan(part));
            check_invariants(part, &scan_streaming(part));
        }
        let mut flipped = sample.clone();
        for i in 0..interesting {
            for bit in 0..8 {
                flipped[i] ^= 1 << bit;
                check_invariants(&flipped, &scan(&flipped));
                flipped[i] ^= 1 << bit;
            }
        }
    }
}

fn check_invariants(data: &[u8], report: &SafetensorsReport) {
    let len = data.len() as u64;
    if let Some(start) = report.data_start {
        assert!(start <= len);
    }
    for anomaly in &report.anomalies {
        let _ = anomaly.to_string();
        if let Anomaly::UnaccountedBytes { offset, len: n } = anomaly {
            assert!(offset + n <= len, "{anomaly:?}");
        } else {
            assert!(anomaly.offset() <= len.max(8), "{anomaly:?}");
        }
    }
    if let Some(stop) = &report.stopped {
        assert!(stop.offset() <= len);
    }
}
