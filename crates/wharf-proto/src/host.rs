//! HOST (RFC 7151) and LANG (RFC 2640) arguments.
//!
//! ```text
//! host-command = "HOST" SP hostname CRLF
//! hostname     = domain / IP-literal
//! domain       = sub-domain *("." sub-domain)
//! sub-domain   = let-dig [ldh-str]
//! IP-literal   = "[" ( IPv6address / IPv4address ) "]"
//!
//! lang-command = "LANG" [ SP lang-tag ] CRLF              (RFC 2640 4.1)
//! lang-tag     = primary-tag *( "-" subtag )              (RFC 1766)
//! ```
//!
//! A domain name is kept in lower case (names are case-insensitive) and its
//! trailing dot, if any, dropped.

use std::fmt;
use std::net::IpAddr;

/// The argument of HOST: a domain name or a bracketed IP address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostName {
    /// A domain name, lower case, without a trailing dot.
    Domain(String),
    /// `[192.0.2.1]` or `[2001:db8::1]`.
    Ip(IpAddr),
}

impl HostName {
    /// Parses a RFC 7151 hostname.
    pub fn parse(input: &[u8]) -> Option<Self> {
        if let Some(inner) = input.strip_prefix(b"[").and_then(|i| i.strip_suffix(b"]")) {
            return std::str::from_utf8(inner).ok()?.parse().ok().map(Self::Ip);
        }
        let name = input.strip_suffix(b".").unwrap_or(input);
        let labels_ok = !name.is_empty()
            && name.len() <= 253
            && name.split(|&b| b == b'.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.first().is_some_and(u8::is_ascii_alphanumeric)
                    && label.last().is_some_and(u8::is_ascii_alphanumeric)
                    && label
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
            });
        labels_ok.then(|| Self::Domain(String::from_utf8_lossy(name).to_ascii_lowercase()))
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Domain(name) => f.write_str(name),
            Self::Ip(ip) => write!(f, "[{ip}]"),
        }
    }
}

/// A language tag for LANG: `en`, `fr-CA`, `x-klingon` (ASCII letters,
/// digits and hyphens, subtags of 1 to 8 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LangTag(String);

impl LangTag {
    /// Parses a tag.
    pub fn parse(input: &[u8]) -> Option<Self> {
        let valid = !input.is_empty()
            && input.len() <= 64
            && input.split(|&b| b == b'-').all(|sub| {
                (1..=8).contains(&sub.len()) && sub.iter().all(u8::is_ascii_alphanumeric)
            });
        valid.then(|| Self(String::from_utf8_lossy(input).into_owned()))
    }

    /// The tag as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames() {
        assert_eq!(
            HostName::parse(b"FTP.Example.com."),
            Some(HostName::Domain("ftp.example.com".into()))
        );
        assert_eq!(
            HostName::parse(b"[2001:db8::1]"),
            Some(HostName::Ip("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(
            HostName::parse(b"[192.0.2.1]").unwrap().to_string(),
            "[192.0.2.1]"
        );
        for bad in [
            &b""[..],
            b".",
            b"-a.com",
            b"a-.com",
            b"a..b",
            b"a b",
            b"[::g]",
            b"[1.2.3.4",
        ] {
            assert_eq!(HostName::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn lang_tags() {
        assert_eq!(LangTag::parse(b"fr-CA").unwrap().as_str(), "fr-CA");
        assert!(LangTag::parse(b"toolongtag").is_none());
        assert!(LangTag::parse(b"en_US").is_none());
        assert!(LangTag::parse(b"en-").is_none());
    }
}
