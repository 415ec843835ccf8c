//! Times as the stores write them, and the `mtime` metadata value.
//!
//! Metadata is written by any tool with access to the store, so an `mtime`
//! value is untrusted input: whatever it holds (`1e19`, `-5`, `NaN`, a
//! date in the year 200000, garbage) it is either a time FTP can show or
//! ignored, and the store's Last-Modified is shown instead. Nothing here
//! panics or overflows.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};

/// The metadata key holding a client-set modification time (the same key
/// rclone uses, so the two agree).
pub(crate) const MTIME_KEY: &str = "mtime";

/// 1000-01-01T00:00:00Z in seconds since the epoch: the earliest time an
/// RFC 3659 `time-val` (`14DIGIT`, a four-digit year) can write.
const EARLIEST: i64 = -30_610_224_000;
/// 9999-12-31T23:59:59Z: the latest.
const LATEST: i64 = 253_402_300_799;

/// An RFC 1123 date (`Sat, 21 Nov 2026 08:48:39 GMT`) or an RFC 3339 one
/// (`2026-11-21T08:48:39.000Z`).
pub(crate) fn parse_http_date(text: &str) -> Option<SystemTime> {
    DateTime::parse_from_rfc2822(text)
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .and_then(|dt| system_time(dt.with_timezone(&Utc)))
}

/// An `mtime` metadata value: RFC 3339 (or RFC 1123), or seconds since the
/// epoch with an optional fraction (`1700000000.5`), as other tools write
/// it. `None`, for the caller to fall back to the store's time, unless it
/// is a time between the years 1000 and 9999 (seconds: 0 up to the end of
/// 9999; negative, non-finite and larger values are refused).
pub(crate) fn parse_mtime(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        // `f64` parsing also takes `inf`, `NaN` and exponents; the range
        // check refuses every value a `Duration` or `SystemTime` cannot
        // hold before one is made.
        if !(secs.is_finite() && (0.0..=LATEST as f64).contains(&secs)) {
            return None;
        }
        let since = Duration::try_from_secs_f64(secs).ok()?;
        return SystemTime::UNIX_EPOCH.checked_add(since);
    }
    let time = parse_http_date(text)?;
    let secs = match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).ok()?,
        Err(before) => {
            let before = before.duration();
            // Round towards the earlier second.
            -i64::try_from(before.as_secs()).ok()? - i64::from(before.subsec_nanos() > 0)
        }
    };
    (EARLIEST..=LATEST).contains(&secs).then_some(time)
}

/// `time` as a [`SystemTime`], with checked arithmetic.
fn system_time(time: DateTime<Utc>) -> Option<SystemTime> {
    let secs = time.timestamp();
    let nanos = Duration::from_nanos(u64::from(time.timestamp_subsec_nanos()));
    let whole = Duration::from_secs(secs.unsigned_abs());
    let at_second = if secs >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(whole)?
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(whole)?
    };
    at_second.checked_add(nanos)
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

    #[test]
    fn numbers_out_of_range_are_ignored() {
        for text in [
            "1e19",
            "1e300",
            "-1e19",
            "18446744073709551616",
            "253402300800",
            "-1",
            "-0.5",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "infinity",
            "1e-400x",
            "",
            " ",
        ] {
            assert_eq!(parse_mtime(text), None, "{text:?}");
        }
    }

    #[test]
    fn numbers_in_range_are_read() {
        let at = |secs: u64, nanos: u32| Some(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos));
        assert_eq!(parse_mtime("0"), at(0, 0));
        assert_eq!(parse_mtime("1.5"), at(1, 500_000_000));
        assert_eq!(parse_mtime("1e9"), at(1_000_000_000, 0));
        assert_eq!(parse_mtime("253402300799"), at(253_402_300_799, 0));
    }

    #[test]
    fn dates_outside_the_years_ftp_shows_are_ignored() {
        assert_eq!(parse_mtime("+200000-01-01T00:00:00Z"), None);
        assert_eq!(parse_mtime("10000-01-01T00:00:00Z"), None);
        assert_eq!(parse_mtime("0999-12-31T23:59:59Z"), None);
        assert_eq!(parse_mtime("0999-12-31T23:59:59.5Z"), None);
        let first = parse_mtime("1000-01-01T00:00:00Z").expect("year 1000");
        assert_eq!(parse_mtime(&format_mtime(first)), Some(first));
        let last = parse_mtime("9999-12-31T23:59:59.999Z").expect("year 9999");
        assert_eq!(parse_mtime(&format_mtime(last)), Some(last));
        // Offsets are honoured at the edges.
        assert_eq!(parse_mtime("9999-12-31T23:59:59-01:00"), None);
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_is_ignored(text in proptest::prelude::any::<String>()) {
            let _ = parse_mtime(&text);
            let _ = parse_http_date(&text);
        }

        #[test]
        fn any_number_parses_or_is_ignored(secs in proptest::prelude::any::<f64>()) {
            let parsed = parse_mtime(&secs.to_string());
            proptest::prop_assert_eq!(
                parsed.is_some(),
                secs.is_finite() && (0.0..=LATEST as f64).contains(&secs)
            );
            let _ = parse_mtime(&format!("{secs:e}"));
        }

        #[test]
        fn any_date_parses_or_is_ignored(
            year in -300_000i64..300_000,
            rest in "-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,12})?(Z|[+-][0-9]{2}:[0-9]{2})",
        ) {
            let _ = parse_mtime(&format!("{year:04}{rest}"));
            let _ = parse_mtime(&format!("{year:+07}{rest}"));
        }
    }
}
