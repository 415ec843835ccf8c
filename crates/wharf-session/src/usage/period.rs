//! UsageLedger periods: a UTC day or a UTC month, named by the date they
//! start on, ending when the next one starts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wharf_proto::timestamp::{CivilTime, Timestamp};

use crate::quota::utc_text;

/// How long a quota lasts before the counts start again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Period {
    /// A UTC day, 00:00:00 to 24:00:00.
    #[default]
    Day,
    /// A UTC calendar month.
    Month,
}

impl Period {
    /// An adjective for messages: "daily", "monthly".
    pub fn adjective(self) -> &'static str {
        match self {
            Self::Day => "daily",
            Self::Month => "monthly",
        }
    }

    /// The period that `now` falls in.
    pub fn window(self, now: SystemTime) -> Window {
        let secs = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let Some(today) = Timestamp::from_unix(secs - secs.rem_euclid(86_400), 0) else {
            // A clock outside the years 1000-9999: one period a day.
            return Window {
                key: format!("unix-day-{}", secs.div_euclid(86_400)),
                resets: at(secs - secs.rem_euclid(86_400) + 86_400),
            };
        };
        let civil = today.civil();
        match self {
            Self::Day => Window {
                key: format!("{:04}-{:02}-{:02}", civil.year, civil.month, civil.day),
                resets: at(today.unix_seconds() + 86_400),
            },
            Self::Month => {
                let (year, month) = if civil.month == 12 {
                    (civil.year + 1, 1)
                } else {
                    (civil.year, civil.month + 1)
                };
                let next = Timestamp::from_civil(CivilTime {
                    year,
                    month,
                    day: 1,
                    hour: 0,
                    minute: 0,
                    second: 0,
                })
                .map_or(today.unix_seconds() + 31 * 86_400, Timestamp::unix_seconds);
                Window {
                    key: format!("{:04}-{:02}", civil.year, civil.month),
                    resets: at(next),
                }
            }
        }
    }
}

impl std::str::FromStr for Period {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "day" | "daily" => Ok(Self::Day),
            "month" | "monthly" => Ok(Self::Month),
            other => Err(format!("unknown period {other:?} (day or month)")),
        }
    }
}

/// One period: its name in storage and when the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// `2026-11-21` for a day, `2026-11` for a month.
    pub key: String,
    /// The start of the next period.
    pub resets: SystemTime,
}

impl Window {
    /// `resets` as `2026-11-22 00:00:00 UTC`.
    pub fn resets_text(&self) -> String {
        utc_text(self.resets)
    }
}

fn at(unix: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(unix: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(unix)
    }

    #[test]
    fn a_day_runs_from_midnight_to_midnight_utc() {
        // 2026-11-21 10:27:18 UTC
        let w = Period::Day.window(time(1_795_256_838));
        assert_eq!(w.key, "2026-11-21");
        assert_eq!(w.resets_text(), "2026-11-22 00:00:00 UTC");
        // The last second of the day is still the same day.
        let last = Period::Day.window(time(1_795_305_599));
        assert_eq!(last.key, "2026-11-21");
        assert_eq!(Period::Day.window(time(1_795_305_600)).key, "2026-11-22");
    }

    #[test]
    fn a_month_resets_on_the_first_and_december_rolls_the_year() {
        let w = Period::Month.window(time(1_795_256_838));
        assert_eq!(w.key, "2026-11");
        assert_eq!(w.resets_text(), "2026-12-01 00:00:00 UTC");
        // 2026-12-31 23:00:00 UTC
        let december = Period::Month.window(time(1_798_758_000));
        assert_eq!(december.key, "2026-12");
        assert_eq!(december.resets_text(), "2027-01-01 00:00:00 UTC");
    }

    #[test]
    fn periods_parse_by_name() {
        assert_eq!("day".parse::<Period>(), Ok(Period::Day));
        assert_eq!("Monthly".parse::<Period>(), Ok(Period::Month));
        assert!("week".parse::<Period>().is_err());
    }
}
