//! How the shared store is doing, for logs and metrics: every failed call
//! is counted, and the first failure after a success (and the first
//! success after a failure) is logged once, so an outage is one warning
//! and not one per connection.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tracing::{info, warn};

use super::store::StateStoreError;

/// Counters of the shared state's store calls and of what the server did
/// without them. Read them at any time ([`SharedHealth::snapshot`]).
#[derive(Debug, Default)]
pub struct SharedHealth {
    errors: AtomicU64,
    local_failures: AtomicU64,
    uncounted_sessions: AtomicU64,
    failing: AtomicBool,
}

/// A reading of [`SharedHealth`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthSnapshot {
    /// Store calls that failed or timed out, since start.
    pub errors: u64,
    /// Failed logins counted by this server alone because the store failed.
    pub local_failures: u64,
    /// Sessions admitted without the fleet-wide count because the store
    /// failed (this server's own per-address cap still held them).
    pub uncounted_sessions: u64,
    /// Whether the last store call failed.
    pub failing: bool,
}

impl SharedHealth {
    /// The counters now.
    pub fn snapshot(&self) -> HealthSnapshot {
        HealthSnapshot {
            errors: self.errors.load(Ordering::Relaxed),
            local_failures: self.local_failures.load(Ordering::Relaxed),
            uncounted_sessions: self.uncounted_sessions.load(Ordering::Relaxed),
            failing: self.failing.load(Ordering::Relaxed),
        }
    }

    /// A store call for `what` failed with `error`.
    pub(crate) fn failed(&self, what: &str, error: &StateStoreError) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if !self.failing.swap(true, Ordering::Relaxed) {
            warn!(%error, what, "shared state store failing: failed logins are counted by this server alone and sessions by its own per-address cap until it answers");
        } else {
            tracing::debug!(%error, what, "shared state store still failing");
        }
    }

    /// A store call succeeded.
    pub(crate) fn succeeded(&self) {
        if self.failing.swap(false, Ordering::Relaxed) {
            info!("shared state store answers again");
        }
    }

    pub(crate) fn counted_locally(&self) {
        self.local_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn uncounted_session(&self) {
        self.uncounted_sessions.fetch_add(1, Ordering::Relaxed);
    }
}
