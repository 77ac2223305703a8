//! GGUF header parser: real files written by the `gguf` Python package
//! (`tests/data/gguf/make.py`), chat-template checks, crafted malformed headers.

use airlock_formats::Limits;
use airlock_formats::gguf::template::{self, HitKind, Via};
use airlock_formats::gguf::{self, Anomaly, GgufReport, KvValue};
use airlock_formats::{FormatError, LimitKind};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/gguf/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn read(bytes: &[u8]) -> GgufReport {
    let mut r = bytes;
    gguf::read_header(&mut r, Some(bytes.len() as u64), &Limits::default())
}

fn read_streamed(bytes: &[u8]) -> GgufReport {
    let mut r = bytes;
    gguf::read_header(&mut r, None, &Limits::default())
}

/// A hand-built GGUF header.
struct B(Vec<u8>);

impl B {
    fn new(version: u32, tensors: u64, kvs: u64) -> Self {
        let mut v = b"GGUF".to_vec();
        v.extend(version.to_le_bytes());
        v.extend(tensors.to_le_bytes());
        v.extend(kvs.to_le_bytes());
        B(v)
    }
    fn u32(mut self, x: u32) -> Self {
        self.0.extend(x.to_le_bytes());
        self
    }
    fn u64(mut self, x: u64) -> Self {
        self.0.extend(x.to_le_bytes());
        self
    }
    fn s(self, s: &str) -> Self {
        let mut b = self.u64(s.len() as u64);
        b.0.extend(s.as_bytes());
        b
    }
    fn kv_u32(self, k: &str, x: u32) -> Self {
        self.s(k).u32(4).u32(x)
    }
    fn kv_str(self, k: &str, v: &str) -> Self {
        self.s(k).u32(8).s(v)
    }
    fn tensor(self, name: &str, dims: &[u64], ty: u32, off: u64) -> Self {
        let mut b = self.s(name).u32(dims.len() as u32);
        for d in dims {
            b = b.u64(*d);
        }
        b.u32(ty).u64(off)
    }
    /// Pads to 32 and appends `n` data bytes.
    fn data(mut self, n: usize) -> Vec<u8> {
        while !self.0.len().is_multiple_of(32) {
            self.0.push(0);
        }
        self.0.extend(std::iter::repeat_n(0u8, n));
        self.0
    }
}

#[test]
fn benign_chatml_reads_clean() {
    let bytes = data("benign_chatml.gguf");
    let r = read(&bytes);
    assert!(r.loader_accepts(), "{r:#?}");
    assert_eq!(r.version, Some(3));
    assert_eq!(r.tensor_count, Some(2));
    assert_eq!(r.tensors.len(), 2);
    assert_eq!(r.tensors[0].name, "tok_embd.weight");
    assert_eq!(r.tensors[0].dims, vec![8, 4]);
    assert_eq!(r.tensors[0].nbytes, Some(128));
    assert_eq!(r.chat_templates.len(), 1);
    let t = &r.chat_templates[0];
    assert_eq!(t.key, "tokenizer.chat_template");
    assert!(t.text.contains("<|im_start|>"));
    assert!(t.check.unparsed.is_none(), "{:?}", t.check.unparsed);
    assert!(t.check.hits.is_empty(), "{:?}", t.check.hits);
    assert_ne!(t.sha256, [0u8; 32]);
    assert!(
        r.kvs
            .iter()
            .any(|kv| kv.key == "general.architecture" && kv.value == KvValue::Str("llama".into()))
    );
    assert!(r.kvs.iter().any(|kv| kv.key == "tokenizer.ggml.tokens"
        && kv.value
            == KvValue::Array {
                elem_type: 8,
                len: 4
            }));
    // The reader is left at the data section.
    let mut rd = &bytes[..];
    let s = gguf::read_header(&mut rd, None, &Limits::default());
    assert_eq!(s.data_start, Some((bytes.len() - rd.len()) as u64));
}

#[test]
fn benign_llama3_with_variant() {
    let r = read(&data("benign_llama3.gguf"));
    assert!(r.loader_accepts(), "{r:#?}");
    let keys: Vec<_> = r.chat_templates.iter().map(|t| t.key.as_str()).collect();
    assert!(keys.contains(&"tokenizer.chat_template"));
    assert!(keys.contains(&"tokenizer.chat_template.tool_use"));
    for t in &r.chat_templates {
        assert!(t.check.unparsed.is_none(), "{:?}", t.check.unparsed);
        assert!(t.check.hits.is_empty(), "{:?}", t.check.hits);
    }
}

#[test]
fn ssti_templates_are_flagged() {
    for (file, want) in [
        (
            "ssti_mro.gguf",
            &["__class__", "__mro__", "__subclasses__"][..],
        ),
        (
            "ssti_cycler.gguf",
            &["cycler", "__init__", "__globals__", "os", "popen"][..],
        ),
    ] {
        let r = read(&data(file));
        assert!(r.loader_accepts(), "{r:#?}");
        let t = &r.chat_templates[0];
        assert!(t.check.unparsed.is_none());
        let names: Vec<_> = t.check.hits.iter().map(|h| h.name.as_str()).collect();
        for w in want {
            assert!(names.contains(w), "{file}: {w} not in {names:?}");
        }
        assert!(t.check.hits.iter().all(|h| h.via == Via::Ast));
    }
}

#[test]
fn template_patterns() {
    let hits = |t: &str| template::check(t).hits;
    assert!(
        hits("{{ x['__globals__'] }}")
            .iter()
            .any(|h| h.kind == HitKind::Dunder)
    );
    let h = hits("{{ x|attr('__class__') }}");
    assert!(h.iter().any(|h| h.kind == HitKind::AttrFilter));
    assert!(h.iter().any(|h| h.name == "__class__"));
    assert!(hits("{{ lipsum.__globals__['os'].system('id') }}").len() >= 4);
    assert!(hits("{{ joiner }}").iter().any(|h| h.name == "joiner"));
    // Role strings and variables named like dangerous words are not escapes.
    assert!(
        hits("{% set system = messages[0] %}{% if m['role'] == 'system' %}{{ system }}{% endif %}")
            .is_empty()
    );
    assert!(hits("{% set ns = namespace(found=false) %}{{ ns.found }}").is_empty());
    // Unparsable: reported, and the text scan still finds the payload.
    let c = template::check("{% generation %}{{ cycler.__init__ }}{% endgeneration %}");
    assert!(c.unparsed.is_some());
    assert!(
        c.hits
            .iter()
            .any(|h| h.via == Via::Text && h.name == "__init__")
    );
    // Deep chains are not parsed (stack safety) but scanned as text.
    let deep = format!("{{{{ {}a.__class__ }}}}", "a+".repeat(60_000));
    let c = template::check(&deep);
    assert!(c.unparsed.is_some());
    assert!(c.hits.iter().any(|h| h.name == "__class__"));
    // Deep nesting of statements: minijinja refuses at 150.
    let nested = "{% if a %}".repeat(5000);
    assert!(template::check(&nested).unparsed.is_some());
    let paren = format!("{{{{ {}1{} }}}}", "(".repeat(1000), ")".repeat(1000));
    let _ = template::check(&paren);
}

#[test]
fn huge_counts() {
    let r = read(&B::new(3, u64::MAX, u64::MAX).data(0));
    assert!(
        matches!(r.anomalies[0], Anomaly::BeyondFile { .. }),
        "{r:?}"
    );
    assert!(r.stopped.is_none());
    // Unknown size: the cap stops it.
    let r = read_streamed(&B::new(3, 2_000_000, 0).data(0));
    assert!(matches!(
        r.stopped,
        Some(FormatError::LimitExceeded {
            limit: LimitKind::ArchiveEntries,
            ..
        })
    ));
}

#[test]
fn huge_string_length() {
    let b = B::new(3, 0, 1).u64(u64::MAX - 3).data(64);
    let r = read(&b);
    assert!(
        matches!(r.anomalies[0], Anomaly::BeyondFile { what: "key", .. }),
        "{r:?}"
    );
    let r = read_streamed(&b);
    assert!(
        matches!(r.stopped, Some(FormatError::Truncated { .. })),
        "{r:?}"
    );
    // A value string over the cap is skipped and reported.
    let mut b = B::new(3, 0, 1)
        .s("k")
        .u32(8)
        .u64(gguf::MAX_STRING_LEN + 1)
        .0;
    b.extend(std::iter::repeat_n(b'x', gguf::MAX_STRING_LEN as usize + 1));
    let r = read(&b);
    assert!(
        r.anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::OversizedString { .. })),
        "{:?}",
        r.anomalies
    );
    assert_eq!(
        r.kvs[0].value,
        KvValue::LongStr {
            len: gguf::MAX_STRING_LEN + 1
        }
    );
}

#[test]
fn huge_array_and_nesting() {
    let r = read(
        &B::new(3, 0, 1)
            .s("a")
            .u32(9)
            .u32(10)
            .u64(u64::MAX / 4)
            .data(0),
    );
    assert!(matches!(
        r.anomalies[0],
        Anomaly::BeyondFile {
            what: "array length",
            ..
        }
    ));
    let mut b = B::new(3, 0, 1).s("a").u32(9);
    for _ in 0..20 {
        b = b.u32(9).u64(1);
    }
    let r = read_streamed(&b.data(0));
    assert!(
        r.anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::NestedArray { .. }))
    );
    assert!(matches!(
        r.stopped,
        Some(FormatError::LimitExceeded {
            limit: LimitKind::Depth,
            ..
        })
    ));
    let r = read(&B::new(3, 0, 1).s("a").u32(9).u32(77).u64(1).data(0));
    assert!(matches!(
        r.anomalies[0],
        Anomaly::UnknownValueType { value_type: 77, .. }
    ));
    let r = read(&B::new(3, 0, 1).s("a").u32(13).data(8));
    assert!(matches!(
        r.anomalies[0],
        Anomaly::UnknownValueType { value_type: 13, .. }
    ));
}

#[test]
fn tensor_malformations() {
    let r = read(&B::new(3, 1, 0).s("t").u32(1000).data(64));
    assert!(matches!(
        r.anomalies[0],
        Anomaly::TooManyDims { n_dims: 1000, .. }
    ));
    // Overflowing element count (CVE-2025-53630 class).
    let r = read(
        &B::new(3, 1, 0)
            .tensor("t", &[1 << 32, 1 << 32, 4], 0, 0)
            .data(64),
    );
    assert!(
        r.anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::SizeOverflow { .. })),
        "{:?}",
        r.anomalies
    );
    let r = read(&B::new(3, 1, 0).tensor("t", &[u64::MAX], 0, 0).data(64));
    assert!(
        r.anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::SizeOverflow { .. }))
    );
    // Offset past the end.
    let r = read(&B::new(3, 1, 0).tensor("t", &[16], 0, 0).data(32));
    assert!(
        r.anomalies.iter().any(|a| matches!(
            a,
            Anomaly::TensorBeyondFile {
                end: 64,
                data_len: 32,
                ..
            }
        )),
        "{:?}",
        r.anomalies
    );
    // Gap, misalignment, unknown type, block misalignment, duplicate, long name.
    let r = read(
        &B::new(3, 5, 0)
            .tensor("a", &[8], 0, 0)
            .tensor("b", &[8], 0, 96)
            .tensor("c", &[8], 0, 7)
            .tensor("d", &[8], 99, 0)
            .tensor("a", &[33], 2, 0)
            .data(4096),
    );
    let has = |f: &dyn Fn(&Anomaly) -> bool| r.anomalies.iter().any(f);
    assert!(has(&|a| matches!(
        a,
        Anomaly::OffsetUnexpected {
            offset: 96,
            expected: 32,
            ..
        }
    )));
    assert!(has(&|a| matches!(
        a,
        Anomaly::OffsetMisaligned { offset: 7, .. }
    )));
    assert!(has(&|a| matches!(
        a,
        Anomaly::UnknownGgmlType { ggml_type: 99, .. }
    )));
    assert!(has(&|a| matches!(
        a,
        Anomaly::BlockMisaligned {
            ne0: 33,
            block: 32,
            ..
        }
    )));
    assert!(has(&|a| matches!(a, Anomaly::DuplicateTensor { .. })));
    let long = "x".repeat(64);
    let r = read(&B::new(3, 1, 0).tensor(&long, &[1], 0, 0).data(32));
    assert!(matches!(
        r.anomalies[0],
        Anomaly::NameTooLong { len: 64, .. }
    ));
}

#[test]
fn header_malformations() {
    let r = read(b"GGML\x03\0\0\0");
    assert!(matches!(r.anomalies[0], Anomaly::BadMagic { .. }));
    let r = read(&B::new(1, 0, 0).data(0));
    assert!(matches!(
        r.anomalies[0],
        Anomaly::UnsupportedVersion { version: 1 }
    ));
    let r = read(&B::new(3, 0, 1).kv_u32("general.alignment", 48).data(0));
    assert!(matches!(
        r.anomalies[0],
        Anomaly::BadAlignment { alignment: 48 }
    ));
    let r = read(&B::new(3, 0, 1).kv_str("general.alignment", "32").data(0));
    assert!(matches!(r.anomalies[0], Anomaly::WrongType { .. }));
    let r = read(&B::new(3, 0, 2).kv_u32("k", 1).kv_u32("k", 2).data(0));
    assert!(matches!(r.anomalies[0], Anomaly::DuplicateKey { .. }));
    let r = read(
        &B::new(3, 0, 1)
            .s("tokenizer.chat_template")
            .u32(4)
            .u32(1)
            .data(0),
    );
    assert!(matches!(r.anomalies[0], Anomaly::WrongType { .. }));
    let mut b = B::new(3, 0, 1).kv_u32("general.alignment", 64).0;
    b.extend([0, 0, 1]);
    b.resize(128, 0);
    let r = read(&b);
    assert!(
        r.anomalies
            .iter()
            .any(|a| matches!(a, Anomaly::NonzeroPadding { .. })),
        "{:?}",
        r.anomalies
    );
    assert_eq!(r.data_start, Some(64));
    let mut b = B::new(3, 0, 1).s("k\u{e9}").u32(4).u32(1).0;
    let pos = b.iter().position(|&x| x == 0xc3).unwrap();
    b[pos] = 0xff;
    let r = read(&b);
    assert!(matches!(
        r.anomalies[0],
        Anomaly::NotUtf8 { what: "key", .. }
    ));
}

#[test]
fn truncation_and_bit_flips_never_panic() {
    for name in [
        "benign_chatml.gguf",
        "ssti_cycler.gguf",
        "benign_llama3.gguf",
    ] {
        let bytes = data(name);
        let full = read(&bytes);
        for cut in 0..bytes.len() {
            let part = &bytes[..cut];
            let r = read_streamed(part);
            if cut < full.data_start.unwrap() as usize {
                assert!(
                    r.stopped.is_some() || !r.anomalies.is_empty(),
                    "{name} cut {cut}"
                );
            }
            let _ = read(part);
        }
        for i in 0..bytes.len() {
            for bit in [0x01u8, 0x10, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= bit;
                let r = read(&b);
                for a in &r.anomalies {
                    let _ = a.to_string();
                }
                let _ = read_streamed(&b);
            }
        }
    }
}
