//! Name-based UUIDs (RFC 4122 version 5, SHA-1) so serial numbers and ids follow from content.

use sha1::{Digest, Sha1};

/// The RFC 4122 URL namespace (`6ba7b811-…`), so anyone can recompute an id with any UUID library.
const NAMESPACE_URL: [u8; 16] = [
    0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
];

/// A version-5 UUID of `name` in the URL namespace, lowercase, hyphenated.
pub(crate) fn uuid_v5(name: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(NAMESPACE_URL);
    hasher.update(name);
    let digest = hasher.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc4122_v5_vector() {
        // uuid.uuid5(uuid.NAMESPACE_URL, "https://example.com") in Python.
        assert_eq!(
            super::uuid_v5(b"https://example.com"),
            "4fd35a71-71ef-5a55-a9d9-aa75c889a6d0"
        );
    }
}
