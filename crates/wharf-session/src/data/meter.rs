//! What every transfer step passes through: the usage count (the quota
//! hooks, STAT's progress), the quotas, the rate limits, and the bound on
//! storage waits. The data connection's own bounds are in `watchdog.rs`.
//! (Words as in `quota.rs`: usage is bytes counted, a quota limits usage
//! per period, a rate limit bounds bytes per second.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::outcome::TransferError;
use super::watchdog::RateFloor;
use crate::quota::{Direction, QuotaHook};
use crate::throttle::{self, Throttle};
#[cfg(feature = "usage")]
use crate::usage::AccountUsage;

/// The rate limits a transfer waits for in its direction: the session's
/// and the account's throttles.
#[derive(Default)]
pub(crate) struct RateLimits {
    pub(crate) session: Option<Arc<Throttle>>,
    /// Shared with other sessions: the server's, the user's, the virtual
    /// host's.
    pub(crate) shared: Vec<Arc<Throttle>>,
    #[cfg(feature = "usage")]
    pub(crate) account: Option<Arc<AccountUsage>>,
}

impl RateLimits {
    /// The account's throttle in `direction`, if it has one.
    fn account(&self, direction: Direction) -> Option<&Throttle> {
        #[cfg(feature = "usage")]
        return self.account.as_deref().and_then(|a| a.throttle(direction));
        #[cfg(not(feature = "usage"))]
        {
            let _ = direction;
            None
        }
    }

    /// Whether nothing limits the rate in `direction`.
    fn none(&self, direction: Direction) -> bool {
        self.session.is_none() && self.shared.is_empty() && self.account(direction).is_none()
    }

    /// Waits until `bytes` more may go; at once without limits.
    async fn wait(&self, direction: Direction, bytes: usize) {
        if self.none(direction) {
            return;
        }
        let account = self.account(direction);
        let shared = self.shared.iter().map(|t| &**t);
        throttle::pace(
            self.session
                .as_deref()
                .into_iter()
                .chain(account)
                .chain(shared),
            bytes as u64,
        )
        .await;
    }
}

/// Buffer size, stall limit and rate floor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) buffer: usize,
    pub(crate) stall: Duration,
    pub(crate) floor: RateFloor,
}

/// Counts a transfer's usage (for STAT and the quota hooks), stops it at a
/// quota, and holds it to its rate limits.
pub(crate) struct Meter<'a> {
    progress: &'a AtomicU64,
    quotas: &'a [Arc<dyn QuotaHook>],
    rate_limits: &'a RateLimits,
    direction: Direction,
    total: u64,
}

impl<'a> Meter<'a> {
    pub(crate) fn new(
        progress: &'a AtomicU64,
        quotas: &'a [Arc<dyn QuotaHook>],
        rate_limits: &'a RateLimits,
        direction: Direction,
    ) -> Self {
        Self {
            progress,
            quotas,
            rate_limits,
            direction,
            total: 0,
        }
    }

    /// Whether neither a quota nor a rate limit applies: every byte is
    /// admitted at once, so bytes may move before they are counted.
    pub(crate) fn unmetered(&self) -> bool {
        self.quotas.is_empty() && self.rate_limits.none(self.direction)
    }

    /// File bytes moved so far.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Lets `bytes` move once the bandwidth limits allow: all of them, or,
    /// when a quota runs out, how many still fit and the error that stops
    /// the transfer after them.
    pub(crate) async fn admit(&mut self, bytes: usize) -> (usize, Option<TransferError>) {
        let mut allowed = bytes;
        let mut stop = None;
        for quota in self.quotas {
            if let Err(e) = quota.consume(self.direction, allowed as u64) {
                allowed = allowed.min(usize::try_from(e.allowed).unwrap_or(usize::MAX));
                stop = Some(TransferError::Quota(e, self.direction));
            }
        }
        self.rate_limits.wait(self.direction, allowed).await;
        self.total += allowed as u64;
        self.progress.store(self.total, Ordering::Relaxed);
        (allowed, stop)
    }

    /// Like [`Meter::admit`] for uploads: over quota, nothing is kept.
    pub(crate) async fn admit_all(&mut self, bytes: usize) -> Result<(), TransferError> {
        match self.admit(bytes).await {
            (_, Some(stop)) => Err(stop),
            (_, None) => Ok(()),
        }
    }
}

/// Awaits one storage step (a read, a write, which may wait for upload
/// memory, a flush) for at most the stall timeout. The wait is the
/// server's, not the client's: it ends in `StorageStalled` (`451`), never
/// in the client's `426`.
pub(crate) async fn storage_wait<T>(
    limits: Limits,
    io: impl Future<Output = T>,
) -> Result<T, TransferError> {
    tokio::time::timeout(limits.stall, io)
        .await
        .map_err(|_| TransferError::StorageStalled(limits.stall))
}
