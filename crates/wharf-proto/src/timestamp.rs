//! Timestamps as FTP writes them (RFC 3659 section 2.3), used by MDTM, MFMT
//! and the MLSx `modify` fact.
//!
//! ```text
//! time-val = 14DIGIT [ "." 1*DIGIT ]
//! ```
//!
//! The fourteen digits are, from the left: year (1000 to 9999), month (01 to
//! 12), day (01 to 31), hour (00 to 23), minute (00 to 59) and second (00 to
//! 60, 60 only at a leap second), always in UTC and the Gregorian calendar.
//! The optional fraction is of a second. A leap second `60` is read as `59`,
//! since Unix time has no place for it; fractions past nanoseconds are cut.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::TimestampError;

/// A UTC instant between 1000-01-01 and the end of 9999, to the nanosecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    secs: i64,
    /// Always below 1_000_000_000.
    nanos: u32,
}

/// A UTC calendar date and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// 1000 to 9999.
    pub year: u16,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
    /// 0 to 23.
    pub hour: u8,
    /// 0 to 59.
    pub minute: u8,
    /// 0 to 59.
    pub second: u8,
}

/// Appends `value` in decimal, zero-padded to `width` digits (a wider
/// value keeps all its digits, as `{:0width$}` would).
fn push_digits(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let start = at.min(digits.len().saturating_sub(width));
    out.extend_from_slice(&digits[start..]);
}

/// Days since 1970-01-01 of a proleptic Gregorian date; the year is split
/// into 400-year eras, each with the same number of days.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Timestamp {
    /// 1000-01-01T00:00:00Z.
    pub const MIN: Self = Self {
        secs: -30_610_224_000,
        nanos: 0,
    };
    /// 9999-12-31T23:59:59.999999999Z.
    pub const MAX: Self = Self {
        secs: 253_402_300_799,
        nanos: 999_999_999,
    };

    /// From seconds and nanoseconds since the Unix epoch; `None` when out of
    /// range or `nanos` is a second or more.
    pub fn from_unix(secs: i64, nanos: u32) -> Option<Self> {
        let ts = Self { secs, nanos };
        (nanos < 1_000_000_000 && (Self::MIN..=Self::MAX).contains(&ts)).then_some(ts)
    }

    /// From a calendar date and time; `None` when a field is out of range.
    pub fn from_civil(civil: CivilTime) -> Option<Self> {
        let CivilTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        } = civil;
        let (y, m, d) = (i64::from(year), i64::from(month), i64::from(day));
        let valid = (1000..=9999).contains(&y)
            && (1..=12).contains(&m)
            && (1..=days_in_month(y, m)).contains(&d)
            && hour < 24
            && minute < 60
            && second < 60;
        valid.then(|| Self {
            secs: days_from_civil(y, m, d) * 86_400
                + i64::from(hour) * 3600
                + i64::from(minute) * 60
                + i64::from(second),
            nanos: 0,
        })
    }

    /// Seconds since the Unix epoch (negative before 1970).
    pub fn unix_seconds(self) -> i64 {
        self.secs
    }

    /// The fraction of the second, in nanoseconds.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// The same instant without its fraction of a second.
    pub fn truncate_to_seconds(self) -> Self {
        Self {
            secs: self.secs,
            nanos: 0,
        }
    }

    /// The calendar date and time of day, in UTC.
    pub fn civil(self) -> CivilTime {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // The range of `Timestamp` keeps every field in range of its type.
        CivilTime {
            year: u16::try_from(year).unwrap_or(9999),
            month: u8::try_from(month).unwrap_or(12),
            day: u8::try_from(day).unwrap_or(31),
            hour: u8::try_from(rem / 3600).unwrap_or(23),
            minute: u8::try_from(rem / 60 % 60).unwrap_or(59),
            second: u8::try_from(rem % 60).unwrap_or(59),
        }
    }

    /// Parses a `time-val`.
    pub fn parse(input: &[u8]) -> Result<Self, TimestampError> {
        let (digits, fraction) = match input.iter().position(|&b| b == b'.') {
            Some(dot) => (&input[..dot], Some(&input[dot + 1..])),
            None => (input, None),
        };
        if digits.len() != 14 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(TimestampError::Malformed);
        }
        let field = |range: std::ops::Range<usize>| {
            digits[range]
                .iter()
                .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'))
        };
        let small = |range| u8::try_from(field(range)).map_err(|_| TimestampError::OutOfRange);
        let second = small(12..14)?;
        let civil = CivilTime {
            year: field(0..4),
            month: small(4..6)?,
            day: small(6..8)?,
            hour: small(8..10)?,
            minute: small(10..12)?,
            second: if second == 60 { 59 } else { second },
        };
        let mut ts = Self::from_civil(civil).ok_or(TimestampError::OutOfRange)?;
        if let Some(fraction) = fraction {
            if fraction.is_empty() || !fraction.iter().all(u8::is_ascii_digit) {
                return Err(TimestampError::Malformed);
            }
            let mut nanos = 0u32;
            for i in 0..9 {
                nanos = nanos * 10 + fraction.get(i).map_or(0, |&d| u32::from(d - b'0'));
            }
            ts.nanos = nanos;
        }
        Ok(ts)
    }

    /// Appends the `time-val`: fourteen digits, then the fraction without
    /// trailing zeros if there is one.
    pub fn encode(self, out: &mut Vec<u8>) {
        // Digit by digit into `out`: a listing writes one per entry, and
        // a formatted String each would be 10,000 allocations for MLSD of
        // a 10,000-entry folder.
        let c = self.civil();
        push_digits(out, u64::from(c.year), 4);
        for part in [c.month, c.day, c.hour, c.minute, c.second] {
            push_digits(out, u64::from(part), 2);
        }
        if self.nanos > 0 {
            out.push(b'.');
            let mut nanos = self.nanos;
            let mut width = 9;
            while nanos.is_multiple_of(10) {
                nanos /= 10;
                width -= 1;
            }
            push_digits(out, u64::from(nanos), width);
        }
    }

    /// The `time-val` as a string.
    pub fn to_time_val(self) -> String {
        let mut out = Vec::with_capacity(24);
        self.encode(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Clamps a [`SystemTime`] into range.
    pub fn saturating_from(time: SystemTime) -> Self {
        Self::try_from(time).unwrap_or_else(|e| match e {
            TimestampError::OutOfRange if time > UNIX_EPOCH => Self::MAX,
            _ => Self::MIN,
        })
    }
}

impl TryFrom<SystemTime> for Timestamp {
    type Error = TimestampError;
    fn try_from(time: SystemTime) -> Result<Self, TimestampError> {
        let (secs, nanos) = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => (i64::try_from(after.as_secs()).ok(), after.subsec_nanos()),
            Err(before) => {
                let before = before.duration();
                let whole = i64::try_from(before.as_secs()).ok();
                match before.subsec_nanos() {
                    0 => (whole.map(|s| -s), 0),
                    n => (whole.map(|s| -s - 1), 1_000_000_000 - n),
                }
            }
        };
        secs.and_then(|s| Self::from_unix(s, nanos))
            .ok_or(TimestampError::OutOfRange)
    }
}

impl From<Timestamp> for SystemTime {
    fn from(ts: Timestamp) -> SystemTime {
        let nanos = Duration::from_nanos(u64::from(ts.nanos));
        if ts.secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(ts.secs.unsigned_abs()) + nanos
        } else {
            UNIX_EPOCH - Duration::from_secs(ts.secs.unsigned_abs()) + nanos
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        let ts = Timestamp::parse(b"19700101000000").unwrap();
        assert_eq!(ts.unix_seconds(), 0);
        let ts = Timestamp::parse(b"20240229235959.5").unwrap();
        assert_eq!(ts.unix_seconds(), 1_709_251_199);
        assert_eq!(ts.subsec_nanos(), 500_000_000);
        assert_eq!(ts.to_time_val(), "20240229235959.5");
        assert_eq!(Timestamp::parse(b"10000101000000").unwrap(), Timestamp::MIN);
        assert_eq!(
            Timestamp::parse(b"99991231235959.999999999").unwrap(),
            Timestamp::MAX
        );
        // RFC 3659's example reply: 213 19980615100045.014
        let ts = Timestamp::parse(b"19980615100045.014").unwrap();
        assert_eq!(ts.to_time_val(), "19980615100045.014");
    }

    /// The digit-by-digit encoder against the formatted form it replaced,
    /// over the whole range and fractions of every length.
    #[test]
    fn encode_matches_the_formatted_form() {
        let (min, max) = (Timestamp::MIN.unix_seconds(), Timestamp::MAX.unix_seconds());
        let nanos = [0, 1, 10, 14_000_000, 123_456_789, 500_000_000, 999_999_999];
        for secs in (min..=max).step_by(7_777_777_777).chain([min, 0, max]) {
            for nanos in nanos {
                let ts = Timestamp::from_unix(secs, nanos).unwrap();
                let c = ts.civil();
                let mut want = format!(
                    "{:04}{:02}{:02}{:02}{:02}{:02}",
                    c.year, c.month, c.day, c.hour, c.minute, c.second
                );
                if nanos > 0 {
                    want.push('.');
                    want.push_str(format!("{nanos:09}").trim_end_matches('0'));
                }
                assert_eq!(ts.to_time_val(), want, "{secs}.{nanos}");
            }
        }
    }

    #[test]
    fn leap_second_reads_as_59() {
        let ts = Timestamp::parse(b"20161231235960").unwrap();
        assert_eq!(ts.to_time_val(), "20161231235959");
    }

    #[test]
    fn invalid_inputs() {
        use TimestampError::*;
        for (input, err) in [
            (&b"2024022923595"[..], Malformed),
            (b"202402292359599", Malformed),
            (b"20240229235959.", Malformed),
            (b"20240229235959.x", Malformed),
            (b"2024-02-29 23:5", Malformed),
            (b"20230229000000", OutOfRange),
            (b"20241301000000", OutOfRange),
            (b"20240100000000", OutOfRange),
            (b"20240101240000", OutOfRange),
            (b"09991231235959", OutOfRange),
        ] {
            assert_eq!(Timestamp::parse(input), Err(err), "{input:?}");
        }
    }

    #[test]
    fn system_time_round_trip() {
        let now = SystemTime::now();
        let ts = Timestamp::try_from(now).unwrap();
        assert_eq!(SystemTime::from(ts), now);
        let before = UNIX_EPOCH - Duration::new(1, 250_000_000);
        let ts = Timestamp::try_from(before).unwrap();
        assert_eq!((ts.unix_seconds(), ts.subsec_nanos()), (-2, 750_000_000));
        assert_eq!(SystemTime::from(ts), before);
        assert_eq!(ts.to_time_val(), "19691231235958.75");
    }

    #[test]
    fn civil_conversion_matches_day_counting() {
        // Walk day by day over several leap cycles and century edges.
        let start = days_from_civil(1899, 12, 25);
        let mut date = (1899, 12, 25);
        for days in start..start + 366 * 205 {
            assert_eq!(civil_from_days(days), date);
            date.2 += 1;
            if date.2 > days_in_month(date.0, date.1) {
                date = (date.0, date.1 + 1, 1);
                if date.1 > 12 {
                    date = (date.0 + 1, 1, 1);
                }
            }
        }
    }
}
