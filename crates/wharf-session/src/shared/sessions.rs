//! [`SharedSessions`]: live sessions per address group across the fleet,
//! one record per group (`sessions/<group>.json`) holding each server's
//! count with a lease.
//!
//! A session's start is one conditional update: the live counts of the
//! other servers (entries whose lease has not run out) plus this server's
//! must be under the limit, and this server's count goes up by one; its
//! end takes it down again. Every `session_lease / 3` a task rewrites this
//! server's entry of every group it holds sessions of, with the count it
//! really holds and a fresh lease, which also repairs an end whose update
//! failed. A server that dies stops renewing, so its sessions stop
//! counting at most `session_lease` after its last renewal.
//!
//! When the store fails or does not answer in time, a session is let in
//! uncounted (the server's own per-address cap still holds it): a store
//! outage must not refuse every client.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::records::{parse, record_name, to_json};
use super::{SharedState, now_millis};
use crate::defence::{Admission, SessionRegistry};
use crate::network::IpNetwork;

/// One server's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    sessions: usize,
    /// When the lease ends, Unix milliseconds.
    expires: u64,
}

/// A group's record: entries by server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct GroupSessions {
    servers: BTreeMap<String, Entry>,
}

impl GroupSessions {
    fn live_elsewhere(&mut self, me: &str, now: u64) -> usize {
        self.servers
            .retain(|_, e| e.expires > now && e.sessions > 0);
        self.servers
            .iter()
            .filter(|(server, _)| *server != me)
            .map(|(_, e)| e.sessions)
            .sum()
    }

    /// Sets this server's count (0 removes its entry).
    fn set(&mut self, me: &str, sessions: usize, expires: u64) {
        if sessions == 0 {
            self.servers.remove(me);
        } else {
            self.servers
                .insert(me.to_owned(), Entry { sessions, expires });
        }
    }
}

struct Inner {
    shared: Arc<SharedState>,
    /// Sessions this server counted in the store, by group.
    live: Mutex<HashMap<IpNetwork, usize>>,
    /// Groups whose entry the store may not show right (an update failed).
    stale: Mutex<HashSet<IpNetwork>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sessions per address group shared by every server using the same
/// store. Made by [`SharedState::session_registry`]; its lease task ends
/// when it is dropped.
pub struct SharedSessions {
    inner: Arc<Inner>,
    renew: tokio::task::AbortHandle,
}

impl std::fmt::Debug for SharedSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSessions")
            .field("groups", &lock(&self.inner.live).len())
            .finish_non_exhaustive()
    }
}

impl Drop for SharedSessions {
    fn drop(&mut self) {
        self.renew.abort();
    }
}

impl SharedSessions {
    pub(crate) fn start(shared: Arc<SharedState>) -> Self {
        let every = shared.config.session_lease / 3;
        let inner = Arc::new(Inner {
            shared,
            live: Mutex::new(HashMap::new()),
            stale: Mutex::new(HashSet::new()),
        });
        let renew = tokio::spawn(renew_loop(Arc::downgrade(&inner), every)).abort_handle();
        Self { inner, renew }
    }
}

async fn renew_loop(inner: Weak<Inner>, every: Duration) {
    loop {
        tokio::time::sleep(every.max(Duration::from_millis(100))).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let mut groups: HashSet<IpNetwork> = lock(&inner.live).keys().copied().collect();
        groups.extend(std::mem::take(&mut *lock(&inner.stale)));
        for group in groups {
            inner.write_own(group).await;
        }
    }
}

impl Inner {
    fn expires(&self, now: u64) -> u64 {
        let lease = u64::try_from(self.shared.config.session_lease.as_millis()).unwrap_or(0);
        now.saturating_add(lease)
    }

    /// One session of `group` fewer here.
    fn forget(&self, group: IpNetwork) {
        let mut live = lock(&self.live);
        if let Some(count) = live.get_mut(&group) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                live.remove(&group);
            }
        }
    }

    /// Writes this server's true count of `group` with a fresh lease.
    async fn write_own(&self, group: IpNetwork) {
        let name = record_name("sessions", &group.to_string());
        let me = self.shared.node.as_str();
        let mut change = |current: Option<&[u8]>| {
            let mut record: GroupSessions = match current {
                Some(bytes) => parse(bytes, &name)?,
                None => GroupSessions::default(),
            };
            let now = now_millis();
            record.live_elsewhere(me, now);
            let mine = lock(&self.live).get(&group).copied().unwrap_or(0);
            if mine == 0 && !record.servers.contains_key(me) {
                return Ok(None);
            }
            record.set(me, mine, self.expires(now));
            Ok(Some(to_json(&record)))
        };
        let written = self
            .shared
            .call(
                "renew a session lease",
                self.shared.store.update(&name, &mut change),
            )
            .await;
        if written.is_err() {
            lock(&self.stale).insert(group);
        }
    }
}

#[async_trait]
impl SessionRegistry for SharedSessions {
    async fn open(&self, group: IpNetwork, limit: usize) -> Admission {
        let inner = &self.inner;
        let name = record_name("sessions", &group.to_string());
        let me = inner.shared.node.as_str();
        // Counted here first, so that two sessions of the group starting
        // on this server at once both show in whichever write lands last.
        *lock(&inner.live).entry(group).or_insert(0) += 1;
        let mut full = false;
        let mut change = |current: Option<&[u8]>| {
            let mut record: GroupSessions = match current {
                Some(bytes) => parse(bytes, &name)?,
                None => GroupSessions::default(),
            };
            let now = now_millis();
            let elsewhere = record.live_elsewhere(me, now);
            // This server's count is what it holds (this one included),
            // not what the record says (its own lease may have lapsed).
            let mine = lock(&inner.live).get(&group).copied().unwrap_or(1);
            full = elsewhere + mine > limit;
            if full {
                return Ok(None);
            }
            record.set(me, mine, inner.expires(now));
            Ok(Some(to_json(&record)))
        };
        let result = inner
            .shared
            .call(
                "count a session",
                inner.shared.store.update(&name, &mut change),
            )
            .await;
        match result {
            Ok(_) if !full => Admission::Counted,
            Ok(_) => {
                inner.forget(group);
                Admission::Full
            }
            Err(_) => {
                inner.forget(group);
                inner.shared.health.uncounted_session();
                Admission::Uncounted
            }
        }
    }

    async fn close(&self, group: IpNetwork) {
        self.inner.forget(group);
        self.inner.write_own(group).await;
    }
}
