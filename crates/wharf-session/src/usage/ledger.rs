//! [`UsageLedger`]: the accounts this server counts, their limits, and the
//! flush of their counts to a [`UsageStore`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use tracing::{debug, warn};

use super::account::AccountUsage;
use super::period::Period;
use super::store::{UsageStore, UsageStoreError};

/// How traffic is counted and limited.
#[derive(Clone)]
#[non_exhaustive]
pub struct UsageConfig {
    /// How long a quota lasts.
    pub period: Period,
    /// Bytes per period for any account without its own limit; `0` is
    /// unlimited (counted, never stopped).
    pub default_limit: u64,
    /// Per-account limits, by account name; `0` is unlimited.
    pub limits: HashMap<String, u64>,
    /// Where counts are kept; `None` counts in memory only (lost on
    /// restart, not shared between servers).
    pub store: Option<Arc<dyn UsageStore>>,
    /// How often counts are added to the store and the shared totals read
    /// back. A crash loses at most this much counting.
    pub flush_interval: Duration,
    /// Bandwidth per account (all its sessions on this server together),
    /// downloads and uploads, bytes per second; `0` is unlimited.
    pub account_rates: (u64, u64),
}

impl Default for UsageConfig {
    fn default() -> Self {
        Self {
            period: Period::Day,
            default_limit: 0,
            limits: HashMap::new(),
            store: None,
            flush_interval: Duration::from_secs(10),
            account_rates: (0, 0),
        }
    }
}

impl std::fmt::Debug for UsageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageConfig")
            .field("period", &self.period)
            .field("default_limit", &self.default_limit)
            .field("limits", &self.limits.len())
            .field("store", &self.store.is_some())
            .field("flush_interval", &self.flush_interval)
            .field("account_rates", &self.account_rates)
            .finish()
    }
}

impl UsageConfig {
    /// The limit of `account`.
    pub fn limit_of(&self, account: &str) -> u64 {
        self.limits
            .get(account)
            .copied()
            .unwrap_or(self.default_limit)
    }
}

/// The usage ledger of one server: a counter per account, shared by
/// that account's sessions, flushed to the store in the background.
#[derive(Debug)]
pub struct UsageLedger {
    config: UsageConfig,
    accounts: Mutex<HashMap<String, Arc<AccountUsage>>>,
}

impl UsageLedger {
    /// UsageLedger with `config`.
    pub fn new(config: UsageConfig) -> Arc<Self> {
        Arc::new(Self {
            config,
            accounts: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &UsageConfig {
        &self.config
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<AccountUsage>>> {
        self.accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The counter of `account`, read from the store on first use. A store
    /// that cannot be read is logged and counting goes on: the next flush
    /// adds this server's bytes and reads the total back.
    pub async fn account(&self, account: &str) -> Arc<AccountUsage> {
        let usage = self
            .accounts()
            .entry(account.to_owned())
            .or_insert_with(|| {
                Arc::new(AccountUsage::new(
                    account,
                    self.config.period,
                    self.config.limit_of(account),
                    self.config.account_rates,
                    SystemTime::now(),
                ))
            })
            .clone();
        self.load(&usage).await;
        usage
    }

    async fn load(&self, usage: &AccountUsage) {
        let Some(store) = &self.config.store else {
            return;
        };
        let key = {
            let mut counts = usage.lock();
            counts.roll(usage.period(), SystemTime::now());
            if counts.loaded {
                return;
            }
            counts.window.key.clone()
        };
        match store.load(usage.account(), &key).await {
            Ok(total) => {
                let mut counts = usage.lock();
                if counts.window.key == key && !counts.loaded {
                    counts.shared = counts.shared.max(total);
                    counts.loaded = true;
                }
            }
            Err(error) => {
                warn!(account = usage.account(), %error, "cannot read stored usage; counting on");
            }
        }
    }

    /// Adds every account's new bytes to the store and reads the shared
    /// totals back; forgets accounts no session uses and nothing is left
    /// to store of. Failures are logged and the bytes kept for the next
    /// flush; the first failure is returned.
    pub async fn flush(&self) -> Result<(), UsageStoreError> {
        let accounts: Vec<Arc<AccountUsage>> = {
            let mut map = self.accounts();
            map.retain(|_, usage| Arc::strong_count(usage) > 1 || !usage.lock().idle());
            map.values().cloned().collect()
        };
        let Some(store) = &self.config.store else {
            return Ok(());
        };
        let mut first_error = None;
        for usage in accounts {
            if let Err(error) = flush_one(store.as_ref(), &usage).await {
                warn!(account = usage.account(), %error, "usage flush failed; will retry");
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Flushes every `flush_interval` until [`Flusher::stop`].
    pub(crate) fn spawn_flusher(self: &Arc<Self>) -> Option<Flusher> {
        self.config.store.as_ref()?;
        let ledger = self.clone();
        let stop = Arc::new(Notify::new());
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(ledger.config.flush_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = stopped.notified() => return,
                }
                // Never interrupted: bytes on their way to the store are
                // either stored or given back for the next flush.
                let _ = ledger.flush().await;
            }
        });
        Some(Flusher { stop, task })
    }
}

/// The background flush task.
pub(crate) struct Flusher {
    stop: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Flusher {
    /// Stops the task after the flush it may be running.
    pub(crate) async fn stop(self) {
        self.stop.notify_one();
        let _ = self.task.await;
    }
}

/// Stores one account's new bytes (past periods first) and reads its
/// shared total back.
async fn flush_one(store: &dyn UsageStore, usage: &AccountUsage) -> Result<(), UsageStoreError> {
    let (key, delta, retired) = {
        let mut counts = usage.lock();
        counts.roll(usage.period(), SystemTime::now());
        let delta = std::mem::take(&mut counts.pending);
        counts.in_flight = delta;
        counts.in_flight_key = counts.window.key.clone();
        (
            counts.window.key.clone(),
            delta,
            std::mem::take(&mut counts.retired),
        )
    };
    let account = usage.account();
    let mut result = Ok(());
    let mut left = Vec::new();
    for (old_key, bytes) in retired {
        if let Err(error) = store.add(account, &old_key, bytes).await {
            left.push((old_key, bytes));
            result = Err(error);
        }
    }
    let stored = if delta > 0 {
        store.add(account, &key, delta).await
    } else {
        store.load(account, &key).await
    };
    let mut counts = usage.lock();
    counts.retired.extend(left);
    counts.in_flight = 0;
    match stored {
        Ok(total) => {
            if counts.window.key == key {
                counts.shared = total;
                counts.loaded = true;
            }
            debug!(account, period = %key, added = delta, total, "usage flushed");
            result
        }
        Err(error) => {
            if counts.window.key == key {
                counts.pending = counts.pending.saturating_add(delta);
            } else if delta > 0 {
                counts.retired.push((key, delta));
            }
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;
    use crate::quota::{Direction, QuotaHook};
    use crate::usage::DirUsageStore;

    fn config(store: Arc<dyn UsageStore>, limit: u64) -> UsageConfig {
        UsageConfig {
            default_limit: limit,
            store: Some(store),
            ..UsageConfig::default()
        }
    }

    #[tokio::test]
    async fn two_servers_sharing_a_store_see_each_others_bytes_after_a_flush() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn UsageStore> = Arc::new(DirUsageStore::new(dir.path()));
        let one = UsageLedger::new(config(store.clone(), 1000));
        let two = UsageLedger::new(config(store.clone(), 1000));
        let a = one.account("alice").await;
        let b = two.account("alice").await;
        a.consume(Direction::Download, 600).expect("within");
        b.consume(Direction::Upload, 300).expect("within");
        one.flush().await.expect("flush");
        two.flush().await.expect("flush");
        assert_eq!(b.used(), 900);
        one.flush().await.expect("flush");
        assert_eq!(a.used(), 900);
        let stopped = a.consume(Direction::Download, 200).expect_err("over");
        assert_eq!(stopped.allowed, 100);
    }

    #[tokio::test]
    async fn a_restart_restores_the_count() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn UsageStore> = Arc::new(DirUsageStore::new(dir.path()));
        let before = UsageLedger::new(config(store.clone(), 0));
        before.account("bob").await.record(1234);
        before.flush().await.expect("flush");
        drop(before);
        let after = UsageLedger::new(config(store, 0));
        assert_eq!(after.account("bob").await.used(), 1234);
    }

    struct Broken;

    #[async_trait]
    impl UsageStore for Broken {
        async fn load(&self, _: &str, _: &str) -> Result<u64, UsageStoreError> {
            Err(UsageStoreError::Io(std::io::Error::other("down")))
        }
        async fn add(&self, _: &str, _: &str, _: u64) -> Result<u64, UsageStoreError> {
            Err(UsageStoreError::Io(std::io::Error::other("down")))
        }
    }

    #[tokio::test]
    async fn a_failed_flush_keeps_the_bytes_for_the_next_one() {
        let ledger = UsageLedger::new(config(Arc::new(Broken), 0));
        let usage = ledger.account("carol").await;
        usage.record(50);
        assert!(ledger.flush().await.is_err());
        assert_eq!(usage.used(), 50);
        assert_eq!(usage.lock().pending, 50);
    }

    #[tokio::test]
    async fn accounts_nobody_uses_are_forgotten_once_stored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn UsageStore> = Arc::new(DirUsageStore::new(dir.path()));
        let ledger = UsageLedger::new(config(store, 0));
        ledger.account("dave").await.record(5);
        ledger.flush().await.expect("flush");
        ledger.flush().await.expect("flush");
        assert!(ledger.accounts().is_empty());
        assert_eq!(ledger.account("dave").await.used(), 5);
    }
}
