//! Compressed layers: detection by joblib's prefixes, decoding, bounds (research B26).

use std::io::{self, Read, Write};

use airlock_formats::compress::{self, Codec};
use airlock_formats::{FormatError, LimitKind, Limits};

/// `pickle.dumps({'a': [1, 2, 3], 'b': 'joblib'}, protocol=4)`.
const PAYLOAD: &str =
    "80049520000000000000007d94288c0161945d94284b014b024b03658c0162948c066a6f626c696294752e";

/// The payload compressed by CPython 3's own modules (what joblib writes).
const PY_GZIP: &str = "1f8b08000000000002036b6099aac00001b553347a1813a7c44ed1f066f466f2664eed614c9ad2c396959f94939934a5540f00a71bb2f52b000000";
const PY_ZLIB: &str = "789c6b6099aac00001b553347a1813a7c44ed1f066f466f2664eed614c9ad2c396959f94939934a5540f00e2c30c18";
const PY_BZ2: &str = "425a68393141592653594a1f635a00000fd7e07d00404100080002323482024004060020002223421e826836ca141a346832034e2306748a2bc894186acd469703cd0ea9fd84dc9643b1772453850904a1f635a0";
const PY_XZ: &str = "fd377a585a000004e6d6b4460200210116000000742fe5a301002a80049520000000000000007d94288c0161945d94284b014b024b03658c0162948c066a6f626c696294752e0000f9a77773f1782d360001432bad506e571fb6f37d010000000004595a";
const PY_LZMA: &str = "5d00008000ffffffffffffffff0040010e6f5faf28c2f4f67c703c0a93fdd3c9448a670e9ec370d7624a0da5f78c59bdf85e1465c2bb311c9d18fef6d200";

/// The payload repeated 20 times, compressed by the `zstd` 1.5 CLI (`-19 --check`).
const CLI_ZSTD_X20: &str = "28b52ffd645c02850100540280049520007d94288c0161945d94284b014b024b03658c0162948c066a6f626c696294752e020070e9547d03d00213774ed3";

const ALL: [Codec; 7] = [
    Codec::Gzip,
    Codec::Zlib,
    Codec::Xz,
    Codec::Lzma,
    Codec::Bzip2,
    Codec::Lz4,
    Codec::Zstd,
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn encode(codec: Codec, data: &[u8]) -> Vec<u8> {
    match codec {
        Codec::Gzip => {
            let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            w.write_all(data).unwrap();
            w.finish().unwrap()
        }
        Codec::Zlib => {
            let mut w = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            w.write_all(data).unwrap();
            w.finish().unwrap()
        }
        Codec::Xz => {
            let mut w =
                lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6))
                    .unwrap();
            w.write_all(data).unwrap();
            w.finish().unwrap()
        }
        Codec::Lzma => {
            let opts = lzma_rust2::LzmaOptions::with_preset(6);
            let mut w = lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, None).unwrap();
            w.write_all(data).unwrap();
            w.finish().unwrap()
        }
        Codec::Bzip2 => {
            let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
            w.write_all(data).unwrap();
            w.finish().unwrap()
        }
        Codec::Lz4 => {
            let mut w = lz4_flex::frame::FrameEncoder::new(Vec::new());
            w.write_all(data).unwrap();
            w.finish().unwrap()
        }
        Codec::Zstd => {
            ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
        }
    }
}

fn decode(codec: Codec, data: &[u8], limits: &Limits) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    compress::decoder(codec, data, limits).read_to_end(&mut out)?;
    Ok(out)
}

fn sample() -> Vec<u8> {
    let mut v = unhex(PAYLOAD);
    for i in 0..5000u32 {
        v.extend_from_slice(format!("row {i} value {}\n", i * 7 % 13).as_bytes());
    }
    v
}

#[test]
fn python_written_streams_are_detected_and_decoded() {
    let payload = unhex(PAYLOAD);
    for (hex, codec) in [
        (PY_GZIP, Codec::Gzip),
        (PY_ZLIB, Codec::Zlib),
        (PY_BZ2, Codec::Bzip2),
        (PY_XZ, Codec::Xz),
        (PY_LZMA, Codec::Lzma),
    ] {
        let data = unhex(hex);
        assert_eq!(compress::detect(&data), Some(codec), "{codec}");
        assert_eq!(
            decode(codec, &data, &Limits::default()).unwrap(),
            payload,
            "{codec}"
        );
    }
}

#[test]
fn every_codec_round_trips() {
    let data = sample();
    for codec in ALL {
        let enc = encode(codec, &data);
        assert_eq!(compress::detect(&enc), Some(codec), "{codec}");
        assert_eq!(
            decode(codec, &enc, &Limits::default()).unwrap(),
            data,
            "{codec}"
        );
        let empty = encode(codec, b"");
        assert_eq!(
            decode(codec, &empty, &Limits::default()).unwrap(),
            b"",
            "{codec} empty"
        );
    }
}

#[test]
fn concatenated_streams_are_read_like_python_reads_them() {
    for codec in [
        Codec::Gzip,
        Codec::Zlib,
        Codec::Xz,
        Codec::Bzip2,
        Codec::Lz4,
        Codec::Zstd,
    ] {
        let mut both = encode(codec, b"first part, ");
        both.extend_from_slice(&encode(codec, b"second part"));
        assert_eq!(
            decode(codec, &both, &Limits::default()).unwrap(),
            b"first part, second part",
            "{codec}"
        );
    }
}

#[test]
fn joblib_legacy_zfile_is_zlib_after_its_header() {
    let payload = unhex(PAYLOAD);
    // joblib < 0.10: b'ZF' + hex length left-justified to 19 bytes + zlib data.
    for pad_space in [false, true] {
        let mut data = b"ZF".to_vec();
        data.extend_from_slice(format!("{:<19}", format!("{:#x}", payload.len())).as_bytes());
        if pad_space {
            data.push(b' ');
        }
        data.extend_from_slice(&unhex(PY_ZLIB));
        assert_eq!(compress::detect(&data), Some(Codec::Zlib));
        assert_eq!(
            decode(Codec::Zlib, &data, &Limits::default()).unwrap(),
            payload
        );
    }
}

#[test]
fn detect_refuses_text_and_near_misses() {
    let negatives: &[&[u8]] = &[
        b"",
        b"x",
        b"x^2 + y^2 = z^2 is a famous equation and this is a markdown line\n",
        b"xylophone music",
        b"# Title\n\nSome *markdown* text.\n",
        b"{\"a\": 1, \"b\": [1, 2, 3]}",
        b"BZh9 is not followed by a block magic here",
        b"BZh0\x31\x41\x59\x26\x53\x59",
        b"]\x00\x00\x00\x00\x00\x00\x00\x00",
        b"]\x00\x00\xff\xff\xff\xff",
        b"\x1f\x8b\x07\x00",
        b"\x1f\x8b\x08\xe0",
        b"\x04\x22\x4d",
        b"\xfd7zXY\x00",
        b"ZF0xZZZ",
        b"\x80\x04\x95",
        b"PK\x03\x04",
    ];
    for n in negatives {
        assert_eq!(
            compress::detect(n),
            None,
            "{:?}",
            String::from_utf8_lossy(n)
        );
    }
}

#[test]
fn corrupt_streams_fail_as_corruption_not_limits() {
    let data = sample();
    for codec in ALL {
        let mut enc = encode(codec, &data);
        let mid = enc.len() / 2;
        for b in &mut enc[mid..mid + 8] {
            *b ^= 0x5a;
        }
        let err = decode(codec, &enc, &Limits::default()).expect_err(codec.name());
        assert!(compress::limit_error(&err).is_none(), "{codec}: {err}");
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::InvalidData
                    | io::ErrorKind::InvalidInput
                    | io::ErrorKind::UnexpectedEof
            ),
            "{codec}: {err:?}"
        );
    }
}

#[test]
fn every_truncation_is_an_error_never_a_short_read() {
    let data = unhex(PAYLOAD);
    for codec in ALL {
        let enc = encode(codec, &data);
        for cut in 0..enc.len() {
            let res = decode(codec, &enc[..cut], &Limits::default());
            match res {
                Err(e) => assert!(compress::limit_error(&e).is_none(), "{codec} cut {cut}"),
                Ok(out) => panic!(
                    "{codec} truncated at {cut} of {} decoded silently to {} bytes",
                    enc.len(),
                    out.len()
                ),
            }
        }
    }
}

#[test]
fn bit_flips_never_panic() {
    let data = unhex(PAYLOAD);
    for codec in ALL {
        let enc = encode(codec, &data);
        for i in 0..enc.len() {
            for bit in [0, 3, 7] {
                let mut flipped = enc.clone();
                flipped[i] ^= 1 << bit;
                let _ = decode(codec, &flipped, &Limits::default());
                let _ = compress::detect(&flipped);
            }
        }
    }
}

#[test]
fn size_limit_is_a_limit_error_and_sticky() {
    let data = vec![b'a'; 200_000];
    let limits = Limits {
        max_decompressed_bytes: 50_000,
        ..Limits::default()
    };
    for codec in ALL {
        let enc = encode(codec, &data);
        let mut reader = compress::decoder(codec, &enc[..], &limits);
        let mut out = Vec::new();
        let err = reader.read_to_end(&mut out).expect_err(codec.name());
        assert!(out.len() <= 50_000, "{codec}");
        let Some(FormatError::LimitExceeded { limit, max, .. }) = compress::limit_error(&err)
        else {
            panic!("{codec}: {err:?}")
        };
        assert_eq!((*limit, *max), (LimitKind::Decompression, 50_000));
        let again = reader.read(&mut [0u8; 16]).expect_err("sticky");
        assert!(compress::limit_error(&again).is_some(), "{codec}");
    }
}

#[test]
fn ratio_limit_catches_bombs_after_16_mib() {
    let zeros = vec![0u8; 24 << 20];
    let limits = Limits {
        max_compression_ratio: 50,
        ..Limits::default()
    };
    for codec in [
        Codec::Gzip,
        Codec::Zlib,
        Codec::Bzip2,
        Codec::Lz4,
        Codec::Xz,
        Codec::Zstd,
    ] {
        let enc = encode(codec, &zeros);
        let err = decode(codec, &enc, &limits).expect_err(codec.name());
        let Some(FormatError::LimitExceeded {
            limit, max, value, ..
        }) = compress::limit_error(&err)
        else {
            panic!("{codec}: {err:?}")
        };
        assert_eq!((*limit, *max), (LimitKind::Decompression, 50));
        assert!(*value > 50);
    }
    // Below 16 MiB the ratio is not checked: small highly compressible files are fine.
    let small = encode(Codec::Gzip, &vec![0u8; 1 << 20]);
    assert_eq!(decode(Codec::Gzip, &small, &limits).unwrap().len(), 1 << 20);
}

#[test]
fn oversized_lzma_dictionary_is_refused_before_allocation() {
    let mut data = unhex(PY_LZMA);
    data[1..5].copy_from_slice(&0x4000_0000u32.to_le_bytes()); // 1 GiB
    let err = decode(Codec::Lzma, &data, &Limits::default()).unwrap_err();
    assert!(compress::limit_error(&err).is_some(), "{err:?}");
}

#[test]
fn limit_error_is_found_through_wrapping() {
    let inner = io::Error::other(FormatError::LimitExceeded {
        limit: LimitKind::Decompression,
        value: 2,
        max: 1,
        offset: 0,
    });
    let wrapped = io::Error::new(io::ErrorKind::InvalidData, inner);
    assert!(compress::limit_error(&wrapped).is_some());
    let plain = io::Error::new(io::ErrorKind::InvalidData, "corrupt");
    assert!(compress::limit_error(&plain).is_none());
    assert!(compress::carried_error(&plain).is_none());
}

#[test]
fn zstd_frames_from_the_cli_with_checksums_and_skippable_frames() {
    let payload = unhex(PAYLOAD);
    let cli = unhex(CLI_ZSTD_X20);
    assert_eq!(compress::detect(&cli), Some(Codec::Zstd));
    let decoded = decode(Codec::Zstd, &cli, &Limits::default()).unwrap();
    assert_eq!(decoded, payload.repeat(20));

    // A skippable frame (pzstd and seekable-format metadata) between two frames.
    let mut framed = cli.clone();
    framed.extend_from_slice(&0x184d_2a53u32.to_le_bytes());
    framed.extend_from_slice(&3u32.to_le_bytes());
    framed.extend_from_slice(b"abc");
    framed.extend_from_slice(&cli);
    let decoded = decode(Codec::Zstd, &framed, &Limits::default()).unwrap();
    assert_eq!(decoded.len(), payload.len() * 40);

    // The frame's content checksum is checked.
    let mut bad_sum = cli.clone();
    let last = bad_sum.len() - 1;
    bad_sum[last] ^= 1;
    let err = decode(Codec::Zstd, &bad_sum, &Limits::default()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    assert!(err.to_string().contains("checksum"), "{err}");

    // Bytes after a frame that are not a frame are corruption, not a clean end.
    let mut trailing = cli.clone();
    trailing.extend_from_slice(b"garbage!");
    assert!(decode(Codec::Zstd, &trailing, &Limits::default()).is_err());

    // The reserved descriptor bit makes the prefix not zstd at all.
    let mut reserved = cli;
    reserved[4] |= 0x08;
    assert_eq!(compress::detect(&reserved), None);
}

#[test]
fn oversized_zstd_window_is_refused_before_allocation() {
    // Single-segment flag off, window descriptor exponent 31 - 10 => a 2 GiB window.
    let header = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, 0x01, 0x00, 0x00];
    let err = decode(Codec::Zstd, &header, &Limits::default()).unwrap_err();
    assert!(compress::limit_error(&err).is_some(), "{err:?}");
}
