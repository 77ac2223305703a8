//! Content sniffing: formats by their bytes, never by name (research B1-B3, B10).

use std::io::Write;

use airlock_formats::compress::Codec;
use airlock_formats::detect::{Kind, SNIFF_LEN, sniff};

fn tar_header(magic: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..9].copy_from_slice(b"model.pkl");
    h[257..257 + magic.len()].copy_from_slice(magic);
    h
}

fn safetensors(header: &str) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&[0u8; 16]);
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

fn positives() -> Vec<(Vec<u8>, Kind)> {
    let pickle = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94.".to_vec();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(&pickle).unwrap();
    let mut lz = lz4_flex::frame::FrameEncoder::new(Vec::new());
    lz.write_all(&pickle).unwrap();
    let mut hdf5_userblock = vec![0u8; 512];
    hdf5_userblock.extend_from_slice(b"\x89HDF\r\n\x1a\n\x00\x00");
    vec![
        (b"PK\x03\x04\x14\x00\x00\x00\x00\x00".to_vec(), Kind::Zip),
        (
            b"PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                .to_vec(),
            Kind::Zip,
        ),
        (b"\x93NUMPY\x01\x00v\x00{'descr'".to_vec(), Kind::Npy),
        (pickle.clone(), Kind::Pickle),
        (b"\x80\x02}q\x00.".to_vec(), Kind::Pickle),
        (b"\x80\x05\x95".to_vec(), Kind::Pickle),
        (b"7z\xbc\xaf\x27\x1c\x00\x04".to_vec(), Kind::SevenZip),
        (tar_header(b"ustar\x0000"), Kind::Tar),
        (tar_header(b"ustar  \x00"), Kind::Tar),
        (b"GGUF\x03\x00\x00\x00\x00\x00\x00\x00".to_vec(), Kind::Gguf),
        (b"\x89HDF\r\n\x1a\n\x00\x00\x00\x00".to_vec(), Kind::Hdf5),
        (hdf5_userblock, Kind::Hdf5),
        (
            b"\x89HDF\r\n\x1a\n\x00\x00\x00\x00\x00\x08\x08\x00".to_vec(),
            Kind::Hdf5,
        ),
        (b"\x89HDF\r\n\x1a\n\x03\x08\x08\x00".to_vec(), Kind::Hdf5),
        // The signature followed by a superblock version or field sizes HDF5 never writes.
        (b"\x89HDF\r\n\x1a\n\x09\x00\x00\x00".to_vec(), Kind::Unknown),
        (
            b"\x89HDF\r\n\x1a\n\x00\x00\x00\x00\x00\x07\x08\x00".to_vec(),
            Kind::Unknown,
        ),
        (b"\x89HDF\r\n\x1a\n\x02\x03\x08\x00".to_vec(), Kind::Unknown),
        (
            safetensors(r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#),
            Kind::Safetensors,
        ),
        // safetensors 0.8 (`safe_open`) accepts JSON whitespace before the `{`.
        (
            safetensors(r#"  {"__metadata__":{"format":"pt"}}"#),
            Kind::Safetensors,
        ),
        (safetensors("{}"), Kind::Safetensors),
        (gzip(&pickle), Kind::Compressed(Codec::Gzip)),
        (zlib(&pickle), Kind::Compressed(Codec::Zlib)),
        (bz.finish().unwrap(), Kind::Compressed(Codec::Bzip2)),
        (lz.finish().unwrap(), Kind::Compressed(Codec::Lz4)),
        (
            b"\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4F".to_vec(),
            Kind::Compressed(Codec::Xz),
        ),
        (
            b"]\x00\x00\x80\x00\xff\xff\xff\xff\xff\xff\xff\xff\x00".to_vec(),
            Kind::Compressed(Codec::Lzma),
        ),
    ]
}

#[test]
fn formats_are_recognised_by_content() {
    for (data, kind) in positives() {
        assert_eq!(sniff(&data), kind, "{:?}", &data[..data.len().min(16)]);
    }
}

#[test]
fn text_json_markdown_and_other_bytes_are_unknown() {
    let negatives: &[&[u8]] = &[
        b"",
        b"P",
        b"PK",
        b"PK\x03",
        b"Hello, world!\n",
        b"{\"model_type\": \"bert\", \"hidden_size\": 768}\n",
        b"[1, 2, 3]",
        b"# Model card\n\nThis model is *great*.\n\n```python\nimport torch\n```\n",
        b"x^2 + y^2 = z^2, as every markdown file about Pythagoras says at length.\n",
        b"BZh9 is how a bzip2 stream starts, said the blog post.",
        b"---\nlicense: apache-2.0\ntags:\n- pytorch\n",
        b"a,b,c\n1,2,3\n",
        b"(dp0\nS'a'\np1\nI1\ns.",
        b"\x80\x06\x95",
        b"GGUF is the file format of llama.cpp",
        b"7z\xbc\xaf",
        &[0u8; 64],
        &[0xffu8; 64],
    ];
    for n in negatives {
        assert_eq!(sniff(n), Kind::Unknown, "{:?}", String::from_utf8_lossy(n));
    }
    // A safetensors header claiming more than the loaders' cap is still recognised (so
    // the claim is reported); no JSON object after the length is not safetensors.
    let mut too_long = (200_000_000u64).to_le_bytes().to_vec();
    too_long.extend_from_slice(b"{\"a\":1}");
    assert_eq!(sniff(&too_long), Kind::Safetensors);
    let mut not_json = 7u64.to_le_bytes().to_vec();
    not_json.extend_from_slice(b"{ab:1}");
    assert_eq!(sniff(&not_json), Kind::Unknown);
}

#[test]
fn only_the_first_4_kib_count() {
    let mut data = vec![b'a'; SNIFF_LEN];
    data.extend_from_slice(b"PK\x03\x04");
    assert_eq!(sniff(&data), Kind::Unknown);
}

#[test]
fn truncated_and_flipped_prefixes_never_panic() {
    for (data, _) in positives() {
        for cut in 0..=data.len() {
            let _ = sniff(&data[..cut]);
        }
        for i in 0..data.len() {
            for bit in 0..8 {
                let mut f = data.clone();
                f[i] ^= 1 << bit;
                let _ = sniff(&f);
            }
        }
    }
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(path),
    )
    .unwrap()
}

#[test]
fn onnx_and_tensorflow_protobufs_are_recognised_by_structure() {
    for (path, kind) in [
        ("onnx/benign/mlp.onnx", Kind::Onnx),
        ("onnx/benign/external-data/model.onnx", Kind::Onnx),
        ("onnx/benign/if-loop.onnx", Kind::Onnx),
        (
            "tensorflow/benign/mlp-savedmodel/saved_model.pb",
            Kind::TfSavedModel,
        ),
        ("tensorflow/benign/frozen-graph.pb", Kind::TfGraphDef),
        ("tensorflow/benign/keras_metadata.pb", Kind::KerasMetadata),
        ("tensorflow/benign/tf1-checkpoint.meta", Kind::TfMetaGraph),
    ] {
        assert_eq!(sniff(&fixture(path)), kind, "{path}");
    }
    // Data beside the models is not protobuf.
    for path in [
        "onnx/benign/external-data/weights.bin",
        "tensorflow/benign/mlp-savedmodel/variables/variables.index",
        "tensorflow/benign/mlp-savedmodel/variables/variables.data-00000-of-00001",
    ] {
        assert_eq!(sniff(&fixture(path)), Kind::Unknown, "{path}");
    }
}

#[test]
fn random_bytes_and_tensor_data_are_never_protobuf() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let protobuf = |k: Kind| {
        matches!(
            k,
            Kind::Onnx
                | Kind::TfSavedModel
                | Kind::TfGraphDef
                | Kind::TfMetaGraph
                | Kind::KerasMetadata
        )
    };
    let mut buf = vec![0u8; 512];
    for round in 0..300_000u32 {
        for b in buf.iter_mut() {
            *b = next() as u8;
        }
        // Force the first bytes protobuf would need, so the deeper checks are exercised.
        match round % 3 {
            0 => buf[0] = 0x08,
            1 => buf[0] = 0x0a,
            _ => {}
        }
        if round % 5 == 0 {
            buf[1] = (next() % 32) as u8 + 1;
        }
        assert!(!protobuf(sniff(&buf)), "{:02x?}", &buf[..16]);
    }
    // Little-endian int64 and float32 tensors of small values.
    let ints: Vec<u8> = (8i64..200).flat_map(|v| v.to_le_bytes()).collect();
    let floats: Vec<u8> = (0..200)
        .flat_map(|v| (v as f32 / 7.0).to_le_bytes())
        .collect();
    let bytes: Vec<u8> = (8u8..=255).collect();
    for data in [ints, floats, bytes] {
        assert!(!protobuf(sniff(&data)));
    }
}
