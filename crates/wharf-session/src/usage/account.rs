//! [`AccountUsage`]: one account's counts in this server, the quota check
//! on them, and its bandwidth throttles.

use std::sync::Mutex;
use std::time::SystemTime;

use super::period::{Period, Window};
use crate::quota::{Direction, QuotaExceeded, QuotaHook, QuotaStatus, bytes_text};
use crate::throttle::Throttle;

/// One account's traffic as this server knows it.
#[derive(Debug)]
pub struct AccountUsage {
    account: String,
    period: Period,
    limit: u64,
    pub(super) counts: Mutex<Counts>,
    download: Option<Throttle>,
    upload: Option<Throttle>,
}

/// The counts behind an [`AccountUsage`].
#[derive(Debug)]
pub(super) struct Counts {
    /// The current period.
    pub(super) window: Window,
    /// The stored total of this period at the last flush (every server's
    /// bytes, ours included up to then).
    pub(super) shared: u64,
    /// Counted here since the last flush began.
    pub(super) pending: u64,
    /// Being added to the store right now, for the period `in_flight_key`.
    pub(super) in_flight: u64,
    pub(super) in_flight_key: String,
    /// Bytes of past periods not stored yet.
    pub(super) retired: Vec<(String, u64)>,
    /// The stored total has been read since this server started counting.
    pub(super) loaded: bool,
}

impl Counts {
    /// Moves to the period of `now` if the current one is over; what was
    /// not flushed of the old period is kept to be flushed under its key.
    pub(super) fn roll(&mut self, period: Period, now: SystemTime) {
        if now < self.window.resets {
            return;
        }
        let window = period.window(now);
        if window.key == self.window.key {
            self.window = window;
            return;
        }
        let old = std::mem::replace(&mut self.window, window);
        if self.pending > 0 {
            self.retired.push((old.key, self.pending));
        }
        self.pending = 0;
        self.shared = 0;
        self.loaded = false;
    }

    /// Bytes counted in the current period.
    pub(super) fn used(&self) -> u64 {
        let in_flight = if self.in_flight_key == self.window.key {
            self.in_flight
        } else {
            0
        };
        self.shared
            .saturating_add(self.pending)
            .saturating_add(in_flight)
    }

    /// Whether there is anything left to store.
    pub(super) fn idle(&self) -> bool {
        self.pending == 0 && self.in_flight == 0 && self.retired.is_empty()
    }
}

impl AccountUsage {
    pub(super) fn new(
        account: &str,
        period: Period,
        limit: u64,
        rates: (u64, u64),
        now: SystemTime,
    ) -> Self {
        let window = period.window(now);
        Self {
            account: account.to_owned(),
            period,
            limit,
            counts: Mutex::new(Counts {
                in_flight_key: window.key.clone(),
                window,
                shared: 0,
                pending: 0,
                in_flight: 0,
                retired: Vec::new(),
                loaded: false,
            }),
            download: Throttle::new(rates.0),
            upload: Throttle::new(rates.1),
        }
    }

    /// The account's name.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The quota per period; `0` is unlimited.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes counted this period, as far as this server knows: the total
    /// stored at the last flush plus what it counted since.
    pub fn used(&self) -> u64 {
        let mut counts = self.lock();
        counts.roll(self.period, SystemTime::now());
        counts.used()
    }

    /// The account's throttle for `direction`, if it has one.
    pub fn throttle(&self, direction: Direction) -> Option<&Throttle> {
        match direction {
            Direction::Download => self.download.as_ref(),
            Direction::Upload => self.upload.as_ref(),
        }
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn period(&self) -> Period {
        self.period
    }

    fn exceeded(&self, used: u64, window: &Window, allowed: u64) -> QuotaExceeded {
        QuotaExceeded {
            message: format!(
                "the {} quota of {} for {} is used up ({} counted); it resets at {}",
                self.period.adjective(),
                bytes_text(self.limit),
                self.account,
                bytes_text(used),
                window.resets_text()
            ),
            allowed,
        }
    }
}

impl QuotaHook for AccountUsage {
    fn check(&self, _: Direction) -> Result<(), QuotaExceeded> {
        if self.limit == 0 {
            return Ok(());
        }
        let mut counts = self.lock();
        counts.roll(self.period, SystemTime::now());
        let used = counts.used();
        if used >= self.limit {
            return Err(self.exceeded(used, &counts.window, 0));
        }
        Ok(())
    }

    fn consume(&self, _: Direction, bytes: u64) -> Result<(), QuotaExceeded> {
        let mut counts = self.lock();
        counts.roll(self.period, SystemTime::now());
        let used = counts.used();
        if self.limit > 0 && used.saturating_add(bytes) > self.limit {
            let allowed = self.limit.saturating_sub(used);
            counts.pending = counts.pending.saturating_add(allowed);
            return Err(self.exceeded(used + allowed, &counts.window, allowed));
        }
        counts.pending = counts.pending.saturating_add(bytes);
        Ok(())
    }

    fn record(&self, bytes: u64) {
        let mut counts = self.lock();
        counts.roll(self.period, SystemTime::now());
        counts.pending = counts.pending.saturating_add(bytes);
    }

    fn status(&self) -> Option<QuotaStatus> {
        let mut counts = self.lock();
        counts.roll(self.period, SystemTime::now());
        Some(QuotaStatus {
            account: self.account.clone(),
            period: self.period.adjective(),
            used: counts.used(),
            limit: self.limit,
            resets: counts.window.resets,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn usage(limit: u64) -> AccountUsage {
        AccountUsage::new("alice", Period::Day, limit, (0, 0), SystemTime::now())
    }

    #[test]
    fn a_chunk_that_crosses_the_limit_is_cut_at_it() {
        let account = usage(1000);
        assert!(account.consume(Direction::Download, 600).is_ok());
        let stopped = account
            .consume(Direction::Download, 600)
            .expect_err("over the limit");
        assert_eq!(stopped.allowed, 400);
        assert_eq!(account.used(), 1000);
        assert!(
            stopped
                .message
                .contains("daily quota of 1000 bytes for alice")
        );
        assert!(stopped.message.contains("resets at"), "{}", stopped.message);
        assert!(account.check(Direction::Upload).is_err());
    }

    #[test]
    fn control_traffic_counts_past_the_limit_but_never_fails() {
        let account = usage(10);
        account.record(25);
        assert_eq!(account.used(), 25);
        assert!(account.check(Direction::Download).is_err());
    }

    #[test]
    fn zero_is_unlimited() {
        let account = usage(0);
        assert!(account.consume(Direction::Upload, u64::MAX / 2).is_ok());
        assert!(account.check(Direction::Upload).is_ok());
    }

    #[test]
    fn a_new_period_starts_fresh_and_keeps_the_old_bytes_to_store() {
        let day = UNIX_EPOCH + Duration::from_secs(1_795_256_838);
        let account = AccountUsage::new("alice", Period::Day, 100, (0, 0), day);
        account.lock().pending = 100;
        let mut counts = account.lock();
        counts.roll(Period::Day, day + Duration::from_secs(86_400));
        assert_eq!(counts.used(), 0);
        assert_eq!(counts.window.key, "2026-11-22");
        assert_eq!(counts.retired, vec![("2026-11-21".to_owned(), 100)]);
    }

    #[test]
    fn sizes_read_as_bytes_and_binary_units() {
        assert_eq!(bytes_text(10), "10 bytes");
        assert_eq!(bytes_text(10 * 1024 * 1024), "10485760 bytes (10.0 MiB)");
    }
}
