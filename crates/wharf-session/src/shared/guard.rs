//! [`SharedLoginGuard`]: failed logins and bans kept in the fleet's
//! [`StateStore`], read through a local cache.
//!
//! - A failed login is one conditional update of its group's record
//!   (`bans/<group>.json`), so failures spread over servers add up and no
//!   concurrent count is lost. The update that starts a ban also adds it
//!   to the ban list (`bans.json`).
//! - [`is_banned`](LoginGuard::is_banned), asked before every greeting,
//!   reads only memory: the ban list as last read (every `ban_refresh`),
//!   plus the bans this server started. A ban started on one server so
//!   holds on every other within `ban_refresh` (plus a store round trip).
//! - When the store fails or does not answer in time, a failure is counted
//!   by this server alone (a [`MemoryLoginGuard`] under the same policy),
//!   whose bans then hold here. A store outage so never bans anyone by
//!   itself, and a guesser still meets this server's own count; spread
//!   over `n` servers it gets `n` times the attempts while the outage
//!   lasts. Bans already read keep holding until they end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use async_trait::async_trait;
use tracing::{debug, warn};

use super::ban_record::{BanList, GroupRecord, Listed};
use super::records::{parse, record_name, to_json};
use super::{SharedState, now_millis};
use crate::defence::{Ban, BanPolicy, LoginGuard, MemoryLoginGuard};
use crate::network::IpNetwork;

/// The list of bans in force.
const BAN_LIST: &str = "bans.json";

/// A ban this server knows of.
#[derive(Debug, Clone, Copy)]
struct Known {
    until: u64,
    offence: u32,
    /// When this server started it, if it did: kept across refreshes for
    /// a while, in case the list read raced with the write.
    started_here: Option<u64>,
}

struct Inner {
    shared: Arc<SharedState>,
    policy: BanPolicy,
    local: MemoryLoginGuard,
    known: Mutex<HashMap<IpNetwork, Known>>,
    /// Bans started here that the list does not hold yet.
    unlisted: Mutex<Vec<(IpNetwork, Listed)>>,
}

/// Failure counts and bans shared by every server using the same store.
/// Made by [`SharedState::login_guard`]; its refresh task ends when it is
/// dropped.
pub struct SharedLoginGuard {
    inner: Arc<Inner>,
    refresh: tokio::task::AbortHandle,
}

impl std::fmt::Debug for SharedLoginGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedLoginGuard")
            .field("policy", &self.inner.policy)
            .field("known", &lock(&self.inner.known).len())
            .finish_non_exhaustive()
    }
}

impl Drop for SharedLoginGuard {
    fn drop(&mut self) {
        self.refresh.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SharedLoginGuard {
    /// Reads the ban list once (an error: the store is unusable) and
    /// starts the task that reads it again every `ban_refresh`.
    pub(crate) async fn start(
        shared: Arc<SharedState>,
        policy: BanPolicy,
    ) -> Result<Self, super::StateStoreError> {
        let inner = Arc::new(Inner {
            local: MemoryLoginGuard::new(policy),
            shared,
            policy,
            known: Mutex::new(HashMap::new()),
            unlisted: Mutex::new(Vec::new()),
        });
        inner.read_list().await?;
        let every = inner.shared.config.ban_refresh;
        let weak = Arc::downgrade(&inner);
        let refresh = tokio::spawn(refresh_loop(weak, every)).abort_handle();
        Ok(Self { inner, refresh })
    }
}

async fn refresh_loop(inner: Weak<Inner>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        inner.publish().await;
        // An error is counted and logged in `call`; the bans known stay.
        let _ = inner.read_list().await;
    }
}

impl Inner {
    /// Reads the ban list into `known`: the listed bans, and this
    /// server's own recent ones.
    async fn read_list(&self) -> Result<(), super::StateStoreError> {
        let bytes = self
            .shared
            .call("read the ban list", self.shared.store.read(BAN_LIST))
            .await?;
        let list: BanList = match bytes {
            Some(bytes) => parse(&bytes, BAN_LIST).map_err(|reason| {
                let error = super::StateStoreError::Corrupt {
                    name: BAN_LIST.to_owned(),
                    reason,
                };
                self.shared.health.failed("read the ban list", &error);
                error
            })?,
            None => BanList::default(),
        };
        let now = now_millis();
        let keep_own = 2 * u64::try_from(self.shared.config.ban_refresh.as_millis()).unwrap_or(0);
        let mut known = lock(&self.known);
        known.retain(|_, k| k.until > now && k.started_here.is_some_and(|at| at + keep_own > now));
        for (group, listed) in list.bans {
            let Ok(group) = group.parse::<IpNetwork>() else {
                continue;
            };
            if listed.until <= now {
                continue;
            }
            let entry = known.entry(group).or_insert(Known {
                until: listed.until,
                offence: listed.offence,
                started_here: None,
            });
            if listed.until > entry.until {
                entry.until = listed.until;
                entry.offence = listed.offence;
            }
        }
        Ok(())
    }

    /// Adds the bans started here to the list; those that fail wait for
    /// the next refresh.
    async fn publish(&self) {
        let pending: Vec<_> = std::mem::take(&mut *lock(&self.unlisted));
        if pending.is_empty() {
            return;
        }
        let now = now_millis();
        let mut change = |current: Option<&[u8]>| {
            let list: BanList = match current {
                Some(bytes) => parse(bytes, BAN_LIST)?,
                None => BanList::default(),
            };
            let list = pending.iter().fold(list, |list, (group, ban)| {
                list.with(&group.to_string(), *ban, now)
            });
            Ok(Some(to_json(&list)))
        };
        let written = self
            .shared
            .call(
                "list a ban",
                self.shared.store.update(BAN_LIST, &mut change),
            )
            .await;
        if written.is_err() {
            let still: Vec<_> = pending.into_iter().filter(|(_, b)| b.until > now).collect();
            lock(&self.unlisted).extend(still);
        }
    }

    fn known_ban(&self, group: IpNetwork, now: u64) -> Option<Ban> {
        let known = *lock(&self.known).get(&group)?;
        (known.until > now)
            .then(|| Ban::new(Duration::from_millis(known.until - now), known.offence))
    }
}

#[async_trait]
impl LoginGuard for SharedLoginGuard {
    async fn is_banned(&self, group: IpNetwork) -> Option<Ban> {
        let shared = self.inner.known_ban(group, now_millis());
        let local = self.inner.local.is_banned(group).await;
        match (shared, local) {
            (Some(a), Some(b)) => Some(if a.remaining >= b.remaining { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    async fn record_failure(&self, group: IpNetwork) -> Option<Ban> {
        let inner = &self.inner;
        let name = record_name("bans", &group.to_string());
        let now = now_millis();
        let mut started = None;
        let mut change = |current: Option<&[u8]>| {
            let mut record: GroupRecord = match current {
                Some(bytes) => parse(bytes, &name)?,
                None => GroupRecord::default(),
            };
            if record.ban(now).is_some() {
                return Ok(None);
            }
            started = record.fail(&inner.policy, now);
            Ok(Some(to_json(&record)))
        };
        let result = inner
            .shared
            .call(
                "count a failed login",
                inner.shared.store.update(&name, &mut change),
            )
            .await;
        let bytes = match result {
            Ok(bytes) => bytes,
            Err(_) => {
                inner.shared.health.counted_locally();
                return inner.local.record_failure(group).await;
            }
        };
        if let Some(ban) = started {
            let until = now.saturating_add(u64::try_from(ban.remaining.as_millis()).unwrap_or(0));
            warn!(%group, offence = ban.offence, secs = ban.remaining.as_secs(), "address banned across the fleet after failed logins");
            lock(&inner.known).insert(
                group,
                Known {
                    until,
                    offence: ban.offence,
                    started_here: Some(now),
                },
            );
            lock(&inner.unlisted).push((
                group,
                Listed {
                    until,
                    offence: ban.offence,
                },
            ));
            inner.publish().await;
            return Some(ban);
        }
        // Banned already (by another server, perhaps): that ban.
        let record: Option<GroupRecord> = bytes.and_then(|b| parse(&b, &name).ok());
        let ban = record.and_then(|r| r.ban(now));
        if let Some(ban) = ban {
            debug!(%group, "failed login from a group banned by another server");
            let until = now.saturating_add(u64::try_from(ban.remaining.as_millis()).unwrap_or(0));
            lock(&inner.known).entry(group).or_insert(Known {
                until,
                offence: ban.offence,
                started_here: Some(now),
            });
        }
        ban
    }

    fn bans_active(&self) -> Option<usize> {
        let now = now_millis();
        let shared = lock(&self.inner.known)
            .values()
            .filter(|k| k.until > now)
            .count();
        Some(shared + self.inner.local.bans_active().unwrap_or(0))
    }
}
