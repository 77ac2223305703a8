//! `.npy` headers: versions, object dtypes at any depth, malformed headers (research B27).

use airlock_formats::FormatError;
use airlock_formats::numpy::{self, NpyHeader};

// Written by numpy 2.4.6 `numpy.lib.format.write_array` (allow_pickle=True).
/// `np.arange(6, dtype='<f4').reshape(2, 3)`, version 1.0.
const V1_F4: &str = "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000803f0000004000004040000080400000a040";
/// `np.array([1, 2, 3], dtype='>i8')`, version 2.0.
const V2_I8: &str = "934e554d50590200740000007b276465736372273a20273e6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000000100000000000000020000000000000003";
/// `np.zeros(2, dtype=[('café', '<u2')])`, version 3.0 (UTF-8 header).
const V3_UTF8: &str = "934e554d50590300740000007b276465736372273a205b2827636166c3a9272c20273c753227295d2c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00000000";
/// `np.array([1, 'a'], dtype=object)`: the data is a pickle.
const OBJ: &str = "934e554d5059010076007b276465736372273a20277c4f272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a80049590000000000000008c166e756d70792e5f636f72652e6d756c74696172726179948c0c5f7265636f6e7374727563749493948c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b02859468038c0564747970659493948c024f3894898887945294284b038c017c944e4e4e4affffffff4affffffff4b3f749462895d94284b018c016194657494622e";
/// `np.zeros(1, dtype=[('x', '<f4'), ('nested', [('y', 'O')])])`: object two levels down.
const STRUCT_OBJ: &str = "934e554d5059010076007b276465736372273a205b282778272c20273c663427292c2028276e6573746564272c205b282779272c20277c4f27295d295d2c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028312c292c207d2020202020202020202020202020202020202020202020200a80049525010000000000008c166e756d70792e5f636f72652e6d756c74696172726179948c0c5f7265636f6e7374727563749493948c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b01859468038c0564747970659493948c0356313294898887945294284b038c017c944e8c0178948c066e65737465649486947d94286811680c8c02663494898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624b0086946812680c8c02563894898887945294284b0368104e8c01799485947d94681e680c8c024f3894898887945294284b0368104e4e4e4affffffff4affffffff4b3f7494624b008694734b084b014b1b7494624b048694754b0c4b014b1b749462895d944700000000000000004b0085948694617494622e";
/// `np.asfortranarray(np.ones((2, 2), dtype='<f8'))`.
const FORTRAN: &str = "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a20547275652c20277368617065273a2028322c2032292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000f03f000000000000f03f000000000000f03f000000000000f03f";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn read(data: &[u8]) -> Result<NpyHeader, FormatError> {
    let mut r = data;
    numpy::read_header(&mut r)
}

/// Builds an `.npy` file with the given version and header text.
fn npy(version: (u8, u8), header: &[u8]) -> Vec<u8> {
    let mut out = b"\x93NUMPY".to_vec();
    out.extend_from_slice(&[version.0, version.1]);
    if version.0 == 1 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header);
    out
}

fn header(descr: &str, extra: &str) -> Vec<u8> {
    format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (3,), {extra}}}\n").into_bytes()
}

#[test]
fn version_1_numeric_array() {
    let data = unhex(V1_F4);
    let mut r = &data[..];
    let h = numpy::read_header(&mut r).unwrap();
    assert_eq!(h.version, (1, 0));
    assert_eq!(h.descr, "<f4");
    assert_eq!(h.shape, [2, 3]);
    assert!(!h.fortran_order && !h.is_object);
    assert_eq!(h.header_len, 128);
    assert_eq!(h.data_len, Some(24));
    assert_eq!(
        r.len() as u64,
        h.data_len.unwrap(),
        "reader left at the data"
    );
}

#[test]
fn version_2_and_3() {
    let h = read(&unhex(V2_I8)).unwrap();
    assert_eq!(
        (h.version, h.descr.as_str(), h.data_len),
        ((2, 0), ">i8", Some(24))
    );
    assert_eq!(h.header_len, 128);
    let h = read(&unhex(V3_UTF8)).unwrap();
    assert_eq!(h.version, (3, 0));
    assert_eq!(h.descr, "[('café', '<u2')]");
    assert_eq!(h.data_len, Some(4));
    assert!(!h.is_object);
}

#[test]
fn fortran_order() {
    let h = read(&unhex(FORTRAN)).unwrap();
    assert!(h.fortran_order);
    assert_eq!(h.data_len, Some(32));
}

#[test]
fn object_arrays_are_flagged() {
    let data = unhex(OBJ);
    let h = read(&data).unwrap();
    assert!(h.is_object);
    assert_eq!(h.data_len, None);
    assert_eq!(
        &data[h.header_len as usize..][..2],
        b"\x80\x04",
        "a pickle follows"
    );
}

#[test]
fn object_field_nested_in_a_structured_dtype_is_flagged() {
    let h = read(&unhex(STRUCT_OBJ)).unwrap();
    assert!(h.is_object);
    assert_eq!(h.descr, "[('x', '<f4'), ('nested', [('y', '|O')])]");
    assert_eq!(h.data_len, None);
}

#[test]
fn object_spellings_numpy_accepts() {
    for descr in [
        "'O'",
        "'|O8'",
        "'object'",
        "'i4,O'",
        "'(2,)O'",
        "[('a', '<f4'), ('b', 'O', (2,))]",
        "[(('title', 'name'), '|O')]",
        "('|O', (2, 2))",
        "['xO']",
    ] {
        let h = read(&npy((1, 0), &header(descr, ""))).unwrap_or_else(|e| panic!("{descr}: {e}"));
        assert!(h.is_object, "{descr}");
    }
    for descr in [
        "'<f8'",
        "'bool'",
        "[('Obj', '<f4')]",
        "'float32'",
        "'<M8[ns]'",
        "'|S10'",
        "'<U3'",
    ] {
        let h = read(&npy((1, 0), &header(descr, ""))).unwrap_or_else(|e| panic!("{descr}: {e}"));
        assert!(!h.is_object, "{descr}");
    }
}

#[test]
fn item_sizes() {
    for (descr, size) in [
        ("'<U3'", Some(36)),
        ("'|S10'", Some(30)),
        ("'<M8[ns]'", Some(24)),
        ("'|b1'", Some(3)),
        ("[('a', '<f4'), ('b', '<i2', (2, 3))]", Some(48)),
        ("('<f8', (2,))", Some(48)),
        ("'float32'", None),
    ] {
        assert_eq!(
            read(&npy((1, 0), &header(descr, ""))).unwrap().data_len,
            size,
            "{descr}"
        );
    }
    let huge = b"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 8)}";
    assert_eq!(read(&npy((1, 0), huge)).unwrap().data_len, None, "overflow");
}

#[test]
fn python_literal_details() {
    // Python 2 long suffix (versions 1 and 2 only), odd spacing, double quotes, escapes.
    let h = read(&npy(
        (1, 0),
        b"{\"descr\":'<i4',\n 'fortran_order':False,'shape':(2L,3L)}",
    ))
    .unwrap();
    assert_eq!(h.shape, [2, 3]);
    assert!(
        read(&npy(
            (3, 0),
            b"{'descr':'<i4','fortran_order':False,'shape':(2L,)}"
        ))
        .is_err()
    );
    let h = read(&npy(
        (1, 0),
        br"{'descr': [('a\x41\'', '<i4')], 'fortran_order': False, 'shape': ()}",
    ))
    .unwrap();
    assert_eq!(h.descr, r"[('aA\'', '<i4')]");
    assert_eq!(h.shape, Vec::<u64>::new());
    assert_eq!(h.data_len, Some(4));
    // A repeated key keeps its last value, as a Python dict literal does.
    let h = read(&npy(
        (1, 0),
        b"{'descr': 'O', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
    ))
    .unwrap();
    assert!(!h.is_object);
}

#[test]
fn malformed_headers_are_invalid() {
    let cases: &[(&str, Vec<u8>)] = &[
        ("bad magic", b"\x93NUMPX\x01\x00\x02\x00{}".to_vec()),
        ("bad version", npy((9, 9), &header("'<f4'", ""))),
        ("not a dict", npy((1, 0), b"['descr', '<f4']\n")),
        (
            "missing shape",
            npy((1, 0), b"{'descr': '<f4', 'fortran_order': False}"),
        ),
        ("extra key", npy((1, 0), &header("'<f4'", "'evil': 1,"))),
        (
            "shape not tuple",
            npy(
                (1, 0),
                b"{'descr': '<f4', 'fortran_order': False, 'shape': [3]}",
            ),
        ),
        (
            "negative dim",
            npy(
                (1, 0),
                b"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
            ),
        ),
        (
            "fortran not bool",
            npy(
                (1, 0),
                b"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",
            ),
        ),
        ("bad descr", npy((1, 0), &header("'not-a-dtype'", ""))),
        ("descr int", npy((1, 0), &header("4", ""))),
        ("bad field", npy((1, 0), &header("[('a',)]", ""))),
        (
            "call",
            npy(
                (1, 0),
                b"{'descr': __import__('os').system('x'), 'fortran_order': False, 'shape': (1,)}",
            ),
        ),
        (
            "name",
            npy(
                (1, 0),
                b"{'descr': dtype, 'fortran_order': False, 'shape': (1,)}",
            ),
        ),
        ("unterminated", npy((1, 0), b"{'descr': '<f4")),
        (
            "trailing",
            npy(
                (1, 0),
                b"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x",
            ),
        ),
        (
            "v3 not utf8",
            npy(
                (3, 0),
                b"{'descr': '\xff', 'fortran_order': False, 'shape': (1,)}",
            ),
        ),
        (
            "too deep",
            npy(
                (1, 0),
                format!("{}{}", "[".repeat(100), "]".repeat(100)).as_bytes(),
            ),
        ),
    ];
    for (what, data) in cases {
        match read(data) {
            Err(FormatError::Invalid { .. }) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn header_length_is_capped_before_reading() {
    let mut data = b"\x93NUMPY\x02\x00".to_vec();
    data.extend_from_slice(&(2u32 << 20).to_le_bytes());
    assert!(matches!(
        read(&data),
        Err(FormatError::Invalid { offset: 8, .. })
    ));
}

#[test]
fn truncation_is_reported_with_its_offset() {
    let data = unhex(V1_F4);
    for cut in 0..128 {
        match read(&data[..cut]) {
            Err(FormatError::Truncated { offset, .. }) => assert_eq!(offset, cut as u64),
            Err(FormatError::Invalid { .. }) if cut >= 6 => unreachable!("cut {cut}"),
            other => panic!("cut {cut}: {other:?}"),
        }
    }
}

#[test]
fn every_fixture_truncated_and_bit_flipped_never_panics() {
    for hex in [V1_F4, V2_I8, V3_UTF8, OBJ, STRUCT_OBJ, FORTRAN] {
        let data = unhex(hex);
        let end = data.len().min(200);
        for cut in 0..end {
            let _ = read(&data[..cut]);
        }
        for i in 0..end {
            for bit in 0..8 {
                let mut flipped = data.clone();
                flipped[i] ^= 1 << bit;
                if let Ok(h) = read(&flipped) {
                    assert!(h.header_len <= flipped.len() as u64);
                }
            }
        }
    }
}
