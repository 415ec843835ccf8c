//! From [`VPath`]s to blob names and back, and container name rules.
//!
//! Blob names are UTF-8. object_store cannot carry ASCII control
//! characters in a name and Azure reads `\\` as `/`, so those are stored
//! escaped as `%XX` (upper-case hex); a `%` is escaped as `%25` only where
//! it would otherwise read as such an escape. Every other name is stored exactly as the client sent it.

use wharf_vfs::{VPath, VfsError};

/// Whether `byte` must be escaped in a stored name: controls, which
/// object_store refuses; `\\`, which Azure turns into `/`; and `%`, the
/// escape itself.
fn escaped(byte: u8) -> bool {
    byte.is_ascii_control() || byte == b'\\' || byte == b'%'
}

/// The value of a `%XX` escape at the start of `rest`, if it is one this
/// module writes.
fn escape_at(rest: &[u8]) -> Option<u8> {
    let [b'%', high, low, ..] = rest else {
        return None;
    };
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let value = hex(*high)? << 4 | hex(*low)?;
    escaped(value).then_some(value)
}

/// The stored form of one name component (already known to be UTF-8).
pub(crate) fn encode(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    for (i, ch) in name.char_indices() {
        let byte = bytes[i];
        let escape = match byte {
            b'%' => escape_at(&bytes[i..]).is_some(),
            _ => ch.is_ascii() && escaped(byte),
        };
        if escape {
            out.push_str(&format!("%{byte:02X}"));
        } else {
            out.push(ch);
        }
    }
    out
}

/// The client's form of a stored name.
pub(crate) fn decode(stored: &str) -> Vec<u8> {
    let bytes = stored.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if let Some(value) = escape_at(&bytes[i..]) {
            out.push(value);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// The components of `path`, each as UTF-8; a non-UTF-8 name is
/// `InvalidName`.
pub(crate) fn components(path: &VPath) -> Result<Vec<&str>, VfsError> {
    path.as_bytes()
        .split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
        .map(|c| {
            std::str::from_utf8(c).map_err(|err| VfsError::invalid_name(path).with_source(err))
        })
        .collect()
}

/// Joins components into a stored key (no leading or trailing `/`).
pub(crate) fn key_of(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| encode(p))
        .collect::<Vec<_>>()
        .join("/")
}

/// Checks a container name against Azure's rules (which S3's bucket rules
/// nearly match): 3 to 63 characters, lower-case letters, digits and
/// hyphens, starting and ending with a letter or digit, no `--`.
pub fn valid_container_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && !name.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        for name in [
            "plain",
            "tab\there",
            "100%",
            "a%41",
            "%09",
            "%2509",
            "%\t",
            "%4\u{7f}",
            "ünï %ZZ",
            "back\\slash",
            "%5C",
        ] {
            assert_eq!(decode(&encode(name)), name.as_bytes(), "{name:?}");
        }
        assert_eq!(encode("100%.txt"), "100%.txt");
        assert_eq!(encode("tab\tx"), "tab%09x");
        assert_eq!(encode("%09"), "%2509");
        assert_eq!(decode("file%20name"), b"file%20name");
    }

    #[test]
    fn container_names_follow_azure_rules() {
        for good in ["abc", "my-container-1", "a".repeat(63).as_str()] {
            assert!(valid_container_name(good), "{good}");
        }
        for bad in [
            "ab",
            "Abc",
            "a--b",
            "-abc",
            "abc-",
            "a_b",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(!valid_container_name(bad), "{bad}");
        }
    }
}
