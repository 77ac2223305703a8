//! DSSE pre-authentication encoding: the exact bytes an OMS signature covers.

/// The payload type of an in-toto statement in a DSSE envelope.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// DSSE v1 PAE: `DSSEv1 <len(type)> <type> <len(payload)> <payload>`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The PAE `model_signing` 0.2 signed by mistake: `DSSEV1`, and the payload pasted in as
/// Python's `repr` of a bytes object (`b'...'`). 1.1.1 still accepts it, so airlock does.
pub fn pae_v0_2(payload: &[u8]) -> Vec<u8> {
    format!(
        "DSSEV1 {} {IN_TOTO_PAYLOAD_TYPE} {} {}",
        IN_TOTO_PAYLOAD_TYPE.len(),
        payload.len(),
        python_bytes_repr(payload)
    )
    .into_bytes()
}

/// Python's `repr(bytes)`: single quotes unless the bytes hold `'` and no `"`.
fn python_bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('b');
    out.push(quote);
    for &byte in bytes {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if char::from(byte) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..0x7f => out.push(char::from(byte)),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // github.com/secure-systems-lab/dsse/blob/v1.0.0/protocol.md#test-vectors
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn python_repr_escapes_like_python() {
        // repr(b'a\'b\\c\n\x00\xff"') in CPython 3.11
        assert_eq!(
            python_bytes_repr(b"a'b\\c\n\x00\xff\""),
            r#"b'a\'b\\c\n\x00\xff"'"#
        );
        // repr(b"it's") == "b\"it's\""
        assert_eq!(python_bytes_repr(b"it's"), "b\"it's\"");
        assert_eq!(
            pae_v0_2(b"{}"),
            b"DSSEV1 28 application/vnd.in-toto+json 2 b'{}'"
        );
    }
}
