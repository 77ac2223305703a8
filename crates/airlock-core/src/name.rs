use std::fmt;

use base64::Engine as _;
use serde::{Serialize, Serializer};

/// A file path or archive member name exactly as found, which need not be UTF-8.
///
/// Hostile archives use invalid UTF-8 to hide members from tools that decode names
/// lossily, so names are kept as bytes and written as a string only when they are valid
/// UTF-8; otherwise JSON gets `{"bytes": "<base64>"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteName(Vec<u8>);

impl ByteName {
    /// Wraps raw bytes as found in the input.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        ByteName(bytes.into())
    }

    /// Keeps a platform path without loss (on Unix its bytes, elsewhere its UTF-8 form).
    pub fn from_path(path: &std::path::Path) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            ByteName(path.as_os_str().as_bytes().to_vec())
        }
        #[cfg(not(unix))]
        {
            ByteName(path.to_string_lossy().into_owned().into_bytes())
        }
    }

    /// The raw bytes of the name.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The name as text when it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }
}

impl fmt::Display for ByteName {
    /// Human display: invalid bytes are escaped as `\xNN`, so nothing is silently dropped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            for byte in chunk.invalid() {
                write!(f, "\\x{byte:02x}")?;
            }
        }
        Ok(())
    }
}

impl From<&str> for ByteName {
    fn from(s: &str) -> Self {
        ByteName(s.as_bytes().to_vec())
    }
}

impl Serialize for ByteName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.as_str() {
            Some(text) => serializer.serialize_str(text),
            None => {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(1))?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(&self.0);
                map.serialize_entry("bytes", &encoded)?;
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_kept_and_escaped() {
        let name = ByteName::new(b"data/\xffevil.pkl".to_vec());
        assert_eq!(name.to_string(), "data/\\xffevil.pkl");
        assert_eq!(
            serde_json::to_string(&name).unwrap(),
            r#"{"bytes":"ZGF0YS//ZXZpbC5wa2w="}"#
        );
        assert_eq!(
            serde_json::to_string(&ByteName::from("a.pkl")).unwrap(),
            r#""a.pkl""#
        );
    }
}
