//! GCS's bucket names, which allow more than Azure's container names:
//! underscores and dots (`my_data`, `example.com`, an App Engine app's
//! `PROJECT.appspot.com`).
//!
//! GCS's rules ("Bucket naming"): 3 to 63 characters, or up to 222 with
//! dots, each dot-separated part at most 63; lowercase letters, digits,
//! `-`, `_` and `.`; starting and ending with a letter or digit; not
//! starting with `goog`, not containing `google` or its misspellings (only
//! the spelling itself is checked here), and not an IPv4 address. A name
//! that breaks them cannot exist, so it is `NotFound` or `InvalidName`
//! before any request.

/// Whether `name` can be a GCS bucket's name.
pub(crate) fn valid_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let max = if name.contains('.') { 222 } else { 63 };
    (3..=max).contains(&bytes.len())
        && bytes.iter().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && name
            .split('.')
            .all(|part| !part.is_empty() && part.len() <= 63)
        && !name.starts_with("goog")
        && !name.contains("google")
        && name.parse::<std::net::Ipv4Addr>().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for good in [
            "abc",
            "my_data",
            "photos-2024",
            "wharf-test.appspot.com",
            "a.b.c",
            &"x".repeat(63),
        ] {
            assert!(valid_bucket_name(good), "{good}");
        }
        for bad in [
            "ab",
            "Photos",
            "-abc",
            "abc_",
            "a..b",
            "google-drive",
            "goog1",
            "192.168.5.4",
            "with space",
            "slash/name",
            &"x".repeat(64),
        ] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }
}
