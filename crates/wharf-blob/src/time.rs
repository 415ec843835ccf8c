//! Times as the stores write them, and the `mtime` metadata value.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};

/// The metadata key holding a client-set modification time (the same key
/// rclone uses, so the two agree).
pub(crate) const MTIME_KEY: &str = "mtime";

/// An RFC 1123 date (`Sat, 21 Nov 2026 08:48:39 GMT`) or an RFC 3339 one
/// (`2026-11-21T08:48:39.000Z`).
pub(crate) fn parse_http_date(text: &str) -> Option<SystemTime> {
    DateTime::parse_from_rfc2822(text)
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|dt| dt.with_timezone(&Utc).into())
}

/// An `mtime` metadata value: RFC 3339, or seconds since the epoch with an
/// optional fraction.
pub(crate) fn parse_mtime(text: &str) -> Option<SystemTime> {
    if let Ok(secs) = text.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs));
    }
    parse_http_date(text)
}

/// The `mtime` metadata value written for `time` (RFC 3339, nanoseconds).
pub(crate) fn format_mtime(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_parses_store_dates() {
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_mtime(&format_mtime(when)), Some(when));
        assert_eq!(parse_mtime("1000000000"), Some(when));
        assert_eq!(parse_http_date("Sun, 09 Sep 2001 01:46:40 GMT"), Some(when));
        assert_eq!(parse_http_date("2001-09-09T01:46:40.000Z"), Some(when));
        assert_eq!(parse_mtime("garbage"), None);
    }
}
