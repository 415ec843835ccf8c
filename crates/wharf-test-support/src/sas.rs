//! Azure SAS tokens signed with a known account key, for tests against
//! Azurite (which checks the signature). The strings to sign are those of
//! service version 2020-12-06 and later (Azure's "Create an account SAS"
//! and "Create a service SAS"); the signature is the base64 HMAC-SHA256 of
//! the string under the decoded key.
//!
//! ```text
//! account SAS: account \n sp \n ss \n srt \n st \n se \n sip \n spr \n sv \n ses \n
//! service SAS: sp \n st \n se \n /blob/account/container \n si \n sip \n spr \n sv \n sr \n
//!              snapshot \n ses \n rscc \n rscd \n rsce \n rscl \n rsct
//! ```

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// The service version the tokens name.
const VERSION: &str = "2022-11-02";

/// An expiry `offset` from now, positive or negative, in SAS form
/// (`2026-12-06T10:00:00Z`).
pub fn expiry_in(offset: Duration, past: bool) -> String {
    let now = SystemTime::now();
    let at = if past { now - offset } else { now + offset };
    DateTime::<Utc>::from(at).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An hour from now.
pub fn in_an_hour() -> String {
    expiry_in(Duration::from_secs(3600), false)
}

/// An hour ago.
pub fn an_hour_ago() -> String {
    expiry_in(Duration::from_secs(3600), true)
}

fn sign(key: &str, text: &str) -> String {
    let key = STANDARD.decode(key).unwrap_or_default();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    STANDARD.encode(ring::hmac::sign(&key, text.as_bytes()).as_ref())
}

fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
}

/// An account SAS for the blob service: `permissions` such as `"rwdlac"`,
/// `resource_types` such as `"sco"`, valid until `expiry`.
pub fn account_sas(
    account: &str,
    key: &str,
    permissions: &str,
    resource_types: &str,
    expiry: &str,
) -> String {
    let text =
        format!("{account}\n{permissions}\nb\n{resource_types}\n\n{expiry}\n\n\n{VERSION}\n\n");
    let sig = sign(key, &text);
    query(&[
        ("sv", VERSION),
        ("ss", "b"),
        ("srt", resource_types),
        ("sp", permissions),
        ("se", expiry),
        ("sig", &sig),
    ])
}

/// A service SAS for one container: `permissions` such as `"rl"`, valid
/// until `expiry`.
pub fn container_sas(
    account: &str,
    key: &str,
    container: &str,
    permissions: &str,
    expiry: &str,
) -> String {
    let text = format!(
        "{permissions}\n\n{expiry}\n/blob/{account}/{container}\n\n\n\n{VERSION}\nc\n\n\n\n\n\n\n"
    );
    let sig = sign(key, &text);
    query(&[
        ("sv", VERSION),
        ("sr", "c"),
        ("sp", permissions),
        ("se", expiry),
        ("sig", &sig),
    ])
}
