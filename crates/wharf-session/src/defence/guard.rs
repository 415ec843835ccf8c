//! The failed-login counter and the bans, behind a trait so that servers of
//! a fleet can share them (one server's ban then holds on all of them).

use std::time::Duration;

use async_trait::async_trait;

use crate::network::IpNetwork;

/// When failed logins ban an address group, and for how long.
///
/// `max_failures` failed logins from one group within `window` ban it: its
/// connections get `421` at once, before the greeting. Each further ban of
/// the same group lasts twice the one before, up to `max_ban`; a group
/// that goes `max_ban` after its last ban without another is forgotten.
/// Only wrong user names and passwords count, never a busy or failing
/// back-end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BanPolicy {
    /// Failures within `window` that start a ban; `0` turns bans off.
    pub max_failures: u32,
    /// The window the failures are counted in, from the first of them.
    pub window: Duration,
    /// The first ban's length.
    pub ban: Duration,
    /// The longest ban, however often a group offends.
    pub max_ban: Duration,
}

impl Default for BanPolicy {
    /// 10 failures in 10 minutes ban for 15 minutes, then 30, 60, ... up to
    /// 24 hours: far more than a user mistyping, far fewer than a guesser
    /// needs (with the 1 s failed-login delay a session could otherwise try
    /// 3,600 passwords an hour).
    fn default() -> Self {
        Self {
            max_failures: 10,
            window: Duration::from_secs(600),
            ban: Duration::from_secs(900),
            max_ban: Duration::from_secs(86_400),
        }
    }
}

impl BanPolicy {
    /// The length of a group's `offence`-th ban (the first is 1).
    pub fn ban_for(&self, offence: u32) -> Duration {
        let doublings = offence.saturating_sub(1).min(31);
        self.ban
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max_ban)
            .min(self.max_ban)
    }
}

/// A ban in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ban {
    /// How long it still holds.
    pub remaining: Duration,
    /// Which ban of the group this is (1 for the first).
    pub offence: u32,
}

impl Ban {
    /// A ban that holds `remaining` longer, the group's `offence`-th.
    pub fn new(remaining: Duration, offence: u32) -> Self {
        Self { remaining, offence }
    }

    /// The reply text for a banned client, with the wait rounded up to
    /// whole seconds.
    pub(crate) fn reply_text(&self) -> String {
        let secs = self.remaining.as_secs() + u64::from(self.remaining.subsec_nanos() > 0);
        format!("Too many failed logins from your address; try again in {secs} seconds.")
    }
}

/// Counts failed logins per address group and keeps the bans.
///
/// Groups are [`IpNetwork`]s made by the server (an IPv4 /32, an IPv6
/// /64 by default), so every server of a fleet that uses the same prefix
/// names a client the same way. [`is_banned`](Self::is_banned) is asked
/// for every connection before its greeting, so it must answer quickly
/// (a shared store should be read through a local cache).
#[async_trait]
pub trait LoginGuard: Send + Sync {
    /// The ban on `group` now in force, if any.
    async fn is_banned(&self, group: IpNetwork) -> Option<Ban>;

    /// Counts a wrong user name or password from `group`; the ban it
    /// starts (or the one already in force), if any.
    async fn record_failure(&self, group: IpNetwork) -> Option<Ban>;

    /// A successful login from `group`. Nothing by default; the built-in
    /// guard ignores it too, because a guesser who holds any account (or
    /// anonymous access) would otherwise clear the count between guesses.
    async fn record_success(&self, group: IpNetwork) {
        let _ = group;
    }

    /// How many address groups are banned now, if the guard can tell
    /// without waiting; `None` by default.
    fn bans_active(&self) -> Option<usize> {
        None
    }
}
