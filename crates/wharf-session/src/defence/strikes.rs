//! The failed-login rule every guard applies, whatever its clock: the
//! in-memory guard counts in [`Instant`]s, the fleet's shared records in
//! Unix milliseconds that servers agree on.
//!
//! `max_failures` failures within `window` start a ban; each ban of the
//! same group is twice as long as the one before, up to `max_ban`
//! ([`BanPolicy::ban_for`]); a group that stays clean for `max_ban` after
//! its last ban ended starts again from the first ban.

use std::time::{Duration, Instant};

use super::guard::{Ban, BanPolicy};

/// A point in time the rule can measure from and add to.
pub(crate) trait Moment: Copy + Ord {
    /// How long after `earlier` this is (zero if it is not after it).
    fn since(self, earlier: Self) -> Duration;
    /// `length` later; never overflows (saturates).
    fn after(self, length: Duration) -> Self;
}

impl Moment for Instant {
    fn since(self, earlier: Self) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// [`MemoryLoginGuard`](super::MemoryLoginGuard) bounds windows and
    /// bans to ten years, so the sum always exists; were it not to, the
    /// time stays where it is rather than panic.
    fn after(self, length: Duration) -> Self {
        self.checked_add(length).unwrap_or(self)
    }
}

/// Unix milliseconds.
impl Moment for u64 {
    fn since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.saturating_sub(earlier))
    }

    fn after(self, length: Duration) -> Self {
        self.saturating_add(u64::try_from(length.as_millis()).unwrap_or(u64::MAX))
    }
}

/// One address group's failures and bans.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "shared-state", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Strikes<T> {
    /// Failures in the current window.
    pub(crate) failures: u32,
    /// When the current window began.
    pub(crate) window_start: T,
    /// When the last ban ends (in the past once it ended).
    pub(crate) banned_until: Option<T>,
    /// Bans so far (forgotten `max_ban` after the last one ended).
    pub(crate) offences: u32,
}

impl<T: Moment> Strikes<T> {
    /// A group with nothing against it, first seen at `now`.
    pub(crate) fn clean(now: T) -> Self {
        Self {
            failures: 0,
            window_start: now,
            banned_until: None,
            offences: 0,
        }
    }

    /// The ban in force at `now`, if any.
    pub(crate) fn ban(&self, now: T) -> Option<Ban> {
        let until = self.banned_until?;
        (until > now).then(|| Ban::new(until.since(now), self.offences))
    }

    /// Whether the record says nothing still of use at `now`: no failures
    /// in an open window, and no ban ended less than `max_ban` ago.
    pub(crate) fn stale(&self, policy: &BanPolicy, now: T) -> bool {
        let counting = self.failures > 0 && now.since(self.window_start) < policy.window;
        let remembered = self
            .banned_until
            .is_some_and(|until| until.after(policy.max_ban) > now);
        !counting && !remembered
    }

    /// Counts one failure at `now`; the ban it starts, if any. While a ban
    /// is in force nothing changes and the answer is `None`: a banned
    /// client's retries neither lengthen its ban nor rewrite a shared
    /// record.
    pub(crate) fn fail(&mut self, policy: &BanPolicy, now: T) -> Option<Ban> {
        if policy.max_failures == 0 || self.ban(now).is_some() {
            return None;
        }
        if self.failures == 0 || now.since(self.window_start) >= policy.window {
            self.failures = 0;
            self.window_start = now;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures < policy.max_failures {
            return None;
        }
        if self
            .banned_until
            .is_some_and(|until| until.after(policy.max_ban) <= now)
        {
            self.offences = 0;
        }
        self.offences = self.offences.saturating_add(1);
        self.failures = 0;
        let length = policy.ban_for(self.offences);
        self.banned_until = Some(now.after(length));
        Some(Ban::new(length, self.offences))
    }
}
