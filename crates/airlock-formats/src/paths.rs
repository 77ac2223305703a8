//! Archive member names as extractors resolve them.
//!
//! A scanner never extracts, but its users do: a member name that is absolute or climbs
//! out with `..` is written outside the target directory by naive extractors
//! (`tarfile.extractall`, hand-written zip loops). Both the zip and the tar walkers
//! report such names through [`escapes`].

/// Why a member name lands outside the extraction directory, if it does.
pub fn escapes(name: &[u8]) -> Option<&'static str> {
    if name.first() == Some(&b'/') || name.first() == Some(&b'\\') {
        return Some("has an absolute path");
    }
    if name.len() >= 2
        && name.get(1) == Some(&b':')
        && name.first().is_some_and(u8::is_ascii_alphabetic)
    {
        return Some("has a drive-letter path");
    }
    let mut depth: i64 = 0;
    for part in name.split(|&b| b == b'/' || b == b'\\') {
        match part {
            b"" | b"." => {}
            b".." => {
                depth -= 1;
                if depth < 0 {
                    return Some("climbs out with `..`");
                }
            }
            _ => depth += 1,
        }
    }
    None
}

/// Whether a symbolic link member `name` pointing at `target` resolves outside the
/// extraction directory (a relative target resolves from the link's own directory).
pub fn symlink_escapes(name: &[u8], target: &[u8]) -> bool {
    if target.first() == Some(&b'/') || target.first() == Some(&b'\\') {
        return true;
    }
    let base = match name.iter().rposition(|&b| b == b'/' || b == b'\\') {
        Some(slash) => name.get(..=slash).unwrap_or_default(),
        None => &[],
    };
    escapes(&[base, target].concat()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_names() {
        assert_eq!(escapes(b"model/data.pkl"), None);
        assert_eq!(escapes(b"a/../b"), None);
        assert_eq!(escapes(b"./a"), None);
        assert!(escapes(b"/etc/passwd").is_some());
        assert!(escapes(b"a/../../b").is_some());
        assert!(escapes(b"..\\x").is_some());
        assert!(escapes(b"C:/x").is_some());
    }
}
