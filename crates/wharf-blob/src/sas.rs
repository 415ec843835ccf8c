//! Shared access signatures: a SAS token is a query string the store
//! signed with the account key, granting some permissions until an
//! expiry. Wharf never signs one; it appends a token it was given to every
//! request, object_store's and its own REST calls alike.
//!
//! ```text
//! sas   = ["?"] pair *("&" pair)         ; "sv=2022-11-02&ss=b&srt=sco&sp=rl&se=...&sig=..."
//! pair  = name "=" value                 ; values percent-encoded
//! ```
//!
//! The fields read here (Azure's "Create an account SAS" and "Create a
//! service SAS"): `sp` the permissions (`r` read, `a` add, `c` create,
//! `w` write, `d` delete, `l` list, ...), `se` the expiry (ISO 8601 UTC),
//! `ss`/`srt` the services and resource types of an account SAS (`s`
//! service, `c` container, `o` object), `sr` the resource of a service
//! SAS (`c` container, `b` blob). The store checks all of it; Wharf reads
//! it only to say why a request was refused, and to refuse an expired
//! token before asking.

use std::fmt;
use std::time::SystemTime;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// A SAS token: its query pairs, percent-decoded. `Debug` never shows the
/// signature.
#[derive(Clone, PartialEq, Eq)]
pub struct SasToken {
    pairs: Vec<(String, String)>,
}

/// Why text is not a SAS token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SasError {
    /// The text is not `name=value` pairs joined by `&`.
    #[error("a SAS token is name=value pairs joined by &: {0}")]
    Malformed(String),
    /// A field every SAS has is missing.
    #[error("a SAS token needs {0}=")]
    Missing(&'static str),
}

impl SasToken {
    /// Parses a token, with or without its leading `?`; surrounding white
    /// space (a trailing newline of a file) is ignored. It must carry a
    /// version (`sv`) and a signature (`sig`).
    pub fn parse(text: &str) -> Result<Self, SasError> {
        let text = text.trim();
        let pairs = object_store::azure::split_sas(text)
            .map_err(|err| SasError::Malformed(err.to_string()))?;
        let token = Self { pairs };
        for field in ["sv", "sig"] {
            if token.get(field).is_none_or(str::is_empty) {
                return Err(SasError::Missing(field));
            }
        }
        Ok(token)
    }

    /// Whether a password or a key file holds a SAS token rather than an
    /// account key: it starts with `sv=` or `?sv=`, or has a `sig=` field.
    /// An account key is base64, which has neither `&` nor `=` inside it.
    pub fn looks_like_sas(text: &str) -> bool {
        let text = text.trim();
        text.starts_with("sv=")
            || text.starts_with("?sv=")
            || text
                .trim_start_matches('?')
                .split('&')
                .any(|pair| pair.starts_with("sig="))
    }

    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The permission letters (`sp`), e.g. `"rl"`.
    pub fn permissions(&self) -> &str {
        self.get("sp").unwrap_or_default()
    }

    /// Whether the token grants permission `letter`.
    pub fn grants(&self, letter: char) -> bool {
        self.permissions().contains(letter)
    }

    /// Whether this is an account SAS (it names services and resource
    /// types); otherwise a service SAS for one container or blob.
    pub fn is_account_sas(&self) -> bool {
        self.get("srt").is_some()
    }

    /// The expiry as written (`se`).
    pub fn expiry(&self) -> Option<&str> {
        self.get("se")
    }

    /// Whether the token had expired at `now`. A token whose expiry cannot
    /// be read is left to the store to judge.
    pub fn expired_at(&self, now: SystemTime) -> bool {
        let now: DateTime<Utc> = now.into();
        self.expiry()
            .and_then(parse_time)
            .is_some_and(|expiry| expiry <= now)
    }

    /// The query pairs, for the store's client.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The token as a query string (values percent-encoded), to append to
    /// a URL after `?` or `&`.
    pub(crate) fn query(&self) -> String {
        self.pairs
            .iter()
            .map(|(key, value)| format!("{}={}", crate::rest::enc(key), crate::rest::enc(value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// An ISO 8601 UTC time as SAS tokens write it: `2026-12-06`,
/// `2026-12-06T10:00Z`, `2026-12-06T10:00:00Z` or with fractional seconds.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    if let Ok(time) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%MZ") {
        return Some(time.and_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc())
}

/// Shows every field but the signature.
impl fmt::Debug for SasToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in &self.pairs {
            if key == "sig" {
                map.entry(key, &crate::config::REDACTED);
            } else {
                map.entry(key, value);
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const TOKEN: &str = "?sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2026-12-06T10%3A00%3A00Z&spr=https&sig=abc%2Bdef%2F0%3D";

    #[test]
    fn reads_the_fields() {
        let token = SasToken::parse(TOKEN).unwrap();
        assert_eq!(token.permissions(), "rl");
        assert!(token.grants('l') && !token.grants('w'));
        assert!(token.is_account_sas());
        assert_eq!(token.expiry(), Some("2026-12-06T10:00:00Z"));
        assert_eq!(token.get("sig"), Some("abc+def/0="));
        let container = SasToken::parse("sv=2022-11-02&sr=c&sp=r&se=2026-12-06&sig=x").unwrap();
        assert!(!container.is_account_sas());
    }

    #[test]
    fn query_round_trips() {
        let token = SasToken::parse(TOKEN).unwrap();
        assert_eq!(SasToken::parse(&token.query()).unwrap(), token);
        assert!(
            token.query().contains("sig=abc%2Bdef%2F0%3D"),
            "{}",
            token.query()
        );
    }

    #[test]
    fn refuses_what_is_not_a_token() {
        assert!(matches!(
            SasToken::parse("sv=1&sp=r"),
            Err(SasError::Missing("sig"))
        ));
        assert!(SasToken::parse("sig=x&bogus").is_err());
        assert!(SasToken::parse("").is_err());
    }

    #[test]
    fn tells_tokens_from_keys() {
        assert!(SasToken::looks_like_sas(TOKEN));
        assert!(SasToken::looks_like_sas("sv=2022-11-02&sig=x"));
        assert!(SasToken::looks_like_sas("sp=r&sig=x"));
        assert!(!SasToken::looks_like_sas(
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
        ));
    }

    #[test]
    fn reads_expiry_times_in_every_form() {
        let at = |text: &str| parse_time(text).map(|t| t.timestamp());
        assert_eq!(at("2026-12-06T10:00:00Z"), Some(1_796_551_200));
        assert_eq!(at("2026-12-06T10:00Z"), Some(1_796_551_200));
        assert_eq!(at("2026-12-06T10:00:00.1234567Z"), Some(1_796_551_200));
        assert_eq!(at("2026-12-06"), Some(1_796_515_200));
        assert_eq!(at("soon"), None);
        let token = SasToken::parse(TOKEN).unwrap();
        let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_551_200);
        assert!(token.expired_at(expiry));
        assert!(!token.expired_at(expiry - Duration::from_secs(1)));
    }

    #[test]
    fn debug_hides_the_signature() {
        let shown = format!("{:?}", SasToken::parse(TOKEN).unwrap());
        assert!(!shown.contains("abc+def"), "{shown}");
        assert!(
            shown.contains("rl") && shown.contains("<redacted>"),
            "{shown}"
        );
    }
}
