//! Arguments of the text (protocol 0) opcodes and string validity checks.
//!
//! CPython's C unpickler parses `INT` with `strtol(s, &end, 0)` and falls back to
//! `int(s, 0)`, `LONG`/`GET`/`PUT` with `int(s, 10)`, `FLOAT` with `float(s)`, `STRING`
//! with `codecs.escape_decode`, and `UNICODE` with the `raw-unicode-escape` codec. The
//! parsers here accept at least what those accept: where airlock is more lenient than the
//! loader it merely keeps analysing bytes the loader would have refused.
//!
//! # Security
//!
//! Inputs are hostile lines of up to 1 MiB. Parsing is linear, allocation-free except for
//! the caller's reusable output buffer, and never panics: integers beyond 128 bits are
//! only sized, not computed.

/// An integer literal, kept exactly when it fits 128 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntLit {
    /// Fits `i128`.
    Exact(i128),
    /// Too large; roughly this many bytes of two's complement.
    Huge(u64),
}

/// Parses a Python integer literal in `base` (10) or with prefixes (`base == 0`).
/// Accepts surrounding whitespace, a sign and single underscores between digits, like
/// `int()`. With `base == 0` a leading-zero number is octal, as C's `strtol` reads it.
pub(crate) fn parse_int(s: &[u8], base: u32) -> Option<IntLit> {
    let s = s.trim_ascii();
    let (neg, s) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    let (radix, digits) = if base == 0 {
        match s {
            [b'0', b'x' | b'X', rest @ ..] => (16, strip_underscore(rest)),
            [b'0', b'o' | b'O', rest @ ..] => (8, strip_underscore(rest)),
            [b'0', b'b' | b'B', rest @ ..] => (2, strip_underscore(rest)),
            [b'0', rest @ ..] if !rest.is_empty() && rest.iter().all(|c| c.is_ascii_digit()) => {
                (8, rest)
            }
            _ => (10, s),
        }
    } else {
        (10, s)
    };
    if digits.is_empty() || digits.first() == Some(&b'_') || digits.last() == Some(&b'_') {
        return None;
    }
    let mut value: i128 = 0;
    let mut overflow = false;
    let mut prev_underscore = false;
    let mut ndigits: u64 = 0;
    for &c in digits {
        if c == b'_' {
            if prev_underscore {
                return None;
            }
            prev_underscore = true;
            continue;
        }
        prev_underscore = false;
        let d = (c as char).to_digit(radix)?;
        ndigits += 1;
        if !overflow {
            match value
                .checked_mul(i128::from(radix))
                .and_then(|v| v.checked_add(i128::from(d)))
            {
                Some(v) => value = v,
                None => overflow = true,
            }
        }
    }
    if overflow {
        // log2(10) / 8 ≈ 0.415 bytes per decimal digit; exactness is not needed.
        let bits = u64::from(32 - radix.leading_zeros());
        return Some(IntLit::Huge(ndigits.saturating_mul(bits) / 8 + 1));
    }
    Some(IntLit::Exact(if neg { -value } else { value }))
}

fn strip_underscore(s: &[u8]) -> &[u8] {
    // `0x_1f` is valid Python: one underscore may follow the prefix.
    s.strip_prefix(b"_").unwrap_or(s)
}

/// Parses a `FLOAT` argument like Python's `float()` would.
pub(crate) fn parse_float(s: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(s).ok()?.trim();
    // Rust accepts "inf"/"infinity"/"nan" in any case, as Python does; Python also
    // allows underscores between digits.
    s.replace('_', "").parse::<f64>().ok()
}

/// Decodes the body of a quoted protocol-0 `STRING` argument (`'...'` or `"..."`) with
/// `codecs.escape_decode` semantics. `None` if unquoted or if an escape is invalid.
pub(crate) fn unquote_string(line: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let body = match line {
        [q @ (b'\'' | b'"'), body @ .., last] if last == q => body,
        _ => return None,
    };
    out.clear();
    out.reserve(body.len());
    let mut i = body.iter().copied().peekable();
    while let Some(c) = i.next() {
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let e = i.next()?; // trailing backslash: "Trailing \ in string"
        match e {
            b'\n' => {}
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match i.peek() {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i.next();
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
            }
            b'x' => {
                let hi = (i.next()? as char).to_digit(16)?;
                let lo = (i.next()? as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Some(())
}

/// Decodes a protocol-0 `UNICODE` argument (`raw-unicode-escape`) into UTF-8 (with lone
/// surrogates encoded as WTF-8). `None` if a `\u`/`\U` escape is malformed.
pub(crate) fn raw_unicode_escape(line: &[u8], out: &mut Vec<u8>) -> Option<()> {
    out.clear();
    out.reserve(line.len());
    let mut idx = 0usize;
    while let Some(&c) = line.get(idx) {
        idx += 1;
        let count = match (c, line.get(idx)) {
            (b'\\', Some(b'u')) => 4,
            (b'\\', Some(b'U')) => 8,
            _ => {
                push_code_point(out, u32::from(c));
                continue;
            }
        };
        idx += 1;
        let hex = line.get(idx..idx + count)?;
        idx += count;
        let mut v: u32 = 0;
        for &h in hex {
            v = v * 16 + (h as char).to_digit(16)?;
        }
        if v > 0x10_FFFF {
            return None;
        }
        push_code_point(out, v);
    }
    Some(())
}

/// Appends `cp` as UTF-8, or as a 3-byte WTF-8 sequence when it is a surrogate.
fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    if let Some(ch) = char::from_u32(cp) {
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    } else {
        out.push(0xE0 | ((cp >> 12) & 0x0F) as u8);
        out.push(0x80 | ((cp >> 6) & 0x3F) as u8);
        out.push(0x80 | (cp & 0x3F) as u8);
    }
}

/// Whether `s` decodes as UTF-8 with Python's `surrogatepass` handler, as the unpickler
/// decodes `BINUNICODE` arguments.
pub(crate) fn utf8_surrogatepass(mut s: &[u8]) -> bool {
    loop {
        match std::str::from_utf8(s) {
            Ok(_) => return true,
            Err(e) => {
                let at = e.valid_up_to();
                match s.get(at..at + 3) {
                    Some([0xED, 0xA0..=0xBF, 0x80..=0xBF]) => s = s.get(at + 3..).unwrap_or(&[]),
                    _ => return false,
                }
            }
        }
    }
}

/// Whether `s` is a dotted Python identifier (ASCII), as module and attribute names are.
pub(crate) fn is_dotted_identifier(s: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.split(|&c| c == b'.').all(|part| {
            matches!(part.first(), Some(c) if c.is_ascii_alphabetic() || *c == b'_')
                && part.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(parse_int(b"42", 10), Some(IntLit::Exact(42)));
        assert_eq!(parse_int(b" -7 ", 10), Some(IntLit::Exact(-7)));
        assert_eq!(parse_int(b"1_000", 10), Some(IntLit::Exact(1000)));
        assert_eq!(parse_int(b"0x1f", 0), Some(IntLit::Exact(31)));
        assert_eq!(parse_int(b"010", 0), Some(IntLit::Exact(8)));
        assert_eq!(parse_int(b"010", 10), Some(IntLit::Exact(10)));
        assert_eq!(
            parse_int(b"119547037146038801333356", 10),
            Some(IntLit::Exact(0x1950a86a20f9469cfc6c))
        );
        assert!(matches!(parse_int(&[b'9'; 60], 10), Some(IntLit::Huge(_))));
        assert_eq!(parse_int(b"", 10), None);
        assert_eq!(parse_int(b"1__0", 10), None);
        assert_eq!(parse_int(b"abc", 10), None);
    }

    #[test]
    fn strings() {
        let mut out = Vec::new();
        assert!(unquote_string(br"'a\'b\x41\n\101\q'", &mut out).is_some());
        assert_eq!(out, b"a'bA\nA\\q");
        assert!(unquote_string(b"'abc", &mut out).is_none());
        assert!(unquote_string(br"'\x4'", &mut out).is_none());
        assert!(raw_unicode_escape(br"a\u00e9\U0001F600\x", &mut out).is_some());
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "a\u{e9}\u{1F600}\\x"
        );
        assert!(raw_unicode_escape(br"\u12", &mut out).is_none());
    }

    #[test]
    fn utf8() {
        assert!(utf8_surrogatepass("héllo".as_bytes()));
        assert!(utf8_surrogatepass(b"a\xed\xa0\x80b"));
        assert!(!utf8_surrogatepass(b"a\x80"));
    }

    #[test]
    fn identifiers() {
        assert!(is_dotted_identifier(b"os.path"));
        assert!(is_dotted_identifier(b"_rebuild_tensor_v2"));
        assert!(!is_dotted_identifier(b"mport os"));
        assert!(!is_dotted_identifier(b"a..b"));
        assert!(!is_dotted_identifier(b""));
    }
}
