//! State a fleet of servers shares through one store (feature
//! `shared-state`, default on): failed-login counts and bans
//! ([`SharedLoginGuard`]) and live sessions per address group
//! ([`SharedSessions`]), so that a guesser cannot spread attempts over
//! servers and a per-address limit holds across them.
//!
//! | file | holds |
//! |---|---|
//! | `store.rs` | [`StateStore`]: named records changed by conditional read-modify-write |
//! | `dir_store.rs` | [`DirStateStore`]: records as files under `flock` |
//! | `records.rs` | a record's name in the store, JSON both ways |
//! | `ban_record.rs` | a group's failures and bans, the list of bans in force |
//! | `guard.rs` | [`SharedLoginGuard`], with its local cache and fallback |
//! | `sessions.rs` | [`SharedSessions`], per-server counts with leases |
//! | `health.rs` | [`SharedHealth`]: store failures and what was done instead |
//!
//! Staleness is bounded by [`SharedConfig`]: a ban holds on every server
//! within `ban_refresh` of its start; a dead server's sessions stop
//! counting within `session_lease`. Session counts themselves are never
//! stale: each session start is one conditional update of its group's
//! record. Every store call is bounded by `store_timeout`; a call that
//! fails or times out is counted in [`SharedHealth`] and the server goes
//! on with what it alone knows (see each type).

mod ban_record;
mod dir_store;
mod guard;
mod health;
mod records;
mod sessions;
mod store;

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use dir_store::DirStateStore;
pub use guard::SharedLoginGuard;
pub use health::{HealthSnapshot, SharedHealth};
pub use sessions::SharedSessions;
pub use store::{Change, ChangeFn, StateStore, StateStoreError};

use crate::defence::BanPolicy;

/// How stale shared state may be, and how long a store call may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SharedConfig {
    /// How often each server reads the list of bans (default 5 s): a ban
    /// started on one server holds on the others within this.
    pub ban_refresh: Duration,
    /// How long a server's session count holds without renewal (default
    /// 60 s; renewed every third of it): the longest a dead server's
    /// sessions go on counting.
    pub session_lease: Duration,
    /// The longest one store call may take (default 3 s) before the
    /// server goes on without it.
    pub store_timeout: Duration,
}

impl Default for SharedConfig {
    fn default() -> Self {
        Self {
            ban_refresh: Duration::from_secs(5),
            session_lease: Duration::from_secs(60),
            store_timeout: Duration::from_secs(3),
        }
    }
}

/// A store with the settings every shared structure on it uses, and this
/// server's name in it.
pub struct SharedState {
    store: Arc<dyn StateStore>,
    config: SharedConfig,
    health: Arc<SharedHealth>,
    /// Random per process start: a restarted server is a new server, so
    /// its predecessor's sessions expire with their lease.
    node: String,
}

impl std::fmt::Debug for SharedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedState")
            .field("config", &self.config)
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

impl SharedState {
    /// Shared state in `store`.
    pub fn new(store: Arc<dyn StateStore>, config: SharedConfig) -> Arc<Self> {
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Arc::new(Self {
            store,
            config,
            health: Arc::default(),
            node: format!("{:x}-{random:016x}", std::process::id()),
        })
    }

    /// The store's counters, for metrics.
    pub fn health(&self) -> Arc<SharedHealth> {
        self.health.clone()
    }

    /// This server's name in session records.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// A login guard banning by `policy`, its bans read once now: an
    /// error means the store does not work (a wrong key, say).
    pub async fn login_guard(
        self: &Arc<Self>,
        policy: BanPolicy,
    ) -> Result<SharedLoginGuard, StateStoreError> {
        SharedLoginGuard::start(self.clone(), policy).await
    }

    /// The fleet-wide session count (call within a tokio runtime).
    pub fn session_registry(self: &Arc<Self>) -> SharedSessions {
        SharedSessions::start(self.clone())
    }

    /// `call` within the store timeout, counted in the health counters.
    async fn call<T>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, StateStoreError>>,
    ) -> Result<T, StateStoreError> {
        let result = match tokio::time::timeout(self.config.store_timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(StateStoreError::Timeout(self.config.store_timeout)),
        };
        match &result {
            Ok(_) => self.health.succeeded(),
            Err(error) => self.health.failed(what, error),
        }
        result
    }
}

/// The wall clock in Unix milliseconds (shared records hold wall times).
fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests;
